"""SGD, Adam and AdamW: each step of a param group is one fused C++ call over all its tensors."""
from .. import _C
from ..autograd.grad_mode import enable_grad, no_grad
from .optimizer import Optimizer, required


def _check(name, value, lower=0.0):
    if not value >= lower:
        raise ValueError(f"[optim] Invalid {name}: {value}")


def _run_closure(closure):
    if closure is None:
        return None
    with enable_grad():
        return closure()


class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *, maximize=False,
                 foreach=None, differentiable=False, fused=None):
        if lr is not required:
            _check("learning rate", lr)
        _check("momentum value", momentum)
        _check("weight_decay value", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("[SGD] Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, maximize=maximize))

    @no_grad()
    def step(self, closure=None):
        loss = _run_closure(closure)
        for g in self.param_groups:
            params, grads, bufs, steps = [], [], [], []
            for p in g["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                state["step"] = state.get("step", 0) + 1
                if g["momentum"] != 0 and "momentum_buffer" not in state:
                    from .. import empty_like
                    state["momentum_buffer"] = empty_like(p)
                params.append(p)
                grads.append(p.grad)
                bufs.append(state.get("momentum_buffer"))
                steps.append(state["step"])
            if params:
                _C._fused_sgd_(params, grads, bufs if g["momentum"] != 0 else [], steps, g["lr"], g["momentum"],
                               g["dampening"], g["weight_decay"], g["nesterov"], g["maximize"])
        return loss


class Adam(Optimizer):
    _decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=None):
        _check("learning rate", lr)
        _check("epsilon value", eps)
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"[optim] Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"[optim] Invalid beta parameter at index 1: {betas[1]}")
        _check("weight_decay value", weight_decay)
        if decoupled_weight_decay is not None:
            self._decoupled = bool(decoupled_weight_decay)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize))

    @no_grad()
    def step(self, closure=None):
        from .. import zeros_like

        loss = _run_closure(closure)
        for g in self.param_groups:
            params, grads, m, v, vmax, steps = [], [], [], [], [], []
            for p in g["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = zeros_like(p)
                    state["exp_avg_sq"] = zeros_like(p)
                    if g["amsgrad"]:
                        state["max_exp_avg_sq"] = zeros_like(p)
                state["step"] += 1
                params.append(p)
                grads.append(p.grad)
                m.append(state["exp_avg"])
                v.append(state["exp_avg_sq"])
                if g["amsgrad"]:
                    vmax.append(state["max_exp_avg_sq"])
                steps.append(state["step"])
            if params:
                beta1, beta2 = g["betas"]
                _C._fused_adam_(params, grads, m, v, vmax, steps, g["lr"], beta1, beta2, g["weight_decay"], g["eps"],
                                g["amsgrad"], g["maximize"], self._decoupled)
        return loss


class AdamW(Adam):
    """Adam with decoupled weight decay (default 1e-2, as torch)."""

    _decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)

"""Gradient clipping (torch.nn.utils.clip_grad_norm_ / clip_grad_value_)."""
import math

from ... import _C
from ...autograd.grad_mode import no_grad


def _grads(parameters):
    if isinstance(parameters, _C.Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scales the gradients in place so that their joint norm is at most max_norm; returns the norm."""
    import tessera as ts

    grads = _grads(parameters)
    norm_type = float(norm_type)
    if not grads:
        return ts.tensor(0.0)
    with no_grad():
        if math.isinf(norm_type):
            norms = [g.abs().max() for g in grads]
            total = ts.stack([n.to(ts.float32) for n in norms]).max()
        else:
            norms = [ts.norm(g, norm_type) for g in grads]
            total = ts.norm(ts.stack([n.to(ts.float32) for n in norms]), norm_type)
        if error_if_nonfinite and not bool(ts.isfinite(total)):
            raise RuntimeError(f"[clip_grad_norm_] The total norm of order {norm_type} for gradients from "
                               "`parameters` is non-finite, so it cannot be clipped.")
        coef = ts.clamp(max_norm / (total + 1e-6), max=1.0)
        for g in grads:
            g.mul_(coef.to(g.dtype))
    return total


def clip_grad_value_(parameters, clip_value, foreach=None):
    with no_grad():
        for g in _grads(parameters):
            g.clamp_(min=-clip_value, max=clip_value)

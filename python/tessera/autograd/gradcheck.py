"""Finite-difference checks of backward formulas (torch.autograd.gradcheck / gradgradcheck)."""
import numpy as np

from .. import _C


class GradcheckError(RuntimeError):
    pass


def _inputs(inputs):
    return (inputs,) if isinstance(inputs, _C.Tensor) else tuple(inputs)


def _outputs(out):
    return (out,) if isinstance(out, _C.Tensor) else tuple(out)


def _host(t):
    """float64 NumPy copy of a tensor's values, from any device."""
    return t.detach().cpu().numpy().astype(np.float64).ravel().copy()


def _numerical_jacobian(fn, inputs, i, eps):
    """d outputs / d inputs[i] by central differences, one column per input element."""
    x = inputs[i]
    if not x.is_contiguous():
        raise GradcheckError("gradcheck needs contiguous inputs")
    flat = x.detach().view(-1)  # shares memory: perturb in place (on any device)
    data = flat.numpy() if x.device.type == "cpu" else None

    def set_value(k, v):
        if data is not None:
            data[k] = v
        else:
            flat[k].fill_(v)

    def outputs_at(k, v):
        set_value(k, v)
        return np.concatenate([_host(o) for o in _outputs(fn(*inputs))] or [np.zeros(0)])

    cols = []
    for k in range(flat.numel()):
        orig = data[k] if data is not None else flat[k].item()
        plus, minus = outputs_at(k, orig + eps), outputs_at(k, orig - eps)
        set_value(k, orig)
        cols.append((plus - minus) / (2 * eps))
    return np.stack(cols, axis=1) if cols else np.zeros((0, 0))


def _analytical_jacobian(fn, inputs, i, create_graph=False):
    from . import grad as autograd_grad

    outs = _outputs(fn(*inputs))
    rows = []
    for oi, o in enumerate(outs):
        n = o.numel()
        for k in range(n):
            seeds = [_C.zeros(q.shape, dtype=q.dtype, device=q.device) for q in outs]
            seeds[oi].view(-1)[k].fill_(1.0)
            live = [(q, sd) for q, sd in zip(outs, seeds) if q.requires_grad]  # constant outputs: zero rows
            g = autograd_grad([q for q, _ in live], (inputs[i],), [sd for _, sd in live], retain_graph=True,
                              allow_unused=True)[0] if live else None
            rows.append(np.zeros(inputs[i].numel()) if g is None else _host(g))
    return np.stack(rows, axis=0) if rows else np.zeros((0, 0))


def gradcheck(func, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Compares the backward of `func` at `inputs` (float64 tensors) with finite differences."""
    inputs = _inputs(inputs)
    for i, x in enumerate(inputs):
        if not (isinstance(x, _C.Tensor) and x.requires_grad):
            continue
        if x.dtype != _C.float64:
            raise GradcheckError(f"[gradcheck] input {i} should be float64 for finite differences, got {x.dtype}")
        numerical = _numerical_jacobian(func, inputs, i, eps)
        analytical = _analytical_jacobian(func, inputs, i)
        if numerical.size == 0 and analytical.size == 0:
            continue  # empty input or output: nothing to compare
        if numerical.shape != analytical.shape or not np.allclose(analytical, numerical, atol=atol, rtol=rtol):
            if raise_exception:
                raise GradcheckError(f"[gradcheck] Jacobian mismatch for input {i}:\nnumerical:\n{numerical}\n"
                                     f"analytical:\n{analytical}")
            return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """gradcheck of the first derivative as a function of the inputs and of random upstream gradients
    (torch.autograd.gradgradcheck); needs create_graph support in every formula used."""
    from . import grad as autograd_grad

    inputs = _inputs(inputs)
    if grad_outputs is None:
        outs = _outputs(func(*inputs))
        grad_outputs = [_C.from_numpy(np.random.standard_normal(o.shape).astype(np.float64)).to(o.device)
                        .requires_grad_() for o in outs]
    grad_outputs = _inputs(grad_outputs)
    n = len(inputs)

    def first_derivative(*args):
        xs, seeds = args[:n], args[n:]
        diff = [x for x in xs if isinstance(x, _C.Tensor) and x.requires_grad]
        grads = autograd_grad(_outputs(func(*xs)), diff, seeds, create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivative, tuple(inputs) + tuple(grad_outputs), eps, atol, rtol, raise_exception)

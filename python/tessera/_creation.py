"""tensor() / as_tensor(): tensors from Python data, NumPy arrays and other tensors."""
import numpy as _np

from . import _C

__all__ = ["tensor", "as_tensor", "set_default_device", "get_default_device"]


def _check_requires_grad(op, requires_grad):
    if not isinstance(requires_grad, bool):
        raise TypeError(f"[{op}] argument 'requires_grad' must be bool, not {type(requires_grad).__name__}")


def _mark(t, requires_grad):
    return t.requires_grad_() if requires_grad else t


def _to(t, dtype, device, copy=False):
    kw = {}
    if dtype is not None:
        kw["dtype"] = dtype
    if device is not None:
        kw["device"] = device
    if copy:
        kw["copy"] = True
    return t.to(**kw) if kw else t


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of `data` (nested lists/tuples of numbers, a NumPy array, or a
    tensor). dtype is inferred like PyTorch: all bool -> bool, ints -> int64, any float -> float32;
    NumPy arrays keep their dtype."""
    _check_requires_grad("tensor", requires_grad)
    if device is None:
        device = _C._default_device()
    if pin_memory:  # page-locked host memory (RuntimeError without the CUDA backend)
        return _mark(tensor(data, dtype=dtype, device=device).pin_memory(), requires_grad)
    if isinstance(data, _C.Tensor):
        return _mark(_to(data.detach(), dtype, device, copy=True), requires_grad)
    if isinstance(data, _np.ndarray):
        out = _C.from_numpy(_np.ascontiguousarray(data)).clone()
        return _mark(_to(out, dtype, device), requires_grad)
    return _mark(_C._tensor_from_data(data, dtype, device), requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Like tensor(), but shares memory when it can: a tensor that already has the dtype and
    device is returned as is, and a NumPy array of a supported dtype is wrapped without a copy."""
    if isinstance(data, _C.Tensor):
        return _to(data, dtype, device)
    if isinstance(data, _np.ndarray):
        try:
            out = _C.from_numpy(data)
        except (TypeError, ValueError):
            return tensor(data, dtype=dtype, device=device)
        return _to(out, dtype, device)
    return tensor(data, dtype=dtype, device=device)


def _new_tensor(self, data, dtype=None, device=None, requires_grad=False):
    """Tensor.new_tensor: tensor(data) with dtype and device defaulting to self's."""
    return tensor(data, dtype=self.dtype if dtype is None else dtype,
                  device=self.device if device is None else device, requires_grad=requires_grad)


_C.Tensor.new_tensor = _new_tensor


def set_default_device(device):
    """The device of tensors made by factory functions (zeros, rand, arange, tensor, ...) called
    without `device`; None restores the CPU. *_like and new_* follow their input instead."""
    _C._set_default_device(device)


def get_default_device():
    d = _C._default_device()
    return d if d is not None else _C.device("cpu")

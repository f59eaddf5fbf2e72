"""requires_grad= for the tensor factories: the C++ factories build the tensor, then it is marked
as a leaf that requires grad (the autograd layer sits above them)."""
import functools

from . import _C

_FACTORIES = ("empty", "zeros", "ones", "full", "arange", "linspace", "eye", "empty_like", "zeros_like", "ones_like",
              "full_like", "rand", "randn", "rand_like", "randn_like", "normal")


def _with_requires_grad(name, fn):
    @functools.wraps(fn)
    def factory(*args, requires_grad=False, **kwargs):
        if not isinstance(requires_grad, bool):
            raise TypeError(f"[{name}] argument 'requires_grad' must be bool, not {type(requires_grad).__name__}")
        t = fn(*args, **kwargs)
        return t.requires_grad_() if requires_grad else t

    return factory


def install(namespace):
    for name in _FACTORIES:
        if hasattr(_C, name):
            namespace[name] = _with_requires_grad(name, getattr(_C, name))

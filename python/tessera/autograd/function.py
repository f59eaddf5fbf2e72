"""Custom differentiable operations written in Python (torch.autograd.Function).

forward runs below autograd (grad mode off); the C++ side then records one graph node whose
backward calls the class's Python ``backward`` under the GIL (python/src/bind_function.cpp).
"""
import functools
import inspect

from .. import _C
from . import forward_ad
from .grad_mode import no_grad

__all__ = ["Function", "FunctionCtx", "once_differentiable", "InplaceFunction", "NestedIOFunction"]


class FunctionCtx:
    """The ``ctx`` of forward/backward: saves tensors and flags for backward; any other attribute
    may be stored on it."""

    def __init__(self):
        self.to_save = None
        self._non_differentiable = None
        self._dirty = None
        self._materialize_grads = True
        self._handle = None
        self.needs_input_grad = ()
        self._saved_for_forward = None
        self._in_jvp = False

    def save_for_backward(self, *tensors):
        """Saves tensors (or None) for backward, checked against in-place modification."""
        self.to_save = tensors

    def save_for_forward(self, *tensors):
        """Saves tensors for jvp; inside jvp, ``saved_tensors`` returns them."""
        self._saved_for_forward = tensors

    @property
    def saved_tensors(self):
        if self._in_jvp:
            return tuple(self._saved_for_forward or ())
        if self._handle is None:
            if self.to_save is not None:  # setup_context / forward, before the node exists
                return tuple(self.to_save)
            return ()
        return self._handle.saved_tensors()

    def mark_dirty(self, *args):
        """Marks inputs that forward modified in place (they must be returned as outputs)."""
        self._dirty = args

    def mark_non_differentiable(self, *args):
        """Marks outputs that never get gradients (backward still receives a zero grad for them)."""
        self._non_differentiable = args

    def set_materialize_grads(self, value):
        """With False, backward gets None (not zeros) for outputs that received no gradient."""
        self._materialize_grads = bool(value)


class BackwardCFunction(FunctionCtx):
    pass


def _is_overridden(cls, name):
    return getattr(cls, name) is not getattr(Function, name)


class FunctionMeta(type):
    """Gives each Function subclass its backward name and caches how apply must call it."""

    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        cls._backward_name = name + "Backward"
        cls._signature = None


class Function(metaclass=FunctionMeta):
    """Base class of custom Functions: subclass with static ``forward`` and ``backward`` and call
    ``YourFunction.apply(*args)``."""

    def __init__(self, *args, **kwargs):
        import warnings

        warnings.warn(
            f"{self.__class__} should not be instantiated. Methods on autograd functions are all static, so you "
            "should invoke them on the class itself. Instantiating an autograd function will raise an error in a "
            "future version of PyTorch.", DeprecationWarning, stacklevel=2)

    def __call__(self, *args, **kwargs):
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please use new-style autograd "
            "function with static forward method. (Example: https://pytorch.org/docs/stable/autograd.html"
            "#torch.autograd.Function)")

    @staticmethod
    def forward(*args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError("You must implement the jvp function for custom autograd.Function to use it "
                                  "with forward mode AD.")

    @classmethod
    def _backward_fn(cls):
        has_backward, has_vjp = _is_overridden(cls, "backward"), _is_overridden(cls, "vjp")
        if has_backward and has_vjp:
            raise RuntimeError("Implementing both 'backward' and 'vjp' for a custom Function is not allowed. You "
                               "should only implement one of them.")
        return cls.vjp if has_vjp else cls.backward

    @classmethod
    def apply(cls, *args, **kwargs):
        if cls is Function:
            raise RuntimeError("[Function.apply] call apply on a subclass of Function that defines forward")
        ctx = BackwardCFunction()
        setup_style = _is_overridden(cls, "setup_context")
        if setup_style:
            # As PyTorch: keyword and default arguments become inputs (backward returns one grad each).
            if cls._signature is None:
                cls._signature = inspect.signature(cls.forward)
            bound = cls._signature.bind(*args, **kwargs)
            bound.apply_defaults()
            args, kwargs = bound.args, {}
        tangents = _input_tangents(args)
        if tangents is not None:
            # The Function's own jvp gives the output tangents; its forward sees plain primals.
            args = tuple(forward_ad.unpack_dual(a).primal if isinstance(a, _C.Tensor) else a for a in args)
        grad_on = _C.is_grad_enabled()
        ctx.needs_input_grad = tuple(grad_on and isinstance(a, _C.Tensor) and a.requires_grad for a in args)
        with no_grad():
            if setup_style:
                result = cls.forward(*args)
                cls.setup_context(ctx, args, result)
            else:
                result = cls.forward(ctx, *args, **kwargs)
        out = _C._function_record(ctx, cls._backward_name, cls._backward_fn(), args, result)
        if tangents is None:
            return out
        ctx._in_jvp = True
        try:
            out_tangents = cls.jvp(ctx, *tangents)
        finally:
            ctx._in_jvp = False
        return _attach_tangents(out_tangents, out)

    @staticmethod
    def vmap(info, in_dims, *args):
        raise NotImplementedError("[Function.vmap] vmap is not supported by tessera")


def _input_tangents(args):
    """The tangent of each argument (zeros for tensors without one) when any carries one, else None."""
    if forward_ad._current_level < 0:
        return None
    tangents = [forward_ad.unpack_dual(a).tangent if isinstance(a, _C.Tensor) else None for a in args]
    if all(t is None for t in tangents):
        return None
    return tuple(_C.zeros_like(a) if t is None and isinstance(a, _C.Tensor) and a.is_floating_point() else t
                 for a, t in zip(args, tangents))


def _attach_tangents(out_tangents, out):
    """Each tensor output made dual with the matching tangent returned by jvp."""
    single = not isinstance(out, tuple)
    outs, tans = (out,) if single else out, (out_tangents,) if not isinstance(out_tangents, tuple) else out_tangents
    if len(tans) != len(outs):
        raise RuntimeError(f"[Function.jvp] jvp returned {len(tans)} tangents but forward returned {len(outs)} outputs")
    duals = tuple(forward_ad.make_dual(o, t) if isinstance(o, _C.Tensor) and t is not None else o
                  for o, t in zip(outs, tans))
    return duals[0] if single else duals


class InplaceFunction(Function):
    """A Function with an ``inplace`` flag (torch.autograd.function.InplaceFunction)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace


class NestedIOFunction(Function):
    def __init__(self, *args, **kwargs):
        raise NotImplementedError("[NestedIOFunction] legacy nested-IO Functions are not supported by tessera")


class _DelayedError(Function):
    """Identity on the first `n` tensors whose backward raises: marks results of a
    once_differentiable backward. The remaining inputs (the gradients that require grad) only make
    the node get recorded, as PyTorch's C++ DelayedError node always is."""

    @staticmethod
    def forward(ctx, msg, n, *tensors):
        ctx.msg = msg
        return tuple(t.detach() if isinstance(t, _C.Tensor) else t for t in tensors[:n])

    @staticmethod
    def backward(ctx, *grads):
        raise RuntimeError(ctx.msg)


def once_differentiable(fn):
    """Runs backward without recording a graph; differentiating its result again raises."""

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with no_grad():
            outputs = fn(ctx, *args)
        if not _C.is_grad_enabled():
            return outputs
        grads_needing_grad = [a for a in args if isinstance(a, _C.Tensor) and a.requires_grad]
        if not grads_needing_grad:
            return outputs
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        wrapped = _DelayedError.apply(
            "trying to differentiate twice a function that was marked with @once_differentiable", len(outs), *outs,
            *grads_needing_grad)
        return wrapped[0] if single else wrapped

    return wrapper

"""Reverse-mode automatic differentiation (the engine is in C++: csrc/autograd)."""
from .. import _C
from . import anomaly_mode, function
from .anomaly_mode import detect_anomaly, is_anomaly_check_nan_enabled, is_anomaly_enabled, set_detect_anomaly
from .function import Function, once_differentiable
from .grad_mode import enable_grad, inference_mode, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from . import forward_ad, functional


def _as_tuple(x):
    if x is None:
        return ()
    if isinstance(x, _C.Tensor):
        return (x,)
    return tuple(x)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulates d tensors / d leaves into the leaves' .grad (torch.autograd.backward)."""
    tensors = _as_tuple(tensors)
    grads = _as_tuple(grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    _C._backward(tensors, grads, bool(retain_graph), bool(create_graph), _as_tuple(inputs))


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=None,
         materialize_grads=False):
    """Returns d outputs / d inputs as a tuple, without touching .grad (torch.autograd.grad)."""
    outputs, inputs = _as_tuple(outputs), _as_tuple(inputs)
    if retain_graph is None:
        retain_graph = create_graph
    if allow_unused is None:
        allow_unused = materialize_grads
    result = _C._grad(outputs, inputs, _as_tuple(grad_outputs), bool(retain_graph), bool(create_graph),
                      bool(allow_unused))
    if materialize_grads:
        from .. import zeros_like
        result = tuple(zeros_like(i) if g is None else g for g, i in zip(result, inputs))
    return result


def _tensor_backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    backward(self, gradient, retain_graph, create_graph, inputs)


_C.Tensor.backward = _tensor_backward

__all__ = ["forward_ad", "functional", "backward", "grad", "gradcheck", "gradgradcheck", "GradcheckError", "no_grad",
           "enable_grad", "set_grad_enabled", "inference_mode", "Function", "once_differentiable", "detect_anomaly",
           "set_detect_anomaly", "is_anomaly_enabled", "is_anomaly_check_nan_enabled"]

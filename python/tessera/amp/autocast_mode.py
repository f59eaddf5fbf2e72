"""tessera.autocast: mixed-precision regions with torch.autocast's API and semantics.

The casting happens in C++, at the Autocast dispatch key (csrc/amp, docs/design/autocast.md); this
module only switches the thread-local state on and off, as torch/amp/autocast_mode.py does.
"""
import collections
import functools
import warnings

from .. import _C

try:
    import numpy as np
except ModuleNotFoundError:  # pragma: no cover
    np = None

__all__ = ["autocast_decorator", "autocast", "is_autocast_available", "custom_fwd", "custom_bwd"]


def is_autocast_available(device_type):
    """True when `device_type` ('cpu', 'cuda') has an autocast."""
    return _C._is_autocast_available(device_type)


def autocast_decorator(autocast_instance, func):
    @functools.wraps(func)
    def decorate_autocast(*args, **kwargs):
        with autocast_instance:
            return func(*args, **kwargs)

    return decorate_autocast


def _cuda_available():
    from .. import cuda

    return cuda.is_available()


def _cuda_bf16_supported():
    from .. import cuda

    return cuda.get_device_capability()[0] >= 8


class autocast:
    r"""Context manager / decorator in which ops run in an op-specific dtype chosen by autocast.

    Matrix products and convolutions run in ``dtype`` (float16 on CUDA and bfloat16 on CPU by
    default), range-sensitive ops (exp, log, pow, softmax, norms, losses ...) in float32, and ops
    that mix inputs in their widest type; see PyTorch's Autocast Op Reference. Only floating tensors
    on ``device_type`` are cast, float64 never. The casts are recorded by autograd, so gradients come
    back in each input's own dtype. Wrap the forward pass and the loss, not the backward.

    Args:
        device_type (str): 'cuda' or 'cpu'.
        dtype (tessera.dtype, optional): the lower-precision dtype; ``None`` takes
            :func:`tessera.get_autocast_dtype` of the device.
        enabled (bool): ``False`` makes a region with autocast off (nestable in an enabled one).
        cache_enabled (bool, optional): cache the casts of weights inside the region (default:
            :func:`tessera.is_autocast_cache_enabled`).
    """

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        self.fast_dtype = _C._get_autocast_dtype(device_type) if dtype is None else dtype
        self.device = device_type
        if not is_autocast_available(self.device):
            raise RuntimeError(f"User specified an unsupported autocast device_type '{self.device}'")
        device_supported_dtypes = [_C.bfloat16, _C.float16]
        self._cache_enabled = _C.is_autocast_cache_enabled() if cache_enabled is None else cache_enabled
        device_name = self.device.upper()
        if enabled:
            if self.device == "cuda":
                if not _cuda_available():
                    warnings.warn("CUDA is not available. Disabling autocast.", stacklevel=2)
                    enabled = False
                elif self.fast_dtype == _C.bfloat16 and not _cuda_bf16_supported():
                    raise RuntimeError(
                        "Current CUDA Device does not support bfloat16. Please switch dtype to float16.")
            elif self.fast_dtype not in device_supported_dtypes:
                warnings.warn(
                    f"In {device_name} autocast, but the target dtype is not supported. Disabling autocast.\n"
                    f"{device_name} Autocast only supports dtypes of "
                    + ", ".join(map(str, device_supported_dtypes)) + " currently.",
                    stacklevel=2,
                )
                enabled = False
        self._enabled = enabled

    def __enter__(self):
        self.prev_cache_enabled = _C.is_autocast_cache_enabled()
        self.prev = _C._is_autocast_enabled(self.device)
        self.prev_fastdtype = _C._get_autocast_dtype(self.device)
        _C._set_autocast_enabled(self.device, self._enabled)
        _C._set_autocast_dtype(self.device, self.fast_dtype)
        _C.autocast_increment_nesting()
        _C.set_autocast_cache_enabled(self._cache_enabled)
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        # Drop the cache when we exit to a nesting level that's outside any instance of autocast.
        if _C.autocast_decrement_nesting() == 0:
            _C.clear_autocast_cache()
        _C._set_autocast_enabled(self.device, self.prev)
        _C._set_autocast_dtype(self.device, self.prev_fastdtype)
        _C.set_autocast_cache_enabled(self.prev_cache_enabled)
        return False

    def __call__(self, func):
        if not callable(func):
            raise TypeError(
                f"autocast()(func) requires a callable, but got {type(func).__name__}. "
                f"Did you mean to use autocast as a context manager? For example:\n"
                f"    with tessera.autocast(device_type=...):\n"
                f"        output = model(input)"
            )
        return autocast_decorator(self, func)


def _cast(value, device_type, dtype):
    """Casts floating tensors on `device_type` (not float64) inside containers, as torch's _cast."""
    if isinstance(value, _C.Tensor):
        eligible = value.is_floating_point() and value.device.type == device_type and value.dtype is not _C.float64
        return value.to(dtype) if eligible else value
    if isinstance(value, (str, bytes)):
        return value
    if np is not None and isinstance(value, np.ndarray):
        return value
    if isinstance(value, collections.abc.Mapping):
        return {_cast(k, device_type, dtype): _cast(v, device_type, dtype) for k, v in value.items()}
    if isinstance(value, collections.abc.Iterable):
        iterable = (_cast(v, device_type, dtype) for v in value)
        return type(value)(iterable) if isinstance(value, (list, tuple)) else iterable
    return value


def custom_fwd(fwd=None, *, device_type, cast_inputs=None):
    """Decorator for ``forward`` of a custom autograd Function (torch.amp.custom_fwd).

    With ``cast_inputs``, inside an autocast region the floating tensor arguments are cast to it and
    ``forward`` runs with autocast off; without it ``forward`` runs under the current autocast state.
    """
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def decorate_fwd(*args, **kwargs):
        args[0]._dtype = _C._get_autocast_dtype(device_type)
        if cast_inputs is None:
            args[0]._fwd_used_autocast = _C._is_autocast_enabled(device_type)
            return fwd(*args, **kwargs)
        autocast_context = _C._is_autocast_enabled(device_type)
        args[0]._fwd_used_autocast = False
        if autocast_context:
            with autocast(device_type=device_type, enabled=False):
                return fwd(*_cast(args, device_type, cast_inputs), **_cast(kwargs, device_type, cast_inputs))
        return fwd(*args, **kwargs)

    return decorate_fwd


def custom_bwd(bwd=None, *, device_type):
    """Decorator for ``backward`` of a custom autograd Function: runs it under forward's autocast state."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def decorate_bwd(*args, **kwargs):
        with autocast(device_type=device_type, enabled=args[0]._fwd_used_autocast, dtype=args[0]._dtype):
            return bwd(*args, **kwargs)

    return decorate_bwd

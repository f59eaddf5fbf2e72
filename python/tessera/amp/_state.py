"""The thread-local autocast switches at the top level of tessera (torch.is_autocast_enabled ...)."""
import warnings

from .. import _C

__all__ = [
    "is_autocast_enabled", "set_autocast_enabled", "get_autocast_dtype", "set_autocast_dtype",
    "is_autocast_cache_enabled", "set_autocast_cache_enabled", "clear_autocast_cache",
    "autocast_increment_nesting", "autocast_decrement_nesting", "get_autocast_gpu_dtype", "get_autocast_cpu_dtype",
    "set_autocast_gpu_dtype", "set_autocast_cpu_dtype", "is_autocast_cpu_enabled", "set_autocast_cpu_enabled",
]

is_autocast_cache_enabled = _C.is_autocast_cache_enabled
set_autocast_cache_enabled = _C.set_autocast_cache_enabled
clear_autocast_cache = _C.clear_autocast_cache
autocast_increment_nesting = _C.autocast_increment_nesting
autocast_decrement_nesting = _C.autocast_decrement_nesting


def _check_type(fn, name, position, value, types, type_name):
    if not isinstance(value, types):
        raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be {type_name}, "
                        f"not {type(value).__name__}")


def is_autocast_enabled(device_type=None):
    """Whether autocast is on in this thread for `device_type` ('cuda' when omitted)."""
    if device_type is None:
        return _C._is_autocast_enabled("cuda")
    _check_type("is_autocast_enabled", "device_type", 1, device_type, str, "str")
    return _C._is_autocast_enabled(device_type)


def set_autocast_enabled(*args):
    """set_autocast_enabled(device_type, enabled), or set_autocast_enabled(enabled) for CUDA."""
    if len(args) == 1:
        _check_type("set_autocast_enabled", "enabled", 1, args[0], bool, "bool")
        return _C._set_autocast_enabled("cuda", args[0])
    if len(args) == 2:
        _check_type("set_autocast_enabled", "device_type", 1, args[0], str, "str")
        _check_type("set_autocast_enabled", "enabled", 2, args[1], bool, "bool")
        return _C._set_autocast_enabled(args[0], args[1])
    raise TypeError(f"set_autocast_enabled() received an invalid combination of arguments - got {len(args)} "
                    "arguments, but expected one of: (str device_type, bool enabled), (bool enabled)")


def get_autocast_dtype(device_type):
    """The lower-precision dtype of `device_type`'s autocast (float16 for CUDA, bfloat16 for CPU)."""
    _check_type("get_autocast_dtype", "device_type", 1, device_type, str, "str")
    return _C._get_autocast_dtype(device_type)


def set_autocast_dtype(device_type, dtype):
    _check_type("set_autocast_dtype", "device_type", 1, device_type, str, "str")
    _check_type("set_autocast_dtype", "dtype", 2, dtype, _C.dtype, "tessera.dtype")
    _C._set_autocast_dtype(device_type, dtype)


def _deprecated(old, new):
    warnings.warn(f"tessera.{old} is deprecated. Please use tessera.{new} instead.", DeprecationWarning, stacklevel=3)


def get_autocast_gpu_dtype():
    _deprecated("get_autocast_gpu_dtype()", "get_autocast_dtype('cuda')")
    return _C._get_autocast_dtype("cuda")


def get_autocast_cpu_dtype():
    _deprecated("get_autocast_cpu_dtype()", "get_autocast_dtype('cpu')")
    return _C._get_autocast_dtype("cpu")


def set_autocast_gpu_dtype(dtype):
    _deprecated("set_autocast_gpu_dtype(dtype)", "set_autocast_dtype('cuda', dtype)")
    set_autocast_dtype("cuda", dtype)


def set_autocast_cpu_dtype(dtype):
    _deprecated("set_autocast_cpu_dtype(dtype)", "set_autocast_dtype('cpu', dtype)")
    set_autocast_dtype("cpu", dtype)


def is_autocast_cpu_enabled():
    _deprecated("is_autocast_cpu_enabled()", "is_autocast_enabled('cpu')")
    return _C._is_autocast_enabled("cpu")


def set_autocast_cpu_enabled(enabled):
    _deprecated("set_autocast_cpu_enabled(enabled)", "set_autocast_enabled('cpu', enabled)")
    set_autocast_enabled("cpu", enabled)

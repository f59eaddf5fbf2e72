"""tessera.backends.cudnn: the torch.backends.cudnn switches that tessera's convolution kernels
honour. tessera has no cuDNN (its conv2d is im2col + cuBLASLt); ``allow_tf32`` (default True, as in
torch) lets the float32 convolution GEMMs use TF32 tensor cores."""
import sys
import types

from ... import _C

__all__ = ["is_available", "allow_tf32"]


def is_available():
    """False: tessera does not use cuDNN."""
    return False


class _CudnnModule(types.ModuleType):
    """Module whose ``allow_tf32`` attribute reads and writes the C++ flag (torch's pattern)."""

    @property
    def allow_tf32(self):
        return _C._get_cudnn_allow_tf32()

    @allow_tf32.setter
    def allow_tf32(self, value):
        _C._set_cudnn_allow_tf32(bool(value))


sys.modules[__name__].__class__ = _CudnnModule

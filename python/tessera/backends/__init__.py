"""tessera.backends: numerics switches of the GPU kernels, as torch.backends.

``tessera.backends.cuda.matmul.allow_tf32`` (default False) lets float32 matrix products use TF32
tensor cores; ``tessera.backends.cudnn.allow_tf32`` (default True) does the same for float32
convolutions (tessera's own im2col + cuBLASLt kernels: there is no cuDNN, the name follows torch).
"""
from . import cuda, cudnn  # noqa: F401

__all__ = ["cuda", "cudnn"]

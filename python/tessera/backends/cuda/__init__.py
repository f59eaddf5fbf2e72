"""tessera.backends.cuda: ``matmul.allow_tf32`` and the reduced-precision reduction switches of
the cuBLASLt GEMMs (torch.backends.cuda.matmul)."""
from ... import _C

__all__ = ["matmul", "is_built"]


def is_built():
    """Whether tessera was built with the CUDA backend (torch.backends.cuda.is_built)."""
    return _C._cuda_is_compiled()


class _MatmulFlags:
    """Attribute access to the C++ flags the GEMM kernels read on every call."""

    _FLAGS = {
        "allow_tf32": (_C._get_matmul_allow_tf32, _C._set_matmul_allow_tf32),
        "allow_fp16_reduced_precision_reduction": (_C._get_matmul_allow_fp16_reduced_precision_reduction,
                                                   _C._set_matmul_allow_fp16_reduced_precision_reduction),
        "allow_bf16_reduced_precision_reduction": (_C._get_matmul_allow_bf16_reduced_precision_reduction,
                                                   _C._set_matmul_allow_bf16_reduced_precision_reduction),
    }

    def __getattr__(self, name):
        if name in _MatmulFlags._FLAGS:
            return _MatmulFlags._FLAGS[name][0]()
        raise AttributeError(f"Unknown attribute {name}")

    def __setattr__(self, name, value):
        if name not in _MatmulFlags._FLAGS:
            raise AttributeError(f"Unknown attribute {name}")
        _MatmulFlags._FLAGS[name][1](bool(value))

    def __repr__(self):
        return "matmul(" + ", ".join(f"{k}={getattr(self, k)}" for k in _MatmulFlags._FLAGS) + ")"


matmul = _MatmulFlags()

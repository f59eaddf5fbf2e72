"""torch.nn.functional-style wrappers over tessera ops.

One function per block; new functions are appended at the end of the file."""
import tessera as _ts


def relu(input, inplace=False):
    return _ts.relu_(input) if inplace else _ts.relu(input)


def relu_(input):
    return _ts.relu_(input)


def gelu(input, approximate="none"):
    return _ts.gelu(input, approximate=approximate)


def silu(input, inplace=False):
    return _ts.silu_(input) if inplace else _ts.silu(input)


def softplus(input, beta=1.0, threshold=20.0):
    return _ts.softplus(input, beta, threshold)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return _ts.leaky_relu_(input, negative_slope) if inplace else _ts.leaky_relu(input, negative_slope)


def leaky_relu_(input, negative_slope=0.01):
    return _ts.leaky_relu_(input, negative_slope)


def elu(input, alpha=1.0, inplace=False):
    return _ts.elu_(input, alpha) if inplace else _ts.elu(input, alpha)


def elu_(input, alpha=1.0):
    return _ts.elu_(input, alpha)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    return _ts.hardtanh_(input, min_val, max_val) if inplace else _ts.hardtanh(input, min_val, max_val)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return _ts.hardtanh_(input, min_val, max_val)


def sigmoid(input):
    return _ts.sigmoid(input)


def tanh(input):
    return _ts.tanh(input)


# Linear algebra, normalisation, losses, attention, convolution, padding (functional_nn.py).
from .functional_nn import *  # noqa: E402,F401,F403
from .functional_nn import _linear_gelu  # noqa: E402,F401  (fused linear + gelu, not in torch)

# Multi-head attention (functional_attention.py).
from .functional_attention import multi_head_attention_forward  # noqa: E402,F401

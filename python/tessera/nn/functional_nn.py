"""torch.nn.functional-style wrappers over tessera's NN kernels (tessera._C and tessera._C._nn).

tessera/nn/functional.py re-exports everything here (``from .functional_nn import *``)."""
import math
import warnings

from .. import _C

__all__ = [
    "linear", "softmax", "log_softmax", "layer_norm", "rms_norm", "embedding", "dropout", "conv2d",
    "cross_entropy", "nll_loss", "mse_loss", "one_hot", "scaled_dot_product_attention", "pad",
]

_nn = _C._nn


def _reduction(size_average, reduce, reduction):
    """The legacy size_average/reduce pair mapped to a reduction string, as torch does."""
    if size_average is None and reduce is None:
        return reduction
    warnings.warn("size_average and reduce args will be deprecated, please use reduction='...' instead.")
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def linear(input, weight, bias=None):
    return _nn.linear(input, weight, bias)


def _linear_gelu(input, weight, bias=None, approximate="none"):
    """gelu(linear(input, weight, bias), approximate) in one op (not in torch): on CUDA with
    approximate='tanh' and a bias the GEMM applies bias and gelu in its epilogue. Same values and
    gradients as the two ops (up to rounding), same autograd graph."""
    return _nn._linear_gelu(input, weight, bias, approximate)


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        # torch's implicit-dim rule (deprecated there): 0 for 0-, 1- and 3-D inputs, else 1
        warnings.warn("Implicit dimension choice for softmax has been deprecated. "
                      "Change the call to include dim=X as an argument.", stacklevel=_stacklevel)
        dim = 0 if input.dim() in (0, 1, 3) else 1
    return _C.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        warnings.warn("Implicit dimension choice for log_softmax has been deprecated. "
                      "Change the call to include dim=X as an argument.", stacklevel=_stacklevel)
        dim = 0 if input.dim() in (0, 1, 3) else 1
    return _C.log_softmax(input, dim, dtype=dtype)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    return _C.layer_norm(input, normalized_shape, weight, bias, eps)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    return _C.rms_norm(input, normalized_shape, weight, eps)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    if max_norm is not None:
        raise NotImplementedError("[embedding] max_norm is not supported yet")
    if padding_idx is not None:
        n = weight.shape[0] if weight.dim() >= 1 else 0
        if padding_idx > 0:
            assert padding_idx < n, "[embedding] Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -n, "[embedding] Padding_idx must be within num_embeddings"
            padding_idx = n + padding_idx
    else:
        padding_idx = -1
    return _C.embedding(weight, input, padding_idx, scale_grad_by_freq, sparse)


def dropout(input, p=0.5, training=True, inplace=False):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"[dropout] dropout probability has to be between 0 and 1, but got {p}")
    if p == 0.0 or not training:
        return input  # torch returns the input itself here (no copy, no graph node)
    out = _C.dropout(input, p, training)
    if inplace and out is not input:
        input.copy_(out)
        return input
    return out


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _C.conv2d(input, weight, bias, stride, padding, dilation, groups)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    return _nn.cross_entropy_loss(input, target, weight, ignore_index, _reduction(size_average, reduce, reduction),
                                  label_smoothing)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    return _nn.nll_loss(input, target, weight, ignore_index, _reduction(size_average, reduce, reduction))


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    if weight is not None:
        raise NotImplementedError("[mse_loss] weight is not supported yet")
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"Using a target size ({tuple(target.shape)}) that is different to the input size "
                      f"({tuple(input.shape)}). This will likely lead to incorrect results due to broadcasting. "
                      "Please ensure they have the same size.", stacklevel=2)
    return _nn.mse_loss(input, target, _reduction(size_average, reduce, reduction))


def one_hot(tensor, num_classes=-1):
    return _nn.one_hot(tensor, num_classes)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    return _nn.scaled_dot_product_attention(query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa)


def pad(input, pad, mode="constant", value=None):
    return _nn.pad(input, pad, mode, value)


del math

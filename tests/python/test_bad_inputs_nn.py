"""Wrong calls to the linalg / NN ops: the same exception type as PyTorch (checked against torch
itself for every case), a message naming the op, and no crash."""
import pytest
import torch
import torch.nn.functional as F

import tessera as ts
from helpers import to_ts
from tessera.nn import functional_nn as TF

T = torch.tensor


def r(*shape, dtype=torch.float32):
    return torch.rand(shape, dtype=torch.float64).to(dtype)


def long(*vals):
    return T(list(vals), dtype=torch.long)


# (id, op name in the message, torch call, tessera call); each call gets the module (torch/F or ts/TF)
# and a converter (identity for torch, to_ts for tessera) so both sides run the same wrong call.
CASES = [
    ("mm_shape", "mm", lambda m, f, c: m.mm(c(r(2, 3)), c(r(4, 5)))),
    ("mm_dtype", "mm", lambda m, f, c: m.mm(c(r(2, 3)), c(r(3, 5, dtype=torch.float64)))),
    ("mm_1d", "mm", lambda m, f, c: m.mm(c(r(3)), c(r(3, 3)))),
    ("mm_bool", "mm", lambda m, f, c: m.mm(c(r(2, 2) > 0.5), c(r(2, 2) > 0.5))),
    ("bmm_batch", "bmm", lambda m, f, c: m.bmm(c(r(2, 3, 4)), c(r(3, 4, 5)))),
    ("bmm_2d", "bmm", lambda m, f, c: m.bmm(c(r(3, 4)), c(r(3, 4, 5)))),
    ("bmm_inner", "bmm", lambda m, f, c: m.bmm(c(r(2, 3, 4)), c(r(2, 5, 5)))),
    ("matmul_0d", "matmul", lambda m, f, c: m.matmul(c(T(1.0)), c(r(3)))),
    ("matmul_inner", "matmul", lambda m, f, c: m.matmul(c(r(2, 3, 4)), c(r(5, 6)))),
    ("matmul_batch", "matmul", lambda m, f, c: m.matmul(c(r(2, 3, 4)), c(r(3, 4, 6)))),
    ("matmul_vec", "matmul", lambda m, f, c: m.matmul(c(r(3)), c(r(4)))),
    ("matmul_dtype", "matmul", lambda m, f, c: m.matmul(c(r(2, 3)), c(r(3, dtype=torch.float64)))),
    ("dot_2d", "dot", lambda m, f, c: m.dot(c(r(3, 1)), c(r(3)))),
    ("dot_size", "dot", lambda m, f, c: m.dot(c(r(3)), c(r(4)))),
    ("dot_dtype", "dot", lambda m, f, c: m.dot(c(r(3)), c(r(3, dtype=torch.float64)))),
    ("outer_2d", "outer", lambda m, f, c: m.outer(c(r(2, 2)), c(r(3)))),
    ("addmm_input", "addmm", lambda m, f, c: m.addmm(c(r(3, 3)), c(r(2, 3)), c(r(3, 4)))),
    ("addmm_shape", "addmm", lambda m, f, c: m.addmm(c(r(2, 4)), c(r(2, 3)), c(r(2, 4)))),
    ("baddbmm_input", "baddbmm", lambda m, f, c: m.baddbmm(c(r(2, 3, 5)), c(r(2, 3, 4)), c(r(2, 4, 6)))),
    ("linear_weight", "linear", lambda m, f, c: f.linear(c(r(2, 3)), c(r(4, 5)))),
    ("linear_bias", "linear", lambda m, f, c: f.linear(c(r(2, 3)), c(r(4, 3)), c(r(5)))),
    ("softmax_int", "softmax", lambda m, f, c: m.softmax(c(long(1, 2)), 0)),
    ("softmax_dim", "softmax", lambda m, f, c: m.softmax(c(r(2, 3)), 3)),
    ("log_softmax_int", "log_softmax", lambda m, f, c: f.log_softmax(c(long(1, 2)), 0)),
    ("layer_norm_shape", "layer_norm", lambda m, f, c: f.layer_norm(c(r(4, 5)), (4,))),
    ("layer_norm_weight", "layer_norm", lambda m, f, c: f.layer_norm(c(r(4, 5)), (5,), weight=c(r(4)))),
    ("layer_norm_empty_shape", "layer_norm", lambda m, f, c: f.layer_norm(c(r(4, 5)), [])),
    ("layer_norm_int", "layer_norm", lambda m, f, c: f.layer_norm(c(long(1, 2)), (2,))),
    ("rms_norm_shape", "rms_norm", lambda m, f, c: f.rms_norm(c(r(4, 5)), (3,))),
    ("rms_norm_weight", "rms_norm", lambda m, f, c: f.rms_norm(c(r(2, 3)), (3,), weight=c(r(4)))),
    ("ce_target_range", "cross_entropy", lambda m, f, c: f.cross_entropy(c(r(4, 5)), c(long(0, 1, 2, 7)))),
    ("ce_target_negative", "cross_entropy", lambda m, f, c: f.cross_entropy(c(r(4, 5)), c(long(0, 1, -3, 2)))),
    ("ce_target_float", "cross_entropy", lambda m, f, c: f.cross_entropy(c(r(4, 5)), c(r(4)))),
    ("ce_target_int32", "cross_entropy",
     lambda m, f, c: f.cross_entropy(c(r(4, 5)), c(T([0, 1, 2, 3], dtype=torch.int32)))),
    ("ce_batch", "cross_entropy", lambda m, f, c: f.cross_entropy(c(r(4, 5)), c(long(0, 1, 2)))),
    ("ce_reduction", "cross_entropy", lambda m, f, c: f.cross_entropy(c(r(4, 5)), c(long(0, 1, 2, 3)), reduction="foo")),
    ("ce_weight", "cross_entropy",
     lambda m, f, c: f.cross_entropy(c(r(4, 5)), c(long(0, 1, 2, 3)), weight=c(r(3)))),
    ("ce_prob_long", "cross_entropy", lambda m, f, c: f.cross_entropy(c(r(4, 5)), c(torch.zeros(4, 5, dtype=torch.long)))),
    ("ce_prob_ignore", "cross_entropy", lambda m, f, c: f.cross_entropy(c(r(4, 5)), c(r(4, 5)), ignore_index=3)),
    ("ce_smoothing", "cross_entropy",
     lambda m, f, c: f.cross_entropy(c(r(4, 5)), c(long(0, 1, 2, 3)), label_smoothing=1.5)),
    ("ce_int_input", "cross_entropy",
     lambda m, f, c: f.cross_entropy(c(torch.ones(3, 4, dtype=torch.long)), c(long(1, 2, 3)))),
    ("ce_spatial", "cross_entropy",
     lambda m, f, c: f.cross_entropy(c(r(2, 3, 4, 5)), c(torch.zeros(2, 4, 6, dtype=torch.long)))),
    ("nll_range", "nll_loss", lambda m, f, c: f.nll_loss(c(r(3, 4)), c(long(1, 2, 5)))),
    ("nll_reduction", "nll_loss", lambda m, f, c: f.nll_loss(c(r(3, 4)), c(long(1, 2, 3)), reduction="avg")),
    ("mse_reduction", "mse_loss", lambda m, f, c: f.mse_loss(c(r(3)), c(r(3)), reduction="bad")),
    ("mse_shape", "mse_loss", lambda m, f, c: f.mse_loss(c(r(4, 5)), c(r(3, 5)))),
    ("mse_int", "mse_loss", lambda m, f, c: f.mse_loss(c(long(1, 2)), c(long(1, 2)))),
    ("embedding_range", "embedding", lambda m, f, c: f.embedding(c(long(0, 9)), c(r(5, 3)))),
    ("embedding_negative", "embedding", lambda m, f, c: f.embedding(c(long(-1)), c(r(5, 3)))),
    ("embedding_float_idx", "embedding", lambda m, f, c: f.embedding(c(T([0.0, 1.0])), c(r(5, 3)))),
    ("embedding_weight_1d", "embedding", lambda m, f, c: f.embedding(c(long(0, 1)), c(r(5)))),
    ("embedding_padding_idx", "embedding", lambda m, f, c: f.embedding(c(long(0, 1)), c(r(5, 3)), padding_idx=7)),
    ("dropout_p_high", "dropout", lambda m, f, c: f.dropout(c(r(3)), 1.5)),
    ("dropout_p_negative", "dropout", lambda m, f, c: f.dropout(c(r(3)), -0.1)),
    ("torch_dropout_p", "dropout", lambda m, f, c: m.dropout(c(r(3)), 1.5, True)),
    ("one_hot_negative", "one_hot", lambda m, f, c: f.one_hot(c(long(-1, 2)))),
    ("one_hot_too_big", "one_hot", lambda m, f, c: f.one_hot(c(long(1, 2)), 2)),
    ("one_hot_float", "one_hot", lambda m, f, c: f.one_hot(c(T([1.0, 2.0])))),
    ("one_hot_empty", "one_hot", lambda m, f, c: f.one_hot(c(torch.zeros(0, dtype=torch.long)))),
    ("pad_odd", "pad", lambda m, f, c: f.pad(c(r(4, 5)), (1, 2, 3))),
    ("pad_too_long", "pad", lambda m, f, c: f.pad(c(r(4, 5)), (1, 1, 1, 1, 1, 1))),
    ("pad_reflect_size", "pad", lambda m, f, c: f.pad(c(r(1, 4, 5)), (5, 5), mode="reflect")),
    ("pad_mode", "pad", lambda m, f, c: f.pad(c(r(4, 5)), (1, 1), mode="foo")),
    ("pad_reflect_dims", "pad", lambda m, f, c: f.pad(c(r(4, 5)), (1, 1, 1, 1), mode="reflect")),
    ("pad_reflect_value", "pad", lambda m, f, c: f.pad(c(r(2, 4, 5)), (1, 1), mode="reflect", value=2.0)),
    ("conv_channels", "conv2d", lambda m, f, c: f.conv2d(c(r(2, 4, 8, 8)), c(r(5, 3, 3, 3)))),
    ("conv_groups", "conv2d", lambda m, f, c: f.conv2d(c(r(2, 4, 8, 8)), c(r(5, 2, 3, 3)), groups=2)),
    ("conv_input_dims", "conv2d", lambda m, f, c: f.conv2d(c(r(2, 3)), c(r(5, 3, 3, 3)))),
    ("conv_stride", "conv2d", lambda m, f, c: f.conv2d(c(r(2, 4, 8, 8)), c(r(5, 4, 3, 3)), stride=0)),
    ("conv_padding", "conv2d", lambda m, f, c: f.conv2d(c(r(2, 4, 8, 8)), c(r(5, 4, 3, 3)), padding=-1)),
    ("conv_same_strided", "conv2d",
     lambda m, f, c: f.conv2d(c(r(2, 4, 8, 8)), c(r(5, 4, 3, 3)), padding="same", stride=2)),
    ("conv_kernel_big", "conv2d", lambda m, f, c: f.conv2d(c(r(2, 4, 8, 8)), c(r(5, 4, 9, 9)))),
    ("conv_bias", "conv2d", lambda m, f, c: f.conv2d(c(r(2, 4, 8, 8)), c(r(5, 4, 3, 3)), c(r(4)))),
    ("conv_dtype", "conv2d", lambda m, f, c: f.conv2d(c(r(2, 4, 8, 8)), c(r(5, 4, 3, 3, dtype=torch.float64)))),
    ("conv_groups_zero", "conv2d", lambda m, f, c: f.conv2d(c(r(2, 4, 8, 8)), c(r(5, 4, 3, 3)), groups=0)),
    ("conv_dilation", "conv2d", lambda m, f, c: f.conv2d(c(r(2, 4, 8, 8)), c(r(5, 4, 3, 3)), dilation=0)),
    ("sdpa_causal_mask", "scaled_dot_product_attention",
     lambda m, f, c: f.scaled_dot_product_attention(c(r(2, 3, 4)), c(r(2, 3, 4)), c(r(2, 3, 4)),
                                                    attn_mask=c(torch.ones(3, 3, dtype=torch.bool)), is_causal=True)),
    ("sdpa_dtype", "scaled_dot_product_attention",
     lambda m, f, c: f.scaled_dot_product_attention(c(r(2, 3, 4)), c(r(2, 3, 4, dtype=torch.float64)), c(r(2, 3, 4)))),
    ("sdpa_mask_dtype", "scaled_dot_product_attention",
     lambda m, f, c: f.scaled_dot_product_attention(c(r(2, 3, 4)), c(r(2, 3, 4)), c(r(2, 3, 4)),
                                                    attn_mask=c(torch.ones(3, 3, dtype=torch.long)))),
    ("sdpa_gqa_heads", "scaled_dot_product_attention",
     lambda m, f, c: f.scaled_dot_product_attention(c(r(2, 6, 5, 8)), c(r(2, 4, 5, 8)), c(r(2, 4, 5, 8)),
                                                    enable_gqa=True)),
    ("sdpa_mask_shape", "scaled_dot_product_attention",
     lambda m, f, c: f.scaled_dot_product_attention(c(r(2, 3, 4)), c(r(2, 3, 4)), c(r(2, 3, 4)),
                                                    attn_mask=c(r(5, 3)))),
]


def torch_conv(t):
    return t


@pytest.mark.filterwarnings("ignore:Using a target size")
@pytest.mark.parametrize("name,op,call", CASES, ids=[c[0] for c in CASES])
def test_bad_input(name, op, call):
    with pytest.raises(Exception) as torch_exc:
        call(torch, F, torch_conv)
    expected_type = torch_exc.type
    with pytest.raises(expected_type, match=r"\[" + op + r"\]"):
        call(ts, TF, to_ts)


def test_case_count():
    assert len(CASES) >= 35

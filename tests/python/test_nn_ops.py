"""NN ops against torch / torch.nn.functional: softmax family, norms, losses, embedding, dropout
(statistically), one_hot, scaled_dot_product_attention, conv2d and pad."""
import pytest
import torch
import torch.nn.functional as F

import tessera as ts
from helpers import assert_close, rand, to_ts
from tessera.nn import functional_nn as TF

FLOATS = [torch.float32, torch.float64, torch.float16, torch.bfloat16]
LOOSE = {
    torch.float32: dict(rtol=1e-5, atol=1e-5), torch.float64: dict(rtol=1e-10, atol=1e-10),
    torch.float16: dict(rtol=5e-3, atol=5e-3), torch.bfloat16: dict(rtol=3e-2, atol=3e-2),
}


def tol(dt):
    return LOOSE[dt]


def opt(t, **kw):
    return None if t is None else to_ts(t, **kw)


# ---------------------------------------------------------------- softmax / log_softmax
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape,dim", [((7,), 0), ((4, 9), -1), ((4, 9), 0), ((2, 3, 5), 1), ((3, 1, 4), 1),
                                       ((2, 300, 3), 1), ((), 0), ((0, 4), 1)])
def test_softmax_log_softmax(seed, dtype, shape, dim):
    x = rand(shape, dtype, -8, 8)
    assert_close(ts.softmax(to_ts(x), dim), torch.softmax(x, dim), **tol(dtype))
    assert_close(ts.log_softmax(to_ts(x), dim), torch.log_softmax(x, dim), **tol(dtype))
    assert_close(to_ts(x).softmax(dim), x.softmax(dim), **tol(dtype))
    assert_close(TF.log_softmax(to_ts(x), dim=dim), F.log_softmax(x, dim=dim), **tol(dtype))


def test_softmax_dtype_arg_noncontig_and_large_values(seed):
    x = rand((5, 6), torch.float32) * 1000  # max subtraction keeps this finite
    assert_close(ts.softmax(to_ts(x, noncontig=True), 1), torch.softmax(x, 1), **tol(torch.float32))
    assert_close(ts.log_softmax(to_ts(x), 1), torch.log_softmax(x, 1), rtol=1e-5, atol=1e-3)
    xi = rand((4, 5), torch.int64)
    assert_close(ts.softmax(to_ts(xi), 1, dtype=ts.float64), torch.softmax(xi, 1, dtype=torch.float64))
    xh = rand((4, 5), torch.float16)
    assert_close(ts.log_softmax(to_ts(xh), 0, dtype=ts.float32), torch.log_softmax(xh, 0, dtype=torch.float32),
                 **tol(torch.float32))
    xinf = torch.tensor([[float("-inf"), 1.0, 2.0], [0.5, float("-inf"), float("-inf")]])
    assert_close(ts.softmax(to_ts(xinf), 1), torch.softmax(xinf, 1))


# ---------------------------------------------------------------- layer_norm / rms_norm
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape,norm", [((4, 8), (8,)), ((2, 3, 5), (3, 5)), ((6,), (6,)), ((0, 4), (4,))])
@pytest.mark.parametrize("affine", [False, True])
def test_layer_norm(seed, dtype, shape, norm, affine):
    x = rand(shape, dtype)
    w = rand(norm, dtype) if affine else None
    b = rand(norm, dtype) if affine else None
    expected = F.layer_norm(x, norm, w, b, eps=1e-5)
    assert_close(TF.layer_norm(to_ts(x, noncontig=True), norm, opt(w), opt(b)), expected, **tol(dtype))
    assert_close(ts.layer_norm(to_ts(x), list(norm), opt(w), opt(b), 1e-3), F.layer_norm(x, norm, w, b, eps=1e-3),
                 **tol(dtype))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("affine", [False, True])
@pytest.mark.parametrize("eps", [None, 1e-4])
def test_rms_norm(seed, dtype, affine, eps):
    x = rand((3, 4, 16), dtype)
    w = rand((16,), dtype) if affine else None
    expected = F.rms_norm(x, (16,), w, eps)
    assert_close(TF.rms_norm(to_ts(x), (16,), opt(w), eps), expected, **tol(dtype))
    assert_close(ts.rms_norm(to_ts(x, noncontig=True), 16, opt(w), eps), expected, **tol(dtype))
    expected2 = F.rms_norm(x, (4, 16), None, eps)
    assert_close(TF.rms_norm(to_ts(x), (4, 16), None, eps), expected2, **tol(dtype))


# ---------------------------------------------------------------- cross_entropy / nll_loss
def class_targets(shape, c, ignore=None):
    t = torch.randint(0, c, shape)
    if ignore is not None and t.numel() > 1:
        t.view(-1)[::3] = ignore
    return t


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(6, 5), (3, 4, 2, 3), (5,)])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ls", [0.0, 0.2])
def test_cross_entropy_class_index(seed, dtype, reduction, shape, weighted, ls):
    x = rand(shape, dtype)
    c = shape[0] if len(shape) == 1 else shape[1]
    tshape = () if len(shape) == 1 else (shape[0],) + shape[2:]
    t = class_targets(tshape, c)
    w = rand((c,), dtype, 0.1, 2.0) if weighted else None
    expected = F.cross_entropy(x, t, weight=w, reduction=reduction, label_smoothing=ls)
    got = TF.cross_entropy(to_ts(x), to_ts(t), weight=opt(w), reduction=reduction, label_smoothing=ls)
    assert_close(got, expected, **tol(dtype))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("ls", [0.0, 0.1])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_ignore_index(seed, reduction, ls, weighted):
    x = rand((8, 4, 3))
    t = class_targets((8, 3), 4, ignore=-100)
    w = rand((4,), torch.float32, 0.1, 2.0) if weighted else None
    expected = F.cross_entropy(x, t, weight=w, reduction=reduction, label_smoothing=ls)
    assert_close(TF.cross_entropy(to_ts(x, noncontig=True), to_ts(t), weight=opt(w), reduction=reduction,
                                  label_smoothing=ls), expected, **tol(torch.float32))
    t2 = class_targets((8, 3), 4, ignore=2)
    expected = F.cross_entropy(x, t2, weight=w, ignore_index=2, reduction=reduction, label_smoothing=ls)
    assert_close(TF.cross_entropy(to_ts(x), to_ts(t2), weight=opt(w), ignore_index=2, reduction=reduction,
                                  label_smoothing=ls), expected, **tol(torch.float32))


def test_cross_entropy_uint8_target_and_all_ignored(seed):
    x = rand((4, 3))
    t = torch.randint(0, 3, (4,), dtype=torch.uint8)
    assert_close(TF.cross_entropy(to_ts(x), to_ts(t)), F.cross_entropy(x, t), **tol(torch.float32))
    t = torch.full((4,), -100, dtype=torch.long)
    assert_close(TF.cross_entropy(to_ts(x), to_ts(t)), F.cross_entropy(x, t))  # nan, as torch


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 4), (6,)])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ls", [0.0, 0.3])
def test_cross_entropy_probabilities(seed, dtype, reduction, shape, weighted, ls):
    x = rand(shape, dtype)
    cdim = 0 if len(shape) == 1 else 1
    t = torch.softmax(rand(shape, dtype), cdim)
    w = rand((shape[cdim],), dtype, 0.1, 2.0) if weighted else None
    expected = F.cross_entropy(x, t, weight=w, reduction=reduction, label_smoothing=ls)
    assert_close(TF.cross_entropy(to_ts(x), to_ts(t, noncontig=True), weight=opt(w), reduction=reduction,
                                  label_smoothing=ls), expected, **tol(dtype))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss(seed, reduction, weighted):
    x = torch.log_softmax(rand((6, 5, 2)), 1)
    t = class_targets((6, 2), 5, ignore=-100)
    w = rand((5,), torch.float32, 0.1, 2.0) if weighted else None
    expected = F.nll_loss(x, t, weight=w, reduction=reduction)
    assert_close(TF.nll_loss(to_ts(x), to_ts(t), weight=opt(w), reduction=reduction), expected, **tol(torch.float32))
    x1, t1 = torch.log_softmax(rand((5,)), 0), torch.tensor(3)
    assert_close(TF.nll_loss(to_ts(x1), to_ts(t1), reduction=reduction), F.nll_loss(x1, t1, reduction=reduction))


# ---------------------------------------------------------------- mse_loss
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss(seed, dtype, reduction):
    a, b = rand((4, 5), dtype), rand((4, 5), dtype)
    tl = dict(rtol=2e-2, atol=1e-1) if dtype in (torch.float16, torch.bfloat16) and reduction == "sum" else tol(dtype)
    assert_close(TF.mse_loss(to_ts(a, noncontig=True), to_ts(b), reduction=reduction),
                 F.mse_loss(a, b, reduction=reduction), **tl)


def test_mse_loss_broadcast_promote_empty(seed):
    a, b = rand((4, 5)), rand((5,), torch.float64)
    with pytest.warns(UserWarning):
        got = TF.mse_loss(to_ts(a), to_ts(b))
    with pytest.warns(UserWarning):
        expected = F.mse_loss(a, b)
    assert_close(got, expected)
    e = rand((0, 3))
    assert_close(TF.mse_loss(to_ts(e), to_ts(e)), F.mse_loss(e, e))
    assert_close(TF.mse_loss(to_ts(e), to_ts(e), reduction="sum"), F.mse_loss(e, e, reduction="sum"))


# ---------------------------------------------------------------- embedding / one_hot
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int64])
@pytest.mark.parametrize("idx_dtype", [torch.int64, torch.int32])
def test_embedding(seed, dtype, idx_dtype):
    w = rand((10, 4), dtype)
    idx = torch.randint(0, 10, (3, 5), dtype=idx_dtype)
    assert_close(TF.embedding(to_ts(idx), to_ts(w)), F.embedding(idx, w))
    assert_close(TF.embedding(to_ts(idx), to_ts(w, noncontig=True), padding_idx=0), F.embedding(idx, w, padding_idx=0))
    assert_close(ts.embedding(to_ts(w), to_ts(idx)), torch.embedding(w, idx))
    e = torch.zeros((0,), dtype=idx_dtype)
    assert_close(TF.embedding(to_ts(e), to_ts(w)), F.embedding(e, w))
    s = torch.tensor(7, dtype=idx_dtype)
    assert_close(TF.embedding(to_ts(s), to_ts(w)), F.embedding(s, w))


@pytest.mark.parametrize("num_classes", [-1, 7])
def test_one_hot(seed, num_classes):
    t = torch.randint(0, 5, (3, 4))
    assert_close(TF.one_hot(to_ts(t), num_classes), F.one_hot(t, num_classes))
    assert_close(TF.one_hot(to_ts(t, noncontig=True), num_classes), F.one_hot(t, num_classes))
    s = torch.tensor(2)
    assert_close(TF.one_hot(to_ts(s), num_classes), F.one_hot(s, num_classes))
    e = torch.zeros((0,), dtype=torch.long)
    assert_close(TF.one_hot(to_ts(e), 3), F.one_hot(e, 3))


# ---------------------------------------------------------------- dropout (statistical)
@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_statistics(seed, p):
    ts.manual_seed(seed)
    x = rand((200, 100), torch.float32, 1.0, 2.0)  # no zeros in the input
    y = to_torch_np(TF.dropout(to_ts(x), p=p))
    zeros = (y == 0).float().mean().item()
    # 20000 Bernoulli draws: 5 sigma is below 0.018
    assert abs(zeros - p) < 5 * (p * (1 - p) / x.numel()) ** 0.5 + 1e-3
    kept = y != 0
    torch.testing.assert_close(y[kept], x[kept] / (1 - p))


def test_dropout_edges_and_determinism(seed):
    x = rand((50, 40))
    assert_close(TF.dropout(to_ts(x), p=0.0), x)
    assert_close(TF.dropout(to_ts(x), p=1.0), torch.zeros_like(x))
    assert_close(TF.dropout(to_ts(x), p=0.7, training=False), x)
    assert_close(ts.dropout(to_ts(x, noncontig=True), 0.0, True), x)
    ts.manual_seed(seed)
    a = to_torch_np(TF.dropout(to_ts(x), p=0.5))
    ts.manual_seed(seed)
    b = to_torch_np(TF.dropout(to_ts(x), p=0.5))
    torch.testing.assert_close(a, b)
    y = to_torch_np(TF.dropout(to_ts(x, noncontig=True), p=0.5))
    kept = y != 0
    torch.testing.assert_close(y[kept], x[kept] * 2)
    h = rand((64, 64), torch.bfloat16, 1.0, 2.0)
    yh = to_torch_np(TF.dropout(to_ts(h), p=0.25)).float()
    kh = yh != 0
    torch.testing.assert_close(yh[kh], (h.float()[kh] / 0.75).bfloat16().float())


def to_torch_np(x):
    from helpers import to_torch
    return to_torch(x)


# ---------------------------------------------------------------- scaled_dot_product_attention
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("lq,s", [(5, 5), (3, 7), (6, 4)])
def test_sdpa(seed, dtype, causal, lq, s):
    q, k, v = rand((2, 3, lq, 8), dtype), rand((2, 3, s, 8), dtype), rand((2, 3, s, 6), dtype)
    expected = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
    got = TF.scaled_dot_product_attention(to_ts(q), to_ts(k, noncontig=True), to_ts(v), is_causal=causal)
    assert_close(got, expected, **tol(dtype))
    expected = F.scaled_dot_product_attention(q, k, v, is_causal=causal, scale=0.3)
    assert_close(TF.scaled_dot_product_attention(to_ts(q), to_ts(k), to_ts(v), is_causal=causal, scale=0.3), expected,
                 **tol(dtype))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_sdpa_masks_and_broadcast(seed, dtype):
    q, k, v = rand((2, 4, 5, 8), dtype), rand((2, 4, 6, 8), dtype), rand((2, 4, 6, 3), dtype)
    bmask = torch.rand(5, 6) > 0.3
    bmask[:, 0] = True  # no fully masked row
    assert_close(TF.scaled_dot_product_attention(to_ts(q), to_ts(k), to_ts(v), attn_mask=to_ts(bmask)),
                 F.scaled_dot_product_attention(q, k, v, attn_mask=bmask), **tol(dtype))
    fmask = rand((2, 1, 5, 6), dtype)
    assert_close(TF.scaled_dot_product_attention(to_ts(q), to_ts(k), to_ts(v), attn_mask=to_ts(fmask)),
                 F.scaled_dot_product_attention(q, k, v, attn_mask=fmask), **tol(dtype))
    # unbatched 3-D, key/value batch broadcast against the query
    q3, k3, v3 = rand((3, 5, 8), dtype), rand((1, 7, 8), dtype), rand((1, 7, 4), dtype)
    assert_close(TF.scaled_dot_product_attention(to_ts(q3), to_ts(k3), to_ts(v3)),
                 F.scaled_dot_product_attention(q3, k3, v3), **tol(dtype))


def test_sdpa_bfloat16(seed):
    q, k, v = rand((2, 2, 4, 8), torch.bfloat16), rand((2, 2, 4, 8), torch.bfloat16), rand((2, 2, 4, 8), torch.bfloat16)
    expected = F.scaled_dot_product_attention(q.float(), k.float(), v.float(), is_causal=True).bfloat16()
    assert_close(TF.scaled_dot_product_attention(to_ts(q), to_ts(k), to_ts(v), is_causal=True), expected,
                 rtol=5e-2, atol=5e-2)


# ---------------------------------------------------------------- conv2d
CONV_CASES = [
    # (N, C, H, W), (O, C/g, kh, kw), stride, padding, dilation, groups
    ((2, 3, 9, 8), (4, 3, 3, 3), 1, 0, 1, 1),
    ((2, 3, 9, 8), (4, 3, 3, 2), 2, 1, 1, 1),
    ((1, 4, 10, 11), (6, 2, 3, 3), (2, 1), (1, 2), (2, 1), 2),
    ((2, 4, 7, 7), (4, 1, 3, 3), 1, 1, 1, 4),  # depthwise
    ((3, 5, 6, 6), (7, 5, 1, 1), 1, 0, 1, 1),  # 1x1 fast path
    ((2, 3, 8, 8), (4, 3, 4, 4), 1, "same", 1, 1),
    ((2, 3, 8, 8), (4, 3, 3, 3), 1, "same", 2, 1),
    ((2, 3, 8, 8), (4, 3, 3, 3), 1, "valid", 1, 1),
    ((6, 5, 7), (4, 6, 3, 3), 1, 1, 1, 1),  # unbatched
    ((0, 3, 6, 6), (4, 3, 3, 3), 1, 0, 1, 1),  # empty batch
]


@pytest.mark.filterwarnings("ignore:Using padding=.same.")
@pytest.mark.parametrize("xs,ws,stride,padding,dilation,groups", CONV_CASES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("with_bias", [False, True])
def test_conv2d(seed, xs, ws, stride, padding, dilation, groups, dtype, with_bias):
    x, w = rand(xs, dtype), rand(ws, dtype)
    b = rand((ws[0],), dtype) if with_bias else None
    expected = F.conv2d(x, w, b, stride, padding, dilation, groups)
    got = TF.conv2d(to_ts(x, noncontig=True), to_ts(w), opt(b), stride, padding, dilation, groups)
    assert_close(got, expected, rtol=1e-4, atol=1e-4)
    assert_close(ts.conv2d(to_ts(x), to_ts(w), opt(b), stride=stride, padding=padding, dilation=dilation,
                           groups=groups), expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_conv2d_half(seed, dtype):
    x, w, b = rand((2, 3, 6, 6), dtype, -1, 1), rand((4, 3, 3, 3), dtype, -1, 1), rand((4,), dtype)
    expected = F.conv2d(x.float(), w.float(), b.float(), padding=1).to(dtype)
    assert_close(TF.conv2d(to_ts(x), to_ts(w), to_ts(b), padding=1), expected, rtol=2e-2, atol=5e-2)


# ---------------------------------------------------------------- pad
@pytest.mark.parametrize("dtype", [torch.float32, torch.int64, torch.bool, torch.float16])
@pytest.mark.parametrize("pads", [(1, 2), (0, 0, 2, 1), (1, 1, 1, 1, 1, 1), (-1, 2), (2, -1, -1, 1), (0, 3)])
def test_pad_constant(seed, dtype, pads):
    x = rand((2, 3, 4), dtype)
    val = 1 if dtype == torch.bool else 2.5 if dtype.is_floating_point else 3
    assert_close(TF.pad(to_ts(x, noncontig=True), pads), F.pad(x, pads))
    assert_close(TF.pad(to_ts(x), pads, value=val), F.pad(x, pads, value=val))


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape,pads", [((2, 5), (2, 3)), ((2, 3, 6), (1, 2)), ((1, 3, 4, 5), (1, 2, 3, 0)),
                                        ((3, 4, 5), (2, 1, 0, 3)), ((1, 2, 3, 4, 5), (1, 1, 2, 0, 0, 2))])
def test_pad_modes(seed, mode, shape, pads):
    x = rand(shape)
    assert_close(TF.pad(to_ts(x, noncontig=True), pads, mode=mode), F.pad(x, pads, mode=mode))


def test_layer_norm_large_offset_rows(seed):
    # two-pass statistics: rows with a large mean keep their small variance
    x = rand((8, 257), torch.float32, -1, 1) + 1000
    assert_close(TF.layer_norm(to_ts(x), (257,)), F.layer_norm(x, (257,)), rtol=1e-3, atol=1e-3)
    x64 = x.double()
    assert_close(TF.layer_norm(to_ts(x64), (257,)), F.layer_norm(x64, (257,)), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("causal", [False, True])
def test_sdpa_gqa(seed, causal):
    q, k, v = rand((2, 6, 5, 8)), rand((2, 2, 7, 8)), rand((2, 2, 7, 4))
    expected = F.scaled_dot_product_attention(q, k, v, is_causal=causal, enable_gqa=True)
    got = TF.scaled_dot_product_attention(to_ts(q), to_ts(k), to_ts(v, noncontig=True), is_causal=causal,
                                          enable_gqa=True)
    assert_close(got, expected, **tol(torch.float32))

"""Backward formulas of the NN ops against PyTorch's gradients, finite differences (float64
gradcheck) and second derivatives (gradgradcheck)."""
import pytest
import torch
import torch.nn.functional as TF

import tessera as ts
import tessera.nn.functional as F
from helpers import assert_close, rand, to_torch, to_ts

DTYPES = [torch.float32, torch.float64]
# Gradients go through more rounding than forwards: float32 compares a little looser.
GTOL = {torch.float32: dict(rtol=1e-4, atol=1e-5), torch.float64: dict(rtol=1e-7, atol=1e-9)}


def leaf(t, noncontig=False):
    """(tessera leaf, torch leaf) with the same values, both requiring grad."""
    return to_ts(t, noncontig=noncontig).requires_grad_(), t.clone().requires_grad_()


def check_grads(out, tout, pairs, dtype, **tol):
    """Backward a random upstream gradient through both and compare the leaves' gradients."""
    tol = tol or GTOL[dtype]
    assert_close(out.detach(), tout.detach(), **tol)
    g = rand(tuple(tout.shape), tout.dtype)
    out.backward(to_ts(g))
    tout.backward(g)
    for x, tx in pairs:
        if tx.grad is None:
            assert x.grad is None
            continue
        assert x.grad is not None
        assert_close(x.grad, tx.grad, **tol)


def dleaf(shape, low=-2.0, high=2.0):
    return to_ts(rand(shape, torch.float64, low, high)).requires_grad_()


# ---------------------------------------------------------------- softmax / log_softmax
SOFTMAX_CASES = [((3, 7), -1), ((2, 5, 4), 1), ((2, 3, 4), 0), ((6,), 0), ((), 0), ((4, 300), 1), ((2, 0, 3), 1)]


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape,dim", SOFTMAX_CASES, ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_grads(seed, op, shape, dim, dtype):
    x, tx = leaf(rand(shape, dtype), noncontig=True)
    out, tout = getattr(F, op)(x, dim), getattr(TF, op)(tx, dim)
    assert out.grad_fn.name() == tout.grad_fn.name()
    check_grads(out, tout, [(x, tx)], dtype)


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_softmax_dtype_arg_grad_in_input_dtype(seed, op):
    x, tx = leaf(rand((3, 5), torch.float32))
    out, tout = getattr(ts, op)(x, 1, dtype=ts.float64), getattr(torch, op)(tx, 1, dtype=torch.float64)
    check_grads(out, tout, [(x, tx)], torch.float32)
    assert x.grad.dtype == ts.float32


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_softmax_half_grads(seed, op, dtype):
    x, tx = leaf(rand((4, 33), dtype))
    out, tout = getattr(ts, op)(x, -1), getattr(torch, op)(tx, -1)
    # The saved 16-bit output carries the rounding: log_softmax's g - exp(y) sum(g) amplifies it.
    check_grads(out, tout, [(x, tx)], dtype, rtol=2e-2, atol=2e-2 if dtype == torch.float16 else 1e-1)


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dim", [0, 1])
def test_softmax_gradcheck_gradgradcheck(seed, op, dim):
    x = dleaf((3, 4))
    fn = lambda t: getattr(ts, op)(t, dim)  # noqa: E731
    assert ts.autograd.gradcheck(fn, (x,))
    assert ts.autograd.gradgradcheck(fn, (x,))


def test_softmax_double_backward_matches_torch(seed):
    x, tx = leaf(rand((3, 5), torch.float64))
    gx, = ts.autograd.grad((ts.softmax(x, 1) * ts.log_softmax(x, 1)).sum(), x, create_graph=True)
    tgx, = torch.autograd.grad((torch.softmax(tx, 1) * torch.log_softmax(tx, 1)).sum(), tx, create_graph=True)
    (gx * gx).sum().backward()
    (tgx * tgx).sum().backward()
    assert_close(x.grad, tx.grad, **GTOL[torch.float64])


# ---------------------------------------------------------------- layer_norm / rms_norm
NORM_CASES = [((4, 6), (6,)), ((2, 3, 5), (3, 5)), ((5,), (5,)), ((2, 3, 40), (40,))]


@pytest.mark.parametrize("shape,nshape", NORM_CASES, ids=str)
@pytest.mark.parametrize("affine", ["none", "weight", "both"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_layer_norm_grads(seed, shape, nshape, affine, dtype):
    x, tx = leaf(rand(shape, dtype), noncontig=True)
    w, tw = leaf(rand(nshape, dtype)) if affine != "none" else (None, None)
    b, tb = leaf(rand(nshape, dtype)) if affine == "both" else (None, None)
    out, tout = F.layer_norm(x, nshape, w, b, 1e-5), TF.layer_norm(tx, nshape, tw, tb, 1e-5)
    pairs = [(x, tx)] + [(p, tp) for p, tp in ((w, tw), (b, tb)) if p is not None]
    check_grads(out, tout, pairs, dtype)


@pytest.mark.parametrize("shape,nshape", NORM_CASES, ids=str)
@pytest.mark.parametrize("weight", [False, True])
@pytest.mark.parametrize("eps", [None, 1e-3])
@pytest.mark.parametrize("dtype", DTYPES)
def test_rms_norm_grads(seed, shape, nshape, weight, eps, dtype):
    x, tx = leaf(rand(shape, dtype), noncontig=True)
    w, tw = leaf(rand(nshape, dtype)) if weight else (None, None)
    out, tout = F.rms_norm(x, nshape, w, eps), TF.rms_norm(tx, nshape, tw, eps)
    pairs = [(x, tx)] + ([(w, tw)] if weight else [])
    check_grads(out, tout, pairs, dtype)


def test_norm_only_parameter_grads(seed):
    x, tx = rand((3, 4), torch.float64), None
    w, tw = leaf(rand((4,), torch.float64))
    b, tb = leaf(rand((4,), torch.float64))
    out, tout = F.layer_norm(to_ts(x), (4,), w, b), TF.layer_norm(x, (4,), tw, tb)
    check_grads(out, tout, [(w, tw), (b, tb)], torch.float64)


def test_norm_gradcheck(seed):
    x, w, b = dleaf((3, 5)), dleaf((5,)), dleaf((5,))
    assert ts.autograd.gradcheck(lambda x, w, b: F.layer_norm(x, (5,), w, b), (x, w, b))
    assert ts.autograd.gradcheck(lambda x, w: F.rms_norm(x, (5,), w, 1e-4), (x, w))
    x2 = dleaf((2, 3, 2))
    assert ts.autograd.gradcheck(lambda x: F.layer_norm(x, (3, 2)), (x2,))


# ---------------------------------------------------------------- losses
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 4), (4,)), ((), ())], ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
def test_mse_loss_grads(seed, reduction, shapes, dtype):
    (a, ta), (b, tb) = leaf(rand(shapes[0], dtype), noncontig=True), leaf(rand(shapes[1], dtype))
    with pytest.warns(UserWarning) if shapes[0] != shapes[1] else _nullcontext():
        out = F.mse_loss(a, b, reduction=reduction)
    tout = torch.nn.functional.mse_loss(ta.expand(torch.broadcast_shapes(shapes[0], shapes[1])),
                                        tb.expand(torch.broadcast_shapes(shapes[0], shapes[1])), reduction=reduction)
    check_grads(out, tout, [(a, ta), (b, tb)], dtype)


class _nullcontext:
    def __enter__(self):
        return None

    def __exit__(self, *a):
        return False


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss_gradcheck_gradgradcheck(seed, reduction):
    a, b = dleaf((3, 2)), dleaf((3, 2))
    fn = lambda a, b: F.mse_loss(a, b, reduction=reduction)  # noqa: E731
    assert ts.autograd.gradcheck(fn, (a, b))
    assert ts.autograd.gradgradcheck(fn, (a, b))


CE_CASES = [
    dict(),
    dict(reduction="sum"),
    dict(reduction="none"),
    dict(weight=True),
    dict(weight=True, reduction="none"),
    dict(ignore_index=1),
    dict(weight=True, ignore_index=2, reduction="mean"),
    dict(label_smoothing=0.2),
    dict(label_smoothing=0.3, weight=True),
    dict(label_smoothing=0.1, weight=True, ignore_index=0, reduction="sum"),
    dict(label_smoothing=0.25, ignore_index=3, reduction="none"),
]


def ce_args(kw, c, dtype):
    kw = dict(kw)
    w = rand((c,), dtype, 0.2, 2.0) if kw.pop("weight", False) else None
    return kw, w


@pytest.mark.parametrize("kw", CE_CASES, ids=str)
@pytest.mark.parametrize("shape", [(6, 5), (3, 5, 4), (5,)], ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_class_index_grads(seed, kw, shape, dtype):
    c = shape[1] if len(shape) > 1 else shape[0]
    tgt_shape = (shape[0],) + shape[2:] if len(shape) > 1 else ()
    kw, w = ce_args(kw, c, dtype)
    t = torch.randint(0, c, tgt_shape)
    x, tx = leaf(rand(shape, dtype), noncontig=True)
    out = F.cross_entropy(x, to_ts(t), weight=None if w is None else to_ts(w), **kw)
    tout = TF.cross_entropy(tx, t, weight=w, **kw)
    check_grads(out, tout, [(x, tx)], dtype)


@pytest.mark.parametrize("kw", [k for k in CE_CASES if "label_smoothing" not in k], ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
def test_nll_loss_grads(seed, kw, dtype):
    kw, w = ce_args(kw, 5, dtype)
    t = torch.randint(0, 5, (3, 4))
    x, tx = leaf(rand((3, 5, 4), dtype), noncontig=True)
    out = F.nll_loss(F.log_softmax(x, 1), to_ts(t), weight=None if w is None else to_ts(w), **kw)
    tout = TF.nll_loss(TF.log_softmax(tx, 1), t, weight=w, **kw)
    assert out.grad_fn.name() == "NllLossBackward0"
    check_grads(out, tout, [(x, tx)], dtype)


@pytest.mark.parametrize("ls", [0.0, 0.2])
@pytest.mark.parametrize("weight", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 5), (3,)], ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_prob_target_grads(seed, ls, weight, reduction, shape, dtype):
    c = shape[1] if len(shape) > 1 else shape[0]
    w = rand((c,), dtype, 0.2, 2.0) if weight else None
    x, tx = leaf(rand(shape, dtype), noncontig=True)
    p, tp = leaf(torch.softmax(rand(shape, dtype), dim=1 if len(shape) > 1 else 0))
    out = F.cross_entropy(x, p, weight=None if w is None else to_ts(w), reduction=reduction, label_smoothing=ls)
    tout = TF.cross_entropy(tx, tp, weight=w, reduction=reduction, label_smoothing=ls)
    check_grads(out, tout, [(x, tx), (p, tp)], dtype)


def test_loss_gradcheck_gradgradcheck(seed):
    x = dleaf((4, 3))
    t = ts.tensor([0, 2, 1, 2])
    w = to_ts(rand((3,), torch.float64, 0.5, 2.0))
    ce = lambda x: F.cross_entropy(x, t, weight=w, ignore_index=1, label_smoothing=0.1)  # noqa: E731
    assert ts.autograd.gradcheck(ce, (x,))
    assert ts.autograd.gradgradcheck(ce, (x,))
    nll = lambda x: F.nll_loss(x, t, weight=w, reduction="sum")  # noqa: E731
    assert ts.autograd.gradcheck(nll, (x,))
    p = to_ts(torch.softmax(rand((4, 3), torch.float64), 1)).requires_grad_()
    assert ts.autograd.gradcheck(lambda x, p: F.cross_entropy(x, p, label_smoothing=0.2), (x, p))
    assert ts.autograd.gradgradcheck(lambda x, p: F.cross_entropy(x, p, weight=w), (x, p))


def test_loss_weight_grad_refused(seed):
    x = dleaf((4, 3))
    w = dleaf((3,), 0.5, 2.0)
    loss = F.cross_entropy(x, ts.tensor([0, 2, 1, 2]), weight=w)
    with pytest.raises(NotImplementedError, match=r"\[cross_entropy\]"):
        loss.backward()


# ---------------------------------------------------------------- embedding, dropout, one_hot, pad
@pytest.mark.parametrize("padding_idx", [None, 0, -2])
@pytest.mark.parametrize("idx_dtype", [torch.int64, torch.int32])
@pytest.mark.parametrize("dtype", DTYPES)
def test_embedding_grads(seed, padding_idx, idx_dtype, dtype):
    w, tw = leaf(rand((7, 4), dtype))
    idx = torch.randint(0, 7, (3, 5)).to(idx_dtype)
    idx[0, :3] = torch.tensor([0, 5, 5])  # repeated rows and the padding row
    out = F.embedding(to_ts(idx), w, padding_idx=padding_idx)
    tout = TF.embedding(idx, tw, padding_idx=padding_idx)
    check_grads(out, tout, [(w, tw)], dtype)


def test_embedding_gradcheck(seed):
    w = dleaf((5, 3))
    idx = ts.tensor([[0, 4, 4], [1, 0, 2]])
    assert ts.autograd.gradcheck(lambda w: F.embedding(idx, w), (w,))  # padding_idx: grads differ from the function by design


@pytest.mark.parametrize("p", [0.0, 0.3, 0.7, 1.0])
def test_dropout_grad_is_mask(seed, p):
    ts.manual_seed(seed)
    x = to_ts(rand((40, 50), torch.float64, 0.5, 2.0)).requires_grad_()
    out = F.dropout(x, p, training=True)
    g = rand((40, 50), torch.float64)
    out.backward(to_ts(g))
    kept = to_torch(out.detach()) != 0
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    expected = torch.where(kept, g * scale, torch.zeros_like(g))
    assert_close(x.grad, expected)
    if 0 < p < 1:
        frac = kept.double().mean().item()
        assert abs(frac - (1 - p)) < 0.06
        assert out.grad_fn.name() == "NativeDropoutBackward0"


def test_dropout_eval_is_identity(seed):
    x, tx = leaf(rand((3, 4), torch.float64))
    check_grads(F.dropout(x, 0.5, training=False) * 2, TF.dropout(tx, 0.5, training=False) * 2, [(x, tx)],
                torch.float64)


def test_one_hot_not_differentiable(seed):
    out = F.one_hot(ts.tensor([0, 2, 1]), 3)
    assert not out.requires_grad and out.grad_fn is None


PAD_CASES = [
    ((2, 3, 4), (1, 2), "constant"),
    ((2, 3, 4), (1, 0, 2, 1), "constant"),
    ((2, 3, 5), (-1, 2, 0, -1), "constant"),
    ((2, 3, 5), (2, 1), "reflect"),
    ((2, 3, 4, 5), (1, 2, 2, 0), "reflect"),
    ((2, 3, 5), (2, 3), "replicate"),
    ((1, 2, 3, 4), (2, 1, 1, 3), "replicate"),
    ((2, 3, 5), (2, 3), "circular"),
    ((1, 2, 3, 4), (1, 2, 2, 1), "circular"),
]


@pytest.mark.parametrize("shape,pads,mode", PAD_CASES, ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
def test_pad_grads(seed, shape, pads, mode, dtype):
    x, tx = leaf(rand(shape, dtype), noncontig=True)
    kw = dict(value=1.5) if mode == "constant" else {}
    check_grads(F.pad(x, pads, mode, **kw), TF.pad(tx, pads, mode, **kw), [(x, tx)], dtype)


def test_pad_gradcheck(seed):
    x = dleaf((1, 2, 4))
    assert ts.autograd.gradcheck(lambda x: F.pad(x, (2, 1), "reflect"), (x,))
    assert ts.autograd.gradcheck(lambda x: F.pad(x, (1, -1), "constant", 0.5), (x,))


# ---------------------------------------------------------------- conv2d
CONV_CASES = [
    dict(),
    dict(stride=2, padding=1),
    dict(stride=(2, 1), padding=(0, 2), dilation=(1, 2)),
    dict(padding=2, dilation=2, groups=2),
    dict(groups=4, padding=1),
    dict(padding="same", dilation=(2, 1)),
    dict(padding="valid"),
]


@pytest.mark.parametrize("kw", CONV_CASES, ids=str)
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("dtype", DTYPES)
def test_conv2d_grads(seed, kw, bias, dtype):
    g = kw.get("groups", 1)
    x, tx = leaf(rand((2, 4, 7, 6), dtype), noncontig=True)
    w, tw = leaf(rand((4, 4 // g, 3, 2), dtype))
    b, tb = leaf(rand((4,), dtype)) if bias else (None, None)
    out, tout = F.conv2d(x, w, b, **kw), TF.conv2d(tx, tw, tb, **kw)
    pairs = [(x, tx), (w, tw)] + ([(b, tb)] if bias else [])
    check_grads(out, tout, pairs, dtype, **({"rtol": 1e-4, "atol": 1e-4} if dtype == torch.float32 else {}))


def test_conv2d_unbatched_and_1x1(seed):
    x, tx = leaf(rand((3, 5, 5), torch.float64))
    w, tw = leaf(rand((2, 3, 1, 1), torch.float64))
    check_grads(F.conv2d(x, w), TF.conv2d(tx, tw), [(x, tx), (w, tw)], torch.float64)


def test_conv2d_gradcheck_and_gradgradcheck(seed):
    x, w, b = dleaf((1, 2, 4, 4)), dleaf((2, 1, 2, 2)), dleaf((2,))
    fn = lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1, groups=2)  # noqa: E731
    assert ts.autograd.gradcheck(fn, (x, w, b))
    assert ts.autograd.gradgradcheck(fn, (x, w, b))
    w2 = dleaf((3, 2, 2, 2))
    assert ts.autograd.gradgradcheck(lambda x, w: F.conv2d(x[0], w, padding="same", dilation=(2, 1)), (x, w2))


@pytest.mark.parametrize("kw", CONV_CASES, ids=str)
def test_conv2d_double_backward_matches_torch(seed, kw):
    """Gradient of <grad(conv), v> w.r.t. input, weight and bias, against torch (create_graph=True)."""
    g = kw.get("groups", 1)
    x, tx = leaf(rand((2, 4, 7, 6), torch.float64), noncontig=True)
    w, tw = leaf(rand((4, 4 // g, 3, 2), torch.float64))
    b, tb = leaf(rand((4,), torch.float64))
    tout = TF.conv2d(tx, tw, tb, **kw)
    up = rand(tuple(tout.shape), torch.float64)
    tgrads = torch.autograd.grad(tout, (tx, tw, tb), up, create_graph=True)
    grads = ts.autograd.grad(F.conv2d(x, w, b, **kw), (x, w, b), to_ts(up), create_graph=True)
    vs = [rand(tuple(t.shape), torch.float64) for t in tgrads]
    tsec = torch.autograd.grad(sum((t * v).sum() for t, v in zip(tgrads, vs)), (tx, tw), allow_unused=True)
    sec = ts.autograd.grad(sum((t * to_ts(v)).sum() for t, v in zip(grads, vs)), (x, w), allow_unused=True)
    for got, want in zip(sec, tsec):
        assert_close(got, want)


# ---------------------------------------------------------------- scaled_dot_product_attention
SDPA_CASES = [
    dict(),
    dict(is_causal=True),
    dict(mask="bool"),
    dict(mask="float"),
    dict(scale=0.3),
    dict(gqa=True),
    dict(gqa=True, is_causal=True),
]


def sdpa_inputs(kw, dtype, L=5, S=6, E=4):
    hq, hkv = (4, 2) if kw.get("gqa") else (2, 2)
    q = rand((2, hq, L, E), dtype)
    k = rand((2, hkv, S, E), dtype)
    v = rand((2, hkv, S, 3), dtype)
    mask = None
    if kw.get("mask") == "bool":
        mask = torch.rand((L, S)) > 0.3
        mask[:, 0] = True
    elif kw.get("mask") == "float":
        mask = rand((1, L, S), dtype)
    return q, k, v, mask


@pytest.mark.parametrize("kw", SDPA_CASES, ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
def test_sdpa_grads(seed, kw, dtype):
    q, k, v, mask = sdpa_inputs(kw, dtype)
    (a, ta), (b, tb), (c, tc) = leaf(q, noncontig=True), leaf(k), leaf(v)
    pairs = [(a, ta), (b, tb), (c, tc)]
    m = tm = None
    if mask is not None:
        if mask.dtype == torch.bool:
            m, tm = to_ts(mask), mask
        else:
            m, tm = leaf(mask)
            pairs.append((m, tm))
    args = dict(attn_mask=m, is_causal=kw.get("is_causal", False), scale=kw.get("scale"),
                enable_gqa=kw.get("gqa", False))
    targs = dict(args, attn_mask=tm)
    out = F.scaled_dot_product_attention(a, b, c, **args)
    tout = TF.scaled_dot_product_attention(ta, tb, tc, **targs)
    check_grads(out, tout, pairs, dtype)


def test_sdpa_gradcheck(seed):
    q, k, v = dleaf((1, 3, 2)), dleaf((1, 4, 2)), dleaf((1, 4, 2))
    m = dleaf((3, 4))
    assert ts.autograd.gradcheck(lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m), (q, k, v, m))
    assert ts.autograd.gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True), (q, k, v))


def test_sdpa_dropout_grads_use_the_forward_mask(seed):
    ts.manual_seed(seed)
    q, k = dleaf((2, 4, 3)), dleaf((2, 5, 3))
    v = to_ts(torch.eye(5, dtype=torch.float64).expand(2, 5, 5).contiguous()).requires_grad_()
    out = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    # With V = I the output is the dropped-out, rescaled attention matrix itself: dV = out^T @ g.
    g = rand((2, 4, 5), torch.float64)
    out.backward(to_ts(g))
    assert_close(v.grad, to_torch(out.detach()).transpose(-2, -1) @ g)
    assert q.grad is not None and k.grad is not None

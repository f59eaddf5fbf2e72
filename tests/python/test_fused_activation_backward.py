"""The fused first-order backward of gelu / silu / relu (one pass g * f'(x)) against torch: every float
dtype, sizes below and above the parallel threshold, non-contiguous inputs, broadcast (expanded)
incoming gradients, large |x|; under create_graph the composed formula still differentiates."""
import pytest
import torch

import tessera as ts
from helpers import FLOAT_DTYPES, assert_close, rand, to_ts

ACTS = {
    "gelu": lambda m, x: m.nn.functional.gelu(x),
    "gelu_tanh": lambda m, x: m.nn.functional.gelu(x, approximate="tanh"),
    "silu": lambda m, x: m.nn.functional.silu(x),
    "relu": lambda m, x: m.nn.functional.relu(x),
}
SMOOTH = ["gelu", "gelu_tanh", "silu"]
# bf16/f16 gradients are rounded once from float math in both libraries, but the inputs of the
# rounding differ by float ulps: one bf16/f16 ulp of slack.
GRAD_TOL = {torch.float16: dict(rtol=2e-3, atol=2e-3), torch.bfloat16: dict(rtol=1.6e-2, atol=1.6e-2),
            torch.float32: dict(rtol=1e-5, atol=1e-5), torch.float64: dict(rtol=1e-7, atol=1e-7)}


def grads(fn, x_t, g_t, noncontig=False):
    x = to_ts(x_t, noncontig=noncontig).requires_grad_()
    t = x_t.clone().requires_grad_()
    fn(ts, x).backward(to_ts(g_t))
    fn(torch, t).backward(g_t)
    return x.grad, t.grad


@pytest.mark.parametrize("shape", [(7,), (5, 33), (300, 257)], ids=str)
@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=str)
@pytest.mark.parametrize("name", ACTS)
def test_fused_grad_vs_torch(seed, name, dtype, shape):
    x, g = rand(shape, dtype, -6, 6), rand(shape, dtype)
    got, want = grads(ACTS[name], x, g, noncontig=len(shape) > 1)
    assert_close(got, want, **GRAD_TOL[dtype])


@pytest.mark.parametrize("name", ACTS)
def test_fused_grad_large_inputs(seed, name):
    # Far tails: Phi(x) saturates, the pdf term underflows; no NaN may appear.
    x = torch.cat([rand((64,), torch.float32, -60, -8), rand((64,), torch.float32, 8, 60)])
    got, want = grads(ACTS[name], x, torch.ones(128))
    assert_close(got, want, **GRAD_TOL[torch.float32])


@pytest.mark.parametrize("name", ACTS)
def test_fused_grad_broadcast_incoming(seed, name):
    # sum() hands back an expanded (stride 0) gradient; mean() a scaled one.
    x_t = rand((40, 30), torch.float32)
    for red in ("sum", "mean"):
        x = to_ts(x_t).requires_grad_()
        t = x_t.clone().requires_grad_()
        getattr(ACTS[name](ts, x), red)().backward()
        getattr(ACTS[name](torch, t), red)().backward()
        assert_close(x.grad, t.grad, **GRAD_TOL[torch.float32])


@pytest.mark.parametrize("name", SMOOTH)
def test_create_graph_still_differentiable(seed, name):
    x_t = rand((6, 5), torch.float64)
    x = to_ts(x_t).requires_grad_()
    t = x_t.clone().requires_grad_()
    (gx,) = ts.autograd.grad(ACTS[name](ts, x).sum(), x, create_graph=True)
    (gt,) = torch.autograd.grad(ACTS[name](torch, t).sum(), t, create_graph=True)
    assert_close(gx.detach(), gt.detach())
    (ggx,) = ts.autograd.grad((gx * gx).sum(), x)
    (ggt,) = torch.autograd.grad((gt * gt).sum(), t)
    assert_close(ggx, ggt)


def test_fused_relu_grad_nan_and_zero(seed):
    # threshold_backward semantics: 0 where relu's output is <= 0, g elsewhere, NaN included.
    x_t = torch.tensor([float("nan"), 0.0, -1.0, 2.0, -0.0])
    g_t = rand((5,), torch.float32)
    got, want = grads(ACTS["relu"], x_t, g_t)
    assert_close(got, want)


def test_sdpa_probabilities_saved_once_match_torch(seed):
    # The Autograd kernel keeps the forward's probabilities; its output and grads equal torch's
    # (non-contiguous q/k/v as in a transformer block, causal and additive-mask variants).
    qkv_t = rand((3, 5, 3 * 8), torch.float64, -1, 1)
    mask_t = rand((5, 5), torch.float64, -1, 1)
    for kw in (dict(), dict(is_causal=True), dict(mask=True)):
        outs = []
        for m, src in ((ts, to_ts(qkv_t)), (torch, qkv_t.clone())):
            src.requires_grad_()
            q, k, v = src.reshape(3, 5, 3, 2, 4).permute(2, 0, 3, 1, 4).unbind(0)
            mask = (to_ts(mask_t) if m is ts else mask_t) if kw.get("mask") else None
            o = m.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask,
                                                             is_causal=kw.get("is_causal", False))
            o.backward(to_ts(torch.ones(o.shape, dtype=torch.float64)) if m is ts else torch.ones(o.shape,
                                                                                                 dtype=torch.float64))
            outs.append((o.detach(), src.grad))
        assert_close(outs[0][0], outs[1][0])
        assert_close(outs[0][1], outs[1][1])


def test_fused_grad_bad_saved_version_raises(seed):
    # The fused path still checks the saved input's version counter.
    x = to_ts(rand((4,), torch.float32)).requires_grad_()
    y = x * 1.0
    z = ts.nn.functional.gelu(y)
    with ts.no_grad():
        y.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()

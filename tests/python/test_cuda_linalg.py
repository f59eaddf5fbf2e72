"""Matrix products and conv2d on CUDA (csrc/cuda/blas_cuda.cpp, csrc/cuda/conv_cuda.cpp: cuBLASLt
GEMMs, the tiled integer kernel, im2col/col2im) against torch (float64 reference on the CPU) and
tessera's own CPU kernels: every dtype, transposed / strided / misaligned operands, batch
broadcasting, k == 0 and empty dims, large shapes and batch counts, the fused linear epilogues
(bias, gelu, bias gradient), the TF32 switches, conv2d forward/backward over groups, strides,
dilation and padding.

Float results are checked against an error bound rather than a fixed tolerance: a GEMM that
accumulates k products in precision eps is within ~eps * sqrt(k) * (|A| @ |B|) of the exact result,
plus the rounding of the output (see `check`).

Skipped without a GPU. TESSERA_CUDA_TEST_DEVICE=cpu runs the same checks on the CPU (to validate
the harness on a machine without a GPU)."""
import math
import os

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import tessera as ts
from helpers import INT_DTYPES, TORCH_TO_TS, rand, to_torch, to_ts

DEV = os.environ.get("TESSERA_CUDA_TEST_DEVICE", "cuda")
pytestmark = pytest.mark.skipif(DEV == "cuda" and not ts.cuda.is_available(), reason="needs a CUDA GPU")
TF = ts.nn.functional

FLOATS = [torch.float32, torch.float64, torch.float16, torch.bfloat16]
# Unit roundoff of the accumulation (16-bit inputs accumulate in float32) and of the stored result.
ACC_EPS = {torch.float32: 6e-8, torch.float64: 1.2e-16, torch.float16: 6e-8, torch.bfloat16: 6e-8}
OUT_EPS = {torch.float32: 6e-8, torch.float64: 1.2e-16, torch.float16: 4.9e-4, torch.bfloat16: 3.9e-3}
# Spacing of the subnormals: rounding error of a result below the smallest normal number.
OUT_TINY = {torch.float32: 1.4e-45, torch.float64: 5e-324, torch.float16: 6e-8, torch.bfloat16: 1e-40}
TF32_EPS = 4.9e-4  # 10-bit mantissa: each input rounded to within 2^-11


@pytest.fixture
def flags():
    """Restores the numerics switches a test changes."""
    m, c = ts.backends.cuda.matmul.allow_tf32, ts.backends.cudnn.allow_tf32
    yield
    ts.backends.cuda.matmul.allow_tf32, ts.backends.cudnn.allow_tf32 = m, c


def on_dev(t: torch.Tensor) -> ts.Tensor:
    return to_ts(t).to(DEV)


def host(x: ts.Tensor) -> torch.Tensor:
    return to_torch(x.detach().cpu())


def check(got: ts.Tensor, ref: torch.Tensor, bound: torch.Tensor, dtype, k, acc_eps=None, extra=None):
    """|got - ref| <= 4 eps_acc sqrt(k) bound + 2 eps_out |ref| + subnormal spacing (+ extra); ref and
    bound in float64."""
    assert got.device.type == DEV
    assert TORCH_TO_TS[dtype] == got.dtype, f"dtype {got.dtype} != {dtype}"
    assert tuple(got.shape) == tuple(ref.shape), f"shape {tuple(got.shape)} != {tuple(ref.shape)}"
    g = host(got).double()
    eps = ACC_EPS[dtype] if acc_eps is None else acc_eps
    tol = 4 * eps * math.sqrt(max(k, 1)) * bound + 2 * OUT_EPS[dtype] * ref.abs() + OUT_TINY[dtype]
    if extra is not None:
        tol = tol + extra
    err = (g - ref).abs()
    bad = ~(err <= tol)
    assert not bad.any(), (f"{int(bad.sum())} of {bad.numel()} off; worst err {float(err.max()):.3g} "
                           f"(tol there {float(tol.flatten()[int(err.argmax())]):.3g})")


# ------------------------------------------------------------------------------------ operands
def make(t: torch.Tensor, layout: str):
    """(values as a torch tensor, tessera view on DEV with that layout of its last two dims)."""
    if layout == "contig":
        return t, on_dev(t)
    if layout == "transposed":  # stored with the last two dims swapped: passed with the transpose flag
        return t, on_dev(t.transpose(-1, -2).contiguous()).transpose(-1, -2)
    if layout == "rowpad":  # row stride > cols (leading dimension larger than the matrix)
        big = torch.zeros(*t.shape[:-1], t.shape[-1] + 3, dtype=t.dtype)
        big[..., : t.shape[-1]] = t
        return t, on_dev(big)[..., : t.shape[-1]]
    if layout == "strided":  # no contiguous dim: copied before the GEMM
        big = torch.zeros(*t.shape[:-1], t.shape[-1] * 2, dtype=t.dtype)
        big[..., ::2] = t
        return t, on_dev(big)[..., ::2]
    assert layout == "offset"  # one element into the storage: no pointer 16-byte aligned
    flat = torch.cat([t.reshape(-1)[:1], t.reshape(-1)])
    return t, on_dev(flat)[1:].reshape(*t.shape)


def gemm_ref(a: torch.Tensor, b: torch.Tensor):
    """(exact product, |a| @ |b|) in float64."""
    a, b = a.double(), b.double()
    return a @ b, a.abs() @ b.abs()


LAYOUT_PAIRS = [("contig", "contig"), ("transposed", "contig"), ("contig", "transposed"),
                ("transposed", "transposed"), ("rowpad", "strided"), ("offset", "offset")]
MM_SHAPES = [(37, 53, 29), (1, 64, 33), (48, 70, 1), (128, 256, 64), (5, 1, 7)]


@pytest.mark.parametrize("la,lb", LAYOUT_PAIRS)
@pytest.mark.parametrize("dtype", FLOATS)
def test_mm_layouts(seed, dtype, la, lb):
    for m, k, n in MM_SHAPES:
        a, A = make(rand((m, k), dtype, -1, 1), la)
        b, B = make(rand((k, n), dtype, -1, 1), lb)
        ref, bound = gemm_ref(a, b)
        got = ts.mm(A, B)
        check(got, ref, bound, dtype, k)
        check(ts.matmul(A, B), ref, bound, dtype, k)
        # tessera's CPU kernel on the same operands
        assert_same_cpu = ts.mm(A.cpu(), B.cpu())
        check(assert_same_cpu.to(DEV), ref, bound, dtype, k)


BATCH_CASES = [  # (a shape, b shape, a layout, b layout)
    ((4, 9, 17), (4, 17, 6), "contig", "contig"),    # bmm
    ((4, 9, 17), (4, 17, 6), "transposed", "rowpad"),
    ((2, 1, 7, 5), (3, 5, 4), "contig", "contig"),   # broadcast batch dims: a copy of the expanded operand
    ((1, 7, 5), (6, 5, 4), "contig", "transposed"),  # broadcast: batch stride 0, no copy
    ((3, 6, 7, 5), (5, 4), "contig", "contig"),      # (*, m, k) @ (k, n): one GEMM over the folded rows
    ((3, 6, 7, 5), (5, 4), "strided", "contig"),     # rows do not fold: batched with batch stride 0
    ((5, 8), (2, 3, 8, 4), "contig", "transposed"),  # matrix @ batched
    ((2, 3, 6, 5), (5,), "contig", "contig"),        # batched @ vector
    ((5,), (2, 5, 4), "contig", "contig"),           # vector @ batched
]


@pytest.mark.parametrize("sa,sb,la,lb", BATCH_CASES)
@pytest.mark.parametrize("dtype", FLOATS)
def test_matmul_batched(seed, dtype, sa, sb, la, lb):
    a = rand(sa, dtype, -1, 1)
    b = rand(sb, dtype, -1, 1)
    a, A = make(a, la) if a.dim() >= 2 else (a, on_dev(a))
    b, B = make(b, lb) if b.dim() >= 2 else (b, on_dev(b))
    ref = torch.matmul(a.double(), b.double())
    bound = torch.matmul(a.double().abs(), b.double().abs())
    check(ts.matmul(A, B), ref, bound, dtype, a.shape[-1])
    check(ts.matmul(A.cpu(), B.cpu()).to(DEV), ref, bound, dtype, a.shape[-1])
    if len(sa) == 3 and len(sb) == 3 and sa[0] == sb[0]:
        check(ts.bmm(A, B), ref, bound, dtype, a.shape[-1])


@pytest.mark.parametrize("dtype", FLOATS)
def test_bmm_permuted_batch(seed, dtype):
    """Batch dim not outermost in memory: (m, B, k) storage seen as (B, m, k)."""
    a = rand((9, 4, 17), dtype, -1, 1)
    b = rand((17, 4, 6), dtype, -1, 1)
    A = on_dev(a).permute(1, 0, 2)
    B = on_dev(b).permute(1, 0, 2)
    ref, bound = gemm_ref(a.permute(1, 0, 2), b.permute(1, 0, 2))
    check(ts.bmm(A, B), ref, bound, dtype, 17)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("beta,alpha", [(1, 1), (0.5, 2.0), (0, 1.5), (2, 0)])
def test_addmm_baddbmm(seed, dtype, beta, alpha):
    m, k, n = 23, 31, 19
    a, b = rand((m, k), dtype, -1, 1), rand((k, n), dtype, -1, 1)
    for self_shape in [(m, n), (n,), (1, n)]:
        s = rand(self_shape, dtype, -1, 1)
        if beta == 0:
            s = s.clone()
            s.view(-1)[0] = float("nan")  # beta == 0 never reads self
        ref, bound = gemm_ref(a, b)
        sb = torch.zeros(()) if beta == 0 else beta * s.double()
        ref = alpha * ref + sb
        bound = abs(alpha) * bound + (0 if beta == 0 else abs(beta) * s.double().abs())
        _, A = make(a, "transposed")
        got = ts.addmm(on_dev(s), A, on_dev(b), beta=beta, alpha=alpha)
        check(got, ref.expand(m, n), bound.expand(m, n), dtype, k)
    nb = 3
    a, b, s = rand((nb, m, k), dtype, -1, 1), rand((nb, k, n), dtype, -1, 1), rand((nb, m, n), dtype, -1, 1)
    ref, bound = gemm_ref(a, b)
    ref = alpha * ref + beta * s.double()
    bound = abs(alpha) * bound + abs(beta) * s.double().abs()
    _, B = make(b, "transposed")
    check(ts.baddbmm(on_dev(s), on_dev(a), B, beta=beta, alpha=alpha), ref, bound, dtype, k)


@pytest.mark.parametrize("dtype", FLOATS + [torch.int32, torch.int64])
def test_k_zero_and_empty(seed, dtype):
    """k == 0: mm gives zeros, addmm gives beta * self; m or n == 0: empty results."""
    a, b = rand((5, 0), dtype), rand((0, 7), dtype)
    got = ts.mm(on_dev(a), on_dev(b))
    assert tuple(got.shape) == (5, 7) and got.device.type == DEV
    assert (host(got) == 0).all()
    s = rand((5, 7), dtype)
    expected = torch.addmm(s, a, b, beta=2, alpha=3)
    assert torch.equal(host(ts.addmm(on_dev(s), on_dev(a), on_dev(b), beta=2, alpha=3)), expected)
    if dtype.is_floating_point:
        s_nan = torch.full((5, 7), float("nan"), dtype=dtype)
        assert (host(ts.addmm(on_dev(s_nan), on_dev(a), on_dev(b), beta=0)) == 0).all()
    bs = rand((3, 5, 7), dtype)
    got = ts.baddbmm(on_dev(bs), on_dev(rand((3, 5, 0), dtype)), on_dev(rand((3, 0, 7), dtype)), beta=2)
    assert torch.equal(host(got), bs * 2)
    for sa, sb in [((0, 4), (4, 6)), ((5, 4), (4, 0)), ((0, 5, 4), (0, 4, 3))]:
        got = ts.matmul(on_dev(rand(sa, dtype)), on_dev(rand(sb, dtype)))
        assert tuple(got.shape) == tuple(torch.matmul(rand(sa, dtype), rand(sb, dtype)).shape)


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_integer_matmul(seed, dtype):
    """Integer products accumulate in int64 and wrap to the dtype (the CPU kernel's rule)."""
    hi = 100 if dtype in (torch.int8, torch.uint8) else 1000
    for (m, k, n), la in [((19, 37, 23), "contig"), ((40, 70, 33), "transposed"), ((1, 9, 5), "strided")]:
        a, A = make(rand((m, k), dtype, -hi, hi), la)
        b, B = make(rand((k, n), dtype, -hi, hi), "contig")
        expected = torch.mm(a, b)
        got = ts.mm(A, B)
        assert got.dtype == TORCH_TO_TS[dtype]
        assert torch.equal(host(got), expected)
        assert torch.equal(host(ts.mm(A.cpu(), B.cpu())), expected)
    a, b, s = rand((3, 6, 8), dtype, -hi, hi), rand((3, 8, 5), dtype, -hi, hi), rand((3, 6, 5), dtype, -hi, hi)
    assert torch.equal(host(ts.baddbmm(on_dev(s), on_dev(a), on_dev(b), beta=2, alpha=3)),
                       torch.baddbmm(s, a, b, beta=2, alpha=3))


def test_integer_wraparound(seed):
    a = torch.full((4, 64), 2**40, dtype=torch.int64)
    b = torch.full((64, 3), 2**30, dtype=torch.int64)
    assert torch.equal(host(ts.mm(on_dev(a), on_dev(b))), torch.mm(a, b))


def test_bool_outer(seed):
    a, b = rand((13,), torch.bool), rand((9,), torch.bool)
    assert torch.equal(host(ts.outer(on_dev(a), on_dev(b))), torch.outer(a, b))


@pytest.mark.parametrize("dtype", [torch.float32, torch.int32])
def test_many_batches(seed, dtype):
    """More batches than one grid dimension holds (65535)."""
    a, b = rand((70000, 2, 3), dtype, -3, 3), rand((70000, 3, 2), dtype, -3, 3)
    got = ts.bmm(on_dev(a), on_dev(b))
    if dtype.is_floating_point:
        ref, bound = gemm_ref(a, b)
        check(got, ref, bound, dtype, 3)
    else:
        assert torch.equal(host(got), torch.bmm(a, b))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(1024, 768, 1536), (1000, 777, 1333)])
def test_large_gemm(seed, dtype, shape):
    m, k, n = shape
    a, b = rand((m, k), dtype, -1, 1), rand((n, k), dtype, -1, 1)
    ref, bound = gemm_ref(a, b.t())
    check(ts.matmul(on_dev(a), on_dev(b).t()), ref, bound, dtype, k)


# ------------------------------------------------------------------------------------ linear
LINEAR_CASES = [((7, 33), 48), ((3, 5, 64), 13), ((64,), 24), ((2, 0, 16), 8), ((6, 16), 1)]


def linear_refs(x, w, b, g):
    """float64 (out, grads) and the matching |.| bounds for linear's forward and backward."""
    xd, wd = x.double().clone().requires_grad_(), w.double().clone().requires_grad_()
    bd = b.double().clone().requires_grad_() if b is not None else None
    out = F.linear(xd, wd, bd)
    out.backward(g.double())
    bound = F.linear(x.double().abs(), w.double().abs(), None if b is None else b.double().abs())
    g2 = g.double().abs().reshape(-1, w.shape[0])
    return (out.detach(), bound, xd.grad, g.double().abs() @ w.double().abs(), wd.grad,
            g2.t() @ x.double().abs().reshape(-1, w.shape[1]), None if b is None else bd.grad, g2.sum(0))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("with_bias", [True, False])
@pytest.mark.parametrize("xs,n", LINEAR_CASES)
def test_linear_forward_backward(seed, dtype, with_bias, xs, n):
    k = xs[-1]
    x, w = rand(xs, dtype, -1, 1), rand((n, k), dtype, -1, 1)
    b = rand((n,), dtype, -1, 1) if with_bias else None
    g = rand(tuple(xs[:-1]) + (n,), dtype, -1, 1)
    out_r, out_b, gx_r, gx_b, gw_r, gw_b, gb_r, gb_b = linear_refs(x, w, b, g)
    rows = max(1, x.numel() // max(k, 1))
    for layout in ["contig", "strided"] if len(xs) >= 2 else ["contig"]:
        _, X = make(x, layout)
        X = X.detach().requires_grad_()
        W = on_dev(w).requires_grad_()
        B = on_dev(b).requires_grad_() if b is not None else None
        out = TF.linear(X, W, B)
        check(out, out_r, out_b, dtype, k)
        out.backward(on_dev(g))
        check(X.grad, gx_r, gx_b, dtype, n)
        check(W.grad, gw_r, gw_b, dtype, rows)
        if b is not None:
            check(B.grad, gb_r, gb_b, dtype, rows)
    # one of weight / bias needing a gradient: the unfused backward
    W = on_dev(w).requires_grad_()
    TF.linear(on_dev(x), W, on_dev(b) if b is not None else None).backward(on_dev(g))
    check(W.grad, gw_r, gw_b, dtype, rows)
    if b is not None:
        B = on_dev(b).requires_grad_()
        TF.linear(on_dev(x), on_dev(w), B).backward(on_dev(g))
        check(B.grad, gb_r, gb_b, dtype, rows)


def test_linear_bias_shapes_and_1d_weight(seed):
    """Biases that are not a contiguous (n,) vector, and 1-D weights, take the unfused path."""
    x, w = rand((6, 10), torch.float32), rand((4, 10), torch.float32)
    b8 = rand((8,), torch.float32)
    for b, bt in [(rand((1, 4), torch.float32), None), (rand((6, 4), torch.float32), None),
                  (rand((), torch.float32), None), (b8[::2], on_dev(b8)[::2])]:
        ref = F.linear(x.double(), w.double(), b.double())
        bound = F.linear(x.double().abs(), w.double().abs(), b.double().abs())
        check(TF.linear(on_dev(x), on_dev(w), on_dev(b) if bt is None else bt), ref, bound, torch.float32, 10)
    w1, b1 = rand((10,), torch.float32), rand((), torch.float32)
    check(TF.linear(on_dev(x), on_dev(w1), on_dev(b1)), x.double() @ w1.double() + b1.double(),
          x.double().abs() @ w1.double().abs() + b1.double().abs(), torch.float32, 10)


def test_linear_double_backward(seed):
    """create_graph=True keeps the differentiable (unfused) weight/bias gradient formulas."""
    x, w, b = rand((5, 8), torch.float64), rand((6, 8), torch.float64), rand((6,), torch.float64)
    X, W, B = (on_dev(t).requires_grad_() for t in (x, w, b))
    out = TF.linear(X, W, B)
    (gw,) = ts.autograd.grad((out * out).sum(), W, create_graph=True)
    gw.sum().backward()
    xt, wt, bt = (t.clone().requires_grad_() for t in (x, w, b))
    o = F.linear(xt, wt, bt)
    (gwt,) = torch.autograd.grad((o * o).sum(), wt, create_graph=True)
    gwt.sum().backward()
    for got, exp in [(gw, gwt), (X.grad, xt.grad), (B.grad, bt.grad)]:
        torch.testing.assert_close(host(got), exp.detach(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("approximate", ["tanh", "none"])
@pytest.mark.parametrize("n", [64, 12])  # 12: not a multiple of 8, the gelu epilogue's aux needs one
def test_linear_gelu(seed, dtype, approximate, n):
    k = 40
    x, w, b = rand((3, 9, k), dtype, -1, 1), rand((n, k), dtype, -1, 1), rand((n,), dtype, -1, 1)
    g = rand((3, 9, n), dtype, -1, 1)
    xd, wd, bd = (t.double().clone().requires_grad_() for t in (x, w, b))
    pre = F.linear(xd, wd, bd)
    ref = F.gelu(pre, approximate=approximate)
    ref.backward(g.double())
    bound = F.linear(x.double().abs(), w.double().abs(), b.double().abs())
    X, W, B = (on_dev(t).requires_grad_() for t in (x, w, b))
    out = TF._linear_gelu(X, W, B, approximate)
    assert out.grad_fn.name() == "GeluBackward0"
    assert out.grad_fn.next_functions[0][0].name() == "LinearBackward0"
    # gelu' <= 1.13: the GEMM's error passes through; the pre-activation may be rounded to the dtype
    check(out, ref.detach(), 1.13 * bound, dtype, k, extra=2.3 * OUT_EPS[dtype] * pre.detach().abs())
    out.backward(on_dev(g))
    gpre = (g.double().abs() * 1.13)
    # gradients: |gelu''| <= 0.8, so a rounded pre-activation moves the gelu derivative by 0.8 |d pre|
    gelu_err = 0.8 * g.double().abs() * (2 * OUT_EPS[dtype] * pre.detach().abs() + 1e-6 * bound)
    rows = 27
    check(X.grad, xd.grad, gpre @ w.double().abs(), dtype, n, extra=(gelu_err + OUT_EPS[dtype] * gpre) @ w.double().abs())
    gw_bound = gpre.reshape(-1, n).t() @ x.double().abs().reshape(-1, k)
    gw_extra = (gelu_err + OUT_EPS[dtype] * gpre).reshape(-1, n).t() @ x.double().abs().reshape(-1, k)
    check(W.grad, wd.grad, gw_bound, dtype, rows, extra=gw_extra)
    check(B.grad, bd.grad, gpre.reshape(-1, n).sum(0), dtype, rows,
          extra=(gelu_err + OUT_EPS[dtype] * gpre).reshape(-1, n).sum(0))


def test_transformer_tanh_gelu_mlp(seed):
    """TransformerEncoderLayer with a tanh GELU runs its MLP through _linear_gelu; a forward hook on
    linear1 forces the unfused path, which must give the same values and gradients."""
    layer = ts.nn.TransformerEncoderLayer(32, 4, dim_feedforward=64, dropout=0.0,
                                          activation=ts.nn.GELU(approximate="tanh"), batch_first=True).to(DEV)
    x = on_dev(rand((2, 5, 32), torch.float32))
    fused = layer(x)
    fused.sum().backward()
    g_fused = host(layer.linear1.weight.grad)
    layer.linear1.weight.grad = None
    handle = layer.linear1.register_forward_hook(lambda mod, inp, out: None)
    plain = layer(x)
    plain.sum().backward()
    handle.remove()
    torch.testing.assert_close(host(fused), host(plain), rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(g_fused, host(layer.linear1.weight.grad), rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------------------------------ TF32
def test_backend_flags(flags):
    assert isinstance(ts.backends.cuda.matmul.allow_tf32, bool)
    for v in (True, False):
        ts.backends.cuda.matmul.allow_tf32 = v
        assert ts.backends.cuda.matmul.allow_tf32 is v
        ts.backends.cudnn.allow_tf32 = v
        assert ts.backends.cudnn.allow_tf32 is v
        ts.backends.cuda.matmul.allow_bf16_reduced_precision_reduction = v
        assert ts.backends.cuda.matmul.allow_bf16_reduced_precision_reduction is v
    ts.backends.cuda.matmul.allow_bf16_reduced_precision_reduction = True
    with pytest.raises(AttributeError):
        ts.backends.cuda.matmul.allow_tf33 = True


def test_backend_flag_defaults():
    """torch's defaults, read in a fresh process (the test session turns conv TF32 off)."""
    import subprocess
    import sys

    from helpers import subprocess_env

    code = ("import tessera as ts; m = ts.backends.cuda.matmul; print(m.allow_tf32, ts.backends.cudnn.allow_tf32, "
            "m.allow_fp16_reduced_precision_reduction, m.allow_bf16_reduced_precision_reduction)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=subprocess_env(),
                         check=True).stdout.split()
    assert out == ["False", "True", "True", "True"]


def tf32_capable():
    return DEV == "cuda" and ts.cuda.get_device_capability()[0] >= 8


def test_matmul_tf32_flag(seed, flags):
    """Off: float32 accuracy. On: within TF32 accuracy, and (on a GPU with TF32) visibly less exact."""
    m = k = n = 512
    a, b = rand((m, k), torch.float32, -1, 1), rand((k, n), torch.float32, -1, 1)
    ref, bound = gemm_ref(a, b)
    A, B = on_dev(a), on_dev(b)
    ts.backends.cuda.matmul.allow_tf32 = False
    exact = ts.mm(A, B)
    check(exact, ref, bound, torch.float32, k)
    ts.backends.cuda.matmul.allow_tf32 = True
    fast = ts.mm(A, B)
    check(fast, ref, bound, torch.float32, k, acc_eps=2 * TF32_EPS)
    err_exact = float((host(exact).double() - ref).abs().max())
    err_fast = float((host(fast).double() - ref).abs().max())
    if tf32_capable():
        assert err_fast > 10 * err_exact, (err_fast, err_exact)
    ts.backends.cuda.matmul.allow_tf32 = False
    assert torch.equal(host(ts.mm(A, B)), host(exact))  # the flag is read per call (descriptor cache keyed on it)
    if DEV == "cuda" and torch.cuda.is_available():  # torch on the same GPU with the same flag
        prev = torch.backends.cuda.matmul.allow_tf32
        try:
            for on, got in [(False, exact), (True, fast)]:
                torch.backends.cuda.matmul.allow_tf32 = on
                th = (a.cuda() @ b.cuda()).cpu().double()
                check(got, th, bound, torch.float32, k, acc_eps=2 * TF32_EPS if on else None)
        finally:
            torch.backends.cuda.matmul.allow_tf32 = prev


def test_conv_tf32_flag(seed, flags):
    x, w = rand((2, 16, 12, 12), torch.float32, -1, 1), rand((8, 16, 3, 3), torch.float32, -1, 1)
    ref = F.conv2d(x.double(), w.double(), padding=1)
    bound = F.conv2d(x.double().abs(), w.double().abs(), padding=1)
    ts.backends.cudnn.allow_tf32 = False
    exact = TF.conv2d(on_dev(x), on_dev(w), padding=1)
    check(exact, ref, bound, torch.float32, 144)
    ts.backends.cudnn.allow_tf32 = True
    fast = TF.conv2d(on_dev(x), on_dev(w), padding=1)
    check(fast, ref, bound, torch.float32, 144, acc_eps=2 * TF32_EPS)
    if tf32_capable():
        assert float((host(fast).double() - ref).abs().max()) > 10 * float((host(exact).double() - ref).abs().max())
    ts.backends.cuda.matmul.allow_tf32 = True  # the matmul flag does not touch convolutions
    ts.backends.cudnn.allow_tf32 = False
    assert torch.equal(host(TF.conv2d(on_dev(x), on_dev(w), padding=1)), host(exact))


# ------------------------------------------------------------------------------------ conv2d
CONV_CASES = [  # x shape, w shape, stride, padding, dilation, groups
    ((2, 3, 11, 10), (5, 3, 3, 3), 1, 1, 1, 1),
    ((3, 4, 13, 9), (6, 4, 3, 2), 2, (1, 0), 1, 1),
    ((2, 6, 14, 14), (6, 2, 3, 3), (2, 1), 2, (2, 3), 3),
    ((2, 8, 9, 9), (8, 1, 3, 3), 1, 1, 1, 8),          # depthwise: batched over groups, loop over images
    ((9, 4, 7, 7), (8, 2, 3, 3), 1, 1, 1, 2),          # more images than groups: batched over images
    ((3, 6, 8, 8), (7, 6, 1, 1), 1, 0, 1, 1),          # 1x1: the input is its own im2col
    ((2, 6, 8, 8), (4, 3, 1, 1), 1, 0, 1, 2),          # grouped 1x1
    ((2, 3, 8, 8), (4, 3, 4, 4), 1, "same", 1, 1),
    ((2, 3, 9, 9), (4, 3, 3, 3), 3, 0, 2, 1),
    ((4, 3, 6, 5), (4, 3, 3, 3), 1, 1, 1, 1),
]


def conv_refs(x, w, b, g, stride, padding, dilation, groups):
    """float64 reference output and gradients with their |.| bounds."""
    kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    xd, wd = x.double().clone().requires_grad_(), w.double().clone().requires_grad_()
    bd = b.double().clone().requires_grad_() if b is not None else None
    out = F.conv2d(xd, wd, bd, **kw)
    out.backward(g.double())
    # bounds: the same bilinear maps on absolute values
    xa, wa = x.double().abs().detach().requires_grad_(), w.double().abs().detach().requires_grad_()
    bound = F.conv2d(xa, wa, None if b is None else b.double().abs(), **kw)
    (F.conv2d(xa, wa, **kw) * g.double().abs()).sum().backward()
    return out.detach(), bound.detach(), xd.grad, xa.grad, wd.grad, wa.grad, None if b is None else bd.grad


@pytest.mark.filterwarnings("ignore:Using padding=.same.")
@pytest.mark.parametrize("xs,ws,stride,padding,dilation,groups", CONV_CASES)
@pytest.mark.parametrize("dtype", FLOATS)
def test_conv2d_forward_backward(seed, xs, ws, stride, padding, dilation, groups, dtype):
    x, w, b = rand(xs, dtype, -1, 1), rand(ws, dtype, -1, 1), rand((ws[0],), dtype, -1, 1)
    out_shape = F.conv2d(x.double(), w.double(), None, stride, padding, dilation, groups).shape
    g = rand(tuple(out_shape), dtype, -1, 1)
    out_r, out_b, gx_r, gx_b, gw_r, gw_b, gb_r = conv_refs(x, w, b, g, stride, padding, dilation, groups)
    kdim = ws[1] * ws[2] * ws[3]
    X, W, B = (on_dev(t).requires_grad_() for t in (x, w, b))
    out = TF.conv2d(X, W, B, stride, padding, dilation, groups)
    check(out, out_r, out_b, dtype, kdim)
    out.backward(on_dev(g))
    check(X.grad, gx_r, gx_b, dtype, ws[0] // groups * ws[2] * ws[3])
    npix = out_shape[0] * out_shape[2] * out_shape[3]
    check(W.grad, gw_r, gw_b, dtype, npix)
    check(B.grad, gb_r, g.double().abs().sum((0, 2, 3)), dtype, npix)
    # tessera's CPU kernel on the same inputs
    check(TF.conv2d(X.detach().cpu(), W.detach().cpu(), B.detach().cpu(), stride, padding, dilation, groups).to(DEV),
          out_r, out_b, dtype, kdim)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
def test_conv2d_unbatched_strided_empty(seed, dtype):
    x, w = rand((4, 9, 8), dtype, -1, 1), rand((3, 4, 3, 3), dtype, -1, 1)
    X = on_dev(torch.zeros(4, 9, 16, dtype=dtype))[..., ::2]
    X.copy_(on_dev(x))  # a strided (non-contiguous) input
    ref = F.conv2d(x.double(), w.double(), padding=1)
    check(TF.conv2d(X, on_dev(w), padding=1), ref, F.conv2d(x.double().abs(), w.double().abs(), padding=1), dtype, 36)
    e = TF.conv2d(on_dev(rand((0, 4, 9, 8), dtype)), on_dev(w), padding=1)
    assert tuple(e.shape) == (0, 3, 9, 8)
    # empty batch backward: zero weight and bias gradients
    X0, W, B = on_dev(rand((0, 4, 9, 8), dtype)).requires_grad_(), on_dev(w).requires_grad_(), \
        on_dev(rand((3,), dtype)).requires_grad_()
    TF.conv2d(X0, W, B, padding=1).sum().backward()
    assert (host(W.grad) == 0).all() and (host(B.grad) == 0).all()


def test_conv2d_large_chunked(seed):
    """Enough images that the column buffer is split into chunks (weight gradient accumulated)."""
    dtype = torch.float32
    x, w, b = rand((30, 32, 96, 96), dtype, -1, 1), rand((16, 32, 3, 3), dtype, -1, 1), rand((16,), dtype)
    g = rand((30, 16, 96, 96), dtype, -1, 1)
    out_r, out_b, gx_r, gx_b, gw_r, gw_b, gb_r = conv_refs(x, w, b, g, 1, 1, 1, 1)
    X, W, B = (on_dev(t).requires_grad_() for t in (x, w, b))
    out = TF.conv2d(X, W, B, padding=1)
    check(out, out_r, out_b, dtype, 288)
    out.backward(on_dev(g))
    check(X.grad, gx_r, gx_b, dtype, 16 * 9)
    check(W.grad, gw_r, gw_b, dtype, 30 * 96 * 96)
    check(B.grad, gb_r, g.double().abs().sum((0, 2, 3)), dtype, 30 * 96 * 96)


def test_conv2d_matches_numpy_im2col(seed):
    """An independent reference for one odd geometry (stride, dilation, asymmetric kernel)."""
    x, w = rand((1, 2, 7, 9), torch.float64), rand((3, 2, 2, 3), torch.float64)
    got = host(TF.conv2d(on_dev(x), on_dev(w), stride=(2, 1), padding=(1, 2), dilation=(3, 2))).numpy()
    xp = np.pad(x.numpy(), ((0, 0), (0, 0), (1, 1), (2, 2)))
    oh, ow = (7 + 2 - 3 * 1 - 1) // 2 + 1, (9 + 4 - 2 * 2 - 1) // 1 + 1
    ref = np.zeros((1, 3, oh, ow))
    for o in range(3):
        for y in range(oh):
            for xx in range(ow):
                patch = xp[0, :, y * 2: y * 2 + 4: 3, xx: xx + 5: 2]
                ref[0, o, y, xx] = (patch * w.numpy()[o]).sum()
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12)

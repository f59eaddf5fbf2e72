"""Matrix products against PyTorch: every matmul broadcasting case, transposed / strided operands,
empty dims, dtypes, addmm/baddbmm scaling, linear, outer, dot and the @ operator."""
import numpy as np
import pytest
import torch

import tessera as ts
from helpers import INT_DTYPES, assert_close, rand, to_ts

MM_DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16]
# products sum k terms: looser than the elementwise tolerances
MM_TOL = {
    torch.float32: dict(rtol=1e-5, atol=1e-4), torch.float64: dict(rtol=1e-10, atol=1e-10),
    torch.float16: dict(rtol=1e-2, atol=2e-2), torch.bfloat16: dict(rtol=2e-2, atol=1e-1),
}


def tol(dt):
    return MM_TOL.get(dt, dict(rtol=0, atol=0))


def to_ts_transposed(t):
    """Same values as t, stored with the last two dims swapped (a transposed view, no copy)."""
    arr = np.ascontiguousarray(t.numpy().swapaxes(-1, -2)).swapaxes(-1, -2)
    out = ts.from_numpy(arr)
    assert not out.is_contiguous() or min(t.shape[-2:]) <= 1
    return out


MATMUL_SHAPES = [
    ((5,), (5,)),              # dot
    ((3, 5), (5,)),            # mv
    ((5,), (5, 4)),            # vector @ matrix
    ((3, 5), (5, 4)),          # mm
    ((2, 3, 5), (5, 4)),       # batched @ matrix (folded)
    ((2, 3, 5), (5,)),         # batched @ vector
    ((5,), (2, 5, 4)),         # vector @ batched
    ((3, 5), (2, 5, 4)),       # matrix @ batched
    ((2, 3, 5), (2, 5, 4)),    # bmm
    ((2, 1, 3, 5), (4, 5, 6)),  # broadcast batch dims
    ((1, 3, 5), (2, 2, 5, 4)),
    ((4, 1, 2, 3), (3, 2)),
]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES)
@pytest.mark.parametrize("dtype", MM_DTYPES)
def test_matmul_shapes(seed, sa, sb, dtype):
    a, b = rand(sa, dtype), rand(sb, dtype)
    assert_close(ts.matmul(to_ts(a), to_ts(b)), torch.matmul(a, b), **tol(dtype))
    assert_close(to_ts(a) @ to_ts(b), a @ b, **tol(dtype))


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES)
def test_matmul_noncontig(seed, sa, sb):
    a, b = rand(sa), rand(sb)
    assert_close(ts.matmul(to_ts(a, noncontig=True), to_ts(b, noncontig=True)), torch.matmul(a, b), **tol(torch.float32))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("ta", [False, True])
@pytest.mark.parametrize("tb", [False, True])
def test_mm_transposed_views(seed, dtype, ta, tb):
    a, b = rand((7, 9), dtype), rand((9, 6), dtype)
    xa = to_ts_transposed(a) if ta else to_ts(a)
    xb = to_ts_transposed(b) if tb else to_ts(b)
    assert_close(ts.mm(xa, xb), a @ b, **tol(dtype))
    # batched, transposed inner matrices
    a3, b3 = rand((3, 7, 9), dtype), rand((3, 9, 6), dtype)
    xa3 = to_ts_transposed(a3) if ta else to_ts(a3)
    xb3 = to_ts_transposed(b3) if tb else to_ts(b3)
    assert_close(ts.bmm(xa3, xb3), torch.bmm(a3, b3), **tol(dtype))
    assert_close(ts.matmul(xa3, xb), a3 @ b, **tol(dtype))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_matvec_transposed(seed, dtype):
    a, v = rand((6, 8), dtype), rand((8,), dtype)
    assert_close(ts.mv(to_ts_transposed(a), to_ts(v)), torch.mv(a, v), **tol(dtype))
    w = rand((6,), dtype)
    assert_close(ts.matmul(to_ts(w), to_ts_transposed(a)), w @ a, **tol(dtype))
    assert_close(ts.matmul(to_ts(w, noncontig=True), to_ts(a, noncontig=True)), w @ a, **tol(dtype))


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_mm_integers(seed, dtype):
    a, b = rand((4, 6), dtype), rand((6, 5), dtype)
    assert_close(ts.mm(to_ts(a), to_ts(b)), torch.mm(a, b))
    a3, b3 = rand((2, 4, 6), dtype), rand((2, 6, 5), dtype)
    assert_close(ts.bmm(to_ts(a3, noncontig=True), to_ts(b3)), torch.bmm(a3, b3))
    assert_close(ts.matmul(to_ts(a3), to_ts(b3[0, :, 0])), torch.matmul(a3, b3[0, :, 0]))


@pytest.mark.parametrize("sa,sb", [((3, 0), (0, 4)), ((0, 5), (5, 4)), ((3, 5), (5, 0)), ((2, 3, 0), (2, 0, 4)),
                                   ((0, 3, 5), (5, 2)), ((0,), (0,))])
def test_matmul_empty(seed, sa, sb):
    a, b = rand(sa), rand(sb)
    assert_close(ts.matmul(to_ts(a), to_ts(b)), torch.matmul(a, b))


@pytest.mark.parametrize("dtype", MM_DTYPES)
def test_dot_outer(seed, dtype):
    a, b = rand((9,), dtype), rand((9,), dtype)
    assert_close(ts.dot(to_ts(a), to_ts(b, noncontig=True)), torch.dot(a, b), **tol(dtype))
    assert_close(to_ts(a).dot(to_ts(b)), a.dot(b), **tol(dtype))
    c = rand((4,), dtype)
    assert_close(ts.outer(to_ts(a), to_ts(c, noncontig=True)), torch.outer(a, c), **tol(dtype))
    assert_close(to_ts(a).outer(to_ts(c)), a.outer(c), **tol(dtype))


def test_outer_promotes_and_ints(seed):
    a, b = rand((5,), torch.int32), rand((3,), torch.float32)
    assert_close(ts.outer(to_ts(a), to_ts(b)), torch.outer(a, b))
    a, b = rand((5,), torch.int64), rand((3,), torch.int8)
    assert_close(ts.outer(to_ts(a), to_ts(b)), torch.outer(a, b))
    a, b = rand((5,), torch.bool), rand((3,), torch.bool)
    assert_close(ts.outer(to_ts(a), to_ts(b)), torch.outer(a, b))


@pytest.mark.parametrize("dtype", MM_DTYPES)
@pytest.mark.parametrize("beta,alpha", [(1, 1), (0.5, 2.0), (0, 1.5), (2, 0)])
def test_addmm(seed, dtype, beta, alpha):
    inp, m1, m2 = rand((4, 6), dtype), rand((4, 5), dtype), rand((5, 6), dtype)
    assert_close(ts.addmm(to_ts(inp), to_ts(m1), to_ts(m2), beta=beta, alpha=alpha),
                 torch.addmm(inp, m1, m2, beta=beta, alpha=alpha), **tol(dtype))
    bias = rand((6,), dtype)  # broadcast input
    assert_close(to_ts(bias).addmm(to_ts(m1, noncontig=True), to_ts(m2), beta=beta, alpha=alpha),
                 bias.addmm(m1, m2, beta=beta, alpha=alpha), **tol(dtype))


def test_addmm_beta_zero_ignores_nan(seed):
    inp = torch.full((3, 4), float("nan"))
    m1, m2 = rand((3, 2)), rand((2, 4))
    assert_close(ts.addmm(to_ts(inp), to_ts(m1), to_ts(m2), beta=0), torch.addmm(inp, m1, m2, beta=0))


def test_addmm_int(seed):
    inp, m1, m2 = rand((3, 4), torch.int64), rand((3, 5), torch.int64), rand((5, 4), torch.int64)
    assert_close(ts.addmm(to_ts(inp), to_ts(m1), to_ts(m2), beta=2, alpha=3), torch.addmm(inp, m1, m2, beta=2, alpha=3))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16])
def test_baddbmm(seed, dtype):
    inp, b1, b2 = rand((3, 4, 6), dtype), rand((3, 4, 5), dtype), rand((3, 5, 6), dtype)
    assert_close(ts.baddbmm(to_ts(inp), to_ts(b1), to_ts(b2), beta=0.5, alpha=-1.5),
                 torch.baddbmm(inp, b1, b2, beta=0.5, alpha=-1.5), **tol(dtype))
    inp = rand((4, 1), dtype)
    assert_close(to_ts(inp).baddbmm(to_ts(b1), to_ts(b2, noncontig=True)), inp.baddbmm(b1, b2), **tol(dtype))


@pytest.mark.parametrize("dtype", MM_DTYPES)
@pytest.mark.parametrize("shape", [(7,), (3, 7), (2, 3, 7), (2, 0, 7)])
@pytest.mark.parametrize("with_bias", [False, True])
def test_linear(seed, dtype, shape, with_bias):
    x, w = rand(shape, dtype), rand((5, 7), dtype)
    b = rand((5,), dtype) if with_bias else None
    expected = torch.nn.functional.linear(x, w, b)
    got = ts._C._nn.linear(to_ts(x), to_ts(w), to_ts(b) if with_bias else None)
    assert_close(got, expected, **tol(dtype))


def test_linear_noncontig_and_1d_weight(seed):
    x, w, b = rand((4, 3, 7)), rand((5, 7)), rand((5,))
    assert_close(ts._C._nn.linear(to_ts(x, noncontig=True), to_ts(w, noncontig=True), to_ts(b)),
                 torch.nn.functional.linear(x, w, b), **tol(torch.float32))
    w1 = rand((7,))
    assert_close(ts._C._nn.linear(to_ts(x), to_ts(w1)), torch.nn.functional.linear(x, w1), **tol(torch.float32))


def test_large_gemm_and_many_small_batches(seed):
    a, b = rand((130, 257)), rand((257, 190))
    assert_close(ts.mm(to_ts(a), to_ts(b)), a @ b, rtol=1e-4, atol=1e-3)
    a, b = rand((64, 8, 8)), rand((64, 8, 8))
    assert_close(ts.bmm(to_ts(a), to_ts(b)), torch.bmm(a, b), **tol(torch.float32))
    a, b = rand((64, 8, 8), torch.float16), rand((64, 8, 8), torch.float16)
    assert_close(ts.bmm(to_ts(a), to_ts(b)), torch.bmm(a, b), **tol(torch.float16))


def test_rmatmul_and_methods(seed):
    a, b = rand((3, 4)), rand((4, 2))
    assert_close(to_ts(a).matmul(to_ts(b)), a.matmul(b), **tol(torch.float32))
    assert_close(to_ts(a).mm(to_ts(b)), a.mm(b), **tol(torch.float32))
    assert_close(to_ts(a).mv(to_ts(b[:, 0])), a.mv(b[:, 0]), **tol(torch.float32))
    c = rand((5, 3))
    assert_close(to_ts(a).__rmatmul__(to_ts(c)), c @ a, **tol(torch.float32))

"""Backward formulas of reductions, scans, sorting and matrix products against PyTorch's gradients,
finite differences (gradcheck, float64) and second derivatives (gradgradcheck)."""
import pytest
import torch

import tessera as ts
from helpers import assert_close, rand, to_ts

DTYPES = [torch.float32, torch.float64]
GRAD_TOL = {torch.float32: dict(rtol=1e-4, atol=1e-4), torch.float64: dict(rtol=1e-7, atol=1e-7)}


def leaf(t, noncontig=False):
    """A tessera leaf and a torch leaf holding the same values."""
    return to_ts(t, noncontig=noncontig).requires_grad_(), t.detach().clone().requires_grad_()


def compare(fn, tensors, noncontig=(), tol=None):
    """Runs fn(module, *inputs) in tessera and torch, backpropagates one random gradient and compares
    the values and every input's gradient."""
    pairs = [leaf(t, i in noncontig) for i, t in enumerate(tensors)]
    out = fn(ts, *[p[0] for p in pairs])
    tout = fn(torch, *[p[1] for p in pairs])
    dtype = tout.dtype
    tol = tol or GRAD_TOL[dtype]
    assert_close(out.detach(), tout.detach(), **tol)
    g = rand(tuple(tout.shape), dtype)
    out.backward(to_ts(g))
    tout.backward(g)
    for (x, tx) in pairs:
        assert x.grad is not None
        # PyTorch leaves .grad None where the formula is identically zero (norm with p=0).
        expected = tx.grad if tx.grad is not None else torch.zeros_like(tx)
        assert_close(x.grad, expected, **GRAD_TOL[tx.dtype])


def f64(*shapes, low=-2.0, high=2.0):
    return [to_ts(rand(s, torch.float64, low, high)).requires_grad_() for s in shapes]


def check_grads(fn, *inputs, second=True):
    assert ts.autograd.gradcheck(fn, inputs)
    if second:
        assert ts.autograd.gradgradcheck(fn, inputs)


# ---- reductions ----------------------------------------------------------------------------------

PROD_CASES = [dict(), dict(dim=0), dict(dim=1, keepdim=True), dict(dim=-1)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", PROD_CASES, ids=str)
@pytest.mark.parametrize("zeros", [0, 1, 2])
def test_prod(seed, dtype, kw, zeros):
    t = rand((3, 4), dtype, 0.5, 1.5)
    if zeros >= 1:
        t[1, 2] = 0
    if zeros == 2:
        t[1, 0] = 0
        t[2, 3] = 0
    compare(lambda m, x: m.prod(x, **kw), [t], noncontig=(0,))


def test_prod_dtype_and_0d(seed):
    compare(lambda m, x: m.prod(x, dtype=m.float64), [rand((2, 3), torch.float32, 0.5, 1.5)])
    compare(lambda m, x: m.prod(x, 0), [rand((), torch.float64)])
    compare(lambda m, x: m.prod(x), [rand((5,), torch.float64)])


@pytest.mark.parametrize("zeros", [0, 1, 2])
def test_prod_gradcheck(seed, zeros):
    (x,) = f64((3, 4), low=0.5, high=1.5)
    with ts.no_grad():
        if zeros:
            x[0, 1] = 0.0
        if zeros == 2:
            x[0, 3] = 0.0
    check_grads(lambda a: a.prod(1), x)
    check_grads(lambda a: a.prod(), x)


@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_max_min_full_ties_split_evenly(seed, op, dtype):
    t = rand((3, 4), dtype).round()  # integers: ties are likely
    t[0, 0] = t[2, 1] = t[1, 3] = (t.max() if op == "max" else t.min())
    compare(lambda m, x: getattr(m, op)(x), [t], noncontig=(0,))
    compare(lambda m, x: getattr(x, op)(), [rand((), dtype)])


@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("dim,keepdim", [(0, False), (1, True), (-1, False)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_max_min_dim(seed, op, dim, keepdim, dtype):
    t = rand((3, 4, 2), dtype)
    compare(lambda m, x: getattr(m, op)(x, dim, keepdim=keepdim)[0], [t], noncontig=(0,))
    x = to_ts(t).requires_grad_()
    values, indices = getattr(ts, op)(x, dim)
    assert values.requires_grad and not indices.requires_grad


@pytest.mark.parametrize("op", ["amax", "amin"])
@pytest.mark.parametrize("dim,keepdim", [((), False), ((0,), False), ((1, 2), True), ((-1,), False)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_amax_amin_ties(seed, op, dim, keepdim, dtype):
    t = rand((3, 4, 2), dtype, -2, 2).round()
    compare(lambda m, x: getattr(m, op)(x, dim, keepdim), [t], noncontig=(0,))


def test_max_family_gradcheck(seed):
    (x,) = f64((3, 4))
    # The first derivatives are piecewise constant; multiplying by a makes the second ones non-zero.
    check_grads(lambda a: a.max() * a, x)
    check_grads(lambda a: ts.min(a, 1)[0] * a.sum(1), x)
    check_grads(lambda a: ts.amax(a, (0,), True) * a, x)
    check_grads(lambda a: ts.amin(a, 1) * a.sum(1), x)


VAR_CASES = [dict(), dict(dim=0), dict(dim=(0, 2), keepdim=True), dict(dim=-1, correction=0),
             dict(dim=1, correction=2), dict(unbiased=False), dict(dim=(1,), keepdim=False, correction=0.5)]


@pytest.mark.parametrize("op", ["var", "std"])
@pytest.mark.parametrize("kw", VAR_CASES, ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
def test_var_std(seed, op, kw, dtype):
    compare(lambda m, x: getattr(m, op)(x, **kw), [rand((3, 4, 5), dtype)], noncontig=(0,))


def test_std_of_constant_gives_zero_grad(seed):
    t = torch.ones(2, 3, dtype=torch.float64)
    compare(lambda m, x: m.std(x, 1), [t])


@pytest.mark.parametrize("op", ["var", "std"])
def test_var_std_gradgradcheck(seed, op):
    (x,) = f64((3, 4))
    check_grads(lambda a: getattr(ts, op)(a), x)
    check_grads(lambda a: getattr(ts, op)(a, 1, keepdim=True, correction=0), x)


NORM_P = [2, 1, float("inf"), -float("inf"), 3, 0.5, 1.5, -1.5, 0, "fro"]


@pytest.mark.parametrize("p", NORM_P, ids=str)
@pytest.mark.parametrize("dim,keepdim", [(None, False), (1, False), ((0, 2), True)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_norm(seed, p, dim, keepdim, dtype):
    if p == "fro" and dim is not None and not isinstance(dim, tuple):
        dim = (dim,)
    compare(lambda m, x: m.norm(x, p, dim, keepdim), [rand((3, 4, 2), dtype)], noncontig=(0,))


@pytest.mark.parametrize("p", [2, 1, 3, 1.5, 0.5, float("inf"), "fro"], ids=str)
def test_norm_of_zeros(seed, p):
    t = rand((3, 4), torch.float64)
    t[1] = 0
    compare(lambda m, x: m.norm(x, p, 1), [t])


def test_norm_dtype_arg(seed):
    compare(lambda m, x: m.norm(x, 2, 1, dtype=m.float64), [rand((3, 4), torch.float32)])


@pytest.mark.parametrize("p", [2, 1, float("inf"), 3, 0.5], ids=str)
def test_norm_gradcheck(seed, p):
    (x,) = f64((3, 4))
    assert ts.autograd.gradcheck(lambda a: ts.norm(a, p, 1), (x,))
    if p in (2, 1, float("inf")):  # (general p needs pow's formula)
        # p=1 and inf have piecewise-constant first derivatives: times a.sum(1) for a graph.
        assert ts.autograd.gradgradcheck(lambda a: ts.norm(a, p, 1) * a.sum(1), (x,))


@pytest.mark.parametrize("dim,keepdim", [((1,), False), ((0, 2), True), ((-1,), True), ((0, 1, 2), False)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_logsumexp(seed, dim, keepdim, dtype):
    compare(lambda m, x: m.logsumexp(x, dim, keepdim), [rand((3, 4, 2), dtype)], noncontig=(0,))


def test_logsumexp_gradgradcheck(seed):
    (x,) = f64((3, 4))
    check_grads(lambda a: ts.logsumexp(a, (1,)), x)


# ---- scans ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("dtype", DTYPES)
def test_cumsum(seed, dim, dtype):
    compare(lambda m, x: m.cumsum(x, dim), [rand((3, 4, 5), dtype)], noncontig=(0,))


def test_cumsum_dtype_and_0d(seed):
    compare(lambda m, x: m.cumsum(x, 1, dtype=m.float64), [rand((3, 4), torch.float32)])
    compare(lambda m, x: m.cumsum(x, 0), [rand((), torch.float64)])


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("zeros", [0, 1, 2])
@pytest.mark.parametrize("dtype", DTYPES)
def test_cumprod(seed, dim, zeros, dtype):
    t = rand((3, 4, 5), dtype, 0.5, 1.5)
    if zeros:
        t[1, 2, 3] = 0
        t[0, 0, 0] = 0
    if zeros == 2:
        t[1, 2, 1] = t[1, 0, 3] = t[2, 2, 3] = 0
    compare(lambda m, x: m.cumprod(x, dim), [t], noncontig=(0,))


@pytest.mark.parametrize("zeros", [0, 1, 2])
def test_scans_gradgradcheck(seed, zeros):
    (x,) = f64((3, 4), low=0.5, high=1.5)
    with ts.no_grad():
        if zeros:
            x[1, 1] = 0.0
        if zeros == 2:
            x[1, 3] = 0.0
    check_grads(lambda a: ts.cumprod(a, 1), x)
    check_grads(lambda a: ts.cumprod(a, 0), x)
    check_grads(lambda a: ts.cumsum(a, 1) * a, x)


# ---- sort ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("dim,descending", [(-1, False), (0, True), (1, False)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_sort(seed, dim, descending, dtype):
    compare(lambda m, x: m.sort(x, dim, descending)[0], [rand((3, 4, 5), dtype)], noncontig=(0,))


@pytest.mark.parametrize("k,dim,largest", [(2, -1, True), (1, 0, False), (4, 1, True), (3, -1, False)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_topk(seed, k, dim, largest, dtype):
    compare(lambda m, x: m.topk(x, k, dim, largest)[0], [rand((3, 4, 5), dtype)], noncontig=(0,))


def test_sort_indices_not_differentiable(seed):
    x = to_ts(rand((3, 4))).requires_grad_()
    v, i = ts.sort(x)
    assert v.requires_grad and not i.requires_grad
    assert not ts.argsort(x).requires_grad
    v, i = ts.topk(x, 2)
    assert v.requires_grad and not i.requires_grad
    compare(lambda m, x: m.sort(x)[0], [rand((), torch.float64)])


def test_sort_gradgradcheck(seed):
    (x,) = f64((3, 4))
    check_grads(lambda a: ts.sort(a, 1, True)[0] * a, x)
    check_grads(lambda a: ts.topk(a, 2, 0)[0] * a.sum(0), x)


# ---- matrix products -----------------------------------------------------------------------------

MATMUL_SHAPES = [((3, 4), (4, 5)), ((4,), (4,)), ((4,), (4, 5)), ((3, 4), (4,)), ((2, 3, 4), (4, 5)),
                 ((2, 3, 4), (4,)), ((4,), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 2)), ((3, 4), (2, 4, 5)),
                 ((2, 3, 4), (2, 4, 5)), ((0, 3), (3, 2))]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
def test_matmul(seed, shapes, dtype):
    compare(lambda m, a, b: m.matmul(a, b), [rand(shapes[0], dtype), rand(shapes[1], dtype)], noncontig=(1,))


@pytest.mark.parametrize("dtype", DTYPES)
def test_matmul_transposed_inputs(seed, dtype):
    compare(lambda m, a, b: m.matmul(a.transpose(-2, -1), b.transpose(0, 1)),
            [rand((2, 4, 3), dtype), rand((5, 4), dtype)])
    compare(lambda m, a, b: a.transpose(0, 1) @ b, [rand((4, 3), dtype), rand((2, 4, 5), dtype)])


@pytest.mark.parametrize("shapes", [((3, 4), (4, 2)), ((4,), (4,)), ((2, 3, 4), (4,)), ((3,), (2, 3, 2)),
                                    ((2, 1, 2, 3), (2, 3, 2))], ids=str)
def test_matmul_gradgradcheck(seed, shapes):
    check_grads(lambda a, b: ts.matmul(a, b), *f64(*shapes))


@pytest.mark.parametrize("dtype", DTYPES)
def test_mm_bmm_mv_dot(seed, dtype):
    r = lambda *s: rand(s, dtype)
    compare(lambda m, a, b: m.mm(a, b), [r(3, 4), r(4, 5)], noncontig=(0,))
    compare(lambda m, a, b: m.mm(a.t(), b), [r(4, 3), r(4, 5)])
    compare(lambda m, a, b: m.bmm(a, b), [r(2, 3, 4), r(2, 4, 5)], noncontig=(1,))
    compare(lambda m, a, b: m.mv(a, b), [r(3, 4), r(4)], noncontig=(0, 1))
    compare(lambda m, a, b: m.dot(a, b), [r(4), r(4)], noncontig=(0,))


@pytest.mark.parametrize("dtypes", [(torch.float32, torch.float32), (torch.float64, torch.float64),
                                    (torch.float32, torch.float64)], ids=str)
def test_outer(seed, dtypes):
    compare(lambda m, a, b: m.outer(a, b), [rand((3,), dtypes[0]), rand((4,), dtypes[1])], noncontig=(0,))


@pytest.mark.parametrize("beta,alpha", [(1, 1), (0.5, 2.0), (0, 1), (2, -1)])
@pytest.mark.parametrize("self_shape", [(3, 5), (5,), (1, 1)], ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
def test_addmm(seed, beta, alpha, self_shape, dtype):
    compare(lambda m, s, a, b: m.addmm(s, a, b, beta=beta, alpha=alpha),
            [rand(self_shape, dtype), rand((3, 4), dtype), rand((4, 5), dtype)], noncontig=(1,))


@pytest.mark.parametrize("beta,alpha", [(1, 1), (0.5, 2.0)])
@pytest.mark.parametrize("self_shape", [(2, 3, 5), (5,), (3, 1)], ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
def test_baddbmm(seed, beta, alpha, self_shape, dtype):
    compare(lambda m, s, a, b: m.baddbmm(s, a, b, beta=beta, alpha=alpha),
            [rand(self_shape, dtype), rand((2, 3, 4), dtype), rand((2, 4, 5), dtype)], noncontig=(2,))


LINEAR_CASES = [((3, 4), (5, 4), (5,)), ((2, 3, 4), (5, 4), (5,)), ((4,), (5, 4), (5,)), ((3, 4), (5, 4), None),
                ((2, 3, 4), (4,), None), ((4,), (4,), None), ((3, 4), (5, 4), (1, 5)), ((2, 3, 4), (5, 4), (1,)),
                ((0, 4), (5, 4), (5,))]


@pytest.mark.parametrize("shapes", LINEAR_CASES, ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
def test_linear(seed, shapes, dtype):
    x, w, b = shapes
    ts_in = [rand(x, dtype), rand(w, dtype)] + ([rand(b, dtype)] if b else [])
    fn = (lambda m, x, w, b: m.nn.functional.linear(x, w, b)) if b else (lambda m, x, w: m.nn.functional.linear(x, w))
    compare(fn, ts_in, noncontig=(0,))


def test_linear_functional_name():
    assert hasattr(ts.nn.functional, "linear")


def test_linalg_gradgradcheck(seed):
    check_grads(lambda a, b: ts.mm(a, b), *f64((2, 3), (3, 2)))
    check_grads(lambda a, b: ts.bmm(a, b), *f64((2, 2, 3), (2, 3, 2)))
    check_grads(lambda a, b: ts.mv(a, b), *f64((2, 3), (3,)))
    check_grads(lambda a, b: ts.dot(a, b), *f64((3,), (3,)))
    check_grads(lambda a, b: ts.outer(a, b), *f64((3,), (2,)))
    # self/bias enter linearly (constant first derivative): square them so gradgradcheck sees a graph.
    check_grads(lambda s, a, b: ts.addmm(s * s, a, b, beta=0.5, alpha=2), *f64((2,), (3, 2), (2, 2)))
    check_grads(lambda s, a, b: ts.baddbmm(s * s, a, b, beta=2, alpha=-1), *f64((2, 3, 2), (2, 3, 2), (2, 2, 2)))
    check_grads(lambda x, w, b: ts.nn.functional.linear(x, w, b * b), *f64((2, 3, 4), (2, 4), (2,)))
    check_grads(lambda x, w: ts.nn.functional.linear(x, w), *f64((3, 4), (4,)))


def test_grad_fn_names(seed):
    x, y = f64((3, 4), (4, 2))
    names = {
        "MmBackward0": ts.mm(x, y), "AddmmBackward0": ts.addmm(y, x.t(), ts.mm(x, y)), "ProdBackward1": x.prod(1),
        "ProdBackward0": x.prod(), "MaxBackward1": x.max(), "MaxBackward0": x.max(0)[0], "AmaxBackward0": x.amax(1),
        "VarBackward0": x.var(), "StdBackward0": x.std(0), "NormBackward1": x.norm(2, 1),
        "LogsumexpBackward0": x.logsumexp(1), "CumsumBackward0": x.cumsum(0), "CumprodBackward0": x.cumprod(1),
        "SortBackward0": x.sort()[0], "TopkBackward0": x.topk(2)[0], "DotBackward0": ts.dot(x[0] if False else y.t().reshape(-1), y.reshape(-1)),
    }
    for name, out in names.items():
        assert out.grad_fn.name() == name


def test_saved_tensors_checked_and_released(seed):
    a, b = f64((3, 4), (4, 2))
    y = ts.matmul(a, b).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()
    z = ts.cumprod(a, 1).sum()
    z.backward()
    with pytest.raises(RuntimeError, match="second time"):
        z.backward()


def test_inplace_after_save_raises(seed):
    x = f64((3, 4))[0]
    h = x * 1.0
    y = ts.std(h, 0).sum()
    with ts.no_grad():
        h.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()

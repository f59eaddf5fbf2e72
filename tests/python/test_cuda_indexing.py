"""Indexing and shape-copy ops on CUDA (csrc/cuda/kernels/{indexing,shape_copy,nn_index}) against
torch (CPU reference) and tessera's CPU kernels: advanced indexing (row and element paths, several
index tensors, broadcast, negative indices), accumulating scatters with duplicate indices in every
dtype (add, prod, mean, amax/amin with NaN), bool masks and nonzero, out-of-range indices (same
error as the CPU, and the device keeps working), embedding forward/backward with padding_idx, cat
of many inputs, paddings, flip and tril/triu, over large sizes, non-contiguous operands and empty
tensors.

Skipped without a GPU. TESSERA_CUDA_TEST_DEVICE=cpu runs the same checks on the CPU (to validate
the harness on a machine without a GPU)."""
import os

import pytest
import torch
import torch.nn.functional as F

import tessera as ts
import tessera.nn.functional as TF
from helpers import ALL_DTYPES, FLOAT_DTYPES, INT_DTYPES, assert_close, rand, to_torch, to_ts

DEV = os.environ.get("TESSERA_CUDA_TEST_DEVICE", "cuda")
pytestmark = [pytest.mark.skipif(DEV == "cuda" and not ts.cuda.is_available(), reason="needs a CUDA GPU"),
              pytest.mark.filterwarnings("ignore::UserWarning")]

NUMERIC = INT_DTYPES + FLOAT_DTYPES


def dev(t: torch.Tensor) -> ts.Tensor:
    return to_ts(t).to(DEV)


def dev_transposed(t: torch.Tensor) -> ts.Tensor:
    """A non-contiguous view on DEV with t's values (t 2-D)."""
    return dev(t.t().contiguous()).t()


def dev_strided(t: torch.Tensor) -> ts.Tensor:
    """Every other element of a twice-as-long last dim: a strided view on DEV with t's values."""
    big = torch.zeros(t.shape[:-1] + (t.shape[-1] * 2,), dtype=t.dtype)
    big[..., ::2] = t
    return dev(big)[..., ::2]


def check(got: ts.Tensor, expected: torch.Tensor, **tol):
    assert got.device.type == DEV
    assert_close(got.cpu(), expected, **tol)


def small_values(shape, dtype):
    """Small integers (as `dtype`): sums and products of a few of them are exact in every dtype."""
    if dtype == torch.bool:
        return torch.rand(shape) > 0.5
    lo = 0 if dtype == torch.uint8 else -3
    return torch.randint(lo, 4, shape).to(dtype)


# ------------------------------------------------------------------ gathers

@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_index_paths(seed, dtype):
    # rows path (dense rows of >= 256 bytes), element path (narrow rows, index along the inner dim)
    for shape in [(300, 97), (50, 1030)]:
        x = rand(shape, dtype)
        xd = dev(x)
        idx = torch.randint(-shape[0], shape[0], (2000,))
        check(xd[dev(idx)], x[idx])
        idx2 = torch.randint(0, shape[1], (3, 40))
        check(xd[:, dev(idx2)], x[:, idx2])
        a, b = torch.randint(0, shape[0], (40, 1)), torch.randint(-shape[1], shape[1], (1, 30))
        check(xd[dev(a), dev(b)], x[a, b])
        # non-contiguous self and index
        check(dev_transposed(x)[dev(idx)], x[idx])
        big_idx = torch.randint(0, shape[0], (4000,))
        check(xd[dev(big_idx)[::3]], x[big_idx[::3]])
        assert_close(xd[dev(idx)].cpu(), to_torch(to_ts(x)[to_ts(idx)]))


def test_index_many_rows_and_long_rows(seed):
    x = rand((1000, 512))
    idx = torch.randint(0, 1000, (200_000,))
    check(dev(x)[dev(idx)], x[idx])
    x = rand((64, 5000))  # 20000-byte rows: several warp chunks per row
    idx = torch.randint(-64, 64, (300,))
    check(dev(x)[dev(idx)], x[idx])
    cols = torch.randint(0, 5000, (7000,))
    check(dev(x).index_select(1, dev(cols)), x.index_select(1, cols))


def test_take_more_than_65535_blocks(seed):
    n = (1 << 24) + 1000  # > 65535 blocks of 256 threads: the grid-stride loop covers the rest
    x = rand((1000,), torch.uint8, 0, 255)
    idx = torch.randint(-1000, 1000, (n,))
    check(ts.take(dev(x), dev(idx)), torch.take(x, idx))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.int64, torch.bool])
def test_gather_index_select_take(seed, dtype):
    x = rand((40, 70), dtype)
    xd = dev_transposed(x)
    for dim in (0, 1, -1):
        n = x.shape[dim]
        idx = torch.randint(0, n, (25, 30) if dim == 0 else (40, 90))
        check(ts.gather(xd, dim, dev(idx)), torch.gather(x, dim, idx))
        sel = torch.randint(0, n, (123,))
        check(xd.index_select(dim, dev(sel)), x.index_select(dim, sel))
        check(xd.index_select(dim, dev(sel.int())), x.index_select(dim, sel.int()))
    t = torch.randint(-x.numel(), x.numel(), (9, 11))
    check(ts.take(xd, dev(t)), torch.take(x, t))


# ------------------------------------------------------------------ scatters

@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_index_put_accumulate_duplicates(seed, dtype):
    x = small_values((100, 8), dtype)
    idx = torch.randint(-100, 100, (1000,))  # ~10 values per row
    v = small_values((1000, 8), dtype)
    got = dev(x).index_put_((dev(idx),), dev(v), accumulate=True)
    cpu = to_ts(x).index_put_((to_ts(idx),), to_ts(v), accumulate=True)
    assert_close(got.cpu(), to_torch(cpu))
    if dtype != torch.bool:
        check(got, x.clone().index_put_((idx,), v, accumulate=True))
    # several index tensors, a broadcast value, a non-contiguous destination
    i0, i1 = torch.randint(0, 100, (500,)), torch.randint(-8, 8, (500,))
    w = small_values((), dtype)
    xt = dev_transposed(x)
    xt.index_put_((dev(i0), dev(i1)), dev(w), accumulate=True)
    ref = to_ts(x)
    ref.index_put_((to_ts(i0), to_ts(i1)), to_ts(w), accumulate=True)
    assert_close(xt.cpu(), to_torch(ref))


def test_index_put_accumulate_large(seed):
    # many updates per element: float32 sums in a different order, compare with a tolerance
    x = torch.zeros(1000)
    idx = torch.randint(0, 1000, (3_000_000,))
    v = rand((3_000_000,), torch.float32, -1, 1)
    got = dev(x).index_put_((dev(idx),), dev(v), accumulate=True)
    check(got, x.index_put_((idx,), v, accumulate=True), rtol=1e-4, atol=5e-3)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int32,
                                   torch.int64, torch.int16, torch.int8, torch.uint8])
@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_duplicates(seed, dtype, reduce, include_self):
    x = small_values((20, 30), dtype)
    idx = torch.randint(0, 20, (60, 30))
    src = small_values((60, 30), dtype)
    if reduce == "prod":  # +-1 and +-2 (and 0): products of a few stay exact
        src = torch.randint(-2, 3, (60, 30)).abs().to(dtype) if dtype == torch.uint8 else \
            torch.randint(-2, 3, (60, 30)).to(dtype)
    xd = dev(x)
    got = xd.scatter_reduce(0, dev(idx), dev(src), reduce, include_self=include_self)
    expected = x.scatter_reduce(0, idx, src, reduce, include_self=include_self)
    tol = dict(rtol=1e-2, atol=1e-2) if reduce == "mean" and dtype.is_floating_point else {}
    check(got, expected, **tol)
    cpu = to_ts(x).scatter_reduce(0, to_ts(idx), to_ts(src), reduce, include_self=include_self)
    assert_close(got.cpu(), to_torch(cpu), **tol)
    # in place on a non-contiguous destination, along dim 1
    xt = dev_transposed(x.t().contiguous())
    idx1 = torch.randint(0, 20, (30, 50))
    src1 = small_values((30, 50), dtype) if reduce != "prod" else torch.randint(-1, 2, (30, 50))
    src1 = (src1.abs() if dtype == torch.uint8 and reduce == "prod" else src1).to(dtype)
    xt.scatter_reduce_(1, dev(idx1), dev(src1), reduce, include_self=include_self)
    check(xt, x.t().contiguous().scatter_reduce(1, idx1, src1, reduce, include_self=include_self), **tol)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16, torch.float64])
@pytest.mark.parametrize("reduce", ["amax", "amin"])
def test_scatter_reduce_nan(seed, dtype, reduce):
    x = rand((10, 6), dtype)
    x[3, 2] = float("nan")
    idx = torch.randint(0, 10, (40, 6))
    src = rand((40, 6), dtype)
    src[torch.rand(40, 6) < 0.1] = float("nan")
    got = dev(x).scatter_reduce(0, dev(idx), dev(src), reduce)
    check(got, x.scatter_reduce(0, idx, src, reduce))
    assert_close(got.cpu(), to_torch(to_ts(x).scatter_reduce(0, to_ts(idx), to_ts(src), reduce)))


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.int64, torch.uint8, torch.bool])
def test_scatter_family(seed, dtype):
    x = small_values((12, 9), dtype)
    perm = torch.stack([torch.randperm(12)[:7] for _ in range(9)], 1)  # unique per column: deterministic
    src = small_values((7, 9), dtype)
    check(dev(x).scatter(0, dev(perm), dev(src)), x.scatter(0, perm, src))
    val = True if dtype == torch.bool else 3
    check(dev(x).scatter(0, dev(perm), val), x.scatter(0, perm, val))
    check(dev(x).scatter_(0, dev(perm), val), x.clone().scatter_(0, perm, val))
    dup = torch.randint(0, 12, (30, 9))
    src30 = small_values((30, 9), dtype)
    if dtype != torch.bool:
        check(dev(x).scatter_add(0, dev(dup), dev(src30)), x.scatter_add(0, dup, src30))
        check(dev(x).scatter(0, dev(dup), dev(src30), reduce="add"), x.scatter(0, dup, src30, reduce="add"))
        m = torch.randint(-1, 2, (30, 9))
        m = (m.abs() if dtype == torch.uint8 else m).to(dtype)
        check(dev(x).scatter(0, dev(dup), dev(m), reduce="multiply"), x.scatter(0, dup, m, reduce="multiply"))
        rows = torch.randint(-12, 12, (20,))
        source = small_values((20, 9), dtype)
        check(dev(x).index_add(0, dev(rows % 12), dev(source), alpha=2),
              x.index_add(0, rows % 12, source, alpha=2))
    uniq = torch.randperm(12)[:5]
    check(dev(x).index_copy(0, dev(uniq), dev(src[:5])), x.index_copy(0, uniq, src[:5]))
    check(dev(x).index_fill(1, dev(torch.tensor([0, -1, 4])), val), x.index_fill(1, torch.tensor([0, -1, 4]), val))
    flat = torch.randperm(x.numel())[:20]
    check(dev(x).put(dev(flat), dev(src.reshape(-1)[:20])), x.put(flat, src.reshape(-1)[:20]))
    if dtype != torch.bool:
        fd = torch.randint(-x.numel(), x.numel(), (50,))
        sv = small_values((50,), dtype)
        check(dev_transposed(x).put_(dev(fd), dev(sv), accumulate=True),
              x.clone().put_(fd, sv, accumulate=True))


def test_index_put_rows_assign(seed):
    x = rand((500, 300))
    rows = torch.randperm(500)[:200]
    v = rand((200, 300))
    xd = dev(x)
    xd[dev(rows)] = dev(v)
    x[rows] = v
    check(xd, x)
    xd[dev(rows[:3])] = 1.5
    x[rows[:3]] = 1.5
    check(xd, x)
    xd[[0, 2]] = 2.5  # a Python list index: a CPU tensor, moved to the device
    x[[0, 2]] = 2.5
    check(xd, x)
    xd.index_put_((to_ts(rows[3:9]),), to_ts(torch.tensor(-4.0)))  # CPU index and 0-d CPU value
    x.index_put_((rows[3:9],), torch.tensor(-4.0))
    check(xd, x)


@pytest.mark.skipif(DEV == "cpu", reason="needs two devices")
def test_embedding_indices_on_another_device():
    with pytest.raises(RuntimeError, match=r"\[embedding\].*same device"):
        TF.embedding(to_ts(torch.tensor([0, 1])), dev(rand((4, 3))))


# ------------------------------------------------------------------ masks and nonzero

@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_nonzero(seed, dtype):
    for shape in [(3_000_017,), (37, 41, 53), (5, 0, 3), ()]:
        x = rand(shape, dtype, -1, 1)
        if dtype.is_floating_point and x.numel() > 10:
            x.view(-1)[:5] = torch.tensor([0.0, -0.0, float("nan"), 0.0, 1.0], dtype=dtype)
        if not dtype.is_floating_point and dtype != torch.bool:
            x = x * (torch.rand(shape) < 0.3).to(dtype)
        check(dev(x).nonzero(), x.nonzero())
    x = rand((40, 30), dtype)
    check(dev_transposed(x).nonzero(), x.nonzero())


@pytest.mark.parametrize("dtype", [torch.float32, torch.int8, torch.bool, torch.bfloat16])
def test_masks(seed, dtype):
    x = rand((300, 70), dtype)
    mask = torch.rand(300, 70) > 0.6
    xd = dev(x)
    check(xd[dev(mask)], x[mask])
    check(xd[to_ts(mask)], x[mask])  # a CPU mask for a GPU tensor
    row_mask = torch.rand(300) > 0.5
    check(xd[dev(row_mask)], x[row_mask])
    check(ts.masked_select(xd, dev(mask[0])), torch.masked_select(x, mask[0]))
    src = rand((300 * 70,), dtype)
    check(ts.masked_scatter(xd, dev(mask), dev(src)), x.masked_scatter(mask, src))
    val = True if dtype == torch.bool else 2
    xd[dev(mask)] = val
    x[mask] = val
    check(xd, x)
    check(xd[dev(torch.tensor(True))], x[torch.tensor(True)])


def test_contains(seed):
    x = rand((1000, 300), torch.int32, -100, 100)
    xd = dev_transposed(x)
    for v in [int(x[17, 42]), 1000, -1000]:
        assert (v in xd) == (v in x)
    y = rand((5000,), torch.float16)
    assert (float(y[4321]) in dev(y)) == (float(y[4321]) in y)
    assert (dev(y[4321]) in dev(y)) and (dev(y[4321]) in dev(y[:4321])) == (y[4321] in y[:4321])


# ------------------------------------------------------------------ bad indices

def _err(fn, lib, t):
    with pytest.raises(Exception) as e:
        fn(lib, t)
    return type(e.value), str(e.value)


BAD_CASES = [
    ("index", lambda lib, t: t(rand((10, 100)))[t(torch.tensor([1, 20, 30, -11]))]),  # rows path
    ("index_elem", lambda lib, t: t(rand((10, 3)))[t(torch.tensor([1, 2, 12, 13]))]),
    ("index_neg", lambda lib, t: t(rand((4, 5)))[t(torch.tensor([0, -5, 1]))]),
    ("index_second", lambda lib, t: t(rand((4, 5)))[t(torch.tensor([0, 1])), t(torch.tensor([2, 9]))]),
    ("index_select", lambda lib, t: t(rand((4, 5))).index_select(0, t(torch.tensor([1, 4, 7])))),
    ("index_select_dim1", lambda lib, t: t(rand((4, 5))).index_select(1, t(torch.tensor([1, 5])))),
    ("gather", lambda lib, t: t(rand((4, 5))).gather(1, t(torch.tensor([[0, 5]])))),
    ("take", lambda lib, t: lib.take(t(rand((3, 4))), t(torch.tensor([3, 12, 15])))),
    ("put_", lambda lib, t: t(rand((3, 4))).put_(t(torch.tensor([1, -13])), t(torch.ones(2)))),
    ("scatter_", lambda lib, t: t(rand((4, 5))).scatter_(0, t(torch.tensor([[0, 4]])), t(rand((1, 2))))),
    ("scatter_add_", lambda lib, t: t(rand((4, 5))).scatter_add_(0, t(torch.tensor([[-1, 0]])), t(rand((1, 2))))),
    ("index_put_", lambda lib, t: t(rand((4, 5))).index_put_((t(torch.tensor([0, 6])),), t(rand((5,))))),
    ("index_put_acc", lambda lib, t: t(rand((4, 5))).index_put_((t(torch.tensor([7, 0])),), t(rand((5,))), True)),
    ("index_add_", lambda lib, t: t(rand((4, 5))).index_add_(0, t(torch.tensor([4])), t(rand((1, 5))))),
    ("index_copy_", lambda lib, t: t(rand((4, 5))).index_copy_(0, t(torch.tensor([5])), t(rand((1, 5))))),
    ("index_fill_", lambda lib, t: t(rand((4, 5))).index_fill_(1, t(torch.tensor([-6])), 1.0)),
    ("embedding", lambda lib, t: TF.embedding(t(torch.tensor([[1, 9], [3, 10]])), t(rand((9, 300))))),
    ("embedding_int32", lambda lib, t: TF.embedding(t(torch.tensor([2, -1], dtype=torch.int32)), t(rand((9, 4))))),
    ("embedding_strided", lambda lib, t: TF.embedding(t(torch.tensor([2, 12])), t(rand((4, 9))).t())),
]


@pytest.mark.parametrize("name,fn", BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_out_of_range_raises_like_cpu(seed, name, fn):
    cpu_kind, cpu_msg = _err(fn, ts, to_ts)
    kind, msg = _err(fn, ts, dev)
    assert kind is cpu_kind and msg == cpu_msg
    # the device (and its context) keeps working after the error
    x = rand((64, 33))
    check(dev(x)[dev(torch.tensor([3, 1]))] * 2, x[torch.tensor([3, 1])] * 2)


# ------------------------------------------------------------------ embedding

@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("idx_dtype", [torch.int64, torch.int32])
@pytest.mark.parametrize("d", [3, 64, 1000])
def test_embedding_forward_backward(seed, dtype, idx_dtype, d):
    w = rand((500, d), dtype)
    idx = torch.randint(0, 500, (7, 33)).to(idx_dtype)
    idx[0, :5] = 4  # padding rows, repeated
    check(TF.embedding(dev(idx), dev(w)), F.embedding(idx, w))
    check(TF.embedding(dev(idx), dev_transposed(w)), F.embedding(idx, w))  # strided weight
    wt = w.clone().requires_grad_()
    wd = dev(w).requires_grad_()
    g = rand((7, 33, d), dtype)
    TF.embedding(dev(idx), wd, padding_idx=4).backward(dev(g))
    F.embedding(idx, wt, padding_idx=4).backward(g)
    tol = {torch.float16: dict(rtol=2e-3, atol=4e-3), torch.bfloat16: dict(rtol=2e-2, atol=3e-2)}.get(dtype, {})
    check(wd.grad, wt.grad, **tol)


def test_embedding_large(seed):
    w = rand((30_000, 256))
    idx = torch.randint(0, 30_000, (64, 512))
    check(TF.embedding(dev(idx), dev(w)), F.embedding(idx, w))
    wd = dev(w).requires_grad_()
    wt = w.clone().requires_grad_()
    g = rand((64, 512, 256), torch.float32, -1, 1)
    TF.embedding(dev(idx), wd).backward(dev(g))
    F.embedding(idx, wt).backward(g)
    check(wd.grad, wt.grad, rtol=1e-5, atol=1e-5)


def test_one_hot(seed):
    x = torch.randint(0, 37, (513, 3))
    check(TF.one_hot(dev(x), 40), F.one_hot(x, 40))
    check(TF.one_hot(dev(x)), F.one_hot(x))
    with pytest.raises(RuntimeError):
        TF.one_hot(dev(x), 5)


# ------------------------------------------------------------------ cat, pad, flip, tril

@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_cat_many_inputs(seed, dtype):
    sizes = torch.randint(0, 9, (150,)).tolist()  # some empty, odd byte widths: narrow copy units
    parts = [rand((7, k, 5), dtype) for k in sizes]
    check(ts.cat([dev(p) for p in parts], 1), torch.cat(parts, 1))
    parts = [rand((k, 3), dtype) for k in sizes[:70]]
    check(ts.cat([dev(p) for p in parts], 0), torch.cat(parts, 0))
    check(ts.cat([dev(p) for p in parts[:40]], -2), torch.cat(parts[:40], -2))


def test_cat_large(seed):
    parts = [rand((1_000_003,)), rand((17,)), rand((2_000_000,))]
    check(ts.cat([dev(p) for p in parts]), torch.cat(parts))
    parts = [rand((3000, 64)), rand((3000, 1)), rand((3000, 200))]
    check(ts.cat([dev(p) for p in parts], 1), torch.cat(parts, 1))
    mixed = [rand((50, 8)), rand((8, 50)).t()]  # one non-contiguous input: the copy path
    check(ts.cat([dev(mixed[0]), dev_transposed(mixed[1])], 0), torch.cat(mixed, 0))


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape,pads", [((2, 5), (2, 3)), ((2, 3, 600), (7, 9)), ((1, 3, 40, 50), (1, 2, 3, 0)),
                                        ((3, 40, 50), (2, 1, 0, 3)), ((1, 2, 3, 40, 50), (1, 1, 2, 0, 0, 2)),
                                        ((2, 3, 10), (-2, 3))])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.int64])
def test_pad_modes(seed, mode, shape, pads, dtype):
    x = rand(shape, dtype)
    check(TF.pad(dev_strided(x), pads, mode=mode), F.pad(x, pads, mode=mode))


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.int8, torch.bool, torch.float64])
def test_flip(seed, dtype):
    x = rand((6, 7, 8, 9), dtype)
    for dims in [(0,), (3,), (1, 2), (0, 1, 2, 3), (-1, 0)]:
        check(ts.flip(dev(x), dims), torch.flip(x, dims))
        check(ts.flip(dev_strided(x), dims), torch.flip(x, dims))
    y = rand((3_000_001,), dtype)
    check(ts.flip(dev(y), (0,)), torch.flip(y, (0,)))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.int64, torch.bool, torch.uint8])
def test_tril_triu(seed, dtype):
    x = rand((3, 2, 17, 23), dtype)
    for k in [-30, -3, -1, 0, 1, 5, 30]:
        check(ts.tril(dev(x), k), torch.tril(x, k))
        check(ts.triu(dev_strided(x), k), torch.triu(x, k))
        y = dev_transposed(x[0, 0])
        y.tril_(k)
        check(y, torch.tril(x[0, 0], k))
    big = rand((1500, 1700), dtype)
    check(ts.triu(dev(big), 2), torch.triu(big, 2))


# ------------------------------------------------------------------ empty tensors

def test_empty(seed):
    x = rand((5, 4))
    e = torch.zeros(0, dtype=torch.int64)
    check(dev(x)[dev(e)], x[e])
    xd = dev(x)
    xd.index_put_((dev(e),), dev(torch.zeros(0, 4)), accumulate=True)
    check(xd, x)
    check(dev(torch.zeros(0, 3)).nonzero(), torch.zeros(0, 3).nonzero())
    check(ts.flip(dev(torch.zeros(0, 3)), (0,)), torch.zeros(0, 3))
    check(ts.tril(dev(torch.zeros(3, 0))), torch.zeros(3, 0))
    check(ts.cat([dev(torch.zeros(0, 4)), dev(x)]), torch.cat([torch.zeros(0, 4), x]))
    check(TF.embedding(dev(e), dev(x)), F.embedding(e, x))
    check(ts.take(dev(x), dev(e)), torch.take(x, e))

"""Indexing against PyTorch: __getitem__/__setitem__ and the index ops (forward, CPU)."""
import warnings

import numpy as np
import pytest
import torch

import tessera as ts
from helpers import ALL_DTYPES, FLOAT_DTYPES, assert_close, rand, to_torch, to_ts

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

SHAPE = (4, 5, 6)


# Duplicated indices accumulate in a different precision/order in PyTorch (its expanded-index
# scatter_add path sums half types in float): allow a few ulps for the 16-bit floats.
ACC_TOL = {torch.float16: dict(rtol=4e-3, atol=8e-3), torch.bfloat16: dict(rtol=0.05, atol=0.1)}


def I(*vals, dtype=torch.int64):  # noqa: E743 - an index tensor for both libraries
    return torch.tensor(vals, dtype=dtype)


def conv(obj):
    """The same index for tessera: torch tensors become tessera tensors, containers recurse."""
    if isinstance(obj, torch.Tensor):
        return to_ts(obj)
    if isinstance(obj, tuple):
        return tuple(conv(o) for o in obj)
    if isinstance(obj, list):
        return [conv(o) for o in obj]
    return obj


# (name, index) pairs: each index is applied as x[index] to a (4, 5, 6) tensor.
GETITEM_CASES = [
    ("int", 1), ("neg_int", -1), ("slice", slice(1, 3)), ("step", slice(None, None, 2)),
    ("neg_start", slice(-3, None)), ("neg_stop", slice(None, -1)), ("big_slice", slice(-100, 100)),
    ("empty_slice", slice(3, 1)), ("ellipsis_int", (Ellipsis, 1)), ("none", None), ("ellipsis", Ellipsis),
    ("none_slice", (slice(None), None, slice(1, None))), ("int_int", (1, 2)), ("int_int_int", (1, 2, 3)),
    ("slice_int", (slice(None), 1)), ("step_step", (slice(None, None, 2), slice(1, None, 3))),
    ("ellipsis_none", (Ellipsis, None)), ("true", True), ("false", False), ("none_true_int", (None, True, 1)),
    ("list", [0, 2]), ("list_neg", [-1, 0, 0]), ("list_bool", [True, False, True, True]),
    ("tensor", I(3, 0, 1)), ("tensor_int32", I(2, 3, dtype=torch.int32)), ("tensor_2d", torch.tensor([[0, 1], [2, 3]])),
    ("tensor_0d", torch.tensor(2)), ("tensor_0d_bool", torch.tensor(True)), ("mask_dim0", I(1, 0, 1, 1, dtype=torch.bool)),
    ("uint8_mask", I(1, 0, 0, 1, dtype=torch.uint8)),
    ("separated", (I(0, 2), slice(None), I(1, 5))), ("adjacent", (slice(None), I(0, 4), I(1, 5))),
    ("int_then_list", (1, [0, 1])), ("list_int_sep", ([0, 1], slice(None), 1)), ("broadcast", (I(0, 1)[:, None], I(1, 2, 3))),
    ("slice_tensor", (slice(1, 3), I(0, 4))), ("none_tensor", (None, I(0, 3))), ("tensor_none_tensor", (I(0, 1), None, I(0, 1))),
    ("ellipsis_tensor", (Ellipsis, I(5, 0))), ("nested_list", [[0, 1], [2, 0]]), ("list_of_tensors", [I(0, 1)]),
    ("true_tensor", (True, I(0, 1))), ("empty_list", []), ("empty_tensor", I(dtype=torch.int64)[:0]),
    ("numpy", np.array([0, 3])), ("numpy_float", np.array([0.7, 3.2])), ("numpy_uint8_mask", np.array([1, 0, 1, 1], dtype=np.uint8)), ("numpy_int", np.int64(2)), ("numpy_bool", np.array([True, False, False, True])),
    ("all_tensors", (I(0, 1), I(1, 2), I(2, 3))), ("mask_then_int", (torch.ones(4, 5, dtype=torch.bool), 2)),
    ("scalar_result", (3, 4, 5)), ("mask_2d_sep", (slice(None), torch.rand(5, 6) > 0.5)),
]


@pytest.mark.parametrize("name,index", GETITEM_CASES, ids=[c[0] for c in GETITEM_CASES])
@pytest.mark.parametrize("dtype", [torch.float32, torch.int64, torch.bool, torch.bfloat16])
def test_getitem(seed, name, index, dtype):
    a = rand(SHAPE, dtype)
    x = to_ts(a)
    assert_close(x[conv(index)], a[index])


@pytest.mark.parametrize("name,index", GETITEM_CASES, ids=[c[0] for c in GETITEM_CASES])
def test_getitem_noncontiguous(seed, name, index):
    a = rand(SHAPE, torch.float64)
    x = to_ts(a, noncontig=True)
    assert not x.is_contiguous()
    assert_close(x[conv(index)], a[index])
    # a transposed base: strides not in decreasing order
    b = rand((6, 5, 4)).permute(2, 1, 0)
    y = to_ts(b.permute(2, 1, 0)).permute(2, 1, 0)
    assert_close(y[conv(index)], b[index])


def test_getitem_mask_from_comparison(seed):
    a = rand((5, 7))
    x = to_ts(a)
    m = a > 0
    assert_close(x[to_ts(m)], a[m])
    assert_close(x[to_ts(m[:, 0])], a[m[:, 0]])
    assert_close(x[:, to_ts(m[0])], a[:, m[0]])


BASIC = [("int", 1), ("slice", slice(1, 3)), ("tuple", (slice(None), 2)), ("ellipsis", (Ellipsis, 0)),
         ("none", (None, 1)), ("step", (slice(None, None, 2), slice(1, None, 2))), ("all", Ellipsis)]


@pytest.mark.parametrize("name,index", BASIC, ids=[c[0] for c in BASIC])
def test_basic_indexing_returns_views(seed, name, index):
    a = rand(SHAPE)
    x = to_ts(a)
    v = x[index]
    e = a[index]
    assert_close(v, e)
    assert v._is_view_of_same_storage(x)
    assert v.stride() == e.stride() and v.storage_offset() == e.storage_offset()
    assert v is not x
    v0 = x._version
    v.add_(1)  # writes through the view
    a[index] += 1
    assert_close(x, a)
    assert x._version > v0


def test_advanced_indexing_copies(seed):
    x = to_ts(rand(SHAPE))
    assert not x[[0, 1]]._is_view_of_same_storage(x)


def test_zero_dim(seed):
    a = torch.tensor(3.5)
    x = to_ts(a)
    for idx in [Ellipsis, None, (None, None), True, False, torch.tensor(True), (Ellipsis, None)]:
        assert_close(x[conv(idx)], a[idx])


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_iter(seed, dtype):
    a = rand((3, 2), dtype)
    x = to_ts(a)
    items = list(x)
    assert len(items) == 3
    for got, exp in zip(items, a):
        assert_close(got, exp)
    assert [tuple(r.shape) for r in to_ts(rand((0, 2)))] == []


SETITEM_CASES = [
    ("int", 1, (5, 6)), ("neg", -2, (6,)), ("slice", slice(1, 3), (1, 5, 6)), ("step", (slice(None, None, 2), 1), (6,)),
    ("ellipsis", (Ellipsis, 2), (5,)), ("none", (None, 1), (5, 6)), ("true", True, (6,)), ("false", False, (6,)),
    ("list", [0, 2], (5, 6)), ("tensor", I(3, 1), (2, 1, 6)), ("mask", I(1, 0, 1, 1, dtype=torch.bool), (6,)),
    ("separated", (I(0, 2), slice(None), I(1, 5)), (2, 5)), ("adjacent", (slice(None), I(0, 4), I(1, 5)), (4, 2)),
    ("broadcast_idx", (I(0, 1)[:, None], I(1, 2, 3)), (6,)), ("leading_ones", 0, (1, 1, 5, 6)),
    ("int_tensor", (1, I(0, 4)), (1, 6)), ("full", Ellipsis, (4, 5, 6)), ("mask_2d", torch.rand(4, 5) > 0.5, (6,)),
    ("scalar_target", (1, 2, 3), ()),
]


@pytest.mark.parametrize("name,index,vshape", SETITEM_CASES, ids=[c[0] for c in SETITEM_CASES])
@pytest.mark.parametrize("dtype", [torch.float32, torch.int32, torch.bool, torch.float16])
def test_setitem_tensor_value(seed, name, index, vshape, dtype):
    a = rand(SHAPE, dtype)
    v = rand(vshape, dtype)
    x = to_ts(a)
    ver = x._version
    x[conv(index)] = to_ts(v)
    a[index] = v
    assert_close(x, a)
    if name != "false":
        assert x._version > ver


@pytest.mark.parametrize("name,index,vshape", SETITEM_CASES, ids=[c[0] for c in SETITEM_CASES])
@pytest.mark.parametrize("value", [2, -1.75, True])
def test_setitem_scalar_value(seed, name, index, vshape, value):
    for dtype in [torch.float64, torch.int16, torch.bool]:
        a = rand(SHAPE, dtype)
        x = to_ts(a, noncontig=True)
        x[conv(index)] = value
        a[index] = value
        assert_close(x, a)


def test_setitem_casts_basic(seed):
    a = rand((3, 4))
    x = to_ts(a)
    v = rand((4,), torch.int64)
    x[1] = to_ts(v)
    a[1] = v
    x[:, 0] = to_ts(v[:3].double())
    a[:, 0] = v[:3].double()
    assert_close(x, a)


def test_setitem_overlapping_value(seed):
    a = rand((6,))
    x = to_ts(a)
    x[1:] = x[:-1]
    a[1:] = a[:-1].clone()
    assert_close(x, a)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.int64, torch.int8, torch.bfloat16, torch.bool])
def test_index_put_accumulate_duplicates(seed, dtype):
    a = rand((5, 3), dtype)
    idx = torch.randint(0, 5, (20,))
    vals = rand((20, 3), dtype)
    x = to_ts(a)
    x.index_put_((to_ts(idx),), to_ts(vals), accumulate=True)
    expected = a.index_put_((idx,), vals, accumulate=True)
    assert_close(x, expected, **ACC_TOL.get(dtype, {}))
    # two index tensors, broadcast value
    a2 = rand((4, 6), dtype)
    i0, i1 = torch.randint(0, 4, (10,)), torch.randint(-6, 6, (10,))
    v = rand((), dtype)
    got = ts.index_put(to_ts(a2), (to_ts(i0), to_ts(i1)), to_ts(v), accumulate=True)
    assert_close(got, torch.index_put(a2, (i0, i1), v, accumulate=True),
                 **ACC_TOL.get(dtype, {}))


def test_index_put_none_and_mask(seed):
    a = rand((4, 5))
    m = torch.rand(5) > 0.3
    v = rand((4, int(m.sum())))
    x = to_ts(a)
    x.index_put_([None, to_ts(m)], to_ts(v))
    a[:, m] = v  # torch.index_put_ takes no None from Python; setitem is the same operation
    assert_close(x, a)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_index_select(seed, dtype, dim):
    a = rand((4, 5, 3), dtype)
    n = a.shape[dim]
    for idx in [torch.randint(0, n, (7,)), torch.randint(0, n, ()), torch.randint(0, n, (0,)),
                torch.randint(0, n, (3,), dtype=torch.int32)]:
        assert_close(ts.index_select(to_ts(a), dim, to_ts(idx)), torch.index_select(a, dim, idx))
        assert_close(to_ts(a, noncontig=True).index_select(dim, to_ts(idx)), a.index_select(dim, idx))
    assert_close(to_ts(torch.tensor(2.5)).index_select(0, to_ts(I(0))), torch.tensor(2.5).index_select(0, I(0)))


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_gather(seed, dtype, dim):
    a = rand((4, 5, 6), dtype)
    n = a.shape[dim]
    ishape = [3, 4, 2]
    ishape[dim] = 7  # larger than self along dim is allowed
    idx = torch.randint(0, n, ishape)
    assert_close(ts.gather(to_ts(a), dim, to_ts(idx)), torch.gather(a, dim, idx))
    assert_close(to_ts(a, noncontig=True).gather(dim, to_ts(idx.int())), a.gather(dim, idx.int()))
    empty = torch.zeros([0 if d == 0 else s for d, s in enumerate(ishape)], dtype=torch.int64)
    assert_close(to_ts(a).gather(dim, to_ts(empty)), a.gather(dim, empty))
    s = torch.tensor(1.5)
    assert_close(to_ts(s).gather(0, to_ts(torch.tensor(0))), s.gather(0, torch.tensor(0)))


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_scatter(seed, dtype, dim):
    a = rand((5, 6, 4), dtype)
    n = a.shape[dim]
    # unique indices along dim (a permutation per line) so that the result is deterministic
    ishape = [3, 4, 2]
    ishape[dim] = n
    idx = torch.argsort(torch.rand(ishape), dim=dim)
    src = rand((6, 6, 6), dtype)
    assert_close(ts.scatter(to_ts(a), dim, to_ts(idx), to_ts(src)), torch.scatter(a, dim, idx, src))
    assert_close(to_ts(a).scatter(dim, to_ts(idx), 1), a.scatter(dim, idx, 1))
    x = to_ts(a, noncontig=True)
    x.scatter_(dim, to_ts(idx), to_ts(src, noncontig=True))
    assert_close(x, a.clone().scatter_(dim, idx, src))
    if dtype != torch.bool:
        dup = torch.randint(0, n, ishape)
        assert_close(ts.scatter_add(to_ts(a), dim, to_ts(dup), to_ts(src)), torch.scatter_add(a, dim, dup, src),
                     **ACC_TOL.get(dtype, {}))
        y = to_ts(a)
        y.scatter_add_(dim, to_ts(dup.int()), to_ts(src))
        assert_close(y, a.clone().scatter_add_(dim, dup.int(), src),
                     **ACC_TOL.get(dtype, {}))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.int64, torch.int16])
def test_scatter_reduce_arg(seed, dtype):
    a = rand((5, 4), dtype)
    idx = torch.randint(0, 5, (6, 4))
    src = rand((6, 4), dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for reduce in ["add", "multiply"]:
            assert_close(to_ts(a).scatter(0, to_ts(idx), to_ts(src), reduce=reduce),
                         a.scatter(0, idx, src, reduce=reduce))
            assert_close(to_ts(a).scatter(0, to_ts(idx), 2, reduce=reduce), a.scatter(0, idx, 2, reduce=reduce))


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_index_add(seed, dtype, dim):
    a = rand((4, 5, 3), dtype)
    n = a.shape[dim]
    idx = torch.randint(0, n, (8,))
    sshape = list(a.shape)
    sshape[dim] = 8
    src = rand(sshape, dtype)
    tol = ACC_TOL.get(dtype, {})
    assert_close(ts.index_add(to_ts(a), dim, to_ts(idx), to_ts(src)), torch.index_add(a, dim, idx, src), **tol)
    if dtype != torch.bool:
        alpha = 2 if not dtype.is_floating_point else 0.5
        x = to_ts(a, noncontig=True)
        x.index_add_(dim, to_ts(idx.int()), to_ts(src), alpha=alpha)
        assert_close(x, a.clone().index_add_(dim, idx.int(), src, alpha=alpha), **tol)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_masked_select(seed, dtype):
    a = rand((4, 5), dtype)
    for m in [torch.rand(4, 5) > 0.5, torch.rand(5) > 0.5, torch.rand(3, 1, 5) > 0.5, torch.zeros(4, 5, dtype=torch.bool)]:
        assert_close(ts.masked_select(to_ts(a), to_ts(m)), torch.masked_select(a, m))
        assert_close(to_ts(a, noncontig=True).masked_select(to_ts(m)), a.masked_select(m))
    s = torch.tensor(1.0)
    assert_close(to_ts(s).masked_select(to_ts(torch.tensor(True))), s.masked_select(torch.tensor(True)))


@pytest.mark.parametrize("dtype", [torch.float32, torch.int64, torch.bool, torch.float16])
def test_masked_scatter(seed, dtype):
    a = rand((4, 5), dtype)
    src = rand((30,), dtype)
    for m in [torch.rand(4, 5) > 0.5, torch.rand(5) > 0.5]:
        x = to_ts(a)
        x.masked_scatter_(to_ts(m), to_ts(src))
        assert_close(x, a.clone().masked_scatter_(m, src))
    m = torch.rand(2, 4, 5) > 0.5
    assert_close(to_ts(a).masked_scatter(to_ts(m), to_ts(src[:, None].expand(30, 2).reshape(-1))),
                 a.masked_scatter(m, src[:, None].expand(30, 2).reshape(-1)))


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_take(seed, dtype):
    a = rand((4, 5), dtype)
    for idx in [torch.randint(-20, 20, (3, 7)), torch.randint(0, 20, ()), torch.zeros(0, dtype=torch.int64)]:
        assert_close(ts.take(to_ts(a), to_ts(idx)), torch.take(a, idx))
        assert_close(to_ts(a, noncontig=True).take(to_ts(idx)), a.take(idx))


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("shape", [(7,), (4, 5), (2, 3, 4), (), (0, 3), (40, 50, 30)])
def test_nonzero(seed, dtype, shape):
    a = rand(shape, dtype) if dtype == torch.bool else rand(shape, dtype, low=-1, high=1)
    if dtype.is_floating_point:
        a = torch.where(torch.rand(shape) > 0.5, a, torch.zeros((), dtype=dtype))
    x = to_ts(a)
    assert_close(ts.nonzero(x), torch.nonzero(a))
    assert_close(x.argwhere(), a.argwhere())
    got, exp = ts.nonzero(x, as_tuple=True), torch.nonzero(a, as_tuple=True)
    assert isinstance(got, tuple) and len(got) == len(exp)
    for g, e in zip(got, exp):
        assert_close(g, e)
    for g, e in zip(ts.where(x), torch.where(a)):
        assert_close(g, e)
    if len(shape) >= 2:
        b = a.transpose(0, 1)
        assert_close(to_ts(a).transpose(0, 1).nonzero(), b.nonzero())


def test_nonzero_nan_and_negative_zero():
    a = torch.tensor([0.0, -0.0, float("nan"), 1.0, float("inf")])
    assert_close(to_ts(a).nonzero(), a.nonzero())


def test_large_index_parallel(seed):
    a = rand((300, 400))
    idx = torch.randint(-300, 300, (500,))
    x = to_ts(a)
    assert_close(x[to_ts(idx)], a[idx])
    assert_close(x[:, to_ts(idx[idx >= 0])], a[:, idx[idx >= 0]])
    m = a > 0
    assert_close(x[to_ts(m)], a[m])
    x[to_ts(m)] = 0.0
    a[m] = 0.0
    assert_close(x, a)


def test_strided_index_tensors(seed):
    a = rand((6, 7, 5))
    i0 = torch.randint(-6, 6, (4, 6))[:, ::2]  # non-contiguous int64 index
    i1 = torch.randint(0, 5, (6,), dtype=torch.int32)[::2]  # non-contiguous int32 index
    x = to_ts(a, noncontig=True)
    assert_close(x[to_ts(i0)], a[i0])
    assert_close(x[to_ts(i0), :, to_ts(i1)], a[i0, :, i1])
    assert_close(x[..., to_ts(i1)], a[..., i1])
    y, b = to_ts(a), a.clone()
    v = rand((4, 3, 7, 5))
    y[to_ts(i0)] = to_ts(v)
    b[i0] = v
    # duplicates in i0 make the written element order-dependent: compare only unique rows
    rows = i0.flatten() % 6
    if len(set(rows.tolist())) == rows.numel():
        assert_close(y, b)


def test_index_put_function_forms(seed):
    a = rand((5, 4))
    idx = torch.randperm(5)[:3]
    v = rand((3, 4))
    assert_close(ts.index_put(to_ts(a), (to_ts(idx),), to_ts(v)), torch.index_put(a, (idx,), v))
    x = to_ts(a)
    out = ts.index_put_(x, (to_ts(idx),), to_ts(v))
    assert out is x or out._is_view_of_same_storage(x)
    assert_close(x, a.clone().index_put_((idx,), v))
    assert_close(to_ts(a).index_put((to_ts(idx), to_ts(idx % 4)), to_ts(torch.tensor(7.0))),
                 a.index_put((idx, idx % 4), torch.tensor(7.0)))


def test_getitem_then_inplace_setitem(seed):
    a = rand((5, 4))
    idx = torch.tensor([0, 3])
    x = to_ts(a)
    x[to_ts(idx)] += 1
    a[idx] += 1
    x[1:3, ::2] += 2.5
    a[1:3, ::2] += 2.5
    assert_close(x, a)


def random_index(gen, shape):
    """A random mix of int, slice, None, Ellipsis, list, int tensor and mask for `shape`."""
    items, dim, used_ellipsis = [], 0, False
    n = len(shape)
    while dim < n and len(items) < 5:
        r = torch.randint(0, 9, (), generator=gen).item()
        size = shape[dim]
        if r == 0:
            items.append(None)
            continue
        if r == 1 and not used_ellipsis:
            used_ellipsis = True
            items.append(Ellipsis)
            dim = n - sum(1 for d in range(dim + 1, n) if torch.rand((), generator=gen) < 0.5)
            continue
        if r in (2, 3) and size > 0:
            items.append(torch.randint(-size, size, (), generator=gen).item())
        elif r in (4, 5):
            lo = torch.randint(-size - 1, size + 2, (), generator=gen).item()
            hi = torch.randint(-size - 1, size + 2, (), generator=gen).item()
            step = torch.randint(1, 4, (), generator=gen).item()
            items.append(slice(lo, hi, step))
        elif r == 6 and size > 0:
            items.append(torch.randint(-size, size, (2,), generator=gen).tolist())
        elif r == 7 and size > 0:
            items.append(torch.randint(-size, size, (2, 1) if dim % 2 else (2,), generator=gen))
        elif r == 8:
            items.append(torch.rand(size, generator=gen) > 0.5)
        else:
            items.append(slice(None))
        dim += 1
    return tuple(items)


def test_getitem_setitem_fuzz(seed):
    gen = torch.Generator().manual_seed(seed)
    for _ in range(150):
        shape = tuple(torch.randint(1, 5, (torch.randint(1, 4, (), generator=gen).item(),), generator=gen).tolist())
        a = rand(shape)
        x = to_ts(a)
        index = random_index(gen, shape)
        try:
            expected = a[index]
        except (IndexError, RuntimeError, ValueError) as e:
            with pytest.raises(type(e)):
                x[conv(index)]
            continue
        got = x[conv(index)]
        assert_close(got, expected), index
        # setitem with a value of the indexed shape (unique targets only: duplicates are order-dependent)
        probe = torch.arange(a.numel(), dtype=torch.float32).reshape(shape)[index]
        if probe.numel() == len(set(probe.flatten().tolist())):
            v = rand(tuple(expected.shape))
            x[conv(index)] = to_ts(v)
            a[index] = v
            assert_close(x, a), index


@pytest.mark.parametrize("dtype", [torch.float32, torch.int64, torch.bool, torch.float16, torch.uint8])
def test_contains(seed, dtype):
    a = rand((30, 40), dtype)
    x = to_ts(a, noncontig=True)
    for e in [0, 1, 2.5, -3, True, a[0, 0].item(), a[3], rand((40,), dtype), torch.tensor(7, dtype=dtype)]:
        e_ts = to_ts(e) if isinstance(e, torch.Tensor) else e
        assert (e_ts in x) == (e in a), e
    big = torch.zeros(300, 400, dtype=dtype)
    big[299, 399] = 1
    assert (1 in to_ts(big)) == (1 in big)
    assert (5 in to_ts(big)) == (5 in big)


def test_strided_and_expanded_operands(seed):
    a = rand((6, 5))
    # transposed index for gather
    gi = torch.randint(0, 6, (5, 6)).t()
    assert_close(to_ts(a).gather(0, to_ts(gi.t()).t()), a.gather(0, gi))
    # expanded (stride 0) index for scatter_add: every row adds into the same targets
    row = torch.randint(0, 6, (1, 5))
    src = rand((4, 5))
    assert_close(to_ts(a).scatter_add(0, to_ts(row).expand(4, 5), to_ts(src)), a.scatter_add(0, row.expand(4, 5), src))
    # transposed source for index_add, transposed self for index_select
    s2 = rand((5, 3)).t()
    idx = torch.randint(0, 6, (3,))
    assert_close(to_ts(a).index_add(0, to_ts(idx), to_ts(s2.t()).t()), a.index_add(0, idx, s2))
    assert_close(to_ts(a.t()).t().index_select(1, to_ts(idx % 5)), a.index_select(1, idx % 5))


def test_large_accumulate_parallel(seed):
    """Accumulating writes split over the non-indexed dim run in parallel; results stay exact."""
    a = rand((50, 2000), torch.float64)
    idx = torch.randint(0, 50, (400,))
    src = rand((400, 2000), torch.float64)
    assert_close(to_ts(a).index_add(0, to_ts(idx), to_ts(src)), a.index_add(0, idx, src))
    gi = torch.randint(0, 50, (300, 2000))
    assert_close(to_ts(a).scatter_add(0, to_ts(gi), to_ts(src)), a.scatter_add(0, gi, src))
    x = to_ts(a)
    x.index_put_((to_ts(idx),), to_ts(src), accumulate=True)
    assert_close(x, a.clone().index_put_((idx,), src, accumulate=True))
    ia = torch.randint(0, 2000, (100000,))
    ib = torch.randint(0, 50, (100000,))
    v = rand((100000,), torch.float64)
    x = to_ts(a)
    x.index_put_((to_ts(ib), to_ts(ia)), to_ts(v), accumulate=True)
    assert_close(x, a.clone().index_put_((ib, ia), v, accumulate=True))
    with pytest.raises(RuntimeError, match=r"\[index_add\]"):
        bad = idx.clone()
        bad[377] = 50
        to_ts(a).index_add(0, to_ts(bad), to_ts(src))


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_index_copy_and_fill(seed, dtype, dim):
    a = rand((4, 5, 3), dtype)
    n = a.shape[dim]
    idx = torch.randperm(n)[: max(1, n - 1)]  # unique: copies are then deterministic
    sshape = list(a.shape)
    sshape[dim] = idx.numel()
    src = rand(sshape, dtype)
    assert_close(ts.index_copy(to_ts(a), dim, to_ts(idx), to_ts(src)), torch.index_copy(a, dim, idx, src))
    x = to_ts(a, noncontig=True)
    x.index_copy_(dim, to_ts(idx), to_ts(src))
    assert_close(x, a.clone().index_copy_(dim, idx, src))
    fidx = torch.randint(-n, n, (5,))
    for value in [2, 1.5, True]:
        assert_close(to_ts(a).index_fill(dim, to_ts(fidx), value), a.index_fill(dim, fidx, value))
    assert_close(ts.index_fill(to_ts(a), dim, to_ts(fidx), to_ts(torch.tensor(3))), torch.index_fill(a, dim, fidx, torch.tensor(3)))
    y = to_ts(a)
    y.index_fill_(dim, to_ts(fidx[0]), 1)
    assert_close(y, a.clone().index_fill_(dim, fidx[0], 1))


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_put(seed, dtype):
    a = rand((4, 5), dtype)
    idx = torch.randperm(20)[:7] - 10  # unique, some negative
    src = rand((7,), dtype)
    assert_close(ts.put(to_ts(a), to_ts(idx), to_ts(src)), torch.put(a, idx, src))
    x = to_ts(a, noncontig=True)  # no flat view: written through a copy
    x.put_(to_ts(idx.reshape(7, 1)), to_ts(src))
    assert_close(x, a.clone().put_(idx.reshape(7, 1), src))
    if dtype != torch.bool:
        dup = torch.randint(-20, 20, (30,))
        v = rand((30,), dtype)
        y = to_ts(a).t()
        y.put_(to_ts(dup), to_ts(v), accumulate=True)
        assert_close(y, a.t().clone().put_(dup, v, accumulate=True), **ACC_TOL.get(dtype, {}))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.int64, torch.int16, torch.uint8, torch.bfloat16,
                                   torch.bool])
@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce(seed, dtype, reduce, include_self):
    if dtype == torch.bool and reduce == "mean":
        return  # not implemented for bool in PyTorch either (tested in the bad inputs)
    low, high = (-3, 3) if dtype != torch.uint8 else (0, 3)
    a = rand((5, 6), dtype, low=low, high=high)
    idx = torch.randint(0, 5, (4, 6))
    src = rand((4, 6), dtype, low=low, high=high)
    if dtype.is_floating_point:
        src[0, 0] = float("nan")  # amax/amin propagate NaN
    tol = ACC_TOL.get(dtype, {})
    if reduce == "prod" and dtype.is_floating_point:
        tol = dict(rtol=1e-2, atol=1e-2) if dtype == torch.bfloat16 else dict(rtol=1e-5, atol=1e-5)
    exp = a.scatter_reduce(0, idx, src, reduce, include_self=include_self)
    assert_close(to_ts(a).scatter_reduce(0, to_ts(idx), to_ts(src), reduce, include_self=include_self), exp, **tol)
    x = to_ts(a, noncontig=True)
    x.scatter_reduce_(1, to_ts(idx.t()[:5, :4] % 6), to_ts(src.t()[:5, :4]), reduce, include_self=include_self)
    exp = a.clone().scatter_reduce_(1, idx.t()[:5, :4] % 6, src.t()[:5, :4], reduce, include_self=include_self)
    assert_close(x, exp, **tol)

"""cat/stack family, broadcast_* and atleast_* against PyTorch."""
import itertools

import pytest
import torch

import tessera as ts
from helpers import ALL_DTYPES, assert_close, rand, to_ts

LAYOUTS = ["contig", "noncontig", "transposed"]


def make(t: torch.Tensor, layout: str) -> ts.Tensor:
    """A tessera tensor equal to t, laid out contiguously, strided, or in permuted (transposed) memory."""
    if layout == "noncontig":
        return to_ts(t, noncontig=True)
    if layout == "transposed" and t.dim() >= 2:
        rev = list(range(t.dim()))[::-1]
        return to_ts(t.permute(rev).contiguous()).permute(rev)
    return to_ts(t)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cat_dtypes_layouts(seed, dtype, layout, dim):
    shapes = [(3, 4), (3, 4), (3, 4)]
    shapes = [tuple(s if d != dim % 2 else s + i for d, s in enumerate(sh)) for i, sh in enumerate(shapes)]
    ts_in, th_in = [], []
    for i, sh in enumerate(shapes):
        a = rand(sh, dtype)
        th_in.append(a)
        ts_in.append(make(a, layout if i != 1 else "contig"))  # mixed layouts in one call
    assert_close(ts.cat(ts_in, dim), torch.cat(th_in, dim))
    assert_close(ts.cat(ts_in, dim=dim), torch.cat(th_in, dim=dim))


@pytest.mark.parametrize("dim", [0, 1, 2, -2])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_cat_3d(seed, dim, layout):
    base = [2, 3, 4]
    th_in = []
    for extra in [1, 0, 3, 2]:  # one input is empty along dim
        sh = list(base)
        sh[dim] = extra
        th_in.append(rand(tuple(sh)))
    ts_in = [make(a, layout) for a in th_in]
    assert_close(ts.cat(ts_in, dim), torch.cat(th_in, dim))
    assert_close(ts.cat(tuple(ts_in), dim), torch.cat(tuple(th_in), dim))


def test_cat_promotion_all_pairs(seed):
    for d1, d2 in itertools.product(ALL_DTYPES, ALL_DTYPES):
        a, b = rand((2, 3), d1), rand((1, 3), d2)
        for layout in ["contig", "noncontig"]:
            assert_close(ts.cat([make(a, layout), to_ts(b)]), torch.cat([a, b]))


def test_cat_promotion_three_way(seed):
    for dts in [(torch.bool, torch.uint8, torch.int8), (torch.int32, torch.bfloat16, torch.float16),
                (torch.uint8, torch.bool, torch.float64), (torch.int16, torch.int64, torch.bool)]:
        th_in = [rand((2, 2), dt) for dt in dts]
        assert_close(ts.cat([to_ts(a) for a in th_in], 1), torch.cat(th_in, 1))


def test_cat_legacy_empty_skipped(seed):
    e64 = torch.empty(0, dtype=torch.float64)
    a = rand((2, 3), torch.int32)
    cases = [[e64, a], [a, torch.empty(0), a], [e64], [e64, torch.empty(0, dtype=torch.int8)]]
    for case in cases:
        for dim in [0, 1, -1]:
            try:
                expected = torch.cat(case, dim)
            except (RuntimeError, IndexError) as e:
                with pytest.raises(type(e)):
                    ts.cat([to_ts(t) for t in case], dim)
                continue
            assert_close(ts.cat([to_ts(t) for t in case], dim), expected)


@pytest.mark.parametrize("dtype", [torch.float32, torch.int64, torch.bool])
def test_cat_empty_inputs(seed, dtype):
    for shapes, dim in [([(0, 3), (2, 3)], 0), ([(2, 0), (2, 4)], 1), ([(0, 3), (0, 3)], 0), ([(2, 0), (2, 0)], 1),
                        ([(0, 3), (0, 3)], 1)]:
        th_in = [rand(s, dtype) for s in shapes]
        assert_close(ts.cat([to_ts(a) for a in th_in], dim), torch.cat(th_in, dim))


def test_cat_large_parallel(seed):
    a, b = rand((300, 700)), rand((200, 700))
    assert_close(ts.cat([to_ts(a), to_ts(b)]), torch.cat([a, b]))
    c, d = rand((500, 333)), rand((500, 401))
    assert_close(ts.cat([to_ts(c), to_ts(d)], 1), torch.cat([c, d], 1))
    # non-contiguous large inputs take the iterator path
    assert_close(ts.cat([to_ts(c, noncontig=True), to_ts(d)], 1), torch.cat([c, d], 1))
    many = [rand((64, k), torch.int16) for k in range(1, 60)]
    assert_close(ts.cat([to_ts(t) for t in many], 1), torch.cat(many, 1))


def test_cat_aliases_and_fresh_result(seed):
    a, b = rand((2, 3)), rand((2, 2))
    x, y = to_ts(a), to_ts(b)
    assert_close(ts.concat([x, y], dim=1), torch.concat([a, b], dim=1))
    assert_close(ts.concatenate([x, y], axis=1), torch.concatenate([a, b], axis=1))
    r = ts.cat([x])
    assert r.is_contiguous() and not r._is_view_of_same_storage(x)
    x.add_(1)
    assert_close(r, a)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_stack(seed, dtype, layout):
    th_in = [rand((3, 4), dtype) for _ in range(3)]
    ts_in = [make(a, layout) for a in th_in]
    for dim in [0, 1, 2, -1, -3]:
        assert_close(ts.stack(ts_in, dim), torch.stack(th_in, dim))


def test_stack_0d_and_empty(seed):
    zs = [rand((), torch.float64) for _ in range(4)]
    assert_close(ts.stack([to_ts(z) for z in zs]), torch.stack(zs))
    assert_close(ts.stack([to_ts(z) for z in zs], -1), torch.stack(zs, -1))
    es = [torch.empty(0), torch.empty(0)]
    assert_close(ts.stack([to_ts(e) for e in es], 1), torch.stack(es, 1))
    mixed = [rand((2, 2), torch.int8), rand((2, 2), torch.float16)]
    assert_close(ts.stack([to_ts(t) for t in mixed], 1), torch.stack(mixed, 1))


@pytest.mark.parametrize("name", ["hstack", "vstack", "dstack", "column_stack"])
def test_hvd_stack(seed, name):
    groups = [[rand(()), rand(())], [rand((3,)), rand((2,))] if name == "hstack" else [rand((3,)), rand((3,))],
              [rand((2, 3)), rand((2, 3))], [rand((2, 3, 2)), rand((2, 3, 2))]]
    for g in groups:
        f_torch, f_ts = getattr(torch, name), getattr(ts, name)
        try:
            expected = f_torch(g)
        except RuntimeError:
            with pytest.raises(RuntimeError):
                f_ts([to_ts(t) for t in g])
            continue
        assert_close(f_ts([to_ts(t) for t in g]), expected)
        assert_close(f_ts(tuple(to_ts(t, noncontig=True) for t in g)), expected)


def check_view(v_ts, v_torch, base_ts):
    assert_close(v_ts, v_torch)
    assert v_ts.stride() == v_torch.stride()
    assert v_ts._is_view_of_same_storage(base_ts)


@pytest.mark.parametrize("dtype", [torch.float32, torch.int64, torch.bool, torch.bfloat16])
def test_broadcast_to(seed, dtype):
    for shape, size in [((3, 1), (2, 3, 4)), ((3, 1), (-1, 5)), ((), (2, 2)), ((4,), (0, 4)), ((1,), [3])]:
        a = rand(shape, dtype)
        x = to_ts(a)
        check_view(ts.broadcast_to(x, size), torch.broadcast_to(a, size), x)
        check_view(x.broadcast_to(size), a.broadcast_to(size), x)


def test_broadcast_tensors(seed):
    th_in = [rand((3, 1)), rand((4,), torch.int32), rand(()), rand((1, 1, 4), torch.bool)]
    xs = [to_ts(a) for a in th_in]
    got, exp = ts.broadcast_tensors(*xs), torch.broadcast_tensors(*th_in)
    assert isinstance(got, tuple) and len(got) == len(exp)
    for g, e, x in zip(got, exp, xs):
        check_view(g, e, x)
    assert ts.broadcast_tensors() == ()
    (single,) = ts.broadcast_tensors(xs[0])
    check_view(single, th_in[0], xs[0])


def test_broadcast_shapes():
    for shapes in [((2, 1), (3,)), (2, (3, 1)), ((), (1, 4)), ((5, 1, 3), (4, 1), [1]), ((0, 1), (3,)), ()]:
        got = ts.broadcast_shapes(*shapes)
        assert isinstance(got, ts.Size)
        assert tuple(got) == tuple(torch.broadcast_shapes(*shapes))


@pytest.mark.parametrize("name", ["atleast_1d", "atleast_2d", "atleast_3d"])
def test_atleast(seed, name):
    f_torch, f_ts = getattr(torch, name), getattr(ts, name)
    inputs = [rand(()), rand((3,)), rand((2, 3)), rand((2, 3, 4)), rand((1, 2, 3, 4))]
    for a in inputs:
        x = to_ts(a)
        check_view(f_ts(x), f_torch(a), x)
    xs = [to_ts(a) for a in inputs[:3]]
    for got, exp in [(f_ts(*xs), f_torch(*inputs[:3])), (f_ts(xs), f_torch(inputs[:3]))]:
        assert isinstance(got, tuple) and len(got) == 3
        for g, e in zip(got, exp):
            assert_close(g, e)


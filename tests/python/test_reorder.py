"""flip/roll/repeat/tile/repeat_interleave/tril/triu/meshgrid against PyTorch."""
import warnings

import pytest
import torch

import tessera as ts
from helpers import ALL_DTYPES, assert_close, rand, to_torch, to_ts

LAYOUTS = ["contig", "noncontig", "transposed"]


def make(t: torch.Tensor, layout: str) -> ts.Tensor:
    """A tessera tensor equal to t, laid out contiguously, strided, or in permuted (transposed) memory."""
    if layout == "noncontig":
        return to_ts(t, noncontig=True)
    if layout == "transposed" and t.dim() >= 2:
        rev = list(range(t.dim()))[::-1]
        return to_ts(t.permute(rev).contiguous()).permute(rev)
    return to_ts(t)


def check_copy(got, expected, x):
    """A fresh tensor (no shared storage with the input) equal to PyTorch's result."""
    assert_close(got, expected)
    assert not got._is_view_of_same_storage(x)


# ---- flip
FLIP_CASES = [((3, 4), (0,)), ((3, 4), (1,)), ((3, 4), (0, 1)), ((3, 4), (-1,)), ((3, 4), ()),
              ((2, 3, 5), (0, 2)), ((2, 3, 5), (1,)), ((2, 1, 5), (1, 2)), ((4, 3, 2, 5), (-1, 1)), ((7,), (0,))]


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_flip(seed, dtype, layout):
    for shape, dims in FLIP_CASES:
        a = rand(shape, dtype)
        x = make(a, layout)
        check_copy(ts.flip(x, dims), torch.flip(a, dims), x)
        if dims:
            check_copy(x.flip(*dims), a.flip(*dims), x)
        check_copy(x.flip(dims), a.flip(dims), x)


def test_flip_edge_cases(seed):
    a = rand(())
    x = to_ts(a)
    for dims in [(), (0,), (-1,)]:
        assert_close(ts.flip(x, dims), torch.flip(a, dims))
    for shape, dims in [((0, 3), (0,)), ((2, 0), (0, 1)), ((1, 1), (0, 1))]:
        e = rand(shape)
        assert_close(ts.flip(to_ts(e), dims), torch.flip(e, dims))
    big = rand((300, 257), torch.float64)
    for dims in [(0,), (1,), (0, 1)]:
        assert_close(ts.flip(to_ts(big, noncontig=True), dims), torch.flip(big, dims))
    # an expanded (stride-0) input
    b = rand((3, 1))
    assert_close(ts.flip(to_ts(b).expand(3, 4), (0, 1)), torch.flip(b.expand(3, 4), (0, 1)))


@pytest.mark.parametrize("dtype", [torch.int8, torch.float32, torch.bfloat16])
def test_fliplr_flipud(seed, dtype):
    for shape in [(3, 4), (2, 3, 4)]:
        a = rand(shape, dtype)
        x = to_ts(a, noncontig=True)
        assert_close(ts.fliplr(x), torch.fliplr(a))
        assert_close(x.flipud(), a.flipud())
    a = rand((5,), dtype)
    assert_close(ts.flipud(to_ts(a)), torch.flipud(a))


# ---- roll
ROLL_CASES = [((3, 4), 1, 0), ((3, 4), -1, 1), ((3, 4), 7, -1), ((3, 4), (1, 2), (0, 1)), ((3, 4), (2, -5), (1, 0)),
              ((3, 4), 5, None), ((3, 4), (-13,), None), ((3, 4), (1, 1), (0, 0)), ((2, 3, 4), (1, 2, 3), (0, 1, 2)),
              ((2, 3, 4, 5), (1, 2, 3, 4), (0, 1, 2, 3)), ((2, 3, 4, 5, 2), (1, -1, 1, -1, 1), (0, 1, 2, 3, 4)),
              ((3, 4), 0, 0), ((3, 4), 3, 0), ((5,), 2, 0)]


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_roll(seed, dtype, layout):
    for shape, shifts, dims in ROLL_CASES:
        a = rand(shape, dtype)
        x = make(a, layout)
        expected = torch.roll(a, shifts, dims) if dims is not None else torch.roll(a, shifts)
        check_copy(ts.roll(x, shifts, dims), expected, x)
        check_copy(x.roll(shifts, dims), expected, x)
        if dims is None:
            check_copy(x.roll(shifts), expected, x)
        else:
            check_copy(x.roll(shifts=shifts, dims=dims), expected, x)


def test_roll_edge_cases(seed):
    z = rand(())
    assert_close(ts.roll(to_ts(z), 3), torch.roll(z, 3))
    for shape, shifts, dims in [((0, 3), 1, 0), ((0, 3), 2, 1), ((2, 0), 1, None)]:
        e = rand(shape)
        exp = torch.roll(e, shifts, dims) if dims is not None else torch.roll(e, shifts)
        assert_close(ts.roll(to_ts(e), shifts, dims), exp)
    big = rand((200, 300), torch.int32)
    assert_close(ts.roll(to_ts(big), (17, -40), (0, 1)), torch.roll(big, (17, -40), (0, 1)))


# ---- repeat / tile
REPEAT_CASES = [((2, 3), (2, 2)), ((2, 3), (1, 1)), ((2, 3), (3, 1, 2)), ((2, 3), (0, 2)), ((3,), (2, 2, 2)),
                ((2, 1, 3), (1, 4, 1)), ((), (3,)), ((), (2, 3)), ((0, 2), (2, 3)), ((2, 3), (1, 2, 1, 1))]


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_repeat(seed, dtype, layout):
    for shape, reps in REPEAT_CASES:
        a = rand(shape, dtype)
        x = make(a, layout)
        check_copy(x.repeat(*reps), a.repeat(*reps), x)
        check_copy(x.repeat(reps), a.repeat(reps), x)
        check_copy(x.repeat(list(reps)), a.repeat(list(reps)), x)


TILE_CASES = [((2, 3), (2,)), ((2, 3), (2, 2)), ((2, 3), ()), ((2, 3), (2, 1, 3)), ((2, 3, 4), (3, 1)), ((), (4,)),
              ((4,), (0,))]


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_tile(seed, dtype):
    for shape, dims in TILE_CASES:
        a = rand(shape, dtype)
        for layout in ["contig", "transposed"]:
            x = make(a, layout)
            check_copy(ts.tile(x, dims), torch.tile(a, dims), x)
            if dims:
                check_copy(x.tile(*dims), a.tile(*dims), x)
            check_copy(x.tile(dims), a.tile(dims), x)


def test_repeat_large(seed):
    a = rand((64, 129), torch.float16)
    assert_close(to_ts(a, noncontig=True).repeat(3, 2), a.repeat(3, 2))


# ---- repeat_interleave
RI_CASES = [((2, 3), 2, None), ((2, 3), 3, 0), ((2, 3), 2, 1), ((2, 3), 2, -1), ((2, 3), 0, 1), ((2, 3), 1, None),
            ((4,), 3, 0), ((2, 3, 4), 2, 1), ((), 3, None), ((0, 3), 2, 0), ((0, 3), 2, None)]


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_repeat_interleave(seed, dtype, layout):
    for shape, reps, dim in RI_CASES:
        a = rand(shape, dtype)
        x = make(a, layout)
        check_copy(x.repeat_interleave(reps, dim), a.repeat_interleave(reps, dim), x)
        check_copy(ts.repeat_interleave(x, reps, dim=dim), torch.repeat_interleave(a, reps, dim=dim), x)


def test_repeat_interleave_output_size_and_tensor_count(seed):
    a = rand((2, 3))
    x = to_ts(a)
    assert_close(x.repeat_interleave(2, 1, output_size=6), a.repeat_interleave(2, 1, output_size=6))
    r = to_ts(torch.tensor(3))
    assert_close(x.repeat_interleave(r, dim=0), a.repeat_interleave(torch.tensor(3), dim=0))
    assert_close(ts.repeat_interleave(x, to_ts(torch.tensor([2], dtype=torch.int32))),
                 torch.repeat_interleave(a, torch.tensor([2], dtype=torch.int32)))


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_repeat_interleave_tensor_counts(seed, dtype, layout):
    a = rand((4, 3, 2), dtype)
    x = make(a, layout)
    for dim in [0, 1, -1, None]:
        n = a.numel() if dim is None else a.shape[dim]
        for rdt in [torch.int64, torch.int32]:
            reps = torch.randint(0, 4, (n,), dtype=rdt)
            reps[0] = 1  # a run of ones next to larger counts
            exp = torch.repeat_interleave(a, reps, dim=dim)
            check_copy(ts.repeat_interleave(x, to_ts(reps), dim=dim), exp, x)
            check_copy(x.repeat_interleave(to_ts(reps), dim), exp, x)
    zeros = torch.zeros(4, dtype=torch.int64)
    assert_close(x.repeat_interleave(to_ts(zeros), 0), a.repeat_interleave(zeros, 0))


def test_repeat_interleave_indices(seed):
    for dt in [torch.int64, torch.int32]:
        reps = torch.randint(0, 5, (7,), dtype=dt)
        assert_close(ts.repeat_interleave(to_ts(reps)), torch.repeat_interleave(reps))
        total = int(reps.sum())
        assert_close(ts.repeat_interleave(to_ts(reps), output_size=total),
                     torch.repeat_interleave(reps, output_size=total))
    e = torch.empty(0, dtype=torch.int64)
    assert_close(ts.repeat_interleave(to_ts(e)), torch.repeat_interleave(e))


# ---- tril / triu
TRI_SHAPES = [(4, 5), (5, 4), (3, 3), (2, 3, 4), (2, 2, 3, 5), (1, 6)]
DIAGONALS = [0, 1, -1, 2, -3, 10, -10]


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("op", ["tril", "triu"])
def test_tril_triu(seed, dtype, layout, op):
    for shape in TRI_SHAPES:
        a = rand(shape, dtype)
        x = make(a, layout)
        for k in DIAGONALS:
            check_copy(getattr(ts, op)(x, k), getattr(torch, op)(a, k), x)
        check_copy(getattr(x, op)(), getattr(a, op)(), x)
        check_copy(getattr(x, op)(diagonal=1), getattr(a, op)(diagonal=1), x)


@pytest.mark.parametrize("op", ["tril_", "triu_"])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_tril_triu_inplace(seed, op, layout):
    for shape in [(4, 5), (2, 3, 4)]:
        for k in [0, 1, -2]:
            a = rand(shape, torch.float64)
            x = make(a, layout)
            v0 = x._version
            r = getattr(x, op)(k)
            expected = getattr(a.clone(), op)(k)
            assert r is x
            assert x._version > v0
            assert_close(x, expected)
    # through a view: the base sees the writes
    base = rand((4, 6))
    xb = to_ts(base)
    getattr(xb.t(), op)(1)
    expected = base.clone()
    getattr(expected.t(), op)(1)
    assert_close(xb, expected)


def test_tril_triu_empty_and_large(seed):
    for shape in [(0, 3), (3, 0), (2, 0, 4)]:
        e = rand(shape)
        assert_close(ts.tril(to_ts(e)), torch.tril(e))
        assert_close(ts.triu(to_ts(e), 1), torch.triu(e, 1))
    big = rand((3, 200, 150), torch.int16)
    assert_close(ts.tril(to_ts(big, noncontig=True), 5), torch.tril(big, 5))
    assert_close(ts.triu(to_ts(big), -7), torch.triu(big, -7))
    # extreme diagonals do not overflow
    a = rand((3, 4))
    for k in [2**62, -(2**62)]:
        assert_close(ts.tril(to_ts(a), k), torch.tril(a, k))
        assert_close(ts.triu(to_ts(a), k), torch.triu(a, k))


# ---- meshgrid
@pytest.mark.parametrize("indexing", ["ij", "xy"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.int64, torch.bool, torch.bfloat16])
def test_meshgrid(seed, indexing, dtype):
    for shapes in [[(3,)], [(3,), (4,)], [(2,), (3,), (4,)], [(), (3,)], [(0,), (2,)], [(3,), ()]]:
        th_in = [rand(s, dtype) for s in shapes]
        xs = [to_ts(a, noncontig=True) for a in th_in]
        exp = torch.meshgrid(*th_in, indexing=indexing)
        for got in [ts.meshgrid(*xs, indexing=indexing), ts.meshgrid(xs, indexing=indexing)]:
            assert isinstance(got, tuple) and len(got) == len(exp)
            for g, e, x in zip(got, exp, xs) if indexing == "ij" else zip(got, exp, [None] * len(xs)):
                assert_close(g, e)
                if x is not None:  # views of the inputs with PyTorch's strides (for contiguous inputs)
                    assert g._is_view_of_same_storage(x)


def test_meshgrid_views_and_warning(seed):
    a, b = rand((3,)), rand((4,))
    x, y = to_ts(a), to_ts(b)
    exp = torch.meshgrid(a, b, indexing="xy")
    got = ts.meshgrid(x, y, indexing="xy")
    for g, e, base in zip(got, exp, [x, y]):
        assert_close(g, e)
        assert g.stride() == e.stride()
        assert g._is_view_of_same_storage(base)
    with pytest.warns(UserWarning, match="indexing"):
        got = ts.meshgrid(x, y)
    for g, e in zip(got, torch.meshgrid(a, b, indexing="ij")):
        assert_close(g, e)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ts.meshgrid(x, y, indexing="ij")


def test_results_are_independent_of_input(seed):
    a = rand((3, 4))
    x = to_ts(a)
    outs = [x.flip(0), x.roll(1, 0), x.repeat(1, 1), x.tile((1,)), x.tril(), x.triu(), x.repeat_interleave(1, 0)]
    x.add_(1)
    for o, e in zip(outs, [a.flip(0), a.roll(1, 0), a, a, a.tril(), a.triu(), a]):
        assert torch.equal(to_torch(o), e)

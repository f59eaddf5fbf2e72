"""sort / argsort / topk against PyTorch: dtypes, dims, descending, stability, NaN, empty, 0-d."""
import pytest
import torch

import tessera as ts
from helpers import ALL_DTYPES, FLOAT_DTYPES, assert_close, rand, to_torch, to_ts


def _indices_valid(x, dim, values, indices):
    """indices is int64 and gathers `values` from x (robust to any order among equal values)."""
    idx = to_torch(indices)
    assert idx.dtype == torch.int64
    if x.dim() == 0:
        assert idx.item() == 0
        return
    gathered = torch.gather(x, dim, idx)
    torch.testing.assert_close(gathered, values, rtol=0, atol=0, equal_nan=True)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_sort_stable_matches_torch(seed, dtype):
    x = rand((4, 5, 7), dtype, low=-3, high=3)  # integers in a small range: many ties
    for dim in (0, 1, 2, -1):
        for descending in (False, True):
            for nc in (False, True):
                ev, ei = torch.sort(x, dim=dim, descending=descending, stable=True)
                v, i = ts.sort(to_ts(x, noncontig=nc), dim=dim, descending=descending, stable=True)
                assert_close(v, ev)
                assert_close(i, ei)
                r = to_ts(x).sort(dim, descending, stable=True)
                assert_close(r.values, ev)
                assert_close(r.indices, ei)
                assert_close(ts.argsort(to_ts(x, noncontig=nc), dim, descending, stable=True),
                             torch.argsort(x, dim=dim, descending=descending, stable=True))


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_sort_unstable_values_and_permutation(seed, dtype):
    x = rand((6, 9), dtype, low=-2, high=2)
    for dim in (0, 1):
        for descending in (False, True):
            ev, _ = torch.sort(x, dim=dim, descending=descending)
            v, i = ts.sort(to_ts(x), dim, descending)
            assert_close(v, ev)
            _indices_valid(x, dim, ev, i)
            _indices_valid(x, dim, ev, to_ts(x).argsort(dim=dim, descending=descending))


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_sort_nan_and_inf(seed, dtype):
    x = rand((3, 8), dtype)
    x[0, 2] = float("nan")
    x[0, 5] = float("nan")
    x[1, 1] = float("inf")
    x[2, 3] = float("-inf")
    x[2, 6] = float("nan")
    for descending in (False, True):
        ev, ei = torch.sort(x, descending=descending, stable=True)
        v, i = ts.sort(to_ts(x), descending=descending, stable=True)
        assert_close(v, ev)
        assert_close(i, ei)
    for largest in (True, False):
        ev, _ = torch.topk(x, 3, largest=largest)
        r = ts.topk(to_ts(x), 3, largest=largest)
        assert_close(r.values, ev)
        _indices_valid(x, 1, ev, r.indices)


@pytest.mark.parametrize("dtype", [d for d in ALL_DTYPES if d != torch.bool])
def test_topk(seed, dtype):
    x = rand((5, 6, 7), dtype, low=-50, high=50)
    for dim in (0, 1, 2, -1):
        n = x.shape[dim]
        for k in (0, 1, 3, n):
            for largest in (True, False):
                for nc in (False, True):
                    ev, _ = torch.topk(x, k, dim=dim, largest=largest, sorted=True)
                    v, i = ts.topk(to_ts(x, noncontig=nc), k, dim=dim, largest=largest, sorted=True)
                    assert_close(v, ev)
                    _indices_valid(x, dim, ev, i)
    # sorted=False: the same set of values (tessera returns them sorted anyway).
    ev, _ = torch.topk(x, 4, dim=1, sorted=False)
    v, i = to_ts(x).topk(4, 1, True, False)
    assert_close(ts.sort(v, dim=1).values, torch.sort(ev, dim=1).values)
    _indices_valid(x, 1, to_torch(v), i)


def test_topk_bool_raises_like_torch(seed):
    with pytest.raises(RuntimeError, match=r"\[topk\]"):
        ts.topk(to_ts(rand((4,), torch.bool)), 2)


@pytest.mark.parametrize("shape", [(0,), (0, 3), (3, 0)])
def test_empty(seed, shape):
    x = rand(shape)
    for dim in range(len(shape)):
        ev, ei = torch.sort(x, dim=dim)
        v, i = ts.sort(to_ts(x), dim=dim)
        assert_close(v, ev)
        assert_close(i, ei)
        assert_close(ts.argsort(to_ts(x), dim), torch.argsort(x, dim))
        ev, ei = torch.topk(x, 0, dim=dim)
        v, i = ts.topk(to_ts(x), 0, dim=dim)
        assert_close(v, ev)
        assert_close(i, ei)


@pytest.mark.parametrize("dtype", [torch.float32, torch.int64, torch.bool])
def test_zero_dim(seed, dtype):
    x = rand((), dtype)
    for dim in (0, -1):
        ev, ei = torch.sort(x, dim)
        v, i = ts.sort(to_ts(x), dim)
        assert_close(v, ev)
        assert_close(i, ei)
        assert_close(ts.argsort(to_ts(x), dim), torch.argsort(x, dim))
        if dtype != torch.bool:
            for k in (0, 1):
                ev, ei = torch.topk(x, k, dim)
                v, i = ts.topk(to_ts(x), k, dim)
                assert_close(v, ev)
                assert_close(i, ei)


def test_large_rows(seed):
    x = torch.randperm(200000).float().reshape(4, 50000)  # distinct values: indices are unique
    for dim in (0, 1):
        ev, ei = torch.sort(x, dim=dim, descending=True)
        v, i = ts.sort(to_ts(x), dim=dim, descending=True)
        assert_close(v, ev)
        assert_close(i, ei)
    ev, ei = torch.topk(x, 100)
    r = ts.topk(to_ts(x), 100)
    assert_close(r.values, ev)
    assert_close(r.indices, ei)

"""The first op end to end: add, against PyTorch, with promotion and broadcasting."""
import pytest
import torch

import tessera as ts
from helpers import ALL_DTYPES, assert_close, rand, to_ts


@pytest.mark.parametrize("da", ALL_DTYPES)
@pytest.mark.parametrize("db", ALL_DTYPES)
def test_add_promotion(seed, da, db):
    a, b = rand((3, 4), da), rand((4,), db)
    if da == torch.bool and db == torch.bool:
        expected = a + b
    else:
        expected = torch.add(a, b)
    assert_close(ts.add(to_ts(a, noncontig=True), to_ts(b)), expected)


@pytest.mark.parametrize("scalar", [2, 2.5, True])
@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_add_python_scalar(seed, dtype, scalar):
    a = rand((5,), dtype)
    assert_close(to_ts(a) + scalar, a + scalar)
    assert_close(scalar + to_ts(a), scalar + a)


def test_add_broadcast_mismatch_raises():
    a, b = rand((3, 4)), rand((5,))
    with pytest.raises(RuntimeError, match=r"\[add\].*size"):
        ts.add(to_ts(a), to_ts(b))


def test_add_inplace_into_broadcast_shape_raises():
    with pytest.raises(RuntimeError, match="broadcast shape"):
        to_ts(rand((4,))).add_(to_ts(rand((3, 4))))


def test_add_inplace_bumps_version_and_checks_cast(seed):
    x = to_ts(rand((3,), torch.int64))
    v = x._version
    x += 1
    assert x._version == v + 1
    with pytest.raises(RuntimeError, match="can't be cast"):
        x += 1.5


def test_empty_and_zero_dim(seed):
    assert_close(ts.add(to_ts(rand((0, 3))), to_ts(rand((3,)))), torch.empty(0, 3))
    a, b = rand(()), rand(())
    assert_close(ts.add(to_ts(a), to_ts(b)), a + b)

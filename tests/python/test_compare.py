"""Comparisons, logical ops, NaN/inf tests, allclose and equal against PyTorch."""
import operator

import pytest
import torch

import tessera as ts
from ew_helpers import check
from helpers import ALL_DTYPES, FLOAT_DTYPES, assert_close, rand, to_ts

CMP = ["eq", "ne", "lt", "le", "gt", "ge"]
LOGICAL = ["logical_and", "logical_or", "logical_xor"]


@pytest.mark.parametrize("name", CMP + LOGICAL)
@pytest.mark.parametrize("da", ALL_DTYPES)
def test_compare_promotion(seed, name, da):
    for db in ALL_DTYPES:
        a, b = rand((3, 4), da, -2, 2), rand((4,), db, -2, 2)
        check(getattr(ts, name), getattr(torch, name), a, b, noncontig=True)
        check(lambda x, y: getattr(x, name)(y), lambda x, y: getattr(x, name)(y), b, a)


@pytest.mark.parametrize("name", CMP)
@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_compare_python_scalar(seed, name, dtype):
    a = rand((10,), dtype, -3, 3)
    for s in [0, 1, -2, 1.5, True, 300]:
        check(getattr(ts, name), getattr(torch, name), a, s)


OPS = {operator.eq: "eq", operator.ne: "ne", operator.lt: "lt", operator.le: "le", operator.gt: "gt", operator.ge: "ge"}


@pytest.mark.parametrize("op", list(OPS), ids=lambda o: o.__name__)
@pytest.mark.parametrize("dtype", [torch.int64, torch.float32, torch.bool, torch.float16])
def test_compare_operators(seed, op, dtype):
    a, b = rand((2, 6), dtype, -2, 2), rand((6,), dtype, -2, 2)
    check(op, op, a, b)
    check(op, op, a, 1)
    check(op, op, 1.5, a)  # reflected: 1.5 < t is t > 1.5


def test_eq_with_non_tensor_falls_back_to_python():
    x = to_ts(torch.ones(3))
    assert (x == None) is False  # noqa: E711
    assert (x != "a") is True
    assert hash(x) == hash(x)
    assert x in {x: 1}


@pytest.mark.parametrize("name", CMP + LOGICAL)
@pytest.mark.parametrize("dtype", [torch.float32, torch.int32, torch.bool])
def test_compare_inplace(seed, name, dtype):
    a, b = rand((3, 4), dtype, -2, 2), rand((4,), dtype, -2, 2)
    x = to_ts(a)
    v = x._version
    getattr(a, name + "_")(b)
    getattr(x, name + "_")(to_ts(b))
    assert x._version == v + 1
    assert_close(x, a)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_logical_not(seed, dtype):
    a = rand((4, 5), dtype, -2, 2)
    check(ts.logical_not, torch.logical_not, a, noncontig=True)
    x = to_ts(a)
    x.logical_not_()
    assert_close(x, a.logical_not_())


@pytest.mark.parametrize("name", ["isnan", "isinf", "isfinite"])
@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_nan_inf_tests(seed, name, dtype):
    a = rand((20,), dtype, -3, 3)
    if dtype.is_floating_point:
        a[1], a[4], a[7] = float("nan"), float("inf"), -float("inf")
    check(getattr(ts, name), getattr(torch, name), a, noncontig=True)
    check(lambda x: getattr(x, name)(), lambda x: getattr(x, name)(), a)


def test_compare_nan_semantics():
    a = torch.tensor([float("nan"), 1.0, float("nan"), float("inf")])
    b = torch.tensor([float("nan"), float("nan"), 1.0, float("inf")])
    for name in CMP + LOGICAL:
        check(getattr(ts, name), getattr(torch, name), a, b)


@pytest.mark.parametrize("shapes", [((0, 3), (3,)), ((), ()), ((), (4,)), ((2, 1), (1, 3))])
def test_compare_shapes(seed, shapes):
    a, b = rand(shapes[0]), rand(shapes[1])
    for name in CMP + LOGICAL:
        check(getattr(ts, name), getattr(torch, name), a, b)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES + [torch.int64])
def test_allclose(seed, dtype):
    a = rand((5, 6), dtype)
    b = a.clone()
    assert ts.allclose(to_ts(a), to_ts(b)) == torch.allclose(a, b)
    b2 = (a.double() + 1e-3).to(dtype) if dtype.is_floating_point else a + 1
    for kw in [{}, {"rtol": 1e-2, "atol": 1e-2}, {"atol": 2.0}, {"rtol": 0.0, "atol": 0.0}]:
        assert ts.allclose(to_ts(a), to_ts(b2), **kw) == torch.allclose(a, b2, **kw)
        assert to_ts(a).allclose(to_ts(b2), **kw) == a.allclose(b2, **kw)
    assert ts.allclose(to_ts(a), to_ts(a[0])) == torch.allclose(a, a[0])  # broadcasting


def test_allclose_nan_inf():
    a = torch.tensor([1.0, float("nan"), float("inf"), -float("inf")])
    b = torch.tensor([1.0, float("nan"), float("inf"), -float("inf")])
    c = torch.tensor([1.0, 0.0, float("inf"), float("inf")])
    for x, y in [(a, b), (a, c)]:
        for en in [False, True]:
            assert ts.allclose(to_ts(x), to_ts(y), equal_nan=en) == torch.allclose(x, y, equal_nan=en)


@pytest.mark.parametrize("dtype", [torch.float32, torch.int64, torch.bool])
def test_equal(seed, dtype):
    a = rand((4, 3), dtype)
    b = a.clone()
    assert ts.equal(to_ts(a), to_ts(b, noncontig=True)) is torch.equal(a, b) is True
    b[1, 1] = (not b[1, 1]) if dtype == torch.bool else b[1, 1] + 1
    assert ts.equal(to_ts(a), to_ts(b)) is torch.equal(a, b)
    assert ts.equal(to_ts(a), to_ts(a[0])) is torch.equal(a, a[0])
    assert to_ts(a).equal(to_ts(a.float())) is a.equal(a.float())

"""where, masked_fill, lerp, addcmul/addcdiv and clamp against PyTorch."""
import pytest
import torch

import tessera as ts
from ew_helpers import check
from helpers import ALL_DTYPES, FLOAT_DTYPES, assert_close, rand, to_ts


@pytest.mark.parametrize("da", ALL_DTYPES)
def test_where_promotion(seed, da):
    cond = rand((3, 1, 4), torch.bool)
    for db in ALL_DTYPES:
        a, b = rand((2, 4), da), rand((4,), db)
        check(ts.where, torch.where, cond, a, b, noncontig=True)
    check(lambda c, x: x.where(c, 0), lambda c, x: x.where(c, 0), cond, rand((2, 4), da))


@pytest.mark.parametrize("x,y", [(1, 2), (1.5, 2), (True, False), ("t", 2.5), (3, "t"), ("t", True)])
@pytest.mark.parametrize("dtype", [torch.int32, torch.float16, torch.bool])
def test_where_python_scalars(seed, x, y, dtype):
    cond = rand((5,), torch.bool)
    x = rand((5,), dtype) if x == "t" else x
    y = rand((5,), dtype) if y == "t" else y
    check(ts.where, torch.where, cond, x, y)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_masked_fill(seed, dtype):
    a, mask = rand((3, 4), dtype), rand((4,), torch.bool)
    for value in [0, 2.5, True, -1]:
        check(lambda x, m: x.masked_fill(m, value), lambda x, m: x.masked_fill(m, value), a, mask, noncontig=True)
        check(lambda x, m: ts.masked_fill(x, m, value), lambda x, m: torch.masked_fill(x, m, value), a, mask)
    for value in [torch.tensor(3), torch.tensor(1.5, dtype=torch.float64)]:
        check(lambda x, m, v: x.masked_fill(m, v), lambda x, m, v: x.masked_fill(m, v), a, mask, value)
    x = to_ts(a)
    v = x._version
    x.masked_fill_(to_ts(mask), 7)
    assert x._version == v + 1
    assert_close(x, a.masked_fill_(mask, 7))


def test_masked_fill_broadcasts_out_of_place(seed):
    a, mask = rand((3,)), rand((2, 1), torch.bool)
    check(lambda x, m: x.masked_fill(m, 0.0), lambda x, m: x.masked_fill(m, 0.0), a, mask)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_lerp(seed, dtype):
    a, b = rand((3, 4), dtype), rand((4,), dtype)
    for w in [0.0, 0.25, 0.5, 0.75, 1.0, -1.5, 2]:
        check(ts.lerp, torch.lerp, a, b, w, noncontig=True, loose=True)
    w = rand((3, 1), dtype, 0, 1)
    check(ts.lerp, torch.lerp, a, b, w, loose=True)
    check(lambda x, y, z: x.lerp(y, z), lambda x, y, z: x.lerp(y, z), a, b, w, loose=True)
    x = to_ts(a)
    v = x._version
    x.lerp_(to_ts(b), 0.3)
    assert x._version == v + 1
    assert_close(x, a.lerp_(b, 0.3), **({"rtol": 2e-2, "atol": 2e-2} if dtype == torch.bfloat16 else {}))


@pytest.mark.parametrize("name", ["addcmul", "addcdiv"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int64,
                                   torch.int32])
def test_addcmul_addcdiv(seed, name, dtype):
    s, t1, t2 = rand((3, 4), dtype), rand((4,), dtype), rand((3, 1), dtype, 0.5, 3)
    for value in [1, 2, 0.5, -1.5]:
        if not dtype.is_floating_point and isinstance(value, float):
            continue
        check(getattr(ts, name), getattr(torch, name), s, t1, t2, kwargs={"value": value}, noncontig=True, loose=True)
    try:
        expected = getattr(s.clone(), name + "_")(t1, t2, value=2)
    except Exception as e:
        with pytest.raises(type(e)):
            getattr(to_ts(s), name + "_")(to_ts(t1), to_ts(t2), value=2)
        return
    x = to_ts(s)
    v = x._version
    getattr(x, name + "_")(to_ts(t1), to_ts(t2), value=2)
    assert x._version == v + 1
    assert_close(x, expected, **({"rtol": 2e-2, "atol": 2e-2} if dtype in (torch.float16, torch.bfloat16) else {}))


def test_addcmul_mixed_dtypes(seed):
    s, t1, t2 = rand((4,), torch.float32), rand((4,), torch.int64), rand((4,), torch.float64)
    check(ts.addcmul, torch.addcmul, s, t1, t2)
    check(ts.addcdiv, torch.addcdiv, s, t1, t2)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_clamp_scalars(seed, dtype):
    a = rand((4, 5), dtype, -5, 5)
    for lo, hi in [(-1, 2), (None, 1), (0, None), (-1.5, 2.5), (3, -3), (None, 0.5)]:
        check(lambda x: ts.clamp(x, lo, hi), lambda x: torch.clamp(x, lo, hi), a, noncontig=True)
        check(lambda x: x.clip(min=lo, max=hi), lambda x: x.clip(min=lo, max=hi), a)
    check(lambda x: ts.clamp_min(x, 1), lambda x: torch.clamp_min(x, 1), a)
    check(lambda x: x.clamp_max(-1), lambda x: x.clamp_max(-1), a)


@pytest.mark.parametrize("dtype", [torch.float32, torch.int32, torch.float16])
def test_clamp_tensors(seed, dtype):
    a, lo, hi = rand((3, 4), dtype, -5, 5), rand((4,), dtype, -3, 0), rand((3, 1), dtype, 0, 3)
    check(lambda x, l, h: ts.clamp(x, l, h), lambda x, l, h: torch.clamp(x, l, h), a, lo, hi)
    check(lambda x, l: ts.clamp(x, min=l), lambda x, l: torch.clamp(x, min=l), a, lo)
    check(lambda x, h: x.clamp(max=h), lambda x, h: x.clamp(max=h), a, hi)
    check(lambda x, l: x.clamp_min(l), lambda x, l: x.clamp_min(l), a, lo)
    check(lambda x, l: ts.clamp(x, min=l), lambda x, l: torch.clamp(x, min=l), a, rand((4,), torch.float64))


def test_clamp_nan():
    a = torch.tensor([float("nan"), 1.0, 5.0, -5.0])
    check(lambda x: ts.clamp(x, -2, 2), lambda x: torch.clamp(x, -2, 2), a)
    check(lambda x: ts.clamp(x, min=float("nan")), lambda x: torch.clamp(x, min=float("nan")), a)


@pytest.mark.parametrize("name", ["clamp_", "clip_"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.int64])
def test_clamp_inplace(seed, name, dtype):
    a = rand((3, 4), dtype, -5, 5)
    x = to_ts(a)
    v = x._version
    getattr(x, name)(min=-1, max=2)
    assert x._version == v + 1
    assert_close(x, getattr(a, name)(min=-1, max=2))
    x.clamp_min_(0)
    x.clamp_max_(1)
    assert_close(x, a.clamp_min_(0).clamp_max_(1))
    with pytest.raises(RuntimeError):
        to_ts(rand((3,), torch.int64)).clamp_(min=0.5)


@pytest.mark.parametrize("shape", [(0, 3), ()])
def test_ternary_empty_and_zero_dim(seed, shape):
    a, b, c = rand(shape), rand(shape), rand(shape, torch.bool)
    check(ts.where, torch.where, c, a, b)
    check(ts.lerp, torch.lerp, a, b, 0.3)
    check(ts.addcmul, torch.addcmul, a, b, b)
    check(lambda x: ts.clamp(x, -1, 1), lambda x: torch.clamp(x, -1, 1), a)
    check(lambda x, m: x.masked_fill(m, 1.0), lambda x, m: x.masked_fill(m, 1.0), a, c)

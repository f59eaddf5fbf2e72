"""Unary math ops against PyTorch: result dtype (integers -> float32 where torch does), values over
each function's domain, in-place variants, non-contiguous, empty and 0-d inputs."""
import pytest
import torch

import tessera as ts
from ew_helpers import check
from helpers import ALL_DTYPES, FLOAT_DTYPES, INT_DTYPES, assert_close, rand, to_ts

# name -> (low, high) input range inside the function's domain
FLOAT_FUNCS = {
    "reciprocal": (0.2, 4), "sqrt": (0, 9), "rsqrt": (0.1, 9), "exp": (-5, 5), "exp2": (-5, 5),
    "expm1": (-3, 3), "log": (0.05, 9), "log2": (0.05, 9), "log10": (0.05, 9), "log1p": (-0.9, 9),
    "sin": (-6, 6), "cos": (-6, 6), "tan": (-1.4, 1.4), "tanh": (-4, 4), "sigmoid": (-8, 8), "erf": (-3, 3),
    "erfinv": (-0.99, 0.99),
}
SAME_DTYPE_FUNCS = {"neg": (-9, 9), "abs": (-9, 9), "sign": (-3, 3), "floor": (-9, 9), "ceil": (-9, 9),
                    "trunc": (-9, 9), "round": (-9, 9)}
ALL_FUNCS = {**FLOAT_FUNCS, **SAME_DTYPE_FUNCS}


def torch_fn(name):
    return getattr(torch, name)


@pytest.mark.parametrize("name", sorted(ALL_FUNCS))
@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_unary_function(seed, name, dtype):
    lo, hi = ALL_FUNCS[name]
    a = rand((5, 7), dtype, lo, hi)
    got = check(getattr(ts, name), torch_fn(name), a, noncontig=True, loose=True)
    if got is not None:
        check(lambda x: getattr(x, name)(), lambda x: getattr(x, name)(), a, loose=True)


@pytest.mark.parametrize("name", sorted(ALL_FUNCS))
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.int64, torch.bool])
def test_unary_inplace(seed, name, dtype):
    lo, hi = ALL_FUNCS[name]
    a = rand((4, 6), dtype, lo, hi)
    x = to_ts(a)
    v, ptr = x._version, x.data_ptr()
    try:
        getattr(a, name + "_")()
    except Exception as e:
        with pytest.raises(type(e)):
            getattr(x, name + "_")()
        assert x._version == v
        return
    y = getattr(x, name + "_")()
    assert y.data_ptr() == ptr and x._version == v + 1
    assert_close(x, a, **({"rtol": 2e-3, "atol": 2e-3} if dtype == torch.float16 else {}))


@pytest.mark.parametrize("name", ["exp", "sqrt", "neg", "abs", "round", "sigmoid"])
@pytest.mark.parametrize("shape", [(0,), (3, 0), ()])
def test_unary_empty_and_zero_dim(seed, name, shape):
    check(getattr(ts, name), torch_fn(name), rand(shape, torch.float32, 0.1, 3))


@pytest.mark.parametrize("name", ["exp", "log", "sin", "tanh", "sigmoid", "sqrt", "erf"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_unary_large_and_special_values(seed, name, dtype):
    a = rand((200, 171), dtype, 0.01, 5)  # parallel path
    check(getattr(ts, name), torch_fn(name), a, loose=True)
    special = torch.tensor([0.0, -0.0, float("inf"), -float("inf"), float("nan"), 1e-30, -1.0], dtype=dtype)
    check(getattr(ts, name), torch_fn(name), special, loose=True)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("decimals", [-2, -1, 0, 1, 2, 3])
def test_round_decimals(seed, dtype, decimals):
    a = rand((40,), dtype, -500, 500)
    check(lambda x: ts.round(x, decimals=decimals), lambda x: torch.round(x, decimals=decimals), a, loose=True)
    halves = torch.tensor([0.5, 1.5, 2.5, -0.5, -1.5, -2.5], dtype=dtype)
    check(ts.round, torch.round, halves)  # round half to even
    x = to_ts(a)
    x.round_(decimals=decimals)
    assert_close(x, torch.round(a, decimals=decimals), **({"rtol": 2e-2, "atol": 2e-2} if dtype != torch.float64 else {}))


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_integer_neg_abs_wrap(dtype):
    info = torch.iinfo(dtype)
    a = torch.tensor([info.min, info.max, 0, 1], dtype=dtype)
    check(ts.neg, torch.neg, a)
    check(ts.abs, torch.abs, a)
    check(lambda x: -x, lambda x: -x, a)
    check(abs, abs, a)


@pytest.mark.parametrize("dtype", [torch.bool] + INT_DTYPES + [torch.float32])
def test_bitwise_not_and_invert(seed, dtype):
    a = rand((3, 5), dtype, -100, 100)
    check(ts.bitwise_not, torch.bitwise_not, a, noncontig=True)
    check(lambda x: ~x, lambda x: ~x, a)
    if dtype != torch.float32:
        x = to_ts(a)
        x.bitwise_not_()
        assert_close(x, ~a)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES + [torch.int32])
@pytest.mark.parametrize("kwargs", [{}, {"nan": 1.5}, {"posinf": 7.0}, {"neginf": -2.0},
                                    {"nan": -1.0, "posinf": 1e3, "neginf": -1e3}])
def test_nan_to_num(seed, dtype, kwargs):
    a = rand((12,), dtype)
    if dtype.is_floating_point:
        a[0], a[3], a[5] = float("nan"), float("inf"), -float("inf")
    check(lambda x: ts.nan_to_num(x, **kwargs), lambda x: torch.nan_to_num(x, **kwargs), a, noncontig=True)
    x = to_ts(a)
    v = x._version
    x.nan_to_num_(**kwargs)
    assert x._version == v + 1
    assert_close(x, torch.nan_to_num(a, **kwargs))


def test_sign_nan_and_zero():
    a = torch.tensor([-2.0, -0.0, 0.0, 3.0, float("nan"), -float("inf")])
    check(ts.sign, torch.sign, a)


def test_unary_chain_on_views(seed):
    a = rand((6, 8), torch.float64, 0.1, 3)
    x = to_ts(a, noncontig=True)
    assert_close(ts.exp(ts.log(x)), torch.exp(torch.log(a)))
    assert_close(ts.sqrt(x) * ts.rsqrt(x), torch.sqrt(a) * torch.rsqrt(a))


def test_fast_float_functions_accuracy(seed):
    # The float32 kernels use their own vectorisable exp/tanh/rounding: check them tightly.
    x = torch.cat([torch.linspace(-104, 89, 4001), rand((2000,), torch.float32, -20, 20),
                   torch.tensor([88.72, 88.73, -87.3, -103.9, -150.0, 1e-30, -1e-30, 0.0, -0.0])])
    check(ts.exp, torch.exp, x, rtol=2e-6, atol=1e-44)
    small = rand((1000,), torch.float32, -1e-3, 1e-3)
    check(ts.tanh, torch.tanh, small, rtol=2e-6, atol=0)
    check(ts.tanh, torch.tanh, x, rtol=2e-6, atol=1e-7)
    check(ts.sigmoid, torch.sigmoid, x, rtol=4e-6, atol=1e-30)


@pytest.mark.parametrize("name", ["floor", "ceil", "trunc", "round"])
def test_float_rounding_edges(name):
    big = [2.0 ** 23 - 0.5, 2.0 ** 23, 2.0 ** 23 + 1, 2.0 ** 24 + 2, 3e9, -3e9, 1e30]
    vals = big + [-b for b in big] + [0.5, -0.5, 1.5, -1.5, 2.5, -0.0, 0.0, 0.49999997, -0.49999997,
                                      float("inf"), -float("inf"), float("nan")]
    for dtype in [torch.float32, torch.float64]:
        check(getattr(ts, name), getattr(torch, name), torch.tensor(vals, dtype=dtype))
    check(getattr(ts, name), getattr(torch, name), rand((1000,), torch.float32, -1e4, 1e4))

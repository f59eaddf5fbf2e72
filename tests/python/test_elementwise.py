"""Binary arithmetic against PyTorch: promotion over dtype pairs, Python scalars, operators,
in-place variants, broadcasting, non-contiguous, empty and 0-d operands."""
import operator

import pytest
import torch

import tessera as ts
from ew_helpers import check, nonzero
from helpers import ALL_DTYPES, FLOAT_DTYPES, INT_DTYPES, assert_close, cpu_only, rand, to_torch, to_ts

# (name, needs a non-zero divisor, exponent-like small non-negative second operand)
BINARY = [
    ("add", False, False), ("sub", False, False), ("mul", False, False), ("div", True, False),
    ("true_divide", True, False), ("floor_divide", True, False), ("remainder", True, False),
    ("fmod", True, False), ("pow", False, True), ("atan2", False, False), ("minimum", False, False),
    ("maximum", False, False),
]
NAMES = [b[0] for b in BINARY]
SPEC = {b[0]: b for b in BINARY}


def operands(name, da, db, shape_a=(3, 4), shape_b=(4,)):
    _, divisor, exponent = SPEC[name]
    a = rand(shape_a, da)
    b = rand(shape_b, db, low=0, high=3) if exponent else rand(shape_b, db)
    if divisor:
        b = nonzero(b)
    if name == "pow" and da.is_floating_point:
        a = a.abs() + 0.5
    return a, b


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("da", ALL_DTYPES)
def test_binary_promotion(seed, name, da):
    for db in ALL_DTYPES:
        a, b = operands(name, da, db)
        check(getattr(ts, name), getattr(torch, name), a, b, noncontig=True, loose=name in ("pow", "atan2"))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_binary_python_scalar(seed, name, dtype):
    for scalar in [2, -3, 2.5, True]:
        if name == "pow" and isinstance(scalar, int) and scalar < 0:
            scalar = 3
        a, _ = operands(name, dtype, dtype)
        check(getattr(ts, name), getattr(torch, name), a, scalar, loose=True)
        if SPEC[name][1] or name == "pow":
            a = nonzero(a) if not dtype.is_floating_point else a
            if name == "pow" and not dtype.is_floating_point:
                a = a.abs().clamp(max=3) if dtype != torch.bool else a
        check(getattr(ts, name), getattr(torch, name), scalar, a, loose=True)


OPS = [operator.add, operator.sub, operator.mul, operator.truediv, operator.floordiv, operator.mod, operator.pow]
IOPS = {operator.add: operator.iadd, operator.sub: operator.isub, operator.mul: operator.imul,
        operator.truediv: operator.itruediv, operator.floordiv: operator.ifloordiv, operator.mod: operator.imod,
        operator.pow: operator.ipow}


@pytest.mark.parametrize("op", OPS, ids=lambda o: o.__name__)
@pytest.mark.parametrize("dtype", [torch.int64, torch.int32, torch.uint8, torch.float32, torch.float64, torch.float16])
def test_operators(seed, op, dtype):
    for other in ["tensor", 3, 2.5]:
        a = rand((2, 5), dtype, low=1, high=4)
        b = nonzero(rand((5,), dtype, low=0, high=3)) if other == "tensor" else other
        check(op, op, a, b, loose=True)
        check(op, op, b, a, loose=True)  # reflected (__radd__ ...) for scalars; plain for tensors


@pytest.mark.parametrize("op", OPS, ids=lambda o: o.__name__)
@pytest.mark.parametrize("dtype", [torch.int64, torch.int16, torch.float32, torch.bfloat16])
@pytest.mark.parametrize("other", ["tensor", 2, 1.5])
def test_inplace_operators(seed, op, dtype, other):
    a = rand((3, 4), dtype, low=1, high=4)
    b = nonzero(rand((4,), dtype, low=0, high=3)) if other == "tensor" else other
    x = to_ts(a)
    v = x._version
    ptr = x.data_ptr()
    try:
        IOPS[op](a, b)
    except Exception as e:
        with pytest.raises(type(e)):
            IOPS[op](x, to_ts(b) if isinstance(b, torch.Tensor) else b)
        return
    y = IOPS[op](x, to_ts(b) if isinstance(b, torch.Tensor) else b)
    assert y.data_ptr() == ptr and y._version == v + 1
    assert_close(y, a, rtol=2e-2, atol=2e-2) if dtype == torch.bfloat16 else assert_close(y, a)


INPLACE = ["add_", "sub_", "mul_", "div_", "true_divide_", "floor_divide_", "remainder_", "fmod_", "pow_", "atan2_"]


def inplace_method_case(name, da, db):
    a, b = operands(name[:-1], da, db)
    x = to_ts(a)
    v = x._version
    try:
        getattr(a, name)(b)
    except Exception as e:
        with pytest.raises(type(e)):
            getattr(x, name)(to_ts(b))
        assert x._version == v
        return
    y = getattr(x, name)(to_ts(b, noncontig=True))
    assert y.data_ptr() == x.data_ptr() and x._version == v + 1
    tol = dict(rtol=2e-3, atol=2e-3) if da == torch.float16 else {}
    assert_close(x, a, **tol)


@pytest.mark.parametrize("name", INPLACE)
@pytest.mark.parametrize("da", [torch.int64, torch.int8, torch.float32, torch.float16, torch.float64])
def test_inplace_methods(seed, name, da):
    for db in [torch.int32, torch.float32, torch.float64, torch.bool]:
        inplace_method_case(name, da, db)


@pytest.mark.parametrize("name", ["add", "sub"])
@pytest.mark.parametrize("dtype", [torch.int64, torch.uint8, torch.float32, torch.float16])
@pytest.mark.parametrize("alpha", [2, -1, 3])
def test_alpha(seed, name, dtype, alpha):
    # Half-precision inputs are computed in float32 and rounded once (as torch does on CUDA); torch's
    # CPU kernel rounds alpha * b first, which can differ by two ulps, so the reference is float32.
    a, b = rand((4, 3), dtype), rand((4, 3), dtype)
    opmath = torch.float32 if dtype == torch.float16 else dtype
    expected = getattr(torch, name)(a.to(opmath), b.to(opmath), alpha=alpha).to(dtype)
    assert_close(getattr(ts, name)(to_ts(a), to_ts(b), alpha=alpha), expected)
    x = to_ts(a)
    getattr(x, name + "_")(to_ts(b), alpha=alpha)
    assert_close(x, expected)


@pytest.mark.parametrize("mode", [None, "trunc", "floor"])
@pytest.mark.parametrize("da", ALL_DTYPES)
def test_div_rounding_mode(seed, mode, da):
    for db in [torch.int64, torch.uint8, torch.float32, torch.bfloat16]:
        a, b = rand((5, 6), da, low=-20, high=20), nonzero(rand((6,), db, low=-7, high=7))
        check(lambda x, y: ts.div(x, y, rounding_mode=mode), lambda x, y: torch.div(x, y, rounding_mode=mode), a, b)
        check(lambda x, y: x.div(y, rounding_mode=mode), lambda x, y: x.div(y, rounding_mode=mode), a, b)


@pytest.mark.parametrize("name", ["floor_divide", "remainder", "fmod"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_float_division_signs_and_zero(seed, name, dtype):
    a = torch.tensor([5.5, -5.5, 5.5, -5.5, 0.0, 1.0, -1.0, float("inf"), 3.0], dtype=dtype)
    b = torch.tensor([2.0, 2.0, -2.0, -2.0, 3.0, 0.0, 0.0, 2.0, float("inf")], dtype=dtype)
    check(getattr(ts, name), getattr(torch, name), a, b)
    a, b = rand((100,), dtype, -50, 50), rand((100,), dtype, -5, 5)
    check(getattr(ts, name), getattr(torch, name), a, b)


@pytest.mark.parametrize("name", ["floor_divide", "remainder", "fmod", "div_trunc", "div_floor"])
@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_integer_division_semantics(seed, name, dtype):
    a, b = rand((200,), dtype, -100, 100), nonzero(rand((200,), dtype, -9, 9))
    if name.startswith("div_"):
        mode = name[4:]
        check(lambda x, y: ts.div(x, y, rounding_mode=mode), lambda x, y: torch.div(x, y, rounding_mode=mode), a, b)
    else:
        check(getattr(ts, name), getattr(torch, name), a, b)


@pytest.mark.parametrize("name", ["floor_divide", "remainder", "fmod"])
@pytest.mark.parametrize("dtype", [torch.int32, torch.int64])
def test_integer_min_by_minus_one_does_not_crash(name, dtype):
    lo = torch.iinfo(dtype).min
    a, b = torch.tensor([lo, 7, -7], dtype=dtype), torch.tensor([-1, -1, 2], dtype=dtype)
    check(getattr(ts, name), getattr(torch, name), a, b)


@pytest.mark.parametrize("call", [
    lambda a, b: a // b, lambda a, b: a % b, lambda a, b: ts.fmod(a, b),
    lambda a, b: ts.div(a, b, rounding_mode="trunc"), lambda a, b: ts.div(a, b, rounding_mode="floor"),
    lambda a, b: a.floor_divide_(b), lambda a, b: a.remainder_(b),
])
@pytest.mark.parametrize("dtype", [torch.int64, torch.uint8, torch.int32])
@cpu_only
def test_integer_division_by_zero_raises(call, dtype):
    a = to_ts(torch.tensor([1, 2, 3], dtype=dtype))
    b = to_ts(torch.tensor([1, 0, 2], dtype=dtype))
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        call(a, b)
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        call(a, 0)
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        torch_a = torch.tensor([1, 2, 3], dtype=dtype)
        torch_a // torch.tensor([1, 0, 2], dtype=dtype)


def test_integer_true_division_by_zero_gives_inf():
    a, b = torch.tensor([1, 0, -3]), torch.tensor([0, 0, 0])
    check(ts.div, torch.div, a, b)


@pytest.mark.parametrize("dtype", INT_DTYPES)
@pytest.mark.parametrize("exponent", [0, 1, 2, 3, 5])
def test_integer_pow(seed, dtype, exponent):
    a = rand((50,), dtype, -4, 4)
    check(ts.pow, torch.pow, a, exponent)
    check(ts.pow, torch.pow, a, rand((50,), dtype, 0, 4))
    check(ts.pow, torch.pow, 2, rand((50,), dtype, 0, 6))


@pytest.mark.parametrize("dtype", [torch.int32, torch.int64])
def test_integer_pow_negative_tensor_exponent(seed, dtype):
    a = torch.tensor([1, -1, 2, -2, 3, 1, -1], dtype=dtype)
    e = torch.tensor([-1, -1, -1, -2, -3, -4, -4], dtype=dtype)
    check(ts.pow, torch.pow, a, e)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("exponent", [2, 2.0, 3.0, 0.5, -1.0, 1.0, -2.5, 0.0])
def test_float_pow_scalar_exponent(seed, dtype, exponent):
    a = rand((7, 9), dtype, 0.1, 4)
    check(ts.pow, torch.pow, a, exponent, loose=True)
    check(lambda x, e: x ** e, lambda x, e: x ** e, a, exponent, loose=True)
    check(ts.pow, torch.pow, exponent, a, loose=True)


@pytest.mark.parametrize("name", NAMES)
def test_broadcast_both_sides(seed, name):
    a, b = operands(name, torch.float32, torch.float32, (3, 1, 5), (4, 1))
    check(getattr(ts, name), getattr(torch, name), a, b, loose=True)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shapes", [((0, 3), (3,)), ((2, 0), (2, 1)), ((), ()), ((), (4,)), ((3,), ())])
def test_empty_and_zero_dim(seed, name, shapes):
    a, b = operands(name, torch.float32, torch.float32, *shapes)
    check(getattr(ts, name), getattr(torch, name), a, b, loose=True)


@pytest.mark.parametrize("name", ["add", "mul", "div", "sub"])
def test_zero_dim_tensor_promotion(seed, name):
    # A 0-d tensor does not raise the dtype of a dimensioned one within a category.
    a, b = rand((4,), torch.float16), rand((), torch.float64)
    check(getattr(ts, name), getattr(torch, name), a, b)
    a, b = rand((4,), torch.int8), rand((), torch.int64)
    check(getattr(ts, name), getattr(torch, name), a, b)
    a, b = rand((4,), torch.int8), rand((), torch.float64)
    check(getattr(ts, name), getattr(torch, name), a, b)


@pytest.mark.parametrize("name", ["add", "pow", "floor_divide", "maximum"])
def test_large_parallel(seed, name):
    # above the 32768-element grain: runs on several threads
    a, b = operands(name, torch.float32, torch.float32, (200, 171), (200, 171))
    check(getattr(ts, name), getattr(torch, name), a, b, loose=True)
    check(getattr(ts, name), getattr(torch, name), a.t(), b.t(), loose=True)


def test_transposed_and_sliced_views(seed):
    a, b = rand((6, 8)), rand((8, 6))
    x, y = to_ts(a), to_ts(b)
    # transpose through numpy-free means: compare a + b.T using torch as reference on the same strides
    assert_close(ts.mul(x, x), a * a)
    got = to_torch(ts.add(x, to_ts(b.t().contiguous())))
    torch.testing.assert_close(got, a + b.t())


@pytest.mark.parametrize("name", ["bitwise_and", "bitwise_or", "bitwise_xor"])
@pytest.mark.parametrize("da", ALL_DTYPES)
def test_bitwise(seed, name, da):
    for db in [torch.bool, torch.uint8, torch.int32, torch.int64, torch.float32]:
        a, b = rand((4, 5), da, -100, 100), rand((5,), db, -100, 100)
        check(getattr(ts, name), getattr(torch, name), a, b, noncontig=True)


@pytest.mark.parametrize("op", [operator.and_, operator.or_, operator.xor, operator.lshift, operator.rshift],
                         ids=lambda o: o.__name__)
@pytest.mark.parametrize("dtype", [torch.bool, torch.int8, torch.uint8, torch.int64])
def test_bitwise_operators(seed, op, dtype):
    for other in ["tensor", 3, True]:
        a = rand((6,), dtype, -100, 100)
        b = rand((6,), dtype, 0, 7) if other == "tensor" else other
        check(op, op, a, b)
        check(op, op, b, a)


@pytest.mark.parametrize("name", ["bitwise_left_shift", "bitwise_right_shift"])
@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_shifts_including_out_of_range(seed, name, dtype):
    bits = torch.iinfo(dtype).bits
    a = rand((40,), dtype, -100, 100)
    lo = -3 if dtype != torch.uint8 else 0
    b = torch.randint(lo, bits + 3, (40,)).to(dtype)
    check(getattr(ts, name), getattr(torch, name), a, b)
    x = to_ts(a)
    getattr(x, name + "_")(to_ts(b))
    getattr(a, name + "_")(b)
    assert_close(x, a)


@pytest.mark.parametrize("op", ["iand", "ior", "ixor", "ilshift", "irshift"])
def test_bitwise_inplace_operators(seed, op):
    a, b = rand((5,), torch.int32, -50, 50), rand((5,), torch.int32, 0, 5)
    x = to_ts(a)
    v = x._version
    x = getattr(operator, op)(x, to_ts(b))
    getattr(operator, op)(a, b)
    assert x._version == v + 1
    assert_close(x, a)


@pytest.mark.parametrize("name", ["fmod", "remainder", "floor_divide"])
def test_float_modulo_large_quotients(seed, name):
    a = torch.cat([rand((500,), torch.float32, -1e9, 1e9), rand((500,), torch.float32, -1e30, 1e30)])
    b = torch.cat([rand((500,), torch.float32, 0.5, 7), rand((500,), torch.float32, -1e3, 1e3)])
    check(getattr(ts, name), getattr(torch, name), a, b, rtol=0, atol=0)
    check(getattr(ts, name), getattr(torch, name), a.double(), b.double(), rtol=0, atol=0)

"""Elementwise ops on CUDA (csrc/cuda/kernels/ew) against torch (CPU reference) and tessera's CPU
kernels: unary, binary, comparisons, ternary, activations and their fused backward, over dtypes,
layouts (contiguous, transposed, sliced, misaligned: the vector path must fall back), broadcasting,
0-d CPU operands, empty tensors, in-place variants and type promotion.

Skipped without a GPU. TESSERA_EW_TEST_DEVICE=cpu runs the same checks on the CPU (to validate the
harness on a machine without a GPU)."""
import os

import pytest
import torch

import tessera as ts
from helpers import INT_DTYPES, TORCH_TO_TS, assert_close, rand, to_torch, to_ts

DEV = os.environ.get("TESSERA_EW_TEST_DEVICE", "cuda")
pytestmark = pytest.mark.skipif(DEV == "cuda" and not ts.cuda.is_available(), reason="needs a CUDA GPU")

FLOATS = [torch.float32, torch.float16, torch.bfloat16, torch.float64]
# Device math may differ from the CPU's by an ulp or so.
TOL = {torch.float32: dict(rtol=1e-5, atol=1e-5), torch.float64: dict(rtol=1e-10, atol=1e-12),
       torch.float16: dict(rtol=2e-3, atol=2e-3), torch.bfloat16: dict(rtol=1.6e-2, atol=1e-2)}
SHAPE = (37, 53)  # not a multiple of any vector width: the tail runs too


def tol(dtype):
    return TOL.get(dtype, dict(rtol=0, atol=0))


def make(t: torch.Tensor, layout: str):
    """(torch view, tessera view on DEV) with the same values; `t` gives shape and values."""
    if layout == "contig":
        base = t.clone()
        view = lambda x: x  # noqa: E731
    elif layout == "transposed":
        base = t.transpose(0, 1).contiguous()
        view = lambda x: x.transpose(0, 1)  # noqa: E731
    elif layout == "sliced":
        base = torch.zeros(t.shape[0], t.shape[1] * 2, dtype=t.dtype)
        base[:, ::2] = t
        view = lambda x: x[:, ::2]  # noqa: E731
    else:  # misaligned: one element in, so no operand pointer is 16-byte aligned
        base = torch.cat([t.reshape(-1)[:1], t.reshape(-1)])
        view = lambda x: x[1:].reshape(t.shape)  # noqa: E731
    return view(base), view(to_ts(base).to(DEV))


LAYOUTS = ["contig", "transposed", "sliced", "misaligned"]


def check(got: ts.Tensor, expected: torch.Tensor, **kw):
    assert got.device.type == DEV
    assert_close(got.cpu(), expected, **(kw or tol(expected.dtype)))


# ------------------------------------------------------------------ unary

UNARY = {  # name: (domain low, high)
    "neg": (-3, 3), "abs": (-3, 3), "sign": (-3, 3), "floor": (-3, 3), "ceil": (-3, 3), "trunc": (-3, 3),
    "round": (-3, 3), "reciprocal": (0.5, 3), "sqrt": (0.01, 4), "rsqrt": (0.1, 4), "exp": (-3, 3),
    "exp2": (-3, 3), "expm1": (-3, 3), "log": (0.1, 4), "log2": (0.1, 4), "log10": (0.1, 4), "log1p": (-0.5, 3),
    "sin": (-3, 3), "cos": (-3, 3), "tan": (-1.2, 1.2), "tanh": (-3, 3), "sigmoid": (-5, 5), "erf": (-2, 2),
    "erfinv": (-0.95, 0.95),
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_unary_float(seed, dtype, layout):
    for name, (lo, hi) in UNARY.items():
        x, xt = make(rand(SHAPE, dtype, lo, hi), layout)
        expected = getattr(torch, name)(x)
        got = getattr(ts, name)(xt)
        check(got, expected)
        # same dtype rules and (within device-math tolerance) the same values as tessera's CPU kernels
        assert_close(got.cpu(), to_torch(getattr(ts, name)(xt.cpu())), **tol(dtype))


@pytest.mark.parametrize("dtype", INT_DTYPES + [torch.bool])
def test_unary_integral(seed, dtype):
    x, xt = make(rand(SHAPE, dtype, -100, 100), "sliced")
    names = ["bitwise_not"] if dtype == torch.bool else ["neg", "abs", "sign", "floor", "ceil", "trunc",
                                                          "round", "bitwise_not"]
    for name in names:
        check(getattr(ts, name)(xt), getattr(torch, name)(x))
    # integer inputs of float-only ops are promoted (computed in float32)
    check(ts.exp(xt) if dtype != torch.bool else ts.sqrt(xt), torch.exp(x) if dtype != torch.bool else torch.sqrt(x))


def test_unary_round_decimals_and_nan_to_num(seed):
    for dtype in FLOATS:
        x, xt = make(rand(SHAPE, dtype) * 100, "contig")
        check(ts.round(xt, decimals=2), torch.round(x, decimals=2))
        check(ts.round(xt, decimals=-1), torch.round(x, decimals=-1))
        y = rand(SHAPE, dtype)
        y[0, :3] = float("nan")
        y[1, :3] = float("inf")
        y[2, :3] = -float("inf")
        y, yt = make(y, "transposed")
        check(ts.nan_to_num(yt), torch.nan_to_num(y))
        check(ts.nan_to_num(yt, nan=1.5, posinf=7.0, neginf=-7.0), torch.nan_to_num(y, nan=1.5, posinf=7.0, neginf=-7.0))


def test_unary_inplace_and_empty(seed):
    x, xt = make(rand(SHAPE), "sliced")
    r = xt.exp_()
    assert r.data_ptr() == xt.data_ptr()
    check(xt, x.exp())
    e = ts.empty((0, 5), device=DEV)
    assert tuple(ts.sin(e).shape) == (0, 5)
    assert ts.sin(e).device.type == DEV


# ------------------------------------------------------------------ binary

BINARY_FLOAT = ["add", "sub", "mul", "div", "remainder", "fmod", "pow", "atan2", "minimum", "maximum"]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_binary_float(seed, dtype, layout):
    a, at = make(rand(SHAPE, dtype), layout)
    b, bt = make(rand(SHAPE, dtype, 0.5, 3) * torch.where(rand(SHAPE) > 0, 1, -1).to(dtype), layout)
    pa, pat = make(rand(SHAPE, dtype, 0.1, 3), layout)  # positive bases for pow
    for name in BINARY_FLOAT:
        x, xt = (pa, pat) if name == "pow" else (a, at)
        check(getattr(ts, name)(xt, bt), getattr(torch, name)(x, b))
    for mode in ["trunc", "floor"]:
        check(ts.div(at, bt, rounding_mode=mode), torch.div(a, b, rounding_mode=mode))
    check(ts.add(at, bt, alpha=2.5), torch.add(a, b, alpha=2.5))
    check(ts.sub(at, bt, alpha=-0.5), torch.sub(a, b, alpha=-0.5))
    check(at * 2.5, a * 2.5)  # a 0-d CPU operand: splatted in the vector path, by value when strided
    check(1.5 - at, 1.5 - a)
    check(ts.where(at > 0, at, 0.25), torch.where(a > 0, a, 0.25))
    # NaN propagates through minimum/maximum
    n = a.clone()
    n[0, 0] = float("nan")
    n, nt = make(n, layout)
    check(ts.minimum(nt, bt), torch.minimum(n, b))
    check(ts.maximum(bt, nt), torch.maximum(b, n))


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_binary_integral(seed, dtype):
    a, at = make(rand(SHAPE, dtype, -50, 50), "transposed")
    b = rand(SHAPE, dtype, 1, 9)
    if dtype != torch.uint8:
        b = b * torch.where(rand(SHAPE) > 0, 1, -1).to(dtype)  # nonzero divisors of both signs
    b, bt = make(b, "contig")
    for name in ["add", "sub", "mul", "remainder", "fmod", "minimum", "maximum", "bitwise_and", "bitwise_or",
                 "bitwise_xor"]:
        check(getattr(ts, name)(at, bt), getattr(torch, name)(a, b))
    for mode in ["trunc", "floor"]:
        check(ts.div(at, bt, rounding_mode=mode), torch.div(a, b, rounding_mode=mode))
    check(ts.div(at, bt), torch.div(a, b))  # true division promotes to float32
    e, et = make(rand(SHAPE, dtype, 0, 3), "sliced")
    check(ts.pow(at, et), torch.pow(a, e))
    s, st = make(rand(SHAPE, dtype, 0, 9), "misaligned")
    check(ts.bitwise_left_shift(at, st), torch.bitwise_left_shift(a, s))
    check(ts.bitwise_right_shift(at, st), torch.bitwise_right_shift(a, s))
    check(ts.add(at, bt, alpha=3), torch.add(a, b, alpha=3))


def test_binary_bool(seed):
    a, at = make(rand(SHAPE, torch.bool), "contig")
    b, bt = make(rand(SHAPE, torch.bool), "sliced")
    for name in ["add", "mul", "bitwise_and", "bitwise_or", "bitwise_xor", "minimum", "maximum"]:
        check(getattr(ts, name)(at, bt), getattr(torch, name)(a, b))


def test_binary_broadcast_scalars_promotion_inplace(seed):
    a, at = make(rand((4, 1, 5)), "contig")
    b = rand((3, 5), torch.float16)
    bt = to_ts(b).to(DEV)
    check(ts.mul(at, bt), torch.mul(a, b))  # broadcast and float32 x float16 -> float32
    i = rand((3, 5), torch.int32, -5, 5)
    it = to_ts(i).to(DEV)
    check(ts.add(it, at), torch.add(i, a))  # int32 + float32 -> float32
    check(it * 2.5, i * 2.5)  # a Python scalar: a 0-d CPU operand passed by value
    check(at + 1, a + 1)
    check(2 ** at, 2 ** a)
    s = torch.tensor(1.75, dtype=torch.float64)
    check(ts.mul(at, to_ts(s)), torch.mul(a, s))  # 0-d CPU tensor with a CUDA tensor (float32 result)
    check(ts.sub(to_ts(s), at), torch.sub(s, a))
    si = torch.tensor(3)
    check(ts.remainder(it, to_ts(si)), torch.remainder(i, si))
    # in place, including a compute dtype that differs from self's
    x, xt = make(rand(SHAPE), "transposed")
    y, yt = make(rand(SHAPE), "misaligned")
    r = xt.add_(yt, alpha=2)
    assert r.data_ptr() == xt.data_ptr()
    check(xt, x.add(y, alpha=2))
    xt.mul_(3)
    check(xt, x.add(y, alpha=2).mul(3))
    xt.div_(yt)
    check(xt, x.add(y, alpha=2).mul(3).div(y))
    e = ts.empty((0, 3), device=DEV)
    assert tuple((e + e).shape) == (0, 3)
    assert tuple(ts.mul(e, ts.ones(3, device=DEV)).shape) == (0, 3)


def test_broadcast_large_grid(seed):
    # A broadcast over a large output exercises the grid-stride loop of the strided kernel.
    a = rand((4096, 1))
    b = rand((1, 1024))
    check(ts.add(to_ts(a).to(DEV), to_ts(b).to(DEV)), a + b)


# ------------------------------------------------------------------ comparisons and logical ops

@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16, torch.float64, torch.int32,
                                   torch.uint8, torch.bool])
def test_compare_logical(seed, dtype):
    a = rand(SHAPE, dtype, -3, 3)
    b = a.clone()
    b[::2] = rand(b[::2].shape, dtype, -3, 3)  # some equal elements
    if dtype.is_floating_point:
        a[0, :2] = float("nan")
        a[1, :2] = float("inf")
        a[2, :2] = -float("inf")
    a, at = make(a, "sliced")
    b, bt = make(b, "transposed")
    for name in ["eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor"]:
        check(getattr(ts, name)(at, bt), getattr(torch, name)(a, b))
    for name in ["logical_not", "isnan", "isinf", "isfinite"]:
        check(getattr(ts, name)(at), getattr(torch, name)(a))
    if dtype != torch.bool:
        check(at > 0, a > 0)  # a 0-d CPU operand


# ------------------------------------------------------------------ ternary

@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("layout", ["contig", "sliced", "misaligned"])
def test_ternary_float(seed, dtype, layout):
    x, xt = make(rand(SHAPE, dtype), layout)
    y, yt = make(rand(SHAPE, dtype), layout)
    z, zt = make(rand(SHAPE, dtype, 0.5, 2), layout)
    c, ct = make(rand(SHAPE, torch.bool), layout)
    check(ts.where(ct, xt, yt), torch.where(c, x, y))
    check(ts.where(ct, xt, 0.0), torch.where(c, x, 0.0))
    check(ts.masked_fill(xt, ct, 2.5), x.masked_fill(c, 2.5))
    lo, hi = torch.minimum(y, z), torch.maximum(y, z)
    lot, hit = ts.minimum(yt, zt), ts.maximum(yt, zt)
    check(ts.clamp(xt, lot, hit), torch.clamp(x, lo, hi))
    check(ts.clamp(xt, -0.5, 0.5), torch.clamp(x, -0.5, 0.5))
    check(ts.clamp(xt, min=-0.5), torch.clamp(x, min=-0.5))
    check(ts.clamp(xt, max=0.5), torch.clamp(x, max=0.5))
    check(ts.lerp(xt, yt, 0.3), torch.lerp(x, y, 0.3))
    check(ts.lerp(xt, yt, zt - 0.5), torch.lerp(x, y, z - 0.5))
    check(ts.addcmul(xt, yt, zt, value=0.5), torch.addcmul(x, y, z, value=0.5))
    check(ts.addcdiv(xt, yt, zt, value=-2.0), torch.addcdiv(x, y, z, value=-2.0))
    n = x.clone()
    n[0, :3] = float("nan")
    n, nt = make(n, layout)
    check(ts.clamp(nt, -0.5, 0.5), torch.clamp(n, -0.5, 0.5))  # NaN propagates


@pytest.mark.parametrize("dtype", [torch.int64, torch.int16, torch.uint8, torch.bool])
def test_ternary_integral(seed, dtype):
    x, xt = make(rand(SHAPE, dtype, -20, 20), "transposed")
    y, yt = make(rand(SHAPE, dtype, -20, 20), "contig")
    c, ct = make(rand(SHAPE, torch.bool), "sliced")
    check(ts.where(ct, xt, yt), torch.where(c, x, y))
    if dtype != torch.bool:  # torch has no bool addcmul
        check(ts.addcmul(xt, yt, yt), torch.addcmul(x, y, y))
        check(ts.clamp(xt, 2, 10), torch.clamp(x, 2, 10))
        check(ts.masked_fill(xt, ct, 7), x.masked_fill(c, 7))


def test_ternary_broadcast_inplace(seed):
    x, xt = make(rand(SHAPE), "contig")
    c = rand((SHAPE[1],), torch.bool)
    check(ts.where(to_ts(c).to(DEV), xt, to_ts(torch.tensor(0.5))), torch.where(c, x, torch.tensor(0.5)))
    xt.clamp_(-1, 1)
    check(xt, x.clamp(-1, 1))
    xt.masked_fill_(to_ts(c).to(DEV), -3.0)
    check(xt, x.clamp(-1, 1).masked_fill(c, -3.0))


# ------------------------------------------------------------------ activations

ACTS = [("relu", {}), ("gelu", {}), ("gelu", {"approximate": "tanh"}), ("silu", {}), ("softplus", {}),
        ("softplus", {"beta": 2.0, "threshold": 3.0}), ("leaky_relu", {"negative_slope": 0.2}), ("elu", {"alpha": 1.5}),
        ("hardtanh", {"min_val": -0.5, "max_val": 2.0}), ("sigmoid", {}), ("tanh", {})]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("layout", ["contig", "transposed", "misaligned"])
def test_activation_forward(seed, dtype, layout):
    x = rand(SHAPE, dtype, -5, 5)
    x[0, 0] = float("nan")
    x, xt = make(x, layout)
    for name, kw in ACTS:
        check(getattr(ts.nn.functional, name)(xt, **kw), getattr(torch.nn.functional, name)(x, **kw))


@pytest.mark.parametrize("dtype", [torch.int32, torch.int64, torch.uint8])
def test_activation_integral(seed, dtype):
    x, xt = make(rand(SHAPE, dtype, -20, 20), "sliced")
    check(ts.nn.functional.relu(xt), torch.nn.functional.relu(x))
    lo = 0 if dtype == torch.uint8 else -2  # torch refuses negative limits for unsigned types
    check(ts.nn.functional.hardtanh(xt, lo, 5), torch.nn.functional.hardtanh(x, lo, 5))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16])
def test_activation_backward(seed, dtype):
    for name, kw in [("relu", {}), ("gelu", {}), ("gelu", {"approximate": "tanh"}), ("silu", {})]:
        x = rand(SHAPE, dtype)
        g = rand(SHAPE, dtype)
        xr = x.clone().requires_grad_()
        getattr(torch.nn.functional, name)(xr, **kw).backward(g)
        xt = to_ts(x).to(DEV).requires_grad_()
        getattr(ts.nn.functional, name)(xt, **kw).backward(to_ts(g).to(DEV))
        check(xt.grad, xr.grad)
        xc = to_ts(x).requires_grad_()  # tessera's CPU gradient
        getattr(ts.nn.functional, name)(xc, **kw).backward(to_ts(g))
        assert_close(xt.grad.cpu(), to_torch(xc.grad), **tol(dtype))


def test_backward_composite_formula(seed):
    # gradients through a chain of elementwise ops, equal to the CPU's (no reductions on the GPU yet)
    x = rand(SHAPE, torch.float64, 0.2, 2)
    y = rand(SHAPE, torch.float64)
    g = rand(SHAPE, torch.float64)
    xr, yr = x.clone().requires_grad_(), y.clone().requires_grad_()
    (torch.sin(xr) * torch.exp(yr) / xr + torch.pow(xr, yr) - torch.where(yr > 0, xr, yr)).backward(g)
    xt, yt = to_ts(x).to(DEV).requires_grad_(), to_ts(y).to(DEV).requires_grad_()
    (ts.sin(xt) * ts.exp(yt) / xt + ts.pow(xt, yt) - ts.where(yt > 0, xt, yt)).backward(to_ts(g).to(DEV))
    check(xt.grad, xr.grad)
    check(yt.grad, yr.grad)


# ------------------------------------------------------------------ fill_ and converting copies

@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.float64, torch.int8, torch.int64, torch.bool])
def test_fill_and_converting_copy(seed, dtype):
    value = True if dtype == torch.bool else (3 if not dtype.is_floating_point else 1.5)
    for layout in ["contig", "misaligned", "sliced"]:
        x, xt = make(rand(SHAPE, dtype), layout)
        for to in [torch.float32, torch.bfloat16, torch.float64, torch.int32, torch.uint8, torch.bool]:
            if to == torch.uint8 and dtype.is_floating_point:
                continue  # negative floats to uint8 are undefined in C++ (torch's results are platform-specific)
            check(xt.to(TORCH_TO_TS[to]), x.to(to), rtol=0, atol=0)
        xt.fill_(value)
        x.fill_(value)
        check(xt, x, rtol=0, atol=0)
    big = ts.empty(1 << 20, device=DEV).fill_(-2.25)  # many 16-byte stores and a grid-stride loop
    assert_close(big.cpu(), torch.full((1 << 20,), -2.25), rtol=0, atol=0)


# ------------------------------------------------------------------ errors

def test_errors():
    a = ts.ones(3, device=DEV)
    with pytest.raises(RuntimeError, match=r"\[add\]"):
        ts.add(a, ts.ones(4, device=DEV))
    with pytest.raises(RuntimeError, match=r"\[add_?\]"):  # in place into a smaller shape
        a.add_(ts.ones(2, 3, device=DEV))
    with pytest.raises(RuntimeError, match=r"\[bitwise_and\]"):
        ts.bitwise_and(a, a)  # no float bitwise ops
    if DEV == "cuda":
        with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
            ts.add(a, ts.ones(3))

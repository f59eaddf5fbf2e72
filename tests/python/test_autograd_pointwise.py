"""Backward formulas of the pointwise ops (unary, activations, binary, where/clamp/lerp/addc*,
masked_fill, clone/contiguous/to) against PyTorch, finite differences and second derivatives."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import tessera as ts
import tessera.nn.functional as SF
from helpers import assert_close, rand, to_torch, to_ts

FN = {ts: SF, torch: TF}


def make(shape, dtype, low, high, noncontig=False, grad=True):
    t = rand(shape, dtype, low, high)
    x = to_ts(t, noncontig=noncontig)
    if grad:
        x.requires_grad_()
        t = t.clone().requires_grad_()
    return x, t


def check_vs_torch(fn, specs, dtype, names=None):
    """specs: (shape, low, high, requires_grad) per input. Every other input is non-contiguous."""
    pairs = [make(s, dtype, lo, hi, noncontig=i % 2 == 1, grad=rg) for i, (s, lo, hi, rg) in enumerate(specs)]
    xs, ts_ = [p[0] for p in pairs], [p[1] for p in pairs]
    out, tout = fn(ts, *xs), fn(torch, *ts_)
    assert_close(out.detach(), tout.detach())
    if names is not None:
        assert out.grad_fn.name() == names
    g = rand(tuple(tout.shape), dtype)
    out.backward(to_ts(g))
    tout.backward(g)
    for (s, _, _, rg), x, t in zip(specs, xs, ts_):
        if rg:
            assert x.grad is not None
            assert_close(x.grad, t.grad)


def check_gradcheck(fn, specs, second=True):
    xs = [make(s, torch.float64, lo, hi, grad=rg)[0] for s, lo, hi, rg in specs]
    f = lambda *a: fn(ts, *a)  # noqa: E731
    assert ts.autograd.gradcheck(f, tuple(xs))
    if second:
        # squared, so that every first derivative (2 f f') depends on the inputs even where f is
        # linear in one of them; f'' is still exercised.
        assert ts.autograd.gradgradcheck(lambda *a: f(*a) * f(*a), tuple(xs))


# ---------------------------------------------------------------- unary
# name: (fn, low, high, smooth: gradgradcheck applies, torch grad_fn name)
UNARY = {
    "abs": (lambda m, x: m.abs(x), -2, 2, False, "AbsBackward0"),
    "sign": (lambda m, x: m.sign(x), -2, 2, False, "SignBackward0"),
    "floor": (lambda m, x: m.floor(x), -3, 3, False, "FloorBackward0"),
    "ceil": (lambda m, x: m.ceil(x), -3, 3, False, "CeilBackward0"),
    "trunc": (lambda m, x: m.trunc(x), -3, 3, False, "TruncBackward0"),
    "round": (lambda m, x: m.round(x), -3, 3, False, "RoundBackward0"),
    "round_decimals": (lambda m, x: m.round(x, decimals=1), -3, 3, False, "RoundBackward1"),
    "reciprocal": (lambda m, x: m.reciprocal(x), 0.5, 2, True, "ReciprocalBackward0"),
    "sqrt": (lambda m, x: m.sqrt(x), 0.5, 2, True, "SqrtBackward0"),
    "rsqrt": (lambda m, x: m.rsqrt(x), 0.5, 2, True, "RsqrtBackward0"),
    "exp2": (lambda m, x: m.exp2(x), -2, 2, True, "Exp2Backward0"),
    "expm1": (lambda m, x: m.expm1(x), -2, 2, True, "Expm1Backward0"),
    "log2": (lambda m, x: m.log2(x), 0.5, 2, True, "Log2Backward0"),
    "log10": (lambda m, x: m.log10(x), 0.5, 2, True, "Log10Backward0"),
    "log1p": (lambda m, x: m.log1p(x), -0.5, 2, True, "Log1PBackward0"),
    "sin": (lambda m, x: m.sin(x), -3, 3, True, "SinBackward0"),
    "cos": (lambda m, x: m.cos(x), -3, 3, True, "CosBackward0"),
    "tan": (lambda m, x: m.tan(x), -1.2, 1.2, True, "TanBackward0"),
    "tanh": (lambda m, x: m.tanh(x), -2, 2, True, "TanhBackward0"),
    "sigmoid": (lambda m, x: m.sigmoid(x), -3, 3, True, "SigmoidBackward0"),
    "erf": (lambda m, x: m.erf(x), -2, 2, True, "ErfBackward0"),
    "erfinv": (lambda m, x: m.erfinv(x), -0.9, 0.9, True, "ErfinvBackward0"),
    "nan_to_num": (lambda m, x: m.nan_to_num(x), -2, 2, True, "NanToNumBackward0"),
    "methods": (lambda m, x: (x * x + 1).sqrt().sin() * x.sigmoid() + x.tanh().exp2(), -2, 2, True, None),
}


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("name", UNARY)
def test_unary_vs_torch(seed, name, dtype):
    fn, lo, hi, _, gname = UNARY[name]
    check_vs_torch(fn, [((3, 5), lo, hi, True)], dtype, gname)


@pytest.mark.parametrize("name", UNARY)
def test_unary_gradcheck(seed, name):
    fn, lo, hi, smooth, _ = UNARY[name]
    check_gradcheck(fn, [((2, 3), lo, hi, True)], second=smooth)


def test_zero_grad_ops_give_zeros(seed):
    x, _ = make((6,), torch.float64, -3, 3)
    for op in ("sign", "floor", "ceil", "trunc", "round"):
        x.grad = None
        getattr(ts, op)(x).sum().backward()
        assert np.array_equal(x.grad.numpy(), np.zeros(6))


def test_nan_to_num_grad_only_where_finite(seed):
    base = rand((8,), torch.float64)
    base[1], base[4], base[6] = float("nan"), float("inf"), -float("inf")
    for kw in ({}, dict(nan=1.0, posinf=5.0, neginf=-5.0)):
        x, t = to_ts(base).requires_grad_(), base.clone().requires_grad_()
        g = rand((8,), torch.float64)
        ts.nan_to_num(x, **kw).backward(to_ts(g))
        torch.nan_to_num(t, **kw).backward(g)
        assert_close(x.grad, t.grad)


# ---------------------------------------------------------------- activations
ACT = {
    "relu": (lambda m, x: FN[m].relu(x), "ReluBackward0"),
    "gelu": (lambda m, x: FN[m].gelu(x), "GeluBackward0"),
    "gelu_tanh": (lambda m, x: FN[m].gelu(x, approximate="tanh"), "GeluBackward0"),
    "silu": (lambda m, x: FN[m].silu(x), "SiluBackward0"),
    "softplus": (lambda m, x: FN[m].softplus(x), "SoftplusBackward0"),
    "softplus_beta_threshold": (lambda m, x: FN[m].softplus(x, beta=2.0, threshold=1.5), "SoftplusBackward0"),
    "leaky_relu": (lambda m, x: FN[m].leaky_relu(x, 0.2), "LeakyReluBackward0"),
    "elu": (lambda m, x: FN[m].elu(x, alpha=1.5), "EluBackward0"),
    "hardtanh": (lambda m, x: FN[m].hardtanh(x), "HardtanhBackward0"),
    "hardtanh_bounds": (lambda m, x: FN[m].hardtanh(x, -0.5, 0.7), "HardtanhBackward0"),
}
SMOOTH_ACT = {"gelu", "gelu_tanh", "silu", "softplus", "softplus_beta_threshold"}


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("name", ACT)
def test_activation_vs_torch(seed, name, dtype):
    fn, gname = ACT[name]
    check_vs_torch(fn, [((4, 6), -3, 3, True)], dtype, gname)


@pytest.mark.parametrize("name", ACT)
def test_activation_gradcheck(seed, name):
    fn, _ = ACT[name]
    # gradgradcheck also for the piecewise-linear ones: their second derivative is 0 almost everywhere
    check_gradcheck(fn, [((2, 3), -3, 3, True)], second=True)


def test_relu_grad_at_zero_is_zero(seed):
    x = ts.from_numpy(np.array([-1.0, 0.0, 2.0])).requires_grad_()
    ts.relu(x).sum().backward()
    assert x.grad.numpy().tolist() == [0.0, 0.0, 1.0]


# ---------------------------------------------------------------- binary
# name: (fn, (low, high) of self, (low, high) of other, smooth, grad_fn name)
BINARY = {
    "pow": (lambda m, a, b: m.pow(a, b), (0.5, 2), (-2, 2), True, "PowBackward1"),
    "pow_operator": (lambda m, a, b: a**b, (0.5, 2), (-2, 2), True, "PowBackward1"),
    "atan2": (lambda m, a, b: m.atan2(a, b), (-2, 2), (0.5, 2), True, "Atan2Backward0"),
    "minimum": (lambda m, a, b: m.minimum(a, b), (-2, 2), (-2, 2), False, "MinimumBackward0"),
    "maximum": (lambda m, a, b: m.maximum(a, b), (-2, 2), (-2, 2), False, "MaximumBackward0"),
    "max_binary": (lambda m, a, b: m.max(a, b), (-2, 2), (-2, 2), False, "MaximumBackward0"),
    "remainder": (lambda m, a, b: m.remainder(a, b), (-4, 4), (0.7, 2), False, None),
    "fmod": (lambda m, a, b: m.fmod(a, b), (-4, 4), (0.7, 2), False, None),
}
SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (3,))]


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("name", BINARY)
def test_binary_vs_torch(seed, name, dtype, shapes):
    fn, ra, rb, _, gname = BINARY[name]
    check_vs_torch(fn, [(shapes[0], *ra, True), (shapes[1], *rb, True)], dtype, gname)


@pytest.mark.parametrize("name", BINARY)
def test_binary_gradcheck(seed, name):
    fn, ra, rb, smooth, _ = BINARY[name]
    check_gradcheck(fn, [((2, 3), *ra, True), ((3,), *rb, True)], second=smooth)


SCALAR_CASES = {
    "pow_scalar_exp": (lambda m, x: m.pow(x, 2.5), "PowBackward0"),
    "pow_int_exp": (lambda m, x: x**3, "PowBackward0"),
    "pow_neg_exp": (lambda m, x: m.pow(x, -1.5), "PowBackward0"),
    "pow_zero_exp": (lambda m, x: m.pow(x, 0), "PowBackward0"),
    "scalar_pow": (lambda m, x: m.pow(2.0, x), "PowBackward2"),
    "rpow": (lambda m, x: 3**x, "PowBackward2"),
    "remainder_scalar": (lambda m, x: m.remainder(x, 1.5), "RemainderBackward0"),
    "fmod_scalar": (lambda m, x: x.fmod(-1.5), "FmodBackward0"),
    "mod_operator": (lambda m, x: x % 0.7, "RemainderBackward0"),
    "clamp_scalar": (lambda m, x: m.clamp(x, -0.5, 0.8), "ClampBackward1"),
    "clamp_min_only": (lambda m, x: m.clamp(x, min=-0.5), "ClampBackward1"),
    "clamp_max_only": (lambda m, x: m.clamp(x, max=0.5), "ClampBackward1"),
    "clamp_min_gt_max": (lambda m, x: m.clamp(x, 0.5, -0.5), "ClampBackward1"),
    "clip": (lambda m, x: x.clip(-1, 1), "ClampBackward1"),
    "clamp_min_scalar": (lambda m, x: m.clamp_min(x, 0.1), "ClampMinBackward0"),
    "clamp_max_scalar": (lambda m, x: x.clamp_max(0.1), "ClampMaxBackward0"),
    "masked_fill_scalar": (lambda m, x: x.masked_fill(x > 0.5, 2.0), "MaskedFillBackward0"),
    "where_scalar": (lambda m, x: m.where(x > 0, x, 0.0), "WhereBackward0"),
}


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("name", SCALAR_CASES)
def test_scalar_operand_vs_torch(seed, name, dtype):
    fn, gname = SCALAR_CASES[name]
    low = 0.3 if name.startswith("pow") else -2
    check_vs_torch(fn, [((3, 4), low, 2, True)], dtype, gname)


@pytest.mark.parametrize("name", ["pow_scalar_exp", "pow_neg_exp", "scalar_pow", "rpow", "clamp_scalar"])
def test_scalar_operand_gradcheck(seed, name):
    fn, _ = SCALAR_CASES[name]
    check_gradcheck(fn, [((2, 3), 0.3, 2, True)], second=True)


def test_pow_special_points_match_torch(seed):
    # base 0 with exponents 0, 2, -1 ... and exponent 0 with base 0: PyTorch's masked formulas
    a = torch.tensor([0.0, 0.0, 0.0, 2.0, -1.5, 0.0], dtype=torch.float64)
    b = torch.tensor([0.0, 2.0, 1.0, 0.0, 2.0, 0.5], dtype=torch.float64)
    x, y = to_ts(a).requires_grad_(), to_ts(b).requires_grad_()
    ta, tb = a.clone().requires_grad_(), b.clone().requires_grad_()
    ts.pow(x, y).sum().backward()
    torch.pow(ta, tb).sum().backward()
    assert_close(x.grad, ta.grad)
    assert_close(y.grad, tb.grad)
    x.grad = None
    ts.pow(x, 0).sum().backward()
    assert np.array_equal(x.grad.numpy(), np.zeros(6))


def test_minimum_maximum_split_ties_evenly(seed):
    a = rand((10,), torch.float64)
    b = a.clone()
    b[::2] = rand((5,), torch.float64)
    for op in ("minimum", "maximum"):
        x, y = to_ts(a).requires_grad_(), to_ts(b).requires_grad_()
        ta, tb = a.clone().requires_grad_(), b.clone().requires_grad_()
        g = rand((10,), torch.float64)
        getattr(ts, op)(x, y).backward(to_ts(g))
        getattr(torch, op)(ta, tb).backward(g)
        assert_close(x.grad, ta.grad)
        assert_close(y.grad, tb.grad)
        assert np.allclose(x.grad.numpy()[1::2], g.numpy()[1::2] / 2)


def test_floor_divide_has_zero_grads(seed):
    (x, _), (y, _) = make((3, 4), torch.float64, -3, 3), make((4,), torch.float64, 0.5, 2)
    out = ts.floor_divide(x, y)
    assert out.requires_grad
    (out * 2).sum().backward()
    assert np.array_equal(x.grad.numpy(), np.zeros((3, 4)))
    assert np.array_equal(y.grad.numpy(), np.zeros(4))


def test_binary_promotion_grads_in_input_dtype(seed):
    (a, ta), (b, tb) = make((3,), torch.float32, 0.5, 2), make((3,), torch.float64, 0.5, 2)
    for op in ("pow", "atan2", "maximum", "remainder"):
        a.grad = b.grad = ta.grad = tb.grad = None
        getattr(ts, op)(a, b).sum().backward()
        getattr(torch, op)(ta, tb).sum().backward()
        assert_close(a.grad, ta.grad)
        assert_close(b.grad, tb.grad)


def test_integer_operand_gets_no_grad(seed):
    x, t = make((2, 3), torch.float64, 0.5, 2)
    e = torch.tensor([1, 2, 3])
    out, tout = ts.pow(x, to_ts(e)), torch.pow(t, e)
    out.sum().backward()
    tout.sum().backward()
    assert_close(x.grad, t.grad)


# ---------------------------------------------------------------- where, masked_fill, clamp, lerp, addc*
TERNARY = {
    # name: (fn, specs as (shape, low, high, requires_grad), smooth, grad_fn name)
    "where": (lambda m, c, a, b: m.where(c > 0, a, b), [((3, 1), -1, 1, False), ((4,), -2, 2, True), ((3, 4), -2, 2, True)],
              True, "WhereBackward0"),
    "where_method": (lambda m, c, a, b: a.where(c > 0, b), [((3, 4), -1, 1, False), ((3, 4), -2, 2, True), ((4,), -2, 2, True)],
                     True, "WhereBackward0"),
    "masked_fill_tensor_value": (lambda m, a, mk, v: m.masked_fill(a, mk > 0, v),
                                 [((3, 4), -2, 2, True), ((4,), -1, 1, False), ((), -2, 2, True)], True,
                                 "MaskedFillBackward1"),
    "clamp_tensor": (lambda m, x, lo, hi: m.clamp(x, lo, hi), [((3, 4), -2, 2, True), ((4,), -1, 0, True), ((3, 1), 0, 1, True)],
                     False, "ClampBackward0"),
    "clamp_tensor_crossed": (lambda m, x, lo, hi: m.clamp(x, lo, hi),
                             [((3, 4), -2, 2, True), ((4,), -1, 1, True), ((3, 1), -1, 1, True)], False, "ClampBackward0"),
    "clamp_tensor_min": (lambda m, x, lo: m.clamp(x, min=lo), [((3, 4), -2, 2, True), ((4,), -1, 1, True)], False,
                         "ClampBackward0"),
    "clamp_tensor_max": (lambda m, x, hi: m.clamp(x, max=hi), [((3, 4), -2, 2, True), ((3, 1), -1, 1, True)], False,
                         "ClampBackward0"),
    "clamp_min_tensor": (lambda m, x, lo: m.clamp_min(x, lo), [((3, 4), -2, 2, True), ((4,), -1, 1, True)], False,
                         "ClampMinBackward1"),
    "clamp_max_tensor": (lambda m, x, hi: x.clamp_max(hi), [((3, 4), -2, 2, True), ((4,), -1, 1, True)], False,
                         "ClampMaxBackward1"),
    "lerp_scalar": (lambda m, a, b: m.lerp(a, b, 0.3), [((3, 4), -2, 2, True), ((4,), -2, 2, True)], True,
                    "LerpBackward0"),
    "lerp_tensor": (lambda m, a, b, w: m.lerp(a, b, w), [((3, 4), -2, 2, True), ((4,), -2, 2, True), ((3, 1), 0, 1, True)],
                    True, "LerpBackward1"),
    "addcmul": (lambda m, s, a, b: m.addcmul(s, a, b, value=0.5),
                [((4,), -2, 2, True), ((3, 4), -2, 2, True), ((3, 1), -2, 2, True)], True, "AddcmulBackward0"),
    "addcmul_method": (lambda m, s, a, b: s.addcmul(a, b), [((3, 4), -2, 2, True), ((3, 4), -2, 2, True), ((4,), -2, 2, True)],
                       True, "AddcmulBackward0"),
    "addcdiv": (lambda m, s, a, b: m.addcdiv(s, a, b, value=-2),
                [((4,), -2, 2, True), ((3, 4), -2, 2, True), ((3, 1), 0.5, 2, True)], True, "AddcdivBackward0"),
}


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("name", TERNARY)
def test_ternary_vs_torch(seed, name, dtype):
    fn, specs, _, gname = TERNARY[name]
    check_vs_torch(fn, specs, dtype, gname)


@pytest.mark.parametrize("name", TERNARY)
def test_ternary_gradcheck(seed, name):
    fn, specs, smooth, _ = TERNARY[name]
    check_gradcheck(fn, specs, second=smooth)


def test_clamp_grad_at_the_bounds_passes(seed):
    # torch's clamp grad passes where min <= x <= max (bounds included)
    for kw in (dict(min=-1.0, max=1.0), dict(min=-1.0), dict(max=1.0)):
        x = ts.from_numpy(np.array([-2.0, -1.0, 0.0, 1.0, 2.0])).requires_grad_()
        t = torch.tensor([-2.0, -1.0, 0.0, 1.0, 2.0], dtype=torch.float64, requires_grad=True)
        ts.clamp(x, **kw).sum().backward()
        torch.clamp(t, **kw).sum().backward()
        assert_close(x.grad, t.grad)


# ---------------------------------------------------------------- copies and conversions
def test_clone_and_contiguous(seed):
    check_vs_torch(lambda m, x: m.clone(x) * 2, [((3, 4), -2, 2, True)], torch.float32)
    check_vs_torch(lambda m, x: x.t().contiguous() * 3, [((3, 4), -2, 2, True)], torch.float64)
    x, _ = make((3, 4), torch.float64, -2, 2)
    assert x.clone().grad_fn.name() == "CloneBackward0"
    assert x.contiguous() is x or x.contiguous().grad_fn is None  # already contiguous: itself
    y = x * 1
    assert y.contiguous().grad_fn == y.grad_fn
    assert x.t().contiguous().grad_fn.name() == "CloneBackward0"


@pytest.mark.parametrize("src,dst", [(torch.float64, torch.float32), (torch.float32, torch.float64),
                                     (torch.float32, torch.float16), (torch.float32, torch.bfloat16)])
def test_to_dtype_grad_comes_back_in_input_dtype(seed, src, dst):
    from helpers import TORCH_TO_TS
    x, t = make((3, 4), src, -2, 2)
    out, tout = x.to(TORCH_TO_TS[dst]), t.to(dst)
    assert out.grad_fn.name() == "ToCopyBackward0"
    g = rand((3, 4), dst)
    (out * 2).backward(to_ts(g))
    (tout * 2).backward(g)
    assert_close(x.grad, t.grad)


def test_to_same_dtype_is_identity_and_gradcheck(seed):
    x, _ = make((2, 3), torch.float64, -2, 2)
    assert x.to(ts.float64) is x or x.to(ts.float64).grad_fn is None
    assert x.to(ts.float64, copy=True).grad_fn.name() == "ToCopyBackward0"
    assert ts.autograd.gradcheck(lambda a: a.to(ts.float64, copy=True) * a.clone(), (x,))
    assert ts.autograd.gradgradcheck(lambda a: a.clone().contiguous() * a.t().contiguous().t(), (x,))


# ---------------------------------------------------------------- bad inputs and graph behaviour
def test_integer_tensors_cannot_require_grad():
    with pytest.raises(RuntimeError, match=r"\[requires_grad_\]"):
        ts.from_numpy(np.arange(3)).requires_grad_()


def test_conversion_to_integer_does_not_require_grad(seed):
    x, t = make((3,), torch.float64, -2, 2)
    out, tout = x.to(ts.int64), t.to(torch.int64)
    assert out.requires_grad == tout.requires_grad == False  # noqa: E712
    with pytest.raises(RuntimeError, match="does not require grad"):
        out.sum().backward()


def test_inplace_variants_are_refused_on_tensors_that_require_grad(seed):
    x, _ = make((3,), torch.float64, -2, 2)
    for call in (lambda: ts.relu_(x), lambda: x.clamp_(0, 1), lambda: x.sqrt_(), lambda: x.pow_(2)):
        with pytest.raises((RuntimeError, NotImplementedError)):
            call()


def test_saved_input_modified_in_place_is_detected(seed):
    x, _ = make((3,), torch.float64, 0.5, 2)
    y = x * 1
    out = ts.sin(y)
    with ts.no_grad():
        y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def test_second_backward_without_retain_graph_fails(seed):
    x, _ = make((3,), torch.float64, 0.5, 2)
    out = ts.atan2(x, x * 2).sum()
    out.backward()
    with pytest.raises(RuntimeError, match="second time"):
        out.backward()


def test_forward_errors_keep_their_op_name(seed):
    x, _ = make((3,), torch.float64, -2, 2)
    with pytest.raises(RuntimeError, match=r"\[gelu\]"):
        ts.gelu(x, approximate="bad")

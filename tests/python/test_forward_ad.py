"""Forward-mode AD (tessera.autograd.forward_ad) against torch's forward AD on random inputs,
finite differences in float64, composition with reverse mode, and bad inputs."""
import pytest
import torch
import torch.autograd.forward_ad as tfwAD
import torch.nn.functional as TF

import tessera as ts
import tessera.autograd.forward_ad as fwAD
import tessera.nn.functional as F
from helpers import assert_close, rand, to_torch, to_ts

DTYPES = [torch.float32, torch.float64]
TOL = {torch.float32: dict(rtol=1e-4, atol=1e-5), torch.float64: dict(rtol=1e-7, atol=1e-9)}


def idx(*shape, high):
    """A random index tensor (kept as is: it carries no tangent)."""
    return torch.randint(0, high, shape)


def distinct_rows(rows, k, high):
    """Index rows without repeats (scatter with repeated indices keeps an unspecified value)."""
    return torch.stack([torch.randperm(high)[:k] for _ in range(rows)])


def pos(shape, dtype):
    return rand(shape, dtype, 0.5, 2.0)


# (id, fn(module, functional, *inputs), make(dtype) -> list of torch inputs). Floating inputs
# get a tangent; integer inputs are passed as they are.
CASES = [
    # unary and activations
    ("exp", lambda m, f, x: m.exp(x), lambda d: [rand((3, 4), d)]),
    ("log", lambda m, f, x: m.log(x), lambda d: [pos((3, 4), d)]),
    ("sqrt", lambda m, f, x: m.sqrt(x), lambda d: [pos((5,), d)]),
    ("rsqrt", lambda m, f, x: m.rsqrt(x), lambda d: [pos((5,), d)]),
    ("sin_cos", lambda m, f, x: m.sin(x) * m.cos(x), lambda d: [rand((2, 3), d)]),
    ("tanh", lambda m, f, x: m.tanh(x), lambda d: [rand((2, 3), d)]),
    ("sigmoid", lambda m, f, x: m.sigmoid(x), lambda d: [rand((2, 3), d)]),
    ("abs", lambda m, f, x: m.abs(x), lambda d: [rand((7,), d)]),
    ("neg", lambda m, f, x: -x, lambda d: [rand((7,), d)]),
    ("reciprocal", lambda m, f, x: m.reciprocal(x), lambda d: [pos((7,), d)]),
    ("erf", lambda m, f, x: m.erf(x), lambda d: [rand((7,), d)]),
    ("expm1_log1p", lambda m, f, x: m.expm1(x) + m.log1p(x), lambda d: [pos((7,), d)]),
    ("relu", lambda m, f, x: f.relu(x), lambda d: [rand((3, 5), d)]),
    ("gelu", lambda m, f, x: f.gelu(x), lambda d: [rand((3, 5), d)]),
    ("gelu_tanh", lambda m, f, x: f.gelu(x, approximate="tanh"), lambda d: [rand((3, 5), d)]),
    ("silu", lambda m, f, x: f.silu(x), lambda d: [rand((3, 5), d)]),
    ("softplus", lambda m, f, x: f.softplus(x), lambda d: [rand((3, 5), d)]),
    ("leaky_relu", lambda m, f, x: f.leaky_relu(x, 0.1), lambda d: [rand((3, 5), d)]),
    ("elu", lambda m, f, x: f.elu(x), lambda d: [rand((3, 5), d)]),
    ("hardtanh", lambda m, f, x: f.hardtanh(x), lambda d: [rand((3, 5), d)]),
    # binary (broadcasting) and ternary
    ("add", lambda m, f, x, y: x + y, lambda d: [rand((3, 4), d), rand((4,), d)]),
    ("add_alpha", lambda m, f, x, y: m.add(x, y, alpha=2.5), lambda d: [rand((3, 4), d), rand((3, 1), d)]),
    ("sub_scalar", lambda m, f, x: 2.0 - x, lambda d: [rand((3, 4), d)]),
    ("mul", lambda m, f, x, y: x * y, lambda d: [rand((2, 1, 4), d), rand((3, 1), d)]),
    ("mul_self", lambda m, f, x: x * x * 3, lambda d: [rand((5,), d)]),
    ("div", lambda m, f, x, y: x / y, lambda d: [rand((3, 4), d), pos((4,), d)]),
    ("div_broadcast_self", lambda m, f, x, y: x / y, lambda d: [rand((4,), d), pos((3, 1), d)]),
    ("div_floor", lambda m, f, x, y: m.div(x, y, rounding_mode="floor"), lambda d: [rand((3, 4), d), pos((4,), d)]),
    ("pow", lambda m, f, x, y: m.pow(x, y), lambda d: [pos((3, 4), d), rand((3, 4), d)]),
    ("pow_scalar", lambda m, f, x: x ** 3, lambda d: [rand((3, 4), d)]),
    ("rpow", lambda m, f, x: 2.0 ** x, lambda d: [rand((3, 4), d)]),
    ("atan2", lambda m, f, x, y: m.atan2(x, y), lambda d: [rand((3, 4), d), rand((3, 4), d)]),
    ("maximum", lambda m, f, x, y: m.maximum(x, y), lambda d: [rand((3, 4), d), rand((4,), d)]),
    ("minimum", lambda m, f, x, y: m.minimum(x, y), lambda d: [rand((3, 4), d), rand((4,), d)]),
    ("where", lambda m, f, x, y: m.where(x > 0, x, y), lambda d: [rand((3, 4), d), rand((4,), d)]),
    ("clamp", lambda m, f, x: m.clamp(x, -1.0, 1.0), lambda d: [rand((3, 4), d)]),
    ("clamp_min", lambda m, f, x: m.clamp(x, min=0.5), lambda d: [rand((3, 4), d)]),
    ("lerp", lambda m, f, x, y, w: m.lerp(x, y, w), lambda d: [rand((3, 4), d), rand((3, 4), d), rand((4,), d)]),
    ("addcmul", lambda m, f, x, y, z: m.addcmul(x, y, z, value=0.5),
     lambda d: [rand((3, 4), d), rand((3, 4), d), rand((4,), d)]),
    ("addcdiv", lambda m, f, x, y, z: m.addcdiv(x, y, z, value=0.5),
     lambda d: [rand((3, 4), d), rand((3, 4), d), pos((4,), d)]),
    # reductions
    ("sum", lambda m, f, x: x.sum(), lambda d: [rand((3, 4), d)]),
    ("sum_dim", lambda m, f, x: x.sum(1, keepdim=True), lambda d: [rand((3, 4), d)]),
    ("mean", lambda m, f, x: x.mean(0), lambda d: [rand((3, 4), d)]),
    ("prod", lambda m, f, x: x.prod(1), lambda d: [rand((3, 4), d)]),
    ("amax", lambda m, f, x: m.amax(x, 1), lambda d: [rand((3, 4), d)]),
    ("amin", lambda m, f, x: m.amin(x, 0), lambda d: [rand((3, 4), d)]),
    ("max_dim", lambda m, f, x: m.max(x, 1)[0], lambda d: [rand((3, 4), d)]),
    ("min_dim", lambda m, f, x: m.min(x, 0)[0], lambda d: [rand((3, 4), d)]),
    ("max_all", lambda m, f, x: m.max(x), lambda d: [rand((3, 4), d)]),
    ("var", lambda m, f, x: m.var(x, 1), lambda d: [rand((3, 4), d)]),
    ("std", lambda m, f, x: m.std(x), lambda d: [rand((3, 4), d)]),
    ("norm", lambda m, f, x: m.norm(x), lambda d: [rand((3, 4), d)]),
    ("logsumexp", lambda m, f, x: m.logsumexp(x, 1), lambda d: [rand((3, 4), d)]),
    ("cumsum", lambda m, f, x: m.cumsum(x, 1), lambda d: [rand((3, 4), d)]),
    # matmul family
    ("mm", lambda m, f, a, b: m.mm(a, b), lambda d: [rand((3, 4), d), rand((4, 2), d)]),
    ("bmm", lambda m, f, a, b: m.bmm(a, b), lambda d: [rand((2, 3, 4), d), rand((2, 4, 5), d)]),
    ("matmul", lambda m, f, a, b: m.matmul(a, b), lambda d: [rand((2, 3, 4), d), rand((4,), d)]),
    ("addmm", lambda m, f, c, a, b: m.addmm(c, a, b, beta=0.5, alpha=2.0),
     lambda d: [rand((3, 2), d), rand((3, 4), d), rand((4, 2), d)]),
    ("linear", lambda m, f, x, w, b: f.linear(x, w, b), lambda d: [rand((2, 3, 4), d), rand((5, 4), d), rand((5,), d)]),
    ("baddbmm", lambda m, f, c, a, b: m.baddbmm(c, a, b, alpha=0.5),
     lambda d: [rand((2, 3, 5), d), rand((2, 3, 4), d), rand((2, 4, 5), d)]),
    ("dot", lambda m, f, a, b: m.dot(a, b), lambda d: [rand((6,), d), rand((6,), d)]),
    ("outer", lambda m, f, a, b: m.outer(a, b), lambda d: [rand((3,), d), rand((4,), d)]),
    ("mv", lambda m, f, a, b: m.mv(a, b), lambda d: [rand((3, 4), d), rand((4,), d)]),
    # nn ops
    ("softmax", lambda m, f, x: f.softmax(x, -1), lambda d: [rand((3, 5), d)]),
    ("log_softmax", lambda m, f, x: f.log_softmax(x, 0), lambda d: [rand((3, 5), d)]),
    ("softmax_dtype", lambda m, f, x: f.softmax(x, 1, dtype=m.float64), lambda d: [rand((2, 3, 4), d)]),
    ("log_softmax_3d", lambda m, f, x: f.log_softmax(x, 1), lambda d: [rand((2, 3, 4), d)]),
    ("layer_norm_2d_noaffine", lambda m, f, x: f.layer_norm(x, (3, 4), eps=1e-3), lambda d: [rand((2, 3, 4), d)]),
    ("layer_norm", lambda m, f, x, w, b: f.layer_norm(x, (5,), w, b),
     lambda d: [rand((3, 5), d), rand((5,), d), rand((5,), d)]),
    ("rms_norm", lambda m, f, x, w: f.rms_norm(x, (5,), w), lambda d: [rand((3, 5), d), rand((5,), d)]),
    ("dropout_eval", lambda m, f, x: f.dropout(x, 0.5, training=False), lambda d: [rand((3, 5), d)]),
    ("cross_entropy", lambda m, f, x, y: f.cross_entropy(x, y), lambda d: [rand((4, 5), d), idx(4, high=5)]),
    ("mse_loss", lambda m, f, x, y: f.mse_loss(x, y), lambda d: [rand((4, 5), d), rand((4, 5), d)]),
    ("embedding", lambda m, f, i, w: f.embedding(i, w), lambda d: [idx(2, 3, high=6), rand((6, 4), d)]),
    ("sdpa", lambda m, f, q, k, v: f.scaled_dot_product_attention(q, k, v),
     lambda d: [rand((2, 3, 4), d), rand((2, 5, 4), d), rand((2, 5, 4), d)]),
    ("conv2d", lambda m, f, x, w, b: f.conv2d(x, w, b, padding=1),
     lambda d: [rand((1, 2, 5, 5), d), rand((3, 2, 3, 3), d), rand((3,), d)]),
    # views and shape ops
    ("view", lambda m, f, x: x.view(4, 3), lambda d: [rand((3, 4), d)]),
    ("reshape", lambda m, f, x: x.reshape(-1), lambda d: [rand((3, 4), d)]),
    ("transpose", lambda m, f, x: x.transpose(0, 1), lambda d: [rand((3, 4), d)]),
    ("permute", lambda m, f, x: x.permute(2, 0, 1), lambda d: [rand((2, 3, 4), d)]),
    ("expand", lambda m, f, x: x.expand(3, 4), lambda d: [rand((1, 4), d)]),
    ("squeeze_unsqueeze", lambda m, f, x: x.squeeze(0).unsqueeze(2), lambda d: [rand((1, 3, 4), d)]),
    ("select", lambda m, f, x: x.select(1, 2), lambda d: [rand((3, 4), d)]),
    ("slice", lambda m, f, x: x[1:3, ::2], lambda d: [rand((4, 5), d)]),
    ("narrow", lambda m, f, x: x.narrow(1, 1, 2), lambda d: [rand((3, 4), d)]),
    ("cat", lambda m, f, x, y: m.cat([x, y], 1), lambda d: [rand((3, 4), d), rand((3, 2), d)]),
    ("stack", lambda m, f, x, y: m.stack([x, y]), lambda d: [rand((3, 4), d), rand((3, 4), d)]),
    ("split", lambda m, f, x: m.split(x, 2, 1), lambda d: [rand((3, 5), d)]),
    ("chunk", lambda m, f, x: x.chunk(2, 0), lambda d: [rand((4, 3), d)]),
    ("flatten", lambda m, f, x: x.flatten(1), lambda d: [rand((2, 3, 4), d)]),
    # copies and conversions
    ("clone", lambda m, f, x: x.clone(), lambda d: [rand((3, 4), d)]),
    ("contiguous", lambda m, f, x: x.t().contiguous(), lambda d: [rand((3, 4), d)]),
    ("to_float64", lambda m, f, x: x.to(m.float64) * 2, lambda d: [rand((3, 4), d)]),
    # indexing
    ("index_select", lambda m, f, x, i: m.index_select(x, 0, i), lambda d: [rand((5, 3), d), idx(4, high=5)]),
    ("gather", lambda m, f, x, i: m.gather(x, 1, i), lambda d: [rand((3, 4), d), idx(3, 2, high=4)]),
    ("getitem_tensor", lambda m, f, x, i: x[i], lambda d: [rand((5, 3), d), idx(4, high=5)]),
    ("getitem_mask", lambda m, f, x: x[x > 0], lambda d: [rand((5, 3), d)]),
    ("getitem_ellipsis", lambda m, f, x: x[..., -1], lambda d: [rand((3, 4), d)]),
    ("scatter", lambda m, f, x, i, s: m.scatter(x, 1, i, s), lambda d: [rand((3, 4), d), distinct_rows(3, 2, 4),
                                                                         rand((3, 2), d)]),
    ("index_add", lambda m, f, x, i, s: m.index_add(x, 0, i, s), lambda d: [rand((3, 4), d), idx(2, high=3),
                                                                             rand((2, 4), d)]),
    ("masked_fill", lambda m, f, x: x.masked_fill(x > 0, 2.0), lambda d: [rand((3, 4), d)]),
    # other ops through the generic path
    ("cumprod", lambda m, f, x: m.cumprod(x, 1), lambda d: [rand((3, 4), d)]),
    ("sort", lambda m, f, x: m.sort(x, 1)[0], lambda d: [rand((3, 4), d)]),
    ("topk", lambda m, f, x: m.topk(x, 2), lambda d: [rand((3, 4), d)]),
    ("flip_roll", lambda m, f, x: m.roll(m.flip(x, [0]), 1, 1), lambda d: [rand((3, 4), d)]),
    ("repeat_tril", lambda m, f, x: m.tril(x.repeat(2, 1)), lambda d: [rand((3, 4), d)]),
    ("pad_const", lambda m, f, x: f.pad(x, (1, 2), value=1.5), lambda d: [rand((3, 4), d)]),
    ("pad_reflect", lambda m, f, x: f.pad(x, (1, 1), mode="reflect"), lambda d: [rand((1, 3, 4), d)]),
    ("nll_loss", lambda m, f, x, t: f.nll_loss(f.log_softmax(x, 1), t), lambda d: [rand((4, 5), d), idx(4, high=5)]),
    ("unbind", lambda m, f, x: m.unbind(x, 1), lambda d: [rand((3, 4), d)]),
    ("diagonal_movedim", lambda m, f, x: m.diagonal(m.movedim(x, 0, 2)), lambda d: [rand((2, 3, 4), d)]),
    ("norm_dim", lambda m, f, x: m.norm(x, dim=1), lambda d: [rand((3, 4), d)]),
]


def _mods(lib):
    return (ts, F) if lib == "ts" else (torch, TF)


def _flat(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def run_jvp(lib, fn, inputs, tangents):
    """(primals, tangents) of fn's outputs under lib's forward AD."""
    fw = fwAD if lib == "ts" else tfwAD
    m, f = _mods(lib)
    with fw.dual_level():
        duals = [x if t is None else fw.make_dual(x, t) for x, t in zip(inputs, tangents)]
        outs = _flat(fn(m, f, *duals))
        unpacked = [fw.unpack_dual(o) for o in outs]
        return [u.primal for u in unpacked], [u.tangent for u in unpacked]


def compare(fn, tinputs, dtype, noncontig=False):
    ttangents = [rand(tuple(x.shape), x.dtype) if x.dtype.is_floating_point else None for x in tinputs]
    inputs = [to_ts(x, noncontig=noncontig and x.dim() > 0) for x in tinputs]
    tangents = [None if t is None else to_ts(t, noncontig=noncontig and t.dim() > 0) for t in ttangents]
    prim, tan = run_jvp("ts", fn, inputs, tangents)
    tprim, ttan = run_jvp("torch", fn, tinputs, ttangents)
    assert len(prim) == len(tprim)
    for p, t, tp, tt in zip(prim, tan, tprim, ttan):
        assert_close(p, tp, **TOL[dtype])
        assert fwAD.unpack_dual(p).tangent is None
        if tt is None:
            assert t is None or not to_torch(t).any()
        else:
            assert t is not None, "tangent missing"
            assert_close(t, tt, **TOL[dtype])


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("dtype", DTYPES)
def test_jvp_matches_torch(seed, case, dtype):
    _, fn, make = case
    compare(fn, make(dtype), dtype)


NONCONTIG = ["exp", "mul", "div", "where", "sum_dim", "mm", "softmax", "layer_norm", "transpose", "cat", "gather",
             "linear", "var", "cumsum"]


@pytest.mark.parametrize("name", NONCONTIG)
def test_jvp_noncontiguous(seed, name):
    _, fn, make = next(c for c in CASES if c[0] == name)
    compare(fn, make(torch.float64), torch.float64, noncontig=True)


@pytest.mark.parametrize("name", ["exp", "add", "sum", "softmax", "mm", "view"])
def test_jvp_empty(seed, name):
    shapes = {"exp": [(0, 3)], "add": [(0, 3), (3,)], "sum": [(0, 4)], "softmax": [(0, 5)], "mm": [(0, 4), (4, 2)],
              "view": [(0, 3)]}[name]
    fns = {"exp": lambda m, f, x: m.exp(x), "add": lambda m, f, x, y: x + y, "sum": lambda m, f, x: x.sum(0),
           "softmax": lambda m, f, x: f.softmax(x, 1), "mm": lambda m, f, a, b: m.mm(a, b),
           "view": lambda m, f, x: x.view(3, 0)}
    compare(fns[name], [rand(s, torch.float64) for s in shapes], torch.float64)


def test_only_some_inputs_dual(seed):
    x, y = rand((3, 4), torch.float64), rand((3, 4), torch.float64)
    t = rand((3, 4), torch.float64)
    for fn in [lambda m, f, a, b: a * b, lambda m, f, a, b: m.cat([a, b]), lambda m, f, a, b: m.atan2(a, b)]:
        prim, tan = run_jvp("ts", fn, [to_ts(x), to_ts(y)], [to_ts(t), None])
        _, ttan = run_jvp("torch", fn, [x, y], [t, None])
        assert_close(tan[0], ttan[0])


PARTIAL = [  # (fn, shapes, which inputs carry a tangent)
    (lambda m, f, x, w, b: f.layer_norm(x, (4,), w, b), [(3, 4), (4,), (4,)], [False, True, False]),
    (lambda m, f, x, w, b: f.layer_norm(x, (4,), w, b), [(3, 4), (4,), (4,)], [False, False, True]),
    (lambda m, f, x, w, b: f.layer_norm(x, (4,), w, b), [(3, 4), (4,), (4,)], [True, False, False]),
    (lambda m, f, x, y: x / y, [(3, 4), (4,)], [False, True]),
    (lambda m, f, x, w, b: f.conv2d(x, w, b), [(1, 2, 4, 4), (3, 2, 3, 3), (3,)], [False, True, True]),
    (lambda m, f, x, w, b: f.linear(x, w, b), [(2, 4), (3, 4), (3,)], [False, False, True]),
]


@pytest.mark.parametrize("k", range(len(PARTIAL)))
def test_partial_tangents(seed, k):
    fn, shapes, dual = PARTIAL[k]
    xs = [rand(s, torch.float64) for s in shapes]
    ts_ = [rand(s, torch.float64) if d else None for s, d in zip(shapes, dual)]
    _, tan = run_jvp("ts", fn, [to_ts(x) for x in xs], [None if t is None else to_ts(t) for t in ts_])
    _, ttan = run_jvp("torch", fn, xs, ts_)
    assert_close(tan[0], ttan[0])


# ---------------------------------------------------------------- finite differences
FD_CASES = ["tanh", "div", "pow", "prod", "norm", "logsumexp", "layer_norm", "softmax", "linear", "sdpa", "conv2d",
            "cross_entropy", "maximum", "var", "addcdiv", "gelu"]


@pytest.mark.parametrize("name", FD_CASES)
def test_jvp_finite_differences(seed, name):
    _, fn, make = next(c for c in CASES if c[0] == name)
    tinputs = make(torch.float64)
    inputs = [to_ts(x) for x in tinputs]
    tangents = [to_ts(rand(tuple(x.shape), x.dtype)) if x.dtype.is_floating_point else None for x in tinputs]
    _, tan = run_jvp("ts", fn, inputs, tangents)
    eps = 1e-6
    shifted = lambda s: _flat(fn(ts, F, *[x if t is None else x + s * eps * t  # noqa: E731
                                          for x, t in zip(inputs, tangents)]))
    for jv, hi, lo in zip(tan, shifted(1.0), shifted(-1.0)):
        fd = (to_torch(hi) - to_torch(lo)) / (2 * eps)
        torch.testing.assert_close(to_torch(jv), fd, rtol=1e-4, atol=1e-6)


# ---------------------------------------------------------------- semantics
def test_dropout_train_uses_one_mask(seed):
    x, t = ts.randn(50, 40), ts.randn(50, 40)
    with fwAD.dual_level():
        out = F.dropout(fwAD.make_dual(x, t), 0.5, training=True)
        p, tan = fwAD.unpack_dual(out)
    kept = to_torch(p) != 0
    scale = to_torch(p)[kept] / to_torch(x)[kept]
    torch.testing.assert_close(scale, torch.full_like(scale, 2.0))
    torch.testing.assert_close(to_torch(tan), torch.where(kept, to_torch(t) * 2, torch.zeros(())))
    assert 0.3 < kept.float().mean().item() < 0.7


def test_make_dual_is_view_and_level_exit_clears(seed):
    x, t = ts.randn(3), ts.randn(3)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, t)
        y = d * 2
        assert fwAD.unpack_dual(y).tangent is not None
        assert fwAD.unpack_dual(x).tangent is None
        assert_close(fwAD.unpack_dual(d).primal, to_torch(x))
    assert fwAD.unpack_dual(d).tangent is None
    assert fwAD.unpack_dual(y).tangent is None
    z = y.sin()  # no level: plain op
    assert fwAD.unpack_dual(z).tangent is None


def test_unpacked_dual_namedtuple(seed):
    with fwAD.dual_level():
        r = fwAD.unpack_dual(fwAD.make_dual(ts.randn(2), ts.ones(2)))
        assert type(r).__name__ == "UnpackedDualTensor" and r._fields == ("primal", "tangent")
        assert_close(r.tangent, torch.ones(2))


def test_enter_exit_functions(seed):
    level = fwAD.enter_dual_level()
    try:
        assert level == 0
        d = fwAD.make_dual(ts.randn(2), ts.randn(2))
        assert fwAD.unpack_dual(d.exp()).tangent is not None
    finally:
        fwAD.exit_dual_level()
    assert fwAD.unpack_dual(d).tangent is None


def test_forward_records_backward_graph(seed):
    tx, tt = rand((3, 4), torch.float64), rand((3, 4), torch.float64)
    x = to_ts(tx).requires_grad_()
    tx = tx.clone().requires_grad_()
    outs = []
    for lib, fw, xx, tan in [("ts", fwAD, x, to_ts(tt)), ("torch", tfwAD, tx, tt)]:
        m, f = _mods(lib)
        with fw.dual_level():
            y = (m.tanh(m.sin(fw.make_dual(xx, tan)) * xx) ** 2).mean(1) / (xx * xx + 1).sum(1)
            p, t = fw.unpack_dual(y)
            # reverse mode through the primal and through the tangent
            (p.sum() + (t * t).sum()).backward()
        outs.append(xx.grad)
    assert_close(outs[0], outs[1])


def test_tangent_differentiable_wrt_tangent(seed):
    tx, tt = rand((4,), torch.float64), rand((4,), torch.float64)
    grads = []
    for lib, fw in [("ts", fwAD), ("torch", tfwAD)]:
        m, _ = _mods(lib)
        x, t = (to_ts(tx), to_ts(tt).requires_grad_()) if lib == "ts" else (tx, tt.clone().requires_grad_())
        with fw.dual_level():
            y = m.logsumexp(m.tanh(fw.make_dual(x, t)) ** 2, 0)
            fw.unpack_dual(y).tangent.backward()
        grads.append(t.grad)
    assert_close(grads[0], grads[1])


def test_no_grad_still_propagates_tangents(seed):
    tx, tt = rand((3, 4), torch.float64), rand((3, 4), torch.float64)
    with ts.no_grad(), fwAD.dual_level():
        _, tan = fwAD.unpack_dual(F.softmax(fwAD.make_dual(to_ts(tx), to_ts(tt)), 1))
    _, ref = torch.func.jvp(lambda a: torch.softmax(a, 1), (tx,), (tt,))
    assert not tan.requires_grad
    assert_close(tan, ref)


def test_integer_outputs_carry_no_tangent(seed):
    with fwAD.dual_level():
        d = fwAD.make_dual(ts.randn(3, 4), ts.randn(3, 4))
        assert fwAD.unpack_dual(ts.argmax(d, 1)).tangent is None
        assert fwAD.unpack_dual(d > 0).tangent is None
        assert fwAD.unpack_dual(d.to(ts.int32)).tangent is None
        v, i = ts.max(d, 1)
        assert fwAD.unpack_dual(v).tangent is not None and fwAD.unpack_dual(i).tangent is None


# ---------------------------------------------------------------- bad inputs
def test_make_dual_without_level():
    with pytest.raises(RuntimeError, match="no level exists"):
        fwAD.make_dual(ts.randn(3), ts.randn(3))


def test_make_dual_bad_arguments():
    with fwAD.dual_level():
        with pytest.raises(RuntimeError, match=r"\[make_dual\].*different size"):
            fwAD.make_dual(ts.randn(3), ts.randn(4))
        with pytest.raises(ValueError, match=r"\[make_dual\] Expected primal to be floating point"):
            fwAD.make_dual(ts.arange(3), ts.randn(3))
        with pytest.raises(ValueError, match=r"\[make_dual\] Expected tangent to be floating point"):
            fwAD.make_dual(ts.randn(3), ts.arange(3))
        d = fwAD.make_dual(ts.randn(3), ts.randn(3))
        with pytest.raises(RuntimeError, match="already has a forward gradient"):
            fwAD.make_dual(d, ts.randn(3))


def test_nested_level_and_bad_exit():
    with fwAD.dual_level():
        with pytest.raises(RuntimeError, match="Nested forward mode AD is not supported"):
            fwAD.enter_dual_level()
    with pytest.raises(RuntimeError, match="not the last one"):
        fwAD.exit_dual_level(level=0)
    with pytest.raises(RuntimeError, match="positive"):
        fwAD.exit_dual_level(level=-2)


def test_inplace_on_dual_is_refused():
    with fwAD.dual_level():
        d = fwAD.make_dual(ts.randn(3), ts.randn(3))
        with pytest.raises(NotImplementedError, match=r"\[add_\] forward-mode AD is not implemented"):
            d.add_(1)


def test_sdpa_dropout_draws_once(seed):
    """The generic jvp runs the op twice; both runs must draw the same dropout mask."""
    q, k, v = (ts.randn(2, 4, 8, dtype=ts.float64) for _ in range(3))
    tq = ts.randn(2, 4, 8, dtype=ts.float64)
    ts.manual_seed(seed)
    with fwAD.dual_level():
        p, tan = fwAD.unpack_dual(F.scaled_dot_product_attention(fwAD.make_dual(q, tq), k, v, dropout_p=0.5))
    ts.manual_seed(seed)
    ref = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    assert_close(p, to_torch(ref))
    eps = 1e-6
    ts.manual_seed(seed)
    hi = F.scaled_dot_product_attention(q + eps * tq, k, v, dropout_p=0.5)
    ts.manual_seed(seed)
    lo = F.scaled_dot_product_attention(q - eps * tq, k, v, dropout_p=0.5)
    torch.testing.assert_close(to_torch(tan), (to_torch(hi) - to_torch(lo)) / (2 * eps), rtol=1e-4, atol=1e-6)


FOR_CASES = {
    "exp": lambda m, x: m.exp(x),
    "sigmoid": lambda m, x: m.sigmoid(x) * x,
    "softmax": lambda m, x: m.softmax(x, 0) ** 2,
    "logsumexp": lambda m, x: m.logsumexp(x * x, 0),
    "layer_norm": lambda m, x: m.nn.functional.layer_norm(x, (4,)) ** 3,
    "mm": lambda m, x: m.mm(x.view(2, 2), x.view(2, 2).exp()),
}


@pytest.mark.parametrize("name", list(FOR_CASES))
def test_forward_over_reverse(seed, name):
    """Tangents flow through backward formulas (incl. saved outputs): the jvp of a gradient is H t."""
    tx, tt = rand((4,), torch.float64, 0.5, 1.5), rand((4,), torch.float64)
    res = []
    for lib, fw in [("ts", fwAD), ("torch", tfwAD)]:
        m, _ = _mods(lib)
        x0 = (to_ts(tx) if lib == "ts" else tx.clone()).requires_grad_()
        with fw.dual_level():
            x = fw.make_dual(x0, to_ts(tt) if lib == "ts" else tt)
            (g,) = m.autograd.grad(FOR_CASES[name](m, x).sum(), x, create_graph=True)
            res.append(fw.unpack_dual(g).tangent)
    assert res[0] is not None
    assert_close(res[0].detach(), res[1].detach())


def test_exit_with_level_open_does_not_crash():
    """Dual tensors (with graphs through their tangents) still alive at interpreter exit."""
    import os
    import subprocess
    import sys
    code = ("import tessera as ts, tessera.autograd.forward_ad as fwAD\n"
            "fwAD.enter_dual_level()\n"
            "d = fwAD.make_dual(ts.randn(3).requires_grad_(), ts.randn(3).requires_grad_())\n"
            "y = (d.tanh() * d).sum()\n"
            "print(fwAD.unpack_dual(y).tangent.requires_grad)\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "True"

"""tessera.autograd.Function (custom ops in Python) against torch.autograd.Function.

Each Function is defined once by a factory taking the library (torch or tessera), so both sides run
the same forward/backward code on the same random inputs."""
import gc
import threading
import weakref

import pytest
import torch

import tessera as ts
from helpers import assert_close, rand, to_ts


def check(actual, expected):
    """Values (graph detached on both sides) equal within the dtype's tolerance."""
    assert_close(actual.detach(), expected.detach())

FLOATS = [torch.float32, torch.float64]


def leaf_pair(shape, dtype=torch.float32, noncontig=False, low=-2.0, high=2.0):
    t = rand(shape, dtype, low, high)
    x = to_ts(t, noncontig=noncontig).requires_grad_()
    return x, t.clone().requires_grad_()


def make_cube(lib):
    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, scale):
            ctx.save_for_backward(x)
            ctx.scale = scale
            return x * x * x * scale

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x * x * ctx.scale, None

    return Cube


def make_exp(lib):
    """Saves its output (the node must not keep itself alive through it)."""

    class Exp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y

    return Exp


def make_mul_setup_context(lib):
    """New style: forward without ctx, setup_context, a keyword argument with a default."""

    class Mul(lib.autograd.Function):
        @staticmethod
        def forward(a, b, alpha=2.0):
            return a * b * alpha

        @staticmethod
        def setup_context(ctx, inputs, output):
            a, b, alpha = inputs
            ctx.save_for_backward(a, b)
            ctx.alpha = alpha

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            ga = g * b * ctx.alpha if ctx.needs_input_grad[0] else None
            gb = g * a * ctx.alpha if ctx.needs_input_grad[1] else None
            return ga, gb, None

    return Mul


def make_two_outputs(lib, materialize=True):
    """Two tensor outputs and a non-tensor one; records what backward received."""

    class Split(lib.autograd.Function):
        seen = []

        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(materialize)
            ctx.save_for_backward(x)
            return x.sin(), "tag", x * 2

        @staticmethod
        def backward(ctx, g1, g_tag, g2):
            (x,) = ctx.saved_tensors
            Split.seen.append((g1 is None, g_tag is None, g2 is None))
            total = None
            if g1 is not None:
                total = g1 * x.cos()
            if g2 is not None:
                total = g2 * 2 if total is None else total + g2 * 2
            return total

    return Split


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("noncontig", [False, True])
def test_cube_values_and_grads_match_torch(seed, dtype, noncontig):
    x, tx = leaf_pair((3, 4), dtype, noncontig)
    y = make_cube(ts).apply(x, 1.5)
    ty = make_cube(torch).apply(tx, 1.5)
    check(y, ty.detach())
    g = rand((3, 4), dtype)
    y.backward(to_ts(g))
    ty.backward(g)
    check(x.grad, tx.grad)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_cube_half_precision(seed, dtype):
    x, tx = leaf_pair((6,), dtype, low=-1.0, high=1.0)
    y, ty = make_cube(ts).apply(x, 0.5), make_cube(torch).apply(tx, 0.5)
    check(y, ty)
    y.sum().backward()
    ty.sum().backward()
    assert x.grad.dtype == y.dtype
    check(x.grad, tx.grad)


def test_empty_tensors(seed):
    x, tx = leaf_pair((0, 3), torch.float64)
    y, ty = make_exp(ts).apply(x), make_exp(torch).apply(tx)
    assert tuple(y.shape) == (0, 3)
    y.sum().backward()
    ty.sum().backward()
    check(x.grad, tx.grad)


def test_integer_tensor_input_gets_no_gradient(seed):
    def make(lib):
        class Scale(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, counts):
                ctx.save_for_backward(counts)
                return x * counts

            @staticmethod
            def backward(ctx, g):
                (counts,) = ctx.saved_tensors
                assert ctx.needs_input_grad == (True, False)
                return g * counts, None

        return Scale

    x, tx = leaf_pair((2, 3))
    c = rand((2, 3), torch.int64, 0, 4)
    make(ts).apply(x, to_ts(c)).sum().backward()
    make(torch).apply(tx, c).sum().backward()
    check(x.grad, tx.grad)


def test_grad_fn_name_and_edges(seed):
    x, _ = leaf_pair((2,))
    y = make_cube(ts).apply(x, 2.0)
    assert y.grad_fn.name() == "CubeBackward"
    assert repr(y.grad_fn) == "<CubeBackward object>"
    assert y.requires_grad and not y.is_leaf
    # One edge per tensor input (the non-tensor scale has none), as in PyTorch.
    (edge,) = y.grad_fn.next_functions
    assert edge[0].name() == "AccumulateGrad"


def test_saved_output_and_chain_with_builtin_ops(seed):
    x, tx = leaf_pair((5,), torch.float64)
    (make_exp(ts).apply(x * 0.5).sum() * 3).backward()
    (make_exp(torch).apply(tx * 0.5).sum() * 3).backward()
    check(x.grad, tx.grad)


@pytest.mark.parametrize("requires", [(True, True), (True, False), (False, True)])
def test_setup_context_style_and_needs_input_grad(seed, requires):
    a, ta = leaf_pair((2, 3))
    b, tb = leaf_pair((2, 3), noncontig=True)
    a.requires_grad_(requires[0]), ta.requires_grad_(requires[0])
    b.requires_grad_(requires[1]), tb.requires_grad_(requires[1])
    out = make_mul_setup_context(ts).apply(a, b)
    tout = make_mul_setup_context(torch).apply(ta, tb)
    check(out, tout.detach())
    g = rand((2, 3))
    out.backward(to_ts(g))
    tout.backward(g)
    for p, tp in ((a, ta), (b, tb)):
        assert (p.grad is None) == (tp.grad is None)
        if tp.grad is not None:
            check(p.grad, tp.grad)
    out2 = make_mul_setup_context(ts).apply(a, b, alpha=0.5)
    check(out2, make_mul_setup_context(torch).apply(ta, tb, alpha=0.5).detach())


def test_keyword_argument_counts_as_input(seed):
    a, ta = leaf_pair((4,))
    b, tb = leaf_pair((4,))
    make_mul_setup_context(ts).apply(a, b=b, alpha=3.0).sum().backward()
    make_mul_setup_context(torch).apply(ta, b=tb, alpha=3.0).sum().backward()
    check(a.grad, ta.grad)
    check(b.grad, tb.grad)


@pytest.mark.parametrize("materialize", [True, False])
@pytest.mark.parametrize("use", ["first", "second", "both"])
def test_multiple_and_non_tensor_outputs(seed, materialize, use):
    x, tx = leaf_pair((3,), torch.float64)
    F, TF = make_two_outputs(ts, materialize), make_two_outputs(torch, materialize)
    a, tag, b = F.apply(x)
    ta, ttag, tb = TF.apply(tx)
    assert tag == ttag == "tag"
    check(a, ta.detach())
    check(b, tb.detach())

    def loss(p, q):
        return {"first": p.sum(), "second": (q * q).sum(), "both": p.sum() + q.sum()}[use]

    loss(a, b).backward()
    loss(ta, tb).backward()
    check(x.grad, tx.grad)
    assert F.seen == TF.seen  # which grads were None (non-tensor output: always None)


def test_mark_non_differentiable(seed):
    def make(lib):
        class SortLike(lib.autograd.Function):
            seen = []

            @staticmethod
            def forward(ctx, x):
                idx = x * 0 + 1
                ctx.mark_non_differentiable(idx)
                return x * 2, idx

            @staticmethod
            def backward(ctx, g, g_idx):
                SortLike.seen.append(g_idx is None)
                assert float((g_idx * g_idx).sum()) == 0.0
                return g * 2

        return SortLike

    x, tx = leaf_pair((4,))
    y, idx = make(ts).apply(x)
    ty, tidx = make(torch).apply(tx)
    assert y.requires_grad and not idx.requires_grad and idx.grad_fn is None
    assert tidx.requires_grad is False
    y.sum().backward()
    ty.sum().backward()
    check(x.grad, tx.grad)


def test_output_that_is_an_input(seed):
    def make(lib):
        class Ident(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, y):
                return x, y * 3

            @staticmethod
            def backward(ctx, gx, gy):
                return gx * 5, gy * 3

        return Ident

    for nonleaf in (False, True):
        x, tx = leaf_pair((3,))
        y, ty = leaf_pair((3,))
        xi, txi = (x * 1, tx * 1) if nonleaf else (x, tx)
        a, b = make(ts).apply(xi, y)
        ta, tb = make(torch).apply(txi, ty)
        assert a is not xi and a.grad_fn.name() == "IdentBackward"
        assert a._is_view_of_same_storage(xi)  # an alias, as PyTorch's view
        (a * b).sum().backward()
        (ta * tb).sum().backward()
        check(x.grad, tx.grad)
        check(y.grad, ty.grad)


def test_input_marked_non_differentiable_and_output_returned_twice(seed):
    def make(lib):
        class Twice(lib.autograd.Function):
            seen = []

            @staticmethod
            def forward(ctx, x):
                y = x * 2
                ctx.mark_non_differentiable(x)
                return x, y, y

            @staticmethod
            def backward(ctx, gx, g1, g2):
                return g1 * 2 + g2 * 5  # asymmetric: each output slot must get its own gradient

        return Twice

    x, tx = leaf_pair((3,))
    a, b, c = make(ts).apply(x)
    ta, tb, tc = make(torch).apply(tx)
    assert (b is c) == (tb is tc)
    assert (a.requires_grad, b.requires_grad, c.requires_grad) == (ta.requires_grad, tb.requires_grad, tc.requires_grad)
    (b * 3 + c * c).sum().backward()
    (tb * 3 + tc * tc).sum().backward()
    check(x.grad, tx.grad)


def test_mark_dirty_on_non_leaf(seed):
    def make(lib):
        class MulInplace(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.mark_dirty(x)
                return x.mul_(3)

            @staticmethod
            def backward(ctx, g):
                return g * 3

        return MulInplace

    x, tx = leaf_pair((4,))
    base = x * 2
    out = make(ts).apply(base)
    tout = make(torch).apply(tx * 2)
    # The dirty input itself now has the Function's history (same tensor, as in PyTorch).
    assert out._is_view_of_same_storage(base) and base.grad_fn.name() == "MulInplaceBackward"
    check(out, tout.detach())
    (out * out).sum().backward()
    (tout * tout).sum().backward()
    check(x.grad, tx.grad)


def test_mark_dirty_errors(seed):
    class Dirty(ts.autograd.Function):
        @staticmethod
        def forward(ctx, x, ret):
            ctx.mark_dirty(x)
            x.add_(1)
            return x if ret else x * 1

        @staticmethod
        def backward(ctx, g):
            return g, None

    x, _ = leaf_pair((3,))
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        Dirty.apply(x, True)
    with pytest.raises(RuntimeError, match="marked as dirty .* not returned"):
        Dirty.apply(x * 1, False)
    base = x * 1
    view = base[1:]
    with pytest.raises(NotImplementedError, match=r"\[mark_dirty\].*views"):
        Dirty.apply(base, True)
    del view


def test_gradcheck_custom_functions(seed):
    x = to_ts(rand((2, 3), torch.float64)).requires_grad_()
    a = to_ts(rand((4,), torch.float64)).requires_grad_()
    b = to_ts(rand((4,), torch.float64)).requires_grad_()
    assert ts.autograd.gradcheck(lambda t: make_cube(ts).apply(t, 0.7), (x,))
    assert ts.autograd.gradcheck(lambda t: make_exp(ts).apply(t), (x,))
    assert ts.autograd.gradcheck(lambda p, q: make_mul_setup_context(ts).apply(p, q, 1.3), (a, b))
    assert ts.autograd.gradcheck(lambda t: make_two_outputs(ts).apply(t)[::2], (a,))
    # A wrong backward must fail gradcheck (the check can fail).

    class Wrong(ts.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return t * t

        @staticmethod
        def backward(ctx, g):
            return g * 3

    with pytest.raises(ts.autograd.GradcheckError):
        ts.autograd.gradcheck(Wrong.apply, (x,))


def test_double_backward_through_differentiable_backward(seed):
    x, tx = leaf_pair((5,), torch.float64)
    y = make_cube(ts).apply(x, 1.0).sum()
    ty = make_cube(torch).apply(tx, 1.0).sum()
    (gx,) = ts.autograd.grad(y, x, create_graph=True)
    (tgx,) = torch.autograd.grad(ty, tx, create_graph=True)
    check(gx, tgx.detach())
    assert gx.requires_grad
    (ggx,) = ts.autograd.grad(gx.sum(), x)
    (tggx,) = torch.autograd.grad(tgx.sum(), tx)
    check(ggx, tggx)
    # Saved outputs re-attach to their node, so a saved output is differentiable again too.
    z = make_exp(ts).apply(x).sum()
    tz = make_exp(torch).apply(tx).sum()
    (g1,) = ts.autograd.grad(z, x, create_graph=True)
    (tg1,) = torch.autograd.grad(tz, tx, create_graph=True)
    check(ts.autograd.grad(g1.sum(), x)[0], torch.autograd.grad(tg1.sum(), tx)[0])
    assert ts.autograd.gradgradcheck(lambda t: make_cube(ts).apply(t, 0.3), (x.detach().requires_grad_(),))


def test_reentrant_backward_checkpoint_style(seed):
    """backward recomputes the forward with grad enabled and runs a nested backward (as
    torch.utils.checkpoint does); the engine runs the inner graph task on the same thread."""

    def make(lib):
        class Checkpoint(lib.autograd.Function):
            grad_mode_in_backward = []

            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return (x.sin() * x).exp()

            @staticmethod
            def backward(ctx, g):
                Checkpoint.grad_mode_in_backward.append(lib.is_grad_enabled())
                (x,) = ctx.saved_tensors
                with lib.enable_grad():
                    xr = x.detach().requires_grad_()
                    out = (xr.sin() * xr).exp()
                (gx,) = lib.autograd.grad(out, xr, g)
                return gx

        return Checkpoint

    x, tx = leaf_pair((2, 3), torch.float64)
    F, TF = make(ts), make(torch)
    (F.apply(x) * 2).sum().backward()
    (TF.apply(tx) * 2).sum().backward()
    check(x.grad, tx.grad)
    assert F.grad_mode_in_backward == TF.grad_mode_in_backward == [False]


def test_once_differentiable(seed):
    class Sq(ts.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @ts.autograd.function.once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            assert not ts.is_grad_enabled()
            return g * 2 * x

    x, tx = leaf_pair((4,), torch.float64)
    Sq.apply(x).sum().backward()
    (tx * tx).sum().backward()
    check(x.grad, tx.grad)
    # As PyTorch: the result is marked only when a gradient argument requires grad.
    v = to_ts(rand((4,), torch.float64)).requires_grad_()
    (g,) = ts.autograd.grad(Sq.apply(x), x, grad_outputs=v, create_graph=True)
    assert g.requires_grad and g.grad_fn.name() == "_DelayedErrorBackward"
    with pytest.raises(RuntimeError, match="once_differentiable"):
        g.sum().backward()


def test_gradient_of_other_dtype_is_converted(seed):
    class ToDouble(ts.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return (g * 2).double()

    x, tx = leaf_pair((3,))
    ToDouble.apply(x).sum().backward()
    (tx * 2).sum().backward()
    assert x.grad.dtype == ts.float32
    check(x.grad, tx.grad)


def test_no_graph_when_nothing_requires_grad(seed):
    x = to_ts(rand((3,)))
    y = make_cube(ts).apply(x, 2.0)
    assert not y.requires_grad and y.grad_fn is None
    x.requires_grad_()
    with ts.no_grad():
        y = make_cube(ts).apply(x, 2.0)
    assert not y.requires_grad

    class Inside(ts.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            Inside.flags = (ts.is_grad_enabled(), ctx.needs_input_grad)
            return x + 1

        @staticmethod
        def backward(ctx, g):
            return g

    Inside.apply(x)
    assert Inside.flags == (False, (True,))


# ---- errors -----------------------------------------------------------------------------------

def _fn(backward, forward=lambda ctx, x, *rest: x * 2):
    return type("Bad", (ts.autograd.Function,), {"forward": staticmethod(forward),
                                                 "backward": staticmethod(backward)})


def test_wrong_number_of_gradients():
    x, _ = leaf_pair((3,))
    with pytest.raises(RuntimeError, match=r"BadBackward returned an incorrect number of gradients \(expected 1, got 2\)"):
        _fn(lambda ctx, g: (g, g)).apply(x).sum().backward()
    with pytest.raises(RuntimeError, match=r"incorrect number of gradients \(expected 2, got 1\)"):
        _fn(lambda ctx, g: g).apply(x, 3).sum().backward()
    _fn(lambda ctx, g: (g, None, None)).apply(x, 3).sum().backward()  # extra Nones are fine
    assert x.grad is not None


def test_wrong_gradient_shape_type_and_position():
    x, _ = leaf_pair((2, 3))
    with pytest.raises(RuntimeError, match=r"invalid gradient at index 0 - got \W3\W* but expected shape compatible "
                                           r"with \W2, 3\W"):
        _fn(lambda ctx, g: g[0]).apply(x).sum().backward()
    with pytest.raises(RuntimeError, match=r"expected Variable or None \(got int\)"):
        _fn(lambda ctx, g: 3).apply(x).sum().backward()
    with pytest.raises(RuntimeError, match="gradient different than None at position 2"):
        _fn(lambda ctx, g: (g, g)).apply(x, 1.0).sum().backward()


def test_backward_exception_propagates_with_type_and_message():
    def boom(ctx, g):
        raise ValueError("custom backward failed")

    x, _ = leaf_pair((3,))
    with pytest.raises(ValueError, match="custom backward failed"):
        _fn(boom).apply(x).sum().backward()
    with pytest.raises(KeyError):
        ts.autograd.grad(_fn(lambda ctx, g: {}["k"]).apply(x).sum(), x)
    with pytest.raises(NotImplementedError, match="must implement either the backward"):
        type("NoBackward", (ts.autograd.Function,), {"forward": staticmethod(lambda ctx, t: t * 2)}).apply(x).sum()\
            .backward()


def test_modified_saved_tensor_raises():
    x, tx = leaf_pair((3,))
    inp = x * 1
    y = make_cube(ts).apply(inp, 1.0)
    with ts.no_grad():
        inp.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_saved_tensors_freed_after_backward():
    x, _ = leaf_pair((3,))
    y = make_cube(ts).apply(x, 1.0)
    y.sum().backward(retain_graph=True)
    y.sum().backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.sum().backward()


def test_save_for_backward_rejects_non_tensors_and_forward_checks():
    x, _ = leaf_pair((3,))

    def fwd(ctx, t):
        ctx.save_for_backward(t, 3)
        return t * 2

    with pytest.raises(TypeError, match="save_for_backward can only save variables, but argument 1 is of type int"):
        _fn(lambda ctx, g: g, fwd).apply(x)
    with pytest.raises(NotImplementedError, match="implement the forward"):
        type("NoForward", (ts.autograd.Function,), {}).apply(x)
    with pytest.warns(DeprecationWarning):
        f = make_cube(ts)()
    with pytest.raises(RuntimeError, match="Legacy autograd function"):
        f(x)


# ---- lifetime and threads ----------------------------------------------------------------------

def test_no_reference_cycle_keeps_ctx_alive():
    contexts = []

    class Keep(ts.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            contexts.append(weakref.ref(ctx))
            ctx.save_for_backward(x)
            y = x * 2
            ctx.save_for_backward(x, y)  # an output saved: must not pin its own node
            ctx.note = "attribute"
            return y

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x, _ = leaf_pair((3,))
    y = Keep.apply(x)
    assert contexts[0]() is not None
    del y
    assert contexts[0]() is None  # refcounting alone frees it (no cycle for gc to find)
    y = Keep.apply(x)
    y.sum().backward()
    del y
    gc.collect()
    assert contexts[1]() is None

    class Raise(ts.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            contexts.append(weakref.ref(ctx))
            ctx.save_for_backward(x)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            raise ValueError("fails")

    y = Raise.apply(x)
    try:
        y.sum().backward()
    except ValueError:
        pass
    del y
    gc.collect()
    assert contexts[2]() is None  # the error's traceback (holding ctx) was not leaked


def test_backward_from_several_python_threads():
    F = make_cube(ts)
    errors, results = [], {}

    def work(i):
        try:
            x = to_ts(torch.full((64,), float(i + 1))).requires_grad_()
            for _ in range(20):
                x.grad = None
                F.apply(x, 1.0).sum().backward()
            results[i] = float(x.grad[0])
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "deadlock: a backward thread did not finish"
    assert not errors, errors
    assert results == {i: 3.0 * (i + 1) ** 2 for i in range(4)}


def _exp_function(lib):
    class MyExp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, scale):
            y = x.exp() * scale
            ctx.save_for_backward(y)
            ctx.save_for_forward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y, None

        @staticmethod
        def jvp(ctx, tx, tscale):
            (y,) = ctx.saved_tensors
            return tx * y
    return MyExp


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_function_jvp_matches_torch(seed, dtype):
    x, t = rand((3, 4), dtype), rand((3, 4), dtype)
    TsExp, ThExp = _exp_function(ts), _exp_function(torch)
    import torch.autograd.forward_ad as tfw
    import tessera.autograd.forward_ad as fw
    with tfw.dual_level():
        expected = tfw.unpack_dual(ThExp.apply(tfw.make_dual(x, t), 1.5))
    with fw.dual_level():
        got = fw.unpack_dual(TsExp.apply(fw.make_dual(to_ts(x), to_ts(t)), 1.5))
    assert_close(got.primal, expected.primal)
    assert_close(got.tangent, expected.tangent)


def test_function_without_jvp_refuses_dual_inputs(seed):
    import tessera.autograd.forward_ad as fw

    class NoJvp(ts.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2
    with fw.dual_level():
        dual = fw.make_dual(ts.randn(3), ts.randn(3))
        with pytest.raises(NotImplementedError, match="jvp"):
            NoJvp.apply(dual)
    assert fw.unpack_dual(NoJvp.apply(ts.randn(3))).tangent is None

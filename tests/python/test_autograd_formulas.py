"""Backward formulas against PyTorch's gradients and finite differences (float64 gradcheck)."""
import gc
import threading

import numpy as np
import pytest
import torch

import tessera as ts
from helpers import assert_close, rand, to_torch, to_ts


def pair(shape, dtype=torch.float64, low=-2.0, high=2.0, noncontig=False):
    t = rand(shape, dtype, low, high)
    x = to_ts(t, noncontig=noncontig).requires_grad_()
    return x, t.clone().requires_grad_()


BINARY = {
    "add": (lambda m, a, b: m.add(a, b), None),
    "add_alpha": (lambda m, a, b: m.add(a, b, alpha=2.5), None),
    "sub": (lambda m, a, b: m.sub(a, b), None),
    "sub_alpha": (lambda m, a, b: m.sub(a, b, alpha=-3), None),
    "mul": (lambda m, a, b: m.mul(a, b), None),
    "div": (lambda m, a, b: m.div(a, b), "pos"),
    "true_divide": (lambda m, a, b: m.true_divide(a, b), "pos"),
    "operators": (lambda m, a, b: (a * b - a / b + b) * 2 - 1 / a, "pos"),
}
SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (3,)), ((0, 3), (3,))]


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_binary_grads_match_torch(seed, name, shapes, dtype):
    fn, domain = BINARY[name]
    low = 0.5 if domain == "pos" else -2.0
    (a, ta), (b, tb) = pair(shapes[0], dtype, low), pair(shapes[1], dtype, low, noncontig=True)
    out, tout = fn(ts, a, b), fn(torch, ta, tb)
    assert_close(out.detach(), tout.detach())
    g = rand(tuple(tout.shape), dtype)
    out.backward(to_ts(g))
    tout.backward(g)
    assert_close(a.grad, ta.grad)
    assert_close(b.grad, tb.grad)


def test_promotion_gives_grads_in_input_dtype(seed):
    (a, ta), (b, tb) = pair((3,), torch.float32), pair((3,), torch.float64)
    (a * b).sum().backward()
    (ta * tb).sum().backward()
    assert_close(a.grad, ta.grad)
    assert_close(b.grad, tb.grad)


def test_scalar_operands(seed):
    a, ta = pair((4,))
    ((a * 3 + 2) / 4 - 1).sum().backward()
    ((ta * 3 + 2) / 4 - 1).sum().backward()
    assert_close(a.grad, ta.grad)


@pytest.mark.parametrize("op", ["neg", "exp", "log"])
def test_unary_grads_match_torch(seed, op):
    a, ta = pair((3, 5), low=0.2, noncontig=True)
    getattr(ts, op)(a).sum().backward()
    getattr(torch, op)(ta).sum().backward()
    assert_close(a.grad, ta.grad)


@pytest.mark.parametrize("dim,keepdim", [(None, False), (0, False), (1, True), ((0, 2), False), ((-1,), True)])
@pytest.mark.parametrize("op", ["sum", "mean"])
def test_reduction_grads_match_torch(seed, op, dim, keepdim):
    a, ta = pair((2, 3, 4))
    kw = {} if dim is None else dict(dim=dim, keepdim=keepdim)
    out, tout = getattr(ts, op)(a, **kw), getattr(torch, op)(ta, **kw)
    g = rand(tuple(tout.shape))
    out.backward(to_ts(g))
    tout.backward(g)
    assert_close(a.grad, ta.grad)


def test_gradcheck_finite_differences(seed):
    a, _ = pair((3, 2), low=0.5)
    b, _ = pair((2,), low=0.5)
    assert ts.autograd.gradcheck(lambda x, y: (x * y / (x + y)).exp().log().mean(0), (a, b))
    assert ts.autograd.gradcheck(lambda x, y: ts.sum(x - y * 2, dim=1), (a, b))


def test_gradgradcheck_second_derivatives(seed):
    a, _ = pair((2, 2), low=0.5)
    b, _ = pair((2,), low=0.5)
    assert ts.autograd.gradgradcheck(lambda x, y: x * x * y / (x + y), (a, b))


def test_gradcheck_detects_a_wrong_formula(seed):
    a, _ = pair((3,))
    # 2x^2 computed with one factor detached: autograd says 2x, finite differences say 4x.
    with pytest.raises(ts.autograd.GradcheckError):
        ts.autograd.gradcheck(lambda x: x * x.detach() * 2, (a,))


def test_higher_order_with_create_graph(seed):
    a, ta = pair((4,), low=0.5)
    (g,) = ts.autograd.grad((a * a * a).sum(), a, create_graph=True)
    (tg,) = torch.autograd.grad((ta * ta * ta).sum(), ta, create_graph=True)
    assert_close(g.detach(), tg.detach())
    g.sum().backward()
    tg.sum().backward()
    assert_close(a.grad, ta.grad)


def test_shared_subgraph_retain_graph_and_accumulation(seed):
    a, ta = pair((3,))
    for m, x in ((ts, a), (torch, ta)):
        y = x * x
        z = (y + y * x).sum()
        z.backward(retain_graph=True)
        z.backward()
    assert_close(a.grad, ta.grad)
    y = (a * a).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_inplace_change_after_save_is_an_error(seed):
    a, _ = pair((3,))
    b = ts.from_numpy(np.ones(3))
    y = (a * b).sum()
    b.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_inplace_on_leaf_requiring_grad_is_refused(seed):
    a, _ = pair((3,))
    with pytest.raises((RuntimeError, NotImplementedError)):
        a.add_(1)
    with ts.no_grad():
        a.add_(1)  # allowed, as in PyTorch (optimizer updates)


def test_hooks_and_retain_grad(seed):
    a, ta = pair((3,))
    calls = []
    h = a.register_hook(lambda g: calls.append("leaf") or g * 2)
    y = a * 3
    y.retain_grad()
    y.register_hook(lambda g: calls.append("y"))
    y.sum().backward()
    assert calls == ["y", "leaf"]
    assert_close(a.grad, torch.full((3,), 6.0, dtype=torch.float64))
    assert_close(y.grad, torch.ones(3, dtype=torch.float64))
    h.remove()
    a.grad = None
    (a * 3).sum().backward()
    assert_close(a.grad, torch.full((3,), 3.0, dtype=torch.float64))
    seen = []
    a.register_post_accumulate_grad_hook(lambda t: seen.append(to_torch(t.grad).sum().item()))
    (a * 1).sum().backward()
    assert seen == [12.0]  # accumulated: 3 per element before, plus 1


def test_grad_with_inputs_and_allow_unused(seed):
    (a, _), (b, _), (c, _) = pair((2,)), pair((2,)), pair((2,))
    y = (a * b).sum()
    ga, = ts.autograd.grad(y, a, retain_graph=True)
    assert a.grad is None and b.grad is None
    assert_close(ga, to_torch(b.detach()))
    with pytest.raises(RuntimeError, match="allow_unused"):
        ts.autograd.grad(y, c, retain_graph=True)
    assert ts.autograd.grad(y, [c, b], allow_unused=True, retain_graph=True)[0] is None
    y.backward(inputs=[b])
    assert a.grad is None and b.grad is not None


def test_grad_fn_names_and_leafness(seed):
    a, _ = pair((2,))
    y = a * 2 + 1
    assert not y.is_leaf and y.grad_fn.name() == "AddBackward0"
    assert y.grad_fn.next_functions[0][0].name() == "MulBackward0"
    assert a.is_leaf and a.grad_fn is None
    with ts.no_grad():
        assert (a * 2).grad_fn is None


def test_nondifferentiable_ops_pass_through(seed):
    a, _ = pair((3,))
    m = a > 0
    assert not m.requires_grad and m.dtype == ts.bool
    assert ts.argmax(a).dtype == ts.int64
    with pytest.raises(NotImplementedError, match="backward formula"):
        # no formula (any op without one will do): refused, never silently gradient-free
        ts.zeros(3, dtype=ts.int64).bitwise_or_(a)


def test_concurrent_backward_matches_serial(seed):
    inputs = [pair((16,), low=0.5)[0] for _ in range(8)]

    def run(x):
        y = x
        for _ in range(20):
            y = y * 1.01 + x / (x + 1)
        y.sum().backward()

    for x in inputs[:4]:
        run(x)
    threads = [threading.Thread(target=run, args=(x,)) for x in inputs[4:]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s, p in zip(inputs[:4], inputs[4:]):
        ref = ts.from_numpy(s.detach().numpy().copy()).requires_grad_()
        run(ref)
        assert_close(ref.grad, to_torch(s.grad))
        p2 = ts.from_numpy(p.detach().numpy().copy()).requires_grad_()
        run(p2)
        assert_close(p.grad, to_torch(p2.grad))


def test_no_memory_growth_over_many_iterations(seed):
    import resource

    a, _ = pair((64,))
    b, _ = pair((64,))

    def step():
        ((a * b + a) / (b * b + 1)).mean().backward()
        a.grad = None
        b.grad = None

    for _ in range(500):
        step()
    gc.collect()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for _ in range(10000):
        step()
    gc.collect()
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert after - before < 8 * 1024, f"peak RSS grew by {after - before} KiB over 10,000 steps"

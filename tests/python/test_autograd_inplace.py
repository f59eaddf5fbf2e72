"""In-place ops on tensors in the autograd graph: history rebasing, writes into views (CopySlices,
regenerated view histories), setitem, and PyTorch's refusals; against PyTorch and finite
differences."""
import pytest
import torch
import torch.nn.functional as TF

import tessera as ts
import tessera.nn.functional as SF
from helpers import assert_close, rand, to_torch, to_ts

FN = {ts: SF, torch: TF}
TS_F64 = ts.float64


def pair(t, grad=True):
    """A tessera copy of torch tensor t and a torch leaf, both requiring grad when `grad`."""
    x = to_ts(t)
    t = t.clone()
    if grad:
        x.requires_grad_()
        t.requires_grad_()
    return x, t


# Where the in-place op writes: into a non-leaf (plain), or into a view of one.
MODES = {
    "plain": lambda y: y,
    "slice": lambda y: y[1:, :],
    "transpose": lambda y: y.t(),
    "chain": lambda y: y.view(16)[2:14].view(3, 4),
    "select": lambda y: y[2],
    "narrow_cols": lambda y: y.narrow(1, 1, 2),
}


def bcast(shape):
    return tuple(shape[-1:])


def same(shape):
    return tuple(shape)


def scalar_shape(shape):
    return ()


# id: (in-place call on (module, self, *others), x range, others: (shape_fn, low, high, grad))
CASES = {
    "add_": (lambda m, y, o: y.add_(o, alpha=2), (-2, 2), [(bcast, -2, 2, True)]),
    "sub_": (lambda m, y, o: y.sub_(o), (-2, 2), [(same, -2, 2, True)]),
    "mul_tensor": (lambda m, y, o: y.mul_(o), (-2, 2), [(bcast, -2, 2, True)]),
    "mul_const": (lambda m, y, o: y.mul_(o), (-2, 2), [(same, -2, 2, False)]),
    "mul_scalar": (lambda m, y: y.mul_(3.0), (-2, 2), []),
    "div_": (lambda m, y, o: y.div_(o), (-2, 2), [(bcast, 0.5, 2, True)]),
    "pow_": (lambda m, y: y.pow_(2), (-2, 2), []),
    "pow_tensor": (lambda m, y, o: y.pow_(o), (0.5, 2), [(same, 0.5, 2, True)]),
    "clamp_": (lambda m, y: y.clamp_(-0.5, 0.7), (-2, 2), []),
    "clamp_min_": (lambda m, y: y.clamp_min_(0.1), (-2, 2), []),
    "relu_": (lambda m, y: y.relu_(), (-2, 2), []),
    "exp_": (lambda m, y: y.exp_(), (-2, 2), []),
    "sigmoid_": (lambda m, y: y.sigmoid_(), (-2, 2), []),
    "tanh_": (lambda m, y: y.tanh_(), (-2, 2), []),
    "neg_": (lambda m, y: y.neg_(), (-2, 2), []),
    "abs_": (lambda m, y: y.abs_(), (-2, 2), []),
    "sqrt_": (lambda m, y: y.sqrt_(), (0.5, 2), []),
    "log_": (lambda m, y: y.log_(), (0.5, 2), []),
    "sin_": (lambda m, y: y.sin_(), (-2, 2), []),
    "reciprocal_": (lambda m, y: y.reciprocal_(), (0.5, 2), []),
    "floor_": (lambda m, y: y.floor_(), (-2, 2), []),
    "lerp_": (lambda m, y, e, w: y.lerp_(e, w), (-2, 2), [(same, -2, 2, True), (bcast, 0, 1, True)]),
    "addcmul_": (lambda m, y, a, b: y.addcmul_(a, b, value=0.5), (-2, 2), [(same, -2, 2, True), (bcast, -2, 2, True)]),
    "addcdiv_": (lambda m, y, a, b: y.addcdiv_(a, b), (-2, 2), [(same, -2, 2, True), (same, 0.5, 2, True)]),
    "masked_fill_": (lambda m, y, o: y.masked_fill_(o > 0, 0.5), (-2, 2), [(same, -2, 2, False)]),
    "masked_fill_tensor": (lambda m, y, v: y.masked_fill_(y.detach() > 0, v), (-2, 2), [(scalar_shape, -2, 2, True)]),
    "copy_": (lambda m, y, o: y.copy_(o), (-2, 2), [(bcast, -2, 2, True)]),
    "copy_float32_src": (lambda m, y, o: y.copy_(o.float()), (-2, 2), [(same, -2, 2, True)]),
    "fill_": (lambda m, y: y.fill_(1.5), (-2, 2), []),
    "zero_": (lambda m, y: y.zero_(), (-2, 2), []),
    "leaky_relu_": (lambda m, y: FN[m].leaky_relu_(y, 0.1), (-2, 2), []),
    "elu_": (lambda m, y: FN[m].elu_(y), (-2, 2), []),
    "hardtanh_": (lambda m, y: FN[m].hardtanh_(y), (-2, 2), []),
    "silu_inplace": (lambda m, y: FN[m].silu(y, inplace=True), (-2, 2), []),
    "nan_to_num_": (lambda m, y: y.nan_to_num_(), (-2, 2), []),
    "tril_": (lambda m, y: y.tril_(), (-2, 2), []),
}
TWO_D_ONLY = {"tril_"}


def run_case(m, x, others, case, mode):
    fn = CASES[case][0]
    base = x * 1.5  # a non-leaf the op writes into (through a view in the view modes)
    y = MODES[mode](base)
    r = fn(m, y, *others)
    assert r.shape == y.shape and r._version == y._version
    return base, y


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("case,mode", [(c, m) for c in CASES for m in MODES if not (c in TWO_D_ONLY and m == "select")])
def test_inplace_values_and_grads(seed, case, dtype, mode):
    _, (lo, hi), specs = CASES[case]
    x_t = rand((4, 4), dtype, lo / 1.5, hi / 1.5)
    x, xt = pair(x_t)
    view_shape = MODES[mode](torch.empty(4, 4)).shape
    others, others_t = [], []
    for shape_fn, olo, ohi, grad in specs:
        o, ot = pair(rand(shape_fn(view_shape), dtype, olo, ohi), grad)
        others.append(o)
        others_t.append(ot)
    base, y = run_case(ts, x, others, case, mode)
    base_t, y_t = run_case(torch, xt, others_t, case, mode)
    assert_close(base.detach(), base_t.detach())
    assert y._version == base._version > 0
    # The loss reads the base and the (rebased) view.
    w1, w2 = rand((4, 4), dtype), rand(tuple(y_t.shape), dtype)
    ((base * to_ts(w1)).sum() + (y * to_ts(w2)).sum()).backward()
    ((base_t * w1).sum() + (y_t * w2).sum()).backward()
    assert_close(x.grad, xt.grad)
    for o, ot in zip(others, others_t):
        if ot.requires_grad:
            assert_close(o.grad, ot.grad)


@pytest.mark.parametrize("mode", ["plain", "slice", "transpose"])
def test_grad_fn_names(seed, mode):
    x, xt = pair(rand((4, 4)))
    base, y = run_case(ts, x, [], "exp_", mode)
    base_t, y_t = run_case(torch, xt, [], "exp_", mode)
    assert base.grad_fn.name() == type(base_t.grad_fn).__name__
    assert y.grad_fn.name() == type(y_t.grad_fn).__name__
    assert not base.is_leaf and base.requires_grad


def test_self_without_grad_gets_history(seed):
    # A tensor not requiring grad, written with one that does, now requires grad.
    x, xt = pair(rand((3, 4)))
    buf, buf_t = ts.zeros(3, 4), torch.zeros(3, 4)
    buf.add_(x * 2)
    buf_t.add_(xt * 2)
    assert buf.requires_grad and buf.grad_fn.name() == "AddBackward0"
    (buf * buf).sum().backward()
    (buf_t * buf_t).sum().backward()
    assert_close(x.grad, xt.grad)


# ---------------------------------------------------------------- setitem and views of buffers
SETITEM = {
    "int": lambda m, buf, x: buf.__setitem__(1, x[0] * 2),
    "slice": lambda m, buf, x: buf.__setitem__(slice(1, 3), x[:2].exp()),
    "tuple": lambda m, buf, x: buf.__setitem__((slice(None), 2), x[:, 0] * 3),
    "ellipsis_col": lambda m, buf, x: buf.__setitem__((Ellipsis, 1), x.sum(1)),
    "adv_index": lambda m, buf, x: buf.__setitem__(m.tensor([0, 3]), x[1:3] * 2),
    "adv_cols": lambda m, buf, x: buf.__setitem__((slice(None), m.tensor([2, 0])), x[:, :2]),
    "bool_mask": lambda m, buf, x: buf.__setitem__(buf > 0, x[0, 0]),
    "broadcast_value": lambda m, buf, x: buf.__setitem__(slice(0, 2), x[0, :3]),
    "twice": lambda m, buf, x: (buf.__setitem__(0, x[0]), buf.__setitem__((slice(None), 1), x[:, 1] * x[:, 2])),
}


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("case", list(SETITEM))
def test_setitem_into_buffer(seed, case, dtype):
    x, xt = pair(rand((4, 3), dtype))
    init = rand((4, 3), dtype)
    buf, buf_t = to_ts(init), init.clone()
    SETITEM[case](ts, buf, x)
    SETITEM[case](torch, buf_t, xt)
    assert_close(buf.detach(), buf_t.detach())
    assert buf.requires_grad and not buf.is_leaf
    w = rand((4, 3), dtype)
    (buf * to_ts(w)).sum().backward()
    (buf_t * w).sum().backward()
    assert_close(x.grad, xt.grad)


def test_setitem_into_non_leaf_with_grad(seed):
    x, xt = pair(rand((4, 3)))
    z, zt = pair(rand((3,)))
    outs = []
    for m, a, b in ((ts, x, z), (torch, xt, zt)):
        y = a * 2
        y[1] = b.sin()
        y[:, 0] = 0
        y[m.tensor([2, 3]), 1] = b[:2] * b[1:]
        outs.append(y)
    assert_close(outs[0].detach(), outs[1].detach())
    (outs[0] ** 2).sum().backward()
    (outs[1] ** 2).sum().backward()
    assert_close(x.grad, xt.grad)
    assert_close(z.grad, zt.grad)


def test_stale_views_regenerate(seed):
    # Views made before another alias was written see the new history (overlapping or not).
    x, xt = pair(rand((4, 3)))
    z, zt = pair(rand((3,)))
    res = []
    for m, a, b in ((ts, x, z), (torch, xt, zt)):
        y = a * 1.0
        top, mid, flat = y[0:2], y[1], y.view(-1)
        y[1:3].mul_(b)
        res.append((top, mid, flat, y))
    for got, want in zip(res[0], res[1]):
        assert_close(got.detach(), want.detach())
    loss = lambda ts_: sum((t * t).sum() for t in ts_)  # noqa: E731
    loss(res[0]).backward()
    loss(res[1]).backward()
    assert_close(x.grad, xt.grad)
    assert_close(z.grad, zt.grad)


def test_view_of_buffer_made_before_base_required_grad(seed):
    x, xt = pair(rand((3,)))
    res = []
    for m, a in ((ts, x), (torch, xt)):
        buf = m.zeros(4, 3)
        row0, flat = buf[0], buf.view(-1)
        buf[1] = a * 2
        assert row0.requires_grad and flat.requires_grad
        res.append((buf, flat))
    (res[0][1] * res[0][1]).sum().backward()
    (res[1][1] * res[1][1]).sum().backward()
    assert_close(x.grad, xt.grad)


def test_non_contiguous_dense_base(seed):
    # The base's memory order differs from its dims (empty_like of a transpose keeps its strides).
    x, xt = pair(rand((3, 4)))
    z, zt = pair(rand((3,)))
    res = []
    for m, a, b in ((ts, x, z), (torch, xt, zt)):
        base = m.empty_like(a.t())
        assert not base.is_contiguous() and base._base is None
        base.copy_(a.t() * 2)
        base[1].mul_(b.exp())
        base[:, 2].add_(b.sum())
        res.append(base)
    assert_close(res[0].detach(), res[1].detach())
    (res[0] * res[0]).sum().backward()
    (res[1] * res[1]).sum().backward()
    assert_close(x.grad, xt.grad)
    assert_close(z.grad, zt.grad)


def test_inplace_on_diagonal_and_expand_free_views(seed):
    x, xt = pair(rand((4, 4)))
    res = []
    for a in (x, xt):
        y = a * 1.0
        y.diagonal().mul_(3)
        y.permute(1, 0)[1:3].add_(1)
        y.unsqueeze(0)[0, 0].sin_()
        res.append(y)
    assert_close(res[0].detach(), res[1].detach())
    (res[0] ** 3).sum().backward()
    (res[1] ** 3).sum().backward()
    assert_close(x.grad, xt.grad)


# ---------------------------------------------------------------- finite differences
def f_buffer(x, z):
    buf = ts.zeros(4, 3, dtype=TS_F64)
    buf[1] = x[0] * 2
    buf[2:, :] = z.sin()
    buf[:, 1].mul_(x[1, 0])
    return buf * buf


def f_chain(x, z):
    y = x * 1.0
    y[1:3, 1:].mul_(z[:2])
    y.t()[0, :3].add_(z)
    y.view(-1)[::2].exp_()
    return y


def f_setitem_adv(x, z):
    y = x.clone()
    y[ts.tensor([0, 2])] = z * z[0]
    y[:, ts.tensor([1])] = x[:, :1].cos()
    return y.sum(0) * y[1]


def f_ops(x, z):
    y = x * 1.0
    y.mul_(z).sigmoid_()
    y = y * 1.0  # sigmoid_ keeps its result for backward: writing it again would be refused
    y.addcmul_(x, z, value=0.3)
    y.div_(z.abs() + 1)
    y.clamp_(-0.4, 0.8)
    y.lerp_(x, 0.25)
    return y


GRADCHECK = {"buffer": f_buffer, "chain": f_chain, "setitem_adv": f_setitem_adv, "ops": f_ops}


@pytest.mark.parametrize("name", list(GRADCHECK))
def test_gradcheck(seed, name):
    x = to_ts(rand((4, 3), torch.float64)).requires_grad_()
    z = to_ts(rand((3,), torch.float64, 0.2, 1.5)).requires_grad_()
    assert ts.autograd.gradcheck(GRADCHECK[name], (x, z))


@pytest.mark.parametrize("name", ["buffer", "chain", "ops"])
def test_gradgradcheck(seed, name):
    x = to_ts(rand((4, 3), torch.float64)).requires_grad_()
    z = to_ts(rand((3,), torch.float64, 0.2, 1.5)).requires_grad_()
    assert ts.autograd.gradgradcheck(GRADCHECK[name], (x, z))


def test_double_backward_vs_torch(seed):
    x, xt = pair(rand((5,), torch.float64))
    grads = []
    for m, a in ((ts, x), (torch, xt)):
        y = a * 1.0
        y.mul_(a).sin_()
        y[1:3].mul_(a[0])
        (g,) = m.autograd.grad(y.sum(), a, create_graph=True)
        (gg,) = m.autograd.grad((g * g).sum(), a)
        grads.append((g, gg))
    assert_close(grads[0][0].detach(), grads[1][0].detach())
    assert_close(grads[0][1], grads[1][1])


# ---------------------------------------------------------------- refusals and semantics
def err(m, fn):
    with pytest.raises(RuntimeError) as info:
        fn(m)
    return str(info.value)


def both_raise(fn, match):
    got, want = err(ts, fn), err(torch, fn)
    assert match in want  # the text is PyTorch's
    assert match in got


def leaf(m):
    return m.ones(4, 3, requires_grad=True)


def test_leaf_requiring_grad_refused():
    both_raise(lambda m: leaf(m).add_(1), "a leaf Variable that requires grad is being used in an in-place operation.")
    both_raise(lambda m: leaf(m).__setitem__(0, 1.0), "a view of a leaf Variable that requires grad")
    both_raise(lambda m: leaf(m)[1:].mul_(2), "a view of a leaf Variable that requires grad is being used")


def test_leaf_under_no_grad_allowed(seed):
    w = ts.ones(4, 3, requires_grad=True)
    with ts.no_grad():
        w.add_(1)
        w[0].mul_(3)
        w[1] = 0.5
    assert w.is_leaf and w.grad_fn is None and w.requires_grad
    assert_close(w.detach(), torch.tensor([[6.0] * 3, [0.5] * 3, [2.0] * 3, [2.0] * 3]))
    (w * 2).sum().backward()
    assert_close(w.grad, torch.full((4, 3), 2.0))


def test_view_made_in_no_grad_refused():
    def fn(m):
        y = leaf(m) * 2
        with m.no_grad():
            v = y[0]
        v.mul_(2)

    both_raise(fn, "A view was created in no_grad mode and is being modified inplace with grad mode enabled.")


@pytest.mark.parametrize("split", ["unbind", "split", "chunk"])
def test_multi_output_views_refused(split):
    calls = {"unbind": lambda y: y.unbind(0), "split": lambda y: y.split(2), "chunk": lambda y: y.chunk(2)}

    def fn(m):
        parts = calls[split](leaf(m) * 2)
        parts[1].add_(1)

    both_raise(fn, "is a view and is being modified inplace. This view is the output of a function that returns "
               "multiple views.")
    got, want = err(ts, fn), err(torch, fn)
    assert want.split()[:4] == got.split("] ", 1)[1].split()[:4]  # "Output 1 of Unbind"


def test_saved_tensor_modified_refused():
    def fn(m):
        x = leaf(m)
        y = x.exp()  # saves its output
        y.add_(1)
        y.sum().backward()

    both_raise(fn, "modified by an inplace operation")

    def fn2(m):
        x = leaf(m)
        z = x * 1.0
        y = z * z  # saves z
        z[0] = 0.0
        y.sum().backward()

    both_raise(fn2, "modified by an inplace operation")


def test_detach_and_requires_grad_on_views():
    both_raise(lambda m: (leaf(m) * 2)[0].detach_(), "Can't detach views in-place")
    both_raise(lambda m: m.zeros(3)[1:].detach_(), "Can't detach views in-place")
    both_raise(lambda m: (leaf(m) * 2)[0].requires_grad_(False), "you can only change requires_grad flags of leaf")
    # detach_ on a non-view cuts the history; requires_grad_() on a non-leaf view is a no-op.
    y = ts.ones(3, requires_grad=True) * 2
    y[0:2].requires_grad_(True)
    y.detach_()
    assert y.is_leaf and not y.requires_grad


def test_detached_alias_writes_do_not_rebase(seed):
    # detach() shares memory and the version counter but not the graph.
    x, xt = pair(rand((3,)))
    y, yt = x * 2, xt * 2
    y.detach().mul_(0)
    yt.detach().mul_(0)
    assert y.grad_fn.name() == type(yt.grad_fn).__name__ == "MulBackward0"
    y.sum().backward()
    yt.sum().backward()
    assert_close(x.grad, xt.grad)


def test_inplace_result_dtype_and_shape_checks():
    x = ts.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"\[add_\]"):
        ts.zeros(3, dtype=ts.int64).add_(x)
    with pytest.raises(RuntimeError, match=r"\[mul_\]"):
        ts.zeros(3).mul_(ts.ones(2, 3, requires_grad=True))


def test_metadata_inplace_ops(seed):
    x, xt = pair(rand((3, 4)))
    res = []
    for a in (x, xt):
        y = a * 2
        y.unsqueeze_(0)
        v = y[0, 1:]
        v.transpose_(0, 1)
        v.mul_(a[0].unsqueeze(1))
        y.squeeze_(0)
        res.append((y, v))
    for got, want in zip(res[0], res[1]):
        assert_close(got.detach(), want.detach())
    ((res[0][0] ** 2).sum() + res[0][1].sum()).backward()
    ((res[1][0] ** 2).sum() + res[1][1].sum()).backward()
    assert_close(x.grad, xt.grad)
    both_raise(lambda m: leaf(m).unsqueeze_(0), "a leaf Variable that requires grad is being used in an in-place")


# Every other in-place op with a formula, written into a view of a non-leaf (float64).
MORE = {
    "sign_": (-2, 2), "ceil_": (-2, 2), "trunc_": (-2, 2), "round_": (-2, 2), "rsqrt_": (0.5, 2),
    "exp2_": (-2, 2), "expm1_": (-2, 2), "log2_": (0.5, 2), "log10_": (0.5, 2), "log1p_": (0, 2),
    "cos_": (-2, 2), "tan_": (-1, 1), "erf_": (-2, 2), "erfinv_": (-0.9, 0.9), "clamp_max_": (-2, 2),
    "triu_": (-2, 2), "fmod_": (0.5, 3), "remainder_": (0.5, 3), "atan2_": (-2, 2),
    "true_divide_": (-2, 2), "gt_": (-2, 2),
}
MORE_CALLS = {
    "clamp_max_": lambda m, y: y.clamp_max_(0.3),
    "fmod_": lambda m, y: y.fmod_(m.full((4, 3), 0.7, dtype=y.dtype)),
    "remainder_": lambda m, y: y.remainder_(m.full((4, 3), 0.7, dtype=y.dtype)),
    "atan2_": lambda m, y: y.atan2_(m.full((4, 3), 0.7, dtype=y.dtype)),
    "true_divide_": lambda m, y: y.true_divide_(m.full((4, 3), 0.7, dtype=y.dtype)),
    "gt_": lambda m, y: y.gt_(m.full((4, 3), 0.1, dtype=y.dtype)),
}


@pytest.mark.parametrize("name", list(MORE))
def test_more_inplace_ops(seed, name):
    lo, hi = MORE[name]
    x, xt = pair(rand((5, 3), torch.float64, lo / 2, hi / 2))
    res = []
    for m, a in ((ts, x), (torch, xt)):
        base = a * 2.0
        y = base[1:]
        call = MORE_CALLS.get(name, lambda m, y: getattr(y, name)())
        call(m, y)
        res.append((base, y))
    assert_close(res[0][0].detach(), res[1][0].detach())
    w = rand((5, 3), torch.float64)
    ((res[0][0] * to_ts(w)).sum() + res[0][1].sum()).backward()
    ((res[1][0] * w).sum() + res[1][1].sum()).backward()
    assert_close(x.grad, xt.grad)


def test_stale_expanded_view(seed):
    # An expand of a tensor later written in place reads the new values: its gradient too.
    x, xt = pair(rand((1, 4)))
    z, zt = pair(rand((4,)))
    res = []
    for a, b in ((x, z), (xt, zt)):
        y = a * 1.0
        e = y.expand(3, 4)
        y.mul_(b)
        res.append(e)
    assert_close(res[0].detach(), res[1].detach())
    w = rand((3, 4))
    (res[0] * res[0] * to_ts(w)).sum().backward()
    (res[1] * res[1] * w).sum().backward()
    assert_close(x.grad, xt.grad)
    assert_close(z.grad, zt.grad)


def test_augmented_assignment_on_items(seed):
    # y[i] += v is getitem, add_ on the view, then setitem of the view into itself.
    x, xt = pair(rand((4, 3)))
    z, zt = pair(rand((3,)))
    res = []
    for a, b in ((x, z), (xt, zt)):
        y = a * 1.0
        y[1:3] += b
        y[0] *= b
        y += a
        y[:, 1] -= b.sum()
        res.append(y)
    assert_close(res[0].detach(), res[1].detach())
    (res[0] ** 2).sum().backward()
    (res[1] ** 2).sum().backward()
    assert_close(x.grad, xt.grad)
    assert_close(z.grad, zt.grad)


def test_result_saved_by_inplace_op_then_modified_raises():
    # relu_ keeps its result (self) for backward, as PyTorch: a later write is caught.
    def fn(m):
        y = leaf(m) * 2
        y.relu_()
        y.mul_(3.0)
        y.sum().backward()

    both_raise(fn, "modified by an inplace operation")


def test_views_of_a_base_written_directly(seed):
    x, xt = pair(rand((4, 3)))
    z, zt = pair(rand((3,)))
    res = []
    for a, b in ((x, z), (xt, zt)):
        y = a * 1.0
        top, col = y[0:2], y[:, 1]
        y.mul_(b)
        y.sigmoid_()
        res.append((top, col))
    for got, want in zip(res[0], res[1]):
        assert_close(got.detach(), want.detach())
        assert got.grad_fn.name() == type(want.grad_fn).__name__ == "AsStridedBackward0"
    (res[0][0].sum() * res[0][1].sum()).backward()
    (res[1][0].sum() * res[1][1].sum()).backward()
    assert_close(x.grad, xt.grad)
    assert_close(z.grad, zt.grad)


def test_base_and_is_view():
    x = ts.zeros(4, 3)
    v = x[1:].t()[0]
    assert v._is_view() and not x._is_view()
    assert v._base.shape == x.shape and v._base._base is None
    assert not x.detach()._is_view() and not x.clone()._is_view()
    v.fill_(7.0)
    assert_close(x, torch.tensor([[0.0] * 3, [7, 0, 0], [7, 0, 0], [7, 0, 0]]))


def test_retain_grad_follows_the_rebased_history():
    res = []
    for m in (ts, torch):
        x = m.ones(3, requires_grad=True)
        y = x * 2
        y.retain_grad()
        y.mul_(3)
        z = x * 2
        v = z[1:]
        v.retain_grad()
        v.mul_(3)
        (y.sum() + z.sum()).backward()
        res.append((y.grad, v.grad, x.grad))
    assert_close(res[0][0], res[1][0])
    assert res[0][1] is None and res[1][1] is None
    assert_close(res[0][2], res[1][2])


@pytest.mark.parametrize("op", ["add_", "addcmul_", "mul_"])
def test_wider_other_is_cast_to_self_dtype(seed, op):
    calls = {
        "add_": lambda y, o: y.add_(o),
        "addcmul_": lambda y, o: y.addcmul_(o, o),
        "mul_": lambda y, o: y.mul_(o),
    }
    x, xt = pair(rand((3, 4)))
    o, ot = pair(rand((4,), torch.float64))
    res = []
    for a, b in ((x, o), (xt, ot)):
        y = a * 1.0
        calls[op](y[1:], b)
        res.append(y)
    assert res[0].dtype == ts.float32
    assert_close(res[0].detach(), res[1].detach())
    (res[0] ** 2).sum().backward()
    (res[1] ** 2).sum().backward()
    assert_close(x.grad, xt.grad)
    assert_close(o.grad, ot.grad)

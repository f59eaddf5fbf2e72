"""tessera.amp.GradScaler against torch.amp.GradScaler("cpu"): training loops with injected
infs/NaNs (same scale sequence, same skipped steps, same parameters), unscale_ + clipping, several
optimizers, state_dict, misuse errors; and the fused ops against torch's."""
import pickle
import random

import pytest
import torch

import tessera as ts
from helpers import assert_close, rand, to_torch, to_ts

DEV = "cpu"


def cpu(t):
    return to_ts(t).to(DEV)


def make_params(shapes, dtype=torch.float32):
    tp = [rand(s).to(dtype).requires_grad_() for s in shapes]
    xp = [cpu(p.detach()).requires_grad_() for p in tp]
    return tp, xp


def loss_of(m, params, x):
    w, b = params[0], params[1]
    y = m.matmul(x, w) + b
    return (y * y).mean()


def poison(params, kind, m):
    """Writes an inf or NaN into the first parameter's gradient (as an overflowing fp16 backward would)."""
    value = {"inf": float("inf"), "-inf": float("-inf"), "nan": float("nan")}[kind]
    g = params[0].grad
    if m is torch:
        g.view(-1)[1] = value
    else:
        g.view(-1)[1] = value


def training_run(m, params, opt, scaler, xs, plan, unscale_clip=False):
    scales, stepped = [], []
    for x, bad in zip(xs, plan):
        opt.zero_grad()
        loss = loss_of(m, params, x)
        scaler.scale(loss).backward()
        if bad:
            poison(params, bad, m)
        if unscale_clip:
            scaler.unscale_(opt)
            (torch.nn.utils if m is torch else ts.nn.utils).clip_grad_norm_(params, 1.0)
        before = [p.detach().clone() for p in params]
        scaler.step(opt)
        stepped.append(any(not bool((p.detach() == q).all()) for p, q in zip(params, before)))
        scaler.update()
        scales.append(scaler.get_scale())
    return scales, stepped


def fresh_plan(n, seed):
    rng = random.Random(seed)
    return [rng.choice([None, None, None, "inf", "-inf", "nan"]) for _ in range(n)]


@pytest.mark.parametrize("optim", ["SGD", "Adam"])
@pytest.mark.parametrize("unscale_clip", [False, True])
def test_training_matches_torch(seed, optim, unscale_clip):
    tp, xp = make_params([(6, 3), (3,)])
    xs_t = [rand((5, 6)) for _ in range(14)]
    xs_x = [cpu(x) for x in xs_t]
    plan = fresh_plan(len(xs_t), seed)
    kw = dict(init_scale=2.0**6, growth_factor=2.0, backoff_factor=0.5, growth_interval=3)
    topt = getattr(torch.optim, optim)(tp, lr=0.05)
    xopt = getattr(ts.optim, optim)(xp, lr=0.05)
    tscaler = torch.amp.GradScaler("cpu", **kw)
    xscaler = ts.amp.GradScaler("cpu", **kw)
    t_scales, t_stepped = training_run(torch, tp, topt, tscaler, xs_t, plan, unscale_clip)
    x_scales, x_stepped = training_run(ts, xp, xopt, xscaler, xs_x, plan, unscale_clip)
    assert x_scales == t_scales
    assert x_stepped == t_stepped == [p is None for p in plan]
    for x, t in zip(xp, tp):
        assert_close(x.detach(), t.detach(), rtol=1e-5, atol=1e-6)
    assert xscaler.state_dict() == tscaler.state_dict()


def test_several_optimizers_and_devices_of_flags(seed):
    """One scaler, two optimizers: each is unscaled once and skipped on its own infs; update sees both."""
    tp, xp = make_params([(4, 2), (2,), (4, 2), (2,)])
    kw = dict(init_scale=256.0, growth_interval=2)
    topts = [torch.optim.SGD(tp[:2], lr=0.1), torch.optim.SGD(tp[2:], lr=0.1)]
    xopts = [ts.optim.SGD(xp[:2], lr=0.1), ts.optim.SGD(xp[2:], lr=0.1)]
    tsc, xsc = torch.amp.GradScaler("cpu", **kw), ts.amp.GradScaler("cpu", **kw)
    for it in range(6):
        x = rand((3, 4))
        for m, params, opts, sc, xin in ((torch, tp, topts, tsc, x), (ts, xp, xopts, xsc, cpu(x))):
            for o in opts:
                o.zero_grad()
            loss = loss_of(m, params[:2], xin) + loss_of(m, params[2:], xin)
            sc.scale(loss).backward()
            if it % 3 == 1:
                poison(params[2:], "nan", m)
            sc.unscale_(opts[0])
            sc.step(opts[0])
            sc.step(opts[1])
            sc.update()
        assert xsc.get_scale() == tsc.get_scale()
    for x, t in zip(xp, tp):
        assert_close(x.detach(), t.detach(), rtol=1e-5, atol=1e-6)


def test_state_dict_round_trip_and_pickle(seed):
    xp = [cpu(rand((3,))).requires_grad_()]
    sc = ts.amp.GradScaler("cpu", init_scale=8.0, growth_interval=1)
    opt = ts.optim.SGD(xp, lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        sc.scale((xp[0] * xp[0]).sum()).backward()
        sc.step(opt)
        sc.update()
    sd = sc.state_dict()
    assert sd == {"scale": 64.0, "growth_factor": 2.0, "backoff_factor": 0.5, "growth_interval": 1,
                  "_growth_tracker": 0}
    other = ts.amp.GradScaler("cpu")
    other.load_state_dict(sd)
    assert other.state_dict() == sd and other.get_scale() == 64.0
    clone = pickle.loads(pickle.dumps(sc))
    assert clone.state_dict() == sd
    tsc = torch.amp.GradScaler("cpu")
    tsc.load_state_dict(sd)
    assert tsc.state_dict() == sd


def test_scale_outputs_and_getters(seed):
    sc = ts.amp.GradScaler("cpu", init_scale=4.0)
    assert sc.get_scale() == 4.0 and sc.is_enabled()
    a, b = cpu(rand((2,))), cpu(rand((3,)))
    out = sc.scale([a, (b, [a])])
    assert isinstance(out, list) and isinstance(out[1], tuple) and isinstance(out[1][1], list)
    assert_close(out[0], to_torch(a) * 4.0)
    assert_close(out[1][1][0], to_torch(a) * 4.0)
    with pytest.raises(ValueError, match="outputs must be a Tensor or an iterable of Tensors"):
        sc.scale([a, 3])
    sc.set_growth_factor(3.0)
    sc.set_backoff_factor(0.25)
    sc.set_growth_interval(7)
    assert (sc.get_growth_factor(), sc.get_backoff_factor(), sc.get_growth_interval()) == (3.0, 0.25, 7)
    sc.update(new_scale=2.0)
    assert sc.get_scale() == 2.0
    sc.update(new_scale=ts.full((), 5.0))
    assert sc.get_scale() == 5.0


def test_disabled_scaler(seed):
    xp = [cpu(rand((3,))).requires_grad_()]
    opt = ts.optim.SGD(xp, lr=0.1)
    sc = ts.amp.GradScaler("cpu", enabled=False)
    loss = (xp[0] * 2).sum()
    assert sc.scale(loss) is loss
    loss.backward()
    before = xp[0].detach().clone()
    sc.unscale_(opt)
    sc.step(opt)
    sc.update()
    assert not bool((xp[0].detach() == before).all())
    assert sc.get_scale() == 1.0 and sc.state_dict() == {} and not sc.is_enabled()
    sc.load_state_dict({})  # a no-op when disabled


def test_cuda_scaler_without_gpu_disables_itself():
    if ts.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.warns(UserWarning, match="CUDA is not available.  Disabling."):
        sc = ts.amp.GradScaler()
    assert not sc.is_enabled()
    with pytest.warns(FutureWarning, match=r"tessera.amp.GradScaler\('cuda'"):
        ts.cuda.amp.GradScaler(enabled=False)


def _misuse(m, case):
    """Runs one misuse `case` with torch or tessera and returns the exception."""
    amp, optim = (torch.amp, torch.optim) if m is torch else (ts.amp, ts.optim)
    p = torch.ones(3, requires_grad=True) if m is torch else ts.ones(3, requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    sc = amp.GradScaler("cpu")

    def backward():
        sc.scale((p * p).sum()).backward()

    try:
        if case == "unscale_twice":
            backward(), sc.unscale_(opt), sc.unscale_(opt)
        elif case == "unscale_after_step":
            backward(), sc.step(opt), sc.unscale_(opt)
        elif case == "step_twice":
            backward(), sc.step(opt), sc.step(opt)
        elif case == "update_before_scale":
            sc.update()
        elif case == "step_before_scale":
            sc.step(opt)
        elif case == "step_without_grads":
            sc.scale((p * p).sum())
            sc.step(opt)
        elif case == "update_without_step":
            backward(), sc.update()
        elif case == "closure":
            backward(), sc.step(opt, closure=lambda: None)
        elif case == "growth_factor":
            amp.GradScaler("cpu", growth_factor=1.0)
        elif case == "backoff_factor":
            amp.GradScaler("cpu", backoff_factor=1.0)
        elif case == "fp16_grads":
            q = (torch.ones(3, dtype=torch.float16) if m is torch else ts.ones(3, dtype=ts.float16)).requires_grad_()
            o = optim.SGD([q], lr=0.1)
            sc.scale((q * q).sum()).backward()
            sc.unscale_(o)
        elif case == "empty_state_dict":
            sc.load_state_dict({})
        elif case == "pickle_mid_iteration":
            backward(), sc.unscale_(opt), pickle.dumps(sc)
        elif case == "new_scale_requires_grad":
            backward(), sc.step(opt)
            sc.update(new_scale=(torch.ones(()) if m is torch else ts.ones(())).requires_grad_())
        elif case == "new_scale_two_elements":
            backward(), sc.step(opt)
            sc.update(new_scale=torch.ones(2) if m is torch else ts.ones(2))
    except Exception as e:  # noqa: BLE001  (compared below)
        return e
    return None


MISUSES = ["unscale_twice", "unscale_after_step", "step_twice", "update_before_scale", "step_before_scale",
           "step_without_grads", "update_without_step", "closure", "growth_factor", "backoff_factor", "fp16_grads",
           "empty_state_dict", "pickle_mid_iteration", "new_scale_requires_grad", "new_scale_two_elements"]


@pytest.mark.parametrize("case", MISUSES)
def test_misuse_errors_match_torch(case):
    te, xe = _misuse(torch, case), _misuse(ts, case)
    assert te is not None and xe is not None, (te, xe)
    assert type(xe) is type(te)
    msg_t = str(te).replace("torch.cuda.FloatTensor or torch.FloatTensor", "tessera.Tensor (float32)")
    if type(te) is not AssertionError or "new_scale" not in case:
        assert str(xe).split(".")[0] == msg_t.split(".")[0], (str(xe), str(te))


# ---- the fused ops against torch's

FLOATS = [torch.float32, torch.float64, torch.float16, torch.bfloat16]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("bad", [None, "inf", "-inf", "nan"])
@pytest.mark.parametrize("inv", [0.125, 1.0, 3.0 ** -5])
def test_unscale_op_matches_torch(seed, dtype, bad, inv):
    shapes = [(7,), (40000,), (3, 5), (0,), ()]
    grads = [rand(s, dtype) for s in shapes]
    if bad:
        grads[1].view(-1)[random.Random(seed).randrange(40000)] = float(bad)
    xs = [cpu(g) for g in grads]
    nc = rand((6, 4), dtype).t()  # a non-contiguous gradient is unscaled in place too
    xnc = cpu(nc.t().contiguous()).t()
    tf, xf = torch.zeros(()), ts.zeros(())
    tinv = torch.full((), inv)
    torch._amp_foreach_non_finite_check_and_unscale_(grads + [nc], tf, tinv)
    ts._amp_foreach_non_finite_check_and_unscale_(xs + [xnc], xf, cpu(tinv))
    assert xf.item() == tf.item() == (1.0 if bad else 0.0)
    for x, g in zip(xs + [xnc], grads + [nc]):
        assert_close(x, g, rtol=0, atol=0)
    assert not xnc.is_contiguous()


def test_unscale_op_keeps_a_set_flag_and_mixed_dtypes(seed):
    xs = [cpu(rand((5,), d)) for d in FLOATS]
    flag = ts.ones(())
    ts._amp_foreach_non_finite_check_and_unscale_(xs, flag, ts.full((), 0.5))
    assert flag.item() == 1.0  # never cleared: the caller zeroes it
    ts._amp_foreach_non_finite_check_and_unscale_([], flag, ts.full((), 0.5))  # empty list: nothing to check


def test_update_scale_op_matches_torch(seed):
    rng = random.Random(seed)
    for growth_interval in (1, 3):
        tscale, ttracker = torch.full((), 3.0e37), torch.zeros((), dtype=torch.int32)
        xscale, xtracker = ts.full((), 3.0e37), ts.zeros((), dtype=ts.int32)
        for _ in range(40):
            inf = float(rng.random() < 0.2)
            r = torch._amp_update_scale_(tscale, ttracker, torch.full((), inf), 2.0, 0.5, growth_interval)
            xr = ts._amp_update_scale_(xscale, xtracker, ts.full((), inf), 2.0, 0.5, growth_interval)
            assert r is tscale and xr.data_ptr() == xscale.data_ptr()
            assert xscale.item() == tscale.item() and xtracker.item() == ttracker.item()
        assert xscale.item() < float("inf")  # never grown past float32's range


BAD = [
    # (description, call(m) -> None, message fragment shared with torch)
    ("found_inf float64", lambda m: m._amp_foreach_non_finite_check_and_unscale_(
        [m.ones(2)], m.zeros((), dtype=m.float64), m.ones(())), "found_inf must be a float tensor."),
    ("found_inf 2 elements", lambda m: m._amp_foreach_non_finite_check_and_unscale_(
        [m.ones(2)], m.zeros(2), m.ones(())), "found_inf must be a 1-element tensor."),
    ("inv_scale int", lambda m: m._amp_foreach_non_finite_check_and_unscale_(
        [m.ones(2)], m.zeros(()), m.ones((), dtype=m.int32)), "inv_scale must be a float tensor."),
    ("tracker int64", lambda m: m._amp_update_scale_(
        m.ones(()), m.zeros((), dtype=m.int64), m.zeros(()), 2.0, 0.5, 1), "growth_tracker must be an int tensor."),
    ("scale float64", lambda m: m._amp_update_scale_(
        m.ones((), dtype=m.float64), m.zeros((), dtype=m.int32), m.zeros(()), 2.0, 0.5, 1),
     "current_scale must be a float tensor."),
    ("scale 2 elements", lambda m: m._amp_update_scale_(
        m.ones(2), m.zeros((), dtype=m.int32), m.zeros(()), 2.0, 0.5, 1), "current_scale must be a 1-element tensor."),
]


@pytest.mark.parametrize("desc,call,msg", BAD, ids=[b[0] for b in BAD])
def test_bad_op_arguments_like_torch(desc, call, msg):
    with pytest.raises(RuntimeError, match=msg):
        call(torch)
    with pytest.raises(RuntimeError, match=r"^\[_amp_\w+\] " + msg):
        call(ts)


def test_integer_grads_refused(seed):
    with pytest.raises(RuntimeError):
        torch._amp_foreach_non_finite_check_and_unscale_([torch.ones(2, dtype=torch.int32)], torch.zeros(()),
                                                         torch.ones(()))
    with pytest.raises(RuntimeError, match=r"\[_amp_foreach_non_finite_check_and_unscale_\] .*floating"):
        ts._amp_foreach_non_finite_check_and_unscale_([ts.ones(2, dtype=ts.int32)], ts.zeros(()), ts.ones(()))


def test_ops_do_not_record_graphs(seed):
    """Nondifferentiable: they write in place even into tensors that require grad (as torch's)."""
    t = torch.ones(3, requires_grad=True)
    torch._amp_foreach_non_finite_check_and_unscale_([t], torch.zeros(()), torch.full((), 0.5))
    g = ts.ones(3, requires_grad=True)
    ts._amp_foreach_non_finite_check_and_unscale_([g], ts.zeros(()), ts.full((), 0.5))
    assert g.grad_fn is None and t.grad_fn is None
    assert_close(g.detach(), t.detach())

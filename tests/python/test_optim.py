"""Optimizers and schedulers against torch.optim: same initial parameters, same gradients each
step, parameters and learning rates must follow the same trajectory."""
import pytest
import torch

import tessera as ts
from helpers import assert_close, rand, to_ts


def make_params(seed_shapes=((5, 3), (3,), (2, 2, 2))):
    tp = [rand(s, torch.float32).requires_grad_() for s in seed_shapes]
    sp = [ts.nn.Parameter(to_ts(t.detach())) for t in tp]
    return tp, sp


OPTIMIZERS = {
    "sgd": (lambda m, p: m.optim.SGD(p, lr=0.1), None),
    "sgd_momentum_wd": (lambda m, p: m.optim.SGD(p, lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01), None),
    "sgd_nesterov_max": (lambda m, p: m.optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True, maximize=True), None),
    "adam": (lambda m, p: m.optim.Adam(p, lr=0.01), None),
    "adam_wd_amsgrad": (lambda m, p: m.optim.Adam(p, lr=0.02, betas=(0.8, 0.99), weight_decay=0.1, amsgrad=True),
                        None),
    "adamw": (lambda m, p: m.optim.AdamW(p, lr=0.01), None),
    "adamw_step": (lambda m, p: m.optim.AdamW(p, lr=0.05, weight_decay=0.2),
                   lambda m, o: m.optim.lr_scheduler.StepLR(o, step_size=7, gamma=0.5)),
    "adamw_cosine": (lambda m, p: m.optim.AdamW(p, lr=0.05), lambda m, o: m.optim.lr_scheduler.CosineAnnealingLR(o, 20)),
    "sgd_linear": (lambda m, p: m.optim.SGD(p, lr=0.1, momentum=0.5),
                   lambda m, o: m.optim.lr_scheduler.LinearLR(o, start_factor=0.2, total_iters=10)),
    "adam_lambda": (lambda m, p: m.optim.Adam(p, lr=0.03),
                    lambda m, o: m.optim.lr_scheduler.LambdaLR(o, lambda e: 1.0 / (1 + e))),
    "adamw_sequential": (lambda m, p: m.optim.AdamW(p, lr=0.05), lambda m, o: m.optim.lr_scheduler.SequentialLR(
        o, [m.optim.lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=5),
            m.optim.lr_scheduler.CosineAnnealingLR(o, T_max=30)], milestones=[5])),
}


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_trajectory_matches_torch(seed, name):
    make_opt, make_sched = OPTIMIZERS[name]
    tp, sp = make_params()
    topt, sopt = make_opt(torch, tp), make_opt(ts, sp)
    tsched = make_sched(torch, topt) if make_sched else None
    ssched = make_sched(ts, sopt) if make_sched else None
    for step in range(50):
        for t, s in zip(tp, sp):
            g = rand(tuple(t.shape), torch.float32)
            t.grad = g.clone()
            s.grad = to_ts(g)
        topt.step()
        sopt.step()
        if tsched:
            tsched.step()
            ssched.step()
            assert ssched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-6), step
        for t, s in zip(tp, sp):
            # 50 steps of float32 updates: rounding may drift by a few ulp of the parameters' scale.
            assert_close(s.detach(), t.detach(), rtol=1e-5, atol=1e-5)


def test_param_groups_and_zero_grad(seed):
    tp, sp = make_params()
    opt = ts.optim.SGD([{"params": sp[:2]}, {"params": sp[2:], "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    for s in sp:
        s.grad = ts.ones_like(s)
    opt.step()
    opt.zero_grad()
    assert all(s.grad is None for s in sp)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": sp[:1]})


def test_state_dict_round_trip_continues_identically(seed):
    tp, sp = make_params()
    a = ts.optim.Adam(sp, lr=0.01, amsgrad=True)
    for s in sp:
        s.grad = to_ts(rand(tuple(s.shape)))
    a.step()
    sd = a.state_dict()
    assert set(sd) == {"state", "param_groups"} and sd["param_groups"][0]["params"] == [0, 1, 2]
    clones = [ts.nn.Parameter(s.detach().clone()) for s in sp]
    b = ts.optim.Adam(clones, lr=0.01, amsgrad=True)
    b.load_state_dict(sd)
    for s, c in zip(sp, clones):
        g = to_ts(rand(tuple(s.shape)))
        s.grad, c.grad = g, g.clone()
    a.step()
    b.step()
    for s, c in zip(sp, clones):
        assert_close(c.detach(), torch.from_numpy(s.detach().numpy().copy()))


def test_bad_optimizer_arguments():
    _, sp = make_params()
    with pytest.raises(ValueError, match="learning rate"):
        ts.optim.SGD(sp, lr=-1)
    with pytest.raises(ValueError, match="beta"):
        ts.optim.Adam(sp, betas=(1.0, 0.9))
    with pytest.raises(ValueError, match="Nesterov"):
        ts.optim.SGD(sp, lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="empty parameter list"):
        ts.optim.Adam([])
    with pytest.raises(TypeError, match="iterable"):
        ts.optim.Adam(sp[0])
    with pytest.raises(RuntimeError, match=r"\[_fused_adam_\] grads\[0\] must be"):
        ts._C._fused_adam_(sp, [ts.zeros(1)] * 3, sp, sp, [], [1, 1, 1], 0.1, 0.9, 0.99, 0.0, 1e-8, False, False,
                           False)
    with pytest.raises(ValueError, match="step counts"):
        ts._C._fused_adam_(sp[:1], sp[:1], sp[:1], sp[:1], [], [0], 0.1, 0.9, 0.99, 0.0, 1e-8, False, False, False)

"""The GradScaler ops on CUDA (csrc/cuda/kernels/amp) against torch's CPU ops and tessera's CPU
kernels: long lists (several multi-tensor launches), tensors spanning many chunks and launches,
empty, misaligned and strided tensors, every floating dtype, infs/NaNs anywhere; the scale update;
a GradScaler + autocast training loop on the device against torch on the CPU.

Skipped without a GPU. TESSERA_CUDA_TEST_DEVICE=cpu runs the same checks on the CPU."""
import os
import random

import pytest
import torch

import tessera as ts
from helpers import assert_close, rand, to_torch, to_ts

DEV = os.environ.get("TESSERA_CUDA_TEST_DEVICE", "cuda")
pytestmark = pytest.mark.skipif(DEV == "cuda" and not ts.cuda.is_available(), reason="needs a CUDA GPU")

FLOATS = [torch.float32, torch.float16, torch.bfloat16, torch.float64]


def dev(t):
    return to_ts(t).to(DEV)


def unscale_all(grads, inv, found=0.0):
    """torch CPU, tessera CPU and tessera on DEV on copies of `grads`; returns the three results."""
    tg = [g.clone() for g in grads]
    tf = torch.full((), found)
    torch._amp_foreach_non_finite_check_and_unscale_(tg, tf, torch.full((), inv))
    cg = [to_ts(g).to("cpu") for g in grads]
    cf = ts.full((), found)
    ts._amp_foreach_non_finite_check_and_unscale_(cg, cf, ts.full((), inv))
    dg = [dev(g) for g in grads]
    df = ts.full((), found, device=DEV)
    ts._amp_foreach_non_finite_check_and_unscale_(dg, df, ts.full((), inv, device=DEV))
    return (tg, tf), (cg, cf), (dg, df)


def check(results):
    (tg, tf), (cg, cf), (dg, df) = results
    assert df.item() == cf.item() == tf.item()
    for t, c, d in zip(tg, cg, dg):
        assert_close(d.to("cpu"), t, rtol=0, atol=0)
        assert_close(d.to("cpu"), to_torch(c), rtol=0, atol=0)


@pytest.mark.parametrize("bad", [None, "inf", "-inf", "nan"])
def test_long_mixed_list(seed, bad):
    rng = random.Random(seed)
    sizes = [rng.choice([0, 1, 3, 17, 1000, 65535, 65536, 65537, 200_003]) for _ in range(300)]
    grads = [rand((n,), rng.choice(FLOATS)) for n in sizes]
    if bad:
        victims = [g for g in grads if g.numel() > 0]
        v = rng.choice(victims)
        v[rng.randrange(v.numel())] = float(bad)
    check(unscale_all(grads, 2.0 ** -rng.randrange(1, 20)))


@pytest.mark.parametrize("dtype", FLOATS)
def test_one_tensor_over_many_launches(seed, dtype):
    n = 320 * 65536 + 12345  # more chunks than one launch takes: the tensor continues in the next
    g = rand((n,), dtype)
    pos = random.Random(seed).choice([0, 65536 * 320 - 1, 65536 * 320, n - 1])
    g[pos] = float("inf")
    check(unscale_all([g], 0.25))
    g[pos] = 1.0
    check(unscale_all([g], 0.25))


@pytest.mark.parametrize("dtype", FLOATS)
def test_many_small_tensors_over_table_limit(seed, dtype):
    grads = [rand((5,), dtype) for _ in range(500)]  # more tensors than one launch's table holds
    grads[-1][4] = float("nan")
    check(unscale_all(grads, 0.5))
    grads[-1][4] = 0.0
    check(unscale_all(grads, 0.5))


@pytest.mark.parametrize("dtype", FLOATS)
def test_misaligned_and_strided(seed, dtype):
    base = rand((1 + 4097,), dtype)
    mat = rand((70, 90), dtype)
    mat[3, 5] = float("-inf")
    tg = [base[1:].clone(), mat.t().clone()]
    (tres, tf) = (tg, torch.zeros(()))
    torch._amp_foreach_non_finite_check_and_unscale_(tres, tf, torch.full((), 0.125))
    dbase = dev(base)
    dmat = dev(mat).t()  # strided: unscaled through a dense copy written back
    dg = [dbase[1:], dmat]  # dbase[1:] is contiguous but not 16-byte aligned: the scalar path
    df = ts.zeros((), device=DEV)
    ts._amp_foreach_non_finite_check_and_unscale_(dg, df, ts.full((), 0.125, device=DEV))
    assert df.item() == tf.item() == 1.0
    assert_close(dg[0].to("cpu"), tres[0], rtol=0, atol=0)
    assert_close(dg[1].to("cpu"), tres[1], rtol=0, atol=0)
    assert_close(dbase[:1].to("cpu"), base[:1], rtol=0, atol=0)  # the element before is untouched


@pytest.mark.parametrize("dtype", FLOATS)
def test_inv_scale_one_only_checks(seed, dtype):
    g = rand((100_000,), dtype)
    g[777] = float("nan")
    check(unscale_all([g], 1.0))
    check(unscale_all([rand((10,), dtype)], 1.0, found=1.0))  # a set flag stays set


def test_empty_list_and_empty_tensors(seed):
    df = ts.zeros((), device=DEV)
    ts._amp_foreach_non_finite_check_and_unscale_([], df, ts.ones((), device=DEV))
    check(unscale_all([torch.empty(0), torch.empty(0, 3, dtype=torch.float16)], 0.5))
    assert df.item() == 0.0


def test_update_scale_sequence(seed):
    rng = random.Random(seed)
    for interval in (1, 2, 5):
        tscale, ttracker = torch.full((), 2.0 ** 120), torch.zeros((), dtype=torch.int32)
        dscale, dtracker = ts.full((), 2.0 ** 120, device=DEV), ts.zeros((), dtype=ts.int32, device=DEV)
        for _ in range(60):
            inf = float(rng.random() < 0.25)
            torch._amp_update_scale_(tscale, ttracker, torch.full((), inf), 2.0, 0.5, interval)
            r = ts._amp_update_scale_(dscale, dtracker, ts.full((), inf, device=DEV), 2.0, 0.5, interval)
            assert r.data_ptr() == dscale.data_ptr()
            assert dscale.item() == tscale.item() and dtracker.item() == ttracker.item()


def test_wrong_device_arguments():
    if DEV == "cpu":
        pytest.skip("needs two device types")
    g = ts.ones(3, device=DEV)
    with pytest.raises(RuntimeError, match=r"\[_amp_foreach_non_finite_check_and_unscale_\] found_inf must be a "
                                           r"CUDA tensor\."):
        ts._amp_foreach_non_finite_check_and_unscale_([g], ts.zeros(()), ts.ones((), device=DEV))
    with pytest.raises(RuntimeError, match=r"one of scaled_grads was not a CUDA tensor\."):
        ts._amp_foreach_non_finite_check_and_unscale_([g, ts.ones(3)], ts.zeros((), device=DEV),
                                                      ts.ones((), device=DEV))
    with pytest.raises(RuntimeError, match=r"\[_amp_update_scale_\] growth_tracker must be a CUDA tensor\."):
        ts._amp_update_scale_(ts.ones((), device=DEV), ts.zeros((), dtype=ts.int32), ts.zeros((), device=DEV),
                              2.0, 0.5, 1)


def test_training_loop_with_autocast(seed):
    """A GradScaler + autocast loop on DEV against torch on the CPU doing the same casts by hand."""
    ac_dtype = ts.float16 if DEV == "cuda" else ts.bfloat16
    t_ac = torch.float16 if DEV == "cuda" else torch.bfloat16
    w0, b0 = rand((8, 4)), rand((4,))
    tw, tb = w0.clone().requires_grad_(), b0.clone().requires_grad_()
    xw, xb = dev(w0).requires_grad_(), dev(b0).requires_grad_()
    topt, xopt = torch.optim.SGD([tw, tb], lr=0.01), ts.optim.SGD([xw, xb], lr=0.01)
    tsc = torch.amp.GradScaler("cpu", init_scale=2.0 ** 10, growth_interval=2)
    xsc = ts.amp.GradScaler(DEV, init_scale=2.0 ** 10, growth_interval=2)
    for it in range(8):
        x = rand((16, 8))
        topt.zero_grad()
        xopt.zero_grad()
        ty = torch.nn.functional.linear(x.to(t_ac), tw.t().to(t_ac), tb.to(t_ac))
        tloss = torch.nn.functional.mse_loss(ty.float(), torch.zeros(16, 4))
        with ts.autocast(DEV, dtype=ac_dtype):
            xy = ts.nn.functional.linear(dev(x), xw.t(), xb)
            assert xy.dtype == ac_dtype
            xloss = ts.nn.functional.mse_loss(xy, ts.zeros(16, 4, device=DEV).to(ac_dtype))
            assert xloss.dtype == ts.float32
        tsc.scale(tloss).backward()
        xsc.scale(xloss).backward()
        if it == 3:
            tw.grad[0, 0] = float("inf")
            xw.grad[0, 0] = float("inf")
        tsc.step(topt)
        xsc.step(xopt)
        tsc.update()
        xsc.update()
        assert xsc.get_scale() == tsc.get_scale()
    assert_close(xw.detach().to("cpu"), tw.detach(), rtol=2e-2, atol=2e-3)
    assert_close(xb.detach().to("cpu"), tb.detach(), rtol=2e-2, atol=2e-3)

"""Tensors on several devices: the same-device check every GPU call gets (dispatch/device_check.h),
CPU index tensors on GPU tensors, and work on a second GPU (cuda:1) with peer copies.

Needs a GPU (two for the multi-GPU tests); skipped otherwise."""
import pytest
import torch

import tessera as ts
from helpers import assert_close, rand, to_torch, to_ts

pytestmark = pytest.mark.skipif(not ts.cuda.is_available(), reason="needs a CUDA GPU")
two_gpus = pytest.mark.skipif(ts.cuda.device_count() < 2, reason="needs two GPUs")

SAME_DEVICE = r"Expected all tensors to be on the same device, but found at least two devices"


def on(x: torch.Tensor, device: str) -> ts.Tensor:
    return to_ts(x).to(device)


# Calls that mix a GPU tensor with a CPU one (not 0-d): every family of front-end.
MIXED_CALLS = {
    "add": lambda g, c: ts.add(g, c),
    "matmul": lambda g, c: ts.matmul(g, c),
    "cat": lambda g, c: ts.cat([g, c]),
    "where": lambda g, c: ts.where(g > 0, g, c),
    "index_select": lambda g, c: ts.index_select(g, 0, ts.zeros(2, dtype=ts.int64)),
    "layer_norm": lambda g, c: ts.nn.functional.layer_norm(g, (4,), weight=c[0]),
    "mse_loss": lambda g, c: ts.nn.functional.mse_loss(g, c),
    "embedding": lambda g, c: ts.nn.functional.embedding(ts.zeros(2, dtype=ts.int64), g),
    "linear": lambda g, c: ts.nn.functional.linear(g, c),
}


@pytest.mark.parametrize("name", sorted(MIXED_CALLS))
def test_mixing_cpu_and_gpu_tensors_raises(seed, name):
    g, c = on(rand((4, 4)), "cuda"), to_ts(rand((4, 4)))
    with pytest.raises(RuntimeError, match=SAME_DEVICE):
        MIXED_CALLS[name](g, c)
    # the process and the device keep working
    assert_close((g * 2).cpu(), to_torch(g.cpu()) * 2)


def test_cpu_scalars_and_cpu_indices_are_allowed(seed):
    x = rand((5, 3))
    g = on(x, "cuda")
    assert_close((g * ts.tensor(2.0)).cpu(), x * 2)  # a 0-d CPU tensor joins any device
    idx = torch.tensor([4, 0, 2])
    assert_close(g[to_ts(idx)].cpu(), x[idx])  # CPU indices move to the GPU
    mask = x[:, 0] > 0
    assert_close(g[to_ts(mask)].cpu(), x[mask])
    g[to_ts(idx)] = ts.tensor(0.0)
    x[idx] = 0.0
    assert_close(g.cpu(), x)


def test_copies_between_cpu_and_gpu_are_allowed(seed):
    x = rand((6, 2))
    g = ts.empty(6, 2, device="cuda")
    g.copy_(to_ts(x))
    assert_close(g.cpu(), x)
    c = ts.empty(6, 2)
    c.copy_(g)
    assert_close(c, x)


@two_gpus
def test_ops_on_the_second_gpu(seed):
    a, b = rand((64, 32)), rand((32, 16))
    ga, gb = on(a, "cuda:1"), on(b, "cuda:1")
    before = ts.cuda.current_device()
    out = ts.relu(ga @ gb + 1)
    assert out.device == ts.device("cuda:1") and ts.cuda.current_device() == before
    assert_close(out.cpu(), torch.relu(a @ b + 1), rtol=1e-4, atol=1e-4)
    ga.requires_grad_()
    ts.sum(ts.tanh(ga)).backward()
    assert ga.grad.device == ts.device("cuda:1")
    assert_close(ga.grad.cpu(), 1 - torch.tanh(a) ** 2, rtol=1e-5, atol=1e-5)


@two_gpus
def test_peer_copies_and_mixing_gpus(seed):
    x = rand((257, 33))
    g0 = on(x, "cuda:0")
    g1 = g0.to("cuda:1", non_blocking=True)
    assert g1.device == ts.device("cuda:1")
    assert_close(g1.to("cuda:0").cpu(), x, rtol=0, atol=0)
    assert_close(g0.t().to("cuda:1").cpu(), x.t(), rtol=0, atol=0)  # strided source
    with pytest.raises(RuntimeError, match=SAME_DEVICE + r", cuda:0 and cuda:1"):
        ts.add(g0, g1)
    with pytest.raises(RuntimeError, match=SAME_DEVICE):
        ts.matmul(g0, g1.t())
    with ts.cuda.device(1):
        made = ts.ones(3, device="cuda")
        s = ts.cuda.Stream()
        assert s.device == ts.device("cuda:1")
    assert made.device == ts.device("cuda:1")

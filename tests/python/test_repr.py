"""repr()/str() against PyTorch's text, with `torch.` replaced by `tessera.`."""
import math
import re

import pytest
import torch

import tessera as ts
from helpers import rand, to_ts, torch_on_test_device


def norm(s):
    # "tessera." is 2 characters longer than "torch.", so a suffix may wrap onto its own line in one
    # text and not in the other: compare suffixes independent of that wrapping.
    return re.sub(r",\s*\n\s*(dtype|size)=", r", \1=", s)


def check(t: torch.Tensor):
    expected = norm(repr(torch_on_test_device(t)).replace("torch.", "tessera."))
    x = to_ts(t)
    assert norm(repr(x)) == expected, f"\n{repr(x)}\n!=\n{expected}"
    assert norm(str(x)) == expected


FIXED = [
    torch.tensor([1, 2, 3]), torch.tensor([[1, 2], [3, 4]]), torch.tensor([-100, 5, 123456789]),
    torch.tensor([1., 2., 3.]), torch.tensor([1.5, 2.25, -3.125]), torch.tensor([1e-5, 1.0]),
    torch.tensor([1e9, 1.0]), torch.tensor([123456.789, 0.001]), torch.tensor([1e10, 1.]),
    torch.tensor([float("nan"), float("inf"), -float("inf"), 1.5]), torch.tensor([float("nan"), 2.0]),
    torch.tensor([0., 0.]), torch.tensor([0., -0.]), torch.tensor([1e-8, 2e-8]), torch.tensor([100., 200000.]),
    torch.tensor(3.5), torch.tensor(3), torch.tensor(True), torch.tensor(1e-8), torch.tensor(float("nan")),
    torch.tensor(-0.0), torch.tensor(2.0, dtype=torch.float16), torch.tensor(7, dtype=torch.int32),
    torch.tensor([]), torch.zeros(0, 3), torch.zeros(0, dtype=torch.int64), torch.zeros(2, 0, 3, dtype=torch.float16),
    torch.zeros(0, dtype=torch.bool), torch.tensor([True, False]), torch.tensor([[True], [False]]),
    torch.tensor([1, 2], dtype=torch.int32), torch.tensor([1, 2], dtype=torch.uint8),
    torch.tensor([-1, 2], dtype=torch.int8), torch.tensor([300, 2], dtype=torch.int16),
    torch.tensor([1.5, 2.5], dtype=torch.float64), torch.tensor([1.5, 2.5], dtype=torch.float16),
    torch.tensor([1.5, 2.5], dtype=torch.bfloat16), torch.tensor([65504., 1e-3], dtype=torch.float16),
    torch.arange(2000), torch.arange(1001.), torch.arange(1000.), torch.arange(30.) * 1.5, torch.arange(100) * 1000,
    torch.linspace(-1, 1, 41), torch.arange(24.).reshape(2, 3, 4), torch.arange(2 * 3 * 4 * 5).reshape(2, 3, 4, 5),
    torch.arange(5000.).reshape(50, 100), torch.arange(3000).reshape(10, 10, 30),
    torch.tensor([[1e-10, 1.0], [1e5, 3.0]], dtype=torch.float64),
]


@pytest.mark.parametrize("t", FIXED, ids=[f"fixed{i}" for i in range(len(FIXED))])
def test_repr_fixed(t):
    check(t)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4), (30,), (1, 1), (40, 40), (3, 500), (2, 2, 300)])
@pytest.mark.parametrize("scale", [1.0, 1e-6, 1e6, 1e12])
def test_repr_random_floats(seed, dtype, shape, scale):
    t = (rand(shape, torch.float64) * scale).to(dtype)
    if dtype == torch.float16 and scale > 1e4:
        t = rand(shape, torch.float16, low=-6e4, high=6e4)
    check(t)


@pytest.mark.parametrize("dtype", [torch.int64, torch.int32, torch.uint8, torch.bool, torch.int16])
@pytest.mark.parametrize("shape", [(), (7,), (4, 5), (2, 3, 2), (50,), (1001,), (20, 60)])
def test_repr_random_ints_bools(seed, dtype, shape):
    check(rand(shape, dtype, low=-1000, high=100000))


def test_repr_noncontiguous_and_special(seed):
    t = rand((4, 6))
    x = to_ts(t, noncontig=True)
    assert norm(repr(x)) == norm(repr(torch_on_test_device(t)).replace("torch.", "tessera."))
    s = torch.tensor([math.pi, -math.e, float("inf")])
    check(s)


def test_printoptions_roundtrip():
    opts = ts.get_printoptions()
    try:
        ts.set_printoptions(precision=2)
        torch.set_printoptions(precision=2)
        check(torch.tensor([1.12345, 2.5]))
        ts.set_printoptions(threshold=5)
        torch.set_printoptions(threshold=5)
        check(torch.arange(10))
    finally:
        ts.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")
    assert ts.get_printoptions() == opts

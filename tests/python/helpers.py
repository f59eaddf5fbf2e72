"""Shared helpers for comparing tessera with PyTorch (the reference) on random inputs.

TESSERA_TEST_DEVICE=cuda runs the suite on the GPU: to_ts places tensors there and the factory
functions default to it (conftest.py); references stay torch's CPU results."""
import os

import numpy as np
import pytest
import torch

import tessera as ts

DEVICE = os.environ.get("TESSERA_TEST_DEVICE", "cpu")

TS_TO_TORCH = {
    ts.bool: torch.bool, ts.uint8: torch.uint8, ts.int8: torch.int8, ts.int16: torch.int16,
    ts.int32: torch.int32, ts.int64: torch.int64, ts.float16: torch.float16,
    ts.bfloat16: torch.bfloat16, ts.float32: torch.float32, ts.float64: torch.float64,
}
TORCH_TO_TS = {v: k for k, v in TS_TO_TORCH.items()}

FLOAT_DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16]
INT_DTYPES = [torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64]
ALL_DTYPES = [torch.bool] + INT_DTYPES + FLOAT_DTYPES

# Tolerances per dtype for values computed in different orders.
TOL = {
    torch.float16: dict(rtol=1e-3, atol=1e-3), torch.bfloat16: dict(rtol=1.6e-2, atol=1e-2),
    torch.float32: dict(rtol=1.3e-6, atol=1e-5), torch.float64: dict(rtol=1e-7, atol=1e-7),
}


def to_ts(t: torch.Tensor, noncontig: bool = False) -> ts.Tensor:
    """A tessera copy of a torch tensor with the same dtype and values.

    noncontig=True gives a strided (non-contiguous) tessera tensor with the same values."""
    t = t.detach()
    dt = t.dtype
    src = t.float() if dt == torch.bfloat16 else t
    arr = src.numpy()
    strided = noncontig and arr.ndim > 0 and arr.size > 0
    if strided:  # every other element of a buffer twice as wide
        big = np.zeros(arr.shape[:-1] + (arr.shape[-1] * 2,), dtype=arr.dtype)
        big[..., ::2] = arr
        arr = big
    else:
        arr = np.array(arr, copy=True, order="C")
    out = ts.from_numpy(arr)
    if DEVICE != "cpu":
        out = out.to(DEVICE)
    if strided:
        out = out[..., ::2]
    if dt == torch.bfloat16:
        out = out.to(ts.bfloat16)
    assert (not noncontig) or dt == torch.bfloat16 or arr.ndim == 0 or arr.size == 0 or arr.shape[-1] <= 1 or not out.is_contiguous()
    return out


def torch_on_test_device(t: torch.Tensor) -> torch.Tensor:
    """`t` on the suite's device when torch can put it there (for texts that name the device)."""
    return t.to(DEVICE) if DEVICE != "cpu" and torch.cuda.is_available() else t


# Behaviour PyTorch has only on the CPU (e.g. ZeroDivisionError for integer division): such tests
# do not apply when the suite runs on the GPU, where torch's CUDA kernels do not check either.
cpu_only = pytest.mark.skipif(DEVICE != "cpu", reason="PyTorch's CPU-only behaviour")


def to_torch(x: ts.Tensor) -> torch.Tensor:
    x = x.cpu()
    if x.dtype == ts.bfloat16:
        return torch.from_numpy(x.float().numpy().copy()).to(torch.bfloat16)
    return torch.from_numpy(np.array(x.numpy(), copy=True))


def assert_close(actual: ts.Tensor, expected: torch.Tensor, check_dtype: bool = True, **tol):
    """Same dtype (mapped), same shape, values equal within the dtype's tolerance."""
    assert isinstance(actual, ts.Tensor), f"expected a tessera.Tensor, got {type(actual)}"
    if check_dtype:
        assert TS_TO_TORCH[actual.dtype] == expected.dtype, f"dtype {actual.dtype} != {expected.dtype}"
    assert tuple(actual.shape) == tuple(expected.shape), f"shape {tuple(actual.shape)} != {tuple(expected.shape)}"
    got = to_torch(actual)
    if not tol:
        tol = TOL.get(expected.dtype, dict(rtol=0, atol=0))
    torch.testing.assert_close(got, expected.to(got.dtype) if not check_dtype else expected,
                               equal_nan=True, **tol)


def rand(shape, dtype=torch.float32, low=-3.0, high=3.0) -> torch.Tensor:
    """Random torch tensor (uses torch's global generator, seeded per test by the `seed` fixture)."""
    if dtype == torch.bool:
        return torch.rand(shape) > 0.5
    if dtype.is_floating_point:
        return (torch.rand(shape, dtype=torch.float64) * (high - low) + low).to(dtype)
    info = torch.iinfo(dtype)
    lo, hi = max(int(low), info.min), min(int(high), info.max)
    if dtype == torch.uint8:
        lo = max(lo, 0)
    return torch.randint(lo, hi + 1, shape, dtype=dtype)


def subprocess_env(**extra) -> dict:
    """Environment for a child Python that imports the same tessera as the tests (in-place build or
    installed package): this process's sys.path becomes its PYTHONPATH."""
    import os
    import sys

    return dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p), **extra)

"""Helpers of the elementwise tests: run an op in tessera and torch and compare, exceptions included."""
import pytest
import torch

from helpers import TOL, assert_close, to_ts

# Transcendental functions may differ by an ulp or two of the storage type from torch's SIMD versions.
LOOSE_TOL = {
    torch.float16: dict(rtol=2e-3, atol=2e-3), torch.bfloat16: dict(rtol=1.6e-2, atol=1.6e-2),
    torch.float32: dict(rtol=1e-5, atol=1e-5), torch.float64: dict(rtol=1e-10, atol=1e-10),
}


def ts_args(args, noncontig=False):
    return [to_ts(a, noncontig=noncontig) if isinstance(a, torch.Tensor) else a for a in args]


def check(ts_fn, th_fn, *args, noncontig=False, loose=False, kwargs=None, **tol):
    """Calls th_fn(*args) and ts_fn(*converted args); same exception type, or same dtype/shape/values."""
    kwargs = kwargs or {}
    try:
        expected = th_fn(*args, **kwargs)
    except Exception as e:  # torch refuses: tessera must refuse with the same exception type
        with pytest.raises(type(e)):
            ts_fn(*ts_args(args, noncontig), **kwargs)
        return None
    got = ts_fn(*ts_args(args, noncontig), **kwargs)
    if not tol and loose:
        tol = LOOSE_TOL.get(expected.dtype, {})
    assert_close(got, expected, **tol)
    return got


def nonzero(t):
    """t with zeros replaced by ones (divisors)."""
    if t.dtype == torch.bool:
        return torch.ones_like(t)
    return torch.where(t == 0, torch.ones_like(t), t)


def tol_of(dtype):
    return TOL.get(dtype, dict(rtol=0, atol=0))

"""Reductions and scans against PyTorch: dtypes, dims, keepdim, non-contiguous, empty, 0-d, NaN."""
import math

import pytest
import torch

import tessera as ts
from helpers import ALL_DTYPES, FLOAT_DTYPES, INT_DTYPES, TS_TO_TORCH, assert_close, rand, to_ts

TORCH_TO_TS_DT = {v: k for k, v in TS_TO_TORCH.items()}


def _compare(got, expected, **tol):
    if isinstance(expected, tuple):
        assert isinstance(got, tuple) and len(got) == len(expected)
        assert got.values is got[0] and got.indices is got[1]
        for g, e in zip(got, expected):
            assert_close(g, e, **tol)
    else:
        assert_close(got, expected, **tol)


def check(fn, *tensors, noncontig=False, **tol):
    """fn(module, *tensors) with module = torch on the torch tensors and tessera on copies.

    Same values and dtype; where torch raises, tessera must raise the same exception type."""
    try:
        expected = fn(torch, *tensors)
    except Exception as e:  # noqa: BLE001 - torch's type is the reference
        with pytest.raises(type(e)):
            fn(ts, *[to_ts(t, noncontig=noncontig) for t in tensors])
        return
    got = fn(ts, *[to_ts(t, noncontig=noncontig) for t in tensors])
    _compare(got, expected, **tol)


DIMS = [None, 0, -1, 1, (0, 2), (2, 0), (-1, 1), (0, 1, 2), ()]
# Loose enough for different summation orders of 60-element reductions in 16-bit types.
LOOSE = {torch.float16: dict(rtol=2e-3, atol=2e-3), torch.bfloat16: dict(rtol=2e-2, atol=2e-2)}


@pytest.mark.parametrize("op", ["sum", "mean", "amax", "amin", "any", "all", "var", "std", "norm", "logsumexp"])
@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_multi_dim_reductions(seed, op, dtype):
    x = rand((3, 4, 5), dtype)
    tol = LOOSE.get(dtype, {})
    for dim in DIMS:
        if op == "logsumexp" and dim in (None, ()):
            continue  # torch requires dim (and rejects ()); tessera's handling is checked below
        for keepdim in (False, True):
            for nc in (False, True):
                check(lambda m, t: getattr(m, op)(t, dim=dim, keepdim=keepdim), x, noncontig=nc, **tol)


@pytest.mark.parametrize("op", ["sum", "mean", "amax", "amin", "any", "all", "var", "std", "norm"])
def test_methods_and_default_dims(seed, op):
    x = rand((4, 6))
    check(lambda m, t: getattr(m, op)(t), x)
    check(lambda m, t: getattr(t, op)(), x)
    check(lambda m, t: getattr(t, op)(0), x)
    check(lambda m, t: getattr(t, op)(dim=(0, 1), keepdim=True), x)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_prod(seed, dtype):
    x = rand((3, 4, 5), dtype, low=-2, high=2)
    tol = LOOSE.get(dtype, {})
    check(lambda m, t: m.prod(t), x, **tol)
    check(lambda m, t: t.prod(), x, noncontig=True, **tol)
    for dim in (0, 1, -1):
        for keepdim in (False, True):
            check(lambda m, t: m.prod(t, dim, keepdim=keepdim), x, noncontig=True, **tol)
            check(lambda m, t: t.prod(dim=dim, keepdim=keepdim), x, **tol)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_result_dtype_argument(seed, dtype):
    x = rand((3, 5), dtype)
    for out in (torch.float64, torch.float32, torch.int64, torch.int32, torch.float16):
        check(lambda m, t: m.sum(t, dtype=TORCH_TO_TS_DT[out] if m is ts else out), x)
        check(lambda m, t: m.sum(t, 1, dtype=TORCH_TO_TS_DT[out] if m is ts else out), x)
        check(lambda m, t: m.prod(t, 0, dtype=TORCH_TO_TS_DT[out] if m is ts else out), x)
        check(lambda m, t: m.mean(t, 1, dtype=TORCH_TO_TS_DT[out] if m is ts else out), x, **LOOSE.get(out, {}))
        check(lambda m, t: m.cumsum(t, 1, dtype=TORCH_TO_TS_DT[out] if m is ts else out), x)
    if dtype.is_floating_point:
        check(lambda m, t: m.norm(t, dim=1, dtype=ts.float64 if m is ts else torch.float64), x)


@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_max_min(seed, op, dtype):
    # A small range of values gives many ties: the index must be the first, as in torch.
    x = rand((4, 5, 6), dtype, low=-2, high=2)
    check(lambda m, t: getattr(m, op)(t), x)
    check(lambda m, t: getattr(t, op)(), x, noncontig=True)
    for dim in (0, 1, 2, -1):
        for keepdim in (False, True):
            for nc in (False, True):
                check(lambda m, t: getattr(m, op)(t, dim, keepdim), x, noncontig=nc)
                check(lambda m, t: getattr(t, op)(dim=dim, keepdim=keepdim), x, noncontig=nc)
    values, indices = getattr(ts, op)(to_ts(x), 1)
    assert_close(values, getattr(torch, op)(x, 1).values)
    assert_close(indices, getattr(torch, op)(x, 1).indices)


@pytest.mark.parametrize("op", ["argmax", "argmin"])
@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_argmax_argmin(seed, op, dtype):
    x = rand((4, 5, 6), dtype, low=-2, high=2)
    for dim in (None, 0, 1, 2, -2):
        for keepdim in (False, True):
            for nc in (False, True):
                check(lambda m, t: getattr(m, op)(t, dim, keepdim), x, noncontig=nc)
                check(lambda m, t: getattr(t, op)(dim=dim, keepdim=keepdim), x, noncontig=nc)


def test_binary_max_min(seed):
    a, b = rand((3, 4)), rand((3, 4))
    check(lambda m, x, y: m.max(x, y), a, b)
    check(lambda m, x, y: m.min(x, y), a, b)
    check(lambda m, x, y: x.max(y), a, b)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_nan_propagation(seed, dtype):
    x = rand((6, 7), dtype)
    x[1, 3] = float("nan")
    x[4, 0] = float("nan")
    x[4, 5] = float("nan")
    for op in ("max", "min", "argmax", "argmin"):
        check(lambda m, t: getattr(m, op)(t), x)
        for dim in (0, 1):
            check(lambda m, t: getattr(m, op)(t, dim), x, noncontig=True)
    for op in ("amax", "amin", "sum", "mean", "prod", "logsumexp", "var", "std", "norm", "any", "all"):
        for dim in (0, 1):
            check(lambda m, t: getattr(m, op)(t, dim=dim), x, **LOOSE.get(dtype, {}))
    check(lambda m, t: m.norm(t, p=float("inf"), dim=1), x)
    check(lambda m, t: m.norm(t, p=float("-inf"), dim=0), x)
    check(lambda m, t: m.cumsum(t, 1), x, **LOOSE.get(dtype, {}))


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_var_std_corrections(seed, dtype):
    x = rand((5, 8), dtype)
    tol = LOOSE.get(dtype, {})
    for op in ("var", "std"):
        for corr in (0, 1, 2, 0.5):
            check(lambda m, t: getattr(m, op)(t, 1, correction=corr, keepdim=True), x, noncontig=True, **tol)
            check(lambda m, t: getattr(m, op)(t, correction=corr), x, **tol)
        for unbiased in (False, True):
            check(lambda m, t: getattr(m, op)(t, unbiased), x, **tol)
            check(lambda m, t: getattr(m, op)(t, 0, unbiased, True), x, **tol)
            check(lambda m, t: getattr(t, op)(dim=0, unbiased=unbiased), x, **tol)
    # One element per output: correction 1 divides by zero -> nan/inf, as torch.
    check(lambda m, t: m.var(t, 0), rand((1, 3), dtype))


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_norm_orders(seed, dtype):
    x = rand((4, 5, 3), dtype)
    x[0, 0, 0] = 0
    tol = LOOSE.get(dtype, {})
    for p in (2, "fro", 1, 0, 3, 0.5, 1.5, -1, -2.5, float("inf"), float("-inf"), None):
        for dim in (None, 0, -1, (0, 2)):
            check(lambda m, t: m.norm(t, p, dim), x, noncontig=True, **tol)
        check(lambda m, t: t.norm(p, 1, True), x, **tol)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_logsumexp(seed, dtype):
    x = rand((3, 4, 5), dtype)
    tol = LOOSE.get(dtype, {})
    for dim in (0, -1, (0, 2), [1]):
        for keepdim in (False, True):
            check(lambda m, t: m.logsumexp(t, dim, keepdim), x, noncontig=True, **tol)
    if dtype.is_floating_point:
        y = rand((3, 4), dtype)
        y[0, :] = float("-inf")
        y[1, 2] = float("inf")
        check(lambda m, t: m.logsumexp(t, 1), y, **tol)
        check(lambda m, t: t.logsumexp(dim=0), rand((2, 3), dtype) * 40, **tol)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_any_all_dtypes(seed, dtype):
    x = rand((4, 5), dtype, low=0, high=1)
    x[0] = 1
    x[1] = 0
    for dim in (None, 0, 1, (0, 1)):
        check(lambda m, t: m.any(t, dim), x, noncontig=True)
        check(lambda m, t: m.all(t, dim), x, noncontig=True)
        check(lambda m, t: t.all(dim, True), x)


@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_scans(seed, op, dtype):
    x = rand((3, 4, 5), dtype, low=-2, high=2)
    tol = LOOSE.get(dtype, {})
    for dim in (0, 1, 2, -1):
        for nc in (False, True):
            check(lambda m, t: getattr(m, op)(t, dim), x, noncontig=nc, **tol)
            check(lambda m, t: getattr(t, op)(dim=dim), x, noncontig=nc, **tol)
    check(lambda m, t: getattr(m, op)(t, 0), rand((), dtype))
    check(lambda m, t: getattr(m, op)(t, 1), rand((3, 0), dtype))
    check(lambda m, t: getattr(m, op)(t, 0), rand((0, 3), dtype))


EMPTY_CASES = [(0,), (0, 3), (3, 0), (2, 0, 3)]


@pytest.mark.parametrize("shape", EMPTY_CASES)
def test_empty(seed, shape):
    x = rand(shape)
    dims = [None] + list(range(len(shape))) + [tuple(range(len(shape)))]
    for dim in dims:
        for op in ("sum", "mean", "any", "all", "amax", "amin", "norm", "var", "std"):
            check(lambda m, t: getattr(m, op)(t, dim=dim), x)
        for op in ("max", "min", "argmax", "argmin", "prod"):
            if not isinstance(dim, tuple):
                check(lambda m, t: getattr(m, op)(t, dim) if dim is not None else getattr(m, op)(t), x)
        if dim is not None:
            check(lambda m, t: m.logsumexp(t, dim), x)
            check(lambda m, t: m.norm(t, float("inf"), dim), x)
    check(lambda m, t: m.sum(t, dtype=m.int32), rand(shape, torch.int8))
    check(lambda m, t: m.prod(t), rand(shape, torch.int32))


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_zero_dim(seed, dtype):
    x = rand((), dtype)
    for op in ("sum", "mean", "amax", "amin", "any", "all", "var", "std", "norm", "logsumexp"):
        for dim in (0, -1, (0,), (0, -1)):
            for keepdim in (False, True):
                check(lambda m, t: getattr(m, op)(t, dim=dim, keepdim=keepdim), x)
        if op != "logsumexp":
            check(lambda m, t: getattr(m, op)(t), x)
    for op in ("max", "min", "argmax", "argmin", "prod", "cumsum", "cumprod"):
        for dim in (0, -1):
            check(lambda m, t: getattr(m, op)(t, dim), x)
    check(lambda m, t: m.max(t), x)
    check(lambda m, t: m.argmin(t), x)


def test_large_accuracy(seed):
    """Float32 reductions over ~1e6 elements in every layout stay within float32 tolerance."""
    x = rand((1000, 1000))
    for dim in (None, 0, 1):
        # The reference is torch in float64 rounded to float32: torch's own float32 sum of 1e6
        # elements can be 2.5e-4 off when the values cancel, which made a float32 reference flaky.
        for op in ("sum", "mean", "var", "std", "amax"):
            expected = getattr(torch, op)(x.double(), dim=dim).float()
            assert_close(getattr(ts, op)(to_ts(x), dim=dim), expected, rtol=1e-5, atol=1e-4)
        # torch's float32 norm of 1e6 elements is off by ~1e-5 relative; tessera accumulates in
        # double, so it is compared with the float64 result rounded to float32.
        assert_close(ts.norm(to_ts(x), dim=dim), torch.norm(x.double(), dim=dim).float())
        assert_close(ts.sum(to_ts(x), dim=dim), torch.sum(x.double(), dim=dim).float())
        if dim is not None:
            check(lambda m, t: m.logsumexp(t, dim), x)
            check(lambda m, t: m.argmax(t, dim), x)
            check(lambda m, t: m.max(t, dim), x)
    check(lambda m, t: m.argmin(t), x)
    # Outer, middle and inner reductions of a 3-d tensor (row accumulation and chunked rows).
    y = rand((64, 128, 96))
    for dim in (0, 1, 2, (0, 2), (1, 2)):
        check(lambda m, t: m.sum(t, dim), y, rtol=1e-5, atol=1e-4)
        assert_close(ts.sum(to_ts(y), dim), torch.sum(y.double(), dim).float())
        check(lambda m, t: m.amin(t, dim), y)
    check(lambda m, t: m.cumsum(t, 1), y, rtol=1e-5, atol=1e-4)
    h = rand((2000, 500), torch.float16, low=0, high=1)
    check(lambda m, t: m.mean(t, 1), h)
    check(lambda m, t: m.sum(t, 0), h, rtol=2e-3, atol=1e-2)
    b = rand((3000, 300), torch.bfloat16)
    check(lambda m, t: m.mean(t), b)


def test_int_sums_wrap_like_torch(seed):
    x = torch.randint(-(2**62), 2**62, (1000,), dtype=torch.int64)
    check(lambda m, t: m.sum(t), x)
    check(lambda m, t: m.prod(t), x)
    check(lambda m, t: m.cumprod(t, 0), x)
    big = torch.full((70, 3), 127, dtype=torch.int8)
    check(lambda m, t: m.sum(t, 0), big)
    check(lambda m, t: m.sum(t, 0, dtype=m.int8), big)


def test_sum_dim_tuple_list_and_uint8_any(seed):
    x = rand((2, 3, 4), torch.uint8, low=0, high=2)
    check(lambda m, t: m.sum(t, [0, 2]), x)
    check(lambda m, t: m.any(t), x)
    check(lambda m, t: m.all(t, (1,)), x)
    assert ts.any(to_ts(x)).dtype == ts.uint8
    assert math.isnan(ts.mean(to_ts(rand((0,)))).item()) if hasattr(ts.Tensor, "item") else True


def test_size_one_dims_and_layouts(seed):
    x = rand((3, 1, 4, 1, 2))
    for dim in (None, 1, 3, (0, 2), (1, 3), (0, 4), (2, 3, 4), (0, 1, 3)):
        for keepdim in (False, True):
            check(lambda m, t: m.sum(t, dim, keepdim), x, noncontig=True)
            check(lambda m, t: m.amax(t, dim, keepdim), x)
            check(lambda m, t: m.var(t, dim, keepdim=keepdim), x)
            check(lambda m, t: m.logsumexp(t, dim if dim is not None else (0, 1), keepdim), x)
    for dim in range(5):
        check(lambda m, t: m.max(t, dim), x, noncontig=True)
        check(lambda m, t: m.cumsum(t, dim), x, noncontig=True)


@pytest.mark.parametrize("dtype", [torch.float32, torch.int32, torch.float64])
def test_permuted_strides(seed, dtype):
    """Inputs whose strides are permuted (a transposed numpy array) in every op family."""
    base = rand((4, 5, 6), dtype).numpy()
    for perm in ((2, 0, 1), (1, 2, 0), (0, 2, 1)):
        arr = base.transpose(perm)
        t, x = torch.from_numpy(arr), ts.from_numpy(arr)
        assert not x.is_contiguous()
        for dim in (0, 1, 2, (0, 2), (1, 2), None):
            assert_close(ts.sum(x, dim), torch.sum(t, dim))
            assert_close(ts.amax(x, dim), torch.amax(t, dim))
            assert_close(ts.any(x, dim), torch.any(t, dim))
            if dtype.is_floating_point:
                assert_close(ts.var(x, dim), torch.var(t, dim))
        for dim in (0, 1, 2):
            r, e = ts.min(x, dim), torch.min(t, dim)
            assert_close(r.values, e.values)
            assert_close(r.indices, e.indices)
            assert_close(ts.argmax(x, dim), torch.argmax(t, dim))
            assert_close(ts.cumsum(x, dim), torch.cumsum(t, dim))
            assert_close(ts.prod(x, dim), torch.prod(t, dim))
            v, i = ts.sort(x, dim=dim, stable=True)
            ev, ei = torch.sort(t, dim=dim, stable=True)
            assert_close(v, ev)
            assert_close(i, ei)


def test_tall_narrow_outer_reductions(seed):
    """Many rows, few columns: rows are split across threads and the partials merged."""
    x = rand((200000, 3))
    for op in ("amax", "amin", "any"):
        check(lambda m, t: getattr(m, op)(t, dim=0), x)
    for op in ("sum", "mean", "norm"):  # torch's float32 error here is ~2e-5: compare with float64
        assert_close(getattr(ts, op)(to_ts(x), dim=0), getattr(torch, op)(x.double(), dim=0).float())
    check(lambda m, t: m.sum(t, 0), rand((100000, 5), torch.int32))
    check(lambda m, t: m.prod(t, 0), rand((100000, 2), torch.int64, low=-1, high=1))
    x[777, 1] = float("nan")
    check(lambda m, t: m.amax(t, 0), x)


def test_long_rows_split_across_threads(seed):
    """One long row (chunked across threads) for every accumulator type, bool included."""
    for dtype in (torch.bool, torch.uint8, torch.int32, torch.float16, torch.float64):
        x = rand((300000,), dtype, low=0, high=1)
        for op in ("amax", "amin", "any", "all", "argmax"):
            check(lambda m, t: getattr(m, op)(t), x)
        check(lambda m, t: m.sum(t), x, **LOOSE.get(dtype, {}))
        check(lambda m, t: m.max(t), x)

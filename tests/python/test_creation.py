"""Factories, tensor() from data, and Tensor -> Python conversions, against PyTorch."""
import numpy as np
import pytest
import torch

import tessera as ts
from helpers import ALL_DTYPES, FLOAT_DTYPES, INT_DTYPES, TORCH_TO_TS, assert_close, rand, to_torch, to_ts

SIZES = [(), (0,), (3,), (2, 3), (2, 0, 4), (1, 5, 1)]


def tsd(dt):
    return TORCH_TO_TS[dt]


# ---------------------------------------------------------------- empty / zeros / ones / full
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_zeros_ones_empty(size, dtype):
    assert_close(ts.zeros(size, dtype=tsd(dtype)), torch.zeros(size, dtype=dtype))
    if size:
        assert_close(ts.ones(*size, dtype=tsd(dtype)), torch.ones(*size, dtype=dtype))
    assert_close(ts.ones(list(size), dtype=tsd(dtype)), torch.ones(list(size), dtype=dtype))
    e = ts.empty(size, dtype=tsd(dtype))
    assert tuple(e.shape) == size and e.dtype == tsd(dtype) and e.is_contiguous()


def test_size_forms():
    for args in [(2, 3), ((2, 3),), ([2, 3],), (torch.Size([2, 3]),), (ts.Size([2, 3]),), (np.int64(2), 3)]:
        assert tuple(ts.zeros(*args).shape) == (2, 3)
    assert tuple(ts.zeros(size=(2, 3)).shape) == (2, 3)
    assert tuple(ts.ones(()).shape) == () and tuple(ts.ones([]).shape) == ()
    assert ts.zeros(2).dtype == ts.float32 and ts.empty(1).dtype == ts.float32
    assert ts.zeros(2, device="cpu").device.type == "cpu"
    assert ts.zeros(2, requires_grad=False).shape == (2,)
    for t in (ts.zeros(2, requires_grad=True), ts.randn(3, requires_grad=True), ts.tensor([1.0], requires_grad=True),
              ts.full((2,), 1.5, requires_grad=True), ts.ones_like(ts.zeros(2), requires_grad=True)):
        assert t.requires_grad and t.is_leaf
    assert tuple(ts.zeros((2, True)).shape) == tuple(torch.zeros((2, True)).shape)


@pytest.mark.parametrize("value", [2, -3, 2.5, True, False, 0, 1e-3])
@pytest.mark.parametrize("size", [(2, 3), (), (0,)])
def test_full_dtype_inference(value, size):
    assert_close(ts.full(size, value), torch.full(size, value))


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_full_dtypes(seed, dtype):
    v = 1 if dtype == torch.bool else (7 if not dtype.is_floating_point else -2.75)
    assert_close(ts.full((3, 2), v, dtype=tsd(dtype)), torch.full((3, 2), v, dtype=dtype))
    assert_close(ts.full([4], 1.5, dtype=ts.int64), torch.full([4], 1.5, dtype=torch.int64))
    assert_close(ts.full((2,), -1, dtype=ts.uint8), torch.full((2,), -1, dtype=torch.uint8))


# ---------------------------------------------------------------- *_like
@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_like(seed, dtype):
    t = rand((3, 4), dtype)
    x = to_ts(t, noncontig=True)
    assert_close(ts.zeros_like(x), torch.zeros_like(t))
    assert_close(ts.ones_like(x), torch.ones_like(t))
    assert_close(ts.full_like(x, 1), torch.full_like(t, 1))
    assert_close(ts.zeros_like(x, dtype=ts.int32), torch.zeros_like(t, dtype=torch.int32))
    assert_close(ts.ones_like(x, dtype=ts.float64), torch.ones_like(t, dtype=torch.float64))
    e = ts.empty_like(x)
    assert e.shape == x.shape and e.dtype == x.dtype and e.is_contiguous()
    assert ts.empty_like(x, dtype=ts.float16).dtype == ts.float16
    if dtype.is_floating_point:
        r = ts.rand_like(x)
        assert r.shape == x.shape and r.dtype == x.dtype
        assert ts.randn_like(x, dtype=ts.float64).dtype == ts.float64
    ri = ts.randint_like(x, 0, 2)
    assert ri.dtype == x.dtype and ri.shape == x.shape


@pytest.mark.parametrize("dtype", [torch.float64, torch.int32, torch.bool, torch.float16])
def test_new_factories(dtype):
    t = torch.ones(2, dtype=dtype)
    x = to_ts(t)
    assert_close(x.new_zeros(2, 3), t.new_zeros(2, 3))
    assert_close(x.new_ones((4,)), t.new_ones((4,)))
    assert_close(x.new_full((2, 2), 1), t.new_full((2, 2), 1))
    assert_close(x.new_zeros(3, dtype=ts.int64), t.new_zeros(3, dtype=torch.int64))
    assert_close(x.new_tensor([1, 0, 1]), t.new_tensor([1, 0, 1]))
    e = x.new_empty(5)
    assert e.dtype == x.dtype and tuple(e.shape) == (5,)


def test_like_preserves_layout():
    base = torch.arange(24.0).reshape(2, 3, 4)
    for t in [base.transpose(0, 2), base.permute(1, 2, 0), base[:, ::2], base.transpose(1, 2)[:, :, 1:],
              torch.ones(3, 1).expand(3, 4), base.reshape(6, 4).t(), base[:1].transpose(0, 1)]:
        x = ts.from_numpy(t.numpy()) if t.stride() and min(t.stride()) > 0 else to_ts(t)
        for f, g in [(ts.zeros_like, torch.zeros_like), (ts.empty_like, torch.empty_like),
                     (ts.ones_like, torch.ones_like)]:
            r, e = f(x), g(t)
            assert tuple(r.shape) == tuple(e.shape)
            assert r.stride() == e.stride(), (t.shape, t.stride(), r.stride(), e.stride())
        assert_close(ts.full_like(x, 3.0), torch.full_like(t, 3.0))


def test_like_zero_dim_and_empty():
    for t in [torch.tensor(3.5), torch.empty(0, 3)]:
        x = to_ts(t)
        assert_close(ts.full_like(x, 2.0), torch.full_like(t, 2.0))
        assert_close(ts.zeros_like(x), torch.zeros_like(t))


# ---------------------------------------------------------------- fill_ / zero_
@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_fill_zero_inplace(seed, dtype):
    t = rand((4, 6), dtype)
    x = to_ts(t)
    v0 = x._version
    out = x.fill_(1)
    assert out is x or out.data_ptr() == x.data_ptr()
    assert x._version == v0 + 1
    assert_close(x, t.clone().fill_(1))
    x.zero_()
    assert x._version == v0 + 2
    assert_close(x, torch.zeros_like(t))
    # non-contiguous: only the viewed elements change
    big = to_ts(torch.zeros(4, 6, dtype=dtype))
    y = to_ts(t, noncontig=True)
    y.fill_(True if dtype == torch.bool else 3)
    assert_close(y, torch.full_like(t, True if dtype == torch.bool else 3))
    assert_close(big, torch.zeros(4, 6, dtype=dtype))


def test_fill_with_zero_dim_tensor_and_scalars():
    x = ts.zeros(3)
    x.fill_(ts.tensor(2.5))
    assert_close(x, torch.full((3,), 2.5))
    x.fill_(float("nan"))
    assert_close(x, torch.full((3,), float("nan")))
    y = ts.zeros(2, dtype=ts.int64)
    y.fill_(2.9)  # truncates, like torch
    assert_close(y, torch.zeros(2, dtype=torch.int64).fill_(2.9))


# ---------------------------------------------------------------- arange
ARANGE_CASES = [(5,), (0, 5), (2, 10, 3), (10, 2, -3), (0, 1, 0.1), (-1.5, 2), (1, 2.5, 0.5), (0.5, 5.5),
                (0, 0), (5, 5, -1), (-3, 7, 0.7), (0, 10**10, 10**9), (1e-3, 2e-3, 1e-4), (0, 1, 1 / 3)]


@pytest.mark.parametrize("args", ARANGE_CASES)
def test_arange_default_dtype(args):
    expected = torch.arange(*args)
    got = ts.arange(*args)
    assert_close(got, expected)


@pytest.mark.parametrize("dtype", INT_DTYPES + FLOAT_DTYPES)
@pytest.mark.parametrize("args", [(5,), (1, 11, 2), (0.5, 5.5), (10, 0, -1.5), (0, 100, 7)])
def test_arange_dtypes(dtype, args):
    if dtype == torch.uint8 and any(a < 0 for a in args):
        return
    try:
        expected = torch.arange(*args, dtype=dtype)
    except RuntimeError:
        with pytest.raises(RuntimeError, match=r"\[arange\]"):
            ts.arange(*args, dtype=tsd(dtype))
        return
    assert_close(ts.arange(*args, dtype=tsd(dtype)), expected, **({} if not dtype.is_floating_point else
                                                                   dict(rtol=1e-6, atol=1e-6)))


def test_arange_keywords_and_large():
    assert_close(ts.arange(0, 10, step=2), torch.arange(0, 10, step=2))
    assert_close(ts.arange(end=4), torch.arange(end=4))
    assert_close(ts.arange(start=1, end=4), torch.arange(start=1, end=4))
    assert_close(ts.arange(100000, dtype=ts.float32), torch.arange(100000, dtype=torch.float32))
    assert_close(ts.arange(-(2**40), 2**40, 2**37), torch.arange(-(2**40), 2**40, 2**37))
    assert_close(ts.arange(10**18, 10**18 + 5, dtype=ts.float32), torch.arange(10**18, 10**18 + 5, dtype=torch.float32))


# ---------------------------------------------------------------- linspace
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.int64, torch.int32, torch.uint8, torch.int16])
@pytest.mark.parametrize("args", [(0, 1, 5), (0, 10, 4), (5, 1, 3), (-3.5, 7.25, 11), (0, 1, 1), (0, 1, 0),
                                  (2, 2, 6), (0, 255, 100), (1, 1000, 1001)])
def test_linspace(dtype, args):
    try:
        expected = torch.linspace(*args, dtype=dtype)
    except RuntimeError:
        with pytest.raises(RuntimeError, match=r"\[linspace\]"):
            ts.linspace(*args, dtype=tsd(dtype))
        return
    assert_close(ts.linspace(*args, dtype=tsd(dtype)), expected)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_linspace_reduced_float(dtype):
    # PyTorch rounds after every 16-bit operation; so do we, giving identical values.
    for args in [(0, 1, 5), (-2, 3, 17), (0, 100, 33), (-7.3, 11.9, 1000)]:
        assert_close(ts.linspace(*args, dtype=tsd(dtype)), torch.linspace(*args, dtype=dtype), rtol=0, atol=0)


def test_linspace_default_and_large():
    assert_close(ts.linspace(0, 1, 5), torch.linspace(0, 1, 5))
    assert_close(ts.linspace(-1, 1, 100003), torch.linspace(-1, 1, 100003))
    assert_close(ts.linspace(start=0, end=2, steps=3), torch.linspace(start=0, end=2, steps=3))


# ---------------------------------------------------------------- eye
@pytest.mark.parametrize("nm", [(0,), (1,), (3,), (2, 5), (5, 2), (4, 0), (0, 3)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.int64, torch.bool, torch.float16])
def test_eye(nm, dtype):
    assert_close(ts.eye(*nm, dtype=tsd(dtype)), torch.eye(*nm, dtype=dtype))


# ---------------------------------------------------------------- tensor()
TENSOR_DATA = [
    [1, 2, 3], [1.0, 2, 3], [True, False], [True, 1], [True, 1.5], [[1, 2], [3, 4]], [[1.5], [2.5]],
    3, 2.5, True, [], [[], []], [[[1, 2]], [[3, 4]]], (1, 2), [(1, 2), (3, 4)], [-(2**63), 2**63 - 1],
    [float("inf"), float("nan"), -0.0], range(4), [np.float32(1.5), 2], [np.int32(3), np.int32(4)],
    [np.int32(3), 4], [np.float64(1.0)], [np.bool_(True), np.bool_(False)], [np.int16(1), 2.5],
]


@pytest.mark.parametrize("data", TENSOR_DATA, ids=[repr(d)[:30] for d in TENSOR_DATA])
def test_tensor_inference(data):
    expected = torch.tensor(data)
    assert_close(ts.tensor(data), expected)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_tensor_with_dtype(dtype):
    for data in [[1, 0, 3], [[1.7, -0.2]], [True, False], 2, [[-1, 2], [3, 127]]]:
        if dtype == torch.uint8 and "-" in repr(data) and "." in repr(data):
            continue
        assert_close(ts.tensor(data, dtype=tsd(dtype)), torch.tensor(data, dtype=dtype))


def test_tensor_from_numpy_and_tensors(seed):
    for npdt in [np.float32, np.float64, np.int32, np.int64, np.uint8, np.bool_, np.float16, np.int8, np.int16]:
        a = (np.random.default_rng(seed).standard_normal((3, 4)) * 10).astype(npdt)
        got = ts.tensor(a)
        assert_close(got, torch.tensor(a))
        a_before = a.copy()
        got.fill_(0)
        np.testing.assert_array_equal(a, a_before)  # copy, not a view
    a = np.arange(12.0).reshape(3, 4)[::-1, ::2]  # negative strides
    assert_close(ts.tensor(a), torch.tensor(a.copy()))
    assert_close(ts.tensor(a, dtype=ts.int32), torch.tensor(a.copy(), dtype=torch.int32))
    x = to_ts(rand((2, 3)))
    y = ts.tensor(x)
    assert y.data_ptr() != x.data_ptr()
    assert_close(y, to_torch(x))
    assert ts.tensor(x, dtype=ts.float64).dtype == ts.float64
    assert_close(ts.tensor([ts.tensor(1), ts.tensor(2.5)]), torch.tensor([torch.tensor(1), torch.tensor(2.5)]))


def test_as_tensor_and_from_numpy_share_memory():
    a = np.arange(6, dtype=np.float32)
    t = ts.as_tensor(a)
    a[0] = 42
    assert t[0].item() == 42 if hasattr(t, "__getitem__") and False else t.tolist()[0] == 42
    f = ts.from_numpy(a)
    a[1] = 7
    assert f.tolist()[1] == 7
    x = ts.ones(3)
    assert ts.as_tensor(x) is x or ts.as_tensor(x).data_ptr() == x.data_ptr()
    assert ts.as_tensor(x, dtype=ts.float64).dtype == ts.float64
    assert_close(ts.as_tensor([1, 2]), torch.as_tensor([1, 2]))
    assert_close(ts.as_tensor(a, dtype=ts.int64), torch.as_tensor(a, dtype=torch.int64))
    x.numpy()  # exists


# ---------------------------------------------------------------- item / tolist / number protocols
@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_item_tolist(seed, dtype):
    t = rand((2, 3, 2), dtype)
    x = to_ts(t, noncontig=True)
    got, exp = x.tolist(), t.tolist()
    assert got == exp
    assert type(got[0][0][0]) is type(exp[0][0][0])
    s = t[1, 2, 0]
    xs = to_ts(s)
    assert xs.item() == s.item() and type(xs.item()) is type(s.item())
    assert xs.tolist() == s.tolist()
    assert to_ts(t[:1, :1, :1]).item() == t[:1, :1, :1].item()
    assert ts.tensor([]).tolist() == [] and ts.zeros(2, 0).tolist() == [[], []]


def test_number_protocols():
    for v in [2.7, -2.7, 0.0, 5, 0, True]:
        t, x = torch.tensor(v), ts.tensor(v)
        assert float(x) == float(t) and int(x) == int(t) and bool(x) == bool(t)
        assert type(float(x)) is float and type(int(x)) is int
    assert float(ts.tensor([[3.5]])) == 3.5
    assert [10, 20, 30][ts.tensor(2)] == 30
    assert [10, 20][ts.tensor(True)] == [10, 20][torch.tensor(True)]
    assert [1, 2, 3][ts.tensor([1])] == 2
    assert int(ts.tensor(7, dtype=ts.uint8)) == 7
    assert operator_index(ts.tensor(-3, dtype=ts.int8)) == -3
    if ts.zeros(1):
        raise AssertionError("zero tensor is truthy")


def operator_index(x):
    import operator
    return operator.index(x)


def test_default_device_round_trip():
    before = ts.get_default_device()
    try:
        ts.set_default_device("cpu")
        assert ts.get_default_device() == ts.device("cpu")
        assert ts.zeros(2).device == ts.device("cpu")
        ts.set_default_device(None)
        assert ts.get_default_device() == ts.device("cpu")
        with pytest.raises(TypeError, match="set_default_device"):
            ts.set_default_device(1.5)
    finally:
        ts.set_default_device(None if before == ts.device("cpu") else before)


@pytest.mark.skipif(not ts.cuda.is_available(), reason="needs a CUDA GPU")
def test_default_device_cuda_factories():
    before = ts.get_default_device()
    try:
        ts.set_default_device("cuda")
        made = [ts.zeros(2), ts.ones(2, 3), ts.full((2,), 1.0), ts.arange(3), ts.linspace(0, 1, 4), ts.eye(2),
                ts.rand(2), ts.randn(2), ts.randint(0, 3, (2,)), ts.randperm(3), ts.tensor([1.0, 2.0])]
        assert all(t.device.type == "cuda" for t in made)
        cpu = ts.zeros(2, device="cpu")
        assert ts.zeros_like(cpu).device.type == "cpu" and cpu.new_zeros(2).device.type == "cpu"
    finally:
        ts.set_default_device(None if before == ts.device("cpu") else before)

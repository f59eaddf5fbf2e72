"""Regressions for fixes to the view ops and copy_ found while testing the shape ops (join branch report)."""
import pytest
import torch

import tessera as ts
from helpers import TORCH_TO_TS, assert_close, rand, to_ts


def check_view(v_ts, v_torch, base_ts):
    assert_close(v_ts, v_torch)
    assert v_ts.stride() == v_torch.stride()
    assert v_ts.storage_offset() == v_torch.storage_offset()
    assert v_ts._is_view_of_same_storage(base_ts)


def test_expand_new_leading_size1_dims_get_atens_strides(seed):
    for shape, size in [((3, 1), (1, 3, 4)), ((4,), (1, 1, 4)), ((), (1,)), ((), (1, 2)), ((2, 3), (1, 5, 2, 3))]:
        a = rand(shape)
        x = to_ts(a)
        check_view(x.expand(*size), a.expand(*size), x)


def test_movedim_0d(seed):
    a = rand(())
    x = to_ts(a)
    for s, d in [(0, 0), (-1, 0), (0, -1), ((), ())]:
        check_view(x.movedim(s, d), a.movedim(s, d), x)


# (shape, narrow (dim, start, length) or None, target dtype)
VIEW_DTYPE_CASES = [((2, 3, 4), None, torch.int8), ((2, 3, 4), None, torch.float64), ((2, 3, 4), None, torch.int16),
                    ((3, 4), (1, 2, 2), torch.float64), ((3, 4), (0, 1, 2), torch.uint8), ((5,), None, torch.bfloat16),
                    ((2, 8), None, torch.int64), ((4,), None, torch.bool)]


@pytest.mark.parametrize("shape,narrow,dtype", VIEW_DTYPE_CASES)
@pytest.mark.parametrize("src", [torch.float32, torch.int32])
def test_view_dtype_different_element_size(seed, shape, narrow, dtype, src):
    a = rand(shape, src)
    x = to_ts(a)
    if narrow:
        a, x = a.narrow(*narrow), x.narrow(*narrow)
    check_view(x.view(TORCH_TO_TS[dtype]), a.view(dtype), x)
    # writes through the reinterpreted view reach the base
    if dtype.is_floating_point or dtype == torch.bool:
        return
    v_ts, v_torch = x.view(TORCH_TO_TS[dtype]), a.view(dtype)
    v_ts.add_(1)
    v_torch.add_(1)
    assert_close(x, a)


@pytest.mark.parametrize("src_shape", [(1, 3), (3,), (), (2, 1)])
def test_copy_broadcasts_source(seed, src_shape):
    a = rand((2, 3))
    b = rand(src_shape, torch.float64)
    x = to_ts(a)
    x.copy_(to_ts(b))
    assert_close(x, a.copy_(b))


def test_copy_refuses_non_broadcastable(seed):
    x = to_ts(rand((2, 3)))
    with pytest.raises(RuntimeError, match=r"\[copy_\]"):
        x.copy_(to_ts(rand((3, 3))))
    with pytest.raises(RuntimeError, match=r"\[copy_\]"):
        x.copy_(to_ts(rand((2, 2, 3))))

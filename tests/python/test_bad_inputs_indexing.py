"""Wrong indexing calls: tessera raises PyTorch's exception type (checked against torch on the
same call) with a message naming the op."""
import numpy as np
import pytest
import torch

import tessera as ts
from helpers import to_ts

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def L(*v, dtype=torch.int64):
    return torch.tensor(v, dtype=dtype)


def make(lib):
    """Inputs for one library: t(torch_tensor) converts; x is a (3, 4) float32 tensor."""
    t = (lambda a: a) if lib is torch else to_ts
    x = t(torch.arange(12, dtype=torch.float32).reshape(3, 4))
    return t, x


def setitem(x, idx, v):
    x[idx] = v


# (name, exception type, op named in our message, call(lib, t, x))
CASES = [
    ("getitem_int_oob", IndexError, "getitem", lambda lib, t, x: x[5]),
    ("getitem_neg_int_oob", IndexError, "getitem", lambda lib, t, x: x[-4]),
    ("getitem_second_dim_oob", IndexError, "getitem", lambda lib, t, x: x[0, 4]),
    ("getitem_too_many", IndexError, "getitem", lambda lib, t, x: x[1, 2, 3]),
    ("getitem_too_many_slices", IndexError, "getitem", lambda lib, t, x: x[:, :, 0]),
    ("getitem_0d_int", IndexError, "getitem", lambda lib, t, x: t(torch.tensor(1.0))[0]),
    ("getitem_tensor_oob", IndexError, "index", lambda lib, t, x: x[t(L(0, 5))]),
    ("getitem_tensor_neg_oob", IndexError, "index", lambda lib, t, x: x[t(L(-4))]),
    ("getitem_list_oob", IndexError, "index", lambda lib, t, x: x[[3]]),
    ("getitem_second_tensor_oob", IndexError, "index", lambda lib, t, x: x[:, t(L(4))]),
    ("getitem_float_tensor", IndexError, "index", lambda lib, t, x: x[t(torch.tensor([1.0]))]),
    ("getitem_int8_tensor", IndexError, "index", lambda lib, t, x: x[t(L(1, dtype=torch.int8))]),
    ("getitem_float_0d_tensor", IndexError, "index", lambda lib, t, x: x[t(torch.tensor(1.0))]),
    ("getitem_float", IndexError, "getitem", lambda lib, t, x: x[1.5]),
    ("getitem_numpy_bool_scalar", IndexError, "getitem", lambda lib, t, x: x[np.bool_(True)]),
    ("getitem_object", IndexError, "getitem", lambda lib, t, x: x[object()]),
    ("getitem_str", TypeError, "getitem", lambda lib, t, x: x["a"]),
    ("getitem_str_in_list", TypeError, "getitem", lambda lib, t, x: x[[1, "a"]]),
    ("getitem_ragged_list", ValueError, "getitem", lambda lib, t, x: x[[[0, 1], [2, 3, 4]],]),
    ("getitem_numpy_negative_strides", ValueError, "from_numpy", lambda lib, t, x: x[np.array([0, 2])[::-1]]),
    ("getitem_step_zero", ValueError, None, lambda lib, t, x: x[::0]),
    ("getitem_step_negative", ValueError, "getitem", lambda lib, t, x: x[::-1]),
    ("getitem_step_negative_tuple", ValueError, "getitem", lambda lib, t, x: x[:, ::-2]),
    ("getitem_mask_shape", IndexError, "index", lambda lib, t, x: x[t(torch.ones(2, 4, dtype=torch.bool))]),
    ("getitem_mask_shape_dim1", IndexError, "index", lambda lib, t, x: x[t(torch.ones(3, 5, dtype=torch.bool))]),
    ("getitem_index_broadcast", IndexError, "index", lambda lib, t, x: x[t(L(0, 1)), t(L(0, 1, 2))]),
    ("getitem_false_with_tensor", IndexError, "index", lambda lib, t, x: x[False, t(L(0, 1))]),
    ("getitem_empty_dim", IndexError, "index", lambda lib, t, x: t(torch.zeros(0, 3))[t(L(0))]),
    ("setitem_int_oob", IndexError, "setitem", lambda lib, t, x: setitem(x, 3, 1.0)),
    ("setitem_tensor_oob", IndexError, "index_put_", lambda lib, t, x: setitem(x, t(L(7)), 1.0)),
    ("setitem_value_shape", RuntimeError, "setitem", lambda lib, t, x: setitem(x, 0, t(torch.ones(3)))),
    ("setitem_value_shape_slice", RuntimeError, "setitem", lambda lib, t, x: setitem(x, slice(None), t(torch.ones(2, 4)))),
    ("setitem_adv_value_shape", RuntimeError, "index_put_", lambda lib, t, x: setitem(x, t(L(0, 1)), t(torch.ones(3, 4)))),
    ("setitem_adv_value_dtype", RuntimeError, "index_put_",
     lambda lib, t, x: setitem(x, t(L(0)), t(torch.ones(1, 4, dtype=torch.float64)))),
    ("setitem_list_value", TypeError, "setitem", lambda lib, t, x: setitem(x, 0, [1.0, 2.0, 3.0, 4.0])),
    ("setitem_str_value", TypeError, "setitem", lambda lib, t, x: setitem(x, 0, "a")),
    ("setitem_numpy_value", TypeError, "setitem", lambda lib, t, x: setitem(x, 0, np.ones(4))),
    ("setitem_overflow", RuntimeError, "setitem", lambda lib, t, x: setitem(t(torch.zeros(3, dtype=torch.int8)), 0, 1000)),
    ("setitem_step_negative", ValueError, "setitem", lambda lib, t, x: setitem(x, slice(None, None, -1), 0.0)),
    ("delitem", TypeError, "delitem", lambda lib, t, x: x.__delitem__(0)),
    ("contains_str", RuntimeError, "__contains__", lambda lib, t, x: "a" in x),
    ("iter_0d", TypeError, "iter", lambda lib, t, x: list(t(torch.tensor(1.0)))),
    ("index_select_oob", IndexError, "index_select", lambda lib, t, x: lib.index_select(x, 0, t(L(3)))),
    ("index_select_negative", IndexError, "index_select", lambda lib, t, x: x.index_select(0, t(L(-1)))),
    ("index_select_dim1_oob", RuntimeError, "index_select", lambda lib, t, x: x.index_select(1, t(L(4)))),
    ("index_select_float_index", RuntimeError, "index_select", lambda lib, t, x: x.index_select(0, t(torch.tensor([1.0])))),
    ("index_select_2d_index", IndexError, "index_select", lambda lib, t, x: x.index_select(0, t(L(1)[None]))),
    ("index_select_bad_dim", IndexError, "index_select", lambda lib, t, x: x.index_select(2, t(L(0)))),
    ("gather_oob", RuntimeError, "gather", lambda lib, t, x: lib.gather(x, 0, t(L(5)[None]))),
    ("gather_negative", RuntimeError, "gather", lambda lib, t, x: x.gather(1, t(L(-1)[None]))),
    ("gather_wrong_ndim", RuntimeError, "gather", lambda lib, t, x: x.gather(0, t(L(1)))),
    ("gather_index_too_big", RuntimeError, "gather", lambda lib, t, x: x.gather(1, t(torch.zeros(4, 4, dtype=torch.long)))),
    ("gather_float_index", RuntimeError, "gather", lambda lib, t, x: x.gather(0, t(torch.zeros(1, 1)))),
    ("gather_bad_dim", IndexError, "gather", lambda lib, t, x: x.gather(-3, t(L(0)[None]))),
    ("scatter_oob", RuntimeError, "scatter", lambda lib, t, x: x.scatter(0, t(L(5)[None]), 1.0)),
    ("scatter_negative", RuntimeError, "scatter_", lambda lib, t, x: x.scatter_(1, t(L(-1)[None]), t(torch.ones(1, 1)))),
    ("scatter_src_dtype", RuntimeError, "scatter",
     lambda lib, t, x: lib.scatter(x, 0, t(L(1)[None]), t(torch.ones(1, 1, dtype=torch.float64)))),
    ("scatter_index_ndim", RuntimeError, "scatter", lambda lib, t, x: x.scatter(0, t(L(0)), t(torch.ones(1, 4)))),
    ("scatter_src_too_small", RuntimeError, "scatter", lambda lib, t, x: x.scatter(0, t(L(1, 1)[None]), t(torch.ones(1, 1)))),
    ("scatter_float_index", RuntimeError, "scatter", lambda lib, t, x: x.scatter(0, t(torch.zeros(1, 1)), 2.0)),
    ("scatter_bad_reduce", RuntimeError, "scatter",
     lambda lib, t, x: x.scatter(0, t(L(1)[None]), t(torch.ones(1, 1)), reduce="max")),
    ("scatter_reduce_bad_reduce", RuntimeError, "scatter_reduce",
     lambda lib, t, x: x.scatter_reduce(0, t(L(1)[None]), t(torch.ones(1, 1)), "add")),
    ("scatter_reduce_oob", RuntimeError, "scatter_reduce_",
     lambda lib, t, x: x.scatter_reduce_(0, t(L(3)[None]), t(torch.ones(1, 1)), "sum")),
    ("scatter_reduce_dtype", RuntimeError, "scatter_reduce",
     lambda lib, t, x: lib.scatter_reduce(x, 0, t(L(1)[None]), t(torch.ones(1, 1, dtype=torch.float64)), "amax")),
    ("scatter_reduce_bool_mean", NotImplementedError, "scatter_reduce",
     lambda lib, t, x: t(torch.zeros(3, dtype=torch.bool)).scatter_reduce(0, t(L(1)), t(torch.ones(1, dtype=torch.bool)), "mean")),
    ("scatter_add_dtype", RuntimeError, "scatter_add",
     lambda lib, t, x: lib.scatter_add(x, 0, t(L(1)[None]), t(torch.ones(1, 1, dtype=torch.float64)))),
    ("scatter_add_oob", RuntimeError, "scatter_add_", lambda lib, t, x: x.scatter_add_(0, t(L(3)[None]), t(torch.ones(1, 1)))),
    ("take_oob", IndexError, "take", lambda lib, t, x: lib.take(x, t(L(12)))),
    ("take_neg_oob", IndexError, "take", lambda lib, t, x: x.take(t(L(-13)))),
    ("take_int32_index", RuntimeError, "take", lambda lib, t, x: x.take(t(L(1, dtype=torch.int32)))),
    ("put_oob", IndexError, "put_", lambda lib, t, x: x.put_(t(L(12)), t(torch.ones(1)))),
    ("put_int32_index", RuntimeError, "put_", lambda lib, t, x: x.put_(t(L(1, dtype=torch.int32)), t(torch.ones(1)))),
    ("put_dtype", RuntimeError, "put_", lambda lib, t, x: lib.put(x, t(L(1)), t(torch.ones(1, dtype=torch.float64)))),
    ("put_numel", IndexError, "put_", lambda lib, t, x: x.put_(t(L(1, 2)), t(torch.ones(3)))),
    ("put_into_expanded", RuntimeError, "put_", lambda lib, t, x: t(torch.zeros(4)).expand(3, 4).put_(t(L(1)), t(torch.ones(1)))),
    ("index_add_oob", RuntimeError, "index_add", lambda lib, t, x: lib.index_add(x, 0, t(L(5)), t(torch.ones(1, 4)))),
    ("index_add_negative", RuntimeError, "index_add_", lambda lib, t, x: x.index_add_(0, t(L(-1)), t(torch.ones(1, 4)))),
    ("index_add_source_shape", RuntimeError, "index_add", lambda lib, t, x: x.index_add(0, t(L(1)), t(torch.ones(1, 3)))),
    ("index_add_source_dtype", RuntimeError, "index_add",
     lambda lib, t, x: x.index_add(0, t(L(1)), t(torch.ones(1, 4, dtype=torch.float64)))),
    ("index_add_count", RuntimeError, "index_add", lambda lib, t, x: x.index_add(0, t(L(1, 2)), t(torch.ones(3, 4)))),
    ("index_add_2d_index", IndexError, "index_add", lambda lib, t, x: x.index_add(0, t(L(1)[None]), t(torch.ones(1, 4)))),
    ("index_add_float_index", RuntimeError, "index_add",
     lambda lib, t, x: x.index_add(0, t(torch.tensor([1.0])), t(torch.ones(1, 4)))),
    ("index_copy_oob", IndexError, "index_copy", lambda lib, t, x: x.index_copy(0, t(L(5)), t(torch.ones(1, 4)))),
    ("index_copy_negative", IndexError, "index_copy_", lambda lib, t, x: x.index_copy_(0, t(L(-1)), t(torch.ones(1, 4)))),
    ("index_copy_shape", RuntimeError, "index_copy", lambda lib, t, x: lib.index_copy(x, 0, t(L(1)), t(torch.ones(1, 3)))),
    ("index_copy_count", IndexError, "index_copy", lambda lib, t, x: x.index_copy(0, t(L(1, 2)), t(torch.ones(1, 4)))),
    ("index_copy_dtype", RuntimeError, "index_copy",
     lambda lib, t, x: x.index_copy(0, t(L(1)), t(torch.ones(1, 4, dtype=torch.float64)))),
    ("index_copy_int32_index", RuntimeError, "index_copy",
     lambda lib, t, x: x.index_copy(0, t(L(1, dtype=torch.int32)), t(torch.ones(1, 4)))),
    ("index_copy_2d_index", IndexError, "index_copy", lambda lib, t, x: x.index_copy(0, t(L(1)[None]), t(torch.ones(1, 4)))),
    ("index_fill_oob", IndexError, "index_fill", lambda lib, t, x: x.index_fill(0, t(L(5)), 1.0)),
    ("index_fill_int32_index", IndexError, "index_fill_", lambda lib, t, x: x.index_fill_(0, t(L(1, dtype=torch.int32)), 1.0)),
    ("index_fill_2d_index", RuntimeError, "index_fill", lambda lib, t, x: lib.index_fill(x, 0, t(L(1)[None]), 1.0)),
    ("index_fill_1d_value", RuntimeError, "index_fill", lambda lib, t, x: x.index_fill(0, t(L(1)), t(torch.tensor([2.0])))),
    ("masked_select_shape", RuntimeError, "masked_select",
     lambda lib, t, x: lib.masked_select(x, t(torch.ones(2, dtype=torch.bool)))),
    ("masked_select_not_bool", RuntimeError, "masked_select", lambda lib, t, x: x.masked_select(t(torch.ones(4, dtype=torch.uint8)))),
    ("masked_scatter_not_bool", RuntimeError, "masked_scatter_",
     lambda lib, t, x: x.masked_scatter_(t(torch.ones(3, 4)), t(torch.ones(12)))),
    ("masked_scatter_dtype", RuntimeError, "masked_scatter_",
     lambda lib, t, x: x.masked_scatter_(t(torch.ones(3, 4, dtype=torch.bool)), t(torch.ones(12, dtype=torch.float64)))),
    ("masked_scatter_short_source", RuntimeError, "masked_scatter_",
     lambda lib, t, x: x.masked_scatter_(t(torch.ones(3, 4, dtype=torch.bool)), t(torch.ones(5)))),
    ("index_put_dtype", RuntimeError, "index_put_",
     lambda lib, t, x: x.index_put_((t(L(0)),), t(torch.tensor(1.0, dtype=torch.float64)))),
    ("index_put_values_shape", RuntimeError, "index_put_", lambda lib, t, x: x.index_put_((t(L(0, 0)),), t(torch.ones(3)))),
    ("index_put_too_many", IndexError, "index_put_", lambda lib, t, x: x.index_put_((t(L(0)),) * 3, t(torch.tensor(1.0)))),
    ("index_put_oob_accumulate", IndexError, "index_put_",
     lambda lib, t, x: x.index_put_((t(L(0)), t(L(9))), t(torch.tensor(1.0)), accumulate=True)),
    ("scatter_into_expanded", RuntimeError, "scatter_",
     lambda lib, t, x: t(torch.zeros(4)).expand(3, 4).scatter_(0, t(L(0)[None]), 1.0)),
    ("index_add_into_expanded", RuntimeError, "index_add_",
     lambda lib, t, x: t(torch.zeros(4)).expand(3, 4).index_add_(0, t(L(0)), t(torch.ones(1, 4)))),
]


@pytest.mark.parametrize("name,exc,op,call", CASES, ids=[c[0] for c in CASES])
def test_bad_input(name, exc, op, call):
    t, x = make(torch)
    with pytest.raises(exc):  # PyTorch raises this type for the same call
        call(torch, t, x)
    t, x = make(ts)
    if op is None:  # Python itself raises (slice(None, None, 0)): same type, Python's message
        with pytest.raises(exc):
            call(ts, t, x)
        return
    with pytest.raises(exc, match=rf"\[{op}\]"):
        call(ts, t, x)


def test_failed_writes_leave_process_usable():
    x = to_ts(torch.zeros(3, 4))
    for _ in range(3):
        with pytest.raises(IndexError):
            x[to_ts(L(0, 99))] = 1.0
    x[to_ts(L(0))] = 2.0
    assert float(x.numpy()[0, 0]) == 2.0

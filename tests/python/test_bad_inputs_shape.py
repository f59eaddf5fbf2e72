"""Wrong calls to the view and shape-copy ops: the same exception type as PyTorch (checked here
against torch itself), a message naming the op where the message is ours, and never a crash."""
import pytest
import torch

import tessera as ts
from helpers import rand, to_ts

S = (2, 3, 4)  # default input shape

# (id, op named in our message or None where the binding layer rejects the call, input shape,
#  call(m, x) with m the module (torch or tessera) and x the input tensor, PyTorch's exception type)
CASES = [
    # ---- view ops
    ("view_incompatible", "view", S, lambda m, x: x.view(5, 5), RuntimeError),
    ("view_two_infer", "view", S, lambda m, x: x.view(-1, -1), RuntimeError),
    ("view_needs_reshape", "view", S, lambda m, x: x.transpose(0, 1).view(24), RuntimeError),
    ("view_negative_size", "view", S, lambda m, x: x.view(-2, 12), RuntimeError),
    ("view_float_size", "view", S, lambda m, x: x.view(2.0, 12), TypeError),
    ("view_str", "view", S, lambda m, x: x.view("a"), TypeError),
    ("view_dtype_0d", "view", (), lambda m, x: x.view(m.int8), RuntimeError),
    ("view_dtype_stride", "view", S, lambda m, x: x.transpose(1, 2).view(m.int8), RuntimeError),
    ("view_dtype_divisible", "view", (2, 3), lambda m, x: x.view(m.float64), RuntimeError),
    ("view_no_args", "view", S, lambda m, x: x.view(), TypeError),
    ("view_no_args_0d", "view", (), lambda m, x: x.view(), TypeError),
    ("reshape_no_args", "reshape", S, lambda m, x: x.reshape(), TypeError),
    ("expand_no_args", "expand", (), lambda m, x: x.expand(), TypeError),
    ("permute_no_args", "permute", (), lambda m, x: x.permute(), TypeError),
    ("reshape_wrong_numel", "reshape", S, lambda m, x: x.reshape(5, 5), RuntimeError),
    ("reshape_fn_wrong_numel", "reshape", S, lambda m, x: m.reshape(x, (7,)), RuntimeError),
    ("reshape_str", "reshape", S, lambda m, x: x.reshape("a"), TypeError),
    ("expand_negative", "expand", (3, 1), lambda m, x: x.expand(3, -2), RuntimeError),
    ("expand_negative_leading", "expand", (3, 1), lambda m, x: x.expand(-1, 3, 1), RuntimeError),
    ("expand_numel_overflow", "expand", (4,), lambda m, x: x.expand(2**62, 2**62, 4), RuntimeError),
    ("view_numel_overflow", "view", (4,), lambda m, x: x.view(4, 2**62 + 1), RuntimeError),
    ("expand_smaller", "expand", (3, 4), lambda m, x: x.expand(2, 4), RuntimeError),
    ("expand_fewer_dims", "expand", S, lambda m, x: x.expand(3, 4), RuntimeError),
    ("expand_str", "expand", S, lambda m, x: x.expand("a"), TypeError),
    ("permute_wrong_length", "permute", S, lambda m, x: x.permute(0, 1), RuntimeError),
    ("permute_repeated", "permute", S, lambda m, x: x.permute(0, 0, 1), RuntimeError),
    ("permute_out_of_range", "permute", S, lambda m, x: x.permute(0, 1, 3), IndexError),
    ("transpose_out_of_range", "transpose", S, lambda m, x: x.transpose(0, 3), IndexError),
    ("transpose_neg_out_of_range", "transpose", S, lambda m, x: m.transpose(x, -4, 0), IndexError),
    ("transpose_str_dim", None, S, lambda m, x: x.transpose("a", 0), TypeError),
    ("t_3d", "t", S, lambda m, x: x.t(), RuntimeError),
    ("mT_1d", "mT", (3,), lambda m, x: x.mT, RuntimeError),
    ("select_index_out_of_range", "select", S, lambda m, x: x.select(0, 5), IndexError),
    ("select_neg_index_out_of_range", "select", S, lambda m, x: x.select(1, -4), IndexError),
    ("select_dim_out_of_range", "select", S, lambda m, x: x.select(3, 0), IndexError),
    ("select_0d", "select", (), lambda m, x: x.select(0, 0), IndexError),
    ("narrow_past_end", "narrow", S, lambda m, x: x.narrow(0, 1, 5), RuntimeError),
    ("narrow_start_out_of_range", "narrow", S, lambda m, x: x.narrow(0, 5, 0), IndexError),
    ("narrow_negative_length", "narrow", S, lambda m, x: x.narrow(0, 0, -1), RuntimeError),
    ("narrow_0d", "narrow", (), lambda m, x: x.narrow(0, 0, 1), RuntimeError),
    ("split_sizes_not_summing", "split_with_sizes", S, lambda m, x: x.split([1, 2]), RuntimeError),
    ("split_sizes_negative", "split_with_sizes", S, lambda m, x: x.split([3, -1]), RuntimeError),
    ("split_negative", "split", S, lambda m, x: x.split(-1), RuntimeError),
    ("split_dim_out_of_range", "split", S, lambda m, x: m.split(x, 1, 3), IndexError),
    ("chunk_zero", "chunk", S, lambda m, x: x.chunk(0), RuntimeError),
    ("chunk_dim_out_of_range", "chunk", S, lambda m, x: x.chunk(2, 3), IndexError),
    ("unbind_0d", "unbind", (), lambda m, x: x.unbind(), IndexError),
    ("squeeze_out_of_range", "squeeze", S, lambda m, x: x.squeeze(5), IndexError),
    ("squeeze_repeated_dim", "squeeze", (1, 3, 1), lambda m, x: x.squeeze((0, 0)), RuntimeError),
    ("squeeze_str", "squeeze", S, lambda m, x: x.squeeze("a"), TypeError),
    ("unsqueeze_out_of_range", "unsqueeze", S, lambda m, x: x.unsqueeze(5), IndexError),
    ("unsqueeze_float", None, S, lambda m, x: x.unsqueeze(1.0), TypeError),
    ("as_strided_out_of_bounds", "as_strided", S, lambda m, x: x.as_strided((10, 10), (10, 1)), RuntimeError),
    ("as_strided_offset_out_of_bounds", "as_strided", S, lambda m, x: x.as_strided((2, 2), (1, 1), 23),
     RuntimeError),
    ("as_strided_stride_overflow", "as_strided", S, lambda m, x: x.as_strided((2,), (2**62,)), RuntimeError),
    ("as_strided_stride_overflow_max", "as_strided", S, lambda m, x: x.as_strided((3,), (2**63 - 1,)), RuntimeError),
    ("as_strided_negative_stride", "as_strided", S, lambda m, x: x.as_strided((2, 2), (-1, 1)), RuntimeError),
    ("as_strided_length_mismatch", "as_strided", S, lambda m, x: x.as_strided((2, 2), (1,)), RuntimeError),
    ("flatten_start_after_end", "flatten", S, lambda m, x: x.flatten(2, 1), RuntimeError),
    ("flatten_out_of_range", "flatten", S, lambda m, x: x.flatten(0, 3), IndexError),
    ("unflatten_wrong_product", "unflatten", S, lambda m, x: x.unflatten(1, (2, 2)), RuntimeError),
    ("unflatten_two_infer", "unflatten", S, lambda m, x: x.unflatten(1, (-1, -1)), RuntimeError),
    ("diagonal_same_dims", "diagonal", S, lambda m, x: x.diagonal(0, 1, 1), RuntimeError),
    ("diagonal_1d", "diagonal", (3,), lambda m, x: x.diagonal(), IndexError),
    ("movedim_length_mismatch", "movedim", S, lambda m, x: x.movedim((0, 1), (1,)), RuntimeError),
    ("movedim_repeated", "movedim", S, lambda m, x: m.movedim(x, (0, 0), (1, 2)), RuntimeError),
    ("movedim_0d_out_of_range", "movedim", (), lambda m, x: x.movedim(1, 0), IndexError),
    ("movedim_0d_repeated", "movedim", (), lambda m, x: x.movedim((0, 0), (0, 0)), RuntimeError),
    # ---- cat / stack family
    ("cat_empty_list", "cat", S, lambda m, x: m.cat([]), ValueError),
    ("cat_shape_mismatch", "cat", (2, 3), lambda m, x: m.cat([x, x.t()]), RuntimeError),
    ("cat_ndim_mismatch", "cat", (2, 3), lambda m, x: m.cat([x, x.unsqueeze(0)]), RuntimeError),
    ("cat_dim_out_of_range", "cat", (2, 3), lambda m, x: m.cat([x, x], 2), IndexError),
    ("cat_neg_dim_out_of_range", "cat", (2, 3), lambda m, x: m.cat([x, x], dim=-3), IndexError),
    ("cat_0d", "cat", (), lambda m, x: m.cat([x, x]), RuntimeError),
    ("cat_tensor_not_list", "cat", S, lambda m, x: m.cat(x), TypeError),
    ("cat_non_tensor_element", "cat", S, lambda m, x: m.cat([x, 1]), TypeError),
    ("cat_str_dim", None, S, lambda m, x: m.cat([x], "a"), TypeError),
    ("cat_float_dim", None, S, lambda m, x: m.cat([x], 1.0), TypeError),
    ("stack_different_shapes", "stack", (2, 3), lambda m, x: m.stack([x, x.t()]), RuntimeError),
    ("stack_empty", "stack", S, lambda m, x: m.stack([]), RuntimeError),
    ("stack_dim_out_of_range", "stack", (2, 3), lambda m, x: m.stack([x, x], 3), IndexError),
    ("stack_tensor_not_list", "stack", S, lambda m, x: m.stack(x), TypeError),
    ("hstack_empty", "hstack", S, lambda m, x: m.hstack([]), RuntimeError),
    ("vstack_empty", "vstack", S, lambda m, x: m.vstack([]), RuntimeError),
    ("dstack_empty", "dstack", S, lambda m, x: m.dstack([]), RuntimeError),
    ("column_stack_empty", "column_stack", S, lambda m, x: m.column_stack([]), RuntimeError),
    ("vstack_mismatch", "cat", (2, 3), lambda m, x: m.vstack([x, x.t()]), RuntimeError),
    # ---- broadcasting
    ("broadcast_to_smaller", "broadcast_to", (3, 4), lambda m, x: m.broadcast_to(x, (2, 4)), RuntimeError),
    ("broadcast_to_fewer_dims", "broadcast_to", S, lambda m, x: m.broadcast_to(x, (4,)), RuntimeError),
    ("broadcast_tensors_mismatch", "broadcast_tensors", (2,),
     lambda m, x: m.broadcast_tensors(x, x.repeat(2)), RuntimeError),
    ("broadcast_shapes_mismatch", "broadcast_shapes", S, lambda m, x: m.broadcast_shapes((2,), (3,)), RuntimeError),
    ("broadcast_shapes_negative", "broadcast_shapes", S, lambda m, x: m.broadcast_shapes((-1,)), ValueError),
    # ---- repeat / tile / repeat_interleave
    ("repeat_fewer_dims", "repeat", S, lambda m, x: x.repeat(2, 2), RuntimeError),
    ("repeat_negative", "repeat", (2, 3), lambda m, x: x.repeat(-1, 2), RuntimeError),
    ("repeat_no_args", "repeat", S, lambda m, x: x.repeat(), TypeError),
    ("repeat_float", "repeat", (2, 3), lambda m, x: x.repeat(2.0, 1), TypeError),
    ("repeat_overflow", "repeat", (4,), lambda m, x: x.repeat(2**62), RuntimeError),
    ("tile_negative", "tile", S, lambda m, x: x.tile(-1, 2), RuntimeError),
    ("tile_no_args", "tile", S, lambda m, x: x.tile(), TypeError),
    ("repeat_interleave_negative", "repeat_interleave", S, lambda m, x: x.repeat_interleave(-1), RuntimeError),
    ("repeat_interleave_dim_out_of_range", "repeat_interleave", (2, 3),
     lambda m, x: x.repeat_interleave(2, dim=2), IndexError),
    ("repeat_interleave_0d_dim", "repeat_interleave", (), lambda m, x: x.repeat_interleave(2, dim=0), IndexError),
    ("repeat_interleave_output_size", "repeat_interleave", (2, 3),
     lambda m, x: x.repeat_interleave(2, dim=1, output_size=5), RuntimeError),
    ("repeat_interleave_float_tensor", "repeat_interleave", (2, 3),
     lambda m, x: x.repeat_interleave(x.select(0, 0).select(0, 0)), NotImplementedError),
    ("repeat_interleave_counts_length", "repeat_interleave", (3, 2),
     lambda m, x: x.repeat_interleave(x.to(m.int64).select(1, 0).narrow(0, 0, 2), dim=0), RuntimeError),
    ("repeat_interleave_counts_negative", "repeat_interleave", (3, 2),
     lambda m, x: x.repeat_interleave(x.to(m.int64).select(1, 0).add(-10), dim=0), RuntimeError),
    ("repeat_interleave_counts_2d", "repeat_interleave", (3, 2),
     lambda m, x: x.repeat_interleave(x.to(m.int64), dim=0), RuntimeError),
    ("repeat_interleave_indices_2d", "repeat_interleave", (3, 2),
     lambda m, x: m.repeat_interleave(x.to(m.int64)), RuntimeError),
    # ---- roll / flip
    ("roll_length_mismatch", "roll", S, lambda m, x: m.roll(x, (1, 2), (0,)), RuntimeError),
    ("roll_flat_two_shifts", "roll", S, lambda m, x: m.roll(x, (1, 2)), RuntimeError),
    ("roll_no_shifts", "roll", S, lambda m, x: m.roll(x, (), ()), RuntimeError),
    ("roll_dim_out_of_range", "roll", S, lambda m, x: x.roll(1, 3), IndexError),
    ("roll_0d_dim", "roll", (), lambda m, x: x.roll(1, 0), IndexError),
    ("roll_float_shift", "roll", S, lambda m, x: m.roll(x, 1.5), TypeError),
    ("flip_repeated_dim", "flip", S, lambda m, x: m.flip(x, (0, 0)), RuntimeError),
    ("flip_repeated_neg_dim", "flip", S, lambda m, x: x.flip(2, -1), RuntimeError),
    ("flip_dim_out_of_range", "flip", S, lambda m, x: m.flip(x, (3,)), IndexError),
    ("flip_no_dims", "flip", S, lambda m, x: x.flip(), TypeError),
    ("flip_str_dim", "flip", S, lambda m, x: x.flip("a"), TypeError),
    ("fliplr_1d", "fliplr", (3,), lambda m, x: m.fliplr(x), RuntimeError),
    ("flipud_0d", "flipud", (), lambda m, x: x.flipud(), RuntimeError),
    # ---- tril / triu
    ("tril_1d", "tril", (3,), lambda m, x: m.tril(x), RuntimeError),
    ("triu_0d", "triu", (), lambda m, x: x.triu(), RuntimeError),
    ("tril__1d", "tril_", (3,), lambda m, x: x.tril_(), RuntimeError),
    ("triu__1d", "triu_", (3,), lambda m, x: x.triu_(1), RuntimeError),
    ("tril_float_diagonal", None, (3, 3), lambda m, x: m.tril(x, 1.5), TypeError),
    # ---- meshgrid
    ("meshgrid_bad_indexing", "meshgrid", (3,), lambda m, x: m.meshgrid(x, x, indexing="foo"), RuntimeError),
    ("meshgrid_2d_input", "meshgrid", (2, 2), lambda m, x: m.meshgrid(x, indexing="ij"), RuntimeError),
    ("meshgrid_mixed_dtypes", "meshgrid", (3,), lambda m, x: m.meshgrid(x, x.to(m.int64), indexing="ij"),
     RuntimeError),
    ("meshgrid_empty", "meshgrid", (3,), lambda m, x: m.meshgrid([], indexing="ij"), RuntimeError),
    ("meshgrid_non_tensor", "meshgrid", (3,), lambda m, x: m.meshgrid([1, 2], indexing="ij"), TypeError),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input(seed, case):
    _, op, shape, call, exc = case
    a = rand(shape)
    with pytest.raises(Exception) as torch_err:
        call(torch, a)
    assert type(torch_err.value) is exc, f"torch raised {type(torch_err.value).__name__}: {torch_err.value}"
    with pytest.raises(Exception) as ts_err:
        call(ts, to_ts(a))
    assert type(ts_err.value) is exc, f"tessera raised {type(ts_err.value).__name__}: {ts_err.value}"
    if op is not None:
        assert str(ts_err.value).startswith(f"[{op}]"), str(ts_err.value)


def test_enough_distinct_cases():
    assert len({c[0] for c in CASES}) == len(CASES) >= 40


def test_failed_calls_leave_inputs_usable(seed):
    """A rejected call must not half-modify its input (in-place ops check before writing)."""
    a = rand((3,))
    x = to_ts(a)
    v = x._version
    for bad in [lambda: x.tril_(), lambda: x.squeeze_(4), lambda: x.unsqueeze_(3), lambda: x.transpose_(0, 2)]:
        with pytest.raises((RuntimeError, IndexError)):
            bad()
    assert x._version == v and tuple(x.shape) == (3,)
    assert ts.cat([x, x]).shape == (6,)

"""Wrong calls of elementwise ops: tessera raises PyTorch's exception type (checked against torch on
the same call), with a message naming the op where the message is tessera's own."""
import pytest
import torch

import tessera as ts
from helpers import rand


def f32(*s):
    return rand(s, torch.float32)


def i64(*s):
    return rand(s, torch.int64)


def u8(*s):
    return rand(s, torch.uint8, 0, 5)


def b(*s):
    return rand(s, torch.bool)


# (id, call(lib, T) where lib is torch or tessera and T converts a torch tensor, message regex or None)
CASES = [
    ("add_shape_mismatch", lambda m, T: m.add(T(f32(3, 4)), T(f32(5))), r"\[add\]"),
    ("mul_shape_mismatch", lambda m, T: m.mul(T(f32(2, 3)), T(f32(2))), r"\[mul\]"),
    ("sub_two_bools", lambda m, T: m.sub(T(b(3)), T(b(3))), r"\[sub\]"),
    ("sub_bool_and_int", lambda m, T: T(b(3)) - 1, r"\[sub\]"),
    ("rsub_bool", lambda m, T: True - T(i64(3)), r"\[sub\]"),
    ("neg_bool", lambda m, T: m.neg(T(b(3))), r"\[neg\]"),
    ("neg_operator_bool", lambda m, T: -T(b(3)), r"\[neg\]"),
    ("bitwise_and_float", lambda m, T: m.bitwise_and(T(f32(3)), T(f32(3))), r"\[bitwise_and\]"),
    ("bitwise_or_float_int", lambda m, T: m.bitwise_or(T(f32(3)), T(i64(3))), r"\[bitwise_or\]"),
    ("bitwise_xor_float_scalar", lambda m, T: T(i64(3)) ^ 1.5, r"\[bitwise_xor\]"),
    ("and_operator_float", lambda m, T: T(f32(3)) & T(f32(3)), r"\[bitwise_and\]"),
    ("lshift_float", lambda m, T: T(f32(3)) << 1, r"\[bitwise_left_shift\]"),
    ("rshift_bool_bool", lambda m, T: T(b(3)) >> T(b(3)), r"\[bitwise_right_shift\]"),
    ("invert_float", lambda m, T: ~T(f32(3)), r"\[bitwise_not\]"),
    ("bitwise_not_float", lambda m, T: m.bitwise_not(T(f32(3))), r"\[bitwise_not\]"),
    ("imul_int_by_float", lambda m, T: T(i64(3)).__imul__(1.5), r"\[mul_\]"),
    ("add_inplace_int_float_tensor", lambda m, T: T(i64(3)).add_(T(f32(3))), r"\[add_\]"),
    ("div_inplace_int", lambda m, T: T(i64(3)).div_(2), r"\[div_\]"),
    ("sqrt_inplace_int", lambda m, T: T(i64(3)).sqrt_(), r"\[sqrt_\]"),
    ("sigmoid_inplace_bool", lambda m, T: T(b(3)).sigmoid_(), r"\[sigmoid_\]"),
    ("add_inplace_bool_int", lambda m, T: T(b(3)).add_(2), r"\[add_\]"),
    ("add_inplace_broadcast_shape", lambda m, T: T(f32(4)).add_(T(f32(3, 4))), r"\[add_\]"),
    ("mul_inplace_broadcast_shape", lambda m, T: T(f32(1, 4)).mul_(T(f32(3, 1))), r"\[mul_\]"),
    ("eq_inplace_broadcast_shape", lambda m, T: T(f32(4)).eq_(T(f32(2, 4))), r"\[eq_\]"),
    ("add_string_other", lambda m, T: m.add(T(f32(3)), "x"), None),
    ("mul_none_other", lambda m, T: m.mul(T(f32(3)), None), None),
    ("operator_add_string", lambda m, T: T(f32(3)) + "x", None),
    ("exp_of_list", lambda m, T: m.exp([1.0, 2.0]), None),
    ("atan2_number_other", lambda m, T: m.atan2(T(f32(3)), 2), None),
    ("minimum_number_other", lambda m, T: m.minimum(T(f32(3)), 1), None),
    ("div_bad_rounding_mode", lambda m, T: m.div(T(f32(3)), T(f32(3)), rounding_mode="bad"), r"\[div\]"),
    ("div_inplace_bad_rounding_mode", lambda m, T: T(f32(3)).div_(2.0, rounding_mode="round"), r"\[div_\]"),
    ("gelu_bad_approximate", lambda m, T: m.nn.functional.gelu(T(f32(3)), approximate="fast"), r"\[gelu\]"),
    ("clamp_no_bounds", lambda m, T: m.clamp(T(f32(3))), r"\[clamp\]"),
    ("clamp_inplace_no_bounds", lambda m, T: T(f32(3)).clamp_(), r"\[clamp_\]"),
    ("clamp_inplace_int_float_bound", lambda m, T: T(i64(3)).clamp_(min=0.5), r"\[clamp_\]"),
    ("where_int_condition", lambda m, T: m.where(T(i64(3)), T(f32(3)), T(f32(3))), r"\[where\]"),
    ("where_shape_mismatch", lambda m, T: m.where(T(b(3)), T(f32(4)), T(f32(3))), r"\[where\]"),
    ("masked_fill_int_mask", lambda m, T: T(f32(3)).masked_fill(T(i64(3)), 1.0), r"\[masked_fill\]"),
    ("masked_fill_1d_value", lambda m, T: T(f32(3)).masked_fill(T(b(3)), T(f32(1))), r"\[masked_fill\]"),
    ("masked_fill_inplace_broadcast", lambda m, T: T(f32(3)).masked_fill_(T(b(2, 3)), 0.0), r"\[masked_fill_\]"),
    ("lerp_int", lambda m, T: m.lerp(T(i64(3)), T(i64(3)), 0.5), r"\[lerp\]"),
    ("lerp_end_dtype", lambda m, T: m.lerp(T(f32(3)), T(f32(3).double()), 0.5), r"\[lerp\]"),
    ("lerp_weight_dtype", lambda m, T: m.lerp(T(f32(3)), T(f32(3)), T(f32(3).double())), r"\[lerp\]"),
    ("addcdiv_int_tensors", lambda m, T: m.addcdiv(T(f32(3)), T(i64(3)), T(i64(3))), r"\[addcdiv\]"),
    ("add_float_alpha_int", lambda m, T: m.add(T(i64(3)), T(i64(3)), alpha=1.5), r"\[add\]"),
    ("pow_int_negative_scalar", lambda m, T: m.pow(T(i64(3)), -1), r"\[pow\]"),
    ("pow_bool_bool", lambda m, T: m.pow(T(b(3)), T(b(3))), r"\[pow\]"),
    ("floor_divide_bool", lambda m, T: T(b(3)) // T(b(3)), r"\[floor_divide\]"),
    ("remainder_bool", lambda m, T: m.remainder(T(b(3)), T(b(3))), r"\[remainder\]"),
    ("int_floor_divide_by_zero", lambda m, T: T(i64(3)) // 0, r"\[floor_divide\] ZeroDivisionError"),
    ("int_remainder_by_zero_tensor", lambda m, T: m.remainder(T(u8(3)), T(torch.zeros(3, dtype=torch.uint8))),
     r"\[remainder\] ZeroDivisionError"),
    ("relu_bool", lambda m, T: m.relu(T(b(3))), r"\[relu\]"),
    ("gelu_int", lambda m, T: m.nn.functional.gelu(T(i64(3))), r"\[gelu\]"),
    ("silu_int", lambda m, T: m.nn.functional.silu(T(i64(3))), r"\[silu\]"),
    ("leaky_relu_int", lambda m, T: m.nn.functional.leaky_relu(T(i64(3))), r"\[leaky_relu\]"),
    ("hardtanh_bool", lambda m, T: m.nn.functional.hardtanh(T(b(3))), r"\[hardtanh\]"),
    ("hardtanh_uint8_negative", lambda m, T: m.nn.functional.hardtanh(T(u8(3))), r"\[hardtanh\]"),
    ("abs_bool", lambda m, T: m.abs(T(b(3))), r"\[abs\]"),
    ("floor_bool", lambda m, T: m.floor(T(b(3))), r"\[floor\]"),
    ("round_int_decimals", lambda m, T: m.round(T(i64(3)), decimals=2), r"\[round\]"),
    ("allclose_dtype_mismatch", lambda m, T: m.allclose(T(f32(3)), T(f32(3).double())), r"\[allclose\]"),
    ("allclose_shape_mismatch", lambda m, T: m.allclose(T(f32(2)), T(f32(3))), r"\[allclose\]"),
    ("eq_shape_mismatch", lambda m, T: T(f32(2)) == T(f32(3)), r"\[eq\]"),
    ("logical_and_number", lambda m, T: m.logical_and(T(b(3)), True), None),
    ("bitwise_and_inplace_float_other", lambda m, T: T(i64(3)).bitwise_and_(T(f32(3))), r"\[bitwise_and_\]"),
]


@pytest.mark.parametrize("call,match", [(c[1], c[2]) for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input(call, match):
    with pytest.raises(Exception) as reference:
        call(torch, lambda t: t)
    with pytest.raises(reference.type, match=match):
        call(ts, lambda t: ts.from_numpy(t.numpy().copy()) if t.dtype != torch.bfloat16 else None)


def test_enough_distinct_cases():
    assert len({c[0] for c in CASES}) == len(CASES) >= 40

"""Wrong calls to factories, tensor(), random ops and conversions: PyTorch's exception type (checked
against torch itself where torch has the same call) and a message naming the op."""
import numpy as np
import pytest
import torch

import tessera as ts

I64 = 2**62


def nested(depth):
    a = 1
    for _ in range(depth):
        a = [a]
    return a

# (id, tessera call, equivalent torch call or None, exception type, message pattern)
CASES = [
    ("empty_negative", lambda: ts.empty(-1), lambda: torch.empty(-1), RuntimeError, r"\[empty\].*negative dimension -1"),
    ("zeros_negative", lambda: ts.zeros(2, -3), lambda: torch.zeros(2, -3), RuntimeError, r"\[zeros\].*negative"),
    ("full_negative", lambda: ts.full((-2,), 1.0), lambda: torch.full((-2,), 1.0), RuntimeError, r"\[full\]"),
    ("empty_overflow", lambda: ts.empty(I64, I64), lambda: torch.empty(I64, I64), RuntimeError, r"\[empty\]"),
    ("ones_overflow3", lambda: ts.ones(2**31, 2**31, 2**31), lambda: torch.ones(2**31, 2**31, 2**31), RuntimeError,
     r"\[ones\]"),
    ("rand_overflow", lambda: ts.rand(I64, 8), None, RuntimeError, r"\[rand\]"),
    ("arange_step0", lambda: ts.arange(0, 10, 0), lambda: torch.arange(0, 10, 0), RuntimeError, r"\[arange\].*nonzero"),
    ("arange_wrong_sign", lambda: ts.arange(0, 10, -1), lambda: torch.arange(0, 10, -1), RuntimeError, r"\[arange\]"),
    ("arange_wrong_sign2", lambda: ts.arange(10, 0, 1.5), lambda: torch.arange(10, 0, 1.5), RuntimeError,
     r"\[arange\]"),
    ("arange_inf", lambda: ts.arange(0, float("inf")), lambda: torch.arange(0, float("inf")), RuntimeError,
     r"\[arange\]"),
    ("arange_bool", lambda: ts.arange(5, dtype=ts.bool), lambda: torch.arange(5, dtype=torch.bool),
     NotImplementedError, r"\[arange\]"),
    ("arange_str", lambda: ts.arange("5"), lambda: torch.arange("5"), TypeError, r"\[arange\]"),
    ("linspace_negative_steps", lambda: ts.linspace(0, 1, -1), lambda: torch.linspace(0, 1, -1), RuntimeError,
     r"\[linspace\]"),
    ("linspace_overflow", lambda: ts.linspace(0, 1, I64), lambda: torch.linspace(0, 1, I64), RuntimeError,
     r"\[linspace\]"),
    ("linspace_uint8_range", lambda: ts.linspace(0, 300, 5, dtype=ts.uint8),
     lambda: torch.linspace(0, 300, 5, dtype=torch.uint8), RuntimeError, r"\[linspace\]"),
    ("eye_negative_n", lambda: ts.eye(-1), lambda: torch.eye(-1), RuntimeError, r"\[eye\]"),
    ("eye_negative_m", lambda: ts.eye(2, -1), lambda: torch.eye(2, -1), RuntimeError, r"\[eye\]"),
    ("full_str_fill", lambda: ts.full((2,), "a"), lambda: torch.full((2,), "a"), TypeError, r"\[full\]"),
    ("full_none_fill", lambda: ts.full((2,), None), lambda: torch.full((2,), None), TypeError, r"\[full\]"),
    ("full_int_size", lambda: ts.full(2, 1.0), lambda: torch.full(2, 1.0), TypeError, r"\[full\]"),
    ("full_uint8_overflow", lambda: ts.full((2,), 300, dtype=ts.uint8),
     lambda: torch.full((2,), 300, dtype=torch.uint8), RuntimeError, r"\[full\]"),
    ("full_half_overflow", lambda: ts.full((2,), 70000.0, dtype=ts.float16),
     lambda: torch.full((2,), 70000.0, dtype=torch.float16), RuntimeError, r"\[full\]"),
    ("zeros_float_size", lambda: ts.zeros(2.5), lambda: torch.zeros(2.5), TypeError, r"\[zeros\]"),
    ("zeros_str_in_size", lambda: ts.zeros((2, "a")), lambda: torch.zeros((2, "a")), TypeError, r"\[zeros\]"),
    ("ones_nested_size", lambda: ts.ones([2, [3]]), lambda: torch.ones([2, [3]]), TypeError, r"\[ones\]"),
    ("zeros_float_in_varargs", lambda: ts.zeros(2, 3.0), lambda: torch.zeros(2, 3.0), TypeError, r"\[zeros\]"),
    ("zeros_bool_size", lambda: ts.zeros(True), lambda: torch.zeros(True), TypeError, r"\[zeros\]"),
    ("zeros_dtype_str", lambda: ts.zeros(2, dtype="float32"), lambda: torch.zeros(2, dtype="float32"), TypeError,
     r"\[zeros\]"),
    ("zeros_dtype_int", lambda: ts.zeros(2, dtype=5), lambda: torch.zeros(2, dtype=5), TypeError, r"\[zeros\]"),
    ("tensor_dtype_torch", lambda: ts.tensor([1], dtype=torch.float32), None, TypeError, r"\[tensor\]"),
    ("zeros_requires_grad_str", lambda: ts.zeros(2, requires_grad="a"), lambda: torch.zeros(2, requires_grad="a"),
     TypeError, r"\[zeros\]"),
    ("zeros_int_requires_grad", lambda: ts.zeros(2, dtype=ts.int64, requires_grad=True),
     lambda: torch.zeros(2, dtype=torch.int64, requires_grad=True), RuntimeError, r"\[requires_grad_\]"),
    ("tensor_int_requires_grad", lambda: ts.tensor([1], requires_grad=True), lambda: torch.tensor([1], requires_grad=True),
     RuntimeError, r"\[requires_grad_\]"),
    ("empty_unknown_kwarg", lambda: ts.empty(3, generator=None), lambda: torch.empty(3, generator=None), TypeError,
     r"\[empty\]"),
    ("zeros_like_not_tensor", lambda: ts.zeros_like(5), lambda: torch.zeros_like(5), TypeError, r"\[zeros_like\]"),
    ("randint_equal_bounds", lambda: ts.randint(5, 5, (3,)), lambda: torch.randint(5, 5, (3,)), RuntimeError,
     r"\[randint\]"),
    ("randint_reversed_bounds", lambda: ts.randint(5, 3, (3,)), lambda: torch.randint(5, 3, (3,)), RuntimeError,
     r"\[randint\]"),
    ("randint_uint8_negative", lambda: ts.randint(-5, 5, (3,), dtype=ts.uint8),
     lambda: torch.randint(-5, 5, (3,), dtype=torch.uint8), RuntimeError, r"\[randint\]"),
    ("randint_bool_range", lambda: ts.randint(3, (2,), dtype=ts.bool), lambda: torch.randint(3, (2,), dtype=torch.bool),
     RuntimeError, r"\[randint\]"),
    ("randint_high_overflow", lambda: ts.randint(2**63, (2,)), lambda: torch.randint(2**63, (2,)), ValueError,
     r"\[randint\]"),
    ("randint_negative_size", lambda: ts.randint(3, (-1,)), lambda: torch.randint(3, (-1,)), RuntimeError,
     r"\[randint\]"),
    ("randperm_negative", lambda: ts.randperm(-1), lambda: torch.randperm(-1), RuntimeError, r"\[randperm\]"),
    ("randperm_uint8_too_large", lambda: ts.randperm(300, dtype=ts.uint8),
     lambda: torch.randperm(300, dtype=torch.uint8), RuntimeError, r"\[randperm\]"),
    ("randperm_bool", lambda: ts.randperm(2, dtype=ts.bool), lambda: torch.randperm(2, dtype=torch.bool),
     NotImplementedError, r"\[randperm\]"),
    ("randn_int_dtype", lambda: ts.randn(3, dtype=ts.int64), lambda: torch.randn(3, dtype=torch.int64),
     NotImplementedError, r"\[randn\]"),
    ("rand_int_dtype", lambda: ts.rand(3, dtype=ts.int64), lambda: torch.rand(3, dtype=torch.int64),
     NotImplementedError, r"\[rand\]"),
    ("rand_like_int", lambda: ts.rand_like(ts.ones(2, dtype=ts.int64)),
     lambda: torch.rand_like(torch.ones(2, dtype=torch.int64)), NotImplementedError, r"\[rand_like\]"),
    ("randn_bad_generator", lambda: ts.randn(2, generator=5), lambda: torch.randn(2, generator=5), TypeError,
     r"\[randn\]"),
    ("normal_negative_std", lambda: ts.empty(3).normal_(0, -1), lambda: torch.empty(3).normal_(0, -1), RuntimeError,
     r"\[normal_\]"),
    ("normal_int_tensor", lambda: ts.zeros(3, dtype=ts.int64).normal_(),
     lambda: torch.zeros(3, dtype=torch.int64).normal_(), NotImplementedError, r"\[normal_\]"),
    ("uniform_reversed", lambda: ts.empty(3).uniform_(1, 0), lambda: torch.empty(3).uniform_(1, 0), RuntimeError,
     r"\[uniform_\]"),
    ("uniform_inf", lambda: ts.empty(3).uniform_(0, float("inf")), lambda: torch.empty(3).uniform_(0, float("inf")),
     RuntimeError, r"\[uniform_\]"),
    ("uniform_width_overflow", lambda: ts.empty(3).uniform_(-3e38, 3e38),
     lambda: torch.empty(3).uniform_(-3e38, 3e38), RuntimeError, r"\[uniform_\]"),
    ("exponential_zero", lambda: ts.empty(3).exponential_(0), lambda: torch.empty(3).exponential_(0), RuntimeError,
     r"\[exponential_\]"),
    ("exponential_negative", lambda: ts.empty(3).exponential_(-1), lambda: torch.empty(3).exponential_(-1),
     RuntimeError, r"\[exponential_\]"),
    ("bernoulli_probs_above_one", lambda: ts.bernoulli(ts.tensor([1.5])), lambda: torch.bernoulli(torch.tensor([1.5])),
     RuntimeError, r"\[bernoulli\]"),
    ("bernoulli_probs_negative", lambda: ts.bernoulli(ts.tensor([0.5, -0.1])),
     lambda: torch.bernoulli(torch.tensor([0.5, -0.1])), RuntimeError, r"\[bernoulli\]"),
    ("bernoulli_int_input", lambda: ts.bernoulli(ts.tensor([1, 0])), lambda: torch.bernoulli(torch.tensor([1, 0])),
     NotImplementedError, r"\[bernoulli\]"),
    ("bernoulli_p_out_of_range", lambda: ts.bernoulli(ts.tensor([0.5]), 2.0),
     lambda: torch.bernoulli(torch.tensor([0.5]), 2.0), RuntimeError, r"\[bernoulli\]"),
    ("bernoulli__p_above_one", lambda: ts.empty(3).bernoulli_(1.5), lambda: torch.empty(3).bernoulli_(1.5),
     RuntimeError, r"\[bernoulli_\]"),
    ("bernoulli__p_nan", lambda: ts.empty(3).bernoulli_(float("nan")), lambda: torch.empty(3).bernoulli_(float("nan")),
     RuntimeError, r"\[bernoulli_\]"),
    ("bernoulli__tensor_p_out_of_range", lambda: ts.ones(2).bernoulli_(ts.tensor([1.5, 0.5])),
     lambda: torch.ones(2).bernoulli_(torch.tensor([1.5, 0.5])), RuntimeError, r"\[bernoulli"),
    ("bernoulli__p_not_broadcastable", lambda: ts.ones(3).bernoulli_(ts.tensor([0.5, 0.5])),
     lambda: torch.ones(3).bernoulli_(torch.tensor([0.5, 0.5])), RuntimeError, r"\[bernoulli_\]"),
    ("tensor_ragged", lambda: ts.tensor([[1, 2], [3]]), lambda: torch.tensor([[1, 2], [3]]), ValueError,
     r"\[tensor\].*expected sequence of length 2 at dim 1 \(got 1\)"),
    ("tensor_ragged_empty", lambda: ts.tensor([[1], []]), lambda: torch.tensor([[1], []]), ValueError, r"\[tensor\]"),
    ("tensor_scalar_where_sequence", lambda: ts.tensor([[1, 2], 3]), lambda: torch.tensor([[1, 2], 3]), TypeError,
     r"\[tensor\]"),
    ("tensor_sequence_where_scalar", lambda: ts.tensor([1, [2]]), lambda: torch.tensor([1, [2]]), TypeError,
     r"\[tensor\]"),
    ("tensor_str_element", lambda: ts.tensor([1, "a"]), lambda: torch.tensor([1, "a"]), TypeError, r"\[tensor\]"),
    ("tensor_str", lambda: ts.tensor("abc"), lambda: torch.tensor("abc"), TypeError, r"\[tensor\]"),
    ("tensor_none_element", lambda: ts.tensor([1, None]), lambda: torch.tensor([1, None]), RuntimeError,
     r"\[tensor\]"),
    ("tensor_dict", lambda: ts.tensor({1: 2}), lambda: torch.tensor({1: 2}), RuntimeError, r"\[tensor\]"),
    ("tensor_too_deep", lambda: ts.tensor(nested(100_000)), lambda: torch.tensor(nested(100_000)), ValueError,
     r"\[tensor\].*too many dimensions"),
    ("tensor_int_overflow", lambda: ts.tensor([1, 2**63]), lambda: torch.tensor([1, 2**63]), ValueError,
     r"\[tensor\]"),
    ("tensor_uint8_overflow", lambda: ts.tensor([300], dtype=ts.uint8),
     lambda: torch.tensor([300], dtype=torch.uint8), RuntimeError, r"\[tensor\]"),
    ("tensor_nan_to_int", lambda: ts.tensor(float("nan"), dtype=ts.int64),
     lambda: torch.tensor(float("nan"), dtype=torch.int64), RuntimeError, r"\[tensor\]"),
    ("item_two_elements", lambda: ts.tensor([1, 2]).item(), lambda: torch.tensor([1, 2]).item(), RuntimeError,
     r"\[item\] a Tensor with 2 elements cannot be converted to Scalar"),
    ("item_empty", lambda: ts.tensor([]).item(), lambda: torch.tensor([]).item(), RuntimeError, r"\[item\]"),
    ("float_many", lambda: float(ts.ones(2)), lambda: float(torch.ones(2)), ValueError, r"\[__float__\]"),
    ("int_many", lambda: int(ts.ones(2)), lambda: int(torch.ones(2)), ValueError, r"\[__int__\]"),
    ("bool_many", lambda: bool(ts.ones(2)), lambda: bool(torch.ones(2)), RuntimeError,
     r"\[__bool__\].*more than one value is ambiguous"),
    ("bool_empty", lambda: bool(ts.tensor([])), lambda: bool(torch.tensor([])), RuntimeError, r"\[__bool__\]"),
    ("index_float", lambda: [1][ts.tensor(0.0)], lambda: [1][torch.tensor(0.0)], TypeError, r"\[__index__\]"),
    ("index_many", lambda: [1][ts.tensor([0, 0])], lambda: [1][torch.tensor([0, 0])], TypeError, r"\[__index__\]"),
    ("fill_non_scalar_tensor", lambda: ts.empty(2).fill_(ts.ones(2)), lambda: torch.empty(2).fill_(torch.ones(2)),
     RuntimeError, r"\[fill_\]"),
    ("fill_overflow", lambda: ts.zeros(2).fill_(1e300), lambda: torch.zeros(2).fill_(1e300), RuntimeError,
     r"\[fill_\]"),
    ("fill_half_overflow", lambda: ts.empty(2, dtype=ts.float16).fill_(1e10),
     lambda: torch.empty(2, dtype=torch.float16).fill_(1e10), RuntimeError, r"\[fill_\]"),
    ("fill_str", lambda: ts.ones(3).fill_("a"), lambda: torch.ones(3).fill_("a"), TypeError, r"\[fill_\]"),
    ("set_state_wrong_size", lambda: ts.Generator().set_state(ts.zeros(3, dtype=ts.uint8)),
     lambda: torch.Generator().set_state(torch.zeros(3, dtype=torch.uint8)), RuntimeError, r"\[set_state\]"),
    ("set_state_wrong_dtype", lambda: ts.Generator().set_state(ts.zeros(16)),
     lambda: torch.Generator().set_state(torch.zeros(16)), TypeError, r"\[set_state\]"),
    ("manual_seed_too_large", lambda: ts.manual_seed(2**64), None, ValueError, r"\[manual_seed\]"),
    ("zeros_bad_device", lambda: ts.zeros(2, device="foo"), lambda: torch.zeros(2, device="foo"), RuntimeError,
     r"\[device\]"),
    ("zeros_device_wrong_type", lambda: ts.zeros(2, device=2.5), lambda: torch.zeros(2, device=2.5), TypeError,
     r"\[zeros\]"),
]


@pytest.mark.parametrize("name,call,torch_call,exc,pattern", CASES, ids=[c[0] for c in CASES])
def test_bad_input(name, call, torch_call, exc, pattern):
    if torch_call is not None:
        with pytest.raises(exc):
            torch_call()
    with pytest.raises(exc, match=pattern):
        call()


def test_process_survives_and_generator_not_advanced_by_errors():
    g = ts.Generator().manual_seed(1)
    before = g.get_state().tolist()
    for bad in [lambda: ts.rand(-1, generator=g), lambda: ts.randint(3, 3, (2,), generator=g),
                lambda: ts.empty(2).normal_(0, -1, generator=g)]:
        with pytest.raises(RuntimeError):
            bad()
    assert g.get_state().tolist() == before
    assert ts.zeros(2).tolist() == [0.0, 0.0]


def test_numpy_unsupported_dtype():
    with pytest.raises(TypeError):
        ts.tensor(np.array(["a", "b"]))

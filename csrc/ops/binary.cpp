// Front-ends of the binary arithmetic ops: promotion, checks, output, then the device stub.
#include "ops/binary.h"

#include <string>

#include "dispatch/boxing.h"
#include "ops/binary_stubs.h"
#include "ops/compare.h"
#include "ops/elementwise_util.h"

namespace tessera {

TS_DEFINE_STUB(add_stub, "add", void(const TensorIterator&, const Scalar&));
TS_DEFINE_STUB(binary_stub, "binary", void(const TensorIterator&, BinaryOp));

const char* binary_op_name(BinaryOp op) {
  switch (op) {
    case BinaryOp::Mul:
      return "mul";
    case BinaryOp::Div:
      return "div";
    case BinaryOp::DivTrunc:
      return "div";
    case BinaryOp::DivFloor:
      return "floor_divide";
    case BinaryOp::Remainder:
      return "remainder";
    case BinaryOp::Fmod:
      return "fmod";
    case BinaryOp::Pow:
      return "pow";
    case BinaryOp::Atan2:
      return "atan2";
    case BinaryOp::Minimum:
      return "minimum";
    case BinaryOp::Maximum:
      return "maximum";
    case BinaryOp::BitAnd:
      return "bitwise_and";
    case BinaryOp::BitOr:
      return "bitwise_or";
    case BinaryOp::BitXor:
      return "bitwise_xor";
    case BinaryOp::LShift:
      return "bitwise_left_shift";
    case BinaryOp::RShift:
      return "bitwise_right_shift";
  }
  return "binary";
}

const char* torch_dtype_name(DType t) {
  constexpr const char* names[] = {"Bool", "Byte", "Char",     "Short", "Int",
                                   "Long", "Half", "BFloat16", "Float", "Double"};
  return names[static_cast<int>(t)];
}

namespace {

void check_alpha(const char* op, DType dt, const Scalar& alpha) {
  TS_CHECK(is_floating(dt) || !alpha.is_floating_point(), "[", op,
           "] For integral input tensors, argument alpha must not be a floating point number.");
  TS_CHECK(dt != DType::Bool || alpha.is_bool() || alpha.to_int() == 1 || alpha.to_int() == 0, "[", op,
           "] Boolean alpha only supported for Boolean results.");
}

Tensor add_impl(const char* op, const Tensor& self, const Tensor& other, const Scalar& alpha, const Tensor* inplace) {
  TS_CHECK(self.defined() && other.defined(), "[", op, "] expected defined tensors");
  DType dt = result_type(self, other);
  check_alpha(op, inplace ? self.dtype() : dt, alpha);
  return run_elementwise(op, {{self, dt}, {other, dt}}, dt, inplace,
                         [&](const TensorIterator& it) { add_stub(it.device(), it, alpha); });
}

Tensor add_kernel(const Tensor& self, const Tensor& other, const Scalar& alpha) {
  return add_impl("add", self, other, alpha, nullptr);
}
Tensor add__kernel(const Tensor& self, const Tensor& other, const Scalar& alpha) {
  return add_impl("add_", self, other, alpha, &self);
}

Scalar negate(const Scalar& s) {
  if (s.is_floating_point()) return Scalar(-s.to_double());
  return Scalar(-s.to_int());
}

Tensor sub_impl(const char* op, const Tensor& self, const Tensor& other, const Scalar& alpha, const Tensor* inplace) {
  TS_CHECK(self.defined() && other.defined(), "[", op, "] expected defined tensors");
  TS_CHECK(self.dtype() != DType::Bool || other.dtype() != DType::Bool, "[", op,
           "] Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` "
           "operator instead.");
  TS_CHECK(self.dtype() != DType::Bool && other.dtype() != DType::Bool, "[", op,
           "] Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a "
           "mask, use the `~` or `logical_not()` operator instead.");
  DType dt = result_type(self, other);
  check_alpha(op, inplace ? self.dtype() : dt, alpha);
  Scalar neg = negate(alpha);
  return run_elementwise(op, {{self, dt}, {other, dt}}, dt, inplace,
                         [&](const TensorIterator& it) { add_stub(it.device(), it, neg); });
}
Tensor sub_kernel(const Tensor& self, const Tensor& other, const Scalar& alpha) {
  return sub_impl("sub", self, other, alpha, nullptr);
}
Tensor sub__kernel(const Tensor& self, const Tensor& other, const Scalar& alpha) {
  return sub_impl("sub_", self, other, alpha, &self);
}

// Compute dtype of a binary op, with PyTorch's refusals.
DType binary_dtype(BinaryOp op, const char* name, const Tensor& a, const Tensor& b) {
  TS_CHECK(a.defined() && b.defined(), "[", name, "] expected defined tensors");
  DType dt = result_type(a, b);
  switch (op) {
    case BinaryOp::Div:
    case BinaryOp::Atan2:
      return to_float_dtype(dt);
    case BinaryOp::DivTrunc:
    case BinaryOp::DivFloor:
    case BinaryOp::Remainder:
    case BinaryOp::Fmod:
    case BinaryOp::Pow:
      TS_CHECK_NOT_IMPLEMENTED(dt != DType::Bool, "[", name, "] not implemented for '", torch_dtype_name(dt), "'");
      if (op == BinaryOp::Pow && is_integral(dt) && b.impl()->is_wrapped_number() && is_integral(b.dtype())) {
        TS_CHECK(*b.data<int64_t>() >= 0, "[", name, "] Integers to negative integer powers are not allowed.");
      }
      return dt;
    case BinaryOp::BitAnd:
    case BinaryOp::BitOr:
    case BinaryOp::BitXor:
      TS_CHECK_NOT_IMPLEMENTED(!is_floating(dt), "[", name, "] not implemented for '", torch_dtype_name(dt), "'");
      return dt;
    case BinaryOp::LShift:
    case BinaryOp::RShift:
      TS_CHECK_NOT_IMPLEMENTED(is_integral(dt), "[", name, "] not implemented for '", torch_dtype_name(dt), "'");
      return dt;
    default:
      return dt;
  }
}

Tensor binary_impl(BinaryOp op, const char* name, const Tensor& a, const Tensor& b, const Tensor* inplace) {
  if (op == BinaryOp::Pow && a.defined() && b.defined() && a.dtype() == DType::Bool && b.impl()->is_wrapped_number() &&
      b.dtype() == DType::Bool) {
    // PyTorch's pow(Tensor, Scalar) answers x**True = x and x**False = True without a kernel.
    Tensor r = ops::logical_or(a, wrapped_scalar(Scalar(!*b.data<bool>())));
    if (!inplace) return r;
    ops::copy_(*inplace, r);
    return *inplace;
  }
  DType dt = binary_dtype(op, name, a, b);
  return run_elementwise(name, {{a, dt}, {b, dt}}, dt, inplace,
                         [&](const TensorIterator& it) { binary_stub(it.device(), it, op); });
}

std::optional<BinaryOp> rounding_op(const char* name, std::optional<std::string_view> mode) {
  if (!mode) return BinaryOp::Div;
  if (*mode == "trunc") return BinaryOp::DivTrunc;
  if (*mode == "floor") return BinaryOp::DivFloor;
  TS_FAIL(Runtime, "[", name, "] div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '",
          std::string(*mode), "'");
}

Tensor div_kernel(const Tensor& a, const Tensor& b, std::optional<std::string_view> mode) {
  return binary_impl(*rounding_op("div", mode), "div", a, b, nullptr);
}
Tensor div__kernel(const Tensor& a, const Tensor& b, std::optional<std::string_view> mode) {
  return binary_impl(*rounding_op("div_", mode), "div_", a, b, &a);
}

template <BinaryOp Op>
Tensor binary_kernel(const Tensor& a, const Tensor& b) {
  return binary_impl(Op, binary_op_name(Op), a, b, nullptr);
}
template <BinaryOp Op>
Tensor binary_inplace_kernel(const Tensor& a, const Tensor& b) {
  static const std::string name = std::string(binary_op_name(Op)) + "_";
  return binary_impl(Op, name.c_str(), a, b, &a);
}

}  // namespace

TS_REGISTER_OP_ALL_BACKENDS("add(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor", &add_kernel);
TS_REGISTER_OP_ALL_BACKENDS("add_(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor", &add__kernel);
TS_REGISTER_OP_ALL_BACKENDS("sub(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor", &sub_kernel);
TS_REGISTER_OP_ALL_BACKENDS("sub_(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor", &sub__kernel);
TS_REGISTER_OP_ALL_BACKENDS("div(Tensor self, Tensor other, *, str? rounding_mode=None) -> Tensor", &div_kernel);
TS_REGISTER_OP_ALL_BACKENDS("div_(Tensor self, Tensor other, *, str? rounding_mode=None) -> Tensor", &div__kernel);

namespace ops {
Tensor add(const Tensor& self, const Tensor& other, const Scalar& alpha) {
  static TypedOp<Tensor(const Tensor&, const Tensor&, const Scalar&)> op("add");
  return op(self, other, alpha);
}
Tensor add_(const Tensor& self, const Tensor& other, const Scalar& alpha) {
  static TypedOp<Tensor(const Tensor&, const Tensor&, const Scalar&)> op("add_");
  return op(self, other, alpha);
}
Tensor sub(const Tensor& self, const Tensor& other, const Scalar& alpha) {
  static TypedOp<Tensor(const Tensor&, const Tensor&, const Scalar&)> op("sub");
  return op(self, other, alpha);
}
Tensor sub_(const Tensor& self, const Tensor& other, const Scalar& alpha) {
  static TypedOp<Tensor(const Tensor&, const Tensor&, const Scalar&)> op("sub_");
  return op(self, other, alpha);
}
Tensor div(const Tensor& self, const Tensor& other, std::optional<std::string_view> mode) {
  static TypedOp<Tensor(const Tensor&, const Tensor&, std::optional<std::string_view>)> op("div");
  return op(self, other, mode);
}
Tensor div_(const Tensor& self, const Tensor& other, std::optional<std::string_view> mode) {
  static TypedOp<Tensor(const Tensor&, const Tensor&, std::optional<std::string_view>)> op("div_");
  return op(self, other, mode);
}
}  // namespace ops

// name(self, other) and its in-place name_(self, other), both computing `Op`.
#define TS_BINARY_OP_DEF(name, Op) TS_DEFINE_BINARY_PAIR(name, &binary_kernel<BinaryOp::Op>, &binary_inplace_kernel<BinaryOp::Op>)

TS_BINARY_OP_DEF(mul, Mul)
TS_BINARY_OP_DEF(true_divide, Div)
TS_BINARY_OP_DEF(floor_divide, DivFloor)
TS_BINARY_OP_DEF(remainder, Remainder)
TS_BINARY_OP_DEF(fmod, Fmod)
TS_BINARY_OP_DEF(pow, Pow)
TS_BINARY_OP_DEF(atan2, Atan2)
TS_BINARY_OP_DEF(bitwise_and, BitAnd)
TS_BINARY_OP_DEF(bitwise_or, BitOr)
TS_BINARY_OP_DEF(bitwise_xor, BitXor)
TS_BINARY_OP_DEF(bitwise_left_shift, LShift)
TS_BINARY_OP_DEF(bitwise_right_shift, RShift)
#undef TS_BINARY_OP_DEF

TS_REGISTER_OP_ALL_BACKENDS("minimum(Tensor self, Tensor other) -> Tensor", &binary_kernel<BinaryOp::Minimum>);
TS_REGISTER_OP_ALL_BACKENDS("maximum(Tensor self, Tensor other) -> Tensor", &binary_kernel<BinaryOp::Maximum>);
namespace ops {
Tensor minimum(const Tensor& self, const Tensor& other) {
  static TypedOp<Tensor(const Tensor&, const Tensor&)> op("minimum");
  return op(self, other);
}
Tensor maximum(const Tensor& self, const Tensor& other) {
  static TypedOp<Tensor(const Tensor&, const Tensor&)> op("maximum");
  return op(self, other);
}
}  // namespace ops
}  // namespace tessera

#pragma once
#include <cstdint>
#include <optional>

#include "dispatch/dispatch_stub.h"

namespace tessera {
class TensorIterator;

// Unary ops with output dtype == input dtype. The front-end casts integer inputs to float for
// the ops that need a floating result (sqrt, exp ...), so those only see floating dtypes.
enum class UnaryOp : int8_t {
  // any numeric dtype
  Neg,
  Abs,
  Sign,
  Floor,
  Ceil,
  Trunc,
  Round,  // arg = decimals
  BitwiseNot,
  // floating only
  Reciprocal,
  Sqrt,
  Rsqrt,
  Exp,
  Exp2,
  Expm1,
  Log,
  Log2,
  Log10,
  Log1p,
  Sin,
  Cos,
  Tan,
  Tanh,
  Sigmoid,
  Erf,
  Erfinv,
};
constexpr bool unary_op_is_floating_only(UnaryOp op) {
  return op >= UnaryOp::Reciprocal;
}

TS_DECLARE_STUB(unary_stub, void(const TensorIterator&, UnaryOp, int64_t));
// NaN and infinities replaced; unset posinf/neginf mean the dtype's largest/lowest finite value.
TS_DECLARE_STUB(nan_to_num_stub, void(const TensorIterator&, double, std::optional<double>, std::optional<double>));
}  // namespace tessera

#pragma once
#include <cstdint>

#include "core/scalar.h"
#include "dispatch/dispatch_stub.h"

namespace tessera {
class TensorIterator;

// Binary arithmetic on one common dtype (outputs and inputs): out = op(a, b).
enum class BinaryOp : int8_t {
  Mul,
  Div,       // true division (floating only)
  DivTrunc,  // integer or floating; integer division by zero raises
  DivFloor,
  Remainder,  // Python-style modulo (sign of the divisor)
  Fmod,       // C-style modulo (sign of the dividend)
  Pow,
  Atan2,
  Minimum,  // NaN-propagating
  Maximum,
  BitAnd,
  BitOr,
  BitXor,
  LShift,
  RShift,
};
const char* binary_op_name(BinaryOp op);

// out = a + alpha * b, all operands in one dtype.
TS_DECLARE_STUB(add_stub, void(const TensorIterator&, const Scalar&));
TS_DECLARE_STUB(binary_stub, void(const TensorIterator&, BinaryOp));
}  // namespace tessera

#pragma once
#include <cstdint>

#include "dispatch/dispatch_stub.h"

namespace tessera {
class TensorIterator;

// Ops with a bool output: binary ones take two inputs of one common dtype, unary ones one input.
enum class CompareOp : int8_t {
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge,
  LogicalAnd,
  LogicalOr,
  LogicalXor,
  // unary
  LogicalNot,
  IsNan,
  IsInf,
  IsFinite,
};

TS_DECLARE_STUB(compare_stub, void(const TensorIterator&, CompareOp));
}  // namespace tessera

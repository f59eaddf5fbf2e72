#pragma once
#include <cstdint>

#include "core/scalar.h"
#include "dispatch/dispatch_stub.h"

namespace tessera {
class TensorIterator;

// Ops over up to three inputs. Operands (except Where's condition, which is bool) share one dtype.
enum class TernaryOp : int8_t {
  Where,     // (bool cond, a, b) -> cond ? a : b
  Lerp,      // (self, end, weight) or (self, end) with scalar weight `value`
  Addcmul,   // (self, t1, t2): self + value * t1 * t2
  Addcdiv,   // (self, t1, t2): self + value * t1 / t2 (floating)
  Clamp,     // (x, lo, hi)
  ClampMin,  // (x, lo)
  ClampMax,  // (x, hi)
};

TS_DECLARE_STUB(ternary_stub, void(const TensorIterator&, TernaryOp, const Scalar&));
}  // namespace tessera

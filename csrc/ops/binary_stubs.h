#pragma once
#include "core/scalar.h"
#include "dispatch/dispatch_stub.h"

namespace tessera {
class TensorIterator;
// out = a + alpha * b, all operands in one dtype.
TS_DECLARE_STUB(add_stub, void(const TensorIterator&, const Scalar&));
}  // namespace tessera

#pragma once
#include "dispatch/dispatch_stub.h"

namespace tessera {
class TensorIterator;
// Converts and copies operand 1 into operand 0 (shapes already broadcast).
TS_DECLARE_STUB(copy_stub, void(const TensorIterator&));
}  // namespace tessera

#pragma once
#include "dispatch/dispatch_stub.h"

namespace tessera {
class TensorIterator;
// Converts and copies operand 1 into operand 0 (shapes already broadcast).
TS_DECLARE_STUB(copy_stub, void(const TensorIterator&));
class Tensor;
// Copies src (already of self's shape) into self when they live on different devices; dispatched
// on the CUDA device type, whose backend registers it (CPU-only builds have none).
TS_DECLARE_STUB(copy_between_devices_stub, void(const Tensor& self, const Tensor& src, bool non_blocking));
}  // namespace tessera

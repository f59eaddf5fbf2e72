#pragma once
#include "core/scalar.h"
#include "dispatch/dispatch_stub.h"

namespace tessera {
class Tensor;
class TensorIterator;
// Writes `value` (already checked to fit) into operand 0 of an output-only iterator.
TS_DECLARE_STUB(fill_stub, void(const TensorIterator&, const Scalar&));

enum class RangeKind : int8_t {
  Arange,    // out[i] = a + b * i          (a = start, b = step)
  Linspace,  // PyTorch's two-sided formula (a = start, b = end, steps = numel)
};
// Fills a contiguous 1-D tensor.
TS_DECLARE_STUB(range_stub, void(const Tensor&, RangeKind, const Scalar&, const Scalar&));
}  // namespace tessera

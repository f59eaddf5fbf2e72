#pragma once
#include <cstdint>

#include "dispatch/dispatch_stub.h"

namespace tessera {
class TensorIterator;

// Pointwise activations, output dtype == input dtype. Relu and Hardtanh also take integers.
enum class ActOp : int8_t {
  Relu,
  Hardtanh,  // p0 = min_val, p1 = max_val
  Gelu,      // exact (erf)
  GeluTanh,  // tanh approximation
  Silu,
  Softplus,   // p0 = beta, p1 = threshold
  LeakyRelu,  // p0 = negative_slope
  Elu,        // p0 = alpha
};

TS_DECLARE_STUB(activation_stub, void(const TensorIterator&, ActOp, double, double));
}  // namespace tessera

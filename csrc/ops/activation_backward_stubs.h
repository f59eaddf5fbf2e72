#pragma once
// Fused first-order backward kernels of the pointwise activations: one pass gi = g * f'(x)
// instead of a chain of temporaries (create_graph still composes the formula from ops::).
#include <cstdint>

#include "dispatch/dispatch_stub.h"
#include "ops/activation_stubs.h"

namespace tessera {
class TensorIterator;

// iter: output gi, inputs g and x, all of x's floating dtype. op: Gelu, GeluTanh, Silu, or Relu
// (then x is relu's output, as PyTorch's threshold_backward).
TS_DECLARE_STUB(activation_backward_stub, void(const TensorIterator&, ActOp));
}  // namespace tessera

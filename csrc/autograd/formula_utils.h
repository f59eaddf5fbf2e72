#pragma once
// Small pieces shared by backward formulas.
#include "core/tensor.h"

namespace tessera::autograd {

// Sums `grad` over the dims that broadcasting expanded, so it has `shape` again.
Tensor sum_to(const Tensor& grad, IntArrayRef shape);
// `grad` in the dtype of the input it belongs to (promotion may have widened the forward).
Tensor to_input_dtype(const Tensor& grad, DType dtype);
// Both at once: the gradient for an input of `shape` and `dtype`.
inline Tensor reduce_grad(const Tensor& grad, IntArrayRef shape, DType dtype) {
  return to_input_dtype(sum_to(grad, shape), dtype);
}

}  // namespace tessera::autograd

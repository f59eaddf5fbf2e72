#pragma once
// Small pieces shared by backward formulas.
#include "autograd/node.h"
#include "core/tensor.h"

namespace tessera::autograd {

// Whether backward must compute the gradient of forward input i (its edge leads somewhere).
inline bool needs(const Node& n, size_t i) {
  return n.next_edges()[i].valid();
}

// What a formula remembers of an input besides saved values: enough to shape its gradient.
struct InputInfo {
  DimVector shape;
  DType dtype = DType::Float32;
  Device device;
  void set(const Tensor& t) {
    shape = DimVector(t.sizes());
    dtype = t.dtype();
    device = t.device();
  }
  Tensor zeros() const;  // a zero gradient for this input
};

// Sums `grad` over the dims that broadcasting expanded, so it has `shape` again.
Tensor sum_to(const Tensor& grad, IntArrayRef shape);
// `grad` in the dtype of the input it belongs to (promotion may have widened the forward).
Tensor to_input_dtype(const Tensor& grad, DType dtype);
// Both at once: the gradient for an input of `shape` and `dtype`.
inline Tensor reduce_grad(const Tensor& grad, IntArrayRef shape, DType dtype) {
  return to_input_dtype(sum_to(grad, shape), dtype);
}

}  // namespace tessera::autograd

#pragma once
#include "autograd/node.h"

namespace tessera::autograd {

// Sink of a leaf's gradient: runs the leaf's hooks and adds the gradient into .grad.
class AccumulateGrad final : public Node {
 public:
  explicit AccumulateGrad(Tensor variable) : variable_(std::move(variable)) { add_output_meta(variable_); }
  std::string name() const override { return "AccumulateGrad"; }
  TensorVec apply(TensorVec&& grads) override;
  const Tensor& variable() const { return variable_; }

 private:
  Tensor variable_;
};

// Adds `g` into the .grad of `variable` (hooks, then accumulation, then post-accumulate hooks).
void accumulate_into_grad(const Tensor& variable, Tensor g);

}  // namespace tessera::autograd

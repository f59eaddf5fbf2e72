#pragma once
// The tangent of a tensor at the open dual level (forward-mode AD), held in its AutogradMeta.
// Slots that hold a tangent are registered so that exiting the level can clear them all.
#include "core/tensor.h"

namespace tessera::autograd {

class ForwardGrad {
 public:
  ForwardGrad() = default;
  ForwardGrad(const ForwardGrad&) = delete;
  ForwardGrad& operator=(const ForwardGrad&) = delete;
  ~ForwardGrad();

  const Tensor& tangent() const { return tangent_; }
  void set(Tensor tangent);  // an undefined tangent clears the slot
  // Called by the level with its registry lock held: hands the tangent over without unregistering.
  Tensor release_for_level_exit() { return std::move(tangent_); }

 private:
  Tensor tangent_;
};

}  // namespace tessera::autograd

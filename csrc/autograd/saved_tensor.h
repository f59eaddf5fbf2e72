#pragma once
// A tensor a backward formula needs later. It remembers the version counter value at save time
// so that backward can refuse to use a tensor modified in place since (as PyTorch does). Outputs
// of the node itself are kept without their grad_fn, to avoid a node -> tensor -> node cycle.
#include <memory>

#include "autograd/node.h"

namespace tessera::autograd {

class SavedTensor {
 public:
  SavedTensor() = default;
  SavedTensor(const Tensor& t, bool is_output);
  // `owner` is the node holding this saved tensor (needed to restore the grad_fn of an output).
  Tensor unpack(const std::shared_ptr<Node>& owner) const;
  void reset() { data_ = Tensor(); }
  bool defined() const { return was_defined_; }

 private:
  Tensor data_;
  uint32_t version_ = 0;
  uint32_t output_nr_ = 0;
  bool is_output_ = false;
  bool was_defined_ = false;
};

}  // namespace tessera::autograd

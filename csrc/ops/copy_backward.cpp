// Backward formulas of clone, contiguous and to (copy_ is in-place: refused for now).
#include <functional>

#include "autograd/fn_backward.h"
#include "autograd/formula_utils.h"
#include "autograd/record.h"
#include "autograd/saved_tensor.h"
#include "dispatch/boxing.h"
#include "ops/copy.h"
#include "ops/type_promotion.h"

namespace tessera {
namespace {

using autograd::Node;
using autograd::SavedTensor;
using autograd::TensorVec;

using autograd::FnBackward;
using autograd::record;

using F = FnBackward;

TensorVec pass_through(const F&, const Tensor& g, const TensorVec&) {
  return {g};
}

Tensor clone_autograd(const Tensor& self) {
  Tensor out = autograd::below_autograd([&] { return ops::clone(self); });
  return record("CloneBackward0", out, {&self}, {}, false, &pass_through);
}

// contiguous() of a contiguous tensor is the tensor itself: nothing to record.
Tensor contiguous_autograd(const Tensor& self) {
  Tensor out = autograd::below_autograd([&] { return ops::contiguous(self); });
  if (out.impl() == self.impl()) return out;
  return record("CloneBackward0", out, {&self}, {}, false, &pass_through);
}

// The gradient goes back to the input's device (its dtype: the node's reduce_grad).
Tensor to_autograd(const Tensor& self, std::optional<Device> device, std::optional<DType> dtype, bool non_blocking,
                   bool copy) {
  Tensor out = autograd::below_autograd([&] { return ops::to(self, device, dtype, non_blocking, copy); });
  if (out.impl() == self.impl()) return out;
  const Device from = self.device();
  return record("ToCopyBackward0", out, {&self}, {}, false,
                [from](const F&, const Tensor& g, const TensorVec&) -> TensorVec {
                  return {g.device() == from ? g : ops::to(g, from, std::nullopt)};
                });
}

}  // namespace

TS_REGISTER_KERNEL("clone", Autograd, &clone_autograd);
TS_REGISTER_KERNEL("contiguous", Autograd, &contiguous_autograd);
TS_REGISTER_KERNEL("to", Autograd, &to_autograd);

}  // namespace tessera

#include "autograd/accumulate_grad.h"

#include "autograd/grad_mode.h"
#include "autograd/meta.h"
#include "ops/binary.h"
#include "ops/copy.h"

namespace tessera::autograd {

void accumulate_into_grad(const Tensor& variable, Tensor g) {
  AutogradMeta& m = materialize_meta(variable);
  std::vector<TensorHook> hooks;
  std::vector<std::function<void(const Tensor&)>> post;
  {
    std::lock_guard<std::mutex> lock(m.mutex);
    hooks = m.leaf_hooks;
    post = m.post_accumulate_hooks;
  }
  for (auto& h : hooks) {
    Tensor r = h(g);
    if (r.defined()) g = r;
  }
  {
    std::lock_guard<std::mutex> lock(m.mutex);
    if (!m.grad.defined()) {
      // Own the gradient: the incoming tensor may be a user's or alias another buffer.
      m.grad = grad_enabled() ? g : ops::clone(detach(g));
    } else if (grad_enabled()) {
      m.grad = ops::add(m.grad, g);  // create_graph: keep the sum differentiable
    } else {
      ops::add_(m.grad, g);
    }
  }
  for (auto& h : post) h(variable);
}

TensorVec AccumulateGrad::apply(TensorVec&& grads) {
  if (!grads.empty() && grads[0].defined()) accumulate_into_grad(variable_, std::move(grads[0]));
  return {};
}

}  // namespace tessera::autograd

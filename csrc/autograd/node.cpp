#include "autograd/node.h"

#include "autograd/anomaly_mode.h"

namespace tessera::autograd {

namespace {
// Later nodes run first when several are ready (their inputs come from earlier nodes).
std::atomic<uint64_t> g_next_sequence_nr{0};
}  // namespace

Node::Node() : sequence_nr_(g_next_sequence_nr.fetch_add(1, std::memory_order_relaxed)) {
  if (AnomalyMode::enabled()) anomaly_metadata_ = make_anomaly_metadata();
}

uint32_t Node::add_output_meta(const Tensor& t) {
  output_meta_.push_back(OutputMeta{DimVector(t.sizes()), t.dtype(), t.device()});
  return static_cast<uint32_t>(output_meta_.size() - 1);
}

void Node::add_pre_hook(uint32_t slot, TensorHook hook) {
  std::lock_guard<std::mutex> lock(hooks_mutex_);
  pre_hooks_.emplace_back(slot, std::move(hook));
}

void Node::run_pre_hooks(TensorVec& grads) {
  std::vector<std::pair<uint32_t, TensorHook>> hooks;
  {
    std::lock_guard<std::mutex> lock(hooks_mutex_);
    hooks = pre_hooks_;
  }
  for (auto& [slot, hook] : hooks) {
    if (slot >= grads.size() || !grads[slot].defined()) continue;
    Tensor replaced = hook(grads[slot]);
    if (replaced.defined()) grads[slot] = replaced;
  }
}

}  // namespace tessera::autograd

#pragma once
// Per-tensor autograd state (hung off TensorImpl::autograd_meta) and the functions that read and
// write it.
#include <functional>
#include <memory>
#include <mutex>

#include "autograd/forward_grad.h"
#include "autograd/node.h"

namespace tessera::autograd {

struct AutogradMeta final : AutogradMetaInterface {
  bool requires_grad_flag = false;  // leaves; non-leaves require grad through grad_fn
  std::shared_ptr<Node> grad_fn;
  uint32_t output_nr = 0;
  std::weak_ptr<Node> grad_accumulator;  // the AccumulateGrad node of a leaf, while a graph uses it
  Tensor grad;
  bool retains_grad = false;
  std::vector<TensorHook> leaf_hooks;                                  // run before accumulation
  std::vector<std::function<void(const Tensor&)>> post_accumulate_hooks;  // run after
  std::mutex mutex;
  // Tangent while a dual level is open (autograd/forward_ad.h); shared with a saved output's copies.
  std::shared_ptr<ForwardGrad> fw_grad;
  // Set on outputs of unbind/split/chunk: in-place writes into them are refused (as PyTorch).
  const char* multi_output_view_of = nullptr;

  bool requires_grad() const override { return requires_grad_flag || grad_fn != nullptr; }
};

AutogradMeta* meta(const Tensor& t);  // null when the tensor never took part in autograd
AutogradMeta& materialize_meta(const Tensor& t);

void set_requires_grad(const Tensor& t, bool requires_grad);
bool is_leaf(const Tensor& t);
std::shared_ptr<Node> grad_fn(const Tensor& t);
Tensor grad(const Tensor& t);
void set_grad(const Tensor& t, const Tensor& grad);
// The edge a gradient for `t` flows into: its grad_fn, or its AccumulateGrad node for a leaf
// that requires grad; an invalid edge otherwise.
Edge gradient_edge(const Tensor& t);
std::shared_ptr<Node> grad_accumulator(const Tensor& t);
// Records that `out` is output number k of `fn` (k = the node's next output slot).
void set_history(const Tensor& out, const std::shared_ptr<Node>& fn);
// A tensor sharing storage and version counter with `t`, outside the graph.
Tensor detach(const Tensor& t);
// Keep the gradient of a non-leaf in .grad after backward.
void retain_grad(const Tensor& t);
void register_hook(const Tensor& t, TensorHook hook);
void register_post_accumulate_grad_hook(const Tensor& t, std::function<void(const Tensor&)> hook);

// True when grad mode is on and any defined tensor requires grad: the op must record a node.
bool compute_requires_grad(std::initializer_list<const Tensor*> inputs);
// Edges for the inputs of a new node, in order.
std::vector<Edge> collect_next_edges(std::initializer_list<const Tensor*> inputs);

}  // namespace tessera::autograd

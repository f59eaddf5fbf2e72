#pragma once
// Helpers for an op's Autograd kernel: run the op below autograd, then record a node when an
// input requires grad. See the note in docs/design/autograd.md.
#include <memory>

#include "autograd/grad_mode.h"
#include "autograd/meta.h"
#include "dispatch/dispatch_key.h"

namespace tessera::autograd {

// Runs `fn` with the Autograd key excluded (the backend kernel computes the forward).
template <class F>
auto below_autograd(F&& fn) {
  ExcludeDispatchKeyGuard guard(DispatchKey::Autograd);
  return fn();
}

// A new node of type NodeT wired to `inputs` when any of them requires grad (else null).
template <class NodeT>
std::shared_ptr<NodeT> make_node(std::initializer_list<const Tensor*> inputs) {
  if (!compute_requires_grad(inputs)) return nullptr;
  auto n = std::make_shared<NodeT>();
  n->set_next_edges(collect_next_edges(inputs));
  return n;
}

}  // namespace tessera::autograd

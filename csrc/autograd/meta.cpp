#include "autograd/meta.h"

#include "autograd/accumulate_grad.h"
#include "autograd/grad_mode.h"
#include "autograd/inplace.h"
#include "core/error.h"
#include "ops/binary.h"

namespace tessera::autograd {

AutogradMeta* meta(const Tensor& t) { return static_cast<AutogradMeta*>(t.impl()->autograd_meta()); }

AutogradMeta& materialize_meta(const Tensor& t) {
  if (!t.impl()->autograd_meta()) t.impl()->set_autograd_meta(std::make_unique<AutogradMeta>());
  return *meta(t);
}

void set_requires_grad(const Tensor& t, bool requires_grad) {
  AutogradMeta* m = meta(t);
  if (m && m->grad_fn) {
    TS_CHECK(requires_grad, "[requires_grad_] you can only change requires_grad flags of leaf variables. If you want "
             "to use a computed variable in a subgraph that doesn't require differentiation use var_no_grad = "
             "var.detach().");
    return;
  }
  TS_CHECK(!requires_grad || is_floating(t.dtype()), "[requires_grad_] only Tensors of floating point dtype can "
           "require gradients, got ", dtype_name(t.dtype()));
  if (!m && !requires_grad) return;
  materialize_meta(t).requires_grad_flag = requires_grad;
}

bool is_leaf(const Tensor& t) {
  refresh_view_history(t);
  AutogradMeta* m = meta(t);
  return !m || !m->grad_fn;
}

std::shared_ptr<Node> grad_fn(const Tensor& t) {
  refresh_view_history(t);
  AutogradMeta* m = meta(t);
  return m ? m->grad_fn : nullptr;
}

Tensor grad(const Tensor& t) {
  AutogradMeta* m = meta(t);
  if (!m) return Tensor();
  std::lock_guard<std::mutex> lock(m->mutex);
  return m->grad;
}

void set_grad(const Tensor& t, const Tensor& g) {
  if (g.defined()) {
    TS_CHECK(g.dtype() == t.dtype(), "[grad] assigned grad has data type ", dtype_name(g.dtype()),
             ", but the tensor has ", dtype_name(t.dtype()));
    TS_CHECK(g.device() == t.device(), "[grad] assigned grad is on ", g.device().str(), ", but the tensor is on ",
             t.device().str());
    TS_CHECK(std::equal(g.sizes().begin(), g.sizes().end(), t.sizes().begin(), t.sizes().end()),
             "[grad] assigned grad has shape ", shape_str(g.sizes()), ", but the tensor has shape ",
             shape_str(t.sizes()));
  }
  AutogradMeta& m = materialize_meta(t);
  std::lock_guard<std::mutex> lock(m.mutex);
  m.grad = g;
}

std::shared_ptr<Node> grad_accumulator(const Tensor& t) {
  AutogradMeta& m = materialize_meta(t);
  std::lock_guard<std::mutex> lock(m.mutex);
  if (auto acc = m.grad_accumulator.lock()) return acc;
  auto acc = std::make_shared<AccumulateGrad>(t);
  m.grad_accumulator = acc;
  return acc;
}

Edge gradient_edge(const Tensor& t) {
  if (!t.defined()) return Edge();
  refresh_view_history(t);
  AutogradMeta* m = meta(t);
  if (!m) return Edge();
  if (m->grad_fn) return Edge{m->grad_fn, m->output_nr};
  if (m->requires_grad_flag) return Edge{grad_accumulator(t), 0};
  return Edge();
}

void set_history(const Tensor& out, const std::shared_ptr<Node>& fn) {
  AutogradMeta& m = materialize_meta(out);
  m.output_nr = fn->add_output_meta(out);
  m.grad_fn = fn;
}

Tensor detach(const Tensor& t) {
  TensorImpl* b = t.impl();
  return Tensor(make_intrusive<TensorImpl>(b->storage(), b->dtype(), DimVector(b->sizes()), DimVector(b->strides()),
                                           b->storage_offset(), b->version_counter()));
}

void retain_grad(const Tensor& t) {
  AutogradMeta* m = meta(t);
  TS_CHECK(m && m->requires_grad(), "[retain_grad] can't retain_grad on Tensor that has requires_grad=False");
  if (!m->grad_fn || m->retains_grad) return;  // leaves keep their grad anyway
  m->retains_grad = true;
  // The hook holds the impl weakly in spirit: a raw pointer is safe because the node that runs it
  // is owned by the tensor's graph, which the tensor keeps alive.
  TensorImpl* impl = t.impl();
  const Node* owner = m->grad_fn.get();
  m->grad_fn->add_pre_hook(m->output_nr, [impl, owner](const Tensor& g) {
    auto* am = static_cast<AutogradMeta*>(impl->autograd_meta());
    if (am->grad_fn.get() != owner) return Tensor();  // rebased by an in-place op since
    std::lock_guard<std::mutex> lock(am->mutex);
    am->grad = am->grad.defined() ? ops::add(am->grad, g) : detach(g);
    return Tensor();
  });
}

void register_hook(const Tensor& t, TensorHook hook) {
  AutogradMeta* m = meta(t);
  TS_CHECK(m && m->requires_grad(), "[register_hook] cannot register a hook on a tensor that doesn't require gradient");
  if (m->grad_fn) {
    m->grad_fn->add_pre_hook(m->output_nr, std::move(hook));
  } else {
    std::lock_guard<std::mutex> lock(m->mutex);
    m->leaf_hooks.push_back(std::move(hook));
  }
}

void register_post_accumulate_grad_hook(const Tensor& t, std::function<void(const Tensor&)> hook) {
  AutogradMeta* m = meta(t);
  TS_CHECK(m && m->requires_grad(), "[register_post_accumulate_grad_hook] cannot register a hook on a tensor that "
           "doesn't require gradient");
  TS_CHECK(!m->grad_fn, "[register_post_accumulate_grad_hook] post accumulate grad hooks cannot be registered on "
           "non-leaf tensors");
  std::lock_guard<std::mutex> lock(m->mutex);
  m->post_accumulate_hooks.push_back(std::move(hook));
}

bool compute_requires_grad(std::initializer_list<const Tensor*> inputs) {
  if (!grad_enabled()) return false;
  for (const Tensor* t : inputs)
    if (t->defined() && t->requires_grad()) return true;
  return false;
}

std::vector<Edge> collect_next_edges(std::initializer_list<const Tensor*> inputs) {
  std::vector<Edge> edges;
  edges.reserve(inputs.size());
  for (const Tensor* t : inputs) edges.push_back(gradient_edge(*t));
  return edges;
}

}  // namespace tessera::autograd

#include "autograd/engine.h"

#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "autograd/accumulate_grad.h"
#include "autograd/anomaly_mode.h"
#include "autograd/grad_mode.h"
#include "autograd/meta.h"
#include "core/error.h"
#include "ops/binary.h"
#include "ops/copy.h"

namespace tessera::autograd {

namespace {

Tensor ones_like(const Tensor& t) {
  Tensor out = empty_tensor(t.sizes(), t.dtype(), t.device());
  ops::copy_(out, scalar_tensor(1, t.dtype()));
  return out;
}

struct Capture {
  uint32_t slot;
  size_t index;  // into the result vector
};

class GraphTask {
 public:
  GraphTask(const BackwardOptions& opts) : opts_(opts) {}

  // Runs the graph from `roots` (edges with their seed gradients). With captures, only the
  // nodes that lead to a captured edge run, and captured gradients are returned.
  TensorVec run(const std::vector<Edge>& roots, TensorVec seeds, const std::vector<Edge>& captures) {
    result_.resize(captures.size());
    for (size_t i = 0; i < captures.size(); ++i) {
      if (captures[i].valid()) captures_[captures[i].function.get()].push_back({captures[i].input_nr, i});
    }
    count_dependencies(roots);
    if (!captures_.empty() || !captures.empty()) mark_needed(roots);
    for (size_t i = 0; i < roots.size(); ++i) {
      if (!roots[i].valid()) continue;
      add_to_buffer(roots[i], std::move(seeds[i]));
    }
    std::unordered_set<Node*> queued;
    for (const Edge& r : roots) {
      Node* n = r.function.get();
      if (n && dependencies_[n] == 0 && queued.insert(n).second) ready_.push(n);
    }
    while (!ready_.empty()) {
      Node* n = ready_.top();
      ready_.pop();
      execute(n);
    }
    return std::move(result_);
  }

 private:
  struct LaterFirst {
    bool operator()(Node* a, Node* b) const { return a->sequence_nr() < b->sequence_nr(); }
  };

  void count_dependencies(const std::vector<Edge>& roots) {
    std::vector<Node*> stack;
    for (const Edge& r : roots)
      if (r.valid() && seen_.insert(r.function.get()).second) stack.push_back(r.function.get());
    while (!stack.empty()) {
      Node* n = stack.back();
      stack.pop_back();
      nodes_.emplace(n, n->shared_from_this());  // keep alive while the task runs
      for (const Edge& e : n->next_edges()) {
        if (!e.valid()) continue;
        ++dependencies_[e.function.get()];
        if (seen_.insert(e.function.get()).second) stack.push_back(e.function.get());
      }
    }
  }

  // A node is needed when a captured edge is reachable from it (or it is captured itself).
  void mark_needed(const std::vector<Edge>& roots) {
    filter_ = true;
    std::unordered_map<Node*, int> state;  // 1: visiting, 2: done
    std::vector<std::pair<Node*, size_t>> stack;
    for (const Edge& r : roots) {
      if (!r.valid() || state.count(r.function.get())) continue;
      stack.push_back({r.function.get(), 0});
      state[r.function.get()] = 1;
      while (!stack.empty()) {
        auto& [n, i] = stack.back();
        if (i < n->next_edges().size()) {
          Node* child = n->next_edges()[i++].function.get();
          if (child && !state.count(child)) {
            state[child] = 1;
            stack.push_back({child, 0});
          }
          continue;
        }
        bool need = false;
        for (const Edge& e : n->next_edges())
          if (e.valid() && needed_.count(e.function.get())) need = true;
        if (need) needed_.insert(n);
        if (captures_.count(n)) {
          captured_only_.insert(n);
          needed_.insert(n);
        }
        if (need) captured_only_.erase(n);
        state[n] = 2;
        stack.pop_back();
      }
    }
  }

  void add_to_buffer(const Edge& e, Tensor g) {
    TensorVec& buf = buffers_[e.function.get()];
    if (buf.empty()) buf.resize(e.function->num_outputs_of_forward());
    if (!g.defined()) return;
    Tensor& slot = buf.at(e.input_nr);
    slot = slot.defined() ? ops::add(slot, g) : std::move(g);
  }

  void execute(Node* n) {
    TensorVec grads = std::move(buffers_[n]);
    buffers_.erase(n);
    if (grads.empty()) grads.resize(n->num_outputs_of_forward());
    if (n->has_pre_hooks()) n->run_pre_hooks(grads);
    if (auto it = captures_.find(n); it != captures_.end()) {
      for (const Capture& c : it->second) result_[c.index] = grads[c.slot];
    }
    if (filter_ && (!needed_.count(n) || captured_only_.count(n))) return release_children(n);
    bool any = false;
    for (const Tensor& g : grads) any |= g.defined();
    if (!any) return release_children(n);  // nothing flows through this node
    TensorVec outs;
    {
      GradModeGuard mode(opts_.create_graph);
      outs = AnomalyMode::enabled() ? apply_with_anomaly_checks(*n, std::move(grads)) : n->apply(std::move(grads));
    }
    // Without retain_graph the saved tensors go; a second backward then fails when it unpacks them.
    if (!opts_.keep_graph) n->release_saved();
    const auto& edges = n->next_edges();
    TS_CHECK(outs.size() == edges.size(), "[backward] ", n->name(), " returned ",
             outs.size(), " gradients but expected ", edges.size());
    for (size_t i = 0; i < edges.size() && i < outs.size(); ++i) {
      const Edge& e = edges[i];
      if (!e.valid()) continue;
      if (outs[i].defined()) validate(n, i, outs[i], e);
      add_to_buffer(e, std::move(outs[i]));
      ready_if_done(e.function.get());
    }
  }

  void release_children(Node* n) {
    for (const Edge& e : n->next_edges())
      if (e.valid()) ready_if_done(e.function.get());
  }

  void ready_if_done(Node* child) {
    if (--dependencies_[child] == 0) ready_.push(child);
  }

  static void validate(Node* n, size_t i, const Tensor& g, const Edge& e) {
    const OutputMeta& want = e.function->output_meta(e.input_nr);
    TS_CHECK(std::equal(g.sizes().begin(), g.sizes().end(), want.shape.begin(), want.shape.end()), "[backward] Function ",
             n->name(), " returned an invalid gradient at index ", i, " - got ", shape_str(g.sizes()),
             " but expected shape compatible with ", shape_str(want.shape));
    TS_CHECK(g.dtype() == want.dtype, "[backward] Function ", n->name(), " returned an invalid gradient at index ", i,
             " - expected dtype ", dtype_name(want.dtype), " but got ", dtype_name(g.dtype()));
  }

  BackwardOptions opts_;
  std::unordered_set<Node*> seen_;
  std::unordered_map<Node*, std::shared_ptr<Node>> nodes_;
  std::unordered_map<Node*, int> dependencies_;
  std::unordered_map<Node*, TensorVec> buffers_;
  std::unordered_map<Node*, std::vector<Capture>> captures_;
  std::unordered_set<Node*> needed_, captured_only_;
  bool filter_ = false;
  std::priority_queue<Node*, std::vector<Node*>, LaterFirst> ready_;
  TensorVec result_;
};

// Root edges and seed gradients; a missing seed means ones, allowed only for one-element outputs.
std::pair<std::vector<Edge>, TensorVec> roots_and_seeds(const TensorVec& outputs, const TensorVec& grad_outputs,
                                                        const char* op) {
  TS_CHECK(grad_outputs.empty() || grad_outputs.size() == outputs.size(), "[", op, "] grad_outputs has ",
           grad_outputs.size(), " tensors but outputs has ", outputs.size());
  std::vector<Edge> roots;
  TensorVec seeds;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& out = outputs[i];
    TS_CHECK(out.defined() && out.requires_grad(), "[", op, "] element ", i,
             " of tensors does not require grad and does not have a grad_fn");
    Tensor seed = grad_outputs.empty() ? Tensor() : grad_outputs[i];
    if (!seed.defined()) {
      TS_CHECK(out.numel() == 1, "[", op, "] grad can be implicitly created only for scalar outputs (got shape ",
               shape_str(out.sizes()), ")");
      seed = ones_like(out);
    } else {
      TS_CHECK(std::equal(seed.sizes().begin(), seed.sizes().end(), out.sizes().begin(), out.sizes().end()), "[", op,
               "] Mismatch in shape: grad_output[", i, "] has a shape of ", shape_str(seed.sizes()),
               " and output[", i, "] has a shape of ", shape_str(out.sizes()), ".");
    }
    roots.push_back(gradient_edge(out));
    seeds.push_back(seed);
  }
  return {roots, seeds};
}

}  // namespace

void backward(const TensorVec& outputs, const TensorVec& grad_outputs, const BackwardOptions& opts,
              const TensorVec& inputs) {
  auto [roots, seeds] = roots_and_seeds(outputs, grad_outputs, "backward");
  if (inputs.empty()) {
    GraphTask(opts).run(roots, std::move(seeds), {});
    return;
  }
  std::vector<Edge> captures;
  for (const Tensor& t : inputs) {
    TS_CHECK(t.requires_grad(), "[backward] One of the differentiated Tensors does not require grad");
    captures.push_back(gradient_edge(t));
  }
  TensorVec grads = GraphTask(opts).run(roots, std::move(seeds), captures);
  GradModeGuard mode(opts.create_graph);
  for (size_t i = 0; i < inputs.size(); ++i)
    if (grads[i].defined()) accumulate_into_grad(inputs[i], grads[i]);
}

TensorVec grad(const TensorVec& outputs, const TensorVec& inputs, const TensorVec& grad_outputs,
               const BackwardOptions& opts) {
  auto [roots, seeds] = roots_and_seeds(outputs, grad_outputs, "grad");
  std::vector<Edge> captures;
  for (size_t i = 0; i < inputs.size(); ++i) {
    TS_CHECK(inputs[i].requires_grad(), "[grad] One of the differentiated Tensors does not require grad");
    captures.push_back(gradient_edge(inputs[i]));
  }
  TensorVec grads = GraphTask(opts).run(roots, std::move(seeds), captures);
  for (size_t i = 0; i < grads.size(); ++i) {
    TS_CHECK(grads[i].defined() || opts.allow_unused, "[grad] One of the differentiated Tensors appears to not have "
             "been used in the graph. Set allow_unused=True if this is the desired behavior.");
  }
  return grads;
}

}  // namespace tessera::autograd

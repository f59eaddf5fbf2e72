// tessera.autograd.Function: the graph node of a custom Python Function. Its apply() takes the GIL
// and calls the class's Python backward (the engine itself runs with the GIL released). The node
// owns the Python ctx; the ctx reaches the node only through a weak handle, so no C++ <-> Python
// reference cycle keeps either alive.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "autograd/formula_utils.h"
#include "autograd/grad_mode.h"
#include "autograd/meta.h"
#include "autograd/saved_tensor.h"
#include "binder.h"
#include "casters.h"
#include "ops/creation.h"

namespace tessera::python {

namespace ag = tessera::autograd;

namespace {

bool python_alive() {
  return Py_IsInitialized() && !_Py_IsFinalizing();
}

class PyFunctionNode final : public ag::Node {
 public:
  PyFunctionNode(std::string name, nb::object ctx, nb::object backward)
      : name_(std::move(name)), ctx_(std::move(ctx)), backward_(std::move(backward)) {}
  ~PyFunctionNode() override {
    if (!python_alive()) {  // at exit: leak rather than touch a dying interpreter
      ctx_.release();
      backward_.release();
      return;
    }
    nb::gil_scoped_acquire gil;
    ctx_.reset();
    backward_.reset();
  }

  std::string name() const override { return name_; }
  ag::TensorVec apply(ag::TensorVec&& grads) override;
  void release_saved() override {
    for (auto& s : saved_) s.reset();
  }

  // Per forward argument: its next edge index, or -1 for a non-tensor argument.
  std::vector<int> input_slot;
  std::vector<ag::InputInfo> input_info;  // per next edge
  // Per element of the forward's result: its output slot on this node, or -1 for a non-tensor.
  std::vector<int> output_slot;
  std::vector<ag::SavedTensor> saved_;

 private:
  nb::tuple call_backward(const ag::TensorVec& grads);

  std::string name_;
  nb::object ctx_;
  nb::object backward_;
};

// Python-facing weak reference from a ctx to its node (ctx.saved_tensors goes through it).
struct FunctionNodeHandle {
  std::weak_ptr<PyFunctionNode> node;
};

nb::tuple PyFunctionNode::call_backward(const ag::TensorVec& grads) {
  bool materialize = nb::cast<bool>(ctx_.attr("_materialize_grads"));
  nb::list args;
  args.append(ctx_);
  for (int slot : output_slot) {
    if (slot < 0) {
      args.append(nb::none());
      continue;
    }
    Tensor g = grads[slot];
    if (!g.defined() && materialize) {
      const ag::OutputMeta& m = output_meta(slot);
      g = ops::zeros(m.shape, m.dtype, m.device);
    }
    args.append(g.defined() ? nb::cast(g) : nb::none());
  }
  nb::object r = backward_(*nb::tuple(args));
  if (!nb::isinstance<nb::tuple>(r)) return nb::make_tuple(r);
  return nb::borrow<nb::tuple>(r);
}

ag::TensorVec PyFunctionNode::apply(ag::TensorVec&& grads) {
  nb::gil_scoped_acquire gil;
  nb::tuple r = call_backward(grads);
  const size_t expected = input_slot.size(), got = nb::len(r);
  if (got != expected) {
    // PyTorch accepts extra trailing Nones.
    bool extras_none = got > expected;
    for (size_t i = expected; extras_none && i < got; ++i) extras_none = r[i].is_none();
    TS_CHECK(extras_none, "function ", name_, " returned an incorrect number of gradients (expected ", expected,
             ", got ", got, ")");
  }
  ag::TensorVec out(next_edges().size());
  for (size_t i = 0; i < expected; ++i) {
    nb::handle v = r[i];
    const int slot = input_slot[i];
    if (slot < 0) {
      TS_CHECK(v.is_none(), "function ", name_, " returned a gradient different than None at position ", i + 1,
               ", but the corresponding forward input was not a Variable");
      continue;
    }
    if (v.is_none()) continue;
    Tensor g;
    TS_CHECK(nb::try_cast<Tensor>(v, g), "expected Variable or None (got ", nb::inst_name(v).c_str(), ")");
    if (!next_edges()[slot].valid()) continue;  // that input needs no gradient
    // As PyTorch: a gradient of another dtype is converted; a wrong shape is an error (engine).
    if (g.dtype() != input_info[slot].dtype &&
        std::equal(g.sizes().begin(), g.sizes().end(), input_info[slot].shape.begin(), input_info[slot].shape.end()))
      g = ag::to_input_dtype(g, input_info[slot].dtype);
    out[slot] = std::move(g);
  }
  return out;
}

bool same_impl(const Tensor& a, const Tensor& b) {
  return a.defined() && b.defined() && a.impl() == b.impl();
}

bool contains(const std::vector<Tensor>& v, const Tensor& t) {
  for (const Tensor& x : v)
    if (same_impl(x, t)) return true;
  return false;
}

std::vector<Tensor> tensors_of(nb::handle seq, const char* what) {
  std::vector<Tensor> out;
  if (seq.is_none()) return out;
  for (nb::handle h : nb::iter(seq)) {
    Tensor t;
    TS_CHECK_TYPE(nb::try_cast<Tensor>(h, t), "[", what, "] expected tensors, got ", nb::inst_name(h).c_str());
    out.push_back(t);
  }
  return out;
}

// Wraps the results of Function.forward into the graph: records the node when an input requires
// grad, marks outputs, and moves ctx.to_save into version-checked saved tensors.
nb::object record_function(nb::object ctx, const std::string& name, nb::object backward, nb::tuple args,
                           nb::object result) {
  std::vector<Tensor> inputs;
  std::vector<int> input_slot;
  bool any_requires_grad = false;
  for (nb::handle a : args) {
    Tensor t;
    if (nb::try_cast<Tensor>(a, t)) {
      input_slot.push_back(static_cast<int>(inputs.size()));
      inputs.push_back(t);
      any_requires_grad |= t.requires_grad();
    } else {
      input_slot.push_back(-1);
    }
  }
  const bool is_tuple = nb::isinstance<nb::tuple>(result);
  nb::tuple outs = is_tuple ? nb::borrow<nb::tuple>(result) : nb::make_tuple(result);
  std::vector<Tensor> non_diff = tensors_of(ctx.attr("_non_differentiable"), "mark_non_differentiable");
  std::vector<Tensor> dirty = tensors_of(ctx.attr("_dirty"), "mark_dirty");
  if (!ag::grad_enabled() || !any_requires_grad) {
    ctx.attr("_dirty") = nb::none();
    return result;  // nothing to record; outputs stay as forward made them (requires_grad=False)
  }

  auto node = std::make_shared<PyFunctionNode>(name, ctx, backward);
  std::vector<ag::Edge> edges;
  for (const Tensor& t : inputs) {
    edges.push_back(ag::gradient_edge(t));
    node->input_info.emplace_back().set(t);
  }
  node->set_next_edges(std::move(edges));
  node->input_slot = std::move(input_slot);

  for (const Tensor& d : dirty) {
    TS_CHECK(contains(inputs, d), "[mark_dirty] only inputs of the Function can be marked dirty");
    bool returned = false;
    for (nb::handle o : outs) {
      Tensor t;
      returned |= nb::try_cast<Tensor>(o, t) && same_impl(t, d);
    }
    TS_CHECK(returned,
             "Some elements marked as dirty during the forward method were not returned as output. The "
             "inputs that are modified inplace must all be outputs of the Function.");
    TS_CHECK(!(ag::is_leaf(d) && d.requires_grad()),
             "a leaf Variable that requires grad is being used in an in-place operation.");
    // Without view tracking, rewriting the history of a tensor that shares storage could leave a
    // view with a stale graph: refuse until in-place autograd handles views.
    TS_CHECK_NOT_IMPLEMENTED(d.impl()->storage().use_count() == 1,
                             "[mark_dirty] in-place custom Functions on "
                             "tensors that share storage with other tensors (views) are not supported yet");
  }

  nb::list new_outs;
  std::vector<Tensor> out_tensors;
  for (nb::handle o : outs) {
    Tensor t;
    if (!nb::try_cast<Tensor>(o, t)) {
      node->output_slot.push_back(-1);
      new_outs.append(o);
      continue;
    }
    nb::object py = nb::borrow(o);
    const bool differentiable = is_floating(t.dtype()) && !contains(non_diff, t);
    // An input returned as is: a new tensor aliasing it (same storage and version counter) carries
    // this output's history, as PyTorch's view does. (A tensor returned twice is one object, as in
    // PyTorch: its history is the last slot.)
    if (contains(inputs, t) && !contains(dirty, t)) {
      t = ag::detach(t);
      py = nb::cast(t);
    }
    if (differentiable) {
      ag::set_history(t, node);
      node->output_slot.push_back(static_cast<int>(ag::meta(t)->output_nr));
    } else {
      node->output_slot.push_back(static_cast<int>(node->add_output_meta(t)));
    }
    out_tensors.push_back(t);
    new_outs.append(py);
  }

  // Saved after set_history: outputs are kept without their grad_fn (no node -> tensor -> node cycle).
  nb::object to_save = ctx.attr("to_save");
  if (!to_save.is_none()) {
    size_t i = 0;
    for (nb::handle h : nb::iter(to_save)) {
      Tensor t;
      if (h.is_none()) {
        node->saved_.emplace_back(Tensor(), false);
      } else {
        TS_CHECK_TYPE(nb::try_cast<Tensor>(h, t), "save_for_backward can only save variables, but argument ", i,
                      " is of type ", nb::inst_name(h).c_str());
        node->saved_.emplace_back(t, contains(out_tensors, t) && ag::meta(t) && ag::meta(t)->grad_fn == node);
      }
      ++i;
    }
  }
  ctx.attr("to_save") = nb::none();
  ctx.attr("_dirty") = nb::none();
  ctx.attr("_non_differentiable") = nb::none();
  ctx.attr("_handle") = nb::cast(FunctionNodeHandle{node});
  if (!is_tuple) return new_outs[0];
  return nb::tuple(new_outs);
}

}  // namespace

TS_BINDER(function, 20) {
  using namespace nb::literals;
  nb::class_<FunctionNodeHandle>(m, "_FunctionNodeHandle")
      .def("saved_tensors",
           [](const FunctionNodeHandle& h) {
             auto node = h.node.lock();
             TS_CHECK(node,
                      "Trying to backward through the graph a second time (or directly access saved tensors after "
                      "they have already been freed).");
             nb::list out;
             for (const ag::SavedTensor& s : node->saved_) {
               Tensor t = s.unpack(node);
               out.append(t.defined() ? nb::cast(t) : nb::none());
             }
             return nb::tuple(out);
           })
      .def("name", [](const FunctionNodeHandle& h) {
        auto node = h.node.lock();
        return node ? node->name() : std::string();
      });
  m.def("_function_record", &record_function, "ctx"_a, "name"_a, "backward"_a, "args"_a, "result"_a.none());
}

}  // namespace tessera::python

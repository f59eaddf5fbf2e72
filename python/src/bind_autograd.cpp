// Autograd surface of Tensor (requires_grad, grad, grad_fn, backward, hooks) and the engine entry
// points used by tessera.autograd. The GIL is released while the engine runs; Python hooks take
// it back when called.
#include <atomic>
#include <memory>

#include "autograd/engine.h"
#include "autograd/grad_mode.h"
#include "autograd/meta.h"
#include "binder.h"
#include "casters.h"

namespace tessera::python {

namespace ag = tessera::autograd;

namespace {

// A Python callable kept alive by C++ hooks; released under the GIL.
std::shared_ptr<nb::object> hold(nb::object fn) {
  return std::shared_ptr<nb::object>(new nb::object(std::move(fn)), [](nb::object* p) {
    nb::gil_scoped_acquire gil;
    delete p;
  });
}

struct RemovableHandle {
  std::shared_ptr<std::atomic<bool>> alive = std::make_shared<std::atomic<bool>>(true);
  void remove() { alive->store(false); }
};

struct PyNode {
  std::shared_ptr<ag::Node> node;
};

nb::object node_object(const std::shared_ptr<ag::Node>& n) {
  if (!n) return nb::none();
  return nb::cast(PyNode{n});
}

std::vector<Tensor> tensor_seq(nb::handle h) {
  if (h.is_none()) return {};
  Tensor t;
  if (nb::try_cast<Tensor>(h, t)) return {t};
  std::vector<Tensor> out;
  for (nb::handle e : nb::iter(h)) out.push_back(e.is_none() ? Tensor() : nb::cast<Tensor>(e));
  return out;
}

nb::object tensor_or_none(const Tensor& t) { return t.defined() ? nb::cast(t) : nb::none(); }

}  // namespace

TS_BINDER(autograd, 10) {
  using namespace nb::literals;
  nb::class_<RemovableHandle>(m, "RemovableHandle").def("remove", &RemovableHandle::remove);
  nb::class_<PyNode>(m, "Node")
      .def("name", [](const PyNode& n) { return n.node->name(); })
      .def_prop_ro("next_functions", [](const PyNode& n) {
        nb::list out;
        for (const ag::Edge& e : n.node->next_edges()) out.append(nb::make_tuple(node_object(e.function), e.input_nr));
        return nb::tuple(out);
      })
      .def("__eq__", [](const PyNode& a, const PyNode& b) { return a.node == b.node; })
      .def("__hash__", [](const PyNode& n) { return reinterpret_cast<uintptr_t>(n.node.get()); })
      .def("__repr__", [](const PyNode& n) { return "<" + n.node->name() + " object>"; });

  m.def("_set_grad_enabled", &ag::set_grad_enabled, "enabled"_a);
  m.def("is_grad_enabled", &ag::grad_enabled);
  m.def("_set_inference_mode", &ag::set_inference_mode, "enabled"_a);
  m.def("is_inference_mode_enabled", &ag::inference_mode);

  m.def("_backward", [](nb::handle tensors, nb::handle grads, bool keep_graph, bool create_graph, nb::handle inputs) {
    auto outs = tensor_seq(tensors), seeds = tensor_seq(grads), ins = tensor_seq(inputs);
    nb::gil_scoped_release release;
    ag::backward(outs, seeds, {keep_graph, create_graph, false}, ins);
  }, "tensors"_a, "grad_tensors"_a, "retain_graph"_a, "create_graph"_a, "inputs"_a);
  m.def("_grad", [](nb::handle outputs, nb::handle inputs, nb::handle grad_outputs, bool keep_graph, bool create_graph,
                    bool allow_unused) {
    auto outs = tensor_seq(outputs), ins = tensor_seq(inputs), seeds = tensor_seq(grad_outputs);
    std::vector<Tensor> grads;
    {
      nb::gil_scoped_release release;
      grads = ag::grad(outs, ins, seeds, {keep_graph, create_graph, allow_unused});
    }
    nb::list r;
    for (const Tensor& g : grads) r.append(tensor_or_none(g));
    return nb::tuple(r);
  }, "outputs"_a, "inputs"_a, "grad_outputs"_a, "retain_graph"_a, "create_graph"_a, "allow_unused"_a);

  cls.def_prop_rw("requires_grad", [](const Tensor& t) { return t.requires_grad(); },
                  [](const Tensor& t, bool v) { ag::set_requires_grad(t, v); })
      .def("requires_grad_", [](const Tensor& t, bool v) {
        ag::set_requires_grad(t, v);
        return t;
      }, "requires_grad"_a = true)
      .def_prop_rw("grad", [](const Tensor& t) { return tensor_or_none(ag::grad(t)); },
                   [](const Tensor& t, nb::handle g) { ag::set_grad(t, g.is_none() ? Tensor() : nb::cast<Tensor>(g)); },
                   nb::for_setter(nb::arg("value").none()))
      .def_prop_ro("grad_fn", [](const Tensor& t) { return node_object(ag::grad_fn(t)); })
      .def_prop_ro("is_leaf", [](const Tensor& t) { return ag::is_leaf(t); })
      .def("detach", &ag::detach)
      .def("detach_", [](const Tensor& t) {
        TS_CHECK(!t.impl()->view_base(), "[detach_] Can't detach views in-place. Use detach() instead.");
        if (ag::AutogradMeta* am = ag::meta(t)) {
          am->grad_fn = nullptr;
          am->requires_grad_flag = false;
        }
        return t;
      })
      .def_prop_ro("_base", [](const Tensor& t) -> nb::object {
        TensorImpl* b = t.impl()->view_base();
        return b ? nb::cast(Tensor(IntrusivePtr<TensorImpl>(b))) : nb::none();
      })
      .def("_is_view", [](const Tensor& t) { return t.impl()->view_base() != nullptr; })
      .def("retain_grad", [](const Tensor& t) { ag::retain_grad(t); })
      .def_prop_ro("retains_grad", [](const Tensor& t) {
        ag::AutogradMeta* am = ag::meta(t);
        return am && am->retains_grad;
      })
      .def("register_hook", [](const Tensor& t, nb::object fn) {
        RemovableHandle h;
        auto f = hold(std::move(fn));
        auto alive = h.alive;
        ag::register_hook(t, [f, alive](const Tensor& g) -> Tensor {
          if (!alive->load()) return Tensor();
          nb::gil_scoped_acquire gil;
          nb::object r = (*f)(g);
          return r.is_none() ? Tensor() : nb::cast<Tensor>(r);
        });
        return h;
      }, "hook"_a)
      .def("register_post_accumulate_grad_hook", [](const Tensor& t, nb::object fn) {
        RemovableHandle h;
        auto f = hold(std::move(fn));
        auto alive = h.alive;
        ag::register_post_accumulate_grad_hook(t, [f, alive](const Tensor& v) {
          if (!alive->load()) return;
          nb::gil_scoped_acquire gil;
          (*f)(v);
        });
        return h;
      }, "hook"_a);
}

}  // namespace tessera::python

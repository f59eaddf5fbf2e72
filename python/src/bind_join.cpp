// cat/stack family, broadcast_* and atleast_*: functions (and Tensor methods where PyTorch has them).
#include "casters.h"
#include "ops/join.h"
#include "ops/view.h"
#include "size_args.h"
#include "tensor_list_args.h"

namespace tessera::python {

namespace {

using ListFn = Tensor (*)(TensorList);

// atleast_Nd(t) -> Tensor; atleast_Nd(a, b) and atleast_Nd([a, b]) -> tuple.
nb::object atleast(const nb::args& args, Tensor (*f)(const Tensor&), const char* op) {
  if (args.size() == 1) {
    Tensor* t = nullptr;
    if (nb::try_cast<Tensor*>(args[0], t) && t) return nb::cast(f(*t));
  }
  std::vector<Tensor> ts = tensor_list_from_args(args, op);
  for (Tensor& t : ts) t = f(t);
  return tensor_tuple(ts);
}

nb::object broadcast_shapes_py(const nb::args& args) {
  DimVector shape;
  for (nb::handle h : args) {
    std::vector<int64_t> s = int_list_from_object(h, "broadcast_shapes", "shape");
    for (int64_t v : s)
      TS_CHECK_VALUE(v >= 0, "[broadcast_shapes] Attempting to broadcast a dimension with negative length!");
    shape = broadcast_shapes(shape, s, "broadcast_shapes");
  }
  nb::object size_type = nb::module_::import_("tessera._size").attr("Size");
  nb::list l;
  for (int64_t v : shape) l.append(v);
  return size_type(nb::tuple(l));
}

}  // namespace

TS_BINDER(join, 10) {
  using namespace nb::literals;
  auto cat = [](nb::handle tensors, int64_t dim) { return ops::cat(tensor_list_from_object(tensors, "cat"), dim); };
  m.def("cat", cat, "tensors"_a, "dim"_a = 0);
  m.def("concat", cat, "tensors"_a, "dim"_a = 0);
  m.def("concatenate", cat, "tensors"_a, "axis"_a = 0);
  m.def(
      "stack",
      [](nb::handle tensors, int64_t dim) { return ops::stack(tensor_list_from_object(tensors, "stack"), dim); },
      "tensors"_a, "dim"_a = 0);
  const std::pair<const char*, ListFn> stackers[] = {{"hstack", &ops::hstack},
                                                     {"vstack", &ops::vstack},
                                                     {"dstack", &ops::dstack},
                                                     {"column_stack", &ops::column_stack}};
  for (const auto& [name, fn] : stackers) {
    m.def(name, [name, fn](nb::handle tensors) { return fn(tensor_list_from_object(tensors, name)); }, "tensors"_a);
  }
  m.attr("row_stack") = m.attr("vstack");

  auto broadcast_to = [](const Tensor& t, nb::handle size) {
    return ops::broadcast_to(t, int_list_from_object(size, "broadcast_to", "size"));
  };
  m.def("broadcast_to", broadcast_to, "input"_a, "size"_a);
  cls.def("broadcast_to", broadcast_to, "size"_a);
  m.def("broadcast_tensors", [](nb::args args) {
    return tensor_tuple(ops::broadcast_tensors(tensor_list_from_args(args, "broadcast_tensors")));
  });
  m.def("broadcast_shapes", &broadcast_shapes_py);
  m.def("atleast_1d", [](nb::args a) { return atleast(a, &ops::atleast_1d, "atleast_1d"); });
  m.def("atleast_2d", [](nb::args a) { return atleast(a, &ops::atleast_2d, "atleast_2d"); });
  m.def("atleast_3d", [](nb::args a) { return atleast(a, &ops::atleast_3d, "atleast_3d"); });
}

}  // namespace tessera::python

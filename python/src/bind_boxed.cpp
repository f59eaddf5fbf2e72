// The boxed calling convention from Python: `_C._call_boxed("add", [x, y])` runs an op through the
// same path as plugins and the Node binding (defaults filled from the schema).
#include "binder.h"
#include "casters.h"
#include "dispatch/dispatcher.h"

namespace tessera::python {

namespace {

IValue to_ivalue(nb::handle h) {
  if (h.is_none()) return IValue();
  Tensor t;
  if (nb::try_cast<Tensor>(h, t)) return IValue(t);
  if (PyBool_Check(h.ptr())) return IValue(h.ptr() == Py_True);
  if (PyLong_Check(h.ptr())) return IValue(nb::cast<int64_t>(h));
  if (PyFloat_Check(h.ptr())) return IValue(nb::cast<double>(h));
  if (PyUnicode_Check(h.ptr())) return IValue(nb::cast<std::string>(h));
  DType dt;
  if (nb::try_cast<DType>(h, dt)) return IValue(dt);
  PyDevice* dev = nullptr;
  if (nb::try_cast<PyDevice*>(h, dev) && dev) return IValue(dev->device);
  if (PyList_Check(h.ptr()) || PyTuple_Check(h.ptr())) {
    nb::sequence seq = nb::borrow<nb::sequence>(h);
    bool all_int = true, all_tensor = true;
    for (nb::handle e : seq) {
      all_int &= PyLong_Check(e.ptr()) && !PyBool_Check(e.ptr());
      all_tensor &= nb::isinstance<Tensor>(e);
    }
    if (all_int) return IValue(nb::cast<std::vector<int64_t>>(h));
    if (all_tensor) return IValue(nb::cast<std::vector<Tensor>>(h));
    return IValue(nb::cast<std::vector<double>>(h));
  }
  TS_FAIL(Type, "[boxed call] cannot pass a ", nb::type_name(h.type()).c_str(), " to an op");
}

nb::object from_ivalue(const IValue& v) {
  return std::visit(
      [](const auto& x) -> nb::object {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) return nb::none();
        else if constexpr (std::is_same_v<T, IntrusivePtr<RefCounted>>) return nb::none();
        else if constexpr (std::is_same_v<T, DType>) return nb::borrow(dtype_object(x));
        else if constexpr (std::is_same_v<T, Device>) return device_object(x);
        else return nb::cast(x);
      },
      v.variant());
}

}  // namespace

TS_BINDER(boxed, 10) {
  m.def("_call_boxed", [](const std::string& name, nb::sequence args) {
    Stack stack;
    for (nb::handle a : args) stack.push_back(to_ivalue(a));
    Dispatcher::instance().get(name).call_boxed(stack);
    if (stack.size() == 1) return from_ivalue(stack[0]);
    nb::list out;
    for (const IValue& v : stack) out.append(from_ivalue(v));
    return nb::object(nb::tuple(out));
  });
  m.def("_op_schema", [](const std::string& name) { return Dispatcher::instance().get(name).schema().text; });
}

}  // namespace tessera::python

// Copies and conversions: to(), clone, contiguous, copy_, and the dtype shorthands.
#include "binder.h"
#include "casters.h"
#include "ops/copy.h"

namespace tessera::python {

namespace {
// Tensor.to accepts (dtype), (device, dtype=None), (other tensor) positionally, as PyTorch does.
Tensor to_any(const Tensor& t, nb::args args, nb::kwargs kwargs) {
  std::optional<Device> device;
  std::optional<DType> dtype;
  bool non_blocking = false, copy = false;
  for (nb::handle a : args) {
    DType dt;
    Device dev;
    Tensor other;
    if (nb::try_cast<DType>(a, dt)) {
      dtype = dt;
    } else if (nb::try_cast<Tensor>(a, other)) {
      device = other.device();
      dtype = other.dtype();
    } else if (nb::try_cast<Device>(a, dev)) {
      device = dev;
    } else if (PyBool_Check(a.ptr())) {
      non_blocking = a.ptr() == Py_True;
    } else {
      TS_FAIL(Type, "[to] received an invalid combination of arguments: ", nb::type_name(a.type()).c_str());
    }
  }
  for (auto [k, v] : kwargs) {
    std::string key = nb::cast<std::string>(k);
    if (key == "dtype") dtype = nb::cast<DType>(v);
    else if (key == "device") device = nb::cast<Device>(v);
    else if (key == "non_blocking") non_blocking = nb::cast<bool>(v);
    else if (key == "copy") copy = nb::cast<bool>(v);
    else if (key == "memory_format") continue;
    else TS_FAIL(Type, "[to] got an unexpected keyword argument '", key, "'");
  }
  return ops::to(t, device, dtype, non_blocking, copy);
}
}  // namespace

TS_BINDER(copy, 10) {
  using namespace nb::literals;
  cls.def("to", &to_any)
      .def("clone", [](const Tensor& t, nb::kwargs) { return ops::clone(t); })
      .def("contiguous", [](const Tensor& t, nb::kwargs) { return ops::contiguous(t); })
      .def("copy_", [](const Tensor& t, const Tensor& src, bool nb_) { return ops::copy_(t, src, nb_); }, "src"_a,
           "non_blocking"_a = false)
      .def("cpu", [](const Tensor& t) { return ops::to(t, Device(DeviceType::CPU), std::nullopt); })
      .def("type_as", [](const Tensor& t, const Tensor& o) { return ops::to(t, std::nullopt, o.dtype()); });
  const std::pair<const char*, DType> shorthands[] = {
      {"float", DType::Float32}, {"double", DType::Float64}, {"half", DType::Float16}, {"bfloat16", DType::BFloat16},
      {"int", DType::Int32},     {"long", DType::Int64},     {"short", DType::Int16}, {"char", DType::Int8},
      {"byte", DType::UInt8},    {"bool", DType::Bool}};
  for (auto [name, dt] : shorthands) {
    cls.def(name, [dt](const Tensor& t) { return ops::to(t, std::nullopt, dt); });
  }
  m.def("clone", [](const Tensor& t) { return ops::clone(t); }, "input"_a);
}

}  // namespace tessera::python

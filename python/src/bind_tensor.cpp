// The Tensor class's metadata surface, dtype and device objects.
#include <nanobind/stl/vector.h>

#include "binder.h"
#include "casters.h"
#include "dispatch/dispatcher.h"

namespace tessera::python {

namespace {
// Owned references that are never released: static nb::object destructors would run after the
// interpreter has shut down and touch freed memory.
PyObject* g_dtype_objects[kNumDTypes] = {};
PyObject* g_size_type = nullptr;  // tessera.Size, set from Python once the package is imported

nb::object make_size(IntArrayRef sizes) {
  nb::tuple t = nb::steal<nb::tuple>(PyTuple_New(static_cast<Py_ssize_t>(sizes.size())));
  for (size_t i = 0; i < sizes.size(); ++i) PyTuple_SET_ITEM(t.ptr(), i, PyLong_FromLongLong(sizes[i]));
  if (g_size_type) return nb::handle(g_size_type)(t);
  return t;
}

nb::tuple make_tuple(IntArrayRef v) {
  nb::tuple t = nb::steal<nb::tuple>(PyTuple_New(static_cast<Py_ssize_t>(v.size())));
  for (size_t i = 0; i < v.size(); ++i) PyTuple_SET_ITEM(t.ptr(), i, PyLong_FromLongLong(v[i]));
  return t;
}
}  // namespace

nb::handle dtype_object(DType t) { return nb::handle(g_dtype_objects[static_cast<int>(t)]); }

nb::object device_object(Device d) {
  PyDevice p{d};
  return nb::cast(p);
}

bool scalar_from_python(nb::handle src, Scalar& out) {
  PyObject* o = src.ptr();
  if (PyBool_Check(o)) {
    out = Scalar(o == Py_True);
    return true;
  }
  if (PyLong_Check(o)) {
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (overflow) {
      // Past int64: PyTorch refuses too ("value cannot be converted to type int64 without overflow").
      return false;
    }
    out = Scalar(static_cast<int64_t>(v));
    return true;
  }
  if (PyFloat_Check(o)) {
    out = Scalar(PyFloat_AS_DOUBLE(o));
    return true;
  }
  // numpy scalars and anything else implementing __index__ / __float__
  if (PyIndex_Check(o) && !PyObject_HasAttrString(o, "__float__")) {
    long long v = PyLong_AsLongLong(o);
    if (PyErr_Occurred()) {
      PyErr_Clear();
      return false;
    }
    out = Scalar(static_cast<int64_t>(v));
    return true;
  }
  return false;
}

nb::object scalar_to_python(const Scalar& s) {
  if (s.is_bool()) return nb::bool_(s.to_bool());
  if (s.is_integral()) return nb::int_(s.to_int());
  return nb::float_(s.to_double());
}

TS_BINDER(tensor_core, 0) {
  nb::class_<PyDType>(m, "dtype")
      .def_prop_ro("is_floating_point", [](const PyDType& d) { return is_floating(d.type); })
      .def_prop_ro("is_signed", [](const PyDType& d) { return is_signed(d.type) ; })
      .def_prop_ro("itemsize", [](const PyDType& d) { return itemsize(d.type); })
      .def_prop_ro("is_complex", [](const PyDType&) { return false; })
      .def("__repr__", [](const PyDType& d) { return "tessera." + std::string(dtype_name(d.type)); })
      .def("__reduce__", [](const PyDType& d) { return std::string(dtype_name(d.type)); });
  for (int i = 0; i < kNumDTypes; ++i) {
    DType t = static_cast<DType>(i);
    g_dtype_objects[i] = nb::cast(PyDType{t}).release().ptr();
    m.attr(std::string(dtype_name(t)).c_str()) = nb::handle(g_dtype_objects[i]);
  }

  nb::class_<PyDevice>(m, "device")
      .def("__init__", [](PyDevice* self, const std::string& s) { new (self) PyDevice{Device::parse(s)}; })
      .def("__init__", [](PyDevice* self, const std::string& type, int index) {
        new (self) PyDevice{Device::parse(type + ":" + std::to_string(index))};
      })
      .def_prop_ro("type", [](const PyDevice& d) { return std::string(device_type_name(d.device.type)); })
      .def_prop_ro("index", [](const PyDevice& d) -> nb::object {
        if (d.device.index < 0) return nb::none();
        return nb::int_(d.device.index);
      })
      .def("__eq__", [](const PyDevice& a, const PyDevice& b) { return a.device == b.device; })
      .def("__eq__", [](const PyDevice& a, const std::string& b) { return a.device == Device::parse(b); })
      .def("__hash__", [](const PyDevice& d) { return static_cast<int>(d.device.type) * 256 + d.device.index; })
      .def("__str__", [](const PyDevice& d) { return d.device.str(); })
      .def("__repr__", [](const PyDevice& d) {
        std::string r = "device(type='" + std::string(device_type_name(d.device.type)) + "'";
        if (d.device.index >= 0) r += ", index=" + std::to_string(d.device.index);
        return r + ")";
      });

  m.def("_set_size_type", [](nb::object t) {
    Py_XDECREF(g_size_type);
    g_size_type = t.release().ptr();
  });
  m.def("_registered_ops", [] { return Dispatcher::instance().op_names(); });

  // Tensor(t) shares t's TensorImpl: what Python subclasses (nn.Parameter) build on.
  cls.def(nb::init<const Tensor&>(), nb::arg("data"));
  cls.def_prop_ro("shape", [](const Tensor& t) { return make_size(t.sizes()); })
      .def("size", [](const Tensor& t) { return make_size(t.sizes()); })
      .def("size", [](const Tensor& t, int64_t dim) { return t.size(dim); }, nb::arg("dim"))
      .def("stride", [](const Tensor& t) { return make_tuple(t.strides()); })
      .def("stride", [](const Tensor& t, int64_t dim) { return t.stride(dim); }, nb::arg("dim"))
      .def("dim", &Tensor::dim)
      .def("ndimension", &Tensor::dim)
      .def_prop_ro("ndim", &Tensor::dim)
      .def("numel", &Tensor::numel)
      .def("nelement", &Tensor::numel)
      .def_prop_ro("dtype", &Tensor::dtype)
      .def_prop_ro("device", &Tensor::device)
      .def_prop_ro("is_cuda", [](const Tensor& t) { return t.device().is_cuda(); })
      .def_prop_ro("is_cpu", [](const Tensor& t) { return t.device().is_cpu(); })
      .def("data_ptr", [](const Tensor& t) { return reinterpret_cast<uintptr_t>(t.data_ptr()); })
      .def("storage_offset", &Tensor::storage_offset)
      .def("is_contiguous", [](const Tensor& t) { return t.is_contiguous(); })
      .def("element_size", [](const Tensor& t) { return t.itemsize(); })
      .def_prop_ro("itemsize", [](const Tensor& t) { return t.itemsize(); })
      .def_prop_ro("nbytes", [](const Tensor& t) { return t.itemsize() * t.numel(); })
      .def("is_floating_point", [](const Tensor& t) { return is_floating(t.dtype()); })
      .def("is_complex", [](const Tensor&) { return false; })
      .def("is_set_to", &Tensor::is_set_to, nb::arg("tensor"))
      .def("_is_view_of_same_storage", [](const Tensor& a, const Tensor& b) {
        return a.impl()->storage() == b.impl()->storage();
      })
      .def("untyped_storage_ptr", [](const Tensor& t) { return reinterpret_cast<uintptr_t>(t.impl()->storage()->data()); })
      .def_prop_ro("_version", &Tensor::version)
      .def("__len__", [](const Tensor& t) {
        TS_CHECK_TYPE(t.dim() > 0, "len() of a 0-d tensor");
        return t.sizes()[0];
      });
}

}  // namespace tessera::python

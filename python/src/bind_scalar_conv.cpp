// Tensor -> Python values: item(), tolist(), and the number protocols (__float__, __int__,
// __bool__, __index__) with PyTorch's errors for tensors of more than one element.
#include "binder.h"
#include "casters.h"
#include "core/dispatch_type.h"
#include "ops/copy.h"

namespace tessera::python {

namespace {

Tensor on_cpu(const Tensor& t) {
  return t.device().is_cpu() ? t : ops::to(t, Device(DeviceType::CPU), std::nullopt);
}

template <class T>
inline PyObject* to_py(T v) {
  if constexpr (std::is_same_v<T, bool>) {
    return PyBool_FromLong(v);
  } else if constexpr (std::is_integral_v<T>) {
    return PyLong_FromLongLong(static_cast<long long>(v));
  } else {
    return PyFloat_FromDouble(static_cast<double>(static_cast<opmath_t<T>>(v)));
  }
}

nb::object element(const Tensor& t, const char* ptr) {
  return TS_DISPATCH_ALL_TYPES(t.dtype(), "item",
                               [&] { return nb::steal(to_py(*reinterpret_cast<const scalar_t*>(ptr))); });
}

nb::object item(const Tensor& self) {
  TS_CHECK(self.numel() == 1, "[item] a Tensor with ", self.numel(), " elements cannot be converted to Scalar");
  Tensor t = on_cpu(self);
  return element(t, static_cast<const char*>(t.data_ptr()));
}

template <class T>
PyObject* list_rec(const char* base, IntArrayRef sizes, IntArrayRef strides, size_t d) {
  const int64_t n = sizes[d];
  PyObject* list = PyList_New(n);
  if (!list) throw nb::python_error();
  const int64_t step = strides[d] * static_cast<int64_t>(sizeof(T));
  for (int64_t i = 0; i < n; ++i) {
    const char* p = base + i * step;
    PyObject* item =
        d + 1 == sizes.size() ? to_py(*reinterpret_cast<const T*>(p)) : list_rec<T>(p, sizes, strides, d + 1);
    PyList_SET_ITEM(list, i, item);
  }
  return list;
}

nb::object tolist(const Tensor& self) {
  Tensor t = on_cpu(self);
  if (t.dim() == 0) return element(t, static_cast<const char*>(t.data_ptr()));
  return TS_DISPATCH_ALL_TYPES(t.dtype(), "tolist", [&] {
    return nb::steal(list_rec<scalar_t>(static_cast<const char*>(t.data_ptr()), t.sizes(), t.strides(), 0));
  });
}

nb::object one_element(const Tensor& t, const char* op) {
  TS_CHECK_VALUE(t.numel() == 1, "[", op, "] only one element tensors can be converted to Python scalars (got ",
                 t.numel(), " elements)");
  return item(t);
}

}  // namespace

TS_BINDER(scalar_conv, 20) {
  cls.def("item", &item)
      .def("tolist", &tolist)
      .def("__float__", [](const Tensor& t) { return nb::steal(PyNumber_Float(one_element(t, "__float__").ptr())); })
      .def("__int__",
           [](const Tensor& t) {
             nb::object v = one_element(t, "__int__");
             nb::object r = nb::steal(PyNumber_Long(v.ptr()));
             if (!r.is_valid()) throw nb::python_error();
             return r;
           })
      .def("__bool__",
           [](const Tensor& t) {
             TS_CHECK(t.numel() != 0, "[__bool__] Boolean value of Tensor with no values is ambiguous");
             TS_CHECK(t.numel() == 1, "[__bool__] Boolean value of Tensor with more than one value is ambiguous");
             return PyObject_IsTrue(item(t).ptr()) == 1;
           })
      .def("__index__", [](const Tensor& t) {
        TS_CHECK_TYPE(is_integral(t.dtype(), true) && t.numel() == 1,
                      "[__index__] only integer tensors of a single element can be converted to an index");
        return nb::steal(PyNumber_Long(item(t).ptr()));
      });
}

}  // namespace tessera::python

#pragma once
// nanobind type casters for tessera's value types: dtype objects, device strings, Python numbers
// as Scalar, and `TensorLike` (a tensor, or a Python number wrapped as a 0-d tensor).
#include <nanobind/nanobind.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/string_view.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include "core/tensor.h"
#include "ops/type_promotion.h"

namespace tessera::python {

namespace nb = nanobind;

// The Python object behind `tessera.float32` etc.
struct PyDType {
  DType type;
};
// Set when the dtype objects are created (bind_tensor.cpp).
nb::handle dtype_object(DType t);

struct PyDevice {
  Device device;
};
nb::object device_object(Device d);

struct TensorLike {
  Tensor t;
};

// Python number -> Scalar; false if `src` is not a number.
bool scalar_from_python(nb::handle src, Scalar& out);
nb::object scalar_to_python(const Scalar& s);

}  // namespace tessera::python

namespace nanobind::detail {

template <>
struct type_caster<tessera::DType> {
  NB_TYPE_CASTER(tessera::DType, const_name("dtype"))
  bool from_python(handle src, uint8_t, cleanup_list*) noexcept {
    tessera::python::PyDType* p = nullptr;
    if (!nanobind::try_cast<tessera::python::PyDType*>(src, p) || !p) return false;
    value = p->type;
    return true;
  }
  static handle from_cpp(tessera::DType t, rv_policy, cleanup_list*) noexcept {
    return tessera::python::dtype_object(t).inc_ref();
  }
};

template <>
struct type_caster<tessera::Device> {
  NB_TYPE_CASTER(tessera::Device, const_name("device"))
  bool from_python(handle src, uint8_t, cleanup_list*) noexcept {
    try {
      if (PyUnicode_Check(src.ptr())) {
        value = tessera::Device::parse(nanobind::cast<std::string>(src));
        return true;
      }
      tessera::python::PyDevice* p = nullptr;
      if (nanobind::try_cast<tessera::python::PyDevice*>(src, p) && p) {
        value = p->device;
        return true;
      }
      if (PyLong_Check(src.ptr())) {  // a bare index means a CUDA device, as in PyTorch
        value = tessera::Device(tessera::DeviceType::CUDA, static_cast<int>(PyLong_AsLong(src.ptr())));
        return true;
      }
    } catch (...) {
      return false;
    }
    return false;
  }
  static handle from_cpp(tessera::Device d, rv_policy, cleanup_list*) noexcept {
    return tessera::python::device_object(d).release();
  }
};

template <>
struct type_caster<tessera::Scalar> {
  NB_TYPE_CASTER(tessera::Scalar, const_name("Number"))
  bool from_python(handle src, uint8_t, cleanup_list*) noexcept {
    return tessera::python::scalar_from_python(src, value);
  }
  static handle from_cpp(const tessera::Scalar& s, rv_policy, cleanup_list*) noexcept {
    return tessera::python::scalar_to_python(s).release();
  }
};

template <>
struct type_caster<tessera::python::TensorLike> {
  NB_TYPE_CASTER(tessera::python::TensorLike, const_name("Tensor | Number"))
  bool from_python(handle src, uint8_t flags, cleanup_list* cleanup) noexcept {
    make_caster<tessera::Tensor> tc;
    if (tc.from_python(src, flags & ~(uint8_t)cast_flags::convert, cleanup)) {
      value.t = tc.operator tessera::Tensor&();
      return true;
    }
    tessera::Scalar s;
    if (!tessera::python::scalar_from_python(src, s)) return false;
    try {
      value.t = tessera::wrapped_scalar(s);
    } catch (...) {
      return false;
    }
    return true;
  }
  static handle from_cpp(const tessera::python::TensorLike& v, rv_policy p, cleanup_list* c) noexcept {
    return make_caster<tessera::Tensor>::from_cpp(v.t, p, c);
  }
};

}  // namespace nanobind::detail

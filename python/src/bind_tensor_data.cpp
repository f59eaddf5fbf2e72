// tessera.tensor(data) from nested Python sequences: one pass collects the leaves and checks the
// shape (ragged -> ValueError), the dtype is inferred as PyTorch does (bool < int64 < float32,
// typed leaves such as NumPy scalars or 0-d tensors promote with their own dtype), then one pass
// writes the values.
#include <vector>

#include "casters.h"
#include "core/dispatch_type.h"
#include "factory_args.h"
#include "ops/copy.h"
#include "ops/creation.h"

namespace tessera::python {

namespace {

struct Leaf {
  enum Kind : uint8_t { Bool, Int, Float } kind;
  int64_t i = 0;
  double d = 0;
};

std::optional<DType> dtype_from_name(std::string_view n) {
  for (int i = 0; i < kNumDTypes; ++i)
    if (dtype_name(static_cast<DType>(i)) == n) return static_cast<DType>(i);
  return std::nullopt;
}

constexpr size_t kMaxDims = 64;

struct Collector {
  std::vector<Leaf> leaves;
  DimVector shape;
  std::optional<DType> inferred;
  bool shape_done = false;

  void promote(DType t) { inferred = inferred ? promote_types(*inferred, t) : t; }

  void add_scalar_obj(nb::handle h) {
    PyObject* o = h.ptr();
    if (PyBool_Check(o)) {
      leaves.push_back({Leaf::Bool, o == Py_True, 0});
      promote(DType::Bool);
      return;
    }
    Tensor t;
    if (nb::try_cast<Tensor>(h, t)) {
      TS_CHECK_VALUE(t.numel() == 1 && t.dim() == 0,
                     "[tensor] only one element tensors can be converted to Python "
                     "scalars (found a tensor of shape ",
                     shape_str(t.sizes()), " in the data)");
      add_typed(nb::cast(t).attr("item")(), t.dtype());
      return;
    }
    // NumPy scalars (numpy.float64 too, though it subclasses float): their dtype takes part in the inference.
    if (!PyFloat_CheckExact(o) && !PyLong_CheckExact(o) && PyObject_HasAttrString(o, "dtype") &&
        PyObject_HasAttrString(o, "item")) {
      nb::object dt = h.attr("dtype");
      std::string name = nb::str(dt).c_str();
      auto d = dtype_from_name(name);
      TS_CHECK_TYPE(d.has_value(), "[tensor] can't convert a NumPy scalar of dtype ", name);
      add_typed(h.attr("item")(), *d);
      return;
    }
    if (PyFloat_Check(o)) {
      leaves.push_back({Leaf::Float, 0, PyFloat_AS_DOUBLE(o)});
      promote(DType::Float32);
      return;
    }
    if (PyLong_Check(o)) {
      int overflow = 0;
      long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
      TS_CHECK_VALUE(!overflow, "[tensor] Overflow when unpacking long long (", nb::str(h).c_str(),
                     " does not fit int64)");
      leaves.push_back({Leaf::Int, static_cast<int64_t>(v), 0});
      promote(DType::Int64);
      return;
    }
    TS_CHECK_TYPE(!PyUnicode_Check(o) && !PyBytes_Check(o), "[tensor] new(): invalid data type '", py_type_name(h),
                  "'");
    TS_FAIL(Runtime, "[tensor] Could not infer dtype of ", py_type_name(h));
  }

  void add_typed(nb::handle py_value, DType dt) {
    std::optional<DType> saved = inferred;
    add_scalar_obj(py_value);
    inferred = saved;
    promote(dt);
  }

  void walk(nb::handle h, size_t depth) {
    PyObject* o = h.ptr();
    bool seq = !PyUnicode_Check(o) && !PyBytes_Check(o) && PySequence_Check(o) && !nb::isinstance<Tensor>(h) &&
               !(PyObject_HasAttrString(o, "ndim") && nb::cast<int64_t>(h.attr("ndim")) == 0);
    if (!shape_done) {
      if (seq) {
        Py_ssize_t n = PySequence_Size(o);
        if (n < 0) throw nb::python_error();
        // Bounds the recursion depth (a deeply nested list must not overflow the C++ stack).
        TS_CHECK_VALUE(shape.size() < kMaxDims, "[tensor] too many dimensions '", py_type_name(h), "' (more than ",
                       kMaxDims, ")");
        shape.push_back(n);
        if (n == 0) shape_done = true;
      } else {
        shape_done = true;
      }
    }
    if (depth == shape.size()) {
      TS_CHECK_TYPE(!seq, "[tensor] '", py_type_name(h), "' object found at dim ", depth,
                    " where a number was expected (nested deeper than the first element)");
      add_scalar_obj(h);
      return;
    }
    TS_CHECK_TYPE(seq, "[tensor] not a sequence: found '", py_type_name(h), "' at dim ", depth,
                  " where a sequence of length ", shape[depth], " was expected");
    nb::object fast = nb::steal(PySequence_Fast(o, "[tensor] expected a sequence"));
    if (!fast.is_valid()) throw nb::python_error();
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast.ptr());
    TS_CHECK_VALUE(n == shape[depth], "[tensor] expected sequence of length ", shape[depth], " at dim ", depth,
                   " (got ", n, ")");
    PyObject** items = PySequence_Fast_ITEMS(fast.ptr());
    for (Py_ssize_t i = 0; i < n; ++i) walk(items[i], depth + 1);
  }
};

template <class T>
T convert_leaf(const Leaf& l, DType dt) {
  if constexpr (std::is_same_v<T, bool>) {
    return l.kind == Leaf::Float ? l.d != 0 : l.i != 0;
  } else if constexpr (std::is_integral_v<T>) {
    if (l.kind == Leaf::Float) {
      check_scalar_fits("tensor", Scalar(l.d), dt);
      return static_cast<T>(static_cast<int64_t>(l.d));
    }
    if (l.kind == Leaf::Int) check_scalar_fits("tensor", Scalar(l.i), dt);
    return static_cast<T>(l.i);
  } else {
    return T(static_cast<opmath_t<T>>(l.kind == Leaf::Float ? l.d : static_cast<double>(l.i)));
  }
}

Tensor tensor_from_data(nb::handle data, nb::handle dtype_h, nb::handle device_h) {
  std::optional<DType> dtype = parse_dtype("tensor", dtype_h);
  std::optional<Device> device = parse_device("tensor", device_h);
  Collector c;
  c.walk(data, 0);
  DType dt = dtype.value_or(c.inferred.value_or(DType::Float32));
  Tensor out = empty_tensor(c.shape, dt);
  TS_DISPATCH_ALL_TYPES(dt, "tensor", [&] {
    scalar_t* p = out.data<scalar_t>();
    for (size_t i = 0; i < c.leaves.size(); ++i) p[i] = convert_leaf<scalar_t>(c.leaves[i], dt);
  });
  if (device && !(device->type == DeviceType::CPU)) return ops::to(out, device, std::nullopt);
  return out;
}

}  // namespace

TS_BINDER(tensor_data, 20) {
  m.def("_tensor_from_data", &tensor_from_data, nb::arg("data"), nb::arg("dtype") = nb::none(),
        nb::arg("device") = nb::none());
}

}  // namespace tessera::python

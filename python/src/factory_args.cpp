#include "factory_args.h"

#include <cstring>

namespace tessera::python {

std::string py_type_name(nb::handle obj) {
  return Py_TYPE(obj.ptr())->tp_name;
}

namespace {
std::optional<Device> g_default_device;  // only touched with the GIL held
}  // namespace

void set_default_device(std::optional<Device> device) {
  g_default_device = device;
}
std::optional<Device> default_device() {
  return g_default_device;
}

std::optional<Device> FactoryKwargs::device_or_default() const {
  return device ? device : g_default_device;
}

nb::handle FactoryKwargs::get(const char* name) const {
  for (const auto& [k, v] : extra_values)
    if (k == name) return v;
  return nb::handle();
}

int64_t parse_int(const char* op, nb::handle obj, const char* name) {
  PyObject* o = obj.ptr();
  TS_CHECK_TYPE(!PyBool_Check(o) && !PyFloat_Check(o) && PyIndex_Check(o), "[", op, "] argument '", name,
                "' must be int, not ", py_type_name(obj));
  nb::object idx = nb::steal(PyNumber_Index(o));
  if (!idx.is_valid()) throw nb::python_error();
  int overflow = 0;
  long long v = PyLong_AsLongLongAndOverflow(idx.ptr(), &overflow);
  TS_CHECK_VALUE(!overflow, "[", op, "] argument '", name, "': Overflow when unpacking long long (",
                 nb::str(idx).c_str(), " does not fit int64)");
  return static_cast<int64_t>(v);
}

Scalar parse_scalar(const char* op, nb::handle obj, const char* name) {
  Scalar s;
  if (scalar_from_python(obj, s)) return s;
  Tensor t;
  if (nb::try_cast<Tensor>(obj, t)) {
    TS_CHECK(t.dim() == 0, "[", op, "] argument '", name,
             "' only supports 0-dimension value tensor but got tensor with ", t.dim(), " dimensions");
    nb::object item = nb::cast(t).attr("item")();
    if (scalar_from_python(item, s)) return s;
  }
  if (PyLong_Check(obj.ptr())) TS_FAIL(Value, "[", op, "] argument '", name, "': Overflow when unpacking long long");
  if (PyFloat_Check(obj.ptr()) || PyObject_HasAttrString(obj.ptr(), "__float__")) {
    double d = PyFloat_AsDouble(obj.ptr());
    if (!PyErr_Occurred()) return Scalar(d);
    PyErr_Clear();
  }
  TS_FAIL(Type, "[", op, "] argument '", name, "' must be Number, not ", py_type_name(obj));
}

double parse_double(const char* op, nb::handle obj, const char* name) {
  PyObject* o = obj.ptr();
  TS_CHECK_TYPE(PyFloat_Check(o) || PyLong_Check(o) || PyObject_HasAttrString(o, "__float__"), "[", op, "] argument '",
                name, "' must be float, not ", py_type_name(obj));
  double d = PyFloat_AsDouble(o);
  if (d == -1.0 && PyErr_Occurred()) throw nb::python_error();
  return d;
}

std::optional<DType> parse_dtype(const char* op, nb::handle obj) {
  if (!obj.is_valid() || obj.is_none()) return std::nullopt;
  PyDType* p = nullptr;
  TS_CHECK_TYPE(nb::try_cast<PyDType*>(obj, p) && p, "[", op, "] argument 'dtype' must be tessera.dtype, not ",
                py_type_name(obj));
  return p->type;
}

std::optional<Device> parse_device(const char* op, nb::handle obj) {
  if (!obj.is_valid() || obj.is_none()) return std::nullopt;
  if (PyUnicode_Check(obj.ptr())) return Device::parse(nb::cast<std::string>(obj));
  Device d;
  TS_CHECK_TYPE(!PyBool_Check(obj.ptr()) && nb::try_cast<Device>(obj, d), "[", op,
                "] argument 'device' must be tessera.device, str or int, not ", py_type_name(obj));
  return d;
}

std::optional<GeneratorPtr> parse_generator(const char* op, nb::handle obj) {
  if (!obj.is_valid() || obj.is_none()) return std::nullopt;
  PyGenerator* g = nullptr;
  TS_CHECK_TYPE(nb::try_cast<PyGenerator*>(obj, g) && g, "[", op,
                "] argument 'generator' must be tessera.Generator, not ", py_type_name(obj));
  return g->gen;
}

void check_requires_grad(const char* op, nb::handle obj) {
  if (!obj.is_valid()) return;
  TS_CHECK_TYPE(PyBool_Check(obj.ptr()), "[", op, "] argument 'requires_grad' must be bool, not ", py_type_name(obj));
  TS_CHECK_NOT_IMPLEMENTED(obj.ptr() == Py_False, "[", op, "] requires_grad=True is handled by tessera.", op, ", not _C");
}

FactoryKwargs parse_factory_kwargs(const char* op, const nb::kwargs& kwargs, std::initializer_list<const char*> extra,
                                   bool allow_generator) {
  FactoryKwargs out;
  for (auto [k, v] : kwargs) {
    std::string key = nb::cast<std::string>(k);
    if (key == "dtype") {
      out.dtype = parse_dtype(op, v);
    } else if (key == "device") {
      out.device = parse_device(op, v);
    } else if (key == "requires_grad") {
      check_requires_grad(op, v);
    } else if (key == "generator" && allow_generator) {
      out.generator = parse_generator(op, v);
    } else if (key == "size") {
      out.size = v;
    } else if (key == "layout" || key == "memory_format") {
      continue;  // only strided, contiguous results exist
    } else if (key == "pin_memory") {
      TS_CHECK_TYPE(PyBool_Check(v.ptr()), "[", op, "] argument 'pin_memory' must be bool");
      TS_CHECK_NOT_IMPLEMENTED(v.ptr() == Py_False, "[", op, "] pin_memory=True needs the CUDA backend");
    } else if (key == "out") {
      TS_CHECK_NOT_IMPLEMENTED(v.is_none(), "[", op, "] out= is not supported");
    } else {
      bool known = false;
      for (const char* e : extra) known = known || key == e;
      TS_CHECK_TYPE(known, "[", op, "] got an unexpected keyword argument '", key, "'");
      out.extra_values.emplace_back(key, v);
    }
  }
  return out;
}

namespace {
int64_t size_element(const char* op, nb::handle item, size_t pos, bool allow_bool) {
  PyObject* o = item.ptr();
  bool ok = PyIndex_Check(o) && !PyFloat_Check(o) && (allow_bool || !PyBool_Check(o));
  Tensor t;
  if (!ok && nb::try_cast<Tensor>(item, t) && t.numel() == 1 && is_integral(t.dtype())) ok = true;
  TS_CHECK_TYPE(ok, "[", op, "] argument 'size' must be a tuple of ints, but found element of type ",
                py_type_name(item), " at pos ", pos);
  nb::object idx = nb::steal(PyNumber_Index(o));
  if (!idx.is_valid()) throw nb::python_error();
  int overflow = 0;
  long long v = PyLong_AsLongLongAndOverflow(idx.ptr(), &overflow);
  TS_CHECK(!overflow, "[", op, "] size ", nb::str(idx).c_str(), " at pos ", pos, " does not fit int64");
  return static_cast<int64_t>(v);
}

bool is_size_sequence(nb::handle obj) {
  return PyTuple_Check(obj.ptr()) || PyList_Check(obj.ptr());
}
}  // namespace

DimVector parse_size_sequence(const char* op, nb::handle obj, const char* name) {
  TS_CHECK_TYPE(is_size_sequence(obj), "[", op, "] argument '", name, "' must be tuple of ints, not ",
                py_type_name(obj));
  DimVector out;
  nb::sequence seq = nb::borrow<nb::sequence>(obj);
  size_t i = 0;
  for (nb::handle item : seq) out.push_back(size_element(op, item, i++, true));
  return out;
}

DimVector parse_size_args(const char* op, const nb::args& args, size_t first, nb::handle size_kw) {
  size_t n = args.size();
  if (size_kw.is_valid()) {
    TS_CHECK_TYPE(n == first, "[", op, "] got multiple values for argument 'size'");
    return parse_size_sequence(op, size_kw);
  }
  TS_CHECK_TYPE(n > first, "[", op, "] missing required argument 'size' (use () for a 0-d tensor)");
  if (n == first + 1 && is_size_sequence(args[first])) return parse_size_sequence(op, args[first]);
  DimVector out;
  for (size_t i = first; i < n; ++i) {
    nb::handle a = args[i];
    TS_CHECK_TYPE(!is_size_sequence(a), "[", op, "] argument 'size' must be ints or one tuple of ints, got a ",
                  py_type_name(a), " at pos ", i - first);
    out.push_back(size_element(op, a, i - first, false));
  }
  return out;
}

}  // namespace tessera::python

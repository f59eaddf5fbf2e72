// Tensor.__getitem__ / __setitem__ / __iter__ and the index op functions and methods.
// Python indices are parsed here, in C++: basic indexing (ints, slices, None, Ellipsis, bools)
// becomes view ops (select / slice / unsqueeze), and tensor-like indices are gathered for one
// ops::index / ops::index_put_ call, following torch/csrc/autograd/python_variable_indexing.cpp.
#include <limits>

#include "autograd/grad_mode.h"
#include "binder.h"
#include "casters.h"
#include "ops/copy.h"
#include "ops/indexing.h"
#include "ops/view.h"

namespace tessera::python {

Tensor tensor_from_numpy(nb::handle array);  // bind_numpy.cpp

namespace {

enum class ItemKind : uint8_t { Int, Slice, Ellipsis, None, Bool, Tensor };

struct Item {
  ItemKind kind = ItemKind::None;
  int64_t i = 0;  // Int value; Bool value
  Py_ssize_t start = 0, stop = 0, step = 1;
  Tensor t;
};

bool is_int(PyObject* o) {
  return PyLong_Check(o) && !PyBool_Check(o);
}
bool is_numpy_array(PyObject* o) {
  return std::string_view(Py_TYPE(o)->tp_name) == "numpy.ndarray";
}

[[noreturn]] void invalid_index(const char* op, nb::handle obj) {
  TS_FAIL(Index, "[", op,
          "] only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid "
          "indices (got ",
          nb::type_name(obj.type()).c_str(), ")");
}

// ---- lists of ints / bools as index tensors (torch.tensor rules for indexing: bool stays a
// mask, numbers become int64, floats truncate).
struct SeqParse {
  DimVector shape;
  std::vector<int64_t> vals;
  int64_t leaf_depth = -1;
  bool all_bool = true;
};

void walk_sequence(const char* op, PyObject* o, int64_t depth, SeqParse& p) {
  if (PyUnicode_Check(o) || PyBytes_Check(o))
    TS_FAIL(Type, "[", op, "] invalid data type '", Py_TYPE(o)->tp_name, "' in an index sequence");
  if (PySequence_Check(o) && !nb::isinstance<Tensor>(o)) {
    TS_CHECK_VALUE(depth < 64, "[", op, "] index sequence is nested too deeply (more than 64 levels)");
    TS_CHECK_VALUE(p.leaf_depth < 0 || depth < p.leaf_depth, "[", op, "] index sequence is ragged at dim ", depth);
    Py_ssize_t n = PySequence_Size(o);
    if (n < 0) throw nb::python_error();
    if (depth == static_cast<int64_t>(p.shape.size())) {
      p.shape.push_back(n);
    } else {
      TS_CHECK_VALUE(p.shape[depth] == n, "[", op, "] expected sequence of length ", p.shape[depth], " at dim ", depth,
                     " (got ", n, ")");
    }
    for (Py_ssize_t i = 0; i < n; ++i) {
      nb::object item = nb::steal(PySequence_GetItem(o, i));
      if (!item.is_valid()) throw nb::python_error();
      walk_sequence(op, item.ptr(), depth + 1, p);
    }
    if (n == 0 && p.leaf_depth < 0 && depth + 1 == static_cast<int64_t>(p.shape.size())) p.all_bool = false;
    return;
  }
  if (p.leaf_depth < 0) p.leaf_depth = depth;
  TS_CHECK_VALUE(depth == p.leaf_depth && depth == static_cast<int64_t>(p.shape.size()), "[", op,
                 "] index sequence is ragged at dim ", depth);
  if (PyBool_Check(o)) {
    p.vals.push_back(o == Py_True);
    return;
  }
  p.all_bool = false;
  if (PyFloat_Check(o)) {
    p.vals.push_back(static_cast<int64_t>(PyFloat_AS_DOUBLE(o)));
    return;
  }
  if (PyIndex_Check(o)) {
    long long v = PyLong_AsLongLong(nb::steal(PyNumber_Index(o)).ptr());
    if (v == -1 && PyErr_Occurred()) throw nb::python_error();
    p.vals.push_back(v);
    return;
  }
  TS_FAIL(Type, "[", op, "] invalid data type '", Py_TYPE(o)->tp_name, "' in an index sequence");
}

Tensor sequence_to_index(const char* op, nb::handle seq) {
  SeqParse p;
  walk_sequence(op, seq.ptr(), 0, p);
  if (p.vals.empty()) p.all_bool = false;  // [] indexes nothing: an empty int64 index
  Tensor t = empty_tensor(p.shape, p.all_bool ? DType::Bool : DType::Int64);
  if (p.all_bool) {
    bool* d = t.data<bool>();
    for (size_t i = 0; i < p.vals.size(); ++i) d[i] = p.vals[i] != 0;
  } else if (!p.vals.empty()) {
    std::memcpy(t.data<int64_t>(), p.vals.data(), p.vals.size() * sizeof(int64_t));
  }
  return t;
}

// A NumPy array as an index: bool and uint8 stay masks, every other dtype becomes int64.
Tensor numpy_to_index(nb::handle arr) {
  Tensor t = tensor_from_numpy(arr);
  if (t.dtype() == DType::Bool || t.dtype() == DType::UInt8 || t.dtype() == DType::Int64) return t;
  return ops::to(t, std::nullopt, DType::Int64);
}

// 0-d integer tensor's value (reads through a CPU int64 copy when needed).
int64_t int_item(const Tensor& t) {
  Tensor c = t;
  if (!c.device().is_cpu() || c.dtype() != DType::Int64) c = ops::to(c, Device(), DType::Int64);
  return *c.data<int64_t>();
}

Item parse_item(const char* op, nb::handle h) {
  PyObject* o = h.ptr();
  Item it;
  if (is_int(o)) {
    it.kind = ItemKind::Int;
    it.i = PyLong_AsLongLong(o);
    if (it.i == -1 && PyErr_Occurred()) {
      PyErr_Clear();
      TS_FAIL(Index, "[", op, "] index ", nb::str(h).c_str(), " does not fit in int64");
    }
  } else if (PySlice_Check(o)) {
    it.kind = ItemKind::Slice;
    if (PySlice_Unpack(o, &it.start, &it.stop, &it.step) < 0) throw nb::python_error();
    TS_CHECK_VALUE(it.step > 0, "[", op, "] step must be greater than zero");
  } else if (o == Py_Ellipsis) {
    it.kind = ItemKind::Ellipsis;
  } else if (o == Py_None) {
    it.kind = ItemKind::None;
  } else if (PyBool_Check(o)) {
    it.kind = ItemKind::Bool;
    it.i = o == Py_True;
  } else if (nb::isinstance<Tensor>(h)) {
    it.kind = ItemKind::Tensor;
    it.t = nb::cast<Tensor>(h);
  } else if (is_numpy_array(o)) {
    it.kind = ItemKind::Tensor;
    it.t = numpy_to_index(h);
  } else if (PyUnicode_Check(o) || PyBytes_Check(o)) {
    TS_FAIL(Type, "[", op, "] invalid index of type '", Py_TYPE(o)->tp_name, "'");
  } else if (PySequence_Check(o)) {
    it.kind = ItemKind::Tensor;
    it.t = sequence_to_index(op, h);
  } else if (PyIndex_Check(o)) {  // numpy integer scalars and other __index__ types
    nb::object v = nb::steal(PyNumber_Index(o));
    if (!v.is_valid()) {
      PyErr_Clear();
      invalid_index(op, h);
    }
    it.kind = ItemKind::Int;
    it.i = PyLong_AsLongLong(v.ptr());
    if (it.i == -1 && PyErr_Occurred()) throw nb::python_error();
  } else {
    invalid_index(op, h);
  }
  return it;
}

Tensor checked_select(const char* op, const Tensor& t, int64_t dim, int64_t index, int64_t real_dim) {
  TS_CHECK_INDEX(t.dim() > 0, "[", op,
                 "] invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                 "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number");
  int64_t size = t.sizes()[dim];
  TS_CHECK_INDEX(index >= -size && index < size, "[", op, "] index ", index, " is out of bounds for dimension ",
                 real_dim, " with size ", size);
  return ops::select(t, dim, index);
}

Tensor bool_index(bool value, Device device) {
  Tensor t = empty_tensor(DimVector{value ? 1 : 0}, DType::Int64);
  if (value) *t.data<int64_t>() = 0;
  return device.is_cpu() ? t : ops::to(t, device, std::nullopt);
}

void record_index(std::vector<Tensor>& out, int64_t& dim, const Tensor& t) {
  if (static_cast<int64_t>(out.size()) <= dim) out.resize(dim + 1);
  out[dim] = t;
  dim += (t.dtype() == DType::Bool || t.dtype() == DType::UInt8) ? std::max<int64_t>(t.dim(), 1) : 1;
}

// NumPy's heuristic (kept by PyTorch): a short non-tuple sequence containing a sequence, slice,
// tensor, Ellipsis or None is a multi-dim index.
bool treat_sequence_as_tuple(PyObject* o) {
  if (PyTuple_Check(o)) return true;
  if (nb::isinstance<Tensor>(o) || is_numpy_array(o) || PyUnicode_Check(o) || !PySequence_Check(o)) return false;
  Py_ssize_t n = PySequence_Size(o);
  if (n < 0) {
    PyErr_Clear();
    return false;
  }
  if (n >= 32) return false;
  for (Py_ssize_t i = 0; i < n; ++i) {
    nb::object item = nb::steal(PySequence_GetItem(o, i));
    if (!item.is_valid()) {
      PyErr_Clear();
      return false;
    }
    PyObject* p = item.ptr();
    if (nb::isinstance<Tensor>(item) || PySequence_Check(p) || PySlice_Check(p) || p == Py_Ellipsis || p == Py_None)
      return true;
  }
  return false;
}

constexpr size_t kInlineItems = 8;

// Applies the basic part of a multi-dim index; tensor indices are collected into `out`.
Tensor apply_slicing(const char* op, const Tensor& self, nb::handle index, std::vector<Tensor>& out) {
  nb::object seq;
  PyObject* const* objs;
  Py_ssize_t n;
  PyObject* single = index.ptr();
  if (PyTuple_Check(index.ptr())) {
    objs = &PyTuple_GET_ITEM(index.ptr(), 0);
    n = PyTuple_GET_SIZE(index.ptr());
  } else if (treat_sequence_as_tuple(index.ptr())) {
    seq = nb::steal(PySequence_Tuple(index.ptr()));
    if (!seq.is_valid()) throw nb::python_error();
    objs = &PyTuple_GET_ITEM(seq.ptr(), 0);
    n = PyTuple_GET_SIZE(seq.ptr());
  } else {
    objs = &single;
    n = 1;
  }
  Item inline_items[kInlineItems];
  std::vector<Item> heap;
  Item* items = inline_items;
  if (static_cast<size_t>(n) > kInlineItems) {
    heap.resize(n);
    items = heap.data();
  }
  int64_t specified = 0;
  for (Py_ssize_t i = 0; i < n; ++i) {
    items[i] = parse_item(op, objs[i]);
    const Item& it = items[i];
    if (it.kind == ItemKind::Int || it.kind == ItemKind::Slice) {
      ++specified;
    } else if (it.kind == ItemKind::Tensor) {
      DType dt = it.t.dtype();
      specified += (dt == DType::Bool || dt == DType::UInt8) ? it.t.dim() : 1;
    }
  }
  TS_CHECK_INDEX(specified <= self.dim(), "[", op, "] too many indices for tensor of dimension ", self.dim());

  Tensor result = self;
  int64_t dim = 0;
  for (Py_ssize_t i = 0; i < n; ++i) {
    Item& it = items[i];
    switch (it.kind) {
      case ItemKind::Int:
        result = checked_select(op, result, dim, it.i, i);
        break;
      case ItemKind::Slice:
        if (!(it.start == 0 && it.step == 1 && it.stop == PY_SSIZE_T_MAX))
          result = ops::slice(result, dim, it.start, it.stop, it.step);
        ++dim;
        break;
      case ItemKind::Ellipsis:
        dim += self.dim() - specified;
        break;
      case ItemKind::None:
        result = ops::unsqueeze(result, dim);
        ++dim;
        break;
      case ItemKind::Bool:
        result = ops::unsqueeze(result, dim);
        record_index(out, dim, bool_index(it.i != 0, self.device()));
        break;
      case ItemKind::Tensor: {
        DType dt = it.t.dtype();
        if (it.t.dim() == 0 && dt != DType::Bool && dt != DType::UInt8 && !is_floating(dt)) {
          result = checked_select(op, result, dim, int_item(it.t), i);
        } else if (it.t.dim() == 0 && (dt == DType::Bool || dt == DType::UInt8)) {
          result = ops::unsqueeze(result, dim);
          record_index(out, dim, bool_index(int_item(it.t) != 0, self.device()));
        } else {
          record_index(out, dim, it.t);
        }
        break;
      }
    }
  }
  return result;
}

Tensor alias(const Tensor& t) {
  // A tensor that requires grad gets its alias through a recorded view op (x[...] stays in the graph).
  if (t.requires_grad() && autograd::grad_enabled())
    return t.dim() == 0 ? ops::view(t, IntArrayRef()) : ops::slice(t, 0, std::nullopt, std::nullopt, 1);
  return make_view(t, DimVector(t.sizes()), DimVector(t.strides()), t.storage_offset());
}

Tensor getitem(const Tensor& self, nb::handle index) {
  PyObject* o = index.ptr();
  if (is_int(o)) {  // x[i]
    long long v = PyLong_AsLongLong(o);
    if (v == -1 && PyErr_Occurred()) {
      PyErr_Clear();
      TS_FAIL(Index, "[getitem] index ", nb::str(index).c_str(), " does not fit in int64");
    }
    return checked_select("getitem", self, 0, v, 0);
  }
  if (PySlice_Check(o)) {  // x[a:b:c]
    Py_ssize_t start, stop, step;
    if (PySlice_Unpack(o, &start, &stop, &step) < 0) throw nb::python_error();
    TS_CHECK_VALUE(step > 0, "[getitem] step must be greater than zero");
    return ops::slice(self, 0, start, stop, step);
  }
  if (o == Py_None) return ops::unsqueeze(self, 0);
  if (o == Py_Ellipsis) return alias(self);
  std::vector<Tensor> indices;
  Tensor sliced = apply_slicing("getitem", self, index, indices);
  if (indices.empty()) return sliced.is_same(self) ? alias(self) : sliced;
  return ops::index(sliced, indices);
}

// ---- setitem

void check_scalar_fits(const Scalar& s, DType dt) {
  if (!s.is_integral() || dt == DType::Bool || is_floating(dt) || dt == DType::Int64) return;
  int64_t v = s.to_int();
  int64_t lo = 0, hi = 0;
  switch (dt) {
    case DType::UInt8:
      lo = -255, hi = 255;
      break;  // PyTorch lets negatives wrap for unsigned
    case DType::Int8:
      lo = -128, hi = 127;
      break;
    case DType::Int16:
      lo = -32768, hi = 32767;
      break;
    case DType::Int32:
      lo = std::numeric_limits<int32_t>::min(), hi = std::numeric_limits<int32_t>::max();
      break;
    default:
      return;
  }
  TS_CHECK(v >= lo && v <= hi, "[setitem] value ", v, " cannot be converted to type ", dtype_name(dt),
           " without overflow");
}

Tensor value_to_tensor(const Tensor& self, nb::handle value) {
  if (nb::isinstance<Tensor>(value)) return nb::cast<Tensor>(value);
  Scalar s;
  PyObject* o = value.ptr();
  bool number = PyBool_Check(o) || PyLong_Check(o) || PyFloat_Check(o) ||
                (PyIndex_Check(o) && !is_numpy_array(o) && !PySequence_Check(o));
  TS_CHECK_TYPE(number && scalar_from_python(value, s), "[setitem] can't assign a ", Py_TYPE(o)->tp_name, " to a ",
                dtype_name(self.dtype()), " tensor");
  check_scalar_fits(s, self.dtype());
  Tensor t = scalar_tensor(s, self.dtype());
  return self.device().is_cpu() ? t : ops::to(t, self.device(), std::nullopt);
}

// Value sizes without leading 1s, as PyTorch's slicePrefix1sSize: x[0] = ones(1, 4) is allowed.
Tensor strip_leading_ones(const Tensor& v) {
  int64_t k = 0;
  while (k < v.dim() && v.sizes()[k] == 1) ++k;
  if (k == 0) return v;
  return make_view(v, DimVector(v.sizes().begin() + k, v.sizes().end()),
                   DimVector(v.strides().begin() + k, v.strides().end()), v.storage_offset());
}

void copy_to(const Tensor& dst, const Tensor& value) {
  Tensor v = strip_leading_ones(value);
  bool ok = v.dim() <= dst.dim();
  for (int64_t i = 0; ok && i < v.dim(); ++i) {
    int64_t a = v.sizes()[i], b = dst.sizes()[dst.dim() - v.dim() + i];
    ok = a == 1 || a == b;
  }
  TS_CHECK(ok, "[setitem] shape mismatch: value tensor of shape ", shape_str(value.sizes()),
           " cannot be broadcast to indexing result of shape ", shape_str(dst.sizes()));
  // copy_ wants the source in the destination's shape: expand (a view, no copy) when it differs.
  bool same = v.dim() == dst.dim() && std::equal(v.sizes().begin(), v.sizes().end(), dst.sizes().begin());
  ops::copy_(dst, same ? v : ops::expand(v, dst.sizes()));
}

void setitem(const Tensor& self, nb::handle index, nb::handle value_obj) {
  Tensor value = value_to_tensor(self, value_obj);
  // Reading a value that overlaps the destination while writing it would be order-dependent.
  if (value.dim() > 0 && value.impl()->storage() == self.impl()->storage()) value = ops::clone(value);
  PyObject* o = index.ptr();
  if (o == Py_False) return;  // selects nothing
  if (is_int(o)) {
    long long v = PyLong_AsLongLong(o);
    if (v == -1 && PyErr_Occurred()) {
      PyErr_Clear();
      TS_FAIL(Index, "[setitem] index ", nb::str(index).c_str(), " does not fit in int64");
    }
    copy_to(checked_select("setitem", self, 0, v, 0), value);
    return;
  }
  if (PySlice_Check(o)) {
    Py_ssize_t start, stop, step;
    if (PySlice_Unpack(o, &start, &stop, &step) < 0) throw nb::python_error();
    TS_CHECK_VALUE(step > 0, "[setitem] step must be greater than zero");
    copy_to(ops::slice(self, 0, start, stop, step), value);
    return;
  }
  std::vector<Tensor> indices;
  Tensor sliced = apply_slicing("setitem", self, index, indices);
  if (indices.empty()) {
    copy_to(sliced, value);
    return;
  }
  ops::index_put_(sliced, indices, strip_leading_ones(value), false);
}

nb::tuple to_tuple(const std::vector<Tensor>& v) {
  nb::tuple t = nb::steal<nb::tuple>(PyTuple_New(static_cast<Py_ssize_t>(v.size())));
  for (size_t i = 0; i < v.size(); ++i) PyTuple_SET_ITEM(t.ptr(), i, nb::cast(v[i]).release().ptr());
  return t;
}

}  // namespace

TS_BINDER(indexing, 10) {
  using namespace nb::literals;
  cls.def("__getitem__", &getitem, "index"_a.none())
      .def("__setitem__", &setitem, "index"_a.none(), "value"_a.none())
      .def("__delitem__",
           [](const Tensor&, nb::handle) { TS_FAIL(Type, "[delitem] Tensor does not support deleting items"); })
      .def("__iter__",
           [](const Tensor& t) {
             TS_CHECK_TYPE(t.dim() > 0, "[iter] iteration over a 0-d tensor");
             return nb::iter(to_tuple(ops::unbind(t, 0)));
           })
      .def(
          "__contains__",
          [](const Tensor& t, nb::handle element) {
            TensorLike e;
            TS_CHECK(nb::try_cast<TensorLike>(element, e),
                     "[__contains__] Tensor.__contains__ only supports Tensor or "
                     "scalar, but you passed in a ",
                     nb::type_name(element.type()).c_str(), ".");
            return ops::contains(t, e.t);
          },
          "element"_a.none());
}

}  // namespace tessera::python

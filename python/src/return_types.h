#pragma once
// (values, indices) results as the namedtuples of tessera._return_types.
#include "casters.h"
#include "dispatch/boxing.h"

namespace tessera::python {

inline nb::object make_return(const char* name, const std::tuple<Tensor, Tensor>& r) {
  // Imported once and kept for the life of the process (released on purpose: no teardown order issue).
  static nb::handle mod = nb::module_::import_("tessera._return_types").release();
  return mod.attr(name)(nb::cast(std::get<0>(r)), nb::cast(std::get<1>(r)));
}

// Python dim argument: None, an int, or a tuple/list of ints. TypeError otherwise.
inline std::optional<std::vector<int64_t>> parse_dims(nb::handle h, const char* op, bool allow_none = true) {
  if (h.is_none()) {
    TS_CHECK_TYPE(allow_none, "[", op, "] dim must be an int or a tuple of ints, got None");
    return std::nullopt;
  }
  auto one = [op](PyObject* o) -> int64_t {
    TS_CHECK_TYPE(PyLong_Check(o) && !PyBool_Check(o), "[", op, "] dim must be an int or a tuple of ints, got ",
                  Py_TYPE(o)->tp_name);
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    TS_CHECK_INDEX(!overflow, "[", op, "] dim is out of range");
    return v;
  };
  std::vector<int64_t> dims;
  if (PyTuple_Check(h.ptr()) || PyList_Check(h.ptr())) {
    for (nb::handle item : h) dims.push_back(one(item.ptr()));
  } else {
    dims.push_back(one(h.ptr()));
  }
  return dims;
}

inline OptionalIntArrayRef as_ref(const std::optional<std::vector<int64_t>>& d) {
  if (!d) return std::nullopt;
  return IntArrayRef(*d);
}

}  // namespace tessera::python

#include "size_args.h"

namespace tessera::python {

namespace {
int64_t as_int(nb::handle h, const char* op, const char* what) {
  TS_CHECK_TYPE(PyIndex_Check(h.ptr()) && !PyBool_Check(h.ptr()), "[", op, "] ", what,
                " must be a sequence of ints, but got an element of type ", nb::type_name(h.type()).c_str());
  long long v = PyLong_AsLongLong(h.ptr());
  if (v == -1 && PyErr_Occurred()) {
    PyErr_Clear();
    TS_FAIL(Runtime, "[", op, "] ", what, " value is too large for int64");
  }
  return v;
}
}  // namespace

std::vector<int64_t> int_list_from_object(nb::handle obj, const char* op, const char* what) {
  std::vector<int64_t> out;
  if (PyIndex_Check(obj.ptr()) && !PyBool_Check(obj.ptr())) {
    out.push_back(as_int(obj, op, what));
    return out;
  }
  TS_CHECK_TYPE(PySequence_Check(obj.ptr()) && !PyUnicode_Check(obj.ptr()), "[", op, "] ", what,
                " must be an int or a sequence of ints, but got ", nb::type_name(obj.type()).c_str());
  for (nb::handle h : nb::iter(obj)) out.push_back(as_int(h, op, what));
  return out;
}

std::vector<int64_t> int_list_from_args(const nb::args& args, const char* op, const char* what) {
  if (args.size() == 1 && !PyIndex_Check(args[0].ptr())) return int_list_from_object(args[0], op, what);
  std::vector<int64_t> out;
  for (nb::handle h : args) out.push_back(as_int(h, op, what));
  return out;
}

}  // namespace tessera::python

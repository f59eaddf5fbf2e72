#pragma once
// Tensor-list arguments as PyTorch takes them: a tuple or list of Tensors (cat, stack ...), or
// varargs that may also be one such sequence (meshgrid(a, b) == meshgrid([a, b])). A Tensor is
// refused as the list itself, as in PyTorch, rather than iterated row by row.
#include <vector>

#include "binder.h"

namespace tessera::python {

inline std::vector<Tensor> tensor_list_from_object(nb::handle obj, const char* op, const char* what = "tensors") {
  TS_CHECK_TYPE(PyList_Check(obj.ptr()) || PyTuple_Check(obj.ptr()), "[", op, "] argument '", what,
                "' must be tuple of Tensors, not ", nb::type_name(obj.type()).c_str());
  std::vector<Tensor> out;
  size_t i = 0;
  for (nb::handle h : obj) {
    Tensor* t = nullptr;
    TS_CHECK_TYPE(nb::try_cast<Tensor*>(h, t) && t, "[", op, "] expected Tensor as element ", i, " in argument '", what,
                  "', but got ", nb::type_name(h.type()).c_str());
    out.push_back(*t);
    ++i;
  }
  return out;
}

// f(a, b, ...) or f([a, b, ...]).
inline std::vector<Tensor> tensor_list_from_args(const nb::args& args, const char* op) {
  if (args.size() == 1 && (PyList_Check(args[0].ptr()) || PyTuple_Check(args[0].ptr())))
    return tensor_list_from_object(args[0], op);
  return tensor_list_from_object(args, op);
}

inline nb::tuple tensor_tuple(const std::vector<Tensor>& v) {
  nb::list l;
  for (const Tensor& t : v) l.append(nb::cast(t));
  return nb::tuple(l);
}

}  // namespace tessera::python

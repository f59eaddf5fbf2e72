// Binary arithmetic: functions, methods, operators (reflected and in-place).
#include "binder.h"
#include "casters.h"
#include "ops/binary.h"

namespace tessera::python {

TS_BINDER(binary, 10) {
  using namespace nb::literals;
  m.def("add", [](const TensorLike& a, const TensorLike& b, const Scalar& alpha) { return ops::add(a.t, b.t, alpha); },
        "input"_a, "other"_a, nb::kw_only(), "alpha"_a = 1);
  cls.def("add", [](const Tensor& a, const TensorLike& b, const Scalar& alpha) { return ops::add(a, b.t, alpha); },
          "other"_a, nb::kw_only(), "alpha"_a = 1)
      .def("add_", [](const Tensor& a, const TensorLike& b, const Scalar& alpha) { return ops::add_(a, b.t, alpha); },
           "other"_a, nb::kw_only(), "alpha"_a = 1)
      .def("__add__", [](const Tensor& a, const TensorLike& b) { return ops::add(a, b.t); }, nb::is_operator())
      .def("__radd__", [](const Tensor& a, const TensorLike& b) { return ops::add(b.t, a); }, nb::is_operator())
      .def("__iadd__", [](const Tensor& a, const TensorLike& b) { return ops::add_(a, b.t); }, nb::is_operator());
}

}  // namespace tessera::python

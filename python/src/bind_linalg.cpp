// Matrix products: functions, Tensor methods and the @ operator.
#include "binder.h"
#include "casters.h"
#include "ops/linalg.h"

namespace tessera::python {

TS_BINDER(linalg, 10) {
  using namespace nb::literals;
  m.def("matmul", &ops::matmul, "input"_a, "other"_a);
  m.def("mm", &ops::mm, "input"_a, "mat2"_a);
  m.def("bmm", &ops::bmm, "input"_a, "mat2"_a);
  m.def("mv", &ops::mv, "input"_a, "vec"_a);
  m.def("dot", &ops::dot, "input"_a, "tensor"_a);
  m.def("outer", &ops::outer, "input"_a, "vec2"_a);
  m.def("ger", &ops::outer, "input"_a, "vec2"_a);
  m.def("addmm", &ops::addmm, "input"_a, "mat1"_a, "mat2"_a, nb::kw_only(), "beta"_a = 1, "alpha"_a = 1);
  m.def("baddbmm", &ops::baddbmm, "input"_a, "batch1"_a, "batch2"_a, nb::kw_only(), "beta"_a = 1, "alpha"_a = 1);
  cls.def("matmul", &ops::matmul, "other"_a)
      .def("mm", &ops::mm, "mat2"_a)
      .def("bmm", &ops::bmm, "mat2"_a)
      .def("mv", &ops::mv, "vec"_a)
      .def("dot", &ops::dot, "tensor"_a)
      .def("outer", &ops::outer, "vec2"_a)
      .def("addmm", &ops::addmm, "mat1"_a, "mat2"_a, nb::kw_only(), "beta"_a = 1, "alpha"_a = 1)
      .def("baddbmm", &ops::baddbmm, "batch1"_a, "batch2"_a, nb::kw_only(), "beta"_a = 1, "alpha"_a = 1)
      .def(
          "__matmul__", [](const Tensor& a, const Tensor& b) { return ops::matmul(a, b); }, nb::is_operator())
      .def("__rmatmul__", [](const Tensor& a, const Tensor& b) { return ops::matmul(b, a); }, nb::is_operator());
  // F.linear lives in tessera._C._nn (PyTorch has no torch.linear).
  nb::module_ nn = nb::hasattr(m, "_nn") ? nb::borrow<nb::module_>(m.attr("_nn")) : m.def_submodule("_nn");
  nn.def("linear", &ops::linear, "input"_a, "weight"_a, "bias"_a = nb::none());
  // gelu(linear(...)) as one op: fused into the GEMM on CUDA for approximate='tanh' with a bias.
  nn.def("_linear_gelu", &ops::linear_gelu, "input"_a, "weight"_a, "bias"_a = nb::none(), "approximate"_a = "none");
}

}  // namespace tessera::python

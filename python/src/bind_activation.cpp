// Activations as tessera.<name> functions (and Tensor.relu/relu_); tessera.nn.functional wraps them.
#include <nanobind/stl/string_view.h>

#include "binder.h"
#include "casters.h"
#include "ops/activation.h"

namespace tessera::python {

TS_BINDER(activation, 10) {
  using namespace nb::literals;
  m.def("relu", &ops::relu, "input"_a);
  m.def("relu_", &ops::relu_, "input"_a);
  cls.def("relu", &ops::relu).def("relu_", &ops::relu_);
  m.def("silu", &ops::silu, "input"_a);
  m.def("silu_", &ops::silu_, "input"_a);
  m.def("gelu", &ops::gelu, "input"_a, nb::kw_only(), "approximate"_a = "none");
  m.def("gelu_", &ops::gelu_, "input"_a, nb::kw_only(), "approximate"_a = "none");
  m.def("softplus", &ops::softplus, "input"_a, "beta"_a = 1.0, "threshold"_a = 20.0);
  m.def("leaky_relu", &ops::leaky_relu, "input"_a, "negative_slope"_a = 0.01);
  m.def("leaky_relu_", &ops::leaky_relu_, "input"_a, "negative_slope"_a = 0.01);
  m.def("elu", &ops::elu, "input"_a, "alpha"_a = 1.0);
  m.def("elu_", &ops::elu_, "input"_a, "alpha"_a = 1.0);
  m.def("hardtanh", &ops::hardtanh, "input"_a, "min_val"_a = -1.0, "max_val"_a = 1.0);
  m.def("hardtanh_", &ops::hardtanh_, "input"_a, "min_val"_a = -1.0, "max_val"_a = 1.0);
}

}  // namespace tessera::python

// Unary math ops: functions, methods, in-place methods, and the unary operators.
#include <nanobind/stl/optional.h>

#include "binder.h"
#include "casters.h"
#include "name_store.h"
#include "ops/unary.h"

namespace tessera::python {

namespace {
using Fn1 = Tensor (*)(const Tensor&);
}

TS_BINDER(unary, 10) {
  using namespace nb::literals;
  const std::tuple<const char*, Fn1, Fn1> ops1[] = {
      {"neg", &ops::neg, &ops::neg_},
      {"negative", &ops::neg, &ops::neg_},
      {"abs", &ops::abs, &ops::abs_},
      {"absolute", &ops::abs, &ops::abs_},
      {"sign", &ops::sign, &ops::sign_},
      {"floor", &ops::floor, &ops::floor_},
      {"ceil", &ops::ceil, &ops::ceil_},
      {"trunc", &ops::trunc, &ops::trunc_},
      {"fix", &ops::trunc, &ops::trunc_},
      {"bitwise_not", &ops::bitwise_not, &ops::bitwise_not_},
      {"reciprocal", &ops::reciprocal, &ops::reciprocal_},
      {"sqrt", &ops::sqrt, &ops::sqrt_},
      {"rsqrt", &ops::rsqrt, &ops::rsqrt_},
      {"exp", &ops::exp, &ops::exp_},
      {"exp2", &ops::exp2, &ops::exp2_},
      {"expm1", &ops::expm1, &ops::expm1_},
      {"log", &ops::log, &ops::log_},
      {"log2", &ops::log2, &ops::log2_},
      {"log10", &ops::log10, &ops::log10_},
      {"log1p", &ops::log1p, &ops::log1p_},
      {"sin", &ops::sin, &ops::sin_},
      {"cos", &ops::cos, &ops::cos_},
      {"tan", &ops::tan, &ops::tan_},
      {"tanh", &ops::tanh, &ops::tanh_},
      {"sigmoid", &ops::sigmoid, &ops::sigmoid_},
      {"erf", &ops::erf, &ops::erf_},
      {"erfinv", &ops::erfinv, &ops::erfinv_},
  };
  for (const auto& [name, fn, fn_] : ops1) {
    m.def(name, [fn](const Tensor& a) { return fn(a); }, "input"_a);
    m.def(keep_name(std::string(name) + "_"), [fn_](const Tensor& a) { return fn_(a); }, "input"_a);
    cls.def(name, [fn](const Tensor& a) { return fn(a); });
    cls.def(keep_name(std::string(name) + "_"), [fn_](const Tensor& a) { return fn_(a); });
  }
  m.def(
      "round", [](const Tensor& a, int64_t d) { return ops::round(a, d); }, "input"_a, nb::kw_only(), "decimals"_a = 0);
  m.def(
      "round_", [](const Tensor& a, int64_t d) { return ops::round_(a, d); }, "input"_a, nb::kw_only(),
      "decimals"_a = 0);
  cls.def("round", [](const Tensor& a, int64_t d) { return ops::round(a, d); }, nb::kw_only(), "decimals"_a = 0);
  cls.def("round_", [](const Tensor& a, int64_t d) { return ops::round_(a, d); }, nb::kw_only(), "decimals"_a = 0);

  using OptD = std::optional<double>;
  m.def(
      "nan_to_num", [](const Tensor& a, OptD n, OptD p, OptD q) { return ops::nan_to_num(a, n, p, q); }, "input"_a,
      "nan"_a = 0.0, "posinf"_a = nb::none(), "neginf"_a = nb::none());
  m.def(
      "nan_to_num_", [](const Tensor& a, OptD n, OptD p, OptD q) { return ops::nan_to_num_(a, n, p, q); }, "input"_a,
      "nan"_a = 0.0, "posinf"_a = nb::none(), "neginf"_a = nb::none());
  cls.def(
      "nan_to_num", [](const Tensor& a, OptD n, OptD p, OptD q) { return ops::nan_to_num(a, n, p, q); }, "nan"_a = 0.0,
      "posinf"_a = nb::none(), "neginf"_a = nb::none());
  cls.def(
      "nan_to_num_", [](const Tensor& a, OptD n, OptD p, OptD q) { return ops::nan_to_num_(a, n, p, q); },
      "nan"_a = 0.0, "posinf"_a = nb::none(), "neginf"_a = nb::none());

  cls.def("__neg__", [](const Tensor& a) { return ops::neg(a); })
      .def("__abs__", [](const Tensor& a) { return ops::abs(a); })
      .def("__invert__", [](const Tensor& a) {
        TS_CHECK_TYPE(!is_floating(a.dtype()),
                      "[bitwise_not] ~ (operator.invert) is only implemented on integer and Boolean-type tensors");
        return ops::bitwise_not(a);
      });
}

}  // namespace tessera::python

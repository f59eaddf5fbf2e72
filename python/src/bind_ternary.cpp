// where, masked_fill, lerp, addcmul/addcdiv and the clamp family: functions, methods, in-place.
#include <nanobind/stl/optional.h>

#include "binder.h"
#include "casters.h"
#include "ops/ternary.h"
#include "ops/type_promotion.h"

namespace tessera::python {

namespace {
using OptTL = std::optional<TensorLike>;
std::optional<Tensor> opt(const OptTL& v) {
  return v ? std::optional<Tensor>(v->t) : std::nullopt;
}
}  // namespace

TS_BINDER(ternary, 10) {
  using namespace nb::literals;
  m.def(
      "where", [](const Tensor& c, const TensorLike& a, const TensorLike& b) { return ops::where(c, a.t, b.t); },
      "condition"_a, "input"_a, "other"_a);
  cls.def(
      "where", [](const Tensor& a, const Tensor& c, const TensorLike& b) { return ops::where(c, a, b.t); },
      "condition"_a, "other"_a);

  m.def(
      "masked_fill",
      [](const Tensor& a, const Tensor& mask, const TensorLike& v) { return ops::masked_fill(a, mask, v.t); },
      "input"_a, "mask"_a, "value"_a);
  cls.def(
      "masked_fill",
      [](const Tensor& a, const Tensor& mask, const TensorLike& v) { return ops::masked_fill(a, mask, v.t); }, "mask"_a,
      "value"_a);
  cls.def(
      "masked_fill_",
      [](const Tensor& a, const Tensor& mask, const TensorLike& v) { return ops::masked_fill_(a, mask, v.t); },
      "mask"_a, "value"_a);

  m.def(
      "lerp", [](const Tensor& a, const Tensor& e, const TensorLike& w) { return ops::lerp(a, e, w.t); }, "input"_a,
      "end"_a, "weight"_a);
  cls.def(
      "lerp", [](const Tensor& a, const Tensor& e, const TensorLike& w) { return ops::lerp(a, e, w.t); }, "end"_a,
      "weight"_a);
  cls.def(
      "lerp_", [](const Tensor& a, const Tensor& e, const TensorLike& w) { return ops::lerp_(a, e, w.t); }, "end"_a,
      "weight"_a);

  using AddC = Tensor (*)(const Tensor&, const Tensor&, const Tensor&, const Scalar&);
  const std::tuple<const char*, const char*, AddC, AddC> addc[] = {
      {"addcmul", "addcmul_", &ops::addcmul, &ops::addcmul_}, {"addcdiv", "addcdiv_", &ops::addcdiv, &ops::addcdiv_}};
  for (const auto& [name, name_, fn, fn_] : addc) {
    m.def(
        name, [fn](const Tensor& s, const Tensor& a, const Tensor& b, const Scalar& v) { return fn(s, a, b, v); },
        "input"_a, "tensor1"_a, "tensor2"_a, nb::kw_only(), "value"_a = 1);
    cls.def(
        name, [fn](const Tensor& s, const Tensor& a, const Tensor& b, const Scalar& v) { return fn(s, a, b, v); },
        "tensor1"_a, "tensor2"_a, nb::kw_only(), "value"_a = 1);
    cls.def(
        name_, [fn_](const Tensor& s, const Tensor& a, const Tensor& b, const Scalar& v) { return fn_(s, a, b, v); },
        "tensor1"_a, "tensor2"_a, nb::kw_only(), "value"_a = 1);
  }

  for (const char* name : {"clamp", "clip"}) {
    m.def(
        name, [](const Tensor& a, const OptTL& lo, const OptTL& hi) { return ops::clamp(a, opt(lo), opt(hi)); },
        "input"_a, "min"_a = nb::none(), "max"_a = nb::none());
    cls.def(
        name, [](const Tensor& a, const OptTL& lo, const OptTL& hi) { return ops::clamp(a, opt(lo), opt(hi)); },
        "min"_a = nb::none(), "max"_a = nb::none());
  }
  for (const char* name : {"clamp_", "clip_"}) {
    m.def(
        name, [](const Tensor& a, const OptTL& lo, const OptTL& hi) { return ops::clamp_(a, opt(lo), opt(hi)); },
        "input"_a, "min"_a = nb::none(), "max"_a = nb::none());
    cls.def(
        name, [](const Tensor& a, const OptTL& lo, const OptTL& hi) { return ops::clamp_(a, opt(lo), opt(hi)); },
        "min"_a = nb::none(), "max"_a = nb::none());
  }
  m.def("clamp_min", [](const Tensor& a, const TensorLike& lo) { return ops::clamp_min(a, lo.t); }, "input"_a, "min"_a);
  m.def("clamp_max", [](const Tensor& a, const TensorLike& hi) { return ops::clamp_max(a, hi.t); }, "input"_a, "max"_a);
  cls.def(
         "clamp_min", [](const Tensor& a, const TensorLike& lo) { return ops::clamp_min(a, lo.t); }, "min"_a)
      .def(
          "clamp_min_", [](const Tensor& a, const TensorLike& lo) { return ops::clamp_min_(a, lo.t); }, "min"_a)
      .def(
          "clamp_max", [](const Tensor& a, const TensorLike& hi) { return ops::clamp_max(a, hi.t); }, "max"_a)
      .def("clamp_max_", [](const Tensor& a, const TensorLike& hi) { return ops::clamp_max_(a, hi.t); }, "max"_a);
}

}  // namespace tessera::python

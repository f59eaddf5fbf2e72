// Comparisons and logical ops: functions, methods, in-place methods, rich-comparison operators.
#include "binder.h"
#include "casters.h"
#include "name_store.h"
#include "ops/compare.h"

namespace tessera::python {

namespace {
using Fn1 = Tensor (*)(const Tensor&);
using Fn2 = Tensor (*)(const Tensor&, const Tensor&);
}  // namespace

TS_BINDER(compare, 10) {
  using namespace nb::literals;
  const std::tuple<const char*, Fn2, Fn2, const char*> ops2[] = {
      {"eq", &ops::eq, &ops::eq_, "__eq__"},
      {"ne", &ops::ne, &ops::ne_, "__ne__"},
      {"lt", &ops::lt, &ops::lt_, "__lt__"},
      {"le", &ops::le, &ops::le_, "__le__"},
      {"gt", &ops::gt, &ops::gt_, "__gt__"},
      {"ge", &ops::ge, &ops::ge_, "__ge__"},
      {"not_equal", &ops::ne, &ops::ne_, nullptr},
      {"less", &ops::lt, &ops::lt_, nullptr},
      {"less_equal", &ops::le, &ops::le_, nullptr},
      {"greater", &ops::gt, &ops::gt_, nullptr},
      {"greater_equal", &ops::ge, &ops::ge_, nullptr},
      {"logical_and", &ops::logical_and, &ops::logical_and_, nullptr},
      {"logical_or", &ops::logical_or, &ops::logical_or_, nullptr},
      {"logical_xor", &ops::logical_xor, &ops::logical_xor_, nullptr},
  };
  for (const auto& [name, fn, fn_, dunder] : ops2) {
    if (std::string_view(name).starts_with("logical_")) {  // tensors only, as torch
      m.def(name, [fn](const Tensor& a, const Tensor& b) { return fn(a, b); }, "input"_a, "other"_a);
      cls.def(name, [fn](const Tensor& a, const Tensor& b) { return fn(a, b); }, "other"_a);
      cls.def(
          keep_name(std::string(name) + "_"), [fn_](const Tensor& a, const Tensor& b) { return fn_(a, b); }, "other"_a);
      continue;
    }
    m.def(name, [fn](const Tensor& a, const TensorLike& b) { return fn(a, b.t); }, "input"_a, "other"_a);
    cls.def(name, [fn](const Tensor& a, const TensorLike& b) { return fn(a, b.t); }, "other"_a);
    cls.def(
        keep_name(std::string(name) + "_"), [fn_](const Tensor& a, const TensorLike& b) { return fn_(a, b.t); },
        "other"_a);
    if (dunder) cls.def(dunder, [fn](const Tensor& a, const TensorLike& b) { return fn(a, b.t); }, nb::is_operator());
  }
  const std::pair<const char*, Fn1> ops1[] = {
      {"logical_not", &ops::logical_not}, {"isnan", &ops::isnan}, {"isinf", &ops::isinf}, {"isfinite", &ops::isfinite}};
  for (const auto& [name, fn] : ops1) {
    m.def(name, [fn](const Tensor& a) { return fn(a); }, "input"_a);
    cls.def(name, [fn](const Tensor& a) { return fn(a); });
  }
  cls.def("logical_not_", [](const Tensor& a) { return ops::logical_not_(a); });
  cls.def("__hash__", [](const Tensor& a) { return reinterpret_cast<intptr_t>(a.impl()) >> 4; });

  m.def("allclose", &ops::allclose, "input"_a, "other"_a, "rtol"_a = 1e-5, "atol"_a = 1e-8, "equal_nan"_a = false);
  cls.def("allclose", &ops::allclose, "other"_a, "rtol"_a = 1e-5, "atol"_a = 1e-8, "equal_nan"_a = false);
  m.def("equal", &ops::equal, "input"_a, "other"_a);
  cls.def("equal", &ops::equal, "other"_a);
}

}  // namespace tessera::python

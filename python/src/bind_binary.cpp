// Binary arithmetic and bitwise ops: functions, methods, operators (reflected and in-place).
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string_view.h>

#include "binder.h"
#include "casters.h"
#include "name_store.h"
#include "ops/binary.h"

namespace tessera::python {

namespace {
using Fn2 = Tensor (*)(const Tensor&, const Tensor&);

// name(input, <arg>), Tensor.name(<arg>), Tensor.name_(<arg>) for a plain binary op.
// `number_input`: Python numbers are accepted (torch.add(2, t), t.add(2)); torch.atan2 and
// minimum/maximum take tensors only.
void bind_plain(nb::module_& m, TensorClass& cls, const char* name, const char* arg, Fn2 fn, Fn2 fn_,
                bool number_input = true) {
  if (number_input)
    m.def(
        name, [fn](const TensorLike& a, const TensorLike& b) { return fn(a.t, b.t); }, nb::arg("input"), nb::arg(arg));
  else
    m.def(name, [fn](const Tensor& a, const Tensor& b) { return fn(a, b); }, nb::arg("input"), nb::arg(arg));
  if (number_input) {
    cls.def(name, [fn](const Tensor& a, const TensorLike& b) { return fn(a, b.t); }, nb::arg(arg));
    if (fn_)
      cls.def(
          keep_name(std::string(name) + "_"), [fn_](const Tensor& a, const TensorLike& b) { return fn_(a, b.t); },
          nb::arg(arg));
  } else {
    cls.def(name, [fn](const Tensor& a, const Tensor& b) { return fn(a, b); }, nb::arg(arg));
    if (fn_)
      cls.def(
          keep_name(std::string(name) + "_"), [fn_](const Tensor& a, const Tensor& b) { return fn_(a, b); },
          nb::arg(arg));
  }
}

// __op__, __rop__ and __iop__.
void bind_operator(TensorClass& cls, const char* op, Fn2 fn, Fn2 fn_) {
  std::string o = std::string("__") + op + "__", r = std::string("__r") + op + "__", i = std::string("__i") + op + "__";
  cls.def(
         keep_name(o), [fn](const Tensor& a, const TensorLike& b) { return fn(a, b.t); }, nb::is_operator())
      .def(
          keep_name(r), [fn](const Tensor& a, const TensorLike& b) { return fn(b.t, a); }, nb::is_operator())
      .def(keep_name(i), [fn_](const Tensor& a, const TensorLike& b) { return fn_(a, b.t); }, nb::is_operator());
}

Tensor add2(const Tensor& a, const Tensor& b) {
  return ops::add(a, b);
}
Tensor add2_(const Tensor& a, const Tensor& b) {
  return ops::add_(a, b);
}
Tensor sub2(const Tensor& a, const Tensor& b) {
  return ops::sub(a, b);
}
Tensor sub2_(const Tensor& a, const Tensor& b) {
  return ops::sub_(a, b);
}
Tensor div2(const Tensor& a, const Tensor& b) {
  return ops::div(a, b);
}
Tensor div2_(const Tensor& a, const Tensor& b) {
  return ops::div_(a, b);
}
}  // namespace

TS_BINDER(binary, 10) {
  using namespace nb::literals;
  using OptStr = std::optional<std::string_view>;
  for (const char* name : {"add", "sub", "subtract"}) {
    const bool is_add = name[0] == 'a';
    auto fn = is_add ? &ops::add : &ops::sub;
    auto fn_ = is_add ? &ops::add_ : &ops::sub_;
    m.def(
        name, [fn](const TensorLike& a, const TensorLike& b, const Scalar& alpha) { return fn(a.t, b.t, alpha); },
        "input"_a, "other"_a, nb::kw_only(), "alpha"_a = 1);
    cls.def(
        name, [fn](const Tensor& a, const TensorLike& b, const Scalar& alpha) { return fn(a, b.t, alpha); }, "other"_a,
        nb::kw_only(), "alpha"_a = 1);
    std::string in = std::string(name) + "_";
    cls.def(
        keep_name(in), [fn_](const Tensor& a, const TensorLike& b, const Scalar& alpha) { return fn_(a, b.t, alpha); },
        "other"_a, nb::kw_only(), "alpha"_a = 1);
  }
  for (const char* name : {"div", "divide"}) {
    m.def(
        name, [](const TensorLike& a, const TensorLike& b, OptStr mode) { return ops::div(a.t, b.t, mode); }, "input"_a,
        "other"_a, nb::kw_only(), "rounding_mode"_a = nb::none());
    cls.def(
        name, [](const Tensor& a, const TensorLike& b, OptStr mode) { return ops::div(a, b.t, mode); }, "other"_a,
        nb::kw_only(), "rounding_mode"_a = nb::none());
    std::string in = std::string(name) + "_";
    cls.def(
        keep_name(in), [](const Tensor& a, const TensorLike& b, OptStr mode) { return ops::div_(a, b.t, mode); },
        "other"_a, nb::kw_only(), "rounding_mode"_a = nb::none());
  }
  bind_plain(m, cls, "mul", "other", &ops::mul, &ops::mul_);
  bind_plain(m, cls, "multiply", "other", &ops::mul, &ops::mul_);
  bind_plain(m, cls, "true_divide", "other", &ops::true_divide, &ops::true_divide_);
  bind_plain(m, cls, "floor_divide", "other", &ops::floor_divide, &ops::floor_divide_);
  bind_plain(m, cls, "remainder", "other", &ops::remainder, &ops::remainder_);
  // torch.fmod(number, t) is refused but t.fmod(number) is fine
  m.def("fmod", [](const Tensor& a, const TensorLike& b) { return ops::fmod(a, b.t); }, "input"_a, "other"_a);
  cls.def(
         "fmod", [](const Tensor& a, const TensorLike& b) { return ops::fmod(a, b.t); }, "other"_a)
      .def("fmod_", [](const Tensor& a, const TensorLike& b) { return ops::fmod_(a, b.t); }, "other"_a);
  bind_plain(m, cls, "pow", "exponent", &ops::pow, &ops::pow_);
  bind_plain(m, cls, "atan2", "other", &ops::atan2, &ops::atan2_, false);
  bind_plain(m, cls, "arctan2", "other", &ops::atan2, &ops::atan2_, false);
  bind_plain(m, cls, "minimum", "other", &ops::minimum, nullptr, false);
  bind_plain(m, cls, "maximum", "other", &ops::maximum, nullptr, false);
  bind_plain(m, cls, "bitwise_and", "other", &ops::bitwise_and, &ops::bitwise_and_);
  bind_plain(m, cls, "bitwise_or", "other", &ops::bitwise_or, &ops::bitwise_or_);
  bind_plain(m, cls, "bitwise_xor", "other", &ops::bitwise_xor, &ops::bitwise_xor_);
  bind_plain(m, cls, "bitwise_left_shift", "other", &ops::bitwise_left_shift, &ops::bitwise_left_shift_);
  bind_plain(m, cls, "bitwise_right_shift", "other", &ops::bitwise_right_shift, &ops::bitwise_right_shift_);

  bind_operator(cls, "add", &add2, &add2_);
  bind_operator(cls, "sub", &sub2, &sub2_);
  bind_operator(cls, "mul", &ops::mul, &ops::mul_);
  bind_operator(cls, "truediv", &div2, &div2_);
  bind_operator(cls, "floordiv", &ops::floor_divide, &ops::floor_divide_);
  bind_operator(cls, "mod", &ops::remainder, &ops::remainder_);
  bind_operator(cls, "pow", &ops::pow, &ops::pow_);
  bind_operator(cls, "and", &ops::bitwise_and, &ops::bitwise_and_);
  bind_operator(cls, "or", &ops::bitwise_or, &ops::bitwise_or_);
  bind_operator(cls, "xor", &ops::bitwise_xor, &ops::bitwise_xor_);
  bind_operator(cls, "lshift", &ops::bitwise_left_shift, &ops::bitwise_left_shift_);
  bind_operator(cls, "rshift", &ops::bitwise_right_shift, &ops::bitwise_right_shift_);
}

}  // namespace tessera::python

// Backward formulas of unary math ops.
#include <cmath>
#include <functional>
#include <numbers>

#include "autograd/fn_backward.h"
#include "autograd/formula_utils.h"
#include "autograd/record.h"
#include "autograd/saved_tensor.h"
#include "dispatch/boxing.h"
#include "ops/binary.h"
#include "ops/compare.h"
#include "ops/creation.h"
#include "ops/ternary.h"
#include "ops/type_promotion.h"
#include "ops/unary.h"

namespace tessera {
namespace {

using autograd::Node;
using autograd::SavedTensor;
using autograd::TensorVec;

// A unary op whose gradient is g * f'(input or output), given as `Derivative`.
template <class Derivative>
struct UnaryBackward final : Node {
  SavedTensor saved;
  DType input_dtype = DType::Float32;
  std::string name() const override { return Derivative::name; }
  TensorVec apply(TensorVec&& g) override {
    return {autograd::to_input_dtype(Derivative::grad(g[0], saved.unpack(shared_from_this())), input_dtype)};
  }
  void release_saved() override { saved.reset(); }
};

struct NegD {
  static constexpr const char* name = "NegBackward0";
  static constexpr bool saves_output = false;
  static Tensor grad(const Tensor& g, const Tensor&) { return ops::neg(g); }
};
struct ExpD {  // d exp(x) = exp(x): uses the saved output
  static constexpr const char* name = "ExpBackward0";
  static constexpr bool saves_output = true;
  static Tensor grad(const Tensor& g, const Tensor& out) { return ops::mul(g, out); }
};
struct LogD {
  static constexpr const char* name = "LogBackward0";
  static constexpr bool saves_output = false;
  static Tensor grad(const Tensor& g, const Tensor& x) { return ops::div(g, x); }
};

template <class D, Tensor (*Forward)(const Tensor&)>
Tensor unary_autograd(const Tensor& self) {
  Tensor out = autograd::below_autograd([&] { return Forward(self); });
  if (auto n = autograd::make_node<UnaryBackward<D>>({&self})) {
    n->input_dtype = self.dtype();
    autograd::set_history(out, n);
    n->saved = D::saves_output ? SavedTensor(out, true) : SavedTensor(self, false);
  }
  return out;
}

Tensor neg_fwd(const Tensor& t) {
  return ops::neg(t);
}
Tensor exp_fwd(const Tensor& t) {
  return ops::exp(t);
}
Tensor log_fwd(const Tensor& t) {
  return ops::log(t);
}

using autograd::FnBackward;
using autograd::record;

Tensor c(double v) {
  return wrapped_scalar(Scalar(v));
}
Tensor one_minus(const Tensor& t) {
  return ops::sub(c(1.0), t);
}

// Formulas of the unary ops (as PyTorch's derivatives.yaml): g is the incoming gradient, s the
// saved tensors (input x, or the output y where the formula is cheaper with it).
using F = FnBackward;
TensorVec zero_grad(const F&, const Tensor& g, const TensorVec&) {
  return {ops::zeros_like(g)};
}

#define TS_UNARY_AG(fn, Name, saves_x, saves_y, body)                                                             \
  Tensor fn##_autograd(const Tensor& self) {                                                                      \
    Tensor out = autograd::below_autograd([&] { return ops::fn(self); });                                         \
    return record(Name, out, {&self},                                                                             \
                  saves_x ? std::initializer_list<const Tensor*>{&self} : std::initializer_list<const Tensor*>{}, \
                  saves_y, [](const F&, const Tensor& g, const TensorVec& s) -> TensorVec {                       \
                    [[maybe_unused]] const Tensor& v = s.empty() ? g : s[0];                                      \
                    return {body};                                                                                \
                  });                                                                                             \
  }

// v is the saved input (saves_x) or the saved output (saves_y).
TS_UNARY_AG(abs, "AbsBackward0", true, false, ops::mul(g, ops::sign(v)))
TS_UNARY_AG(sign, "SignBackward0", false, false, ops::zeros_like(g))
TS_UNARY_AG(floor, "FloorBackward0", false, false, ops::zeros_like(g))
TS_UNARY_AG(ceil, "CeilBackward0", false, false, ops::zeros_like(g))
TS_UNARY_AG(trunc, "TruncBackward0", false, false, ops::zeros_like(g))
TS_UNARY_AG(reciprocal, "ReciprocalBackward0", false, true, ops::neg(ops::mul(g, ops::mul(v, v))))
TS_UNARY_AG(sqrt, "SqrtBackward0", false, true, ops::div(g, ops::mul(v, c(2.0))))
TS_UNARY_AG(rsqrt, "RsqrtBackward0", false, true, ops::mul(g, ops::mul(ops::pow(v, c(3.0)), c(-0.5))))
TS_UNARY_AG(exp2, "Exp2Backward0", false, true, ops::mul(g, ops::mul(v, c(std::log(2.0)))))
TS_UNARY_AG(expm1, "Expm1Backward0", false, true, ops::mul(g, ops::add(v, c(1.0))))
TS_UNARY_AG(log2, "Log2Backward0", true, false, ops::div(g, ops::mul(v, c(std::log(2.0)))))
TS_UNARY_AG(log10, "Log10Backward0", true, false, ops::div(g, ops::mul(v, c(std::log(10.0)))))
TS_UNARY_AG(log1p, "Log1PBackward0", true, false, ops::div(g, ops::add(v, c(1.0))))
TS_UNARY_AG(sin, "SinBackward0", true, false, ops::mul(g, ops::cos(v)))
TS_UNARY_AG(cos, "CosBackward0", true, false, ops::mul(g, ops::neg(ops::sin(v))))
TS_UNARY_AG(tan, "TanBackward0", false, true, ops::mul(g, ops::add(ops::mul(v, v), c(1.0))))
TS_UNARY_AG(tanh, "TanhBackward0", false, true, ops::mul(g, one_minus(ops::mul(v, v))))
TS_UNARY_AG(sigmoid, "SigmoidBackward0", false, true, ops::mul(g, ops::mul(v, one_minus(v))))
TS_UNARY_AG(erf, "ErfBackward0", true, false,
            ops::mul(g, ops::mul(ops::exp(ops::neg(ops::mul(v, v))), c(2.0 / std::sqrt(std::numbers::pi)))))
TS_UNARY_AG(erfinv, "ErfinvBackward0", false, true,
            ops::mul(g, ops::mul(ops::exp(ops::mul(v, v)), c(std::sqrt(std::numbers::pi) / 2.0))))
#undef TS_UNARY_AG

Tensor round_autograd(const Tensor& self, int64_t decimals) {
  Tensor out = autograd::below_autograd([&] { return ops::round(self, decimals); });
  return record(decimals == 0 ? "RoundBackward0" : "RoundBackward1", out, {&self}, {}, false, &zero_grad);
}

// Gradient passes where the input is finite (NaN and infinities were replaced by constants).
Tensor nan_to_num_autograd(const Tensor& self, std::optional<double> nan, std::optional<double> posinf,
                           std::optional<double> neginf) {
  Tensor out = autograd::below_autograd([&] { return ops::nan_to_num(self, nan, posinf, neginf); });
  return record("NanToNumBackward0", out, {&self}, {&self}, false,
                [](const F&, const Tensor& g, const TensorVec& s) -> TensorVec {
                  return {ops::where(ops::isfinite(s[0]), g, ops::zeros_like(g))};
                });
}

}  // namespace

TS_REGISTER_KERNEL("neg", Autograd, (&unary_autograd<NegD, &neg_fwd>));
TS_REGISTER_KERNEL("exp", Autograd, (&unary_autograd<ExpD, &exp_fwd>));
TS_REGISTER_KERNEL("log", Autograd, (&unary_autograd<LogD, &log_fwd>));
TS_REGISTER_KERNEL("abs", Autograd, &abs_autograd);
TS_REGISTER_KERNEL("sign", Autograd, &sign_autograd);
TS_REGISTER_KERNEL("floor", Autograd, &floor_autograd);
TS_REGISTER_KERNEL("ceil", Autograd, &ceil_autograd);
TS_REGISTER_KERNEL("trunc", Autograd, &trunc_autograd);
TS_REGISTER_KERNEL("reciprocal", Autograd, &reciprocal_autograd);
TS_REGISTER_KERNEL("sqrt", Autograd, &sqrt_autograd);
TS_REGISTER_KERNEL("rsqrt", Autograd, &rsqrt_autograd);
TS_REGISTER_KERNEL("exp2", Autograd, &exp2_autograd);
TS_REGISTER_KERNEL("expm1", Autograd, &expm1_autograd);
TS_REGISTER_KERNEL("log2", Autograd, &log2_autograd);
TS_REGISTER_KERNEL("log10", Autograd, &log10_autograd);
TS_REGISTER_KERNEL("log1p", Autograd, &log1p_autograd);
TS_REGISTER_KERNEL("sin", Autograd, &sin_autograd);
TS_REGISTER_KERNEL("cos", Autograd, &cos_autograd);
TS_REGISTER_KERNEL("tan", Autograd, &tan_autograd);
TS_REGISTER_KERNEL("tanh", Autograd, &tanh_autograd);
TS_REGISTER_KERNEL("sigmoid", Autograd, &sigmoid_autograd);
TS_REGISTER_KERNEL("erf", Autograd, &erf_autograd);
TS_REGISTER_KERNEL("erfinv", Autograd, &erfinv_autograd);
TS_REGISTER_KERNEL("round", Autograd, &round_autograd);
TS_REGISTER_KERNEL("nan_to_num", Autograd, &nan_to_num_autograd);

}  // namespace tessera

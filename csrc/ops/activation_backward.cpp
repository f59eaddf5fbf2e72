// Backward formulas of the pointwise activations (relu, gelu, silu, softplus, leaky_relu, elu,
// hardtanh), written with ops:: so that they differentiate again.
#include <cmath>
#include <functional>
#include <numbers>

#include "autograd/fn_backward.h"
#include "autograd/formula_utils.h"
#include "autograd/grad_mode.h"
#include "autograd/record.h"
#include "autograd/saved_tensor.h"
#include "dispatch/boxing.h"
#include "ops/activation.h"
#include "ops/activation_backward_stubs.h"
#include "ops/backward_records.h"
#include "ops/binary.h"
#include "ops/compare.h"
#include "ops/creation.h"
#include "ops/elementwise_util.h"
#include "ops/ternary.h"
#include "ops/type_promotion.h"
#include "ops/unary.h"

namespace tessera {

TS_DEFINE_STUB(activation_backward_stub, "activation_backward", void(const TensorIterator&, ActOp));

namespace {

using autograd::Node;
using autograd::SavedTensor;
using autograd::TensorVec;

using autograd::FnBackward;
using autograd::record;

using F = FnBackward;
Tensor c(double v) {
  return wrapped_scalar(Scalar(v));
}
Tensor zero() {
  return wrapped_scalar(Scalar(0.0));
}

// First-order gradients (grad mode off in backward) run one fused pass g * f'(x); under
// create_graph the caller composes the formula from ops:: instead.
bool fused(const Tensor& x) {
  return !autograd::grad_enabled() && is_floating(x.dtype());
}
Tensor fused_backward(const char* name, ActOp op, const Tensor& g, const Tensor& x) {
  const DType dt = x.dtype();
  return run_elementwise(name, {{g, dt}, {x, dt}}, dt, nullptr,
                         [&](const TensorIterator& it) { activation_backward_stub(it.device(), it, op); });
}

// Where the output is 0 the gradient is 0 (PyTorch's threshold_backward on the result).
Tensor relu_autograd(const Tensor& self) {
  Tensor out = autograd::below_autograd([&] { return ops::relu(self); });
  return record("ReluBackward0", out, {&self}, {}, true,
                [](const F&, const Tensor& g, const TensorVec& s) -> TensorVec {
                  if (fused(s[0])) return {fused_backward("threshold_backward", ActOp::Relu, g, s[0])};
                  return {ops::where(ops::le(s[0], zero()), zero(), g)};
                });
}

}  // namespace

// gelu's backward node on `out` = gelu(self); also used by _linear_gelu, whose fused forward
// yields gelu's input and output together (ops/linalg_backward.cpp).
Tensor record_gelu_backward(const Tensor& out, const Tensor& self, std::string_view approximate) {
  const bool tanh_approx = approximate == "tanh";
  return record("GeluBackward0", out, {&self}, {&self}, false,
                [tanh_approx](const F&, const Tensor& g, const TensorVec& s) -> TensorVec {
                  const Tensor& x = s[0];
                  if (fused(x))
                    return {fused_backward("gelu_backward", tanh_approx ? ActOp::GeluTanh : ActOp::Gelu, g, x)};
                  if (tanh_approx) {
                    // y = x/2 (1 + tanh(u)), u = k (x + 0.044715 x^3)
                    const double k = std::sqrt(2.0 / std::numbers::pi);
                    Tensor x2 = ops::mul(x, x);
                    Tensor u = ops::mul(ops::mul(x, ops::add(ops::mul(x2, c(0.044715)), c(1.0))), c(k));
                    Tensor t = ops::tanh(u);
                    Tensor du = ops::mul(ops::add(ops::mul(x2, c(3 * 0.044715)), c(1.0)), c(k));
                    Tensor left = ops::mul(ops::add(t, c(1.0)), c(0.5));
                    Tensor right = ops::mul(ops::mul(ops::mul(x, c(0.5)), ops::sub(c(1.0), ops::mul(t, t))), du);
                    return {ops::mul(g, ops::add(left, right))};
                  }
                  // y = x Phi(x): dy = Phi(x) + x phi(x)
                  Tensor cdf = ops::mul(ops::add(ops::erf(ops::mul(x, c(1.0 / std::numbers::sqrt2))), c(1.0)), c(0.5));
                  Tensor pdf =
                      ops::mul(ops::exp(ops::mul(ops::mul(x, x), c(-0.5))), c(1.0 / std::sqrt(2.0 * std::numbers::pi)));
                  return {ops::mul(g, ops::add(cdf, ops::mul(x, pdf)))};
                });
}

namespace {

Tensor gelu_autograd(const Tensor& self, std::string_view approximate) {
  Tensor out = autograd::below_autograd([&] { return ops::gelu(self, approximate); });
  return record_gelu_backward(out, self, approximate);
}

Tensor silu_autograd(const Tensor& self) {
  Tensor out = autograd::below_autograd([&] { return ops::silu(self); });
  return record("SiluBackward0", out, {&self}, {&self}, false,
                [](const F&, const Tensor& g, const TensorVec& s) -> TensorVec {
                  if (fused(s[0])) return {fused_backward("silu_backward", ActOp::Silu, g, s[0])};
                  Tensor sg = ops::sigmoid(s[0]);
                  Tensor d = ops::mul(sg, ops::add(ops::mul(s[0], ops::sub(c(1.0), sg)), c(1.0)));
                  return {ops::mul(g, d)};
                });
}

// Linear above the threshold (x * beta > threshold), else d/dx log(1 + exp(beta x)) / beta.
Tensor softplus_autograd(const Tensor& self, double beta, double threshold) {
  Tensor out = autograd::below_autograd([&] { return ops::softplus(self, beta, threshold); });
  return record("SoftplusBackward0", out, {&self}, {&self}, false,
                [beta, threshold](const F&, const Tensor& g, const TensorVec& s) -> TensorVec {
                  Tensor bx = ops::mul(s[0], c(beta));
                  return {ops::where(ops::gt(bx, c(threshold)), g, ops::mul(g, ops::sigmoid(bx)))};
                });
}

Tensor leaky_relu_autograd(const Tensor& self, double slope) {
  Tensor out = autograd::below_autograd([&] { return ops::leaky_relu(self, slope); });
  return record("LeakyReluBackward0", out, {&self}, {&self}, false,
                [slope](const F&, const Tensor& g, const TensorVec& s) -> TensorVec {
                  return {ops::where(ops::gt(s[0], zero()), g, ops::mul(g, c(slope)))};
                });
}

Tensor elu_autograd(const Tensor& self, double alpha) {
  Tensor out = autograd::below_autograd([&] { return ops::elu(self, alpha); });
  return record("EluBackward0", out, {&self}, {&self}, false,
                [alpha](const F&, const Tensor& g, const TensorVec& s) -> TensorVec {
                  Tensor neg = ops::mul(g, ops::mul(ops::exp(s[0]), c(alpha)));
                  return {ops::where(ops::le(s[0], zero()), neg, g)};
                });
}

// Zero where the input is at or beyond a bound (PyTorch's hardtanh_backward).
Tensor hardtanh_autograd(const Tensor& self, double min_val, double max_val) {
  Tensor out = autograd::below_autograd([&] { return ops::hardtanh(self, min_val, max_val); });
  return record("HardtanhBackward0", out, {&self}, {&self}, false,
                [min_val, max_val](const F&, const Tensor& g, const TensorVec& s) -> TensorVec {
                  Tensor outside = ops::logical_or(ops::le(s[0], c(min_val)), ops::ge(s[0], c(max_val)));
                  return {ops::where(outside, zero(), g)};
                });
}

}  // namespace

TS_REGISTER_KERNEL("relu", Autograd, &relu_autograd);
TS_REGISTER_KERNEL("gelu", Autograd, &gelu_autograd);
TS_REGISTER_KERNEL("silu", Autograd, &silu_autograd);
TS_REGISTER_KERNEL("softplus", Autograd, &softplus_autograd);
TS_REGISTER_KERNEL("leaky_relu", Autograd, &leaky_relu_autograd);
TS_REGISTER_KERNEL("elu", Autograd, &elu_autograd);
TS_REGISTER_KERNEL("hardtanh", Autograd, &hardtanh_autograd);

}  // namespace tessera

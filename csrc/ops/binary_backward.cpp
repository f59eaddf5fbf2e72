// Backward formulas of the binary ops: add, sub, mul, div, pow, atan2, minimum, maximum,
// remainder, fmod, floor_divide (the Autograd kernels of those ops).
#include <functional>

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
using autograd::reduce_grad;
using autograd::SavedTensor;
using autograd::TensorVec;

using autograd::InputInfo;
using autograd::needs;

// self + alpha * other (sub: alpha negated).
struct AddBackward0 final : Node {
  Scalar alpha;
  InputInfo self, other;
  std::string name() const override { return "AddBackward0"; }
  TensorVec apply(TensorVec&& g) override {
    TensorVec out(2);
    if (needs(*this, 0)) out[0] = reduce_grad(g[0], self.shape, self.dtype);
    if (needs(*this, 1)) {
      Tensor go = alpha.to_double() == 1.0 ? g[0] : ops::mul(g[0], wrapped_scalar(alpha));
      out[1] = reduce_grad(go, other.shape, other.dtype);
    }
    return out;
  }
};

struct MulBackward0 final : Node {
  SavedTensor self_saved, other_saved;
  InputInfo self, other;
  std::string name() const override { return "MulBackward0"; }
  TensorVec apply(TensorVec&& g) override {
    auto me = shared_from_this();
    TensorVec out(2);
    if (needs(*this, 0)) out[0] = reduce_grad(ops::mul(g[0], other_saved.unpack(me)), self.shape, self.dtype);
    if (needs(*this, 1)) out[1] = reduce_grad(ops::mul(g[0], self_saved.unpack(me)), other.shape, other.dtype);
    return out;
  }
  void release_saved() override {
    self_saved.reset();
    other_saved.reset();
  }
};

// self / other: d/dself = g / other, d/dother = -g * self / other^2. With a rounding mode the
// result is piecewise constant: zero gradients, as PyTorch.
struct DivBackward0 final : Node {
  SavedTensor self_saved, other_saved;
  InputInfo self, other;
  bool rounding = false;
  std::string name() const override { return "DivBackward0"; }
  TensorVec apply(TensorVec&& g) override {
    auto me = shared_from_this();
    TensorVec out(2);
    if (rounding) {
      Tensor zero = ops::mul(g[0], wrapped_scalar(0));
      if (needs(*this, 0)) out[0] = reduce_grad(zero, self.shape, self.dtype);
      if (needs(*this, 1)) out[1] = reduce_grad(zero, other.shape, other.dtype);
      return out;
    }
    Tensor b = other_saved.unpack(me);
    if (needs(*this, 0)) out[0] = reduce_grad(ops::div(g[0], b), self.shape, self.dtype);
    if (needs(*this, 1)) {
      Tensor a = self_saved.unpack(me);
      out[1] = reduce_grad(ops::neg(ops::div(ops::mul(g[0], a), ops::mul(b, b))), other.shape, other.dtype);
    }
    return out;
  }
  void release_saved() override {
    self_saved.reset();
    other_saved.reset();
  }
};

template <bool Sub>
Tensor add_autograd(const Tensor& self, const Tensor& other, const Scalar& alpha) {
  Tensor out =
      autograd::below_autograd([&] { return Sub ? ops::sub(self, other, alpha) : ops::add(self, other, alpha); });
  if (auto n = autograd::make_node<AddBackward0>({&self, &other})) {
    n->alpha = Sub ? (alpha.is_floating_point() ? Scalar(-alpha.to_double()) : Scalar(-alpha.to_int())) : alpha;
    n->self.set(self);
    n->other.set(other);
    autograd::set_history(out, n);
  }
  return out;
}

Tensor mul_autograd(const Tensor& self, const Tensor& other) {
  Tensor out = autograd::below_autograd([&] { return ops::mul(self, other); });
  if (auto n = autograd::make_node<MulBackward0>({&self, &other})) {
    if (n->next_edges()[1].valid()) n->self_saved = SavedTensor(self, false);
    if (n->next_edges()[0].valid()) n->other_saved = SavedTensor(other, false);
    n->self.set(self);
    n->other.set(other);
    autograd::set_history(out, n);
  }
  return out;
}

Tensor div_autograd(const Tensor& self, const Tensor& other, std::optional<std::string_view> mode) {
  Tensor out = autograd::below_autograd([&] { return ops::div(self, other, mode); });
  if (auto n = autograd::make_node<DivBackward0>({&self, &other})) {
    n->rounding = mode.has_value();
    if (!n->rounding) {
      n->other_saved = SavedTensor(other, false);
      if (n->next_edges()[1].valid()) n->self_saved = SavedTensor(self, false);
    }
    n->self.set(self);
    n->other.set(other);
    autograd::set_history(out, n);
  }
  return out;
}

Tensor true_divide_autograd(const Tensor& self, const Tensor& other) {
  return div_autograd(self, other, std::nullopt);
}

using autograd::FnBackward;
using autograd::record;

using F = FnBackward;
Tensor zero() {
  return wrapped_scalar(Scalar(0.0));
}
bool is_wrapped(const Tensor& t) {
  return t.impl()->is_wrapped_number();
}

// self^exponent. PyTorch: d/dself = g * e * self^(e-1), 0 where e == 0; d/de = g * out * log(self),
// 0 where self == 0 and e >= 0. PowBackward0: tensor^number, 1: tensor^tensor, 2: number^tensor.
Tensor pow_autograd(const Tensor& self, const Tensor& exponent) {
  Tensor out = autograd::below_autograd([&] { return ops::pow(self, exponent); });
  const char* name = is_wrapped(exponent) ? "PowBackward0" : is_wrapped(self) ? "PowBackward2" : "PowBackward1";
  return record(name, out, {&self, &exponent}, {&self, &exponent}, true,
                [](const F& n, const Tensor& g, const TensorVec& s) -> TensorVec {
                  const Tensor &a = s[0], &e = s[1], &y = s[2];
                  TensorVec r(2);
                  if (n.needs(0)) {
                    Tensor d = ops::mul(e, ops::pow(a, ops::sub(e, wrapped_scalar(Scalar(1)))));
                    r[0] = ops::where(ops::eq(e, zero()), zero(), ops::mul(g, d));
                  }
                  if (n.needs(1)) {
                    Tensor flat = ops::logical_and(ops::eq(a, zero()), ops::ge(e, zero()));
                    r[1] = ops::mul(g, ops::where(flat, zero(), ops::mul(y, ops::log(a))));
                  }
                  return r;
                });
}

Tensor atan2_autograd(const Tensor& self, const Tensor& other) {
  Tensor out = autograd::below_autograd([&] { return ops::atan2(self, other); });
  return record("Atan2Backward0", out, {&self, &other}, {&self, &other}, false,
                [](const F& n, const Tensor& g, const TensorVec& s) -> TensorVec {
                  const Tensor &a = s[0], &b = s[1];
                  Tensor gd = ops::div(g, ops::add(ops::mul(a, a), ops::mul(b, b)));
                  TensorVec r(2);
                  if (n.needs(0)) r[0] = ops::mul(gd, b);
                  if (n.needs(1)) r[1] = ops::mul(gd, ops::neg(a));
                  return r;
                });
}

// The larger (smaller) input gets the gradient; ties split it evenly, as PyTorch.
template <bool IsMax>
Tensor minmax_autograd(const Tensor& self, const Tensor& other) {
  Tensor out = autograd::below_autograd([&] { return IsMax ? ops::maximum(self, other) : ops::minimum(self, other); });
  return record(IsMax ? "MaximumBackward0" : "MinimumBackward0", out, {&self, &other}, {&self, &other}, false,
                [](const F& n, const Tensor& g, const TensorVec& s) -> TensorVec {
                  const Tensor &a = s[0], &b = s[1];
                  Tensor split = ops::where(ops::eq(a, b), ops::div(g, wrapped_scalar(Scalar(2))), g);
                  TensorVec r(2);
                  if (n.needs(0)) r[0] = ops::where(IsMax ? ops::lt(a, b) : ops::gt(a, b), zero(), split);
                  if (n.needs(1)) r[1] = ops::where(IsMax ? ops::gt(a, b) : ops::lt(a, b), zero(), split);
                  return r;
                });
}

// self - other * q with q = floor (remainder) or trunc (fmod) of self / other.
template <bool Floor>
Tensor mod_autograd(const Tensor& self, const Tensor& other) {
  Tensor out = autograd::below_autograd([&] { return Floor ? ops::remainder(self, other) : ops::fmod(self, other); });
  const bool num = is_wrapped(other);
  const char* name =
      Floor ? (num ? "RemainderBackward0" : "RemainderBackward1") : (num ? "FmodBackward0" : "FmodBackward1");
  return record(name, out, {&self, &other}, {&self, &other}, false,
                [](const F& n, const Tensor& g, const TensorVec& s) -> TensorVec {
                  TensorVec r(2);
                  if (n.needs(0)) r[0] = g;
                  if (n.needs(1)) r[1] = ops::neg(ops::mul(g, ops::div(s[0], s[1], Floor ? "floor" : "trunc")));
                  return r;
                });
}

// Piecewise constant: zero gradients (like div with a rounding mode).
Tensor floor_divide_autograd(const Tensor& self, const Tensor& other) {
  Tensor out = autograd::below_autograd([&] { return ops::floor_divide(self, other); });
  return record("FloorDivideBackward0", out, {&self, &other}, {}, false,
                [](const F&, const Tensor& g, const TensorVec&) -> TensorVec {
                  Tensor z = ops::zeros_like(g);
                  return {z, z};
                });
}

}  // namespace

TS_REGISTER_KERNEL("add", Autograd, &add_autograd<false>);
TS_REGISTER_KERNEL("sub", Autograd, &add_autograd<true>);
TS_REGISTER_KERNEL("mul", Autograd, &mul_autograd);
TS_REGISTER_KERNEL("div", Autograd, &div_autograd);
TS_REGISTER_KERNEL("true_divide", Autograd, &true_divide_autograd);
TS_REGISTER_KERNEL("pow", Autograd, &pow_autograd);
TS_REGISTER_KERNEL("atan2", Autograd, &atan2_autograd);
TS_REGISTER_KERNEL("maximum", Autograd, &minmax_autograd<true>);
TS_REGISTER_KERNEL("minimum", Autograd, &minmax_autograd<false>);
TS_REGISTER_KERNEL("remainder", Autograd, &mod_autograd<true>);
TS_REGISTER_KERNEL("fmod", Autograd, &mod_autograd<false>);
TS_REGISTER_KERNEL("floor_divide", Autograd, &floor_divide_autograd);

}  // namespace tessera

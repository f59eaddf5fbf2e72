// Backward formulas of add, sub, mul and div (the Autograd kernels of those ops).
#include "autograd/formula_utils.h"
#include "autograd/record.h"
#include "autograd/saved_tensor.h"
#include "dispatch/boxing.h"
#include "ops/binary.h"
#include "ops/type_promotion.h"
#include "ops/unary.h"

namespace tessera {
namespace {

using autograd::Node;
using autograd::reduce_grad;
using autograd::SavedTensor;
using autograd::TensorVec;

// What a binary formula needs to know about each input besides saved values.
struct InputInfo {
  DimVector shape;
  DType dtype = DType::Float32;
  void set(const Tensor& t) {
    shape = DimVector(t.sizes());
    dtype = t.dtype();
  }
};

bool needs(const Node& n, size_t i) { return n.next_edges()[i].valid(); }

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
  Tensor out = autograd::below_autograd([&] { return Sub ? ops::sub(self, other, alpha) : ops::add(self, other, alpha); });
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

Tensor true_divide_autograd(const Tensor& self, const Tensor& other) { return div_autograd(self, other, std::nullopt); }

}  // namespace

TS_REGISTER_KERNEL("add", Autograd, &add_autograd<false>);
TS_REGISTER_KERNEL("sub", Autograd, &add_autograd<true>);
TS_REGISTER_KERNEL("mul", Autograd, &mul_autograd);
TS_REGISTER_KERNEL("div", Autograd, &div_autograd);
TS_REGISTER_KERNEL("true_divide", Autograd, &true_divide_autograd);

}  // namespace tessera

// Backward formulas of unary math ops.
#include "autograd/formula_utils.h"
#include "autograd/record.h"
#include "autograd/saved_tensor.h"
#include "dispatch/boxing.h"
#include "ops/binary.h"
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

Tensor neg_fwd(const Tensor& t) { return ops::neg(t); }
Tensor exp_fwd(const Tensor& t) { return ops::exp(t); }
Tensor log_fwd(const Tensor& t) { return ops::log(t); }

}  // namespace

TS_REGISTER_KERNEL("neg", Autograd, (&unary_autograd<NegD, &neg_fwd>));
TS_REGISTER_KERNEL("exp", Autograd, (&unary_autograd<ExpD, &exp_fwd>));
TS_REGISTER_KERNEL("log", Autograd, (&unary_autograd<LogD, &log_fwd>));

}  // namespace tessera

// Backward formulas of mse_loss, nll_loss and cross_entropy. Class-index losses run one fused
// kernel (softmax - smoothed one-hot, weighted and scaled); under create_graph they are composed
// from ops:: around the constant target distribution so they differentiate again.
#include <array>
#include <vector>

#include "autograd/formula_utils.h"
#include "autograd/grad_mode.h"
#include "autograd/record.h"
#include "autograd/saved_tensor.h"
#include "dispatch/boxing.h"
#include "ops/binary.h"
#include "ops/copy.h"
#include "ops/creation.h"
#include "ops/nn.h"
#include "ops/nn_backward_stubs.h"
#include "ops/reduce.h"
#include "ops/type_promotion.h"
#include "ops/unary.h"
#include "ops/view.h"

namespace tessera {

TS_DEFINE_STUB(nll_backward_stub, "nll_loss_backward",
               void(const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&, int64_t, Reduction,
                    double, bool));

namespace {

using autograd::Node;
using autograd::SavedTensor;
using autograd::TensorVec;

using autograd::needs;

Reduction reduction_of(std::string_view r) {
  return r == "none" ? Reduction::None : r == "sum" ? Reduction::Sum : Reduction::Mean;
}

// ---- mse_loss: d/dinput = 2 (input - target) g [/ numel]; d/dtarget the negation.
struct MseLossBackward final : Node {
  SavedTensor a_saved, b_saved;
  DimVector a_shape, b_shape;
  DType a_dtype = DType::Float32, b_dtype = DType::Float32;
  Reduction red = Reduction::Mean;
  std::string name() const override { return "MseLossBackward0"; }
  TensorVec apply(TensorVec&& g) override {
    auto me = shared_from_this();
    Tensor a = a_saved.unpack(me), b = b_saved.unpack(me);
    Tensor diff = ops::sub(a, b);
    double scale = 2.0;
    if (red == Reduction::Mean) scale /= static_cast<double>(diff.numel());
    Tensor gi = ops::mul(ops::mul(diff, wrapped_scalar(Scalar(scale))), g[0]);
    TensorVec out(2);
    if (needs(*this, 0)) out[0] = autograd::reduce_grad(gi, a_shape, a_dtype);
    if (needs(*this, 1)) out[1] = autograd::reduce_grad(ops::neg(gi), b_shape, b_dtype);
    return out;
  }
  void release_saved() override {
    a_saved.reset();
    b_saved.reset();
  }
};

Tensor mse_loss_autograd(const Tensor& input, const Tensor& target, std::string_view reduction) {
  Tensor out = autograd::below_autograd([&] { return ops::mse_loss(input, target, reduction); });
  if (auto n = autograd::make_node<MseLossBackward>({&input, &target})) {
    n->red = reduction_of(reduction);
    n->a_shape = DimVector(input.sizes());
    n->b_shape = DimVector(target.sizes());
    n->a_dtype = input.dtype();
    n->b_dtype = target.dtype();
    n->a_saved = SavedTensor(input, false);
    n->b_saved = SavedTensor(target, false);
    autograd::set_history(out, n);
  }
  return out;
}

// ---- class-index nll_loss / cross_entropy (inputs: input, target, weight).
struct NllBackward final : Node {
  SavedTensor x_saved, t_saved, w_saved;
  int64_t ignore_index = -100;
  Reduction red = Reduction::Mean;
  double ls = 0;
  bool log_softmax = false;  // cross_entropy: input holds logits
  DType x_dtype = DType::Float32;
  std::string name() const override { return log_softmax ? "CrossEntropyLossBackward0" : "NllLossBackward0"; }
  TensorVec apply(TensorVec&& g) override {
    const char* op = log_softmax ? "cross_entropy" : "nll_loss";
    TS_CHECK_NOT_IMPLEMENTED(!needs(*this, 2), "[", op, "] the derivative for 'weight' is not implemented.");
    TensorVec out(3);
    if (!needs(*this, 0)) return out;
    auto me = shared_from_this();
    Tensor x = ops::contiguous(x_saved.unpack(me));
    Tensor t = ops::contiguous(to_dtype(t_saved.unpack(me), DType::Int64));
    Tensor w = w_saved.defined() ? ops::contiguous(to_dtype(w_saved.unpack(me), x.dtype())) : Tensor();
    Tensor go = to_dtype(g[0], x.dtype());
    Tensor gi = empty_tensor(x.sizes(), x.dtype(), x.device());
    if (gi.numel() == 0) {
      out[0] = autograd::to_input_dtype(gi, x_dtype);
      return out;
    }
    if (!autograd::grad_enabled()) {
      nll_backward_stub(x.device(), gi, ops::contiguous(go), x, t, w, ignore_index, red, ls, log_softmax);
      out[0] = autograd::to_input_dtype(gi, x_dtype);
      return out;
    }
    // create_graph: -q (scaled, the target distribution) is constant in the input; the result
    // is linear in g and, for cross_entropy, goes through softmax.
    Tensor ones = ops::ones_like(go);
    nll_backward_stub(x.device(), gi, ones, x, t, w, ignore_index, red, ls, false);  // gi = -q
    const int64_t cdim = x.dim() == 1 ? 0 : 1;
    Tensor gb = (red == Reduction::None && x.dim() > 1) ? ops::unsqueeze(go, 1) : go;
    Tensor r;
    if (log_softmax) {
      std::array<int64_t, 1> d{cdim};
      Tensor qsum = ops::neg(ops::sum(gi, IntArrayRef(d), true));
      r = ops::mul(gb, ops::add(ops::mul(ops::softmax(x, cdim), qsum), gi));
    } else {
      r = ops::mul(gb, gi);
    }
    out[0] = autograd::to_input_dtype(r, x_dtype);
    return out;
  }
  void release_saved() override {
    x_saved.reset();
    t_saved.reset();
    w_saved.reset();
  }
};

Tensor record_nll(Tensor out, bool log_softmax, const Tensor& input, const Tensor& target,
                  const std::optional<Tensor>& weight, int64_t ignore_index, std::string_view reduction, double ls) {
  Tensor none;
  const Tensor* wp = weight ? &*weight : &none;
  if (auto n = autograd::make_node<NllBackward>({&input, &target, wp})) {
    n->ignore_index = ignore_index;
    n->red = reduction_of(reduction);
    n->ls = ls;
    n->log_softmax = log_softmax;
    n->x_dtype = input.dtype();
    n->x_saved = SavedTensor(input, false);
    n->t_saved = SavedTensor(target, false);
    if (weight) n->w_saved = SavedTensor(*weight, false);
    autograd::set_history(out, n);
  }
  return out;
}

Tensor nll_loss_autograd(const Tensor& input, const Tensor& target, const std::optional<Tensor>& weight,
                         int64_t ignore_index, std::string_view reduction) {
  Tensor out = autograd::below_autograd([&] { return ops::nll_loss(input, target, weight, ignore_index, reduction); });
  return record_nll(out, false, input, target, weight, ignore_index, reduction, 0.0);
}

// ---- cross_entropy with class probabilities (inputs: input, target, weight), composed:
// with tt = target (1 - ls) + ls / C and wt = weight * tt (class dim),
// d/dinput = coef (softmax(input) sum_c wt - wt), d/dtarget = -coef (1 - ls) weight log_softmax(input).
struct CrossEntropyProbBackward final : Node {
  SavedTensor x_saved, t_saved, w_saved;
  Reduction red = Reduction::Mean;
  double ls = 0;
  DType x_dtype = DType::Float32, t_dtype = DType::Float32;
  std::string name() const override { return "CrossEntropyLossBackward0"; }
  TensorVec apply(TensorVec&& g) override {
    TS_CHECK_NOT_IMPLEMENTED(!needs(*this, 2), "[cross_entropy] the derivative for 'weight' is not implemented.");
    auto me = shared_from_this();
    Tensor x = x_saved.unpack(me);
    Tensor t = to_dtype(t_saved.unpack(me), x.dtype());
    const int64_t cdim = x.dim() == 1 ? 0 : 1, c = x.sizes()[cdim];
    Tensor wb;  // weight shaped to broadcast along the class dim
    if (w_saved.defined()) {
      DimVector shape(x.dim(), 1);
      shape[cdim] = c;
      wb = ops::reshape(to_dtype(w_saved.unpack(me), x.dtype()), shape);
    }
    Tensor go = to_dtype(g[0], x.dtype());
    Tensor coef = (red == Reduction::None && x.dim() > 1) ? ops::unsqueeze(go, 1) : go;
    if (red == Reduction::Mean && c > 0)
      coef = ops::div(coef, wrapped_scalar(Scalar(static_cast<double>(x.numel() / c))));
    TensorVec out(3);
    if (needs(*this, 0)) {
      Tensor tt = ls > 0 ? ops::add(ops::mul(t, wrapped_scalar(Scalar(1 - ls))), wrapped_scalar(Scalar(ls / c))) : t;
      Tensor wt = wb.defined() ? ops::mul(tt, wb) : tt;
      std::array<int64_t, 1> d{cdim};
      Tensor gi = ops::sub(ops::mul(ops::softmax(x, cdim), ops::sum(wt, IntArrayRef(d), true)), wt);
      out[0] = autograd::to_input_dtype(ops::mul(coef, gi), x_dtype);
    }
    if (needs(*this, 1)) {
      Tensor gt = ops::mul(ops::log_softmax(x, cdim), wrapped_scalar(Scalar(-(1 - ls))));
      if (wb.defined()) gt = ops::mul(gt, wb);
      out[1] = autograd::to_input_dtype(ops::mul(coef, gt), t_dtype);
    }
    return out;
  }
  void release_saved() override {
    x_saved.reset();
    t_saved.reset();
    w_saved.reset();
  }
};

Tensor cross_entropy_autograd(const Tensor& input, const Tensor& target, const std::optional<Tensor>& weight,
                              int64_t ignore_index, std::string_view reduction, double label_smoothing) {
  Tensor out = autograd::below_autograd(
      [&] { return ops::cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing); });
  const bool prob =
      input.dim() == target.dim() && std::equal(input.sizes().begin(), input.sizes().end(), target.sizes().begin());
  if (!prob) return record_nll(out, true, input, target, weight, ignore_index, reduction, label_smoothing);
  Tensor none;
  const Tensor* wp = weight ? &*weight : &none;
  if (auto n = autograd::make_node<CrossEntropyProbBackward>({&input, &target, wp})) {
    n->red = reduction_of(reduction);
    n->ls = label_smoothing;
    n->x_dtype = input.dtype();
    n->t_dtype = target.dtype();
    n->x_saved = SavedTensor(input, false);
    n->t_saved = SavedTensor(target, false);
    if (weight) n->w_saved = SavedTensor(*weight, false);
    autograd::set_history(out, n);
  }
  return out;
}

}  // namespace

TS_REGISTER_KERNEL("mse_loss", Autograd, &mse_loss_autograd);
TS_REGISTER_KERNEL("nll_loss", Autograd, &nll_loss_autograd);
TS_REGISTER_KERNEL("cross_entropy", Autograd, &cross_entropy_autograd);

}  // namespace tessera

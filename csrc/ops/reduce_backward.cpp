// Backward formulas of the reductions: sum, mean (the gradient spreads evenly over the reduced
// elements), prod, max/min, amax/amin, var/std, norm, logsumexp.
#include <cmath>
#include <optional>
#include <tuple>
#include <vector>

#include "autograd/formula_utils.h"
#include "autograd/grad_mode.h"
#include "autograd/record.h"
#include "autograd/saved_tensor.h"
#include "dispatch/boxing.h"
#include "ops/binary.h"
#include "ops/compare.h"
#include "ops/creation.h"
#include "ops/reduce.h"
#include "ops/reduce_linalg_backward.h"
#include "ops/scan.h"
#include "ops/type_promotion.h"
#include "ops/unary.h"
#include "ops/view.h"

namespace tessera {
namespace {

using autograd::Node;
using autograd::TensorVec;

struct SumMeanBackward final : Node {
  DimVector input_shape;
  DType input_dtype = DType::Float32;
  std::vector<int64_t> dims;  // wrapped; empty = all
  bool keepdim = false;
  bool mean = false;
  std::string name() const override { return mean ? "MeanBackward1" : "SumBackward1"; }
  TensorVec apply(TensorVec&& g) override {
    Tensor grad = g[0];
    const int64_t nd = static_cast<int64_t>(input_shape.size());
    if (!keepdim && nd > 0) {
      std::vector<bool> reduced(nd, dims.empty());
      for (int64_t d : dims) reduced[d] = true;
      for (int64_t d = 0; d < nd; ++d)
        if (reduced[d]) grad = ops::unsqueeze(grad, d);
    }
    grad = ops::expand(grad, input_shape);
    if (mean) {
      int64_t count = 1;
      if (dims.empty()) {
        for (int64_t s : input_shape) count *= s;
      } else {
        for (int64_t d : dims) count *= input_shape[d];
      }
      grad = ops::div(grad, wrapped_scalar(Scalar(static_cast<double>(count))));
    }
    return {autograd::to_input_dtype(grad, input_dtype)};
  }
};

template <bool Mean>
Tensor sum_mean_autograd(const Tensor& self, OptionalIntArrayRef dim, bool keepdim, std::optional<DType> dtype) {
  Tensor out = autograd::below_autograd(
      [&] { return Mean ? ops::mean(self, dim, keepdim, dtype) : ops::sum(self, dim, keepdim, dtype); });
  if (auto n = autograd::make_node<SumMeanBackward>({&self})) {
    n->input_shape = DimVector(self.sizes());
    n->input_dtype = self.dtype();
    n->keepdim = keepdim;
    n->mean = Mean;
    // An empty dim list reduces everything too (PyTorch's sum(dim=[])).
    if (dim && !dim->empty())
      for (int64_t d : *dim) n->dims.push_back(wrap_dim(d, self.dim(), Mean ? "mean" : "sum"));
    autograd::set_history(out, n);
  }
  return out;
}

// ---- prod, max/min, amax/amin, var/std, norm, logsumexp ---------------------------------------

using autograd::SavedTensor;
using rl_backward::unsqueeze_reduced;

Tensor scalar_t(double v) {
  return wrapped_scalar(Scalar(v));
}
using autograd::needs;
uint64_t all_mask(int64_t ndim) {
  return ndim == 0 ? 0 : (ndim >= 64 ? ~uint64_t(0) : (uint64_t(1) << ndim) - 1);
}
uint64_t dims_mask(IntArrayRef dims, int64_t ndim, const char* op) {
  if (dims.empty()) return all_mask(ndim);
  uint64_t m = 0;
  for (int64_t d : dims) m |= uint64_t(1) << wrap_dim(d, ndim, op);
  return ndim == 0 ? 0 : m;
}
std::vector<int64_t> mask_dims(uint64_t mask, int64_t ndim) {
  std::vector<int64_t> v;
  for (int64_t d = 0; d < ndim; ++d)
    if (mask >> d & 1) v.push_back(d);
  return v;
}
int64_t mask_count(uint64_t mask, IntArrayRef shape) {
  int64_t c = 1;
  for (size_t d = 0; d < shape.size(); ++d)
    if (mask >> d & 1) c *= shape[d];
  return c;
}
// A constant (no graph) computed from tensors that may require grad.
template <class F>
Tensor constant(F&& f) {
  autograd::GradModeGuard off(false);
  return f();
}

// prod of every element except the one at each position along dim, without dividing (zeros allowed):
// exclusive products from the front times exclusive products from the back (as PyTorch).
Tensor prod_safe_zeros_backward(const Tensor& grad, const Tensor& x, int64_t dim) {
  if (x.numel() == 0) return ops::expand(grad, x.sizes());
  if (x.sizes()[dim] == 1) return ops::expand(grad, x.sizes());
  Tensor front = ops::cumprod(rl_backward::shift(x, dim, 1, 1.0), dim);
  Tensor back =
      rl_backward::flip_dim(ops::cumprod(rl_backward::flip_dim(rl_backward::shift(x, dim, -1, 1.0), dim), dim), dim);
  return ops::mul(grad, ops::mul(front, back));
}

struct ProdBackward final : Node {
  SavedTensor self_saved, result_saved;
  DType input_dtype = DType::Float32, out_dtype = DType::Float32;
  std::optional<int64_t> dim;  // wrapped
  bool keepdim = false;
  std::string name() const override { return dim ? "ProdBackward1" : "ProdBackward0"; }
  TensorVec apply(TensorVec&& g) override {
    auto me = shared_from_this();
    Tensor x = to_dtype(self_saved.unpack(me), out_dtype);
    Tensor grad = g[0], result = result_saved.unpack(me);
    if (x.dim() == 0) return {autograd::to_input_dtype(grad, input_dtype)};
    if (dim && !keepdim) {
      grad = ops::unsqueeze(grad, *dim);
      result = ops::unsqueeze(result, *dim);
    }
    Tensor is_zero = constant([&] { return ops::eq(x, scalar_t(0)); });
    Tensor out;
    if (!rl_backward::any_nonzero(is_zero)) {
      out = ops::mul(grad, ops::div(result, x));
    } else if (dim) {
      out = prod_safe_zeros_backward(grad, x, *dim);
    } else {
      out = ops::reshape(prod_safe_zeros_backward(grad, ops::reshape(x, std::vector<int64_t>{-1}), 0), x.sizes());
    }
    return {autograd::to_input_dtype(out, input_dtype)};
  }
  void release_saved() override {
    self_saved.reset();
    result_saved.reset();
  }
};

Tensor prod_autograd(const Tensor& self, std::optional<int64_t> dim, bool keepdim, std::optional<DType> dtype) {
  Tensor out = autograd::below_autograd([&] { return ops::prod(self, dim, keepdim, dtype); });
  if (auto n = autograd::make_node<ProdBackward>({&self})) {
    n->input_dtype = self.dtype();
    n->out_dtype = out.dtype();
    if (dim && self.dim() > 0) n->dim = wrap_dim(*dim, self.dim(), "prod");
    n->keepdim = keepdim;
    n->self_saved = SavedTensor(self, false);
    autograd::set_history(out, n);
    n->result_saved = SavedTensor(out, true);
  }
  return out;
}

// max()/min() over everything and amax/amin: the gradient is split evenly among the elements equal
// to the result (NaN results select the NaN elements for max()/min(), as PyTorch).
struct EvenlyDistributeBackward final : Node {
  const char* op_name = "MaxBackward1";
  SavedTensor self_saved, result_saved;
  uint64_t mask = 0;
  bool keepdim = false, full = false;
  std::string name() const override { return op_name; }
  TensorVec apply(TensorVec&& g) override {
    auto me = shared_from_this();
    Tensor x = self_saved.unpack(me);
    const int64_t nd = x.dim();
    Tensor grad = unsqueeze_reduced(g[0], mask, nd, keepdim);
    Tensor sel = constant([&] {
      Tensor r = unsqueeze_reduced(autograd::detach(result_saved.unpack(me)), mask, nd, keepdim);
      Tensor xd = autograd::detach(x);
      Tensor m = ops::eq(xd, r);
      if (full) m = ops::logical_or(m, ops::logical_and(ops::isnan(xd), ops::isnan(r)));
      return m;
    });
    Tensor count = constant([&] { return ops::sum(sel, mask_dims(mask, nd), true, x.dtype()); });
    return {ops::mul(ops::div(grad, count), sel)};
  }
  void release_saved() override {
    self_saved.reset();
    result_saved.reset();
  }
};

template <bool IsMax>
Tensor max_all_autograd(const Tensor& self) {
  Tensor out = autograd::below_autograd([&] { return IsMax ? ops::max(self) : ops::min(self); });
  if (auto n = autograd::make_node<EvenlyDistributeBackward>({&self})) {
    n->op_name = IsMax ? "MaxBackward1" : "MinBackward1";
    n->mask = all_mask(self.dim());
    n->full = true;
    n->self_saved = SavedTensor(self, false);
    autograd::set_history(out, n);
    n->result_saved = SavedTensor(out, true);
  }
  return out;
}

template <bool IsMax>
Tensor amax_autograd(const Tensor& self, IntArrayRef dim, bool keepdim) {
  Tensor out =
      autograd::below_autograd([&] { return IsMax ? ops::amax(self, dim, keepdim) : ops::amin(self, dim, keepdim); });
  if (auto n = autograd::make_node<EvenlyDistributeBackward>({&self})) {
    n->op_name = IsMax ? "AmaxBackward0" : "AminBackward0";
    n->mask = dims_mask(dim, self.dim(), IsMax ? "amax" : "amin");
    n->keepdim = keepdim;
    n->self_saved = SavedTensor(self, false);
    autograd::set_history(out, n);
    n->result_saved = SavedTensor(out, true);
  }
  return out;
}

// max.dim / min.dim: the gradient goes to the index returned (PyTorch's value-selecting backward).
struct SelectIndexBackward final : Node {
  const char* op_name = "MaxBackward0";
  int64_t dim = 0;
  bool keepdim = false;
  Tensor indices;
  DimVector input_shape;
  std::string name() const override { return op_name; }
  TensorVec apply(TensorVec&& g) override {
    if (input_shape.empty()) return {g[0]};
    Tensor grad = keepdim ? g[0] : ops::unsqueeze(g[0], dim);
    Tensor idx = keepdim ? indices : ops::unsqueeze(indices, dim);
    return {rl_backward::scatter_into(grad, dim, idx, input_shape)};
  }
};

template <bool IsMax>
std::tuple<Tensor, Tensor> max_dim_autograd(const Tensor& self, int64_t dim, bool keepdim) {
  auto res =
      autograd::below_autograd([&] { return IsMax ? ops::max(self, dim, keepdim) : ops::min(self, dim, keepdim); });
  if (auto n = autograd::make_node<SelectIndexBackward>({&self})) {
    n->op_name = IsMax ? "MaxBackward0" : "MinBackward0";
    n->dim = self.dim() == 0 ? 0 : wrap_dim(dim, self.dim(), IsMax ? "max" : "min");
    n->keepdim = keepdim;
    n->indices = std::get<1>(res);
    n->input_shape = DimVector(self.sizes());
    autograd::set_history(std::get<0>(res), n);
  }
  return res;
}

// var: 2 / (N - correction) * g * (x - mean(x)); std: the var formula with g / (2 std), zero where
// std == 0 (as PyTorch).
struct VarStdBackward final : Node {
  bool is_std = false;
  SavedTensor self_saved, result_saved;
  uint64_t mask = 0;
  bool keepdim = false;
  double correction = 1.0;
  std::string name() const override { return is_std ? "StdBackward0" : "VarBackward0"; }
  TensorVec apply(TensorVec&& g) override {
    auto me = shared_from_this();
    Tensor x = self_saved.unpack(me);
    const int64_t nd = x.dim();
    Tensor grad = unsqueeze_reduced(g[0], mask, nd, keepdim);
    if (is_std) {
      Tensor r = unsqueeze_reduced(result_saved.unpack(me), mask, nd, keepdim);
      Tensor is_zero = constant([&] { return ops::eq(autograd::detach(r), scalar_t(0)); });
      Tensor nonzero = constant([&] { return ops::logical_not(is_zero); });
      // g / (2 r) where r != 0, else 0, written with differentiable ops only.
      grad = ops::mul(ops::div(grad, ops::add(ops::mul(r, scalar_t(2)), is_zero)), nonzero);
    }
    const double count = static_cast<double>(mask_count(mask, x.sizes()));
    Tensor centered = ops::sub(x, ops::mean(x, mask_dims(mask, nd), true));
    Tensor scale = scalar_t(2.0 / (count - correction));
    return {ops::mul(ops::mul(grad, scale), centered)};
  }
  void release_saved() override {
    self_saved.reset();
    result_saved.reset();
  }
};

template <bool IsStd>
Tensor var_std_autograd(const Tensor& self, OptionalIntArrayRef dim, std::optional<double> correction, bool keepdim) {
  Tensor out = autograd::below_autograd(
      [&] { return IsStd ? ops::std(self, dim, correction, keepdim) : ops::var(self, dim, correction, keepdim); });
  if (auto n = autograd::make_node<VarStdBackward>({&self})) {
    n->is_std = IsStd;
    n->mask = dim ? dims_mask(*dim, self.dim(), IsStd ? "std" : "var") : all_mask(self.dim());
    n->keepdim = keepdim;
    n->correction = correction.value_or(1.0);
    n->self_saved = SavedTensor(self, false);
    autograd::set_history(out, n);
    if (IsStd) n->result_saved = SavedTensor(out, true);
  }
  return out;
}

// Vector p-norms (PyTorch's norm_backward). Masks and signs are constants: the formulas stay
// differentiable through mul/div only where the norm's derivative exists.
struct NormBackward final : Node {
  SavedTensor self_saved, result_saved;
  double p = 2;
  uint64_t mask = 0;
  bool keepdim = false;
  DType input_dtype = DType::Float32, out_dtype = DType::Float32;
  std::string name() const override { return "NormBackward1"; }
  TensorVec apply(TensorVec&& g) override {
    auto me = shared_from_this();
    Tensor x = to_dtype(self_saved.unpack(me), out_dtype);
    const int64_t nd = x.dim();
    Tensor grad = unsqueeze_reduced(g[0], mask, nd, keepdim);
    Tensor norm = unsqueeze_reduced(result_saved.unpack(me), mask, nd, keepdim);
    Tensor sgn = constant([&] { return ops::sign(autograd::detach(x)); });
    auto norm_zero = [&] { return constant([&] { return ops::eq(autograd::detach(norm), scalar_t(0)); }); };
    Tensor out;
    if (p == 0.0) {
      out = constant([&] { return ops::zeros(x.sizes(), x.dtype(), x.device()); });
    } else if (p == 1.0) {
      out = ops::mul(sgn, grad);
    } else if (p == 2.0) {
      // grad * x / norm, zero where norm == 0.
      Tensor z = norm_zero();
      Tensor nz = constant([&] { return ops::logical_not(z); });
      out = ops::mul(ops::mul(grad, ops::div(x, ops::add(norm, z))), nz);
    } else if (std::isinf(p)) {
      Tensor sel = constant([&] {
        Tensor a = ops::abs(autograd::detach(x));
        return ops::logical_or(ops::eq(a, autograd::detach(norm)), ops::isnan(a));
      });
      Tensor count = constant([&] { return ops::sum(sel, mask_dims(mask, nd), true, x.dtype()); });
      out = ops::mul(sgn, ops::mul(ops::div(grad, count), sel));
    } else {
      Tensor absx = ops::mul(x, sgn);  // |x| (differentiable through mul)
      if (p < 1.0) {
        Tensor xz = constant([&] { return ops::eq(autograd::detach(x), scalar_t(0)); });
        Tensor nxz = constant([&] { return ops::logical_not(xz); });
        // sgn * |x|^(p-1), zero where x == 0 (|x| + (x==0) keeps the power finite there).
        Tensor scaled = ops::mul(ops::mul(sgn, ops::pow(ops::add(absx, xz), scalar_t(p - 1))), nxz);
        out = ops::mul(ops::mul(scaled, grad), ops::pow(norm, scalar_t(1 - p)));
      } else {
        Tensor scaled =
            p < 2.0 ? ops::mul(sgn, ops::pow(absx, scalar_t(p - 1))) : ops::mul(x, ops::pow(absx, scalar_t(p - 2)));
        Tensor z = norm_zero();
        Tensor nz = constant([&] { return ops::logical_not(z); });
        Tensor scale = ops::mul(ops::div(grad, ops::add(ops::pow(norm, scalar_t(p - 1)), z)), nz);
        out = ops::mul(scaled, scale);
      }
    }
    return {autograd::to_input_dtype(out, input_dtype)};
  }
  void release_saved() override {
    self_saved.reset();
    result_saved.reset();
  }
};

Tensor norm_autograd(const Tensor& self, double p, OptionalIntArrayRef dim, bool keepdim, std::optional<DType> dtype) {
  Tensor out = autograd::below_autograd([&] { return ops::norm(self, p, dim, keepdim, dtype); });
  if (auto n = autograd::make_node<NormBackward>({&self})) {
    n->p = p;
    n->mask = dim ? dims_mask(*dim, self.dim(), "norm") : all_mask(self.dim());
    n->keepdim = keepdim;
    n->input_dtype = self.dtype();
    n->out_dtype = out.dtype();
    n->self_saved = SavedTensor(self, false);
    autograd::set_history(out, n);
    n->result_saved = SavedTensor(out, true);
  }
  return out;
}

// logsumexp: g * exp(x - result).
struct LogsumexpBackward0 final : Node {
  SavedTensor self_saved, result_saved;
  uint64_t mask = 0;
  bool keepdim = false;
  std::string name() const override { return "LogsumexpBackward0"; }
  TensorVec apply(TensorVec&& g) override {
    auto me = shared_from_this();
    Tensor x = self_saved.unpack(me);
    const int64_t nd = x.dim();
    Tensor grad = unsqueeze_reduced(g[0], mask, nd, keepdim);
    Tensor r = unsqueeze_reduced(result_saved.unpack(me), mask, nd, keepdim);
    return {autograd::to_input_dtype(ops::mul(grad, ops::exp(ops::sub(x, r))), x.dtype())};
  }
  void release_saved() override {
    self_saved.reset();
    result_saved.reset();
  }
};

Tensor logsumexp_autograd(const Tensor& self, IntArrayRef dim, bool keepdim) {
  Tensor out = autograd::below_autograd([&] { return ops::logsumexp(self, dim, keepdim); });
  if (auto n = autograd::make_node<LogsumexpBackward0>({&self})) {
    n->mask = dims_mask(dim, self.dim(), "logsumexp");
    n->keepdim = keepdim;
    n->self_saved = SavedTensor(self, false);
    autograd::set_history(out, n);
    n->result_saved = SavedTensor(out, true);
  }
  return out;
}

}  // namespace

TS_REGISTER_KERNEL("sum", Autograd, &sum_mean_autograd<false>);
TS_REGISTER_KERNEL("mean", Autograd, &sum_mean_autograd<true>);
TS_REGISTER_KERNEL("prod", Autograd, &prod_autograd);
TS_REGISTER_KERNEL("max", Autograd, &max_all_autograd<true>);
TS_REGISTER_KERNEL("min", Autograd, &max_all_autograd<false>);
TS_REGISTER_KERNEL("max.dim", Autograd, &max_dim_autograd<true>);
TS_REGISTER_KERNEL("min.dim", Autograd, &max_dim_autograd<false>);
TS_REGISTER_KERNEL("amax", Autograd, &amax_autograd<true>);
TS_REGISTER_KERNEL("amin", Autograd, &amax_autograd<false>);
TS_REGISTER_KERNEL("var", Autograd, &var_std_autograd<false>);
TS_REGISTER_KERNEL("std", Autograd, &var_std_autograd<true>);
TS_REGISTER_KERNEL("norm", Autograd, &norm_autograd);
TS_REGISTER_KERNEL("logsumexp", Autograd, &logsumexp_autograd);

}  // namespace tessera

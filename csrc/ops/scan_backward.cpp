// Backward formulas of cumsum and cumprod, and the differentiable helpers (flip, shift, reversed
// cumsum) that the scan and product formulas are written with.
#include <vector>

#include "autograd/formula_utils.h"
#include "autograd/grad_mode.h"
#include "autograd/record.h"
#include "autograd/saved_tensor.h"
#include "dispatch/boxing.h"
#include "ops/binary.h"
#include "ops/compare.h"
#include "ops/copy.h"
#include "ops/creation.h"
#include "ops/join.h"
#include "ops/reduce.h"
#include "ops/reduce_linalg_backward.h"
#include "ops/reorder.h"
#include "ops/scan.h"
#include "ops/ternary.h"
#include "ops/type_promotion.h"
#include "ops/view.h"

namespace tessera {

using autograd::Node;
using autograd::SavedTensor;
using autograd::TensorVec;

namespace rl_backward {
namespace {

struct FlipDimBackward final : Node {
  int64_t dim = 0;
  std::string name() const override { return "FlipBackward0"; }
  TensorVec apply(TensorVec&& g) override { return {flip_dim(g[0], dim)}; }
};

struct ShiftBackward final : Node {
  int64_t dim = 0, offset = 0;
  std::string name() const override { return "ShiftBackward"; }
  TensorVec apply(TensorVec&& g) override { return {shift(g[0], dim, -offset, 0.0)}; }
};

}  // namespace

Tensor flip_dim(const Tensor& x, int64_t dim) {
  if (x.dim() == 0) return x;
  const int64_t d = wrap_dim(dim, x.dim(), "flip");
  Tensor out = autograd::below_autograd([&] { return ops::flip(x, std::vector<int64_t>{d}); });
  if (auto n = autograd::make_node<FlipDimBackward>({&x})) {
    n->dim = d;
    autograd::set_history(out, n);
  }
  return out;
}

Tensor shift(const Tensor& x, int64_t dim, int64_t offset, double fill) {
  if (offset == 0 || x.dim() == 0) return x;
  const int64_t d = wrap_dim(dim, x.dim(), "shift");
  const int64_t n = x.sizes()[d];
  Tensor out = autograd::below_autograd([&] {
    const int64_t k = std::min<int64_t>(offset > 0 ? offset : -offset, n);
    DimVector fs(x.sizes());
    fs[d] = k;
    Tensor filler = ops::full(fs, Scalar(fill), x.dtype(), x.device());
    if (k == n) return filler;
    Tensor kept = offset > 0 ? ops::narrow(x, d, 0, n - k) : ops::narrow(x, d, k, n - k);
    std::vector<Tensor> parts = offset > 0 ? std::vector<Tensor>{filler, kept} : std::vector<Tensor>{kept, filler};
    return ops::cat(parts, d);
  });
  if (auto node = autograd::make_node<ShiftBackward>({&x})) {
    node->dim = d;
    node->offset = offset;
    autograd::set_history(out, node);
  }
  return out;
}

Tensor reverse_cumsum(const Tensor& x, int64_t dim) {
  if (x.dim() == 0) return x;
  return flip_dim(ops::cumsum(flip_dim(x, dim), dim), dim);
}

bool any_nonzero(const Tensor& t) {
  Tensor a = autograd::below_autograd([&] { return ops::any(t); });
  if (!a.device().is_cpu()) a = ops::to(a, Device(DeviceType::CPU), std::nullopt);
  a = ops::contiguous(a);
  return *static_cast<const bool*>(a.data_ptr());
}

Tensor unsqueeze_reduced(const Tensor& t, uint64_t mask, int64_t ndim, bool keepdim) {
  if (keepdim || ndim == 0) return t;
  Tensor r = t;
  for (int64_t d = 0; d < ndim; ++d)
    if (mask >> d & 1) r = ops::unsqueeze(r, d);
  return r;
}

}  // namespace rl_backward

namespace {

using rl_backward::reverse_cumsum;

struct CumsumBackward0 final : Node {
  int64_t dim = 0;
  DType input_dtype = DType::Float32;
  std::string name() const override { return "CumsumBackward0"; }
  TensorVec apply(TensorVec&& g) override { return {autograd::to_input_dtype(reverse_cumsum(g[0], dim), input_dtype)}; }
};

Tensor cumsum_autograd(const Tensor& self, int64_t dim, std::optional<DType> dtype) {
  Tensor out = autograd::below_autograd([&] { return ops::cumsum(self, dim, dtype); });
  if (auto n = autograd::make_node<CumsumBackward0>({&self})) {
    n->dim = self.dim() == 0 ? 0 : wrap_dim(dim, self.dim(), "cumsum");
    n->input_dtype = self.dtype();
    autograd::set_history(out, n);
  }
  return out;
}

// d out_k / d x_i = prod_{j <= k, j != i} x_j for k >= i. Without zeros in x this is out_k / x_i,
// so grad_i = reversed_cumsum(g * out)_i / x_i. With zeros, as PyTorch: an O(n) formula for a
// plain backward, and an O(n^2) one made of differentiable ops when create_graph is on.
Tensor cumprod_grad(const Tensor& g, const Tensor& x, const Tensor& out, int64_t dim) {
  if (x.dim() == 0 || x.numel() <= 1 || x.sizes()[dim] == 1) return g;
  auto zero = [&] { return wrapped_scalar(Scalar(0.0)); };
  auto one = [&] { return wrapped_scalar(Scalar(1.0)); };
  Tensor w = ops::mul(g, out);
  Tensor is_zero = autograd::below_autograd([&] { return ops::eq(autograd::detach(x), zero()); });
  if (!rl_backward::any_nonzero(is_zero)) return ops::div(reverse_cumsum(w, dim), x);
  const int64_t n = x.sizes()[dim];
  if (!autograd::grad_enabled()) {
    // Positions before the first zero z1: out_k / x_i as above (out_k = 0 from z1 on). At z1:
    // out_{z1-1} * sum_{z1 <= k < z2} g_k prod_{z1 < j <= k} x_j. After z1: zero.
    Tensor cz = ops::cumsum(is_zero, dim);
    Tensor before = ops::eq(cz, wrapped_scalar(Scalar(int64_t(0))));
    Tensor block = ops::eq(cz, wrapped_scalar(Scalar(int64_t(1))));
    Tensor first = ops::logical_and(is_zero, block);
    Tensor between = ops::logical_and(block, ops::logical_not(first));
    Tensor term1 = ops::where(before, ops::div(reverse_cumsum(w, dim), ops::where(before, x, one())), zero());
    Tensor p = ops::cumprod(ops::where(between, x, one()), dim);
    Tensor b = ops::sum(ops::where(block, ops::mul(g, p), zero()), std::vector<int64_t>{dim}, true);
    Tensor a =
        ops::sum(ops::where(first, rl_backward::shift(out, dim, 1, 1.0), zero()), std::vector<int64_t>{dim}, true);
    return ops::add(term1, ops::where(first, ops::mul(a, b), zero()));
  }
  // X[..., i, k] = x_k for k != i and 1 for k == i: cumprod(X)[..., i, k] = prod_{j<=k, j!=i} x_j.
  Tensor xt = ops::transpose(x, dim, -1), gt = ops::transpose(g, dim, -1);
  Tensor eye = ops::eye(n, std::nullopt, x.dtype(), x.device());
  Tensor keep = ops::sub(one(), eye);
  Tensor X = ops::add(ops::mul(ops::unsqueeze(xt, -2), keep), eye);
  Tensor C = ops::cumprod(X, -1);
  Tensor upper = ops::triu(ops::ones(DimVector{n, n}, x.dtype(), x.device()), 0);  // k >= i
  Tensor gi = ops::sum(ops::mul(ops::mul(C, upper), ops::unsqueeze(gt, -2)), std::vector<int64_t>{-1}, false);
  return ops::transpose(gi, dim, -1);
}

struct CumprodBackward0 final : Node {
  int64_t dim = 0;
  DType input_dtype = DType::Float32, out_dtype = DType::Float32;
  SavedTensor self_saved, result_saved;
  std::string name() const override { return "CumprodBackward0"; }
  TensorVec apply(TensorVec&& g) override {
    auto me = shared_from_this();
    Tensor x = to_dtype(self_saved.unpack(me), out_dtype);
    Tensor grad = cumprod_grad(g[0], x, result_saved.unpack(me), dim);
    return {autograd::to_input_dtype(grad, input_dtype)};
  }
  void release_saved() override {
    self_saved.reset();
    result_saved.reset();
  }
};

Tensor cumprod_autograd(const Tensor& self, int64_t dim, std::optional<DType> dtype) {
  Tensor out = autograd::below_autograd([&] { return ops::cumprod(self, dim, dtype); });
  if (auto n = autograd::make_node<CumprodBackward0>({&self})) {
    n->dim = self.dim() == 0 ? 0 : wrap_dim(dim, self.dim(), "cumprod");
    n->input_dtype = self.dtype();
    n->out_dtype = out.dtype();
    n->self_saved = SavedTensor(self, false);
    autograd::set_history(out, n);
    n->result_saved = SavedTensor(out, true);
  }
  return out;
}

}  // namespace

TS_REGISTER_KERNEL("cumsum", Autograd, &cumsum_autograd);
TS_REGISTER_KERNEL("cumprod", Autograd, &cumprod_autograd);

}  // namespace tessera

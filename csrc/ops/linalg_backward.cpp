// Backward formulas of the matrix products: matmul (every broadcasting case, 1-D operands), mm, bmm,
// mv, dot, outer, addmm, baddbmm, linear. Written with the products themselves, so they are
// differentiable again (create_graph=True).
#include <vector>

#include "autograd/formula_utils.h"
#include "autograd/grad_mode.h"
#include "autograd/record.h"
#include "autograd/saved_tensor.h"
#include "dispatch/boxing.h"
#include "ops/backward_records.h"
#include "ops/binary.h"
#include "ops/linalg.h"
#include "ops/linalg_stubs.h"
#include "ops/reduce.h"
#include "ops/type_promotion.h"
#include "ops/view.h"

namespace tessera {
namespace {

using autograd::Node;
using autograd::reduce_grad;
using autograd::SavedTensor;
using autograd::TensorVec;

using autograd::needs;

struct Info {
  DimVector shape;
  DType dtype = DType::Float32;
  void set(const Tensor& t) {
    shape = DimVector(t.sizes());
    dtype = t.dtype();
  }
};

// t * s, skipping the multiply when s == 1 (PyTorch's maybe_multiply).
Tensor scaled(const Tensor& t, const Scalar& s) {
  if (!s.is_floating_point() && s.to_int() == 1) return t;
  if (s.is_floating_point() && s.to_double() == 1.0) return t;
  return ops::mul(t, wrapped_scalar(s));
}

Tensor mT(const Tensor& t) {
  return ops::transpose(t, -2, -1);
}

// Saves the operands a formula needs: a's gradient uses b and b's uses a.
template <class N>
void save_pair(N& n, const Tensor& a, const Tensor& b, size_t ia = 0, size_t ib = 1) {
  if (needs(n, ia)) n.b_saved = SavedTensor(b, false);
  if (needs(n, ib)) n.a_saved = SavedTensor(a, false);
}

struct PairBackward : Node {
  SavedTensor a_saved, b_saved;
  Info a, b;
  void release_saved() override {
    a_saved.reset();
    b_saved.reset();
  }
};

// ---- matmul --------------------------------------------------------------------------------------
struct MatmulBackward0 final : PairBackward {
  std::string name() const override { return "MatmulBackward0"; }
  TensorVec apply(TensorVec&& g) override {
    auto me = shared_from_this();
    const int64_t da = static_cast<int64_t>(a.shape.size()), db = static_cast<int64_t>(b.shape.size());
    // 1-D operands as (1, k) / (k, 1) matrices, the gradient with those dims put back.
    Tensor G = g[0];
    if (db == 1) G = ops::unsqueeze(G, -1);
    if (da == 1) G = ops::unsqueeze(G, G.dim() - 1);
    TensorVec out(2);
    if (needs(*this, 0)) {
      Tensor bv = b_saved.unpack(me);
      Tensor B = db == 1 ? ops::unsqueeze(bv, -1) : bv;
      Tensor ga = ops::matmul(G, mT(B));  // (*, m, k)
      if (da == 1) {
        ga = ops::squeeze(ga, std::vector<int64_t>{ga.dim() - 2});
      }
      out[0] = reduce_grad(ga, a.shape, a.dtype);
    }
    if (needs(*this, 1)) {
      Tensor av = a_saved.unpack(me);
      Tensor A = da == 1 ? ops::unsqueeze(av, 0) : av;
      Tensor gb;
      if (da >= 3 && db <= 2) {
        // b is shared by every batch: one product over the folded rows.
        const int64_t k = A.sizes()[da - 1], n = G.sizes()[G.dim() - 1];
        gb =
            ops::mm(ops::t(ops::reshape(A, std::vector<int64_t>{-1, k})), ops::reshape(G, std::vector<int64_t>{-1, n}));
      } else {
        gb = ops::matmul(mT(A), G);  // (*, k, n)
      }
      if (db == 1) gb = ops::squeeze(gb, std::vector<int64_t>{gb.dim() - 1});
      out[1] = reduce_grad(gb, b.shape, b.dtype);
    }
    return out;
  }
};

Tensor matmul_autograd(const Tensor& self, const Tensor& other) {
  Tensor out = autograd::below_autograd([&] { return ops::matmul(self, other); });
  if (auto n = autograd::make_node<MatmulBackward0>({&self, &other})) {
    n->a.set(self);
    n->b.set(other);
    save_pair(*n, self, other);
    autograd::set_history(out, n);
  }
  return out;
}

// ---- mm, bmm, mv, dot, outer --------------------------------------------------------------------
struct MmBackward0 final : PairBackward {
  bool batched = false;
  std::string name() const override { return batched ? "BmmBackward0" : "MmBackward0"; }
  TensorVec apply(TensorVec&& g) override {
    auto me = shared_from_this();
    auto prod = [&](const Tensor& x, const Tensor& y) { return batched ? ops::bmm(x, y) : ops::mm(x, y); };
    TensorVec out(2);
    if (needs(*this, 0)) out[0] = prod(g[0], mT(b_saved.unpack(me)));
    if (needs(*this, 1)) out[1] = prod(mT(a_saved.unpack(me)), g[0]);
    return out;
  }
};

template <bool Batched>
Tensor mm_autograd(const Tensor& self, const Tensor& mat2) {
  Tensor out = autograd::below_autograd([&] { return Batched ? ops::bmm(self, mat2) : ops::mm(self, mat2); });
  if (auto n = autograd::make_node<MmBackward0>({&self, &mat2})) {
    n->batched = Batched;
    save_pair(*n, self, mat2);
    autograd::set_history(out, n);
  }
  return out;
}

struct MvBackward0 final : PairBackward {
  std::string name() const override { return "MvBackward0"; }
  TensorVec apply(TensorVec&& g) override {
    auto me = shared_from_this();
    TensorVec out(2);
    if (needs(*this, 0)) out[0] = ops::outer(g[0], b_saved.unpack(me));
    if (needs(*this, 1)) out[1] = ops::mv(ops::t(a_saved.unpack(me)), g[0]);
    return out;
  }
};

Tensor mv_autograd(const Tensor& self, const Tensor& vec) {
  Tensor out = autograd::below_autograd([&] { return ops::mv(self, vec); });
  if (auto n = autograd::make_node<MvBackward0>({&self, &vec})) {
    save_pair(*n, self, vec);
    autograd::set_history(out, n);
  }
  return out;
}

struct DotBackward0 final : PairBackward {
  std::string name() const override { return "DotBackward0"; }
  TensorVec apply(TensorVec&& g) override {
    auto me = shared_from_this();
    TensorVec out(2);
    if (needs(*this, 0)) out[0] = ops::mul(g[0], b_saved.unpack(me));
    if (needs(*this, 1)) out[1] = ops::mul(g[0], a_saved.unpack(me));
    return out;
  }
};

Tensor dot_autograd(const Tensor& self, const Tensor& other) {
  Tensor out = autograd::below_autograd([&] { return ops::dot(self, other); });
  if (auto n = autograd::make_node<DotBackward0>({&self, &other})) {
    save_pair(*n, self, other);
    autograd::set_history(out, n);
  }
  return out;
}

// outer promotes like a broadcast multiply: d/da = sum_j g_ij b_j, d/db = sum_i g_ij a_i.
struct OuterBackward0 final : PairBackward {
  std::string name() const override { return "OuterBackward0"; }
  TensorVec apply(TensorVec&& g) override {
    auto me = shared_from_this();
    TensorVec out(2);
    if (needs(*this, 0)) {
      Tensor ga = ops::sum(ops::mul(g[0], ops::unsqueeze(b_saved.unpack(me), 0)), std::vector<int64_t>{1});
      out[0] = autograd::to_input_dtype(ga, a.dtype);
    }
    if (needs(*this, 1)) {
      Tensor gb = ops::sum(ops::mul(g[0], ops::unsqueeze(a_saved.unpack(me), 1)), std::vector<int64_t>{0});
      out[1] = autograd::to_input_dtype(gb, b.dtype);
    }
    return out;
  }
};

Tensor outer_autograd(const Tensor& self, const Tensor& vec2) {
  Tensor out = autograd::below_autograd([&] { return ops::outer(self, vec2); });
  if (auto n = autograd::make_node<OuterBackward0>({&self, &vec2})) {
    n->a.set(self);
    n->b.set(vec2);
    save_pair(*n, self, vec2);
    autograd::set_history(out, n);
  }
  return out;
}

// ---- addmm, baddbmm -----------------------------------------------------------------------------
// beta * self + alpha * (m1 @ m2); self broadcasts to the result.
struct AddmmBackward final : Node {
  bool batched = false;
  Scalar beta, alpha;
  Info self;
  SavedTensor m1_saved, m2_saved;
  std::string name() const override { return batched ? "BaddbmmBackward0" : "AddmmBackward0"; }
  TensorVec apply(TensorVec&& g) override {
    auto me = shared_from_this();
    auto prod = [&](const Tensor& x, const Tensor& y) { return batched ? ops::bmm(x, y) : ops::mm(x, y); };
    TensorVec out(3);
    if (needs(*this, 0)) out[0] = reduce_grad(scaled(g[0], beta), self.shape, self.dtype);
    if (needs(*this, 1)) out[1] = scaled(prod(g[0], mT(m2_saved.unpack(me))), alpha);
    if (needs(*this, 2)) out[2] = scaled(prod(mT(m1_saved.unpack(me)), g[0]), alpha);
    return out;
  }
  void release_saved() override {
    m1_saved.reset();
    m2_saved.reset();
  }
};

template <bool Batched>
Tensor addmm_autograd(const Tensor& self, const Tensor& m1, const Tensor& m2, const Scalar& beta, const Scalar& alpha) {
  Tensor out = autograd::below_autograd(
      [&] { return Batched ? ops::baddbmm(self, m1, m2, beta, alpha) : ops::addmm(self, m1, m2, beta, alpha); });
  if (auto n = autograd::make_node<AddmmBackward>({&self, &m1, &m2})) {
    n->batched = Batched;
    n->beta = beta;
    n->alpha = alpha;
    n->self.set(self);
    if (needs(*n, 1)) n->m2_saved = SavedTensor(m2, false);
    if (needs(*n, 2)) n->m1_saved = SavedTensor(m1, false);
    autograd::set_history(out, n);
  }
  return out;
}

// ---- linear --------------------------------------------------------------------------------------
// out = input @ weight^T + bias with weight (out, in) or (in,); the weight and bias gradients sum
// over every batch dim of input.
struct LinearBackward0 final : Node {
  Info input, weight, bias;
  SavedTensor input_saved, weight_saved;
  std::string name() const override { return "LinearBackward0"; }
  TensorVec apply(TensorVec&& g) override {
    auto me = shared_from_this();
    TensorVec out(3);
    const bool w2 = weight.shape.size() == 2;
    const int64_t in = weight.shape.back();
    if (needs(*this, 0)) {
      Tensor w = weight_saved.unpack(me);
      out[0] = w2 ? ops::matmul(g[0], w) : ops::mul(ops::unsqueeze(g[0], g[0].dim()), w);
    }
    if (needs(*this, 1) && needs(*this, 2) && fused_weight_grads(g[0], out)) return out;
    if (needs(*this, 1)) {
      Tensor x2 = ops::reshape(input_saved.unpack(me), std::vector<int64_t>{-1, in});
      if (w2) {
        Tensor g2 = ops::reshape(g[0], std::vector<int64_t>{-1, weight.shape[0]});
        out[1] = ops::mm(ops::t(g2), x2);
      } else {
        out[1] = ops::mv(ops::t(x2), ops::reshape(g[0], std::vector<int64_t>{-1}));
      }
    }
    if (needs(*this, 2)) out[2] = reduce_grad(g[0], bias.shape, bias.dtype);
    return out;
  }
  // Weight and bias gradients from one GEMM whose epilogue sums the bias gradient (CUDA:
  // cuBLASLt BGRADB). First-order only: under create_graph the formulas above stay differentiable.
  bool fused_weight_grads(const Tensor& g, TensorVec& out) {
    if (autograd::grad_enabled() || weight.shape.size() != 2 || bias.shape.size() != 1 ||
        !stub_has_kernel(linear_weight_grad_stub, g.device()) || g.dtype() != weight.dtype ||
        g.dtype() != input.dtype || g.dtype() != bias.dtype)
      return false;
    Tensor x = input_saved.unpack(shared_from_this());
    if (x.device() != g.device()) return false;
    const int64_t n = weight.shape[0], k = weight.shape[1];
    Tensor g2 = ops::reshape(g, std::vector<int64_t>{-1, n}), x2 = ops::reshape(x, std::vector<int64_t>{-1, k});
    Tensor gw = empty_tensor(weight.shape, weight.dtype, g.device());
    Tensor gb = empty_tensor(bias.shape, bias.dtype, g.device());
    if (!linear_weight_grad_stub(g.device(), gw, gb, g2, x2)) return false;
    out[1] = gw;
    out[2] = gb;
    return true;
  }
  void release_saved() override {
    input_saved.reset();
    weight_saved.reset();
  }
};

}  // namespace

Tensor record_linear_backward(const Tensor& out, const Tensor& input, const Tensor& weight,
                              const std::optional<Tensor>& bias) {
  const Tensor* bp = bias ? &*bias : nullptr;
  Tensor none;
  if (auto n = autograd::make_node<LinearBackward0>({&input, &weight, bp ? bp : &none})) {
    n->input.set(input);
    n->weight.set(weight);
    if (bp) n->bias.set(*bp);
    if (needs(*n, 0)) n->weight_saved = SavedTensor(weight, false);
    if (needs(*n, 1)) n->input_saved = SavedTensor(input, false);
    autograd::set_history(out, n);
  }
  return out;
}

namespace {

Tensor linear_autograd(const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias) {
  Tensor out = autograd::below_autograd([&] { return ops::linear(input, weight, bias); });
  return record_linear_backward(out, input, weight, bias);
}

// _linear_gelu records the nodes of linear and gelu (LinearBackward0 -> GeluBackward0), as the two
// unfused ops would; only the forward differs (one GEMM with the gelu epilogue where fused).
Tensor linear_gelu_autograd(const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias,
                            std::string_view approximate) {
  auto [out, pre] =
      autograd::below_autograd([&] { return detail::linear_gelu_with_input(input, weight, bias, approximate); });
  pre = record_linear_backward(pre, input, weight, bias);
  return record_gelu_backward(out, pre, approximate);
}

}  // namespace

TS_REGISTER_KERNEL("matmul", Autograd, &matmul_autograd);
TS_REGISTER_KERNEL("mm", Autograd, &mm_autograd<false>);
TS_REGISTER_KERNEL("bmm", Autograd, &mm_autograd<true>);
TS_REGISTER_KERNEL("mv", Autograd, &mv_autograd);
TS_REGISTER_KERNEL("dot", Autograd, &dot_autograd);
TS_REGISTER_KERNEL("outer", Autograd, &outer_autograd);
TS_REGISTER_KERNEL("addmm", Autograd, &addmm_autograd<false>);
TS_REGISTER_KERNEL("baddbmm", Autograd, &addmm_autograd<true>);
TS_REGISTER_KERNEL("linear", Autograd, &linear_autograd);
TS_REGISTER_KERNEL("_linear_gelu", Autograd, &linear_gelu_autograd);

}  // namespace tessera

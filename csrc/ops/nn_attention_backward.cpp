// Backward formula of scaled_dot_product_attention (math version). When an input requires grad
// the forward runs here, keeping the attention probabilities P and the dropout mask:
//   out = (P * M) @ V,  P = softmax(mask(Q K^T * scale))
//   dV = (P*M)^T @ g,  dP = (g @ V^T) * M,  dS = P * (dP - rowsum(dP * P)),
//   dQ = dS @ K * scale,  dK = dS^T @ Q * scale,  d(additive mask) = dS.
// Grouped-query heads sum their key/value gradients back over the group. Under create_graph P is
// recomputed with ops:: so the result differentiates again.
#include <array>
#include <cmath>
#include <limits>

#include "autograd/formula_utils.h"
#include "autograd/grad_mode.h"
#include "autograd/record.h"
#include "autograd/saved_tensor.h"
#include "dispatch/boxing.h"
#include "ops/binary.h"
#include "ops/compare.h"
#include "ops/copy.h"
#include "ops/creation.h"
#include "ops/linalg.h"
#include "ops/nn.h"
#include "ops/nn_attention_internal.h"
#include "ops/nn_backward_stubs.h"
#include "ops/nn_stubs.h"
#include "ops/reduce.h"
#include "ops/reorder.h"
#include "ops/ternary.h"
#include "ops/type_promotion.h"
#include "ops/unary.h"
#include "ops/view.h"
#include "ops/view_utils.h"

namespace tessera {
namespace {

using autograd::Node;
using autograd::SavedTensor;
using autograd::TensorVec;

Tensor mT(const Tensor& t) {
  return ops::transpose(t, -2, -1);
}

// Key/value heads repeated for grouped-query attention (dim -3), as the forward.
Tensor repeat_heads(const Tensor& t, int64_t groups) {
  return groups == 1 ? t : ops::repeat_interleave(t, groups, t.dim() - 3);
}
// The reverse: sum each group of query heads back onto its key/value head.
Tensor sum_heads(const Tensor& t, int64_t groups) {
  if (groups == 1) return t;
  DimVector shape(t.sizes());
  const int64_t nd = t.dim(), h = shape[nd - 3];
  shape[nd - 3] = h / groups;
  shape.insert(nd - 2, groups);
  std::array<int64_t, 1> d{nd - 2};
  return ops::sum(ops::reshape(t, shape), IntArrayRef(d), false);
}

// Scaled, masked scores (differentiable): scores * scale, then causal / bool / additive mask.
Tensor masked_scores(const Tensor& q, const Tensor& k, const Tensor& mask, bool causal, double scale) {
  Tensor s = ops::mul(ops::matmul(q, mT(k)), wrapped_scalar(Scalar(scale)));
  const Tensor ninf = wrapped_scalar(Scalar(-std::numeric_limits<double>::infinity()));
  if (causal) {
    const int64_t l = s.sizes()[s.dim() - 2], sl = s.sizes()[s.dim() - 1];
    std::array<int64_t, 2> shp{l, sl};
    Tensor keep = ops::tril(ops::ones(shp, DType::Bool, s.device()));
    s = ops::masked_fill(s, ops::logical_not(keep), ninf);
  } else if (mask.defined()) {
    s = mask.dtype() == DType::Bool ? ops::masked_fill(s, ops::logical_not(mask), ninf) : ops::add(s, mask);
  }
  return s;
}

struct SdpaBackward final : Node {
  SavedTensor q_saved, k_saved, v_saved, mask_saved, p_saved, drop_saved;
  bool causal = false;
  double scale = 1.0;
  int64_t groups = 1;
  DimVector q_shape, k_shape, v_shape, m_shape;
  DType m_dtype = DType::Float32;
  std::string name() const override { return "ScaledDotProductAttentionBackward0"; }
  TensorVec apply(TensorVec&& grads) override {
    auto me = shared_from_this();
    Tensor q = q_saved.unpack(me), k = repeat_heads(k_saved.unpack(me), groups),
           v = repeat_heads(v_saved.unpack(me), groups);
    Tensor mask = mask_saved.defined() ? mask_saved.unpack(me) : Tensor();
    Tensor drop = drop_saved.defined() ? drop_saved.unpack(me) : Tensor();
    Tensor p =
        autograd::grad_enabled() ? ops::softmax(masked_scores(q, k, mask, causal, scale), -1) : p_saved.unpack(me);
    Tensor g = to_dtype(grads[0], q.dtype());
    Tensor pd = drop.defined() ? ops::mul(p, drop) : p;
    TensorVec out(4);
    const auto& e = next_edges();
    if (e[2].valid()) out[2] = autograd::sum_to(sum_heads(ops::matmul(mT(pd), g), groups), v_shape);
    if (!e[0].valid() && !e[1].valid() && !e[3].valid()) return out;
    Tensor dp = ops::matmul(g, mT(v));
    if (drop.defined()) dp = ops::mul(dp, drop);
    Tensor ds;
    if (autograd::grad_enabled()) {  // create_graph: composed, differentiable again
      std::array<int64_t, 1> last{-1};
      ds = ops::mul(p, ops::sub(dp, ops::sum(ops::mul(dp, p), IntArrayRef(last), true)));
    } else {  // one fused pass per row (the softmax backward kernel)
      Tensor dpc = ops::contiguous(dp), pc = ops::contiguous(p);
      ds = empty_tensor(pc.sizes(), pc.dtype(), pc.device());
      if (ds.numel() > 0) softmax_backward_stub(pc.device(), ds, dpc, pc, pc.dim() - 1, false);
    }
    const Tensor sc = wrapped_scalar(Scalar(scale));
    if (e[0].valid()) out[0] = autograd::sum_to(ops::mul(ops::matmul(ds, k), sc), q_shape);
    if (e[1].valid()) out[1] = autograd::sum_to(sum_heads(ops::mul(ops::matmul(mT(ds), q), sc), groups), k_shape);
    if (e[3].valid()) out[3] = autograd::reduce_grad(ds, m_shape, m_dtype);
    return out;
  }
  void release_saved() override {
    q_saved.reset();
    k_saved.reset();
    v_saved.reset();
    mask_saved.reset();
    p_saved.reset();
    drop_saved.reset();
  }
};

Tensor sdpa_autograd(const Tensor& q, const Tensor& k, const Tensor& v, const std::optional<Tensor>& attn_mask,
                     double dropout_p, bool is_causal, std::optional<double> scale, bool enable_gqa) {
  Tensor none;
  const Tensor* mp = attn_mask ? &*attn_mask : &none;
  auto n = autograd::make_node<SdpaBackward>({&q, &k, &v, mp});
  if (!n)
    return autograd::below_autograd(
        [&] { return ops::scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal, scale, enable_gqa); });
  // The probabilities P (and the dropout mask) are computed once and kept for the backward.
  Tensor out = autograd::below_autograd([&] {
    Tensor val;
    Tensor p = detail::sdpa_probs(q, k, v, attn_mask, dropout_p, is_causal, scale, enable_gqa, &val);
    n->groups = enable_gqa && q.dim() >= 3 && k.dim() >= 3 ? q.sizes()[q.dim() - 3] / k.sizes()[k.dim() - 3] : 1;
    n->scale = scale.value_or(1.0 / std::sqrt(static_cast<double>(q.sizes()[q.dim() - 1])));
    n->p_saved = SavedTensor(p, false);
    if (dropout_p == 0.0) return ops::matmul(p, val);
    Tensor drop = ops::dropout(ops::ones_like(p), dropout_p, true);
    n->drop_saved = SavedTensor(drop, false);
    return ops::matmul(ops::mul(p, drop), val);
  });
  n->causal = is_causal;
  n->q_shape = DimVector(q.sizes());
  n->k_shape = DimVector(k.sizes());
  n->v_shape = DimVector(v.sizes());
  n->q_saved = SavedTensor(q, false);
  n->k_saved = SavedTensor(k, false);
  n->v_saved = SavedTensor(v, false);
  if (attn_mask) {
    n->m_shape = DimVector(attn_mask->sizes());
    n->m_dtype = attn_mask->dtype();
    n->mask_saved = SavedTensor(*attn_mask, false);
  }
  autograd::set_history(out, n);
  return out;
}

}  // namespace

TS_REGISTER_KERNEL("scaled_dot_product_attention", Autograd, &sdpa_autograd);

}  // namespace tessera

// scaled_dot_product_attention, math version: scores = q @ k^T (k transposed as a view, so BLAS
// reads it with a transpose flag), one fused scale + mask + softmax pass, dropout, @ v.
#include <cmath>

#include "ops/copy.h"
#include "ops/linalg.h"
#include "ops/nn.h"
#include "ops/nn_attention_internal.h"
#include "ops/nn_stubs.h"
#include "ops/type_promotion.h"
#include "ops/view_utils.h"

namespace tessera {

TS_DEFINE_STUB(attention_softmax_stub, "scaled_dot_product_attention",
               void(const Tensor&, const Tensor&, bool, double));

namespace detail {
Tensor sdpa_probs(const Tensor& q, const Tensor& k, const Tensor& v, const std::optional<Tensor>& attn_mask,
                  double dropout_p, bool is_causal, std::optional<double> scale, bool enable_gqa, Tensor* value_out) {
  const char* op = "scaled_dot_product_attention";
  TS_CHECK(q.dim() >= 2 && k.dim() >= 2 && v.dim() >= 2, "[", op, "] query, key and value need at least 2 dims, got ",
           q.dim(), "D, ", k.dim(), "D and ", v.dim(), "D");
  TS_CHECK(q.dtype() == k.dtype() && q.dtype() == v.dtype(), "[", op,
           "] Expected query, key, and value to have the same dtype, but got query.dtype: ", dtype_name(q.dtype()),
           " key.dtype: ", dtype_name(k.dtype()), " and value.dtype: ", dtype_name(v.dtype()), " instead.");
  TS_CHECK_NOT_IMPLEMENTED(is_floating(q.dtype()), "[", op, "] not implemented for '", dtype_name(q.dtype()), "'");
  TS_CHECK(!(is_causal && attn_mask), "[", op, "] Explicit attn_mask should not be set when is_causal=True");
  TS_CHECK(dropout_p >= 0.0 && dropout_p <= 1.0, "[", op, "] dropout probability has to be between 0 and 1, but got ",
           dropout_p);
  const int64_t e = q.sizes()[q.dim() - 1];
  TS_CHECK(k.sizes()[k.dim() - 1] == e, "[", op, "] query and key must have the same embedding size, got ", e, " and ",
           k.sizes()[k.dim() - 1]);
  TS_CHECK(k.sizes()[k.dim() - 2] == v.sizes()[v.dim() - 2], "[", op,
           "] key and value must have the same sequence length, got ", k.sizes()[k.dim() - 2], " and ",
           v.sizes()[v.dim() - 2]);
  Tensor key = k, val = v;
  if (enable_gqa && q.dim() >= 3 && k.dim() >= 3) {
    // Grouped-query attention: each key/value head serves hq / hkv query heads (repeat_interleave
    // on dim -3, as PyTorch), built as an expanded view then materialised once.
    const int64_t hq = q.sizes()[q.dim() - 3], hkv = k.sizes()[k.dim() - 3];
    TS_CHECK(hkv > 0 && hq % hkv == 0 && v.sizes()[v.dim() - 3] == hkv, "[", op,
             "] enable_gqa needs the number of query heads (", hq, ") to be a multiple of the key/value heads (", hkv,
             ", ", v.sizes()[v.dim() - 3], ")");
    auto repeat_heads = [&](const Tensor& t) {
      if (hq == hkv) return t;
      const int64_t g = hq / hkv, nd = t.dim();
      DimVector sizes(t.sizes()), strides(t.strides());
      sizes.insert(nd - 2, g);
      strides.insert(nd - 2, 0);
      Tensor c = ops::contiguous(detail::view_as(t, sizes, strides));
      DimVector merged(t.sizes());
      merged[nd - 3] = hq;
      return detail::reshape_contiguous(c, merged);
    };
    key = repeat_heads(k);
    val = repeat_heads(v);
  }
  DimVector kt_sizes(key.sizes()), kt_strides(key.strides());
  std::swap(kt_sizes[key.dim() - 1], kt_sizes[key.dim() - 2]);
  std::swap(kt_strides[key.dim() - 1], kt_strides[key.dim() - 2]);
  Tensor scores = ops::matmul(q, detail::view_as(key, kt_sizes, kt_strides));  // (*, L, S), fresh and contiguous
  const double sc = scale.value_or(1.0 / std::sqrt(static_cast<double>(e)));
  Tensor mask;
  if (attn_mask) {
    const DType md = attn_mask->dtype();
    TS_CHECK(md == DType::Bool || md == q.dtype(), "[", op,
             "] Expected attn_mask dtype to be bool or float or to match query dtype, got ", dtype_name(md));
    DimVector shape = broadcast_shapes(scores.sizes(), attn_mask->sizes(), op);
    TS_CHECK(shape.size() == scores.sizes().size() && std::equal(shape.begin(), shape.end(), scores.sizes().begin()),
             "[", op, "] attn_mask of shape ", shape_str(attn_mask->sizes()),
             " does not broadcast to the attention weights' shape ", shape_str(scores.sizes()));
    mask = detail::expand_view(*attn_mask, scores.sizes(), op);
  }
  if (scores.numel() > 0) attention_softmax_stub(scores.device(), scores, mask, is_causal, sc);
  if (value_out) *value_out = val;
  return scores;
}
}  // namespace detail

namespace {

Tensor sdpa_kernel(const Tensor& q, const Tensor& k, const Tensor& v, const std::optional<Tensor>& attn_mask,
                   double dropout_p, bool is_causal, std::optional<double> scale, bool enable_gqa) {
  Tensor val;
  Tensor p = detail::sdpa_probs(q, k, v, attn_mask, dropout_p, is_causal, scale, enable_gqa, &val);
  if (dropout_p > 0.0) p = ops::dropout(p, dropout_p, true);
  return ops::matmul(p, val);
}

}  // namespace

TS_REGISTER_OP_ALL_BACKENDS(
    "scaled_dot_product_attention(Tensor query, Tensor key, Tensor value, Tensor? attn_mask=None, float "
    "dropout_p=0.0, bool is_causal=False, float? scale=None, bool enable_gqa=False) -> Tensor",
    &sdpa_kernel);

namespace ops {
Tensor scaled_dot_product_attention(const Tensor& query, const Tensor& key, const Tensor& value,
                                    const std::optional<Tensor>& attn_mask, double dropout_p, bool is_causal,
                                    std::optional<double> scale, bool enable_gqa) {
  static TypedOp<Tensor(const Tensor&, const Tensor&, const Tensor&, const std::optional<Tensor>&, double, bool,
                        std::optional<double>, bool)>
      op("scaled_dot_product_attention");
  return op(query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa);
}
}  // namespace ops
}  // namespace tessera

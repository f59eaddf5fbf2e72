#pragma once
// Shared by the scaled_dot_product_attention front-end and its Autograd kernel, so that the
// forward computes the attention probabilities once and the backward reuses them.
#include <optional>

#include "core/tensor.h"

namespace tessera::detail {

// Checks the arguments as scaled_dot_product_attention does and returns the probabilities
// softmax(mask(q @ k^T * scale)) (fresh, contiguous, no dropout). *value_out receives the value
// tensor with grouped-query heads repeated (or v itself).
Tensor sdpa_probs(const Tensor& q, const Tensor& k, const Tensor& v, const std::optional<Tensor>& attn_mask,
                  double dropout_p, bool is_causal, std::optional<double> scale, bool enable_gqa, Tensor* value_out);

}  // namespace tessera::detail

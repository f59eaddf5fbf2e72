#pragma once
// Backward-node recorders shared across op families: a fused op's autograd kernel records the
// nodes of the unfused ops it replaces, so its graph (and every gradient) is theirs.
#include <optional>
#include <string_view>

#include "core/tensor.h"

namespace tessera {

// Records gelu's backward on `out` = gelu(self, approximate) (ops/activation_backward.cpp).
Tensor record_gelu_backward(const Tensor& out, const Tensor& self, std::string_view approximate);
// Records linear's backward on `out` = linear(input, weight, bias) (ops/linalg_backward.cpp).
Tensor record_linear_backward(const Tensor& out, const Tensor& input, const Tensor& weight,
                              const std::optional<Tensor>& bias);

}  // namespace tessera

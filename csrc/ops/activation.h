#pragma once
// Pointwise activations (torch.nn.functional's), with in-place variants.
#include <string_view>

#include "core/tensor.h"

namespace tessera::ops {

Tensor relu(const Tensor& self);
Tensor relu_(const Tensor& self);
Tensor silu(const Tensor& self);
Tensor silu_(const Tensor& self);
Tensor gelu(const Tensor& self, std::string_view approximate = "none");
Tensor gelu_(const Tensor& self, std::string_view approximate = "none");
Tensor softplus(const Tensor& self, double beta = 1.0, double threshold = 20.0);
Tensor leaky_relu(const Tensor& self, double negative_slope = 0.01);
Tensor leaky_relu_(const Tensor& self, double negative_slope = 0.01);
Tensor elu(const Tensor& self, double alpha = 1.0);
Tensor elu_(const Tensor& self, double alpha = 1.0);
Tensor hardtanh(const Tensor& self, double min_val = -1.0, double max_val = 1.0);
Tensor hardtanh_(const Tensor& self, double min_val = -1.0, double max_val = 1.0);

}  // namespace tessera::ops

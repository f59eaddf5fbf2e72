#pragma once
// Matrix products with PyTorch semantics (all operands of one dtype, as PyTorch requires).
#include <optional>

#include "core/tensor.h"

namespace tessera::ops {

Tensor mm(const Tensor& self, const Tensor& mat2);
Tensor bmm(const Tensor& self, const Tensor& mat2);
Tensor mv(const Tensor& self, const Tensor& vec);
Tensor dot(const Tensor& self, const Tensor& tensor);
Tensor outer(const Tensor& self, const Tensor& vec2);
Tensor addmm(const Tensor& self, const Tensor& mat1, const Tensor& mat2, const Scalar& beta = 1,
             const Scalar& alpha = 1);
Tensor baddbmm(const Tensor& self, const Tensor& batch1, const Tensor& batch2, const Scalar& beta = 1,
               const Scalar& alpha = 1);
// N-D matmul with broadcasting of batch dims (1-D operands get a dim added then removed).
Tensor matmul(const Tensor& self, const Tensor& other);
// input (*, in) @ weight(out, in)^T + bias; weight may be 1-D (in,).
Tensor linear(const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias = std::nullopt);

}  // namespace tessera::ops

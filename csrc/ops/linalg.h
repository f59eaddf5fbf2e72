#pragma once
// Matrix products with PyTorch semantics (all operands of one dtype, as PyTorch requires).
#include <optional>
#include <string_view>
#include <tuple>

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
// gelu(linear(input, weight, bias), approximate) as one op, so that a device with GEMM epilogues
// (CUDA: cuBLASLt GELU_AUX_BIAS) fuses it; approximate='tanh' with a bias is what fuses.
Tensor linear_gelu(const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias = std::nullopt,
                   std::string_view approximate = "none");

}  // namespace tessera::ops

namespace tessera::detail {
// linear_gelu's forward for its autograd kernel: (gelu output, the linear's result), fused where the
// device can. Not an op: the caller records the linear and gelu backward nodes itself.
std::tuple<Tensor, Tensor> linear_gelu_with_input(const Tensor& input, const Tensor& weight,
                                                  const std::optional<Tensor>& bias, std::string_view approximate);
}  // namespace tessera::detail

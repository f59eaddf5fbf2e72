#pragma once
// Binary arithmetic and bitwise ops. Python numbers arrive as wrapped 0-d tensors.
#include <optional>
#include <string_view>

#include "core/tensor.h"

namespace tessera::ops {

Tensor add(const Tensor& self, const Tensor& other, const Scalar& alpha = 1);
Tensor add_(const Tensor& self, const Tensor& other, const Scalar& alpha = 1);
Tensor sub(const Tensor& self, const Tensor& other, const Scalar& alpha = 1);
Tensor sub_(const Tensor& self, const Tensor& other, const Scalar& alpha = 1);
Tensor div(const Tensor& self, const Tensor& other, std::optional<std::string_view> rounding_mode = std::nullopt);
Tensor div_(const Tensor& self, const Tensor& other, std::optional<std::string_view> rounding_mode = std::nullopt);

#define TS_BINARY_DECL(name)                            \
  Tensor name(const Tensor& self, const Tensor& other); \
  Tensor name##_(const Tensor& self, const Tensor& other);
TS_BINARY_DECL(mul)
TS_BINARY_DECL(true_divide)
TS_BINARY_DECL(floor_divide)
TS_BINARY_DECL(remainder)
TS_BINARY_DECL(fmod)
TS_BINARY_DECL(pow)
TS_BINARY_DECL(atan2)
TS_BINARY_DECL(bitwise_and)
TS_BINARY_DECL(bitwise_or)
TS_BINARY_DECL(bitwise_xor)
TS_BINARY_DECL(bitwise_left_shift)
TS_BINARY_DECL(bitwise_right_shift)
#undef TS_BINARY_DECL
Tensor minimum(const Tensor& self, const Tensor& other);
Tensor maximum(const Tensor& self, const Tensor& other);

}  // namespace tessera::ops

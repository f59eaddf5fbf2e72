#pragma once
// Cumulative sum and product along a dim.
#include <optional>

#include "core/tensor.h"

namespace tessera::ops {

Tensor cumsum(const Tensor& self, int64_t dim, std::optional<DType> dtype = std::nullopt);
Tensor cumprod(const Tensor& self, int64_t dim, std::optional<DType> dtype = std::nullopt);

}  // namespace tessera::ops

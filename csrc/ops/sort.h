#pragma once
// Sorting along a dim: sort, argsort, topk.
#include <tuple>

#include "core/tensor.h"

namespace tessera::ops {

std::tuple<Tensor, Tensor> sort(const Tensor& self, int64_t dim = -1, bool descending = false, bool stable = false);
Tensor argsort(const Tensor& self, int64_t dim = -1, bool descending = false, bool stable = false);
std::tuple<Tensor, Tensor> topk(const Tensor& self, int64_t k, int64_t dim = -1, bool largest = true,
                                bool sorted = true);

}  // namespace tessera::ops

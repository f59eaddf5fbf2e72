#pragma once
// Shape helpers shared by the reduction, scan and sort front-ends.
#include <cstdint>
#include <utility>

#include "core/tensor.h"
#include "dispatch/boxing.h"
#include "ops/reduce_stubs.h"

namespace tessera {

// Bit d set when dim d is reduced. No dims (nullopt or empty) means every dim. IndexError for a dim
// out of range, RuntimeError for a repeated dim.
// any/all pass empty_means_all=false: an empty list there reduces nothing, as in torch.
uint64_t make_dim_mask(OptionalIntArrayRef dims, int64_t ndim, const char* op, bool empty_means_all = true);
// The output shape of a reduction over `mask`.
DimVector reduced_shape(IntArrayRef sizes, uint64_t mask, bool keepdim);
// `x` as a contiguous [O, R, I] problem: when the reduced dims (ignoring size-1 dims) form one
// block the contiguous input is used as is; otherwise kept dims are moved first (one copy).
// Kept dims keep their order, so the [O, I] output matches reduced_shape's order.
std::pair<Tensor, ReduceShape> reduce_layout(const Tensor& x, uint64_t mask);
// Contiguous `x` viewed as [O, R, I] around one (wrapped) dim.
std::pair<Tensor, ReduceShape> dim_layout(const Tensor& x, int64_t dim);

}  // namespace tessera

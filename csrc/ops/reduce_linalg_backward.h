#pragma once
// Differentiable building blocks shared by the reduction, scan and sort formulas. Each records its
// own node (when its input requires grad) whose backward is again one of these blocks, so that
// the formulas built from them support create_graph=True (higher-order gradients) without
// depending on the Autograd kernels of flip/cat/scatter/gather.
#include "core/tensor.h"

namespace tessera::rl_backward {

// x reversed along dim (backward: flip again).
Tensor flip_dim(const Tensor& x, int64_t dim);
// y[k] = x[k - offset] along dim where that index exists, `fill` elsewhere (backward: shift by
// -offset with fill 0).
Tensor shift(const Tensor& x, int64_t dim, int64_t offset, double fill);
// y[k] = sum_{j >= k} x[j] along dim (backward: cumsum).
Tensor reverse_cumsum(const Tensor& x, int64_t dim);
// zeros(shape) with src scattered at index along dim (backward: gather at index).
Tensor scatter_into(const Tensor& src, int64_t dim, const Tensor& index, IntArrayRef shape);
// gather(x, dim, index) (backward: scatter-add into zeros of x's shape).
Tensor gather_from(const Tensor& x, int64_t dim, const Tensor& index);
// True when any element of `t` is nonzero (a bool read back from the device).
bool any_nonzero(const Tensor& t);
// `t` (a result reduced over the dims in `mask`) with the reduced dims put back as size 1.
Tensor unsqueeze_reduced(const Tensor& t, uint64_t mask, int64_t ndim, bool keepdim);

}  // namespace tessera::rl_backward

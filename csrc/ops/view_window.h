#pragma once
// The differentiable window ops behind view gradients and in-place writes through views:
// `_view_scatter` puts a gradient into a zero tensor of the base's size at a (size, stride, offset)
// window, `_view_gather` reads that window (each is the other's backward).
#include "core/tensor.h"

namespace tessera::ops {

Tensor view_scatter(const Tensor& grad, IntArrayRef input_size, IntArrayRef size, IntArrayRef stride, int64_t offset);
Tensor view_gather(const Tensor& self, IntArrayRef size, IntArrayRef stride, int64_t offset);

}  // namespace tessera::ops

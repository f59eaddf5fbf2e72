#pragma once
// Joining and broadcasting: cat/stack (copies into a new tensor), broadcast_* and atleast_* (views).
#include <vector>

#include "core/tensor.h"
#include "dispatch/boxing.h"

namespace tessera::ops {

// Result dtype promoted over all inputs; 1-D inputs of shape (0,) are skipped (legacy rule).
Tensor cat(TensorList tensors, int64_t dim = 0);
Tensor stack(TensorList tensors, int64_t dim = 0);
Tensor hstack(TensorList tensors);
Tensor vstack(TensorList tensors);
Tensor dstack(TensorList tensors);
Tensor column_stack(TensorList tensors);

Tensor broadcast_to(const Tensor& self, IntArrayRef size);
std::vector<Tensor> broadcast_tensors(TensorList tensors);
Tensor atleast_1d(const Tensor& self);
Tensor atleast_2d(const Tensor& self);
Tensor atleast_3d(const Tensor& self);

}  // namespace tessera::ops

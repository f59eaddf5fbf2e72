#pragma once
// View ops: results share storage and the version counter with their input.
#include <optional>
#include <vector>

#include "core/tensor.h"
#include "dispatch/boxing.h"

namespace tessera::ops {

Tensor view(const Tensor& self, IntArrayRef size);
Tensor view_dtype(const Tensor& self, DType dtype);
Tensor reshape(const Tensor& self, IntArrayRef size);
Tensor as_strided(const Tensor& self, IntArrayRef size, IntArrayRef stride, std::optional<int64_t> storage_offset = std::nullopt);
Tensor transpose(const Tensor& self, int64_t dim0, int64_t dim1);
Tensor t(const Tensor& self);
Tensor permute(const Tensor& self, IntArrayRef dims);
Tensor movedim(const Tensor& self, IntArrayRef source, IntArrayRef destination);
Tensor expand(const Tensor& self, IntArrayRef size);
Tensor squeeze(const Tensor& self, OptionalIntArrayRef dims = std::nullopt);
Tensor unsqueeze(const Tensor& self, int64_t dim);
Tensor select(const Tensor& self, int64_t dim, int64_t index);
Tensor narrow(const Tensor& self, int64_t dim, int64_t start, int64_t length);
// Python-style slice along dim: start/end clamp to the size; step > 0.
Tensor slice(const Tensor& self, int64_t dim, std::optional<int64_t> start, std::optional<int64_t> end, int64_t step = 1);
Tensor flatten(const Tensor& self, int64_t start_dim = 0, int64_t end_dim = -1);
Tensor unflatten(const Tensor& self, int64_t dim, IntArrayRef sizes);
Tensor diagonal(const Tensor& self, int64_t offset = 0, int64_t dim1 = 0, int64_t dim2 = 1);
std::vector<Tensor> unbind(const Tensor& self, int64_t dim = 0);
std::vector<Tensor> split(const Tensor& self, int64_t split_size, int64_t dim = 0);
std::vector<Tensor> split_with_sizes(const Tensor& self, IntArrayRef split_sizes, int64_t dim = 0);
std::vector<Tensor> chunk(const Tensor& self, int64_t chunks, int64_t dim = 0);
// In-place metadata changes of `self` itself (squeeze_, unsqueeze_, transpose_, t_, as_strided_).
Tensor squeeze_(const Tensor& self, OptionalIntArrayRef dims = std::nullopt);
Tensor unsqueeze_(const Tensor& self, int64_t dim);
Tensor transpose_(const Tensor& self, int64_t dim0, int64_t dim1);

}  // namespace tessera::ops

#pragma once
// Indexing ops: advanced indexing (index / index_put_), index_select, gather/scatter, index_add,
// masked_select/masked_scatter, take, nonzero. Index tensors are int64 or int32 (take: int64);
// bool/uint8 masks stand for their nonzero() coordinates in index / index_put_.
#include <optional>
#include <string_view>
#include <vector>

#include "core/tensor.h"
#include "dispatch/boxing.h"

namespace tessera::ops {

// ATen's advanced indexing: one optional index per leading dim of self (undefined = whole dim).
Tensor index(const Tensor& self, TensorList indices);
Tensor index_put_(const Tensor& self, TensorList indices, const Tensor& values, bool accumulate = false);
Tensor index_put(const Tensor& self, TensorList indices, const Tensor& values, bool accumulate = false);
Tensor index_select(const Tensor& self, int64_t dim, const Tensor& index);
Tensor gather(const Tensor& self, int64_t dim, const Tensor& index);
// reduce: None, "add" or "multiply" (PyTorch's deprecated scatter reduce argument).
Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
               std::optional<std::string_view> reduce = std::nullopt);
Tensor scatter_(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
                std::optional<std::string_view> reduce = std::nullopt);
Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Scalar& value,
               std::optional<std::string_view> reduce = std::nullopt);
Tensor scatter_(const Tensor& self, int64_t dim, const Tensor& index, const Scalar& value,
                std::optional<std::string_view> reduce = std::nullopt);
Tensor scatter_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src);
Tensor scatter_add_(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src);
// reduce: "sum", "prod", "mean", "amax", "amin"; include_self=False ignores self's values where scattered.
Tensor scatter_reduce(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, std::string_view reduce,
                      bool include_self = true);
Tensor scatter_reduce_(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, std::string_view reduce,
                       bool include_self = true);
Tensor index_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source, const Scalar& alpha = 1);
Tensor index_add_(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source, const Scalar& alpha = 1);
Tensor index_copy(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source);
Tensor index_copy_(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source);
Tensor index_fill(const Tensor& self, int64_t dim, const Tensor& index, const Scalar& value);
Tensor index_fill_(const Tensor& self, int64_t dim, const Tensor& index, const Scalar& value);
Tensor masked_select(const Tensor& self, const Tensor& mask);
Tensor masked_scatter_(const Tensor& self, const Tensor& mask, const Tensor& source);
Tensor masked_scatter(const Tensor& self, const Tensor& mask, const Tensor& source);
Tensor take(const Tensor& self, const Tensor& index);
// self.view(-1)[index] = source (accumulate: +=), in self's logical element order.
Tensor put_(const Tensor& self, const Tensor& index, const Tensor& source, bool accumulate = false);
Tensor put(const Tensor& self, const Tensor& index, const Tensor& source, bool accumulate = false);
// (n, self.dim()) int64 coordinates of the nonzero elements, row-major order.
Tensor nonzero(const Tensor& self);
// One 1-D coordinate tensor per dim (a 0-d input counts as 1-D): nonzero(as_tuple=True), where(cond).
std::vector<Tensor> nonzero_numpy(const Tensor& self);

// Python's `element in self`: whether any element of self equals element (broadcast).
bool contains(const Tensor& self, const Tensor& element);

}  // namespace tessera::ops

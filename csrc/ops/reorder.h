#pragma once
// Copying shape ops that reorder or replicate elements: flip, roll, repeat, tile,
// repeat_interleave, tril/triu; and meshgrid (views).
#include <optional>
#include <string_view>
#include <vector>

#include "core/tensor.h"
#include "dispatch/boxing.h"

namespace tessera::ops {

Tensor flip(const Tensor& self, IntArrayRef dims);
Tensor fliplr(const Tensor& self);
Tensor flipud(const Tensor& self);
// dims empty: roll the flattened tensor by shifts[0] (PyTorch's dims=None).
Tensor roll(const Tensor& self, IntArrayRef shifts, IntArrayRef dims = {});
Tensor repeat(const Tensor& self, IntArrayRef repeats);
Tensor tile(const Tensor& self, IntArrayRef dims);
Tensor repeat_interleave(const Tensor& self, int64_t repeats, std::optional<int64_t> dim = std::nullopt,
                         std::optional<int64_t> output_size = std::nullopt);
// Tensor repeats: one count per slice along dim (or a single count).
Tensor repeat_interleave_tensor(const Tensor& self, const Tensor& repeats, std::optional<int64_t> dim = std::nullopt,
                                std::optional<int64_t> output_size = std::nullopt);
// torch.repeat_interleave(repeats): each index i repeated repeats[i] times.
Tensor repeat_interleave_indices(const Tensor& repeats, std::optional<int64_t> output_size = std::nullopt);
Tensor tril(const Tensor& self, int64_t diagonal = 0);
Tensor triu(const Tensor& self, int64_t diagonal = 0);
Tensor tril_(const Tensor& self, int64_t diagonal = 0);
Tensor triu_(const Tensor& self, int64_t diagonal = 0);
// indexing: "ij" (matrix) or "xy" (Cartesian: the first two outputs' dims swapped).
std::vector<Tensor> meshgrid(TensorList tensors, std::string_view indexing = "ij");

}  // namespace tessera::ops

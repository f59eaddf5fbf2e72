#pragma once
// Helpers shared by the indexing front-ends (indexing.cpp, scatter_gather.cpp).
#include <string>

#include "core/tensor.h"

namespace tessera::indexing {

std::string list_str(IntArrayRef v);  // "[2, 3]", PyTorch's formatting of sizes in messages
bool shares_storage(const Tensor& a, const Tensor& b);
// RuntimeError if some elements of `self` alias each other (an expanded view): writes would race.
void check_writable(const char* op, const Tensor& self);
// `index` as int64; copied when it aliases `self` and `self` is about to be written.
Tensor index_operand(const Tensor& index, const Tensor& self, bool writing);
// A 0-d tensor of `value` converted to `dtype` as scalar_tensor converts it (no range check), on
// `device`: written there by the fill kernel, so a GPU needs no host copy and no sync.
Tensor scalar_on(const Scalar& value, DType dtype, Device device);
// Whether `shape` broadcasts to `target` (without changing `target`).
bool broadcast_to(IntArrayRef shape, IntArrayRef target);

}  // namespace tessera::indexing

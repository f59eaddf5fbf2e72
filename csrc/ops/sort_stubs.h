#pragma once
// Per-device sorting kernels on a contiguous input viewed as [O, R, I] (ops/reduce_stubs.h);
// outputs are contiguous [O, R, I] (sort) or [O, k, I] (topk) with int64 indices.
#include "dispatch/dispatch_stub.h"
#include "ops/reduce_stubs.h"

namespace tessera {
class Tensor;
// NaN sorts as the largest value, as in PyTorch.
TS_DECLARE_STUB(sort_stub, void(const Tensor& in, ReduceShape, const Tensor& values, const Tensor& indices,
                                bool descending, bool stable));
TS_DECLARE_STUB(topk_stub, void(const Tensor& in, ReduceShape, int64_t k, bool largest, bool sorted,
                                const Tensor& values, const Tensor& indices));
}  // namespace tessera

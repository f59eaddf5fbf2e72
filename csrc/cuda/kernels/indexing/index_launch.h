#pragma once
// Host entry points of the indexing CUDA kernels (csrc/cuda/kernels/indexing/*.cu), called by
// csrc/cuda/indexing_cuda.cpp. Plain structs and raw pointers: the .cu files see no tensors.
#include <cuda_runtime_api.h>

#include <cstdint>

#include "core/dtype.h"
#include "cuda/kernels/ew_args.h"
#include "cuda/kernels/strided_layout.h"
#include "ops/indexing_stubs.h"

namespace tessera::cuda {

constexpr int kMaxIndexOperands = 2 + kMaxIndexTensors;

// What the kernels need of an IndexSpec: the indexed dims' sizes and byte strides.
struct IndexBounds {
  int n = 0;
  bool wrap_negative = true;
  int64_t sizes[kMaxIndexTensors] = {};
  int64_t strides[kMaxIndexTensors] = {};
};

// One launch of the index iterator (ops/indexing_stubs.h): operand 0 = output (gather) or
// restrided destination (put), 1 = restrided source (gather) or values (put), 2.. = int64 indices.
// `error`: a device word that gets the smallest linear index (innermost dim fastest) of an element
// with an out-of-range index (atomicMin); nullptr while a graph is being captured. Elements with a
// bad index are skipped, so the kernels never touch memory outside the tensors.
struct IndexLaunch {
  int64_t n = 0;
  char* data[kMaxIndexOperands] = {};
  StridedLayout<kMaxIndexOperands> layout;
  IndexBounds bounds;
  unsigned long long* error = nullptr;
};

// out[i] = src[i + idx offsets], moving raw `elem_size`-byte words.
void launch_index_gather(const IndexLaunch& a, int elem_size, cudaStream_t stream);
// dst[i + idx offsets] = values[i]; with repeated indices one of the values wins (unspecified).
void launch_index_assign(const IndexLaunch& a, int elem_size, cudaStream_t stream);
// dst[...] (op)= values[i] with atomics (mode != Assign). `alpha_bits`: alpha in the opmath type of
// `dtype` (float for 16-bit floats, the type itself otherwise), used by Add.
void launch_index_accumulate(const IndexLaunch& a, DType dtype, IndexPutMode mode, uint64_t alpha_bits,
                             cudaStream_t stream);

// Operand 0 = operand 1 / max(operand 2, 1) (int64 counts; integers divide by floor).
void launch_scatter_mean(const EwArgs& a, DType dtype, cudaStream_t stream);
// *found (a device int the caller zeroed) becomes 1 where operand 0 equals operand 1 somewhere.
void launch_contains(const EwArgs& a, DType dtype, int* found, cudaStream_t stream);

}  // namespace tessera::cuda

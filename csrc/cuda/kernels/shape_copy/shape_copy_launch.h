#pragma once
// Host entry points of the copying shape-op kernels (cat of contiguous inputs, flip, tril/triu),
// called by csrc/cuda/shape_copy_cuda.cpp. Elements move as raw words of their size.
#include <cuda_runtime_api.h>

#include <cstdint>

#include "cuda/kernels/strided_layout.h"

namespace tessera::cuda {

// Up to kCatBatch inputs of one cat, copied by one launch. Each output row (one per index of the
// dims before the cat dim) is the concatenation of one block of bytes per input.
constexpr int kCatBatch = 64;
struct CatBatch {
  int count = 0;
  int64_t rows = 0;       // number of output rows
  int64_t row_bytes = 0;  // bytes of one output row (all inputs, not only this batch)
  const char* src[kCatBatch] = {};
  int64_t block_bytes[kCatBatch] = {};      // bytes input j adds to each row
  int64_t dst_offset[kCatBatch] = {};       // where input j's block starts within a row
  int64_t first_chunk[kCatBatch + 1] = {};  // prefix sums of the inputs' chunk counts
  int unit[kCatBatch] = {};                 // copy width in bytes: 16, 8, 4, 2 or 1
};
constexpr int64_t kCatChunkBytes = 256 * 16 * 4;
void launch_cat(char* out, const CatBatch& batch, cudaStream_t stream);

// out (contiguous) = the elements of `in` read through signed element strides (flipped dims step
// back from their last element, already folded into `in`), dims innermost first.
struct FlipLayout {
  int ndim = 0;
  int64_t sizes[kMaxKernelDims] = {};
  int64_t strides[kMaxKernelDims] = {};
};
void launch_flip(void* out, const void* in, int elem_size, int64_t n, const FlipLayout& layout, cudaStream_t stream);

// tril/triu over (batch..., M, N) with element strides; out may be in (then only zeros are written).
struct TriluArgs {
  int nbatch = 0;  // batch dims, innermost first
  int64_t batch_sizes[kMaxKernelDims] = {};
  int64_t in_batch_strides[kMaxKernelDims] = {};
  int64_t out_batch_strides[kMaxKernelDims] = {};
  int64_t m = 0, n = 0, in_rs = 0, in_cs = 0, out_rs = 0, out_cs = 0;
  int64_t diagonal = 0;  // clamped to [-m - 1, n + 1]
  bool upper = false, inplace = false;
};
void launch_trilu(void* out, const void* in, int elem_size, int64_t numel, const TriluArgs& args, cudaStream_t stream);

}  // namespace tessera::cuda

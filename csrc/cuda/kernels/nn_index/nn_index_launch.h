#pragma once
// Host entry points of the index-driven NN kernels (embedding and its backward, one_hot,
// reflect/replicate/circular padding), called by csrc/cuda/nn_index_cuda.cpp.
#include <cuda_runtime_api.h>

#include <cstdint>

#include "core/dtype.h"

namespace tessera::cuda {

// out (n, d) contiguous = rows idx[i] of weight (num_rows, d) with byte strides (row_stride,
// col_stride); idx contiguous int64 (idx64) or int32. An index outside [0, num_rows) leaves its
// row unwritten and puts the smallest such i into *error (atomicMin; error may be nullptr).
struct EmbeddingArgs {
  void* out = nullptr;
  const void* weight = nullptr;
  const void* idx = nullptr;
  bool idx64 = true;
  int64_t n = 0, d = 0, num_rows = 0, row_stride = 0, col_stride = 0;
  int elem_size = 0;
  unsigned long long* error = nullptr;
};
void launch_embedding(const EmbeddingArgs& a, cudaStream_t stream);

// gw (num_rows, d) contiguous, zero-filled: gw[idx[i]] += g[i] (g (n, d) contiguous) with atomics,
// rows equal to padding_idx (or out of range) skipped. Floating dtypes.
void launch_embedding_backward(void* gw, DType dtype, const void* g, const void* idx, bool idx64, int64_t n, int64_t d,
                               int64_t num_rows, int64_t padding_idx, cudaStream_t stream);

// out (n, classes) int64 = 1 where the column equals in[row], else 0 (values already checked).
void launch_one_hot(int64_t* out, const int64_t* in, int64_t n, int64_t classes, cudaStream_t stream);

// out (contiguous) [i] = in[map(i)]: padded dims map through reflect (mode 1), replicate (2) or
// circular (3) as csrc/cpu/nn_kernels.cpp's pad_source; dims outer first, strides in elements.
constexpr int kMaxPadDims = 8;
struct PadLayout {
  int ndim = 0;
  int mode = 1;
  int64_t out_sizes[kMaxPadDims] = {};
  int64_t in_sizes[kMaxPadDims] = {};
  int64_t in_strides[kMaxPadDims] = {};
  int64_t lo[kMaxPadDims] = {};
  bool padded[kMaxPadDims] = {};
};
void launch_pad_index(void* out, const void* in, int elem_size, int64_t numel, const PadLayout& layout,
                      cudaStream_t stream);

}  // namespace tessera::cuda

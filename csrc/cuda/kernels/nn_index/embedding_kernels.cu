// embedding forward (row gather: one warp per chunk of a row, 16-byte vector copies where the rows
// are aligned; an element loop for weights with strided columns) and backward (atomicAdd of each
// gradient row into its weight row; the padding row gets nothing).
#include "cuda/kernels/atomics.cuh"
#include "cuda/kernels/ew/elementwise.cuh"
#include "cuda/kernels/nn_index/nn_index_launch.h"
#include "cuda/kernels/row_copy.cuh"
#include "cuda/runtime/cuda_check.h"

namespace tessera::cuda {
namespace {

__device__ __forceinline__ void record_bad_row(unsigned long long* error, int64_t i) {
  if (error != nullptr) atomicMin(error, static_cast<unsigned long long>(i));
}

template <class I>
__global__ void embedding_rows_kernel(EmbeddingArgs a, int64_t chunks) {
  const int lane = threadIdx.x & 31;
  const int64_t nwarps = (static_cast<int64_t>(gridDim.x) * blockDim.x) >> 5;
  const int64_t row_bytes = a.d * a.elem_size, work = a.n * chunks;
  const I* idx = static_cast<const I*>(a.idx);
  for (int64_t w = (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) >> 5; w < work; w += nwarps) {
    const int64_t i = w / chunks, c = w - i * chunks;
    const int64_t v = static_cast<int64_t>(idx[i]);
    if (v < 0 || v >= a.num_rows) {
      if (lane == 0 && c == 0) record_bad_row(a.error, i);
      continue;
    }
    const int64_t begin = c * kRowChunkBytes;
    warp_copy_bytes(static_cast<char*>(a.out) + i * row_bytes, static_cast<const char*>(a.weight) + v * a.row_stride,
                    begin, begin + kRowChunkBytes < row_bytes ? begin + kRowChunkBytes : row_bytes, a.elem_size, lane);
  }
}

// Weights whose columns are not dense (a transposed weight): one element per thread.
template <class T, class I>
__global__ void embedding_elements_kernel(EmbeddingArgs a) {
  const int64_t total = a.n * a.d, stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  const I* idx = static_cast<const I*>(a.idx);
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += stride) {
    const int64_t i = e / a.d, j = e - i * a.d;
    const int64_t v = static_cast<int64_t>(idx[i]);
    if (v < 0 || v >= a.num_rows) {
      if (j == 0) record_bad_row(a.error, i);
      continue;
    }
    static_cast<T*>(a.out)[e] =
        *reinterpret_cast<const T*>(static_cast<const char*>(a.weight) + v * a.row_stride + j * a.col_stride);
  }
}

template <class T, class I>
__global__ void embedding_backward_kernel(T* gw, const T* g, const I* idx, int64_t n, int64_t d, int64_t num_rows,
                                          int64_t padding_idx) {
  const int64_t total = n * d, stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += stride) {
    const int64_t i = e / d, j = e - i * d;
    const int64_t r = static_cast<int64_t>(idx[i]);
    if (r == padding_idx || r < 0 || r >= num_rows) continue;
    atomic_add(gw + r * d + j, g[e]);
  }
}

template <class F>
void dispatch_index(bool idx64, F&& f) {
  if (idx64) {
    f.template operator()<int64_t>();
  } else {
    f.template operator()<int32_t>();
  }
}

}  // namespace

void launch_embedding(const EmbeddingArgs& a, cudaStream_t stream) {
  if (a.n == 0 || a.d == 0) return;
  if (a.col_stride == a.elem_size) {
    const int64_t chunks = (a.d * a.elem_size + kRowChunkBytes - 1) / kRowChunkBytes;
    dispatch_index(a.idx64, [&]<class I>() {
      embedding_rows_kernel<I>
          <<<blocks_for_warps(a.n * chunks, kThreadsPerBlock), kThreadsPerBlock, 0, stream>>>(a, chunks);
    });
  } else {
    const unsigned blocks = ew::blocks_for(a.n * a.d);
    dispatch_index(a.idx64, [&]<class I>() {
      switch (a.elem_size) {
        case 1:
          embedding_elements_kernel<uint8_t, I><<<blocks, kThreadsPerBlock, 0, stream>>>(a);
          break;
        case 2:
          embedding_elements_kernel<uint16_t, I><<<blocks, kThreadsPerBlock, 0, stream>>>(a);
          break;
        case 4:
          embedding_elements_kernel<uint32_t, I><<<blocks, kThreadsPerBlock, 0, stream>>>(a);
          break;
        default:
          embedding_elements_kernel<uint64_t, I><<<blocks, kThreadsPerBlock, 0, stream>>>(a);
          break;
      }
    });
  }
  TS_CUDA_CHECK(cudaGetLastError());
}

void launch_embedding_backward(void* gw, DType dtype, const void* g, const void* idx, bool idx64, int64_t n, int64_t d,
                               int64_t num_rows, int64_t padding_idx, cudaStream_t stream) {
  if (n == 0 || d == 0) return;
  const unsigned blocks = ew::blocks_for(n * d);
  TS_CUDA_DISPATCH_FLOATING_TYPES(dtype, [&] {
    dispatch_index(idx64, [&]<class I>() {
      embedding_backward_kernel<scalar_t, I>
          <<<blocks, kThreadsPerBlock, 0, stream>>>(static_cast<scalar_t*>(gw), static_cast<const scalar_t*>(g),
                                                    static_cast<const I*>(idx), n, d, num_rows, padding_idx);
    });
  });
  TS_CUDA_CHECK(cudaGetLastError());
}

}  // namespace tessera::cuda

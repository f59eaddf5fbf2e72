// one_hot (every output element written once: 1 where its column is the row's class) and the
// index-map paddings (reflect, replicate, circular), as csrc/cpu/nn_kernels.cpp.
#include "cuda/kernels/ew/elementwise.cuh"
#include "cuda/kernels/nn_index/nn_index_launch.h"
#include "cuda/runtime/cuda_check.h"

namespace tessera::cuda {
namespace {

__global__ void one_hot_kernel(int64_t* out, const int64_t* in, int64_t total, int64_t classes) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += stride) {
    const int64_t row = e / classes;
    out[e] = (e - row * classes) == in[row] ? 1 : 0;
  }
}

// Source index of output position i along a dim of size n padded by lo (the CPU's pad_source).
__device__ __forceinline__ int64_t pad_source(int64_t i, int64_t n, int64_t lo, int mode) {
  int64_t s = i - lo;
  if (mode == 1) {  // reflect (edge not repeated)
    if (n == 1) return 0;
    const int64_t period = 2 * (n - 1);
    s = ((s % period) + period) % period;
    return s < n ? s : period - s;
  }
  if (mode == 2) return s < 0 ? 0 : (s >= n ? n - 1 : s);  // replicate
  return ((s % n) + n) % n;                                // circular
}

template <class T>
__global__ void pad_kernel(T* out, const T* in, int64_t numel, const __grid_constant__ PadLayout l) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < numel; e += stride) {
    int64_t rem = e, off = 0;
    for (int d = l.ndim - 1; d >= 0; --d) {
      const int64_t q = rem / l.out_sizes[d], i = rem - q * l.out_sizes[d];
      rem = q;
      off += (l.padded[d] ? pad_source(i, l.in_sizes[d], l.lo[d], l.mode) : i) * l.in_strides[d];
    }
    out[e] = in[off];
  }
}

}  // namespace

void launch_one_hot(int64_t* out, const int64_t* in, int64_t n, int64_t classes, cudaStream_t stream) {
  const int64_t total = n * classes;
  if (total == 0) return;
  one_hot_kernel<<<ew::blocks_for(total), kThreadsPerBlock, 0, stream>>>(out, in, total, classes);
  TS_CUDA_CHECK(cudaGetLastError());
}

void launch_pad_index(void* out, const void* in, int elem_size, int64_t numel, const PadLayout& layout,
                      cudaStream_t stream) {
  if (numel == 0) return;
  const unsigned blocks = ew::blocks_for(numel);
  switch (elem_size) {
    case 1:
      pad_kernel<uint8_t><<<blocks, kThreadsPerBlock, 0, stream>>>(static_cast<uint8_t*>(out),
                                                                   static_cast<const uint8_t*>(in), numel, layout);
      break;
    case 2:
      pad_kernel<uint16_t><<<blocks, kThreadsPerBlock, 0, stream>>>(static_cast<uint16_t*>(out),
                                                                    static_cast<const uint16_t*>(in), numel, layout);
      break;
    case 4:
      pad_kernel<uint32_t><<<blocks, kThreadsPerBlock, 0, stream>>>(static_cast<uint32_t*>(out),
                                                                    static_cast<const uint32_t*>(in), numel, layout);
      break;
    default:
      pad_kernel<uint64_t><<<blocks, kThreadsPerBlock, 0, stream>>>(static_cast<uint64_t*>(out),
                                                                    static_cast<const uint64_t*>(in), numel, layout);
      break;
  }
  TS_CUDA_CHECK(cudaGetLastError());
}

}  // namespace tessera::cuda

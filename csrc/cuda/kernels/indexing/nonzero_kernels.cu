// nonzero of a contiguous tensor in three passes: per-block counts of tiles of kTile elements, an
// exclusive scan of those counts by one block (the total goes last, for the host to size the
// output), then each block writes the coordinates of its tile's nonzeros in row-major order.
// Tiles are read in slabs of kThreads consecutive elements, so every read is coalesced; within a
// slab a warp ballot gives each thread its rank.
#include "cuda/kernels/block_reduce.cuh"
#include "cuda/kernels/indexing/index_launch.h"
#include "cuda/kernels/launch_utils.cuh"
#include "cuda/runtime/cuda_check.h"

namespace tessera::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kSlabs = 16;
constexpr int64_t kTile = kThreads * kSlabs;
constexpr int kScanThreads = 1024;

template <class T>
__device__ __forceinline__ bool is_nonzero(T v) {
  const auto x = to_opmath(v);  // -0.0 is zero, NaN is not
  return x != decltype(x)(0);
}

template <class T>
__global__ void count_kernel(const T* in, int64_t n, int64_t* counts) {
  __shared__ int64_t scratch[32];
  const int64_t base = static_cast<int64_t>(blockIdx.x) * kTile + threadIdx.x;
  int64_t c = 0;
#pragma unroll
  for (int j = 0; j < kSlabs; ++j) {
    const int64_t e = base + j * kThreads;
    c += e < n && is_nonzero(in[e]);
  }
  c = block_reduce(c, SumOp{}, int64_t{0}, scratch);
  if (threadIdx.x == 0) counts[blockIdx.x] = c;
}

// v[0, n) becomes its exclusive prefix sum and v[n] the total; one block of kScanThreads.
__global__ void exclusive_scan_kernel(int64_t* v, int64_t n) {
  __shared__ int64_t warp_sums[kScanThreads / kWarpSize];
  const int lane = threadIdx.x % kWarpSize, warp = threadIdx.x / kWarpSize;
  constexpr int kWarps = kScanThreads / kWarpSize;
  int64_t carry = 0;
  for (int64_t base = 0; base < n; base += kScanThreads) {
    const int64_t i = base + threadIdx.x;
    const int64_t x = i < n ? v[i] : 0;
    int64_t s = x;  // inclusive scan within the warp
#pragma unroll
    for (int o = 1; o < kWarpSize; o <<= 1) {
      const int64_t y = __shfl_up_sync(0xffffffffu, s, o);
      if (lane >= o) s += y;
    }
    if (lane == kWarpSize - 1) warp_sums[warp] = s;
    __syncthreads();
    if (warp == 0) {
      int64_t w = warp_sums[lane];
#pragma unroll
      for (int o = 1; o < kWarps; o <<= 1) {
        const int64_t y = __shfl_up_sync(0xffffffffu, w, o);
        if (lane >= o) w += y;
      }
      warp_sums[lane] = w;
    }
    __syncthreads();
    if (i < n) v[i] = carry + (warp > 0 ? warp_sums[warp - 1] : 0) + s - x;
    carry += warp_sums[kWarps - 1];
    __syncthreads();  // warp_sums is rewritten by the next tile
  }
  if (threadIdx.x == 0) v[n] = carry;
}

template <class T>
__global__ void write_kernel(const T* in, int64_t n, const __grid_constant__ NonzeroShape shape, const int64_t* offsets,
                             int64_t* out) {
  __shared__ int warp_counts[kThreads / kWarpSize];
  const int lane = threadIdx.x % kWarpSize, warp = threadIdx.x / kWarpSize;
  const int64_t base = static_cast<int64_t>(blockIdx.x) * kTile + threadIdx.x;
  int64_t row = offsets[blockIdx.x];
  for (int j = 0; j < kSlabs; ++j) {
    const int64_t e = base + j * kThreads;
    const bool f = e < n && is_nonzero(in[e]);
    const unsigned ballot = __ballot_sync(0xffffffffu, f);
    if (lane == 0) warp_counts[warp] = __popc(ballot);
    __syncthreads();
    int before = __popc(ballot & ((1u << lane) - 1)), total = 0;
#pragma unroll
    for (int w = 0; w < kThreads / kWarpSize; ++w) {
      before += w < warp ? warp_counts[w] : 0;
      total += warp_counts[w];
    }
    if (f) {
      int64_t* o = out + (row + before) * shape.ndim;
      int64_t rem = e;
      for (int d = shape.ndim - 1; d >= 0; --d) {
        const int64_t size = shape.sizes[d];
        const int64_t q = rem / size;
        o[d] = rem - q * size;
        rem = q;
      }
    }
    row += total;
    __syncthreads();  // warp_counts is rewritten by the next slab
  }
}

}  // namespace

int64_t nonzero_blocks(int64_t n) {
  return (n + kTile - 1) / kTile;
}

void launch_nonzero_count(const void* in, DType dtype, int64_t n, int64_t* offsets, cudaStream_t stream) {
  const int64_t blocks = nonzero_blocks(n);
  TS_CUDA_DISPATCH_ALL_TYPES(dtype, [&] {
    count_kernel<scalar_t>
        <<<static_cast<unsigned>(blocks), kThreads, 0, stream>>>(static_cast<const scalar_t*>(in), n, offsets);
  });
  TS_CUDA_CHECK(cudaGetLastError());
  exclusive_scan_kernel<<<1, kScanThreads, 0, stream>>>(offsets, blocks);
  TS_CUDA_CHECK(cudaGetLastError());
}

void launch_nonzero_write(const void* in, DType dtype, int64_t n, const NonzeroShape& shape, const int64_t* offsets,
                          int64_t* out, cudaStream_t stream) {
  const int64_t blocks = nonzero_blocks(n);
  TS_CUDA_DISPATCH_ALL_TYPES(dtype, [&] {
    write_kernel<scalar_t><<<static_cast<unsigned>(blocks), kThreads, 0, stream>>>(static_cast<const scalar_t*>(in), n,
                                                                                   shape, offsets, out);
  });
  TS_CUDA_CHECK(cudaGetLastError());
}

}  // namespace tessera::cuda

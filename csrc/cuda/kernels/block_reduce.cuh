#pragma once
// Warp- and block-wide reductions shared by the CUDA reduction, norm, softmax and loss kernels.
// `op(a, b)` combines two partial values; every lane/thread passes its partial and gets the total.
#include <cuda_runtime_api.h>

namespace tessera::cuda {

constexpr int kWarpSize = 32;

template <class T, class Op>
__device__ __forceinline__ T warp_reduce(T v, Op op) {
#pragma unroll
  for (int offset = kWarpSize / 2; offset > 0; offset /= 2) v = op(v, __shfl_xor_sync(0xffffffffu, v, offset));
  return v;
}

// All threads of the block must call it (blockDim.x a multiple of 32, at most 1024). `identity`
// fills the slots of absent warps. The result is valid in every thread. `scratch` holds 32 Ts.
template <class T, class Op>
__device__ __forceinline__ T block_reduce(T v, Op op, T identity, T* scratch) {
  const int lane = threadIdx.x % kWarpSize;
  const int warp = threadIdx.x / kWarpSize;
  v = warp_reduce(v, op);
  __syncthreads();  // scratch may still be read by a previous call
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  const int warps = (blockDim.x + kWarpSize - 1) / kWarpSize;
  v = lane < warps ? scratch[lane] : identity;
  return warp_reduce(v, op);
}

struct SumOp {
  template <class T>
  __device__ __forceinline__ T operator()(T a, T b) const {
    return a + b;
  }
};

struct MaxOp {  // NaN-propagating, like torch.max / amax
  template <class T>
  __device__ __forceinline__ T operator()(T a, T b) const {
    return (a != a || a > b) ? a : b;
  }
};

struct MinOp {
  template <class T>
  __device__ __forceinline__ T operator()(T a, T b) const {
    return (a != a || a < b) ? a : b;
  }
};

}  // namespace tessera::cuda

// CUDA kernels of the factories: fill (a constant bit pattern) and range (arange, linspace).
#include "cuda/kernels/elementwise_launch.h"
#include "cuda/kernels/launch_utils.cuh"
#include "cuda/runtime/cuda_check.h"

namespace tessera::cuda {
namespace {

template <class T>
__global__ void fill_kernel(char* out, StridedLayout<1> layout, int64_t n, T value) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  if (layout.contiguous) {
    T* o = reinterpret_cast<T*>(out);
    for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n; i += stride) o[i] = value;
    return;
  }
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n; i += stride) {
    int64_t off[1];
    strided_offsets(layout, i, off);
    *reinterpret_cast<T*>(out + off[0]) = value;
  }
}

// Contiguous, 16-byte aligned output: one 16-byte store of the replicated pattern per step; the
// last n % (16 / sizeof(T)) elements one per thread.
template <class T>
__global__ void fill_vec_kernel(uint4* out, int64_t nvec, T* tail, int ntail, uint4 pattern, T value) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  const int64_t tid = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  for (int64_t i = tid; i < nvec; i += stride) out[i] = pattern;
  if (tid < ntail) tail[tid] = value;
}

template <class T>
void fill_typed(char* out, const StridedLayout<1>& layout, int64_t n, uint64_t bits, cudaStream_t stream) {
  T v;
  memcpy(&v, &bits, sizeof(T));
  if (layout.contiguous && reinterpret_cast<uintptr_t>(out) % 16 == 0) {
    constexpr int kPerVec = 16 / sizeof(T);
    uint4 pattern;
    T* lanes = reinterpret_cast<T*>(&pattern);
    for (int k = 0; k < kPerVec; ++k) lanes[k] = v;
    const int64_t nvec = n / kPerVec;
    fill_vec_kernel<T><<<grid_for(nvec + 1), kThreadsPerBlock, 0, stream>>>(
        reinterpret_cast<uint4*>(out), nvec, reinterpret_cast<T*>(out) + nvec * kPerVec,
        static_cast<int>(n - nvec * kPerVec), pattern, v);
    TS_CUDA_CHECK(cudaGetLastError());
    return;
  }
  fill_kernel<T><<<grid_for(n), kThreadsPerBlock, 0, stream>>>(out, layout, n, v);
  TS_CUDA_CHECK(cudaGetLastError());
}

// Accumulate types of PyTorch's CPU arange (kept on the GPU so both devices agree bit for bit).
template <class T>
using range_acc_t =
    std::conditional_t<std::is_integral_v<T>, int64_t,
                       std::conditional_t<std::is_same_v<T, double> || std::is_same_v<T, float>, double, float>>;

template <class T>
__global__ void arange_kernel(T* out, int64_t n, RangeArgs args) {
  using acc_t = range_acc_t<T>;
  acc_t start, step;
  if constexpr (std::is_integral_v<T>) {
    start = args.i_a, step = args.i_b;
  } else {
    start = static_cast<acc_t>(args.d_a), step = static_cast<acc_t>(args.d_b);
  }
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n; i += stride) {
    out[i] = convert_value<T>(static_cast<acc_t>(start + step * static_cast<acc_t>(i)));
  }
}

__device__ __forceinline__ float round_half(float x) {
  return __half2float(__float2half_rn(x));
}
__device__ __forceinline__ float round_bf16(float x) {
  return __bfloat162float(__float2bfloat16_rn(x));
}

// PyTorch's two-sided linspace (see csrc/cpu/fill_kernels.cpp): both ends exact; 16-bit floats
// round after every operation, integer results step in double.
template <class T>
__global__ void linspace_kernel(T* out, int64_t steps, RangeArgs args) {
  const int64_t halfway = steps / 2;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < steps; i += stride) {
    if constexpr (std::is_same_v<T, __half> || std::is_same_v<T, __nv_bfloat16>) {
      auto rnd = [](float x) { return std::is_same_v<T, __half> ? round_half(x) : round_bf16(x); };
      const float start = rnd(static_cast<float>(args.d_a)), end = rnd(static_cast<float>(args.d_b));
      if (steps == 1) {
        out[i] = convert_value<T>(start);
        continue;
      }
      const float step = rnd(rnd(end - start) / rnd(static_cast<float>(steps - 1)));
      const float v = i < halfway ? start + rnd(step * rnd(static_cast<float>(i)))
                                  : end - rnd(step * rnd(static_cast<float>(steps - i - 1)));
      out[i] = convert_value<T>(v);
    } else if constexpr (std::is_integral_v<T>) {
      const T start = static_cast<T>(args.i_a), end = static_cast<T>(args.i_b);
      if (steps == 1) {
        out[i] = start;
        continue;
      }
      const double step = (static_cast<double>(end) - static_cast<double>(start)) / static_cast<double>(steps - 1);
      out[i] = i < halfway ? static_cast<T>(start + step * static_cast<double>(i))
                           : static_cast<T>(end - step * static_cast<double>(steps - i - 1));
    } else {
      const T start = static_cast<T>(args.d_a), end = static_cast<T>(args.d_b);
      if (steps == 1) {
        out[i] = start;
        continue;
      }
      const T step = (end - start) / static_cast<T>(steps - 1);
      out[i] = i < halfway ? static_cast<T>(start + step * static_cast<T>(i))
                           : static_cast<T>(end - step * static_cast<T>(steps - i - 1));
    }
  }
}

}  // namespace

void launch_fill(char* out, const StridedLayout<1>& layout, int64_t n, int elem_size, uint64_t bits,
                 cudaStream_t stream) {
  if (n == 0) return;
  if (layout.contiguous && (bits == 0 || elem_size == 1)) {  // a byte pattern: the copy engine's memset
    TS_CUDA_CHECK(cudaMemsetAsync(out, static_cast<int>(bits & 0xff), static_cast<size_t>(n) * elem_size, stream));
    return;
  }
  switch (elem_size) {
    case 1:
      return fill_typed<uint8_t>(out, layout, n, bits, stream);
    case 2:
      return fill_typed<uint16_t>(out, layout, n, bits, stream);
    case 4:
      return fill_typed<uint32_t>(out, layout, n, bits, stream);
    default:
      return fill_typed<uint64_t>(out, layout, n, bits, stream);
  }
}

void launch_arange(void* out, DType dtype, int64_t n, const RangeArgs& args, cudaStream_t stream) {
  if (n == 0) return;
  TS_CUDA_DISPATCH_ALL_TYPES(dtype, [&] {
    if constexpr (!std::is_same_v<scalar_t, bool>) {
      arange_kernel<scalar_t><<<grid_for(n), kThreadsPerBlock, 0, stream>>>(static_cast<scalar_t*>(out), n, args);
      TS_CUDA_CHECK(cudaGetLastError());
    }
  });
}

void launch_linspace(void* out, DType dtype, int64_t steps, const RangeArgs& args, cudaStream_t stream) {
  if (steps == 0) return;
  TS_CUDA_DISPATCH_ALL_TYPES(dtype, [&] {
    if constexpr (!std::is_same_v<scalar_t, bool>) {
      linspace_kernel<scalar_t>
          <<<grid_for(steps), kThreadsPerBlock, 0, stream>>>(static_cast<scalar_t*>(out), steps, args);
      TS_CUDA_CHECK(cudaGetLastError());
    }
  });
}

}  // namespace tessera::cuda

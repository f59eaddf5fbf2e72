// CUDA copy with dtype conversion on one device: one kernel per (destination, source) dtype pair;
// same-dtype copies move element-sized bits (contiguous ones are a cudaMemcpyAsync).
#include "cuda/kernels/elementwise_launch.h"
#include "cuda/kernels/ew/elementwise.cuh"
#include "cuda/kernels/launch_utils.cuh"
#include "cuda/runtime/cuda_check.h"

namespace tessera::cuda {
namespace {

template <class To, class From>
__global__ void copy_kernel(char* dst, const char* src, StridedLayout<2> layout, int64_t n) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  if (layout.contiguous) {
    To* d = reinterpret_cast<To*>(dst);
    const From* s = reinterpret_cast<const From*>(src);
    for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n; i += stride)
      d[i] = convert_value<To>(s[i]);
    return;
  }
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n; i += stride) {
    int64_t off[2];
    strided_offsets(layout, i, off);
    *reinterpret_cast<To*>(dst + off[0]) = convert_value<To>(*reinterpret_cast<const From*>(src + off[1]));
  }
}

template <class T>
__global__ void copy_bits_kernel(char* dst, const char* src, StridedLayout<2> layout, int64_t n) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n; i += stride) {
    int64_t off[2];
    strided_offsets(layout, i, off);
    *reinterpret_cast<T*>(dst + off[0]) = *reinterpret_cast<const T*>(src + off[1]);
  }
}

template <class T>
void copy_bits(char* dst, const char* src, const StridedLayout<2>& layout, int64_t n, cudaStream_t stream) {
  copy_bits_kernel<T><<<grid_for(n), kThreadsPerBlock, 0, stream>>>(dst, src, layout, n);
  TS_CUDA_CHECK(cudaGetLastError());
}

struct Convert {
  template <class T>
  __device__ __forceinline__ T operator()(T x) const {
    return x;  // the engine converts on load (to opmath) and on store (to the destination type)
  }
};

// Contiguous dtype-converting copy through the elementwise engine's vectorised kernel: 16-byte
// accesses for the wider of the two types when both pointers are aligned for them.
template <class To, class From>
bool copy_contiguous_vectorised(char* dst, const char* src, int64_t n, cudaStream_t stream) {
  constexpr int VEC = 16 / ew::max_size<To, From>();
  if (reinterpret_cast<uintptr_t>(dst) % (sizeof(To) * VEC) != 0 ||
      reinterpret_cast<uintptr_t>(src) % (sizeof(From) * VEC) != 0)
    return false;
  ew::Ptrs<2> p{{dst, const_cast<char*>(src)}, {0, 0}};
  ew::contiguous_kernel<VEC, Convert, To, From>
      <<<ew::blocks_for(n / VEC + 1), kThreadsPerBlock, 0, stream>>>(p, n, Convert{});
  return true;
}

}  // namespace

void launch_copy(char* dst, DType dst_dtype, const char* src, DType src_dtype, const StridedLayout<2>& layout,
                 int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  if (dst_dtype == src_dtype) {
    const size_t size = itemsize(dst_dtype);
    if (layout.contiguous) {
      TS_CUDA_CHECK(cudaMemcpyAsync(dst, src, static_cast<size_t>(n) * size, cudaMemcpyDeviceToDevice, stream));
      return;
    }
    switch (size) {
      case 1:
        return copy_bits<uint8_t>(dst, src, layout, n, stream);
      case 2:
        return copy_bits<uint16_t>(dst, src, layout, n, stream);
      case 4:
        return copy_bits<uint32_t>(dst, src, layout, n, stream);
      default:
        return copy_bits<uint64_t>(dst, src, layout, n, stream);
    }
  }
  TS_CUDA_DISPATCH_ALL_TYPES(dst_dtype, [&] {
    using to_t = scalar_t;
    TS_CUDA_DISPATCH_ALL_TYPES(src_dtype, [&] {
      using from_t = scalar_t;
      if (layout.contiguous && copy_contiguous_vectorised<to_t, from_t>(dst, src, n, stream)) return;
      copy_kernel<to_t, from_t><<<grid_for(n), kThreadsPerBlock, 0, stream>>>(dst, src, layout, n);
    });
  });
  TS_CUDA_CHECK(cudaGetLastError());
}

}  // namespace tessera::cuda

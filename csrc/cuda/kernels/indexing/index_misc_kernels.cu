// scatter_reduce's mean division and __contains__, as csrc/cpu/indexing_kernels.cpp.
#include "cuda/kernels/ew/elementwise.cuh"
#include "cuda/kernels/indexing/index_launch.h"

namespace tessera::cuda {
namespace {

template <class T, class index_t>
__global__ void contains_kernel(ew::Ptrs<2> p, const __grid_constant__ ew::OffsetCalc<2, index_t> calc, index_t n,
                                int* found) {
  const index_t stride = static_cast<index_t>(gridDim.x) * blockDim.x;
  bool hit = false;
  for (index_t i = static_cast<index_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n && !hit; i += stride) {
    index_t off[2];
    calc.get(i, off);
    hit = to_opmath(ew::load_operand<T>(p.data[0], off[0], p.scalar[0])) ==
          to_opmath(ew::load_operand<T>(p.data[1], off[1], p.scalar[1]));
  }
  if (__syncthreads_or(hit) && threadIdx.x == 0) *found = 1;
}

template <class T>
void mean_floating(const EwArgs& a, cudaStream_t stream) {
  using A = typename OpMathDevice<T>::type;
  ew::launch<T, T, int64_t>(a, stream,
                            [] __device__(A x, int64_t c) -> A { return x / static_cast<A>(c < 1 ? 1 : c); });
}

template <class T>
void mean_integral(const EwArgs& a, cudaStream_t stream) {
  ew::launch<T, T, int64_t>(a, stream, [] __device__(T v, int64_t c) -> int64_t {
    c = c < 1 ? 1 : c;
    const int64_t x = static_cast<int64_t>(v), q = x / c;
    return (x % c != 0 && (x < 0) != (c < 0)) ? q - 1 : q;  // floor division
  });
}

}  // namespace

void launch_scatter_mean(const EwArgs& a, DType dtype, cudaStream_t stream) {
  switch (dtype) {
    case DType::Float16:
      return mean_floating<__half>(a, stream);
    case DType::BFloat16:
      return mean_floating<__nv_bfloat16>(a, stream);
    case DType::Float32:
      return mean_floating<float>(a, stream);
    case DType::Float64:
      return mean_floating<double>(a, stream);
    default:
      TS_CUDA_DISPATCH_INTEGER_TYPES(dtype, [&] { mean_integral<scalar_t>(a, stream); });
  }
}

void launch_contains(const EwArgs& a, DType dtype, int* found, cudaStream_t stream) {
  if (a.n == 0) return;
  ew::Ptrs<2> p;
  for (int k = 0; k < 2; ++k) p.data[k] = a.data[k], p.scalar[k] = a.scalar[k];
  const unsigned blocks = ew::blocks_for(a.n);
  TS_CUDA_DISPATCH_ALL_TYPES(dtype, [&] {
    if (ew::fits_32bit<2>(a)) {
      contains_kernel<scalar_t, uint32_t><<<blocks, kThreadsPerBlock, 0, stream>>>(p, ew::make_calc<2, uint32_t>(a),
                                                                                   static_cast<uint32_t>(a.n), found);
    } else {
      contains_kernel<scalar_t, int64_t>
          <<<blocks, kThreadsPerBlock, 0, stream>>>(p, ew::make_calc<2, int64_t>(a), a.n, found);
    }
  });
  TS_CUDA_CHECK(cudaGetLastError());
}

}  // namespace tessera::cuda

// Accumulating scatter kernels of the index iterator (index_put_(accumulate=True), index_add_,
// scatter_add_, scatter(reduce=...), scatter_reduce_, put_(accumulate=True)): repeated indices
// meet in one element, so every update is atomic (csrc/cuda/kernels/atomics.cuh). Add has its own
// kernel (the common, hot case); Multiply/Max/Min share one with the mode as an argument. bool
// updates are idempotent stores (or/and), which need no atomics.
#include "cuda/kernels/atomics.cuh"
#include "cuda/kernels/indexing/index_offsets.cuh"

namespace tessera::cuda {
namespace indexing {
namespace {

template <class T>
using acc_t = typename OpMathDevice<T>::type;

template <class T, int NI, class index_t>
__global__ void index_add_kernel(Ptrs<2 + NI> p, const __grid_constant__ ew::OffsetCalc<2 + NI, index_t> calc,
                                 index_t n, IndexBounds b, acc_t<T> alpha, unsigned long long* error) {
  const index_t stride = static_cast<index_t>(gridDim.x) * blockDim.x;
  for (index_t i = static_cast<index_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    index_t off[2 + NI];
    calc.get(i, off);
    int64_t extra;
    if (!index_offset<NI>(p.data, off, b, extra)) {
      record_bad(error, static_cast<int64_t>(i));
      continue;
    }
    const T v = *reinterpret_cast<const T*>(p.data[1] + off[1]);
    atomic_add(reinterpret_cast<T*>(p.data[0] + off[0] + extra), convert_value<T>(alpha * to_opmath(v)));
  }
}

// bool: Add is dst || (alpha && v), Multiply and Min dst && v, Max dst || v.
__device__ __forceinline__ void bool_update(bool* dst, bool v, IndexPutMode mode, bool alpha) {
  switch (mode) {
    case IndexPutMode::Add:
      if (alpha && v) *dst = true;
      break;
    case IndexPutMode::Max:
      if (v) *dst = true;
      break;
    default:
      if (!v) *dst = false;
      break;
  }
}

template <class T, int NI>
__global__ void index_reduce_kernel(Ptrs<2 + NI> p, const __grid_constant__ ew::OffsetCalc<2 + NI, int64_t> calc,
                                    int64_t n, IndexBounds b, IndexPutMode mode, acc_t<T> alpha,
                                    unsigned long long* error) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    int64_t off[2 + NI];
    calc.get(i, off);
    int64_t extra;
    if (!index_offset<NI>(p.data, off, b, extra)) {
      record_bad(error, i);
      continue;
    }
    const T v = *reinterpret_cast<const T*>(p.data[1] + off[1]);
    T* dst = reinterpret_cast<T*>(p.data[0] + off[0] + extra);
    if constexpr (std::is_same_v<T, bool>) {
      bool_update(dst, v, mode, alpha);
    } else if (mode == IndexPutMode::Multiply) {
      atomic_mul(dst, v);
    } else if (mode == IndexPutMode::Max) {
      atomic_max_min<true>(dst, v);
    } else if (mode == IndexPutMode::Min) {
      atomic_max_min<false>(dst, v);
    }
  }
}

template <class T>
void launch_typed(const IndexLaunch& a, IndexPutMode mode, uint64_t alpha_bits, cudaStream_t stream) {
  acc_t<T> alpha;
  memcpy(&alpha, &alpha_bits, sizeof(alpha));
  const unsigned blocks = ew::blocks_for(a.n);
  dispatch_nidx(a.bounds.n, [&]<int NI>() {
    if constexpr (!std::is_same_v<T, bool>) {
      if (mode == IndexPutMode::Add) {
        if (fits_32bit(a, 2 + NI)) {
          index_add_kernel<T, NI, uint32_t>
              <<<blocks, kThreadsPerBlock, 0, stream>>>(make_ptrs<2 + NI>(a), make_calc<2 + NI, uint32_t>(a),
                                                        static_cast<uint32_t>(a.n), a.bounds, alpha, a.error);
        } else {
          index_add_kernel<T, NI, int64_t><<<blocks, kThreadsPerBlock, 0, stream>>>(
              make_ptrs<2 + NI>(a), make_calc<2 + NI, int64_t>(a), a.n, a.bounds, alpha, a.error);
        }
        return;
      }
    }
    index_reduce_kernel<T, NI><<<blocks, kThreadsPerBlock, 0, stream>>>(
        make_ptrs<2 + NI>(a), make_calc<2 + NI, int64_t>(a), a.n, a.bounds, mode, alpha, a.error);
  });
}

}  // namespace
}  // namespace indexing

void launch_index_accumulate(const IndexLaunch& a, DType dtype, IndexPutMode mode, uint64_t alpha_bits,
                             cudaStream_t stream) {
  if (a.n == 0) return;
  TS_CUDA_DISPATCH_ALL_TYPES(dtype, [&] { indexing::launch_typed<scalar_t>(a, mode, alpha_bits, stream); });
  TS_CUDA_CHECK(cudaGetLastError());
}

}  // namespace tessera::cuda

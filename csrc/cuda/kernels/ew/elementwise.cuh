#pragma once
// The CUDA elementwise engine: out = f(in...) over an EwArgs. Inputs are loaded in their storage
// types, converted to opmath (16-bit floats compute in float), and the result is rounded once to
// the output type. Paths: all operands contiguous and 16-byte aligned -> vector loads/stores
// (VEC elements per thread, VEC*sizeof(widest operand) == 16 bytes); contiguous but misaligned ->
// one element per step; strided -> an offset calculator in 32-bit arithmetic when every offset
// fits, 64-bit otherwise. All launches go to the given stream; nothing synchronises.
#include <cstring>
#include <utility>

#include "cuda/kernels/ew_args.h"
#include "cuda/kernels/launch_utils.cuh"
#include "cuda/runtime/cuda_check.h"

namespace tessera::cuda::ew {

template <int N>
struct Ptrs {
  char* data[N];
  uint64_t scalar[N];
};

template <int N, class index_t>
struct OffsetCalc {
  int ndim;
  index_t sizes[kMaxKernelDims];
  index_t strides[kMaxKernelDims][N];
  __device__ __forceinline__ void get(index_t i, index_t* off) const {
#pragma unroll
    for (int k = 0; k < N; ++k) off[k] = 0;
    for (int d = 0; d < ndim; ++d) {
      const index_t size = sizes[d];
      const index_t q = i / size;
      const index_t idx = i - q * size;
      i = q;
#pragma unroll
      for (int k = 0; k < N; ++k) off[k] += idx * strides[d][k];
    }
  }
};

template <class T, int VEC>
struct alignas(sizeof(T) * VEC) Vec {
  T val[VEC];
};

template <class T, class index_t>
__device__ __forceinline__ T load_operand(const char* base, index_t off, uint64_t bits) {
  if (base == nullptr) {  // a 0-d CPU operand passed by value
    T v;
    memcpy(&v, &bits, sizeof(T));
    return v;
  }
  return *reinterpret_cast<const T*>(base + off);
}

template <class Out, class F, class... In>
__device__ __forceinline__ Out apply(F& f, In... in) {
  return convert_value<Out>(f(to_opmath(in)...));
}

template <int N, class index_t, class Out, class... In, class F, size_t... I>
__device__ __forceinline__ void strided_element(const Ptrs<N>& p, const index_t* off, F& f, std::index_sequence<I...>) {
  *reinterpret_cast<Out*>(p.data[0] + off[0]) =
      apply<Out>(f, load_operand<In>(p.data[I + 1], off[I + 1], p.scalar[I + 1])...);
}

template <class index_t, class F, class Out, class... In>
__global__ void strided_kernel(Ptrs<1 + sizeof...(In)> p, OffsetCalc<1 + sizeof...(In), index_t> calc, index_t n, F f) {
  constexpr int N = 1 + sizeof...(In);
  const index_t stride = static_cast<index_t>(gridDim.x) * blockDim.x;
  for (index_t i = static_cast<index_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    index_t off[N];
    calc.get(i, off);
    strided_element<N, index_t, Out, In...>(p, off, f, std::index_sequence_for<In...>{});
  }
}

// A vector of VEC elements from contiguous `base`, or VEC copies of a 0-d CPU operand's value.
template <int VEC, class T>
__device__ __forceinline__ Vec<T, VEC> load_vec(const char* base, uint64_t bits, int64_t v) {
  if (base == nullptr) {
    T x;
    memcpy(&x, &bits, sizeof(T));
    Vec<T, VEC> r;
#pragma unroll
    for (int j = 0; j < VEC; ++j) r.val[j] = x;
    return r;
  }
  return reinterpret_cast<const Vec<T, VEC>*>(base)[v];
}

template <int VEC, class Out, class F, class... V>
__device__ __forceinline__ void apply_vec(F& f, char* out, int64_t v, const V&... in) {
  Vec<Out, VEC> r;
#pragma unroll
  for (int j = 0; j < VEC; ++j) r.val[j] = apply<Out>(f, in.val[j]...);
  reinterpret_cast<Vec<Out, VEC>*>(out)[v] = r;
}

template <int VEC, class Out, class... In, class F, size_t... I>
__device__ __forceinline__ void vec_step(const Ptrs<1 + sizeof...(In)>& p, int64_t v, F& f, std::index_sequence<I...>) {
  apply_vec<VEC, Out>(f, p.data[0], v, load_vec<VEC, In>(p.data[I + 1], p.scalar[I + 1], v)...);
}

template <class Out, class... In, class F, size_t... I>
__device__ __forceinline__ void scalar_step(const Ptrs<1 + sizeof...(In)>& p, int64_t i, F& f,
                                            std::index_sequence<I...>) {
  reinterpret_cast<Out*>(p.data[0])[i] =
      apply<Out>(f, load_operand<In>(p.data[I + 1], i * static_cast<int64_t>(sizeof(In)), p.scalar[I + 1])...);
}

// Contiguous operands: VEC elements per step (VEC == 1 for the misaligned fallback), the tail of
// fewer than VEC elements one per thread.
template <int VEC, class F, class Out, class... In>
__global__ void contiguous_kernel(Ptrs<1 + sizeof...(In)> p, int64_t n, F f) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  const int64_t tid = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t nvec = n / VEC;
  for (int64_t v = tid; v < nvec; v += stride) vec_step<VEC, Out, In...>(p, v, f, std::index_sequence_for<In...>{});
  if constexpr (VEC > 1) {
    const int64_t i = nvec * VEC + tid;
    if (i < n) scalar_step<Out, In...>(p, i, f, std::index_sequence_for<In...>{});
  }
}

template <class... T>
constexpr int max_size() {
  int m = 1;
  ((m = sizeof(T) > static_cast<size_t>(m) ? static_cast<int>(sizeof(T)) : m), ...);
  return m;
}

inline unsigned blocks_for(int64_t work) {
  const int64_t b = (work + kThreadsPerBlock - 1) / kThreadsPerBlock;
  return static_cast<unsigned>(b < 1 ? 1 : (b > 65535 * 8 ? 65535 * 8 : b));
}

template <int N, class index_t>
OffsetCalc<N, index_t> make_calc(const EwArgs& a) {
  OffsetCalc<N, index_t> c{};
  c.ndim = a.layout.ndim;
  for (int d = 0; d < c.ndim; ++d) {
    c.sizes[d] = static_cast<index_t>(a.layout.sizes[d]);
    for (int k = 0; k < N; ++k) c.strides[d][k] = static_cast<index_t>(a.layout.strides[k][d]);
  }
  return c;
}

// True when n and every operand's byte offsets fit in 31 bits (strides are never negative).
template <int N>
bool fits_32bit(const EwArgs& a) {
  if (a.n > INT32_MAX) return false;
  for (int k = 0; k < N; ++k) {
    int64_t extent = 0;
    for (int d = 0; d < a.layout.ndim; ++d) extent += (a.layout.sizes[d] - 1) * a.layout.strides[k][d];
    if (extent < 0 || extent > INT32_MAX - 16) return false;
  }
  return true;
}

// Runs out = f(in...) over `a` (a.ntensors must be 1 + sizeof...(In)).
template <class Out, class... In, class F>
void launch(const EwArgs& a, cudaStream_t stream, F f) {
  constexpr int N = 1 + sizeof...(In);
  if (a.n == 0) return;
  Ptrs<N> p;
  for (int k = 0; k < N; ++k) p.data[k] = a.data[k], p.scalar[k] = a.scalar[k];
  constexpr size_t sizes[N] = {sizeof(Out), sizeof(In)...};
  // Contiguous: the iterator says so, or (0-d CPU operands break its density) one flat dim along
  // which every device operand is dense; CPU operands are read by value in either kernel.
  bool contiguous = a.layout.contiguous && !a.has_cpu_scalar;
  if (!contiguous && a.has_cpu_scalar && a.layout.ndim <= 1) {
    contiguous = true;
    for (int k = 0; k < N; ++k)
      if (a.data[k] != nullptr && a.layout.ndim == 1 && a.layout.strides[k][0] != static_cast<int64_t>(sizes[k]))
        contiguous = false;
  }
  if (contiguous) {
    constexpr int VEC = 16 / max_size<Out, In...>();
    bool aligned = true;
    for (int k = 0; k < N; ++k) aligned &= reinterpret_cast<uintptr_t>(a.data[k]) % (sizes[k] * VEC) == 0;
    if (aligned && VEC > 1) {
      contiguous_kernel<VEC, F, Out, In...><<<blocks_for(a.n / VEC + 1), kThreadsPerBlock, 0, stream>>>(p, a.n, f);
    } else {
      contiguous_kernel<1, F, Out, In...><<<blocks_for(a.n), kThreadsPerBlock, 0, stream>>>(p, a.n, f);
    }
  } else if (fits_32bit<N>(a)) {
    strided_kernel<uint32_t, F, Out, In...>
        <<<blocks_for(a.n), kThreadsPerBlock, 0, stream>>>(p, make_calc<N, uint32_t>(a), static_cast<uint32_t>(a.n), f);
  } else {
    strided_kernel<int64_t, F, Out, In...>
        <<<blocks_for(a.n), kThreadsPerBlock, 0, stream>>>(p, make_calc<N, int64_t>(a), a.n, f);
  }
  TS_CUDA_CHECK(cudaGetLastError());
}

}  // namespace tessera::cuda::ew

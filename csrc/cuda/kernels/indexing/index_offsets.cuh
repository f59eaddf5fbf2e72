#pragma once
// Device side of the index iterator: per-element operand offsets (the elementwise engine's
// OffsetCalc), the byte offset the int64 indices add, bounds checks that record instead of trap.
#include "cuda/kernels/ew/elementwise.cuh"
#include "cuda/kernels/indexing/index_launch.h"

namespace tessera::cuda::indexing {

template <int N>
struct Ptrs {
  char* data[N];
};

template <int N>
Ptrs<N> make_ptrs(const IndexLaunch& a) {
  Ptrs<N> p;
  for (int k = 0; k < N; ++k) p.data[k] = a.data[k];
  return p;
}

// Offsets of operands [0, N) over layout dims [first_dim, ndim): first_dim = 1 gives the offsets
// of whole rows of the innermost dim.
template <int N, class index_t>
ew::OffsetCalc<N, index_t> make_calc(const IndexLaunch& a, int first_dim = 0) {
  ew::OffsetCalc<N, index_t> c{};
  c.ndim = a.layout.ndim - first_dim;
  for (int d = 0; d < c.ndim; ++d) {
    c.sizes[d] = static_cast<index_t>(a.layout.sizes[first_dim + d]);
    for (int k = 0; k < N; ++k) c.strides[d][k] = static_cast<index_t>(a.layout.strides[k][first_dim + d]);
  }
  return c;
}

// Whether n and every operand's byte extent fit 32-bit offset arithmetic (strides are >= 0).
inline bool fits_32bit(const IndexLaunch& a, int nops) {
  if (a.n > INT32_MAX) return false;
  for (int k = 0; k < nops; ++k) {
    int64_t extent = 0;
    for (int d = 0; d < a.layout.ndim; ++d) extent += (a.layout.sizes[d] - 1) * a.layout.strides[k][d];
    if (extent < 0 || extent > INT32_MAX - 16) return false;
  }
  return true;
}

// The byte offset the indices add at an element whose operand offsets are `off`; false when an
// index is out of range. NI is the exact number of index operands, or kMaxIndexTensors for any
// number up to it (b.n).
template <int NI, class index_t>
__device__ __forceinline__ bool index_offset(char* const* data, const index_t* off, const IndexBounds& b,
                                             int64_t& extra) {
  extra = 0;
#pragma unroll
  for (int k = 0; k < NI; ++k) {
    if (NI == kMaxIndexTensors && k >= b.n) break;
    int64_t v = *reinterpret_cast<const int64_t*>(data[2 + k] + off[2 + k]);
    if (v < 0 && b.wrap_negative) v += b.sizes[k];
    if (v < 0 || v >= b.sizes[k]) return false;
    extra += v * b.strides[k];
  }
  return true;
}

// Keeps the smallest linear index of a bad element: the one the CPU kernel reports first.
__device__ __forceinline__ void record_bad(unsigned long long* error, int64_t i) {
  if (error != nullptr) atomicMin(error, static_cast<unsigned long long>(i));
}

// Calls f.template operator()<NI>() with NI = 1 (gather, index_select, scatter, take ...) or
// kMaxIndexTensors (advanced indexing with several index tensors).
template <class F>
void dispatch_nidx(int n, F&& f) {
  if (n == 1) {
    f.template operator()<1>();
  } else {
    f.template operator()<kMaxIndexTensors>();
  }
}

}  // namespace tessera::cuda::indexing

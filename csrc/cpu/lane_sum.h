#pragma once
// Row sums in 8 independent lanes: without -ffast-math GCC vectorises a reduction only when the
// code itself says the order may change. Shared by the norm forward and backward kernels, so the
// backward recomputes exactly the forward's mean and rstd.
#include <cstdint>

namespace tessera::cpu {

// Sum and sum of squared deviations of a row, in 8 lanes of acc_t (float for float32 and the
// 16-bit types, double for float64) so the loops vectorise.
template <class T, class A>
A lane_sum(const T* x, int64_t n) {
  constexpr int L = 8;
  A acc[L] = {};
  int64_t i = 0;
  for (; i + L <= n; i += L)
    for (int l = 0; l < L; ++l) acc[l] += static_cast<A>(x[i + l]);
  A s = 0;
  for (; i < n; ++i) s += static_cast<A>(x[i]);
  for (int l = 0; l < L; ++l) s += acc[l];
  return s;
}
template <class T, class A>
A lane_sq(const T* x, int64_t n, A center) {
  constexpr int L = 8;
  A acc[L] = {};
  int64_t i = 0;
  for (; i + L <= n; i += L)
    for (int l = 0; l < L; ++l) {
      const A c = static_cast<A>(x[i + l]) - center;
      acc[l] += c * c;
    }
  A s = 0;
  for (; i < n; ++i) {
    const A c = static_cast<A>(x[i]) - center;
    s += c * c;
  }
  for (int l = 0; l < L; ++l) s += acc[l];
  return s;
}

}  // namespace tessera::cpu

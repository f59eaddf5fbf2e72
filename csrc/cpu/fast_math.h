#pragma once
// Row helpers for the softmax-family kernels, built on the vectorisable exp of vec_math.h.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "cpu/vec_math.h"

// Hot row functions get an AVX2 clone next to the baseline build, chosen at load time, unless
// the whole library is already built for the native ISA (TESSERA_NATIVE_ARCH).
#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__AVX2__)
#define TS_SIMD_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define TS_SIMD_CLONES
#endif

// The helpers below are force-inlined so that a TS_SIMD_CLONES caller compiles them for its target.
#define TS_INLINE inline __attribute__((always_inline))

namespace tessera::cpu {

// exp(x) for softmax arguments x - max <= 0 (float: the vectorisable polynomial of vec_math.h).
TS_INLINE float exp_nonpos(float x) { return vm::exp(x); }
TS_INLINE double exp_nonpos(double x) {
  return std::exp(x);
}

// max over n contiguous values (NaN handled by the exp pass that follows: it makes the row NaN).
template <class T>
TS_INLINE T row_max(const T* x, int64_t n) {
  constexpr int L = 8;
  T acc[L];
  for (int l = 0; l < L; ++l) acc[l] = -std::numeric_limits<T>::infinity();
  int64_t i = 0;
  for (; i + L <= n; i += L)
    for (int l = 0; l < L; ++l) acc[l] = x[i + l] > acc[l] ? x[i + l] : acc[l];
  T m = -std::numeric_limits<T>::infinity();
  for (int l = 0; l < L; ++l) m = acc[l] > m ? acc[l] : m;
  for (; i < n; ++i) m = x[i] > m ? x[i] : m;
  return m;
}

// y[i] = exp(x[i] - m) (when Store) and returns their sum, accumulated in 8 lanes.
template <bool Store, class T>
TS_INLINE T exp_sub_sum(const T* x, T* y, int64_t n, T m) {
  constexpr int L = 8;
  T acc[L] = {};
  int64_t i = 0;
  for (; i + L <= n; i += L)
    for (int l = 0; l < L; ++l) {
      const T e = exp_nonpos(x[i + l] - m);
      if constexpr (Store) y[i + l] = e;
      acc[l] += e;
    }
  T s = 0;
  for (; i < n; ++i) {
    const T e = exp_nonpos(x[i] - m);
    if constexpr (Store) y[i] = e;
    s += e;
  }
  for (int l = 0; l < L; ++l) s += acc[l];
  return s;
}

}  // namespace tessera::cpu

#pragma once
// Vectorisable exp and row helpers for the softmax-family kernels. std::exp is a scalar libm
// call the compiler cannot vectorise; exp_nonpos is branch-free (selects only) so loops over it
// become SIMD. Accuracy: Cephes expf polynomial, within 2 ulp of std::exp on [-87.3, 0].
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

// Hot row functions get an AVX2 clone next to the baseline build, chosen at load time (GCC/clang
// function multiversioning on x86-64 Linux); elsewhere they are plain functions.
#if defined(__x86_64__) && defined(__linux__) && (defined(__GNUC__) || defined(__clang__))
#define TS_SIMD_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define TS_SIMD_CLONES
#endif

// The helpers below are force-inlined so that a TS_SIMD_CLONES caller compiles them for its target.
#define TS_INLINE inline __attribute__((always_inline))

namespace tessera::cpu {

// exp(x) for x <= 0 (softmax arguments x - max). Below -87.3 the result is 0; NaN stays NaN.
TS_INLINE float exp_nonpos(float x) {
  constexpr float lo = -87.33654475f;
  float xc = x >= lo ? x : lo;  // NaN -> lo (keeps the int conversion defined)
  xc = xc <= 0.f ? xc : 0.f;
  // n = round(x / ln2) with the 1.5 * 2^23 trick (round to nearest, SIMD friendly).
  const float t = xc * 1.44269504088896341f + 12582912.0f;
  const float n = t - 12582912.0f;
  const float f = (xc - n * 0.693359375f) + n * 2.12194440e-4f;  // Cody-Waite: x - n ln2
  float p = 1.9875691500e-4f;
  p = p * f + 1.3981999507e-3f;
  p = p * f + 8.3334519073e-3f;
  p = p * f + 4.1665795894e-2f;
  p = p * f + 1.6666665459e-1f;
  p = p * f + 5.0000001201e-1f;
  const float y = p * f * f + f + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof(scale));
  float r = y * scale;
  r = x >= lo ? r : 0.f;
  r = x > 0.f ? std::numeric_limits<float>::infinity() : r;
  r = x == x ? r : x;
  return r;
}
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

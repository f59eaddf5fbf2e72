#pragma once
// Branch-free float32 math that the compiler can vectorise inside elementwise loops (libm calls
// stop vectorisation). Accuracy is within a few ulp of libm; double keeps using libm.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

// Always inlined: a call inside a loop body stops vectorisation, and big kernel functions make
// GCC stop inlining on its own.
#define TS_VM_INLINE static inline __attribute__((always_inline))

namespace tessera::cpu::vm {

// exp(x), Cephes' expf with the scaling split in two factors so that subnormal results are exact.
TS_VM_INLINE float exp(float x) {
  // min/max and copysign instead of ?: keep the body branch-free for every ISA level (with
  // SSE4.1+ GCC otherwise turns the selects into control flow and gives up vectorising).
  // NaN stays in xc (std::max/min return their first argument when unordered) and so in the
  // result, while the rounded exponent is clamped with the arguments swapped so that the int
  // conversion never sees NaN.
  const float xc = std::min(std::max(x, -104.0f), 89.0f);
  const float t = xc * 1.44269504088896341f;
  const int32_t n = static_cast<int32_t>(std::min(200.0f, std::max(-200.0f, t + std::copysign(0.5f, t))));
  const float fn = static_cast<float>(n);
  float r = xc - fn * 0.693359375f;
  r = r - fn * -2.12194440e-4f;
  const float r2 = r * r;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float y = p * r2 + r + 1.0f;
  const int32_t n1 = n >> 1, n2 = n - n1;
  const float s1 = std::bit_cast<float>(static_cast<uint32_t>(n1 + 127) << 23);
  const float s2 = std::bit_cast<float>(static_cast<uint32_t>(n2 + 127) << 23);
  // Below the smallest subnormal the scaled result would round up to it instead of 0.
  const float keep = x >= -103.97208f ? 1.0f : 0.0f;
  return keep * (y * s1 * s2);
}

TS_VM_INLINE double exp(double x) {
  return std::exp(x);
}

// tanh: odd polynomial near 0 (no cancellation), 1 - 2 / (exp(2|x|) + 1) elsewhere.
TS_VM_INLINE float tanh(float x) {
  const float ax = std::fabs(x);
  const float xs = std::min(std::max(x, -0.625f), 0.625f);  // NaN stays NaN
  const float z = xs * xs;
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  const float small = p * z * xs + xs;
  const float e = exp(2.0f * ax);
  const float big = std::copysign(1.0f - 2.0f / (e + 1.0f), x);
  // Blend by arithmetic (both terms finite or NaN together): a ?: here becomes control flow.
  const float w = ax < 0.625f ? 1.0f : 0.0f;
  return w * small + (1.0f - w) * big;
}
TS_VM_INLINE double tanh(double x) {
  return std::tanh(x);
}

// log(x), Cephes' logf: x = m * 2^e with m in [sqrt(1/2), sqrt(2)), polynomial in m - 1.
TS_VM_INLINE float log(float x) {
  const bool sub = x < 1.17549435e-38f;  // subnormals (and <= 0): scale into the normal range
  const float xs = sub ? x * 8388608.0f : x;
  const int32_t bits = std::bit_cast<int32_t>(xs);
  int32_t e = ((bits >> 23) & 0xff) - 126 - (sub ? 23 : 0);
  float m = std::bit_cast<float>((bits & 0x007fffff) | 0x3f000000);  // [0.5, 1)
  const bool small = m < 0.707106781186547524f;
  e -= small ? 1 : 0;
  m = small ? m + m - 1.0f : m - 1.0f;
  const float z = m * m;
  float p = 7.0376836292e-2f;
  p = p * m - 1.1514610310e-1f;
  p = p * m + 1.1676998740e-1f;
  p = p * m - 1.2420140846e-1f;
  p = p * m + 1.4249322787e-1f;
  p = p * m - 1.6668057665e-1f;
  p = p * m + 2.0000714765e-1f;
  p = p * m - 2.4999993993e-1f;
  p = p * m + 3.3333331174e-1f;
  const float fe = static_cast<float>(e);
  float y = p * m * z;
  y += fe * -2.12194440e-4f;
  y -= 0.5f * z;
  y = m + y + fe * 0.693359375f;
  const float inf = std::numeric_limits<float>::infinity();
  y = x == inf ? inf : y;
  y = x == 0.0f ? -inf : y;
  y = x < 0.0f ? std::numeric_limits<float>::quiet_NaN() : y;
  return x != x ? x : y;
}
TS_VM_INLINE double log(double x) {
  return std::log(x);
}

TS_VM_INLINE float sigmoid(float x) {
  return 1.0f / (1.0f + exp(-x));
}
TS_VM_INLINE double sigmoid(double x) {
  return 1.0 / (1.0 + std::exp(-x));
}

// Rounding without libm calls: values of magnitude >= 2^23 (and inf/NaN) are already integers.
// The int conversion sees 0 for large values (out-of-range conversions are undefined).
TS_VM_INLINE float int_part(float x) {
  return static_cast<float>(static_cast<int32_t>(std::min(std::max(x, -8388608.0f), 8388608.0f)));
}
TS_VM_INLINE float trunc(float x) {
  const float t = int_part(x);
  return std::fabs(x) < 8388608.0f ? std::copysign(t, x) : x;
}
TS_VM_INLINE float floor(float x) {
  const float t = int_part(x);
  const float f = t > x ? t - 1.0f : t;
  return std::fabs(x) < 8388608.0f ? std::copysign(f, x) : x;
}
TS_VM_INLINE float ceil(float x) {
  const float t = int_part(x);
  const float c = t < x ? t + 1.0f : t;
  return std::fabs(x) < 8388608.0f ? std::copysign(c, x) : x;
}
// Round half to even (the default rounding mode), as nearbyint.
TS_VM_INLINE float round_even(float x) {
  const float ax = std::fabs(x);
  const float r = (ax + 8388608.0f) - 8388608.0f;
  return ax < 8388608.0f ? std::copysign(r, x) : x;
}
TS_VM_INLINE double trunc(double x) {
  return std::trunc(x);
}
TS_VM_INLINE double floor(double x) {
  return std::floor(x);
}
TS_VM_INLINE double ceil(double x) {
  return std::ceil(x);
}
TS_VM_INLINE double round_even(double x) {
  return std::nearbyint(x);
}

// fmod exactly, fast: for |a/b| < 2^28 the quotient's integer part is exact in double and
// a - n*b is exact too; beyond that (and for inf/NaN/zero divisors) libm.
TS_VM_INLINE float fmod(float a, float b) {
  const double q = static_cast<double>(a) / static_cast<double>(b);
  if (std::fabs(q) < 268435456.0 && std::fabs(b) < std::numeric_limits<float>::infinity()) {
    const double n = static_cast<double>(static_cast<int64_t>(q));
    const double r = static_cast<double>(a) - n * static_cast<double>(b);
    return std::copysign(static_cast<float>(std::fabs(r)), a);
  }
  return std::fmod(a, b);
}
TS_VM_INLINE double fmod(double a, double b) {
  return std::fmod(a, b);
}

// erf for GELU: Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7), as PyTorch's vectorised float erf.
TS_VM_INLINE float erf_fast(float x) {
  const float ax = std::fabs(x);
  const float t = 1.0f / (1.0f + 0.3275911f * ax);
  float r = 1.061405429f;
  r = r * t - 1.453152027f;
  r = r * t + 1.421413741f;
  r = r * t - 0.284496736f;
  r = r * t + 0.254829592f;
  const float y = 1.0f - r * t * exp(-ax * ax);
  return std::copysign(y, x);
}
TS_VM_INLINE double erf_fast(double x) {
  return std::erf(x);
}

}  // namespace tessera::cpu::vm

#pragma once
// Branch-free float math that the compiler vectorises (std::exp and friends are opaque libm
// calls that keep a loop scalar). Cephes-style range reduction + minimax polynomials; within
// 2 ulp of libm over the float range, with IEEE special values (inf, nan, 0) preserved.
#include <bit>
#include <cstdint>
#include <limits>

namespace tessera::vec {

inline float exp(float x) {
  const float hi = 88.72283905206835f, lo = -103.97208f;
  float xc = x > hi ? hi : (x < lo ? lo : x);
  // n = round(x / ln 2); the magic constant rounds to nearest in the mantissa.
  float fn = xc * 1.44269504088896341f + 12582912.0f;
  int32_t n = std::bit_cast<int32_t>(fn) - 0x4B400000;
  fn -= 12582912.0f;
  float r = xc - fn * 0.693359375f;
  r = r - fn * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  float y = p * (r * r) + r + 1.0f;
  // 2^n in two halves so that results in the subnormal range come out right.
  int32_t n1 = n >> 1, n2 = n - n1;
  float s1 = std::bit_cast<float>((n1 + 127) << 23), s2 = std::bit_cast<float>((n2 + 127) << 23);
  y = y * s1 * s2;
  y = x > hi ? std::numeric_limits<float>::infinity() : y;
  y = x < lo ? 0.0f : y;
  return x != x ? x : y;
}

inline float log(float x) {
  // Subnormals: scale into the normal range first.
  bool sub = x < 1.17549435e-38f;
  float xs = sub ? x * 8388608.0f : x;
  int32_t bits = std::bit_cast<int32_t>(xs);
  int32_t e = ((bits >> 23) & 0xff) - 126 - (sub ? 23 : 0);
  float m = std::bit_cast<float>((bits & 0x007fffff) | 0x3f000000);  // [0.5, 1)
  bool small = m < 0.707106781186547524f;
  e -= small ? 1 : 0;
  m = small ? m + m - 1.0f : m - 1.0f;
  float z = m * m;
  float p = 7.0376836292e-2f;
  p = p * m - 1.1514610310e-1f;
  p = p * m + 1.1676998740e-1f;
  p = p * m - 1.2420140846e-1f;
  p = p * m + 1.4249322787e-1f;
  p = p * m - 1.6668057665e-1f;
  p = p * m + 2.0000714765e-1f;
  p = p * m - 2.4999993993e-1f;
  p = p * m + 3.3333331174e-1f;
  float fe = static_cast<float>(e);
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

inline float sigmoid(float x) { return 1.0f / (1.0f + exp(-x)); }

inline float tanh(float x) {
  float ax = x < 0 ? -x : x;
  // Small |x|: odd polynomial (no cancellation); otherwise 1 - 2 / (e^{2|x|} + 1).
  float z = x * x;
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  float small = x + x * z * p;
  float big = 1.0f - 2.0f / (exp(2.0f * ax) + 1.0f);
  big = x < 0 ? -big : big;
  float y = ax < 0.625f ? small : big;
  return x != x ? x : y;
}

}  // namespace tessera::vec

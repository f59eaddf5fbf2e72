// CPU random kernels. Each parallel chunk handles whole Philox counters, so element i gets the
// same values whatever the thread count (stream layout: core/generator.h).
#include <bit>
#include <cmath>
#include <cstring>
#include <numbers>
#include <type_traits>
#include <vector>

#include "core/dispatch_type.h"
#include "core/tensor.h"
#include "cpu/parallel.h"
#include "cpu/vec_math.h"
#include "ops/random_stubs.h"

namespace tessera {
namespace {

constexpr int64_t kCounterGrain = 4096;

// Calls f(values, first_element, count) for every counter; each counter serves 4 / vpe elements.
template <class F>
void for_each_counter(int64_t n, int64_t vpe, PhiloxState st, const F& f) {
  const int64_t epc = 4 / vpe;
  const int64_t ncounters = (n + epc - 1) / epc;
  const uint64_t base = st.offset / 4;
  parallel_for(0, ncounters, kCounterGrain, [&](int64_t lo, int64_t hi) {
    for (int64_t c = lo; c < hi; ++c) {
      const std::array<uint32_t, 4> r = philox4x32_10(st.seed, base + static_cast<uint64_t>(c));
      const int64_t e0 = c * epc;
      f(r.data(), e0, std::min(epc, n - e0));
    }
  });
}

template <class T>
constexpr bool is_reduced_v = std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>;
template <class T>
using acc_t = std::conditional_t<std::is_same_v<T, double>, double, float>;

// Uniform on [0, 1) with as many random bits as T's mantissa holds, so no value rounds up to 1.
template <class T>
inline acc_t<T> uniform01(const uint32_t* v) {
  if constexpr (std::is_same_v<T, double>) {
    return uniform_double(v[0], v[1]);
  } else if constexpr (std::is_same_v<T, Half>) {
    return static_cast<float>(v[0] >> 21) * 0x1p-11f;
  } else if constexpr (std::is_same_v<T, BFloat16>) {
    return static_cast<float>(v[0] >> 24) * 0x1p-8f;
  } else {
    return uniform_float(v[0]);
  }
}

// Uniform on (0, 1] for logarithms: full float/double resolution, never 0.
template <class T>
inline acc_t<T> uniform01_open(const uint32_t* v) {
  if constexpr (std::is_same_v<T, double>) {
    uint64_t x = ((static_cast<uint64_t>(v[1]) << 32) | v[0]) >> 11;
    return static_cast<double>(x + 1) * 0x1p-53;
  } else {
    return static_cast<float>((v[0] >> 8) + 1) * 0x1p-24f;
  }
}

template <class T>
inline T from_int(int64_t x) {
  if constexpr (is_reduced_v<T>) {
    return T(static_cast<float>(x));
  } else if constexpr (std::is_same_v<T, bool>) {
    return x != 0;
  } else {
    return static_cast<T>(x);
  }
}

template <class T>
void uniform_kernel(T* out, int64_t n, double a, double b, PhiloxState st) {
  using A = acc_t<T>;
  constexpr int64_t vpe = std::is_same_v<T, double> ? 2 : 1;
  const A lo = static_cast<A>(a), width = static_cast<A>(b - a), hi = static_cast<A>(b);
  for_each_counter(n, vpe, st, [&](const uint32_t* r, int64_t e0, int64_t cnt) {
    for (int64_t k = 0; k < cnt; ++k) {
      T v = T(lo + uniform01<T>(r + k * vpe) * width);
      if (static_cast<A>(v) >= hi && width > 0) v = T(lo);  // rounding reached `to`: keep [from, to)
      out[e0 + k] = v;
    }
  });
}

// Vectorisable float math for Box-Muller (libm calls would not vectorise): log from vec_math.h,
// and sin/cos of 2*pi*u for u in [0, 1) with exact range reduction on u.

// sqrt for x >= 0 without libm's errno path (which blocks vectorisation): bit-trick estimate
// and three Newton steps (relative error < 1e-7 after the third).
inline float fast_sqrtf(float x) {
  float y = std::bit_cast<float>(0x1fbd1df5u + (std::bit_cast<uint32_t>(x) >> 1));
  y = 0.5f * (y + x / y);
  y = 0.5f * (y + x / y);
  y = 0.5f * (y + x / y);
  const uint32_t xb = std::bit_cast<uint32_t>(x);
  const uint32_t positive = ((0u - xb) >> 31) & (~xb >> 31);  // 1 for x > 0, 0 for +0 and -0
  return y * static_cast<float>(static_cast<int32_t>(positive));
}

inline void sincos_2pi(float u, float& s, float& c) {
  const float q4 = u * 4.0f;                                            // exact
  const float k = static_cast<float>(static_cast<int32_t>(q4 + 0.5f));  // nearest quadrant 0..4
  const float a = (q4 - k) * 1.57079632679489662f;                      // [-pi/4, pi/4]
  const float z = a * a;
  const float sa = a + a * z * (-1.6666654611e-1f + z * (8.3321608736e-3f + z * -1.9515295891e-4f));
  const float ca =
      1.0f - 0.5f * z + z * z * (4.166664568298827e-2f + z * (-1.388731625493765e-3f + z * 2.443315711809948e-5f));
  // Rotate by the quadrant with bit operations (selects and sign flips), keeping the loop branch-free.
  const uint32_t quadrant = static_cast<uint32_t>(static_cast<int32_t>(k)) & 3u;
  const uint32_t swap = 0u - (quadrant & 1u);
  const uint32_t bs = std::bit_cast<uint32_t>(sa), bc = std::bit_cast<uint32_t>(ca);
  const uint32_t s0 = (bs & ~swap) | (bc & swap), c0 = (bc & ~swap) | (bs & swap);
  s = std::bit_cast<float>(s0 ^ ((quadrant & 2u) << 30));
  c = std::bit_cast<float>(c0 ^ (((quadrant + 1u) & 2u) << 30));
}

// Pairs of words -> pairs of normals, in one branch-free loop the compiler vectorises.
void box_muller_block(const uint32_t* __restrict words, float* __restrict vals, int64_t npairs, float m, float s) {
  for (int64_t p = 0; p < npairs; ++p) {
    // Through int32 (the values fit): signed conversions vectorise, unsigned ones don't.
    const float u1 = static_cast<float>(static_cast<int32_t>((words[2 * p] >> 8) + 1)) * 0x1p-24f;  // (0, 1]
    const float u2 = static_cast<float>(static_cast<int32_t>(words[2 * p + 1] >> 8)) * 0x1p-24f;    // [0, 1)
    const float radius = fast_sqrtf(-2.0f * cpu::vm::log(u1));
    float sn, cs;
    sincos_2pi(u2, sn, cs);
    vals[2 * p] = m + s * radius * cs;
    vals[2 * p + 1] = m + s * radius * sn;
  }
}

template <class T>
void normal_kernel(T* out, int64_t n, double mean, double std, PhiloxState st) {
  using A = acc_t<T>;
  const A m = static_cast<A>(mean), s = static_cast<A>(std);
  if constexpr (std::is_same_v<A, float>) {
    // Blocks of 64 counters: draw the words, then one branch-free loop over the pairs.
    constexpr int64_t kBlock = 64;
    const uint64_t base = st.offset / 4;
    const int64_t ncounters = (n + 3) / 4;
    parallel_for(0, (ncounters + kBlock - 1) / kBlock, std::max<int64_t>(1, kCounterGrain / kBlock),
                 [&](int64_t lo, int64_t hi) {
                   alignas(64) uint32_t words[kBlock * 4];
                   alignas(64) float vals[kBlock * 4];
                   for (int64_t b = lo; b < hi; ++b) {
                     const int64_t c0 = b * kBlock, c1 = std::min(ncounters, c0 + kBlock);
                     for (int64_t c = c0; c < c1; ++c) {
                       const std::array<uint32_t, 4> r = philox4x32_10(st.seed, base + static_cast<uint64_t>(c));
                       std::memcpy(words + (c - c0) * 4, r.data(), sizeof(r));
                     }
                     box_muller_block(words, vals, (c1 - c0) * 2, m, s);
                     const int64_t e0 = c0 * 4, cnt = std::min<int64_t>(n - e0, (c1 - c0) * 4);
                     for (int64_t k = 0; k < cnt; ++k) out[e0 + k] = T(vals[k]);
                   }
                 });
  } else {
    constexpr int64_t vpe = 2;
    constexpr double two_pi = 2 * std::numbers::pi;
    for_each_counter(n, vpe, st, [&](const uint32_t* r, int64_t e0, int64_t cnt) {
      const double radius = std::sqrt(-2.0 * std::log(uniform01_open<double>(r)));
      const double theta = two_pi * uniform01<double>(r + 2);
      out[e0] = m + s * radius * std::cos(theta);
      if (cnt > 1) out[e0 + 1] = m + s * radius * std::sin(theta);
    });
  }
}

template <class T>
void exponential_kernel(T* out, int64_t n, double lambd, PhiloxState st) {
  using A = acc_t<T>;
  constexpr int64_t vpe = std::is_same_v<T, double> ? 2 : 1;
  const A inv = static_cast<A>(1.0 / lambd);
  for_each_counter(n, vpe, st, [&](const uint32_t* r, int64_t e0, int64_t cnt) {
    for (int64_t k = 0; k < cnt; ++k) out[e0 + k] = T(-std::log(uniform01_open<T>(r + k * vpe)) * inv);
  });
}

template <class T>
void integer_kernel(T* out, int64_t n, int64_t low, uint64_t range, int64_t vpe, PhiloxState st) {
  const uint64_t ulow = static_cast<uint64_t>(low);
  for_each_counter(n, vpe, st, [&](const uint32_t* r, int64_t e0, int64_t cnt) {
    for (int64_t k = 0; k < cnt; ++k) {
      uint64_t v;
      if (vpe == 1) {
        v = (static_cast<uint64_t>(r[k]) * range) >> 32;  // multiply-shift: no division
      } else {
        uint64_t bits = (static_cast<uint64_t>(r[2 * k + 1]) << 32) | r[2 * k];
        v = range == 0 ? bits : bits % range;
      }
      out[e0 + k] = from_int<T>(static_cast<int64_t>(ulow + v));
    }
  });
}

// p is a probability per element (pp != nullptr) or one for all (p_all).
template <class T>
void bernoulli_kernel(T* out, int64_t n, const double* pp, double p_all, PhiloxState st) {
  const T one = from_int<T>(1), zero = from_int<T>(0);
  for_each_counter(n, 1, st, [&](const uint32_t* r, int64_t e0, int64_t cnt) {
    for (int64_t k = 0; k < cnt; ++k) {
      const double p = pp ? pp[e0 + k] : p_all;
      out[e0 + k] = static_cast<double>(r[k]) * 0x1p-32 < p ? one : zero;
    }
  });
}

void random_cpu(const Tensor& out, RandomKind kind, const RandomParams& p, PhiloxState st) {
  const int64_t n = out.numel();
  if (kind == RandomKind::Integer || kind == RandomKind::Bernoulli) {
    const int64_t vpe = random_values_per_element(kind, out.dtype(), p);
    TS_DISPATCH_ALL_TYPES(out.dtype(), "random_", [&] {
      if (kind == RandomKind::Integer) {
        integer_kernel(out.data<scalar_t>(), n, p.low, p.range, vpe, st);
      } else {
        bernoulli_kernel(out.data<scalar_t>(), n, nullptr, p.a, st);
      }
    });
    return;
  }
  TS_DISPATCH_FLOATING_TYPES(out.dtype(), "random", [&] {
    scalar_t* o = out.data<scalar_t>();
    switch (kind) {
      case RandomKind::Uniform:
        uniform_kernel(o, n, p.a, p.b, st);
        break;
      case RandomKind::Normal:
        normal_kernel(o, n, p.a, p.b, st);
        break;
      case RandomKind::Exponential:
        exponential_kernel(o, n, p.a, st);
        break;
      default:
        break;
    }
  });
}

void bernoulli_tensor_cpu(const Tensor& out, const Tensor& probs, PhiloxState st) {
  const int64_t n = out.numel();
  const double* pp = probs.data<double>();
  for (int64_t i = 0; i < n; ++i) {
    TS_CHECK(pp[i] >= 0.0 && pp[i] <= 1.0,
             "[bernoulli] Expected p_in >= 0 && p_in <= 1 for every probability, "
             "but got p=",
             pp[i], " at index ", i);
  }
  TS_DISPATCH_ALL_TYPES(out.dtype(), "bernoulli", [&] { bernoulli_kernel(out.data<scalar_t>(), n, pp, 0.0, st); });
}

// Fisher-Yates: value k of the stream picks the partner of position n - 1 - k.
void permute(int64_t* a, int64_t n, PhiloxState st) {
  for (int64_t i = 0; i < n; ++i) a[i] = i;
  const bool wide = static_cast<uint64_t>(n) > (uint64_t(1) << 32);
  const uint64_t base = st.offset / 4;
  std::array<uint32_t, 4> r{};
  uint64_t have = 0, word = 0;  // values used from the current counter; next value index
  auto next = [&]() -> uint32_t {
    if (have == 0) r = philox4x32_10(st.seed, base + word / 4);
    uint32_t v = r[word % 4];
    ++word;
    have = word % 4;
    return v;
  };
  for (int64_t i = n - 1; i >= 1; --i) {
    uint64_t bits = next();
    if (wide) bits |= static_cast<uint64_t>(next()) << 32;
    int64_t j = static_cast<int64_t>(bits % static_cast<uint64_t>(i + 1));
    std::swap(a[i], a[j]);
  }
}

void randperm_cpu(const Tensor& out, PhiloxState st) {
  const int64_t n = out.numel();
  if (out.dtype() == DType::Int64) {
    permute(out.data<int64_t>(), n, st);
    return;
  }
  std::vector<int64_t> tmp(static_cast<size_t>(n));
  permute(tmp.data(), n, st);
  TS_DISPATCH_NUMERIC_TYPES(out.dtype(), "randperm", [&] {
    scalar_t* o = out.data<scalar_t>();
    for (int64_t i = 0; i < n; ++i) o[i] = from_int<scalar_t>(tmp[i]);
  });
}

}  // namespace

TS_REGISTER_STUB(random_stub, CPU, &random_cpu);
TS_REGISTER_STUB(bernoulli_tensor_stub, CPU, &bernoulli_tensor_cpu);
TS_REGISTER_STUB(randperm_stub, CPU, &randperm_cpu);

}  // namespace tessera

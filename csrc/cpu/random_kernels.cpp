// CPU random kernels. Each parallel chunk handles whole Philox counters, so element i gets the
// same values whatever the thread count (stream layout: core/generator.h).
#include <cmath>
#include <numbers>
#include <type_traits>
#include <vector>

#include "core/dispatch_type.h"
#include "core/tensor.h"
#include "cpu/parallel.h"
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
    uint64_t x = ((static_cast<uint64_t>(v[1]) << 32) | v[0]) >> 11;
    return static_cast<double>(x) * 0x1p-53;
  } else if constexpr (std::is_same_v<T, Half>) {
    return static_cast<float>(v[0] >> 21) * 0x1p-11f;
  } else if constexpr (std::is_same_v<T, BFloat16>) {
    return static_cast<float>(v[0] >> 24) * 0x1p-8f;
  } else {
    return static_cast<float>(v[0] >> 8) * 0x1p-24f;
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

template <class T>
void normal_kernel(T* out, int64_t n, double mean, double std, PhiloxState st) {
  using A = acc_t<T>;
  constexpr int64_t vpe = std::is_same_v<T, double> ? 2 : 1;
  constexpr A two_pi = static_cast<A>(2 * std::numbers::pi);
  const A m = static_cast<A>(mean), s = static_cast<A>(std);
  for_each_counter(n, vpe, st, [&](const uint32_t* r, int64_t e0, int64_t cnt) {
    for (int64_t k = 0; k < cnt; k += 2) {
      const A radius = std::sqrt(A(-2) * std::log(uniform01_open<T>(r + k * vpe)));
      const A theta = two_pi * uniform01<A>(r + (k + 1) * vpe);  // full float/double resolution
      out[e0 + k] = T(m + s * radius * std::cos(theta));
      if (k + 1 < cnt) out[e0 + k + 1] = T(m + s * radius * std::sin(theta));
    }
  });
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
      uint64_t bits = vpe == 1 ? r[k] : ((static_cast<uint64_t>(r[2 * k + 1]) << 32) | r[2 * k]);
      uint64_t v = range == 0 ? bits : bits % range;
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
      case RandomKind::Uniform: uniform_kernel(o, n, p.a, p.b, st); break;
      case RandomKind::Normal: normal_kernel(o, n, p.a, p.b, st); break;
      case RandomKind::Exponential: exponential_kernel(o, n, p.a, st); break;
      default: break;
    }
  });
}

void bernoulli_tensor_cpu(const Tensor& out, const Tensor& probs, PhiloxState st) {
  const int64_t n = out.numel();
  const double* pp = probs.data<double>();
  for (int64_t i = 0; i < n; ++i) {
    TS_CHECK(pp[i] >= 0.0 && pp[i] <= 1.0, "[bernoulli] Expected p_in >= 0 && p_in <= 1 for every probability, "
             "but got p=", pp[i], " at index ", i);
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

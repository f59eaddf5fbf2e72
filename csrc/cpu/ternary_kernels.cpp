// CPU kernels of where, lerp, addcmul/addcdiv and clamp.
#include <cmath>
#include <type_traits>

#include "core/dispatch_type.h"
#include "cpu/loops.h"
#include "ops/ternary_stubs.h"

namespace tessera {
namespace {

template <class T>
using A = opmath_t<T>;

template <class T>
bool is_nan(T x) {
  if constexpr (std::is_floating_point_v<A<T>>) return A<T>(x) != A<T>(x);
  return false;
}

// out = op(x, y, z) with vectorisable loops when y and/or z are broadcast scalars (masked_fill,
// where(c, x, 0.), clamp(x, lo, hi) with numbers) besides the all-contiguous case.
template <class O, class X, class Y, class Z, class F>
void ternary_kernel(const TensorIterator& iter, const F& op) {
  iter.for_each([&](char** data, const int64_t* s, int64_t n) {
    O* __restrict out = reinterpret_cast<O*>(data[0]);
    const X* __restrict x = reinterpret_cast<const X*>(data[1]);
    const Y* __restrict y = reinterpret_cast<const Y*>(data[2]);
    const Z* __restrict z = reinterpret_cast<const Z*>(data[3]);
    if (s[0] == sizeof(O) && s[1] == sizeof(X)) {
      const bool yc = s[2] == sizeof(Y), zc = s[3] == sizeof(Z), ys = s[2] == 0, zs = s[3] == 0;
      if (yc && zc) {
        for (int64_t i = 0; i < n; ++i) out[i] = op(x[i], y[i], z[i]);
        return;
      }
      if (ys && zc) {
        const Y yv = *y;
        for (int64_t i = 0; i < n; ++i) out[i] = op(x[i], yv, z[i]);
        return;
      }
      if (yc && zs) {
        const Z zv = *z;
        for (int64_t i = 0; i < n; ++i) out[i] = op(x[i], y[i], zv);
        return;
      }
      if (ys && zs) {
        const Y yv = *y;
        const Z zv = *z;
        for (int64_t i = 0; i < n; ++i) out[i] = op(x[i], yv, zv);
        return;
      }
    }
    for (int64_t i = 0; i < n; ++i) {
      *reinterpret_cast<O*>(data[0] + i * s[0]) =
          op(*reinterpret_cast<const X*>(data[1] + i * s[1]), *reinterpret_cast<const Y*>(data[2] + i * s[2]),
             *reinterpret_cast<const Z*>(data[3] + i * s[3]));
    }
  });
}

template <class T>
void clamp_typed(const TensorIterator& iter, TernaryOp op) {
  // NaN in x or in a bound propagates, as PyTorch's clamp.
  using Acc = A<T>;
  switch (op) {
    case TernaryOp::Clamp:
      return ternary_kernel<T, T, T, T>(iter, [](T x, T lo, T hi) -> T {
        if constexpr (std::is_floating_point_v<Acc>) {
          const Acc v = x, l = lo, h = hi;
          if (v != v || l != l || h != h) return v + l + h;
          return std::min(std::max(v, l), h);
        } else {
          return std::min(std::max(x, lo), hi);
        }
      });
    case TernaryOp::ClampMin:
      return cpu_kernel(iter, [](T x, T lo) -> T {
        if constexpr (std::is_floating_point_v<Acc>) {
          const Acc v = x, l = lo;
          return (v != v || l != l) ? v + l : std::max(v, l);
        } else {
          return std::max(x, lo);
        }
      });
    default:  // ClampMax
      return cpu_kernel(iter, [](T x, T hi) -> T {
        if constexpr (std::is_floating_point_v<Acc>) {
          const Acc v = x, h = hi;
          return (v != v || h != h) ? v + h : std::min(v, h);
        } else {
          return std::min(x, hi);
        }
      });
  }
}

template <class T>
void lerp_typed(const TensorIterator& iter, const Scalar& value) {
  using Acc = A<T>;
  // PyTorch's formula: exact at both ends and stable for weights beyond 0.5.
  auto lerp = [](Acc s, Acc e, Acc w) -> Acc {
    const Acc d = e - s;
    return std::abs(w) < Acc(0.5) ? s + w * d : e - d * (Acc(1) - w);
  };
  if (iter.ntensors() == 3) {
    const Acc w = value.to<Acc>();
    return cpu_kernel(iter, [w, lerp](T s, T e) -> T { return lerp(s, e, w); });
  }
  cpu_kernel(iter, [lerp](T s, T e, T w) -> T { return lerp(s, e, w); });
}

template <class T>
void addcmul_typed(const TensorIterator& iter, const Scalar& value) {
  using Acc = A<T>;
  if constexpr (std::is_same_v<T, bool>) {
    const bool v = value.to_bool();
    cpu_kernel(iter, [v](bool s, bool a, bool b) -> bool { return s || (v && a && b); });
  } else {
    const Acc v = value.to<Acc>();
    cpu_kernel(iter,
               [v](T s, T a, T b) -> T { return static_cast<Acc>(s) + v * static_cast<Acc>(a) * static_cast<Acc>(b); });
  }
}

void ternary_cpu(const TensorIterator& iter, TernaryOp op, const Scalar& value) {
  const DType dt = iter.dtype(0);
  switch (op) {
    case TernaryOp::Where:
      return TS_DISPATCH_ALL_TYPES(dt, "where", [&] {
        ternary_kernel<scalar_t, bool, scalar_t, scalar_t>(
            iter, [](bool c, scalar_t a, scalar_t b) -> scalar_t { return c ? a : b; });
      });
    case TernaryOp::Lerp:
      return TS_DISPATCH_FLOATING_TYPES(dt, "lerp", [&] { lerp_typed<scalar_t>(iter, value); });
    case TernaryOp::Addcmul:
      return TS_DISPATCH_ALL_TYPES(dt, "addcmul", [&] { addcmul_typed<scalar_t>(iter, value); });
    case TernaryOp::Addcdiv:
      return TS_DISPATCH_FLOATING_TYPES(dt, "addcdiv", [&] {
        using Acc = A<scalar_t>;
        const Acc v = value.to<Acc>();
        cpu_kernel(iter, [v](scalar_t s, scalar_t a, scalar_t b) -> scalar_t {
          return static_cast<Acc>(s) + v * (static_cast<Acc>(a) / static_cast<Acc>(b));
        });
      });
    default:
      return TS_DISPATCH_ALL_TYPES(dt, "clamp", [&] { clamp_typed<scalar_t>(iter, op); });
  }
}

}  // namespace

TS_REGISTER_STUB(ternary_stub, CPU, &ternary_cpu);

}  // namespace tessera

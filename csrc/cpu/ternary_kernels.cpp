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

template <class T>
void clamp_typed(const TensorIterator& iter, TernaryOp op) {
  // NaN in x or in a bound propagates, as PyTorch's clamp.
  using Acc = A<T>;
  switch (op) {
    case TernaryOp::Clamp:
      return cpu_kernel(iter, [](T x, T lo, T hi) -> T {
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
    cpu_kernel(iter, [v](T s, T a, T b) -> T {
      return static_cast<Acc>(s) + v * static_cast<Acc>(a) * static_cast<Acc>(b);
    });
  }
}

void ternary_cpu(const TensorIterator& iter, TernaryOp op, const Scalar& value) {
  const DType dt = iter.dtype(0);
  switch (op) {
    case TernaryOp::Where:
      return TS_DISPATCH_ALL_TYPES(dt, "where", [&] {
        cpu_kernel(iter, [](bool c, scalar_t a, scalar_t b) -> scalar_t { return c ? a : b; });
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

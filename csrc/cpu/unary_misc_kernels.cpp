// CPU kernels of neg/abs/sign/rounding/bitwise_not (all dtypes), erfinv and nan_to_num; the
// registration of the unary stubs.
#include <cmath>
#include <limits>
#include <type_traits>

#include "core/dispatch_type.h"
#include "cpu/loops.h"
#include "cpu/unary_impl.h"
#include "cpu/vec_math.h"

namespace tessera {
namespace cpu {
namespace {

// PyTorch's calc_erfinv: a rational first guess refined by two Newton steps.
template <class A>
A erfinv_impl(A y) {
  constexpr A a[4] = {A(0.886226899), A(-1.645349621), A(0.914624893), A(-0.140543331)};
  constexpr A b[4] = {A(-2.118377725), A(1.442710462), A(-0.329097515), A(0.012229801)};
  constexpr A c[4] = {A(-1.970840454), A(-1.624906493), A(3.429567803), A(1.641345311)};
  constexpr A d[2] = {A(3.543889200), A(1.637067800)};
  const A y_abs = std::abs(y);
  if (y_abs > A(1)) return std::numeric_limits<A>::quiet_NaN();
  if (y_abs == A(1)) return std::copysign(std::numeric_limits<A>::infinity(), y);
  A x;
  if (y_abs <= A(0.7)) {
    const A z = y * y;
    const A num = ((a[3] * z + a[2]) * z + a[1]) * z + a[0];
    const A dem = (((b[3] * z + b[2]) * z + b[1]) * z + b[0]) * z + A(1);
    x = y * num / dem;
  } else {
    const A z = std::sqrt(-std::log((A(1) - y_abs) / A(2)));
    const A num = ((c[3] * z + c[2]) * z + c[1]) * z + c[0];
    const A dem = (d[1] * z + d[0]) * z + A(1);
    x = std::copysign(num, y) / dem;
  }
  const A k = A(2) / std::sqrt(A(M_PI));
  x = x - (std::erf(x) - y) / (k * std::exp(-x * x));
  x = x - (std::erf(x) - y) / (k * std::exp(-x * x));
  return x;
}

template <class T>
void float_misc(const TensorIterator& iter, UnaryOp op, int64_t decimals) {
  using A = opmath_t<T>;
  switch (op) {
    case UnaryOp::Neg:
      return cpu_kernel(iter, [](T x) -> T { return -A(x); });
    case UnaryOp::Abs:
      return cpu_kernel(iter, [](T x) -> T { return std::abs(A(x)); });
    case UnaryOp::Sign:
      return cpu_kernel(iter, [](T x) -> T { return A((A(0) < A(x)) - (A(x) < A(0))); });
    case UnaryOp::Floor:
      return cpu_kernel(iter, [](T x) -> T { return vm::floor(A(x)); });
    case UnaryOp::Ceil:
      return cpu_kernel(iter, [](T x) -> T { return vm::ceil(A(x)); });
    case UnaryOp::Trunc:
      return cpu_kernel(iter, [](T x) -> T { return vm::trunc(A(x)); });
    case UnaryOp::Round: {
      if (decimals == 0) return cpu_kernel(iter, [](T x) -> T { return vm::round_even(A(x)); });
      // As PyTorch: scale by 10^|decimals| in opmath, round half to even, scale back.
      const bool neg = decimals < 0;
      const A ten_pow = static_cast<A>(std::pow(A(10), static_cast<A>(neg ? -decimals : decimals)));
      if (neg) return cpu_kernel(iter, [ten_pow](T x) -> T { return vm::round_even(A(x) / ten_pow) * ten_pow; });
      return cpu_kernel(iter, [ten_pow](T x) -> T { return vm::round_even(A(x) * ten_pow) / ten_pow; });
    }
    case UnaryOp::Erfinv:
      return cpu_kernel(iter, [](T x) -> T { return erfinv_impl<A>(A(x)); });
    default:
      break;
  }
  TS_FAIL(Runtime, "[unary] internal error: unexpected op in unary_float_misc_kernel");
}

template <class T>
T wrap_neg(T a) {
  if constexpr (std::is_same_v<T, bool>) {
    return a;
  } else {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(0) - static_cast<U>(a));
  }
}

template <class T>
void integral_misc(const TensorIterator& iter, UnaryOp op) {
  switch (op) {
    case UnaryOp::Neg:
      return cpu_kernel(iter, [](T x) -> T { return wrap_neg(x); });
    case UnaryOp::Abs:
      if constexpr (std::is_signed_v<T>)
        return cpu_kernel(iter, [](T x) -> T { return x < 0 ? wrap_neg(x) : x; });
      else
        return cpu_kernel(iter, [](T x) -> T { return x; });
    case UnaryOp::Sign:
      if constexpr (std::is_same_v<T, bool>)
        return cpu_kernel(iter, [](T x) -> T { return x; });
      else
        return cpu_kernel(iter, [](T x) -> T { return static_cast<T>((T(0) < x) - (x < T(0))); });
    case UnaryOp::Floor:
    case UnaryOp::Ceil:
    case UnaryOp::Trunc:
    case UnaryOp::Round:
      return cpu_kernel(iter, [](T x) -> T { return x; });
    case UnaryOp::BitwiseNot:
      if constexpr (std::is_same_v<T, bool>)
        return cpu_kernel(iter, [](T x) -> T { return !x; });
      else
        return cpu_kernel(iter, [](T x) -> T { return static_cast<T>(~x); });
    default:
      break;
  }
  TS_FAIL(Runtime, "[unary] internal error: unexpected op in unary_integral_kernel");
}

}  // namespace

void unary_float_misc_kernel(const TensorIterator& iter, UnaryOp op, int64_t arg) {
  TS_DISPATCH_FLOATING_TYPES(iter.dtype(0), "unary", [&] { float_misc<scalar_t>(iter, op, arg); });
}
void unary_integral_kernel(const TensorIterator& iter, UnaryOp op) {
  TS_DISPATCH_INTEGRAL_TYPES(iter.dtype(0), "unary", [&] { integral_misc<scalar_t>(iter, op); });
}

}  // namespace cpu

namespace {

void unary_cpu(const TensorIterator& iter, UnaryOp op, int64_t arg) {
  if (!is_floating(iter.dtype(0))) return cpu::unary_integral_kernel(iter, op);
  switch (op) {
    case UnaryOp::Neg:
    case UnaryOp::Abs:
    case UnaryOp::Sign:
    case UnaryOp::Floor:
    case UnaryOp::Ceil:
    case UnaryOp::Trunc:
    case UnaryOp::Round:
    case UnaryOp::Erfinv:
      return cpu::unary_float_misc_kernel(iter, op, arg);
    default:
      return cpu::unary_transcendental_kernel(iter, op);
  }
}

void nan_to_num_cpu(const TensorIterator& iter, double nan, std::optional<double> posinf,
                    std::optional<double> neginf) {
  TS_DISPATCH_FLOATING_TYPES(iter.dtype(0), "nan_to_num", [&] {
    using A = opmath_t<scalar_t>;
    // The largest finite value of the storage type (65504 for half), not of the compute type.
    const double big = std::is_same_v<scalar_t, Half>       ? 65504.0
                       : std::is_same_v<scalar_t, BFloat16> ? 3.3895313892515355e38
                                                            : static_cast<double>(std::numeric_limits<A>::max());
    const A n = static_cast<A>(nan), p = static_cast<A>(posinf.value_or(big)),
            m = static_cast<A>(neginf.value_or(-big));
    cpu_kernel(iter, [n, p, m](scalar_t in) -> scalar_t {
      const A x = in;
      return x != x                                     ? n
             : x == std::numeric_limits<A>::infinity()  ? p
             : x == -std::numeric_limits<A>::infinity() ? m
                                                        : x;
    });
  });
}

}  // namespace

TS_REGISTER_STUB(unary_stub, CPU, &unary_cpu);
TS_REGISTER_STUB(nan_to_num_stub, CPU, &nan_to_num_cpu);

}  // namespace tessera

// CUDA kernels of the unary stub (neg .. erfinv) and nan_to_num, with the CPU kernels' semantics
// (csrc/cpu/unary_*_kernels.cpp): integer neg/abs wrap, round is half-to-even, 16-bit floats
// compute in float.
#include "cuda/kernels/ew/elementwise.cuh"
#include "cuda/kernels/ew/ew_launch.h"

namespace tessera::cuda {
namespace ew_unary {

template <class T>
void floating(const EwArgs& a, UnaryOp op, int64_t decimals, cudaStream_t s) {
  using A = typename OpMathDevice<T>::type;
#define TS_UNARY_CASE(Op, expr) \
  case UnaryOp::Op:             \
    return ew::launch<T, T>(a, s, [] __device__(A x) -> A { return expr; });
  switch (op) {
    TS_UNARY_CASE(Neg, -x)
    TS_UNARY_CASE(Abs, fabs(x))
    TS_UNARY_CASE(Sign, A((A(0) < x) - (x < A(0))))
    TS_UNARY_CASE(Floor, floor(x))
    TS_UNARY_CASE(Ceil, ceil(x))
    TS_UNARY_CASE(Trunc, trunc(x))
    TS_UNARY_CASE(Reciprocal, A(1) / x)
    TS_UNARY_CASE(Sqrt, sqrt(x))
    TS_UNARY_CASE(Rsqrt, rsqrt(x))
    TS_UNARY_CASE(Exp, exp(x))
    TS_UNARY_CASE(Exp2, exp2(x))
    TS_UNARY_CASE(Expm1, expm1(x))
    TS_UNARY_CASE(Log, log(x))
    TS_UNARY_CASE(Log2, log2(x))
    TS_UNARY_CASE(Log10, log10(x))
    TS_UNARY_CASE(Log1p, log1p(x))
    TS_UNARY_CASE(Sin, sin(x))
    TS_UNARY_CASE(Cos, cos(x))
    TS_UNARY_CASE(Tan, tan(x))
    TS_UNARY_CASE(Tanh, tanh(x))
    TS_UNARY_CASE(Sigmoid, A(1) / (A(1) + exp(-x)))
    TS_UNARY_CASE(Erf, erf(x))
    TS_UNARY_CASE(Erfinv, erfinv(x))
    case UnaryOp::Round: {
      if (decimals == 0) return ew::launch<T, T>(a, s, [] __device__(A x) -> A { return rint(x); });
      // As PyTorch: scale by 10^|decimals| in opmath, round half to even, scale back.
      const bool neg = decimals < 0;
      const A ten_pow = static_cast<A>(std::pow(A(10), static_cast<A>(neg ? -decimals : decimals)));
      if (neg) return ew::launch<T, T>(a, s, [ten_pow] __device__(A x) -> A { return rint(x / ten_pow) * ten_pow; });
      return ew::launch<T, T>(a, s, [ten_pow] __device__(A x) -> A { return rint(x * ten_pow) / ten_pow; });
    }
    default:
      return;
  }
#undef TS_UNARY_CASE
}

template <class T>
__device__ __forceinline__ T wrap_neg(T x) {
  if constexpr (std::is_same_v<T, bool>) {
    return x;
  } else {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(0) - static_cast<U>(x));
  }
}

template <class T>
void integral(const EwArgs& a, UnaryOp op, cudaStream_t s) {
  switch (op) {
    case UnaryOp::Neg:
      return ew::launch<T, T>(a, s, [] __device__(T x) -> T { return wrap_neg(x); });
    case UnaryOp::Abs:
      if constexpr (std::is_signed_v<T>)
        return ew::launch<T, T>(a, s, [] __device__(T x) -> T { return x < 0 ? wrap_neg(x) : x; });
      return ew::launch<T, T>(a, s, [] __device__(T x) -> T { return x; });
    case UnaryOp::Sign:
      if constexpr (std::is_same_v<T, bool>) {
        return ew::launch<T, T>(a, s, [] __device__(T x) -> T { return x; });
      } else if constexpr (std::is_unsigned_v<T>) {
        return ew::launch<T, T>(a, s, [] __device__(T x) -> T { return x != 0; });
      } else {
        return ew::launch<T, T>(a, s, [] __device__(T x) -> T { return static_cast<T>((T(0) < x) - (x < T(0))); });
      }
    case UnaryOp::BitwiseNot:
      if constexpr (std::is_same_v<T, bool>) return ew::launch<T, T>(a, s, [] __device__(T x) -> T { return !x; });
      return ew::launch<T, T>(a, s, [] __device__(T x) -> T { return static_cast<T>(~x); });
    default:  // floor, ceil, trunc, round of integers: the identity
      return ew::launch<T, T>(a, s, [] __device__(T x) -> T { return x; });
  }
}

}  // namespace ew_unary

void launch_unary(const EwArgs& a, DType dtype, UnaryOp op, int64_t arg, cudaStream_t stream) {
  if (is_floating(dtype)) {
    TS_CUDA_DISPATCH_FLOATING_TYPES(dtype, [&] { ew_unary::floating<scalar_t>(a, op, arg, stream); });
  } else if (dtype == DType::Bool) {
    ew_unary::integral<bool>(a, op, stream);
  } else {
    TS_CUDA_DISPATCH_INTEGER_TYPES(dtype, [&] { ew_unary::integral<scalar_t>(a, op, stream); });
  }
}

void launch_nan_to_num(const EwArgs& a, DType dtype, double nan, double posinf, double neginf, cudaStream_t stream) {
  TS_CUDA_DISPATCH_FLOATING_TYPES(dtype, [&] {
    using A = typename OpMathDevice<scalar_t>::type;
    const A n = static_cast<A>(nan), p = static_cast<A>(posinf), m = static_cast<A>(neginf);
    ew::launch<scalar_t, scalar_t>(a, stream, [n, p, m] __device__(A x) -> A {
      return x != x ? n : isinf(x) ? (x > A(0) ? p : m) : x;
    });
  });
}

}  // namespace tessera::cuda

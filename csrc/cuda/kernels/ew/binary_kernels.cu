// CUDA kernels of add/sub (alpha), mul, div, pow, atan2, minimum/maximum and the bitwise ops,
// with the CPU kernels' semantics (csrc/cpu/binary_kernels.cpp, bitwise_kernels.cpp).
#include "cuda/kernels/ew/elementwise.cuh"
#include "cuda/kernels/ew/ew_launch.h"
#include "ops/int_pow.h"

namespace tessera::cuda {
namespace ew_binary {

template <class T>
void add(const EwArgs& a, const ScalarArg& alpha, cudaStream_t s) {
  using A = typename OpMathDevice<T>::type;
  if constexpr (std::is_same_v<T, bool>) {
    const bool al = alpha.b;
    return ew::launch<T, T, T>(a, s, [al] __device__(bool x, bool y) -> bool { return x || (al && y); });
  } else {
    const A al = std::is_floating_point_v<A> ? static_cast<A>(alpha.d) : static_cast<A>(alpha.i);
    if (al == A(1)) return ew::launch<T, T, T>(a, s, [] __device__(A x, A y) -> A { return x + y; });
    if constexpr (std::is_signed_v<A>)
      if (al == A(-1)) return ew::launch<T, T, T>(a, s, [] __device__(A x, A y) -> A { return x - y; });
    ew::launch<T, T, T>(a, s, [al] __device__(A x, A y) -> A { return x + al * y; });
  }
}

template <class T>
__device__ __forceinline__ T wrap_neg(T x) {
  using U = std::make_unsigned_t<T>;
  return static_cast<T>(static_cast<U>(0) - static_cast<U>(x));
}

// Rounds an intermediate to the storage type (PyTorch computes rounding divisions of Half and
// BFloat16 with their own operators, which round after every step).
template <class T, class A>
__device__ __forceinline__ A rnd(A v) {
  if constexpr (std::is_same_v<T, A>)
    return v;
  else
    return to_opmath(convert_value<T>(v));
}

template <class T>
void floating(const EwArgs& a, BinaryOp op, cudaStream_t s) {
  using A = typename OpMathDevice<T>::type;
  switch (op) {
    case BinaryOp::Mul:
      return ew::launch<T, T, T>(a, s, [] __device__(A x, A y) -> A { return x * y; });
    case BinaryOp::Div:
      return ew::launch<T, T, T>(a, s, [] __device__(A x, A y) -> A { return x / y; });
    case BinaryOp::Atan2:
      return ew::launch<T, T, T>(a, s, [] __device__(A x, A y) -> A { return atan2(x, y); });
    case BinaryOp::Pow:
      return ew::launch<T, T, T>(a, s, [] __device__(A x, A y) -> A { return pow(x, y); });
    case BinaryOp::Minimum:
      return ew::launch<T, T, T>(a, s,
                                 [] __device__(A x, A y) -> A { return (x != x || y != y) ? x + y : (x < y ? x : y); });
    case BinaryOp::Maximum:
      return ew::launch<T, T, T>(a, s,
                                 [] __device__(A x, A y) -> A { return (x != x || y != y) ? x + y : (x > y ? x : y); });
    case BinaryOp::DivTrunc:
      return ew::launch<T, T, T>(a, s, [] __device__(A x, A y) -> A { return trunc(rnd<T>(x / y)); });
    case BinaryOp::DivFloor:
      // PyTorch's div_floor_floating: Python's floor division, exact near integer boundaries.
      return ew::launch<T, T, T>(a, s, [] __device__(A x, A y) -> A {
        if (y == 0) return x / y;
        const A mod = rnd<T>(fmod(x, y));
        A div = rnd<T>(rnd<T>(x - mod) / y);
        if (mod != 0 && (y < 0) != (mod < 0)) div = rnd<T>(div - A(1));
        A floordiv;
        if (div != 0) {
          floordiv = floor(div);
          if (rnd<T>(div - floordiv) > A(0.5)) floordiv = rnd<T>(floordiv + A(1));
        } else {
          floordiv = copysign(A(0), x / y);
        }
        return floordiv;
      });
    case BinaryOp::Remainder:
      return ew::launch<T, T, T>(a, s, [] __device__(A x, A y) -> A {
        A mod = fmod(x, y);
        if (mod != 0 && (y < 0) != (mod < 0)) mod += y;
        return mod;
      });
    case BinaryOp::Fmod:
      return ew::launch<T, T, T>(a, s, [] __device__(A x, A y) -> A { return fmod(x, y); });
    default:
      return;
  }
}

// Integer division by zero gives 0 here: the CPU raises, but a GPU kernel cannot without a sync
// (PyTorch's CUDA kernels do not raise either). INT_MIN / -1 wraps as on the CPU.
template <class T>
void integral(const EwArgs& a, BinaryOp op, cudaStream_t s) {
  constexpr bool kSigned = std::is_signed_v<T>;
  switch (op) {
    case BinaryOp::Mul:
      return ew::launch<T, T, T>(a, s, [] __device__(T x, T y) -> T { return static_cast<T>(x * y); });
    case BinaryOp::Pow:
      return ew::launch<T, T, T>(a, s, [] __device__(T x, T y) -> T { return int_pow(x, y); });
    case BinaryOp::Minimum:
      return ew::launch<T, T, T>(a, s, [] __device__(T x, T y) -> T { return x < y ? x : y; });
    case BinaryOp::Maximum:
      return ew::launch<T, T, T>(a, s, [] __device__(T x, T y) -> T { return x > y ? x : y; });
    case BinaryOp::DivTrunc:
      return ew::launch<T, T, T>(a, s, [] __device__(T x, T y) -> T {
        if (y == 0) return T(0);
        if constexpr (kSigned)
          if (y == T(-1)) return wrap_neg(x);
        return static_cast<T>(x / y);
      });
    case BinaryOp::DivFloor:
      return ew::launch<T, T, T>(a, s, [] __device__(T x, T y) -> T {
        if (y == 0) return T(0);
        if constexpr (kSigned) {
          if (y == T(-1)) return wrap_neg(x);
          const T q = static_cast<T>(x / y), r = static_cast<T>(x % y);
          return (r != 0 && ((r < 0) != (y < 0))) ? static_cast<T>(q - 1) : q;
        } else {
          return static_cast<T>(x / y);
        }
      });
    case BinaryOp::Remainder:
      return ew::launch<T, T, T>(a, s, [] __device__(T x, T y) -> T {
        if (y == 0) return T(0);
        if constexpr (kSigned) {
          if (y == T(-1)) return T(0);
          const T r = static_cast<T>(x % y);
          return (r != 0 && ((r < 0) != (y < 0))) ? static_cast<T>(r + y) : r;
        } else {
          return static_cast<T>(x % y);
        }
      });
    case BinaryOp::Fmod:
      return ew::launch<T, T, T>(a, s, [] __device__(T x, T y) -> T {
        if (y == 0) return T(0);
        if constexpr (kSigned)
          if (y == T(-1)) return T(0);
        return static_cast<T>(x % y);
      });
    case BinaryOp::BitAnd:
      return ew::launch<T, T, T>(a, s, [] __device__(T x, T y) -> T { return x & y; });
    case BinaryOp::BitOr:
      return ew::launch<T, T, T>(a, s, [] __device__(T x, T y) -> T { return x | y; });
    case BinaryOp::BitXor:
      return ew::launch<T, T, T>(a, s, [] __device__(T x, T y) -> T { return x ^ y; });
    case BinaryOp::LShift:
      // As PyTorch: shifts by a negative amount or by >= the bit width give 0 (or the sign for >>).
      return ew::launch<T, T, T>(a, s, [] __device__(T x, T y) -> T {
        using U = std::make_unsigned_t<T>;
        if ((kSigned && y < 0) || y >= static_cast<T>(sizeof(T) * 8)) return 0;
        return static_cast<T>(static_cast<U>(x) << y);
      });
    case BinaryOp::RShift:
      return ew::launch<T, T, T>(a, s, [] __device__(T x, T y) -> T {
        if ((kSigned && y < 0) || y >= static_cast<T>(sizeof(T) * 8)) {
          if constexpr (kSigned) return x < 0 ? T(-1) : T(0);
          return T(0);
        }
        return static_cast<T>(x >> y);
      });
    default:
      return;
  }
}

void boolean(const EwArgs& a, BinaryOp op, cudaStream_t s) {
  switch (op) {
    case BinaryOp::Mul:
    case BinaryOp::BitAnd:
    case BinaryOp::Minimum:
      return ew::launch<bool, bool, bool>(a, s, [] __device__(bool x, bool y) -> bool { return x && y; });
    case BinaryOp::BitOr:
    case BinaryOp::Maximum:
      return ew::launch<bool, bool, bool>(a, s, [] __device__(bool x, bool y) -> bool { return x || y; });
    case BinaryOp::BitXor:
      return ew::launch<bool, bool, bool>(a, s, [] __device__(bool x, bool y) -> bool { return x != y; });
    default:
      TS_FAIL(NotImplemented, "[", binary_op_name(op), "] not implemented for dtype Bool");
  }
}

}  // namespace ew_binary

void launch_add(const EwArgs& a, DType dtype, const ScalarArg& alpha, cudaStream_t stream) {
  TS_CUDA_DISPATCH_ALL_TYPES(dtype, [&] { ew_binary::add<scalar_t>(a, alpha, stream); });
}

void launch_binary(const EwArgs& a, DType dtype, BinaryOp op, cudaStream_t stream) {
  if (is_floating(dtype)) {
    TS_CUDA_DISPATCH_FLOATING_TYPES(dtype, [&] { ew_binary::floating<scalar_t>(a, op, stream); });
  } else if (dtype == DType::Bool) {
    ew_binary::boolean(a, op, stream);
  } else {
    TS_CUDA_DISPATCH_INTEGER_TYPES(dtype, [&] { ew_binary::integral<scalar_t>(a, op, stream); });
  }
}

}  // namespace tessera::cuda

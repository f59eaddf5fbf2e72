// CPU kernels of rounding division, remainder and fmod. Integer division by zero raises
// (PyTorch: RuntimeError "ZeroDivisionError") instead of trapping; INT_MIN / -1 wraps.
#include <atomic>
#include <cmath>
#include <type_traits>

#include "core/dispatch_type.h"
#include "cpu/binary_impl.h"
#include "cpu/loops.h"
#include "cpu/vec_math.h"

namespace tessera::cpu {
namespace {

template <class T>
T wrap_neg(T a) {
  using U = std::make_unsigned_t<T>;
  return static_cast<T>(static_cast<U>(0) - static_cast<U>(a));
}

template <class T>
void int_div_kernel(const TensorIterator& iter, BinaryOp op, std::atomic<bool>& zero) {
  auto flag = [&zero]() { zero.store(true, std::memory_order_relaxed); };
  switch (op) {
    case BinaryOp::DivTrunc:
      cpu_kernel(iter, [flag](T a, T b) -> T {
        if (b == 0) return flag(), T(0);
        if constexpr (std::is_signed_v<T>)
          if (b == T(-1)) return wrap_neg(a);
        return static_cast<T>(a / b);
      });
      return;
    case BinaryOp::DivFloor:
      cpu_kernel(iter, [flag](T a, T b) -> T {
        if (b == 0) return flag(), T(0);
        if constexpr (std::is_signed_v<T>) {
          if (b == T(-1)) return wrap_neg(a);
          T q = static_cast<T>(a / b), r = static_cast<T>(a % b);
          return (r != 0 && ((r < 0) != (b < 0))) ? static_cast<T>(q - 1) : q;
        } else {
          return static_cast<T>(a / b);
        }
      });
      return;
    case BinaryOp::Remainder:
      cpu_kernel(iter, [flag](T a, T b) -> T {
        if (b == 0) return flag(), T(0);
        if constexpr (std::is_signed_v<T>) {
          if (b == T(-1)) return T(0);
          T r = static_cast<T>(a % b);
          return (r != 0 && ((r < 0) != (b < 0))) ? static_cast<T>(r + b) : r;
        } else {
          return static_cast<T>(a % b);
        }
      });
      return;
    case BinaryOp::Fmod:
      cpu_kernel(iter, [flag](T a, T b) -> T {
        if (b == 0) return flag(), T(0);
        if constexpr (std::is_signed_v<T>)
          if (b == T(-1)) return T(0);
        return static_cast<T>(a % b);
      });
      return;
    default:
      return;
  }
}

// Rounds an intermediate to the storage type: PyTorch computes rounding divisions of Half and
// BFloat16 with their own operators, which round after every step; matching that keeps results
// identical at integer boundaries.
template <class T, class A>
A rnd(A v) {
  if constexpr (std::is_same_v<T, A>)
    return v;
  else
    return static_cast<A>(static_cast<T>(v));
}

template <class T>
void float_div_kernel(const TensorIterator& iter, BinaryOp op) {
  using acc_t = opmath_t<T>;
  switch (op) {
    case BinaryOp::DivTrunc:
      cpu_kernel(iter, [](T x, T y) -> T { return vm::trunc(rnd<T>(acc_t(x) / acc_t(y))); });
      return;
    case BinaryOp::DivFloor:
      // PyTorch's div_floor_floating: Python's floor division, exact near integer boundaries.
      cpu_kernel(iter, [](T x, T y) -> T {
        acc_t a = x, b = y;
        if (b == 0) return a / b;
        acc_t mod = rnd<T>(vm::fmod(a, b));
        acc_t div = rnd<T>(rnd<T>(a - mod) / b);
        if (mod != 0 && (b < 0) != (mod < 0)) div = rnd<T>(div - acc_t(1));
        acc_t floordiv;
        if (div != 0) {
          floordiv = vm::floor(div);
          if (rnd<T>(div - floordiv) > acc_t(0.5)) floordiv = rnd<T>(floordiv + acc_t(1));
        } else {
          floordiv = std::copysign(acc_t(0), a / b);
        }
        return floordiv;
      });
      return;
    case BinaryOp::Remainder:
      cpu_kernel(iter, [](T x, T y) -> T {
        acc_t a = x, b = y;
        acc_t mod = vm::fmod(a, b);
        if (mod != 0 && (b < 0) != (mod < 0)) mod += b;
        return mod;
      });
      return;
    case BinaryOp::Fmod:
      cpu_kernel(iter, [](T x, T y) -> T { return vm::fmod(acc_t(x), acc_t(y)); });
      return;
    default:
      return;
  }
}

}  // namespace

void binary_intdiv_kernel(const TensorIterator& iter, BinaryOp op) {
  const DType dt = iter.dtype(0);
  if (is_floating(dt)) {
    TS_DISPATCH_FLOATING_TYPES(dt, binary_op_name(op), [&] { float_div_kernel<scalar_t>(iter, op); });
    return;
  }
  std::atomic<bool> zero{false};
  switch (dt) {
    case DType::UInt8:
      int_div_kernel<uint8_t>(iter, op, zero);
      break;
    case DType::Int8:
      int_div_kernel<int8_t>(iter, op, zero);
      break;
    case DType::Int16:
      int_div_kernel<int16_t>(iter, op, zero);
      break;
    case DType::Int32:
      int_div_kernel<int32_t>(iter, op, zero);
      break;
    case DType::Int64:
      int_div_kernel<int64_t>(iter, op, zero);
      break;
    default:
      TS_FAIL(NotImplemented, "[", binary_op_name(op), "] not implemented for dtype ", dtype_name(dt));
  }
  TS_CHECK(!zero.load(), "[", binary_op_name(op), "] ZeroDivisionError");
}

}  // namespace tessera::cpu

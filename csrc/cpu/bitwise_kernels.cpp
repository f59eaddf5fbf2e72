// CPU kernels of bitwise and/or/xor and shifts (integers; and/or/xor also bool).
#include <type_traits>

#include "core/dispatch_type.h"
#include "cpu/binary_impl.h"
#include "cpu/loops.h"

namespace tessera::cpu {
namespace {

template <class T>
void shift_kernel(const TensorIterator& iter, bool left) {
  constexpr T bits = static_cast<T>(sizeof(T) * 8);
  using U = std::make_unsigned_t<T>;
  // As PyTorch: shifts by a negative amount or by >= the bit width give 0 (or the sign for >>).
  if (left) {
    cpu_kernel(iter, [](T a, T b) -> T {
      if ((std::is_signed_v<T> && b < 0) || b >= bits) return 0;
      return static_cast<T>(static_cast<U>(a) << b);
    });
  } else {
    cpu_kernel(iter, [](T a, T b) -> T {
      if ((std::is_signed_v<T> && b < 0) || b >= bits) {
        if constexpr (std::is_signed_v<T>) return a < 0 ? T(-1) : T(0);
        return T(0);
      }
      return static_cast<T>(a >> b);
    });
  }
}

}  // namespace

void binary_bitwise_kernel(const TensorIterator& iter, BinaryOp op) {
  const DType dt = iter.dtype(0);
  if (op == BinaryOp::LShift || op == BinaryOp::RShift) {
    const bool left = op == BinaryOp::LShift;
    switch (dt) {
      case DType::UInt8:
        return shift_kernel<uint8_t>(iter, left);
      case DType::Int8:
        return shift_kernel<int8_t>(iter, left);
      case DType::Int16:
        return shift_kernel<int16_t>(iter, left);
      case DType::Int32:
        return shift_kernel<int32_t>(iter, left);
      case DType::Int64:
        return shift_kernel<int64_t>(iter, left);
      default:
        TS_FAIL(NotImplemented, "[", binary_op_name(op), "] not implemented for dtype ", dtype_name(dt));
    }
  }
  TS_DISPATCH_INTEGRAL_TYPES(dt, binary_op_name(op), [&] {
    if (op == BinaryOp::BitAnd)
      cpu_kernel(iter, [](scalar_t a, scalar_t b) -> scalar_t { return a & b; });
    else if (op == BinaryOp::BitOr)
      cpu_kernel(iter, [](scalar_t a, scalar_t b) -> scalar_t { return a | b; });
    else
      cpu_kernel(iter, [](scalar_t a, scalar_t b) -> scalar_t { return a ^ b; });
  });
}

}  // namespace tessera::cpu

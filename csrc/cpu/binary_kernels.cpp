// CPU kernels of add/sub, mul, true division, pow, atan2, minimum, maximum.
#include <cmath>
#include <type_traits>

#include "core/dispatch_type.h"
#include "cpu/binary_impl.h"
#include "cpu/loops.h"
#include "ops/int_pow.h"

namespace tessera {
namespace {

void add_cpu(const TensorIterator& iter, const Scalar& alpha) {
  TS_DISPATCH_ALL_TYPES(iter.dtype(0), "add", [&] {
    using acc_t = opmath_t<scalar_t>;
    const acc_t a = alpha.to<acc_t>();
    if (a == acc_t(1)) {
      cpu_kernel(iter,
                 [](scalar_t x, scalar_t y) -> scalar_t { return static_cast<acc_t>(x) + static_cast<acc_t>(y); });
    } else if constexpr (!std::is_same_v<scalar_t, bool> && std::is_signed_v<acc_t>) {
      if (a == acc_t(-1)) {
        cpu_kernel(iter,
                   [](scalar_t x, scalar_t y) -> scalar_t { return static_cast<acc_t>(x) - static_cast<acc_t>(y); });
        return;
      }
      cpu_kernel(iter,
                 [a](scalar_t x, scalar_t y) -> scalar_t { return static_cast<acc_t>(x) + a * static_cast<acc_t>(y); });
    } else {
      cpu_kernel(iter,
                 [a](scalar_t x, scalar_t y) -> scalar_t { return static_cast<acc_t>(x) + a * static_cast<acc_t>(y); });
    }
  });
}

// The value of a 0-d (broadcast scalar) exponent, if input 2 is one.
template <class T>
bool scalar_exponent(const TensorIterator& iter, double& out) {
  const Tensor& e = iter.output(2);
  if (e.numel() != 1 || e.dim() != 0) return false;
  out = static_cast<double>(static_cast<opmath_t<T>>(*e.data<T>()));
  return true;
}

template <class scalar_t>
void pow_floating(const TensorIterator& iter) {
  using acc_t = opmath_t<scalar_t>;
  double e;
  if (scalar_exponent<scalar_t>(iter, e)) {
    // Common exponents get exact cheap forms that vectorise.
    if (e == 2.0)
      return cpu_kernel(iter, [](scalar_t x, scalar_t) -> scalar_t {
        acc_t v = x;
        return v * v;
      });
    if (e == 3.0)
      return cpu_kernel(iter, [](scalar_t x, scalar_t) -> scalar_t {
        acc_t v = x;
        return v * v * v;
      });
    if (e == 1.0) return cpu_kernel(iter, [](scalar_t x, scalar_t) -> scalar_t { return x; });
    if (e == 0.5) return cpu_kernel(iter, [](scalar_t x, scalar_t) -> scalar_t { return std::sqrt(acc_t(x)); });
    if (e == -1.0) return cpu_kernel(iter, [](scalar_t x, scalar_t) -> scalar_t { return acc_t(1) / acc_t(x); });
  }
  cpu_kernel(iter, [](scalar_t x, scalar_t y) -> scalar_t { return std::pow(acc_t(x), acc_t(y)); });
}

template <class T>
void mul_typed(const TensorIterator& iter) {
  using acc_t = opmath_t<T>;
  if constexpr (std::is_same_v<T, bool>) {
    cpu_kernel(iter, [](bool x, bool y) -> bool { return x && y; });
  } else {
    cpu_kernel(iter, [](T x, T y) -> T { return static_cast<acc_t>(x) * static_cast<acc_t>(y); });
  }
}

template <class T>
void int_pow_typed(const TensorIterator& iter) {
  if constexpr (!std::is_same_v<T, bool>) {
    cpu_kernel(iter, [](T x, T y) -> T { return int_pow(x, y); });
  }
}

}  // namespace

namespace cpu {
void binary_arith_kernel(const TensorIterator& iter, BinaryOp op) {
  const DType dt = iter.dtype(0);
  switch (op) {
    case BinaryOp::Mul:
      return TS_DISPATCH_ALL_TYPES(dt, "mul", [&] { mul_typed<scalar_t>(iter); });
    case BinaryOp::Div:
      return TS_DISPATCH_FLOATING_TYPES(dt, "div", [&] {
        using acc_t = opmath_t<scalar_t>;
        cpu_kernel(iter,
                   [](scalar_t x, scalar_t y) -> scalar_t { return static_cast<acc_t>(x) / static_cast<acc_t>(y); });
      });
    case BinaryOp::Atan2:
      return TS_DISPATCH_FLOATING_TYPES(dt, "atan2", [&] {
        using acc_t = opmath_t<scalar_t>;
        cpu_kernel(iter, [](scalar_t x, scalar_t y) -> scalar_t { return std::atan2(acc_t(x), acc_t(y)); });
      });
    case BinaryOp::Pow:
      if (is_floating(dt)) return TS_DISPATCH_FLOATING_TYPES(dt, "pow", [&] { pow_floating<scalar_t>(iter); });
      return TS_DISPATCH_INTEGRAL_TYPES(dt, "pow", [&] { int_pow_typed<scalar_t>(iter); });
    case BinaryOp::Minimum:
    case BinaryOp::Maximum: {
      const bool is_min = op == BinaryOp::Minimum;
      return TS_DISPATCH_ALL_TYPES(dt, "minimum", [&] {
        using acc_t = opmath_t<scalar_t>;
        if constexpr (std::is_floating_point_v<acc_t>) {
          if (is_min) {
            cpu_kernel(iter, [](scalar_t x, scalar_t y) -> scalar_t {
              acc_t a = x, b = y;
              return (a != a || b != b) ? a + b : (a < b ? a : b);
            });
          } else {
            cpu_kernel(iter, [](scalar_t x, scalar_t y) -> scalar_t {
              acc_t a = x, b = y;
              return (a != a || b != b) ? a + b : (a > b ? a : b);
            });
          }
        } else {
          if (is_min)
            cpu_kernel(iter, [](scalar_t x, scalar_t y) -> scalar_t { return x < y ? x : y; });
          else
            cpu_kernel(iter, [](scalar_t x, scalar_t y) -> scalar_t { return x > y ? x : y; });
        }
      });
    }
    default:
      break;
  }
  TS_FAIL(Runtime, "[", binary_op_name(op), "] internal error: unexpected op in binary_arith_kernel");
}
}  // namespace cpu

namespace {
void binary_cpu(const TensorIterator& iter, BinaryOp op) {
  switch (op) {
    case BinaryOp::DivTrunc:
    case BinaryOp::DivFloor:
    case BinaryOp::Remainder:
    case BinaryOp::Fmod:
      return cpu::binary_intdiv_kernel(iter, op);
    case BinaryOp::BitAnd:
    case BinaryOp::BitOr:
    case BinaryOp::BitXor:
    case BinaryOp::LShift:
    case BinaryOp::RShift:
      return cpu::binary_bitwise_kernel(iter, op);
    default:
      return cpu::binary_arith_kernel(iter, op);
  }
}
}  // namespace

TS_REGISTER_STUB(add_stub, CPU, &add_cpu);
TS_REGISTER_STUB(binary_stub, CPU, &binary_cpu);

}  // namespace tessera

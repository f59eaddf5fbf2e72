// CPU kernels of the floating unary functions (exp, log, trig ...). Half/BFloat16 compute in float.
#include <cmath>

#include "core/dispatch_type.h"
#include "cpu/loops.h"
#include "cpu/unary_impl.h"
#include "cpu/vec_math.h"

namespace tessera::cpu {
namespace {

template <class T>
void transcendental(const TensorIterator& iter, UnaryOp op) {
  using A = opmath_t<T>;
#define TS_UNARY_CASE(Op, expr)             \
  case UnaryOp::Op:                         \
    return cpu_kernel(iter, [](T in) -> T { \
      const A x = static_cast<A>(in);       \
      return static_cast<T>(expr);          \
    });
  switch (op) {
    TS_UNARY_CASE(Reciprocal, A(1) / x)
    TS_UNARY_CASE(Sqrt, std::sqrt(x))
    TS_UNARY_CASE(Rsqrt, A(1) / std::sqrt(x))
    TS_UNARY_CASE(Exp, vm::exp(x))
    TS_UNARY_CASE(Exp2, std::exp2(x))
    TS_UNARY_CASE(Expm1, std::expm1(x))
    TS_UNARY_CASE(Log, std::log(x))
    TS_UNARY_CASE(Log2, std::log2(x))
    TS_UNARY_CASE(Log10, std::log10(x))
    TS_UNARY_CASE(Log1p, std::log1p(x))
    TS_UNARY_CASE(Sin, std::sin(x))
    TS_UNARY_CASE(Cos, std::cos(x))
    TS_UNARY_CASE(Tan, std::tan(x))
    TS_UNARY_CASE(Tanh, vm::tanh(x))
    TS_UNARY_CASE(Sigmoid, vm::sigmoid(x))
    TS_UNARY_CASE(Erf, std::erf(x))
    default:
      break;
  }
#undef TS_UNARY_CASE
  TS_FAIL(Runtime, "[unary] internal error: unexpected op in unary_transcendental_kernel");
}

}  // namespace

void unary_transcendental_kernel(const TensorIterator& iter, UnaryOp op) {
  TS_DISPATCH_FLOATING_TYPES(iter.dtype(0), "unary", [&] { transcendental<scalar_t>(iter, op); });
}

}  // namespace tessera::cpu

// CPU kernels of the pointwise activations. Half/BFloat16 compute in float.
#include <cmath>
#include <type_traits>

#include "core/dispatch_type.h"
#include "cpu/loops.h"
#include "cpu/vec_math.h"
#include "ops/activation_stubs.h"

namespace tessera {
namespace {

template <class T>
void float_activation(const TensorIterator& iter, ActOp op, double p0, double p1) {
  using A = opmath_t<T>;
  switch (op) {
    case ActOp::Relu:  // NaN propagates, as clamp_min(x, 0)
      return cpu_kernel(iter, [](T in) -> T {
        const A x = in;
        return x != x ? x : (x > A(0) ? x : A(0));
      });
    case ActOp::Hardtanh: {
      const A lo = static_cast<A>(p0), hi = static_cast<A>(p1);
      return cpu_kernel(iter, [lo, hi](T in) -> T {
        const A x = in;
        return x != x ? x : std::min(std::max(x, lo), hi);
      });
    }
    case ActOp::Gelu:
      return cpu_kernel(iter, [](T in) -> T {
        const A x = in;
        return A(0.5) * x * (A(1) + cpu::vm::erf_fast(x * A(M_SQRT1_2)));
      });
    case ActOp::GeluTanh:
      return cpu_kernel(iter, [](T in) -> T {
        const A x = in;
        const A k = A(M_SQRT2 * M_2_SQRTPI * 0.5);
        return A(0.5) * x * (A(1) + cpu::vm::tanh(k * (x + A(0.044715) * x * x * x)));
      });
    case ActOp::Silu:
      return cpu_kernel(iter, [](T in) -> T {
        const A x = in;
        return x / (A(1) + cpu::vm::exp(-x));
      });
    case ActOp::Softplus: {
      const A beta = static_cast<A>(p0), threshold = static_cast<A>(p1);
      return cpu_kernel(iter, [beta, threshold](T in) -> T {
        const A x = in;
        return (x * beta) > threshold ? x : std::log1p(std::exp(x * beta)) / beta;
      });
    }
    case ActOp::LeakyRelu: {
      const A slope = static_cast<A>(p0);
      return cpu_kernel(iter, [slope](T in) -> T {
        const A x = in;
        return x > A(0) ? x : x * slope;
      });
    }
    case ActOp::Elu: {
      const A alpha = static_cast<A>(p0);
      return cpu_kernel(iter, [alpha](T in) -> T {
        const A x = in;
        return x > A(0) ? x : alpha * std::expm1(x);
      });
    }
  }
}

template <class T>
void int_activation(const TensorIterator& iter, ActOp op, double p0, double p1) {
  if (op == ActOp::Relu) return cpu_kernel(iter, [](T x) -> T { return x > T(0) ? x : T(0); });
  // hardtanh on integers clamps to the bounds converted to the integer type
  const T lo = static_cast<T>(static_cast<int64_t>(p0)), hi = static_cast<T>(static_cast<int64_t>(p1));
  cpu_kernel(iter, [lo, hi](T x) -> T { return std::min(std::max(x, lo), hi); });
}

void activation_cpu(const TensorIterator& iter, ActOp op, double p0, double p1) {
  const DType dt = iter.dtype(0);
  if (is_floating(dt)) {
    TS_DISPATCH_FLOATING_TYPES(dt, "activation", [&] { float_activation<scalar_t>(iter, op, p0, p1); });
    return;
  }
  switch (dt) {
    case DType::UInt8:
      return int_activation<uint8_t>(iter, op, p0, p1);
    case DType::Int8:
      return int_activation<int8_t>(iter, op, p0, p1);
    case DType::Int16:
      return int_activation<int16_t>(iter, op, p0, p1);
    case DType::Int32:
      return int_activation<int32_t>(iter, op, p0, p1);
    case DType::Int64:
      return int_activation<int64_t>(iter, op, p0, p1);
    default:
      TS_FAIL(NotImplemented, "[activation] not implemented for dtype ", dtype_name(dt));
  }
}

}  // namespace

TS_REGISTER_STUB(activation_stub, CPU, &activation_cpu);

}  // namespace tessera

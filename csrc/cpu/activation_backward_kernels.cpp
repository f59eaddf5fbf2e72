// CPU kernels of the fused activation backward formulas (ops/activation_backward_stubs.h).
// Float math goes through cpu/vec_math.h so the loops vectorise (libm's erff/expf do not);
// without FP-exception semantics GCC if-converts vec_math's selects (results are unchanged).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math", "no-math-errno")
#endif
#include <cmath>

#include "core/dispatch_type.h"
#include "cpu/loops.h"
#include "cpu/vec_math.h"
#include "ops/activation_backward_stubs.h"

namespace tessera {
namespace {

template <class T>
void activation_backward_typed(const TensorIterator& iter, ActOp op) {
  using A = opmath_t<T>;
  switch (op) {
    case ActOp::Relu:  // x holds relu's output: 0 where it is <= 0, g elsewhere (NaN passes g)
      return cpu_kernel(iter, [](T gi, T yi) -> T {
        const A g = gi, y = yi;
        return y <= A(0) ? A(0) : g;
      });
    case ActOp::Gelu:  // d/dx x Phi(x) = Phi(x) + x phi(x)
      return cpu_kernel(iter, [](T gi, T xi) -> T {
        const A g = gi, x = xi;
        const A cdf = A(0.5) * (A(1) + cpu::vm::erf_fast(x * A(M_SQRT1_2)));
        const A pdf = cpu::vm::exp(A(-0.5) * x * x) * A(0.5 * M_2_SQRTPI * M_SQRT1_2);
        return g * (cdf + x * pdf);
      });
    case ActOp::GeluTanh:  // y = x/2 (1 + tanh(u)), u = k (x + 0.044715 x^3)
      return cpu_kernel(iter, [](T gi, T xi) -> T {
        const A g = gi, x = xi;
        const A k = A(M_SQRT2 * M_2_SQRTPI * 0.5), kappa = A(0.044715);
        const A x2 = x * x;
        const A t = cpu::vm::tanh(k * (x + kappa * x2 * x));
        const A left = A(0.5) * (A(1) + t);
        const A right = A(0.5) * x * (A(1) - t * t) * k * (A(1) + A(3) * kappa * x2);
        return g * (left + right);
      });
    case ActOp::Silu:  // d/dx x s(x) = s (1 + x (1 - s))
      return cpu_kernel(iter, [](T gi, T xi) -> T {
        const A g = gi, x = xi;
        const A s = A(1) / (A(1) + cpu::vm::exp(-x));
        return g * s * (A(1) + x * (A(1) - s));
      });
    default:
      TS_FAIL(NotImplemented, "[activation_backward] no fused backward for this activation");
  }
}

void activation_backward_cpu(const TensorIterator& iter, ActOp op) {
  TS_DISPATCH_FLOATING_TYPES(iter.dtype(0), "activation_backward",
                             [&] { activation_backward_typed<scalar_t>(iter, op); });
}

}  // namespace

TS_REGISTER_STUB(activation_backward_stub, CPU, &activation_backward_cpu);

}  // namespace tessera

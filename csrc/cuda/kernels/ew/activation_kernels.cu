// CUDA kernels of the pointwise activations and their fused first-order backward, with the
// formulas of csrc/cpu/activation_kernels.cpp and activation_backward_kernels.cpp.
#include "cuda/kernels/ew/elementwise.cuh"
#include "cuda/kernels/ew/ew_launch.h"

namespace tessera::cuda {
namespace ew_act {

constexpr double kSqrt1_2 = 0.70710678118654752440;
constexpr double kGeluTanhK = 0.79788456080286535588;   // sqrt(2 / pi)
constexpr double kInvSqrt2Pi = 0.39894228040143267794;  // 1 / sqrt(2 pi)

template <class T>
void floating(const EwArgs& a, ActOp op, double p0, double p1, cudaStream_t s) {
  using A = typename OpMathDevice<T>::type;
  switch (op) {
    case ActOp::Relu:  // NaN propagates, as clamp_min(x, 0)
      return ew::launch<T, T>(a, s, [] __device__(A x) -> A { return x != x ? x : (x > A(0) ? x : A(0)); });
    case ActOp::Hardtanh: {
      const A lo = static_cast<A>(p0), hi = static_cast<A>(p1);
      return ew::launch<T, T>(a, s, [lo, hi] __device__(A x) -> A {
        if (x != x) return x;
        const A m = x > lo ? x : lo;
        return m < hi ? m : hi;
      });
    }
    case ActOp::Gelu:
      return ew::launch<T, T>(a, s, [] __device__(A x) -> A { return A(0.5) * x * (A(1) + erf(x * A(kSqrt1_2))); });
    case ActOp::GeluTanh:
      return ew::launch<T, T>(a, s, [] __device__(A x) -> A {
        return A(0.5) * x * (A(1) + tanh(A(kGeluTanhK) * (x + A(0.044715) * x * x * x)));
      });
    case ActOp::Silu:
      return ew::launch<T, T>(a, s, [] __device__(A x) -> A { return x / (A(1) + exp(-x)); });
    case ActOp::Softplus: {
      const A beta = static_cast<A>(p0), threshold = static_cast<A>(p1);
      return ew::launch<T, T>(a, s, [beta, threshold] __device__(A x) -> A {
        return (x * beta) > threshold ? x : log1p(exp(x * beta)) / beta;
      });
    }
    case ActOp::LeakyRelu: {
      const A slope = static_cast<A>(p0);
      return ew::launch<T, T>(a, s, [slope] __device__(A x) -> A { return x > A(0) ? x : x * slope; });
    }
    case ActOp::Elu: {
      const A alpha = static_cast<A>(p0);
      return ew::launch<T, T>(a, s, [alpha] __device__(A x) -> A { return x > A(0) ? x : alpha * expm1(x); });
    }
  }
}

template <class T>
void integral(const EwArgs& a, ActOp op, double p0, double p1, cudaStream_t s) {
  if (op == ActOp::Relu) return ew::launch<T, T>(a, s, [] __device__(T x) -> T { return x > T(0) ? x : T(0); });
  // hardtanh on integers clamps to the bounds converted to the integer type
  const T lo = static_cast<T>(static_cast<int64_t>(p0)), hi = static_cast<T>(static_cast<int64_t>(p1));
  ew::launch<T, T>(a, s, [lo, hi] __device__(T x) -> T {
    const T m = x > lo ? x : lo;
    return m < hi ? m : hi;
  });
}

template <class T>
void backward(const EwArgs& a, ActOp op, cudaStream_t s) {
  using A = typename OpMathDevice<T>::type;
  switch (op) {
    case ActOp::Relu:  // x holds relu's output: 0 where it is <= 0, g elsewhere (NaN passes g)
      return ew::launch<T, T, T>(a, s, [] __device__(A g, A y) -> A { return y <= A(0) ? A(0) : g; });
    case ActOp::Gelu:  // d/dx x Phi(x) = Phi(x) + x phi(x)
      return ew::launch<T, T, T>(a, s, [] __device__(A g, A x) -> A {
        const A cdf = A(0.5) * (A(1) + erf(x * A(kSqrt1_2)));
        const A pdf = exp(A(-0.5) * x * x) * A(kInvSqrt2Pi);
        return g * (cdf + x * pdf);
      });
    case ActOp::GeluTanh:
      return ew::launch<T, T, T>(a, s, [] __device__(A g, A x) -> A {
        const A k = A(kGeluTanhK), kappa = A(0.044715);
        const A x2 = x * x;
        const A t = tanh(k * (x + kappa * x2 * x));
        const A left = A(0.5) * (A(1) + t);
        const A right = A(0.5) * x * (A(1) - t * t) * k * (A(1) + A(3) * kappa * x2);
        return g * (left + right);
      });
    case ActOp::Silu:
      return ew::launch<T, T, T>(a, s, [] __device__(A g, A x) -> A {
        const A sg = A(1) / (A(1) + exp(-x));
        return g * sg * (A(1) + x * (A(1) - sg));
      });
    default:
      TS_FAIL(NotImplemented, "[activation_backward] no fused backward for this activation");
  }
}

}  // namespace ew_act

void launch_activation(const EwArgs& a, DType dtype, ActOp op, double p0, double p1, cudaStream_t stream) {
  if (is_floating(dtype)) {
    TS_CUDA_DISPATCH_FLOATING_TYPES(dtype, [&] { ew_act::floating<scalar_t>(a, op, p0, p1, stream); });
    return;
  }
  TS_CHECK_NOT_IMPLEMENTED(dtype != DType::Bool, "[activation] not implemented for dtype ", dtype_name(dtype));
  TS_CUDA_DISPATCH_INTEGER_TYPES(dtype, [&] { ew_act::integral<scalar_t>(a, op, p0, p1, stream); });
}

void launch_activation_backward(const EwArgs& a, DType dtype, ActOp op, cudaStream_t stream) {
  TS_CUDA_DISPATCH_FLOATING_TYPES(dtype, [&] { ew_act::backward<scalar_t>(a, op, stream); });
}

}  // namespace tessera::cuda

// CUDA kernels of where, lerp, addcmul/addcdiv and clamp, as csrc/cpu/ternary_kernels.cpp
// (NaN in x or a bound propagates through clamp; lerp uses PyTorch's two-sided formula).
#include "cuda/kernels/ew/elementwise.cuh"
#include "cuda/kernels/ew/ew_launch.h"

namespace tessera::cuda {
namespace ew_ternary {

template <class A>
__device__ __forceinline__ A lerp(A s, A e, A w) {
  const A d = e - s;
  return fabs(w) < A(0.5) ? s + w * d : e - d * (A(1) - w);
}

template <class T>
void typed(const EwArgs& a, TernaryOp op, const ScalarArg& value, cudaStream_t s) {
  using A = typename OpMathDevice<T>::type;
  constexpr bool kFloat = std::is_floating_point_v<A>;
  switch (op) {
    case TernaryOp::Where:
      return ew::launch<T, bool, T, T>(a, s, [] __device__(bool c, A x, A y) -> A { return c ? x : y; });
    case TernaryOp::Lerp:
      if constexpr (kFloat) {
        if (a.ntensors == 3) {
          const A w = static_cast<A>(value.d);
          return ew::launch<T, T, T>(a, s, [w] __device__(A x, A e) -> A { return lerp(x, e, w); });
        }
        return ew::launch<T, T, T, T>(a, s, [] __device__(A x, A e, A w) -> A { return lerp(x, e, w); });
      }
      return;
    case TernaryOp::Addcmul:
      if constexpr (std::is_same_v<T, bool>) {
        const bool v = value.b;
        return ew::launch<T, T, T, T>(a, s,
                                      [v] __device__(bool x, bool p, bool q) -> bool { return x || (v && p && q); });
      } else {
        const A v = kFloat ? static_cast<A>(value.d) : static_cast<A>(value.i);
        return ew::launch<T, T, T, T>(a, s, [v] __device__(A x, A p, A q) -> A { return x + v * p * q; });
      }
    case TernaryOp::Addcdiv:
      if constexpr (kFloat) {
        const A v = static_cast<A>(value.d);
        return ew::launch<T, T, T, T>(a, s, [v] __device__(A x, A p, A q) -> A { return x + v * (p / q); });
      }
      return;
    case TernaryOp::Clamp:
      return ew::launch<T, T, T, T>(a, s, [] __device__(A x, A lo, A hi) -> A {
        if constexpr (kFloat)
          if (x != x || lo != lo || hi != hi) return x + lo + hi;
        const A m = x > lo ? x : lo;
        return m < hi ? m : hi;
      });
    case TernaryOp::ClampMin:
      return ew::launch<T, T, T>(a, s, [] __device__(A x, A lo) -> A {
        if constexpr (kFloat)
          if (x != x || lo != lo) return x + lo;
        return x > lo ? x : lo;
      });
    case TernaryOp::ClampMax:
      return ew::launch<T, T, T>(a, s, [] __device__(A x, A hi) -> A {
        if constexpr (kFloat)
          if (x != x || hi != hi) return x + hi;
        return x < hi ? x : hi;
      });
  }
}

}  // namespace ew_ternary

void launch_ternary(const EwArgs& a, DType dtype, TernaryOp op, const ScalarArg& value, cudaStream_t stream) {
  TS_CUDA_DISPATCH_ALL_TYPES(dtype, [&] { ew_ternary::typed<scalar_t>(a, op, value, stream); });
}

}  // namespace tessera::cuda

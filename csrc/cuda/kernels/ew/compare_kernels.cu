// CUDA kernels of comparisons, logical ops and NaN/inf tests (bool outputs), as
// csrc/cpu/compare_kernels.cpp.
#include "cuda/kernels/ew/elementwise.cuh"
#include "cuda/kernels/ew/ew_launch.h"

namespace tessera::cuda {
namespace ew_compare {

template <class T>
void typed(const EwArgs& a, CompareOp op, cudaStream_t s) {
  using A = typename OpMathDevice<T>::type;
  constexpr bool kFloat = std::is_floating_point_v<A>;
  switch (op) {
    case CompareOp::Eq:
      return ew::launch<bool, T, T>(a, s, [] __device__(A x, A y) -> bool { return x == y; });
    case CompareOp::Ne:
      return ew::launch<bool, T, T>(a, s, [] __device__(A x, A y) -> bool { return x != y; });
    case CompareOp::Lt:
      return ew::launch<bool, T, T>(a, s, [] __device__(A x, A y) -> bool { return x < y; });
    case CompareOp::Le:
      return ew::launch<bool, T, T>(a, s, [] __device__(A x, A y) -> bool { return x <= y; });
    case CompareOp::Gt:
      return ew::launch<bool, T, T>(a, s, [] __device__(A x, A y) -> bool { return x > y; });
    case CompareOp::Ge:
      return ew::launch<bool, T, T>(a, s, [] __device__(A x, A y) -> bool { return x >= y; });
    case CompareOp::LogicalAnd:
      return ew::launch<bool, T, T>(a, s, [] __device__(A x, A y) -> bool { return x != A(0) && y != A(0); });
    case CompareOp::LogicalOr:
      return ew::launch<bool, T, T>(a, s, [] __device__(A x, A y) -> bool { return x != A(0) || y != A(0); });
    case CompareOp::LogicalXor:
      return ew::launch<bool, T, T>(a, s, [] __device__(A x, A y) -> bool { return (x != A(0)) != (y != A(0)); });
    case CompareOp::LogicalNot:
      return ew::launch<bool, T>(a, s, [] __device__(A x) -> bool { return x == A(0); });
    case CompareOp::IsNan:
      if constexpr (kFloat) return ew::launch<bool, T>(a, s, [] __device__(A x) -> bool { return x != x; });
      return ew::launch<bool, T>(a, s, [] __device__(A) -> bool { return false; });
    case CompareOp::IsInf:
      if constexpr (kFloat) return ew::launch<bool, T>(a, s, [] __device__(A x) -> bool { return isinf(x); });
      return ew::launch<bool, T>(a, s, [] __device__(A) -> bool { return false; });
    case CompareOp::IsFinite:
      if constexpr (kFloat) return ew::launch<bool, T>(a, s, [] __device__(A x) -> bool { return isfinite(x); });
      return ew::launch<bool, T>(a, s, [] __device__(A) -> bool { return true; });
  }
}

}  // namespace ew_compare

void launch_compare(const EwArgs& a, DType dtype, CompareOp op, cudaStream_t stream) {
  TS_CUDA_DISPATCH_ALL_TYPES(dtype, [&] { ew_compare::typed<scalar_t>(a, op, stream); });
}

}  // namespace tessera::cuda

// CPU kernels of comparisons, logical ops and NaN/inf tests (bool outputs).
#include <cmath>
#include <limits>
#include <type_traits>

#include "core/dispatch_type.h"
#include "cpu/loops.h"
#include "ops/compare_stubs.h"

namespace tessera {
namespace {

template <class T>
void compare_typed(const TensorIterator& iter, CompareOp op) {
  using acc_t = opmath_t<T>;
  switch (op) {
    case CompareOp::Eq:
      return cpu_kernel(iter, [](T a, T b) -> bool { return acc_t(a) == acc_t(b); });
    case CompareOp::Ne:
      return cpu_kernel(iter, [](T a, T b) -> bool { return acc_t(a) != acc_t(b); });
    case CompareOp::Lt:
      return cpu_kernel(iter, [](T a, T b) -> bool { return acc_t(a) < acc_t(b); });
    case CompareOp::Le:
      return cpu_kernel(iter, [](T a, T b) -> bool { return acc_t(a) <= acc_t(b); });
    case CompareOp::Gt:
      return cpu_kernel(iter, [](T a, T b) -> bool { return acc_t(a) > acc_t(b); });
    case CompareOp::Ge:
      return cpu_kernel(iter, [](T a, T b) -> bool { return acc_t(a) >= acc_t(b); });
    case CompareOp::LogicalAnd:
      return cpu_kernel(iter, [](T a, T b) -> bool { return acc_t(a) != acc_t(0) && acc_t(b) != acc_t(0); });
    case CompareOp::LogicalOr:
      return cpu_kernel(iter, [](T a, T b) -> bool { return acc_t(a) != acc_t(0) || acc_t(b) != acc_t(0); });
    case CompareOp::LogicalXor:
      return cpu_kernel(iter, [](T a, T b) -> bool { return (acc_t(a) != acc_t(0)) != (acc_t(b) != acc_t(0)); });
    case CompareOp::LogicalNot:
      return cpu_kernel(iter, [](T a) -> bool { return acc_t(a) == acc_t(0); });
    case CompareOp::IsNan:
      if constexpr (std::is_floating_point_v<acc_t>)
        return cpu_kernel(iter, [](T a) -> bool { return acc_t(a) != acc_t(a); });
      else
        return cpu_kernel(iter, [](T) -> bool { return false; });
    case CompareOp::IsInf:
      if constexpr (std::is_floating_point_v<acc_t>)
        return cpu_kernel(iter,
                          [](T a) -> bool { return std::abs(acc_t(a)) == std::numeric_limits<acc_t>::infinity(); });
      else
        return cpu_kernel(iter, [](T) -> bool { return false; });
    case CompareOp::IsFinite:
      if constexpr (std::is_floating_point_v<acc_t>)
        return cpu_kernel(iter,
                          [](T a) -> bool { return std::abs(acc_t(a)) < std::numeric_limits<acc_t>::infinity(); });
      else
        return cpu_kernel(iter, [](T) -> bool { return true; });
  }
}

void compare_cpu(const TensorIterator& iter, CompareOp op) {
  TS_DISPATCH_ALL_TYPES(iter.dtype(1), "compare", [&] { compare_typed<scalar_t>(iter, op); });
}

}  // namespace

TS_REGISTER_STUB(compare_stub, CPU, &compare_cpu);

}  // namespace tessera

// CPU kernels of the reductions: sum/prod/mean, max/min, any/all, var/std, logsumexp, norms.
#include <cmath>
#include <limits>
#include <type_traits>

#include "core/dispatch_type.h"
#include "core/tensor.h"
#include "cpu/reduce_loops.h"
#include "ops/reduce_stubs.h"

namespace tessera {
namespace {

using namespace reduce_detail;

template <class T>
void sum_prod(bool prod, const Tensor& in, ReduceShape s, const Tensor& out) {
  using A = sum_acc_t<T>;
  const T* x = in.data<T>();
  auto run = [&](auto* o) {
    using Out = std::remove_pointer_t<decltype(o)>;
    auto fin = [o](int64_t i, A a) { o[i] = from_acc<Out>(a); };
    if (prod) {
      auto mul = [](A a, A b) { return a * b; };
      drive<A>(x, s, A(1), [](A a, T v) { return a * to_acc<A>(v); }, mul, fin);
    } else {
      auto add = [](A a, A b) { return a + b; };
      drive<A>(x, s, A(0), [](A a, T v) { return a + to_acc<A>(v); }, add, fin);
    }
  };
  if (out.dtype() == in.dtype()) {
    run(out.data<T>());
  } else {
    TS_CHECK(out.dtype() == DType::Int64, "[sum] internal: unexpected output dtype ", dtype_name(out.dtype()));
    run(out.data<int64_t>());
  }
}

template <class T>
void mean(const Tensor& in, ReduceShape s, const Tensor& out) {
  const T* x = in.data<T>();
  T* o = out.data<T>();
  const double n = static_cast<double>(s.reduced);
  auto add = [](double a, double b) { return a + b; };
  drive<double>(
      x, s, 0.0, [](double a, T v) { return a + static_cast<double>(v); }, add,
      [o, n](int64_t i, double a) { o[i] = static_cast<T>(a / n); });
}

// NaN-propagating max/min on the compute type (bool, integers, float).
template <class A>
inline A max_step(A a, A v) {
  return (a >= v || a != a) ? a : v;
}
template <class A>
inline A min_step(A a, A v) {
  return (a <= v || a != a) ? a : v;
}
template <class A>
constexpr A lowest() {
  if constexpr (std::numeric_limits<A>::has_infinity) return -std::numeric_limits<A>::infinity();
  return std::numeric_limits<A>::lowest();
}
template <class A>
constexpr A highest() {
  if constexpr (std::numeric_limits<A>::has_infinity) return std::numeric_limits<A>::infinity();
  return std::numeric_limits<A>::max();
}

template <class T>
void max_min(bool is_max, const Tensor& in, ReduceShape s, const Tensor& out) {
  using A = opmath_t<T>;
  const T* x = in.data<T>();
  T* o = out.data<T>();
  auto fin = [o](int64_t i, A a) { o[i] = static_cast<T>(a); };
  if (is_max) {
    auto st = [](A a, T v) { return max_step<A>(a, static_cast<A>(v)); };
    drive<A>(x, s, lowest<A>(), st, max_step<A>, fin);
  } else {
    auto st = [](A a, T v) { return min_step<A>(a, static_cast<A>(v)); };
    drive<A>(x, s, highest<A>(), st, min_step<A>, fin);
  }
}

template <class T>
void any_all(bool is_any, const Tensor& in, ReduceShape s, const Tensor& out) {
  using A = opmath_t<T>;
  const T* x = in.data<T>();
  uint8_t* o = out.data<uint8_t>();  // bool and uint8 results are both one byte of 0 / 1
  auto fin = [o](int64_t i, uint8_t a) { o[i] = a; };
  if (is_any) {
    auto st = [](uint8_t a, T v) -> uint8_t { return a | uint8_t(static_cast<A>(v) != A(0)); };
    drive<uint8_t>(x, s, uint8_t(0), st, [](uint8_t a, uint8_t b) -> uint8_t { return a | b; }, fin);
  } else {
    auto st = [](uint8_t a, T v) -> uint8_t { return a & uint8_t(static_cast<A>(v) != A(0)); };
    drive<uint8_t>(x, s, uint8_t(1), st, [](uint8_t a, uint8_t b) -> uint8_t { return a & b; }, fin);
  }
}

template <class T>
void norm(ReduceOp op, double p, const Tensor& in, ReduceShape s, const Tensor& out) {
  const T* x = in.data<T>();
  T* o = out.data<T>();
  auto add = [](double a, double b) { return a + b; };
  auto absd = [](T v) { return std::fabs(static_cast<double>(v)); };
  switch (op) {
    case ReduceOp::Norm2:
      drive<double>(
          x, s, 0.0,
          [](double a, T v) {
            double d = static_cast<double>(v);
            return a + d * d;
          },
          add, [o](int64_t i, double a) { o[i] = static_cast<T>(std::sqrt(a)); });
      break;
    case ReduceOp::Norm1:
      drive<double>(
          x, s, 0.0, [absd](double a, T v) { return a + absd(v); }, add,
          [o](int64_t i, double a) { o[i] = static_cast<T>(a); });
      break;
    case ReduceOp::Norm0:
      drive<double>(
          x, s, 0.0, [](double a, T v) { return a + (static_cast<double>(v) != 0.0 ? 1.0 : 0.0); }, add,
          [o](int64_t i, double a) { o[i] = static_cast<T>(a); });
      break;
    case ReduceOp::NormInf:
      drive<double>(
          x, s, 0.0, [absd](double a, T v) { return max_step(a, absd(v)); }, max_step<double>,
          [o](int64_t i, double a) { o[i] = static_cast<T>(a); });
      break;
    case ReduceOp::NormNegInf:
      drive<double>(
          x, s, highest<double>(), [absd](double a, T v) { return min_step(a, absd(v)); }, min_step<double>,
          [o](int64_t i, double a) { o[i] = static_cast<T>(a); });
      break;
    default:
      drive<double>(
          x, s, 0.0, [absd, p](double a, T v) { return a + std::pow(absd(v), p); }, add,
          [o, p](int64_t i, double a) { o[i] = static_cast<T>(std::pow(a, 1.0 / p)); });
  }
}

template <class T>
void var_std(bool is_std, double correction, const Tensor& in, ReduceShape s, const Tensor& out) {
  const T* x = in.data<T>();
  T* o = out.data<T>();
  const double n = static_cast<double>(s.reduced);
  const double denom = std::max(0.0, n - correction);
  two_pass(
      x, s, 0.0, [](double a, T v) { return a + static_cast<double>(v); }, [](double a, double b) { return a + b; },
      [n](double sum) { return sum / n; },
      [](double a, T v, double m) {
        double d = static_cast<double>(v) - m;
        return a + d * d;
      },
      [o, denom, is_std](int64_t i, double ssd, double) {
        double v = ssd / denom;
        o[i] = static_cast<T>(is_std ? std::sqrt(v) : v);
      });
}

template <class T>
void logsumexp(const Tensor& in, ReduceShape s, const Tensor& out) {
  const T* x = in.data<T>();
  T* o = out.data<T>();
  two_pass(
      x, s, lowest<double>(), [](double a, T v) { return max_step(a, static_cast<double>(v)); }, max_step<double>,
      [](double m) { return std::isinf(m) ? 0.0 : m; },  // all -inf, or an inf: no shift (as torch)
      // exp in the type's compute precision (float for 16/32-bit floats): exp(double) is much
      // slower and the sum is still accumulated in double.
      [](double a, T v, double m) {
        using E = opmath_t<T>;
        return a + static_cast<double>(std::exp(static_cast<E>(static_cast<E>(v) - static_cast<E>(m))));
      },
      [o](int64_t i, double sum, double m) { o[i] = static_cast<T>(std::log(sum) + m); });
}

void reduce_cpu(ReduceOp op, const Tensor& in, ReduceShape s, const Tensor& out, double param) {
  switch (op) {
    case ReduceOp::Sum:
    case ReduceOp::Prod:
      TS_DISPATCH_ALL_TYPES(in.dtype(), "sum", [&] { sum_prod<scalar_t>(op == ReduceOp::Prod, in, s, out); });
      break;
    case ReduceOp::Max:
    case ReduceOp::Min:
      TS_DISPATCH_ALL_TYPES(in.dtype(), "max", [&] { max_min<scalar_t>(op == ReduceOp::Max, in, s, out); });
      break;
    case ReduceOp::Any:
    case ReduceOp::All:
      TS_DISPATCH_ALL_TYPES(in.dtype(), "any", [&] { any_all<scalar_t>(op == ReduceOp::Any, in, s, out); });
      break;
    case ReduceOp::Mean:
      TS_DISPATCH_FLOATING_TYPES(in.dtype(), "mean", [&] { mean<scalar_t>(in, s, out); });
      break;
    case ReduceOp::Var:
    case ReduceOp::Std:
      TS_DISPATCH_FLOATING_TYPES(in.dtype(), "var", [&] { var_std<scalar_t>(op == ReduceOp::Std, param, in, s, out); });
      break;
    case ReduceOp::LogSumExp:
      TS_DISPATCH_FLOATING_TYPES(in.dtype(), "logsumexp", [&] { logsumexp<scalar_t>(in, s, out); });
      break;
    default:
      TS_DISPATCH_FLOATING_TYPES(in.dtype(), "norm", [&] { norm<scalar_t>(op, param, in, s, out); });
  }
}

}  // namespace

TS_REGISTER_STUB(reduce_stub, CPU, &reduce_cpu);

}  // namespace tessera

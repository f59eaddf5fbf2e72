// CPU kernels of the factories: fill (constant) and range (arange, linspace).
#include <algorithm>
#include <cstring>
#include <type_traits>

#include "core/dispatch_type.h"
#include "cpu/parallel.h"
#include "ops/creation_stubs.h"
#include "ops/tensor_iterator.h"

namespace tessera {
namespace {

void fill_cpu(const TensorIterator& iter, const Scalar& value) {
  TS_DISPATCH_ALL_TYPES(iter.dtype(0), "fill_", [&] {
    const scalar_t v = value.to<scalar_t>();
    scalar_t zero{};
    const bool zero_bits = std::memcmp(&v, &zero, sizeof(scalar_t)) == 0;
    iter.for_each([v, zero_bits](char** data, const int64_t* strides, int64_t n) {
      if (strides[0] == sizeof(scalar_t)) {
        if (zero_bits) {
          std::memset(data[0], 0, static_cast<size_t>(n) * sizeof(scalar_t));
        } else {
          std::fill_n(reinterpret_cast<scalar_t*>(data[0]), n, v);
        }
      } else {
        for (int64_t i = 0; i < n; ++i) *reinterpret_cast<scalar_t*>(data[0] + i * strides[0]) = v;
      }
    });
  });
}

template <class T>
constexpr bool is_reduced_float_v = std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>;

// PyTorch's accumulate type on CPU: int64 for integers, float for 16-bit floats, else double.
template <class T>
using range_acc_t =
    std::conditional_t<std::is_integral_v<T>, int64_t, std::conditional_t<is_reduced_float_v<T>, float, double>>;

template <class T>
void arange_loop(T* out, int64_t n, const Scalar& a, const Scalar& b) {
  using acc_t = range_acc_t<T>;
  const acc_t start = a.to<acc_t>(), step = b.to<acc_t>();
  parallel_for(0, n, kElementwiseGrain, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) out[i] = static_cast<T>(start + step * static_cast<acc_t>(i));
  });
}

// PyTorch's linspace: the first half counts up from start, the second half down from end, so both
// ends are exact. Integer results step in double; 16-bit floats round after every operation as
// c10::Half arithmetic does.
template <class T>
void linspace_loop(T* out, int64_t steps, const Scalar& a, const Scalar& b) {
  if (steps == 1) {
    out[0] = a.to<T>();
    return;
  }
  const int64_t halfway = steps / 2;
  if constexpr (is_reduced_float_v<T>) {
    auto rnd = [](float x) { return static_cast<float>(T(x)); };
    const float start = static_cast<float>(a.to<T>()), end = static_cast<float>(b.to<T>());
    const float step = rnd(rnd(end - start) / rnd(static_cast<float>(steps - 1)));
    parallel_for(0, steps, kElementwiseGrain, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) {
        out[i] = i < halfway ? T(start + rnd(step * rnd(static_cast<float>(i))))
                             : T(end - rnd(step * rnd(static_cast<float>(steps - i - 1))));
      }
    });
  } else {
    using step_t = std::conditional_t<std::is_integral_v<T>, double, T>;
    const T start = a.to<T>(), end = b.to<T>();
    const step_t step = (static_cast<step_t>(end) - static_cast<step_t>(start)) / static_cast<step_t>(steps - 1);
    parallel_for(0, steps, kElementwiseGrain, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) {
        out[i] = i < halfway ? static_cast<T>(start + step * static_cast<step_t>(i))
                             : static_cast<T>(end - step * static_cast<step_t>(steps - i - 1));
      }
    });
  }
}

void range_cpu(const Tensor& out, RangeKind kind, const Scalar& a, const Scalar& b) {
  const char* name = kind == RangeKind::Arange ? "arange" : "linspace";
  TS_DISPATCH_NUMERIC_TYPES(out.dtype(), name, [&] {
    scalar_t* p = out.data<scalar_t>();
    if (kind == RangeKind::Arange) {
      arange_loop(p, out.numel(), a, b);
    } else {
      linspace_loop(p, out.numel(), a, b);
    }
  });
}

}  // namespace

TS_REGISTER_STUB(fill_stub, CPU, &fill_cpu);
TS_REGISTER_STUB(range_stub, CPU, &range_cpu);

}  // namespace tessera

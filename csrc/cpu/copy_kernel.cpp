// CPU copy with dtype conversion: one loop per (destination, source) dtype pair.
#include <cstring>

#include "core/dispatch_type.h"
#include "cpu/loops.h"
#include "ops/copy_stub.h"

namespace tessera {
namespace {

template <class To, class From>
inline To convert(From v) {
  if constexpr (std::is_same_v<To, bool>) {
    return static_cast<opmath_t<From>>(v) != opmath_t<From>(0);  // NaN is true, as in PyTorch
  } else if constexpr (std::is_same_v<To, Half> || std::is_same_v<To, BFloat16>) {
    return To(static_cast<float>(static_cast<opmath_t<From>>(v)));
  } else {
    return static_cast<To>(static_cast<opmath_t<From>>(v));
  }
}

void copy_cpu(const TensorIterator& iter) {
  DType dst = iter.dtype(0), src = iter.dtype(1);
  if (dst == src) {
    const int64_t item = static_cast<int64_t>(itemsize(dst));
    iter.for_each([item](char** data, const int64_t* strides, int64_t n) {
      if (strides[0] == item && strides[1] == item) {
        std::memcpy(data[0], data[1], static_cast<size_t>(n * item));
      } else {
        for (int64_t i = 0; i < n; ++i) std::memcpy(data[0] + i * strides[0], data[1] + i * strides[1], item);
      }
    });
    return;
  }
  TS_DISPATCH_ALL_TYPES(dst, "copy_", [&] {
    using to_t = scalar_t;
    TS_DISPATCH_ALL_TYPES(src, "copy_", [&] {
      using from_t = scalar_t;
      cpu_kernel(iter, [](from_t v) -> to_t { return convert<to_t, from_t>(v); });
    });
  });
}

}  // namespace

TS_REGISTER_STUB(copy_stub, CPU, &copy_cpu);

}  // namespace tessera

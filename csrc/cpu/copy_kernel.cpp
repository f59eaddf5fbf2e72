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
    // Same dtype: move bits as unsigned integers of the element size (typed loops, no per-element
    // memcpy call); stride-0 sources (expand, repeat) are a fill.
    auto copy_bits = [&](auto tag) {
      using T = decltype(tag);
      iter.for_each([](char** data, const int64_t* strides, int64_t n) {
        const int64_t s0 = strides[0], s1 = strides[1];
        if (s0 == sizeof(T) && s1 == sizeof(T)) {
          std::memcpy(data[0], data[1], static_cast<size_t>(n) * sizeof(T));
        } else if (s1 == 0) {
          const T v = *reinterpret_cast<const T*>(data[1]);
          for (int64_t i = 0; i < n; ++i) *reinterpret_cast<T*>(data[0] + i * s0) = v;
        } else {
          for (int64_t i = 0; i < n; ++i)
            *reinterpret_cast<T*>(data[0] + i * s0) = *reinterpret_cast<const T*>(data[1] + i * s1);
        }
      });
    };
    switch (itemsize(dst)) {
      case 1: return copy_bits(uint8_t{});
      case 2: return copy_bits(uint16_t{});
      case 4: return copy_bits(uint32_t{});
      case 8: return copy_bits(uint64_t{});
      default: break;
    }
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

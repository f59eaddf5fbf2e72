#pragma once
#include <cstdint>
#include <string_view>

#include "core/half.h"

namespace tessera {

// Order matters: it is the index into the promotion table in dtype.cpp.
enum class DType : int8_t {
  Bool = 0,
  UInt8,
  Int8,
  Int16,
  Int32,
  Int64,
  Float16,
  BFloat16,
  Float32,
  Float64,
};
constexpr int kNumDTypes = 10;

constexpr size_t itemsize(DType t) {
  constexpr size_t sizes[] = {1, 1, 1, 2, 4, 8, 2, 2, 4, 8};
  return sizes[static_cast<int>(t)];
}
constexpr bool is_floating(DType t) { return t >= DType::Float16; }
constexpr bool is_integral(DType t, bool include_bool = false) {
  return t == DType::Bool ? include_bool : t <= DType::Int64;
}
constexpr bool is_signed(DType t) { return t != DType::Bool && t != DType::UInt8; }
std::string_view dtype_name(DType t);  // "float32"
DType promote_types(DType a, DType b);

template <class T>
struct DTypeOf;
#define TS_DTYPE_OF(T, D) \
  template <>             \
  struct DTypeOf<T> {     \
    static constexpr DType value = DType::D; \
  };
TS_DTYPE_OF(bool, Bool)
TS_DTYPE_OF(uint8_t, UInt8)
TS_DTYPE_OF(int8_t, Int8)
TS_DTYPE_OF(int16_t, Int16)
TS_DTYPE_OF(int32_t, Int32)
TS_DTYPE_OF(int64_t, Int64)
TS_DTYPE_OF(Half, Float16)
TS_DTYPE_OF(BFloat16, BFloat16)
TS_DTYPE_OF(float, Float32)
TS_DTYPE_OF(double, Float64)
#undef TS_DTYPE_OF

// Type used for arithmetic on a storage type: 16-bit floats compute in float.
template <class T>
struct OpMath {
  using type = T;
};
template <>
struct OpMath<Half> {
  using type = float;
};
template <>
struct OpMath<BFloat16> {
  using type = float;
};
template <class T>
using opmath_t = typename OpMath<T>::type;

}  // namespace tessera

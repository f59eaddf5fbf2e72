#pragma once
// Switch on a runtime dtype and run a lambda with `scalar_t` bound to the C++ type.
#include "core/dtype.h"
#include "core/error.h"

#define TS_PRIVATE_CASE(D, T, ...) \
  case ::tessera::DType::D: {      \
    using scalar_t = T;            \
    return __VA_ARGS__();          \
  }

#define TS_PRIVATE_FLOAT_CASES(...)                      \
  TS_PRIVATE_CASE(Float32, float, __VA_ARGS__)           \
  TS_PRIVATE_CASE(Float64, double, __VA_ARGS__)          \
  TS_PRIVATE_CASE(Float16, ::tessera::Half, __VA_ARGS__) \
  TS_PRIVATE_CASE(BFloat16, ::tessera::BFloat16, __VA_ARGS__)

#define TS_PRIVATE_INT_CASES(...)               \
  TS_PRIVATE_CASE(UInt8, uint8_t, __VA_ARGS__)  \
  TS_PRIVATE_CASE(Int8, int8_t, __VA_ARGS__)    \
  TS_PRIVATE_CASE(Int16, int16_t, __VA_ARGS__)  \
  TS_PRIVATE_CASE(Int32, int32_t, __VA_ARGS__)  \
  TS_PRIVATE_CASE(Int64, int64_t, __VA_ARGS__)

#define TS_PRIVATE_UNSUPPORTED(dtype, name) \
  default:                                  \
    TS_FAIL(Type, "[", name, "] not implemented for dtype ", ::tessera::dtype_name(dtype));

// Every dtype.
#define TS_DISPATCH_ALL_TYPES(dtype, name, ...)  \
  [&] {                                          \
    switch (dtype) {                             \
      TS_PRIVATE_CASE(Bool, bool, __VA_ARGS__)   \
      TS_PRIVATE_INT_CASES(__VA_ARGS__)          \
      TS_PRIVATE_FLOAT_CASES(__VA_ARGS__)        \
      TS_PRIVATE_UNSUPPORTED(dtype, name)        \
    }                                            \
  }()

// Every dtype except bool.
#define TS_DISPATCH_NUMERIC_TYPES(dtype, name, ...) \
  [&] {                                             \
    switch (dtype) {                                \
      TS_PRIVATE_INT_CASES(__VA_ARGS__)             \
      TS_PRIVATE_FLOAT_CASES(__VA_ARGS__)           \
      TS_PRIVATE_UNSUPPORTED(dtype, name)           \
    }                                               \
  }()

#define TS_DISPATCH_FLOATING_TYPES(dtype, name, ...) \
  [&] {                                              \
    switch (dtype) {                                 \
      TS_PRIVATE_FLOAT_CASES(__VA_ARGS__)            \
      TS_PRIVATE_UNSUPPORTED(dtype, name)            \
    }                                                \
  }()

// Integers and bool (bitwise ops).
#define TS_DISPATCH_INTEGRAL_TYPES(dtype, name, ...) \
  [&] {                                              \
    switch (dtype) {                                 \
      TS_PRIVATE_CASE(Bool, bool, __VA_ARGS__)       \
      TS_PRIVATE_INT_CASES(__VA_ARGS__)              \
      TS_PRIVATE_UNSUPPORTED(dtype, name)            \
    }                                                \
  }()

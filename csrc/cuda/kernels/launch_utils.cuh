#pragma once
// Shared pieces of the elementwise CUDA kernels: grid sizing, strided offsets, and the storage
// types of tessera's dtypes on the device (16-bit floats as __half / __nv_bfloat16).
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdint>

#include "cuda/kernels/strided_layout.h"

namespace tessera::cuda {

constexpr int kThreadsPerBlock = 256;

// Enough blocks to fill the GPU several times over; the kernels loop grid-stride past that.
inline unsigned grid_for(int64_t n) {
  const int64_t blocks = (n + kThreadsPerBlock - 1) / kThreadsPerBlock;
  return static_cast<unsigned>(std::min<int64_t>(std::max<int64_t>(blocks, 1), 65535));
}

// Byte offsets of linear index `i` (row-major over the layout, innermost dim first) per operand.
template <int N>
__device__ __forceinline__ void strided_offsets(const StridedLayout<N>& l, int64_t i, int64_t* off) {
#pragma unroll
  for (int k = 0; k < N; ++k) off[k] = 0;
  for (int d = 0; d < l.ndim; ++d) {
    const int64_t size = l.sizes[d];
    const int64_t idx = i % size;
    i /= size;
#pragma unroll
    for (int k = 0; k < N; ++k) off[k] += idx * l.strides[k][d];
  }
}

template <class T>
struct OpMathDevice {
  using type = T;
};
template <>
struct OpMathDevice<__half> {
  using type = float;
};
template <>
struct OpMathDevice<__nv_bfloat16> {
  using type = float;
};

template <class T>
__device__ __forceinline__ typename OpMathDevice<T>::type to_opmath(T v) {
  if constexpr (std::is_same_v<T, __half>) {
    return __half2float(v);
  } else if constexpr (std::is_same_v<T, __nv_bfloat16>) {
    return __bfloat162float(v);
  } else {
    return v;
  }
}

// PyTorch's conversions: to bool is "!= 0" (NaN is true); to 16-bit floats rounds from float.
template <class To, class From>
__device__ __forceinline__ To convert_value(From v) {
  const auto x = to_opmath(v);
  if constexpr (std::is_same_v<To, bool>) {
    return x != decltype(x)(0);
  } else if constexpr (std::is_same_v<To, uint8_t> && std::is_floating_point_v<decltype(x)>) {
    return static_cast<uint8_t>(static_cast<int64_t>(x));  // wraps like the CPU (c10's rule), no saturation
  } else if constexpr (std::is_same_v<To, __half>) {
    return __float2half_rn(static_cast<float>(x));
  } else if constexpr (std::is_same_v<To, __nv_bfloat16>) {
    return __float2bfloat16_rn(static_cast<float>(x));
  } else {
    return static_cast<To>(x);
  }
}

}  // namespace tessera::cuda

// Calls __VA_ARGS__ with `scalar_t` the device storage type of `dtype` (a tessera::DType).
#define TS_CUDA_DISPATCH_ALL_TYPES(dtype, ...) \
  [&] {                                        \
    switch (dtype) {                           \
      case ::tessera::DType::Bool: {           \
        using scalar_t = bool;                 \
        return __VA_ARGS__();                  \
      }                                        \
      case ::tessera::DType::UInt8: {          \
        using scalar_t = uint8_t;              \
        return __VA_ARGS__();                  \
      }                                        \
      case ::tessera::DType::Int8: {           \
        using scalar_t = int8_t;               \
        return __VA_ARGS__();                  \
      }                                        \
      case ::tessera::DType::Int16: {          \
        using scalar_t = int16_t;              \
        return __VA_ARGS__();                  \
      }                                        \
      case ::tessera::DType::Int32: {          \
        using scalar_t = int32_t;              \
        return __VA_ARGS__();                  \
      }                                        \
      case ::tessera::DType::Int64: {          \
        using scalar_t = int64_t;              \
        return __VA_ARGS__();                  \
      }                                        \
      case ::tessera::DType::Float16: {        \
        using scalar_t = __half;               \
        return __VA_ARGS__();                  \
      }                                        \
      case ::tessera::DType::BFloat16: {       \
        using scalar_t = __nv_bfloat16;        \
        return __VA_ARGS__();                  \
      }                                        \
      case ::tessera::DType::Float32: {        \
        using scalar_t = float;                \
        return __VA_ARGS__();                  \
      }                                        \
      case ::tessera::DType::Float64: {        \
        using scalar_t = double;               \
        return __VA_ARGS__();                  \
      }                                        \
    }                                          \
  }()

// Calls __VA_ARGS__ with `scalar_t` one of the floating storage types.
#define TS_CUDA_DISPATCH_FLOATING_TYPES(dtype, ...) \
  [&] {                                             \
    switch (dtype) {                                \
      case ::tessera::DType::Float16: {             \
        using scalar_t = __half;                    \
        return __VA_ARGS__();                       \
      }                                             \
      case ::tessera::DType::BFloat16: {            \
        using scalar_t = __nv_bfloat16;             \
        return __VA_ARGS__();                       \
      }                                             \
      case ::tessera::DType::Float32: {             \
        using scalar_t = float;                     \
        return __VA_ARGS__();                       \
      }                                             \
      case ::tessera::DType::Float64: {             \
        using scalar_t = double;                    \
        return __VA_ARGS__();                       \
      }                                             \
      default:                                      \
        break;                                      \
    }                                               \
  }()

// Calls __VA_ARGS__ with `scalar_t` one of the integer storage types (not bool).
#define TS_CUDA_DISPATCH_INTEGER_TYPES(dtype, ...) \
  [&] {                                            \
    switch (dtype) {                               \
      case ::tessera::DType::UInt8: {              \
        using scalar_t = uint8_t;                  \
        return __VA_ARGS__();                      \
      }                                            \
      case ::tessera::DType::Int8: {               \
        using scalar_t = int8_t;                   \
        return __VA_ARGS__();                      \
      }                                            \
      case ::tessera::DType::Int16: {              \
        using scalar_t = int16_t;                  \
        return __VA_ARGS__();                      \
      }                                            \
      case ::tessera::DType::Int32: {              \
        using scalar_t = int32_t;                  \
        return __VA_ARGS__();                      \
      }                                            \
      case ::tessera::DType::Int64: {              \
        using scalar_t = int64_t;                  \
        return __VA_ARGS__();                      \
      }                                            \
      default:                                     \
        break;                                     \
    }                                              \
  }()

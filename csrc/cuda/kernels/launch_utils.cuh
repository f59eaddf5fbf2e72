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

// One `case` of the dispatch macros below: `scalar_t` is the device storage type T of DType::E.
#define TS_CUDA_TYPE_CASE(E, T, ...) \
  case ::tessera::DType::E: {        \
    using scalar_t = T;              \
    return __VA_ARGS__();            \
  }

#define TS_CUDA_INTEGER_CASES(...)                  \
  TS_CUDA_TYPE_CASE(UInt8, uint8_t, __VA_ARGS__)    \
  TS_CUDA_TYPE_CASE(Int8, int8_t, __VA_ARGS__)      \
  TS_CUDA_TYPE_CASE(Int16, int16_t, __VA_ARGS__)    \
  TS_CUDA_TYPE_CASE(Int32, int32_t, __VA_ARGS__)    \
  TS_CUDA_TYPE_CASE(Int64, int64_t, __VA_ARGS__)

#define TS_CUDA_FLOATING_CASES(...)                      \
  TS_CUDA_TYPE_CASE(Float16, __half, __VA_ARGS__)        \
  TS_CUDA_TYPE_CASE(BFloat16, __nv_bfloat16, __VA_ARGS__) \
  TS_CUDA_TYPE_CASE(Float32, float, __VA_ARGS__)         \
  TS_CUDA_TYPE_CASE(Float64, double, __VA_ARGS__)

// Calls __VA_ARGS__ with `scalar_t` the device storage type of `dtype` (a tessera::DType).
#define TS_CUDA_DISPATCH_ALL_TYPES(dtype, ...)    \
  [&] {                                           \
    switch (dtype) {                              \
      TS_CUDA_TYPE_CASE(Bool, bool, __VA_ARGS__)  \
      TS_CUDA_INTEGER_CASES(__VA_ARGS__)          \
      TS_CUDA_FLOATING_CASES(__VA_ARGS__)         \
    }                                             \
  }()

// Calls __VA_ARGS__ with `scalar_t` one of the floating storage types.
#define TS_CUDA_DISPATCH_FLOATING_TYPES(dtype, ...) \
  [&] {                                             \
    switch (dtype) {                                \
      TS_CUDA_FLOATING_CASES(__VA_ARGS__)           \
      default:                                      \
        break;                                      \
    }                                               \
  }()

// Calls __VA_ARGS__ with `scalar_t` one of the integer storage types (not bool).
#define TS_CUDA_DISPATCH_INTEGER_TYPES(dtype, ...) \
  [&] {                                            \
    switch (dtype) {                               \
      TS_CUDA_INTEGER_CASES(__VA_ARGS__)           \
      default:                                     \
        break;                                     \
    }                                              \
  }()

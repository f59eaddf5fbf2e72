#pragma once
#include <vector>

#include "core/tensor.h"

namespace tessera::testing {

// A contiguous float32 CPU tensor holding `values` with `sizes`.
inline Tensor float_tensor(std::vector<float> values, IntArrayRef sizes) {
  Tensor t = empty_tensor(sizes, DType::Float32);
  std::copy(values.begin(), values.end(), t.data<float>());
  return t;
}

inline Tensor arange_float(int64_t n, IntArrayRef sizes) {
  std::vector<float> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = static_cast<float>(i);
  return float_tensor(v, sizes);
}

// Element at a multi-index, honouring strides and offset.
inline float at(const Tensor& t, std::vector<int64_t> idx) {
  int64_t off = 0;
  for (size_t i = 0; i < idx.size(); ++i) off += idx[i] * t.strides()[i];
  return t.data<float>()[off];
}

}  // namespace tessera::testing

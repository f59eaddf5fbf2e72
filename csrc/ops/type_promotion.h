#pragma once
// PyTorch's result_type: tensors with dims outrank 0-d tensors, which outrank Python numbers
// (wrapped numbers); a lower group only matters when it is of a higher category
// (bool < integer < floating), and then it contributes its category's default dtype.
#include <initializer_list>

#include "core/tensor.h"

namespace tessera {

DType result_type(std::initializer_list<const Tensor*> tensors);
inline DType result_type(const Tensor& a, const Tensor& b) { return result_type({&a, &b}); }
// PyTorch's can_cast: no floating -> integral, no non-bool -> bool.
inline bool can_cast(DType from, DType to) {
  if (is_floating(from) && !is_floating(to)) return false;
  if (from != DType::Bool && to == DType::Bool) return false;
  return true;
}
// RuntimeError unless the result of an in-place op fits the tensor written to.
void check_inplace_result(const char* op, DType result, DType self);
// A 0-d CPU tensor from a Python number (float -> float64, int -> int64, bool -> bool) that
// promotes like a scalar.
Tensor wrapped_scalar(const Scalar& s);
// `t` in `dtype`: t itself if it already is, else a converted copy.
Tensor to_dtype(const Tensor& t, DType dtype);
// Float result of an op that needs one (true division, sqrt ...): integers and bool give float32.
inline DType to_float_dtype(DType t) { return is_floating(t) ? t : DType::Float32; }

}  // namespace tessera

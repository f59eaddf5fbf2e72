#pragma once
// TensorIterator -> EwArgs (host side).
#include <cstring>

#include "core/error.h"
#include "cuda/kernels/ew_args.h"
#include "ops/tensor_iterator.h"

namespace tessera::cuda {

inline EwArgs make_ew_args(const TensorIterator& iter, const char* op) {
  EwArgs a;
  const int nt = iter.ntensors();
  TS_CHECK(nt <= kMaxEwOperands, "[", op, "] CUDA elementwise kernels take at most ", kMaxEwOperands, " operands");
  IntArrayRef shape = iter.iter_shape();
  TS_CHECK_NOT_IMPLEMENTED(shape.size() <= static_cast<size_t>(kMaxKernelDims), "[", op,
                           "] CUDA kernels support at most ", kMaxKernelDims, " non-coalescible dimensions, got ",
                           shape.size());
  a.ntensors = nt;
  a.n = iter.numel();
  a.layout.ndim = static_cast<int>(shape.size());
  a.layout.contiguous = iter.is_contiguous();
  for (int d = 0; d < a.layout.ndim; ++d) {
    a.layout.sizes[d] = shape[d];
    for (int k = 0; k < nt; ++k) a.layout.strides[k][d] = iter.byte_strides(k)[d];
  }
  for (int k = 0; k < nt; ++k) {
    const Tensor& t = iter.output(k);
    if (t.device().is_cpu()) {  // a 0-d CPU operand: passed by value
      std::memcpy(&a.scalar[k], t.data_ptr(), static_cast<size_t>(t.itemsize()));
      a.has_cpu_scalar = true;
    } else {
      a.data[k] = static_cast<char*>(t.data_ptr());
    }
  }
  return a;
}

}  // namespace tessera::cuda

#pragma once
// TensorIterator -> StridedLayout for the CUDA kernels (host side).
#include "core/error.h"
#include "cuda/kernels/strided_layout.h"
#include "ops/tensor_iterator.h"

namespace tessera::cuda {

template <int N>
StridedLayout<N> make_layout(const TensorIterator& iter, const char* op) {
  StridedLayout<N> l;
  IntArrayRef shape = iter.iter_shape();
  TS_CHECK_NOT_IMPLEMENTED(shape.size() <= static_cast<size_t>(kMaxKernelDims), "[", op,
                           "] CUDA kernels support at most ", kMaxKernelDims, " non-coalescible dimensions, got ",
                           shape.size());
  l.ndim = static_cast<int>(shape.size());
  l.contiguous = iter.is_contiguous();
  for (int d = 0; d < l.ndim; ++d) {
    l.sizes[d] = shape[d];
    for (int k = 0; k < N; ++k) l.strides[k][d] = iter.byte_strides(k)[d];
  }
  return l;
}

}  // namespace tessera::cuda

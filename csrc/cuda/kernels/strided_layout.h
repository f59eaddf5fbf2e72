#pragma once
// The iteration space of a TensorIterator in a form a CUDA kernel can take by value: the
// coalesced shape (innermost first) and each operand's byte strides. Plain C++ so that .cpp
// launchers fill it and .cu kernels read it without sharing headers beyond this one.
#include <cstdint>

namespace tessera::cuda {

constexpr int kMaxKernelDims = 16;

template <int NOperands>
struct StridedLayout {
  int ndim = 0;
  bool contiguous = false;  // every operand dense in iteration order: index i is element i
  int64_t sizes[kMaxKernelDims] = {};
  int64_t strides[NOperands][kMaxKernelDims] = {};  // bytes
};

}  // namespace tessera::cuda

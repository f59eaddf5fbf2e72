#pragma once
// CPU binary kernels, split over files to keep compile times short.
#include "ops/binary_stubs.h"
#include "ops/tensor_iterator.h"

namespace tessera::cpu {
void binary_arith_kernel(const TensorIterator& iter, BinaryOp op);    // binary_kernels.cpp
void binary_intdiv_kernel(const TensorIterator& iter, BinaryOp op);   // binary_div_kernels.cpp
void binary_bitwise_kernel(const TensorIterator& iter, BinaryOp op);  // bitwise_kernels.cpp
}  // namespace tessera::cpu

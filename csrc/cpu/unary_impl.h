#pragma once
// CPU unary kernels, split over files to keep compile times short.
#include "ops/tensor_iterator.h"
#include "ops/unary_stubs.h"

namespace tessera::cpu {
void unary_transcendental_kernel(const TensorIterator& iter, UnaryOp op);           // unary_float_kernels.cpp
void unary_float_misc_kernel(const TensorIterator& iter, UnaryOp op, int64_t arg);  // unary_misc_kernels.cpp
void unary_integral_kernel(const TensorIterator& iter, UnaryOp op);                 // unary_misc_kernels.cpp
}  // namespace tessera::cpu

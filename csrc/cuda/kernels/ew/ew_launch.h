#pragma once
// Host entry points of the elementwise op kernels (csrc/cuda/kernels/ew/*.cu), called by the stub
// implementations in csrc/cuda/elementwise_cuda.cpp. Scalars arrive converted on the host.
#include <cuda_runtime_api.h>

#include <cstdint>

#include "core/dtype.h"
#include "cuda/kernels/ew_args.h"
#include "ops/activation_stubs.h"
#include "ops/binary_stubs.h"
#include "ops/compare_stubs.h"
#include "ops/ternary_stubs.h"
#include "ops/unary_stubs.h"

namespace tessera::cuda {

// A Scalar argument in the forms the kernels take: `d` for floating compute types, `i` for
// integral ones, `b` for bool.
struct ScalarArg {
  double d = 0;
  int64_t i = 0;
  bool b = false;
};

void launch_unary(const EwArgs& a, DType dtype, UnaryOp op, int64_t arg, cudaStream_t stream);
// posinf/neginf already resolved (the storage type's largest finite values by default).
void launch_nan_to_num(const EwArgs& a, DType dtype, double nan, double posinf, double neginf, cudaStream_t stream);
void launch_add(const EwArgs& a, DType dtype, const ScalarArg& alpha, cudaStream_t stream);
void launch_binary(const EwArgs& a, DType dtype, BinaryOp op, cudaStream_t stream);
// dtype: the inputs' dtype (the output is bool).
void launch_compare(const EwArgs& a, DType dtype, CompareOp op, cudaStream_t stream);
void launch_ternary(const EwArgs& a, DType dtype, TernaryOp op, const ScalarArg& value, cudaStream_t stream);
void launch_activation(const EwArgs& a, DType dtype, ActOp op, double p0, double p1, cudaStream_t stream);
void launch_activation_backward(const EwArgs& a, DType dtype, ActOp op, cudaStream_t stream);

}  // namespace tessera::cuda

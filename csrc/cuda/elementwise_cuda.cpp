// CUDA implementations of the elementwise op stubs (unary, nan_to_num, add, binary, compare,
// ternary, activation and its fused backward): the TensorIterator becomes an EwArgs and the
// kernels in csrc/cuda/kernels/ew run on the current stream of the iteration's device.
#include <limits>

#include "cuda/kernels/ew/ew_launch.h"
#include "cuda/kernels/ew_args_from_iter.h"
#include "cuda/runtime/device.h"
#include "cuda/runtime/stream.h"
#include "ops/activation_backward_stubs.h"
#include "ops/tensor_iterator.h"

namespace tessera::cuda {
namespace {

// Runs `launch(args, stream)` on the iteration's device.
template <class F>
void run_on_device(const TensorIterator& iter, const char* op, F&& launch) {
  if (iter.numel() == 0) return;
  const int device = iter.device().index;
  DeviceGuard guard(device);
  launch(make_ew_args(iter, op), current_stream(device).handle());
}

ScalarArg scalar_arg(const Scalar& s) {
  ScalarArg a;
  a.d = s.to_double();
  a.i = s.to<int64_t>();
  a.b = s.to_bool();
  return a;
}

void unary_cuda(const TensorIterator& iter, UnaryOp op, int64_t arg) {
  run_on_device(iter, "unary", [&](const EwArgs& a, cudaStream_t s) { launch_unary(a, iter.dtype(0), op, arg, s); });
}

void nan_to_num_cuda(const TensorIterator& iter, double nan, std::optional<double> posinf,
                     std::optional<double> neginf) {
  const DType dt = iter.dtype(0);
  // The largest finite value of the storage type (65504 for half), not of the compute type.
  const double big = dt == DType::Float16    ? 65504.0
                     : dt == DType::BFloat16 ? 3.3895313892515355e38
                     : dt == DType::Float32  ? static_cast<double>(std::numeric_limits<float>::max())
                                             : std::numeric_limits<double>::max();
  run_on_device(iter, "nan_to_num", [&](const EwArgs& a, cudaStream_t s) {
    launch_nan_to_num(a, dt, nan, posinf.value_or(big), neginf.value_or(-big), s);
  });
}

void add_cuda(const TensorIterator& iter, const Scalar& alpha) {
  run_on_device(iter, "add",
                [&](const EwArgs& a, cudaStream_t s) { launch_add(a, iter.dtype(0), scalar_arg(alpha), s); });
}

void binary_cuda(const TensorIterator& iter, BinaryOp op) {
  run_on_device(iter, binary_op_name(op),
                [&](const EwArgs& a, cudaStream_t s) { launch_binary(a, iter.dtype(0), op, s); });
}

void compare_cuda(const TensorIterator& iter, CompareOp op) {
  run_on_device(iter, "compare", [&](const EwArgs& a, cudaStream_t s) { launch_compare(a, iter.dtype(1), op, s); });
}

void ternary_cuda(const TensorIterator& iter, TernaryOp op, const Scalar& value) {
  run_on_device(iter, "ternary",
                [&](const EwArgs& a, cudaStream_t s) { launch_ternary(a, iter.dtype(0), op, scalar_arg(value), s); });
}

void activation_cuda(const TensorIterator& iter, ActOp op, double p0, double p1) {
  run_on_device(iter, "activation",
                [&](const EwArgs& a, cudaStream_t s) { launch_activation(a, iter.dtype(0), op, p0, p1, s); });
}

void activation_backward_cuda(const TensorIterator& iter, ActOp op) {
  run_on_device(iter, "activation_backward",
                [&](const EwArgs& a, cudaStream_t s) { launch_activation_backward(a, iter.dtype(0), op, s); });
}

}  // namespace

TS_REGISTER_STUB(unary_stub, CUDA, &unary_cuda);
TS_REGISTER_STUB(nan_to_num_stub, CUDA, &nan_to_num_cuda);
TS_REGISTER_STUB(add_stub, CUDA, &add_cuda);
TS_REGISTER_STUB(binary_stub, CUDA, &binary_cuda);
TS_REGISTER_STUB(compare_stub, CUDA, &compare_cuda);
TS_REGISTER_STUB(ternary_stub, CUDA, &ternary_cuda);
TS_REGISTER_STUB(activation_stub, CUDA, &activation_cuda);
TS_REGISTER_STUB(activation_backward_stub, CUDA, &activation_backward_cuda);

}  // namespace tessera::cuda

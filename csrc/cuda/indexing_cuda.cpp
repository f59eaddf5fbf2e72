// CUDA implementations of the indexing stubs (ops/indexing_stubs.h): gather (index_stub), scatter
// (index_put_stub, every IndexPutMode), scatter_reduce's mean and __contains__ (nonzero, which
// bool masks need, is the reduction backend's). Bad indices are reported as on the CPU, through
// one read-back per op (cuda/index_error_check.h).
#include <cstring>

#include "core/dispatch_type.h"
#include "cuda/index_error_check.h"
#include "cuda/kernels/ew_args_from_iter.h"
#include "cuda/kernels/indexing/index_launch.h"
#include "cuda/runtime/cuda_check.h"
#include "cuda/runtime/device.h"
#include "cuda/runtime/stream.h"
#include "ops/tensor_iterator.h"

namespace tessera::cuda {
namespace {

IndexLaunch make_index_launch(const TensorIterator& iter, const IndexSpec& s) {
  IndexLaunch a;
  const int nt = iter.ntensors();
  TS_CHECK(nt == 2 + s.n && s.n >= 1 && s.n <= kMaxIndexTensors, "[", s.op, "] unexpected index operands");
  IntArrayRef shape = iter.iter_shape();
  TS_CHECK_NOT_IMPLEMENTED(shape.size() <= static_cast<size_t>(kMaxKernelDims), "[", s.op,
                           "] CUDA kernels support at most ", kMaxKernelDims, " non-coalescible dimensions, got ",
                           shape.size());
  a.n = iter.numel();
  a.layout.ndim = static_cast<int>(shape.size());
  for (int d = 0; d < a.layout.ndim; ++d) {
    a.layout.sizes[d] = shape[d];
    for (int k = 0; k < nt; ++k) a.layout.strides[k][d] = iter.byte_strides(k)[d];
  }
  for (int k = 0; k < nt; ++k) {
    const Tensor& t = iter.output(k);
    TS_CHECK(t.device().is_cuda(), "[", s.op, "] expected every operand on ", iter.device().str(), ", got ",
             t.device().str());
    a.data[k] = static_cast<char*>(t.data_ptr());
  }
  a.bounds.n = s.n;
  a.bounds.wrap_negative = s.wrap_negative;
  for (int k = 0; k < s.n; ++k) a.bounds.sizes[k] = s.sizes[k], a.bounds.strides[k] = s.strides[k];
  return a;
}

// Raises the CPU kernel's error for element `i`: its index values are read back (error path
// only) and checked in operand order, as index_offset on the CPU does.
[[noreturn]] void raise_bad_index(const IndexLaunch& a, const IndexSpec& s, int64_t i, cudaStream_t stream) {
  int64_t off[kMaxIndexOperands] = {};
  for (int d = 0; d < a.layout.ndim; ++d) {
    const int64_t idx = i % a.layout.sizes[d];
    i /= a.layout.sizes[d];
    for (int k = 0; k < 2 + s.n; ++k) off[k] += idx * a.layout.strides[k][d];
  }
  for (int k = 0; k < s.n; ++k) {
    int64_t v = 0;
    read_device_bytes(&v, a.data[2 + k] + off[2 + k], sizeof(v), stream);
    const int64_t w = v < 0 && s.wrap_negative ? v + s.sizes[k] : v;
    if (w < 0 || w >= s.sizes[k]) index_out_of_range(s, k, v);
  }
  TS_FAIL(Runtime, "[", s.op, "] an index is out of range");  // not reached: the kernel saw one
}

// Runs `launch(a, stream)` with an error word, then raises the first bad index it recorded.
template <class F>
void run_checked(const TensorIterator& iter, const IndexSpec& s, F&& launch) {
  if (iter.numel() == 0) return;
  const Device device = iter.device();
  DeviceGuard guard(device.index);
  const cudaStream_t stream = current_stream(device.index).handle();
  IndexLaunch a = make_index_launch(iter, s);
  FirstBadIndex bad(device, stream);
  a.error = bad.device_ptr();
  launch(a, stream);
  if (const std::optional<int64_t> i = bad.read()) raise_bad_index(a, s, *i, stream);
}

void index_cuda(const TensorIterator& iter, const IndexSpec& s) {
  const int elem = static_cast<int>(itemsize(iter.dtype(0)));
  run_checked(iter, s, [&](const IndexLaunch& a, cudaStream_t stream) { launch_index_gather(a, elem, stream); });
}

void index_put_cuda(const TensorIterator& iter, const IndexSpec& s, IndexPutMode mode, const Scalar& alpha) {
  const DType dt = iter.dtype(0);
  if (mode == IndexPutMode::Assign) {
    const int elem = static_cast<int>(itemsize(dt));
    run_checked(iter, s, [&](const IndexLaunch& a, cudaStream_t stream) { launch_index_assign(a, elem, stream); });
    return;
  }
  uint64_t alpha_bits = 0;  // alpha in the kernel's opmath type, converted as the CPU converts it
  TS_DISPATCH_ALL_TYPES(dt, s.op, [&] {
    const opmath_t<scalar_t> v = alpha.to<opmath_t<scalar_t>>();
    std::memcpy(&alpha_bits, &v, sizeof(v));
  });
  run_checked(iter, s, [&](const IndexLaunch& a, cudaStream_t stream) {
    launch_index_accumulate(a, dt, mode, alpha_bits, stream);
  });
}

void scatter_mean_cuda(const TensorIterator& iter) {
  if (iter.numel() == 0) return;
  const int device = iter.device().index;
  DeviceGuard guard(device);
  launch_scatter_mean(make_ew_args(iter, "scatter_reduce"), iter.dtype(0), current_stream(device).handle());
}

bool contains_cuda(const TensorIterator& iter) {
  if (iter.numel() == 0) return false;
  const Device device = iter.device();
  DeviceGuard guard(device.index);
  const cudaStream_t stream = current_stream(device.index).handle();
  Tensor found = empty_tensor(DimVector{1}, DType::Int32, device);
  int* flag = static_cast<int*>(found.data_ptr());
  TS_CUDA_CHECK(cudaMemsetAsync(flag, 0, sizeof(int), stream));
  launch_contains(make_ew_args(iter, "__contains__"), iter.dtype(0), flag, stream);
  int host = 0;
  read_device_bytes(&host, flag, sizeof(host), stream);
  return host != 0;
}

}  // namespace

TS_REGISTER_STUB(index_stub, CUDA, &index_cuda);
TS_REGISTER_STUB(index_put_stub, CUDA, &index_put_cuda);
TS_REGISTER_STUB(scatter_mean_stub, CUDA, &scatter_mean_cuda);
TS_REGISTER_STUB(contains_stub, CUDA, &contains_cuda);

}  // namespace tessera::cuda

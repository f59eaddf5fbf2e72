// CUDA implementations of the factory stubs (fill, arange, linspace): values are converted on the
// host exactly as the CPU kernels convert them, then written by csrc/cuda/kernels/fill.
#include <cstring>

#include "core/dispatch_type.h"
#include "cuda/kernels/elementwise_launch.h"
#include "cuda/kernels/iterator_layout.h"
#include "cuda/runtime/device.h"
#include "cuda/runtime/stream.h"
#include "ops/creation_stubs.h"

namespace tessera::cuda {
namespace {

void fill_cuda(const TensorIterator& iter, const Scalar& value) {
  const Tensor& out = iter.output(0);
  uint64_t bits = 0;
  TS_DISPATCH_ALL_TYPES(iter.dtype(0), "fill_", [&] {
    const scalar_t v = value.to<scalar_t>();
    std::memcpy(&bits, &v, sizeof(scalar_t));
  });
  const int device = out.device().index;
  DeviceGuard guard(device);
  launch_fill(static_cast<char*>(out.data_ptr()), make_layout<1>(iter, "fill_"), iter.numel(),
              static_cast<int>(out.itemsize()), bits, current_stream(device).handle());
}

void range_cuda(const Tensor& out, RangeKind kind, const Scalar& a, const Scalar& b) {
  RangeArgs args;
  if (is_integral(out.dtype())) {
    if (kind == RangeKind::Arange) {  // int64 accumulate type, as on the CPU
      args.i_a = a.to<int64_t>(), args.i_b = b.to<int64_t>();
    } else {  // linspace endpoints are values of the result dtype
      TS_DISPATCH_ALL_TYPES(out.dtype(), "linspace", [&] {
        args.i_a = static_cast<int64_t>(a.to<scalar_t>()), args.i_b = static_cast<int64_t>(b.to<scalar_t>());
      });
    }
  } else {
    args.d_a = a.to<double>(), args.d_b = b.to<double>();
  }
  const int device = out.device().index;
  DeviceGuard guard(device);
  cudaStream_t stream = current_stream(device).handle();
  if (kind == RangeKind::Arange) {
    launch_arange(out.data_ptr(), out.dtype(), out.numel(), args, stream);
  } else {
    launch_linspace(out.data_ptr(), out.dtype(), out.numel(), args, stream);
  }
}

}  // namespace

TS_REGISTER_STUB(fill_stub, CUDA, &fill_cuda);
TS_REGISTER_STUB(range_stub, CUDA, &range_cuda);

}  // namespace tessera::cuda

// CUDA implementations of the GradScaler stubs: gradients grouped by dtype, each group unscaled by
// multi-tensor launches of csrc/cuda/kernels/amp on the current stream; the scale update is one
// single-thread kernel. found_inf, inv_scale and the scale never leave the device.
#include <array>
#include <vector>

#include "amp/grad_scaler_stubs.h"
#include "cuda/kernels/amp/amp_launch.h"
#include "cuda/runtime/device.h"
#include "cuda/runtime/stream.h"

namespace tessera::cuda {
namespace {

void amp_unscale_cuda(TensorList grads, const Tensor& found_inf, const Tensor& inv_scale) {
  const int device = found_inf.device().index;
  DeviceGuard guard(device);
  cudaStream_t stream = current_stream(device).handle();
  constexpr std::array<DType, 4> kFloats = {DType::Float32, DType::Float16, DType::BFloat16, DType::Float64};
  std::vector<AmpTensor> group;
  group.reserve(grads.size());
  for (DType dt : kFloats) {
    group.clear();
    for (const Tensor& t : grads)
      if (t.dtype() == dt && t.numel() > 0) group.push_back({t.data_ptr(), t.numel()});
    if (!group.empty())
      launch_amp_unscale(group.data(), static_cast<int>(group.size()), dt, found_inf.data<float>(),
                         inv_scale.data<float>(), stream);
  }
}

void amp_update_scale_cuda(const Tensor& scale, const Tensor& growth_tracker, const Tensor& found_inf,
                           double growth_factor, double backoff_factor, int64_t growth_interval) {
  const int device = scale.device().index;
  DeviceGuard guard(device);
  launch_amp_update_scale(scale.data<float>(), growth_tracker.data<int32_t>(), found_inf.data<float>(), growth_factor,
                          backoff_factor, growth_interval, current_stream(device).handle());
}

}  // namespace

TS_REGISTER_STUB(amp_unscale_stub, CUDA, &amp_unscale_cuda);
TS_REGISTER_STUB(amp_update_scale_stub, CUDA, &amp_update_scale_cuda);

}  // namespace tessera::cuda

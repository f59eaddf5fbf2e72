// Front-ends of the GradScaler ops: PyTorch's argument checks (and messages), then one per-device
// stub call. Everything stays on the device: the only host read of found_inf is GradScaler.step's.
#include "amp/grad_scaler_ops.h"

#include <vector>

#include "amp/grad_scaler_stubs.h"
#include "core/error.h"
#include "ops/copy.h"

namespace tessera {

TS_DEFINE_STUB(amp_unscale_stub, "_amp_foreach_non_finite_check_and_unscale_",
               void(TensorList, const Tensor&, const Tensor&));
TS_DEFINE_STUB(amp_update_scale_stub, "_amp_update_scale_",
               void(const Tensor&, const Tensor&, const Tensor&, double, double, int64_t));

namespace {

constexpr const char* kUnscale = "_amp_foreach_non_finite_check_and_unscale_";
constexpr const char* kUpdate = "_amp_update_scale_";

const char* kind(Device d) {
  return d.type == DeviceType::CUDA ? "CUDA" : d.type == DeviceType::CPU ? "CPU" : "plugin";
}

// A one-element tensor of `dtype` on `device` (PyTorch checks each property with its own message).
void check_scalar_tensor(const char* op, const char* name, const Tensor& t, Device device, DType dtype,
                         const char* dtype_word /* "a float" */) {
  TS_CHECK(t.defined(), "[", op, "] ", name, " must be a tensor");
  TS_CHECK(t.device().type == device.type, "[", op, "] ", name, " must be a ", kind(device), " tensor.");
  TS_CHECK(t.device() == device, "[", op, "] ", name, " must be on the same device as the other arguments (",
           device.str(), "), got ", t.device().str());
  TS_CHECK(t.numel() == 1, "[", op, "] ", name, " must be a 1-element tensor.");
  TS_CHECK(t.dtype() == dtype, "[", op, "] ", name, " must be ", dtype_word, " tensor.");
}

void unscale_kernel(TensorList grads, const Tensor& found_inf, const Tensor& inv_scale) {
  if (grads.empty()) return;
  const Device device = grads[0].device();
  check_scalar_tensor(kUnscale, "inv_scale", inv_scale, device, DType::Float32, "a float");
  check_scalar_tensor(kUnscale, "found_inf", found_inf, device, DType::Float32, "a float");
  for (const Tensor& t : grads) {
    TS_CHECK(t.defined(), "[", kUnscale, "] scaled_grads must not contain undefined tensors");
    TS_CHECK(t.device().type == device.type, "[", kUnscale, "] one of scaled_grads was not a ", kind(device),
             " tensor.");
    TS_CHECK(t.device() == device, "[", kUnscale, "] scaled_grads must be on the same device.");
    TS_CHECK(is_floating(t.dtype()), "[", kUnscale, "] scaled_grads must be floating point, got ",
             dtype_name(t.dtype()));
  }
  // The kernels take dense tensors; a strided gradient (rare) is unscaled in a copy written back.
  std::vector<Tensor> dense(grads.begin(), grads.end());
  std::vector<size_t> copied;
  for (size_t i = 0; i < dense.size(); ++i) {
    if (!dense[i].is_contiguous()) {
      dense[i] = ops::contiguous(dense[i]);
      copied.push_back(i);
    }
  }
  amp_unscale_stub(device, dense, found_inf, inv_scale);
  for (size_t i : copied) ops::copy_(grads[i], dense[i]);
  for (size_t i = 0; i < grads.size(); ++i)
    if (dense[i].is_same(grads[i])) grads[i].bump_version();
  found_inf.bump_version();
}

Tensor update_scale_kernel(const Tensor& scale, const Tensor& growth_tracker, const Tensor& found_inf,
                           double growth_factor, double backoff_factor, int64_t growth_interval) {
  const Device device = scale.device();
  check_scalar_tensor(kUpdate, "growth_tracker", growth_tracker, device, DType::Int32, "an int");
  check_scalar_tensor(kUpdate, "current_scale", scale, device, DType::Float32, "a float");
  check_scalar_tensor(kUpdate, "found_inf", found_inf, device, DType::Float32, "a float");
  amp_update_scale_stub(device, scale, growth_tracker, found_inf, growth_factor, backoff_factor, growth_interval);
  scale.bump_version();
  growth_tracker.bump_version();
  return scale;
}

}  // namespace

TS_REGISTER_OP_ALL_BACKENDS(
    "_amp_foreach_non_finite_check_and_unscale_(Tensor[] self, Tensor found_inf, Tensor inv_scale) -> ()",
    &unscale_kernel);
TS_REGISTER_OP_ALL_BACKENDS(
    "_amp_update_scale_(Tensor self, Tensor growth_tracker, Tensor found_inf, float scale_growth_factor, "
    "float scale_backoff_factor, int growth_interval) -> Tensor",
    &update_scale_kernel);
// They write gradients and scaler state in place, outside any graph (GradScaler runs under no_grad).
TS_NONDIFFERENTIABLE("_amp_foreach_non_finite_check_and_unscale_", "_amp_update_scale_");

namespace ops {
void amp_foreach_non_finite_check_and_unscale_(TensorList grads, const Tensor& found_inf, const Tensor& inv_scale) {
  static TypedOp<void(TensorList, const Tensor&, const Tensor&)> op("_amp_foreach_non_finite_check_and_unscale_");
  op(grads, found_inf, inv_scale);
}
Tensor amp_update_scale_(const Tensor& scale, const Tensor& growth_tracker, const Tensor& found_inf,
                         double growth_factor, double backoff_factor, int64_t growth_interval) {
  static TypedOp<Tensor(const Tensor&, const Tensor&, const Tensor&, double, double, int64_t)> op("_amp_update_scale_");
  return op(scale, growth_tracker, found_inf, growth_factor, backoff_factor, growth_interval);
}
}  // namespace ops

}  // namespace tessera

#include "autograd/anomaly_mode.h"

#include "autograd/grad_mode.h"
#include "core/error.h"
#include "ops/compare.h"
#include "ops/copy.h"
#include "ops/reduce.h"

namespace tessera::autograd {

std::atomic<bool> AnomalyMode::enabled_{false};
std::atomic<bool> AnomalyMode::check_nan_{true};

namespace {
std::atomic<AnomalyMetadataFactory> g_factory{nullptr};

bool has_nan(const Tensor& t) {
  if (!is_floating(t.dtype()) || t.numel() == 0) return false;
  GradModeGuard no_grad(false);  // the check itself is not part of any graph
  Tensor a = ops::any(ops::isnan(t));
  if (!a.device().is_cpu()) a = ops::to(a, Device(DeviceType::CPU), std::nullopt);
  return *static_cast<const bool*>(a.data_ptr());
}
}  // namespace

void AnomalyMode::set_enabled(bool enabled, bool check_nan) {
  check_nan_.store(check_nan, std::memory_order_relaxed);
  enabled_.store(enabled, std::memory_order_relaxed);
}

void set_anomaly_metadata_factory(AnomalyMetadataFactory factory) {
  g_factory.store(factory);
}

std::shared_ptr<AnomalyMetadata> make_anomaly_metadata() {
  AnomalyMetadataFactory f = g_factory.load();
  return f ? std::shared_ptr<AnomalyMetadata>(f()) : nullptr;
}

TensorVec apply_with_anomaly_checks(Node& n, TensorVec&& grads) {
  try {
    TensorVec outs = n.apply(std::move(grads));
    if (AnomalyMode::check_nan()) {
      for (size_t i = 0; i < outs.size(); ++i) {
        TS_CHECK(!(outs[i].defined() && has_nan(outs[i])), "Function '", n.name(), "' returned nan values in its ", i,
                 "th output.");
      }
    }
    return outs;
  } catch (...) {
    if (AnomalyMetadata* md = n.anomaly_metadata()) md->print_stack(n.name());
    throw;
  }
}

}  // namespace tessera::autograd

// CPU kernels of the GradScaler ops: one parallel pass per gradient that checks for inf/NaN and
// unscales in the opmath type (float for 16-bit types), as PyTorch's AmpGradScalerKernels.cpp.
#include <atomic>
#include <cmath>

#include "amp/grad_scaler_stubs.h"
#include "core/dispatch_type.h"
#include "cpu/parallel.h"

namespace tessera {
namespace {

// True when some element of [p, p + n) is inf or NaN; multiplies them by inv when kScale.
template <bool kScale, class T>
bool unscale_range(T* p, int64_t n, float inv) {
  using acc = opmath_t<T>;
  bool bad = false;
  for (int64_t i = 0; i < n; ++i) {
    const acc v = static_cast<acc>(p[i]);
    bad |= !std::isfinite(v);
    if constexpr (kScale) p[i] = static_cast<T>(v * inv);
  }
  return bad;
}

void amp_unscale_cpu(TensorList grads, const Tensor& found_inf, const Tensor& inv_scale) {
  const float inv = *inv_scale.data<float>();
  std::atomic<bool> found{false};
  for (const Tensor& t : grads) {
    TS_DISPATCH_FLOATING_TYPES(t.dtype(), "_amp_foreach_non_finite_check_and_unscale_", [&] {
      scalar_t* p = t.data<scalar_t>();
      parallel_for(0, t.numel(), kElementwiseGrain, [&](int64_t b, int64_t e) {
        // Unscaling by 1 (GradScaler's inf check of optimizers that unscale themselves) only reads.
        const bool bad = inv == 1.f ? unscale_range<false>(p + b, e - b, inv) : unscale_range<true>(p + b, e - b, inv);
        if (bad) found.store(true, std::memory_order_relaxed);
      });
    });
  }
  if (found.load()) *found_inf.data<float>() = 1.f;
}

void amp_update_scale_cpu(const Tensor& scale, const Tensor& growth_tracker, const Tensor& found_inf,
                          double growth_factor, double backoff_factor, int64_t growth_interval) {
  float* s = scale.data<float>();
  int32_t* tracker = growth_tracker.data<int32_t>();
  if (*found_inf.data<float>()) {
    *s = static_cast<float>(*s * backoff_factor);
    *tracker = 0;
    return;
  }
  // A clean step: count it, and grow the scale after growth_interval of them in a row.
  const int64_t successful = *tracker + 1;
  if (successful == growth_interval) {
    const float grown = static_cast<float>(*s * growth_factor);
    if (std::isfinite(grown)) *s = grown;  // never grow past float32's range to inf
    *tracker = 0;
  } else {
    *tracker = static_cast<int32_t>(successful);
  }
}

}  // namespace

TS_REGISTER_STUB(amp_unscale_stub, CPU, &amp_unscale_cpu);
TS_REGISTER_STUB(amp_update_scale_stub, CPU, &amp_update_scale_cpu);

}  // namespace tessera

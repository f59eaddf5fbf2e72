#pragma once
// Per-device kernels of the GradScaler ops (amp/grad_scaler_ops.cpp checks the arguments).
#include "dispatch/boxing.h"
#include "dispatch/dispatch_stub.h"

namespace tessera {

// Multiplies every element of each tensor by *inv_scale in place (no write when it is 1) and sets
// *found_inf = 1.0f when any element is inf or NaN; found_inf is never cleared. The tensors are
// contiguous, floating and on one device with found_inf and inv_scale (one-element float32).
// No host synchronisation: the flag and the scale stay on the device.
TS_DECLARE_STUB(amp_unscale_stub, void(TensorList grads, const Tensor& found_inf, const Tensor& inv_scale));

// PyTorch's _amp_update_scale_ on one-element tensors (float32 scale, int32 growth tracker,
// float32 found_inf), computed where they live.
TS_DECLARE_STUB(amp_update_scale_stub, void(const Tensor& scale, const Tensor& growth_tracker, const Tensor& found_inf,
                                            double growth_factor, double backoff_factor, int64_t growth_interval));

}  // namespace tessera

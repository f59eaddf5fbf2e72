#pragma once
// The fused ops behind tessera.amp.GradScaler (PyTorch's names and semantics).
#include "dispatch/boxing.h"

namespace tessera::ops {

// Unscales every gradient in place by inv_scale and sets found_inf to 1.0 when any of them holds
// an inf or NaN (found_inf is not zeroed first), without a host synchronisation.
void amp_foreach_non_finite_check_and_unscale_(TensorList grads, const Tensor& found_inf, const Tensor& inv_scale);
// Backs the scale off after an inf, or grows it after growth_interval clean steps; returns scale.
Tensor amp_update_scale_(const Tensor& scale, const Tensor& growth_tracker, const Tensor& found_inf,
                         double growth_factor, double backoff_factor, int64_t growth_interval);

}  // namespace tessera::ops

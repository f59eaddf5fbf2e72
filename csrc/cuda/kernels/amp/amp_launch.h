#pragma once
// Host entry points of the GradScaler kernels (amp_kernels.cu): raw pointers only, so the .cu
// needs no tessera tensor headers. All launches go to `stream`; nothing synchronises the host.
#include <cuda_runtime_api.h>

#include <cstdint>

#include "core/dtype.h"

namespace tessera::cuda {

struct AmpTensor {
  void* data;  // contiguous, `dtype` elements
  int64_t numel;
};

// Unscales a group of same-dtype tensors by *inv_scale in place (multi-tensor launches, no write
// when *inv_scale == 1) and writes 1.0f into *found_inf when any element is inf or NaN.
void launch_amp_unscale(const AmpTensor* tensors, int count, DType dtype, float* found_inf, const float* inv_scale,
                        cudaStream_t stream);

// PyTorch's _amp_update_scale_ on one-element device tensors (one thread).
void launch_amp_update_scale(float* scale, int32_t* growth_tracker, const float* found_inf, double growth_factor,
                             double backoff_factor, int64_t growth_interval, cudaStream_t stream);

}  // namespace tessera::cuda

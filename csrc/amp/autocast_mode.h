#pragma once
// Autocast (automatic mixed precision) state, per thread as in PyTorch: whether the CPU and CUDA
// autocasts are on, their lower-precision dtypes, the weight-cast cache and the nesting depth of
// autocast regions. Turning either autocast on puts DispatchKey::Autocast into the thread's included
// keys; while both are off the dispatcher pays nothing beyond its usual thread-local read.
// The per-op cast policies are in amp/autocast_policy.h; the design in docs/design/autocast.md.
#include <cstddef>

#include "core/device.h"
#include "core/dtype.h"
#include "core/tensor.h"

namespace tessera::autocast {

// Devices with an autocast (PyTorch's is_autocast_available, restricted to tessera's devices).
bool is_available(DeviceType device);
// The calls below raise RuntimeError for a device without an autocast.
bool is_enabled(DeviceType device);
void set_enabled(DeviceType device, bool enabled);
// The lower-precision dtype: float16 for CUDA and bfloat16 for CPU until set otherwise. Any dtype
// is accepted here (as in PyTorch); tessera.autocast refuses the unsupported ones.
DType get_dtype(DeviceType device);
void set_dtype(DeviceType device, DType dtype);

bool is_cache_enabled();
void set_cache_enabled(bool enabled);
// Depth of nested autocast regions; the region whose exit brings it to 0 clears the cache.
int increment_nesting();
int decrement_nesting();
void clear_cache();
size_t cache_size();

// Floating, not float64, and on `device`: a tensor autocast may cast.
bool is_eligible(const Tensor& t, DeviceType device);
// `arg` in `to` when it is eligible, else `arg` itself. The cast is an ordinary `to` (recorded by
// autograd, so gradients go back in arg's dtype). Casts of float32 leaves that require grad to the
// lower-precision dtype (model weights) are cached until the outermost autocast region exits.
Tensor cached_cast(DType to, const Tensor& arg, DeviceType device);

}  // namespace tessera::autocast

#pragma once
// CUDA devices: count, current device (per thread, as the CUDA runtime keeps it), properties,
// and DeviceGuard, which switches the current device for a scope.
#include <cuda_runtime_api.h>

#include <string>

namespace tessera::cuda {

// Number of usable GPUs; 0 (never an error) when there is no driver or no device. Cached.
int device_count();
bool is_available();
int current_device();
void set_device(int device);
// Throws RuntimeError (PyTorch's "invalid device ordinal") unless 0 <= device < device_count().
void check_device(int device);
// `device` < 0 means the current device.
int resolve_device(int device);
// Cached per device; the reference stays valid for the process.
const cudaDeviceProp& device_properties(int device = -1);
// Waits for all work on the device (all streams): for user synchronize() calls, never hot paths.
void device_synchronize(int device = -1);
// Whether `device` can read and write `peer`'s memory directly; enables peer access on first use.
bool enable_peer_access(int device, int peer);

// Makes `device` current for the scope and restores the previous device afterwards. A negative
// index or the already-current device costs one cudaGetDevice and nothing else.
class DeviceGuard {
 public:
  explicit DeviceGuard(int device);
  ~DeviceGuard();
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;
  int original_device() const { return original_; }

 private:
  int original_ = -1;
  bool switched_ = false;
};

}  // namespace tessera::cuda

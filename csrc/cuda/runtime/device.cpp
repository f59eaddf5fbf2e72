#include "cuda/runtime/device.h"

#include <memory>
#include <mutex>
#include <vector>

#include "core/error.h"
#include "cuda/runtime/cuda_check.h"

namespace tessera::cuda {

int device_count() {
  static const int count = [] {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
      (void)cudaGetLastError();  // no driver / no device: report zero devices as PyTorch does
      n = 0;
    }
    return n;
  }();
  return count;
}

bool is_available() {
  return device_count() > 0;
}

void check_device(int device) {
  const int n = device_count();
  TS_CHECK(n > 0, "[cuda] no CUDA GPUs are available (tessera found no CUDA device or driver)");
  TS_CHECK(device >= 0 && device < n, "[cuda] CUDA error: invalid device ordinal: device ", device,
           " requested but only ", n, " device(s) are available");
}

int current_device() {
  TS_CHECK(device_count() > 0, "[cuda] no CUDA GPUs are available (tessera found no CUDA device or driver)");
  int d = 0;
  TS_CUDA_CHECK(cudaGetDevice(&d));
  return d;
}

void set_device(int device) {
  check_device(device);
  TS_CUDA_CHECK(cudaSetDevice(device));
}

int resolve_device(int device) {
  if (device < 0) return current_device();
  check_device(device);
  return device;
}

const cudaDeviceProp& device_properties(int device) {
  device = resolve_device(device);
  static std::once_flag init;
  static std::vector<std::once_flag>* flags = nullptr;
  static std::vector<cudaDeviceProp>* props = nullptr;
  std::call_once(init, [] {
    flags = new std::vector<std::once_flag>(device_count());  // leaked on purpose: used until exit
    props = new std::vector<cudaDeviceProp>(device_count());
  });
  std::call_once((*flags)[device], [device] { TS_CUDA_CHECK(cudaGetDeviceProperties(&(*props)[device], device)); });
  return (*props)[device];
}

void device_synchronize(int device) {
  DeviceGuard guard(resolve_device(device));
  TS_CUDA_CHECK(cudaDeviceSynchronize());
}

bool enable_peer_access(int device, int peer) {
  if (device == peer) return true;
  check_device(device);
  check_device(peer);
  static std::mutex mu;
  static std::vector<signed char> state;  // n*n: -1 unknown, 0 no, 1 enabled
  std::lock_guard<std::mutex> lock(mu);
  const int n = device_count();
  if (state.empty()) state.assign(static_cast<size_t>(n) * n, -1);
  signed char& s = state[static_cast<size_t>(device) * n + peer];
  if (s < 0) {
    int can = 0;
    TS_CUDA_CHECK(cudaDeviceCanAccessPeer(&can, device, peer));
    if (can) {
      DeviceGuard guard(device);
      cudaError_t err = cudaDeviceEnablePeerAccess(peer, 0);
      if (err == cudaErrorPeerAccessAlreadyEnabled) {
        (void)cudaGetLastError();
      } else if (err != cudaSuccess) {
        (void)cudaGetLastError();
        can = 0;
      }
    }
    s = can ? 1 : 0;
  }
  return s == 1;
}

DeviceGuard::DeviceGuard(int device) {
  if (device < 0) return;
  TS_CUDA_CHECK(cudaGetDevice(&original_));
  if (device != original_) {
    check_device(device);
    TS_CUDA_CHECK(cudaSetDevice(device));
    switched_ = true;
  }
}

DeviceGuard::~DeviceGuard() {
  if (switched_) TS_CUDA_IGNORE(cudaSetDevice(original_));
}

}  // namespace tessera::cuda

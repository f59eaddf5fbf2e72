#include "cuda/runtime/stream.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <mutex>

#include "core/error.h"
#include "cuda/runtime/cuda_check.h"
#include "cuda/runtime/device.h"

namespace tessera::cuda {

namespace {

struct DevicePools {
  std::once_flag created;
  int least_priority = 0, levels = 1;
  cudaStream_t streams[kMaxPriorityLevels][kStreamsPerPool] = {};
  std::atomic<uint32_t> next[kMaxPriorityLevels] = {};
};

// Never destroyed: streams may be used by other static destructors at exit.
DevicePools& pools(int device) {
  static DevicePools* all = new DevicePools[kMaxDevices];
  return all[device];
}

void create_pools(DevicePools& p, int device) {
  DeviceGuard guard(device);
  int least = 0, greatest = 0;
  TS_CUDA_CHECK(cudaDeviceGetStreamPriorityRange(&least, &greatest));
  p.least_priority = least;
  p.levels = std::min(least - greatest + 1, kMaxPriorityLevels);
  for (int level = 0; level < p.levels; ++level) {
    for (int i = 0; i < kStreamsPerPool; ++i) {
      TS_CUDA_CHECK(cudaStreamCreateWithPriority(&p.streams[level][i], cudaStreamNonBlocking, least - level));
    }
  }
}

// The calling thread's current stream per device; an unset entry (device -1) means the default.
thread_local std::array<Stream, kMaxDevices> t_current;

}  // namespace

bool Stream::query() const {
  DeviceGuard guard(device_);
  cudaError_t err = cudaStreamQuery(handle_);
  if (err == cudaErrorNotReady) {
    (void)cudaGetLastError();
    return false;
  }
  TS_CUDA_CHECK(err);
  return true;
}

void Stream::synchronize() const {
  DeviceGuard guard(device_);
  TS_CUDA_CHECK(cudaStreamSynchronize(handle_));
}

void Stream::wait_stream(const Stream& other) const {
  if (other == *this) return;
  cudaEvent_t ev;
  {
    DeviceGuard guard(other.device_);
    TS_CUDA_CHECK(cudaEventCreateWithFlags(&ev, cudaEventDisableTiming));
    cudaError_t err = cudaEventRecord(ev, other.handle_);
    if (err != cudaSuccess) TS_CUDA_IGNORE(cudaEventDestroy(ev));
    TS_CUDA_CHECK(err);
  }
  DeviceGuard guard(device_);
  cudaError_t err = cudaStreamWaitEvent(handle_, ev, 0);
  TS_CUDA_IGNORE(cudaEventDestroy(ev));  // legal while pending: released once the wait is satisfied
  TS_CUDA_CHECK(err);
}

Stream default_stream(int device) {
  return Stream(nullptr, resolve_device(device), 0);
}

Stream stream_from_pool(int priority, int device) {
  device = resolve_device(device);
  TS_CHECK(device < kMaxDevices, "[cuda] at most ", kMaxDevices, " devices are supported");
  DevicePools& p = pools(device);
  std::call_once(p.created, [&] { create_pools(p, device); });
  const int level = std::clamp(-priority, 0, p.levels - 1);
  const uint32_t i = p.next[level].fetch_add(1, std::memory_order_relaxed) % kStreamsPerPool;
  return Stream(p.streams[level][i], device, p.least_priority - level);
}

Stream current_stream(int device) {
  device = resolve_device(device);
  TS_CHECK(device < kMaxDevices, "[cuda] at most ", kMaxDevices, " devices are supported");
  const Stream& s = t_current[device];
  return s.device() < 0 ? Stream(nullptr, device, 0) : s;
}

void set_current_stream(const Stream& stream) {
  check_device(stream.device());
  TS_CHECK(stream.device() < kMaxDevices, "[cuda] at most ", kMaxDevices, " devices are supported");
  t_current[stream.device()] = stream;
}

void stream_priority_range(int* least, int* greatest) {
  TS_CUDA_CHECK(cudaDeviceGetStreamPriorityRange(least, greatest));
}

StreamGuard::StreamGuard(const Stream& stream)
    : previous_(current_stream(stream.device())), previous_device_(current_device()) {
  set_current_stream(stream);
  if (stream.device() != previous_device_) set_device(stream.device());
}

StreamGuard::~StreamGuard() {
  t_current[previous_.device()] = previous_;
  if (previous_.device() != previous_device_) TS_CUDA_IGNORE(cudaSetDevice(previous_device_));
}

}  // namespace tessera::cuda

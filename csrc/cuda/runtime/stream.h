#pragma once
// CUDA streams as PyTorch keeps them: per device, the default (legacy null) stream plus one pool
// of non-blocking streams per priority level (0, -1, ... down to the device's greatest priority,
// at most kMaxPriorityLevels), created on first use and handed out round robin; a current stream
// per thread and device, the default stream until set.
#include <cuda_runtime_api.h>

#include <cstdint>

namespace tessera::cuda {

constexpr int kStreamsPerPool = 32;
constexpr int kMaxPriorityLevels = 4;
constexpr int kMaxDevices = 64;

// A non-owning handle: pool streams live until process exit, so a Stream is a plain value.
class Stream {
 public:
  Stream() = default;
  Stream(cudaStream_t handle, int device, int priority) : handle_(handle), device_(device), priority_(priority) {}

  cudaStream_t handle() const { return handle_; }
  int device() const { return device_; }
  int priority() const { return priority_; }  // lower is higher priority, as in CUDA
  bool is_default() const { return handle_ == nullptr; }

  // True when all work queued so far has completed.
  bool query() const;
  // Waits on the host for all work queued so far (this stream only, not the whole device).
  void synchronize() const;
  // Makes future work on this stream wait for the work queued on `other` so far (an event; no
  // host synchronisation).
  void wait_stream(const Stream& other) const;

  bool operator==(const Stream& o) const { return handle_ == o.handle_ && device_ == o.device_; }
  bool operator!=(const Stream& o) const { return !(*this == o); }

 private:
  cudaStream_t handle_ = nullptr;
  int device_ = -1;
  int priority_ = 0;
};

// `device` < 0 means the current device.
Stream default_stream(int device = -1);
// A pool stream of the given priority (0 = normal, negative = higher; clamped to the device's
// range as torch.cuda.Stream(priority=...) does).
Stream stream_from_pool(int priority = 0, int device = -1);
Stream current_stream(int device = -1);
// Sets the calling thread's current stream of the stream's device (the current device is unchanged).
void set_current_stream(const Stream& stream);
// The priority range of the device's streams: {least (0), greatest (negative)}.
void stream_priority_range(int* least, int* greatest);

// Restores the thread's current stream of `stream.device()` (and the current device) on exit.
class StreamGuard {
 public:
  explicit StreamGuard(const Stream& stream);
  ~StreamGuard();
  StreamGuard(const StreamGuard&) = delete;
  StreamGuard& operator=(const StreamGuard&) = delete;

 private:
  Stream previous_;
  int previous_device_;
};

}  // namespace tessera::cuda

#pragma once
// CUDA events (torch.cuda.Event): the CUDA event is created on first record, on the device of the
// recording stream; an event never recorded is complete (query() true, wait() a no-op).
#include <cuda_runtime_api.h>

#include "cuda/runtime/stream.h"

namespace tessera::cuda {

class Event {
 public:
  explicit Event(bool enable_timing = false, bool blocking = false, bool interprocess = false);
  ~Event();
  Event(Event&& o) noexcept;
  Event& operator=(Event&& o) noexcept;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  // Records the work queued on `stream` so far.
  void record(const Stream& stream);
  // Makes future work on `stream` wait until this event completes (no host synchronisation).
  void wait(const Stream& stream) const;
  bool query() const;
  // Waits on the host (spins, or blocks when created with blocking=true).
  void synchronize() const;
  // Milliseconds from this event to `end`; both recorded with enable_timing and completed.
  float elapsed_time(const Event& end) const;

  cudaEvent_t handle() const { return event_; }
  int device() const { return device_; }
  bool is_created() const { return event_ != nullptr; }
  bool enable_timing() const { return (flags_ & cudaEventDisableTiming) == 0; }

 private:
  unsigned flags_;
  int device_ = -1;
  cudaEvent_t event_ = nullptr;
  bool recorded_ = false;
};

}  // namespace tessera::cuda

#include "cuda/runtime/event.h"

#include <utility>

#include "core/error.h"
#include "cuda/runtime/cuda_check.h"
#include "cuda/runtime/device.h"

namespace tessera::cuda {

Event::Event(bool enable_timing, bool blocking, bool interprocess)
    : flags_((enable_timing ? cudaEventDefault : cudaEventDisableTiming) | (blocking ? cudaEventBlockingSync : 0) |
             (interprocess ? cudaEventInterprocess : 0)) {
  TS_CHECK_VALUE(!(interprocess && enable_timing), "[cuda.Event] an interprocess event cannot have enable_timing=True");
}

Event::~Event() {
  if (event_) {
    int prev = -1;
    TS_CUDA_IGNORE(cudaGetDevice(&prev));
    if (prev != device_) TS_CUDA_IGNORE(cudaSetDevice(device_));
    TS_CUDA_IGNORE(cudaEventDestroy(event_));
    if (prev >= 0 && prev != device_) TS_CUDA_IGNORE(cudaSetDevice(prev));
  }
}

Event::Event(Event&& o) noexcept
    : flags_(o.flags_), device_(o.device_), event_(std::exchange(o.event_, nullptr)), recorded_(o.recorded_) {}

Event& Event::operator=(Event&& o) noexcept {
  if (this != &o) {
    this->~Event();
    new (this) Event(std::move(o));
  }
  return *this;
}

void Event::record(const Stream& stream) {
  if (!event_) {
    DeviceGuard guard(stream.device());
    TS_CUDA_CHECK(cudaEventCreateWithFlags(&event_, flags_));
    device_ = stream.device();
  }
  TS_CHECK(device_ == stream.device(), "[cuda.Event] event device cuda:", device_,
           " does not match recording stream's device cuda:", stream.device());
  DeviceGuard guard(device_);
  TS_CUDA_CHECK(cudaEventRecord(event_, stream.handle()));
  recorded_ = true;
}

void Event::wait(const Stream& stream) const {
  if (!recorded_) return;
  DeviceGuard guard(stream.device());
  TS_CUDA_CHECK(cudaStreamWaitEvent(stream.handle(), event_, 0));
}

bool Event::query() const {
  if (!recorded_) return true;
  DeviceGuard guard(device_);
  cudaError_t err = cudaEventQuery(event_);
  if (err == cudaErrorNotReady) {
    (void)cudaGetLastError();
    return false;
  }
  TS_CUDA_CHECK(err);
  return true;
}

void Event::synchronize() const {
  if (!recorded_) return;
  DeviceGuard guard(device_);
  TS_CUDA_CHECK(cudaEventSynchronize(event_));
}

float Event::elapsed_time(const Event& end) const {
  TS_CHECK(enable_timing() && end.enable_timing(),
           "[cuda.Event] Both events must be created with argument 'enable_timing=True'.");
  TS_CHECK(recorded_ && end.recorded_, "[cuda.Event] Both events must be recorded before calculating elapsed time.");
  TS_CHECK(device_ == end.device_, "[cuda.Event] Both events must be recorded on the same device (cuda:", device_,
           " and cuda:", end.device_, ")");
  DeviceGuard guard(device_);
  float ms = 0;
  TS_CUDA_CHECK(cudaEventElapsedTime(&ms, event_, end.event_));
  return ms;
}

}  // namespace tessera::cuda

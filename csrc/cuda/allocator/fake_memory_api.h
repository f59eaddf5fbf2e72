#pragma once
// A device that exists only on paper, for testing the caching allocator on CPU: malloc hands out
// non-overlapping fake addresses (never dereferenced) up to a settable capacity, and events
// complete only when a test says so (complete_stream / complete_all) or is synchronized on.
#include <cstdint>
#include <map>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "cuda/allocator/device_memory_api.h"

namespace tessera::cuda {

class FakeDeviceMemoryApi : public DeviceMemoryApi {
 public:
  explicit FakeDeviceMemoryApi(int devices = 1, size_t capacity = size_t{1} << 30) : devices_(devices) {
    for (int d = 0; d < devices; ++d) devices_[d].capacity = capacity;
  }

  int device_count() override { return static_cast<int>(devices_.size()); }

  void* malloc(int device, size_t size) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Device& d = at(device);
    ++d.malloc_calls;
    if (d.used + size > d.capacity) return nullptr;
    // Each device gets its own 2^48-byte window; a gap after each allocation catches overruns.
    uintptr_t addr = (static_cast<uintptr_t>(device + 1) << 48) + d.next;
    d.next += (size + 4095) / 4096 * 4096 + 4096;
    d.used += size;
    d.live[addr] = size;
    return reinterpret_cast<void*>(addr);
  }

  void free(int device, void* ptr) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Device& d = at(device);
    auto it = d.live.find(reinterpret_cast<uintptr_t>(ptr));
    if (it == d.live.end()) throw std::logic_error("fake device: free of a pointer it did not allocate");
    d.used -= it->second;
    d.live.erase(it);
    ++d.free_calls;
  }

  void mem_get_info(int device, size_t* free_bytes, size_t* total_bytes) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Device& d = at(device);
    *free_bytes = d.capacity - d.used;
    *total_bytes = d.capacity;
  }

  EventId event_create(int device) override {
    std::lock_guard<std::mutex> lock(mutex_);
    at(device);
    EventId id = next_event_++;
    events_[id] = Event{};
    return id;
  }
  void event_record(int device, EventId e, StreamId s) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Event& ev = event(e);
    ev.stream = s;
    ev.complete = false;
    ev.recorded = true;
  }
  bool event_query(int device, EventId e) override {
    std::lock_guard<std::mutex> lock(mutex_);
    ++queries_;
    return event(e).complete;
  }
  void event_synchronize(int device, EventId e) override {
    std::lock_guard<std::mutex> lock(mutex_);
    ++synchronizes_;
    event(e).complete = true;
  }
  void event_destroy(int device, EventId e) override {
    std::lock_guard<std::mutex> lock(mutex_);
    events_.erase(e);
  }

  // ---- test controls
  // The work queued on `stream` so far has finished: its recorded events complete.
  void complete_stream(StreamId s) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [id, ev] : events_)
      if (ev.recorded && ev.stream == s) ev.complete = true;
  }
  void complete_all() {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [id, ev] : events_) ev.complete = true;
  }
  void set_capacity(int device, size_t capacity) {
    std::lock_guard<std::mutex> lock(mutex_);
    at(device).capacity = capacity;
  }
  size_t used(int device) {
    std::lock_guard<std::mutex> lock(mutex_);
    return at(device).used;
  }
  size_t live_allocations(int device) {
    std::lock_guard<std::mutex> lock(mutex_);
    return at(device).live.size();
  }
  int64_t malloc_calls(int device) {
    std::lock_guard<std::mutex> lock(mutex_);
    return at(device).malloc_calls;
  }
  int64_t free_calls(int device) {
    std::lock_guard<std::mutex> lock(mutex_);
    return at(device).free_calls;
  }
  size_t events_alive() {
    std::lock_guard<std::mutex> lock(mutex_);
    return events_.size();
  }
  int64_t synchronizes() {
    std::lock_guard<std::mutex> lock(mutex_);
    return synchronizes_;
  }

 private:
  struct Device {
    size_t capacity = 0, used = 0;
    uintptr_t next = 0;
    std::map<uintptr_t, size_t> live;
    int64_t malloc_calls = 0, free_calls = 0;
  };
  struct Event {
    StreamId stream = 0;
    bool recorded = false, complete = true;
  };
  Device& at(int device) {
    if (device < 0 || device >= static_cast<int>(devices_.size())) throw std::logic_error("fake device: bad device");
    return devices_[device];
  }
  Event& event(EventId e) {
    auto it = events_.find(e);
    if (it == events_.end()) throw std::logic_error("fake device: unknown event");
    return it->second;
  }

  std::mutex mutex_;
  std::vector<Device> devices_;
  std::map<EventId, Event> events_;
  EventId next_event_ = 1;
  int64_t queries_ = 0, synchronizes_ = 0;
};

}  // namespace tessera::cuda

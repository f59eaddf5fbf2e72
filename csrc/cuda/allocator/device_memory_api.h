#pragma once
// The few device calls the caching allocator needs, behind an interface so that its logic runs
// on CPU in tests (fake_memory_api.h) and on the GPU through cuda_memory_api.cpp.
#include <cstddef>
#include <cstdint>

namespace tessera::cuda {

// Opaque handles: a cudaStream_t / cudaEvent_t cast to an integer in the real API.
using StreamId = std::uintptr_t;
using EventId = std::uintptr_t;

class DeviceMemoryApi {
 public:
  virtual ~DeviceMemoryApi() = default;
  virtual int device_count() = 0;
  // nullptr when the device is out of memory (the driver's error is cleared); throws on other errors.
  virtual void* malloc(int device, size_t size) = 0;
  virtual void free(int device, void* ptr) = 0;
  virtual void mem_get_info(int device, size_t* free_bytes, size_t* total_bytes) = 0;
  virtual EventId event_create(int device) = 0;
  virtual void event_record(int device, EventId event, StreamId stream) = 0;
  // true when all work captured by the event has completed; never blocks.
  virtual bool event_query(int device, EventId event) = 0;
  // Blocks until the event completes; used only on slow paths (empty_cache, before an OOM).
  virtual void event_synchronize(int device, EventId event) = 0;
  virtual void event_destroy(int device, EventId event) = 0;
};

}  // namespace tessera::cuda

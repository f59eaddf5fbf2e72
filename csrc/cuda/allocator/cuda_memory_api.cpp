// DeviceMemoryApi on the CUDA runtime, and the factory of the process-wide caching allocator.
// Compiled only with TESSERA_CUDA (cmake/cuda_allocator.cmake).
#include <cuda_runtime_api.h>

#include "core/error.h"
#include "cuda/allocator/caching_allocator.h"

namespace tessera::cuda {

namespace {

void check(cudaError_t err, const char* what) {
  if (err == cudaSuccess) return;
  cudaGetLastError();  // clear the sticky-free error so later calls start clean
  TS_FAIL(Runtime, "[cuda allocator] ", what, " failed: ", cudaGetErrorString(err));
}

// Switches the calling thread to `device` for one call; most calls find it current already.
class DeviceGuard {
 public:
  explicit DeviceGuard(int device) {
    check(cudaGetDevice(&previous_), "cudaGetDevice");
    if (previous_ != device) check(cudaSetDevice(device), "cudaSetDevice");
    changed_ = previous_ != device;
  }
  ~DeviceGuard() {
    if (changed_) cudaSetDevice(previous_);
  }
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int previous_ = 0;
  bool changed_ = false;
};

class CudaMemoryApi final : public DeviceMemoryApi {
 public:
  int device_count() override {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
      cudaGetLastError();
      return 0;
    }
    return n;
  }

  void* malloc(int device, size_t size) override {
    DeviceGuard guard(device);
    void* p = nullptr;
    cudaError_t err = cudaMalloc(&p, size);
    if (err == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      return nullptr;
    }
    check(err, "cudaMalloc");
    return p;
  }

  void free(int device, void* ptr) override {
    DeviceGuard guard(device);
    check(cudaFree(ptr), "cudaFree");
  }

  void mem_get_info(int device, size_t* free_bytes, size_t* total_bytes) override {
    DeviceGuard guard(device);
    check(cudaMemGetInfo(free_bytes, total_bytes), "cudaMemGetInfo");
  }

  EventId event_create(int device) override {
    DeviceGuard guard(device);
    cudaEvent_t e = nullptr;
    check(cudaEventCreateWithFlags(&e, cudaEventDisableTiming), "cudaEventCreate");
    return reinterpret_cast<EventId>(e);
  }

  void event_record(int device, EventId event, StreamId stream) override {
    DeviceGuard guard(device);
    check(cudaEventRecord(reinterpret_cast<cudaEvent_t>(event), reinterpret_cast<cudaStream_t>(stream)),
          "cudaEventRecord");
  }

  bool event_query(int device, EventId event) override {
    cudaError_t err = cudaEventQuery(reinterpret_cast<cudaEvent_t>(event));
    if (err == cudaErrorNotReady) {
      cudaGetLastError();
      return false;
    }
    check(err, "cudaEventQuery");
    return true;
  }

  void event_synchronize(int device, EventId event) override {
    check(cudaEventSynchronize(reinterpret_cast<cudaEvent_t>(event)), "cudaEventSynchronize");
  }

  void event_destroy(int device, EventId event) override {
    DeviceGuard guard(device);
    check(cudaEventDestroy(reinterpret_cast<cudaEvent_t>(event)), "cudaEventDestroy");
  }
};

CachingAllocator* make_global_allocator() {
  return new CachingAllocator(std::make_shared<CudaMemoryApi>(), AllocatorConfig::from_env());
}

// Registration only stores a function pointer: nothing touches the driver until first use.
struct Registrar {
  Registrar() { register_global_caching_allocator_factory(&make_global_allocator); }
} g_registrar;

}  // namespace

}  // namespace tessera::cuda

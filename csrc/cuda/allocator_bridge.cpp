// Note [CUDA allocator bridge]: until the caching allocator (csrc/cuda/allocator/) lands, CUDA
// storage comes from the driver's stream-ordered pool: cudaMallocAsync on the current stream of
// the target device, cudaFreeAsync on that same stream when the storage dies. Like a caching
// allocator without record_stream, a block freed while another stream still uses it is unsafe;
// the caching allocator replaces this whole file (it installs itself with set_allocator).
#include <new>

#include "core/allocator.h"
#include "core/error.h"
#include "cuda/runtime/cuda_check.h"
#include "cuda/runtime/device.h"
#include "cuda/runtime/stream.h"

namespace tessera::cuda {
namespace {

struct Block {
  void* ptr;
  cudaStream_t stream;
  int device;
};

void free_block(void* ctx) {
  auto* b = static_cast<Block*>(ctx);
  int prev = -1;
  TS_CUDA_IGNORE(cudaGetDevice(&prev));
  if (prev != b->device) TS_CUDA_IGNORE(cudaSetDevice(b->device));
  TS_CUDA_IGNORE(cudaFreeAsync(b->ptr, b->stream));
  if (prev >= 0 && prev != b->device) TS_CUDA_IGNORE(cudaSetDevice(prev));
  delete b;
}

class StreamOrderedAllocator final : public Allocator {
 public:
  DataPtr allocate(size_t nbytes) override { return allocate_on(nbytes, Device(DeviceType::CUDA)); }

  DataPtr allocate_on(size_t nbytes, Device device) override {
    const int d = resolve_device(device.index);
    if (nbytes == 0) return DataPtr(nullptr, nullptr, nullptr, Device(DeviceType::CUDA, d));
    DeviceGuard guard(d);
    const Stream stream = current_stream(d);
    void* p = nullptr;
    cudaError_t err = cudaMallocAsync(&p, nbytes, stream.handle());
    if (err == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();
      size_t free = 0, total = 0;
      TS_CUDA_IGNORE(cudaMemGetInfo(&free, &total));
      TS_FAIL(OutOfMemory, "[cuda allocator] CUDA out of memory. Tried to allocate ", nbytes, " bytes on cuda:", d,
              " (", free, " bytes free of ", total, ")");
    }
    TS_CUDA_CHECK(err);
    return DataPtr(p, new Block{p, stream.handle(), d}, &free_block, Device(DeviceType::CUDA, d));
  }
};

// Installed at load time; only a pointer is stored, no CUDA call is made until the first allocation.
const bool g_installed = [] {
  static StreamOrderedAllocator alloc;
  set_allocator(DeviceType::CUDA, &alloc);
  return true;
}();

}  // namespace
}  // namespace tessera::cuda

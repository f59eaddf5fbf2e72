#include "cuda/host_allocator.h"

#include "core/error.h"
#include "core/storage.h"
#include "core/tensor_impl.h"
#include "cuda/runtime/cuda_check.h"
#include "cuda/runtime/device.h"
#include "ops/copy.h"

namespace tessera::cuda {
namespace {

void free_pinned(void* p) {
  TS_CUDA_IGNORE(cudaFreeHost(p));
}

// Note [pinned allocations]: no caching yet: cudaHostAlloc is slow (it maps pages for every
// device), so pin buffers once and reuse them (DataLoader(pin_memory=True) does).
class PinnedHostAllocator final : public Allocator {
 public:
  DataPtr allocate(size_t nbytes) override {
    if (nbytes == 0) return DataPtr(nullptr, nullptr, nullptr, Device(DeviceType::CPU));
    TS_CHECK(device_count() > 0, "[pin_memory] no CUDA GPUs are available (pinned memory needs a CUDA device)");
    void* p = nullptr;
    cudaError_t err = cudaHostAlloc(&p, nbytes, cudaHostAllocPortable);
    if (err == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();
      TS_FAIL(OutOfMemory, "[pin_memory] out of pinned host memory: tried to allocate ", nbytes, " bytes");
    }
    TS_CUDA_CHECK(err);
    return DataPtr(p, p, &free_pinned, Device(DeviceType::CPU));
  }
};

}  // namespace

Allocator* pinned_host_allocator() {
  static PinnedHostAllocator alloc;
  return &alloc;
}

bool is_pinned(const Tensor& t) {
  return t.defined() && t.device().is_cpu() && t.impl()->storage()->allocator() == pinned_host_allocator();
}

Tensor pin_memory(const Tensor& t) {
  TS_CHECK(t.device().is_cpu(), "[pin_memory] cannot pin '", t.device().str(),
           "' tensor: only dense CPU tensors can be pinned");
  if (is_pinned(t)) return t;
  const size_t nbytes = static_cast<size_t>(t.numel()) * t.itemsize();
  Allocator* alloc = pinned_host_allocator();
  Storage st = make_intrusive<StorageImpl>(alloc->allocate(nbytes), nbytes, alloc);
  Tensor out(
      make_intrusive<TensorImpl>(std::move(st), t.dtype(), DimVector(t.sizes()), contiguous_strides(t.sizes()), 0));
  ops::copy_(out, t);
  return out;
}

}  // namespace tessera::cuda

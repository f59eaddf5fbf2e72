#pragma once
// tessera::Allocator over the caching allocator, for set_allocator(DeviceType::CUDA, ...). The
// CUDA runtime supplies the current device and stream; the DataPtr keeps the block as context
// so that freeing a tensor skips the pointer lookup. A null allocator means the process-wide one,
// looked up at allocation time (static initialisation order across files is unspecified).
#include "core/allocator.h"
#include "cuda/allocator/caching_allocator.h"

namespace tessera::cuda {

class CachingAllocatorAdapter : public Allocator {
 public:
  using CurrentDeviceFn = int (*)();
  using CurrentStreamFn = StreamId (*)(int device);
  CachingAllocatorAdapter(CachingAllocator* allocator, CurrentDeviceFn current_device, CurrentStreamFn current_stream)
      : allocator_(allocator), current_device_(current_device), current_stream_(current_stream) {}

  DataPtr allocate(size_t nbytes) override;
  DataPtr allocate_on(size_t nbytes, Device device) override;
  // On a given device and stream (the runtime's copy and kernel launchers know both).
  DataPtr allocate(size_t nbytes, int device, StreamId stream);
  CachingAllocator* caching_allocator() const { return allocator_ ? allocator_ : global_caching_allocator(); }

 private:
  CachingAllocator* allocator_;
  CurrentDeviceFn current_device_;
  CurrentStreamFn current_stream_;
};

}  // namespace tessera::cuda

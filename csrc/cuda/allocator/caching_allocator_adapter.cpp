#include "cuda/allocator/caching_allocator_adapter.h"

#include "core/error.h"

namespace tessera::cuda {

namespace {
void delete_block(void* ctx) {
  CachingAllocator::free_block(static_cast<Block*>(ctx));
}
}  // namespace

DataPtr CachingAllocatorAdapter::allocate(size_t nbytes) {
  const int device = current_device_();
  return allocate(nbytes, device, current_stream_(device));
}

DataPtr CachingAllocatorAdapter::allocate_on(size_t nbytes, Device device) {
  const int index = device.index >= 0 ? device.index : current_device_();
  return allocate(nbytes, index, current_stream_(index));
}

DataPtr CachingAllocatorAdapter::allocate(size_t nbytes, int device, StreamId stream) {
  CachingAllocator* allocator = caching_allocator();
  TS_CHECK(allocator != nullptr, "[cuda allocator] tessera was not compiled with CUDA enabled");
  Block* block = allocator->allocate_block(nbytes, device, stream);
  Device dev(DeviceType::CUDA, device);
  if (!block) return DataPtr(nullptr, nullptr, nullptr, dev);
  return DataPtr(CachingAllocator::block_address(block), block, &delete_block, dev);
}

}  // namespace tessera::cuda

// Note [CUDA allocator bridge]: CUDA storage comes from the stream-ordered caching allocator
// (csrc/cuda/allocator/, docs/design/cuda-allocator.md) on the current stream of the target device.
// Only pointers are stored at load time: no CUDA call is made until the first allocation.
#include "core/allocator.h"
#include "cuda/allocator/caching_allocator_adapter.h"
#include "cuda/runtime/device.h"
#include "cuda/runtime/stream.h"

namespace tessera::cuda {
namespace {

int current_device_index() {
  return current_device();
}

StreamId current_stream_id(int device) {
  return reinterpret_cast<StreamId>(current_stream(device).handle());
}

const bool g_installed = [] {
  static CachingAllocatorAdapter adapter(nullptr, &current_device_index, &current_stream_id);
  set_allocator(DeviceType::CUDA, &adapter);
  return true;
}();

}  // namespace
}  // namespace tessera::cuda

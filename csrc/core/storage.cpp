#include "core/storage.h"

namespace tessera {

Storage make_storage(size_t nbytes, Device device) {
  Allocator* alloc = get_allocator(device.type);
  DataPtr p = alloc->allocate_on(nbytes, device);
  return make_intrusive<StorageImpl>(std::move(p), nbytes, alloc);
}

}  // namespace tessera

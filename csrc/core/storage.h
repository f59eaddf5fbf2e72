#pragma once
#include <cstddef>

#include "core/allocator.h"
#include "core/intrusive_ptr.h"

namespace tessera {

// A refcounted block of memory. Tensors and their views point into it.
class StorageImpl final : public RefCounted {
 public:
  StorageImpl(DataPtr data, size_t nbytes, Allocator* allocator)
      : data_(std::move(data)), nbytes_(nbytes), allocator_(allocator) {}

  void* data() const { return data_.ptr; }
  size_t nbytes() const { return nbytes_; }
  Device device() const { return data_.device; }
  Allocator* allocator() const { return allocator_; }
  const DataPtr& data_ptr() const { return data_; }

 private:
  DataPtr data_;
  size_t nbytes_;
  Allocator* allocator_;  // null for memory we do not own the allocation policy of (from_numpy)
};

using Storage = IntrusivePtr<StorageImpl>;

Storage make_storage(size_t nbytes, Device device);

}  // namespace tessera

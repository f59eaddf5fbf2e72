#pragma once
#include <cstddef>

#include "core/device.h"

namespace tessera {

// Owning pointer to device memory plus how to free it; ctx is what the deleter receives.
struct DataPtr {
  void* ptr = nullptr;
  void* ctx = nullptr;
  void (*deleter)(void*) = nullptr;
  Device device;

  DataPtr() = default;
  DataPtr(void* p, void* c, void (*d)(void*), Device dev) : ptr(p), ctx(c), deleter(d), device(dev) {}
  DataPtr(const DataPtr&) = delete;
  DataPtr& operator=(const DataPtr&) = delete;
  DataPtr(DataPtr&& o) noexcept { *this = std::move(o); }
  DataPtr& operator=(DataPtr&& o) noexcept {
    release();
    ptr = o.ptr;
    ctx = o.ctx;
    deleter = o.deleter;
    device = o.device;
    o.ptr = o.ctx = nullptr;
    o.deleter = nullptr;
    return *this;
  }
  ~DataPtr() { release(); }
  void release() {
    if (deleter) deleter(ctx);
    ptr = ctx = nullptr;
    deleter = nullptr;
  }
};

class Allocator {
 public:
  virtual ~Allocator() = default;
  virtual DataPtr allocate(size_t nbytes) = 0;
  // Allocates on a given device of the allocator's type (an index < 0 means the current one);
  // single-device allocators ignore it.
  virtual DataPtr allocate_on(size_t nbytes, Device device) { return allocate(nbytes); }
};

Allocator* cpu_allocator();
// Per device type; the CUDA backend installs its caching allocator here.
Allocator* get_allocator(DeviceType t);
void set_allocator(DeviceType t, Allocator* alloc);

}  // namespace tessera

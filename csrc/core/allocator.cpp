#include "core/allocator.h"

#include <atomic>
#include <cstdlib>

#include "core/error.h"

namespace tessera {

namespace {
constexpr size_t kAlignment = 64;  // cache line; also enough for AVX-512 loads

class CpuAllocator final : public Allocator {
 public:
  DataPtr allocate(size_t nbytes) override {
    if (nbytes == 0) return DataPtr(nullptr, nullptr, nullptr, Device(DeviceType::CPU));
    size_t rounded = (nbytes + kAlignment - 1) / kAlignment * kAlignment;
    TS_CHECK_KIND(OutOfMemory, rounded >= nbytes, "[cpu allocator] size overflow: ", nbytes, " bytes");
    void* p = std::aligned_alloc(kAlignment, rounded);
    TS_CHECK_KIND(OutOfMemory, p != nullptr, "[cpu allocator] out of memory: tried to allocate ", nbytes, " bytes");
    return DataPtr(p, p, &std::free, Device(DeviceType::CPU));
  }
  DataPtr allocate_on(size_t nbytes, Device) override { return CpuAllocator::allocate(nbytes); }
};

// Constant-initialised (nullptr = the built-in default) so that backends may install theirs from
// static initialisers of other translation units in any order.
std::atomic<Allocator*> g_allocators[3] = {};
}  // namespace

Allocator* cpu_allocator() {
  static CpuAllocator alloc;
  return &alloc;
}

Allocator* get_allocator(DeviceType t) {
  Allocator* a = g_allocators[static_cast<int>(t)].load(std::memory_order_acquire);
  if (a == nullptr && t == DeviceType::CPU) return cpu_allocator();
  TS_CHECK(a != nullptr || t != DeviceType::CUDA, "[cuda] tessera was not compiled with CUDA enabled");
  TS_CHECK_NOT_IMPLEMENTED(a != nullptr, "[allocator] no allocator for device type ", device_type_name(t),
                           " (was tessera built with this backend?)");
  return a;
}

void set_allocator(DeviceType t, Allocator* alloc) {
  g_allocators[static_cast<int>(t)].store(alloc, std::memory_order_release);
}

}  // namespace tessera

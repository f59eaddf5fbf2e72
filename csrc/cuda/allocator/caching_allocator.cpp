// The device-independent front of the caching allocator: pointer lookup, device routing, and the
// process-wide instance. The per-device logic is in device_caching_allocator.cpp.
#include "cuda/allocator/caching_allocator.h"

#include <atomic>
#include <cstdio>
#include <functional>

#include "core/error.h"
#include "cuda/allocator/caching_allocator_internal.h"

namespace tessera::cuda {

CachingAllocator::CachingAllocator(std::shared_ptr<DeviceMemoryApi> api, AllocatorConfig config)
    : api_(std::move(api)), config_(config) {
  const int n = api_->device_count();
  devices_.reserve(n);
  for (int d = 0; d < n; ++d)
    devices_.push_back(std::make_unique<DeviceCachingAllocator>(this, d, api_.get(), &config_));
}

CachingAllocator::~CachingAllocator() = default;

DeviceCachingAllocator& CachingAllocator::device_at(int device) const {
  TS_CHECK(!devices_.empty(), "[cuda allocator] no CUDA GPUs are available");
  TS_CHECK(device >= 0 && device < static_cast<int>(devices_.size()), "[cuda allocator] invalid device ", device, " (",
           devices_.size(), " CUDA devices)");
  return *devices_[device];
}

CachingAllocator::Shard& CachingAllocator::shard_of(void* ptr) const {
  // Blocks are 512-byte aligned: the low bits carry nothing.
  const auto p = reinterpret_cast<uintptr_t>(ptr) >> 9;
  return shards_[(p ^ (p >> 4) ^ (p >> 12)) % kShards];
}

void CachingAllocator::add_allocated(Block* block) {
  void* ptr = reinterpret_cast<void*>(block->ptr);
  Shard& shard = shard_of(ptr);
  std::lock_guard<std::mutex> lock(shard.mutex);
  shard.blocks.emplace(ptr, block);
}

Block* CachingAllocator::remove_allocated(void* ptr) {
  Shard& shard = shard_of(ptr);
  std::lock_guard<std::mutex> lock(shard.mutex);
  auto it = shard.blocks.find(ptr);
  if (it == shard.blocks.end()) return nullptr;
  Block* block = it->second;
  shard.blocks.erase(it);
  return block;
}

Block* CachingAllocator::block_of(void* ptr) {
  Shard& shard = shard_of(ptr);
  std::lock_guard<std::mutex> lock(shard.mutex);
  auto it = shard.blocks.find(ptr);
  return it == shard.blocks.end() ? nullptr : it->second;
}

Block* CachingAllocator::allocate_block(size_t size, int device, StreamId stream) {
  DeviceCachingAllocator& d = device_at(device);
  if (size == 0) return nullptr;
  Block* block = d.malloc(size, stream);
  add_allocated(block);
  return block;
}

void* CachingAllocator::allocate(size_t size, int device, StreamId stream) {
  Block* block = allocate_block(size, device, stream);
  return block ? reinterpret_cast<void*>(block->ptr) : nullptr;
}

void* CachingAllocator::block_address(const Block* block) {
  return reinterpret_cast<void*>(block->ptr);
}

void CachingAllocator::free(void* ptr) {
  if (!ptr) return;
  Block* block = remove_allocated(ptr);
  TS_CHECK(block, "[cuda allocator] free of pointer ", ptr, " that this allocator did not allocate (or freed twice)");
  block->owner->free(block);
}

void CachingAllocator::free_block(Block* block) {
  block->owner->front()->remove_allocated(reinterpret_cast<void*>(block->ptr));
  block->owner->free(block);
}

void CachingAllocator::record_stream(void* ptr, StreamId stream) {
  if (!ptr) return;  // empty tensors own no memory
  Block* block = block_of(ptr);
  TS_CHECK(block, "[record_stream] pointer ", ptr, " was not allocated by the CUDA caching allocator");
  block->owner->record_stream(block, stream);
}

void CachingAllocator::empty_cache() {
  for (auto& d : devices_) d->empty_cache();
}

DeviceStats CachingAllocator::stats(int device) const {
  return device_at(device).stats();
}
void CachingAllocator::reset_peak_stats(int device) {
  device_at(device).reset_peak_stats();
}
void CachingAllocator::reset_accumulated_stats(int device) {
  device_at(device).reset_accumulated_stats();
}

void CachingAllocator::set_memory_fraction(double fraction, int device) {
  TS_CHECK_VALUE(fraction >= 0.0 && fraction <= 1.0, "Invalid fraction value: ", fraction, ". Allowed range: 0~1");
  device_at(device).set_memory_fraction(fraction);
}

std::pair<size_t, size_t> CachingAllocator::mem_get_info(int device) const {
  device_at(device);
  size_t free_bytes = 0, total_bytes = 0;
  api_->mem_get_info(device, &free_bytes, &total_bytes);
  return {free_bytes, total_bytes};
}

Snapshot CachingAllocator::snapshot() const {
  Snapshot s;
  for (auto& d : devices_) d->append_snapshot(s);
  return s;
}

void CachingAllocator::set_history_capacity(size_t entries) {
  for (auto& d : devices_) d->set_history_capacity(entries);
}

void CachingAllocator::begin_allocate_to_pool(int device, uint64_t pool_id, StreamId stream) {
  device_at(device).begin_allocate_to_pool(pool_id, stream);
}
void CachingAllocator::end_allocate_to_pool(int device, uint64_t pool_id) {
  device_at(device).end_allocate_to_pool(pool_id);
}
void CachingAllocator::release_pool(int device, uint64_t pool_id) {
  device_at(device).release_pool(pool_id);
}

std::string format_size(uint64_t bytes) {
  char buf[64];
  if (bytes < 1024) {
    std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(bytes));
  } else if (bytes < (1ull << 20)) {
    std::snprintf(buf, sizeof buf, "%.2f KiB", bytes / 1024.0);
  } else if (bytes < (1ull << 30)) {
    std::snprintf(buf, sizeof buf, "%.2f MiB", bytes / 1048576.0);
  } else {
    std::snprintf(buf, sizeof buf, "%.2f GiB", bytes / 1073741824.0);
  }
  return buf;
}

// ---- the process-wide instance

namespace {
std::mutex g_mutex;
CachingAllocator* (*g_factory)() = nullptr;
std::atomic<CachingAllocator*> g_allocator{nullptr};
std::unique_ptr<CachingAllocator> g_override;
}  // namespace

CachingAllocator* global_caching_allocator() {
  if (CachingAllocator* a = g_allocator.load(std::memory_order_acquire)) return a;
  std::lock_guard<std::mutex> lock(g_mutex);
  if (CachingAllocator* a = g_allocator.load(std::memory_order_relaxed)) return a;
  if (!g_factory) return nullptr;
  CachingAllocator* a = g_factory();  // never destroyed: the driver may be gone at exit
  g_allocator.store(a, std::memory_order_release);
  return a;
}

void register_global_caching_allocator_factory(CachingAllocator* (*factory)()) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_factory = factory;
}

void set_global_caching_allocator_override(std::unique_ptr<CachingAllocator> allocator) {
  std::lock_guard<std::mutex> lock(g_mutex);
  TS_CHECK(!g_factory, "[cuda allocator] a test allocator cannot replace the CUDA build's allocator");
  g_override = std::move(allocator);
  g_allocator.store(g_override.get(), std::memory_order_release);
}

}  // namespace tessera::cuda

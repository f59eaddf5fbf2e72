#pragma once
// Stream-ordered caching allocator for device memory (PyTorch CUDACachingAllocator semantics).
// Plain C++: the device is reached only through DeviceMemoryApi, so tests run it on CPU.
// See docs/design/cuda-allocator.md.
#include <array>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cuda/allocator/allocator_config.h"
#include "cuda/allocator/allocator_stats.h"
#include "cuda/allocator/device_memory_api.h"

namespace tessera::cuda {

struct Block;
class DeviceCachingAllocator;

// Size classes, as PyTorch's.
constexpr size_t kMinBlockSize = 512;        // every block is a multiple of this
constexpr size_t kSmallSize = 1 << 20;       // requests up to 1 MiB use the small pool
constexpr size_t kSmallBuffer = 2 << 20;     // small pool segments are 2 MiB
constexpr size_t kMinLargeAlloc = 10 << 20;  // large requests below this get a 20 MiB segment
constexpr size_t kLargeBuffer = 20 << 20;
constexpr size_t kRoundLarge = 2 << 20;  // larger ones are rounded up to 2 MiB

class CachingAllocator {
 public:
  explicit CachingAllocator(std::shared_ptr<DeviceMemoryApi> api, AllocatorConfig config = {});
  // Returns every cached segment to the device; blocks still allocated are leaked to the device.
  ~CachingAllocator();
  CachingAllocator(const CachingAllocator&) = delete;
  CachingAllocator& operator=(const CachingAllocator&) = delete;

  // nullptr for size 0. Throws OutOfMemory (after freeing the cache and retrying) when the device
  // or the memory-fraction cap cannot hold the request.
  void* allocate(size_t size, int device, StreamId stream);
  // ptr must come from allocate(); a free of an unknown pointer throws.
  void free(void* ptr);
  // Marks ptr as used by `stream`: once freed it is reused only after the work queued on that
  // stream up to the free has completed.
  void record_stream(void* ptr, StreamId stream);
  // Waits for pending frees, then returns every unused cached segment to the device.
  void empty_cache();

  int device_count() const { return static_cast<int>(devices_.size()); }
  const AllocatorConfig& config() const { return config_; }
  DeviceStats stats(int device) const;
  void reset_peak_stats(int device);
  void reset_accumulated_stats(int device);
  // Caps the segments of `device` at fraction * total device memory; requests beyond raise OOM.
  void set_memory_fraction(double fraction, int device);
  Snapshot snapshot() const;
  // Free and total memory of the device as the driver reports them (not the allocator's cache).
  std::pair<size_t, size_t> mem_get_info(int device) const;
  // Capacity of the per-device history ring; 0 stops recording (and drops the history).
  void set_history_capacity(size_t entries);

  // Graph-private pools (logic for CUDA graph capture): while active, allocations made on
  // `stream` come from pool `pool_id` (> 0), and its blocks are never handed to other streams or
  // pools. release_pool drops the pool once its blocks are all freed.
  void begin_allocate_to_pool(int device, uint64_t pool_id, StreamId stream);
  void end_allocate_to_pool(int device, uint64_t pool_id);
  void release_pool(int device, uint64_t pool_id);

  // For the tessera::Allocator adapter, which keeps the Block as its DataPtr context.
  Block* allocate_block(size_t size, int device, StreamId stream);
  static void free_block(Block* block);
  static void* block_address(const Block* block);

 private:
  DeviceCachingAllocator& device_at(int device) const;
  Block* block_of(void* ptr);
  void add_allocated(Block* block);
  Block* remove_allocated(void* ptr);

  std::shared_ptr<DeviceMemoryApi> api_;
  AllocatorConfig config_;
  std::vector<std::unique_ptr<DeviceCachingAllocator>> devices_;
  // Pointer -> block, sharded so that threads on different devices rarely meet on a lock.
  static constexpr size_t kShards = 16;
  struct Shard {
    std::mutex mutex;
    std::unordered_map<void*, Block*> blocks;
  };
  mutable std::array<Shard, kShards> shards_;
  Shard& shard_of(void* ptr) const;
};

// Human-readable size as PyTorch prints it ("1.50 GiB", "512 bytes").
std::string format_size(uint64_t bytes);

// The process-wide allocator of the CUDA backend; nullptr in a build without CUDA. The CUDA
// backend registers a factory; the allocator is created on first use.
CachingAllocator* global_caching_allocator();
void register_global_caching_allocator_factory(CachingAllocator* (*factory)());
// Tests of the Python layer on CPU only: installs (or with nullptr removes) an allocator to use
// instead of the factory's. Not for the CUDA build's real allocator.
void set_global_caching_allocator_override(std::unique_ptr<CachingAllocator> allocator);

}  // namespace tessera::cuda

#pragma once
// Blocks, pools and the per-device allocator behind CachingAllocator. Internal: included by
// caching_allocator.cpp and device_caching_allocator.cpp only.
#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>
#include <vector>

#include "cuda/allocator/caching_allocator.h"

namespace tessera::cuda {

struct Block;
struct BlockPool;
struct PrivatePool;

// One device allocation. Its blocks tile it; `head` is the block at `base` (kept current by
// split and merge so that snapshots and teardown can walk every segment without a block index).
struct Segment {
  uintptr_t base;
  size_t size;
  Block* head;
};

// A piece of a segment (one device allocation). Blocks of a segment form a doubly linked list in
// address order; all share the segment's stream and pool.
struct Block {
  DeviceCachingAllocator* owner;
  StreamId stream;
  size_t size;
  BlockPool* pool;
  uintptr_t ptr;
  Segment* segment = nullptr;
  size_t requested_size = 0;
  bool allocated = false;
  int event_count = 0;                // events still pending before this freed block is reusable
  std::vector<StreamId> stream_uses;  // record_stream() streams other than `stream`
  Block* prev = nullptr;
  Block* next = nullptr;
  uint64_t gc_stamp = 0;  // gc clock when the block entered the free pool

  Block(DeviceCachingAllocator* o, StreamId s, size_t sz, BlockPool* p, uintptr_t addr)
      : owner(o), stream(s), size(sz), pool(p), ptr(addr) {}
  bool is_split() const { return prev != nullptr || next != nullptr; }
};

// Best fit = the smallest block of the same stream that is large enough, lowest address first.
struct BlockComparator {
  bool operator()(const Block* a, const Block* b) const {
    if (a->stream != b->stream) return a->stream < b->stream;
    if (a->size != b->size) return a->size < b->size;
    return a->ptr < b->ptr;
  }
};

struct BlockPool {
  explicit BlockPool(bool small, PrivatePool* priv = nullptr) : is_small(small), owner_private(priv) {}
  std::set<Block*, BlockComparator> blocks;  // free blocks ready for reuse
  const bool is_small;
  PrivatePool* const owner_private;
};

struct PrivatePool {
  explicit PrivatePool(uint64_t pool_id) : id(pool_id), small(true, this), large(false, this) {}
  uint64_t id;
  BlockPool small, large;
  int64_t segments = 0;  // device allocations owned by the pool
  bool released = false;
};

class DeviceCachingAllocator {
 public:
  DeviceCachingAllocator(CachingAllocator* front, int device, DeviceMemoryApi* api, const AllocatorConfig* config);
  CachingAllocator* front() const { return front_; }
  ~DeviceCachingAllocator();

  Block* malloc(size_t requested, StreamId stream);
  void free(Block* block);
  void record_stream(Block* block, StreamId stream);
  void empty_cache();

  DeviceStats stats() const;
  void reset_peak_stats();
  void reset_accumulated_stats();
  void set_memory_fraction(double fraction);
  void append_snapshot(Snapshot& out) const;
  void set_history_capacity(size_t entries);

  void begin_allocate_to_pool(uint64_t pool_id, StreamId stream);
  void end_allocate_to_pool(uint64_t pool_id);
  void release_pool(uint64_t pool_id);

 private:
  BlockPool& pool_for(size_t size, StreamId stream);
  Block* get_free_block(BlockPool& pool, size_t size, StreamId stream);
  Block* alloc_segment(BlockPool& pool, size_t size, StreamId stream, bool is_retry);
  Block* use_block(Block* block, BlockPool& pool, size_t size, size_t requested);
  bool should_split(const Block* block, size_t size) const;
  void insert_free(BlockPool& pool, Block* block);
  void free_block(Block* block);
  size_t try_merge(Block* dst, Block* src);
  void release_block(Block* block);
  void release_whole_blocks(BlockPool& pool);
  bool release_available_cached_blocks(BlockPool& pool, size_t size, StreamId stream);
  void release_cached_blocks();
  void garbage_collect_cached_blocks();
  void insert_events(Block* block);
  void process_events();
  void synchronize_and_free_events();
  EventId get_event();
  [[noreturn]] void raise_oom(size_t requested, size_t rounded);
  void record(TraceAction action, uintptr_t addr, size_t size, StreamId stream);
  size_t memory_limit();
  void maybe_drop_private_pool(PrivatePool* pool);

  static StatPool stat_pool(const BlockPool& pool) { return pool.is_small ? kSmallPool : kLargePool; }
  static void stat_increase(StatArray& s, StatPool p, int64_t n) {
    s[kAllPools].increase(n);
    s[p].increase(n);
  }
  static void stat_decrease(StatArray& s, StatPool p, int64_t n) {
    s[kAllPools].decrease(n);
    s[p].decrease(n);
  }

  mutable std::mutex mutex_;
  CachingAllocator* const front_;
  const int device_;
  DeviceMemoryApi* const api_;
  const AllocatorConfig* const config_;
  DeviceStats stats_;
  BlockPool large_{false};
  BlockPool small_{true};
  std::map<uintptr_t, std::unique_ptr<Segment>> segments_;  // by base address
  std::map<uint64_t, std::unique_ptr<PrivatePool>> private_pools_;
  std::vector<std::pair<uint64_t, StreamId>> pool_routes_;  // (pool id, capturing stream)
  // Events of record_stream frees, per stream in record order (a stream completes them in order).
  std::unordered_map<StreamId, std::deque<std::pair<EventId, Block*>>> pending_events_;
  size_t pending_count_ = 0;
  std::vector<EventId> free_events_;
  size_t reserved_ = 0;
  size_t allowed_max_ = 0;
  bool fraction_set_ = false;
  size_t total_memory_ = 0;  // queried lazily: asking at construction would touch every device
  uint64_t gc_clock_ = 0;
  // History ring.
  std::vector<TraceEntry> ring_;
  size_t ring_capacity_ = 4096;
  size_t ring_head_ = 0;
  uint64_t trace_seq_ = 0;
};

}  // namespace tessera::cuda

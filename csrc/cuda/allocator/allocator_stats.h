#pragma once
// Statistics and snapshot records of the caching allocator, shaped like PyTorch's
// torch.cuda.memory_stats() / memory_snapshot() so the Python layer only renames.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "cuda/allocator/device_memory_api.h"

namespace tessera::cuda {

struct Stat {
  int64_t current = 0, peak = 0, allocated = 0, freed = 0;
  void increase(int64_t n) {
    current += n;
    allocated += n;
    peak = std::max(peak, current);
  }
  void decrease(int64_t n) {
    current -= n;
    freed += n;
  }
  void reset_peak() { peak = current; }
  void reset_accumulated() { allocated = freed = 0; }
};

// Index into a StatArray: every pool together, then the small (<= 1 MiB) and the large pool.
enum StatPool : int { kAllPools = 0, kSmallPool = 1, kLargePool = 2 };
using StatArray = std::array<Stat, 3>;

struct DeviceStats {
  StatArray allocation;              // blocks handed to users
  StatArray segment;                 // device allocations held
  StatArray active;                  // allocated blocks plus freed ones still waiting for events
  StatArray inactive_split;          // free blocks inside split segments (not releasable)
  StatArray allocated_bytes;         // sizes of blocks handed to users (rounded)
  StatArray reserved_bytes;          // sizes of segments held
  StatArray active_bytes;            // as active, in bytes
  StatArray inactive_split_bytes;    // as inactive_split, in bytes
  StatArray requested_bytes;         // sizes users asked for (not rounded)
  int64_t num_alloc_retries = 0;     // device mallocs retried after freeing the cache
  int64_t num_ooms = 0;              // OutOfMemoryErrors raised
  int64_t num_sync_all_streams = 0;  // pending events waited for (empty_cache, before an OOM)
  int64_t num_device_alloc = 0;
  int64_t num_device_free = 0;
  Stat oversize_allocations;  // allocations of blocks >= max_split_size
  Stat oversize_segments;     // segments >= max_split_size
  int64_t max_split_size = 0;
};

enum class BlockState : uint8_t { ActiveAllocated, ActivePendingFree, Inactive };

struct BlockInfo {
  uintptr_t address = 0;
  size_t size = 0;
  size_t requested_size = 0;
  BlockState state = BlockState::Inactive;
};

struct SegmentInfo {
  int device = 0;
  uintptr_t address = 0;
  size_t total_size = 0, allocated_size = 0, active_size = 0, requested_size = 0;
  StreamId stream = 0;
  bool is_large = false;
  uint64_t pool_id = 0;  // 0: the default pools; otherwise a graph-private pool
  std::vector<BlockInfo> blocks;
};

enum class TraceAction : uint8_t { Alloc, FreeRequested, FreeCompleted, SegmentAlloc, SegmentFree, Oom };

struct TraceEntry {
  uint64_t seq = 0;  // per device, counts every event ever recorded (the ring drops the oldest)
  TraceAction action = TraceAction::Alloc;
  uintptr_t address = 0;
  size_t size = 0;
  StreamId stream = 0;
  int64_t time_us = 0;
};

struct Snapshot {
  std::vector<SegmentInfo> segments;            // sorted by device, then address
  std::vector<std::vector<TraceEntry>> traces;  // per device, oldest first
};

}  // namespace tessera::cuda

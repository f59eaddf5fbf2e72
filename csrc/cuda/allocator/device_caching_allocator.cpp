// The per-device half of the caching allocator: pools, splitting, coalescing, events, stats.
// Every public method takes the device mutex; private helpers assume it is held.
#include <time.h>

#include <algorithm>
#include <limits>

#include "core/error.h"
#include "cuda/allocator/caching_allocator_internal.h"

namespace tessera::cuda {

namespace {

size_t round_size(size_t size) {
  if (size < kMinBlockSize) return kMinBlockSize;
  return kMinBlockSize * ((size + kMinBlockSize - 1) / kMinBlockSize);
}

// Segment size for a request that found no cached block.
size_t allocation_size(size_t size) {
  if (size <= kSmallSize) return kSmallBuffer;
  if (size < kMinLargeAlloc) return kLargeBuffer;
  return kRoundLarge * ((size + kRoundLarge - 1) / kRoundLarge);
}

// The coarse clock (a few ms resolution) costs a memory read; the precise one costs more than
// the rest of a malloc on some virtual machines, and the history ring timestamps every event.
int64_t now_us() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

}  // namespace

DeviceCachingAllocator::DeviceCachingAllocator(CachingAllocator* front, int device, DeviceMemoryApi* api,
                                               const AllocatorConfig* config)
    : front_(front), device_(device), api_(api), config_(config) {}

DeviceCachingAllocator::~DeviceCachingAllocator() {
  // Teardown: segments go back to the device whatever their blocks' state.
  for (auto& [base, segment] : segments_) {
    for (Block* b = segment->head; b;) {
      Block* next = b->next;
      delete b;
      b = next;
    }
    api_->free(device_, reinterpret_cast<void*>(base));
  }
  for (auto& [stream, queue] : pending_events_)
    for (auto& [event, block] : queue) api_->event_destroy(device_, event);
  for (EventId e : free_events_) api_->event_destroy(device_, e);
}

// ---- allocation

Block* DeviceCachingAllocator::malloc(size_t requested, StreamId stream) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (pending_count_ != 0) process_events();
  // Larger than any device; checked so that rounding below cannot wrap around.
  TS_CHECK_KIND(OutOfMemory, requested <= std::numeric_limits<size_t>::max() / 2,
                "CUDA out of memory. Tried to allocate ", format_size(requested), " (more than any device holds).");
  const size_t size = round_size(requested);
  BlockPool& pool = pool_for(size, stream);
  Block* block = get_free_block(pool, size, stream);
  if (!block) {
    const size_t segment_size = allocation_size(size);
    if (config_->garbage_collection_threshold > 0.0) garbage_collect_cached_blocks();
    block = alloc_segment(pool, segment_size, stream, false);
    if (!block && release_available_cached_blocks(pool, size, stream))
      block = alloc_segment(pool, segment_size, stream, false);
    if (!block) {
      release_cached_blocks();
      block = alloc_segment(pool, segment_size, stream, true);
    }
    if (!block) raise_oom(requested, segment_size);
  }
  return use_block(block, pool, size, requested);
}

BlockPool& DeviceCachingAllocator::pool_for(size_t size, StreamId stream) {
  if (!pool_routes_.empty()) {  // zero cost unless a graph capture routes this device
    for (auto& [id, s] : pool_routes_) {
      if (s != stream) continue;
      PrivatePool& p = *private_pools_.at(id);
      return size <= kSmallSize ? p.small : p.large;
    }
  }
  return size <= kSmallSize ? small_ : large_;
}

Block* DeviceCachingAllocator::get_free_block(BlockPool& pool, size_t size, StreamId stream) {
  if (!pool.is_small && config_->garbage_collection_threshold > 0.0) ++gc_clock_;
  Block key(nullptr, stream, size, nullptr, 0);
  auto it = pool.blocks.lower_bound(&key);
  if (it == pool.blocks.end() || (*it)->stream != stream) return nullptr;
  const size_t max_split = config_->max_split_size;
  // An oversize cached block is not cut up for a normal request, and serves an oversize request
  // only when it wastes less than one large segment.
  if (size < max_split && (*it)->size >= max_split) return nullptr;
  if (size >= max_split && (*it)->size >= size + kLargeBuffer) return nullptr;
  Block* block = *it;
  pool.blocks.erase(it);
  return block;
}

Block* DeviceCachingAllocator::alloc_segment(BlockPool& pool, size_t size, StreamId stream, bool is_retry) {
  if (is_retry) ++stats_.num_alloc_retries;
  if (fraction_set_ && reserved_ + size > allowed_max_) return nullptr;
  void* p = api_->malloc(device_, size);
  if (!p) return nullptr;
  reserved_ += size;
  ++stats_.num_device_alloc;
  const StatPool sp = stat_pool(pool);
  stat_increase(stats_.segment, sp, 1);
  stat_increase(stats_.reserved_bytes, sp, static_cast<int64_t>(size));
  if (size >= config_->max_split_size) stats_.oversize_segments.increase(1);
  if (pool.owner_private) ++pool.owner_private->segments;
  record(TraceAction::SegmentAlloc, reinterpret_cast<uintptr_t>(p), size, stream);
  const auto base = reinterpret_cast<uintptr_t>(p);
  Block* block = new Block(this, stream, size, &pool, base);
  auto segment = std::make_unique<Segment>(Segment{base, size, block});
  block->segment = segment.get();
  segments_.emplace(base, std::move(segment));
  return block;
}

bool DeviceCachingAllocator::should_split(const Block* block, size_t size) const {
  const size_t remaining = block->size - size;
  if (block->pool->is_small) return remaining >= kMinBlockSize;
  return size < config_->max_split_size && remaining > kSmallSize;
}

Block* DeviceCachingAllocator::use_block(Block* block, BlockPool& pool, size_t size, size_t requested) {
  const StatPool sp = stat_pool(pool);
  const bool already_split = block->is_split();
  if (should_split(block, size)) {
    Block* rest = block;
    block = new Block(this, rest->stream, size, &pool, rest->ptr);
    block->segment = rest->segment;
    block->prev = rest->prev;
    if (block->prev) {
      block->prev->next = block;
    } else {
      block->segment->head = block;
    }
    block->next = rest;
    rest->prev = block;
    rest->ptr += size;
    rest->size -= size;
    insert_free(pool, rest);
    if (already_split) {
      stat_decrease(stats_.inactive_split_bytes, sp, static_cast<int64_t>(size));
    } else {
      stat_increase(stats_.inactive_split, sp, 1);
      stat_increase(stats_.inactive_split_bytes, sp, static_cast<int64_t>(rest->size));
    }
  } else if (already_split) {
    stat_decrease(stats_.inactive_split, sp, 1);
    stat_decrease(stats_.inactive_split_bytes, sp, static_cast<int64_t>(block->size));
  }
  block->allocated = true;
  block->requested_size = requested;
  stat_increase(stats_.allocation, sp, 1);
  stat_increase(stats_.allocated_bytes, sp, static_cast<int64_t>(block->size));
  stat_increase(stats_.active, sp, 1);
  stat_increase(stats_.active_bytes, sp, static_cast<int64_t>(block->size));
  stat_increase(stats_.requested_bytes, sp, static_cast<int64_t>(requested));
  if (block->size >= config_->max_split_size) stats_.oversize_allocations.increase(1);
  record(TraceAction::Alloc, block->ptr, block->size, block->stream);
  return block;
}

void DeviceCachingAllocator::insert_free(BlockPool& pool, Block* block) {
  block->gc_stamp = gc_clock_;
  pool.blocks.insert(block);
}

// ---- free

void DeviceCachingAllocator::free(Block* block) {
  std::lock_guard<std::mutex> lock(mutex_);
  const StatPool sp = stat_pool(*block->pool);
  block->allocated = false;
  stat_decrease(stats_.allocation, sp, 1);
  stat_decrease(stats_.allocated_bytes, sp, static_cast<int64_t>(block->size));
  stat_decrease(stats_.requested_bytes, sp, static_cast<int64_t>(block->requested_size));
  if (block->size >= config_->max_split_size) stats_.oversize_allocations.decrease(1);
  record(TraceAction::FreeRequested, block->ptr, block->size, block->stream);
  if (!block->stream_uses.empty()) {
    insert_events(block);
  } else {
    free_block(block);
  }
}

void DeviceCachingAllocator::record_stream(Block* block, StreamId stream) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stream == block->stream) return;  // the allocation stream orders its own work
  auto& uses = block->stream_uses;
  if (std::find(uses.begin(), uses.end(), stream) == uses.end()) uses.push_back(stream);
}

// A block whose user is done and whose events (if any) completed: back to its pool, merged with
// free neighbours.
void DeviceCachingAllocator::free_block(Block* block) {
  BlockPool& pool = *block->pool;
  const StatPool sp = stat_pool(pool);
  const size_t original_size = block->size;
  record(TraceAction::FreeCompleted, block->ptr, block->size, block->stream);
  int64_t split_count = 0, split_bytes = 0;
  for (Block* candidate : {block->prev, block->next}) {
    const size_t subsumed = try_merge(block, candidate);
    if (subsumed > 0) {
      split_count -= 1;
      split_bytes -= static_cast<int64_t>(subsumed);
    }
  }
  insert_free(pool, block);
  if (block->is_split()) {
    split_count += 1;
    split_bytes += static_cast<int64_t>(block->size);
  }
  if (split_count > 0) stat_increase(stats_.inactive_split, sp, split_count);
  if (split_count < 0) stat_decrease(stats_.inactive_split, sp, -split_count);
  if (split_bytes > 0) stat_increase(stats_.inactive_split_bytes, sp, split_bytes);
  if (split_bytes < 0) stat_decrease(stats_.inactive_split_bytes, sp, -split_bytes);
  stat_decrease(stats_.active, sp, 1);
  stat_decrease(stats_.active_bytes, sp, static_cast<int64_t>(original_size));
  // A released graph pool gives its segments back as soon as they are whole again.
  if (pool.owner_private && pool.owner_private->released && !block->is_split()) {
    PrivatePool* owner = pool.owner_private;
    release_block(block);
    maybe_drop_private_pool(owner);
  }
}

size_t DeviceCachingAllocator::try_merge(Block* dst, Block* src) {
  if (!src || src->allocated || src->event_count > 0 || !src->stream_uses.empty()) return 0;
  dst->pool->blocks.erase(src);
  if (dst->prev == src) {
    dst->ptr = src->ptr;
    dst->prev = src->prev;
    if (dst->prev) {
      dst->prev->next = dst;
    } else {
      dst->segment->head = dst;
    }
  } else {
    dst->next = src->next;
    if (dst->next) dst->next->prev = dst;
  }
  const size_t subsumed = src->size;
  dst->size += subsumed;
  delete src;
  return subsumed;
}

// ---- events (record_stream)

EventId DeviceCachingAllocator::get_event() {
  if (free_events_.empty()) return api_->event_create(device_);
  EventId e = free_events_.back();
  free_events_.pop_back();
  return e;
}

void DeviceCachingAllocator::insert_events(Block* block) {
  for (StreamId s : block->stream_uses) {
    EventId e = get_event();
    api_->event_record(device_, e, s);
    ++block->event_count;
    pending_events_[s].emplace_back(e, block);
    ++pending_count_;
  }
  block->stream_uses.clear();
}

// Lazily, on the next malloc: queries only the oldest event of each stream (they complete in order).
void DeviceCachingAllocator::process_events() {
  for (auto it = pending_events_.begin(); it != pending_events_.end();) {
    auto& queue = it->second;
    while (!queue.empty()) {
      auto [event, block] = queue.front();
      if (!api_->event_query(device_, event)) break;
      queue.pop_front();
      --pending_count_;
      free_events_.push_back(event);
      if (--block->event_count == 0) free_block(block);
    }
    it = queue.empty() ? pending_events_.erase(it) : std::next(it);
  }
}

void DeviceCachingAllocator::synchronize_and_free_events() {
  if (pending_count_ == 0) return;
  ++stats_.num_sync_all_streams;
  for (auto& [stream, queue] : pending_events_) {
    for (auto [event, block] : queue) {
      api_->event_synchronize(device_, event);
      free_events_.push_back(event);
      if (--block->event_count == 0) free_block(block);
    }
  }
  pending_events_.clear();
  pending_count_ = 0;
}

// ---- giving memory back

void DeviceCachingAllocator::release_block(Block* block) {
  BlockPool& pool = *block->pool;
  const StatPool sp = stat_pool(pool);
  api_->free(device_, reinterpret_cast<void*>(block->ptr));
  reserved_ -= block->size;
  ++stats_.num_device_free;
  stat_decrease(stats_.segment, sp, 1);
  stat_decrease(stats_.reserved_bytes, sp, static_cast<int64_t>(block->size));
  if (block->size >= config_->max_split_size) stats_.oversize_segments.decrease(1);
  if (pool.owner_private) --pool.owner_private->segments;
  record(TraceAction::SegmentFree, block->ptr, block->size, block->stream);
  pool.blocks.erase(block);
  segments_.erase(block->ptr);
  delete block;
}

void DeviceCachingAllocator::release_whole_blocks(BlockPool& pool) {
  for (auto it = pool.blocks.begin(); it != pool.blocks.end();) {
    Block* b = *it++;
    if (!b->is_split()) release_block(b);
  }
}

// With max_split_size set: frees cached oversize segments of this stream, the one best fit or
// else the largest ones, until `size` bytes went back.
bool DeviceCachingAllocator::release_available_cached_blocks(BlockPool& pool, size_t size, StreamId stream) {
  const size_t max_split = config_->max_split_size;
  if (max_split == std::numeric_limits<size_t>::max() || pool.is_small) return false;
  Block key(nullptr, stream, std::max(size, max_split), nullptr, 0);
  auto it = pool.blocks.lower_bound(&key);
  if (it != pool.blocks.end() && (*it)->stream == stream && !(*it)->is_split()) {
    release_block(*it);
    return true;
  }
  size_t released = 0;
  std::vector<Block*> victims;
  while (it != pool.blocks.begin() && released < key.size) {
    Block* b = *--it;
    if (b->stream != stream || b->size < max_split) break;
    if (b->is_split()) continue;
    victims.push_back(b);
    released += b->size;
  }
  if (released < key.size) return false;
  for (Block* b : victims) release_block(b);
  return true;
}

void DeviceCachingAllocator::release_cached_blocks() {
  synchronize_and_free_events();
  release_whole_blocks(large_);
  release_whole_blocks(small_);
  std::vector<PrivatePool*> released;
  for (auto& [id, pool] : private_pools_)
    if (pool->released) released.push_back(pool.get());
  for (PrivatePool* p : released) {
    release_whole_blocks(p->small);
    release_whole_blocks(p->large);
    maybe_drop_private_pool(p);
  }
}

size_t DeviceCachingAllocator::memory_limit() {
  if (fraction_set_) return allowed_max_;
  if (total_memory_ == 0) {
    size_t free_bytes = 0;
    api_->mem_get_info(device_, &free_bytes, &total_memory_);
  }
  return total_memory_;
}

// garbage_collection_threshold: above threshold * cap, free cached unsplit large segments whose
// age (large-pool lookups since they were freed) is at least the average, until under it.
void DeviceCachingAllocator::garbage_collect_cached_blocks() {
  const size_t threshold = static_cast<size_t>(config_->garbage_collection_threshold * memory_limit());
  if (reserved_ <= threshold) return;
  const size_t target = reserved_ - threshold;
  size_t reclaimed = 0, total_age = 0, count = 0;
  for (Block* b : large_.blocks) {
    if (b->is_split()) continue;
    total_age += gc_clock_ - b->gc_stamp;
    ++count;
  }
  bool freed = true;
  while (reclaimed < target && freed && count > 0) {
    const size_t age_threshold = total_age / count;
    freed = false;
    for (auto it = large_.blocks.begin(); it != large_.blocks.end() && reclaimed < target;) {
      Block* b = *it++;
      const size_t age = gc_clock_ - b->gc_stamp;
      if (b->is_split() || age < age_threshold) continue;
      freed = true;
      reclaimed += b->size;
      total_age -= age;
      --count;
      release_block(b);
    }
  }
}

void DeviceCachingAllocator::empty_cache() {
  std::lock_guard<std::mutex> lock(mutex_);
  release_cached_blocks();
}

[[noreturn]] void DeviceCachingAllocator::raise_oom(size_t requested, size_t segment_size) {
  ++stats_.num_ooms;
  record(TraceAction::Oom, 0, requested, 0);
  size_t free_bytes = 0, total_bytes = 0;
  api_->mem_get_info(device_, &free_bytes, &total_bytes);
  const auto allocated = static_cast<size_t>(stats_.allocated_bytes[kAllPools].current);
  std::string cap;
  if (fraction_set_) {
    cap = detail::concat(" This process's memory fraction allows ", format_size(allowed_max_), " and ",
                         format_size(reserved_), " is reserved, so a new ", format_size(segment_size),
                         " segment does not fit.");
  }
  TS_FAIL(OutOfMemory, "CUDA out of memory. Tried to allocate ", format_size(requested), ". GPU ", device_,
          " has a total capacity of ", format_size(total_bytes), " of which ", format_size(free_bytes),
          " is free. Of the allocated memory ", format_size(allocated), " is allocated by tessera, and ",
          format_size(reserved_ - allocated), " is reserved by tessera but unallocated (", format_size(reserved_),
          " reserved in total).", cap);
}

// ---- stats, snapshot, history

DeviceStats DeviceCachingAllocator::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  DeviceStats s = stats_;
  const size_t max_split = config_->max_split_size;
  s.max_split_size = max_split == std::numeric_limits<size_t>::max() ? -1 : static_cast<int64_t>(max_split);
  return s;
}

void DeviceCachingAllocator::reset_peak_stats() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (StatArray* a :
       {&stats_.allocation, &stats_.segment, &stats_.active, &stats_.inactive_split, &stats_.allocated_bytes,
        &stats_.reserved_bytes, &stats_.active_bytes, &stats_.inactive_split_bytes, &stats_.requested_bytes})
    for (Stat& s : *a) s.reset_peak();
  stats_.oversize_allocations.reset_peak();
  stats_.oversize_segments.reset_peak();
}

void DeviceCachingAllocator::reset_accumulated_stats() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (StatArray* a :
       {&stats_.allocation, &stats_.segment, &stats_.active, &stats_.inactive_split, &stats_.allocated_bytes,
        &stats_.reserved_bytes, &stats_.active_bytes, &stats_.inactive_split_bytes, &stats_.requested_bytes})
    for (Stat& s : *a) s.reset_accumulated();
  stats_.oversize_allocations.reset_accumulated();
  stats_.oversize_segments.reset_accumulated();
  stats_.num_alloc_retries = stats_.num_ooms = stats_.num_sync_all_streams = 0;
  stats_.num_device_alloc = stats_.num_device_free = 0;
}

void DeviceCachingAllocator::set_memory_fraction(double fraction) {
  std::lock_guard<std::mutex> lock(mutex_);
  size_t free_bytes = 0, total_bytes = 0;
  api_->mem_get_info(device_, &free_bytes, &total_bytes);
  allowed_max_ = static_cast<size_t>(fraction * static_cast<double>(total_bytes));
  fraction_set_ = true;
}

void DeviceCachingAllocator::append_snapshot(Snapshot& out) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [base, segment] : segments_) {
    const Block* head = segment->head;
    SegmentInfo seg;
    seg.device = device_;
    seg.address = head->ptr;
    seg.stream = head->stream;
    seg.is_large = !head->pool->is_small;
    seg.pool_id = head->pool->owner_private ? head->pool->owner_private->id : 0;
    for (const Block* b = head; b; b = b->next) {
      BlockInfo info{b->ptr, b->size, b->requested_size, BlockState::Inactive};
      seg.total_size += b->size;
      if (b->allocated) {
        info.state = BlockState::ActiveAllocated;
        seg.allocated_size += b->size;
        seg.requested_size += b->requested_size;
      } else if (b->event_count > 0) {
        info.state = BlockState::ActivePendingFree;
      }
      if (info.state != BlockState::Inactive) seg.active_size += b->size;
      if (info.state == BlockState::Inactive) info.requested_size = 0;
      seg.blocks.push_back(info);
    }
    out.segments.push_back(std::move(seg));
  }
  std::vector<TraceEntry> trace;
  trace.reserve(ring_.size());
  for (size_t i = 0; i < ring_.size(); ++i) trace.push_back(ring_[(ring_head_ + i) % ring_.size()]);
  out.traces.push_back(std::move(trace));
}

void DeviceCachingAllocator::set_history_capacity(size_t entries) {
  std::lock_guard<std::mutex> lock(mutex_);
  ring_.clear();
  ring_.shrink_to_fit();
  ring_head_ = 0;
  ring_capacity_ = entries;
}

void DeviceCachingAllocator::record(TraceAction action, uintptr_t addr, size_t size, StreamId stream) {
  const uint64_t seq = trace_seq_++;
  if (ring_capacity_ == 0) return;
  TraceEntry e{seq, action, addr, size, stream, now_us()};
  if (ring_.size() < ring_capacity_) {
    ring_.push_back(e);
  } else {
    ring_[ring_head_] = e;
    if (++ring_head_ == ring_capacity_) ring_head_ = 0;
  }
}

// ---- graph-private pools

void DeviceCachingAllocator::begin_allocate_to_pool(uint64_t pool_id, StreamId stream) {
  std::lock_guard<std::mutex> lock(mutex_);
  TS_CHECK(pool_id != 0, "[cuda allocator] private pool id 0 is the default pool");
  for (auto& [id, s] : pool_routes_)
    TS_CHECK(s != stream, "[cuda allocator] stream ", stream, " already allocates to private pool ", id);
  auto it = private_pools_.find(pool_id);
  if (it == private_pools_.end()) {
    it = private_pools_.emplace(pool_id, std::make_unique<PrivatePool>(pool_id)).first;
  } else {
    TS_CHECK(!it->second->released, "[cuda allocator] private pool ", pool_id, " was released");
  }
  pool_routes_.emplace_back(pool_id, stream);
}

void DeviceCachingAllocator::end_allocate_to_pool(uint64_t pool_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = std::find_if(pool_routes_.begin(), pool_routes_.end(), [&](auto& r) { return r.first == pool_id; });
  TS_CHECK(it != pool_routes_.end(), "[cuda allocator] private pool ", pool_id, " is not being allocated to");
  pool_routes_.erase(it);
}

void DeviceCachingAllocator::release_pool(uint64_t pool_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = private_pools_.find(pool_id);
  TS_CHECK(it != private_pools_.end() && !it->second->released, "[cuda allocator] no private pool ", pool_id);
  PrivatePool* pool = it->second.get();
  pool_routes_.erase(
      std::remove_if(pool_routes_.begin(), pool_routes_.end(), [&](auto& r) { return r.first == pool_id; }),
      pool_routes_.end());
  pool->released = true;
  release_whole_blocks(pool->small);
  release_whole_blocks(pool->large);
  maybe_drop_private_pool(pool);
}

void DeviceCachingAllocator::maybe_drop_private_pool(PrivatePool* pool) {
  if (pool->released && pool->segments == 0) private_pools_.erase(pool->id);
}

}  // namespace tessera::cuda

// The CUDA caching allocator's logic, run on CPU against a fake device (fake_memory_api.h).
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "core/error.h"
#include "cuda/allocator/caching_allocator.h"
#include "cuda/allocator/caching_allocator_adapter.h"
#include "cuda/allocator/fake_memory_api.h"

namespace tessera::cuda {
namespace {

constexpr size_t MiB = size_t{1} << 20;
constexpr StreamId S0 = 100, S1 = 101, S2 = 102, S3 = 103;

struct Fixture {
  std::shared_ptr<FakeDeviceMemoryApi> fake;
  std::unique_ptr<CachingAllocator> alloc;
  explicit Fixture(size_t capacity = size_t{1} << 30, int devices = 1, AllocatorConfig cfg = {})
      : fake(std::make_shared<FakeDeviceMemoryApi>(devices, capacity)),
        alloc(std::make_unique<CachingAllocator>(fake, cfg)) {}
  DeviceStats stats(int d = 0) const { return alloc->stats(d); }
};

uintptr_t addr(void* p) {
  return reinterpret_cast<uintptr_t>(p);
}

std::string oom_message(CachingAllocator& a, size_t size, StreamId s = S0) {
  try {
    a.allocate(size, 0, s);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::OutOfMemory);
    return e.what();
  }
  ADD_FAILURE() << "expected OutOfMemory for " << size << " bytes";
  return "";
}

// Stats of all pools equal small + large, and are never negative.
void expect_pools_add_up(const DeviceStats& s) {
  for (const StatArray* a : {&s.allocation, &s.segment, &s.active, &s.inactive_split, &s.allocated_bytes,
                             &s.reserved_bytes, &s.active_bytes, &s.inactive_split_bytes, &s.requested_bytes}) {
    EXPECT_EQ((*a)[kAllPools].current, (*a)[kSmallPool].current + (*a)[kLargePool].current);
    EXPECT_EQ((*a)[kAllPools].allocated, (*a)[kSmallPool].allocated + (*a)[kLargePool].allocated);
    EXPECT_GE((*a)[kAllPools].current, 0);
    EXPECT_GE((*a)[kAllPools].peak, (*a)[kAllPools].current);
    EXPECT_EQ((*a)[kAllPools].current, (*a)[kAllPools].allocated - (*a)[kAllPools].freed);
  }
}

// The snapshot describes the same memory the stats count, and segments tile exactly.
void expect_snapshot_matches_stats(CachingAllocator& a, FakeDeviceMemoryApi& fake) {
  Snapshot snap = a.snapshot();
  DeviceStats s = a.stats(0);
  int64_t total = 0, allocated = 0, active = 0, requested = 0, inactive_split = 0, inactive_split_bytes = 0;
  int64_t allocations = 0, actives = 0;
  uintptr_t last_end = 0;
  for (const SegmentInfo& seg : snap.segments) {
    EXPECT_GE(seg.address, last_end);
    last_end = seg.address + seg.total_size;
    uintptr_t cursor = seg.address;
    size_t seg_alloc = 0;
    for (const BlockInfo& b : seg.blocks) {
      EXPECT_EQ(b.address, cursor) << "blocks must tile their segment";
      EXPECT_EQ(b.size % kMinBlockSize, 0u);
      cursor += b.size;
      if (b.state == BlockState::ActiveAllocated) {
        seg_alloc += b.size;
        ++allocations;
        requested += b.requested_size;
        EXPECT_LE(b.requested_size, b.size);
      }
      if (b.state != BlockState::Inactive) {
        active += b.size;
        ++actives;
      } else if (seg.blocks.size() > 1) {
        ++inactive_split;
        inactive_split_bytes += b.size;
      }
    }
    EXPECT_EQ(cursor, seg.address + seg.total_size);
    EXPECT_EQ(seg_alloc, seg.allocated_size);
    total += seg.total_size;
    allocated += seg.allocated_size;
    // Two free neighbours would have been merged.
    for (size_t i = 1; i < seg.blocks.size(); ++i)
      EXPECT_FALSE(seg.blocks[i].state == BlockState::Inactive && seg.blocks[i - 1].state == BlockState::Inactive);
  }
  EXPECT_EQ(total, s.reserved_bytes[kAllPools].current);
  EXPECT_EQ(static_cast<int64_t>(fake.used(0)), s.reserved_bytes[kAllPools].current);
  EXPECT_EQ(static_cast<int64_t>(snap.segments.size()), s.segment[kAllPools].current);
  EXPECT_EQ(static_cast<int64_t>(fake.live_allocations(0)), s.segment[kAllPools].current);
  EXPECT_EQ(allocated, s.allocated_bytes[kAllPools].current);
  EXPECT_EQ(allocations, s.allocation[kAllPools].current);
  EXPECT_EQ(active, s.active_bytes[kAllPools].current);
  EXPECT_EQ(actives, s.active[kAllPools].current);
  EXPECT_EQ(requested, s.requested_bytes[kAllPools].current);
  EXPECT_EQ(inactive_split, s.inactive_split[kAllPools].current);
  EXPECT_EQ(inactive_split_bytes, s.inactive_split_bytes[kAllPools].current);
  expect_pools_add_up(s);
}

TEST(CachingAllocator, SmallRequestsRoundTo512AndShareA2MiBSegment) {
  Fixture f;
  void* a = f.alloc->allocate(1, 0, S0);
  void* b = f.alloc->allocate(513, 0, S0);
  EXPECT_EQ(addr(b), addr(a) + 512) << "b is split off the same segment right after a";
  DeviceStats s = f.stats();
  EXPECT_EQ(s.segment[kSmallPool].current, 1);
  EXPECT_EQ(s.reserved_bytes[kSmallPool].current, static_cast<int64_t>(2 * MiB));
  EXPECT_EQ(s.allocated_bytes[kSmallPool].current, 512 + 1024);
  EXPECT_EQ(s.requested_bytes[kSmallPool].current, 1 + 513);
  EXPECT_EQ(s.allocation[kAllPools].current, 2);
  EXPECT_EQ(s.num_device_alloc, 1);
  f.alloc->free(a);
  f.alloc->free(b);
  expect_snapshot_matches_stats(*f.alloc, *f.fake);
}

TEST(CachingAllocator, LargeSegmentSizes) {
  Fixture f;
  f.alloc->allocate(MiB + 1, 0, S0);       // under 10 MiB: a 20 MiB segment
  f.alloc->allocate(12 * MiB + 1, 0, S1);  // above: rounded up to 2 MiB (S1: not from the first)
  DeviceStats s = f.stats();
  EXPECT_EQ(s.reserved_bytes[kLargePool].current, static_cast<int64_t>(20 * MiB + 14 * MiB));
  EXPECT_EQ(s.allocated_bytes[kLargePool].current, static_cast<int64_t>(MiB + 512 + 12 * MiB + 512));
  expect_snapshot_matches_stats(*f.alloc, *f.fake);
}

TEST(CachingAllocator, SplitAndCoalesce) {
  Fixture f;
  void* a = f.alloc->allocate(4096, 0, S0);
  void* b = f.alloc->allocate(4096, 0, S0);
  void* c = f.alloc->allocate(4096, 0, S0);
  EXPECT_EQ(f.stats().inactive_split[kAllPools].current, 1);  // the rest of the segment
  f.alloc->free(b);
  EXPECT_EQ(f.stats().inactive_split[kAllPools].current, 2);
  expect_snapshot_matches_stats(*f.alloc, *f.fake);
  f.alloc->free(a);  // merges with b
  EXPECT_EQ(f.stats().inactive_split[kAllPools].current, 2);
  EXPECT_EQ(f.stats().inactive_split_bytes[kAllPools].current, static_cast<int64_t>(2 * MiB - 4096));
  // A request of a + b's size gets exactly that hole back.
  void* ab = f.alloc->allocate(8192, 0, S0);
  EXPECT_EQ(ab, a);
  f.alloc->free(ab);
  f.alloc->free(c);  // everything merges into one unsplit block
  Snapshot snap = f.alloc->snapshot();
  ASSERT_EQ(snap.segments.size(), 1u);
  ASSERT_EQ(snap.segments[0].blocks.size(), 1u);
  EXPECT_EQ(snap.segments[0].blocks[0].size, 2 * MiB);
  EXPECT_EQ(f.stats().inactive_split_bytes[kAllPools].current, 0);
  expect_snapshot_matches_stats(*f.alloc, *f.fake);
}

TEST(CachingAllocator, BestFitPicksTheSmallestLargeEnoughBlock) {
  Fixture f;
  void* p30 = f.alloc->allocate(30 * MiB, 0, S0);
  void* p24 = f.alloc->allocate(24 * MiB, 0, S0);
  void* p40 = f.alloc->allocate(40 * MiB, 0, S0);
  for (void* p : {p30, p24, p40}) f.alloc->free(p);
  EXPECT_EQ(f.alloc->allocate(23 * MiB, 0, S0), p24);
  EXPECT_EQ(f.alloc->allocate(25 * MiB, 0, S0), p30);  // 5 MiB left over is split off
  EXPECT_EQ(f.stats().num_device_alloc, 3);
  expect_snapshot_matches_stats(*f.alloc, *f.fake);
}

TEST(CachingAllocator, BlocksBelongToTheirStream) {
  Fixture f;
  void* a = f.alloc->allocate(MiB, 0, S0);
  f.alloc->free(a);
  void* b = f.alloc->allocate(MiB, 0, S1);
  EXPECT_NE(b, a);
  EXPECT_EQ(f.stats().segment[kAllPools].current, 2);
  EXPECT_EQ(f.alloc->allocate(MiB, 0, S0), a);
}

TEST(CachingAllocator, RecordStreamDefersReuseUntilTheEventCompletes) {
  Fixture f;
  void* a = f.alloc->allocate(3 * MiB, 0, S0);
  f.alloc->record_stream(a, S1);
  f.alloc->record_stream(a, S0);  // the allocation stream itself needs no event
  f.alloc->free(a);
  DeviceStats s = f.stats();
  EXPECT_EQ(s.allocated_bytes[kAllPools].current, 0);
  EXPECT_GT(s.active_bytes[kAllPools].current, 0) << "pending free stays active";
  Snapshot snap = f.alloc->snapshot();
  EXPECT_EQ(snap.segments[0].blocks[0].state, BlockState::ActivePendingFree);
  void* b = f.alloc->allocate(3 * MiB, 0, S0);
  EXPECT_NE(b, a) << "reused while the event on S1 was pending";
  f.fake->complete_stream(S2);  // unrelated stream: still pending
  void* c = f.alloc->allocate(3 * MiB, 0, S0);
  EXPECT_NE(c, a);
  f.fake->complete_stream(S1);
  void* d = f.alloc->allocate(3 * MiB, 0, S0);
  EXPECT_EQ(d, a);
  EXPECT_EQ(f.fake->events_alive(), 1u) << "events are pooled, not leaked";
  expect_snapshot_matches_stats(*f.alloc, *f.fake);
}

TEST(CachingAllocator, PendingBlockDoesNotMergeUntilComplete) {
  Fixture f;
  void* a = f.alloc->allocate(4096, 0, S0);
  void* b = f.alloc->allocate(4096, 0, S0);
  f.alloc->record_stream(a, S1);
  f.alloc->free(a);
  f.alloc->free(b);  // b must not swallow pending a
  expect_snapshot_matches_stats(*f.alloc, *f.fake);
  EXPECT_NE(f.alloc->allocate(8192, 0, S0), a);
  f.fake->complete_all();
  f.alloc->empty_cache();
  expect_snapshot_matches_stats(*f.alloc, *f.fake);
}

TEST(CachingAllocator, OomFreesTheCacheRetriesThenRaisesAndRecovers) {
  Fixture f(100 * MiB);
  void* a = f.alloc->allocate(60 * MiB, 0, S0);
  f.alloc->free(a);                              // cached
  void* b = f.alloc->allocate(70 * MiB, 0, S0);  // fails first, fits once the cache is freed
  DeviceStats s = f.stats();
  EXPECT_EQ(s.num_alloc_retries, 1);
  EXPECT_EQ(s.num_ooms, 0);
  EXPECT_EQ(s.num_device_free, 1);
  std::string msg = oom_message(*f.alloc, 50 * MiB);
  EXPECT_NE(msg.find("CUDA out of memory. Tried to allocate 50.00 MiB"), std::string::npos) << msg;
  EXPECT_NE(msg.find("total capacity of 100.00 MiB of which 30.00 MiB is free"), std::string::npos) << msg;
  EXPECT_NE(msg.find("70.00 MiB is allocated by tessera"), std::string::npos) << msg;
  EXPECT_NE(msg.find("0 bytes is reserved by tessera but unallocated"), std::string::npos) << msg;
  s = f.stats();
  EXPECT_EQ(s.num_ooms, 1);
  EXPECT_EQ(s.num_alloc_retries, 2);
  expect_snapshot_matches_stats(*f.alloc, *f.fake);
  f.alloc->free(b);
  void* c = f.alloc->allocate(50 * MiB, 0, S0);  // the cached 70 MiB block serves it
  EXPECT_EQ(c, b);
  f.alloc->free(c);
  void* d = f.alloc->allocate(90 * MiB, 0, S0);
  EXPECT_NE(d, nullptr);
  expect_snapshot_matches_stats(*f.alloc, *f.fake);
}

TEST(CachingAllocator, OomWaitsForPendingFreesBeforeGivingUp) {
  Fixture f(100 * MiB);
  void* a = f.alloc->allocate(60 * MiB, 0, S0);
  f.alloc->record_stream(a, S1);
  f.alloc->free(a);
  void* b = f.alloc->allocate(60 * MiB, 0, S2);  // only fits once a's event is waited for
  EXPECT_NE(b, nullptr);
  DeviceStats s = f.stats();
  EXPECT_EQ(s.num_sync_all_streams, 1);
  EXPECT_EQ(f.fake->synchronizes(), 1);
  expect_snapshot_matches_stats(*f.alloc, *f.fake);
}

TEST(CachingAllocator, HugeRequestIsAnOomNotAWraparound) {
  Fixture f;
  std::string msg = oom_message(*f.alloc, ~size_t{0} - 100);
  EXPECT_NE(msg.find("CUDA out of memory"), std::string::npos);
  EXPECT_EQ(f.stats().reserved_bytes[kAllPools].current, 0);
}

TEST(CachingAllocator, EmptyCacheReturnsOnlyUnusedSegments) {
  Fixture f;
  void* small = f.alloc->allocate(1000, 0, S0);
  void* large = f.alloc->allocate(30 * MiB, 0, S0);
  void* other = f.alloc->allocate(5000, 0, S1);
  f.alloc->free(large);
  f.alloc->free(other);
  f.alloc->empty_cache();
  DeviceStats s = f.stats();
  EXPECT_EQ(s.segment[kAllPools].current, 1);
  EXPECT_EQ(s.reserved_bytes[kAllPools].current, static_cast<int64_t>(2 * MiB));
  EXPECT_EQ(f.fake->used(0), 2 * MiB);
  f.alloc->free(small);
  f.alloc->empty_cache();
  EXPECT_EQ(f.fake->used(0), 0u);
  EXPECT_EQ(f.stats().num_device_free, 3);
  expect_snapshot_matches_stats(*f.alloc, *f.fake);
}

TEST(CachingAllocator, MemoryFractionCapsReservedMemory) {
  Fixture f(1000 * MiB);
  f.alloc->set_memory_fraction(0.1, 0);  // 100 MiB
  void* a = f.alloc->allocate(60 * MiB, 0, S0);
  std::string msg = oom_message(*f.alloc, 60 * MiB);
  EXPECT_NE(msg.find("memory fraction allows 100.00 MiB"), std::string::npos) << msg;
  EXPECT_EQ(f.stats().num_ooms, 1);
  EXPECT_NE(f.alloc->allocate(30 * MiB, 0, S0), nullptr);
  f.alloc->free(a);
  f.alloc->set_memory_fraction(1.0, 0);
  EXPECT_NE(f.alloc->allocate(500 * MiB, 0, S0), nullptr);
  for (double bad : {-0.1, 1.5}) {
    try {
      f.alloc->set_memory_fraction(bad, 0);
      ADD_FAILURE() << "fraction " << bad << " accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Value);
    }
  }
}

TEST(CachingAllocator, MaxSplitSizeKeepsOversizeBlocksWhole) {
  AllocatorConfig cfg = AllocatorConfig::parse("max_split_size_mb:40");
  Fixture f(size_t{1} << 30, 1, cfg);
  void* big = f.alloc->allocate(100 * MiB, 0, S0);
  EXPECT_EQ(f.stats().oversize_allocations.current, 1);
  EXPECT_EQ(f.stats().oversize_segments.current, 1);
  f.alloc->free(big);
  void* normal = f.alloc->allocate(30 * MiB, 0, S0);
  EXPECT_NE(normal, big) << "a normal request must not cut up an oversize block";
  void* near = f.alloc->allocate(90 * MiB, 0, S0);
  EXPECT_EQ(near, big) << "an oversize request may take an oversize block within 20 MiB";
  f.alloc->free(near);
  void* far = f.alloc->allocate(50 * MiB, 0, S0);
  EXPECT_NE(far, big) << "50 MiB would waste 50 MiB of the 100 MiB block";
  EXPECT_EQ(f.stats().max_split_size, static_cast<int64_t>(40 * MiB));
  expect_snapshot_matches_stats(*f.alloc, *f.fake);
}

TEST(CachingAllocator, MaxSplitSizeFreesOversizeBlocksOnOom) {
  AllocatorConfig cfg = AllocatorConfig::parse("max_split_size_mb:40");
  Fixture f(200 * MiB, 1, cfg);
  void* big1 = f.alloc->allocate(60 * MiB, 0, S0);
  void* big2 = f.alloc->allocate(60 * MiB, 0, S0);
  void* small = f.alloc->allocate(1000, 0, S0);
  f.alloc->free(big1);
  f.alloc->free(big2);
  // Frees the two cached oversize blocks (enough for the request) without a full cache flush.
  void* other = f.alloc->allocate(100 * MiB, 0, S0);
  EXPECT_NE(other, nullptr);
  EXPECT_EQ(f.stats().num_device_free, 2);
  EXPECT_EQ(f.stats().num_alloc_retries, 0);
  EXPECT_EQ(f.stats().segment[kSmallPool].current, 1) << "the small segment stays";
  f.alloc->free(small);
}

TEST(CachingAllocator, GarbageCollectionFreesOldCachedSegmentsAboveTheThreshold) {
  AllocatorConfig cfg = AllocatorConfig::parse("garbage_collection_threshold:0.5");
  Fixture f(100 * MiB, 1, cfg);
  void* a = f.alloc->allocate(30 * MiB, 0, S0);
  void* b = f.alloc->allocate(24 * MiB, 0, S0);
  f.alloc->free(a);
  f.alloc->free(b);                              // 54 MiB cached > 50 MiB
  void* c = f.alloc->allocate(40 * MiB, 0, S1);  // other stream: needs a segment; GC runs first
  EXPECT_NE(c, nullptr);
  DeviceStats s = f.stats();
  EXPECT_EQ(s.num_alloc_retries, 0) << "GC freed enough without the full release";
  EXPECT_GE(s.num_device_free, 1);
  EXPECT_LE(f.fake->used(0), 100 * MiB);
  expect_snapshot_matches_stats(*f.alloc, *f.fake);
}

TEST(CachingAllocator, GraphPrivatePools) {
  Fixture f;
  f.alloc->begin_allocate_to_pool(0, 7, S1);
  void* captured = f.alloc->allocate(MiB, 0, S1);
  void* outside = f.alloc->allocate(MiB, 0, S0);
  f.alloc->end_allocate_to_pool(0, 7);
  Snapshot snap = f.alloc->snapshot();
  ASSERT_EQ(snap.segments.size(), 2u);
  for (const SegmentInfo& seg : snap.segments) EXPECT_EQ(seg.pool_id, seg.address == addr(outside) ? 0u : 7u);
  f.alloc->free(captured);
  void* after = f.alloc->allocate(MiB, 0, S1);
  EXPECT_NE(after, captured) << "the private pool serves only its capture";
  f.alloc->empty_cache();
  EXPECT_EQ(f.stats().segment[kAllPools].current, 3) << "empty_cache keeps live private pools";
  f.alloc->begin_allocate_to_pool(0, 7, S1);  // a second capture into the same pool reuses it
  EXPECT_EQ(f.alloc->allocate(MiB, 0, S1), captured);
  f.alloc->release_pool(0, 7);
  EXPECT_EQ(f.stats().segment[kAllPools].current, 3) << "still in use";
  f.alloc->free(captured);  // last block of the released pool: its segment goes back
  EXPECT_EQ(f.stats().segment[kAllPools].current, 2);
  EXPECT_THROW(f.alloc->end_allocate_to_pool(0, 7), Error);
  EXPECT_THROW(f.alloc->release_pool(0, 7), Error);
  EXPECT_THROW(f.alloc->begin_allocate_to_pool(0, 0, S1), Error);
  f.alloc->free(outside);
  f.alloc->free(after);
  expect_snapshot_matches_stats(*f.alloc, *f.fake);
}

TEST(CachingAllocator, PeakAndAccumulatedResets) {
  Fixture f;
  void* a = f.alloc->allocate(5 * MiB, 0, S0);
  f.alloc->free(a);
  DeviceStats s = f.stats();
  EXPECT_EQ(s.allocated_bytes[kAllPools].peak, static_cast<int64_t>(5 * MiB));
  f.alloc->reset_peak_stats(0);
  EXPECT_EQ(f.stats().allocated_bytes[kAllPools].peak, 0);
  EXPECT_EQ(f.stats().reserved_bytes[kAllPools].peak, static_cast<int64_t>(20 * MiB));
  f.alloc->reset_accumulated_stats(0);
  s = f.stats();
  EXPECT_EQ(s.allocated_bytes[kAllPools].allocated, 0);
  EXPECT_EQ(s.num_device_alloc, 0);
}

TEST(CachingAllocator, HistoryRingIsBounded) {
  Fixture f;
  f.alloc->set_history_capacity(16);
  for (int i = 0; i < 50; ++i) f.alloc->free(f.alloc->allocate(4096, 0, S0));
  Snapshot snap = f.alloc->snapshot();
  ASSERT_EQ(snap.traces.size(), 1u);
  const auto& trace = snap.traces[0];
  ASSERT_EQ(trace.size(), 16u);
  for (size_t i = 1; i < trace.size(); ++i) EXPECT_EQ(trace[i].seq, trace[i - 1].seq + 1);
  EXPECT_EQ(trace.back().action, TraceAction::FreeCompleted);
  EXPECT_EQ(trace.back().size, 4096u);
  // 1 segment + 50 x (alloc, free requested, free completed) events happened in all.
  EXPECT_EQ(trace.back().seq, 150u);
  f.alloc->set_history_capacity(0);
  f.alloc->free(f.alloc->allocate(4096, 0, S0));
  EXPECT_TRUE(f.alloc->snapshot().traces[0].empty());
}

TEST(CachingAllocator, BadPointersAndDevicesRaise) {
  Fixture f;
  int x = 0;
  EXPECT_THROW(f.alloc->free(&x), Error);
  EXPECT_THROW(f.alloc->record_stream(&x, S1), Error);
  EXPECT_THROW(f.alloc->allocate(10, 3, S0), Error);
  EXPECT_THROW(f.alloc->stats(-1), Error);
  EXPECT_EQ(f.alloc->allocate(0, 0, S0), nullptr);
  f.alloc->free(nullptr);
  void* p = f.alloc->allocate(10, 0, S0);
  f.alloc->free(p);
  EXPECT_THROW(f.alloc->free(p), Error) << "double free";
}

TEST(CachingAllocator, AdapterFreesThroughTheDataPtr) {
  Fixture f;
  CachingAllocatorAdapter adapter(f.alloc.get(), [] { return 0; }, [](int) -> StreamId { return S2; });
  {
    DataPtr d = adapter.allocate(1000);
    EXPECT_NE(d.ptr, nullptr);
    EXPECT_TRUE(d.device.is_cuda());
    EXPECT_EQ(f.stats().allocation[kAllPools].current, 1);
    f.alloc->record_stream(d.ptr, S3);  // the pointer is known to the lookup as well
    DataPtr empty = adapter.allocate(0);
    EXPECT_EQ(empty.ptr, nullptr);
  }
  EXPECT_EQ(f.stats().allocation[kAllPools].current, 0);
  EXPECT_EQ(f.stats().active[kAllPools].current, 1) << "waiting for S3";
  Snapshot snap = f.alloc->snapshot();
  EXPECT_EQ(snap.segments[0].stream, S2);
}

TEST(AllocatorConfig, ParsesKnownKeysAndRejectsOthers) {
  AllocatorConfig c =
      AllocatorConfig::parse(" max_split_size_mb:64 , garbage_collection_threshold:0.6,expandable_segments:False");
  EXPECT_EQ(c.max_split_size, 64 * MiB);
  EXPECT_DOUBLE_EQ(c.garbage_collection_threshold, 0.6);
  EXPECT_EQ(AllocatorConfig::parse("").max_split_size, AllocatorConfig{}.max_split_size);
  EXPECT_EQ(AllocatorConfig::parse("roundup_power2_divisions:0").max_split_size, AllocatorConfig{}.max_split_size);
  for (const char* unsupported : {"expandable_segments:True", "roundup_power2_divisions:4"}) {
    try {
      AllocatorConfig::parse(unsupported);
      ADD_FAILURE() << unsupported << " was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::NotImplemented) << unsupported;
    }
  }
  auto message = [](const std::string& conf) -> std::string {
    try {
      AllocatorConfig::parse(conf);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Runtime);
      return e.what();
    }
    return "accepted";
  };
  EXPECT_NE(message("max_split_size:64").find("unrecognized option 'max_split_size'"), std::string::npos);
  EXPECT_NE(message("max_split_size_mb:10").find("too small"), std::string::npos);
  EXPECT_NE(message("max_split_size_mb:abc").find("expects a number"), std::string::npos);
  EXPECT_NE(message("garbage_collection_threshold:1.5").find("(0.0, 1.0)"), std::string::npos);
  EXPECT_NE(message("expandable_segments:maybe").find("True or False"), std::string::npos);
  EXPECT_NE(message("max_split_size_mb").find("key:value"), std::string::npos);
  EXPECT_NE(message("backend:cudaMallocAsync").find("not supported"), std::string::npos);
  EXPECT_EQ(message("max_split_size_mb:64").find("[TESSERA_CUDA_ALLOC_CONF]"), std::string::npos);
  EXPECT_EQ(message("bogus:1").rfind("[TESSERA_CUDA_ALLOC_CONF]", 0), 0u);
}

TEST(FormatSize, HumanUnits) {
  EXPECT_EQ(format_size(512), "512 bytes");
  EXPECT_EQ(format_size(1536), "1.50 KiB");
  EXPECT_EQ(format_size(20 * MiB), "20.00 MiB");
  EXPECT_EQ(format_size(size_t{3} << 30), "3.00 GiB");
}

// 100,000 random allocations, frees, record_streams, stream completions and cache flushes on 4
// streams, checked against a shadow model: memory in use or awaiting another stream is never
// handed out twice, and stats, snapshot and the fake device agree throughout.
// With `graph_pools`, stream S3 now and then allocates to a graph-private pool, released later.
void run_stress(const std::string& conf, bool graph_pools, uint64_t seed) {
  Fixture f(512 * MiB, 1, AllocatorConfig::parse(conf));
  f.alloc->set_history_capacity(64);
  std::mt19937_64 rng(seed);
  uint64_t pool_id = 0;
  bool capturing = false;
  const StreamId streams[4] = {S0, S1, S2, S3};
  struct Live {
    size_t size;
    StreamId stream;
    std::set<StreamId> uses;
  };
  std::map<uintptr_t, Live> live;                                      // allocated by the test
  std::map<uintptr_t, std::pair<size_t, std::set<StreamId>>> waiting;  // freed, events outstanding
  int64_t requested = 0, ooms = 0;

  // Does [p, p + n) overlap a range of `m` (address -> size given by `len`)?
  auto overlaps = [](const auto& m, uintptr_t p, size_t n, auto len) {
    auto it = m.upper_bound(p);
    if (it != m.end() && it->first < p + n) return true;
    if (it == m.begin()) return false;
    --it;
    return it->first + len(it->second) > p;
  };
  auto live_len = [](const Live& l) { return l.size; };
  auto waiting_len = [](const std::pair<size_t, std::set<StreamId>>& w) { return w.first; };

  for (int op = 0; op < 100000; ++op) {
    const int kind = static_cast<int>(rng() % 100);
    const int alloc_share = live.size() < 100 ? 45 : 35;  // keeps the working set near 100 blocks
    if (kind < alloc_share || live.empty()) {
      size_t size;
      const int bucket = static_cast<int>(rng() % 10);
      if (bucket < 6)
        size = 1 + rng() % (64 * 1024);
      else if (bucket < 9)
        size = 1 + rng() % (4 * MiB);
      else
        size = 1 + rng() % (40 * MiB);
      const StreamId s = streams[rng() % 4];
      void* p = nullptr;
      const int64_t syncs = f.fake->synchronizes();
      try {
        p = f.alloc->allocate(size, 0, s);
      } catch (const Error& e) {
        ASSERT_EQ(e.kind(), ErrorKind::OutOfMemory);
        ++ooms;
        waiting.clear();  // before giving up it waited for every pending event
        continue;
      }
      // Before a retry the allocator waits for every pending event: those blocks are truly free.
      if (f.fake->synchronizes() != syncs) waiting.clear();
      const uintptr_t a = addr(p);
      ASSERT_FALSE(overlaps(live, a, size, live_len)) << "op " << op << ": handed out memory in use";
      ASSERT_FALSE(overlaps(waiting, a, size, waiting_len)) << "op " << op << ": reused before its event completed";
      live[a] = Live{size, s, {}};
      requested += static_cast<int64_t>(size);
    } else if (kind < 85) {
      auto it = std::next(live.begin(), static_cast<long>(rng() % live.size()));
      f.alloc->free(reinterpret_cast<void*>(it->first));
      requested -= static_cast<int64_t>(it->second.size);
      if (!it->second.uses.empty()) waiting[it->first] = {it->second.size, it->second.uses};
      live.erase(it);
    } else if (kind < 95) {
      auto it = std::next(live.begin(), static_cast<long>(rng() % live.size()));
      const StreamId s = streams[rng() % 4];
      f.alloc->record_stream(reinterpret_cast<void*>(it->first), s);
      if (s != it->second.stream) it->second.uses.insert(s);
    } else if (kind < 99) {
      const StreamId s = streams[rng() % 4];
      f.fake->complete_stream(s);
      for (auto it = waiting.begin(); it != waiting.end();) {
        it->second.second.erase(s);
        it = it->second.second.empty() ? waiting.erase(it) : std::next(it);
      }
    } else if (graph_pools && rng() % 4 == 0) {
      if (capturing) {
        f.alloc->end_allocate_to_pool(0, pool_id);
        if (rng() % 2 == 0) f.alloc->release_pool(0, pool_id);  // else it stays around, cached
      } else {
        f.alloc->begin_allocate_to_pool(0, ++pool_id, S3);
      }
      capturing = !capturing;
    } else {
      f.alloc->empty_cache();  // waits for every pending event
      waiting.clear();
    }
    DeviceStats s = f.stats();
    ASSERT_EQ(s.requested_bytes[kAllPools].current, requested) << "op " << op;
    ASSERT_EQ(s.allocation[kAllPools].current, static_cast<int64_t>(live.size())) << "op " << op;
    ASSERT_EQ(s.reserved_bytes[kAllPools].current, static_cast<int64_t>(f.fake->used(0))) << "op " << op;
    ASSERT_EQ(s.num_ooms, ooms);
    if (op % 1000 == 0) {
      expect_snapshot_matches_stats(*f.alloc, *f.fake);
      ASSERT_FALSE(::testing::Test::HasFailure()) << "op " << op;
      ASSERT_LE(f.alloc->snapshot().traces[0].size(), 64u);
    }
  }
  EXPECT_GT(ooms, 0) << "the capacity is meant to be hit now and then";
  EXPECT_GT(f.stats().num_alloc_retries, 0);
  if (graph_pools) EXPECT_GT(pool_id, 10u) << "captures began and ended many times";
  if (f.alloc->config().max_split_size != AllocatorConfig{}.max_split_size)
    EXPECT_GT(f.stats().oversize_allocations.allocated, 100);
  for (auto& [a, l] : live) f.alloc->free(reinterpret_cast<void*>(a));
  if (capturing) f.alloc->end_allocate_to_pool(0, pool_id);
  for (uint64_t id = 1; id <= pool_id; ++id) {
    try {
      f.alloc->release_pool(0, id);
    } catch (const Error&) {  // released during the run already
    }
  }
  f.fake->complete_all();
  f.alloc->empty_cache();
  DeviceStats s = f.stats();
  EXPECT_EQ(f.fake->used(0), 0u);
  EXPECT_EQ(s.allocated_bytes[kAllPools].current, 0);
  EXPECT_EQ(s.active_bytes[kAllPools].current, 0);
  EXPECT_EQ(s.inactive_split_bytes[kAllPools].current, 0);
  EXPECT_EQ(s.segment[kAllPools].current, 0);
  EXPECT_EQ(s.num_device_alloc, s.num_device_free);
  expect_snapshot_matches_stats(*f.alloc, *f.fake);
}

TEST(CachingAllocator, RandomStressAgainstAShadowModel) {
  run_stress("", false, 12345);
}

TEST(CachingAllocator, RandomStressWithMaxSplitGcAndGraphPools) {
  run_stress("max_split_size_mb:24,garbage_collection_threshold:0.6", true, 777);
}

// 4 threads on 2 devices allocate and free at once; no address is handed out twice.
TEST(CachingAllocator, ConcurrentThreads) {
  Fixture f(size_t{1} << 30, 2);
  std::mutex m;
  std::map<uintptr_t, size_t> in_use;
  std::atomic<int> overlaps{0};
  auto worker = [&](int id) {
    std::mt19937 rng(id);
    const int device = id % 2;
    const StreamId stream = 200 + id;
    std::vector<std::pair<void*, size_t>> mine;
    for (int i = 0; i < 5000; ++i) {
      if (mine.empty() || rng() % 2 == 0) {
        size_t size = 1 + rng() % (rng() % 8 == 0 ? 8 * MiB : 100000);
        void* p = f.alloc->allocate(size, device, stream);
        uintptr_t a = addr(p);
        {
          std::lock_guard<std::mutex> lock(m);
          auto it = in_use.upper_bound(a);
          if (it != in_use.end() && it->first < a + size) ++overlaps;
          if (it != in_use.begin() && std::prev(it)->first + std::prev(it)->second > a) ++overlaps;
          in_use[a] = size;
        }
        if (rng() % 4 == 0) f.alloc->record_stream(p, 200 + (id + 1) % 4);
        mine.emplace_back(p, size);
      } else {
        size_t k = rng() % mine.size();
        {
          std::lock_guard<std::mutex> lock(m);
          in_use.erase(addr(mine[k].first));
        }
        f.alloc->free(mine[k].first);
        mine[k] = mine.back();
        mine.pop_back();
      }
      if (i % 500 == 0) f.fake->complete_all();
    }
    for (auto& [p, size] : mine) {
      {
        std::lock_guard<std::mutex> lock(m);
        in_use.erase(addr(p));
      }
      f.alloc->free(p);
    }
  };
  std::vector<std::thread> threads;
  for (int id = 0; id < 4; ++id) threads.emplace_back(worker, id);
  for (auto& t : threads) t.join();
  EXPECT_EQ(overlaps.load(), 0);
  f.fake->complete_all();
  f.alloc->empty_cache();
  for (int d = 0; d < 2; ++d) {
    DeviceStats s = f.stats(d);
    EXPECT_EQ(s.allocation[kAllPools].current, 0);
    EXPECT_EQ(s.active[kAllPools].current, 0);
    EXPECT_EQ(s.reserved_bytes[kAllPools].current, 0);
    EXPECT_GT(s.allocation[kAllPools].allocated, 0);
    EXPECT_EQ(f.fake->used(d), 0u);
  }
}

}  // namespace
}  // namespace tessera::cuda

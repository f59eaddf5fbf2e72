// tessera._C hooks for tessera.cuda.memory: stats, snapshot, cache control of the CUDA caching
// allocator (csrc/cuda/allocator). In a build without CUDA they raise "not compiled with CUDA".
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>

#include "binder.h"
#include "cuda/allocator/caching_allocator.h"
#include "cuda/allocator/fake_memory_api.h"

namespace tessera::python {

namespace {

using cuda::CachingAllocator;

CachingAllocator& allocator() {
  CachingAllocator* a = cuda::global_caching_allocator();
  TS_CHECK(a, "[cuda] tessera was not compiled with CUDA enabled");
  return *a;
}

void put_stat(nb::dict& d, const std::string& name, const cuda::Stat& s) {
  d[(name + ".current").c_str()] = s.current;
  d[(name + ".peak").c_str()] = s.peak;
  d[(name + ".allocated").c_str()] = s.allocated;
  d[(name + ".freed").c_str()] = s.freed;
}

// Flat keys as torch.cuda.memory_stats(): "allocated_bytes.all.current", "num_ooms", ...
nb::dict memory_stats(int device) {
  cuda::DeviceStats s;
  {
    nb::gil_scoped_release nogil;
    s = allocator().stats(device);
  }
  nb::dict d;
  const std::pair<const char*, const cuda::StatArray*> arrays[] = {{"allocation", &s.allocation},
                                                                   {"segment", &s.segment},
                                                                   {"active", &s.active},
                                                                   {"inactive_split", &s.inactive_split},
                                                                   {"allocated_bytes", &s.allocated_bytes},
                                                                   {"reserved_bytes", &s.reserved_bytes},
                                                                   {"active_bytes", &s.active_bytes},
                                                                   {"inactive_split_bytes", &s.inactive_split_bytes},
                                                                   {"requested_bytes", &s.requested_bytes}};
  const char* pools[] = {"all", "small_pool", "large_pool"};
  for (auto& [name, array] : arrays)
    for (int p = 0; p < 3; ++p) put_stat(d, std::string(name) + "." + pools[p], (*array)[p]);
  put_stat(d, "oversize_allocations", s.oversize_allocations);
  put_stat(d, "oversize_segments", s.oversize_segments);
  d["num_alloc_retries"] = s.num_alloc_retries;
  d["num_ooms"] = s.num_ooms;
  d["num_sync_all_streams"] = s.num_sync_all_streams;
  d["num_device_alloc"] = s.num_device_alloc;
  d["num_device_free"] = s.num_device_free;
  d["max_split_size"] = s.max_split_size;
  return d;
}

const char* state_name(cuda::BlockState s) {
  switch (s) {
    case cuda::BlockState::ActiveAllocated:
      return "active_allocated";
    case cuda::BlockState::ActivePendingFree:
      return "active_pending_free";
    case cuda::BlockState::Inactive:
      break;
  }
  return "inactive";
}

const char* action_name(cuda::TraceAction a) {
  switch (a) {
    case cuda::TraceAction::Alloc:
      return "alloc";
    case cuda::TraceAction::FreeRequested:
      return "free_requested";
    case cuda::TraceAction::FreeCompleted:
      return "free_completed";
    case cuda::TraceAction::SegmentAlloc:
      return "segment_alloc";
    case cuda::TraceAction::SegmentFree:
      return "segment_free";
    case cuda::TraceAction::Oom:
      break;
  }
  return "oom";
}

// {"segments": [...], "device_traces": [[...], ...]} as torch.cuda.memory._snapshot().
nb::dict memory_snapshot() {
  cuda::Snapshot snap;
  {
    nb::gil_scoped_release nogil;
    snap = allocator().snapshot();
  }
  nb::list segments;
  for (const cuda::SegmentInfo& seg : snap.segments) {
    nb::list blocks;
    for (const cuda::BlockInfo& b : seg.blocks) {
      nb::dict bd;
      bd["address"] = b.address;
      bd["size"] = b.size;
      bd["requested_size"] = b.requested_size;
      bd["state"] = state_name(b.state);
      bd["frames"] = nb::list();
      blocks.append(bd);
    }
    nb::dict sd;
    sd["device"] = seg.device;
    sd["address"] = seg.address;
    sd["total_size"] = seg.total_size;
    sd["allocated_size"] = seg.allocated_size;
    sd["active_size"] = seg.active_size;
    sd["requested_size"] = seg.requested_size;
    sd["stream"] = seg.stream;
    sd["segment_type"] = seg.is_large ? "large" : "small";
    sd["segment_pool_id"] = nb::make_tuple(0, seg.pool_id);
    sd["is_expandable"] = false;
    sd["frames"] = nb::list();
    sd["blocks"] = blocks;
    segments.append(sd);
  }
  nb::list traces;
  for (const auto& trace : snap.traces) {
    nb::list entries;
    for (const cuda::TraceEntry& e : trace) {
      nb::dict ed;
      ed["action"] = action_name(e.action);
      ed["addr"] = e.address;
      ed["size"] = e.size;
      ed["stream"] = e.stream;
      ed["seq"] = e.seq;
      ed["time_us"] = e.time_us;
      ed["frames"] = nb::list();
      entries.append(ed);
    }
    traces.append(entries);
  }
  nb::dict out;
  out["segments"] = segments;
  out["device_traces"] = traces;
  return out;
}

}  // namespace

TS_BINDER(cuda_memory, 20) {
  m.def("_cuda_memory_stats", &memory_stats, nb::arg("device"));
  m.def("_cuda_memory_snapshot", &memory_snapshot);
  m.def("_cuda_reset_peak_memory_stats", [](int device) { allocator().reset_peak_stats(device); }, nb::arg("device"));
  m.def(
      "_cuda_reset_accumulated_memory_stats", [](int device) { allocator().reset_accumulated_stats(device); },
      nb::arg("device"));
  m.def("_cuda_empty_cache", [] {
    CachingAllocator& a = allocator();
    nb::gil_scoped_release nogil;  // may wait for pending events
    a.empty_cache();
  });
  m.def(
      "_cuda_set_memory_fraction",
      [](double fraction, int device) { allocator().set_memory_fraction(fraction, device); }, nb::arg("fraction"),
      nb::arg("device"));
  m.def(
      "_cuda_record_memory_history", [](size_t max_entries) { allocator().set_history_capacity(max_entries); },
      nb::arg("max_entries"));
  m.def(
      "_cuda_mem_get_info",
      [](int device) {
        CachingAllocator& a = allocator();
        nb::gil_scoped_release nogil;
        return a.mem_get_info(device);
      },
      nb::arg("device"));
  m.def("_cuda_allocator_device_count", [] { return allocator().device_count(); });
  m.def(
      "_cuda_caching_allocator_alloc",
      [](size_t size, int device, uintptr_t stream) {
        CachingAllocator& a = allocator();
        nb::gil_scoped_release nogil;
        return reinterpret_cast<uintptr_t>(a.allocate(size, device, stream));
      },
      nb::arg("size"), nb::arg("device"), nb::arg("stream"));
  m.def(
      "_cuda_caching_allocator_delete", [](uintptr_t ptr) { allocator().free(reinterpret_cast<void*>(ptr)); },
      nb::arg("ptr"));
  m.def(
      "_cuda_caching_allocator_record_stream",
      [](uintptr_t ptr, uintptr_t stream) { allocator().record_stream(reinterpret_cast<void*>(ptr), stream); },
      nb::arg("ptr"), nb::arg("stream"));
  // Tests on machines without a GPU: a fake device of `capacity` bytes (None removes it). Events
  // recorded by record_stream on the fake complete only through empty_cache or an OOM retry.
  m.def(
      "_cuda_memory_use_fake_device",
      [](std::optional<size_t> capacity, int devices, const std::string& conf) {
        if (!capacity) {
          cuda::set_global_caching_allocator_override(nullptr);
          return;
        }
        auto fake = std::make_shared<cuda::FakeDeviceMemoryApi>(devices, *capacity);
        cuda::set_global_caching_allocator_override(
            std::make_unique<CachingAllocator>(fake, cuda::AllocatorConfig::parse(conf)));
      },
      nb::arg("capacity").none(), nb::arg("devices") = 1, nb::arg("conf") = "");
}

}  // namespace tessera::python

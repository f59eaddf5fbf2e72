// tessera._C's CUDA surface: Tensor.cuda / pin_memory / is_pinned / get_device, and the private
// runtime functions and classes (_cuda_*, _CudaStream, _CudaEvent) that tessera/cuda wraps with
// PyTorch's API. Built into every extension: without CUDA only _cuda_is_compiled() (False) and
// methods that raise a clear RuntimeError exist.
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>

#include <cstdio>

#include "binder.h"
#include "casters.h"
#include "ops/copy.h"

#ifdef TESSERA_HAS_CUDA
#include "cuda/host_allocator.h"
#include "cuda/runtime/device.h"
#include "cuda/runtime/event.h"
#include "cuda/runtime/stream.h"
#endif

namespace tessera::python {

namespace {

#ifdef TESSERA_HAS_CUDA
constexpr bool kCompiled = true;

// The device a tessera.cuda call means: None or -1 is the current device.
int device_arg(std::optional<Device> device, const char* op) {
  if (!device) return cuda::current_device();
  TS_CHECK_VALUE(device->is_cuda(), "[", op, "] Expected a cuda device, but got: ", device->str());
  return cuda::resolve_device(device->index);
}

nb::dict properties_dict(int device) {
  const cudaDeviceProp& p = cuda::device_properties(device);
  nb::dict d;
  d["name"] = std::string(p.name);
  d["major"] = p.major;
  d["minor"] = p.minor;
  d["total_memory"] = static_cast<size_t>(p.totalGlobalMem);
  d["multi_processor_count"] = p.multiProcessorCount;
  d["L2_cache_size"] = p.l2CacheSize;
  d["max_threads_per_multi_processor"] = p.maxThreadsPerMultiProcessor;
  d["shared_memory_per_block_optin"] = static_cast<size_t>(p.sharedMemPerBlockOptin);
  d["warp_size"] = p.warpSize;
  d["is_integrated"] = p.integrated;
  d["is_multi_gpu_board"] = p.isMultiGpuBoard;
  char uuid[37];
  const auto* u = reinterpret_cast<const unsigned char*>(p.uuid.bytes);
  std::snprintf(uuid, sizeof(uuid), "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
                u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
  d["uuid"] = std::string(uuid);
  return d;
}

void bind_runtime(nb::module_& m) {
  using namespace nb::literals;
  m.def("_cuda_device_count", &cuda::device_count);
  m.def("_cuda_current_device", &cuda::current_device);
  m.def("_cuda_set_device", &cuda::set_device, "device"_a);
  m.def("_cuda_resolve_device", [](std::optional<Device> d) { return device_arg(d, "cuda"); }, "device"_a.none());
  m.def(
      "_cuda_synchronize",
      [](int device) {
        nb::gil_scoped_release release;
        cuda::device_synchronize(device);
      },
      "device"_a);
  m.def("_cuda_get_device_properties", &properties_dict, "device"_a);

  nb::class_<cuda::Stream>(m, "_CudaStream")
      .def_prop_ro("device_index", &cuda::Stream::device)
      .def_prop_ro("priority", &cuda::Stream::priority)
      .def_prop_ro("cuda_stream", [](const cuda::Stream& s) { return reinterpret_cast<uintptr_t>(s.handle()); })
      .def("query", &cuda::Stream::query)
      .def("synchronize",
           [](const cuda::Stream& s) {
             nb::gil_scoped_release release;
             s.synchronize();
           })
      .def("wait_stream", &cuda::Stream::wait_stream, "stream"_a)
      .def("__eq__", [](const cuda::Stream& a, const cuda::Stream& b) { return a == b; })
      .def("__hash__", [](const cuda::Stream& s) { return std::hash<const void*>()(s.handle()) ^ s.device(); });
  m.def("_cuda_stream_from_pool", &cuda::stream_from_pool, "priority"_a, "device"_a);
  m.def("_cuda_current_stream", &cuda::current_stream, "device"_a);
  m.def("_cuda_default_stream", &cuda::default_stream, "device"_a);
  m.def("_cuda_set_stream", &cuda::set_current_stream, "stream"_a);
  m.def(
      "_cuda_stream_priority_range",
      [](int device) {
        cuda::DeviceGuard guard(device);
        int least = 0, greatest = 0;
        cuda::stream_priority_range(&least, &greatest);
        return std::make_tuple(least, greatest);
      },
      "device"_a);

  nb::class_<cuda::Event>(m, "_CudaEvent")
      .def(nb::init<bool, bool, bool>(), "enable_timing"_a = false, "blocking"_a = false, "interprocess"_a = false)
      .def("record", &cuda::Event::record, "stream"_a)
      .def("wait", &cuda::Event::wait, "stream"_a)
      .def("query", &cuda::Event::query)
      .def("synchronize",
           [](const cuda::Event& e) {
             nb::gil_scoped_release release;
             e.synchronize();
           })
      .def("elapsed_time", &cuda::Event::elapsed_time, "end_event"_a)
      .def_prop_ro("device_index",
                   [](const cuda::Event& e) -> nb::object {
                     if (!e.is_created()) return nb::none();
                     return nb::int_(e.device());
                   })
      .def_prop_ro("cuda_event", [](const cuda::Event& e) { return reinterpret_cast<uintptr_t>(e.handle()); });
}

Tensor to_cuda(const Tensor& t, std::optional<Device> device, bool non_blocking) {
  Device target(DeviceType::CUDA, device_arg(device, "cuda"));
  return ops::to(t, target, std::nullopt, non_blocking);
}
Tensor pin_memory(const Tensor& t) {
  return cuda::pin_memory(t);
}
bool is_pinned(const Tensor& t) {
  return cuda::is_pinned(t);
}
#else
constexpr bool kCompiled = false;
void bind_runtime(nb::module_&) {}
Tensor to_cuda(const Tensor&, std::optional<Device>, bool) {
  TS_FAIL(Runtime, "[cuda] tessera was not compiled with CUDA enabled");
}
Tensor pin_memory(const Tensor&) {
  TS_FAIL(Runtime, "[pin_memory] tessera was not compiled with CUDA enabled");
}
bool is_pinned(const Tensor&) {
  return false;
}
#endif

}  // namespace

TS_BINDER(cuda, 20) {
  using namespace nb::literals;
  m.def("_cuda_is_compiled", [] { return kCompiled; });
  m.def("_cuda_is_available", [] {  // the DataLoader pins batches only when this holds
#ifdef TESSERA_HAS_CUDA
    return cuda::device_count() > 0;
#else
    return false;
#endif
  });
  bind_runtime(m);
  cls.def(
         "cuda",
         [](const Tensor& t, std::optional<Device> device, bool non_blocking, nb::kwargs) {
           return to_cuda(t, device, non_blocking);
         },
         "device"_a.none() = nb::none(), "non_blocking"_a = false, "kwargs"_a)
      .def("pin_memory", [](const Tensor& t, nb::args) { return pin_memory(t); })
      .def("is_pinned", [](const Tensor& t, nb::args) { return is_pinned(t); })
      .def("get_device", [](const Tensor& t) -> int64_t { return t.device().is_cuda() ? t.device().index : -1; });
}

}  // namespace tessera::python

#if TESSERA_HAS_CUBLASLT
#include "cuda/blas/cublaslt_context.h"

#include <cstdlib>
#include <mutex>
#include <unordered_map>

#include "core/error.h"
#include "core/tensor.h"
#include "cuda/runtime/stream.h"

namespace tessera::cuda::blas {

void throw_cublas_error(cublasStatus_t status, const char* call, const char* file, int line) {
  const ErrorKind kind = status == CUBLAS_STATUS_ALLOC_FAILED ? ErrorKind::OutOfMemory : ErrorKind::Runtime;
  throw Error(kind, detail::concat("[matmul] cuBLASLt error: ", cublasLtGetStatusString(status), " (",
                                   cublasLtGetStatusName(status), ") in ", call, " at ", file, ":", line));
}

namespace {

// Never destroyed (as torch's cuBLAS handles at exit): cuBLASLt may be unloaded before thread-local
// destructors run. A thread that ends leaks its few bytes of handles.
struct ThreadHandles {
  cublasLtHandle_t h[kMaxDevices] = {};
};

size_t workspace_bytes() {
  static const size_t bytes = [] {
    size_t kib = 32 * 1024;  // 32 MiB: what torch gives cuBLAS(Lt) on Hopper
    if (const char* env = std::getenv("TESSERA_CUBLASLT_WORKSPACE_SIZE")) {
      char* end = nullptr;
      const long long v = std::strtoll(env, &end, 10);
      TS_CHECK_VALUE(end != env && *end == '\0' && v >= 0, "[matmul] TESSERA_CUBLASLT_WORKSPACE_SIZE must be a ",
                     "non-negative number of KiB, got '", env, "'");
      kib = static_cast<size_t>(v);
    }
    return kib * 1024;
  }();
  return bytes;
}

struct WorkspaceKey {
  int device;
  cudaStream_t stream;
  bool operator==(const WorkspaceKey& o) const { return device == o.device && stream == o.stream; }
};
struct WorkspaceKeyHash {
  size_t operator()(const WorkspaceKey& k) const {
    return std::hash<const void*>()(k.stream) * 31 + static_cast<size_t>(k.device);
  }
};

}  // namespace

cublasLtHandle_t lt_handle(int device) {
  thread_local ThreadHandles& handles = *new ThreadHandles();
  TS_CHECK(device >= 0 && device < kMaxDevices, "[matmul] device index ", device, " out of range");
  cublasLtHandle_t& h = handles.h[device];
  if (__builtin_expect(h == nullptr, 0)) TS_CUBLAS_CHECK(cublasLtCreate(&h));
  return h;
}

Workspace lt_workspace(int device, cudaStream_t stream) {
  // One-entry per-thread cache in front of the shared map: a training loop uses one stream.
  thread_local WorkspaceKey last_key{-1, nullptr};
  thread_local Workspace last;
  const WorkspaceKey key{device, stream};
  if (key == last_key) return last;
  const size_t bytes = workspace_bytes();
  Workspace ws;
  if (bytes > 0) {
    // Never destroyed: the tensors would otherwise be freed after the allocator at process exit.
    static auto* tensors = new std::unordered_map<WorkspaceKey, Tensor, WorkspaceKeyHash>();
    static std::mutex mu;
    std::lock_guard<std::mutex> lock(mu);
    auto it = tensors->find(key);
    if (it == tensors->end()) {
      // Allocated while `stream` is current on `device`, so the allocator ties the block to it.
      StreamGuard guard(Stream(stream, device, 0));
      Tensor t = empty_tensor(DimVector{static_cast<int64_t>(bytes)}, DType::UInt8, Device(DeviceType::CUDA, device));
      it = tensors->emplace(key, std::move(t)).first;
    }
    ws = Workspace{it->second.data_ptr(), bytes};
  }
  last_key = key;
  last = ws;
  return ws;
}

}  // namespace tessera::cuda::blas
#endif  // TESSERA_HAS_CUBLASLT

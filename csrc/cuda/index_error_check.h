#pragma once
// Index bounds errors of CUDA kernels without a device-side trap (which would kill the context):
// a kernel records the smallest linear index of an element with a bad index in one device word
// (atomicMin) and skips that element; after the launch the host reads the word back (one 8-byte
// copy and a stream sync) and raises the CPU kernel's error. While the stream is capturing a CUDA
// graph nothing can be read back: no word is allocated and bad elements are skipped silently.
#include <cuda_runtime_api.h>

#include <cstddef>
#include <optional>

#include "core/tensor.h"

namespace tessera::cuda {

// True while `stream` is capturing a graph (or when capture state cannot be queried, which CUDA
// reports for the legacy stream while another stream captures: a sync would break that capture).
bool stream_is_capturing(cudaStream_t stream);

class FirstBadIndex {
 public:
  FirstBadIndex(Device device, cudaStream_t stream);
  // The word for the kernel; nullptr while capturing.
  unsigned long long* device_ptr() const { return ptr_; }
  // The recorded linear index, if any (synchronises the stream; nothing while capturing).
  std::optional<int64_t> read() const;

 private:
  cudaStream_t stream_;
  Tensor word_;
  unsigned long long* ptr_ = nullptr;
};

// Copies `nbytes` of device memory to the host on `stream` and waits: for error paths.
void read_device_bytes(void* dst, const void* src, size_t nbytes, cudaStream_t stream);

}  // namespace tessera::cuda

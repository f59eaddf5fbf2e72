#include "cuda/index_error_check.h"

#include "cuda/runtime/cuda_check.h"

namespace tessera::cuda {

bool stream_is_capturing(cudaStream_t stream) {
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  if (cudaStreamIsCapturing(stream, &status) != cudaSuccess) {
    (void)cudaGetLastError();
    return true;
  }
  return status != cudaStreamCaptureStatusNone;
}

FirstBadIndex::FirstBadIndex(Device device, cudaStream_t stream) : stream_(stream) {
  if (stream_is_capturing(stream)) return;
  word_ = empty_tensor(DimVector{1}, DType::Int64, device);
  ptr_ = static_cast<unsigned long long*>(word_.data_ptr());
  TS_CUDA_CHECK(cudaMemsetAsync(ptr_, 0xff, sizeof(unsigned long long), stream));  // "none": the largest value
}

std::optional<int64_t> FirstBadIndex::read() const {
  if (ptr_ == nullptr) return std::nullopt;
  unsigned long long first = 0;
  read_device_bytes(&first, ptr_, sizeof(first), stream_);
  if (first == ~0ull) return std::nullopt;
  return static_cast<int64_t>(first);
}

void read_device_bytes(void* dst, const void* src, size_t nbytes, cudaStream_t stream) {
  TS_CUDA_CHECK(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyDeviceToHost, stream));
  TS_CUDA_CHECK(cudaStreamSynchronize(stream));
}

}  // namespace tessera::cuda

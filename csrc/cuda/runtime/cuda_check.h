#pragma once
// TS_CUDA_CHECK(call): a failing CUDA runtime call throws tessera::Error naming the call and the
// CUDA error (OutOfMemory for allocation failures, Runtime otherwise), as PyTorch's C10_CUDA_CHECK.
#include <cuda_runtime_api.h>

namespace tessera::cuda {

[[noreturn]] void throw_cuda_error(cudaError_t err, const char* call, const char* file, int line);

}  // namespace tessera::cuda

#define TS_CUDA_CHECK(call)                                                       \
  do {                                                                            \
    const cudaError_t ts_cuda_err_ = (call);                                      \
    if (__builtin_expect(ts_cuda_err_ != cudaSuccess, 0)) {                       \
      ::tessera::cuda::throw_cuda_error(ts_cuda_err_, #call, __FILE__, __LINE__); \
    }                                                                             \
  } while (0)

// For destructors and deleters, which must not throw: the error is cleared and dropped (at process
// exit the driver may already be gone: cudaErrorCudartUnloading).
#define TS_CUDA_IGNORE(call)                             \
  do {                                                   \
    if ((call) != cudaSuccess) (void)cudaGetLastError(); \
  } while (0)

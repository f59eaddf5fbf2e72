#include "cuda/runtime/cuda_check.h"

#include "core/error.h"

namespace tessera::cuda {

void throw_cuda_error(cudaError_t err, const char* call, const char* file, int line) {
  (void)cudaGetLastError();  // clear a non-sticky error so that the next call does not see it
  const ErrorKind kind = err == cudaErrorMemoryAllocation ? ErrorKind::OutOfMemory : ErrorKind::Runtime;
  throw Error(kind, detail::concat("[cuda] CUDA error: ", cudaGetErrorString(err), " (", cudaGetErrorName(err), ") in ",
                                   call, " at ", file, ":", line));
}

}  // namespace tessera::cuda

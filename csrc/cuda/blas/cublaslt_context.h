#pragma once
// cuBLASLt state shared by the GEMM callers: one handle per (thread, device) and one workspace per
// (device, stream). Only compiled where the toolkit has cuBLASLt (TESSERA_HAS_CUBLASLT).
#if TESSERA_HAS_CUBLASLT
#include <cublasLt.h>
#include <cuda_runtime_api.h>

#include <cstddef>

namespace tessera::cuda::blas {

// The calling thread's handle for `device`, created on first use (cuBLASLt handles are cheap host
// objects, but creating one per call would cost microseconds).
cublasLtHandle_t lt_handle(int device);

struct Workspace {
  void* ptr = nullptr;
  size_t bytes = 0;
};
// The GEMM workspace of (device, stream): a tessera tensor from the caching allocator, allocated on
// that stream at its first GEMM and kept for the process (as torch keeps its cuBLAS workspaces), so
// that concurrent GEMMs on different streams never share scratch memory. Size: 32 MiB, or
// TESSERA_CUBLASLT_WORKSPACE_SIZE KiB (torch's CUBLASLT_WORKSPACE_SIZE convention).
Workspace lt_workspace(int device, cudaStream_t stream);

[[noreturn]] void throw_cublas_error(cublasStatus_t status, const char* call, const char* file, int line);

}  // namespace tessera::cuda::blas

#define TS_CUBLAS_CHECK(call)                                                              \
  do {                                                                                     \
    const cublasStatus_t ts_cublas_st_ = (call);                                           \
    if (__builtin_expect(ts_cublas_st_ != CUBLAS_STATUS_SUCCESS, 0)) {                     \
      ::tessera::cuda::blas::throw_cublas_error(ts_cublas_st_, #call, __FILE__, __LINE__); \
    }                                                                                      \
  } while (0)
#endif  // TESSERA_HAS_CUBLASLT

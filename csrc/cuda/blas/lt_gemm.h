#pragma once
// GEMMs through cuBLASLt (see gemm_desc.h for the row-major description they take).
#include <cuda_runtime_api.h>

#include "cuda/blas/gemm_desc.h"

namespace tessera::cuda::blas {

// Runs `g` on `stream` of `device` through cuBLASLt. False (nothing launched) when cuBLASLt has no
// algorithm for it, or when the build has no cuBLASLt: the caller then takes its fallback.
// Floating dtypes only: float32 (TF32 if g.allow_tf32), float64, and float16/bfloat16 with float32
// accumulation (D may be float32 beside 16-bit A and B).
bool lt_gemm(const GemmDesc& g, int device, cudaStream_t stream);

}  // namespace tessera::cuda::blas

#pragma once
// The plain tiled GEMM kernel: integer and bool products (cuBLASLt has none with PyTorch's
// wrap-around semantics), k == 0 (D = beta * D, or zeros), and the fallback for float shapes that
// cuBLASLt declines. Same description as the cuBLASLt path (cuda/blas/gemm_desc.h); no epilogue.
#include <cuda_runtime_api.h>

#include "cuda/blas/gemm_desc.h"

namespace tessera::cuda::blas {

// Integers accumulate in int64 and wrap to the output type at the end (the CPU kernel's rule),
// with alpha_i / beta_i; floating types use g.alpha / g.beta in the accumulate type (float for
// 16-bit types, whose D may be float32). beta == 0 never reads D.
void launch_naive_gemm(const GemmDesc& g, int64_t alpha_i, int64_t beta_i, cudaStream_t stream);

}  // namespace tessera::cuda::blas

#pragma once
// Turning strided tessera matrices into GEMM operands (cuda/blas/gemm_desc.h): a matrix whose
// rows or columns are contiguous is passed as is (transposed when its columns are), anything else
// is copied to a contiguous tensor first; batch dims must merge into one stride.
#include <cstdint>

#include "core/tensor.h"
#include "cuda/blas/gemm_desc.h"

namespace tessera::cuda::blas {

// How a row-major (rows x cols) matrix with element strides (rs, cs) reads as a GEMM operand:
// `ok` false when neither its rows nor its columns are contiguous.
struct Layout {
  bool ok = false, trans = false;
  int64_t ld = 0;
};
Layout gemm_layout(int64_t rows, int64_t cols, int64_t rs, int64_t cs);

// Whether dims [0, nb) of t merge into one strided dim (size-1 dims ignored); `stride` is then
// its stride (0 when every batch dim is broadcast or there is none).
bool fold_batch(const Tensor& t, int64_t nb, int64_t& stride);

// The operand for the last two dims of t (rows x cols) over its first nb dims. May replace `t` by
// a contiguous copy (the caller keeps it alive until the GEMM is queued).
MatrixRef matrix_operand(Tensor& t, int64_t nb);

}  // namespace tessera::cuda::blas

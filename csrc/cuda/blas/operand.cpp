#include "cuda/blas/operand.h"

#include <algorithm>

#include "core/error.h"
#include "ops/copy.h"

namespace tessera::cuda::blas {

Layout gemm_layout(int64_t rows, int64_t cols, int64_t rs, int64_t cs) {
  // The stride of a size-1 dim is irrelevant: pick whatever makes the layout valid.
  int64_t r = rows == 1 ? std::max<int64_t>(cols, 1) : rs, c = cols == 1 ? 1 : cs;
  if (c == 1 && r >= std::max<int64_t>(1, cols)) return {true, false, r};
  r = rows == 1 ? 1 : rs;
  c = cols == 1 ? std::max<int64_t>(rows, 1) : cs;
  if (r == 1 && c >= std::max<int64_t>(1, rows)) return {true, true, c};
  return {};
}

bool fold_batch(const Tensor& t, int64_t nb, int64_t& stride) {
  stride = 0;
  int64_t prev = -1;
  for (int64_t i = nb - 1; i >= 0; --i) {
    if (t.sizes()[i] == 1) continue;
    if (prev < 0)
      stride = t.strides()[i];
    else if (t.strides()[i] != t.strides()[prev] * t.sizes()[prev])
      return false;
    prev = i;
  }
  return true;
}

MatrixRef matrix_operand(Tensor& t, int64_t nb) {
  const int64_t nd = t.dim(), rows = t.sizes()[nd - 2], cols = t.sizes()[nd - 1];
  int64_t batch_stride = 0;
  Layout l = gemm_layout(rows, cols, t.strides()[nd - 2], t.strides()[nd - 1]);
  if (!l.ok || !fold_batch(t, nb, batch_stride)) {
    t = ops::contiguous(t);  // materialises broadcast batch dims too, as torch's matmul does
    l = gemm_layout(rows, cols, t.strides()[nd - 2], t.strides()[nd - 1]);
    const bool folded = fold_batch(t, nb, batch_stride);
    TS_CHECK(l.ok && folded, "[matmul] internal error: contiguous operand is not a GEMM layout");
  }
  return MatrixRef{t.data_ptr(), l.ld, l.trans, batch_stride};
}

}  // namespace tessera::cuda::blas

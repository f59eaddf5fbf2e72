#pragma once
// One GEMM over tessera's thread pool: BLAS itself runs single-threaded (cpu/blas.cpp), so a big
// GEMM is split into row (or column) blocks of C, each a single-threaded BLAS call.
#include <algorithm>
#include <cstdint>

#include "cpu/blas.h"
#include "cpu/parallel.h"

namespace tessera::cpu {

// BLAS itself runs single-threaded (cpu/blas.cpp); parallelism comes from tessera's pool:
// across batches when there are enough of them, else by splitting one GEMM into row (or column)
// blocks of C, each a single-threaded BLAS call. Below this many multiply-adds a GEMM runs whole.
constexpr int64_t kSmallGemmFlops = 64 * 64 * 64;

template <class T>
void scale_or_zero(T* c, int64_t m, int64_t n, int64_t ldc, T beta) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = beta == T(0) ? T(0) : c[i * ldc + j] * beta;
}

// One GEMM, split over blocks of C across the pool when it is big enough.
template <class T>
void gemm_split(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda, const T* b,
                int64_t ldb, T beta, T* c, int64_t ldc) {
  if (k == 0) return scale_or_zero(c, m, n, ldc, beta);
  const int64_t flops = m * n * k;
  if (flops < 4 * kSmallGemmFlops || get_num_threads() == 1 || in_parallel_region()) {
    return blas::gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  }
  if (m >= n) {  // row blocks: rows of op(A) and of C
    const int64_t grain = std::max<int64_t>(16, kSmallGemmFlops / std::max<int64_t>(1, n * k));
    parallel_for(0, m, grain, [&](int64_t s, int64_t e) {
      const T* as = ta ? a + s : a + s * lda;
      blas::gemm(ta, tb, e - s, n, k, alpha, as, lda, b, ldb, beta, c + s * ldc, ldc);
    });
  } else {  // column blocks: columns of op(B) and of C
    const int64_t grain = std::max<int64_t>(16, kSmallGemmFlops / std::max<int64_t>(1, m * k));
    parallel_for(0, n, grain, [&](int64_t s, int64_t e) {
      const T* bs = tb ? b + s * ldb : b + s;
      blas::gemm(ta, tb, m, e - s, k, alpha, a, lda, bs, ldb, beta, c + s, ldc);
    });
  }
}

}  // namespace tessera::cpu

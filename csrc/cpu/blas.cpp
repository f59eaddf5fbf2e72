// The only file that includes cblas.h: the scipy-openblas32 wheel prefixes its symbols with
// `scipy_`, a system OpenBLAS does not; TS_BLAS_SCIPY_OPENBLAS (cmake/blas.cmake) picks.
#include "cpu/blas.h"

#include <climits>

#include <cblas.h>

#include "core/error.h"

#if defined(TS_BLAS_SCIPY_OPENBLAS)
#define TS_CBLAS(name) scipy_cblas_##name
#else
#define TS_CBLAS(name) cblas_##name
#endif

namespace tessera::blas {

bool fits_int32(int64_t v) { return v >= 0 && v <= INT_MAX; }

namespace {
void check_dims(std::initializer_list<int64_t> dims) {
  for (int64_t d : dims) TS_CHECK(fits_int32(d), "[matmul] matrix dimension ", d, " exceeds the BLAS 32-bit limit");
}
CBLAS_TRANSPOSE tr(bool t) { return t ? CblasTrans : CblasNoTrans; }
}  // namespace

void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda, const float* b,
          int64_t ldb, float beta, float* c, int64_t ldc) {
  check_dims({m, n, k, lda, ldb, ldc});
  TS_CBLAS(sgemm)(CblasRowMajor, tr(ta), tr(tb), (int)m, (int)n, (int)k, alpha, a, (int)lda, b, (int)ldb, beta, c,
                  (int)ldc);
}

void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t lda,
          const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
  check_dims({m, n, k, lda, ldb, ldc});
  TS_CBLAS(dgemm)(CblasRowMajor, tr(ta), tr(tb), (int)m, (int)n, (int)k, alpha, a, (int)lda, b, (int)ldb, beta, c,
                  (int)ldc);
}

void gemv(bool t, int64_t m, int64_t n, float alpha, const float* a, int64_t lda, const float* x, int64_t incx,
          float beta, float* y, int64_t incy) {
  check_dims({m, n, lda});
  // cblas gemv takes the stored matrix's shape: (m,n) op'd, or (n,m) stored transposed.
  int rows = t ? (int)n : (int)m, cols = t ? (int)m : (int)n;
  TS_CBLAS(sgemv)(CblasRowMajor, tr(t), rows, cols, alpha, a, (int)lda, x, (int)incx, beta, y, (int)incy);
}

void gemv(bool t, int64_t m, int64_t n, double alpha, const double* a, int64_t lda, const double* x, int64_t incx,
          double beta, double* y, int64_t incy) {
  check_dims({m, n, lda});
  int rows = t ? (int)n : (int)m, cols = t ? (int)m : (int)n;
  TS_CBLAS(dgemv)(CblasRowMajor, tr(t), rows, cols, alpha, a, (int)lda, x, (int)incx, beta, y, (int)incy);
}

}  // namespace tessera::blas

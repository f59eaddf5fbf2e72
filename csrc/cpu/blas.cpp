// The only file that includes cblas.h: the scipy-openblas32 wheel prefixes its symbols with
// `scipy_`, a system OpenBLAS does not; TS_BLAS_SCIPY_OPENBLAS (cmake/blas.cmake) picks.
#include "cpu/blas.h"

#include <cblas.h>

#include <climits>

#include "core/error.h"

#if defined(TS_BLAS_SCIPY_OPENBLAS)
#define TS_CBLAS(name) scipy_cblas_##name
#define TS_BLAS_SET_THREADS scipy_openblas_set_num_threads
#else
#define TS_CBLAS(name) cblas_##name
// Absent when the system BLAS is not OpenBLAS: then it is null and never called.
#pragma weak openblas_set_num_threads
extern "C" void openblas_set_num_threads(int);
#define TS_BLAS_SET_THREADS openblas_set_num_threads
#endif

namespace tessera::blas {

bool fits_int32(int64_t v) {
  return v >= 0 && v <= INT_MAX;
}

namespace {
// BLAS runs single-threaded inside tessera's own parallel_for partitions (cpu/linalg_kernels.cpp):
// one thread pool for the whole library, sized by tessera.set_num_threads. OpenBLAS's own pool
// woke up for every mid-sized GEMM and, on a loaded machine, cost up to 100x (measured: a
// 128x128 sgemm took 50 ms threaded and 0.08 ms single-threaded).
void init_threads() {
  static const bool once = [] {
#if defined(TS_BLAS_SCIPY_OPENBLAS)
    TS_BLAS_SET_THREADS(1);
#else
    if (&TS_BLAS_SET_THREADS != nullptr) TS_BLAS_SET_THREADS(1);
#endif
    return true;
  }();
  (void)once;
}
void check_dims(std::initializer_list<int64_t> dims) {
  for (int64_t d : dims) TS_CHECK(fits_int32(d), "[matmul] matrix dimension ", d, " exceeds the BLAS 32-bit limit");
}
CBLAS_TRANSPOSE tr(bool t) {
  return t ? CblasTrans : CblasNoTrans;
}
}  // namespace

void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda, const float* b,
          int64_t ldb, float beta, float* c, int64_t ldc) {
  check_dims({m, n, k, lda, ldb, ldc});
  init_threads();
  TS_CBLAS(sgemm)(CblasRowMajor, tr(ta), tr(tb), (int)m, (int)n, (int)k, alpha, a, (int)lda, b, (int)ldb, beta, c,
                  (int)ldc);
}

void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t lda,
          const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
  check_dims({m, n, k, lda, ldb, ldc});
  init_threads();
  TS_CBLAS(dgemm)(CblasRowMajor, tr(ta), tr(tb), (int)m, (int)n, (int)k, alpha, a, (int)lda, b, (int)ldb, beta, c,
                  (int)ldc);
}

void gemv(bool t, int64_t m, int64_t n, float alpha, const float* a, int64_t lda, const float* x, int64_t incx,
          float beta, float* y, int64_t incy) {
  check_dims({m, n, lda});
  init_threads();
  // cblas gemv takes the stored matrix's shape: (m,n) op'd, or (n,m) stored transposed.
  int rows = t ? (int)n : (int)m, cols = t ? (int)m : (int)n;
  TS_CBLAS(sgemv)(CblasRowMajor, tr(t), rows, cols, alpha, a, (int)lda, x, (int)incx, beta, y, (int)incy);
}

void gemv(bool t, int64_t m, int64_t n, double alpha, const double* a, int64_t lda, const double* x, int64_t incx,
          double beta, double* y, int64_t incy) {
  check_dims({m, n, lda});
  init_threads();
  int rows = t ? (int)n : (int)m, cols = t ? (int)m : (int)n;
  TS_CBLAS(dgemv)(CblasRowMajor, tr(t), rows, cols, alpha, a, (int)lda, x, (int)incx, beta, y, (int)incy);
}

}  // namespace tessera::blas

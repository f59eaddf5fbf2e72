#pragma once
// Thin wrapper over the CPU BLAS (scipy-openblas32 wheel, or a system OpenBLAS): row-major gemm
// and gemv for float and double. Sizes are int64 here and checked against BLAS's 32-bit ints.
#include <cstdint>

namespace tessera::blas {

// C(m,n) = alpha * op(A)(m,k) @ op(B)(k,n) + beta * C, all row-major; op = transpose when the flag
// is set (A is then stored (k,m) with leading dimension lda). beta == 0 overwrites C (no NaN kept).
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc);
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t lda,
          const double* b, int64_t ldb, double beta, double* c, int64_t ldc);

// y(m) = alpha * op(A) @ x + beta * y, A row-major (m,n) (or (n,m) stored when trans).
void gemv(bool trans, int64_t m, int64_t n, float alpha, const float* a, int64_t lda, const float* x, int64_t incx,
          float beta, float* y, int64_t incy);
void gemv(bool trans, int64_t m, int64_t n, double alpha, const double* a, int64_t lda, const double* x, int64_t incx,
          double beta, double* y, int64_t incy);

// True if every size/stride fits BLAS's 32-bit integers.
bool fits_int32(int64_t v);

}  // namespace tessera::blas

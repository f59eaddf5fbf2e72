#pragma once
// A row-major strided-batched GEMM as the CUDA kernels describe it, independent of the library
// that runs it (cuBLASLt, or the plain tiled kernel as the fallback):
//   D[b](m, n) = alpha * op(A)[b](m, k) @ op(B)[b](k, n) + beta * D[b]      (C is D, in place)
// plus an optional cuBLASLt epilogue.
#include <cstdint>

#include "core/dtype.h"

namespace tessera::cuda::blas {

// One operand: element (i, j) of op(X) of batch b lies at
//   ptr + b * batch_stride + (trans ? j * ld + i : i * ld + j)          (in elements)
// i.e. a row-major matrix with leading dimension ld, read transposed when `trans`.
struct MatrixRef {
  const void* ptr = nullptr;
  int64_t ld = 0;
  bool trans = false;
  int64_t batch_stride = 0;
};

enum class Epilogue : int8_t {
  None,
  Bias,             // D += bias[j] (bias has n elements, one per output column)
  GeluTanhAuxBias,  // aux = acc + bias[j]; D = gelu_tanh(aux)   (aux: m x n, row stride aux_ld)
  BiasGradA,        // bias[i] = sum_p op(A)(i, p) (m elements): a bias gradient beside D
};

struct GemmDesc {
  DType in_dtype = DType::Float32;   // A and B
  DType out_dtype = DType::Float32;  // D
  int64_t m = 0, n = 0, k = 0, count = 1;
  MatrixRef a, b;
  void* d = nullptr;
  int64_t ldd = 0, d_batch_stride = 0;
  double alpha = 1, beta = 0;
  bool allow_tf32 = false;  // float32 only: TF32 tensor cores
  Epilogue epilogue = Epilogue::None;
  void* bias = nullptr;  // Bias / GeluTanhAuxBias: read (out_dtype); BiasGradA: written (out_dtype)
  void* aux = nullptr;
  int64_t aux_ld = 0;
};

}  // namespace tessera::cuda::blas

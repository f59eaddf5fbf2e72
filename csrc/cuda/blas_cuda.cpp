// CUDA kernels of the matrix-product stubs: bmm_stub (every mm/bmm/matmul/addmm/baddbmm/linear/
// mv/dot/outer call) and the fused linear stubs, through cuBLASLt (cuda/blas/lt_gemm.h) with the
// tiled kernel for integer dtypes, k == 0 and shapes cuBLASLt declines. Transposed operands are
// passed with the transpose flag, broadcast batch dims with batch stride 0; only operands with no
// contiguous dimension (or batch dims that do not merge into one stride) are copied.
#include "core/backend_flags.h"
#include "cuda/blas/lt_gemm.h"
#include "cuda/blas/operand.h"
#include "cuda/kernels/blas/naive_gemm.h"
#include "cuda/runtime/device.h"
#include "cuda/runtime/stream.h"
#include "ops/linalg_stubs.h"

namespace tessera::cuda {
namespace {

using blas::GemmDesc;

void bmm_cuda(const Tensor& out, const Tensor& a, const Tensor& b, const Scalar& beta, const Scalar& alpha) {
  if (out.numel() == 0) return;
  const int64_t nd = out.dim(), nb = nd - 2;
  const int64_t m = out.sizes()[nd - 2], n = out.sizes()[nd - 1], k = a.sizes()[nd - 1];
  const int device = resolve_device(out.device().index);
  DeviceGuard guard(device);
  cudaStream_t stream = current_stream(device).handle();

  GemmDesc g;
  g.in_dtype = g.out_dtype = out.dtype();
  g.m = m, g.n = n, g.k = k;
  for (int64_t i = 0; i < nb; ++i) g.count *= out.sizes()[i];
  Tensor A = a, B = b;  // may become contiguous copies; alive until the GEMM is queued
  if (k > 0) {
    g.a = blas::matrix_operand(A, nb);
    g.b = blas::matrix_operand(B, nb);
  }
  int64_t out_batch_stride = 0;
  const bool out_folds = blas::fold_batch(out, nb, out_batch_stride);
  TS_CHECK(out_folds && (n == 1 || out.strides()[nd - 1] == 1), "[matmul] internal error: output not contiguous");
  g.d = out.data_ptr();
  g.ldd = m == 1 ? n : out.strides()[nd - 2];
  g.d_batch_stride = out_batch_stride;
  int64_t alpha_i = 0, beta_i = 0;
  if (is_floating(out.dtype())) {
    g.alpha = alpha.to_double();
    g.beta = beta.to_double();
    g.allow_tf32 = matmul_allow_tf32();
    if (blas::lt_gemm(g, device, stream)) return;
  } else {
    alpha_i = alpha.to<int64_t>();
    beta_i = beta.to<int64_t>();
  }
  blas::launch_naive_gemm(g, alpha_i, beta_i, stream);
}

bool linear_epilogue_cuda(const Tensor& out, const Tensor& a, const Tensor& b, const Tensor& bias, const Tensor& aux) {
  const int64_t m = out.sizes()[0], n = out.sizes()[1], k = a.sizes()[1];
  if (!is_floating(out.dtype()) || m == 0 || n == 0 || k == 0) return false;
  const int device = resolve_device(out.device().index);
  DeviceGuard guard(device);
  GemmDesc g;
  g.in_dtype = g.out_dtype = out.dtype();
  g.m = m, g.n = n, g.k = k;
  Tensor A = a, B = b;
  g.a = blas::matrix_operand(A, 0);
  g.b = blas::matrix_operand(B, 0);
  g.d = out.data_ptr();
  g.ldd = n;
  g.allow_tf32 = matmul_allow_tf32();
  g.epilogue = aux.defined() ? blas::Epilogue::GeluTanhAuxBias : blas::Epilogue::Bias;
  g.bias = bias.data_ptr();
  if (aux.defined()) {
    g.aux = aux.data_ptr();
    g.aux_ld = n;
  }
  return blas::lt_gemm(g, device, current_stream(device).handle());
}

// gw(n, k) = g(m, n)^T @ x(m, k): a GEMM with M = n, N = k, K = m whose A is g^T; the bias
// gradient is the sum over K of A's rows (cuBLASLt's BGRADB epilogue, its B being our A).
bool linear_weight_grad_cuda(const Tensor& gw, const Tensor& gb, const Tensor& grad, const Tensor& x) {
  const int64_t rows = grad.sizes()[0], n = grad.sizes()[1], k = x.sizes()[1];
  if (!is_floating(gw.dtype()) || rows == 0 || n == 0 || k == 0) return false;
  const int device = resolve_device(gw.device().index);
  DeviceGuard guard(device);
  GemmDesc g;
  g.in_dtype = g.out_dtype = gw.dtype();
  g.m = n, g.n = k, g.k = rows;
  Tensor gt =
      make_view(grad, DimVector{n, rows}, DimVector{grad.strides()[1], grad.strides()[0]}, grad.storage_offset());
  Tensor X = x;
  g.a = blas::matrix_operand(gt, 0);
  g.b = blas::matrix_operand(X, 0);
  g.d = gw.data_ptr();
  g.ldd = k;
  g.allow_tf32 = matmul_allow_tf32();
  g.epilogue = blas::Epilogue::BiasGradA;
  g.bias = gb.data_ptr();
  return blas::lt_gemm(g, device, current_stream(device).handle());
}

}  // namespace

TS_REGISTER_STUB(bmm_stub, CUDA, &bmm_cuda);
TS_REGISTER_STUB(linear_epilogue_stub, CUDA, &linear_epilogue_cuda);
TS_REGISTER_STUB(linear_weight_grad_stub, CUDA, &linear_weight_grad_cuda);

}  // namespace tessera::cuda

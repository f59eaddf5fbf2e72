#pragma once
#include "core/scalar.h"
#include "core/tensor.h"
#include "dispatch/dispatch_stub.h"

namespace tessera {
// Whether `stub` has a kernel for `device` (optional stubs: the fused linear paths below).
template <class Stub>
bool stub_has_kernel(const Stub& stub, Device device) {
  return stub.fns[static_cast<int>(device.type)].load(std::memory_order_acquire) != nullptr;
}

// out(*batch, m, n) = beta * out + alpha * a(*batch, m, k) @ b(*batch, k, n).
// `out` is contiguous; a and b may have any strides (0 on broadcast batch dims). beta == 0
// overwrites out without reading it.
TS_DECLARE_STUB(bmm_stub,
                void(const Tensor& out, const Tensor& a, const Tensor& b, const Scalar& beta, const Scalar& alpha));

// Fused linear forward (GEMM epilogues): out(m, n) = a(m, k) @ b(k, n) + bias(n); when `aux` is
// defined (m x n, contiguous, n % 8 == 0) aux receives that sum and out = gelu(aux, 'tanh').
// out and bias are contiguous, a and b any strides, k > 0, all one floating dtype. Returns false
// when the device does not fuse this case, and devices without a kernel (the CPU) never fuse:
// the caller then computes it unfused.
TS_DECLARE_STUB(linear_epilogue_stub,
                bool(const Tensor& out, const Tensor& a, const Tensor& b, const Tensor& bias, const Tensor& aux));

// Fused weight and bias gradients of linear: gw(n, k) = g(m, n)^T @ x(m, k) and gb(n) = sum of g
// over its m rows. gw and gb are contiguous, g and x any strides, m > 0, one floating dtype.
// Returns false when not fused (the caller then runs mm and sum); no CPU kernel.
TS_DECLARE_STUB(linear_weight_grad_stub, bool(const Tensor& gw, const Tensor& gb, const Tensor& g, const Tensor& x));
}  // namespace tessera

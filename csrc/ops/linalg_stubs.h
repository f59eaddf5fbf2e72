#pragma once
#include "core/scalar.h"
#include "core/tensor.h"
#include "dispatch/dispatch_stub.h"

namespace tessera {
// out(*batch, m, n) = beta * out + alpha * a(*batch, m, k) @ b(*batch, k, n).
// `out` is contiguous; a and b may have any strides (0 on broadcast batch dims). beta == 0
// overwrites out without reading it.
TS_DECLARE_STUB(bmm_stub,
                void(const Tensor& out, const Tensor& a, const Tensor& b, const Scalar& beta, const Scalar& alpha));
}  // namespace tessera

#pragma once
// Device kernels of the copying shape ops whose data movement a TensorIterator copy cannot express
// (flip needs negative steps, tril/triu a per-element mask) or does slowly (cat of contiguous blocks).
#include "dispatch/boxing.h"
#include "dispatch/dispatch_stub.h"

namespace tessera {

// out (contiguous) = the concatenation along `dim` of `inputs`, all contiguous, of out's dtype and
// device, non-empty, with out's sizes except at `dim`.
TS_DECLARE_STUB(cat_contig_stub, void(const Tensor& out, TensorList inputs, int64_t dim));
// out (contiguous, same shape and dtype as self) = self reversed along `dims` (wrapped, distinct).
TS_DECLARE_STUB(flip_stub, void(const Tensor& out, const Tensor& self, IntArrayRef dims));
// out = self with the elements above (upper=false: tril) or below (upper=true: triu) the
// `diagonal`-th diagonal of the last two dims zeroed. out may be self (in place); same shape/dtype.
TS_DECLARE_STUB(trilu_stub, void(const Tensor& out, const Tensor& self, int64_t diagonal, bool upper));

}  // namespace tessera

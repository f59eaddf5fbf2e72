#pragma once
// Per-device kernels of the reductions and scans. Every front-end brings its input to one
// contiguous layout viewed as [O, R, I]: O outer positions, R reduced elements, I inner positions
// (I == 1 when the reduction is over the innermost elements). The output is contiguous [O, I].
#include <cstdint>

#include "dispatch/dispatch_stub.h"

namespace tessera {
class Tensor;

enum class ReduceOp : int8_t {
  Sum,   // out dtype == in dtype, or int64 for integer/bool inputs
  Prod,  // same
  Mean,  // floating only
  Max,   // NaN-propagating
  Min,
  Any,  // out bool or uint8
  All,
  Var,  // param = correction; floating only
  Std,
  LogSumExp,  // floating only
  NormP,      // param = p, general p (not 0, 1, 2, +-inf)
  Norm0,
  Norm1,
  Norm2,
  NormInf,
  NormNegInf,
};

struct ReduceShape {
  int64_t outer, reduced, inner;
};

// out[o, i] = reduce_r in[o, r, i].
TS_DECLARE_STUB(reduce_stub, void(ReduceOp, const Tensor& in, ReduceShape, const Tensor& out, double param));
// Values (may be undefined) and int64 indices of the max (is_max) or min along R, NaN first.
TS_DECLARE_STUB(arg_reduce_stub,
                void(bool is_max, const Tensor& in, ReduceShape, const Tensor& values, const Tensor& indices));
// Inclusive scan along R; in and out have the same dtype.
TS_DECLARE_STUB(scan_stub, void(bool is_prod, const Tensor& in, ReduceShape, const Tensor& out));

}  // namespace tessera

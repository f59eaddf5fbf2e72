#pragma once
// Unary math ops (functions of one tensor, same shape) and their in-place variants.
#include <optional>

#include "core/tensor.h"

namespace tessera::ops {

#define TS_UNARY_DECL(name)        \
  Tensor name(const Tensor& self); \
  Tensor name##_(const Tensor& self);
TS_UNARY_DECL(neg)
TS_UNARY_DECL(abs)
TS_UNARY_DECL(sign)
TS_UNARY_DECL(floor)
TS_UNARY_DECL(ceil)
TS_UNARY_DECL(trunc)
TS_UNARY_DECL(bitwise_not)
TS_UNARY_DECL(reciprocal)
TS_UNARY_DECL(sqrt)
TS_UNARY_DECL(rsqrt)
TS_UNARY_DECL(exp)
TS_UNARY_DECL(exp2)
TS_UNARY_DECL(expm1)
TS_UNARY_DECL(log)
TS_UNARY_DECL(log2)
TS_UNARY_DECL(log10)
TS_UNARY_DECL(log1p)
TS_UNARY_DECL(sin)
TS_UNARY_DECL(cos)
TS_UNARY_DECL(tan)
TS_UNARY_DECL(tanh)
TS_UNARY_DECL(sigmoid)
TS_UNARY_DECL(erf)
TS_UNARY_DECL(erfinv)
#undef TS_UNARY_DECL
Tensor round(const Tensor& self, int64_t decimals = 0);
Tensor round_(const Tensor& self, int64_t decimals = 0);
Tensor nan_to_num(const Tensor& self, std::optional<double> nan = std::nullopt,
                  std::optional<double> posinf = std::nullopt, std::optional<double> neginf = std::nullopt);
Tensor nan_to_num_(const Tensor& self, std::optional<double> nan = std::nullopt,
                   std::optional<double> posinf = std::nullopt, std::optional<double> neginf = std::nullopt);

}  // namespace tessera::ops

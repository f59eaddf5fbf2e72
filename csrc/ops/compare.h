#pragma once
// Comparisons and logical ops (bool results), NaN/inf tests, allclose and equal.
#include "core/tensor.h"

namespace tessera::ops {

#define TS_COMPARE_DECL(name)                           \
  Tensor name(const Tensor& self, const Tensor& other); \
  Tensor name##_(const Tensor& self, const Tensor& other);
TS_COMPARE_DECL(eq)
TS_COMPARE_DECL(ne)
TS_COMPARE_DECL(lt)
TS_COMPARE_DECL(le)
TS_COMPARE_DECL(gt)
TS_COMPARE_DECL(ge)
TS_COMPARE_DECL(logical_and)
TS_COMPARE_DECL(logical_or)
TS_COMPARE_DECL(logical_xor)
#undef TS_COMPARE_DECL
Tensor logical_not(const Tensor& self);
Tensor logical_not_(const Tensor& self);
Tensor isnan(const Tensor& self);
Tensor isinf(const Tensor& self);
Tensor isfinite(const Tensor& self);
bool allclose(const Tensor& self, const Tensor& other, double rtol = 1e-5, double atol = 1e-8, bool equal_nan = false);
bool equal(const Tensor& self, const Tensor& other);

}  // namespace tessera::ops

// Backward formulas of where, masked_fill, the clamp family, lerp, addcmul and addcdiv.
// Python numbers arrive as wrapped 0-d tensors that never require grad, so one formula per op
// covers scalar and tensor arguments.
#include <functional>

#include "autograd/fn_backward.h"
#include "autograd/formula_utils.h"
#include "autograd/record.h"
#include "autograd/saved_tensor.h"
#include "dispatch/boxing.h"
#include "ops/binary.h"
#include "ops/compare.h"
#include "ops/creation.h"
#include "ops/ternary.h"
#include "ops/type_promotion.h"
#include "ops/unary.h"

namespace tessera {
namespace {

using autograd::Node;
using autograd::SavedTensor;
using autograd::TensorVec;

using autograd::FnBackward;
using autograd::record;

using F = FnBackward;
Tensor zero() {
  return wrapped_scalar(Scalar(0.0));
}
// g where `keep`, else 0.
Tensor keep_where(const Tensor& keep, const Tensor& g) {
  return ops::where(keep, g, zero());
}
bool is_wrapped(const Tensor& t) {
  return t.defined() && t.impl()->is_wrapped_number();
}

Tensor where_autograd(const Tensor& cond, const Tensor& self, const Tensor& other) {
  Tensor out = autograd::below_autograd([&] { return ops::where(cond, self, other); });
  return record("WhereBackward0", out, {&cond, &self, &other}, {&cond}, false,
                [](const F& n, const Tensor& g, const TensorVec& s) -> TensorVec {
                  TensorVec r(3);
                  if (n.needs(1)) r[1] = keep_where(s[0], g);
                  if (n.needs(2)) r[2] = ops::where(s[0], zero(), g);
                  return r;
                });
}

// value (a 0-d tensor) gets the sum of the gradient where the mask is set.
Tensor masked_fill_autograd(const Tensor& self, const Tensor& mask, const Tensor& value) {
  Tensor out = autograd::below_autograd([&] { return ops::masked_fill(self, mask, value); });
  return record(is_wrapped(value) ? "MaskedFillBackward0" : "MaskedFillBackward1", out, {&self, &mask, &value}, {&mask},
                false, [](const F& n, const Tensor& g, const TensorVec& s) -> TensorVec {
                  TensorVec r(3);
                  if (n.needs(0)) r[0] = ops::where(s[0], zero(), g);
                  if (n.needs(2)) r[2] = keep_where(s[0], g);
                  return r;
                });
}

// PyTorch's clamp_backward_min_max: self gets g where min <= x <= max; min gets g where it
// was applied (x < min, and min < max); max gets g where x > max or max < min (max wins).
Tensor clamp_autograd(const Tensor& self, const std::optional<Tensor>& min, const std::optional<Tensor>& max) {
  Tensor out = autograd::below_autograd([&] { return ops::clamp(self, min, max); });
  Tensor lo = min.value_or(Tensor()), hi = max.value_or(Tensor());
  const bool scalar_bounds = (!lo.defined() || is_wrapped(lo)) && (!hi.defined() || is_wrapped(hi));
  return record(scalar_bounds ? "ClampBackward1" : "ClampBackward0", out, {&self, &lo, &hi}, {&self, &lo, &hi}, false,
                [](const F& n, const Tensor& g, const TensorVec& s) -> TensorVec {
                  const Tensor &x = s[0], &lo = s[1], &hi = s[2];
                  TensorVec r(3);
                  if (lo.defined() && hi.defined()) {
                    if (n.needs(0)) r[0] = keep_where(ops::logical_and(ops::ge(x, lo), ops::le(x, hi)), g);
                    if (n.needs(1)) r[1] = keep_where(ops::logical_and(ops::lt(x, lo), ops::lt(lo, hi)), g);
                    if (n.needs(2)) r[2] = keep_where(ops::logical_or(ops::gt(x, hi), ops::lt(hi, lo)), g);
                  } else if (lo.defined()) {
                    if (n.needs(0)) r[0] = keep_where(ops::ge(x, lo), g);
                    if (n.needs(1)) r[1] = keep_where(ops::lt(x, lo), g);
                  } else if (hi.defined()) {
                    if (n.needs(0)) r[0] = keep_where(ops::le(x, hi), g);
                    if (n.needs(2)) r[2] = keep_where(ops::gt(x, hi), g);
                  } else if (n.needs(0)) {
                    r[0] = g;
                  }
                  return r;
                });
}

template <bool IsMin>
Tensor clamp_bound_autograd(const Tensor& self, const Tensor& bound) {
  Tensor out =
      autograd::below_autograd([&] { return IsMin ? ops::clamp_min(self, bound) : ops::clamp_max(self, bound); });
  const char* name = IsMin ? (is_wrapped(bound) ? "ClampMinBackward0" : "ClampMinBackward1")
                           : (is_wrapped(bound) ? "ClampMaxBackward0" : "ClampMaxBackward1");
  return record(name, out, {&self, &bound}, {&self, &bound}, false,
                [](const F& n, const Tensor& g, const TensorVec& s) -> TensorVec {
                  TensorVec r(2);
                  if (n.needs(0)) r[0] = keep_where(IsMin ? ops::ge(s[0], s[1]) : ops::le(s[0], s[1]), g);
                  if (n.needs(1)) r[1] = keep_where(IsMin ? ops::lt(s[0], s[1]) : ops::gt(s[0], s[1]), g);
                  return r;
                });
}

// out = self + weight * (end - self)
Tensor lerp_autograd(const Tensor& self, const Tensor& end, const Tensor& weight) {
  Tensor out = autograd::below_autograd([&] { return ops::lerp(self, end, weight); });
  return record(is_wrapped(weight) ? "LerpBackward0" : "LerpBackward1", out, {&self, &end, &weight},
                {&self, &end, &weight}, false, [](const F& n, const Tensor& g, const TensorVec& s) -> TensorVec {
                  const Tensor &a = s[0], &b = s[1], &w = s[2];
                  TensorVec r(3);
                  if (n.needs(0)) r[0] = ops::mul(g, ops::sub(wrapped_scalar(Scalar(1.0)), w));
                  if (n.needs(1)) r[1] = ops::mul(g, w);
                  if (n.needs(2)) r[2] = ops::mul(g, ops::sub(b, a));
                  return r;
                });
}

// self + value * t1 * t2
Tensor addcmul_autograd(const Tensor& self, const Tensor& t1, const Tensor& t2, const Scalar& value) {
  Tensor out = autograd::below_autograd([&] { return ops::addcmul(self, t1, t2, value); });
  return record("AddcmulBackward0", out, {&self, &t1, &t2}, {&t1, &t2}, false,
                [value](const F& n, const Tensor& g, const TensorVec& s) -> TensorVec {
                  TensorVec r(3);
                  Tensor gv = ops::mul(g, wrapped_scalar(value));
                  if (n.needs(0)) r[0] = g;
                  if (n.needs(1)) r[1] = ops::mul(gv, s[1]);
                  if (n.needs(2)) r[2] = ops::mul(gv, s[0]);
                  return r;
                });
}

// self + value * t1 / t2
Tensor addcdiv_autograd(const Tensor& self, const Tensor& t1, const Tensor& t2, const Scalar& value) {
  Tensor out = autograd::below_autograd([&] { return ops::addcdiv(self, t1, t2, value); });
  return record("AddcdivBackward0", out, {&self, &t1, &t2}, {&t1, &t2}, false,
                [value](const F& n, const Tensor& g, const TensorVec& s) -> TensorVec {
                  TensorVec r(3);
                  Tensor gv = ops::mul(g, wrapped_scalar(value));
                  if (n.needs(0)) r[0] = g;
                  if (n.needs(1)) r[1] = ops::div(gv, s[1]);
                  if (n.needs(2)) r[2] = ops::neg(ops::div(ops::mul(gv, s[0]), ops::mul(s[1], s[1])));
                  return r;
                });
}

}  // namespace

TS_REGISTER_KERNEL("where", Autograd, &where_autograd);
TS_REGISTER_KERNEL("masked_fill", Autograd, &masked_fill_autograd);
TS_REGISTER_KERNEL("clamp", Autograd, &clamp_autograd);
TS_REGISTER_KERNEL("clamp_min", Autograd, &clamp_bound_autograd<true>);
TS_REGISTER_KERNEL("clamp_max", Autograd, &clamp_bound_autograd<false>);
TS_REGISTER_KERNEL("lerp", Autograd, &lerp_autograd);
TS_REGISTER_KERNEL("addcmul", Autograd, &addcmul_autograd);
TS_REGISTER_KERNEL("addcdiv", Autograd, &addcdiv_autograd);

}  // namespace tessera

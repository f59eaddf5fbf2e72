// Backward formulas of where, masked_fill, the clamp family, lerp, addcmul and addcdiv.
// Python numbers arrive as wrapped 0-d tensors that never require grad, so one formula per op
// covers scalar and tensor arguments.
#include <functional>

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

// A node whose formula is a function of the incoming gradient and the saved tensors; the
// results are reduced to each input's shape and dtype (broadcasting, promotion).
struct FnBackward final : Node {
  using Formula = std::function<TensorVec(const FnBackward&, const Tensor&, const TensorVec&)>;
  std::string op_name;
  std::vector<SavedTensor> saved;
  std::vector<std::pair<DimVector, DType>> inputs;
  Formula formula;
  std::string name() const override { return op_name; }
  bool needs(size_t i) const { return next_edges()[i].valid(); }
  TensorVec apply(TensorVec&& g) override {
    auto me = shared_from_this();
    TensorVec s;
    for (const auto& t : saved) s.push_back(t.unpack(me));
    TensorVec r = formula(*this, g[0], s);
    r.resize(inputs.size());
    for (size_t i = 0; i < r.size(); ++i) {
      if (!needs(i) || !r[i].defined()) {
        r[i] = Tensor();
        continue;
      }
      r[i] = autograd::reduce_grad(r[i], inputs[i].first, inputs[i].second);
    }
    return r;
  }
  void release_saved() override {
    for (auto& t : saved) t.reset();
  }
};

// Records `out` as the result of a FnBackward node over `ins` (when one requires grad). `save`
// lists the input tensors the formula needs; `save_out` appends the output (saved after
// set_history, as the rules require).
Tensor record(const char* name, const Tensor& out, std::initializer_list<const Tensor*> ins,
              std::initializer_list<const Tensor*> save, bool save_out, FnBackward::Formula f) {
  // Integer and bool results never carry gradients (PyTorch: x.to(torch.long) does not require grad).
  if (!is_floating(out.dtype())) return out;
  auto n = autograd::make_node<FnBackward>(ins);
  if (!n) return out;
  n->op_name = name;
  for (const Tensor* t : ins) {
    n->inputs.emplace_back(t->defined() ? DimVector(t->sizes()) : DimVector(), t->defined() ? t->dtype() : out.dtype());
  }
  for (const Tensor* t : save) n->saved.emplace_back(*t, false);  // undefined stays undefined
  n->formula = std::move(f);
  autograd::set_history(out, n);
  if (save_out) n->saved.emplace_back(out, true);
  return out;
}

using F = FnBackward;
Tensor zero() { return wrapped_scalar(Scalar(0.0)); }
// g where `keep`, else 0.
Tensor keep_where(const Tensor& keep, const Tensor& g) { return ops::where(keep, g, zero()); }
bool is_wrapped(const Tensor& t) { return t.defined() && t.impl()->is_wrapped_number(); }

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
  return record(is_wrapped(value) ? "MaskedFillBackward0" : "MaskedFillBackward1", out, {&self, &mask, &value},
                {&mask}, false, [](const F& n, const Tensor& g, const TensorVec& s) -> TensorVec {
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
  Tensor out = autograd::below_autograd([&] { return IsMin ? ops::clamp_min(self, bound) : ops::clamp_max(self, bound); });
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

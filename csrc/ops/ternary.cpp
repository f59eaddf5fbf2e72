// Front-ends of where, masked_fill, lerp, addcmul/addcdiv and clamp.
#include "ops/ternary.h"

#include "dispatch/boxing.h"
#include "ops/elementwise_util.h"
#include "ops/ternary_stubs.h"

namespace tessera {

TS_DEFINE_STUB(ternary_stub, "ternary", void(const TensorIterator&, TernaryOp, const Scalar&));

namespace {

void run_ternary(const TensorIterator& it, TernaryOp op, const Scalar& value = Scalar()) {
  ternary_stub(it.device(), it, op, value);
}

Tensor where_kernel(const Tensor& cond, const Tensor& a, const Tensor& b) {
  TS_CHECK(cond.defined() && a.defined() && b.defined(), "[where] expected defined tensors");
  TS_CHECK(cond.dtype() == DType::Bool,
           "[where] expected condition to be a boolean tensor, but got a tensor with dtype ",
           torch_dtype_name(cond.dtype()));
  DType dt = result_type(a, b);
  return run_elementwise("where", {{cond, DType::Bool}, {a, dt}, {b, dt}}, dt, nullptr,
                         [&](const TensorIterator& it) { run_ternary(it, TernaryOp::Where); });
}

Tensor masked_fill_impl(const char* name, const Tensor& self, const Tensor& mask, const Tensor& value,
                        const Tensor* inplace) {
  TS_CHECK(self.defined() && mask.defined() && value.defined(), "[", name, "] expected defined tensors");
  TS_CHECK(mask.dtype() == DType::Bool, "[", name, "] only supports boolean masks, but got mask with dtype ",
           dtype_name(mask.dtype()));
  TS_CHECK(value.dim() == 0, "[", name, "] only supports a 0-dimensional value tensor, but got tensor with ",
           value.dim(), " dimension(s).");
  const DType dt = self.dtype();
  return run_elementwise(name, {{mask, DType::Bool}, {value, dt}, {self, dt}}, dt, inplace,
                         [&](const TensorIterator& it) { run_ternary(it, TernaryOp::Where); });
}
Tensor masked_fill_kernel(const Tensor& self, const Tensor& mask, const Tensor& value) {
  return masked_fill_impl("masked_fill", self, mask, value, nullptr);
}
Tensor masked_fill__kernel(const Tensor& self, const Tensor& mask, const Tensor& value) {
  return masked_fill_impl("masked_fill_", self, mask, value, &self);
}

Tensor lerp_impl(const char* name, const Tensor& self, const Tensor& end, const Tensor& weight, const Tensor* inplace) {
  TS_CHECK(self.defined() && end.defined() && weight.defined(), "[", name, "] expected defined tensors");
  const DType dt = self.dtype();
  TS_CHECK_NOT_IMPLEMENTED(is_floating(dt), "[", name, "] not implemented for '", torch_dtype_name(dt), "'");
  TS_CHECK(end.dtype() == dt, "[", name, "] expected dtype ", dtype_name(dt), " for `end` but got dtype ",
           dtype_name(end.dtype()));
  if (weight.impl()->is_wrapped_number()) {
    // Python number weight: stays a scalar of the kernel (wrapped numbers are float64/int64/bool).
    const DType wt = weight.dtype();
    const double wv = wt == DType::Float64 ? *weight.data<double>()
                      : wt == DType::Int64 ? static_cast<double>(*weight.data<int64_t>())
                                           : static_cast<double>(*weight.data<bool>());
    const Scalar w(wv);
    return run_elementwise(name, {{self, dt}, {end, dt}}, dt, inplace,
                           [&](const TensorIterator& it) { run_ternary(it, TernaryOp::Lerp, w); });
  }
  TS_CHECK(weight.dtype() == dt || weight.dim() == 0, "[", name, "] expected dtype ", dtype_name(dt),
           " for `weight` but got dtype ", dtype_name(weight.dtype()));
  return run_elementwise(name, {{self, dt}, {end, dt}, {weight, dt}}, dt, inplace,
                         [&](const TensorIterator& it) { run_ternary(it, TernaryOp::Lerp); });
}
Tensor lerp_kernel(const Tensor& s, const Tensor& e, const Tensor& w) {
  return lerp_impl("lerp", s, e, w, nullptr);
}
Tensor lerp__kernel(const Tensor& s, const Tensor& e, const Tensor& w) {
  return lerp_impl("lerp_", s, e, w, &s);
}

Tensor addc_impl(const char* name, TernaryOp op, const Tensor& self, const Tensor& t1, const Tensor& t2,
                 const Scalar& value, const Tensor* inplace) {
  TS_CHECK(self.defined() && t1.defined() && t2.defined(), "[", name, "] expected defined tensors");
  if (op == TernaryOp::Addcdiv) {
    TS_CHECK(!is_integral(t1.dtype(), true) || !is_integral(t2.dtype(), true), "[", name,
             "] Integer division with addcdiv is no longer supported, and in a future release addcdiv will perform "
             "a true division of tensor1 and tensor2. Use addcdiv with float tensors instead.");
  }
  DType dt = result_type({&self, &t1, &t2});
  return run_elementwise(name, {{self, dt}, {t1, dt}, {t2, dt}}, dt, inplace,
                         [&](const TensorIterator& it) { run_ternary(it, op, value); });
}
Tensor addcmul_kernel(const Tensor& s, const Tensor& a, const Tensor& b, const Scalar& v) {
  return addc_impl("addcmul", TernaryOp::Addcmul, s, a, b, v, nullptr);
}
Tensor addcmul__kernel(const Tensor& s, const Tensor& a, const Tensor& b, const Scalar& v) {
  return addc_impl("addcmul_", TernaryOp::Addcmul, s, a, b, v, &s);
}
Tensor addcdiv_kernel(const Tensor& s, const Tensor& a, const Tensor& b, const Scalar& v) {
  return addc_impl("addcdiv", TernaryOp::Addcdiv, s, a, b, v, nullptr);
}
Tensor addcdiv__kernel(const Tensor& s, const Tensor& a, const Tensor& b, const Scalar& v) {
  return addc_impl("addcdiv_", TernaryOp::Addcdiv, s, a, b, v, &s);
}

Tensor clamp_impl(const char* name, const Tensor& self, const std::optional<Tensor>& min,
                  const std::optional<Tensor>& max, const Tensor* inplace) {
  TS_CHECK(self.defined(), "[", name, "] expected a defined tensor");
  const bool has_min = min && min->defined(), has_max = max && max->defined();
  TS_CHECK(has_min || has_max, "[", name, "] At least one of 'min' or 'max' must not be None");
  Tensor lo = has_min ? *min : Tensor(), hi = has_max ? *max : Tensor();
  DType dt = result_type({&self, &lo, &hi});
  auto fn = [&](TernaryOp op) { return [&, op](const TensorIterator& it) { run_ternary(it, op); }; };
  if (has_min && has_max)
    return run_elementwise(name, {{self, dt}, {lo, dt}, {hi, dt}}, dt, inplace, fn(TernaryOp::Clamp));
  if (has_min) return run_elementwise(name, {{self, dt}, {lo, dt}}, dt, inplace, fn(TernaryOp::ClampMin));
  return run_elementwise(name, {{self, dt}, {hi, dt}}, dt, inplace, fn(TernaryOp::ClampMax));
}
Tensor clamp_kernel(const Tensor& s, const std::optional<Tensor>& lo, const std::optional<Tensor>& hi) {
  return clamp_impl("clamp", s, lo, hi, nullptr);
}
Tensor clamp__kernel(const Tensor& s, const std::optional<Tensor>& lo, const std::optional<Tensor>& hi) {
  return clamp_impl("clamp_", s, lo, hi, &s);
}
Tensor clamp_min_kernel(const Tensor& s, const Tensor& lo) {
  return clamp_impl("clamp_min", s, lo, std::nullopt, nullptr);
}
Tensor clamp_min__kernel(const Tensor& s, const Tensor& lo) {
  return clamp_impl("clamp_min_", s, lo, std::nullopt, &s);
}
Tensor clamp_max_kernel(const Tensor& s, const Tensor& hi) {
  return clamp_impl("clamp_max", s, std::nullopt, hi, nullptr);
}
Tensor clamp_max__kernel(const Tensor& s, const Tensor& hi) {
  return clamp_impl("clamp_max_", s, std::nullopt, hi, &s);
}

}  // namespace

TS_REGISTER_OP_ALL_BACKENDS("where(Tensor condition, Tensor self, Tensor other) -> Tensor", &where_kernel);
TS_REGISTER_OP_ALL_BACKENDS("masked_fill(Tensor self, Tensor mask, Tensor value) -> Tensor", &masked_fill_kernel);
TS_REGISTER_OP_ALL_BACKENDS("masked_fill_(Tensor self, Tensor mask, Tensor value) -> Tensor", &masked_fill__kernel);
TS_REGISTER_OP_ALL_BACKENDS("lerp(Tensor self, Tensor end, Tensor weight) -> Tensor", &lerp_kernel);
TS_REGISTER_OP_ALL_BACKENDS("lerp_(Tensor self, Tensor end, Tensor weight) -> Tensor", &lerp__kernel);
TS_REGISTER_OP_ALL_BACKENDS("addcmul(Tensor self, Tensor tensor1, Tensor tensor2, *, Scalar value=1) -> Tensor",
                            &addcmul_kernel);
TS_REGISTER_OP_ALL_BACKENDS("addcmul_(Tensor self, Tensor tensor1, Tensor tensor2, *, Scalar value=1) -> Tensor",
                            &addcmul__kernel);
TS_REGISTER_OP_ALL_BACKENDS("addcdiv(Tensor self, Tensor tensor1, Tensor tensor2, *, Scalar value=1) -> Tensor",
                            &addcdiv_kernel);
TS_REGISTER_OP_ALL_BACKENDS("addcdiv_(Tensor self, Tensor tensor1, Tensor tensor2, *, Scalar value=1) -> Tensor",
                            &addcdiv__kernel);
TS_REGISTER_OP_ALL_BACKENDS("clamp(Tensor self, Tensor? min=None, Tensor? max=None) -> Tensor", &clamp_kernel);
TS_REGISTER_OP_ALL_BACKENDS("clamp_(Tensor self, Tensor? min=None, Tensor? max=None) -> Tensor", &clamp__kernel);
TS_REGISTER_OP_ALL_BACKENDS("clamp_min(Tensor self, Tensor min) -> Tensor", &clamp_min_kernel);
TS_REGISTER_OP_ALL_BACKENDS("clamp_min_(Tensor self, Tensor min) -> Tensor", &clamp_min__kernel);
TS_REGISTER_OP_ALL_BACKENDS("clamp_max(Tensor self, Tensor max) -> Tensor", &clamp_max_kernel);
TS_REGISTER_OP_ALL_BACKENDS("clamp_max_(Tensor self, Tensor max) -> Tensor", &clamp_max__kernel);

namespace ops {
using T3 = TypedOp<Tensor(const Tensor&, const Tensor&, const Tensor&)>;
using TC = TypedOp<Tensor(const Tensor&, const Tensor&, const Tensor&, const Scalar&)>;
using TClamp = TypedOp<Tensor(const Tensor&, const std::optional<Tensor>&, const std::optional<Tensor>&)>;
using T2 = TypedOp<Tensor(const Tensor&, const Tensor&)>;
Tensor where(const Tensor& c, const Tensor& a, const Tensor& b) {
  static T3 op("where");
  return op(c, a, b);
}
Tensor masked_fill(const Tensor& s, const Tensor& m, const Tensor& v) {
  static T3 op("masked_fill");
  return op(s, m, v);
}
Tensor masked_fill_(const Tensor& s, const Tensor& m, const Tensor& v) {
  static T3 op("masked_fill_");
  return op(s, m, v);
}
Tensor lerp(const Tensor& s, const Tensor& e, const Tensor& w) {
  static T3 op("lerp");
  return op(s, e, w);
}
Tensor lerp_(const Tensor& s, const Tensor& e, const Tensor& w) {
  static T3 op("lerp_");
  return op(s, e, w);
}
Tensor addcmul(const Tensor& s, const Tensor& a, const Tensor& b, const Scalar& v) {
  static TC op("addcmul");
  return op(s, a, b, v);
}
Tensor addcmul_(const Tensor& s, const Tensor& a, const Tensor& b, const Scalar& v) {
  static TC op("addcmul_");
  return op(s, a, b, v);
}
Tensor addcdiv(const Tensor& s, const Tensor& a, const Tensor& b, const Scalar& v) {
  static TC op("addcdiv");
  return op(s, a, b, v);
}
Tensor addcdiv_(const Tensor& s, const Tensor& a, const Tensor& b, const Scalar& v) {
  static TC op("addcdiv_");
  return op(s, a, b, v);
}
Tensor clamp(const Tensor& s, const std::optional<Tensor>& lo, const std::optional<Tensor>& hi) {
  static TClamp op("clamp");
  return op(s, lo, hi);
}
Tensor clamp_(const Tensor& s, const std::optional<Tensor>& lo, const std::optional<Tensor>& hi) {
  static TClamp op("clamp_");
  return op(s, lo, hi);
}
Tensor clamp_min(const Tensor& s, const Tensor& lo) {
  static T2 op("clamp_min");
  return op(s, lo);
}
Tensor clamp_min_(const Tensor& s, const Tensor& lo) {
  static T2 op("clamp_min_");
  return op(s, lo);
}
Tensor clamp_max(const Tensor& s, const Tensor& hi) {
  static T2 op("clamp_max");
  return op(s, hi);
}
Tensor clamp_max_(const Tensor& s, const Tensor& hi) {
  static T2 op("clamp_max_");
  return op(s, hi);
}
}  // namespace ops
}  // namespace tessera

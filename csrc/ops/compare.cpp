// Front-ends of comparisons and logical ops: inputs in their common dtype, bool output.
#include "ops/compare.h"

#include <string>

#include "dispatch/boxing.h"
#include "ops/binary.h"
#include "ops/compare_stubs.h"
#include "ops/elementwise_util.h"
#include "ops/unary.h"

namespace tessera {

TS_DEFINE_STUB(compare_stub, "compare", void(const TensorIterator&, CompareOp));

namespace {

const char* compare_name(CompareOp op) {
  constexpr const char* names[] = {"eq",    "ne",          "lt",         "le",          "gt",
                                   "ge",    "logical_and", "logical_or", "logical_xor", "logical_not",
                                   "isnan", "isinf",       "isfinite"};
  return names[static_cast<int>(op)];
}

Tensor compare_impl(CompareOp op, const char* name, const Tensor& a, const Tensor& b, const Tensor* inplace) {
  TS_CHECK(a.defined() && b.defined(), "[", name, "] expected defined tensors");
  DType dt = result_type(a, b);
  return run_elementwise(name, {{a, dt}, {b, dt}}, DType::Bool, inplace,
                         [&](const TensorIterator& it) { compare_stub(it.device(), it, op); });
}

template <CompareOp Op>
Tensor compare_kernel(const Tensor& a, const Tensor& b) {
  return compare_impl(Op, compare_name(Op), a, b, nullptr);
}
template <CompareOp Op>
Tensor compare_inplace_kernel(const Tensor& a, const Tensor& b) {
  static const std::string name = std::string(compare_name(Op)) + "_";
  return compare_impl(Op, name.c_str(), a, b, &a);
}

template <CompareOp Op>
Tensor unary_compare_kernel(const Tensor& a) {
  const char* name = compare_name(Op);
  TS_CHECK(a.defined(), "[", name, "] expected a defined tensor");
  return run_elementwise(name, {{a, a.dtype()}}, DType::Bool, nullptr,
                         [&](const TensorIterator& it) { compare_stub(it.device(), it, Op); });
}
Tensor logical_not__kernel(const Tensor& a) {
  TS_CHECK(a.defined(), "[logical_not_] expected a defined tensor");
  return run_elementwise("logical_not_", {{a, a.dtype()}}, DType::Bool, &a,
                         [&](const TensorIterator& it) { compare_stub(it.device(), it, CompareOp::LogicalNot); });
}

// True when every element of a bool tensor is true.
bool all_true(const Tensor& t) {
  Tensor c = ops::contiguous(ops::to(t, Device(DeviceType::CPU), DType::Bool));
  const bool* p = c.data<bool>();
  for (int64_t i = 0, n = c.numel(); i < n; ++i)
    if (!p[i]) return false;
  return true;
}

bool allclose_kernel(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  TS_CHECK(a.defined() && b.defined(), "[allclose] expected defined tensors");
  TS_CHECK(a.dtype() == b.dtype(), "[allclose] ", torch_dtype_name(b.dtype()), " did not match ",
           torch_dtype_name(a.dtype()));
  TS_CHECK(rtol >= 0, "[allclose] rtol must be greater than or equal to zero, but got ", rtol);
  TS_CHECK(atol >= 0, "[allclose] atol must be greater than or equal to zero, but got ", atol);
  broadcast_shapes(a.sizes(), b.sizes(), "allclose");  // raises on mismatch
  // |a - b| <= atol + rtol * |b|, computed in a floating dtype; equal values (infinities) are close.
  DType ft = is_floating(a.dtype()) ? a.dtype() : DType::Float64;
  if (ft == DType::Float16 || ft == DType::BFloat16) ft = DType::Float32;
  Tensor x = to_dtype(a, ft), y = to_dtype(b, ft);
  Tensor close = ops::eq(x, y);
  Tensor diff = ops::abs(ops::sub(x, y));
  Tensor tol = ops::add(wrapped_scalar(atol), ops::abs(y), rtol);
  Tensor finite_close = ops::le(diff, tol);
  close = ops::logical_or(close, finite_close);
  if (equal_nan) close = ops::logical_or(close, ops::logical_and(ops::isnan(x), ops::isnan(y)));
  return all_true(close);
}

bool equal_kernel(const Tensor& a, const Tensor& b) {
  TS_CHECK(a.defined() && b.defined(), "[equal] expected defined tensors");
  TS_CHECK(a.device() == b.device(), "[equal] Expected all tensors to be on the same device, but found ",
           a.device().str(), " and ", b.device().str());
  if (a.dim() != b.dim() || !std::equal(a.sizes().begin(), a.sizes().end(), b.sizes().begin())) return false;
  return all_true(ops::eq(a, b));
}

}  // namespace

#define TS_COMPARE_OP_DEF(name, Op) TS_DEFINE_BINARY_PAIR(name, &compare_kernel<CompareOp::Op>, &compare_inplace_kernel<CompareOp::Op>)
TS_COMPARE_OP_DEF(eq, Eq)
TS_COMPARE_OP_DEF(ne, Ne)
TS_COMPARE_OP_DEF(lt, Lt)
TS_COMPARE_OP_DEF(le, Le)
TS_COMPARE_OP_DEF(gt, Gt)
TS_COMPARE_OP_DEF(ge, Ge)
TS_COMPARE_OP_DEF(logical_and, LogicalAnd)
TS_COMPARE_OP_DEF(logical_or, LogicalOr)
TS_COMPARE_OP_DEF(logical_xor, LogicalXor)
#undef TS_COMPARE_OP_DEF

#define TS_UNARY_COMPARE_DEF(name, Op)                                                                \
  TS_REGISTER_OP_ALL_BACKENDS(#name "(Tensor self) -> Tensor", &unary_compare_kernel<CompareOp::Op>); \
  namespace ops {                                                                                     \
  Tensor name(const Tensor& self) {                                                                   \
    static TypedOp<Tensor(const Tensor&)> op(#name);                                                  \
    return op(self);                                                                                  \
  }                                                                                                   \
  }
TS_UNARY_COMPARE_DEF(logical_not, LogicalNot)
TS_UNARY_COMPARE_DEF(isnan, IsNan)
TS_UNARY_COMPARE_DEF(isinf, IsInf)
TS_UNARY_COMPARE_DEF(isfinite, IsFinite)
#undef TS_UNARY_COMPARE_DEF

TS_REGISTER_OP_ALL_BACKENDS("logical_not_(Tensor self) -> Tensor", &logical_not__kernel);
TS_REGISTER_OP_ALL_BACKENDS(
    "allclose(Tensor self, Tensor other, float rtol=1e-05, float atol=1e-08, bool equal_nan=False) -> bool",
    &allclose_kernel);
TS_REGISTER_OP_ALL_BACKENDS("equal(Tensor self, Tensor other) -> bool", &equal_kernel);

namespace ops {
Tensor logical_not_(const Tensor& self) {
  static TypedOp<Tensor(const Tensor&)> op("logical_not_");
  return op(self);
}
bool allclose(const Tensor& self, const Tensor& other, double rtol, double atol, bool equal_nan) {
  static TypedOp<bool(const Tensor&, const Tensor&, double, double, bool)> op("allclose");
  return op(self, other, rtol, atol, equal_nan);
}
bool equal(const Tensor& self, const Tensor& other) {
  static TypedOp<bool(const Tensor&, const Tensor&)> op("equal");
  return op(self, other);
}
}  // namespace ops
}  // namespace tessera

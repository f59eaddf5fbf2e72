// Front-ends of the unary math ops. Ops with a floating result (sqrt, exp ...) compute integer
// and bool inputs in float32; the rest keep the input dtype.
#include "ops/unary.h"

#include <string>

#include "dispatch/boxing.h"
#include "ops/elementwise_util.h"
#include "ops/unary_stubs.h"

namespace tessera {

TS_DEFINE_STUB(unary_stub, "unary", void(const TensorIterator&, UnaryOp, int64_t));
TS_DEFINE_STUB(nan_to_num_stub, "nan_to_num",
               void(const TensorIterator&, double, std::optional<double>, std::optional<double>));

namespace {

Tensor unary_impl(UnaryOp op, const char* name, const Tensor& self, int64_t arg, const Tensor* inplace) {
  TS_CHECK(self.defined(), "[", name, "] expected a defined tensor");
  const DType in = self.dtype();
  DType dt = unary_op_is_floating_only(op) ? to_float_dtype(in) : in;
  switch (op) {
    case UnaryOp::Neg:
      TS_CHECK(in != DType::Bool, "[", name,
               "] Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, "
               "use the `~` or `logical_not()` operator instead.");
      break;
    case UnaryOp::Abs:
    case UnaryOp::Floor:
    case UnaryOp::Ceil:
    case UnaryOp::Trunc:
      TS_CHECK_NOT_IMPLEMENTED(in != DType::Bool, "[", name, "] not implemented for 'Bool'");
      break;
    case UnaryOp::Round:
      TS_CHECK_NOT_IMPLEMENTED(in != DType::Bool, "[", name, "] not implemented for 'Bool'");
      TS_CHECK_NOT_IMPLEMENTED(arg == 0 || is_floating(in), "[", name, "] not implemented for '", torch_dtype_name(in),
                               "' with decimals != 0");
      break;
    case UnaryOp::BitwiseNot:
      TS_CHECK_NOT_IMPLEMENTED(!is_floating(in), "[", name, "] not implemented for '", torch_dtype_name(in), "'");
      break;
    default:
      break;
  }
  return run_elementwise(name, {{self, dt}}, dt, inplace,
                         [&](const TensorIterator& it) { unary_stub(it.device(), it, op, arg); });
}

const char* unary_name(UnaryOp op) {
  constexpr const char* names[] = {"neg",         "abs",        "sign",  "floor", "ceil", "trunc", "round",
                                   "bitwise_not", "reciprocal", "sqrt",  "rsqrt", "exp",  "exp2",  "expm1",
                                   "log",         "log2",       "log10", "log1p", "sin",  "cos",   "tan",
                                   "tanh",        "sigmoid",    "erf",   "erfinv"};
  return names[static_cast<int>(op)];
}

template <UnaryOp Op>
Tensor unary_kernel(const Tensor& self) {
  return unary_impl(Op, unary_name(Op), self, 0, nullptr);
}
template <UnaryOp Op>
Tensor unary_inplace_kernel(const Tensor& self) {
  static const std::string name = std::string(unary_name(Op)) + "_";
  return unary_impl(Op, name.c_str(), self, 0, &self);
}

Tensor round_kernel(const Tensor& self, int64_t decimals) {
  return unary_impl(UnaryOp::Round, "round", self, decimals, nullptr);
}
Tensor round__kernel(const Tensor& self, int64_t decimals) {
  return unary_impl(UnaryOp::Round, "round_", self, decimals, &self);
}

Tensor nan_to_num_impl(const char* name, const Tensor& self, std::optional<double> nan, std::optional<double> posinf,
                       std::optional<double> neginf, const Tensor* inplace) {
  TS_CHECK(self.defined(), "[", name, "] expected a defined tensor");
  const DType dt = self.dtype();
  return run_elementwise(name, {{self, dt}}, dt, inplace, [&](const TensorIterator& it) {
    if (is_floating(dt)) {
      nan_to_num_stub(it.device(), it, nan.value_or(0.0), posinf, neginf);
    } else {
      ops::copy_(it.output(), it.output(1));  // nothing to replace in integers
    }
  });
}
Tensor nan_to_num_kernel(const Tensor& self, std::optional<double> nan, std::optional<double> posinf,
                         std::optional<double> neginf) {
  return nan_to_num_impl("nan_to_num", self, nan, posinf, neginf, nullptr);
}
Tensor nan_to_num__kernel(const Tensor& self, std::optional<double> nan, std::optional<double> posinf,
                          std::optional<double> neginf) {
  return nan_to_num_impl("nan_to_num_", self, nan, posinf, neginf, &self);
}

}  // namespace

#define TS_UNARY_OP_DEF(name, Op)                                                                    \
  TS_REGISTER_OP_ALL_BACKENDS(#name "(Tensor self) -> Tensor", &unary_kernel<UnaryOp::Op>);          \
  TS_REGISTER_OP_ALL_BACKENDS(#name "_(Tensor self) -> Tensor", &unary_inplace_kernel<UnaryOp::Op>); \
  namespace ops {                                                                                    \
  Tensor name(const Tensor& self) {                                                                  \
    static TypedOp<Tensor(const Tensor&)> op(#name);                                                 \
    return op(self);                                                                                 \
  }                                                                                                  \
  Tensor name##_(const Tensor& self) {                                                               \
    static TypedOp<Tensor(const Tensor&)> op(#name "_");                                             \
    return op(self);                                                                                 \
  }                                                                                                  \
  }
TS_UNARY_OP_DEF(neg, Neg)
TS_UNARY_OP_DEF(abs, Abs)
TS_UNARY_OP_DEF(sign, Sign)
TS_UNARY_OP_DEF(floor, Floor)
TS_UNARY_OP_DEF(ceil, Ceil)
TS_UNARY_OP_DEF(trunc, Trunc)
TS_UNARY_OP_DEF(bitwise_not, BitwiseNot)
TS_UNARY_OP_DEF(reciprocal, Reciprocal)
TS_UNARY_OP_DEF(sqrt, Sqrt)
TS_UNARY_OP_DEF(rsqrt, Rsqrt)
TS_UNARY_OP_DEF(exp, Exp)
TS_UNARY_OP_DEF(exp2, Exp2)
TS_UNARY_OP_DEF(expm1, Expm1)
TS_UNARY_OP_DEF(log, Log)
TS_UNARY_OP_DEF(log2, Log2)
TS_UNARY_OP_DEF(log10, Log10)
TS_UNARY_OP_DEF(log1p, Log1p)
TS_UNARY_OP_DEF(sin, Sin)
TS_UNARY_OP_DEF(cos, Cos)
TS_UNARY_OP_DEF(tan, Tan)
TS_UNARY_OP_DEF(tanh, Tanh)
TS_UNARY_OP_DEF(sigmoid, Sigmoid)
TS_UNARY_OP_DEF(erf, Erf)
TS_UNARY_OP_DEF(erfinv, Erfinv)
#undef TS_UNARY_OP_DEF

TS_REGISTER_OP_ALL_BACKENDS("round(Tensor self, *, int decimals=0) -> Tensor", &round_kernel);
TS_REGISTER_OP_ALL_BACKENDS("round_(Tensor self, *, int decimals=0) -> Tensor", &round__kernel);
TS_REGISTER_OP_ALL_BACKENDS(
    "nan_to_num(Tensor self, float? nan=None, float? posinf=None, float? neginf=None) -> Tensor", &nan_to_num_kernel);
TS_REGISTER_OP_ALL_BACKENDS(
    "nan_to_num_(Tensor self, float? nan=None, float? posinf=None, float? neginf=None) -> Tensor", &nan_to_num__kernel);

namespace ops {
Tensor round(const Tensor& self, int64_t decimals) {
  static TypedOp<Tensor(const Tensor&, int64_t)> op("round");
  return op(self, decimals);
}
Tensor round_(const Tensor& self, int64_t decimals) {
  static TypedOp<Tensor(const Tensor&, int64_t)> op("round_");
  return op(self, decimals);
}
Tensor nan_to_num(const Tensor& self, std::optional<double> nan, std::optional<double> posinf,
                  std::optional<double> neginf) {
  static TypedOp<Tensor(const Tensor&, std::optional<double>, std::optional<double>, std::optional<double>)> op(
      "nan_to_num");
  return op(self, nan, posinf, neginf);
}
Tensor nan_to_num_(const Tensor& self, std::optional<double> nan, std::optional<double> posinf,
                   std::optional<double> neginf) {
  static TypedOp<Tensor(const Tensor&, std::optional<double>, std::optional<double>, std::optional<double>)> op(
      "nan_to_num_");
  return op(self, nan, posinf, neginf);
}
}  // namespace ops
}  // namespace tessera

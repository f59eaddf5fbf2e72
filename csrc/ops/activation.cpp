// Front-ends of the pointwise activations: dtype checks as PyTorch, then activation_stub.
#include "ops/activation.h"

#include "dispatch/boxing.h"
#include "ops/activation_stubs.h"
#include "ops/elementwise_util.h"

namespace tessera {

TS_DEFINE_STUB(activation_stub, "activation", void(const TensorIterator&, ActOp, double, double));

namespace {

Tensor act_impl(const char* name, ActOp op, const Tensor& self, double p0, double p1, const Tensor* inplace) {
  TS_CHECK(self.defined(), "[", name, "] expected a defined tensor");
  const DType dt = self.dtype();
  if (op == ActOp::Relu) {
    TS_CHECK(dt != DType::Bool, "[", name, "] Boolean inputs not supported for relu");
  } else if (op == ActOp::Hardtanh) {
    TS_CHECK(dt != DType::Bool, "[", name, "] Bool inputs not supported for hardtanh");
    TS_CHECK(dt != DType::UInt8 || (static_cast<int64_t>(p0) >= 0 && static_cast<int64_t>(p1) >= 0), "[", name,
             "] cannot do hardtanh on an unsigned type with negative limits");
  } else {
    TS_CHECK_NOT_IMPLEMENTED(is_floating(dt), "[", name, "] not implemented for '", torch_dtype_name(dt), "'");
  }
  return run_elementwise(name, {{self, dt}}, dt, inplace,
                         [&](const TensorIterator& it) { activation_stub(it.device(), it, op, p0, p1); });
}

ActOp gelu_op(const char* name, std::string_view approximate) {
  if (approximate == "none") return ActOp::Gelu;
  if (approximate == "tanh") return ActOp::GeluTanh;
  TS_FAIL(Runtime, "[", name, "] approximate argument must be either none or tanh.");
}

Tensor relu_kernel(const Tensor& s) {
  return act_impl("relu", ActOp::Relu, s, 0, 0, nullptr);
}
Tensor relu__kernel(const Tensor& s) {
  return act_impl("relu_", ActOp::Relu, s, 0, 0, &s);
}
Tensor silu_kernel(const Tensor& s) {
  return act_impl("silu", ActOp::Silu, s, 0, 0, nullptr);
}
Tensor silu__kernel(const Tensor& s) {
  return act_impl("silu_", ActOp::Silu, s, 0, 0, &s);
}
Tensor gelu_kernel(const Tensor& s, std::string_view a) {
  return act_impl("gelu", gelu_op("gelu", a), s, 0, 0, nullptr);
}
Tensor gelu__kernel(const Tensor& s, std::string_view a) {
  return act_impl("gelu_", gelu_op("gelu_", a), s, 0, 0, &s);
}
Tensor softplus_kernel(const Tensor& s, double beta, double threshold) {
  return act_impl("softplus", ActOp::Softplus, s, beta, threshold, nullptr);
}
Tensor leaky_relu_kernel(const Tensor& s, double slope) {
  return act_impl("leaky_relu", ActOp::LeakyRelu, s, slope, 0, nullptr);
}
Tensor leaky_relu__kernel(const Tensor& s, double slope) {
  return act_impl("leaky_relu_", ActOp::LeakyRelu, s, slope, 0, &s);
}
Tensor elu_kernel(const Tensor& s, double alpha) {
  return act_impl("elu", ActOp::Elu, s, alpha, 0, nullptr);
}
Tensor elu__kernel(const Tensor& s, double alpha) {
  return act_impl("elu_", ActOp::Elu, s, alpha, 0, &s);
}
Tensor hardtanh_kernel(const Tensor& s, double lo, double hi) {
  return act_impl("hardtanh", ActOp::Hardtanh, s, lo, hi, nullptr);
}
Tensor hardtanh__kernel(const Tensor& s, double lo, double hi) {
  return act_impl("hardtanh_", ActOp::Hardtanh, s, lo, hi, &s);
}

}  // namespace

TS_REGISTER_OP_ALL_BACKENDS("relu(Tensor self) -> Tensor", &relu_kernel);
TS_REGISTER_OP_ALL_BACKENDS("relu_(Tensor self) -> Tensor", &relu__kernel);
TS_REGISTER_OP_ALL_BACKENDS("silu(Tensor self) -> Tensor", &silu_kernel);
TS_REGISTER_OP_ALL_BACKENDS("silu_(Tensor self) -> Tensor", &silu__kernel);
TS_REGISTER_OP_ALL_BACKENDS("gelu(Tensor self, *, str approximate='none') -> Tensor", &gelu_kernel);
TS_REGISTER_OP_ALL_BACKENDS("gelu_(Tensor self, *, str approximate='none') -> Tensor", &gelu__kernel);
TS_REGISTER_OP_ALL_BACKENDS("softplus(Tensor self, float beta=1.0, float threshold=20.0) -> Tensor", &softplus_kernel);
TS_REGISTER_OP_ALL_BACKENDS("leaky_relu(Tensor self, float negative_slope=0.01) -> Tensor", &leaky_relu_kernel);
TS_REGISTER_OP_ALL_BACKENDS("leaky_relu_(Tensor self, float negative_slope=0.01) -> Tensor", &leaky_relu__kernel);
TS_REGISTER_OP_ALL_BACKENDS("elu(Tensor self, float alpha=1.0) -> Tensor", &elu_kernel);
TS_REGISTER_OP_ALL_BACKENDS("elu_(Tensor self, float alpha=1.0) -> Tensor", &elu__kernel);
TS_REGISTER_OP_ALL_BACKENDS("hardtanh(Tensor self, float min_val=-1.0, float max_val=1.0) -> Tensor", &hardtanh_kernel);
TS_REGISTER_OP_ALL_BACKENDS("hardtanh_(Tensor self, float min_val=-1.0, float max_val=1.0) -> Tensor",
                            &hardtanh__kernel);

namespace ops {
#define TS_ACT1(name)                                \
  Tensor name(const Tensor& self) {                  \
    static TypedOp<Tensor(const Tensor&)> op(#name); \
    return op(self);                                 \
  }
TS_ACT1(relu)
TS_ACT1(relu_)
TS_ACT1(silu)
TS_ACT1(silu_)
#undef TS_ACT1
Tensor gelu(const Tensor& self, std::string_view a) {
  static TypedOp<Tensor(const Tensor&, std::string_view)> op("gelu");
  return op(self, a);
}
Tensor gelu_(const Tensor& self, std::string_view a) {
  static TypedOp<Tensor(const Tensor&, std::string_view)> op("gelu_");
  return op(self, a);
}
Tensor softplus(const Tensor& self, double beta, double threshold) {
  static TypedOp<Tensor(const Tensor&, double, double)> op("softplus");
  return op(self, beta, threshold);
}
Tensor leaky_relu(const Tensor& self, double s) {
  static TypedOp<Tensor(const Tensor&, double)> op("leaky_relu");
  return op(self, s);
}
Tensor leaky_relu_(const Tensor& self, double s) {
  static TypedOp<Tensor(const Tensor&, double)> op("leaky_relu_");
  return op(self, s);
}
Tensor elu(const Tensor& self, double a) {
  static TypedOp<Tensor(const Tensor&, double)> op("elu");
  return op(self, a);
}
Tensor elu_(const Tensor& self, double a) {
  static TypedOp<Tensor(const Tensor&, double)> op("elu_");
  return op(self, a);
}
Tensor hardtanh(const Tensor& self, double lo, double hi) {
  static TypedOp<Tensor(const Tensor&, double, double)> op("hardtanh");
  return op(self, lo, hi);
}
Tensor hardtanh_(const Tensor& self, double lo, double hi) {
  static TypedOp<Tensor(const Tensor&, double, double)> op("hardtanh_");
  return op(self, lo, hi);
}
}  // namespace ops
}  // namespace tessera

// Front-ends of the binary arithmetic ops: promotion, checks, output, then the device stub.
#include "ops/binary.h"

#include "dispatch/boxing.h"
#include "ops/binary_stubs.h"
#include "ops/tensor_iterator.h"
#include "ops/type_promotion.h"

namespace tessera {

TS_DEFINE_STUB(add_stub, "add", void(const TensorIterator&, const Scalar&));

namespace {

void check_alpha(const char* op, DType dt, const Scalar& alpha) {
  TS_CHECK(is_floating(dt) || !alpha.is_floating_point(), "[", op,
           "] For integral input tensors, argument alpha must not be a floating point number.");
  TS_CHECK(dt != DType::Bool || alpha.is_bool() || alpha.to_int() == 1 || alpha.to_int() == 0, "[", op,
           "] Boolean alpha only supported for Boolean results.");
}

Tensor add_kernel(const Tensor& self, const Tensor& other, const Scalar& alpha) {
  DType dt = result_type(self, other);
  check_alpha("add", dt, alpha);
  TensorIterator iter;
  iter.add_output(Tensor(), dt).add_input(to_dtype(self, dt)).add_input(to_dtype(other, dt)).build("add");
  add_stub(iter.device(), iter, alpha);
  return iter.output();
}

Tensor add__kernel(const Tensor& self, const Tensor& other, const Scalar& alpha) {
  DType dt = result_type(self, other);
  check_inplace_result("add_", dt, self.dtype());
  check_alpha("add_", self.dtype(), alpha);
  TensorIterator iter;
  iter.add_output(self, self.dtype()).add_input(self).add_input(to_dtype(other, self.dtype())).build("add_");
  add_stub(iter.device(), iter, alpha);
  self.bump_version();
  return self;
}

}  // namespace

TS_REGISTER_OP_ALL_BACKENDS("add(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor", &add_kernel);
TS_REGISTER_OP_ALL_BACKENDS("add_(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor", &add__kernel);

namespace ops {
Tensor add(const Tensor& self, const Tensor& other, const Scalar& alpha) {
  static TypedOp<Tensor(const Tensor&, const Tensor&, const Scalar&)> op("add");
  return op(self, other, alpha);
}
Tensor add_(const Tensor& self, const Tensor& other, const Scalar& alpha) {
  static TypedOp<Tensor(const Tensor&, const Tensor&, const Scalar&)> op("add_");
  return op(self, other, alpha);
}
}  // namespace ops
}  // namespace tessera

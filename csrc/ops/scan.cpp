// Front-ends of cumsum / cumprod: integers and bool accumulate into int64 unless dtype= says otherwise.
#include "ops/scan.h"

#include "dispatch/boxing.h"
#include "ops/reduce_stubs.h"
#include "ops/reduce_utils.h"
#include "ops/type_promotion.h"

namespace tessera {

TS_DEFINE_STUB(scan_stub, "scan", void(bool, const Tensor&, ReduceShape, const Tensor&));

namespace {

Tensor scan_kernel(const char* op, bool is_prod, const Tensor& self, int64_t dim, std::optional<DType> dtype) {
  int64_t d = wrap_dim(dim, self.dim(), op);
  DType out = dtype ? *dtype : (is_integral(self.dtype(), true) ? DType::Int64 : self.dtype());
  Tensor in = to_dtype(self, out);
  Tensor result = empty_tensor(self.sizes(), out, self.device());
  auto [c, s] = self.dim() == 0 ? std::pair<Tensor, ReduceShape>{in, ReduceShape{1, 1, 1}} : dim_layout(in, d);
  scan_stub(self.device(), is_prod, c, s, result);
  return result;
}
Tensor cumsum_kernel(const Tensor& self, int64_t dim, std::optional<DType> dtype) {
  return scan_kernel("cumsum", false, self, dim, dtype);
}
Tensor cumprod_kernel(const Tensor& self, int64_t dim, std::optional<DType> dtype) {
  return scan_kernel("cumprod", true, self, dim, dtype);
}

}  // namespace

TS_REGISTER_OP_ALL_BACKENDS("cumsum(Tensor self, int dim, *, ScalarType? dtype=None) -> Tensor", &cumsum_kernel);
TS_REGISTER_OP_ALL_BACKENDS("cumprod(Tensor self, int dim, *, ScalarType? dtype=None) -> Tensor", &cumprod_kernel);

namespace ops {
Tensor cumsum(const Tensor& self, int64_t dim, std::optional<DType> dtype) {
  static TypedOp<Tensor(const Tensor&, int64_t, std::optional<DType>)> op("cumsum");
  return op(self, dim, dtype);
}
Tensor cumprod(const Tensor& self, int64_t dim, std::optional<DType> dtype) {
  static TypedOp<Tensor(const Tensor&, int64_t, std::optional<DType>)> op("cumprod");
  return op(self, dim, dtype);
}
}  // namespace ops
}  // namespace tessera

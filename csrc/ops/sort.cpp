// Front-ends of sort / argsort / topk.
#include "ops/sort.h"

#include "dispatch/boxing.h"
#include "ops/reduce_utils.h"
#include "ops/sort_stubs.h"

namespace tessera {

TS_DEFINE_STUB(sort_stub, "sort", void(const Tensor&, ReduceShape, const Tensor&, const Tensor&, bool, bool));
TS_DEFINE_STUB(topk_stub, "topk", void(const Tensor&, ReduceShape, int64_t, bool, bool, const Tensor&, const Tensor&));

namespace {

std::pair<Tensor, ReduceShape> layout(const Tensor& self, int64_t d) {
  if (self.dim() == 0) return {self, ReduceShape{1, 1, 1}};
  return dim_layout(self, d);
}

std::tuple<Tensor, Tensor> sort_kernel(const Tensor& self, int64_t dim, bool descending, bool stable) {
  int64_t d = wrap_dim(dim, self.dim(), "sort");
  Tensor values = empty_tensor(self.sizes(), self.dtype(), self.device());
  Tensor indices = empty_tensor(self.sizes(), DType::Int64, self.device());
  auto [c, s] = layout(self, d);
  sort_stub(self.device(), c, s, values, indices, descending, stable);
  return {values, indices};
}

Tensor argsort_kernel(const Tensor& self, int64_t dim, bool descending, bool stable) {
  wrap_dim(dim, self.dim(), "argsort");
  return std::get<1>(ops::sort(self, dim, descending, stable));
}

std::tuple<Tensor, Tensor> topk_kernel(const Tensor& self, int64_t k, int64_t dim, bool largest, bool sorted) {
  int64_t d = wrap_dim(dim, self.dim(), "topk");
  TS_CHECK(self.dtype() != DType::Bool, "[topk] does not support bool dtypes on CPU");
  const int64_t n = self.dim() == 0 ? 1 : self.sizes()[d];
  TS_CHECK(k >= 0 && k <= n, "[topk] selected index k out of range: k = ", k, " for a dim of size ", n);
  // A 0-d input gives its element back for k = 0 or 1, as torch.
  DimVector shape(self.sizes().begin(), self.sizes().end());
  if (self.dim() > 0) shape[d] = k;
  Tensor values = empty_tensor(shape, self.dtype(), self.device());
  Tensor indices = empty_tensor(shape, DType::Int64, self.device());
  auto [c, s] = layout(self, d);
  topk_stub(self.device(), c, s, self.dim() == 0 ? 1 : k, largest, sorted, values, indices);
  return {values, indices};
}

}  // namespace

TS_REGISTER_OP_ALL_BACKENDS(
    "sort(Tensor self, int dim=-1, bool descending=False, *, bool stable=False) -> (Tensor values, Tensor indices)",
    &sort_kernel);
TS_REGISTER_OP_ALL_BACKENDS("argsort(Tensor self, int dim=-1, bool descending=False, *, bool stable=False) -> Tensor",
                            &argsort_kernel);
TS_REGISTER_OP_ALL_BACKENDS(
    "topk(Tensor self, int k, int dim=-1, bool largest=True, bool sorted=True) -> (Tensor values, Tensor indices)",
    &topk_kernel);

namespace ops {
std::tuple<Tensor, Tensor> sort(const Tensor& self, int64_t dim, bool descending, bool stable) {
  static TypedOp<std::tuple<Tensor, Tensor>(const Tensor&, int64_t, bool, bool)> op("sort");
  return op(self, dim, descending, stable);
}
Tensor argsort(const Tensor& self, int64_t dim, bool descending, bool stable) {
  static TypedOp<Tensor(const Tensor&, int64_t, bool, bool)> op("argsort");
  return op(self, dim, descending, stable);
}
std::tuple<Tensor, Tensor> topk(const Tensor& self, int64_t k, int64_t dim, bool largest, bool sorted) {
  static TypedOp<std::tuple<Tensor, Tensor>(const Tensor&, int64_t, int64_t, bool, bool)> op("topk");
  return op(self, k, dim, largest, sorted);
}
}  // namespace ops
}  // namespace tessera

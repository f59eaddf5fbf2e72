// Backward formulas of sort and topk: the gradient of the values goes back to the positions the
// indices name (the indices output is not differentiable; argsort is listed as such). Also the
// differentiable scatter/gather pair these and max.dim/min.dim are written with.
#include <tuple>

#include "autograd/formula_utils.h"
#include "autograd/record.h"
#include "dispatch/boxing.h"
#include "ops/creation.h"
#include "ops/indexing.h"
#include "ops/reduce_linalg_backward.h"
#include "ops/sort.h"

namespace tessera {

using autograd::Node;
using autograd::TensorVec;

namespace rl_backward {
namespace {

struct ScatterIntoBackward final : Node {
  int64_t dim = 0;
  Tensor index;  // int64, never requires grad
  std::string name() const override { return "ScatterBackward0"; }
  TensorVec apply(TensorVec&& g) override { return {gather_from(g[0], dim, index)}; }
};

struct GatherFromBackward final : Node {
  int64_t dim = 0;
  Tensor index;
  DimVector input_shape;
  std::string name() const override { return "GatherBackward0"; }
  TensorVec apply(TensorVec&& g) override { return {scatter_into(g[0], dim, index, input_shape)}; }
};

}  // namespace

// Indices are unique along dim in every use (sort, topk, max.dim), so scatter-add equals scatter.
Tensor scatter_into(const Tensor& src, int64_t dim, const Tensor& index, IntArrayRef shape) {
  Tensor out = autograd::below_autograd(
      [&] { return ops::scatter_add(ops::zeros(shape, src.dtype(), src.device()), dim, index, src); });
  if (auto n = autograd::make_node<ScatterIntoBackward>({&src})) {
    n->dim = dim;
    n->index = index;
    autograd::set_history(out, n);
  }
  return out;
}

Tensor gather_from(const Tensor& x, int64_t dim, const Tensor& index) {
  Tensor out = autograd::below_autograd([&] { return ops::gather(x, dim, index); });
  if (auto n = autograd::make_node<GatherFromBackward>({&x})) {
    n->dim = dim;
    n->index = index;
    n->input_shape = DimVector(x.sizes());
    autograd::set_history(out, n);
  }
  return out;
}

}  // namespace rl_backward

namespace {

// Gradient of values = self gathered at indices along dim (same shape as indices).
struct ValuesSelectBackward final : Node {
  const char* op_name = "SortBackward0";
  int64_t dim = 0;
  Tensor indices;
  DimVector input_shape;
  std::string name() const override { return op_name; }
  TensorVec apply(TensorVec&& g) override {
    if (input_shape.empty()) return {g[0]};  // 0-d: values is the input itself
    return {rl_backward::scatter_into(g[0], dim, indices, input_shape)};
  }
};

std::tuple<Tensor, Tensor> record(const char* name, const Tensor& self, int64_t dim, std::tuple<Tensor, Tensor> res) {
  if (auto n = autograd::make_node<ValuesSelectBackward>({&self})) {
    n->op_name = name;
    n->dim = self.dim() == 0 ? 0 : wrap_dim(dim, self.dim(), name);
    n->indices = std::get<1>(res);
    n->input_shape = DimVector(self.sizes());
    autograd::set_history(std::get<0>(res), n);
  }
  return res;
}

std::tuple<Tensor, Tensor> sort_autograd(const Tensor& self, int64_t dim, bool descending, bool stable) {
  auto res = autograd::below_autograd([&] { return ops::sort(self, dim, descending, stable); });
  return record("SortBackward0", self, dim, std::move(res));
}

std::tuple<Tensor, Tensor> topk_autograd(const Tensor& self, int64_t k, int64_t dim, bool largest, bool sorted) {
  auto res = autograd::below_autograd([&] { return ops::topk(self, k, dim, largest, sorted); });
  return record("TopkBackward0", self, dim, std::move(res));
}

}  // namespace

TS_REGISTER_KERNEL("sort", Autograd, &sort_autograd);
TS_REGISTER_KERNEL("topk", Autograd, &topk_autograd);

}  // namespace tessera

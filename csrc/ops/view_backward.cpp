// Backward formulas of the view ops. Views of tensors that require grad are differentiable;
// in-place writes into such views are refused until view rebasing lands (their in-place ops have
// no Autograd kernel), so these formulas never see a rebased history.
#include <vector>

#include "autograd/formula_utils.h"
#include "autograd/record.h"
#include "dispatch/boxing.h"
#include "ops/view.h"

namespace tessera {
namespace {

using autograd::Node;
using autograd::TensorVec;

// Ops that keep the element order and only change the shape: the gradient is reshaped back.
struct ReshapeBackward final : Node {
  DimVector input_shape;
  std::string op;
  std::string name() const override { return op; }
  TensorVec apply(TensorVec&& g) override { return {ops::reshape(g[0], input_shape)}; }
};

struct ExpandBackward final : Node {
  DimVector input_shape;
  std::string name() const override { return "ExpandBackward0"; }
  TensorVec apply(TensorVec&& g) override { return {autograd::sum_to(g[0], input_shape)}; }
};

struct PermuteBackward final : Node {
  std::vector<int64_t> inverse;
  std::string name() const override { return "PermuteBackward0"; }
  TensorVec apply(TensorVec&& g) override { return {ops::permute(g[0], inverse)}; }
};

template <class F>
Tensor record_reshape(const Tensor& self, const char* node_name, F&& forward) {
  Tensor out = autograd::below_autograd(forward);
  if (auto n = autograd::make_node<ReshapeBackward>({&self})) {
    n->input_shape = DimVector(self.sizes());
    n->op = node_name;
    autograd::set_history(out, n);
  }
  return out;
}

Tensor view_ag(const Tensor& self, IntArrayRef size) {
  return record_reshape(self, "ViewBackward0", [&] { return ops::view(self, size); });
}
Tensor reshape_ag(const Tensor& self, IntArrayRef size) {
  return record_reshape(self, "ReshapeAliasBackward0", [&] { return ops::reshape(self, size); });
}
Tensor unsqueeze_ag(const Tensor& self, int64_t dim) {
  return record_reshape(self, "UnsqueezeBackward0", [&] { return ops::unsqueeze(self, dim); });
}
Tensor squeeze_ag(const Tensor& self, OptionalIntArrayRef dims) {
  return record_reshape(self, "SqueezeBackward0", [&] { return ops::squeeze(self, dims); });
}
Tensor flatten_ag(const Tensor& self, int64_t s, int64_t e) {
  return record_reshape(self, "FlattenBackward0", [&] { return ops::flatten(self, s, e); });
}
Tensor unflatten_ag(const Tensor& self, int64_t dim, IntArrayRef sizes) {
  return record_reshape(self, "UnflattenBackward0", [&] { return ops::unflatten(self, dim, sizes); });
}

Tensor expand_ag(const Tensor& self, IntArrayRef size) {
  Tensor out = autograd::below_autograd([&] { return ops::expand(self, size); });
  if (auto n = autograd::make_node<ExpandBackward>({&self})) {
    n->input_shape = DimVector(self.sizes());
    autograd::set_history(out, n);
  }
  return out;
}

Tensor permute_ag(const Tensor& self, IntArrayRef dims) {
  Tensor out = autograd::below_autograd([&] { return ops::permute(self, dims); });
  if (auto n = autograd::make_node<PermuteBackward>({&self})) {
    n->inverse.assign(dims.size(), 0);
    for (size_t i = 0; i < dims.size(); ++i) n->inverse[wrap_dim(dims[i], self.dim(), "permute")] = static_cast<int64_t>(i);
    autograd::set_history(out, n);
  }
  return out;
}

// transpose and t are permutations.
Tensor transpose_ag(const Tensor& self, int64_t d0, int64_t d1) {
  std::vector<int64_t> dims(self.dim());
  for (int64_t i = 0; i < self.dim(); ++i) dims[i] = i;
  if (self.dim() > 0) std::swap(dims[wrap_dim(d0, self.dim(), "transpose")], dims[wrap_dim(d1, self.dim(), "transpose")]);
  return permute_ag(self, dims);
}
Tensor t_ag(const Tensor& self) {
  TS_CHECK(self.dim() <= 2, "[t] t() expects a tensor with <= 2 dimensions, but self is ", self.dim(), "D");
  return self.dim() < 2 ? permute_ag(self, std::vector<int64_t>(self.dim() == 1 ? 1 : 0, 0)) : transpose_ag(self, 0, 1);
}

}  // namespace

TS_REGISTER_KERNEL("view", Autograd, &view_ag);
TS_REGISTER_KERNEL("reshape", Autograd, &reshape_ag);
TS_REGISTER_KERNEL("unsqueeze", Autograd, &unsqueeze_ag);
TS_REGISTER_KERNEL("squeeze", Autograd, &squeeze_ag);
TS_REGISTER_KERNEL("flatten", Autograd, &flatten_ag);
TS_REGISTER_KERNEL("unflatten", Autograd, &unflatten_ag);
TS_REGISTER_KERNEL("expand", Autograd, &expand_ag);
TS_REGISTER_KERNEL("permute", Autograd, &permute_ag);
TS_REGISTER_KERNEL("transpose", Autograd, &transpose_ag);
TS_REGISTER_KERNEL("t", Autograd, &t_ag);

}  // namespace tessera

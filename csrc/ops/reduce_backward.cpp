// Backward formulas of sum and mean: the gradient spreads evenly over the reduced elements.
#include <vector>

#include "autograd/formula_utils.h"
#include "autograd/record.h"
#include "dispatch/boxing.h"
#include "ops/binary.h"
#include "ops/reduce.h"
#include "ops/type_promotion.h"
#include "ops/view.h"

namespace tessera {
namespace {

using autograd::Node;
using autograd::TensorVec;

struct SumMeanBackward final : Node {
  DimVector input_shape;
  DType input_dtype = DType::Float32;
  std::vector<int64_t> dims;  // wrapped; empty = all
  bool keepdim = false;
  bool mean = false;
  std::string name() const override { return mean ? "MeanBackward1" : "SumBackward1"; }
  TensorVec apply(TensorVec&& g) override {
    Tensor grad = g[0];
    const int64_t nd = static_cast<int64_t>(input_shape.size());
    if (!keepdim && nd > 0) {
      std::vector<bool> reduced(nd, dims.empty());
      for (int64_t d : dims) reduced[d] = true;
      for (int64_t d = 0; d < nd; ++d)
        if (reduced[d]) grad = ops::unsqueeze(grad, d);
    }
    grad = ops::expand(grad, input_shape);
    if (mean) {
      int64_t count = 1;
      if (dims.empty()) {
        for (int64_t s : input_shape) count *= s;
      } else {
        for (int64_t d : dims) count *= input_shape[d];
      }
      grad = ops::div(grad, wrapped_scalar(Scalar(static_cast<double>(count))));
    }
    return {autograd::to_input_dtype(grad, input_dtype)};
  }
};

template <bool Mean>
Tensor sum_mean_autograd(const Tensor& self, OptionalIntArrayRef dim, bool keepdim, std::optional<DType> dtype) {
  Tensor out = autograd::below_autograd([&] {
    return Mean ? ops::mean(self, dim, keepdim, dtype) : ops::sum(self, dim, keepdim, dtype);
  });
  if (auto n = autograd::make_node<SumMeanBackward>({&self})) {
    n->input_shape = DimVector(self.sizes());
    n->input_dtype = self.dtype();
    n->keepdim = keepdim;
    n->mean = Mean;
    // An empty dim list reduces everything too (PyTorch's sum(dim=[])).
    if (dim && !dim->empty())
      for (int64_t d : *dim) n->dims.push_back(wrap_dim(d, self.dim(), Mean ? "mean" : "sum"));
    autograd::set_history(out, n);
  }
  return out;
}

}  // namespace

TS_REGISTER_KERNEL("sum", Autograd, &sum_mean_autograd<false>);
TS_REGISTER_KERNEL("mean", Autograd, &sum_mean_autograd<true>);

}  // namespace tessera

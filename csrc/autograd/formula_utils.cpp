#include "autograd/formula_utils.h"

#include <vector>

#include "ops/creation.h"
#include "ops/reduce.h"
#include "ops/type_promotion.h"
#include "ops/view.h"

namespace tessera::autograd {

Tensor sum_to(const Tensor& grad, IntArrayRef shape) {
  const int64_t lead = grad.dim() - static_cast<int64_t>(shape.size());
  std::vector<int64_t> dims;
  for (int64_t d = 0; d < grad.dim(); ++d) {
    if (d < lead || (shape[d - lead] == 1 && grad.sizes()[d] != 1)) dims.push_back(d);
  }
  if (dims.empty()) return grad;
  Tensor s = ops::sum(grad, dims, /*keepdim=*/true);
  return ops::reshape(s, shape);
}

Tensor InputInfo::zeros() const {
  return ops::zeros(shape, dtype, device);
}

Tensor to_input_dtype(const Tensor& grad, DType dtype) {
  return to_dtype(grad, dtype);
}

}  // namespace tessera::autograd

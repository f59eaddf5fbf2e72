// Front-ends of softmax, log_softmax, layer_norm and rms_norm: checks and dtype handling here,
// fused numerically stable kernels behind the stubs (csrc/cpu/norm_kernels.cpp).
#include <limits>

#include "ops/copy.h"
#include "ops/nn.h"
#include "ops/nn_stubs.h"
#include "ops/type_promotion.h"

namespace tessera {

TS_DEFINE_STUB(softmax_stub, "softmax", void(const Tensor&, const Tensor&, int64_t, bool));
TS_DEFINE_STUB(layer_norm_stub, "layer_norm",
               void(const Tensor&, const Tensor&, const Tensor&, const Tensor&, int64_t, int64_t, double));
TS_DEFINE_STUB(rms_norm_stub, "rms_norm", void(const Tensor&, const Tensor&, const Tensor&, int64_t, int64_t, double));

namespace {

Tensor softmax_common(const char* op, const Tensor& input, int64_t dim, std::optional<DType> dtype, bool log) {
  const int64_t d = wrap_dim(dim, std::max<int64_t>(input.dim(), 1), op);
  Tensor x = dtype ? to_dtype(input, *dtype) : input;
  TS_CHECK_NOT_IMPLEMENTED(is_floating(x.dtype()), "[", op, "] not implemented for '", dtype_name(x.dtype()),
                           "' (pass dtype= a floating type)");
  x = ops::contiguous(x);
  Tensor out = empty_tensor(x.sizes(), x.dtype(), x.device());
  if (out.numel() == 0) return out;
  softmax_stub(x.device(), out, x, x.dim() == 0 ? 0 : d, log);
  return out;
}

Tensor softmax_kernel(const Tensor& input, int64_t dim, std::optional<DType> dtype) {
  return softmax_common("softmax", input, dim, dtype, false);
}
Tensor log_softmax_kernel(const Tensor& input, int64_t dim, std::optional<DType> dtype) {
  return softmax_common("log_softmax", input, dim, dtype, true);
}

// Rows and row length of a normalisation over the trailing `normalized_shape` dims.
void norm_rows(const char* op, const Tensor& input, IntArrayRef shape, int64_t& rows, int64_t& n, bool rms) {
  const int64_t k = static_cast<int64_t>(shape.size());
  TS_CHECK(k >= 1, "[", op,
           "] Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
           "element, but got normalized_shape = ",
           shape_str(shape));
  bool ok = input.dim() >= k;
  for (int64_t i = 0; ok && i < k; ++i) ok = input.sizes()[input.dim() - k + i] == shape[i];
  TS_CHECK(ok, "[", op, "] Given normalized_shape=", shape_str(shape), ", expected input with shape [*",
           rms ? "" : ", ", shape_str(shape), "], but got input of size", shape_str(input.sizes()));
  TS_CHECK_NOT_IMPLEMENTED(is_floating(input.dtype()), "[", op, "] not implemented for '", dtype_name(input.dtype()),
                           "'");
  n = 1;
  for (int64_t s : shape) n *= s;
  rows = n == 0 ? 0 : input.numel() / n;
}

Tensor norm_param(const char* op, const char* what, const std::optional<Tensor>& p, IntArrayRef shape, DType dt) {
  if (!p) return Tensor();
  bool ok = p->dim() == static_cast<int64_t>(shape.size());
  for (int64_t i = 0; ok && i < p->dim(); ++i) ok = p->sizes()[i] == shape[i];
  TS_CHECK(ok, "[", op, "] Expected ", what, " to be of same shape as normalized_shape, but got ", what, " of shape ",
           shape_str(p->sizes()), " and normalized_shape = ", shape_str(shape));
  return ops::contiguous(to_dtype(*p, dt));
}

Tensor layer_norm_kernel(const Tensor& input, IntArrayRef normalized_shape, const std::optional<Tensor>& weight,
                         const std::optional<Tensor>& bias, double eps) {
  int64_t rows = 0, n = 0;
  norm_rows("layer_norm", input, normalized_shape, rows, n, false);
  Tensor w = norm_param("layer_norm", "weight", weight, normalized_shape, input.dtype());
  Tensor b = norm_param("layer_norm", "bias", bias, normalized_shape, input.dtype());
  Tensor x = ops::contiguous(input);
  Tensor out = empty_tensor(x.sizes(), x.dtype(), x.device());
  if (out.numel() == 0) return out;
  layer_norm_stub(x.device(), out, x, w, b, rows, n, eps);
  return out;
}

Tensor rms_norm_kernel(const Tensor& input, IntArrayRef normalized_shape, const std::optional<Tensor>& weight,
                       std::optional<double> eps) {
  int64_t rows = 0, n = 0;
  norm_rows("rms_norm", input, normalized_shape, rows, n, true);
  Tensor w = norm_param("rms_norm", "weight", weight, normalized_shape, input.dtype());
  // Default eps: the machine epsilon of the input's dtype, as PyTorch.
  double e = eps.value_or(0.0);
  if (!eps) {
    switch (input.dtype()) {
      case DType::Float16:
        e = 0.0009765625;
        break;
      case DType::BFloat16:
        e = 0.0078125;
        break;
      case DType::Float64:
        e = std::numeric_limits<double>::epsilon();
        break;
      default:
        e = std::numeric_limits<float>::epsilon();
    }
  }
  Tensor x = ops::contiguous(input);
  Tensor out = empty_tensor(x.sizes(), x.dtype(), x.device());
  if (out.numel() == 0) return out;
  rms_norm_stub(x.device(), out, x, w, rows, n, e);
  return out;
}

}  // namespace

TS_REGISTER_OP_ALL_BACKENDS("softmax(Tensor self, int dim, ScalarType? dtype=None) -> Tensor", &softmax_kernel);
TS_REGISTER_OP_ALL_BACKENDS("log_softmax(Tensor self, int dim, ScalarType? dtype=None) -> Tensor", &log_softmax_kernel);
TS_REGISTER_OP_ALL_BACKENDS(
    "layer_norm(Tensor input, int[] normalized_shape, Tensor? weight=None, Tensor? bias=None, float eps=1e-05) -> "
    "Tensor",
    &layer_norm_kernel);
TS_REGISTER_OP_ALL_BACKENDS(
    "rms_norm(Tensor input, int[] normalized_shape, Tensor? weight=None, float? eps=None) -> Tensor", &rms_norm_kernel);

namespace ops {
Tensor softmax(const Tensor& input, int64_t dim, std::optional<DType> dtype) {
  static TypedOp<Tensor(const Tensor&, int64_t, std::optional<DType>)> op("softmax");
  return op(input, dim, dtype);
}
Tensor log_softmax(const Tensor& input, int64_t dim, std::optional<DType> dtype) {
  static TypedOp<Tensor(const Tensor&, int64_t, std::optional<DType>)> op("log_softmax");
  return op(input, dim, dtype);
}
Tensor layer_norm(const Tensor& input, IntArrayRef normalized_shape, const std::optional<Tensor>& weight,
                  const std::optional<Tensor>& bias, double eps) {
  static TypedOp<Tensor(const Tensor&, IntArrayRef, const std::optional<Tensor>&, const std::optional<Tensor>&, double)>
      op("layer_norm");
  return op(input, normalized_shape, weight, bias, eps);
}
Tensor rms_norm(const Tensor& input, IntArrayRef normalized_shape, const std::optional<Tensor>& weight,
                std::optional<double> eps) {
  static TypedOp<Tensor(const Tensor&, IntArrayRef, const std::optional<Tensor>&, std::optional<double>)> op(
      "rms_norm");
  return op(input, normalized_shape, weight, eps);
}
}  // namespace ops
}  // namespace tessera

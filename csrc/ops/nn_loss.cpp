// Front-ends of cross_entropy, nll_loss and mse_loss: PyTorch's shape/dtype checks, then fused
// kernels (log-softmax, gather, smoothing and reduction in one pass) behind the stubs.
#include "ops/copy.h"
#include "ops/nn.h"
#include "ops/nn_stubs.h"
#include "ops/type_promotion.h"
#include "ops/view_utils.h"

namespace tessera {

TS_DEFINE_STUB(nll_stub, "nll_loss",
               void(const Tensor&, const Tensor&, const Tensor&, const Tensor&, int64_t, Reduction, double, bool));
TS_DEFINE_STUB(cross_entropy_prob_stub, "cross_entropy",
               void(const Tensor&, const Tensor&, const Tensor&, const Tensor&, Reduction, double));
TS_DEFINE_STUB(mse_stub, "mse_loss", void(const Tensor&, const Tensor&, const Tensor&, Reduction));

namespace {

Reduction parse_reduction(const char* op, std::string_view r) {
  if (r == "mean") return Reduction::Mean;
  if (r == "sum") return Reduction::Sum;
  if (r == "none") return Reduction::None;
  TS_FAIL(Value, "[", op, "] ", r, " is not a valid value for reduction");
}

// input as (N, C, S) and the shape of the per-element loss (input's shape without the class dim).
struct ClassLayout {
  int64_t n = 1, c = 1, s = 1;
  DimVector loss_shape;
};
ClassLayout class_layout(const Tensor& input) {
  ClassLayout l;
  if (input.dim() == 1) {
    l.c = input.sizes()[0];
    return l;
  }
  l.n = input.sizes()[0];
  l.c = input.sizes()[1];
  l.loss_shape.push_back(l.n);
  for (int64_t i = 2; i < input.dim(); ++i) {
    l.s *= input.sizes()[i];
    l.loss_shape.push_back(input.sizes()[i]);
  }
  return l;
}

Tensor check_weight(const char* op, const std::optional<Tensor>& weight, int64_t c, DType dt) {
  if (!weight) return Tensor();
  TS_CHECK(weight->dim() == 1 && weight->numel() == c, "[", op, "] weight tensor should be defined either for all ", c,
           " classes or no classes but got weight tensor of shape: ", shape_str(weight->sizes()));
  return ops::contiguous(to_dtype(*weight, dt));
}

Tensor nll_common(const char* op, const Tensor& input, const Tensor& target, const std::optional<Tensor>& weight,
                  int64_t ignore_index, Reduction red, double label_smoothing, bool log_softmax) {
  TS_CHECK(input.dim() >= 1, "[", op, "] input tensor should be 1D or more, got 0-D");
  TS_CHECK_NOT_IMPLEMENTED(is_floating(input.dtype()), "[", op, "] not implemented for '", dtype_name(input.dtype()),
                           "'");
  TS_CHECK(target.dtype() == DType::Int64 || target.dtype() == DType::UInt8, "[", op,
           "] expected target dtype to be Long or Byte, but got ", dtype_name(target.dtype()));
  if (input.dim() == 1) {
    TS_CHECK(target.dim() == 0, "[", op, "] 0D target tensor expected for 1D input, got ", target.dim(), "D target");
  } else {
    TS_CHECK_VALUE(target.dim() >= 1 && input.sizes()[0] == target.sizes()[0], "[", op, "] Expected input batch_size (",
                   input.sizes()[0], ") to match target batch_size (", target.dim() >= 1 ? target.sizes()[0] : 0, ").");
    bool same = target.dim() == input.dim() - 1;
    for (int64_t i = 1; same && i < target.dim(); ++i) same = target.sizes()[i] == input.sizes()[i + 1];
    TS_CHECK(same, "[", op, "] size mismatch (got input: ", shape_str(input.sizes()),
             " , target: ", shape_str(target.sizes()), ")");
  }
  ClassLayout l = class_layout(input);
  Tensor w = check_weight(op, weight, l.c, input.dtype());
  Tensor x = ops::contiguous(input);
  Tensor t = ops::contiguous(to_dtype(target, DType::Int64));
  Tensor out =
      empty_tensor(red == Reduction::None ? IntArrayRef(l.loss_shape) : IntArrayRef(), input.dtype(), input.device());
  nll_stub(x.device(), out, x, t, w, ignore_index, red, label_smoothing, log_softmax);
  return out;
}

Tensor cross_entropy_kernel(const Tensor& input, const Tensor& target, const std::optional<Tensor>& weight,
                            int64_t ignore_index, std::string_view reduction, double label_smoothing) {
  const Reduction red = parse_reduction("cross_entropy", reduction);
  TS_CHECK(label_smoothing >= 0.0 && label_smoothing <= 1.0,
           "[cross_entropy] label_smoothing must be between 0.0 and 1.0. Got: ", label_smoothing);
  const bool prob =
      input.dim() == target.dim() && std::equal(input.sizes().begin(), input.sizes().end(), target.sizes().begin());
  if (!prob) return nll_common("cross_entropy", input, target, weight, ignore_index, red, label_smoothing, true);
  // Class probabilities as targets.
  TS_CHECK(is_floating(target.dtype()),
           "[cross_entropy] Expected floating point type for target with class "
           "probabilities, got ",
           dtype_name(target.dtype()));
  TS_CHECK(input.dim() >= 1, "[cross_entropy] input tensor should be 1D or more, got 0-D");
  TS_CHECK(ignore_index < 0, "[cross_entropy] ignore_index is not supported for floating point target");
  TS_CHECK_NOT_IMPLEMENTED(is_floating(input.dtype()), "[cross_entropy] not implemented for '",
                           dtype_name(input.dtype()), "'");
  ClassLayout l = class_layout(input);
  Tensor w = check_weight("cross_entropy", weight, l.c, input.dtype());
  Tensor x = ops::contiguous(input);
  Tensor t = ops::contiguous(to_dtype(target, input.dtype()));
  Tensor out =
      empty_tensor(red == Reduction::None ? IntArrayRef(l.loss_shape) : IntArrayRef(), input.dtype(), input.device());
  cross_entropy_prob_stub(x.device(), out, x, t, w, red, label_smoothing);
  return out;
}

Tensor nll_loss_kernel(const Tensor& input, const Tensor& target, const std::optional<Tensor>& weight,
                       int64_t ignore_index, std::string_view reduction) {
  return nll_common("nll_loss", input, target, weight, ignore_index, parse_reduction("nll_loss", reduction), 0.0,
                    false);
}

Tensor mse_loss_kernel(const Tensor& input, const Tensor& target, std::string_view reduction) {
  const Reduction red = parse_reduction("mse_loss", reduction);
  const DType dt = result_type(input, target);
  TS_CHECK_NOT_IMPLEMENTED(is_floating(dt), "[mse_loss] not implemented for '", dtype_name(dt), "'");
  DimVector shape = broadcast_shapes(input.sizes(), target.sizes(), "mse_loss");
  Tensor a = detail::expand_view(to_dtype(input, dt), shape, "mse_loss");
  Tensor b = detail::expand_view(to_dtype(target, dt), shape, "mse_loss");
  Tensor out = empty_tensor(red == Reduction::None ? IntArrayRef(shape) : IntArrayRef(), dt, input.device());
  mse_stub(input.device(), out, a, b, red);
  return out;
}

}  // namespace

TS_REGISTER_OP_ALL_BACKENDS(
    "cross_entropy(Tensor input, Tensor target, Tensor? weight=None, int ignore_index=-100, str reduction='mean', "
    "float label_smoothing=0.0) -> Tensor",
    &cross_entropy_kernel);
TS_REGISTER_OP_ALL_BACKENDS(
    "nll_loss(Tensor input, Tensor target, Tensor? weight=None, int ignore_index=-100, str reduction='mean') -> Tensor",
    &nll_loss_kernel);
TS_REGISTER_OP_ALL_BACKENDS("mse_loss(Tensor input, Tensor target, str reduction='mean') -> Tensor", &mse_loss_kernel);

namespace ops {
Tensor cross_entropy(const Tensor& input, const Tensor& target, const std::optional<Tensor>& weight,
                     int64_t ignore_index, std::string_view reduction, double label_smoothing) {
  static TypedOp<Tensor(const Tensor&, const Tensor&, const std::optional<Tensor>&, int64_t, std::string_view, double)>
      op("cross_entropy");
  return op(input, target, weight, ignore_index, reduction, label_smoothing);
}
Tensor nll_loss(const Tensor& input, const Tensor& target, const std::optional<Tensor>& weight, int64_t ignore_index,
                std::string_view reduction) {
  static TypedOp<Tensor(const Tensor&, const Tensor&, const std::optional<Tensor>&, int64_t, std::string_view)> op(
      "nll_loss");
  return op(input, target, weight, ignore_index, reduction);
}
Tensor mse_loss(const Tensor& input, const Tensor& target, std::string_view reduction) {
  static TypedOp<Tensor(const Tensor&, const Tensor&, std::string_view)> op("mse_loss");
  return op(input, target, reduction);
}
}  // namespace ops
}  // namespace tessera

// Backward formulas of softmax, log_softmax, layer_norm and rms_norm. First-order gradients run
// fused kernels (nn_backward_stubs.h); under create_graph the same formulas are composed from
// ops:: so they can be differentiated again.
#include <array>
#include <limits>
#include <vector>

#include "autograd/formula_utils.h"
#include "autograd/grad_mode.h"
#include "autograd/record.h"
#include "autograd/saved_tensor.h"
#include "dispatch/boxing.h"
#include "ops/binary.h"
#include "ops/copy.h"
#include "ops/creation.h"
#include "ops/nn.h"
#include "ops/nn_backward_stubs.h"
#include "ops/reduce.h"
#include "ops/type_promotion.h"
#include "ops/unary.h"

namespace tessera {

TS_DEFINE_STUB(softmax_backward_stub, "softmax_backward",
               void(const Tensor&, const Tensor&, const Tensor&, int64_t, bool));
TS_DEFINE_STUB(layer_norm_backward_stub, "layer_norm_backward",
               void(const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&, int64_t,
                    int64_t, double));
TS_DEFINE_STUB(rms_norm_backward_stub, "rms_norm_backward",
               void(const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&, int64_t, int64_t,
                    double));

namespace {

using autograd::Node;
using autograd::SavedTensor;
using autograd::TensorVec;

using autograd::needs;

struct SoftmaxBackward final : Node {
  SavedTensor out_saved;
  int64_t dim = 0;
  bool log = false;
  DType input_dtype = DType::Float32;
  std::string name() const override { return log ? "LogSoftmaxBackward0" : "SoftmaxBackward0"; }
  TensorVec apply(TensorVec&& g) override {
    Tensor y = out_saved.unpack(shared_from_this());
    Tensor gi;
    if (autograd::grad_enabled()) {  // create_graph: composed, differentiable again
      std::array<int64_t, 1> d{dim};
      Tensor gg = to_dtype(g[0], y.dtype());
      if (y.dim() == 0) {
        gi = log ? ops::sub(gg, ops::mul(ops::exp(y), gg)) : ops::mul(y, ops::sub(gg, ops::mul(gg, y)));
      } else if (log) {
        gi = ops::sub(gg, ops::mul(ops::exp(y), ops::sum(gg, IntArrayRef(d), true)));
      } else {
        gi = ops::mul(y, ops::sub(gg, ops::sum(ops::mul(gg, y), IntArrayRef(d), true)));
      }
    } else {
      Tensor gc = ops::contiguous(to_dtype(g[0], y.dtype()));
      Tensor yc = ops::contiguous(y);
      gi = empty_tensor(yc.sizes(), yc.dtype(), yc.device());
      if (gi.numel() > 0) softmax_backward_stub(yc.device(), gi, gc, yc, dim, log);
    }
    return {autograd::to_input_dtype(gi, input_dtype)};
  }
  void release_saved() override { out_saved.reset(); }
};

template <bool Log>
Tensor softmax_autograd(const Tensor& input, int64_t dim, std::optional<DType> dtype) {
  Tensor out = autograd::below_autograd(
      [&] { return Log ? ops::log_softmax(input, dim, dtype) : ops::softmax(input, dim, dtype); });
  if (auto n = autograd::make_node<SoftmaxBackward>({&input})) {
    n->dim = input.dim() == 0 ? 0 : wrap_dim(dim, input.dim(), Log ? "log_softmax" : "softmax");
    n->log = Log;
    n->input_dtype = input.dtype();
    autograd::set_history(out, n);
    n->out_saved = SavedTensor(out, true);
  }
  return out;
}

// The trailing `k` dims of an input of `nd` dims.
std::vector<int64_t> trailing_dims(int64_t nd, int64_t k) {
  std::vector<int64_t> d;
  for (int64_t i = nd - k; i < nd; ++i) d.push_back(i);
  return d;
}

// layer_norm (Rms = false) and rms_norm (Rms = true): inputs x, weight, bias (rms: no bias).
template <bool Rms>
struct NormBackward final : Node {
  SavedTensor x_saved, w_saved;
  DimVector normalized_shape;
  double eps = 0;
  DType x_dtype = DType::Float32, w_dtype = DType::Float32, b_dtype = DType::Float32;
  bool has_w = false;
  std::string name() const override { return Rms ? "RmsNormBackward0" : "NativeLayerNormBackward0"; }

  TensorVec apply(TensorVec&& g) override {
    auto me = shared_from_this();
    Tensor x = x_saved.unpack(me);
    Tensor w = has_w ? to_dtype(w_saved.unpack(me), x.dtype()) : Tensor();
    Tensor go = to_dtype(g[0], x.dtype());
    TensorVec out(Rms ? 2 : 3);
    const int64_t k = static_cast<int64_t>(normalized_shape.size());
    if (autograd::grad_enabled()) {
      // Composed: xhat = (x - mean) * rstd; gx = rstd * (gy - mean(gy) - xhat * mean(gy * xhat)).
      std::vector<int64_t> dims = trailing_dims(x.dim(), k);
      std::vector<int64_t> lead;
      for (int64_t i = 0; i < x.dim() - k; ++i) lead.push_back(i);
      Tensor xc = Rms ? x : ops::sub(x, ops::mean(x, IntArrayRef(dims), true));
      Tensor rstd = ops::rsqrt(ops::add(ops::mean(ops::mul(xc, xc), IntArrayRef(dims), true), wrapped_scalar(eps)));
      Tensor xh = ops::mul(xc, rstd);
      Tensor gy = has_w ? ops::mul(go, w) : go;
      if (needs(*this, 0)) {
        Tensor b = ops::mean(ops::mul(gy, xh), IntArrayRef(dims), true);
        Tensor inner = ops::sub(gy, ops::mul(xh, b));
        if (!Rms) inner = ops::sub(inner, ops::mean(gy, IntArrayRef(dims), true));
        out[0] = autograd::to_input_dtype(ops::mul(rstd, inner), x_dtype);
      }
      auto psum = [&](const Tensor& t) { return lead.empty() ? t : ops::sum(t, IntArrayRef(lead), false); };
      if (needs(*this, 1)) out[1] = autograd::to_input_dtype(psum(ops::mul(go, xh)), w_dtype);
      if (!Rms && needs(*this, 2)) out[2] = autograd::to_input_dtype(psum(go), b_dtype);
      return out;
    }
    int64_t n = 1;
    for (int64_t s : normalized_shape) n *= s;
    const int64_t rows = n == 0 ? 0 : x.numel() / n;
    Tensor xc = ops::contiguous(x), gc = ops::contiguous(go), wc = has_w ? ops::contiguous(w) : Tensor();
    Tensor gx = needs(*this, 0) ? empty_tensor(x.sizes(), x.dtype(), x.device()) : Tensor();
    Tensor gw = needs(*this, 1) ? empty_tensor(normalized_shape, x.dtype(), x.device()) : Tensor();
    Tensor gb = (!Rms && needs(*this, 2)) ? empty_tensor(normalized_shape, x.dtype(), x.device()) : Tensor();
    if (rows == 0) {  // empty input: zero parameter gradients
      if (gw.defined()) ops::fill_(gw, Scalar(0.0));
      if (gb.defined()) ops::fill_(gb, Scalar(0.0));
    } else if (Rms) {
      rms_norm_backward_stub(xc.device(), gx, gw, gc, xc, wc, rows, n, eps);
    } else {
      layer_norm_backward_stub(xc.device(), gx, gw, gb, gc, xc, wc, rows, n, eps);
    }
    if (gx.defined()) out[0] = autograd::to_input_dtype(gx, x_dtype);
    if (gw.defined()) out[1] = autograd::to_input_dtype(gw, w_dtype);
    if (gb.defined()) out[2] = autograd::to_input_dtype(gb, b_dtype);
    return out;
  }
  void release_saved() override {
    x_saved.reset();
    w_saved.reset();
  }
};

Tensor layer_norm_autograd(const Tensor& input, IntArrayRef normalized_shape, const std::optional<Tensor>& weight,
                           const std::optional<Tensor>& bias, double eps) {
  Tensor out = autograd::below_autograd([&] { return ops::layer_norm(input, normalized_shape, weight, bias, eps); });
  Tensor none;
  const Tensor* wp = weight ? &*weight : &none;
  const Tensor* bp = bias ? &*bias : &none;
  if (auto n = autograd::make_node<NormBackward<false>>({&input, wp, bp})) {
    n->normalized_shape = DimVector(normalized_shape);
    n->eps = eps;
    n->x_dtype = input.dtype();
    n->has_w = weight.has_value();
    if (weight) n->w_dtype = weight->dtype();
    if (bias) n->b_dtype = bias->dtype();
    n->x_saved = SavedTensor(input, false);
    if (weight) n->w_saved = SavedTensor(*weight, false);
    autograd::set_history(out, n);
  }
  return out;
}

double rms_default_eps(DType dt) {
  switch (dt) {
    case DType::Float16:
      return 0.0009765625;
    case DType::BFloat16:
      return 0.0078125;
    case DType::Float64:
      return std::numeric_limits<double>::epsilon();
    default:
      return std::numeric_limits<float>::epsilon();
  }
}

Tensor rms_norm_autograd(const Tensor& input, IntArrayRef normalized_shape, const std::optional<Tensor>& weight,
                         std::optional<double> eps) {
  Tensor out = autograd::below_autograd([&] { return ops::rms_norm(input, normalized_shape, weight, eps); });
  Tensor none;
  const Tensor* wp = weight ? &*weight : &none;
  if (auto n = autograd::make_node<NormBackward<true>>({&input, wp})) {
    n->normalized_shape = DimVector(normalized_shape);
    n->eps = eps ? *eps : rms_default_eps(input.dtype());
    n->x_dtype = input.dtype();
    n->has_w = weight.has_value();
    if (weight) n->w_dtype = weight->dtype();
    n->x_saved = SavedTensor(input, false);
    if (weight) n->w_saved = SavedTensor(*weight, false);
    autograd::set_history(out, n);
  }
  return out;
}

}  // namespace

TS_REGISTER_KERNEL("softmax", Autograd, &softmax_autograd<false>);
TS_REGISTER_KERNEL("log_softmax", Autograd, &softmax_autograd<true>);
TS_REGISTER_KERNEL("layer_norm", Autograd, &layer_norm_autograd);
TS_REGISTER_KERNEL("rms_norm", Autograd, &rms_norm_autograd);

}  // namespace tessera

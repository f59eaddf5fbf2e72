// Forward-mode AD of softmax, log_softmax, layer_norm (closed forms: cheaper than the generic
// path), dropout and conv2d. Dropout: the generic path would run the op twice and draw
// two masks, so the mask is drawn once and applied to the primal and to the tangent. conv2d: its
// backward has no double backward, so the generic path cannot be used; it is bilinear in
// (input, weight) and affine in bias.
#include "autograd/forward_ad.h"
#include "dispatch/boxing.h"
#include "ops/binary.h"
#include "ops/copy.h"
#include "ops/creation.h"
#include "ops/nn.h"
#include "ops/reduce.h"
#include "ops/type_promotion.h"
#include "ops/unary.h"
#include "ops/view.h"

namespace tessera {
namespace {

Tensor dropout_jvp(const Tensor& input, double p, bool train) {
  Tensor t = autograd::tangent(input);
  if (!train || p == 0.0) {
    Tensor out = autograd::below_forward_ad([&] { return ops::dropout(input, p, train); });
    autograd::set_tangent(out, t);
    return out;
  }
  return autograd::below_forward_ad([&] {
    Tensor mask = ops::dropout(ops::ones_like(input), p, train);
    Tensor out = ops::mul(input, mask);
    autograd::set_tangent(out, ops::mul(t, mask));
    return out;
  });
}

template <class Padding, Tensor (*Conv)(const Tensor&, const Tensor&, const std::optional<Tensor>&, IntArrayRef,
                                        Padding, IntArrayRef, int64_t)>
Tensor conv2d_jvp(const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias, IntArrayRef stride,
                  Padding padding, IntArrayRef dilation, int64_t groups) {
  return autograd::below_forward_ad([&] {
    Tensor out = Conv(input, weight, bias, stride, padding, dilation, groups);
    Tensor ti = autograd::tangent(input), tw = autograd::tangent(weight);
    Tensor tb = bias ? autograd::tangent(*bias) : Tensor();
    Tensor t;
    auto acc = [&](const Tensor& v) { t = t.defined() ? ops::add(t, v) : v; };
    if (ti.defined()) acc(Conv(ti, weight, std::nullopt, stride, padding, dilation, groups));
    if (tw.defined()) acc(Conv(input, tw, std::nullopt, stride, padding, dilation, groups));
    if (tb.defined()) {
      std::vector<int64_t> shape(out.dim(), 1);
      shape[out.dim() - 3] = tb.numel();  // channel dim of (N, C, H, W) or (C, H, W)
      acc(ops::expand(ops::reshape(tb, shape), out.sizes()));
    }
    autograd::set_tangent(out, ops::contiguous(t));
    return out;
  });
}

// softmax: dy = y (t - sum(y t)); log_softmax: dy = t - sum(softmax t) (sums over `dim`).
template <bool Log>
Tensor softmax_jvp(const Tensor& input, int64_t dim, std::optional<DType> dtype) {
  return autograd::below_forward_ad([&] {
    Tensor out = Log ? ops::log_softmax(input, dim, dtype) : ops::softmax(input, dim, dtype);
    if (out.dim() == 0) {  // softmax of a scalar is constant
      autograd::set_tangent(out, ops::zeros_like(out));
      return out;
    }
    Tensor t = to_dtype(autograd::tangent(input), out.dtype());
    const int64_t d[] = {dim};
    Tensor p = Log ? ops::exp(out) : out;
    Tensor mean_t = ops::sum(ops::mul(p, t), IntArrayRef(d), true);
    autograd::set_tangent(out, Log ? ops::sub(t, mean_t) : ops::mul(out, ops::sub(t, mean_t)));
    return out;
  });
}

// layer_norm: with xh = (x - mean) rstd, dxh = rstd (dx - mean(dx)) - xh rstd mean(xh dx), and
// d(xh w + b) = dxh w + xh dw + db (means over the normalized dims).
Tensor layer_norm_jvp(const Tensor& input, IntArrayRef normalized_shape, const std::optional<Tensor>& weight,
                      const std::optional<Tensor>& bias, double eps) {
  return autograd::below_forward_ad([&] {
    Tensor out = ops::layer_norm(input, normalized_shape, weight, bias, eps);
    Tensor tx = autograd::tangent(input);
    Tensor tw = weight ? autograd::tangent(*weight) : Tensor();
    Tensor tb = bias ? autograd::tangent(*bias) : Tensor();
    std::vector<int64_t> dims;
    for (int64_t i = input.dim() - static_cast<int64_t>(normalized_shape.size()); i < input.dim(); ++i)
      dims.push_back(i);
    Tensor t;
    auto acc = [&](const Tensor& v) { t = t.defined() ? ops::add(t, v) : v; };
    Tensor xh;
    if (tx.defined() || tw.defined()) {
      Tensor xc = ops::sub(input, ops::mean(input, IntArrayRef(dims), true));
      Tensor rstd =
          ops::rsqrt(ops::add(ops::mean(ops::mul(xc, xc), IntArrayRef(dims), true), wrapped_scalar(Scalar(eps))));
      xh = ops::mul(xc, rstd);
      if (tx.defined()) {
        Tensor txc = ops::sub(tx, ops::mean(tx, IntArrayRef(dims), true));
        Tensor dxh = ops::mul(rstd, ops::sub(txc, ops::mul(xh, ops::mean(ops::mul(xh, txc), IntArrayRef(dims), true))));
        acc(weight ? ops::mul(dxh, *weight) : dxh);
      }
      if (tw.defined()) acc(ops::mul(xh, tw));
    }
    if (tb.defined()) acc(ops::contiguous(ops::expand(tb, out.sizes())));
    autograd::set_tangent(out, to_dtype(t, out.dtype()));
    return out;
  });
}

}  // namespace

TS_REGISTER_KERNEL("softmax", ForwardAD, &softmax_jvp<false>);
TS_REGISTER_KERNEL("log_softmax", ForwardAD, &softmax_jvp<true>);
TS_REGISTER_KERNEL("layer_norm", ForwardAD, &layer_norm_jvp);
TS_REGISTER_KERNEL("dropout", ForwardAD, &dropout_jvp);
TS_REGISTER_KERNEL("conv2d", ForwardAD, (&conv2d_jvp<IntArrayRef, &ops::conv2d>));
TS_REGISTER_KERNEL("conv2d.padding", ForwardAD, (&conv2d_jvp<std::string_view, &ops::conv2d_padding>));

}  // namespace tessera

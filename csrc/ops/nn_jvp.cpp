// Forward-mode AD of dropout and conv2d. Dropout: the generic path would run the op twice and draw
// two masks, so the mask is drawn once and applied to the primal and to the tangent. conv2d: its
// backward has no double backward, so the generic path cannot be used; it is bilinear in
// (input, weight) and affine in bias.
#include "autograd/forward_ad.h"
#include "dispatch/boxing.h"
#include "ops/binary.h"
#include "ops/copy.h"
#include "ops/creation.h"
#include "ops/nn.h"
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

}  // namespace

TS_REGISTER_KERNEL("dropout", ForwardAD, &dropout_jvp);
TS_REGISTER_KERNEL("conv2d", ForwardAD, (&conv2d_jvp<IntArrayRef, &ops::conv2d>));
TS_REGISTER_KERNEL("conv2d.padding", ForwardAD, (&conv2d_jvp<std::string_view, &ops::conv2d_padding>));

}  // namespace tessera

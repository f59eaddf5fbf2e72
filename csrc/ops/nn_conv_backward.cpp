// Backward formula of conv2d (and conv2d.padding): grad input by transposed GEMM + col2im, grad
// weight by GEMM against the im2col of the input, grad bias by summation (conv2d_backward_stub).
// 16-bit floats compute in float32 as the forward. Double backward is refused (NotImplemented).
#include <vector>

#include "autograd/formula_utils.h"
#include "autograd/grad_mode.h"
#include "autograd/record.h"
#include "autograd/saved_tensor.h"
#include "dispatch/boxing.h"
#include "ops/copy.h"
#include "ops/nn.h"
#include "ops/nn_backward_stubs.h"
#include "ops/type_promotion.h"
#include "ops/view.h"

namespace tessera {

TS_DEFINE_STUB(conv2d_backward_stub, "conv2d_backward",
               void(const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&,
                    IntArrayRef));

namespace {

using autograd::Node;
using autograd::SavedTensor;
using autograd::TensorVec;

struct ConvolutionBackward final : Node {
  SavedTensor x_saved, w_saved;
  int64_t stride[2] = {1, 1}, dil[2] = {1, 1}, groups = 1;
  int64_t pad[2] = {0, 0};  // top, left
  bool same = false;
  std::string name() const override { return "ConvolutionBackward0"; }
  TensorVec apply(TensorVec&& grads) override {
    const auto& e = next_edges();
    auto me = shared_from_this();
    Tensor x = x_saved.unpack(me), w = w_saved.unpack(me);
    TS_CHECK_NOT_IMPLEMENTED(
        !autograd::grad_enabled() || !(grads[0].requires_grad() || x.requires_grad() || w.requires_grad()),
        "[conv2d] double backward (create_graph=True) is not implemented");
    const DType dt = x.dtype();
    const DType cdt = (dt == DType::Float16 || dt == DType::BFloat16) ? DType::Float32 : dt;
    const bool batched = x.dim() == 4;
    Tensor xc = ops::contiguous(to_dtype(x, cdt));
    Tensor gc = ops::contiguous(to_dtype(grads[0], cdt));
    if (!batched) {
      xc = ops::unsqueeze(xc, 0);
      gc = ops::unsqueeze(gc, 0);
    }
    Tensor wc = ops::contiguous(to_dtype(w, cdt));
    int64_t pt = pad[0], pl = pad[1];
    if (same) {
      pt = dil[0] * (w.sizes()[2] - 1) / 2;
      pl = dil[1] * (w.sizes()[3] - 1) / 2;
    }
    Tensor gx = e[0].valid() ? empty_tensor(xc.sizes(), cdt, x.device()) : Tensor();
    Tensor gw = e[1].valid() ? empty_tensor(wc.sizes(), cdt, x.device()) : Tensor();
    Tensor gb = e[2].valid() ? empty_tensor(DimVector{w.sizes()[0]}, cdt, x.device()) : Tensor();
    const int64_t params[7] = {stride[0], stride[1], pt, pl, dil[0], dil[1], groups};
    conv2d_backward_stub(xc.device(), gx, gw, gb, gc, xc, wc, IntArrayRef(params, 7));
    TensorVec out(3);
    if (gx.defined()) out[0] = to_dtype(batched ? gx : ops::squeeze(gx, std::vector<int64_t>{0}), dt);
    if (gw.defined()) out[1] = to_dtype(gw, w.dtype());
    if (gb.defined()) out[2] = to_dtype(gb, dt);
    return out;
  }
  void release_saved() override {
    x_saved.reset();
    w_saved.reset();
  }
};

void pair(IntArrayRef v, int64_t out[2]) {
  out[0] = v.empty() ? 0 : v[0];
  out[1] = v.size() == 2 ? v[1] : out[0];
}

std::shared_ptr<ConvolutionBackward> conv_node(const Tensor& input, const Tensor& weight,
                                               const std::optional<Tensor>& bias, IntArrayRef stride,
                                               IntArrayRef dilation, int64_t groups) {
  Tensor none;
  const Tensor* bp = bias ? &*bias : &none;
  auto n = autograd::make_node<ConvolutionBackward>({&input, &weight, bp});
  if (!n) return n;
  pair(stride, n->stride);
  pair(dilation, n->dil);
  n->groups = groups;
  n->x_saved = SavedTensor(input, false);
  n->w_saved = SavedTensor(weight, false);
  return n;
}

Tensor conv2d_autograd(const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias, IntArrayRef stride,
                       IntArrayRef padding, IntArrayRef dilation, int64_t groups) {
  Tensor out =
      autograd::below_autograd([&] { return ops::conv2d(input, weight, bias, stride, padding, dilation, groups); });
  if (auto n = conv_node(input, weight, bias, stride, dilation, groups)) {
    pair(padding, n->pad);
    autograd::set_history(out, n);
  }
  return out;
}

Tensor conv2d_padding_autograd(const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias,
                               IntArrayRef stride, std::string_view padding, IntArrayRef dilation, int64_t groups) {
  Tensor out = autograd::below_autograd(
      [&] { return ops::conv2d_padding(input, weight, bias, stride, padding, dilation, groups); });
  if (auto n = conv_node(input, weight, bias, stride, dilation, groups)) {
    n->same = padding == "same";
    autograd::set_history(out, n);
  }
  return out;
}

}  // namespace

TS_REGISTER_KERNEL("conv2d", Autograd, &conv2d_autograd);
TS_REGISTER_KERNEL("conv2d.padding", Autograd, &conv2d_padding_autograd);

}  // namespace tessera

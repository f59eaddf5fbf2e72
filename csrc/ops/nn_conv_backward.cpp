// Backward formula of conv2d (and conv2d.padding): grad input by transposed GEMM + col2im, grad
// weight by GEMM against the im2col of the input, grad bias by summation (conv2d_backward_stub).
// 16-bit floats compute in float32 as the forward (on CUDA: float32 accumulation). When the backward itself is recorded
// (create_graph=True) the same gradients come from differentiable ops (im2col as index_select, col2im
// as index_add, GEMMs as matmul), so conv2d has second derivatives.
#include <vector>

#include "autograd/formula_utils.h"
#include "autograd/grad_mode.h"
#include "autograd/record.h"
#include "autograd/saved_tensor.h"
#include "dispatch/boxing.h"
#include "ops/copy.h"
#include "ops/creation.h"
#include "ops/indexing.h"
#include "ops/linalg.h"
#include "ops/reduce.h"
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

struct ConvGeometry {
  int64_t stride[2], pad_top, pad_left, pad_bottom, pad_right, dil[2], groups;
};

// Flat offsets into one padded image (C, Hp, Wp) of every im2col entry, ordered (c, i, j, y, x):
// the index that turns the padded image into the columns of the convolution GEMM.
Tensor im2col_index(int64_t c, int64_t hp, int64_t wp, int64_t kh, int64_t kw, int64_t oh, int64_t ow,
                    const ConvGeometry& g, Device device) {
  Tensor idx = empty_tensor(DimVector{c * kh * kw * oh * ow}, DType::Int64, Device());
  auto* p = static_cast<int64_t*>(idx.data_ptr());
  for (int64_t ch = 0; ch < c; ++ch)
    for (int64_t i = 0; i < kh; ++i)
      for (int64_t j = 0; j < kw; ++j)
        for (int64_t y = 0; y < oh; ++y)
          for (int64_t x = 0; x < ow; ++x)
            *p++ = (ch * hp + y * g.stride[0] + i * g.dil[0]) * wp + x * g.stride[1] + j * g.dil[1];
  return device.is_cpu() ? idx : ops::to(idx, device, std::nullopt);
}

// conv2d's gradients written with differentiable ops; x and g are batched (N, C, H, W) / (N, O, oh, ow).
TensorVec conv2d_backward_composite(const Tensor& x, const Tensor& w, const Tensor& g, const ConvGeometry& geo,
                                    bool need_x, bool need_w, bool need_b) {
  const int64_t n = x.sizes()[0], c = x.sizes()[1], o = w.sizes()[0], kh = w.sizes()[2], kw = w.sizes()[3];
  const int64_t oh = g.sizes()[2], ow = g.sizes()[3], groups = geo.groups;
  const int64_t hp = x.sizes()[2] + geo.pad_top + geo.pad_bottom, wp = x.sizes()[3] + geo.pad_left + geo.pad_right;
  const int64_t k = (c / groups) * kh * kw;
  const int64_t pads[4] = {geo.pad_left, geo.pad_right, geo.pad_top, geo.pad_bottom};
  Tensor idx = im2col_index(c, hp, wp, kh, kw, oh, ow, geo, x.device());
  Tensor g_r = ops::reshape(g, DimVector{n, groups, o / groups, oh * ow});
  TensorVec out(3);
  if (need_w) {
    Tensor xp = ops::reshape(ops::pad(x, IntArrayRef(pads, 4)), DimVector{n, c * hp * wp});
    Tensor cols = ops::reshape(ops::index_select(xp, 1, idx), DimVector{n, groups, k, oh * ow});
    Tensor gw = ops::sum(ops::matmul(g_r, ops::transpose(cols, -1, -2)), DimVector{0});
    out[1] = ops::reshape(gw, w.sizes());
  }
  if (need_x) {
    Tensor w_r = ops::reshape(w, DimVector{groups, o / groups, k});
    Tensor gcols = ops::reshape(ops::matmul(ops::transpose(w_r, -1, -2), g_r), DimVector{n, c * kh * kw * oh * ow});
    Tensor gxp = ops::index_add(ops::zeros(DimVector{n, c * hp * wp}, x.dtype(), x.device()), 1, idx, gcols);
    gxp = ops::reshape(gxp, DimVector{n, c, hp, wp});
    out[0] = ops::narrow(ops::narrow(gxp, 2, geo.pad_top, x.sizes()[2]), 3, geo.pad_left, x.sizes()[3]);
  }
  if (need_b) out[2] = ops::sum(g, DimVector{0, 2, 3});
  return out;
}

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
    if (autograd::grad_enabled() && (grads[0].requires_grad() || x.requires_grad() || w.requires_grad()))
      return apply_differentiable(x, w, grads[0]);
    const DType dt = x.dtype();
    // 16-bit floats: the CPU computes in float32; the CUDA kernel reads them as they are and
    // accumulates the weight and bias gradients in float32 (gdt), rounded once by to_dtype below.
    const bool half = dt == DType::Float16 || dt == DType::BFloat16;
    const DType gdt = half ? DType::Float32 : dt;
    const DType cdt = x.device().is_cuda() ? dt : gdt;
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
    Tensor gw = e[1].valid() ? empty_tensor(wc.sizes(), gdt, x.device()) : Tensor();
    Tensor gb = e[2].valid() ? empty_tensor(DimVector{w.sizes()[0]}, gdt, x.device()) : Tensor();
    const int64_t params[7] = {stride[0], stride[1], pt, pl, dil[0], dil[1], groups};
    conv2d_backward_stub(xc.device(), gx, gw, gb, gc, xc, wc, IntArrayRef(params, 7));
    TensorVec out(3);
    if (gx.defined()) out[0] = to_dtype(batched ? gx : ops::squeeze(gx, std::vector<int64_t>{0}), dt);
    if (gw.defined()) out[1] = to_dtype(gw, w.dtype());
    if (gb.defined()) out[2] = to_dtype(gb, dt);
    return out;
  }
  TensorVec apply_differentiable(const Tensor& x, const Tensor& w, const Tensor& g) const {
    const auto& e = next_edges();
    ConvGeometry geo{{stride[0], stride[1]}, pad[0], pad[1], pad[0], pad[1], {dil[0], dil[1]}, groups};
    if (same) {
      const int64_t th = dil[0] * (w.sizes()[2] - 1), tw = dil[1] * (w.sizes()[3] - 1);
      geo.pad_top = th / 2;
      geo.pad_bottom = th - th / 2;
      geo.pad_left = tw / 2;
      geo.pad_right = tw - tw / 2;
    }
    const bool batched = x.dim() == 4;
    TensorVec out = conv2d_backward_composite(batched ? x : ops::unsqueeze(x, 0), w,
                                              batched ? g : ops::unsqueeze(g, 0), geo, e[0].valid(), e[1].valid(),
                                              e[2].valid());
    if (out[0].defined() && !batched) out[0] = ops::squeeze(out[0], std::vector<int64_t>{0});
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

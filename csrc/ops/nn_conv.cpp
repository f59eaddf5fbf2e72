// conv2d front-end: PyTorch's argument checks, 'same'/'valid' padding, unbatched inputs, and
// float16/bfloat16 through float32 on the CPU; the kernels do im2col + GEMM (csrc/cpu/conv_kernels.cpp,
// csrc/cuda/conv_cuda.cpp).
#include <sstream>

#include "ops/copy.h"
#include "ops/nn.h"
#include "ops/nn_stubs.h"
#include "ops/type_promotion.h"
#include "ops/view_utils.h"

namespace tessera {

TS_DEFINE_STUB(conv2d_stub, "conv2d", void(const Tensor&, const Tensor&, const Tensor&, const Tensor&, IntArrayRef));

namespace {

std::string list_str(IntArrayRef v) {
  std::ostringstream s;
  s << "[";
  for (size_t i = 0; i < v.size(); ++i) s << (i ? ", " : "") << v[i];
  s << "]";
  return s.str();
}

// An int[2] argument given as one or two ints.
void pair_arg(const char* name, IntArrayRef v, int64_t out[2]) {
  TS_CHECK(v.size() == 1 || v.size() == 2, "[conv2d] expected ", name,
           " to be a single integer value or a list of 2 "
           "values to match the convolution dimensions, but got ",
           name, "=", list_str(v));
  out[0] = v[0];
  out[1] = v.size() == 2 ? v[1] : v[0];
}

// pad_*[0] = before, pad_*[1] = after; same_mode computes them from the kernel ('same').
Tensor conv2d_impl(const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias, IntArrayRef stride_a,
                   const int64_t* pad_explicit, bool same_mode, IntArrayRef dilation_a, int64_t groups) {
  TS_CHECK(input.dim() == 3 || input.dim() == 4,
           "[conv2d] Expected 3D (unbatched) or 4D (batched) input to conv2d, "
           "but got input of size: ",
           list_str(input.sizes()));
  TS_CHECK(weight.dim() == 4, "[conv2d] weight should have 4 dims (out, in/groups, kh, kw), got size ",
           list_str(weight.sizes()));
  TS_CHECK(input.dtype() == weight.dtype(), "[conv2d] Input type (", dtype_name(input.dtype()), ") and weight type (",
           dtype_name(weight.dtype()), ") should be the same");
  TS_CHECK_NOT_IMPLEMENTED(is_floating(input.dtype()), "[conv2d] not implemented for '", dtype_name(input.dtype()),
                           "'");
  int64_t stride[2], dil[2];
  pair_arg("stride", stride_a, stride);
  pair_arg("dilation", dilation_a, dil);
  TS_CHECK(stride[0] > 0 && stride[1] > 0, "[conv2d] non-positive stride is not supported");
  TS_CHECK(dil[0] > 0 && dil[1] > 0, "[conv2d] non-positive dilation is not supported");
  TS_CHECK(groups > 0, "[conv2d] non-positive groups is not supported");
  const bool batched = input.dim() == 4;
  const int64_t n = batched ? input.sizes()[0] : 1, c = input.sizes()[batched ? 1 : 0];
  const int64_t h = input.sizes()[batched ? 2 : 1], w = input.sizes()[batched ? 3 : 2];
  const int64_t o = weight.sizes()[0], cg = weight.sizes()[1], kh = weight.sizes()[2], kw = weight.sizes()[3];
  TS_CHECK(o % groups == 0, "[conv2d] Given groups=", groups, ", expected weight to be divisible by ", groups,
           " at dimension 0, but got weight of size ", list_str(weight.sizes()), " instead");
  TS_CHECK(c == cg * groups, "[conv2d] Given groups=", groups, ", weight of size ", list_str(weight.sizes()),
           ", expected input", list_str(input.sizes()), " to have ", cg * groups, " channels, but got ", c,
           " channels instead");
  if (bias) {
    TS_CHECK(bias->dim() == 1 && bias->sizes()[0] == o, "[conv2d] Given weight of size ", list_str(weight.sizes()),
             ", expected bias to be 1-dimensional with ", o, " elements, but got bias of size ",
             list_str(bias->sizes()), " instead");
    TS_CHECK(bias->dtype() == input.dtype(), "[conv2d] Input type (", dtype_name(input.dtype()), ") and bias type (",
             dtype_name(bias->dtype()), ") should be the same");
  }
  int64_t pt, pb, pl, pr;
  if (same_mode) {
    TS_CHECK(stride[0] == 1 && stride[1] == 1, "[conv2d] padding='same' is not supported for strided convolutions");
    const int64_t th = dil[0] * (kh - 1), tw = dil[1] * (kw - 1);
    pt = th / 2;
    pb = th - pt;
    pl = tw / 2;
    pr = tw - pl;
  } else {
    pt = pb = pad_explicit[0];
    pl = pr = pad_explicit[1];
    TS_CHECK(pt >= 0 && pl >= 0, "[conv2d] negative padding is not supported");
  }
  const int64_t eh = dil[0] * (kh - 1) + 1, ew = dil[1] * (kw - 1) + 1;
  TS_CHECK(h + pt + pb >= eh && w + pl + pr >= ew, "[conv2d] Calculated padded input size per channel: (", h + pt + pb,
           " x ", w + pl + pr, "). Kernel size: (", eh, " x ", ew,
           "). Kernel size can't be greater than actual input size");
  const int64_t oh = (h + pt + pb - eh) / stride[0] + 1, ow = (w + pl + pr - ew) / stride[1] + 1;

  // 16-bit floats: on the CPU compute in float32 (BLAS sgemm), round once at the end; the CUDA
  // kernel takes them as they are (its GEMMs accumulate in float32).
  const DType dt = input.dtype();
  const DType cdt = (dt == DType::Float16 || dt == DType::BFloat16) && !input.device().is_cuda() ? DType::Float32 : dt;
  Tensor x = ops::contiguous(to_dtype(input, cdt));
  if (!batched) x = detail::reshape_contiguous(x, DimVector{1, c, h, w});
  Tensor wt = ops::contiguous(to_dtype(weight, cdt));
  Tensor b = bias ? ops::contiguous(to_dtype(*bias, cdt)) : Tensor();
  Tensor out = empty_tensor(DimVector{n, o, oh, ow}, cdt, input.device());
  if (out.numel() > 0) {
    const int64_t params[7] = {stride[0], stride[1], pt, pl, dil[0], dil[1], groups};
    conv2d_stub(x.device(), out, x, wt, b, IntArrayRef(params, 7));
  }
  if (cdt != dt) out = ops::to(out, std::nullopt, dt);
  if (!batched) out = detail::reshape_contiguous(out, DimVector{o, oh, ow});
  return out;
}

Tensor conv2d_kernel(const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias, IntArrayRef stride,
                     IntArrayRef padding, IntArrayRef dilation, int64_t groups) {
  int64_t pad[2];
  pair_arg("padding", padding, pad);
  return conv2d_impl(input, weight, bias, stride, pad, false, dilation, groups);
}

Tensor conv2d_padding_kernel(const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias,
                             IntArrayRef stride, std::string_view padding, IntArrayRef dilation, int64_t groups) {
  const int64_t zero[2] = {0, 0};
  if (padding == "valid") return conv2d_impl(input, weight, bias, stride, zero, false, dilation, groups);
  TS_CHECK_VALUE(padding == "same", "[conv2d] Invalid padding string: '", padding, "'");
  return conv2d_impl(input, weight, bias, stride, zero, true, dilation, groups);
}

}  // namespace

TS_REGISTER_OP_ALL_BACKENDS(
    "conv2d(Tensor input, Tensor weight, Tensor? bias=None, int[] stride=[1, 1], int[] padding=[0, 0], int[] "
    "dilation=[1, 1], int groups=1) -> Tensor",
    &conv2d_kernel);
TS_REGISTER_OP_ALL_BACKENDS(
    "conv2d.padding(Tensor input, Tensor weight, Tensor? bias=None, int[] stride=[1, 1], str padding='valid', int[] "
    "dilation=[1, 1], int groups=1) -> Tensor",
    &conv2d_padding_kernel);

namespace ops {
Tensor conv2d(const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias, IntArrayRef stride,
              IntArrayRef padding, IntArrayRef dilation, int64_t groups) {
  static TypedOp<Tensor(const Tensor&, const Tensor&, const std::optional<Tensor>&, IntArrayRef, IntArrayRef,
                        IntArrayRef, int64_t)>
      op("conv2d");
  return op(input, weight, bias, stride, padding, dilation, groups);
}
Tensor conv2d_padding(const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias, IntArrayRef stride,
                      std::string_view padding, IntArrayRef dilation, int64_t groups) {
  static TypedOp<Tensor(const Tensor&, const Tensor&, const std::optional<Tensor>&, IntArrayRef, std::string_view,
                        IntArrayRef, int64_t)>
      op("conv2d.padding");
  return op(input, weight, bias, stride, padding, dilation, groups);
}
}  // namespace ops
}  // namespace tessera

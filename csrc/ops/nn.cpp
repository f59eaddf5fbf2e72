// Front-ends of embedding, dropout, one_hot and pad.
#include "ops/nn.h"

#include <algorithm>

#include "ops/copy.h"
#include "ops/creation.h"
#include "ops/nn_stubs.h"
#include "ops/type_promotion.h"
#include "ops/view_utils.h"

namespace tessera {

TS_DEFINE_STUB(embedding_stub, "embedding", void(const Tensor&, const Tensor&, const Tensor&));
TS_DEFINE_STUB(dropout_stub, "dropout", void(const Tensor&, const Tensor&, double));
TS_DEFINE_STUB(one_hot_stub, "one_hot", void(const Tensor&, const Tensor&));
TS_DEFINE_STUB(pad_index_stub, "pad", void(const Tensor&, const Tensor&, IntArrayRef, int64_t));

namespace {

// torch.embedding(weight, indices, padding_idx=-1, ...): padding_idx only matters for gradients.
Tensor embedding_kernel(const Tensor& weight, const Tensor& indices, int64_t padding_idx) {
  (void)padding_idx;
  TS_CHECK(indices.dtype() == DType::Int64 || indices.dtype() == DType::Int32,
           "[embedding] Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, "
           "Int; but got ",
           dtype_name(indices.dtype()), " instead");
  TS_CHECK(weight.dim() == 2, "[embedding] 'weight' must be 2-D, got ", weight.dim(), "-D");
  TS_CHECK(indices.device() == weight.device(),
           "[embedding] Expected all tensors to be on the same device, but found at least two devices, ",
           weight.device().str(), " and ", indices.device().str(), "!");
  DimVector shape(indices.sizes());
  shape.push_back(weight.sizes()[1]);
  Tensor out = empty_tensor(shape, weight.dtype(), weight.device());
  Tensor idx = ops::contiguous(indices);
  embedding_stub(weight.device(), out, weight, idx);
  return out;
}

Tensor dropout_kernel(const Tensor& input, double p, bool train) {
  TS_CHECK(p >= 0.0 && p <= 1.0, "[dropout] dropout probability has to be between 0 and 1, but got ", p);
  if (!train || input.numel() == 0) return input;
  TS_CHECK(is_floating(input.dtype()), "[dropout] expected a floating point input, got ", dtype_name(input.dtype()));
  Tensor out = empty_tensor(input.sizes(), input.dtype(), input.device());
  dropout_stub(input.device(), out, input, p);
  return out;
}

Tensor one_hot_kernel(const Tensor& input, int64_t num_classes) {
  TS_CHECK(input.dtype() == DType::Int64,
           "[one_hot] one_hot is only applicable to index tensor of type LongTensor, "
           "got ",
           dtype_name(input.dtype()));
  Tensor x = ops::contiguous(input);
  // The class checks read the values on the host (a copy for GPU inputs).
  const Tensor host = x.device().is_cpu() ? x : ops::to(x, Device(DeviceType::CPU), std::nullopt);
  const int64_t* p = host.data<int64_t>();
  const int64_t n = x.numel();
  if (num_classes == -1) {
    TS_CHECK(n > 0, "[one_hot] Can not infer total number of classes from empty tensor.");
    num_classes = *std::max_element(p, p + n) + 1;
  }
  TS_CHECK(num_classes >= 0, "[one_hot] num_classes should be positive or -1, got ", num_classes);
  for (int64_t i = 0; i < n; ++i) {
    TS_CHECK(p[i] >= 0, "[one_hot] Class values must be non-negative.");
    TS_CHECK(p[i] < num_classes, "[one_hot] Class values must be smaller than num_classes.");
  }
  DimVector shape(input.sizes());
  shape.push_back(num_classes);
  Tensor out = empty_tensor(shape, DType::Int64, input.device());
  one_hot_stub(input.device(), out, x);
  return out;
}

Tensor pad_kernel(const Tensor& input, IntArrayRef pad, std::string_view mode, std::optional<double> value) {
  const int64_t len = static_cast<int64_t>(pad.size()), nd = input.dim();
  TS_CHECK(len % 2 == 0, "[pad] Padding length must be divisible by 2, got ", len);
  TS_CHECK(len / 2 <= nd,
           "[pad] Padding length should be less than or equal to two times the input dimension but "
           "got padding length ",
           len, " and input of dimension ", nd);
  int64_t imode = 0;
  if (mode == "constant")
    imode = 0;
  else if (mode == "reflect")
    imode = 1;
  else if (mode == "replicate")
    imode = 2;
  else if (mode == "circular")
    imode = 3;
  else
    TS_FAIL(NotImplemented, "[pad] Unrecognised padding mode ", mode);
  const int64_t npairs = len / 2;
  DimVector out_shape(input.sizes());
  for (int64_t i = 0; i < npairs; ++i) {
    const int64_t d = nd - 1 - i, lo = pad[2 * i], hi = pad[2 * i + 1];
    out_shape[d] = input.sizes()[d] + lo + hi;
    TS_CHECK(out_shape[d] >= 0, "[pad] The input size ", input.sizes()[d], ", plus negative padding ", lo, " and ", hi,
             " resulted in a negative output size, which is invalid. Check dimension ", d, " of your input.");
  }
  if (imode == 0) {
    Tensor out = empty_tensor(out_shape, input.dtype(), input.device());
    if (out.numel() == 0) return out;
    ops::fill_(out, Scalar(value.value_or(0.0)));
    // The overlap of input and output: negative pads crop the input.
    DimVector sizes(input.sizes());
    int64_t in_off = input.storage_offset(), out_off = 0;
    const DimVector out_strides = contiguous_strides(out_shape);
    for (int64_t i = 0; i < npairs; ++i) {
      const int64_t d = nd - 1 - i, lo = pad[2 * i], hi = pad[2 * i + 1];
      const int64_t crop_lo = std::max<int64_t>(-lo, 0), crop_hi = std::max<int64_t>(-hi, 0);
      sizes[d] = std::max<int64_t>(input.sizes()[d] - crop_lo - crop_hi, 0);
      in_off += crop_lo * input.strides()[d];
      out_off += std::max<int64_t>(lo, 0) * out_strides[d];
    }
    int64_t inner = 1;
    for (int64_t s : sizes) inner *= s;
    if (inner > 0) {
      Tensor src = make_view(input, sizes, DimVector(input.strides()), in_off);
      Tensor dst = make_view(out, sizes, out_strides, out_off);
      ops::copy_(dst, src);
    }
    return out;
  }
  TS_CHECK(!value, "[pad] Padding mode \"", mode, "\" doesn't take in value argument");
  TS_CHECK_NOT_IMPLEMENTED(npairs >= 1 && npairs <= 3 && (nd == npairs + 1 || nd == npairs + 2), "[pad] ", mode,
                           " padding of ", npairs, " dims needs a ", npairs + 1, "-D or ", npairs + 2, "-D input, got ",
                           nd, "-D");
  for (int64_t i = 0; i < npairs; ++i) {
    const int64_t d = nd - 1 - i, lo = pad[2 * i], hi = pad[2 * i + 1], sz = input.sizes()[d];
    if (imode == 1) {
      TS_CHECK(lo < sz && hi < sz,
               "[pad] Argument #4: Padding size should be less than the corresponding input "
               "dimension, but got: padding (",
               lo, ", ", hi, ") at dimension ", d, " of input ", shape_str(input.sizes()));
    } else if (imode == 3) {
      TS_CHECK(lo <= sz && hi <= sz, "[pad] Padding value causes wrapping around more than once.");
    }
    TS_CHECK(sz > 0 || (lo <= 0 && hi <= 0), "[pad] input dimension ", d, " is empty: nothing to ", mode);
  }
  Tensor out = empty_tensor(out_shape, input.dtype(), input.device());
  if (out.numel() == 0) return out;
  if (imode == 3) {
    // PyTorch crops negative circular pads first, then wraps around the cropped input.
    Tensor src = input;
    DimVector pos(pad.begin(), pad.end());
    for (int64_t i = 0; i < npairs; ++i) {
      const int64_t d = nd - 1 - i, crop_lo = std::max<int64_t>(-pad[2 * i], 0),
                    crop_hi = std::max<int64_t>(-pad[2 * i + 1], 0);
      const int64_t kept = src.sizes()[d] - crop_lo - crop_hi;
      TS_CHECK(kept > 0, "[pad] negative padding (", pad[2 * i], ", ", pad[2 * i + 1], ") leaves nothing of dimension ",
               d, " to wrap around");
      if (crop_lo + crop_hi > 0) {
        DimVector sizes(src.sizes());
        sizes[d] = kept;
        src = make_view(src, std::move(sizes), DimVector(src.strides()),
                        src.storage_offset() + crop_lo * src.strides()[d]);
      }
      pos[2 * i] = std::max<int64_t>(pad[2 * i], 0);
      pos[2 * i + 1] = std::max<int64_t>(pad[2 * i + 1], 0);
    }
    pad_index_stub(input.device(), out, src, pos, imode);
    return out;
  }
  pad_index_stub(input.device(), out, input, pad, imode);
  return out;
}

}  // namespace

TS_REGISTER_OP_ALL_BACKENDS("embedding(Tensor weight, Tensor indices, int padding_idx=-1) -> Tensor",
                            &embedding_kernel);
TS_REGISTER_OP_ALL_BACKENDS("dropout(Tensor input, float p=0.5, bool train=True) -> Tensor", &dropout_kernel);
TS_REGISTER_OP_ALL_BACKENDS("one_hot(Tensor self, int num_classes=-1) -> Tensor", &one_hot_kernel);
TS_REGISTER_OP_ALL_BACKENDS("pad(Tensor self, int[] pad, str mode='constant', float? value=None) -> Tensor",
                            &pad_kernel);

namespace ops {
Tensor embedding(const Tensor& weight, const Tensor& indices, int64_t padding_idx) {
  static TypedOp<Tensor(const Tensor&, const Tensor&, int64_t)> op("embedding");
  return op(weight, indices, padding_idx);
}
Tensor dropout(const Tensor& input, double p, bool train) {
  static TypedOp<Tensor(const Tensor&, double, bool)> op("dropout");
  return op(input, p, train);
}
Tensor one_hot(const Tensor& input, int64_t num_classes) {
  static TypedOp<Tensor(const Tensor&, int64_t)> op("one_hot");
  return op(input, num_classes);
}
Tensor pad(const Tensor& input, IntArrayRef pad, std::string_view mode, std::optional<double> value) {
  static TypedOp<Tensor(const Tensor&, IntArrayRef, std::string_view, std::optional<double>)> op("pad");
  return op(input, pad, mode, value);
}
}  // namespace ops
}  // namespace tessera

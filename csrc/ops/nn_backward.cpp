// Backward formulas of embedding, dropout and pad; one_hot is not differentiable.
#include <vector>

#include "autograd/formula_utils.h"
#include "autograd/grad_mode.h"
#include "autograd/record.h"
#include "autograd/saved_tensor.h"
#include "dispatch/boxing.h"
#include "ops/binary.h"
#include "ops/compare.h"
#include "ops/copy.h"
#include "ops/creation.h"
#include "ops/indexing.h"
#include "ops/nn.h"
#include "ops/nn_backward_stubs.h"
#include "ops/type_promotion.h"
#include "ops/view.h"

namespace tessera {

TS_DEFINE_STUB(embedding_backward_stub, "embedding_backward",
               void(const Tensor&, const Tensor&, const Tensor&, int64_t));

namespace {

using autograd::Node;
using autograd::SavedTensor;
using autograd::TensorVec;

// ---- embedding: rows of the gradient scatter-added into the weight's gradient; the
// padding_idx row gets none.
struct EmbeddingBackward final : Node {
  SavedTensor idx_saved;
  int64_t num_weights = 0, dim = 0, padding_idx = -1;
  DType w_dtype = DType::Float32;
  std::string name() const override { return "EmbeddingBackward0"; }
  TensorVec apply(TensorVec&& g) override {
    TensorVec out(2);
    if (!next_edges()[0].valid()) return out;
    Tensor idx = ops::contiguous(idx_saved.unpack(shared_from_this()));
    std::vector<int64_t> shape2{idx.numel(), dim}, wshape{num_weights, dim};
    Tensor go = ops::reshape(to_dtype(g[0], w_dtype), shape2);
    if (autograd::grad_enabled()) {  // create_graph: linear in g, composed
      Tensor flat = ops::reshape(idx, std::vector<int64_t>{idx.numel()});
      if (padding_idx >= 0) {
        Tensor keep = ops::ne(flat, wrapped_scalar(Scalar(padding_idx)));
        go = ops::mul(go, ops::unsqueeze(to_dtype(keep, w_dtype), 1));
      }
      out[0] = ops::index_add(ops::zeros(wshape, w_dtype, go.device()), 0, flat, go);
      return out;
    }
    Tensor gw = ops::zeros(wshape, w_dtype, go.device());
    if (go.numel() > 0) embedding_backward_stub(gw.device(), gw, ops::contiguous(go), idx, padding_idx);
    out[0] = gw;
    return out;
  }
  void release_saved() override { idx_saved.reset(); }
};

Tensor embedding_autograd(const Tensor& weight, const Tensor& indices, int64_t padding_idx) {
  Tensor out = autograd::below_autograd([&] { return ops::embedding(weight, indices, padding_idx); });
  if (auto n = autograd::make_node<EmbeddingBackward>({&weight, &indices})) {
    n->num_weights = weight.sizes()[0];
    n->dim = weight.sizes()[1];
    n->padding_idx = padding_idx;
    n->w_dtype = weight.dtype();
    n->idx_saved = SavedTensor(indices, false);
    autograd::set_history(out, n);
  }
  return out;
}

// ---- dropout: the forward draws the scaled mask (0 or 1 / (1 - p)) and multiplies; backward
// is g * mask.
struct DropoutBackward final : Node {
  SavedTensor mask_saved;
  std::string name() const override { return "NativeDropoutBackward0"; }
  TensorVec apply(TensorVec&& g) override {
    Tensor mask = mask_saved.unpack(shared_from_this());
    return {autograd::to_input_dtype(ops::mul(g[0], mask), mask.dtype())};
  }
  void release_saved() override { mask_saved.reset(); }
};

Tensor dropout_autograd(const Tensor& input, double p, bool train) {
  if (!train || input.numel() == 0 || !autograd::compute_requires_grad({&input}))
    return autograd::below_autograd([&] { return ops::dropout(input, p, train); });
  Tensor mask;
  Tensor out = autograd::below_autograd([&] {
    mask = ops::dropout(ops::ones_like(input), p, train);
    return ops::mul(input, mask);
  });
  if (auto n = autograd::make_node<DropoutBackward>({&input})) {
    n->mask_saved = SavedTensor(mask, false);
    autograd::set_history(out, n);
  }
  return out;
}

// ---- pad. constant: the gradient is g cropped back (pad with the negated pads). reflect,
// replicate, circular: g scatter-added to the source positions, found by padding an iota.
struct PadBackward final : Node {
  std::vector<int64_t> pads;
  int64_t mode = 0;  // 0 constant, else the mode string in mode_name
  std::string mode_name;
  DimVector in_shape;
  DType dtype = DType::Float32;
  std::string name() const override { return mode == 0 ? "ConstantPadNdBackward0" : "PadBackward0"; }
  TensorVec apply(TensorVec&& g) override {
    if (mode == 0) {
      std::vector<int64_t> neg(pads.size());
      for (size_t i = 0; i < pads.size(); ++i) neg[i] = -pads[i];
      return {autograd::to_input_dtype(ops::pad(g[0], neg, "constant", 0.0), dtype)};
    }
    const int64_t nd = static_cast<int64_t>(in_shape.size()), k = static_cast<int64_t>(pads.size()) / 2;
    // Source index (into the input's trailing k dims) of every padded position.
    std::vector<int64_t> spatial{1};
    int64_t sn = 1, lead = 1;
    for (int64_t d = nd - k; d < nd; ++d) {
      spatial.push_back(in_shape[d]);
      sn *= in_shape[d];
    }
    for (int64_t d = 0; d < nd - k; ++d) lead *= in_shape[d];
    Tensor iota = ops::reshape(
        ops::arange(Scalar(static_cast<int64_t>(0)), Scalar(sn), Scalar(static_cast<int64_t>(1)), DType::Int64),
        spatial);
    Tensor src = ops::reshape(ops::pad(iota, pads, mode_name, std::nullopt), std::vector<int64_t>{-1});
    Tensor go = ops::reshape(to_dtype(g[0], dtype), std::vector<int64_t>{lead, src.numel()});
    std::vector<int64_t> gshape{lead, sn};
    Tensor gi = ops::index_add(ops::zeros(gshape, dtype, go.device()), 1, src, go);
    return {ops::reshape(gi, in_shape)};
  }
};

Tensor pad_autograd(const Tensor& input, IntArrayRef pad, std::string_view mode, std::optional<double> value) {
  Tensor out = autograd::below_autograd([&] { return ops::pad(input, pad, mode, value); });
  if (auto n = autograd::make_node<PadBackward>({&input})) {
    n->pads.assign(pad.begin(), pad.end());
    n->mode = mode == "constant" ? 0 : 1;
    n->mode_name = std::string(mode);
    n->in_shape = DimVector(input.sizes());
    n->dtype = input.dtype();
    autograd::set_history(out, n);
  }
  return out;
}

}  // namespace

TS_REGISTER_KERNEL("embedding", Autograd, &embedding_autograd);
TS_REGISTER_KERNEL("dropout", Autograd, &dropout_autograd);
TS_REGISTER_KERNEL("pad", Autograd, &pad_autograd);
TS_NONDIFFERENTIABLE("one_hot");

}  // namespace tessera

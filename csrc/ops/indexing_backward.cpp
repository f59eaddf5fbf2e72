// Backward formulas of the indexing ops: advanced indexing (index / index_put), index_select,
// gather/scatter (+ scatter_add, scatter_reduce sum/mean/amax/amin), index_add/index_copy/
// index_fill, masked_select/masked_scatter, take/put. Index tensors and masks carry no gradient.
// Formulas use ops that have formulas themselves (index_put <-> index, gather <-> scatter_add,
// take <-> put ...), so higher derivatives exist.
#include <vector>

#include "autograd/formula_utils.h"
#include "autograd/record.h"
#include "autograd/saved_tensor.h"
#include "core/shape.h"
#include "dispatch/boxing.h"
#include "ops/binary.h"
#include "ops/compare.h"
#include "ops/creation.h"
#include "ops/indexing.h"
#include "ops/join.h"
#include "ops/ternary.h"
#include "ops/type_promotion.h"
#include "ops/view.h"

namespace tessera {
namespace {

using autograd::Node;
using autograd::SavedTensor;
using autograd::TensorVec;

using autograd::InputInfo;
using autograd::needs;

Tensor zero_scalar(const Tensor& like) {
  return ops::zeros({}, like.dtype(), like.device());
}

// g with zeros where mask (broadcast to g) is true, through index_put so it stays differentiable.
Tensor zero_where(const Tensor& g, const Tensor& mask) {
  const int64_t one[1] = {1};
  Tensor gg = g.dim() == 0 ? ops::reshape(g, IntArrayRef(one, 1)) : g;
  Tensor m = ops::expand(mask, gg.sizes());
  Tensor r = ops::index_put(gg, TensorList(&m, 1), zero_scalar(g), false);
  return g.dim() == 0 ? ops::reshape(r, IntArrayRef()) : r;
}

// A gradient of index's shape placed in the leading block of a larger `shape` (scatter's src
// may be larger than index; only that block is read).
Tensor pad_to(const Tensor& g, const InputInfo& to) {
  if (std::equal(g.sizes().begin(), g.sizes().end(), to.shape.begin(), to.shape.end())) return g;
  static TypedOp<Tensor(const Tensor&, IntArrayRef, IntArrayRef, IntArrayRef, int64_t)> scatter("_view_scatter");
  DimVector st(to.shape.size());
  int64_t acc = 1;
  for (size_t i = to.shape.size(); i-- > 0;) {
    st[i] = acc;
    acc *= std::max<int64_t>(to.shape[i], 1);
  }
  return scatter(g, to.shape, g.sizes(), st, 0);
}

std::vector<SavedTensor> save_all(TensorList ts) {
  std::vector<SavedTensor> v;
  for (const Tensor& t : ts) v.emplace_back(t, false);
  return v;
}
std::vector<Tensor> unpack_all(const std::vector<SavedTensor>& v, const std::shared_ptr<Node>& me) {
  std::vector<Tensor> out;
  for (const SavedTensor& s : v) out.push_back(s.defined() ? s.unpack(me) : Tensor());
  return out;
}

// ---- advanced indexing ----------------------------------------------------------------------

struct IndexBackward final : Node {
  InputInfo self;
  std::vector<SavedTensor> indices;
  std::string name() const override { return "IndexBackward0"; }
  TensorVec apply(TensorVec&& g) override {
    std::vector<Tensor> idx = unpack_all(indices, shared_from_this());
    return {ops::index_put(self.zeros(), idx, g[0], /*accumulate=*/true)};
  }
  void release_saved() override {
    for (SavedTensor& s : indices) s.reset();
  }
};

Tensor index_ag(const Tensor& self, TensorList indices) {
  Tensor out = autograd::below_autograd([&] { return ops::index(self, indices); });
  if (auto n = autograd::make_node<IndexBackward>({&self})) {
    n->self.set(self);
    n->indices = save_all(indices);
    autograd::set_history(out, n);
  }
  return out;
}

struct IndexPutBackward final : Node {
  InputInfo self, values;
  bool accumulate = false;
  std::vector<SavedTensor> indices;
  std::string name() const override { return "IndexPutBackward0"; }
  TensorVec apply(TensorVec&& g) override {
    std::vector<Tensor> idx = unpack_all(indices, shared_from_this());
    TensorVec out(2);
    if (needs(*this, 0)) out[0] = accumulate ? g[0] : ops::index_put(g[0], idx, zero_scalar(g[0]), false);
    if (needs(*this, 1)) out[1] = autograd::reduce_grad(ops::index(g[0], idx), values.shape, values.dtype);
    return out;
  }
  void release_saved() override {
    for (SavedTensor& s : indices) s.reset();
  }
};

Tensor index_put_ag(const Tensor& self, TensorList indices, const Tensor& values, bool accumulate) {
  Tensor out = autograd::below_autograd([&] { return ops::index_put(self, indices, values, accumulate); });
  if (auto n = autograd::make_node<IndexPutBackward>({&self, &values})) {
    n->self.set(self);
    n->values.set(values);
    n->accumulate = accumulate;
    n->indices = save_all(indices);
    autograd::set_history(out, n);
  }
  return out;
}

// ---- dim-wise index ops ---------------------------------------------------------------------

// index_select and gather read along `dim` at `index`: the gradient goes back into zeros of the
// input's shape at the same places (index_add resp. scatter_add), so both share one node.
struct DimGatherBackward final : Node {
  bool whole_slices = false;  // index_select (whole slices) or gather (single elements)
  InputInfo self;
  int64_t dim = 0;
  SavedTensor index;
  std::string name() const override { return whole_slices ? "IndexSelectBackward0" : "GatherBackward0"; }
  TensorVec apply(TensorVec&& g) override {
    Tensor idx = index.unpack(shared_from_this());
    return {whole_slices ? ops::index_add(self.zeros(), dim, idx, g[0])
                         : ops::scatter_add(self.zeros(), dim, idx, g[0])};
  }
  void release_saved() override { index.reset(); }
};

template <bool WholeSlices>
Tensor dim_gather_ag(const Tensor& self, int64_t dim, const Tensor& index) {
  Tensor out = autograd::below_autograd(
      [&] { return WholeSlices ? ops::index_select(self, dim, index) : ops::gather(self, dim, index); });
  if (auto n = autograd::make_node<DimGatherBackward>({&self})) {
    n->whole_slices = WholeSlices;
    n->self.set(self);
    n->dim = dim;
    n->index = SavedTensor(index, false);
    autograd::set_history(out, n);
  }
  return out;
}

// scatter / scatter_add / scatter_reduce: self's gradient (zeroed where overwritten), src's
// gradient gathered at the index.
enum class ScatterKind { Overwrite, Add, Sum, Mean, Amax, Amin };

struct ScatterBackward final : Node {
  std::string op;
  ScatterKind kind = ScatterKind::Overwrite;
  bool include_self = true;
  InputInfo self, src;
  int64_t dim = 0;
  SavedTensor index;
  Tensor count;                               // mean: elements averaged per position (constant)
  SavedTensor self_saved, src_saved, result;  // amax/amin
  std::string name() const override { return op; }
  TensorVec apply(TensorVec&& g) override {
    auto me = shared_from_this();
    Tensor idx = index.unpack(me);
    Tensor gs = g[0], gsrc_full = g[0];
    bool self_zeroed = kind == ScatterKind::Overwrite || !include_self;
    if (kind == ScatterKind::Mean) gs = gsrc_full = ops::div(g[0], count);
    Tensor self_mask, src_mask;
    if (kind == ScatterKind::Amax || kind == ScatterKind::Amin) {
      Tensor s = self_saved.unpack(me), r = result.unpack(me);
      Tensor x = src_saved.unpack(me);
      Tensor value = ops::gather(r, dim, idx);
      self_mask = ops::eq(s, r);
      src_mask = ops::eq(x, value);
      Tensor n = autograd::below_autograd(
          [&] { return ops::scatter_add(to_dtype(self_mask, self.dtype), dim, idx, to_dtype(src_mask, self.dtype)); });
      gs = gsrc_full = ops::div(g[0], n);
      gs = ops::mul(gs, self_mask);
    }
    TensorVec out(next_edges().size());
    if (needs(*this, 0)) {
      Tensor r = self_zeroed ? ops::scatter(gs, dim, idx, Scalar(0.0)) : gs;
      out[0] = autograd::to_input_dtype(r, self.dtype);
    }
    if (next_edges().size() > 1 && needs(*this, 1)) {
      Tensor r = ops::gather(gsrc_full, dim, idx);
      if (src_mask.defined()) r = ops::mul(r, src_mask);
      out[1] = autograd::to_input_dtype(pad_to(r, src), src.dtype);
    }
    return out;
  }
  void release_saved() override {
    index.reset();
    self_saved.reset();
    src_saved.reset();
    result.reset();
    count = Tensor();
  }
};

void check_no_reduce(const char* op, std::optional<std::string_view> reduce) {
  TS_CHECK_NOT_IMPLEMENTED(!reduce, "[", op, "] the derivative of ", op, " with reduce='", *reduce,
                           "' is not implemented (as in PyTorch); use scatter_reduce");
}

Tensor scatter_ag(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
                  std::optional<std::string_view> reduce) {
  Tensor out = autograd::below_autograd([&] { return ops::scatter(self, dim, index, src, reduce); });
  if (auto n = autograd::make_node<ScatterBackward>({&self, &src})) {
    check_no_reduce("scatter", reduce);
    n->op = "ScatterBackward0";
    n->self.set(self);
    n->src.set(src);
    n->dim = dim;
    n->index = SavedTensor(index, false);
    autograd::set_history(out, n);
  }
  return out;
}

Tensor scatter_value_ag(const Tensor& self, int64_t dim, const Tensor& index, const Scalar& value,
                        std::optional<std::string_view> reduce) {
  Tensor out = autograd::below_autograd([&] { return ops::scatter(self, dim, index, value, reduce); });
  if (auto n = autograd::make_node<ScatterBackward>({&self})) {
    check_no_reduce("scatter", reduce);
    n->op = "ScatterBackward1";
    n->self.set(self);
    n->dim = dim;
    n->index = SavedTensor(index, false);
    autograd::set_history(out, n);
  }
  return out;
}

Tensor scatter_add_ag(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
  Tensor out = autograd::below_autograd([&] { return ops::scatter_add(self, dim, index, src); });
  if (auto n = autograd::make_node<ScatterBackward>({&self, &src})) {
    n->op = "ScatterAddBackward0";
    n->kind = ScatterKind::Add;
    n->self.set(self);
    n->src.set(src);
    n->dim = dim;
    n->index = SavedTensor(index, false);
    autograd::set_history(out, n);
  }
  return out;
}

Tensor scatter_reduce_ag(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
                         std::string_view reduce, bool include_self) {
  Tensor out =
      autograd::below_autograd([&] { return ops::scatter_reduce(self, dim, index, src, reduce, include_self); });
  if (auto n = autograd::make_node<ScatterBackward>({&self, &src})) {
    n->op = "ScatterReduceBackward0";
    n->include_self = include_self;
    n->self.set(self);
    n->src.set(src);
    n->dim = wrap_dim(dim, std::max<int64_t>(self.dim(), 1), "scatter_reduce");
    n->index = SavedTensor(index, false);
    if (reduce == "sum") {
      n->kind = ScatterKind::Sum;
    } else if (reduce == "mean") {
      n->kind = ScatterKind::Mean;
      n->count = autograd::below_autograd([&] {
        Tensor base = include_self ? ops::ones(self.sizes(), self.dtype(), self.device()) : n->self.zeros();
        Tensor c = ops::scatter_add(base, dim, index, ops::ones(index.sizes(), self.dtype(), self.device()));
        return ops::masked_fill(c, ops::eq(c, wrapped_scalar(0)), ops::ones({}, self.dtype(), self.device()));
      });
    } else if (reduce == "amax" || reduce == "amin") {
      TS_CHECK_NOT_IMPLEMENTED(
          std::equal(src.sizes().begin(), src.sizes().end(), index.sizes().begin(), index.sizes().end()),
          "[scatter_reduce] the derivative of scatter_reduce with reduce='", reduce,
          "' needs src and index of the same shape");
      n->kind = reduce == "amax" ? ScatterKind::Amax : ScatterKind::Amin;
      n->self_saved = SavedTensor(self, false);
      n->src_saved = SavedTensor(src, false);
    } else {
      TS_FAIL(NotImplemented, "[scatter_reduce] the derivative of scatter_reduce with reduce='", reduce,
              "' is not implemented");
    }
    autograd::set_history(out, n);
    if (n->kind == ScatterKind::Amax || n->kind == ScatterKind::Amin) n->result = SavedTensor(out, true);
  }
  return out;
}

// index_add / index_copy / index_fill.
struct IndexDimBackward final : Node {
  std::string op;
  enum { Add, Copy, Fill } kind = Add;
  InputInfo self, source;
  int64_t dim = 0;
  Scalar alpha = 1;
  SavedTensor index;
  std::string name() const override { return op; }
  TensorVec apply(TensorVec&& g) override {
    Tensor idx = index.unpack(shared_from_this());
    TensorVec out(next_edges().size());
    if (needs(*this, 0)) out[0] = kind == Add ? g[0] : ops::index_fill(g[0], dim, idx, Scalar(0.0));
    if (out.size() > 1 && needs(*this, 1)) {
      Tensor r = ops::index_select(g[0], dim, idx);
      if (kind == Add && alpha.to_double() != 1.0) r = ops::mul(r, wrapped_scalar(alpha));
      out[1] = autograd::to_input_dtype(ops::reshape(r, source.shape), source.dtype);
    }
    return out;
  }
  void release_saved() override { index.reset(); }
};

Tensor index_add_ag(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source, const Scalar& alpha) {
  Tensor out = autograd::below_autograd([&] { return ops::index_add(self, dim, index, source, alpha); });
  if (auto n = autograd::make_node<IndexDimBackward>({&self, &source})) {
    n->op = "IndexAddBackward0";
    n->self.set(self);
    n->source.set(source);
    n->dim = dim;
    n->alpha = alpha;
    n->index = SavedTensor(index, false);
    autograd::set_history(out, n);
  }
  return out;
}

Tensor index_copy_ag(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source) {
  Tensor out = autograd::below_autograd([&] { return ops::index_copy(self, dim, index, source); });
  if (auto n = autograd::make_node<IndexDimBackward>({&self, &source})) {
    n->op = "IndexCopyBackward0";
    n->kind = IndexDimBackward::Copy;
    n->self.set(self);
    n->source.set(source);
    n->dim = dim;
    n->index = SavedTensor(index, false);
    autograd::set_history(out, n);
  }
  return out;
}

Tensor index_fill_ag(const Tensor& self, int64_t dim, const Tensor& index, const Scalar& value) {
  Tensor out = autograd::below_autograd([&] { return ops::index_fill(self, dim, index, value); });
  if (auto n = autograd::make_node<IndexDimBackward>({&self})) {
    n->op = "IndexFillBackward0";
    n->kind = IndexDimBackward::Fill;
    n->self.set(self);
    n->dim = dim;
    n->index = SavedTensor(index, false);
    autograd::set_history(out, n);
  }
  return out;
}

// ---- masks ----------------------------------------------------------------------------------

struct MaskedSelectBackward final : Node {
  InputInfo self;
  DimVector shape;  // the broadcast shape the forward selected from
  SavedTensor mask;
  std::string name() const override { return "MaskedSelectBackward0"; }
  TensorVec apply(TensorVec&& g) override {
    Tensor m = ops::expand(mask.unpack(shared_from_this()), shape);
    Tensor z = ops::zeros(shape, g[0].dtype(), g[0].device());
    return {autograd::sum_to(ops::index_put(z, TensorList(&m, 1), g[0], false), self.shape)};
  }
  void release_saved() override { mask.reset(); }
};

Tensor masked_select_ag(const Tensor& self, const Tensor& mask) {
  Tensor out = autograd::below_autograd([&] { return ops::masked_select(self, mask); });
  if (auto n = autograd::make_node<MaskedSelectBackward>({&self})) {
    n->self.set(self);
    n->shape = broadcast_shapes(self.sizes(), mask.sizes(), "masked_select");
    if (n->shape.empty()) n->shape.push_back(1);
    n->mask = SavedTensor(mask, false);
    autograd::set_history(out, n);
  }
  return out;
}

struct MaskedScatterBackward final : Node {
  InputInfo self, source;
  SavedTensor mask;
  std::string name() const override { return "MaskedScatterBackward0"; }
  TensorVec apply(TensorVec&& g) override {
    Tensor m = mask.unpack(shared_from_this());
    TensorVec out(2);
    if (needs(*this, 0)) out[0] = autograd::sum_to(zero_where(g[0], m), self.shape);
    if (needs(*this, 1)) {
      // The selected gradients fill source's first elements in order; the rest get zero.
      const int64_t one[1] = {1};
      Tensor gg = g[0].dim() == 0 ? ops::reshape(g[0], IntArrayRef(one, 1)) : g[0];
      Tensor sel = ops::masked_select(gg, m);
      int64_t numel = 1;
      for (int64_t s : source.shape) numel *= s;
      if (numel > sel.numel()) {
        const int64_t rest[1] = {numel - sel.numel()};
        Tensor parts[2] = {sel, ops::zeros(IntArrayRef(rest, 1), sel.dtype(), sel.device())};
        sel = ops::cat(TensorList(parts, 2), 0);
      }
      out[1] = ops::reshape(sel, source.shape);
    }
    return out;
  }
  void release_saved() override { mask.reset(); }
};

Tensor masked_scatter_ag(const Tensor& self, const Tensor& mask, const Tensor& source) {
  Tensor out = autograd::below_autograd([&] { return ops::masked_scatter(self, mask, source); });
  if (auto n = autograd::make_node<MaskedScatterBackward>({&self, &source})) {
    n->self.set(self);
    n->source.set(source);
    n->mask = SavedTensor(mask, false);
    autograd::set_history(out, n);
  }
  return out;
}

// ---- take / put -----------------------------------------------------------------------------

struct TakeBackward final : Node {
  InputInfo self;
  SavedTensor index;
  std::string name() const override { return "TakeBackward0"; }
  TensorVec apply(TensorVec&& g) override {
    return {ops::put(self.zeros(), index.unpack(shared_from_this()), g[0], /*accumulate=*/true)};
  }
  void release_saved() override { index.reset(); }
};

Tensor take_ag(const Tensor& self, const Tensor& index) {
  Tensor out = autograd::below_autograd([&] { return ops::take(self, index); });
  if (auto n = autograd::make_node<TakeBackward>({&self})) {
    n->self.set(self);
    n->index = SavedTensor(index, false);
    autograd::set_history(out, n);
  }
  return out;
}

struct PutBackward final : Node {
  InputInfo self, source;
  bool accumulate = false;
  SavedTensor index;
  std::string name() const override { return "PutBackward0"; }
  TensorVec apply(TensorVec&& g) override {
    Tensor idx = index.unpack(shared_from_this());
    TensorVec out(2);
    if (needs(*this, 0)) out[0] = accumulate ? g[0] : ops::put(g[0], idx, source.zeros(), false);
    if (needs(*this, 1)) out[1] = ops::reshape(ops::take(g[0], idx), source.shape);
    return out;
  }
  void release_saved() override { index.reset(); }
};

Tensor put_ag(const Tensor& self, const Tensor& index, const Tensor& source, bool accumulate) {
  Tensor out = autograd::below_autograd([&] { return ops::put(self, index, source, accumulate); });
  if (auto n = autograd::make_node<PutBackward>({&self, &source})) {
    n->self.set(self);
    n->source.set(source);
    n->accumulate = accumulate;
    n->index = SavedTensor(index, false);
    autograd::set_history(out, n);
  }
  return out;
}

}  // namespace

TS_REGISTER_KERNEL("index", Autograd, &index_ag);
TS_REGISTER_KERNEL("index_put", Autograd, &index_put_ag);
TS_REGISTER_KERNEL("index_select", Autograd, &dim_gather_ag<true>);
TS_REGISTER_KERNEL("gather", Autograd, &dim_gather_ag<false>);
TS_REGISTER_KERNEL("scatter", Autograd, &scatter_ag);
TS_REGISTER_KERNEL("scatter_value", Autograd, &scatter_value_ag);
TS_REGISTER_KERNEL("scatter_add", Autograd, &scatter_add_ag);
TS_REGISTER_KERNEL("scatter_reduce", Autograd, &scatter_reduce_ag);
TS_REGISTER_KERNEL("index_add", Autograd, &index_add_ag);
TS_REGISTER_KERNEL("index_copy", Autograd, &index_copy_ag);
TS_REGISTER_KERNEL("index_fill", Autograd, &index_fill_ag);
TS_REGISTER_KERNEL("masked_select", Autograd, &masked_select_ag);
TS_REGISTER_KERNEL("masked_scatter", Autograd, &masked_scatter_ag);
TS_REGISTER_KERNEL("take", Autograd, &take_ag);
TS_REGISTER_KERNEL("put", Autograd, &put_ag);

}  // namespace tessera

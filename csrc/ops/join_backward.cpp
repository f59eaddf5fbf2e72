// Backward formulas of the joining and reordering ops: cat/stack and the *stack family,
// broadcast_tensors, atleast_*d, meshgrid, repeat/tile/repeat_interleave, flip/roll, tril/triu.
#include <vector>

#include "autograd/formula_utils.h"
#include "autograd/grad_mode.h"
#include "autograd/meta.h"
#include "autograd/record.h"
#include "dispatch/boxing.h"
#include "ops/creation.h"
#include "ops/indexing.h"
#include "ops/join.h"
#include "ops/reduce.h"
#include "ops/reorder.h"
#include "ops/view.h"

namespace tessera {
namespace {

using autograd::Node;
using autograd::TensorVec;

// make_node for a tensor list.
template <class NodeT>
std::shared_ptr<NodeT> make_list_node(TensorList inputs) {
  if (!autograd::grad_enabled()) return nullptr;
  bool any = false;
  for (const Tensor& t : inputs) any |= t.defined() && t.requires_grad();
  if (!any) return nullptr;
  auto n = std::make_shared<NodeT>();
  std::vector<autograd::Edge> edges;
  for (const Tensor& t : inputs) edges.push_back(autograd::gradient_edge(t));
  n->set_next_edges(std::move(edges));
  return n;
}

using autograd::InputInfo;
using autograd::needs;

std::vector<InputInfo> infos(TensorList ts) {
  std::vector<InputInfo> v;
  for (const Tensor& t : ts) v.emplace_back().set(t);
  return v;
}

// cat: each input's gradient is its slice of the output's; 1-D empty inputs were skipped.
struct CatBackward final : Node {
  int64_t dim = 0;
  std::vector<InputInfo> in;
  std::string name() const override { return "CatBackward0"; }
  TensorVec apply(TensorVec&& g) override {
    TensorVec out(in.size());
    int64_t off = 0;
    for (size_t i = 0; i < in.size(); ++i) {
      const InputInfo& x = in[i];
      bool skipped = x.shape.size() == 1 && x.shape[0] == 0;
      int64_t len = skipped ? 0 : x.shape[dim];
      if (needs(*this, i)) {
        out[i] = skipped ? ops::zeros(x.shape, x.dtype, g[0].device())
                         : autograd::to_input_dtype(ops::narrow(g[0], dim, off, len), x.dtype);
      }
      off += len;
    }
    return out;
  }
};

Tensor cat_ag(TensorList tensors, int64_t dim) {
  Tensor out = autograd::below_autograd([&] { return ops::cat(tensors, dim); });
  if (auto n = make_list_node<CatBackward>(tensors)) {
    n->dim = wrap_dim(dim, out.dim(), "cat");
    n->in = infos(tensors);
    autograd::set_history(out, n);
  }
  return out;
}

struct StackBackward final : Node {
  int64_t dim = 0;
  std::vector<InputInfo> in;
  std::string name() const override { return "StackBackward0"; }
  TensorVec apply(TensorVec&& g) override {
    TensorVec out(in.size());
    for (size_t i = 0; i < in.size(); ++i)
      if (needs(*this, i))
        out[i] = autograd::to_input_dtype(ops::select(g[0], dim, static_cast<int64_t>(i)), in[i].dtype);
    return out;
  }
};

Tensor stack_ag(TensorList tensors, int64_t dim) {
  Tensor out = autograd::below_autograd([&] { return ops::stack(tensors, dim); });
  if (auto n = make_list_node<StackBackward>(tensors)) {
    n->dim = wrap_dim(dim, out.dim(), "stack");
    n->in = infos(tensors);
    autograd::set_history(out, n);
  }
  return out;
}

// The *stack family composes atleast_*d and cat (as PyTorch's CompositeImplicit versions), so
// the graph records those ops.
std::vector<Tensor> map_all(TensorList ts, Tensor (*f)(const Tensor&)) {
  std::vector<Tensor> v;
  for (const Tensor& t : ts) v.push_back(f(t));
  return v;
}
Tensor hstack_ag(TensorList tensors) {
  TS_CHECK(!tensors.empty(), "[hstack] hstack expects a non-empty TensorList");
  std::vector<Tensor> rs = map_all(tensors, &ops::atleast_1d);
  return ops::cat(rs, rs[0].dim() == 1 ? 0 : 1);
}
Tensor vstack_ag(TensorList tensors) {
  TS_CHECK(!tensors.empty(), "[vstack] vstack expects a non-empty TensorList");
  return ops::cat(map_all(tensors, &ops::atleast_2d), 0);
}
Tensor dstack_ag(TensorList tensors) {
  TS_CHECK(!tensors.empty(), "[dstack] dstack expects a non-empty TensorList");
  return ops::cat(map_all(tensors, &ops::atleast_3d), 2);
}
Tensor column_stack_ag(TensorList tensors) {
  TS_CHECK(!tensors.empty(), "[column_stack] column_stack expects a non-empty TensorList");
  std::vector<Tensor> cols;
  for (const Tensor& t : tensors)
    cols.push_back(t.dim() <= 1 ? ops::reshape(t, std::vector<int64_t>{t.numel(), 1}) : t);
  return ops::hstack(cols);
}

// broadcast_tensors and meshgrid are expands (PyTorch records ExpandBackward0 per output).
std::vector<Tensor> broadcast_tensors_ag(TensorList tensors) {
  std::vector<Tensor> outs = autograd::below_autograd([&] { return ops::broadcast_tensors(tensors); });
  for (size_t i = 0; i < tensors.size(); ++i)
    if (tensors[i].requires_grad()) outs[i] = ops::expand(tensors[i], outs[i].sizes());
  return outs;
}

std::vector<Tensor> meshgrid_ag(TensorList tensors, std::string_view indexing) {
  std::vector<Tensor> outs = autograd::below_autograd([&] { return ops::meshgrid(tensors, indexing); });
  const bool xy = indexing == "xy" && tensors.size() >= 2;
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (!tensors[i].requires_grad()) continue;
    size_t d = xy && i < 2 ? 1 - i : i;
    std::vector<int64_t> shape(outs[i].dim(), 1);
    shape[d] = tensors[i].numel();
    outs[i] = ops::expand(ops::reshape(tensors[i], shape), outs[i].sizes());
  }
  return outs;
}

// atleast_*d reshape (or return self unchanged).
struct AtLeastBackward final : Node {
  DimVector shape;
  std::string name() const override { return "ViewBackward0"; }
  TensorVec apply(TensorVec&& g) override { return {ops::reshape(g[0], shape)}; }
};

template <Tensor (*F)(const Tensor&)>
Tensor atleast_ag(const Tensor& self) {
  Tensor out = autograd::below_autograd([&] { return F(self); });
  if (out.impl() == self.impl()) return self;
  if (auto n = autograd::make_node<AtLeastBackward>({&self})) {
    n->shape = DimVector(self.sizes());
    autograd::set_history(out, n);
  }
  return out;
}

// repeat (and tile): the output is the input padded with leading 1-dims, tiled r_i times per dim;
// the gradient sums the tiles: view as (r0, s0, r1, s1, ...) and sum the r dims.
struct RepeatBackward final : Node {
  DimVector shape;
  std::vector<int64_t> repeats;
  std::string name() const override { return "RepeatBackward0"; }
  TensorVec apply(TensorVec&& g) override {
    const size_t n = repeats.size(), lead = n - shape.size();
    std::vector<int64_t> split, dims;
    for (size_t i = 0; i < n; ++i) {
      split.push_back(repeats[i]);
      split.push_back(i < lead ? 1 : shape[i - lead]);
      dims.push_back(static_cast<int64_t>(2 * i));
    }
    if (dims.empty()) return {ops::reshape(g[0], shape)};
    return {ops::reshape(ops::sum(ops::reshape(g[0], split), dims), shape)};
  }
};

Tensor repeat_ag(const Tensor& self, IntArrayRef repeats) {
  Tensor out = autograd::below_autograd([&] { return ops::repeat(self, repeats); });
  if (auto n = autograd::make_node<RepeatBackward>({&self})) {
    n->shape = DimVector(self.sizes());
    n->repeats.assign(repeats.begin(), repeats.end());
    autograd::set_history(out, n);
  }
  return out;
}

Tensor tile_ag(const Tensor& self, IntArrayRef dims) {
  Tensor out = autograd::below_autograd([&] { return ops::tile(self, dims); });
  if (auto n = autograd::make_node<RepeatBackward>({&self})) {
    n->shape = DimVector(self.sizes());
    for (int64_t i = static_cast<int64_t>(dims.size()); i < self.dim(); ++i) n->repeats.push_back(1);
    n->repeats.insert(n->repeats.end(), dims.begin(), dims.end());
    autograd::set_history(out, n);
  }
  return out;
}

// repeat_interleave: with an int count, view the repeats as their own dim and sum it; with a
// tensor of counts, index_add the gradient back along dim.
struct RepeatInterleaveBackward final : Node {
  DimVector shape;
  std::optional<int64_t> dim;  // wrapped; none: the input was flattened
  int64_t repeats = 1;
  Tensor index;  // tensor counts: the source slice of each output slice
  std::string name() const override { return "RepeatInterleaveBackward0"; }
  TensorVec apply(TensorVec&& g) override {
    int64_t numel = 1;
    for (int64_t s : shape) numel *= s;
    const std::vector<int64_t> flat{numel};
    if (index.defined()) {
      if (!dim) {
        Tensor z = ops::zeros(flat, g[0].dtype(), g[0].device());
        return {ops::reshape(ops::index_add(z, 0, index, g[0]), shape)};
      }
      return {ops::index_add(ops::zeros(shape, g[0].dtype(), g[0].device()), *dim, index, g[0])};
    }
    if (!dim) {
      const std::vector<int64_t> split{numel, repeats}, sum_dim{1};
      return {ops::reshape(ops::sum(ops::reshape(g[0], split), sum_dim), shape)};
    }
    std::vector<int64_t> split(shape.begin(), shape.end());
    split.insert(split.begin() + *dim + 1, repeats);
    const std::vector<int64_t> sum_dim{*dim + 1};
    return {ops::sum(ops::reshape(g[0], split), sum_dim)};
  }
  void release_saved() override { index = Tensor(); }
};

Tensor repeat_interleave_ag(const Tensor& self, int64_t repeats, std::optional<int64_t> dim,
                            std::optional<int64_t> output_size) {
  Tensor out = autograd::below_autograd([&] { return ops::repeat_interleave(self, repeats, dim, output_size); });
  if (auto n = autograd::make_node<RepeatInterleaveBackward>({&self})) {
    n->shape = DimVector(self.sizes());
    if (dim && self.dim() > 0) n->dim = wrap_dim(*dim, self.dim(), "repeat_interleave");
    n->repeats = repeats;
    autograd::set_history(out, n);
  }
  return out;
}

Tensor repeat_interleave_tensor_ag(const Tensor& self, const Tensor& repeats, std::optional<int64_t> dim,
                                   std::optional<int64_t> output_size) {
  Tensor out = autograd::below_autograd([&] { return ops::repeat_interleave_tensor(self, repeats, dim, output_size); });
  if (auto n = autograd::make_node<RepeatInterleaveBackward>({&self})) {
    n->shape = DimVector(self.sizes());
    int64_t len = self.numel();
    if (dim && self.dim() > 0) {
      n->dim = wrap_dim(*dim, self.dim(), "repeat_interleave");
      len = self.sizes()[*n->dim];
    }
    Tensor r = ops::reshape(repeats, std::vector<int64_t>{-1});
    if (r.numel() == 1 && len != 1) r = ops::expand(r, std::vector<int64_t>{len});
    n->index = autograd::below_autograd([&] { return ops::repeat_interleave_indices(r); });
    autograd::set_history(out, n);
  }
  return out;
}

struct FlipBackward final : Node {
  std::vector<int64_t> dims;
  std::string name() const override { return "FlipBackward0"; }
  TensorVec apply(TensorVec&& g) override { return {ops::flip(g[0], dims)}; }
};

Tensor record_flip(const Tensor& self, Tensor out, std::vector<int64_t> dims) {
  if (auto n = autograd::make_node<FlipBackward>({&self})) {
    n->dims = std::move(dims);
    autograd::set_history(out, n);
  }
  return out;
}
Tensor flip_ag(const Tensor& self, IntArrayRef dims) {
  Tensor out = autograd::below_autograd([&] { return ops::flip(self, dims); });
  return record_flip(self, out, std::vector<int64_t>(dims.begin(), dims.end()));
}
Tensor fliplr_ag(const Tensor& self) {
  Tensor out = autograd::below_autograd([&] { return ops::fliplr(self); });
  return record_flip(self, out, {1});
}
Tensor flipud_ag(const Tensor& self) {
  Tensor out = autograd::below_autograd([&] { return ops::flipud(self); });
  return record_flip(self, out, {0});
}

struct RollBackward final : Node {
  std::vector<int64_t> shifts, dims;
  std::string name() const override { return "RollBackward0"; }
  TensorVec apply(TensorVec&& g) override { return {ops::roll(g[0], shifts, dims)}; }
};

Tensor roll_ag(const Tensor& self, IntArrayRef shifts, IntArrayRef dims) {
  Tensor out = autograd::below_autograd([&] { return ops::roll(self, shifts, dims); });
  if (auto n = autograd::make_node<RollBackward>({&self})) {
    for (int64_t s : shifts) n->shifts.push_back(-s);
    n->dims.assign(dims.begin(), dims.end());
    autograd::set_history(out, n);
  }
  return out;
}

template <bool Lower>
struct TriluBackward final : Node {
  int64_t diagonal = 0;
  std::string name() const override { return Lower ? "TrilBackward0" : "TriuBackward0"; }
  TensorVec apply(TensorVec&& g) override { return {Lower ? ops::tril(g[0], diagonal) : ops::triu(g[0], diagonal)}; }
};

template <bool Lower>
Tensor trilu_ag(const Tensor& self, int64_t diagonal) {
  Tensor out = autograd::below_autograd([&] { return Lower ? ops::tril(self, diagonal) : ops::triu(self, diagonal); });
  if (auto n = autograd::make_node<TriluBackward<Lower>>({&self})) {
    n->diagonal = diagonal;
    autograd::set_history(out, n);
  }
  return out;
}

}  // namespace

TS_REGISTER_KERNEL("cat", Autograd, &cat_ag);
TS_REGISTER_KERNEL("stack", Autograd, &stack_ag);
TS_REGISTER_KERNEL("hstack", Autograd, &hstack_ag);
TS_REGISTER_KERNEL("vstack", Autograd, &vstack_ag);
TS_REGISTER_KERNEL("dstack", Autograd, &dstack_ag);
TS_REGISTER_KERNEL("column_stack", Autograd, &column_stack_ag);
TS_REGISTER_KERNEL("broadcast_tensors", Autograd, &broadcast_tensors_ag);
TS_REGISTER_KERNEL("meshgrid", Autograd, &meshgrid_ag);
TS_REGISTER_KERNEL("atleast_1d", Autograd, &atleast_ag<&ops::atleast_1d>);
TS_REGISTER_KERNEL("atleast_2d", Autograd, &atleast_ag<&ops::atleast_2d>);
TS_REGISTER_KERNEL("atleast_3d", Autograd, &atleast_ag<&ops::atleast_3d>);
TS_REGISTER_KERNEL("repeat", Autograd, &repeat_ag);
TS_REGISTER_KERNEL("tile", Autograd, &tile_ag);
TS_REGISTER_KERNEL("repeat_interleave", Autograd, &repeat_interleave_ag);
TS_REGISTER_KERNEL("repeat_interleave_tensor", Autograd, &repeat_interleave_tensor_ag);
TS_REGISTER_KERNEL("flip", Autograd, &flip_ag);
TS_REGISTER_KERNEL("fliplr", Autograd, &fliplr_ag);
TS_REGISTER_KERNEL("flipud", Autograd, &flipud_ag);
TS_REGISTER_KERNEL("roll", Autograd, &roll_ag);
TS_REGISTER_KERNEL("tril", Autograd, &trilu_ag<true>);
TS_REGISTER_KERNEL("triu", Autograd, &trilu_ag<false>);

}  // namespace tessera

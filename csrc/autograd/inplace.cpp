// In-place ops under autograd: rebasing a tensor's history, CopySlices for writes into views,
// regeneration of stale view histories. Design: docs/design/autograd.md.
#include "autograd/inplace.h"

#include <algorithm>
#include <cctype>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "autograd/formula_utils.h"
#include "autograd/grad_mode.h"
#include "autograd/meta.h"
#include "autograd/record.h"
#include "core/error.h"
#include "dispatch/dispatcher.h"
#include "ops/compare.h"
#include "ops/copy.h"
#include "ops/creation.h"
#include "ops/reduce.h"
#include "ops/ternary.h"
#include "ops/type_promotion.h"
#include "ops/view.h"
#include "ops/view_window.h"

namespace tessera::autograd {
namespace {

using ops::view_gather;
using ops::view_scatter;

// Where a view's elements sit in its base, described over the base's dense memory order: a
// gradient of the base's shape is permuted into memory order (`perm`, empty when the base is
// contiguous) and the view is the window (sizes, strides, offset) of that contiguous layout.
struct ViewGeometry {
  DimVector dense_sizes;  // base sizes in memory order
  std::vector<int64_t> perm, inverse;
  DimVector sizes, strides;  // the window; expanded (stride 0) dims have size 1 here
  int64_t offset = 0;
  DimVector view_sizes;           // the view's own sizes
  std::vector<int64_t> expanded;  // dims of the view with stride 0 and size > 1

  Tensor to_dense(const Tensor& g) const { return perm.empty() ? g : ops::permute(g, perm); }
  Tensor from_dense(const Tensor& g) const { return perm.empty() ? g : ops::permute(g, inverse); }
  // The view's part of a base-shaped gradient.
  Tensor gather(const Tensor& g) const {
    Tensor w = view_gather(to_dense(g), sizes, strides, offset);
    return expanded.empty() ? w : ops::expand(w, view_sizes);
  }
  // A base-shaped gradient, zero outside the view, from a view-shaped one (summed over expanded
  // dims: those elements share one memory location).
  Tensor scatter(const Tensor& gv) const {
    Tensor w = expanded.empty() ? gv : ops::sum(gv, expanded, true);
    return from_dense(view_scatter(w, dense_sizes, sizes, strides, offset));
  }
};

bool overlapping(IntArrayRef size, IntArrayRef stride) {
  std::vector<std::pair<int64_t, int64_t>> dims;
  for (size_t i = 0; i < size.size(); ++i) {
    if (size[i] == 0) return false;
    if (size[i] > 1) dims.emplace_back(stride[i], size[i]);
  }
  std::sort(dims.begin(), dims.end());
  int64_t reach = 0;
  for (auto [st, sz] : dims) {
    if (st <= reach) return true;
    reach += st * (sz - 1);
  }
  return false;
}

// Null when the base is not dense or the view overlaps itself other than by expanded dims: no
// window describes it.
std::optional<ViewGeometry> view_geometry(const Tensor& view) {
  const TensorImpl* b = view.impl()->view_base();
  ViewGeometry g;
  const int64_t nd = b->dim();
  if (!b->is_contiguous()) {
    g.perm.resize(nd);
    std::iota(g.perm.begin(), g.perm.end(), 0);
    auto key = [&](int64_t d) { return b->sizes()[d] == 1 ? INT64_MAX : b->strides()[d]; };
    std::stable_sort(g.perm.begin(), g.perm.end(), [&](int64_t x, int64_t y) { return key(x) > key(y); });
    int64_t expected = 1;
    for (int64_t i = nd - 1; i >= 0; --i) {
      int64_t d = g.perm[i];
      if (b->sizes()[d] == 1) continue;
      if (b->strides()[d] != expected) return std::nullopt;
      expected *= b->sizes()[d];
    }
    g.inverse.resize(nd);
    for (int64_t i = 0; i < nd; ++i) g.inverse[g.perm[i]] = i;
  }
  for (int64_t i = 0; i < nd; ++i) g.dense_sizes.push_back(b->sizes()[g.perm.empty() ? i : g.perm[i]]);
  g.sizes = DimVector(view.sizes());
  g.strides = DimVector(view.strides());
  g.view_sizes = g.sizes;
  for (size_t d = 0; d < g.sizes.size(); ++d) {
    if (g.strides[d] == 0 && g.sizes[d] > 1) {
      g.expanded.push_back(static_cast<int64_t>(d));
      g.sizes[d] = 1;
    }
  }
  g.offset = view.storage_offset() - b->storage_offset();
  if (view.numel() == 0) {
    g.offset = 0;
    return g;
  }
  int64_t last = g.offset;
  for (size_t i = 0; i < g.sizes.size(); ++i) last += g.strides[i] * (g.sizes[i] - 1);
  if (g.offset < 0 || last >= b->numel() || overlapping(g.sizes, g.strides)) return std::nullopt;
  return g;
}

constexpr const char* kUnsupportedView =
    "autograd of an in-place write into a view that overlaps itself, or whose base is not dense, is not supported";

Tensor base_of(const Tensor& view) {
  return Tensor(IntrusivePtr<TensorImpl>(view.impl()->view_base()));
}

// The base's history after a write into one of its views: the view's window takes the gradient
// of the written value (edge 1), the rest passes through to the base's previous history (edge 0).
struct CopySlices final : Node {
  ViewGeometry geo;
  std::string name() const override { return "CopySlices"; }
  TensorVec apply(TensorVec&& g) override {
    TensorVec out(2);
    if (needs(*this, 0)) {
      Tensor window = geo.scatter(ops::ones(geo.sizes, g[0].dtype(), g[0].device()));
      out[0] = ops::where(ops::ne(window, wrapped_scalar(Scalar(0.0))), wrapped_scalar(Scalar(0.0)), g[0]);
    }
    if (needs(*this, 1)) out[1] = geo.gather(g[0]);
    return out;
  }
};

// A view's history re-derived from its base's (PyTorch's AsStridedBackward0).
struct ViewOfBaseBackward final : Node {
  ViewGeometry geo;
  std::string name() const override { return "AsStridedBackward0"; }
  TensorVec apply(TensorVec&& g) override { return {geo.scatter(g[0])}; }
};

// Self overwritten by a value that needs no gradient: its previous history gets zeros.
struct OverwrittenBackward final : Node {
  std::string op;
  InputInfo self;
  std::string name() const override { return op; }
  TensorVec apply(TensorVec&&) override { return {self.zeros()}; }
};

std::string node_name_of(const char* op) {
  std::string n(op);
  n = n.substr(0, n.find('.'));  // overload name
  if (!n.empty() && n.back() == '_') n.pop_back();
  std::string out;
  bool up = true;
  for (char c : n) {
    if (c == '_') {
      up = true;
      continue;
    }
    out += up ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    up = false;
  }
  return out + "Backward0";
}

void set_grad_fn(const Tensor& t, const Edge& e) {
  AutogradMeta& m = materialize_meta(t);
  m.grad_fn = e.function;
  m.output_nr = e.input_nr;
  if (m.retains_grad && m.grad_fn) {  // .grad follows the new history (the old hook goes idle)
    m.retains_grad = false;
    retain_grad(t);
  }
}

}  // namespace

void regenerate_view_history(const Tensor& view) {
  TensorImpl* v = view.impl();
  v->set_view_version(v->version());
  Tensor base = base_of(view);
  if (!base.requires_grad()) return;
  // A view no window describes keeps its previous history (documented limitation).
  std::optional<ViewGeometry> geo = view_geometry(view);
  if (!geo) return;
  Edge be = gradient_edge(base);
  if (!be.valid()) return;
  auto n = std::make_shared<ViewOfBaseBackward>();
  n->geo = std::move(*geo);
  n->set_next_edges({be});
  set_grad_fn(view, Edge{n, n->add_output_meta(view)});
}

void check_inplace(const char* name, const Tensor& self) {
  AutogradMeta* m = meta(self);
  TensorImpl* b = self.impl()->view_base();
  TS_CHECK(!(m && m->requires_grad_flag && !m->grad_fn), "[", name,
           "] a leaf Variable that requires grad is being used in an in-place operation.");
  if (!b) return;
  AutogradMeta* bm = static_cast<AutogradMeta*>(b->autograd_meta());
  TS_CHECK(!(bm && bm->requires_grad_flag && !bm->grad_fn), "[", name,
           "] a view of a leaf Variable that requires grad is being used in an in-place operation.");
  if (m && m->multi_output_view_of) {
    std::string op(m->multi_output_view_of);  // "UnbindBackward0": PyTorch names the forward, "Unbind"
    op = op.substr(0, op.rfind("Backward"));
    TS_FAIL(Runtime, "[", name, "] Output ", m->output_nr, " of ", op,
            " is a view and is being modified inplace. This view is the output of a function that returns multiple "
            "views. Such functions do not allow the output views to be modified inplace. You should replace the "
            "inplace operation by an out-of-place one.");
  }
  TS_CHECK_NOT_IMPLEMENTED(view_geometry(self).has_value(), "[", name, "] ", kUnsupportedView);
  refresh_view_history(self);
  // A view of a base that requires grad has a grad_fn unless it was made in no_grad mode.
  TS_CHECK(!b->requires_grad() || (m && m->grad_fn), "[", name,
           "] A view was created in no_grad mode and is being modified inplace with grad mode enabled. Given that "
           "this use case is ambiguous and error-prone, it is forbidden. You can clarify your code by moving both "
           "the view and the inplace either both inside the no_grad block (if you don't want the inplace to be "
           "tracked) or both outside (if you want the inplace to be tracked).");
}

void rebase_history(const Tensor& self, Edge e, const std::string& zero_grad_name) {
  if (!self.impl()->view_base()) {
    if (!e.valid()) {
      if (!self.requires_grad()) return;
      auto n = std::make_shared<OverwrittenBackward>();
      n->op = zero_grad_name;
      n->self.set(self);
      n->set_next_edges({gradient_edge(self)});
      e = Edge{n, n->add_output_meta(self)};
    }
    set_grad_fn(self, e);
    return;
  }
  Tensor base = base_of(self);
  if (!e.valid() && !base.requires_grad()) {
    self.impl()->set_view_version(self.version());
    return;
  }
  std::optional<ViewGeometry> geo = view_geometry(self);
  TS_CHECK_NOT_IMPLEMENTED(geo.has_value(), "[", zero_grad_name, "] ", kUnsupportedView);
  auto cs = std::make_shared<CopySlices>();
  cs->geo = std::move(*geo);
  cs->set_next_edges({gradient_edge(base), e});
  set_grad_fn(base, Edge{cs, cs->add_output_meta(base)});
  regenerate_view_history(self);
}

Tensor inplace_autograd(const char* name, const Tensor& self, bool clone_self,
                        const std::function<Tensor(const Tensor&)>& out_of_place,
                        const std::function<void()>& in_place) {
  if (!grad_enabled()) {
    below_autograd(in_place);
    return self;
  }
  check_inplace(name, self);
  if (!out_of_place) {  // the new value does not depend on any input (fill_, zero_, random draws)
    below_autograd(in_place);
    rebase_history(self, Edge(), node_name_of(name));
    return self;
  }
  Tensor src = self;
  if (clone_self) {
    // The formula keeps self for backward: give it a copy that carries self's history.
    src = below_autograd([&] { return ops::clone(self); });
    Edge e = gradient_edge(self);
    if (e.valid()) set_grad_fn(src, e);
  }
  Tensor out = out_of_place(src);
  TS_CHECK(std::equal(out.sizes().begin(), out.sizes().end(), self.sizes().begin(), self.sizes().end()), "[", name,
           "] output with shape ", shape_str(self.sizes()), " doesn't match the broadcast shape ",
           shape_str(out.sizes()));
  check_inplace_result(name, out.dtype(), self.dtype());
  if (out.dtype() != self.dtype()) out = ops::to(out, std::nullopt, self.dtype());
  // The value must not alias self: the copy below would read what it writes.
  if (out.impl()->storage() == self.impl()->storage()) out = ops::clone(out);
  below_autograd([&] { ops::copy_(self, out); });
  rebase_history(self, gradient_edge(out), node_name_of(name));
  return self;
}

}  // namespace tessera::autograd

// Backward formulas of the view ops. Views of tensors that require grad are differentiable;
// in-place writes into views rebase the base's history (autograd/inplace.cpp).
#include <algorithm>
#include <utility>
#include <vector>

#include "autograd/formula_utils.h"
#include "autograd/grad_mode.h"
#include "autograd/meta.h"
#include "autograd/record.h"
#include "core/shape.h"
#include "dispatch/boxing.h"
#include "ops/copy.h"
#include "ops/creation.h"
#include "ops/join.h"
#include "ops/view.h"
#include "ops/view_window.h"

namespace tessera {
namespace {

using ops::view_gather;
using ops::view_scatter;

using autograd::Node;
using autograd::TensorVec;

// Ops that keep the element order and only change the shape: the gradient is reshaped back.
struct ReshapeBackward final : Node {
  DimVector input_shape;
  std::string op;
  std::string name() const override { return op; }
  TensorVec apply(TensorVec&& g) override { return {ops::reshape(g[0], input_shape)}; }
};

struct ExpandBackward final : Node {
  DimVector input_shape;
  std::string name() const override { return "ExpandBackward0"; }
  TensorVec apply(TensorVec&& g) override { return {autograd::sum_to(g[0], input_shape)}; }
};

struct PermuteBackward final : Node {
  std::vector<int64_t> inverse;
  std::string name() const override { return "PermuteBackward0"; }
  TensorVec apply(TensorVec&& g) override { return {ops::permute(g[0], inverse)}; }
};

template <class F>
Tensor record_reshape(const Tensor& self, const char* node_name, F&& forward) {
  Tensor out = autograd::below_autograd(forward);
  if (auto n = autograd::make_node<ReshapeBackward>({&self})) {
    n->input_shape = DimVector(self.sizes());
    n->op = node_name;
    autograd::set_history(out, n);
  }
  return out;
}

Tensor view_ag(const Tensor& self, IntArrayRef size) {
  return record_reshape(self, "ViewBackward0", [&] { return ops::view(self, size); });
}
Tensor reshape_ag(const Tensor& self, IntArrayRef size) {
  return record_reshape(self, "ReshapeAliasBackward0", [&] { return ops::reshape(self, size); });
}
Tensor unsqueeze_ag(const Tensor& self, int64_t dim) {
  return record_reshape(self, "UnsqueezeBackward0", [&] { return ops::unsqueeze(self, dim); });
}
Tensor squeeze_ag(const Tensor& self, OptionalIntArrayRef dims) {
  return record_reshape(self, "SqueezeBackward0", [&] { return ops::squeeze(self, dims); });
}
Tensor flatten_ag(const Tensor& self, int64_t s, int64_t e) {
  return record_reshape(self, "FlattenBackward0", [&] { return ops::flatten(self, s, e); });
}
Tensor unflatten_ag(const Tensor& self, int64_t dim, IntArrayRef sizes) {
  return record_reshape(self, "UnflattenBackward0", [&] { return ops::unflatten(self, dim, sizes); });
}

Tensor expand_ag(const Tensor& self, IntArrayRef size) {
  Tensor out = autograd::below_autograd([&] { return ops::expand(self, size); });
  if (auto n = autograd::make_node<ExpandBackward>({&self})) {
    n->input_shape = DimVector(self.sizes());
    autograd::set_history(out, n);
  }
  return out;
}

Tensor permute_ag(const Tensor& self, IntArrayRef dims) {
  Tensor out = autograd::below_autograd([&] { return ops::permute(self, dims); });
  if (auto n = autograd::make_node<PermuteBackward>({&self})) {
    n->inverse.assign(dims.size(), 0);
    for (size_t i = 0; i < dims.size(); ++i)
      n->inverse[wrap_dim(dims[i], self.dim(), "permute")] = static_cast<int64_t>(i);
    autograd::set_history(out, n);
  }
  return out;
}

// transpose and t are permutations.
Tensor transpose_ag(const Tensor& self, int64_t d0, int64_t d1) {
  std::vector<int64_t> dims(self.dim());
  for (int64_t i = 0; i < self.dim(); ++i) dims[i] = i;
  if (self.dim() > 0)
    std::swap(dims[wrap_dim(d0, self.dim(), "transpose")], dims[wrap_dim(d1, self.dim(), "transpose")]);
  return permute_ag(self, dims);
}
Tensor t_ag(const Tensor& self) {
  TS_CHECK(self.dim() <= 2, "[t] t() expects a tensor with <= 2 dimensions, but self is ", self.dim(), "D");
  return self.dim() < 2 ? permute_ag(self, std::vector<int64_t>(self.dim() == 1 ? 1 : 0, 0)) : transpose_ag(self, 0, 1);
}

// ---------------------------------------------------------------------------------------------
// Views that pick a subset of the elements (select, slice, narrow, diagonal, as_strided, split ...)
// scatter their gradient into zeros of the input's shape. Two private ops do it, each the
// backward of the other, so every order of derivative exists:
//   _view_scatter(grad, input_size, size, stride, offset): zeros(input_size) with the strided
//       window (size, stride, offset) over its contiguous layout set to grad;
//   _view_gather(self, size, stride, offset): that window of contiguous(self).

std::string list_str(IntArrayRef v) {
  return shape_str(v);
}

DimVector contig_strides(IntArrayRef sizes) {
  DimVector st(sizes.size());
  int64_t acc = 1;
  for (size_t i = sizes.size(); i-- > 0;) {
    st[i] = acc;
    acc *= std::max<int64_t>(sizes[i], 1);
  }
  return st;
}

// Whether two elements of the window (size, stride) can share one memory location.
bool maybe_overlapping(IntArrayRef size, IntArrayRef stride) {
  std::vector<std::pair<int64_t, int64_t>> dims;  // (stride, size) of dims with more than one element
  for (size_t i = 0; i < size.size(); ++i) {
    if (size[i] == 0) return false;
    if (size[i] > 1) dims.emplace_back(stride[i], size[i]);
  }
  std::sort(dims.begin(), dims.end());
  int64_t reach = 0;  // the farthest offset the smaller-stride dims reach
  for (auto [st, sz] : dims) {
    if (st <= reach) return true;
    reach += st * (sz - 1);
  }
  return false;
}

void check_window(const char* op, int64_t base_numel, IntArrayRef size, IntArrayRef stride, int64_t offset) {
  TS_CHECK(size.size() == stride.size(), "[", op, "] size and stride have different lengths (", size.size(),
           " != ", stride.size(), ")");
  TS_CHECK(offset >= 0, "[", op, "] negative storage offset ", offset);
  bool empty = false;
  for (size_t i = 0; i < size.size(); ++i) {
    TS_CHECK(size[i] >= 0 && stride[i] >= 0, "[", op, "] sizes and strides must be non-negative, got ", list_str(size),
             " and ", list_str(stride));
    empty |= size[i] == 0;
  }
  if (empty) return;
  int64_t last = offset, term = 0;
  bool overflow = false;
  for (size_t i = 0; i < size.size(); ++i) {
    overflow |= __builtin_mul_overflow(stride[i], size[i] - 1, &term);
    overflow |= __builtin_add_overflow(last, term, &last);
  }
  TS_CHECK(!overflow && last < base_numel, "[", op, "] window of size ", list_str(size), ", stride ", list_str(stride),
           " and offset ", offset, " does not fit in ", base_numel, " elements");
}

Tensor view_scatter_kernel(const Tensor& grad, IntArrayRef input_size, IntArrayRef size, IntArrayRef stride,
                           int64_t offset) {
  TS_CHECK(std::equal(size.begin(), size.end(), grad.sizes().begin(), grad.sizes().end()),
           "[_view_scatter] grad has shape ", shape_str(grad.sizes()), " but the window has size ", list_str(size));
  int64_t numel = 1;
  for (int64_t s : input_size) {
    TS_CHECK(s >= 0, "[_view_scatter] negative size in ", list_str(input_size));
    TS_CHECK(!__builtin_mul_overflow(numel, s, &numel), "[_view_scatter] size ", list_str(input_size), " overflows");
  }
  check_window("_view_scatter", numel, size, stride, offset);
  TS_CHECK(!maybe_overlapping(size, stride), "[_view_scatter] the window (size ", list_str(size), ", stride ",
           list_str(stride), ") has overlapping elements");
  Tensor out = ops::zeros(input_size, grad.dtype(), grad.device());
  if (grad.numel() == 0) return out;
  ops::copy_(ops::as_strided(out, size, stride, offset), grad);
  return out;
}

Tensor view_gather_kernel(const Tensor& self, IntArrayRef size, IntArrayRef stride, int64_t offset) {
  check_window("_view_gather", self.numel(), size, stride, offset);
  Tensor c = ops::contiguous(self);
  bool empty = false;
  for (int64_t s : size) empty |= s == 0;
  return ops::as_strided(c, size, stride, empty ? c.storage_offset() : c.storage_offset() + offset);
}

struct Window {
  DimVector size, stride;
  int64_t offset = 0;
  void set(const Tensor& v) {
    size = DimVector(v.sizes());
    stride = DimVector(v.strides());
    offset = v.storage_offset();
  }
};

// The gradient of a window of the input: zeros of the input's shape with the window set.
struct WindowBackward final : Node {
  std::string op;
  DimVector input_size;
  Window w;
  std::string name() const override { return op; }
  TensorVec apply(TensorVec&& g) override { return {view_scatter(g[0], input_size, w.size, w.stride, w.offset)}; }
};

struct ViewGatherBackward final : Node {
  DimVector input_size;
  Window w;
  std::string name() const override { return "ViewGatherBackward"; }
  TensorVec apply(TensorVec&& g) override { return {view_scatter(g[0], input_size, w.size, w.stride, w.offset)}; }
};

struct ViewScatterBackward final : Node {
  Window w;
  std::string name() const override { return "ViewScatterBackward"; }
  TensorVec apply(TensorVec&& g) override { return {view_gather(g[0], w.size, w.stride, w.offset)}; }
};

Tensor view_scatter_ag(const Tensor& grad, IntArrayRef input_size, IntArrayRef size, IntArrayRef stride,
                       int64_t offset) {
  Tensor out = autograd::below_autograd([&] { return view_scatter(grad, input_size, size, stride, offset); });
  if (auto n = autograd::make_node<ViewScatterBackward>({&grad})) {
    n->w.size = DimVector(size);
    n->w.stride = DimVector(stride);
    n->w.offset = offset;
    autograd::set_history(out, n);
  }
  return out;
}

Tensor view_gather_ag(const Tensor& self, IntArrayRef size, IntArrayRef stride, int64_t offset) {
  Tensor out = autograd::below_autograd([&] { return view_gather(self, size, stride, offset); });
  if (auto n = autograd::make_node<ViewGatherBackward>({&self})) {
    n->input_size = DimVector(self.sizes());
    n->w.size = DimVector(size);
    n->w.stride = DimVector(stride);
    n->w.offset = offset;
    autograd::set_history(out, n);
  }
  return out;
}

// `fn` applied to a metadata-only alias of self with contiguous strides gives the window of the
// view in the contiguous layout of the input's shape (the alias is never read).
template <class F>
Window window_of(const Tensor& self, F&& fn) {
  Tensor fake = make_view(self, DimVector(self.sizes()), contig_strides(self.sizes()), 0);
  Window w;
  w.set(autograd::below_autograd([&] { return fn(fake); }));
  return w;
}

template <class F>
Tensor record_window(const Tensor& self, const char* node_name, F&& fn) {
  Tensor out = autograd::below_autograd([&] { return fn(self); });
  if (auto n = autograd::make_node<WindowBackward>({&self})) {
    n->op = node_name;
    n->input_size = DimVector(self.sizes());
    n->w = window_of(self, fn);
    autograd::set_history(out, n);
  }
  return out;
}

Tensor select_ag(const Tensor& self, int64_t dim, int64_t index) {
  return record_window(self, "SelectBackward0", [&](const Tensor& t) { return ops::select(t, dim, index); });
}
Tensor slice_ag(const Tensor& self, int64_t dim, std::optional<int64_t> start, std::optional<int64_t> end,
                int64_t step) {
  return record_window(self, "SliceBackward0", [&](const Tensor& t) { return ops::slice(t, dim, start, end, step); });
}
Tensor narrow_ag(const Tensor& self, int64_t dim, int64_t start, int64_t length) {
  return record_window(self, "SliceBackward0", [&](const Tensor& t) { return ops::narrow(t, dim, start, length); });
}
Tensor diagonal_ag(const Tensor& self, int64_t offset, int64_t dim1, int64_t dim2) {
  return record_window(self, "DiagonalBackward0",
                       [&](const Tensor& t) { return ops::diagonal(t, offset, dim1, dim2); });
}

// as_strided reads the input's storage directly: the gradient goes through a zero buffer that
// covers the storage both the input and the output reach (PyTorch's AsStridedBackward0 for
// non-overlapping geometries). Overlapping input or output geometries are refused.
struct AsStridedBackward final : Node {
  DimVector buffer;  // one dim: the storage span
  Window in, out;    // relative to the span's start
  std::string name() const override { return "AsStridedBackward0"; }
  TensorVec apply(TensorVec&& g) override {
    Tensor buf = view_scatter(g[0], buffer, out.size, out.stride, out.offset);
    return {view_gather(buf, in.size, in.stride, in.offset)};
  }
};

int64_t window_end(const Window& w) {  // one past the last element; == offset when empty
  int64_t last = w.offset;
  for (size_t i = 0; i < w.size.size(); ++i) {
    if (w.size[i] == 0) return w.offset;
    last += (w.size[i] - 1) * w.stride[i];
  }
  return last + 1;
}

Tensor as_strided_ag(const Tensor& self, IntArrayRef size, IntArrayRef stride, std::optional<int64_t> offset) {
  Tensor out = autograd::below_autograd([&] { return ops::as_strided(self, size, stride, offset); });
  if (auto n = autograd::make_node<AsStridedBackward>({&self})) {
    n->in.set(self);
    n->out.set(out);
    TS_CHECK_NOT_IMPLEMENTED(!maybe_overlapping(n->in.size, n->in.stride),
                             "[as_strided] backward through as_strided of an input whose elements overlap in memory "
                             "(e.g. an expanded tensor) is not supported; call contiguous() first");
    TS_CHECK_NOT_IMPLEMENTED(!maybe_overlapping(n->out.size, n->out.stride),
                             "[as_strided] backward of an as_strided result whose elements overlap in memory (size ",
                             list_str(size), ", stride ", list_str(stride), ") is not supported");
    int64_t lo = std::min(n->in.offset, n->out.offset);
    int64_t hi = std::max(window_end(n->in), window_end(n->out));
    n->in.offset -= lo;
    n->out.offset -= lo;
    n->buffer = DimVector{std::max<int64_t>(hi - lo, 0)};
    autograd::set_history(out, n);
  }
  return out;
}

// Multi-output views: split/chunk (cat of the gradients) and unbind (stack); an unused output
// contributes zeros.
struct SplitBackward final : Node {
  std::string op;
  int64_t dim = 0;
  bool stack = false;
  DType dtype = DType::Float32;
  Device device;
  std::vector<DimVector> shapes;
  std::string name() const override { return op; }
  TensorVec apply(TensorVec&& g) override {
    for (size_t i = 0; i < g.size(); ++i)
      if (!g[i].defined()) g[i] = ops::zeros(shapes[i], dtype, device);
    return {stack ? ops::stack(g, dim) : ops::cat(g, dim)};
  }
};

template <class F>
std::vector<Tensor> record_split(const Tensor& self, const char* node_name, int64_t dim, bool stack, F&& fn) {
  std::vector<Tensor> outs = autograd::below_autograd(fn);
  if (outs.empty()) return outs;
  if (auto n = autograd::make_node<SplitBackward>({&self})) {
    n->op = node_name;
    n->dim = wrap_dim(dim, self.dim(), node_name);
    n->stack = stack;
    n->dtype = self.dtype();
    n->device = self.device();
    for (const Tensor& o : outs) n->shapes.emplace_back(o.sizes());
    for (const Tensor& o : outs) autograd::set_history(o, n);
    // PyTorch refuses in-place writes into these views (autograd/inplace.cpp).
    for (const Tensor& o : outs) autograd::meta(o)->multi_output_view_of = node_name;
  }
  return outs;
}

std::vector<Tensor> unbind_ag(const Tensor& self, int64_t dim) {
  return record_split(self, "UnbindBackward0", dim, true, [&] { return ops::unbind(self, dim); });
}
std::vector<Tensor> split_ag(const Tensor& self, int64_t split_size, int64_t dim) {
  return record_split(self, "SplitBackward0", dim, false, [&] { return ops::split(self, split_size, dim); });
}
std::vector<Tensor> split_with_sizes_ag(const Tensor& self, IntArrayRef sizes, int64_t dim) {
  return record_split(self, "SplitWithSizesBackward0", dim, false,
                      [&] { return ops::split_with_sizes(self, sizes, dim); });
}
std::vector<Tensor> chunk_ag(const Tensor& self, int64_t chunks, int64_t dim) {
  return record_split(self, "SplitBackward0", dim, false, [&] { return ops::chunk(self, chunks, dim); });
}

// movedim is a permutation (PyTorch records PermuteBackward0).
Tensor movedim_ag(const Tensor& self, IntArrayRef source, IntArrayRef destination) {
  Tensor out = autograd::below_autograd([&] { return ops::movedim(self, source, destination); });
  if (auto n = autograd::make_node<PermuteBackward>({&self})) {
    const int64_t nd = self.dim();
    std::vector<int64_t> order(nd, -1);
    std::vector<bool> used(nd, false);
    for (size_t i = 0; i < source.size() && nd > 0; ++i) {
      int64_t s = wrap_dim(source[i], nd, "movedim"), d = wrap_dim(destination[i], nd, "movedim");
      order[d] = s;
      used[s] = true;
    }
    int64_t next = 0;
    for (int64_t d = 0; d < nd; ++d) {
      if (order[d] >= 0) continue;
      while (used[next]) ++next;
      order[d] = next++;
    }
    n->inverse.assign(nd, 0);
    for (int64_t i = 0; i < nd; ++i) n->inverse[order[i]] = i;
    autograd::set_history(out, n);
  }
  return out;
}

// A view as another dtype reinterprets bits: not differentiable, refused rather than silently
// cut from the graph. The same dtype is an alias.
Tensor view_dtype_ag(const Tensor& self, std::optional<DType> dtype) {
  if (autograd::compute_requires_grad({&self}) && dtype && *dtype != self.dtype())
    TS_FAIL(Runtime, "[view_dtype] viewing a tensor that requires grad as another dtype (", dtype_name(self.dtype()),
            " as ", dtype_name(*dtype), ") is not differentiable; detach() it first");
  TS_CHECK_TYPE(dtype.has_value(), "[view] expected a dtype");
  return record_reshape(self, "ViewBackward0", [&] { return ops::view_dtype(self, *dtype); });
}

Tensor broadcast_to_ag(const Tensor& self, IntArrayRef size) {
  Tensor out = autograd::below_autograd([&] { return ops::broadcast_to(self, size); });
  if (auto n = autograd::make_node<ExpandBackward>({&self})) {
    n->input_shape = DimVector(self.sizes());
    autograd::set_history(out, n);
  }
  return out;
}

}  // namespace

TS_REGISTER_OP_ALL_BACKENDS(
    "_view_scatter(Tensor grad, int[] input_size, int[] size, int[] stride, int storage_offset) -> Tensor",
    &view_scatter_kernel);
TS_REGISTER_OP_ALL_BACKENDS("_view_gather(Tensor self, int[] size, int[] stride, int storage_offset) -> Tensor",
                            &view_gather_kernel);
TS_REGISTER_KERNEL("_view_scatter", Autograd, &view_scatter_ag);
TS_REGISTER_KERNEL("_view_gather", Autograd, &view_gather_ag);
TS_REGISTER_KERNEL("select", Autograd, &select_ag);
TS_REGISTER_KERNEL("slice", Autograd, &slice_ag);
TS_REGISTER_KERNEL("narrow", Autograd, &narrow_ag);
TS_REGISTER_KERNEL("diagonal", Autograd, &diagonal_ag);
TS_REGISTER_KERNEL("as_strided", Autograd, &as_strided_ag);
TS_REGISTER_KERNEL("unbind", Autograd, &unbind_ag);
TS_REGISTER_KERNEL("split", Autograd, &split_ag);
TS_REGISTER_KERNEL("split_with_sizes", Autograd, &split_with_sizes_ag);
TS_REGISTER_KERNEL("chunk", Autograd, &chunk_ag);
TS_REGISTER_KERNEL("movedim", Autograd, &movedim_ag);
TS_REGISTER_KERNEL("view_dtype", Autograd, &view_dtype_ag);
TS_REGISTER_KERNEL("broadcast_to", Autograd, &broadcast_to_ag);
TS_REGISTER_KERNEL("view", Autograd, &view_ag);
TS_REGISTER_KERNEL("reshape", Autograd, &reshape_ag);
TS_REGISTER_KERNEL("unsqueeze", Autograd, &unsqueeze_ag);
TS_REGISTER_KERNEL("squeeze", Autograd, &squeeze_ag);
TS_REGISTER_KERNEL("flatten", Autograd, &flatten_ag);
TS_REGISTER_KERNEL("unflatten", Autograd, &unflatten_ag);
TS_REGISTER_KERNEL("expand", Autograd, &expand_ag);
TS_REGISTER_KERNEL("permute", Autograd, &permute_ag);
TS_REGISTER_KERNEL("transpose", Autograd, &transpose_ag);
TS_REGISTER_KERNEL("t", Autograd, &t_ag);

namespace ops {

Tensor view_scatter(const Tensor& grad, IntArrayRef input_size, IntArrayRef size, IntArrayRef stride, int64_t offset) {
  static TypedOp<Tensor(const Tensor&, IntArrayRef, IntArrayRef, IntArrayRef, int64_t)> op("_view_scatter");
  return op(grad, input_size, size, stride, offset);
}

Tensor view_gather(const Tensor& self, IntArrayRef size, IntArrayRef stride, int64_t offset) {
  static TypedOp<Tensor(const Tensor&, IntArrayRef, IntArrayRef, int64_t)> op("_view_gather");
  return op(self, size, stride, offset);
}

}  // namespace ops
}  // namespace tessera

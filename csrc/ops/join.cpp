// cat/stack and friends: checks and promotion here; the data moves either through the contiguous
// fast path (cat_contig_stub) or as TensorIterator copies into narrow()ed views of the output,
// which is device-generic. broadcast_* and atleast_* are views.
#include "ops/join.h"

#include "core/error.h"
#include "ops/copy.h"
#include "ops/shape_copy_stubs.h"
#include "ops/view.h"

namespace tessera {

TS_DEFINE_STUB(cat_contig_stub, "cat", void(const Tensor&, TensorList, int64_t));

namespace {

std::string sizes_list(IntArrayRef v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

// PyTorch skips 1-D tensors of shape (0,) in cat whatever the other inputs' shapes are.
bool legacy_skip(const Tensor& t) {
  return t.dim() == 1 && t.sizes()[0] == 0;
}

Tensor cat_kernel(TensorList tensors, int64_t dim) {
  TS_CHECK_VALUE(!tensors.empty(), "[cat] expected a non-empty list of Tensors");
  DType dt = tensors[0].dtype();
  const Tensor* ref = nullptr;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    TS_CHECK(t.defined(), "[cat] tensor at position ", i, " is undefined");
    TS_CHECK(t.dim() > 0, "[cat] zero-dimensional tensor (at position ", i, ") cannot be concatenated");
    TS_CHECK(t.device() == tensors[0].device(),
             "[cat] Expected all tensors to be on the same device, but found at "
             "least two devices, ",
             tensors[0].device().str(), " and ", t.device().str(), "!");
    dt = promote_types(dt, t.dtype());  // skipped inputs promote too, as in PyTorch
    if (!ref && !legacy_skip(t)) ref = &t;
  }
  if (!ref) return empty_tensor(std::vector<int64_t>{0}, dt, tensors[0].device());
  const int64_t nd = ref->dim();
  dim = wrap_dim(dim, nd, "cat");
  DimVector shape(ref->sizes());
  shape[dim] = 0;
  bool fast = true;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    if (legacy_skip(t)) continue;
    TS_CHECK(t.dim() == nd, "[cat] Tensors must have same number of dimensions: got ", nd, " and ", t.dim());
    for (int64_t d = 0; d < nd; ++d) {
      TS_CHECK(d == dim || t.sizes()[d] == shape[d], "[cat] Sizes of tensors must match except in dimension ", dim,
               ". Expected size ", shape[d], " but got size ", t.sizes()[d], " for tensor number ", i, " in the list.");
    }
    shape[dim] += t.sizes()[dim];
    fast = fast && t.is_contiguous() && t.dtype() == dt;
  }
  Tensor out = empty_tensor(shape, dt, ref->device());
  if (out.numel() == 0) return out;
  if (fast) {
    std::vector<Tensor> parts;
    parts.reserve(tensors.size());
    for (const Tensor& t : tensors)
      if (!legacy_skip(t) && t.numel() > 0) parts.push_back(t);
    cat_contig_stub(out.device(), out, parts, dim);
    return out;
  }
  int64_t offset = 0;
  for (const Tensor& t : tensors) {
    if (legacy_skip(t)) continue;
    const int64_t len = t.sizes()[dim];
    if (len > 0) ops::copy_(ops::narrow(out, dim, offset, len), t);
    offset += len;
  }
  return out;
}

Tensor stack_kernel(TensorList tensors, int64_t dim) {
  TS_CHECK(!tensors.empty(), "[stack] stack expects a non-empty TensorList");
  IntArrayRef s0 = tensors[0].sizes();
  for (size_t i = 1; i < tensors.size(); ++i) {
    IntArrayRef si = tensors[i].sizes();
    TS_CHECK(std::equal(s0.begin(), s0.end(), si.begin(), si.end()),
             "[stack] stack expects each tensor to be equal size, but got ", sizes_list(s0), " at entry 0 and ",
             sizes_list(si), " at entry ", i);
  }
  dim = wrap_dim(dim, tensors[0].dim() + 1, "stack");
  std::vector<Tensor> parts;
  parts.reserve(tensors.size());
  for (const Tensor& t : tensors) parts.push_back(ops::unsqueeze(t, dim));
  return ops::cat(parts, dim);
}

std::vector<Tensor> map_all(TensorList tensors, Tensor (*f)(const Tensor&)) {
  std::vector<Tensor> out;
  out.reserve(tensors.size());
  for (const Tensor& t : tensors) out.push_back(f(t));
  return out;
}

Tensor hstack_kernel(TensorList tensors) {
  TS_CHECK(!tensors.empty(), "[hstack] hstack expects a non-empty TensorList");
  std::vector<Tensor> rs = map_all(tensors, &ops::atleast_1d);
  return ops::cat(rs, rs[0].dim() == 1 ? 0 : 1);
}

Tensor vstack_kernel(TensorList tensors) {
  TS_CHECK(!tensors.empty(), "[vstack] vstack expects a non-empty TensorList");
  return ops::cat(map_all(tensors, &ops::atleast_2d), 0);
}

Tensor dstack_kernel(TensorList tensors) {
  TS_CHECK(!tensors.empty(), "[dstack] dstack expects a non-empty TensorList");
  return ops::cat(map_all(tensors, &ops::atleast_3d), 2);
}

Tensor column_stack_kernel(TensorList tensors) {
  TS_CHECK(!tensors.empty(), "[column_stack] column_stack expects a non-empty TensorList");
  std::vector<Tensor> cols;
  cols.reserve(tensors.size());
  for (const Tensor& t : tensors)
    cols.push_back(t.dim() <= 1 ? ops::reshape(t, std::vector<int64_t>{t.numel(), 1}) : t);
  return ops::hstack(cols);
}

// expand's checks, reported under this op's name.
Tensor broadcast_to_kernel(const Tensor& self, IntArrayRef size) {
  try {
    return ops::expand(self, size);
  } catch (const Error& e) {
    std::string msg = e.what();
    const std::string prefix = "[expand]";
    if (msg.rfind(prefix, 0) == 0) msg = "[broadcast_to]" + msg.substr(prefix.size());
    throw Error(e.kind(), msg);
  }
}

std::vector<Tensor> broadcast_tensors_kernel(TensorList tensors) {
  DimVector shape;
  for (const Tensor& t : tensors) shape = broadcast_shapes(shape, t.sizes(), "broadcast_tensors");
  std::vector<Tensor> out;
  out.reserve(tensors.size());
  for (const Tensor& t : tensors) out.push_back(ops::expand(t, shape));
  return out;
}

Tensor atleast_1d_kernel(const Tensor& self) {
  return self.dim() == 0 ? ops::reshape(self, std::vector<int64_t>{1}) : self;
}

Tensor atleast_2d_kernel(const Tensor& self) {
  if (self.dim() == 0) return ops::reshape(self, std::vector<int64_t>{1, 1});
  return self.dim() == 1 ? ops::unsqueeze(self, 0) : self;
}

Tensor atleast_3d_kernel(const Tensor& self) {
  switch (self.dim()) {
    case 0:
      return ops::reshape(self, std::vector<int64_t>{1, 1, 1});
    case 1:
      return ops::unsqueeze(ops::unsqueeze(self, 0), -1);
    case 2:
      return ops::unsqueeze(self, -1);
    default:
      return self;
  }
}

}  // namespace

TS_REGISTER_OP_ALL_BACKENDS("cat(Tensor[] tensors, int dim=0) -> Tensor", &cat_kernel);
TS_REGISTER_OP_ALL_BACKENDS("stack(Tensor[] tensors, int dim=0) -> Tensor", &stack_kernel);
TS_REGISTER_OP_ALL_BACKENDS("hstack(Tensor[] tensors) -> Tensor", &hstack_kernel);
TS_REGISTER_OP_ALL_BACKENDS("vstack(Tensor[] tensors) -> Tensor", &vstack_kernel);
TS_REGISTER_OP_ALL_BACKENDS("dstack(Tensor[] tensors) -> Tensor", &dstack_kernel);
TS_REGISTER_OP_ALL_BACKENDS("column_stack(Tensor[] tensors) -> Tensor", &column_stack_kernel);
TS_REGISTER_OP_ALL_BACKENDS("broadcast_to(Tensor self, int[] size) -> Tensor", &broadcast_to_kernel);
TS_REGISTER_OP_ALL_BACKENDS("broadcast_tensors(Tensor[] tensors) -> Tensor[]", &broadcast_tensors_kernel);
TS_REGISTER_OP_ALL_BACKENDS("atleast_1d(Tensor self) -> Tensor", &atleast_1d_kernel);
TS_REGISTER_OP_ALL_BACKENDS("atleast_2d(Tensor self) -> Tensor", &atleast_2d_kernel);
TS_REGISTER_OP_ALL_BACKENDS("atleast_3d(Tensor self) -> Tensor", &atleast_3d_kernel);

namespace ops {

#define TS_JOIN_ENTRY(name, R, params, sig, args) \
  R name params {                                 \
    static TypedOp<sig> op(#name);                \
    return op args;                               \
  }

TS_JOIN_ENTRY(cat, Tensor, (TensorList t, int64_t dim), Tensor(TensorList, int64_t), (t, dim))
TS_JOIN_ENTRY(stack, Tensor, (TensorList t, int64_t dim), Tensor(TensorList, int64_t), (t, dim))
TS_JOIN_ENTRY(hstack, Tensor, (TensorList t), Tensor(TensorList), (t))
TS_JOIN_ENTRY(vstack, Tensor, (TensorList t), Tensor(TensorList), (t))
TS_JOIN_ENTRY(dstack, Tensor, (TensorList t), Tensor(TensorList), (t))
TS_JOIN_ENTRY(column_stack, Tensor, (TensorList t), Tensor(TensorList), (t))
TS_JOIN_ENTRY(broadcast_to, Tensor, (const Tensor& self, IntArrayRef size), Tensor(const Tensor&, IntArrayRef),
              (self, size))
TS_JOIN_ENTRY(broadcast_tensors, std::vector<Tensor>, (TensorList t), std::vector<Tensor>(TensorList), (t))
TS_JOIN_ENTRY(atleast_1d, Tensor, (const Tensor& self), Tensor(const Tensor&), (self))
TS_JOIN_ENTRY(atleast_2d, Tensor, (const Tensor& self), Tensor(const Tensor&), (self))
TS_JOIN_ENTRY(atleast_3d, Tensor, (const Tensor& self), Tensor(const Tensor&), (self))
#undef TS_JOIN_ENTRY

}  // namespace ops
}  // namespace tessera

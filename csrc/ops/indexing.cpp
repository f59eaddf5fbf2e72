// Front-ends of advanced indexing (index, index_put_), masked_select/masked_scatter, take and
// nonzero. Each read/write is expressed for the shared index kernels (ops/indexing_stubs.h): the
// data tensor restrided over the result shape plus int64 index operands.
#include "ops/indexing.h"

#include "core/dispatch_type.h"
#include "ops/copy.h"
#include "ops/creation_stubs.h"
#include "ops/indexing_internal.h"
#include "ops/indexing_stubs.h"
#include "ops/tensor_iterator.h"
#include "ops/type_promotion.h"
#include "ops/view.h"

namespace tessera {

TS_DEFINE_STUB(index_stub, "index", void(const TensorIterator&, const IndexSpec&));
TS_DEFINE_STUB(index_put_stub, "index_put_",
               void(const TensorIterator&, const IndexSpec&, IndexPutMode, const Scalar&));
TS_DEFINE_STUB(nonzero_stub, "nonzero", Tensor(const Tensor&));
TS_DEFINE_STUB(contains_stub, "__contains__", bool(const TensorIterator&));

[[noreturn]] void index_out_of_range(const IndexSpec& s, int k, int64_t v) {
  ErrorKind kind = s.index_error ? ErrorKind::Index : ErrorKind::Runtime;
  switch (s.style) {
    case IndexErrorStyle::SelfRange:
      detail::fail(kind, "[", s.op, "] index out of range in self (index ", v, " for dimension ", s.dims[k],
                   " with size ", s.sizes[k], ")");
    case IndexErrorStyle::Take:
      detail::fail(kind, "[", s.op, "] out of range: tried to access index ", v, " on a tensor of ", s.sizes[k],
                   " elements.");
    default:
      detail::fail(kind, "[", s.op, "] index ", v, " is out of bounds for dimension ", s.dims[k], " with size ",
                   s.sizes[k]);
  }
}

namespace indexing {

std::string list_str(IntArrayRef v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

bool shares_storage(const Tensor& a, const Tensor& b) {
  return a.impl()->storage() == b.impl()->storage();
}

void check_writable(const char* op, const Tensor& self) {
  for (int64_t d = 0; d < self.dim(); ++d) {
    TS_CHECK(self.strides()[d] != 0 || self.sizes()[d] <= 1, "[", op,
             "] unsupported operation: more than one element of the written-to tensor refers to a single memory "
             "location. Please clone() the tensor before performing the operation.");
  }
}

Tensor index_operand(const Tensor& index, const Tensor& self, bool writing) {
  Tensor idx = to_dtype(index, DType::Int64);
  // An index that aliases the tensor being written must be read before it changes.
  if (writing && idx.is_same(index) && shares_storage(idx, self)) idx = ops::clone(idx);
  return idx;
}

Tensor scalar_on(const Scalar& value, DType dtype, Device device) {
  if (device.is_cpu()) return scalar_tensor(value, dtype);
  Tensor t = empty_tensor({}, dtype, device);
  TensorIterator iter;
  iter.add_output(t, dtype).build("fill_");
  fill_stub(device, iter, value);
  return t;
}

bool broadcast_to(IntArrayRef shape, IntArrayRef target) {
  if (shape.size() > target.size()) return false;
  size_t off = target.size() - shape.size();
  for (size_t i = 0; i < shape.size(); ++i)
    if (shape[i] != 1 && shape[i] != target[off + i]) return false;
  return true;
}

}  // namespace indexing

namespace {

using namespace indexing;

// ATen's AdvancedIndex: masks expanded, indices broadcast, indexed dims moved together.
struct AdvancedIndex {
  Tensor src;               // restrided over the result shape: stride 0 on the index dims
  std::vector<Tensor> ops;  // int64 indices laid over the result shape
  DimVector result_shape;
  IndexSpec spec;
};

AdvancedIndex make_advanced_index(const char* op, const Tensor& self_in, TensorList orig, bool writing) {
  Tensor self = self_in;
  TS_CHECK_INDEX(!orig.empty(), "[", op, "] at least one index must be provided");
  TS_CHECK_INDEX(static_cast<int64_t>(orig.size()) <= std::max<int64_t>(self.dim(), 1), "[", op,
                 "] too many indices for tensor of dimension ", self.dim(), " (got ", orig.size(), ")");
  // Indices may live on the CPU for a tensor on a GPU (as in PyTorch): they move to its device.
  auto on_device = [&](const Tensor& t) {
    if (t.device() == self.device()) return t;
    TS_CHECK_INDEX(t.device().is_cpu(), "[", op, "] indices should be either on cpu or on the same device as the ",
                   "indexed tensor (", self.device().str(), "), got ", t.device().str());
    return ops::to(t, self.device(), std::nullopt);
  };
  std::vector<Tensor> idx;
  for (const Tensor& given : orig) {
    if (!given.defined()) {
      idx.emplace_back();
      continue;
    }
    const Tensor& t = given;
    DType dt = t.dtype();
    if (dt == DType::Bool || dt == DType::UInt8) {
      const int64_t base = static_cast<int64_t>(idx.size());
      if (t.dim() == 0) {  // a 0-d mask adds a dim of size 1 (kept) or 0 (dropped), as x[True]
        self = ops::unsqueeze(self, base);
        idx.push_back(on_device(ops::select(ops::nonzero(ops::unsqueeze(t, 0)), 1, 0)));
        continue;
      }
      TS_CHECK_INDEX(base + t.dim() <= self.dim(), "[", op, "] too many indices for tensor of dimension ", self.dim(),
                     " (mask of shape ", list_str(t.sizes()), " at dim ", base, ")");
      for (int64_t j = 0; j < t.dim(); ++j) {
        TS_CHECK_INDEX(t.sizes()[j] == self.sizes()[base + j], "[", op, "] The shape of the mask ", list_str(t.sizes()),
                       " at index ", j, " does not match the shape of the indexed tensor ", list_str(self.sizes()),
                       " at index ", base + j);
      }
      Tensor nz = on_device(ops::nonzero(t));  // a CPU mask is counted on the CPU: no sync
      for (int64_t j = 0; j < t.dim(); ++j) idx.push_back(ops::select(nz, 1, j));
    } else {
      TS_CHECK_INDEX(dt == DType::Int64 || dt == DType::Int32, "[", op,
                     "] tensors used as indices must be long, int, byte or bool tensors (got ", dtype_name(dt), ")");
      idx.push_back(on_device(t));
    }
  }
  TS_CHECK_INDEX(static_cast<int64_t>(idx.size()) <= self.dim(), "[", op, "] too many indices for tensor of dimension ",
                 self.dim(), " (got ", idx.size(), ")");
  // Broadcast the index shapes together.
  DimVector ishape;
  bool any = false, ok = true;
  for (const Tensor& t : idx) {
    if (!t.defined()) continue;
    if (!any) {
      ishape = DimVector(t.sizes());
      any = true;
      continue;
    }
    IntArrayRef a = ishape, b = t.sizes();
    size_t n = std::max(a.size(), b.size());
    DimVector out(n);
    for (size_t i = 0; i < n && ok; ++i) {
      int64_t da = i + a.size() >= n ? a[i + a.size() - n] : 1;
      int64_t db = i + b.size() >= n ? b[i + b.size() - n] : 1;
      ok = da == db || da == 1 || db == 1;
      out[i] = da == 1 ? db : da;
    }
    if (!ok) break;
    ishape = out;
  }
  if (!ok) {
    std::string shapes;
    for (const Tensor& t : idx)
      if (t.defined()) shapes += (shapes.empty() ? "" : ", ") + list_str(t.sizes());
    TS_FAIL(Index, "[", op, "] shape mismatch: indexing tensors could not be broadcast together with shapes ", shapes);
  }
  TS_CHECK_INDEX(any, "[", op, "] at least one index tensor must be given (all indices are None)");
  while (static_cast<int64_t>(idx.size()) < self.dim()) idx.emplace_back();

  // Indexed dims separated by a sliced dim go first (NumPy rule); adjacent ones stay in place.
  const int64_t nd = self.dim();
  int64_t first = -1, last = -1, count = 0;
  for (int64_t d = 0; d < nd; ++d) {
    if (!idx[d].defined()) continue;
    if (first < 0) first = d;
    last = d;
    ++count;
  }
  if (last - first + 1 != count) {
    std::vector<int64_t> perm;
    std::vector<Tensor> reordered;
    for (int64_t d = 0; d < nd; ++d)
      if (idx[d].defined()) perm.push_back(d), reordered.push_back(idx[d]);
    for (int64_t d = 0; d < nd; ++d)
      if (!idx[d].defined()) perm.push_back(d), reordered.emplace_back();
    self = ops::permute(self, perm);
    idx = std::move(reordered);
    first = 0;
  }
  TS_CHECK_NOT_IMPLEMENTED(count <= kMaxIndexTensors, "[", op, "] indexing with more than ", kMaxIndexTensors,
                           " index tensors is not supported (got ", count, ")");

  AdvancedIndex ai;
  ai.spec.op = op;
  ai.spec.n = static_cast<int>(count);
  const int64_t before = first, ni = static_cast<int64_t>(ishape.size());
  DimVector src_strides;
  int64_t inumel = 1;
  for (int64_t s : ishape) inumel *= s;
  for (int64_t d = 0; d < before; ++d) {
    ai.result_shape.push_back(self.sizes()[d]);
    src_strides.push_back(self.strides()[d]);
  }
  for (int64_t s : ishape) {
    ai.result_shape.push_back(s);
    src_strides.push_back(0);
  }
  for (int64_t d = before + count; d < nd; ++d) {
    ai.result_shape.push_back(self.sizes()[d]);
    src_strides.push_back(self.strides()[d]);
  }
  const int64_t item = static_cast<int64_t>(self.itemsize());
  for (int64_t k = 0; k < count; ++k) {
    int64_t size = self.sizes()[before + k];
    TS_CHECK_INDEX(size != 0 || inumel == 0, "[", op, "] index is out of bounds for dimension with size 0");
    ai.spec.sizes[k] = size;
    ai.spec.strides[k] = self.strides()[before + k] * item;
    ai.spec.dims[k] = k;
    Tensor t = index_operand(idx[before + k], self_in, writing);
    DimVector strides(ai.result_shape.size(), 0);
    for (int64_t j = 0; j < t.dim(); ++j) strides[before + ni - t.dim() + j] = t.sizes()[j] == 1 ? 0 : t.strides()[j];
    ai.ops.push_back(make_view(t, ai.result_shape, std::move(strides), t.storage_offset()));
  }
  ai.src = make_view(self, ai.result_shape, std::move(src_strides), self.storage_offset());
  return ai;
}

Tensor index_kernel(const Tensor& self, TensorList indices) {
  AdvancedIndex ai = make_advanced_index("index", self, indices, false);
  TensorIterator iter;
  iter.add_output(Tensor(), self.dtype()).add_input(ai.src);
  for (const Tensor& t : ai.ops) iter.add_input(t);
  iter.build("index");
  index_stub(self.device(), iter, ai.spec);
  return iter.output();
}

Tensor index_put__kernel(const Tensor& self, TensorList indices, const Tensor& values, bool accumulate) {
  TS_CHECK(values.dtype() == self.dtype(),
           "[index_put_] Index put requires the source and destination dtypes match, got ", dtype_name(self.dtype()),
           " for the destination and ", dtype_name(values.dtype()), " for the source.");
  AdvancedIndex ai = make_advanced_index("index_put_", self, indices, true);
  TS_CHECK(broadcast_to(values.sizes(), ai.result_shape), "[index_put_] shape mismatch: value tensor of shape ",
           list_str(values.sizes()), " cannot be broadcast to indexing result of shape ", list_str(ai.result_shape));
  Tensor v = shares_storage(values, self) ? ops::clone(values) : values;
  if (v.dim() == 0 && v.device().is_cpu() && !self.device().is_cpu()) {
    // A 0-d CPU value for a tensor on a GPU (PyTorch allows it): filled there, no copy, no sync.
    Scalar s;
    TS_DISPATCH_ALL_TYPES(v.dtype(), "index_put_", [&] { s = Scalar(*v.data<scalar_t>()); });
    v = scalar_on(s, v.dtype(), self.device());
  }
  v = ops::expand(v, ai.result_shape);
  TensorIterator iter;
  iter.add_input(ai.src).add_input(v);
  for (const Tensor& t : ai.ops) iter.add_input(t);
  iter.build("index_put_");
  index_put_stub(self.device(), iter, ai.spec, accumulate ? IndexPutMode::Add : IndexPutMode::Assign, Scalar(1));
  self.bump_version();
  return self;
}

Tensor index_put_kernel(const Tensor& self, TensorList indices, const Tensor& values, bool accumulate) {
  return ops::index_put_(ops::clone(self), indices, values, accumulate);
}

Tensor masked_select_kernel(const Tensor& self, const Tensor& mask) {
  TS_CHECK(mask.dtype() == DType::Bool, "[masked_select] masked_select: expected BoolTensor for mask, got ",
           dtype_name(mask.dtype()));
  DimVector shape = broadcast_shapes(self.sizes(), mask.sizes(), "masked_select");
  if (shape.empty()) shape.push_back(1);
  Tensor s = ops::expand(self, shape), m = ops::expand(mask, shape);
  return ops::index(s, TensorList(&m, 1));
}

Tensor masked_scatter__kernel(const Tensor& self, const Tensor& mask, const Tensor& source) {
  TS_CHECK(mask.dtype() == DType::Bool,
           "[masked_scatter_] masked_scatter_ only supports boolean masks, but got mask "
           "with dtype ",
           dtype_name(mask.dtype()));
  TS_CHECK(self.dtype() == source.dtype(),
           "[masked_scatter_] masked_scatter: expected self and source to have same "
           "dtypes but got ",
           dtype_name(self.dtype()), " and ", dtype_name(source.dtype()));
  check_writable("masked_scatter_", self);
  Tensor s = self.dim() == 0 ? ops::unsqueeze(self, 0) : self;
  Tensor m = ops::expand(mask, s.sizes());
  Tensor nz = ops::nonzero(m);
  int64_t count = nz.sizes()[0];
  TS_CHECK(source.numel() >= count, "[masked_scatter_] Number of elements of source < number of ones in mask (",
           source.numel(), " < ", count, ")");
  if (count == 0) return self;
  const int64_t flat_shape[1] = {-1};
  Tensor values = ops::slice(ops::reshape(source, IntArrayRef(flat_shape, 1)), 0, 0, count, 1);
  std::vector<Tensor> cols = ops::unbind(nz, 1);
  ops::index_put_(s, cols, values, false);
  return self;
}

Tensor masked_scatter_kernel(const Tensor& self, const Tensor& mask, const Tensor& source) {
  DimVector shape = broadcast_shapes(self.sizes(), mask.sizes(), "masked_scatter");
  Tensor out = ops::clone(ops::expand(self, shape));
  return ops::masked_scatter_(out, mask, source);
}

Tensor take_kernel(const Tensor& self, const Tensor& index) {
  TS_CHECK(index.dtype() == DType::Int64, "[take] take(): Expected a long tensor for index, but got ",
           dtype_name(index.dtype()));
  const int64_t flat_shape[1] = {-1};
  Tensor flat = ops::reshape(self, IntArrayRef(flat_shape, 1));
  IndexSpec spec;
  spec.op = "take";
  spec.n = 1;
  spec.sizes[0] = flat.numel();
  spec.strides[0] = flat.strides()[0] * static_cast<int64_t>(flat.itemsize());
  spec.style = IndexErrorStyle::Take;
  Tensor src = make_view(flat, DimVector(index.sizes()), DimVector(index.dim(), 0), flat.storage_offset());
  TensorIterator iter;
  iter.add_output(Tensor(), self.dtype()).add_input(src).add_input(index).build("take");
  index_stub(self.device(), iter, spec);
  return iter.output();
}

// self.view(-1)[index] = source (or +=): take's write counterpart, over self's logical order.
Tensor put__kernel(const Tensor& self, const Tensor& index, const Tensor& source, bool accumulate) {
  TS_CHECK(index.dtype() == DType::Int64, "[put_] put_(): Expected a long tensor for index, but got ",
           dtype_name(index.dtype()));
  TS_CHECK(self.dtype() == source.dtype(),
           "[put_] put_(): self and source expected to have the same dtype, but got "
           "self.dtype = ",
           dtype_name(self.dtype()), " and source.dtype = ", dtype_name(source.dtype()));
  TS_CHECK_INDEX(index.numel() == source.numel(),
                 "[put_] put_(): Expected source and index to have the same number "
                 "of elements, but got source.numel() = ",
                 source.numel(), ", index.numel() = ", index.numel());
  check_writable("put_", self);
  if (index.numel() == 0) return self;
  // A non-contiguous self has no flat view: write into a contiguous copy, then copy back.
  Tensor target = self.is_contiguous() ? self : ops::clone(self);
  const int64_t flat_shape[1] = {-1};
  Tensor flat = ops::view(target, IntArrayRef(flat_shape, 1));
  Tensor idx = ops::reshape(index_operand(index, self, true), IntArrayRef(flat_shape, 1));
  Tensor src = ops::reshape(shares_storage(source, self) ? ops::clone(source) : source, IntArrayRef(flat_shape, 1));
  IndexSpec spec;
  spec.op = "put_";
  spec.n = 1;
  spec.sizes[0] = flat.numel();
  spec.strides[0] = flat.strides()[0] * static_cast<int64_t>(flat.itemsize());
  spec.style = IndexErrorStyle::Take;
  Tensor dst = make_view(flat, DimVector(idx.sizes()), DimVector(size_t{1}, int64_t{0}), flat.storage_offset());
  TensorIterator iter;
  iter.add_input(dst).add_input(src).add_input(idx).build("put_");
  index_put_stub(self.device(), iter, spec, accumulate ? IndexPutMode::Add : IndexPutMode::Assign, Scalar(1));
  if (!target.is_same(self)) ops::copy_(self, target);
  self.bump_version();
  return self;
}

Tensor put_kernel(const Tensor& self, const Tensor& index, const Tensor& source, bool accumulate) {
  return ops::put_(ops::clone(self), index, source, accumulate);
}

Tensor nonzero_kernel(const Tensor& self) {
  return nonzero_stub(self.device(), ops::contiguous(self));
}

std::vector<Tensor> nonzero_numpy_kernel(const Tensor& self) {
  const int64_t one[1] = {1};
  Tensor nz = ops::nonzero(self.dim() == 0 ? ops::reshape(self, IntArrayRef(one, 1)) : self);
  return ops::unbind(nz, 1);
}

// (element == self).any(), with PyTorch's promotion of the two.
bool contains_kernel(const Tensor& self, const Tensor& element) {
  DType dt = result_type(self, element);
  TensorIterator iter;
  iter.add_input(to_dtype(self, dt)).add_input(to_dtype(element, dt)).build("__contains__");
  return contains_stub(iter.device(), iter);
}

}  // namespace

TS_REGISTER_OP_ALL_BACKENDS("_contains(Tensor self, Tensor element) -> bool", &contains_kernel);
TS_REGISTER_OP_ALL_BACKENDS("index(Tensor self, Tensor?[] indices) -> Tensor", &index_kernel);
TS_REGISTER_OP_ALL_BACKENDS(
    "index_put_(Tensor self, Tensor?[] indices, Tensor values, bool accumulate=False) -> Tensor", &index_put__kernel);
TS_REGISTER_OP_ALL_BACKENDS("index_put(Tensor self, Tensor?[] indices, Tensor values, bool accumulate=False) -> Tensor",
                            &index_put_kernel);
// Index tensors may live on the CPU for a GPU self, as in PyTorch (moved in make_advanced_index).
TS_ALLOW_MIXED_DEVICES("index", "index_put_", "index_put");
TS_REGISTER_OP_ALL_BACKENDS("masked_select(Tensor self, Tensor mask) -> Tensor", &masked_select_kernel);
TS_REGISTER_OP_ALL_BACKENDS("masked_scatter_(Tensor self, Tensor mask, Tensor source) -> Tensor",
                            &masked_scatter__kernel);
TS_REGISTER_OP_ALL_BACKENDS("masked_scatter(Tensor self, Tensor mask, Tensor source) -> Tensor",
                            &masked_scatter_kernel);
TS_REGISTER_OP_ALL_BACKENDS("take(Tensor self, Tensor index) -> Tensor", &take_kernel);
TS_REGISTER_OP_ALL_BACKENDS("put_(Tensor self, Tensor index, Tensor source, bool accumulate=False) -> Tensor",
                            &put__kernel);
TS_REGISTER_OP_ALL_BACKENDS("put(Tensor self, Tensor index, Tensor source, bool accumulate=False) -> Tensor",
                            &put_kernel);
TS_REGISTER_OP_ALL_BACKENDS("nonzero(Tensor self) -> Tensor", &nonzero_kernel);
TS_REGISTER_OP_ALL_BACKENDS("nonzero_numpy(Tensor self) -> Tensor[]", &nonzero_numpy_kernel);

namespace ops {

Tensor index(const Tensor& self, TensorList indices) {
  static TypedOp<Tensor(const Tensor&, TensorList)> op("index");
  return op(self, indices);
}
Tensor index_put_(const Tensor& self, TensorList indices, const Tensor& values, bool accumulate) {
  static TypedOp<Tensor(const Tensor&, TensorList, const Tensor&, bool)> op("index_put_");
  return op(self, indices, values, accumulate);
}
Tensor index_put(const Tensor& self, TensorList indices, const Tensor& values, bool accumulate) {
  static TypedOp<Tensor(const Tensor&, TensorList, const Tensor&, bool)> op("index_put");
  return op(self, indices, values, accumulate);
}
Tensor masked_select(const Tensor& self, const Tensor& mask) {
  static TypedOp<Tensor(const Tensor&, const Tensor&)> op("masked_select");
  return op(self, mask);
}
Tensor masked_scatter_(const Tensor& self, const Tensor& mask, const Tensor& source) {
  static TypedOp<Tensor(const Tensor&, const Tensor&, const Tensor&)> op("masked_scatter_");
  return op(self, mask, source);
}
Tensor masked_scatter(const Tensor& self, const Tensor& mask, const Tensor& source) {
  static TypedOp<Tensor(const Tensor&, const Tensor&, const Tensor&)> op("masked_scatter");
  return op(self, mask, source);
}
Tensor take(const Tensor& self, const Tensor& index) {
  static TypedOp<Tensor(const Tensor&, const Tensor&)> op("take");
  return op(self, index);
}
Tensor put_(const Tensor& self, const Tensor& index, const Tensor& source, bool accumulate) {
  static TypedOp<Tensor(const Tensor&, const Tensor&, const Tensor&, bool)> op("put_");
  return op(self, index, source, accumulate);
}
Tensor put(const Tensor& self, const Tensor& index, const Tensor& source, bool accumulate) {
  static TypedOp<Tensor(const Tensor&, const Tensor&, const Tensor&, bool)> op("put");
  return op(self, index, source, accumulate);
}
Tensor nonzero(const Tensor& self) {
  static TypedOp<Tensor(const Tensor&)> op("nonzero");
  return op(self);
}
bool contains(const Tensor& self, const Tensor& element) {
  static TypedOp<bool(const Tensor&, const Tensor&)> op("_contains");
  return op(self, element);
}
std::vector<Tensor> nonzero_numpy(const Tensor& self) {
  static TypedOp<std::vector<Tensor>(const Tensor&)> op("nonzero_numpy");
  return op(self);
}

}  // namespace ops
}  // namespace tessera

// Front-ends of the dim-wise index ops: index_select, gather, scatter (src / value / add /
// reduce), index_add. Each is one call of the shared index kernels (ops/indexing_stubs.h).
#include <limits>

#include "ops/copy.h"
#include "ops/indexing.h"
#include "ops/indexing_internal.h"
#include "ops/indexing_stubs.h"
#include "ops/tensor_iterator.h"
#include "ops/type_promotion.h"
#include "ops/view.h"

namespace tessera {

TS_DEFINE_STUB(scatter_mean_stub, "scatter_reduce", void(const TensorIterator&));

namespace {

using namespace indexing;

bool is_index_dtype(DType t) {
  return t == DType::Int64 || t == DType::Int32;
}
int64_t nonempty_dim(const Tensor& t) {
  return std::max<int64_t>(t.dim(), 1);
}
int64_t nonempty_size(const Tensor& t, int64_t d) {
  return t.dim() == 0 ? 1 : t.sizes()[d];
}
// 0-d tensors take part as 1-element 1-D tensors, as in ATen.
Tensor as_1d(const Tensor& t) {
  return t.dim() == 0 ? ops::unsqueeze(t, 0) : t;
}

IndexSpec one_index_spec(const char* op, const Tensor& data, int64_t dim, bool wrap, bool index_error,
                         IndexErrorStyle style) {
  IndexSpec s;
  s.op = op;
  s.n = 1;
  s.sizes[0] = data.sizes()[dim];
  s.strides[0] = data.strides()[dim] * static_cast<int64_t>(data.itemsize());
  s.dims[0] = dim;
  s.wrap_negative = wrap;
  s.index_error = index_error;
  s.style = style;
  return s;
}

// `t` seen over `sizes` with its own strides except stride 0 along `dim`.
Tensor restride_dim(const Tensor& t, IntArrayRef sizes, int64_t dim) {
  DimVector strides(t.strides());
  strides[dim] = 0;
  return make_view(t, DimVector(sizes), std::move(strides), t.storage_offset());
}

// A 1-D index laid along `dim` of `sizes` (stride 0 elsewhere).
Tensor index_along(const Tensor& idx1d, IntArrayRef sizes, int64_t dim) {
  DimVector strides(sizes.size(), 0);
  strides[dim] = idx1d.sizes()[0] == 1 ? 0 : idx1d.strides()[0];
  return make_view(idx1d, DimVector(sizes), std::move(strides), idx1d.storage_offset());
}

Tensor index_select_kernel(const Tensor& self, int64_t dim, const Tensor& index) {
  TS_CHECK_INDEX(index.dim() <= 1, "[index_select] index_select(): Index is supposed to be a vector, got ", index.dim(),
                 "-D index");
  TS_CHECK(is_index_dtype(index.dtype()),
           "[index_select] index_select(): Expected dtype int32 or int64 for index, got ", dtype_name(index.dtype()));
  int64_t d = wrap_dim(dim, self.dim(), "index_select");
  Tensor s = as_1d(self);
  Tensor idx = as_1d(index_operand(index, self, false));
  DimVector out_sizes(s.sizes());
  out_sizes[d] = idx.sizes()[0];
  TS_CHECK_INDEX(s.sizes()[d] != 0 || idx.sizes()[0] == 0, "[index_select] index out of range in self (dimension ", d,
                 " has size 0)");
  // PyTorch's dim-1 kernel reports a RuntimeError, the others an IndexError.
  const bool index_error = !(d == 1 && self.dim() > 1);
  IndexSpec spec = one_index_spec("index_select", s, d, false, index_error, IndexErrorStyle::SelfRange);
  TensorIterator iter;
  iter.add_output(Tensor(), self.dtype())
      .add_input(restride_dim(s, out_sizes, d))
      .add_input(index_along(idx, out_sizes, d))
      .build("index_select");
  index_stub(self.device(), iter, spec);
  Tensor out = iter.output();
  if (self.dim() == 0 && out.numel() == 1) return ops::reshape(out, IntArrayRef());
  return out;
}

Tensor gather_kernel(const Tensor& self, int64_t dim, const Tensor& index) {
  TS_CHECK(is_index_dtype(index.dtype()), "[gather] gather(): Expected dtype int32/int64 for index, got ",
           dtype_name(index.dtype()));
  int64_t d = wrap_dim(dim, self.dim(), "gather");
  TS_CHECK(nonempty_dim(index) == nonempty_dim(self),
           "[gather] Index tensor must have the same number of dimensions "
           "as input tensor (",
           index.dim(), " != ", self.dim(), ")");
  for (int64_t i = 0; i < nonempty_dim(self); ++i) {
    if (i == d) continue;
    TS_CHECK(nonempty_size(index, i) <= nonempty_size(self, i), "[gather] Size does not match at dimension ", i,
             " expected index ", list_str(index.sizes()), " to be no larger than self ", list_str(self.sizes()),
             " apart from dimension ", d);
  }
  Tensor s = as_1d(self), idx = as_1d(index_operand(index, self, false));
  IndexSpec spec = one_index_spec("gather", s, d, false, false, IndexErrorStyle::Dim);
  TensorIterator iter;
  iter.add_output(Tensor(), self.dtype()).add_input(restride_dim(s, idx.sizes(), d)).add_input(idx).build("gather");
  index_stub(self.device(), iter, spec);
  Tensor out = iter.output();
  return index.dim() == 0 ? ops::reshape(out, IntArrayRef()) : out;
}

IndexPutMode parse_reduce(const char* op, std::optional<std::string_view> reduce) {
  if (!reduce) return IndexPutMode::Assign;
  if (*reduce == "add") return IndexPutMode::Add;
  if (*reduce == "multiply") return IndexPutMode::Multiply;
  TS_FAIL(Runtime, "[", op, "] reduce argument must be either add or multiply, got '", std::string(*reduce), "'");
}

// self[index[i][j]][j] = src[i][j] (dim 0), src undefined: `value` everywhere.
Tensor scatter_impl(const char* op, const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
                    const Scalar& value, IndexPutMode mode) {
  TS_CHECK(is_index_dtype(index.dtype()), "[", op, "] scatter(): Expected dtype int32/int64 for index, got ",
           dtype_name(index.dtype()));
  TS_CHECK(!src.defined() || src.dtype() == self.dtype(), "[", op,
           "] scatter(): Expected self.dtype to be equal to src.dtype (", dtype_name(self.dtype()),
           " != ", dtype_name(src.dtype()), ")");
  int64_t d = wrap_dim(dim, self.dim(), op);
  if (index.numel() == 0) return self;
  TS_CHECK(nonempty_dim(index) == nonempty_dim(self), "[", op,
           "] Index tensor must have the same number of dimensions "
           "as self tensor (",
           index.dim(), " != ", self.dim(), ")");
  if (src.defined()) {
    TS_CHECK(nonempty_dim(src) == nonempty_dim(index), "[", op,
             "] Index tensor must have the same number of "
             "dimensions as src tensor (",
             index.dim(), " != ", src.dim(), ")");
  }
  bool wrong = false;
  for (int64_t i = 0; i < nonempty_dim(self) && !wrong; ++i)
    wrong = i != d && nonempty_size(index, i) > nonempty_size(self, i);
  for (int64_t i = 0; src.defined() && i < nonempty_dim(self) && !wrong; ++i)
    wrong = nonempty_size(index, i) > nonempty_size(src, i);
  if (src.defined()) {
    TS_CHECK(!wrong, "[", op, "] Expected index ", list_str(index.sizes()), " to be no larger than self ",
             list_str(self.sizes()), " apart from dimension ", d, " and to be no larger size than src ",
             list_str(src.sizes()));
  } else {
    TS_CHECK(!wrong, "[", op, "] Expected index ", list_str(index.sizes()), " to be no larger than self ",
             list_str(self.sizes()), " apart from dimension ", d);
  }
  check_writable(op, self);
  Tensor s = as_1d(self), idx = as_1d(index_operand(index, self, true));
  Tensor values;
  if (src.defined()) {
    Tensor v = as_1d(shares_storage(src, self) ? ops::clone(src) : src);
    values = make_view(v, DimVector(idx.sizes()), DimVector(v.strides()), v.storage_offset());
  } else {
    Tensor v = scalar_on(value, self.dtype(), self.device());
    values = make_view(v, DimVector(idx.sizes()), DimVector(idx.dim(), 0), v.storage_offset());
  }
  IndexSpec spec = one_index_spec(op, s, d, false, false, IndexErrorStyle::Dim);
  TensorIterator iter;
  iter.add_input(restride_dim(s, idx.sizes(), d)).add_input(values).add_input(idx).build(op);
  index_put_stub(self.device(), iter, spec, mode, Scalar(1));
  self.bump_version();
  return self;
}

Tensor scatter__kernel(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
                       std::optional<std::string_view> reduce) {
  return scatter_impl("scatter_", self, dim, index, src, Scalar(0), parse_reduce("scatter_", reduce));
}
Tensor scatter_kernel(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
                      std::optional<std::string_view> reduce) {
  IndexPutMode mode = parse_reduce("scatter", reduce);
  return scatter_impl("scatter", ops::clone(self), dim, index, src, Scalar(0), mode);
}
Tensor scatter_value__kernel(const Tensor& self, int64_t dim, const Tensor& index, const Scalar& value,
                             std::optional<std::string_view> reduce) {
  return scatter_impl("scatter_", self, dim, index, Tensor(), value, parse_reduce("scatter_", reduce));
}
Tensor scatter_value_kernel(const Tensor& self, int64_t dim, const Tensor& index, const Scalar& value,
                            std::optional<std::string_view> reduce) {
  IndexPutMode mode = parse_reduce("scatter", reduce);
  return scatter_impl("scatter", ops::clone(self), dim, index, Tensor(), value, mode);
}
Tensor scatter_add__kernel(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
  return scatter_impl("scatter_add_", self, dim, index, src, Scalar(0), IndexPutMode::Add);
}
Tensor scatter_add_kernel(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
  return scatter_impl("scatter_add", ops::clone(self), dim, index, src, Scalar(0), IndexPutMode::Add);
}

// Identity of each reduction, written first where include_self=False.
Scalar reduce_identity(IndexPutMode mode, DType dt) {
  if (mode == IndexPutMode::Multiply) return Scalar(1);
  if (mode == IndexPutMode::Max || mode == IndexPutMode::Min) {
    const bool mx = mode == IndexPutMode::Max;
    if (is_floating(dt))
      return Scalar(mx ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity());
    switch (dt) {
      case DType::Bool:
        return Scalar(!mx);
      case DType::UInt8:
        return Scalar(mx ? 0 : 255);
      case DType::Int8:
        return Scalar(mx ? -128 : 127);
      case DType::Int16:
        return Scalar(mx ? -32768 : 32767);
      case DType::Int32:
        return Scalar(mx ? std::numeric_limits<int32_t>::min() : std::numeric_limits<int32_t>::max());
      default:
        return Scalar(mx ? std::numeric_limits<int64_t>::min() : std::numeric_limits<int64_t>::max());
    }
  }
  return Scalar(0);
}

Tensor scatter_reduce_impl(const char* op, const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
                           std::string_view reduce, bool include_self) {
  IndexPutMode mode;
  bool mean = false;
  if (reduce == "sum") {
    mode = IndexPutMode::Add;
  } else if (reduce == "prod") {
    mode = IndexPutMode::Multiply;
  } else if (reduce == "mean") {
    mode = IndexPutMode::Add;
    mean = true;
  } else if (reduce == "amax" || reduce == "max") {
    mode = IndexPutMode::Max;
  } else if (reduce == "amin" || reduce == "min") {
    mode = IndexPutMode::Min;
  } else {
    TS_FAIL(Runtime, "[", op, "] reduce argument must be either sum, prod, mean, amax or amin, got ",
            std::string(reduce));
  }
  TS_CHECK_NOT_IMPLEMENTED(!mean || self.dtype() != DType::Bool, "[", op,
                           "] reduce='mean' is not implemented for bool");
  if (!include_self)
    scatter_impl(op, self, dim, index, Tensor(), reduce_identity(mode, self.dtype()), IndexPutMode::Assign);
  if (!mean) return scatter_impl(op, self, dim, index, src, Scalar(0), mode);
  // mean = sum / count, count = number of values reduced into each element (self included or not).
  Tensor counts =
      ops::clone(ops::expand(scalar_on(Scalar(include_self ? 1 : 0), DType::Int64, self.device()), self.sizes()));
  scatter_impl(op, counts, dim, index, Tensor(), Scalar(1), IndexPutMode::Add);
  scatter_impl(op, self, dim, index, src, Scalar(0), IndexPutMode::Add);
  TensorIterator iter;
  iter.add_output(self, self.dtype()).add_input(self).add_input(counts).build(op);
  scatter_mean_stub(self.device(), iter);
  return self;
}

Tensor scatter_reduce__kernel(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
                              std::string_view reduce, bool include_self) {
  return scatter_reduce_impl("scatter_reduce_", self, dim, index, src, reduce, include_self);
}
Tensor scatter_reduce_kernel(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
                             std::string_view reduce, bool include_self) {
  return scatter_reduce_impl("scatter_reduce", ops::clone(self), dim, index, src, reduce, include_self);
}

Tensor index_add_impl(const char* op, const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source,
                      const Scalar& alpha) {
  int64_t d = wrap_dim(dim, self.dim(), op);
  TS_CHECK_INDEX(index.dim() <= 1, "[", op,
                 "] index_add_(): Index is supposed to be a vector, but got dim: ", index.dim(),
                 " with size: ", list_str(index.sizes()));
  TS_CHECK(is_index_dtype(index.dtype()), "[", op,
           "] index_add_(): Expected dtype int32/int64 for index but got: ", dtype_name(index.dtype()));
  TS_CHECK(self.dtype() == source.dtype(), "[", op, "] index_add_(): self (", dtype_name(self.dtype()),
           ") and source (", dtype_name(source.dtype()), ") must have the same scalar type");
  const int64_t k = index.numel();
  const bool src_has_dim = source.dim() == 0 || d < source.dim();
  const int64_t src_d = source.dim() == 0 ? 1 : src_has_dim ? source.sizes()[d] : -1;
  TS_CHECK(k == src_d, "[", op, "] index_add_(): Number of indices (", k, ") should be equal to source.size(dim): (",
           src_d, "), for dim: ", d);
  bool same = nonempty_dim(self) == nonempty_dim(source) && (self.dim() != 0 || source.dim() == 0) &&
              (source.dim() != 0 || self.dim() == 0);
  for (int64_t i = 0; same && i < self.dim(); ++i) same = i == d || self.sizes()[i] == source.sizes()[i];
  TS_CHECK(same, "[", op,
           "] source tensor shape must match self tensor shape, excluding the specified dimension. Got "
           "self.shape = ",
           list_str(self.sizes()), " source.shape = ", list_str(source.sizes()));
  if (k == 0) return self;
  check_writable(op, self);
  Tensor s = as_1d(self), src = as_1d(shares_storage(source, self) ? ops::clone(source) : source);
  Tensor idx = as_1d(index_operand(index, self, true));
  IndexSpec spec = one_index_spec(op, s, d, false, false, IndexErrorStyle::Dim);
  TensorIterator iter;
  iter.add_input(restride_dim(s, src.sizes(), d)).add_input(src).add_input(index_along(idx, src.sizes(), d)).build(op);
  index_put_stub(self.device(), iter, spec, IndexPutMode::Add, alpha);
  self.bump_version();
  return self;
}

Tensor index_add__kernel(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source,
                         const Scalar& alpha) {
  return index_add_impl("index_add_", self, dim, index, source, alpha);
}
Tensor index_add_kernel(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source,
                        const Scalar& alpha) {
  return index_add_impl("index_add", ops::clone(self), dim, index, source, alpha);
}

Tensor index_copy_impl(const char* op, const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source) {
  int64_t d = wrap_dim(dim, self.dim(), op);
  TS_CHECK_INDEX(index.dim() <= 1, "[", op, "] index_copy_(): Index should have dimension 1 or 0 (got ", index.dim(),
                 ")");
  TS_CHECK(index.dtype() == DType::Int64, "[", op, "] index_copy_(): Expected a long tensor for index, but got ",
           dtype_name(index.dtype()));
  TS_CHECK(self.dtype() == source.dtype(), "[", op,
           "] index_copy_(): self and source expected to have the same dtype, but got (self) ",
           dtype_name(self.dtype()), " and (source) ", dtype_name(source.dtype()));
  const int64_t k = index.numel();
  const int64_t src_d = source.dim() == 0 ? 1 : d < source.dim() ? source.sizes()[d] : -1;
  TS_CHECK_INDEX(k == src_d, "[", op, "] index_copy_(): Number of indices (", k,
                 ") should be equal to source.size(dim) (", src_d, ")");
  bool same = nonempty_dim(self) == nonempty_dim(source);
  for (int64_t i = 0; same && i < nonempty_dim(self); ++i)
    same = i == d || nonempty_size(self, i) == nonempty_size(source, i);
  TS_CHECK(same, "[", op, "] index_copy_(): Source/destination tensor must have same slice shapes. Destination shape: ",
           list_str(self.sizes()), ", source shape: ", list_str(source.sizes()), ", dim ", d);
  if (k == 0) return self;
  check_writable(op, self);
  Tensor s = as_1d(self), src = as_1d(shares_storage(source, self) ? ops::clone(source) : source);
  Tensor idx = as_1d(index_operand(index, self, true));
  IndexSpec spec = one_index_spec(op, s, d, false, true, IndexErrorStyle::Dim);
  TensorIterator iter;
  iter.add_input(restride_dim(s, src.sizes(), d)).add_input(src).add_input(index_along(idx, src.sizes(), d)).build(op);
  index_put_stub(self.device(), iter, spec, IndexPutMode::Assign, Scalar(1));
  self.bump_version();
  return self;
}

Tensor index_copy__kernel(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source) {
  return index_copy_impl("index_copy_", self, dim, index, source);
}
Tensor index_copy_kernel(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source) {
  return index_copy_impl("index_copy", ops::clone(self), dim, index, source);
}

Tensor index_fill_impl(const char* op, const Tensor& self, int64_t dim, const Tensor& index, const Scalar& value) {
  int64_t d = wrap_dim(dim, self.dim(), op);
  TS_CHECK_INDEX(index.dtype() == DType::Int64, "[", op, "] index_fill_(): Expected dtype int64 for index, got ",
                 dtype_name(index.dtype()));
  TS_CHECK(index.dim() <= 1, "[", op, "] Index has to be a vector/scalar (got ", index.dim(), "-D index)");
  check_writable(op, self);
  Tensor s = as_1d(self), idx = as_1d(index_operand(index, self, true));
  DimVector sizes(s.sizes());
  sizes[d] = idx.sizes()[0];
  if (idx.sizes()[0] == 0) return self;
  Tensor v = scalar_on(value, self.dtype(), self.device());
  Tensor values = make_view(v, sizes, DimVector(sizes.size(), 0), v.storage_offset());
  IndexSpec spec = one_index_spec(op, s, d, true, true, IndexErrorStyle::Dim);
  TensorIterator iter;
  iter.add_input(restride_dim(s, sizes, d)).add_input(values).add_input(index_along(idx, sizes, d)).build(op);
  index_put_stub(self.device(), iter, spec, IndexPutMode::Assign, Scalar(1));
  self.bump_version();
  return self;
}

Tensor index_fill__kernel(const Tensor& self, int64_t dim, const Tensor& index, const Scalar& value) {
  return index_fill_impl("index_fill_", self, dim, index, value);
}
Tensor index_fill_kernel(const Tensor& self, int64_t dim, const Tensor& index, const Scalar& value) {
  return index_fill_impl("index_fill", ops::clone(self), dim, index, value);
}

}  // namespace

TS_REGISTER_OP_ALL_BACKENDS("index_select(Tensor self, int dim, Tensor index) -> Tensor", &index_select_kernel);
TS_REGISTER_OP_ALL_BACKENDS("gather(Tensor self, int dim, Tensor index) -> Tensor", &gather_kernel);
TS_REGISTER_OP_ALL_BACKENDS("scatter(Tensor self, int dim, Tensor index, Tensor src, *, str? reduce=None) -> Tensor",
                            &scatter_kernel);
TS_REGISTER_OP_ALL_BACKENDS("scatter_(Tensor self, int dim, Tensor index, Tensor src, *, str? reduce=None) -> Tensor",
                            &scatter__kernel);
TS_REGISTER_OP_ALL_BACKENDS(
    "scatter_value(Tensor self, int dim, Tensor index, Scalar value, *, str? reduce=None) -> Tensor",
    &scatter_value_kernel);
TS_REGISTER_OP_ALL_BACKENDS(
    "scatter_value_(Tensor self, int dim, Tensor index, Scalar value, *, str? reduce=None) -> Tensor",
    &scatter_value__kernel);
TS_REGISTER_OP_ALL_BACKENDS("scatter_add(Tensor self, int dim, Tensor index, Tensor src) -> Tensor",
                            &scatter_add_kernel);
TS_REGISTER_OP_ALL_BACKENDS("scatter_add_(Tensor self, int dim, Tensor index, Tensor src) -> Tensor",
                            &scatter_add__kernel);
TS_REGISTER_OP_ALL_BACKENDS("index_add(Tensor self, int dim, Tensor index, Tensor source, *, Scalar alpha=1) -> Tensor",
                            &index_add_kernel);
TS_REGISTER_OP_ALL_BACKENDS(
    "index_add_(Tensor self, int dim, Tensor index, Tensor source, *, Scalar alpha=1) -> Tensor", &index_add__kernel);
TS_REGISTER_OP_ALL_BACKENDS(
    "scatter_reduce(Tensor self, int dim, Tensor index, Tensor src, str reduce, *, bool include_self=True) -> Tensor",
    &scatter_reduce_kernel);
TS_REGISTER_OP_ALL_BACKENDS(
    "scatter_reduce_(Tensor self, int dim, Tensor index, Tensor src, str reduce, *, bool include_self=True) -> Tensor",
    &scatter_reduce__kernel);
TS_REGISTER_OP_ALL_BACKENDS("index_copy(Tensor self, int dim, Tensor index, Tensor source) -> Tensor",
                            &index_copy_kernel);
TS_REGISTER_OP_ALL_BACKENDS("index_copy_(Tensor self, int dim, Tensor index, Tensor source) -> Tensor",
                            &index_copy__kernel);
TS_REGISTER_OP_ALL_BACKENDS("index_fill(Tensor self, int dim, Tensor index, Scalar value) -> Tensor",
                            &index_fill_kernel);
TS_REGISTER_OP_ALL_BACKENDS("index_fill_(Tensor self, int dim, Tensor index, Scalar value) -> Tensor",
                            &index_fill__kernel);

namespace ops {

using OptStr = std::optional<std::string_view>;

Tensor index_select(const Tensor& self, int64_t dim, const Tensor& index) {
  static TypedOp<Tensor(const Tensor&, int64_t, const Tensor&)> op("index_select");
  return op(self, dim, index);
}
Tensor gather(const Tensor& self, int64_t dim, const Tensor& index) {
  static TypedOp<Tensor(const Tensor&, int64_t, const Tensor&)> op("gather");
  return op(self, dim, index);
}
Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, OptStr reduce) {
  static TypedOp<Tensor(const Tensor&, int64_t, const Tensor&, const Tensor&, OptStr)> op("scatter");
  return op(self, dim, index, src, reduce);
}
Tensor scatter_(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, OptStr reduce) {
  static TypedOp<Tensor(const Tensor&, int64_t, const Tensor&, const Tensor&, OptStr)> op("scatter_");
  return op(self, dim, index, src, reduce);
}
Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Scalar& value, OptStr reduce) {
  static TypedOp<Tensor(const Tensor&, int64_t, const Tensor&, const Scalar&, OptStr)> op("scatter_value");
  return op(self, dim, index, value, reduce);
}
Tensor scatter_(const Tensor& self, int64_t dim, const Tensor& index, const Scalar& value, OptStr reduce) {
  static TypedOp<Tensor(const Tensor&, int64_t, const Tensor&, const Scalar&, OptStr)> op("scatter_value_");
  return op(self, dim, index, value, reduce);
}
Tensor scatter_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
  static TypedOp<Tensor(const Tensor&, int64_t, const Tensor&, const Tensor&)> op("scatter_add");
  return op(self, dim, index, src);
}
Tensor scatter_add_(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
  static TypedOp<Tensor(const Tensor&, int64_t, const Tensor&, const Tensor&)> op("scatter_add_");
  return op(self, dim, index, src);
}
Tensor index_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source, const Scalar& alpha) {
  static TypedOp<Tensor(const Tensor&, int64_t, const Tensor&, const Tensor&, const Scalar&)> op("index_add");
  return op(self, dim, index, source, alpha);
}
Tensor index_add_(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source, const Scalar& alpha) {
  static TypedOp<Tensor(const Tensor&, int64_t, const Tensor&, const Tensor&, const Scalar&)> op("index_add_");
  return op(self, dim, index, source, alpha);
}

Tensor index_copy(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source) {
  static TypedOp<Tensor(const Tensor&, int64_t, const Tensor&, const Tensor&)> op("index_copy");
  return op(self, dim, index, source);
}
Tensor index_copy_(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source) {
  static TypedOp<Tensor(const Tensor&, int64_t, const Tensor&, const Tensor&)> op("index_copy_");
  return op(self, dim, index, source);
}
Tensor index_fill(const Tensor& self, int64_t dim, const Tensor& index, const Scalar& value) {
  static TypedOp<Tensor(const Tensor&, int64_t, const Tensor&, const Scalar&)> op("index_fill");
  return op(self, dim, index, value);
}
Tensor index_fill_(const Tensor& self, int64_t dim, const Tensor& index, const Scalar& value) {
  static TypedOp<Tensor(const Tensor&, int64_t, const Tensor&, const Scalar&)> op("index_fill_");
  return op(self, dim, index, value);
}

Tensor scatter_reduce(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, std::string_view reduce,
                      bool include_self) {
  static TypedOp<Tensor(const Tensor&, int64_t, const Tensor&, const Tensor&, std::string_view, bool)> op(
      "scatter_reduce");
  return op(self, dim, index, src, reduce, include_self);
}
Tensor scatter_reduce_(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, std::string_view reduce,
                       bool include_self) {
  static TypedOp<Tensor(const Tensor&, int64_t, const Tensor&, const Tensor&, std::string_view, bool)> op(
      "scatter_reduce_");
  return op(self, dim, index, src, reduce, include_self);
}

}  // namespace ops
}  // namespace tessera

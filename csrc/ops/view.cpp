// View ops. They only compute sizes/strides/offset, so one kernel serves every backend.
#include "ops/view.h"

#include <algorithm>

#include "core/error.h"
#include "ops/copy.h"

namespace tessera {

namespace {

std::string list_str(IntArrayRef v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

// Resolves one -1 in `shape` so that the product equals numel.
DimVector infer_size(IntArrayRef shape, int64_t numel, const char* op) {
  DimVector out(shape);
  int64_t known = 1;
  std::optional<size_t> infer;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      TS_CHECK(!infer, "[", op, "] only one dimension can be inferred");
      infer = i;
    } else {
      TS_CHECK(shape[i] >= 0, "[", op, "] invalid shape dimension ", shape[i]);
      TS_CHECK(!__builtin_mul_overflow(known, shape[i], &known), "[", op, "] shape '", list_str(shape),
               "' overflows the number of elements");
    }
  }
  if (infer) {
    TS_CHECK(known != 0 && numel % known == 0, "[", op, "] shape '", list_str(shape), "' is invalid for input of size ",
             numel);
    out[*infer] = numel / known;
  } else {
    TS_CHECK(known == numel, "[", op, "] shape '", list_str(shape), "' is invalid for input of size ", numel);
  }
  return out;
}

// Strides that let `newshape` view memory laid out as (oldshape, oldstride), if any (as ATen).
std::optional<DimVector> compute_stride(IntArrayRef oldshape, IntArrayRef oldstride, IntArrayRef newshape) {
  int64_t numel = 1;
  for (int64_t s : oldshape) numel *= s;
  if (numel == 0 || oldshape.empty()) {
    if (numel == 0 && std::equal(oldshape.begin(), oldshape.end(), newshape.begin(), newshape.end()))
      return DimVector(oldstride);
    return contiguous_strides(newshape);
  }
  DimVector newstride(newshape.size());
  int64_t view_d = static_cast<int64_t>(newshape.size()) - 1;
  int64_t chunk_base_stride = oldstride.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int64_t tensor_d = static_cast<int64_t>(oldshape.size()) - 1; tensor_d >= 0; --tensor_d) {
    tensor_numel *= oldshape[tensor_d];
    if (tensor_d == 0 ||
        (oldshape[tensor_d - 1] != 1 && oldstride[tensor_d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || newshape[view_d] == 1)) {
        newstride[view_d] = view_numel * chunk_base_stride;
        view_numel *= newshape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (tensor_d > 0) {
        chunk_base_stride = oldstride[tensor_d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return newstride;
}

Tensor view_kernel(const Tensor& self, IntArrayRef size) {
  DimVector shape = infer_size(size, self.numel(), "view");
  auto stride = compute_stride(self.sizes(), self.strides(), shape);
  TS_CHECK(stride.has_value(), "[view] view size is not compatible with input tensor's size and stride (at least one "
                               "dimension spans across two contiguous subspaces). Use .reshape(...) instead.");
  return make_view(self, std::move(shape), std::move(*stride), self.storage_offset());
}

Tensor view_dtype_kernel(const Tensor& self, std::optional<DType> dtype) {
  TS_CHECK_TYPE(dtype.has_value(), "[view] expected a dtype");
  const int64_t from = static_cast<int64_t>(self.itemsize()), to = static_cast<int64_t>(itemsize(*dtype));
  DimVector sizes(self.sizes()), strides(self.strides());
  int64_t offset = self.storage_offset();
  if (from != to) {
    // As PyTorch: the last dim (stride 1) is reinterpreted, the other strides and the offset rescale.
    const std::string what = " to view " + std::string(dtype_name(self.dtype())) + " as " +
                             std::string(dtype_name(*dtype)) + " (different element sizes)";
    const int64_t nd = self.dim();
    TS_CHECK(nd > 0, "[view] self.dim() cannot be 0", what);
    TS_CHECK(strides[nd - 1] == 1, "[view] self.stride(-1) must be 1", what, ", but got ", strides[nd - 1]);
    if (to < from) {
      const int64_t ratio = from / to;
      sizes[nd - 1] *= ratio;
      for (int64_t d = 0; d < nd - 1; ++d) strides[d] *= ratio;
      offset *= ratio;
    } else {
      const int64_t ratio = to / from;
      TS_CHECK(sizes[nd - 1] % ratio == 0, "[view] self.size(-1) must be divisible by ", ratio, what, ", but got ",
               sizes[nd - 1]);
      for (int64_t d = 0; d < nd - 1; ++d) {
        TS_CHECK(strides[d] % ratio == 0, "[view] self.stride(", d, ") must be divisible by ", ratio, what,
                 ", but got ", strides[d]);
        strides[d] /= ratio;
      }
      TS_CHECK(offset % ratio == 0, "[view] self.storage_offset() must be divisible by ", ratio, what, ", but got ",
               offset);
      sizes[nd - 1] /= ratio;
      offset /= ratio;
    }
  }
  TensorImpl* b = self.impl();
  return Tensor(make_intrusive<TensorImpl>(b->storage(), *dtype, std::move(sizes), std::move(strides), offset,
                                           b->version_counter()));
}

Tensor reshape_kernel(const Tensor& self, IntArrayRef size) {
  DimVector shape = infer_size(size, self.numel(), "reshape");
  if (auto stride = compute_stride(self.sizes(), self.strides(), shape))
    return make_view(self, std::move(shape), std::move(*stride), self.storage_offset());
  return ops::view(ops::clone(self), shape);
}

Tensor as_strided_kernel(const Tensor& self, IntArrayRef size, IntArrayRef stride, std::optional<int64_t> offset) {
  TS_CHECK(size.size() == stride.size(), "[as_strided] mismatch in length of strides and shape (", size.size(),
           " != ", stride.size(), ")");
  int64_t off = offset.value_or(self.storage_offset());
  TS_CHECK(off >= 0, "[as_strided] Tensor: invalid storage offset ", off);
  int64_t numel = checked_numel(size, "as_strided");
  // Checked arithmetic: a wrapped-around extent would pass the bounds check and read out of bounds.
  int64_t max_index = off, term = 0;
  bool overflow = false;
  for (size_t i = 0; i < size.size(); ++i) {
    TS_CHECK(stride[i] >= 0, "[as_strided] Tensor: negative strides are not supported, got ", list_str(stride));
    if (size[i] > 0) {
      overflow |= __builtin_mul_overflow(stride[i], size[i] - 1, &term);
      overflow |= __builtin_add_overflow(max_index, term, &max_index);
    }
  }
  int64_t extent = 0;
  if (numel != 0) {
    overflow |= __builtin_add_overflow(max_index, 1, &extent);
    overflow |= __builtin_mul_overflow(extent, static_cast<int64_t>(self.itemsize()), &extent);
  }
  TS_CHECK(!overflow, "[as_strided] Storage size calculation overflowed with sizes=", list_str(size),
           " and strides=", list_str(stride), " (storage offset ", off, ")");
  size_t needed = static_cast<size_t>(extent);
  size_t have = self.impl()->storage()->nbytes();
  TS_CHECK(needed <= have, "[as_strided] setStorage: sizes ", list_str(size), ", strides ", list_str(stride),
           ", storage offset ", off, ", and itemsize ", self.itemsize(), " requiring a storage size of ", needed,
           " are out of bounds for storage of size ", have);
  return make_view(self, DimVector(size), DimVector(stride), off);
}

Tensor transpose_kernel(const Tensor& self, int64_t dim0, int64_t dim1) {
  int64_t n = self.dim();
  dim0 = wrap_dim(dim0, n, "transpose");
  dim1 = wrap_dim(dim1, n, "transpose");
  DimVector sizes(self.sizes()), strides(self.strides());
  if (n > 0) {
    std::swap(sizes[dim0], sizes[dim1]);
    std::swap(strides[dim0], strides[dim1]);
  }
  return make_view(self, std::move(sizes), std::move(strides), self.storage_offset());
}

Tensor t_kernel(const Tensor& self) {
  TS_CHECK(self.dim() <= 2, "[t] t() expects a tensor with <= 2 dimensions, but self is ", self.dim(), "D");
  return self.dim() < 2 ? ops::transpose(self, 0, 0) : ops::transpose(self, 0, 1);
}

Tensor permute_kernel(const Tensor& self, IntArrayRef dims) {
  int64_t n = self.dim();
  TS_CHECK(static_cast<int64_t>(dims.size()) == n, "[permute] number of dimensions in the tensor input does not match "
           "the length of the desired ordering of dimensions i.e. input.dim() = ", n, " is not equal to len(dims) = ",
           dims.size());
  DimVector sizes(n), strides(n);
  std::vector<bool> seen(n, false);
  for (int64_t i = 0; i < n; ++i) {
    int64_t d = wrap_dim(dims[i], n, "permute");
    TS_CHECK(!seen[d], "[permute] repeated dim ", dims[i], " in ", list_str(dims));
    seen[d] = true;
    sizes[i] = self.sizes()[d];
    strides[i] = self.strides()[d];
  }
  return make_view(self, std::move(sizes), std::move(strides), self.storage_offset());
}

Tensor movedim_kernel(const Tensor& self, IntArrayRef source, IntArrayRef destination) {
  int64_t n = self.dim();
  TS_CHECK(source.size() == destination.size(), "[movedim] Invalid source or destination dims: source (",
           list_str(source), " dims) should contain the same number of dims as destination (", list_str(destination),
           " dims)");
  // A 0-d tensor accepts dim 0/-1 (wrap_dim), so size the bookkeeping for at least one dim.
  const int64_t slots = std::max<int64_t>(n, 1);
  std::vector<int64_t> order(slots, -1);
  std::vector<bool> used_src(slots, false), used_dst(slots, false);
  for (size_t i = 0; i < source.size(); ++i) {
    int64_t s = wrap_dim(source[i], n, "movedim"), d = wrap_dim(destination[i], n, "movedim");
    TS_CHECK(!used_src[s], "[movedim] repeated dim in `source` (", list_str(source), ")");
    TS_CHECK(!used_dst[d], "[movedim] repeated dim in `destination` (", list_str(destination), ")");
    used_src[s] = used_dst[d] = true;
    order[d] = s;
  }
  int64_t next_src = 0;
  for (int64_t d = 0; d < n; ++d) {
    if (order[d] >= 0) continue;
    while (used_src[next_src]) ++next_src;
    order[d] = next_src++;
  }
  order.resize(n);
  return ops::permute(self, order);
}

Tensor expand_kernel(const Tensor& self, IntArrayRef size) {
  int64_t n = static_cast<int64_t>(size.size()), nd = self.dim();
  TS_CHECK(n >= nd, "[expand] the number of sizes provided (", n,
           ") must be greater or equal to the number of dimensions in the tensor (", nd, ")");
  DimVector sizes(n), strides(n);
  for (int64_t i = n - 1; i >= 0; --i) {
    int64_t j = i - (n - nd);
    int64_t target = size[i];
    if (j < 0) {
      TS_CHECK(target >= 0, "[expand] The expanded size of the tensor (", target,
               ") isn't allowed in a leading, non-existing dimension ", i);
      sizes[i] = target;
      // A new leading dim of size 1 gets the stride a contiguous layout would give it (as ATen;
      // all new dims of a 0-d tensor get stride 0).
      strides[i] = target != 1 || nd == 0 ? 0 : sizes[i + 1] * strides[i + 1];
      continue;
    }
    int64_t cur = self.sizes()[j];
    if (target == -1) target = cur;
    TS_CHECK(cur == target || cur == 1, "[expand] The expanded size of the tensor (", target,
             ") must match the existing size (", cur, ") at non-singleton dimension ", i, ".  Target sizes: ",
             list_str(size), ".  Tensor sizes: ", list_str(self.sizes()));
    TS_CHECK(target >= 0, "[expand] invalid size ", target, " in ", list_str(size));
    sizes[i] = target;
    strides[i] = cur == target ? self.strides()[j] : 0;
  }
  checked_numel(sizes, "expand");  // a wrapped-around element count would make later ops misjudge the size
  return make_view(self, std::move(sizes), std::move(strides), self.storage_offset());
}

// Sizes and strides without the squeezed dims (only dims of size 1 are removed).
std::pair<DimVector, DimVector> squeezed(const Tensor& self, OptionalIntArrayRef dims) {
  int64_t n = self.dim();
  std::vector<bool> drop(n, false);
  if (!dims) {
    for (int64_t i = 0; i < n; ++i) drop[i] = self.sizes()[i] == 1;
  } else {
    std::vector<bool> seen(static_cast<size_t>(std::max<int64_t>(n, 1)), false);
    for (int64_t d : *dims) {
      int64_t w = wrap_dim(d, n, "squeeze");
      TS_CHECK(!seen[w], "[squeeze] dim ", w, " appears multiple times in the list of dims");
      seen[w] = true;
      if (n > 0) drop[w] = self.sizes()[w] == 1;
    }
  }
  DimVector sizes, strides;
  for (int64_t i = 0; i < n; ++i) {
    if (drop[i]) continue;
    sizes.push_back(self.sizes()[i]);
    strides.push_back(self.strides()[i]);
  }
  return {sizes, strides};
}

std::pair<DimVector, DimVector> unsqueezed(const Tensor& self, int64_t dim) {
  dim = wrap_dim(dim, self.dim() + 1, "unsqueeze");
  DimVector sizes(self.sizes()), strides(self.strides());
  int64_t st = dim < self.dim() ? self.sizes()[dim] * self.strides()[dim] : 1;
  sizes.insert(dim, 1);
  strides.insert(dim, st);
  return {sizes, strides};
}

Tensor squeeze_kernel(const Tensor& self, OptionalIntArrayRef dims) {
  auto [sizes, strides] = squeezed(self, dims);
  return make_view(self, std::move(sizes), std::move(strides), self.storage_offset());
}

Tensor unsqueeze_kernel(const Tensor& self, int64_t dim) {
  auto [sizes, strides] = unsqueezed(self, dim);
  return make_view(self, std::move(sizes), std::move(strides), self.storage_offset());
}

Tensor squeeze__kernel(const Tensor& self, OptionalIntArrayRef dims) {
  auto [sizes, strides] = squeezed(self, dims);
  self.impl()->set_sizes_strides(std::move(sizes), std::move(strides), self.storage_offset());
  return self;
}

Tensor unsqueeze__kernel(const Tensor& self, int64_t dim) {
  auto [sizes, strides] = unsqueezed(self, dim);
  self.impl()->set_sizes_strides(std::move(sizes), std::move(strides), self.storage_offset());
  return self;
}

Tensor transpose__kernel(const Tensor& self, int64_t dim0, int64_t dim1) {
  Tensor v = ops::transpose(self, dim0, dim1);
  self.impl()->set_sizes_strides(DimVector(v.sizes()), DimVector(v.strides()), self.storage_offset());
  return self;
}

Tensor select_kernel(const Tensor& self, int64_t dim, int64_t index) {
  TS_CHECK_INDEX(self.dim() > 0, "[select] select() cannot be applied to a 0-dim tensor.");
  dim = wrap_dim(dim, self.dim(), "select");
  int64_t size = self.sizes()[dim];
  TS_CHECK_INDEX(index >= -size && index < size, "[select] index ", index, " is out of bounds for dimension ", dim,
                 " with size ", size);
  if (index < 0) index += size;
  DimVector sizes(self.sizes()), strides(self.strides());
  int64_t offset = self.storage_offset() + index * strides[dim];
  sizes.erase(dim);
  strides.erase(dim);
  return make_view(self, std::move(sizes), std::move(strides), offset);
}

Tensor slice_kernel(const Tensor& self, int64_t dim, std::optional<int64_t> start, std::optional<int64_t> end,
                    int64_t step) {
  TS_CHECK_INDEX(self.dim() > 0, "[slice] slice() cannot be applied to a 0-dim tensor.");
  dim = wrap_dim(dim, self.dim(), "slice");
  TS_CHECK_VALUE(step > 0, "[slice] step must be greater than zero");
  int64_t size = self.sizes()[dim];
  int64_t s = start.value_or(0), e = end.value_or(size);
  if (s < 0) s += size;
  if (e < 0) e += size;
  s = std::clamp<int64_t>(s, 0, size);
  e = std::clamp<int64_t>(e, s, size);
  DimVector sizes(self.sizes()), strides(self.strides());
  int64_t offset = self.storage_offset() + s * strides[dim];
  sizes[dim] = (e - s + step - 1) / step;
  strides[dim] *= step;
  return make_view(self, std::move(sizes), std::move(strides), offset);
}

Tensor narrow_kernel(const Tensor& self, int64_t dim, int64_t start, int64_t length) {
  TS_CHECK(self.dim() > 0, "[narrow] narrow() cannot be applied to a 0-dim tensor.");
  TS_CHECK(length >= 0, "[narrow] narrow(): length must be non-negative.");
  dim = wrap_dim(dim, self.dim(), "narrow");
  int64_t size = self.sizes()[dim];
  TS_CHECK_INDEX(start >= -size && start <= size, "[narrow] start out of range (expected to be in range of [", -size,
                 ", ", size, "], but got ", start, ")");
  if (start < 0) start += size;
  TS_CHECK(start <= size - length, "[narrow] start (", start, ") + length (", length, ") exceeds dimension size (",
           size, ").");
  return ops::slice(self, dim, start, start + length, 1);
}

Tensor flatten_kernel(const Tensor& self, int64_t start_dim, int64_t end_dim) {
  int64_t n = self.dim();
  start_dim = wrap_dim(start_dim, n, "flatten");
  end_dim = wrap_dim(end_dim, n, "flatten");
  TS_CHECK(start_dim <= end_dim, "[flatten] flatten() has invalid args: start_dim cannot come after end_dim");
  if (n == 0) return ops::reshape(self, std::vector<int64_t>{1});
  if (start_dim == end_dim) return self;
  DimVector shape;
  int64_t flat = 1;
  for (int64_t i = 0; i < n; ++i) {
    if (i < start_dim || i > end_dim) {
      shape.push_back(self.sizes()[i]);
    } else {
      flat *= self.sizes()[i];
      if (i == end_dim) shape.push_back(flat);
    }
  }
  return ops::reshape(self, shape);
}

Tensor unflatten_kernel(const Tensor& self, int64_t dim, IntArrayRef sizes) {
  dim = wrap_dim(dim, self.dim(), "unflatten");
  TS_CHECK(!sizes.empty(), "[unflatten] sizes must be non-empty");
  DimVector inner = infer_size(sizes, self.sizes()[dim], "unflatten");
  DimVector shape;
  for (int64_t i = 0; i < self.dim(); ++i) {
    if (i == dim) {
      for (int64_t s : inner) shape.push_back(s);
    } else {
      shape.push_back(self.sizes()[i]);
    }
  }
  return ops::view(self, shape);
}

Tensor diagonal_kernel(const Tensor& self, int64_t offset, int64_t dim1, int64_t dim2) {
  int64_t n = self.dim();
  // Fewer than 2 dims: wrap_dim raises PyTorch's IndexError, or the two dims coincide.
  dim1 = wrap_dim(dim1, n, "diagonal");
  dim2 = wrap_dim(dim2, n, "diagonal");
  TS_CHECK(dim1 != dim2, "[diagonal] diagonal dimensions cannot be identical ", dim1, ", ", dim2);
  int64_t s1 = self.sizes()[dim1], s2 = self.sizes()[dim2];
  int64_t len = offset >= 0 ? std::max<int64_t>(std::min(s1, s2 - offset), 0) : std::max<int64_t>(std::min(s1 + offset, s2), 0);
  int64_t off = self.storage_offset();
  if (len > 0) off += offset >= 0 ? offset * self.strides()[dim2] : -offset * self.strides()[dim1];
  DimVector sizes, strides;
  for (int64_t i = 0; i < n; ++i) {
    if (i == dim1 || i == dim2) continue;
    sizes.push_back(self.sizes()[i]);
    strides.push_back(self.strides()[i]);
  }
  sizes.push_back(len);
  strides.push_back(self.strides()[dim1] + self.strides()[dim2]);
  return make_view(self, std::move(sizes), std::move(strides), off);
}

std::vector<Tensor> unbind_kernel(const Tensor& self, int64_t dim) {
  TS_CHECK_INDEX(self.dim() > 0, "[unbind] Dimension specified as 0 but tensor has no dimensions");
  dim = wrap_dim(dim, self.dim(), "unbind");
  std::vector<Tensor> out;
  for (int64_t i = 0; i < self.sizes()[dim]; ++i) out.push_back(ops::select(self, dim, i));
  return out;
}

std::vector<Tensor> split_with_sizes_kernel(const Tensor& self, IntArrayRef split_sizes, int64_t dim) {
  TS_CHECK(self.dim() > 0, "[split] split expects at least a 1-dimensional tensor");
  dim = wrap_dim(dim, self.dim(), "split_with_sizes");
  int64_t size = self.sizes()[dim], total = 0;
  for (int64_t s : split_sizes) {
    TS_CHECK(s >= 0, "[split_with_sizes] split_with_sizes expects split_sizes have only non-negative entries, but got "
             "split_sizes=", list_str(split_sizes));
    total += s;
  }
  TS_CHECK(total == size, "[split_with_sizes] split_with_sizes expects split_sizes to sum exactly to ", size,
           " (input tensor's size at dimension ", dim, "), but got split_sizes=", list_str(split_sizes));
  std::vector<Tensor> out;
  int64_t start = 0;
  for (int64_t s : split_sizes) {
    out.push_back(ops::narrow(self, dim, start, s));
    start += s;
  }
  return out;
}

std::vector<Tensor> split_kernel(const Tensor& self, int64_t split_size, int64_t dim) {
  TS_CHECK(self.dim() > 0, "[split] split expects at least a 1-dimensional tensor");
  TS_CHECK(split_size >= 0, "[split] split expects split_size be non-negative, but got split_size=", split_size);
  dim = wrap_dim(dim, self.dim(), "split");
  int64_t size = self.sizes()[dim];
  TS_CHECK(split_size > 0 || size == 0, "[split] split_size can only be 0 if dimension size is 0, but got dimension "
           "size of ", size);
  std::vector<int64_t> sizes;
  if (size == 0) {
    sizes.push_back(0);
  } else {
    for (int64_t start = 0; start < size; start += split_size) sizes.push_back(std::min(split_size, size - start));
  }
  return ops::split_with_sizes(self, sizes, dim);
}

std::vector<Tensor> chunk_kernel(const Tensor& self, int64_t chunks, int64_t dim) {
  TS_CHECK(self.dim() > 0, "[chunk] chunk expects at least a 1-dimensional tensor");
  TS_CHECK(chunks > 0, "[chunk] chunk expects `chunks` to be greater than 0, got: ", chunks);
  dim = wrap_dim(dim, self.dim(), "chunk");
  int64_t size = self.sizes()[dim];
  int64_t split_size = (size + chunks - 1) / chunks;
  if (split_size == 0 && size == 0) {
    std::vector<int64_t> sizes(chunks, 0);
    return ops::split_with_sizes(self, sizes, dim);
  }
  return ops::split(self, split_size, dim);
}

}  // namespace

TS_REGISTER_OP_ALL_BACKENDS("view(Tensor self, int[] size) -> Tensor", &view_kernel);
TS_REGISTER_OP_ALL_BACKENDS("view_dtype(Tensor self, ScalarType? dtype) -> Tensor", &view_dtype_kernel);
TS_REGISTER_OP_ALL_BACKENDS("reshape(Tensor self, int[] shape) -> Tensor", &reshape_kernel);
TS_REGISTER_OP_ALL_BACKENDS("as_strided(Tensor self, int[] size, int[] stride, int? storage_offset=None) -> Tensor",
                            &as_strided_kernel);
TS_REGISTER_OP_ALL_BACKENDS("transpose(Tensor self, int dim0, int dim1) -> Tensor", &transpose_kernel);
TS_REGISTER_OP_ALL_BACKENDS("t(Tensor self) -> Tensor", &t_kernel);
TS_REGISTER_OP_ALL_BACKENDS("permute(Tensor self, int[] dims) -> Tensor", &permute_kernel);
TS_REGISTER_OP_ALL_BACKENDS("movedim(Tensor self, int[] source, int[] destination) -> Tensor", &movedim_kernel);
TS_REGISTER_OP_ALL_BACKENDS("expand(Tensor self, int[] size) -> Tensor", &expand_kernel);
TS_REGISTER_OP_ALL_BACKENDS("squeeze(Tensor self, int[]? dim=None) -> Tensor", &squeeze_kernel);
TS_REGISTER_OP_ALL_BACKENDS("unsqueeze(Tensor self, int dim) -> Tensor", &unsqueeze_kernel);
TS_REGISTER_OP_ALL_BACKENDS("squeeze_(Tensor self, int[]? dim=None) -> Tensor", &squeeze__kernel);
TS_REGISTER_OP_ALL_BACKENDS("unsqueeze_(Tensor self, int dim) -> Tensor", &unsqueeze__kernel);
TS_REGISTER_OP_ALL_BACKENDS("transpose_(Tensor self, int dim0, int dim1) -> Tensor", &transpose__kernel);
TS_REGISTER_OP_ALL_BACKENDS("select(Tensor self, int dim, int index) -> Tensor", &select_kernel);
TS_REGISTER_OP_ALL_BACKENDS("slice(Tensor self, int dim=0, int? start=None, int? end=None, int step=1) -> Tensor",
                            &slice_kernel);
TS_REGISTER_OP_ALL_BACKENDS("narrow(Tensor self, int dim, int start, int length) -> Tensor", &narrow_kernel);
TS_REGISTER_OP_ALL_BACKENDS("flatten(Tensor self, int start_dim=0, int end_dim=-1) -> Tensor", &flatten_kernel);
TS_REGISTER_OP_ALL_BACKENDS("unflatten(Tensor self, int dim, int[] sizes) -> Tensor", &unflatten_kernel);
TS_REGISTER_OP_ALL_BACKENDS("diagonal(Tensor self, int offset=0, int dim1=0, int dim2=1) -> Tensor", &diagonal_kernel);
TS_REGISTER_OP_ALL_BACKENDS("unbind(Tensor self, int dim=0) -> Tensor[]", &unbind_kernel);
TS_REGISTER_OP_ALL_BACKENDS("split(Tensor self, int split_size, int dim=0) -> Tensor[]", &split_kernel);
TS_REGISTER_OP_ALL_BACKENDS("split_with_sizes(Tensor self, int[] split_sizes, int dim=0) -> Tensor[]",
                            &split_with_sizes_kernel);
TS_REGISTER_OP_ALL_BACKENDS("chunk(Tensor self, int chunks, int dim=0) -> Tensor[]", &chunk_kernel);

namespace ops {

#define TS_VIEW_ENTRY(name, R, params, sig, args)  \
  R name params {                                  \
    static TypedOp<sig> op(#name);                 \
    return op args;                                \
  }

TS_VIEW_ENTRY(view, Tensor, (const Tensor& self, IntArrayRef size), Tensor(const Tensor&, IntArrayRef), (self, size))
TS_VIEW_ENTRY(reshape, Tensor, (const Tensor& self, IntArrayRef size), Tensor(const Tensor&, IntArrayRef), (self, size))
TS_VIEW_ENTRY(as_strided, Tensor, (const Tensor& self, IntArrayRef size, IntArrayRef stride, std::optional<int64_t> off),
              Tensor(const Tensor&, IntArrayRef, IntArrayRef, std::optional<int64_t>), (self, size, stride, off))
TS_VIEW_ENTRY(transpose, Tensor, (const Tensor& self, int64_t d0, int64_t d1), Tensor(const Tensor&, int64_t, int64_t),
              (self, d0, d1))
TS_VIEW_ENTRY(transpose_, Tensor, (const Tensor& self, int64_t d0, int64_t d1), Tensor(const Tensor&, int64_t, int64_t),
              (self, d0, d1))
TS_VIEW_ENTRY(t, Tensor, (const Tensor& self), Tensor(const Tensor&), (self))
TS_VIEW_ENTRY(permute, Tensor, (const Tensor& self, IntArrayRef dims), Tensor(const Tensor&, IntArrayRef), (self, dims))
TS_VIEW_ENTRY(movedim, Tensor, (const Tensor& self, IntArrayRef s, IntArrayRef d),
              Tensor(const Tensor&, IntArrayRef, IntArrayRef), (self, s, d))
TS_VIEW_ENTRY(expand, Tensor, (const Tensor& self, IntArrayRef size), Tensor(const Tensor&, IntArrayRef), (self, size))
TS_VIEW_ENTRY(squeeze, Tensor, (const Tensor& self, OptionalIntArrayRef dims), Tensor(const Tensor&, OptionalIntArrayRef),
              (self, dims))
TS_VIEW_ENTRY(squeeze_, Tensor, (const Tensor& self, OptionalIntArrayRef dims),
              Tensor(const Tensor&, OptionalIntArrayRef), (self, dims))
TS_VIEW_ENTRY(unsqueeze, Tensor, (const Tensor& self, int64_t dim), Tensor(const Tensor&, int64_t), (self, dim))
TS_VIEW_ENTRY(unsqueeze_, Tensor, (const Tensor& self, int64_t dim), Tensor(const Tensor&, int64_t), (self, dim))
TS_VIEW_ENTRY(select, Tensor, (const Tensor& self, int64_t dim, int64_t index), Tensor(const Tensor&, int64_t, int64_t),
              (self, dim, index))
TS_VIEW_ENTRY(slice, Tensor, (const Tensor& self, int64_t dim, std::optional<int64_t> s, std::optional<int64_t> e, int64_t step),
              Tensor(const Tensor&, int64_t, std::optional<int64_t>, std::optional<int64_t>, int64_t), (self, dim, s, e, step))
TS_VIEW_ENTRY(narrow, Tensor, (const Tensor& self, int64_t dim, int64_t start, int64_t length),
              Tensor(const Tensor&, int64_t, int64_t, int64_t), (self, dim, start, length))
TS_VIEW_ENTRY(flatten, Tensor, (const Tensor& self, int64_t s, int64_t e), Tensor(const Tensor&, int64_t, int64_t),
              (self, s, e))
TS_VIEW_ENTRY(unflatten, Tensor, (const Tensor& self, int64_t dim, IntArrayRef sizes),
              Tensor(const Tensor&, int64_t, IntArrayRef), (self, dim, sizes))
TS_VIEW_ENTRY(diagonal, Tensor, (const Tensor& self, int64_t off, int64_t d1, int64_t d2),
              Tensor(const Tensor&, int64_t, int64_t, int64_t), (self, off, d1, d2))
TS_VIEW_ENTRY(unbind, std::vector<Tensor>, (const Tensor& self, int64_t dim), std::vector<Tensor>(const Tensor&, int64_t),
              (self, dim))
TS_VIEW_ENTRY(split, std::vector<Tensor>, (const Tensor& self, int64_t size, int64_t dim),
              std::vector<Tensor>(const Tensor&, int64_t, int64_t), (self, size, dim))
TS_VIEW_ENTRY(split_with_sizes, std::vector<Tensor>, (const Tensor& self, IntArrayRef sizes, int64_t dim),
              std::vector<Tensor>(const Tensor&, IntArrayRef, int64_t), (self, sizes, dim))
TS_VIEW_ENTRY(chunk, std::vector<Tensor>, (const Tensor& self, int64_t chunks, int64_t dim),
              std::vector<Tensor>(const Tensor&, int64_t, int64_t), (self, chunks, dim))
#undef TS_VIEW_ENTRY

Tensor view_dtype(const Tensor& self, DType dtype) {
  static TypedOp<Tensor(const Tensor&, std::optional<DType>)> op("view_dtype");
  return op(self, dtype);
}

}  // namespace ops
}  // namespace tessera

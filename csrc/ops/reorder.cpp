// Copying shape ops that reorder or replicate elements. roll, repeat, tile and repeat_interleave
// are TensorIterator copies between strided views (device-generic); flip and tril/triu need their
// own per-device kernels (shape_copy_stubs.h): tessera has no negative strides and no masks here.
#include "ops/reorder.h"

#include "core/error.h"
#include "ops/copy.h"
#include "ops/shape_copy_stubs.h"
#include "ops/view.h"

namespace tessera {

TS_DEFINE_STUB(flip_stub, "flip", void(const Tensor&, const Tensor&, IntArrayRef));
TS_DEFINE_STUB(trilu_stub, "tril", void(const Tensor&, const Tensor&, int64_t, bool));

namespace {

std::string sizes_list(IntArrayRef v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

Tensor new_like(const Tensor& self) {
  return empty_tensor(self.sizes(), self.dtype(), self.device());
}

Tensor flip_kernel(const Tensor& self, IntArrayRef dims) {
  const int64_t nd = self.dim();
  std::vector<bool> seen(static_cast<size_t>(std::max<int64_t>(nd, 1)), false);
  DimVector wrapped;
  for (int64_t d : dims) {
    int64_t w = wrap_dim(d, nd, "flip");
    TS_CHECK(!seen[w], "[flip] dim ", w, " appears multiple times in the list of dims");
    seen[w] = true;
    if (nd > 0 && self.sizes()[w] > 1) wrapped.push_back(w);
  }
  Tensor out = new_like(self);
  if (out.numel() == 0) return out;
  if (wrapped.empty()) return ops::copy_(out, self);
  flip_stub(self.device(), out, self, wrapped);
  return out;
}

Tensor fliplr_kernel(const Tensor& self) {
  TS_CHECK(self.dim() >= 2, "[fliplr] Input must be >= 2-d.");
  return ops::flip(self, std::vector<int64_t>{1});
}

Tensor flipud_kernel(const Tensor& self) {
  TS_CHECK(self.dim() >= 1, "[flipud] Input must be >= 1-d.");
  return ops::flip(self, std::vector<int64_t>{0});
}

// out = self rolled by shift[i] (already in [0, size)) along dims[i]: each dim splits into two
// blocks that swap places, so 2^k block copies do it in one pass.
void roll_into(const Tensor& out, const Tensor& self, IntArrayRef dims, IntArrayRef shifts) {
  const size_t k = dims.size();
  for (uint64_t mask = 0; mask < (uint64_t{1} << k); ++mask) {
    Tensor dst = out, src = self;
    for (size_t i = 0; i < k; ++i) {
      const int64_t n = self.sizes()[dims[i]], s = shifts[i];
      if (mask >> i & 1) {  // the last s elements move to the front
        dst = ops::narrow(dst, dims[i], 0, s);
        src = ops::narrow(src, dims[i], n - s, s);
      } else {
        dst = ops::narrow(dst, dims[i], s, n - s);
        src = ops::narrow(src, dims[i], 0, n - s);
      }
    }
    if (dst.numel() > 0) ops::copy_(dst, src);
  }
}

Tensor roll_kernel(const Tensor& self, IntArrayRef shifts, IntArrayRef dims) {
  TS_CHECK(!shifts.empty(), "[roll] `shifts` required");
  if (dims.empty()) {
    TS_CHECK(shifts.size() == 1, "[roll] shifts and dimensions must align. shifts: ", shifts.size(), ", dims:0");
    Tensor flat = ops::reshape(self, std::vector<int64_t>{-1});
    return ops::view(ops::roll(flat, shifts, std::vector<int64_t>{0}), self.sizes());
  }
  TS_CHECK(shifts.size() == dims.size(), "[roll] shifts and dimensions must align. shifts: ", shifts.size(),
           ", dims:", dims.size());
  TS_CHECK_INDEX(self.dim() > 0, "[roll] Dimension specified as ", dims[0], " but tensor has no dimensions");
  const int64_t nd = self.dim();
  DimVector total(static_cast<size_t>(nd), 0);
  for (size_t i = 0; i < dims.size(); ++i) {
    int64_t d = wrap_dim(dims[i], nd, "roll");
    int64_t n = self.sizes()[d];
    if (n > 0) total[d] = ((total[d] + shifts[i] % n) % n + n) % n;  // repeated dims add up
  }
  DimVector rdims, rshifts;
  for (int64_t d = 0; d < nd; ++d) {
    if (total[d] != 0) {
      rdims.push_back(d);
      rshifts.push_back(total[d]);
    }
  }
  Tensor out = new_like(self);
  if (out.numel() == 0) return out;
  // Up to 3 dims in one pass (8 block copies); beyond that, roll one dim at a time into temporaries.
  Tensor src = self;
  while (rdims.size() > 3) {
    Tensor tmp = new_like(self);
    roll_into(tmp, src, IntArrayRef(rdims).first(1), IntArrayRef(rshifts).first(1));
    src = tmp;
    rdims.erase(0);
    rshifts.erase(0);
  }
  roll_into(out, src, rdims, rshifts);
  return out;
}

Tensor repeat_kernel(const Tensor& self, IntArrayRef repeats) {
  const int64_t n = static_cast<int64_t>(repeats.size()), nd = self.dim();
  TS_CHECK(n >= nd, "[repeat] Number of dimensions of repeat dims (", n,
           ") can not be smaller than number of dimensions of tensor (", nd, ")");
  // The output, viewed as (r0, s0, r1, s1, ...), is the input with a stride-0 dim before each dim.
  DimVector out_shape(static_cast<size_t>(n)), split_shape, src_shape, src_strides;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t j = i - (n - nd);
    const int64_t s = j < 0 ? 1 : self.sizes()[j];
    TS_CHECK(repeats[i] >= 0, "[repeat] Trying to create tensor with negative dimension ", repeats[i], ": ",
             sizes_list(repeats));
    TS_CHECK(!__builtin_mul_overflow(s, repeats[i], &out_shape[i]), "[repeat] size ", s, " times ", repeats[i],
             " overflows");
    split_shape.push_back(repeats[i]);
    split_shape.push_back(s);
    src_shape.push_back(repeats[i]);
    src_shape.push_back(s);
    src_strides.push_back(0);
    src_strides.push_back(j < 0 ? 0 : self.strides()[j]);
  }
  Tensor out = empty_tensor(out_shape, self.dtype(), self.device());
  if (out.numel() == 0) return out;
  Tensor src = make_view(self, std::move(src_shape), std::move(src_strides), self.storage_offset());
  ops::copy_(ops::view(out, split_shape), src);
  return out;
}

Tensor tile_kernel(const Tensor& self, IntArrayRef dims) {
  const int64_t nd = self.dim(), n = static_cast<int64_t>(dims.size());
  for (int64_t r : dims)
    TS_CHECK(r >= 0, "[tile] Trying to create tensor with negative dimension ", r, ": ", sizes_list(dims));
  if (n >= nd) return ops::repeat(self, dims);
  std::vector<int64_t> padded(static_cast<size_t>(nd - n), 1);
  padded.insert(padded.end(), dims.begin(), dims.end());
  return ops::repeat(self, padded);
}

Tensor repeat_interleave_kernel(const Tensor& self, int64_t repeats, std::optional<int64_t> dim,
                                std::optional<int64_t> output_size) {
  TS_CHECK(repeats >= 0, "[repeat_interleave] Repeats must be non-negative, got ", repeats);
  Tensor input = self;
  int64_t d = 0;
  if (dim) {
    // PyTorch refuses any dim for a 0-d input here (unlike most ops, where dim 0 and -1 pass).
    TS_CHECK_INDEX(self.dim() > 0, "[repeat_interleave] Dimension out of range: a 0-d tensor has no dimension ", *dim,
                   " to repeat along");
    d = wrap_dim(*dim, self.dim(), "repeat_interleave");
  } else {
    input = ops::reshape(self, std::vector<int64_t>{-1});
  }
  const int64_t len = input.sizes()[d];
  int64_t total = 0;
  TS_CHECK(!__builtin_mul_overflow(len, repeats, &total), "[repeat_interleave] output size overflows");
  if (output_size) {
    TS_CHECK(*output_size == total, "[repeat_interleave] Invalid output_size, expected ", total, " but got ",
             *output_size);
  }
  // out viewed as (..., len, repeats, ...) takes the input with a stride-0 dim after `d`.
  DimVector out_shape(input.sizes()), split_shape(input.sizes()), src_strides(input.strides());
  out_shape[d] = total;
  split_shape.insert(d + 1, repeats);
  src_strides.insert(d + 1, 0);
  Tensor out = empty_tensor(out_shape, self.dtype(), self.device());
  if (out.numel() == 0) return out;
  Tensor dst = ops::view(out, split_shape);
  int64_t inner = 1;
  for (int64_t i = d + 1; i < input.dim(); ++i) inner *= input.sizes()[i];
  if (inner < 16 && repeats <= 16) {
    // Tiny blocks: one strided copy per repeat beats an inner loop of `repeats` elements.
    for (int64_t r = 0; r < repeats; ++r) ops::copy_(ops::select(dst, d + 1, r), input);
    return out;
  }
  Tensor src = make_view(input, split_shape, std::move(src_strides), input.storage_offset());
  ops::copy_(dst, src);
  return out;
}

// Per-slice counts from an integer tensor, on the CPU.
std::vector<int64_t> read_counts(const Tensor& repeats, const char* op) {
  TS_CHECK_NOT_IMPLEMENTED(repeats.dtype() == DType::Int64 || repeats.dtype() == DType::Int32, "[", op,
                           "] repeats has to be Long or Int tensor, got ", dtype_name(repeats.dtype()));
  Tensor c = ops::to(ops::contiguous(repeats), Device(), DType::Int64);
  const int64_t* p = c.data<int64_t>();
  std::vector<int64_t> counts(p, p + c.numel());
  for (int64_t v : counts) TS_CHECK(v >= 0, "[", op, "] repeats can not be negative, got ", v);
  return counts;
}

int64_t checked_total(const std::vector<int64_t>& counts, std::optional<int64_t> output_size, const char* op) {
  int64_t total = 0;
  for (int64_t v : counts) TS_CHECK(!__builtin_add_overflow(total, v, &total), "[", op, "] output size overflows");
  if (output_size) {
    TS_CHECK(*output_size == total, "[", op, "] Invalid output_size, expected ", total, " but got ", *output_size);
  }
  return total;
}

Tensor repeat_interleave_tensor_kernel(const Tensor& self, const Tensor& repeats, std::optional<int64_t> dim,
                                       std::optional<int64_t> output_size) {
  const char* op = "repeat_interleave";
  TS_CHECK(repeats.dim() <= 1, "[", op, "] repeats must be 0-dim or 1-dim tensor, got ", repeats.dim(), " dims");
  std::vector<int64_t> counts = read_counts(repeats, op);
  if (counts.size() == 1) return ops::repeat_interleave(self, counts[0], dim, output_size);
  Tensor input = self;
  int64_t d = 0;
  if (dim) {
    TS_CHECK_INDEX(self.dim() > 0, "[", op, "] Dimension out of range: a 0-d tensor has no dimension ", *dim,
                   " to repeat along");
    d = wrap_dim(*dim, self.dim(), op);
  } else {
    input = ops::reshape(self, std::vector<int64_t>{-1});
  }
  const int64_t len = input.sizes()[d];
  TS_CHECK(static_cast<int64_t>(counts.size()) == len, "[", op,
           "] repeats must have the same size as input along "
           "dim, but got repeats.size(0) = ",
           counts.size(), " and input.size(", d, ") = ", len);
  DimVector out_shape(input.sizes());
  out_shape[d] = checked_total(counts, output_size, op);
  Tensor out = empty_tensor(out_shape, self.dtype(), self.device());
  if (out.numel() == 0) return out;
  // One copy per slice with a count > 1 (broadcast over the count); runs of count 1 go as one block.
  int64_t off = 0;
  for (int64_t i = 0; i < len;) {
    if (counts[i] == 1) {
      int64_t j = i;
      while (j < len && counts[j] == 1) ++j;
      ops::copy_(ops::narrow(out, d, off, j - i), ops::narrow(input, d, i, j - i));
      off += j - i;
      i = j;
      continue;
    }
    if (counts[i] > 0) {
      Tensor dst = ops::narrow(out, d, off, counts[i]);
      ops::copy_(dst, ops::expand(ops::narrow(input, d, i, 1), dst.sizes()));
    }
    off += counts[i];
    ++i;
  }
  return out;
}

// repeat_interleave(repeats): index i repeated repeats[i] times, in the repeats' dtype.
Tensor repeat_interleave_indices_kernel(const Tensor& repeats, std::optional<int64_t> output_size) {
  const char* op = "repeat_interleave";
  TS_CHECK(repeats.dim() == 1, "[", op, "] repeat_interleave only accept 1D vector as repeat, got ", repeats.dim(),
           " dims");
  std::vector<int64_t> counts = read_counts(repeats, op);
  const int64_t total = checked_total(counts, output_size, op);
  Tensor out = empty_tensor(std::vector<int64_t>{total}, DType::Int64);
  int64_t* p = out.data<int64_t>();
  for (size_t i = 0; i < counts.size(); ++i) p = std::fill_n(p, counts[i], static_cast<int64_t>(i));
  return ops::to(out, repeats.device(), repeats.dtype());
}

void check_trilu(const Tensor& self, const char* op) {
  TS_CHECK(self.dim() >= 2, "[", op, "] input tensor must have at least 2 dimensions, got ", self.dim());
}

Tensor tril_kernel(const Tensor& self, int64_t diagonal) {
  check_trilu(self, "tril");
  Tensor out = new_like(self);
  trilu_stub(self.device(), out, self, diagonal, false);
  return out;
}

Tensor triu_kernel(const Tensor& self, int64_t diagonal) {
  check_trilu(self, "triu");
  Tensor out = new_like(self);
  trilu_stub(self.device(), out, self, diagonal, true);
  return out;
}

// In place only zeros are written, so an expanded self is harmless (PyTorch allows it too).
Tensor tril__kernel(const Tensor& self, int64_t diagonal) {
  check_trilu(self, "tril_");
  trilu_stub(self.device(), self, self, diagonal, false);
  self.bump_version();
  return self;
}

Tensor triu__kernel(const Tensor& self, int64_t diagonal) {
  check_trilu(self, "triu_");
  trilu_stub(self.device(), self, self, diagonal, true);
  self.bump_version();
  return self;
}

std::vector<Tensor> meshgrid_kernel(TensorList tensors, std::string_view indexing) {
  TS_CHECK(!tensors.empty(), "[meshgrid] meshgrid expects a non-empty TensorList");
  TS_CHECK(indexing == "ij" || indexing == "xy",
           "[meshgrid] indexing must be one of \"xy\" or \"ij\", but received: ", indexing);
  const size_t n = tensors.size();
  for (size_t i = 0; i < n; ++i) {
    const Tensor& t = tensors[i];
    TS_CHECK(t.dim() <= 1, "[meshgrid] Expected 0D or 1D tensor in the tensor list but got a ", t.dim(),
             "-D tensor at position ", i);
    TS_CHECK(t.dtype() == tensors[0].dtype(), "[meshgrid] meshgrid expects all tensors to have the same dtype, got ",
             dtype_name(tensors[0].dtype()), " and ", dtype_name(t.dtype()));
    TS_CHECK(t.device() == tensors[0].device(), "[meshgrid] meshgrid expects all tensors to have the same device");
  }
  // "xy" is "ij" with the first two inputs swapped, then the first two outputs swapped back.
  std::vector<const Tensor*> refs;
  for (const Tensor& t : tensors) refs.push_back(&t);
  const bool swap = indexing == "xy" && n >= 2;
  if (swap) std::swap(refs[0], refs[1]);
  std::vector<int64_t> shape(n);
  for (size_t i = 0; i < n; ++i) shape[i] = refs[i]->numel();
  std::vector<Tensor> grids;
  for (size_t i = 0; i < n; ++i) {
    std::vector<int64_t> view_shape(n, 1);
    view_shape[i] = -1;
    grids.push_back(ops::expand(ops::view(*refs[i], view_shape), shape));
  }
  if (swap) std::swap(grids[0], grids[1]);
  return grids;
}

}  // namespace

TS_REGISTER_OP_ALL_BACKENDS("flip(Tensor self, int[] dims) -> Tensor", &flip_kernel);
TS_REGISTER_OP_ALL_BACKENDS("fliplr(Tensor self) -> Tensor", &fliplr_kernel);
TS_REGISTER_OP_ALL_BACKENDS("flipud(Tensor self) -> Tensor", &flipud_kernel);
TS_REGISTER_OP_ALL_BACKENDS("roll(Tensor self, int[] shifts, int[] dims=[]) -> Tensor", &roll_kernel);
TS_REGISTER_OP_ALL_BACKENDS("repeat(Tensor self, int[] repeats) -> Tensor", &repeat_kernel);
TS_REGISTER_OP_ALL_BACKENDS("tile(Tensor self, int[] dims) -> Tensor", &tile_kernel);
TS_REGISTER_OP_ALL_BACKENDS(
    "repeat_interleave(Tensor self, int repeats, int? dim=None, *, int? output_size=None) -> Tensor",
    &repeat_interleave_kernel);
TS_REGISTER_OP_ALL_BACKENDS(
    "repeat_interleave_tensor(Tensor self, Tensor repeats, int? dim=None, *, int? output_size=None) -> Tensor",
    &repeat_interleave_tensor_kernel);
TS_REGISTER_OP_ALL_BACKENDS("repeat_interleave_indices(Tensor repeats, *, int? output_size=None) -> Tensor",
                            &repeat_interleave_indices_kernel);
TS_REGISTER_OP_ALL_BACKENDS("tril(Tensor self, int diagonal=0) -> Tensor", &tril_kernel);
TS_REGISTER_OP_ALL_BACKENDS("triu(Tensor self, int diagonal=0) -> Tensor", &triu_kernel);
TS_REGISTER_OP_ALL_BACKENDS("tril_(Tensor self, int diagonal=0) -> Tensor", &tril__kernel);
TS_REGISTER_OP_ALL_BACKENDS("triu_(Tensor self, int diagonal=0) -> Tensor", &triu__kernel);
TS_REGISTER_OP_ALL_BACKENDS("meshgrid(Tensor[] tensors, *, str indexing='ij') -> Tensor[]", &meshgrid_kernel);

namespace ops {

#define TS_REORDER_ENTRY(name, R, params, sig, args) \
  R name params {                                    \
    static TypedOp<sig> op(#name);                   \
    return op args;                                  \
  }

TS_REORDER_ENTRY(flip, Tensor, (const Tensor& self, IntArrayRef dims), Tensor(const Tensor&, IntArrayRef), (self, dims))
TS_REORDER_ENTRY(fliplr, Tensor, (const Tensor& self), Tensor(const Tensor&), (self))
TS_REORDER_ENTRY(flipud, Tensor, (const Tensor& self), Tensor(const Tensor&), (self))
TS_REORDER_ENTRY(roll, Tensor, (const Tensor& self, IntArrayRef shifts, IntArrayRef dims),
                 Tensor(const Tensor&, IntArrayRef, IntArrayRef), (self, shifts, dims))
TS_REORDER_ENTRY(repeat, Tensor, (const Tensor& self, IntArrayRef r), Tensor(const Tensor&, IntArrayRef), (self, r))
TS_REORDER_ENTRY(tile, Tensor, (const Tensor& self, IntArrayRef d), Tensor(const Tensor&, IntArrayRef), (self, d))
TS_REORDER_ENTRY(repeat_interleave, Tensor,
                 (const Tensor& self, int64_t r, std::optional<int64_t> dim, std::optional<int64_t> output_size),
                 Tensor(const Tensor&, int64_t, std::optional<int64_t>, std::optional<int64_t>),
                 (self, r, dim, output_size))
TS_REORDER_ENTRY(repeat_interleave_tensor, Tensor,
                 (const Tensor& self, const Tensor& r, std::optional<int64_t> dim, std::optional<int64_t> output_size),
                 Tensor(const Tensor&, const Tensor&, std::optional<int64_t>, std::optional<int64_t>),
                 (self, r, dim, output_size))
TS_REORDER_ENTRY(repeat_interleave_indices, Tensor, (const Tensor& r, std::optional<int64_t> output_size),
                 Tensor(const Tensor&, std::optional<int64_t>), (r, output_size))
TS_REORDER_ENTRY(tril, Tensor, (const Tensor& self, int64_t k), Tensor(const Tensor&, int64_t), (self, k))
TS_REORDER_ENTRY(triu, Tensor, (const Tensor& self, int64_t k), Tensor(const Tensor&, int64_t), (self, k))
TS_REORDER_ENTRY(tril_, Tensor, (const Tensor& self, int64_t k), Tensor(const Tensor&, int64_t), (self, k))
TS_REORDER_ENTRY(triu_, Tensor, (const Tensor& self, int64_t k), Tensor(const Tensor&, int64_t), (self, k))
TS_REORDER_ENTRY(meshgrid, std::vector<Tensor>, (TensorList t, std::string_view indexing),
                 std::vector<Tensor>(TensorList, std::string_view), (t, indexing))
#undef TS_REORDER_ENTRY

}  // namespace ops
}  // namespace tessera

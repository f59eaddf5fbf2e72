#include "ops/reduce_utils.h"

#include "ops/copy.h"

namespace tessera {

uint64_t make_dim_mask(OptionalIntArrayRef dims, int64_t ndim, const char* op, bool empty_means_all) {
  TS_CHECK(ndim <= 64, "[", op, "] supports tensors of at most 64 dims, got ", ndim);
  uint64_t all = ndim == 64 ? ~uint64_t(0) : ((uint64_t(1) << ndim) - 1);
  if (!dims) return all;
  if (dims->empty()) return empty_means_all ? all : 0;
  uint64_t seen = 0;
  for (int64_t d : *dims) {
    int64_t w = wrap_dim(d, ndim, op);
    TS_CHECK(!(seen >> w & 1), "[", op, "] dim ", w, " appears multiple times in the list of dims");
    seen |= uint64_t(1) << w;
  }
  return ndim == 0 ? 0 : seen;  // a 0-d tensor accepts dim 0 / -1 and has nothing to reduce
}

DimVector reduced_shape(IntArrayRef sizes, uint64_t mask, bool keepdim) {
  DimVector out;
  for (size_t d = 0; d < sizes.size(); ++d) {
    if (mask >> d & 1) {
      if (keepdim) out.push_back(1);
    } else {
      out.push_back(sizes[d]);
    }
  }
  return out;
}

std::pair<Tensor, ReduceShape> reduce_layout(const Tensor& x, uint64_t mask) {
  const int64_t n = x.dim();
  IntArrayRef sz = x.sizes();
  // First and last reduced dim of size != 1, and whether a kept dim of size != 1 lies between.
  int64_t first = -1, last = -1;
  for (int64_t d = 0; d < n; ++d) {
    if ((mask >> d & 1) && sz[d] != 1) {
      if (first < 0) first = d;
      last = d;
    }
  }
  bool block = true;
  for (int64_t d = first + 1; first >= 0 && d < last; ++d) {
    if (!(mask >> d & 1) && sz[d] != 1) block = false;
  }
  if (block) {
    Tensor c = ops::contiguous(x);
    ReduceShape s{1, 1, 1};
    for (int64_t d = 0; d < n; ++d) {
      if (first < 0 || d < first) {
        s.outer *= sz[d];
      } else if (d <= last) {
        s.reduced *= sz[d];
      } else {
        s.inner *= sz[d];
      }
    }
    if (first < 0) {  // nothing of size > 1 reduced: every kept element is its own output
      s.reduced = 1;
      for (int64_t d = 0; d < n; ++d)
        if (mask >> d & 1) s.reduced *= sz[d];  // 1, or 0 for an empty reduced dim
    }
    return {c, s};
  }
  // Kept dims first, then the reduced ones; one contiguous copy.
  DimVector psz, pst;
  ReduceShape s{1, 1, 1};
  for (int pass = 0; pass < 2; ++pass) {
    for (int64_t d = 0; d < n; ++d) {
      bool red = mask >> d & 1;
      if (red != (pass == 1)) continue;
      psz.push_back(sz[d]);
      pst.push_back(x.strides()[d]);
      (red ? s.reduced : s.outer) *= sz[d];
    }
  }
  Tensor v = make_view(x, psz, pst, x.storage_offset());
  return {ops::contiguous(v), s};
}

std::pair<Tensor, ReduceShape> dim_layout(const Tensor& x, int64_t dim) {
  ReduceShape s{1, 1, 1};
  IntArrayRef sz = x.sizes();
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (d < dim) {
      s.outer *= sz[d];
    } else if (d == dim) {
      s.reduced *= sz[d];
    } else {
      s.inner *= sz[d];
    }
  }
  return {ops::contiguous(x), s};
}

}  // namespace tessera

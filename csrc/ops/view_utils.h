#pragma once
// Small view helpers for the linalg/nn front-ends (the public view ops are written elsewhere):
// every result shares storage with its input, nothing is copied.
#include "core/shape.h"
#include "core/tensor.h"

namespace tessera::detail {

// A view of t with explicit sizes/strides at t's storage offset.
inline Tensor view_as(const Tensor& t, DimVector sizes, DimVector strides) {
  return make_view(t, std::move(sizes), std::move(strides), t.storage_offset());
}

// t broadcast to `shape` (stride 0 on the broadcast dims); RuntimeError naming `op` if it can't.
inline Tensor expand_view(const Tensor& t, IntArrayRef shape, const char* op) {
  const int64_t nd = static_cast<int64_t>(shape.size()), off = nd - t.dim();
  TS_CHECK(off >= 0, "[", op, "] cannot expand a tensor of shape ", shape_str(t.sizes()), " to ", shape_str(shape));
  DimVector strides(nd, 0);
  for (int64_t i = 0; i < t.dim(); ++i) {
    const int64_t s = t.sizes()[i];
    TS_CHECK(s == shape[off + i] || s == 1, "[", op, "] The expanded size of the tensor (", shape[off + i],
             ") must match the existing size (", s, ") at non-singleton dimension ", off + i,
             ".  Target sizes: ", shape_str(shape), ".  Tensor sizes: ", shape_str(t.sizes()));
    strides[off + i] = s == 1 ? 0 : t.strides()[i];
  }
  return view_as(t, DimVector(shape), strides);
}

// t with the dims of `shape` reinterpreted (t must be contiguous).
inline Tensor reshape_contiguous(const Tensor& t, IntArrayRef shape) {
  return view_as(t, DimVector(shape), contiguous_strides(shape));
}

}  // namespace tessera::detail

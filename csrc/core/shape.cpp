#include "core/shape.h"

#include <limits>

#include "core/error.h"

namespace tessera {

int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op) {
  int64_t n = ndim <= 0 ? 1 : ndim;  // a 0-d tensor accepts dim 0 and -1
  TS_CHECK_INDEX(dim >= -n && dim < n, "[", op, "] Dimension out of range (expected to be in range of [", -n,
                 ", ", n - 1, "], but got ", dim, ")");
  return dim < 0 ? dim + n : dim;
}

DimVector contiguous_strides(IntArrayRef sizes) {
  DimVector strides(sizes.size());
  int64_t s = 1;
  for (int64_t i = static_cast<int64_t>(sizes.size()) - 1; i >= 0; --i) {
    strides[i] = s;
    s *= sizes[i] > 1 ? sizes[i] : 1;
  }
  return strides;
}

int64_t checked_numel(IntArrayRef sizes, const char* op) {
  int64_t n = 1;
  for (int64_t s : sizes) {
    TS_CHECK_VALUE(s >= 0, "[", op, "] negative dimension ", s, " in size ", shape_str(sizes));
  }
  for (int64_t s : sizes) {
    TS_CHECK(!__builtin_mul_overflow(n, s, &n), "[", op, "] size ", shape_str(sizes),
             " overflows the number of elements");
  }
  TS_CHECK(n <= std::numeric_limits<int64_t>::max() / 16, "[", op, "] size ", shape_str(sizes),
           " is too large (", n, " elements)");
  return n;
}

DimVector broadcast_shapes(IntArrayRef a, IntArrayRef b, const char* op) {
  size_t n = std::max(a.size(), b.size());
  DimVector out(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    TS_CHECK(da == db || da == 1 || db == 1, "[", op, "] The size of tensor a (", da,
             ") must match the size of tensor b (", db, ") at non-singleton dimension ", i,
             " (shapes ", shape_str(a), " and ", shape_str(b), ")");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

std::string shape_str(IntArrayRef sizes) {
  std::string s = "(";
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(sizes[i]);
  }
  if (sizes.size() == 1) s += ",";
  return s + ")";
}

}  // namespace tessera

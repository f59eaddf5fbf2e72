// CPU kernels of the copying shape ops (cat fast path, flip, tril/triu). They move bytes without
// arithmetic, so they dispatch on the element size only (1, 2, 4 or 8 bytes), not on the dtype.
#include <algorithm>
#include <cstring>
#include <vector>

#include "core/tensor.h"
#include "cpu/parallel.h"
#include "ops/shape_copy_stubs.h"

namespace tessera {
namespace {

template <class F>
void dispatch_itemsize(size_t size, const char* op, F&& f) {
  switch (size) {
    case 1:
      return f(uint8_t{});
    case 2:
      return f(uint16_t{});
    case 4:
      return f(uint32_t{});
    case 8:
      return f(uint64_t{});
    default:
      TS_FAIL(NotImplemented, "[", op, "] element size ", size, " is not supported");
  }
}

// Bytes per parallel chunk for plain memory copies.
constexpr int64_t kCopyGrainBytes = 1 << 17;

// The output is a sequence of rows (one per index of the dims before `dim`); each row is the
// concatenation of one contiguous block per input. Chunks of output bytes are copied in parallel,
// so a few large inputs (dim 0) and many small rows both spread over the threads.
void cat_contig_cpu(const Tensor& out, TensorList inputs, int64_t dim) {
  const int64_t item = static_cast<int64_t>(out.itemsize());
  int64_t outer = 1;
  for (int64_t d = 0; d < dim; ++d) outer *= out.sizes()[d];
  const size_t n = inputs.size();
  std::vector<int64_t> off(n + 1, 0);
  std::vector<const char*> src(n);
  for (size_t i = 0; i < n; ++i) {
    off[i + 1] = off[i] + inputs[i].numel() / outer * item;
    src[i] = static_cast<const char*>(inputs[i].data_ptr());
  }
  const int64_t row = off[n];
  char* dst = static_cast<char*>(out.data_ptr());
  parallel_for(0, outer * row, kCopyGrainBytes, [&](int64_t b, int64_t e) {
    int64_t o = b / row, r = b % row;
    size_t i = static_cast<size_t>(std::upper_bound(off.begin(), off.end(), r) - off.begin()) - 1;
    for (int64_t p = b; p < e;) {
      const int64_t block = off[i + 1] - off[i];
      const int64_t len = std::min(off[i + 1] - r, e - p);
      std::memcpy(dst + p, src[i] + o * block + (r - off[i]), static_cast<size_t>(len));
      p += len;
      r += len;
      if (r == row) {
        r = 0;
        ++o;
        i = 0;
      } else if (r == off[i + 1]) {
        ++i;
      }
    }
  });
}

// Size-1 dims dropped, then neighbours merged where the (signed) strides allow, outer first.
void coalesce(DimVector& sizes, DimVector& strides) {
  DimVector s, st;
  for (size_t d = 0; d < sizes.size(); ++d) {
    if (sizes[d] == 1) continue;
    if (!s.empty() && st.back() == strides[d] * sizes[d]) {
      s.back() *= sizes[d];
      st.back() = strides[d];
    } else {
      s.push_back(sizes[d]);
      st.push_back(strides[d]);
    }
  }
  sizes = std::move(s);
  strides = std::move(st);
}

// Reads self through signed strides (flipped dims start at their last element and step back)
// into the contiguous output, one innermost row at a time.
void flip_cpu(const Tensor& out, const Tensor& self, IntArrayRef dims) {
  const int64_t nd = self.dim();
  std::vector<bool> flipped(static_cast<size_t>(std::max<int64_t>(nd, 1)), false);
  for (int64_t d : dims) flipped[d] = true;
  DimVector sizes(self.sizes()), strides(self.strides());
  int64_t base = 0;
  for (int64_t d = 0; d < nd; ++d) {
    if (flipped[d] && sizes[d] > 1) {
      base += (sizes[d] - 1) * strides[d];
      strides[d] = -strides[d];
    }
  }
  coalesce(sizes, strides);
  dispatch_itemsize(self.itemsize(), "flip", [&](auto tag) {
    using T = decltype(tag);
    const T* in = self.data<T>() + base;
    T* o = out.data<T>();
    if (sizes.empty()) {
      *o = *in;
      return;
    }
    const int64_t nouter = static_cast<int64_t>(sizes.size()) - 1;
    const int64_t inner = sizes.back(), is = strides.back();
    const int64_t rows = out.numel() / inner;
    parallel_for(0, rows, std::max<int64_t>(1, kElementwiseGrain / inner), [&](int64_t b, int64_t e) {
      DimVector idx(static_cast<size_t>(nouter), 0);
      int64_t rem = b, off = 0;
      for (int64_t d = nouter - 1; d >= 0; --d) {
        idx[d] = rem % sizes[d];
        rem /= sizes[d];
        off += idx[d] * strides[d];
      }
      for (int64_t r = b; r < e; ++r) {
        T* dst = o + r * inner;
        const T* s = in + off;
        if (is == 1) {
          std::memcpy(dst, s, static_cast<size_t>(inner) * sizeof(T));
        } else if (is == -1) {
          for (int64_t j = 0; j < inner; ++j) dst[j] = s[-j];
        } else {
          for (int64_t j = 0; j < inner; ++j) dst[j] = s[j * is];
        }
        for (int64_t d = nouter - 1; d >= 0; --d) {
          off += strides[d];
          if (++idx[d] < sizes[d]) break;
          off -= strides[d] * sizes[d];
          idx[d] = 0;
        }
      }
    });
  });
}

// Offsets (in elements) of batch matrix `b` in a tensor with these batch sizes/strides.
int64_t batch_offset(int64_t b, IntArrayRef sizes, IntArrayRef strides, int64_t nbatch) {
  int64_t off = 0;
  for (int64_t d = nbatch - 1; d >= 0 && b > 0; --d) {
    off += (b % sizes[d]) * strides[d];
    b /= sizes[d];
  }
  return off;
}

void trilu_cpu(const Tensor& out, const Tensor& self, int64_t diagonal, bool upper) {
  if (out.numel() == 0) return;
  const int64_t nd = self.dim(), nb = nd - 2;
  const int64_t M = self.sizes()[nd - 2], N = self.sizes()[nd - 1];
  const int64_t is_r = self.strides()[nd - 2], is_c = self.strides()[nd - 1];
  const int64_t os_r = out.strides()[nd - 2], os_c = out.strides()[nd - 1];
  const bool inplace = out.is_same(self);
  const int64_t k = std::clamp<int64_t>(diagonal, -M - 1, N + 1);  // no overflow in i + k below
  const int64_t rows = out.numel() / N;
  dispatch_itemsize(self.itemsize(), upper ? "triu" : "tril", [&](auto tag) {
    using T = decltype(tag);
    const T* in = self.data<T>();
    T* o = out.data<T>();
    parallel_for(0, rows, std::max<int64_t>(1, kElementwiseGrain / N), [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        const int64_t mat = r / M, i = r % M;
        T* dst = o + batch_offset(mat, out.sizes(), out.strides(), nb) + i * os_r;
        const T* src = in + batch_offset(mat, self.sizes(), self.strides(), nb) + i * is_r;
        // Kept columns [lo, hi); the others become zero.
        const int64_t lo = upper ? std::clamp<int64_t>(i + k, 0, N) : 0;
        const int64_t hi = upper ? N : std::clamp<int64_t>(i + k + 1, 0, N);
        if (!inplace) {
          if (os_c == 1 && is_c == 1) {
            std::memcpy(dst + lo, src + lo, static_cast<size_t>(hi - lo) * sizeof(T));
          } else {
            for (int64_t j = lo; j < hi; ++j) dst[j * os_c] = src[j * is_c];
          }
        }
        if (os_c == 1) {
          std::fill(dst, dst + lo, T(0));
          std::fill(dst + hi, dst + N, T(0));
        } else {
          for (int64_t j = 0; j < lo; ++j) dst[j * os_c] = T(0);
          for (int64_t j = hi; j < N; ++j) dst[j * os_c] = T(0);
        }
      }
    });
  });
}

}  // namespace

TS_REGISTER_STUB(cat_contig_stub, CPU, &cat_contig_cpu);
TS_REGISTER_STUB(flip_stub, CPU, &flip_cpu);
TS_REGISTER_STUB(trilu_stub, CPU, &trilu_cpu);

}  // namespace tessera

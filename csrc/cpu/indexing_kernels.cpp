// CPU kernels of the indexing family: gather-style reads, scatter-style writes, nonzero.
#include <atomic>
#include <cstring>
#include <vector>

#include "core/dispatch_type.h"
#include "core/tensor.h"
#include "cpu/loops.h"
#include "cpu/parallel.h"
#include "ops/indexing_stubs.h"

namespace tessera {
namespace {

// Byte offset contributed by all index operands at element i; validates each index value.
inline int64_t index_offset(char** data, const int64_t* strides, int64_t i, const IndexSpec& s) {
  int64_t off = 0;
  for (int k = 0; k < s.n; ++k) {
    int64_t v = *reinterpret_cast<const int64_t*>(data[2 + k] + i * strides[2 + k]);
    int64_t size = s.sizes[k];
    int64_t w = v;
    if (w < 0 && s.wrap_negative) w += size;
    if (__builtin_expect(w < 0 || w >= size, 0)) index_out_of_range(s, k, v);
    off += w * s.strides[k];
  }
  return off;
}

inline bool index_strides_zero(const int64_t* strides, int n) {
  for (int k = 0; k < n; ++k)
    if (strides[2 + k] != 0) return false;
  return true;
}

// Elements are moved as raw words of their size: reads need no dtype dispatch.
template <class T>
void index_loop(const TensorIterator& iter, const IndexSpec& s) {
  iter.for_each([&s](char** data, const int64_t* strides, int64_t n) {
    constexpr int64_t sz = sizeof(T);
    if (index_strides_zero(strides, s.n)) {  // one index for the whole run: a strided copy
      const char* src = data[1] + index_offset(data, strides, 0, s);
      if (strides[0] == sz && strides[1] == sz) {
        std::memcpy(data[0], src, static_cast<size_t>(n * sz));
      } else {
        for (int64_t i = 0; i < n; ++i)
          *reinterpret_cast<T*>(data[0] + i * strides[0]) = *reinterpret_cast<const T*>(src + i * strides[1]);
      }
      return;
    }
    for (int64_t i = 0; i < n; ++i) {
      int64_t off = index_offset(data, strides, i, s);
      *reinterpret_cast<T*>(data[0] + i * strides[0]) = *reinterpret_cast<const T*>(data[1] + i * strides[1] + off);
    }
  });
}

void index_cpu(const TensorIterator& iter, const IndexSpec& s) {
  switch (itemsize(iter.dtype(0))) {
    case 1:
      return index_loop<uint8_t>(iter, s);
    case 2:
      return index_loop<uint16_t>(iter, s);
    case 4:
      return index_loop<uint32_t>(iter, s);
    default:
      return index_loop<uint64_t>(iter, s);
  }
}

template <class T>
void put_assign_loop(const TensorIterator& iter, const IndexSpec& s) {
  iter.for_each([&s](char** data, const int64_t* strides, int64_t n) {
    constexpr int64_t sz = sizeof(T);
    if (index_strides_zero(strides, s.n)) {  // one index for the whole run: a strided copy
      char* dst = data[0] + index_offset(data, strides, 0, s);
      if (strides[0] == sz && strides[1] == sz) {
        std::memcpy(dst, data[1], static_cast<size_t>(n * sz));
      } else {
        for (int64_t i = 0; i < n; ++i)
          *reinterpret_cast<T*>(dst + i * strides[0]) = *reinterpret_cast<const T*>(data[1] + i * strides[1]);
      }
      return;
    }
    for (int64_t i = 0; i < n; ++i) {
      int64_t off = index_offset(data, strides, i, s);
      *reinterpret_cast<T*>(data[0] + i * strides[0] + off) = *reinterpret_cast<const T*>(data[1] + i * strides[1]);
    }
  });
}

// Runs `loop` over `iter` (whose operands all have the iteration shape, operand 0 being the
// restrided destination) in parallel over slices of one dim along which the destination moves:
// a non-overlapping destination then gets disjoint elements per slice, whatever the indices.
template <class Loop>
void for_each_disjoint(const TensorIterator& iter, const Loop& loop) {
  const int64_t numel = iter.numel();
  IntArrayRef shape = iter.shape();
  const Tensor& dst = iter.output(0);
  int64_t split = -1;
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d)
    if (dst.strides()[d] != 0 && shape[d] > 1 && (split < 0 || shape[d] > shape[split])) split = d;
  if (numel < 2 * kElementwiseGrain || get_num_threads() == 1 || in_parallel_region() || split < 0) {
    iter.for_each(loop, /*parallel=*/false);
    return;
  }
  const int64_t per_slice = numel / shape[split];
  const int64_t grain = std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(per_slice, 1));
  parallel_for(0, shape[split], grain, [&](int64_t b, int64_t e) {
    TensorIterator part;
    for (int i = 0; i < iter.ntensors(); ++i) {
      const Tensor& t = iter.output(i);
      DimVector sizes(t.sizes());
      sizes[split] = e - b;
      part.add_input(
          make_view(t, std::move(sizes), DimVector(t.strides()), t.storage_offset() + b * t.strides()[split]));
    }
    part.build("index_put_");
    part.for_each(loop, /*parallel=*/false);
  });
}

// dst[idx] (op)= v for one inner run. A template so that `if constexpr` drops the paths that do
// not apply to bool.
template <class scalar_t>
void accumulate_loop(char** data, const int64_t* strides, int64_t n, const IndexSpec& s, IndexPutMode mode,
                     opmath_t<scalar_t> a) {
  using acc_t = opmath_t<scalar_t>;
  const bool mul = mode == IndexPutMode::Multiply;
  const bool minmax = mode == IndexPutMode::Max || mode == IndexPutMode::Min;
  const bool mx = mode == IndexPutMode::Max;
  if constexpr (std::is_same_v<scalar_t, bool>) {
    for (int64_t i = 0; i < n; ++i) {
      auto* dst = reinterpret_cast<bool*>(data[0] + i * strides[0] + index_offset(data, strides, i, s));
      bool v = *reinterpret_cast<const bool*>(data[1] + i * strides[1]);
      *dst = minmax ? (mx ? (*dst || v) : (*dst && v)) : mul ? (*dst && v) : (*dst || (a && v));
    }
  } else {
    if (minmax) {
      for (int64_t i = 0; i < n; ++i) {
        auto* dst = reinterpret_cast<scalar_t*>(data[0] + i * strides[0] + index_offset(data, strides, i, s));
        acc_t v = static_cast<acc_t>(*reinterpret_cast<const scalar_t*>(data[1] + i * strides[1]));
        acc_t d = static_cast<acc_t>(*dst);
        if (v != v || (d == d && (mx ? v > d : v < d))) *dst = static_cast<scalar_t>(v);  // NaN propagates
      }
      return;
    }
    // One index for the whole run (rows of index_add_, index_put_ of slices): a plain vectorisable
    // update of a row.
    if (index_strides_zero(strides, s.n) && strides[0] == sizeof(scalar_t) && strides[1] == sizeof(scalar_t)) {
      auto* __restrict dst = reinterpret_cast<scalar_t*>(data[0] + index_offset(data, strides, 0, s));
      const auto* __restrict src = reinterpret_cast<const scalar_t*>(data[1]);
      if (mul) {
        for (int64_t i = 0; i < n; ++i)
          dst[i] = static_cast<scalar_t>(static_cast<acc_t>(dst[i]) * static_cast<acc_t>(src[i]));
      } else {
        for (int64_t i = 0; i < n; ++i)
          dst[i] = static_cast<scalar_t>(static_cast<acc_t>(dst[i]) + a * static_cast<acc_t>(src[i]));
      }
      return;
    }
    for (int64_t i = 0; i < n; ++i) {
      auto* dst = reinterpret_cast<scalar_t*>(data[0] + i * strides[0] + index_offset(data, strides, i, s));
      acc_t v = static_cast<acc_t>(*reinterpret_cast<const scalar_t*>(data[1] + i * strides[1]));
      *dst = static_cast<scalar_t>(mul ? static_cast<acc_t>(*dst) * v : static_cast<acc_t>(*dst) + a * v);
    }
  }
}

void index_put_cpu(const TensorIterator& iter, const IndexSpec& s, IndexPutMode mode, const Scalar& alpha) {
  if (mode == IndexPutMode::Assign) {
    switch (itemsize(iter.dtype(0))) {
      case 1:
        return put_assign_loop<uint8_t>(iter, s);
      case 2:
        return put_assign_loop<uint16_t>(iter, s);
      case 4:
        return put_assign_loop<uint32_t>(iter, s);
      default:
        return put_assign_loop<uint64_t>(iter, s);
    }
  }
  // Repeated indices accumulate into one element, so elements are visited serially in index order
  // (deterministic) within each slice of `split_dim`; different slices write disjoint elements.
  TS_DISPATCH_ALL_TYPES(iter.dtype(0), s.op, [&] {
    using acc_t = opmath_t<scalar_t>;
    const acc_t a = alpha.to<acc_t>();
    auto loop = [&](char** data, const int64_t* strides, int64_t n) {
      accumulate_loop<scalar_t>(data, strides, n, s, mode, a);
    };
    for_each_disjoint(iter, loop);
  });
}

template <class T>
inline bool is_nonzero(T v) {
  if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) {
    return static_cast<float>(v) != 0.0f;
  } else {
    return v != T(0);
  }
}

Tensor nonzero_cpu(const Tensor& self) {
  const int64_t numel = self.numel(), ndim = self.dim();
  // Chunks counted in parallel, then each chunk writes its coordinates at its prefix offset.
  const int64_t grain = kElementwiseGrain;
  const int64_t nchunks = std::max<int64_t>(1, std::min<int64_t>(get_num_threads() * 4, numel / grain));
  const int64_t chunk = nchunks == 0 ? 0 : (numel + nchunks - 1) / nchunks;
  std::vector<int64_t> counts(nchunks + 1, 0);
  Tensor out;
  TS_DISPATCH_ALL_TYPES(self.dtype(), "nonzero", [&] {
    const scalar_t* p = self.data<scalar_t>();
    parallel_for(0, nchunks, 1, [&](int64_t b, int64_t e) {
      for (int64_t c = b; c < e; ++c) {
        int64_t lo = c * chunk, hi = std::min(numel, lo + chunk), cnt = 0;
        for (int64_t i = lo; i < hi; ++i) cnt += is_nonzero(p[i]);
        counts[c + 1] = cnt;
      }
    });
    for (int64_t c = 0; c < nchunks; ++c) counts[c + 1] += counts[c];
    const int64_t shape[2] = {counts[nchunks], ndim};
    out = empty_tensor(IntArrayRef(shape, 2), DType::Int64, self.device());
    int64_t* o = out.data<int64_t>();
    IntArrayRef sizes = self.sizes();
    if (ndim == 0) return;  // (n, 0): no coordinates to write
    parallel_for(0, nchunks, 1, [&](int64_t b, int64_t e) {
      DimVector idx(ndim, 0);
      const int64_t inner = sizes[ndim - 1];
      for (int64_t c = b; c < e; ++c) {
        int64_t lo = c * chunk, hi = std::min(numel, lo + chunk);
        if (lo >= hi) continue;
        int64_t rem = lo;
        for (int64_t d = ndim - 1; d >= 0; --d) {
          idx[d] = rem % sizes[d];
          rem /= sizes[d];
        }
        int64_t* w = o + counts[c] * ndim;
        // Runs along the last dim: the outer coordinates stay fixed within a run.
        for (int64_t i = lo; i < hi;) {
          const int64_t start = idx[ndim - 1];
          const int64_t run = std::min(hi - i, inner - start);
          for (int64_t j = 0; j < run; ++j) {
            if (!is_nonzero(p[i + j])) continue;
            for (int64_t d = 0; d < ndim - 1; ++d) w[d] = idx[d];
            w[ndim - 1] = start + j;
            w += ndim;
          }
          i += run;
          idx[ndim - 1] = 0;
          for (int64_t d = ndim - 2; d >= 0; --d) {
            if (++idx[d] < sizes[d]) break;
            idx[d] = 0;
          }
        }
      }
    });
  });
  return out;
}

void scatter_mean_cpu(const TensorIterator& iter) {
  TS_DISPATCH_NUMERIC_TYPES(iter.dtype(0), "scatter_reduce", [&] {
    using acc_t = opmath_t<scalar_t>;
    cpu_kernel(iter, [](scalar_t a, int64_t c) -> scalar_t {
      c = c < 1 ? 1 : c;
      if constexpr (std::is_integral_v<scalar_t>) {
        int64_t x = static_cast<int64_t>(a), q = x / c;
        return static_cast<scalar_t>((x % c != 0 && (x < 0) != (c < 0)) ? q - 1 : q);  // floor division
      } else {
        return static_cast<scalar_t>(static_cast<acc_t>(a) / static_cast<acc_t>(c));
      }
    });
  });
}

bool contains_cpu(const TensorIterator& iter) {
  std::atomic<bool> found{false};
  TS_DISPATCH_ALL_TYPES(iter.dtype(0), "__contains__", [&] {
    using acc_t = opmath_t<scalar_t>;
    iter.for_each([&](char** data, const int64_t* strides, int64_t n) {
      if (found.load(std::memory_order_relaxed)) return;
      bool hit = false;
      for (int64_t i = 0; i < n; ++i)
        hit |= static_cast<acc_t>(*reinterpret_cast<const scalar_t*>(data[0] + i * strides[0])) ==
               static_cast<acc_t>(*reinterpret_cast<const scalar_t*>(data[1] + i * strides[1]));
      if (hit) found.store(true, std::memory_order_relaxed);
    });
  });
  return found.load();
}

}  // namespace

TS_REGISTER_STUB(contains_stub, CPU, &contains_cpu);
TS_REGISTER_STUB(scatter_mean_stub, CPU, &scatter_mean_cpu);
TS_REGISTER_STUB(index_stub, CPU, &index_cpu);
TS_REGISTER_STUB(index_put_stub, CPU, &index_put_cpu);
TS_REGISTER_STUB(nonzero_stub, CPU, &nonzero_cpu);

}  // namespace tessera

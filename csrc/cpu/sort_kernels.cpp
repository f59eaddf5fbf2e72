// CPU kernels of sort and topk: each row along the dim is gathered into a (value, index) buffer,
// sorted with NaN as the largest value and ties broken by index (so the result is stable), and
// written back. Rows are processed in parallel.
#include <algorithm>
#include <utility>
#include <vector>

#include "core/dispatch_type.h"
#include "core/tensor.h"
#include "cpu/parallel.h"
#include "ops/sort_stubs.h"

namespace tessera {
namespace {

template <class A>
struct Ascending {
  bool operator()(const std::pair<A, int64_t>& a, const std::pair<A, int64_t>& b) const {
    const bool an = a.first != a.first, bn = b.first != b.first;
    if (an || bn) return an == bn ? a.second < b.second : bn;
    if (a.first != b.first) return a.first < b.first;
    return a.second < b.second;
  }
};
template <class A>
struct Descending {
  bool operator()(const std::pair<A, int64_t>& a, const std::pair<A, int64_t>& b) const {
    const bool an = a.first != a.first, bn = b.first != b.first;
    if (an || bn) return an == bn ? a.second < b.second : an;
    if (a.first != b.first) return a.first > b.first;
    return a.second < b.second;
  }
};

// Calls fn(buffer) for every row along R, gathered into a (value, index) buffer, then writes
// the first `m` buffer entries to the outputs laid out [O, m, I]. For an outer dim (I > 1), up to
// 16 neighbouring rows are gathered together so that every read of the input is contiguous.
template <class T, class Fn>
void for_rows(const Tensor& in, ReduceShape s, int64_t m, const Tensor& values, const Tensor& indices, const Fn& fn) {
  using A = opmath_t<T>;
  const int64_t O = s.outer, R = s.reduced, I = s.inner;
  if (O * I == 0 || m == 0) return;
  const T* x = in.data<T>();
  T* vo = values.defined() ? values.data<T>() : nullptr;
  int64_t* io = indices.data<int64_t>();
  const int64_t B =
      I == 1 ? 1 : std::clamp<int64_t>((int64_t(1) << 20) / std::max<int64_t>(R, 1), 1, std::min<int64_t>(I, 16));
  const int64_t nblk = (I + B - 1) / B;
  const int64_t grain = std::max<int64_t>(1, 32768 / std::max<int64_t>(R * B, 1));
  parallel_for(0, O * nblk, grain, [&](int64_t b, int64_t e) {
    std::vector<std::vector<std::pair<A, int64_t>>> bufs(B, std::vector<std::pair<A, int64_t>>(R));
    for (int64_t t = b; t < e; ++t) {
      const int64_t o = t / nblk, i0 = (t % nblk) * B, w = std::min(B, I - i0);
      const T* src = x + o * R * I + i0;
      for (int64_t r = 0; r < R; ++r)
        for (int64_t j = 0; j < w; ++j) bufs[j][r] = {static_cast<A>(src[r * I + j]), r};
      for (int64_t j = 0; j < w; ++j) fn(bufs[j]);
      const int64_t ob = o * m * I + i0;
      for (int64_t r = 0; r < m; ++r) {
        for (int64_t j = 0; j < w; ++j) {
          if (vo) vo[ob + r * I + j] = static_cast<T>(bufs[j][r].first);
          io[ob + r * I + j] = bufs[j][r].second;
        }
      }
    }
  });
}

void sort_cpu(const Tensor& in, ReduceShape s, const Tensor& values, const Tensor& indices, bool descending,
              bool /*stable: the sort is always stable*/) {
  TS_DISPATCH_ALL_TYPES(in.dtype(), "sort", [&] {
    using A = opmath_t<scalar_t>;
    if (descending) {
      for_rows<scalar_t>(in, s, s.reduced, values, indices,
                         [](auto& buf) { std::sort(buf.begin(), buf.end(), Descending<A>()); });
    } else {
      for_rows<scalar_t>(in, s, s.reduced, values, indices,
                         [](auto& buf) { std::sort(buf.begin(), buf.end(), Ascending<A>()); });
    }
  });
}

void topk_cpu(const Tensor& in, ReduceShape s, int64_t k, bool largest, bool /*sorted: always sorted*/,
              const Tensor& values, const Tensor& indices) {
  TS_DISPATCH_NUMERIC_TYPES(in.dtype(), "topk", [&] {
    using A = opmath_t<scalar_t>;
    if (largest) {
      for_rows<scalar_t>(in, s, k, values, indices, [k](auto& buf) {
        std::partial_sort(buf.begin(), buf.begin() + k, buf.end(), Descending<A>());
      });
    } else {
      for_rows<scalar_t>(in, s, k, values, indices, [k](auto& buf) {
        std::partial_sort(buf.begin(), buf.begin() + k, buf.end(), Ascending<A>());
      });
    }
  });
}

}  // namespace

TS_REGISTER_STUB(sort_stub, CPU, &sort_cpu);
TS_REGISTER_STUB(topk_stub, CPU, &topk_cpu);

}  // namespace tessera

// CPU kernels of max/min along a dim with indices (and argmax/argmin): the first NaN wins, and
// on ties the first index, as in PyTorch.
#include <algorithm>

#include "core/dispatch_type.h"
#include "core/tensor.h"
#include "cpu/reduce_loops.h"
#include "ops/reduce_stubs.h"

namespace tessera {
namespace {

using namespace reduce_detail;

template <bool IsMax, class A>
inline bool better(A v, A best) {
  if (best != best) return false;  // a NaN already chosen stays
  if (v != v) return true;
  if constexpr (IsMax) {
    return v > best;
  } else {
    return v < best;
  }
}

template <bool IsMax, class T>
void arg_reduce(const Tensor& in, ReduceShape s, const Tensor& values, const Tensor& indices) {
  using A = opmath_t<T>;
  const int64_t O = s.outer, R = s.reduced, I = s.inner;
  if (O * I == 0 || R == 0) return;
  const T* x = in.data<T>();
  T* vo = values.defined() ? values.data<T>() : nullptr;
  int64_t* io = indices.data<int64_t>();
  if (I == 1) {
    parallel_for(0, O, std::max<int64_t>(1, kGrain / R), [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o) {
        const T* row = x + o * R;
        A best = static_cast<A>(row[0]);
        int64_t idx = 0;
        for (int64_t r = 1; r < R; ++r) {
          A v = static_cast<A>(row[r]);
          if (better<IsMax>(v, best)) {
            best = v;
            idx = r;
          }
        }
        if (vo) vo[o] = static_cast<T>(best);
        io[o] = idx;
      }
    });
    return;
  }
  const int64_t cb = column_block(O, I);
  const int64_t nb = (I + cb - 1) / cb;
  parallel_for(0, O * nb, std::max<int64_t>(1, kGrain / (R * cb)), [&](int64_t b, int64_t e) {
    A best[kMaxBlock];
    int64_t idx[kMaxBlock];
    for (int64_t t = b; t < e; ++t) {
      const int64_t o = t / nb, c0 = (t % nb) * cb, w = std::min(I, c0 + cb) - c0;
      const T* base = x + o * R * I + c0;
      for (int64_t c = 0; c < w; ++c) {
        best[c] = static_cast<A>(base[c]);
        idx[c] = 0;
      }
      for (int64_t r = 1; r < R; ++r) {
        const T* row = base + r * I;
        for (int64_t c = 0; c < w; ++c) {
          A v = static_cast<A>(row[c]);
          bool take = better<IsMax>(v, best[c]);
          best[c] = take ? v : best[c];
          idx[c] = take ? r : idx[c];
        }
      }
      for (int64_t c = 0; c < w; ++c) {
        if (vo) vo[o * I + c0 + c] = static_cast<T>(best[c]);
        io[o * I + c0 + c] = idx[c];
      }
    }
  });
}

void arg_reduce_cpu(bool is_max, const Tensor& in, ReduceShape s, const Tensor& values, const Tensor& indices) {
  TS_DISPATCH_ALL_TYPES(in.dtype(), is_max ? "max" : "min", [&] {
    if (is_max) {
      arg_reduce<true, scalar_t>(in, s, values, indices);
    } else {
      arg_reduce<false, scalar_t>(in, s, values, indices);
    }
  });
}

}  // namespace

TS_REGISTER_STUB(arg_reduce_stub, CPU, &arg_reduce_cpu);

}  // namespace tessera

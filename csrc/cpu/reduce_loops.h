#pragma once
// Loop drivers for [O, R, I] reductions on contiguous data (see ops/reduce_stubs.h).
//  - I == 1: each output reduces one contiguous row with several independent accumulators, so
//    the compiler can vectorise; a few long rows are split into chunks whose partials are merged.
//  - I > 1: each output block accumulates whole rows of I elements (no strided gathers).
// Both parallelise over outputs (or chunks) with parallel_for.
#include <algorithm>
#include <memory>
#include <vector>

#include "core/dtype.h"
#include "cpu/parallel.h"
#include "ops/reduce_stubs.h"

namespace tessera::reduce_detail {

// Accumulator of sums and products: double for floating types (accurate float32 sums over
// millions of elements), unsigned 64-bit for integers (wraps like int64 without UB).
template <class T>
using sum_acc_t = std::conditional_t<std::is_floating_point_v<opmath_t<T>>, double, uint64_t>;

template <class A, class T>
inline A to_acc(T x) {
  if constexpr (std::is_same_v<A, uint64_t>) {
    return static_cast<uint64_t>(static_cast<int64_t>(x));
  } else {
    return static_cast<A>(static_cast<opmath_t<T>>(x));
  }
}

template <class Out, class A>
inline Out from_acc(A a) {
  if constexpr (std::is_same_v<A, uint64_t>) {
    if constexpr (std::is_same_v<Out, bool>) return a != 0;
    return static_cast<Out>(static_cast<int64_t>(a));
  } else {
    return static_cast<Out>(a);
  }
}


constexpr int64_t kGrain = 32768;
constexpr int kLanes = 8;

// step(acc, x) -> acc over n contiguous values, merge(acc, acc) -> acc over the lanes.
template <class Acc, class T, class Step, class Merge>
inline Acc inner_reduce(const T* x, int64_t n, Acc init, const Step& step, const Merge& merge) {
  if (n < kLanes) {  // short rows (many outputs): skip the lane set-up
    Acc r = init;
    for (int64_t i = 0; i < n; ++i) r = step(r, x[i]);
    return r;
  }
  Acc a[kLanes];
  for (int j = 0; j < kLanes; ++j) a[j] = init;
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int j = 0; j < kLanes; ++j) a[j] = step(a[j], x[i + j]);
  }
  for (; i < n; ++i) a[0] = step(a[0], x[i]);
  Acc r = a[0];
  for (int j = 1; j < kLanes; ++j) r = merge(r, a[j]);
  return r;
}

// Column block width for the I > 1 case, so that small O*I still gives every thread work.
inline int64_t column_block(int64_t O, int64_t I) {
  int64_t cb = 256;
  int64_t nt = get_num_threads();
  if (O * ((I + cb - 1) / cb) < nt) cb = std::max<int64_t>(16, ((I + nt - 1) / nt + 15) / 16 * 16);
  return std::min<int64_t>(cb, 256);
}
constexpr int64_t kMaxBlock = 256;

// fin(out_index, acc) writes one output.
template <class Acc, class T, class Step, class Merge, class Fin>
void drive(const T* x, ReduceShape s, Acc init, const Step& step, const Merge& merge, const Fin& fin) {
  const int64_t O = s.outer, R = s.reduced, I = s.inner;
  if (O * I == 0) return;
  if (I == 1) {
    const int64_t nt = get_num_threads();
    if (O >= nt || O * R < 2 * kGrain) {
      parallel_for(0, O, std::max<int64_t>(1, kGrain / std::max<int64_t>(R, 1)), [&](int64_t b, int64_t e) {
        for (int64_t o = b; o < e; ++o) fin(o, inner_reduce(x + o * R, R, init, step, merge));
      });
      return;
    }
    for (int64_t o = 0; o < O; ++o) {  // few long rows: chunks, then merge the partials in order
      const int64_t nchunks = std::min<int64_t>(nt * 4, (R + kGrain - 1) / kGrain);
      const int64_t chunk = (R + nchunks - 1) / nchunks;
      // Not std::vector: vector<bool> packs bits, and chunks are written from several threads.
      std::unique_ptr<Acc[]> part(new Acc[nchunks]);
      std::fill(part.get(), part.get() + nchunks, init);
      const T* row = x + o * R;
      parallel_for(0, nchunks, 1, [&](int64_t b, int64_t e) {
        for (int64_t c = b; c < e; ++c) {
          int64_t lo = c * chunk, hi = std::min(R, lo + chunk);
          if (lo < hi) part[c] = inner_reduce(row + lo, hi - lo, init, step, merge);
        }
      });
      Acc r = part[0];
      for (int64_t c = 1; c < nchunks; ++c) r = merge(r, part[c]);
      fin(o, r);
    }
    return;
  }
  const int64_t cb = column_block(O, I);
  const int64_t nb = (I + cb - 1) / cb;
  const int64_t nt = get_num_threads();
  if (O * nb < nt && O * R * I >= 2 * kGrain && R >= 2 * nt) {
    // Few column blocks but many rows (e.g. a tall, narrow tensor over dim 0): each task
    // accumulates a chunk of rows; the partial blocks are then merged in order.
    const int64_t tasks = O * nb, nr = (nt + tasks - 1) / tasks, rc = (R + nr - 1) / nr;
    std::unique_ptr<Acc[]> part(new Acc[tasks * nr * cb]);
    std::fill(part.get(), part.get() + tasks * nr * cb, init);
    parallel_for(0, tasks * nr, 1, [&](int64_t b, int64_t e) {
      for (int64_t u = b; u < e; ++u) {
        const int64_t t = u / nr, q = u % nr;
        const int64_t o = t / nb, c0 = (t % nb) * cb, w = std::min(I, c0 + cb) - c0;
        Acc* acc = part.get() + u * cb;
        const T* base = x + o * R * I + c0;
        for (int64_t r = q * rc; r < std::min(R, (q + 1) * rc); ++r) {
          const T* row = base + r * I;
          for (int64_t c = 0; c < w; ++c) acc[c] = step(acc[c], row[c]);
        }
      }
    });
    for (int64_t t = 0; t < tasks; ++t) {
      const int64_t o = t / nb, c0 = (t % nb) * cb, w = std::min(I, c0 + cb) - c0;
      for (int64_t c = 0; c < w; ++c) {
        Acc a = part[t * nr * cb + c];
        for (int64_t q = 1; q < nr; ++q) a = merge(a, part[(t * nr + q) * cb + c]);
        fin(o * I + c0 + c, a);
      }
    }
    return;
  }
  const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(R * cb, 1));
  parallel_for(0, O * nb, grain, [&](int64_t b, int64_t e) {
    Acc acc[kMaxBlock];
    for (int64_t t = b; t < e; ++t) {
      const int64_t o = t / nb, c0 = (t % nb) * cb, w = std::min(I, c0 + cb) - c0;
      for (int64_t c = 0; c < w; ++c) acc[c] = init;
      const T* base = x + o * R * I + c0;
      for (int64_t r = 0; r < R; ++r) {
        const T* row = base + r * I;
        for (int64_t c = 0; c < w; ++c) acc[c] = step(acc[c], row[c]);
      }
      for (int64_t c = 0; c < w; ++c) fin(o * I + c0 + c, acc[c]);
    }
  });
}

// Two passes over the same data, each in double: stat = fin1(sum of step1) per output, then
// fin2(out_index, sum of step2(x, stat), stat). Used by var/std (mean, then squared deviations)
// and logsumexp (max, then exp(x - max)).
template <class T, class Step1, class Merge1, class Fin1, class Step2, class Fin2>
void two_pass(const T* x, ReduceShape s, double init1, const Step1& step1, const Merge1& merge1, const Fin1& fin1,
              const Step2& step2, const Fin2& fin2) {
  const int64_t O = s.outer, R = s.reduced, I = s.inner;
  if (O * I == 0) return;
  auto plus = [](double a, double b) { return a + b; };
  if (I == 1 && O < get_num_threads() && O * R >= 2 * kGrain) {
    // A few long rows: each pass is a chunked parallel reduction of one row.
    for (int64_t o = 0; o < O; ++o) {
      const T* row = x + o * R;
      double st = 0;
      drive<double>(row, ReduceShape{1, R, 1}, init1, step1, merge1, [&](int64_t, double a) { st = fin1(a); });
      auto st2 = [&](double a, T v) { return step2(a, v, st); };
      drive<double>(row, ReduceShape{1, R, 1}, 0.0, st2, plus, [&](int64_t, double a) { fin2(o, a, st); });
    }
    return;
  }
  if (I == 1) {
    parallel_for(0, O, std::max<int64_t>(1, kGrain / std::max<int64_t>(R, 1)), [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o) {
        const T* row = x + o * R;
        const double st = fin1(inner_reduce(row, R, init1, step1, merge1));
        auto st2 = [&](double a, T v) { return step2(a, v, st); };
        fin2(o, inner_reduce(row, R, 0.0, st2, plus), st);
      }
    });
    return;
  }
  const int64_t cb = column_block(O, I);
  const int64_t nb = (I + cb - 1) / cb;
  const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(R * cb, 1));
  parallel_for(0, O * nb, grain, [&](int64_t b, int64_t e) {
    double a1[kMaxBlock], a2[kMaxBlock];
    for (int64_t t = b; t < e; ++t) {
      const int64_t o = t / nb, c0 = (t % nb) * cb, w = std::min(I, c0 + cb) - c0;
      const T* base = x + o * R * I + c0;
      for (int64_t c = 0; c < w; ++c) a1[c] = init1;
      for (int64_t r = 0; r < R; ++r)
        for (int64_t c = 0; c < w; ++c) a1[c] = step1(a1[c], base[r * I + c]);
      for (int64_t c = 0; c < w; ++c) {
        a1[c] = fin1(a1[c]);
        a2[c] = 0.0;
      }
      for (int64_t r = 0; r < R; ++r)
        for (int64_t c = 0; c < w; ++c) a2[c] = step2(a2[c], base[r * I + c], a1[c]);
      for (int64_t c = 0; c < w; ++c) fin2(o * I + c0 + c, a2[c], a1[c]);
    }
  });
}

}  // namespace tessera::reduce_detail

// CPU kernels of cumsum / cumprod: a sequential scan per row for the innermost dim, and whole
// rows combined at a time for an outer dim. Accumulates in double (floating) or wrapping 64-bit.
#include <algorithm>
#include <type_traits>

#include "core/dispatch_type.h"
#include "core/tensor.h"
#include "cpu/reduce_loops.h"
#include "ops/reduce_stubs.h"

namespace tessera {
namespace {

using namespace reduce_detail;


template <bool Prod, class T>
void scan(const Tensor& in, ReduceShape s, const Tensor& out) {
  using A = sum_acc_t<T>;
  const int64_t O = s.outer, R = s.reduced, I = s.inner;
  if (O * R * I == 0) return;
  const T* x = in.data<T>();
  T* y = out.data<T>();
  auto op = [](A a, T v) { return Prod ? a * to_acc<A>(v) : a + to_acc<A>(v); };
  if (I == 1) {
    parallel_for(0, O, std::max<int64_t>(1, kGrain / R), [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o) {
        A a = Prod ? A(1) : A(0);
        for (int64_t r = 0; r < R; ++r) {
          a = op(a, x[o * R + r]);
          y[o * R + r] = from_acc<T>(a);
        }
      }
    });
    return;
  }
  const int64_t cb = column_block(O, I);
  const int64_t nb = (I + cb - 1) / cb;
  parallel_for(0, O * nb, std::max<int64_t>(1, kGrain / (R * cb)), [&](int64_t b, int64_t e) {
    A acc[kMaxBlock];
    for (int64_t t = b; t < e; ++t) {
      const int64_t o = t / nb, c0 = (t % nb) * cb, w = std::min(I, c0 + cb) - c0;
      for (int64_t c = 0; c < w; ++c) acc[c] = Prod ? A(1) : A(0);
      for (int64_t r = 0; r < R; ++r) {
        const int64_t off = o * R * I + r * I + c0;
        for (int64_t c = 0; c < w; ++c) {
          acc[c] = op(acc[c], x[off + c]);
          y[off + c] = from_acc<T>(acc[c]);
        }
      }
    }
  });
}

void scan_cpu(bool is_prod, const Tensor& in, ReduceShape s, const Tensor& out) {
  TS_DISPATCH_ALL_TYPES(in.dtype(), is_prod ? "cumprod" : "cumsum", [&] {
    if (is_prod) {
      scan<true, scalar_t>(in, s, out);
    } else {
      scan<false, scalar_t>(in, s, out);
    }
  });
}

}  // namespace

TS_REGISTER_STUB(scan_stub, CPU, &scan_cpu);

}  // namespace tessera

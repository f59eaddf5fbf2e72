// Fused row kernels: softmax / log_softmax (max subtraction, one exp pass), layer_norm and
// rms_norm (two-pass statistics in double). 16-bit floats compute in float.
// Lets GCC if-convert the selects of cpu::exp_nonpos and vectorise its loops (clang's default).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/dispatch_type.h"
#include "cpu/fast_math.h"
#include "cpu/lane_sum.h"
#include "cpu/parallel.h"
#include "ops/nn_stubs.h"

namespace tessera {
namespace {

// One contiguous row: y = (log_)softmax(x); y may alias x.
template <class A>
inline void softmax_row(const A* x, A* y, int64_t d, bool log) {
  const A mx = cpu::row_max(x, d);
  if (log) {
    const A lse = mx + std::log(cpu::exp_sub_sum<false>(x, y, d, mx));
    for (int64_t j = 0; j < d; ++j) y[j] = x[j] - lse;
  } else {
    const A inv = A(1) / cpu::exp_sub_sum<true>(x, y, d, mx);
    for (int64_t j = 0; j < d; ++j) y[j] *= inv;
  }
}
// The float row, compiled for AVX2 too (picked at load time where the CPU has it).
TS_SIMD_CLONES void softmax_row_f32(const float* x, float* y, int64_t d, bool log) {
  softmax_row(x, y, d, log);
}
inline void softmax_row_any(const float* x, float* y, int64_t d, bool log) {
  softmax_row_f32(x, y, d, log);
}
inline void softmax_row_any(const double* x, double* y, int64_t d, bool log) {
  softmax_row(x, y, d, log);
}

// Rows of length d, each contiguous. float/double rows are read in place; 16-bit rows go
// through a float buffer.
template <class T>
void softmax_lastdim(const T* in, T* out, int64_t rows, int64_t d, bool log) {
  using acc_t = opmath_t<T>;
  constexpr bool direct = std::is_same_v<T, acc_t>;
  parallel_for(0, rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, d)), [&](int64_t s, int64_t e) {
    std::vector<acc_t> buf(direct ? 0 : static_cast<size_t>(d));
    for (int64_t r = s; r < e; ++r) {
      const acc_t* x;
      acc_t* y;
      if constexpr (direct) {
        x = in + r * d;
        y = out + r * d;
      } else {
        for (int64_t j = 0; j < d; ++j) buf[j] = static_cast<acc_t>(in[r * d + j]);
        x = buf.data();
        y = buf.data();
      }
      softmax_row_any(x, y, d, log);
      if constexpr (!direct)
        for (int64_t j = 0; j < d; ++j) out[r * d + j] = static_cast<T>(buf[j]);
    }
  });
}

// Softmax over the middle dim of (outer, d, inner): the inner dim is contiguous, so each pass
// runs over `inner` lanes at once.
template <class T>
void softmax_inner(const T* in, T* out, int64_t outer, int64_t d, int64_t inner, bool log) {
  using acc_t = opmath_t<T>;
  constexpr int64_t kBlock = 256;
  const int64_t nblocks = (inner + kBlock - 1) / kBlock;
  parallel_for(0, outer * nblocks, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, d * kBlock)),
               [&](int64_t s, int64_t e) {
                 std::vector<acc_t> mx(kBlock), sum(kBlock);
                 for (int64_t t = s; t < e; ++t) {
                   const int64_t o = t / nblocks, i0 = (t % nblocks) * kBlock, w = std::min(kBlock, inner - i0);
                   const T* x = in + o * d * inner + i0;
                   T* y = out + o * d * inner + i0;
                   std::fill(mx.begin(), mx.begin() + w, -std::numeric_limits<acc_t>::infinity());
                   std::fill(sum.begin(), sum.begin() + w, acc_t(0));
                   for (int64_t j = 0; j < d; ++j)
                     for (int64_t i = 0; i < w; ++i) {
                       const acc_t v = static_cast<acc_t>(x[j * inner + i]);
                       mx[i] = (v > mx[i] || std::isnan(v)) ? v : mx[i];
                     }
                   for (int64_t j = 0; j < d; ++j)
                     for (int64_t i = 0; i < w; ++i)
                       sum[i] += cpu::exp_nonpos(static_cast<acc_t>(x[j * inner + i]) - mx[i]);
                   if (log) {
                     for (int64_t i = 0; i < w; ++i) sum[i] = mx[i] + std::log(sum[i]);
                     for (int64_t j = 0; j < d; ++j)
                       for (int64_t i = 0; i < w; ++i)
                         y[j * inner + i] = static_cast<T>(static_cast<acc_t>(x[j * inner + i]) - sum[i]);
                   } else {
                     for (int64_t i = 0; i < w; ++i) sum[i] = acc_t(1) / sum[i];
                     for (int64_t j = 0; j < d; ++j)
                       for (int64_t i = 0; i < w; ++i)
                         y[j * inner + i] =
                             static_cast<T>(cpu::exp_nonpos(static_cast<acc_t>(x[j * inner + i]) - mx[i]) * sum[i]);
                   }
                 }
               });
}

void softmax_cpu(const Tensor& out, const Tensor& in, int64_t dim, bool log) {
  int64_t outer = 1, inner = 1, d = in.dim() == 0 ? 1 : in.sizes()[dim];
  for (int64_t i = 0; i < dim; ++i) outer *= in.sizes()[i];
  for (int64_t i = dim + 1; i < in.dim(); ++i) inner *= in.sizes()[i];
  TS_DISPATCH_FLOATING_TYPES(in.dtype(), "softmax", [&] {
    if (inner == 1)
      softmax_lastdim(in.data<scalar_t>(), out.data<scalar_t>(), outer, d, log);
    else
      softmax_inner(in.data<scalar_t>(), out.data<scalar_t>(), outer, d, inner, log);
  });
}

void layer_norm_cpu(const Tensor& out, const Tensor& in, const Tensor& weight, const Tensor& bias, int64_t rows,
                    int64_t n, double eps) {
  TS_DISPATCH_FLOATING_TYPES(in.dtype(), "layer_norm", [&] {
    using acc_t = opmath_t<scalar_t>;
    const scalar_t* x0 = in.data<scalar_t>();
    scalar_t* y0 = out.data<scalar_t>();
    const scalar_t* w = weight.defined() ? weight.data<scalar_t>() : nullptr;
    const scalar_t* b = bias.defined() ? bias.data<scalar_t>() : nullptr;
    parallel_for(0, rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, n)), [&](int64_t s, int64_t e) {
      for (int64_t r = s; r < e; ++r) {
        const scalar_t* x = x0 + r * n;
        scalar_t* y = y0 + r * n;
        // Two passes (mean, then squared deviations): no cancellation for rows with a large mean.
        const acc_t m = cpu::lane_sum<scalar_t, acc_t>(x, n) / static_cast<acc_t>(n);
        const acc_t var = cpu::lane_sq<scalar_t, acc_t>(x, n, m) / static_cast<acc_t>(n);
        const acc_t rstd = static_cast<acc_t>(1.0 / std::sqrt(static_cast<double>(var) + eps));
        if (w && b) {
          for (int64_t j = 0; j < n; ++j)
            y[j] = static_cast<scalar_t>((static_cast<acc_t>(x[j]) - m) * rstd * static_cast<acc_t>(w[j]) +
                                         static_cast<acc_t>(b[j]));
        } else {
          for (int64_t j = 0; j < n; ++j) {
            acc_t v = (static_cast<acc_t>(x[j]) - m) * rstd;
            if (w) v *= static_cast<acc_t>(w[j]);
            if (b) v += static_cast<acc_t>(b[j]);
            y[j] = static_cast<scalar_t>(v);
          }
        }
      }
    });
  });
}

void rms_norm_cpu(const Tensor& out, const Tensor& in, const Tensor& weight, int64_t rows, int64_t n, double eps) {
  TS_DISPATCH_FLOATING_TYPES(in.dtype(), "rms_norm", [&] {
    using acc_t = opmath_t<scalar_t>;
    const scalar_t* x0 = in.data<scalar_t>();
    scalar_t* y0 = out.data<scalar_t>();
    const scalar_t* w = weight.defined() ? weight.data<scalar_t>() : nullptr;
    parallel_for(0, rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, n)), [&](int64_t s, int64_t e) {
      for (int64_t r = s; r < e; ++r) {
        const scalar_t* x = x0 + r * n;
        scalar_t* y = y0 + r * n;
        const acc_t ms = cpu::lane_sq<scalar_t, acc_t>(x, n, acc_t(0)) / static_cast<acc_t>(n);
        const acc_t rstd = static_cast<acc_t>(1.0 / std::sqrt(static_cast<double>(ms) + eps));
        if (w) {
          for (int64_t j = 0; j < n; ++j)
            y[j] = static_cast<scalar_t>(static_cast<acc_t>(x[j]) * rstd * static_cast<acc_t>(w[j]));
        } else {
          for (int64_t j = 0; j < n; ++j) y[j] = static_cast<scalar_t>(static_cast<acc_t>(x[j]) * rstd);
        }
      }
    });
  });
}

}  // namespace

TS_REGISTER_STUB(softmax_stub, CPU, &softmax_cpu);
TS_REGISTER_STUB(layer_norm_stub, CPU, &layer_norm_cpu);
TS_REGISTER_STUB(rms_norm_stub, CPU, &rms_norm_cpu);

}  // namespace tessera

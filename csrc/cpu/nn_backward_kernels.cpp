// Fused backward kernels of softmax / log_softmax, layer_norm, rms_norm, class-index nll /
// cross entropy and embedding: one pass per row, accumulation in opmath (float for the 16-bit
// types) or double where a row sum feeds every element.
// Lets GCC if-convert the selects of cpu::exp_nonpos and vectorise its loops (clang's default).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif
#include <algorithm>
#include <cmath>
#include <mutex>
#include <vector>

#include "core/dispatch_type.h"
#include "cpu/fast_math.h"
#include "cpu/lane_sum.h"
#include "cpu/parallel.h"
#include "ops/nn_backward_stubs.h"

namespace tessera {
namespace {

// ---- softmax / log_softmax: rows of d elements at stride `inner`.
template <class T>
void softmax_bwd_rows(T* gi, const T* g, const T* y, int64_t outer, int64_t d, int64_t inner, bool log) {
  using acc_t = opmath_t<T>;
  if (inner == 1) {
    parallel_for(0, outer, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, d)), [&](int64_t s, int64_t e) {
      for (int64_t r = s; r < e; ++r) {
        const T* gr = g + r * d;
        const T* yr = y + r * d;
        T* o = gi + r * d;
        acc_t sum = 0;
        if (log) {
          for (int64_t j = 0; j < d; ++j) sum += static_cast<acc_t>(gr[j]);
          for (int64_t j = 0; j < d; ++j)
            o[j] = static_cast<T>(static_cast<acc_t>(gr[j]) - cpu::exp_nonpos(static_cast<acc_t>(yr[j])) * sum);
        } else {
          for (int64_t j = 0; j < d; ++j) sum += static_cast<acc_t>(gr[j]) * static_cast<acc_t>(yr[j]);
          for (int64_t j = 0; j < d; ++j)
            o[j] = static_cast<T>(static_cast<acc_t>(yr[j]) * (static_cast<acc_t>(gr[j]) - sum));
        }
      }
    });
    return;
  }
  // Middle dim: the contiguous inner dim runs in lanes of up to kBlock.
  constexpr int64_t kBlock = 256;
  const int64_t nblocks = (inner + kBlock - 1) / kBlock;
  parallel_for(0, outer * nblocks, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, d * kBlock)),
               [&](int64_t s, int64_t e) {
                 std::vector<acc_t> sum(kBlock);
                 for (int64_t t = s; t < e; ++t) {
                   const int64_t o = t / nblocks, i0 = (t % nblocks) * kBlock, w = std::min(kBlock, inner - i0);
                   const int64_t base = o * d * inner + i0;
                   std::fill(sum.begin(), sum.begin() + w, acc_t(0));
                   for (int64_t j = 0; j < d; ++j)
                     for (int64_t i = 0; i < w; ++i) {
                       const int64_t k = base + j * inner + i;
                       sum[i] += log ? static_cast<acc_t>(g[k]) : static_cast<acc_t>(g[k]) * static_cast<acc_t>(y[k]);
                     }
                   for (int64_t j = 0; j < d; ++j)
                     for (int64_t i = 0; i < w; ++i) {
                       const int64_t k = base + j * inner + i;
                       const acc_t gv = static_cast<acc_t>(g[k]), yv = static_cast<acc_t>(y[k]);
                       gi[k] = static_cast<T>(log ? gv - cpu::exp_nonpos(yv) * sum[i] : yv * (gv - sum[i]));
                     }
                 }
               });
}

void softmax_backward_cpu(const Tensor& gi, const Tensor& g, const Tensor& y, int64_t dim, bool log) {
  int64_t outer = 1, inner = 1, d = y.dim() == 0 ? 1 : y.sizes()[dim];
  for (int64_t i = 0; i < dim; ++i) outer *= y.sizes()[i];
  for (int64_t i = dim + 1; i < y.dim(); ++i) inner *= y.sizes()[i];
  TS_DISPATCH_FLOATING_TYPES(y.dtype(), "softmax_backward", [&] {
    softmax_bwd_rows(gi.data<scalar_t>(), g.data<scalar_t>(), y.data<scalar_t>(), outer, d, inner, log);
  });
}

// Per-thread partial sums of the parameter gradients, merged under a lock.
struct ParamAccum {
  std::mutex mu;
  std::vector<double> gw, gb;
  void merge(const std::vector<double>& w, const std::vector<double>& b) {
    std::lock_guard<std::mutex> lock(mu);
    for (size_t j = 0; j < w.size(); ++j) gw[j] += w[j];
    for (size_t j = 0; j < b.size(); ++j) gb[j] += b[j];
  }
};

// ---- layer_norm / rms_norm: statistics recomputed per row exactly as the forward computes them
// (cpu/lane_sum.h); the row sums of gy and gy * xhat run in 8 lanes so every loop vectorises.
template <bool Rms, class T>
void norm_backward_rows(T* gx0, double* pw, double* pb, const T* g0, const T* x0, const T* wp, int64_t s, int64_t e,
                        int64_t n, double eps) {
  using acc_t = opmath_t<T>;
  constexpr int L = 8;
  for (int64_t r = s; r < e; ++r) {
    const T* xr = x0 + r * n;
    const T* gr = g0 + r * n;
    const acc_t mean = Rms ? acc_t(0) : cpu::lane_sum<T, acc_t>(xr, n) / static_cast<acc_t>(n);
    const acc_t var = cpu::lane_sq<T, acc_t>(xr, n, mean) / static_cast<acc_t>(n);
    const acc_t rstd = static_cast<acc_t>(1.0 / std::sqrt(static_cast<double>(var) + eps));
    // Row sums of gy and gy * xhat, gy = g * w; parameter-gradient partial sums in double.
    acc_t a_gy[L] = {}, a_gyx[L] = {};
    int64_t j = 0;
    for (; j + L <= n; j += L)
      for (int l = 0; l < L; ++l) {
        const acc_t xh = (static_cast<acc_t>(xr[j + l]) - mean) * rstd;
        const acc_t gv = static_cast<acc_t>(gr[j + l]);
        const acc_t gy = wp ? gv * static_cast<acc_t>(wp[j + l]) : gv;
        a_gy[l] += gy;
        a_gyx[l] += gy * xh;
      }
    acc_t s_gy = 0, s_gyx = 0;
    for (; j < n; ++j) {
      const acc_t xh = (static_cast<acc_t>(xr[j]) - mean) * rstd;
      const acc_t gv = static_cast<acc_t>(gr[j]);
      const acc_t gy = wp ? gv * static_cast<acc_t>(wp[j]) : gv;
      s_gy += gy;
      s_gyx += gy * xh;
    }
    for (int l = 0; l < L; ++l) {
      s_gy += a_gy[l];
      s_gyx += a_gyx[l];
    }
    if (pw)
      for (int64_t k = 0; k < n; ++k)
        pw[k] += static_cast<double>(static_cast<acc_t>(gr[k]) * ((static_cast<acc_t>(xr[k]) - mean) * rstd));
    if (pb)
      for (int64_t k = 0; k < n; ++k) pb[k] += static_cast<double>(gr[k]);
    if (!gx0) continue;
    const acc_t inv_n = acc_t(1) / static_cast<acc_t>(n);
    const acc_t a = Rms ? acc_t(0) : s_gy * inv_n, b = s_gyx * inv_n;
    T* o = gx0 + r * n;
    if (wp) {
      for (int64_t k = 0; k < n; ++k) {
        const acc_t xh = (static_cast<acc_t>(xr[k]) - mean) * rstd;
        o[k] = static_cast<T>(rstd * (static_cast<acc_t>(gr[k]) * static_cast<acc_t>(wp[k]) - a - xh * b));
      }
    } else {
      for (int64_t k = 0; k < n; ++k) {
        const acc_t xh = (static_cast<acc_t>(xr[k]) - mean) * rstd;
        o[k] = static_cast<T>(rstd * (static_cast<acc_t>(gr[k]) - a - xh * b));
      }
    }
  }
}

template <bool Rms>
void norm_backward_cpu(const Tensor& gx, const Tensor& gw, const Tensor& gb, const Tensor& g, const Tensor& x,
                       const Tensor& w, int64_t rows, int64_t n, double eps) {
  TS_DISPATCH_FLOATING_TYPES(x.dtype(), "norm_backward", [&] {
    const scalar_t* x0 = x.data<scalar_t>();
    const scalar_t* g0 = g.data<scalar_t>();
    const scalar_t* wp = w.defined() ? w.data<scalar_t>() : nullptr;
    scalar_t* gx0 = gx.defined() ? gx.data<scalar_t>() : nullptr;
    ParamAccum acc;
    acc.gw.assign(gw.defined() ? n : 0, 0.0);
    acc.gb.assign(gb.defined() ? n : 0, 0.0);
    parallel_for(0, rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, n)), [&](int64_t s, int64_t e) {
      std::vector<double> pw(acc.gw.size(), 0.0), pb(acc.gb.size(), 0.0);
      norm_backward_rows<Rms, scalar_t>(gx0, pw.empty() ? nullptr : pw.data(), pb.empty() ? nullptr : pb.data(), g0, x0,
                                        wp, s, e, n, eps);
      if (!pw.empty() || !pb.empty()) acc.merge(pw, pb);
    });
    if (gw.defined())
      for (int64_t j = 0; j < n; ++j) gw.data<scalar_t>()[j] = static_cast<scalar_t>(acc.gw[j]);
    if (gb.defined())
      for (int64_t j = 0; j < n; ++j) gb.data<scalar_t>()[j] = static_cast<scalar_t>(acc.gb[j]);
  });
}

void layer_norm_backward_cpu(const Tensor& gx, const Tensor& gw, const Tensor& gb, const Tensor& g, const Tensor& x,
                             const Tensor& w, int64_t rows, int64_t n, double eps) {
  norm_backward_cpu<false>(gx, gw, gb, g, x, w, rows, n, eps);
}
void rms_norm_backward_cpu(const Tensor& gx, const Tensor& gw, const Tensor& g, const Tensor& x, const Tensor& w,
                           int64_t rows, int64_t n, double eps) {
  norm_backward_cpu<true>(gx, gw, Tensor(), g, x, w, rows, n, eps);
}

// ---- class-index nll / cross entropy.
void nll_backward_cpu(const Tensor& gi, const Tensor& g, const Tensor& input, const Tensor& target,
                      const Tensor& weight, int64_t ignore_index, Reduction red, double ls, bool log_softmax) {
  const int64_t c = input.dim() == 1 ? input.sizes()[0] : input.sizes()[1];
  int64_t s = 1;
  for (int64_t i = 2; i < input.dim(); ++i) s *= input.sizes()[i];
  const int64_t count = target.numel();
  const int64_t* t = target.data<int64_t>();
  TS_DISPATCH_FLOATING_TYPES(input.dtype(), "nll_loss_backward", [&] {
    const scalar_t* x0 = input.data<scalar_t>();
    const scalar_t* w = weight.defined() ? weight.data<scalar_t>() : nullptr;
    const scalar_t* g0 = g.data<scalar_t>();
    scalar_t* o0 = gi.data<scalar_t>();
    // Mean: the forward divided by the summed weight of the non-ignored targets.
    double denom = 0;
    if (red == Reduction::Mean)
      for (int64_t i = 0; i < count; ++i)
        if (t[i] != ignore_index) denom += w ? static_cast<double>(w[t[i]]) : 1.0;
    double wsum = 0;  // sum over classes of w (smoothing term)
    for (int64_t j = 0; j < c; ++j) wsum += w ? static_cast<double>(w[j]) : 1.0;
    parallel_for(0, count, std::max<int64_t>(1, 8192 / std::max<int64_t>(1, c)), [&](int64_t b, int64_t e) {
      std::vector<double> p(static_cast<size_t>(c));
      for (int64_t i = b; i < e; ++i) {
        const int64_t ni = i / s, si = i % s;
        const scalar_t* x = x0 + ni * c * s + si;
        scalar_t* o = o0 + ni * c * s + si;
        if (t[i] == ignore_index) {
          for (int64_t j = 0; j < c; ++j) o[j * s] = scalar_t(0);
          continue;
        }
        double coef = static_cast<double>(red == Reduction::None ? g0[i] : g0[0]);
        if (red == Reduction::Mean) coef /= denom;
        const double wt = w ? static_cast<double>(w[t[i]]) : 1.0;
        const double sm = ls / static_cast<double>(c);
        // sum_c q[c] = (1 - ls) w[t] + ls / C * sum(w).
        const double qsum = (1 - ls) * wt + sm * wsum;
        if (log_softmax) {
          double mx = -INFINITY;
          for (int64_t j = 0; j < c; ++j) mx = std::max(mx, static_cast<double>(x[j * s]));
          double z = 0;
          for (int64_t j = 0; j < c; ++j) z += (p[j] = std::exp(static_cast<double>(x[j * s]) - mx));
          for (int64_t j = 0; j < c; ++j) {
            double q = sm * (w ? static_cast<double>(w[j]) : 1.0);
            if (j == t[i]) q += (1 - ls) * wt;
            o[j * s] = static_cast<scalar_t>(coef * (p[j] / z * qsum - q));
          }
        } else {
          for (int64_t j = 0; j < c; ++j)
            o[j * s] = static_cast<scalar_t>(-coef * sm * (w ? static_cast<double>(w[j]) : 1.0));
          o[t[i] * s] = static_cast<scalar_t>(-coef * (sm * wt + (1 - ls) * wt));
        }
      }
    });
  });
}

// ---- embedding: serial over indices (rows may repeat), vectorised over D.
void embedding_backward_cpu(const Tensor& gw, const Tensor& g, const Tensor& indices, int64_t padding_idx) {
  const int64_t n = indices.numel(), d = gw.dim() == 2 ? gw.sizes()[1] : 1;
  TS_DISPATCH_FLOATING_TYPES(gw.dtype(), "embedding_backward", [&] {
    scalar_t* out = gw.data<scalar_t>();
    const scalar_t* src = g.data<scalar_t>();
    auto run = [&](auto* idx) {
      for (int64_t i = 0; i < n; ++i) {
        const int64_t r = static_cast<int64_t>(idx[i]);
        if (r == padding_idx) continue;
        scalar_t* o = out + r * d;
        const scalar_t* gr = src + i * d;
        for (int64_t j = 0; j < d; ++j)
          o[j] = static_cast<scalar_t>(static_cast<opmath_t<scalar_t>>(o[j]) + static_cast<opmath_t<scalar_t>>(gr[j]));
      }
    };
    if (indices.dtype() == DType::Int32)
      run(indices.data<int32_t>());
    else
      run(indices.data<int64_t>());
  });
}

}  // namespace

TS_REGISTER_STUB(softmax_backward_stub, CPU, &softmax_backward_cpu);
TS_REGISTER_STUB(layer_norm_backward_stub, CPU, &layer_norm_backward_cpu);
TS_REGISTER_STUB(rms_norm_backward_stub, CPU, &rms_norm_backward_cpu);
TS_REGISTER_STUB(nll_backward_stub, CPU, &nll_backward_cpu);
TS_REGISTER_STUB(embedding_backward_stub, CPU, &embedding_backward_cpu);

}  // namespace tessera

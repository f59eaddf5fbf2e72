// Loss kernels: per-element losses in double, then the reduction. Class-index cross entropy
// fuses log-softmax (max subtraction), the target gather, weights and label smoothing.
// Lets GCC if-convert the selects of cpu::exp_nonpos and vectorise its loops (clang's default).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif
#include <cmath>
#include <limits>
#include <mutex>
#include <vector>

#include "core/dispatch_type.h"
#include "cpu/fast_math.h"
#include "cpu/parallel.h"
#include "ops/nn_stubs.h"
#include "ops/tensor_iterator.h"

namespace tessera {
namespace {

// log(sum_j exp(x[j * s])) over c classes, with max subtraction; contiguous float/double rows are
// read in place, the others through `buf`.
template <class T>
double row_lse(const T* x, int64_t c, int64_t s, std::vector<opmath_t<T>>& buf) {
  using acc_t = opmath_t<T>;
  const acc_t* row = nullptr;
  if constexpr (std::is_same_v<T, acc_t>) row = s == 1 ? x : nullptr;
  if (!row) {
    buf.resize(static_cast<size_t>(c));
    for (int64_t j = 0; j < c; ++j) buf[j] = static_cast<acc_t>(x[j * s]);
    row = buf.data();
  }
  const acc_t mx = cpu::row_max(row, c);
  const acc_t sum = cpu::exp_sub_sum<false>(row, static_cast<acc_t*>(nullptr), c, mx);
  return static_cast<double>(mx) + std::log(static_cast<double>(sum));
}

template <class T>
void write_result(const Tensor& out, const std::vector<double>& loss, Reduction red, double denom) {
  T* o = out.data<T>();
  if (red == Reduction::None) {
    for (size_t i = 0; i < loss.size(); ++i) o[i] = static_cast<T>(loss[i]);
    return;
  }
  double total = 0;
  for (double v : loss) total += v;
  o[0] = static_cast<T>(red == Reduction::Mean ? total / denom : total);
}

void nll_cpu(const Tensor& out, const Tensor& input, const Tensor& target, const Tensor& weight, int64_t ignore_index,
             Reduction red, double ls, bool log_softmax) {
  const int64_t c = input.dim() == 1 ? input.sizes()[0] : input.sizes()[1];
  int64_t s = 1;
  for (int64_t i = 2; i < input.dim(); ++i) s *= input.sizes()[i];
  const int64_t count = target.numel();
  const int64_t* t = target.data<int64_t>();
  // Targets first, serially: a bad one is an IndexError, not a read out of bounds.
  for (int64_t i = 0; i < count; ++i) {
    TS_CHECK_INDEX(t[i] == ignore_index || (t[i] >= 0 && t[i] < c), "[", log_softmax ? "cross_entropy" : "nll_loss",
                   "] Target ", t[i], " is out of bounds.");
  }
  TS_DISPATCH_FLOATING_TYPES(input.dtype(), "nll_loss", [&] {
    const scalar_t* x0 = input.data<scalar_t>();
    const scalar_t* w = weight.defined() ? weight.data<scalar_t>() : nullptr;
    std::vector<double> loss(static_cast<size_t>(count)), wsum(static_cast<size_t>(count));
    parallel_for(0, count, std::max<int64_t>(1, 8192 / std::max<int64_t>(1, c)), [&](int64_t b, int64_t e) {
      std::vector<opmath_t<scalar_t>> buf;
      for (int64_t i = b; i < e; ++i) {
        const int64_t ni = i / std::max<int64_t>(s, 1), si = i % std::max<int64_t>(s, 1);
        if (t[i] == ignore_index) {
          loss[i] = 0;
          wsum[i] = 0;
          continue;
        }
        const scalar_t* x = x0 + ni * c * s + si;  // class j at x[j * s]
        const double lse = log_softmax ? row_lse(x, c, s, buf) : 0.0;
        const double wt = w ? static_cast<double>(w[t[i]]) : 1.0;
        double l = -wt * (static_cast<double>(x[t[i] * s]) - lse);
        if (ls > 0) {
          double smooth = 0;
          for (int64_t j = 0; j < c; ++j)
            smooth -= (w ? static_cast<double>(w[j]) : 1.0) * (static_cast<double>(x[j * s]) - lse);
          l = (1 - ls) * l + ls / static_cast<double>(c) * smooth;
        }
        loss[i] = l;
        wsum[i] = wt;
      }
    });
    double denom = 0;
    for (double v : wsum) denom += v;
    write_result<scalar_t>(out, loss, red, denom);
  });
}

void cross_entropy_prob_cpu(const Tensor& out, const Tensor& input, const Tensor& target, const Tensor& weight,
                            Reduction red, double ls) {
  const int64_t n = input.dim() == 1 ? 1 : input.sizes()[0];
  const int64_t c = input.dim() == 1 ? input.sizes()[0] : input.sizes()[1];
  int64_t s = 1;
  for (int64_t i = 2; i < input.dim(); ++i) s *= input.sizes()[i];
  const int64_t count = n * s;
  TS_DISPATCH_FLOATING_TYPES(input.dtype(), "cross_entropy", [&] {
    const scalar_t* x0 = input.data<scalar_t>();
    const scalar_t* t0 = target.data<scalar_t>();
    const scalar_t* w = weight.defined() ? weight.data<scalar_t>() : nullptr;
    std::vector<double> loss(static_cast<size_t>(count));
    parallel_for(0, count, std::max<int64_t>(1, 8192 / std::max<int64_t>(1, c)), [&](int64_t b, int64_t e) {
      std::vector<opmath_t<scalar_t>> buf;
      for (int64_t i = b; i < e; ++i) {
        const int64_t ni = i / s, si = i % s;
        const scalar_t* x = x0 + ni * c * s + si;
        const scalar_t* t = t0 + ni * c * s + si;
        const double lse = row_lse(x, c, s, buf);
        double l = 0;
        for (int64_t j = 0; j < c; ++j) {
          double tj = static_cast<double>(t[j * s]);
          if (ls > 0) tj = tj * (1 - ls) + ls / static_cast<double>(c);
          l -= (w ? static_cast<double>(w[j]) : 1.0) * tj * (static_cast<double>(x[j * s]) - lse);
        }
        loss[i] = l;
      }
    });
    write_result<scalar_t>(out, loss, red,
                           count == 0 ? std::numeric_limits<double>::quiet_NaN() : static_cast<double>(count));
  });
}

void mse_cpu(const Tensor& out, const Tensor& a, const Tensor& b, Reduction red) {
  TS_DISPATCH_FLOATING_TYPES(a.dtype(), "mse_loss", [&] {
    using acc_t = opmath_t<scalar_t>;
    TensorIterator iter;
    if (red == Reduction::None) {
      iter.add_output(out, out.dtype()).add_input(a).add_input(b).build("mse_loss");
      iter.for_each([](char** data, const int64_t* st, int64_t n) {
        for (int64_t i = 0; i < n; ++i) {
          const acc_t d = static_cast<acc_t>(*reinterpret_cast<const scalar_t*>(data[1] + i * st[1])) -
                          static_cast<acc_t>(*reinterpret_cast<const scalar_t*>(data[2] + i * st[2]));
          *reinterpret_cast<scalar_t*>(data[0] + i * st[0]) = static_cast<scalar_t>(d * d);
        }
      });
      return;
    }
    if (a.is_contiguous() && b.is_contiguous()) {  // the common case: one flat loop, partial sums per chunk
      const scalar_t* pa = a.data<scalar_t>();
      const scalar_t* pb = b.data<scalar_t>();
      const int64_t n = a.numel();
      std::mutex mu;
      double total = 0;
      parallel_for(0, n, kElementwiseGrain, [&](int64_t s, int64_t e) {
        constexpr int L = 8;
        acc_t acc[L] = {};
        int64_t i = s;
        for (; i + L <= e; i += L)
          for (int l = 0; l < L; ++l) {
            const acc_t d = static_cast<acc_t>(pa[i + l]) - static_cast<acc_t>(pb[i + l]);
            acc[l] += d * d;
          }
        double part = 0;
        for (; i < e; ++i) {
          const double d = static_cast<double>(pa[i]) - static_cast<double>(pb[i]);
          part += d * d;
        }
        for (int l = 0; l < L; ++l) part += static_cast<double>(acc[l]);
        std::lock_guard<std::mutex> lock(mu);
        total += part;
      });
      if (red == Reduction::Mean) total /= static_cast<double>(n);  // 0/0 = nan for empty, as PyTorch
      *out.data<scalar_t>() = static_cast<scalar_t>(total);
      return;
    }
    // Broadcast operands: squares into a double buffer, then a serial sum.
    Tensor tmp = empty_tensor(a.sizes(), DType::Float64, a.device());
    iter.add_output(tmp, DType::Float64).add_input(a).add_input(b).build("mse_loss");
    iter.for_each([](char** data, const int64_t* st, int64_t n) {
      for (int64_t i = 0; i < n; ++i) {
        const double d = static_cast<double>(*reinterpret_cast<const scalar_t*>(data[1] + i * st[1])) -
                         static_cast<double>(*reinterpret_cast<const scalar_t*>(data[2] + i * st[2]));
        *reinterpret_cast<double*>(data[0] + i * st[0]) = d * d;
      }
    });
    const double* p = tmp.data<double>();
    double total = 0;
    for (int64_t i = 0; i < tmp.numel(); ++i) total += p[i];
    if (red == Reduction::Mean) total /= static_cast<double>(tmp.numel());  // 0/0 = nan for empty, as PyTorch
    *out.data<scalar_t>() = static_cast<scalar_t>(total);
  });
}

}  // namespace

TS_REGISTER_STUB(nll_stub, CPU, &nll_cpu);
TS_REGISTER_STUB(cross_entropy_prob_stub, CPU, &cross_entropy_prob_cpu);
TS_REGISTER_STUB(mse_stub, CPU, &mse_cpu);

}  // namespace tessera

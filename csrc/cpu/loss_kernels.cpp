// Loss kernels: per-element losses in double, then the reduction. Class-index cross entropy
// fuses log-softmax (max subtraction), the target gather, weights and label smoothing.
#include <cmath>
#include <limits>
#include <vector>

#include "core/dispatch_type.h"
#include "cpu/parallel.h"
#include "ops/nn_stubs.h"
#include "ops/tensor_iterator.h"

namespace tessera {
namespace {

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
      for (int64_t i = b; i < e; ++i) {
        const int64_t ni = i / std::max<int64_t>(s, 1), si = i % std::max<int64_t>(s, 1);
        if (t[i] == ignore_index) {
          loss[i] = 0;
          wsum[i] = 0;
          continue;
        }
        const scalar_t* x = x0 + ni * c * s + si;  // class j at x[j * s]
        double lse = 0;
        if (log_softmax) {
          double mx = -std::numeric_limits<double>::infinity();
          for (int64_t j = 0; j < c; ++j) mx = std::max(mx, static_cast<double>(x[j * s]));
          double sum = 0;
          for (int64_t j = 0; j < c; ++j) sum += std::exp(static_cast<double>(x[j * s]) - mx);
          lse = mx + std::log(sum);
        }
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
      for (int64_t i = b; i < e; ++i) {
        const int64_t ni = i / s, si = i % s;
        const scalar_t* x = x0 + ni * c * s + si;
        const scalar_t* t = t0 + ni * c * s + si;
        double mx = -std::numeric_limits<double>::infinity();
        for (int64_t j = 0; j < c; ++j) mx = std::max(mx, static_cast<double>(x[j * s]));
        double sum = 0;
        for (int64_t j = 0; j < c; ++j) sum += std::exp(static_cast<double>(x[j * s]) - mx);
        const double lse = mx + std::log(sum);
        double l = 0;
        for (int64_t j = 0; j < c; ++j) {
          double tj = static_cast<double>(t[j * s]);
          if (ls > 0) tj = tj * (1 - ls) + ls / static_cast<double>(c);
          l -= (w ? static_cast<double>(w[j]) : 1.0) * tj * (static_cast<double>(x[j * s]) - lse);
        }
        loss[i] = l;
      }
    });
    write_result<scalar_t>(out, loss, red, count == 0 ? std::numeric_limits<double>::quiet_NaN()
                                                     : static_cast<double>(count));
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
    // Sum of squares over the (possibly broadcast) operands, serial loop in double.
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

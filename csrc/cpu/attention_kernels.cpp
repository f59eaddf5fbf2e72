// The fused middle of attention: scale, causal / boolean / additive mask and a safe softmax
// (fully masked rows give zeros, as PyTorch's math path) in one pass per row, in place.
// Lets GCC if-convert the selects of cpu::exp_nonpos and vectorise its loops (clang's default).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif
#include <cmath>
#include <limits>
#include <vector>

#include "core/dispatch_type.h"
#include "cpu/fast_math.h"
#include "cpu/parallel.h"
#include "ops/nn_stubs.h"

namespace tessera {
namespace {

// Element offsets of mask row r (rows of the (*, L) prefix) for a strided mask.
int64_t mask_row_offset(const Tensor& m, int64_t r) {
  int64_t off = 0;
  for (int64_t d = m.dim() - 2; d >= 0; --d) {
    off += (r % m.sizes()[d]) * m.strides()[d];
    r /= m.sizes()[d];
  }
  return off;
}

void attention_softmax_cpu(const Tensor& scores, const Tensor& mask, bool causal, double scale) {
  const int64_t nd = scores.dim(), l = scores.sizes()[nd - 2], s = scores.sizes()[nd - 1];
  const int64_t rows = scores.numel() / s;
  TS_DISPATCH_FLOATING_TYPES(scores.dtype(), "scaled_dot_product_attention", [&] {
    using acc_t = opmath_t<scalar_t>;
    scalar_t* base = scores.data<scalar_t>();
    const bool bool_mask = mask.defined() && mask.dtype() == DType::Bool;
    const int64_t mcs = mask.defined() ? mask.strides()[nd - 1] : 0;
    parallel_for(0, rows, std::max<int64_t>(1, 8192 / std::max<int64_t>(1, s)), [&](int64_t b, int64_t e) {
      std::vector<acc_t> buf(static_cast<size_t>(s));
      const acc_t ninf = -std::numeric_limits<acc_t>::infinity();
      for (int64_t r = b; r < e; ++r) {
        scalar_t* row = base + r * s;
        const int64_t i = r % l;  // query position
        for (int64_t j = 0; j < s; ++j) buf[j] = static_cast<acc_t>(row[j]) * static_cast<acc_t>(scale);
        if (causal)
          for (int64_t j = i + 1; j < s; ++j) buf[j] = ninf;
        if (mask.defined()) {
          const int64_t mo = mask_row_offset(mask, r);
          if (bool_mask) {
            const bool* m = mask.data<bool>() + mo;
            for (int64_t j = 0; j < s; ++j)
              if (!m[j * mcs]) buf[j] = ninf;
          } else {
            const scalar_t* m = mask.data<scalar_t>() + mo;
            for (int64_t j = 0; j < s; ++j) buf[j] += static_cast<acc_t>(m[j * mcs]);
          }
        }
        const acc_t mx = cpu::row_max(buf.data(), s);
        if (mx == ninf) {  // every key masked
          for (int64_t j = 0; j < s; ++j) row[j] = scalar_t(0);
          continue;
        }
        const acc_t inv = acc_t(1) / cpu::exp_sub_sum<true>(buf.data(), buf.data(), s, mx);
        for (int64_t j = 0; j < s; ++j) row[j] = static_cast<scalar_t>(buf[j] * inv);
      }
    });
  });
}

}  // namespace

TS_REGISTER_STUB(attention_softmax_stub, CPU, &attention_softmax_cpu);

}  // namespace tessera

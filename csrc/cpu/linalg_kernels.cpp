// CPU kernel of bmm_stub: float/double straight to BLAS (transpose flags and leading dims instead
// of copies), float16/bfloat16 through float32 buffers, integers with a plain cache-friendly loop.
#include <algorithm>
#include <vector>

#include "core/dispatch_type.h"
#include "cpu/blas.h"
#include "cpu/gemm_split.h"
#include "cpu/parallel.h"
#include "ops/copy.h"
#include "ops/linalg_stubs.h"

namespace tessera {
namespace {

// How BLAS can read a row-major (rows, cols) operand with strides (rs, cs).
struct Layout {
  bool ok = false, trans = false;
  int64_t ld = 0;
};
Layout blas_layout(int64_t rows, int64_t cols, int64_t rs, int64_t cs) {
  // The stride of a size-1 dim is irrelevant: pick whatever makes the layout valid.
  int64_t r = rows == 1 ? std::max<int64_t>(cols, 1) : rs, c = cols == 1 ? 1 : cs;
  if (c == 1 && r >= std::max<int64_t>(1, cols)) return {true, false, r};
  r = rows == 1 ? 1 : rs;
  c = cols == 1 ? std::max<int64_t>(rows, 1) : cs;
  if (r == 1 && c >= std::max<int64_t>(1, rows)) return {true, true, c};
  return {};
}

// Element offsets of every batch matrix of t (dims [0, nb) are batch dims).
std::vector<int64_t> batch_offsets(const Tensor& t, int64_t nb, int64_t count) {
  std::vector<int64_t> off(static_cast<size_t>(count), 0);
  DimVector idx(nb, 0);
  int64_t cur = 0;
  for (int64_t b = 0; b < count; ++b) {
    off[b] = cur;
    for (int64_t d = nb - 1; d >= 0; --d) {
      if (++idx[d] < t.sizes()[d]) {
        cur += t.strides()[d];
        break;
      }
      cur -= t.strides()[d] * (idx[d] - 1);
      idx[d] = 0;
    }
  }
  return off;
}

using cpu::gemm_split;
using cpu::kSmallGemmFlops;
using cpu::scale_or_zero;

template <class T>
void gemm_blas(const Tensor& out, const Tensor& a, const Tensor& b, T beta, T alpha) {
  const int64_t nd = out.dim(), nb = nd - 2, m = out.sizes()[nd - 2], n = out.sizes()[nd - 1], k = a.sizes()[nd - 1];
  int64_t count = 1;
  for (int64_t i = 0; i < nb; ++i) count *= out.sizes()[i];
  Tensor A = a, B = b;
  Layout la = blas_layout(m, k, A.strides()[nd - 2], A.strides()[nd - 1]);
  if (!la.ok) {  // truly strided: one contiguous copy
    A = ops::contiguous(A);
    la = blas_layout(m, k, A.strides()[nd - 2], A.strides()[nd - 1]);
  }
  Layout lb = blas_layout(k, n, B.strides()[nd - 2], B.strides()[nd - 1]);
  if (!lb.ok) {
    B = ops::contiguous(B);
    lb = blas_layout(k, n, B.strides()[nd - 2], B.strides()[nd - 1]);
  }
  const std::vector<int64_t> oa = batch_offsets(A, nb, count), ob = batch_offsets(B, nb, count);
  const T* pa = A.data<T>();
  const T* pb = B.data<T>();
  T* pc = out.data<T>();
  const int64_t a_cs = k > 1 ? A.strides()[nd - 1] : 1, b_rs = k > 1 ? B.strides()[nd - 2] : 1;
  auto one = [&](int64_t i) {
    const T* x = pa + oa[i];
    const T* y = pb + ob[i];
    T* c = pc + i * m * n;
    if (k == 0) {
      scale_or_zero(c, m, n, n, beta);
    } else if (n == 1 && m * k < 4 * kSmallGemmFlops) {  // matrix @ vector
      blas::gemv(la.trans, m, k, alpha, x, la.ld, y, b_rs, beta, c, 1);
    } else if (m == 1 && n * k < 4 * kSmallGemmFlops) {  // vector @ matrix = matrix^T @ vector
      blas::gemv(!lb.trans, n, k, alpha, y, lb.ld, x, a_cs, beta, c, 1);
    } else {
      gemm_split(la.trans, lb.trans, m, n, k, alpha, x, la.ld, y, lb.ld, beta, c, n);
    }
  };
  const int64_t flops = std::max<int64_t>(1, m * n * std::max<int64_t>(k, 1));
  if (count > 1 && (flops < 4 * kSmallGemmFlops || count >= 2 * get_num_threads())) {
    parallel_for(0, count, std::max<int64_t>(1, kSmallGemmFlops / flops), [&](int64_t s, int64_t e) {
      for (int64_t i = s; i < e; ++i) one(i);
    });
  } else {
    for (int64_t i = 0; i < count; ++i) one(i);
  }
}

// float16/bfloat16: each batch matrix converted to float32, sgemm, converted back.
template <class T>
void gemm_half(const Tensor& out, const Tensor& a, const Tensor& b, float beta, float alpha) {
  const int64_t nd = out.dim(), nb = nd - 2, m = out.sizes()[nd - 2], n = out.sizes()[nd - 1], k = a.sizes()[nd - 1];
  int64_t count = 1;
  for (int64_t i = 0; i < nb; ++i) count *= out.sizes()[i];
  const std::vector<int64_t> oa = batch_offsets(a, nb, count), ob = batch_offsets(b, nb, count);
  const int64_t ars = a.strides()[nd - 2], acs = a.strides()[nd - 1], brs = b.strides()[nd - 2],
                bcs = b.strides()[nd - 1];
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  T* pc = out.data<T>();
  // Conversions of one batch, rows [s, e) of the matrix concerned; parallel when called serially.
  auto convert = [](int64_t rows, int64_t cols, auto&& row_fn) {
    parallel_for(0, rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, cols)), [&](int64_t s, int64_t e) {
      for (int64_t r = s; r < e; ++r) row_fn(r);
    });
  };
  auto chunk = [&](int64_t s, int64_t e) {
    std::vector<float> fa(static_cast<size_t>(m * k)), fb(static_cast<size_t>(k * n)), fc(static_cast<size_t>(m * n));
    for (int64_t bi = s; bi < e; ++bi) {
      const T* x = pa + oa[bi];
      const T* y = pb + ob[bi];
      T* c = pc + bi * m * n;
      convert(m, k, [&](int64_t i) {
        if (acs == 1) {  // contiguous rows: a loop the compiler vectorises
          for (int64_t p = 0; p < k; ++p) fa[i * k + p] = static_cast<float>(x[i * ars + p]);
        } else {
          for (int64_t p = 0; p < k; ++p) fa[i * k + p] = static_cast<float>(x[i * ars + p * acs]);
        }
      });
      convert(k, n, [&](int64_t p) {
        if (bcs == 1) {
          for (int64_t j = 0; j < n; ++j) fb[p * n + j] = static_cast<float>(y[p * brs + j]);
        } else {
          for (int64_t j = 0; j < n; ++j) fb[p * n + j] = static_cast<float>(y[p * brs + j * bcs]);
        }
      });
      if (beta != 0.f)
        convert(m, n, [&](int64_t i) {
          for (int64_t j = 0; j < n; ++j) fc[i * n + j] = static_cast<float>(c[i * n + j]);
        });
      gemm_split(false, false, m, n, k, alpha, fa.data(), k, fb.data(), n, beta, fc.data(), n);
      convert(m, n, [&](int64_t i) {
        for (int64_t j = 0; j < n; ++j) c[i * n + j] = static_cast<T>(fc[i * n + j]);
      });
    }
  };
  const int64_t flops = std::max<int64_t>(1, m * n * std::max<int64_t>(k, 1));
  if (count > 1 && (flops < 4 * kSmallGemmFlops || count >= 2 * get_num_threads())) {
    parallel_for(0, count, std::max<int64_t>(1, kSmallGemmFlops / flops), chunk);
  } else {
    chunk(0, count);
  }
}

// Integers (and bool for outer): i-p-j loop so the innermost runs along contiguous rows of b and c.
// Accumulates in int64 and wraps to T at the end, which gives PyTorch's modular results.
template <class T>
void gemm_int(const Tensor& out, const Tensor& a, const Tensor& b, int64_t beta, int64_t alpha) {
  const int64_t nd = out.dim(), nb = nd - 2, m = out.sizes()[nd - 2], n = out.sizes()[nd - 1], k = a.sizes()[nd - 1];
  int64_t count = 1;
  for (int64_t i = 0; i < nb; ++i) count *= out.sizes()[i];
  const std::vector<int64_t> oa = batch_offsets(a, nb, count), ob = batch_offsets(b, nb, count);
  const int64_t ars = a.strides()[nd - 2], acs = a.strides()[nd - 1], brs = b.strides()[nd - 2],
                bcs = b.strides()[nd - 1];
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  T* pc = out.data<T>();
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, n * k));
  parallel_for(0, count * m, grain, [&](int64_t s, int64_t e) {
    std::vector<int64_t> acc(static_cast<size_t>(n));
    for (int64_t r = s; r < e; ++r) {
      const int64_t bi = r / m, i = r % m;
      const T* x = pa + oa[bi] + i * ars;
      const T* y = pb + ob[bi];
      T* c = pc + bi * m * n + i * n;
      std::fill(acc.begin(), acc.end(), 0);
      for (int64_t p = 0; p < k; ++p) {
        const int64_t av = static_cast<int64_t>(x[p * acs]);
        if (av == 0) continue;
        const T* yr = y + p * brs;
        if (bcs == 1) {
          for (int64_t j = 0; j < n; ++j) acc[j] += av * static_cast<int64_t>(yr[j]);
        } else {
          for (int64_t j = 0; j < n; ++j) acc[j] += av * static_cast<int64_t>(yr[j * bcs]);
        }
      }
      for (int64_t j = 0; j < n; ++j) {
        int64_t v = alpha * acc[j];
        if (beta != 0) v += beta * static_cast<int64_t>(c[j]);
        if constexpr (std::is_same_v<T, bool>)
          c[j] = v != 0;
        else
          c[j] = static_cast<T>(v);
      }
    }
  });
}

void bmm_cpu(const Tensor& out, const Tensor& a, const Tensor& b, const Scalar& beta, const Scalar& alpha) {
  if (out.numel() == 0) return;
  switch (out.dtype()) {
    case DType::Float32:
      return gemm_blas<float>(out, a, b, beta.to<float>(), alpha.to<float>());
    case DType::Float64:
      return gemm_blas<double>(out, a, b, beta.to<double>(), alpha.to<double>());
    case DType::Float16:
      return gemm_half<Half>(out, a, b, beta.to<float>(), alpha.to<float>());
    case DType::BFloat16:
      return gemm_half<BFloat16>(out, a, b, beta.to<float>(), alpha.to<float>());
    default:
      TS_DISPATCH_INTEGRAL_TYPES(out.dtype(), "matmul",
                                 [&] { gemm_int<scalar_t>(out, a, b, beta.to<int64_t>(), alpha.to<int64_t>()); });
  }
}

}  // namespace

TS_REGISTER_STUB(bmm_stub, CPU, &bmm_cpu);

}  // namespace tessera

// conv2d on the CPU: per image and group, im2col into a (C/g*kh*kw, OH*OW) buffer, then one GEMM
// with the group's (O/g, C/g*kh*kw) weights. A 1x1, stride-1, unpadded conv skips im2col.
#include <cstring>
#include <vector>

#include "core/dispatch_type.h"
#include "cpu/blas.h"
#include "cpu/gemm_split.h"
#include "cpu/parallel.h"
#include "ops/nn_stubs.h"

namespace tessera {
namespace {

template <class T>
void im2col(const T* x, int64_t c, int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t oh, int64_t ow,
            const int64_t* p, T* cols) {
  const int64_t sh = p[0], sw = p[1], pt = p[2], pl = p[3], dh = p[4], dw = p[5];
  for (int64_t ci = 0; ci < c; ++ci)
    for (int64_t a = 0; a < kh; ++a)
      for (int64_t b = 0; b < kw; ++b) {
        T* row = cols + ((ci * kh + a) * kw + b) * oh * ow;
        const T* xc = x + ci * h * w;
        for (int64_t y = 0; y < oh; ++y) {
          const int64_t iy = y * sh - pt + a * dh;
          T* r = row + y * ow;
          if (iy < 0 || iy >= h) {
            std::memset(r, 0, static_cast<size_t>(ow) * sizeof(T));
            continue;
          }
          const T* xr = xc + iy * w;
          for (int64_t xo = 0; xo < ow; ++xo) {
            const int64_t ix = xo * sw - pl + b * dw;
            r[xo] = (ix >= 0 && ix < w) ? xr[ix] : T(0);
          }
        }
      }
}

template <class T>
void conv2d_impl(const Tensor& out, const Tensor& input, const Tensor& weight, const Tensor& bias, const int64_t* p) {
  const int64_t n = input.sizes()[0], c = input.sizes()[1], h = input.sizes()[2], w = input.sizes()[3];
  const int64_t o = weight.sizes()[0], kh = weight.sizes()[2], kw = weight.sizes()[3];
  const int64_t oh = out.sizes()[2], ow = out.sizes()[3], g = p[6], cg = c / g, og = o / g;
  const int64_t kdim = cg * kh * kw, npix = oh * ow;
  const bool direct = kh == 1 && kw == 1 && p[0] == 1 && p[1] == 1 && p[2] == 0 && p[3] == 0;
  const T* x0 = input.data<T>();
  const T* w0 = weight.data<T>();
  const T* b0 = bias.defined() ? bias.data<T>() : nullptr;
  T* y0 = out.data<T>();
  auto images = [&](int64_t s, int64_t e) {
    std::vector<T> cols(direct ? 0 : static_cast<size_t>(kdim * npix));
    for (int64_t i = s; i < e; ++i) {
      for (int64_t gi = 0; gi < g; ++gi) {
        const T* xg = x0 + (i * c + gi * cg) * h * w;
        T* yg = y0 + (i * o + gi * og) * npix;
        const T* src = xg;
        if (!direct) {
          im2col(xg, cg, h, w, kh, kw, oh, ow, p, cols.data());
          src = cols.data();
        }
        if (kdim == 0) {
          std::fill(yg, yg + og * npix, T(0));
        } else {
          cpu::gemm_split(false, false, og, npix, kdim, T(1), w0 + gi * og * kdim, kdim, src, npix, T(0), yg, npix);
        }
      }
      if (b0)
        for (int64_t oc = 0; oc < o; ++oc) {
          T* yr = y0 + (i * o + oc) * npix;
          const T bv = b0[oc];
          for (int64_t j = 0; j < npix; ++j) yr[j] += bv;
        }
    }
  };
  // Images in parallel (each thread its own im2col buffer, single-threaded GEMMs) when there are
  // enough of them or they are small; otherwise one at a time with the GEMM split across threads.
  const int64_t flops = o * kdim * npix;
  if (n > 1 && (flops < (1 << 22) || n >= get_num_threads())) {
    parallel_for(0, n, std::max<int64_t>(1, (1 << 20) / std::max<int64_t>(1, flops)), images);
  } else {
    images(0, n);
  }
}

void conv2d_cpu(const Tensor& out, const Tensor& input, const Tensor& weight, const Tensor& bias, IntArrayRef params) {
  if (input.dtype() == DType::Float64)
    conv2d_impl<double>(out, input, weight, bias, params.data());
  else if (input.dtype() == DType::Float32)
    conv2d_impl<float>(out, input, weight, bias, params.data());
  else
    TS_FAIL(NotImplemented, "[conv2d] CPU kernel takes float32/float64, got ", dtype_name(input.dtype()));
}

}  // namespace

TS_REGISTER_STUB(conv2d_stub, CPU, &conv2d_cpu);

}  // namespace tessera

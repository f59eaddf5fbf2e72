// conv2d backward on the CPU, per image and group (as the forward's im2col + GEMM):
//   grad weight (O/g, K) += g (O/g, P) @ cols^T (P, K)        (cols = im2col of the input)
//   grad cols   (K, P)    = w^T (K, O/g) @ g (O/g, P), then col2im scatter-adds into grad input
//   grad bias   (O)       = sum of g over images and pixels.
#include <algorithm>
#include <vector>

#include "core/dispatch_type.h"
#include "cpu/blas.h"
#include "cpu/gemm_split.h"
#include "cpu/parallel.h"
#include "ops/nn_backward_stubs.h"

namespace tessera {
namespace {

// p: stride_h, stride_w, pad_top, pad_left, dil_h, dil_w, groups.
template <class T>
void im2col(const T* x, int64_t c, int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t oh, int64_t ow,
            const int64_t* p, T* cols) {
  for (int64_t ci = 0; ci < c; ++ci)
    for (int64_t a = 0; a < kh; ++a)
      for (int64_t b = 0; b < kw; ++b) {
        T* row = cols + ((ci * kh + a) * kw + b) * oh * ow;
        for (int64_t y = 0; y < oh; ++y) {
          const int64_t iy = y * p[0] - p[2] + a * p[4];
          for (int64_t xo = 0; xo < ow; ++xo) {
            const int64_t ix = xo * p[1] - p[3] + b * p[5];
            row[y * ow + xo] = (iy >= 0 && iy < h && ix >= 0 && ix < w) ? x[(ci * h + iy) * w + ix] : T(0);
          }
        }
      }
}

template <class T>
void col2im(const T* cols, int64_t c, int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t oh, int64_t ow,
            const int64_t* p, T* x) {
  for (int64_t ci = 0; ci < c; ++ci)
    for (int64_t a = 0; a < kh; ++a)
      for (int64_t b = 0; b < kw; ++b) {
        const T* row = cols + ((ci * kh + a) * kw + b) * oh * ow;
        for (int64_t y = 0; y < oh; ++y) {
          const int64_t iy = y * p[0] - p[2] + a * p[4];
          if (iy < 0 || iy >= h) continue;
          for (int64_t xo = 0; xo < ow; ++xo) {
            const int64_t ix = xo * p[1] - p[3] + b * p[5];
            if (ix >= 0 && ix < w) x[(ci * h + iy) * w + ix] += row[y * ow + xo];
          }
        }
      }
}

template <class T>
void conv2d_backward_impl(const Tensor& gx, const Tensor& gw, const Tensor& gb, const Tensor& g, const Tensor& x,
                          const Tensor& w, const int64_t* p) {
  const int64_t n = x.sizes()[0], c = x.sizes()[1], h = x.sizes()[2], wd = x.sizes()[3];
  const int64_t o = w.sizes()[0], kh = w.sizes()[2], kw = w.sizes()[3];
  const int64_t oh = g.sizes()[2], ow = g.sizes()[3], grp = p[6], cg = c / grp, og = o / grp;
  const int64_t kdim = cg * kh * kw, npix = oh * ow;
  const T* x0 = x.data<T>();
  const T* w0 = w.data<T>();
  const T* g0 = g.data<T>();
  T* gx0 = gx.defined() ? gx.data<T>() : nullptr;
  T* gw0 = gw.defined() ? gw.data<T>() : nullptr;
  if (gx0) std::fill(gx0, gx0 + gx.numel(), T(0));
  if (gw0) std::fill(gw0, gw0 + gw.numel(), T(0));
  if (gb.defined()) {
    T* b = gb.data<T>();
    for (int64_t oc = 0; oc < o; ++oc) {
      double s = 0;
      for (int64_t i = 0; i < n; ++i) {
        const T* r = g0 + (i * o + oc) * npix;
        for (int64_t j = 0; j < npix; ++j) s += static_cast<double>(r[j]);
      }
      b[oc] = static_cast<T>(s);
    }
  }
  if ((!gx0 && !gw0) || kdim == 0 || npix == 0) return;
  std::vector<T> cols(static_cast<size_t>(kdim * npix));
  // Images one at a time (the weight gradient accumulates over them); the GEMMs split over threads.
  for (int64_t i = 0; i < n; ++i)
    for (int64_t gi = 0; gi < grp; ++gi) {
      const T* gg = g0 + (i * o + gi * og) * npix;
      if (gw0) {
        im2col(x0 + (i * c + gi * cg) * h * wd, cg, h, wd, kh, kw, oh, ow, p, cols.data());
        cpu::gemm_split(false, true, og, kdim, npix, T(1), gg, npix, cols.data(), npix, T(1), gw0 + gi * og * kdim,
                        kdim);
      }
      if (gx0) {
        cpu::gemm_split(true, false, kdim, npix, og, T(1), w0 + gi * og * kdim, kdim, gg, npix, T(0), cols.data(),
                        npix);
        col2im(cols.data(), cg, h, wd, kh, kw, oh, ow, p, gx0 + (i * c + gi * cg) * h * wd);
      }
    }
}

void conv2d_backward_cpu(const Tensor& gx, const Tensor& gw, const Tensor& gb, const Tensor& g, const Tensor& x,
                         const Tensor& w, IntArrayRef params) {
  if (x.dtype() == DType::Float64)
    conv2d_backward_impl<double>(gx, gw, gb, g, x, w, params.data());
  else if (x.dtype() == DType::Float32)
    conv2d_backward_impl<float>(gx, gw, gb, g, x, w, params.data());
  else
    TS_FAIL(NotImplemented, "[conv2d] CPU backward kernel takes float32/float64, got ", dtype_name(x.dtype()));
}

}  // namespace

TS_REGISTER_STUB(conv2d_backward_stub, CPU, &conv2d_backward_cpu);

}  // namespace tessera

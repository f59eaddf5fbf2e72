// conv2d forward and backward on CUDA: im2col (cuda/kernels/conv) + cuBLASLt GEMMs, a chunk of
// images at a time so the column buffer stays bounded. Groups are GEMM batches: per chunk, one
// strided-batched GEMM over the images (groups == 1), or over whichever of images and groups is
// larger (a loop over the other). 16-bit inputs multiply in float32 (cuBLASLt accumulates in
// float32); their weight and bias gradients are produced in float32 (the front-end casts), and
// the input gradient's columns too, so each gradient is rounded once as on the CPU.
#include <algorithm>

#include "core/backend_flags.h"
#include "cuda/blas/lt_gemm.h"
#include "cuda/kernels/blas/naive_gemm.h"
#include "cuda/kernels/conv/conv_kernels.h"
#include "cuda/runtime/cuda_check.h"
#include "cuda/runtime/device.h"
#include "cuda/runtime/stream.h"
#include "ops/copy.h"
#include "ops/nn_backward_stubs.h"
#include "ops/nn_stubs.h"

namespace tessera::cuda {
namespace {

using blas::GemmDesc;
using blas::MatrixRef;

// Bytes of column buffer per chunk: big enough that a chunk's GEMMs fill the GPU, small enough
// not to crowd out the model.
constexpr int64_t kColumnBudget = int64_t(256) << 20;

struct Conv {
  int64_t n, c, h, w, o, kh, kw, oh, ow, groups, cg, og, K, P;
  conv::Geometry geo;
  bool direct;  // 1x1, stride 1, no padding: the input is its own im2col
  Conv(const Tensor& x, const Tensor& wt, int64_t out_h, int64_t out_w, const int64_t* p) {
    n = x.sizes()[0], c = x.sizes()[1], h = x.sizes()[2], w = x.sizes()[3];
    o = wt.sizes()[0], kh = wt.sizes()[2], kw = wt.sizes()[3];
    oh = out_h, ow = out_w, groups = p[6], cg = c / groups, og = o / groups;
    K = cg * kh * kw, P = oh * ow;
    geo = conv::Geometry{c, h, w, kh, kw, oh, ow, p[0], p[1], p[2], p[3], p[4], p[5]};
    direct = kh == 1 && kw == 1 && p[0] == 1 && p[1] == 1 && p[2] == 0 && p[3] == 0;
  }
  // Images per chunk for a column buffer of `per_image` elements of `elem` bytes per image.
  int64_t chunk(int64_t per_image, size_t elem) const {
    const int64_t bytes = std::max<int64_t>(1, per_image * static_cast<int64_t>(elem));
    return std::clamp<int64_t>(kColumnBudget / bytes, 1, std::max<int64_t>(n, 1));
  }
};

void gemm(GemmDesc& g, int device, cudaStream_t stream) {
  if (!blas::lt_gemm(g, device, stream)) blas::launch_naive_gemm(g, 0, 0, stream);
}

char* at(const Tensor& t, int64_t elems) {  // byte pointer `elems` elements into t's data
  return static_cast<char*>(t.data_ptr()) + elems * static_cast<int64_t>(t.itemsize());
}
const void* at(const void* p, int64_t elems, DType dt) {
  return static_cast<const char*>(p) + elems * static_cast<int64_t>(itemsize(dt));
}
void* at(void* p, int64_t elems, DType dt) {
  return static_cast<char*>(p) + elems * static_cast<int64_t>(itemsize(dt));
}

// For `nb` images and every group: D[i, grp] (rows x P) = op(A)[grp] @ B[i, grp] where B[i, grp]
// and D[i, grp] advance by b_img / d_img per image and by b_grp / d_grp per group and A by a_grp
// per group. One batched GEMM per image or per group, whichever leaves the larger batch.
void grouped_gemm(GemmDesc g, int64_t nb, int64_t groups, int64_t a_grp, int64_t b_img, int64_t b_grp, int64_t d_img,
                  int64_t d_grp, int device, cudaStream_t stream) {
  const MatrixRef a0 = g.a, b0 = g.b;
  void* d0 = g.d;
  if (groups == 1 || nb >= groups) {
    g.count = nb;
    g.a.batch_stride = 0;
    g.b.batch_stride = b_img;
    g.d_batch_stride = d_img;
    for (int64_t grp = 0; grp < groups; ++grp) {
      g.a.ptr = at(a0.ptr, grp * a_grp, g.in_dtype);
      g.b.ptr = at(b0.ptr, grp * b_grp, g.in_dtype);
      g.d = at(d0, grp * d_grp, g.out_dtype);
      gemm(g, device, stream);
    }
  } else {
    g.count = groups;
    g.a.batch_stride = a_grp;
    g.b.batch_stride = b_grp;
    g.d_batch_stride = d_grp;
    for (int64_t i = 0; i < nb; ++i) {
      g.b.ptr = at(b0.ptr, i * b_img, g.in_dtype);
      g.d = at(d0, i * d_img, g.out_dtype);
      gemm(g, device, stream);
    }
  }
}

void conv2d_cuda(const Tensor& out, const Tensor& x, const Tensor& w, const Tensor& bias, IntArrayRef params) {
  const Conv cv(x, w, out.sizes()[2], out.sizes()[3], params.data());
  if (out.numel() == 0) return;
  const int device = resolve_device(out.device().index);
  DeviceGuard guard(device);
  cudaStream_t stream = current_stream(device).handle();
  const DType dt = x.dtype();
  const int64_t cols_per_image = cv.c * cv.kh * cv.kw * cv.P;
  const int64_t nb_max = cv.direct ? cv.n : cv.chunk(cols_per_image, x.itemsize());
  Tensor cols = cv.direct ? Tensor() : empty_tensor(DimVector{nb_max * cols_per_image}, dt, out.device());
  GemmDesc g;
  g.in_dtype = g.out_dtype = dt;
  g.m = cv.og, g.n = cv.P, g.k = cv.K;
  g.allow_tf32 = conv_allow_tf32();
  g.a = MatrixRef{w.data_ptr(), cv.K, false, 0};  // W[grp] (og x K)
  g.ldd = cv.P;
  for (int64_t n0 = 0; n0 < cv.n; n0 += nb_max) {
    const int64_t nb = std::min(nb_max, cv.n - n0);
    const void* src = at(x, n0 * cv.c * cv.h * cv.w);
    if (!cv.direct) {
      conv::launch_im2col(src, cols.data_ptr(), dt, cv.geo, nb, cols_per_image, cv.P, stream);
      src = cols.data_ptr();
    }
    g.b = MatrixRef{src, cv.P, false, 0};  // cols[i, grp] (K x P)
    g.d = at(out, n0 * cv.o * cv.P);       // out[i, grp] (og x P)
    grouped_gemm(g, nb, cv.groups, cv.og * cv.K, cols_per_image, cv.K * cv.P, cv.o * cv.P, cv.og * cv.P, device,
                 stream);
  }
  if (bias.defined()) conv::launch_add_bias(out.data_ptr(), bias.data_ptr(), dt, cv.n, cv.o, cv.P, stream);
}

// gx: per chunk, columns gcols[i, grp] (K x P) = W[grp]^T (K x og) @ g[i, grp] (og x P), then
// col2im gathers them into gx. The columns are float32 beside 16-bit data.
void input_grad(const Tensor& gx, const Tensor& grad, const Tensor& w, const Conv& cv, int device,
                cudaStream_t stream) {
  const DType dt = grad.dtype();
  const DType cdt = (dt == DType::Float16 || dt == DType::BFloat16) ? DType::Float32 : dt;
  const int64_t cols_per_image = cv.c * cv.kh * cv.kw * cv.P;
  const bool direct = cv.direct && cdt == dt;  // the GEMM writes gx itself
  const int64_t nb_max = direct ? cv.n : cv.chunk(cols_per_image, itemsize(cdt));
  Tensor cols = direct ? Tensor() : empty_tensor(DimVector{nb_max * cols_per_image}, cdt, gx.device());
  GemmDesc g;
  g.in_dtype = dt, g.out_dtype = cdt;
  g.m = cv.K, g.n = cv.P, g.k = cv.og;
  g.a = MatrixRef{w.data_ptr(), cv.K, true, 0};  // W[grp]^T: W[grp] is (og x K) row-major
  g.ldd = cv.P;
  g.allow_tf32 = conv_allow_tf32();
  for (int64_t n0 = 0; n0 < cv.n; n0 += nb_max) {
    const int64_t nb = std::min(nb_max, cv.n - n0);
    g.b = MatrixRef{at(grad, n0 * cv.o * cv.P), cv.P, false, 0};
    g.d = direct ? at(gx, n0 * cv.c * cv.P) : cols.data_ptr();
    grouped_gemm(g, nb, cv.groups, cv.og * cv.K, cv.o * cv.P, cv.og * cv.P, cols_per_image, cv.K * cv.P, device,
                 stream);
    if (!direct) conv::launch_col2im(cols.data_ptr(), cdt, at(gx, n0 * cv.c * cv.h * cv.w), dt, cv.geo, nb, stream);
  }
}

// gw[grp] (og x K) = sum over images of g[i, grp] (og x P) @ cols[i, grp]^T: per chunk the images
// sit side by side along the pixel axis (g permuted to (O, nb*P), im2col with nb*P-long rows), so
// a chunk is one GEMM batched over groups; chunks accumulate with beta = 1.
void weight_grad(const Tensor& gw, const Tensor& grad, const Tensor& x, const Conv& cv, int device,
                 cudaStream_t stream) {
  const DType dt = grad.dtype();
  const int64_t cols_per_image = cv.c * cv.kh * cv.kw * cv.P;
  const int64_t nb_max = cv.chunk(cols_per_image + cv.o * cv.P, itemsize(dt));
  Tensor cols = empty_tensor(DimVector{nb_max * cols_per_image}, dt, gw.device());
  GemmDesc g;
  g.in_dtype = dt, g.out_dtype = gw.dtype();
  g.m = cv.og, g.n = cv.K, g.count = cv.groups;
  g.d = gw.data_ptr();
  g.ldd = cv.K;
  g.d_batch_stride = cv.og * cv.K;
  g.allow_tf32 = conv_allow_tf32();
  for (int64_t n0 = 0; n0 < cv.n; n0 += nb_max) {
    const int64_t nb = std::min(nb_max, cv.n - n0), row = nb * cv.P;
    conv::launch_im2col(at(x, n0 * cv.c * cv.h * cv.w), cols.data_ptr(), dt, cv.geo, nb, cv.P, row, stream);
    // g[n0 : n0 + nb] (nb, O, P) as (O, nb, P): a copy unless there is one image.
    Tensor gc = make_view(grad, DimVector{cv.o, nb, cv.P}, DimVector{cv.P, cv.o * cv.P, 1},
                          grad.storage_offset() + n0 * cv.o * cv.P);
    if (nb > 1) gc = ops::contiguous(gc);
    g.k = row;
    g.a = MatrixRef{gc.data_ptr(), row, false, cv.og * row};  // g[grp] (og x nb*P)
    g.b = MatrixRef{cols.data_ptr(), row, true, cv.K * row};  // cols[grp]^T (nb*P x K)
    g.beta = n0 == 0 ? 0.0 : 1.0;
    gemm(g, device, stream);
  }
}

void conv2d_backward_cuda(const Tensor& gx, const Tensor& gw, const Tensor& gb, const Tensor& grad, const Tensor& x,
                          const Tensor& w, IntArrayRef params) {
  const Conv cv(x, w, grad.sizes()[2], grad.sizes()[3], params.data());
  const int device = resolve_device(x.device().index);
  DeviceGuard guard(device);
  cudaStream_t stream = current_stream(device).handle();
  if (gb.defined())
    conv::launch_bias_grad(grad.data_ptr(), grad.dtype(), gb.data_ptr(), gb.dtype(), cv.n, cv.o, cv.P, stream);
  const bool empty = cv.n == 0 || cv.P == 0 || cv.K == 0;
  if (gw.defined()) {
    if (empty)
      TS_CUDA_CHECK(cudaMemsetAsync(gw.data_ptr(), 0, gw.numel() * gw.itemsize(), stream));
    else
      weight_grad(gw, grad, x, cv, device, stream);
  }
  if (gx.defined() && gx.numel() > 0) {
    if (empty)
      TS_CUDA_CHECK(cudaMemsetAsync(gx.data_ptr(), 0, gx.numel() * gx.itemsize(), stream));
    else
      input_grad(gx, grad, w, cv, device, stream);
  }
}

}  // namespace

TS_REGISTER_STUB(conv2d_stub, CUDA, &conv2d_cuda);
TS_REGISTER_STUB(conv2d_backward_stub, CUDA, &conv2d_backward_cuda);

}  // namespace tessera::cuda

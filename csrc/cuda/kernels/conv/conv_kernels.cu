// im2col / col2im / bias kernels of the CUDA conv2d. One thread per output element, grid-stride;
// 32-bit index arithmetic when the element count fits (64-bit divisions are several times slower).
#include "core/error.h"
#include "cuda/kernels/block_reduce.cuh"
#include "cuda/kernels/conv/conv_kernels.h"
#include "cuda/kernels/launch_utils.cuh"
#include "cuda/runtime/cuda_check.h"

namespace tessera::cuda::conv {
namespace {

template <class T, class I>
__global__ void im2col_kernel(const T* __restrict__ x, T* __restrict__ cols, Geometry g, I total, int64_t image_stride,
                              int64_t row_stride) {
  const I P = static_cast<I>(g.oh * g.ow);
  const I stride = static_cast<I>(gridDim.x) * blockDim.x;
  for (I i = static_cast<I>(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += stride) {
    const I p = i % P;
    I r = i / P;
    const I b = r % static_cast<I>(g.kw);
    r /= static_cast<I>(g.kw);
    const I a = r % static_cast<I>(g.kh);
    r /= static_cast<I>(g.kh);
    const I c = r % static_cast<I>(g.c);
    const I n = r / static_cast<I>(g.c);
    const I y = p / static_cast<I>(g.ow), xo = p % static_cast<I>(g.ow);
    const int64_t iy = y * g.sh - g.pt + a * g.dh, ix = xo * g.sw - g.pl + b * g.dw;
    T v = T(0);
    if (iy >= 0 && iy < g.h && ix >= 0 && ix < g.w) v = x[((int64_t(n) * g.c + c) * g.h + iy) * g.w + ix];
    const int64_t row = (int64_t(c) * g.kh + a) * g.kw + b;
    cols[int64_t(n) * image_stride + row * row_stride + p] = v;
  }
}

template <class Tc, class T, class I>
__global__ void col2im_kernel(const Tc* __restrict__ cols, T* __restrict__ gx, Geometry g, I total) {
  const I stride = static_cast<I>(gridDim.x) * blockDim.x;
  const int64_t P = g.oh * g.ow, K = g.c * g.kh * g.kw;
  for (I i = static_cast<I>(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += stride) {
    const I ix = i % static_cast<I>(g.w);
    I r = i / static_cast<I>(g.w);
    const I iy = r % static_cast<I>(g.h);
    r /= static_cast<I>(g.h);
    const I c = r % static_cast<I>(g.c);
    const I n = r / static_cast<I>(g.c);
    const Tc* cn = cols + int64_t(n) * K * P;
    typename OpMathDevice<Tc>::type acc = 0;
    for (int64_t a = 0; a < g.kh; ++a) {
      const int64_t ty = iy + g.pt - a * g.dh;  // = y * sh for the output row y that read (iy, .)
      if (ty < 0 || ty % g.sh != 0) continue;
      const int64_t y = ty / g.sh;
      if (y >= g.oh) continue;
      for (int64_t b = 0; b < g.kw; ++b) {
        const int64_t tx = ix + g.pl - b * g.dw;
        if (tx < 0 || tx % g.sw != 0) continue;
        const int64_t xo = tx / g.sw;
        if (xo >= g.ow) continue;
        acc += to_opmath(cn[((int64_t(c) * g.kh + a) * g.kw + b) * P + y * g.ow + xo]);
      }
    }
    gx[i] = convert_value<T>(acc);
  }
}

template <class T>
__global__ void add_bias_kernel(T* out, const T* bias, int64_t total, int64_t channels, int64_t pixels) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += stride) {
    const int64_t o = (i / pixels) % channels;
    out[i] = convert_value<T>(to_opmath(out[i]) + to_opmath(bias[o]));
  }
}

template <class T, class Out>
__global__ void bias_grad_kernel(const T* g, Out* gb, int64_t n, int64_t channels, int64_t pixels) {
  using Acc = typename OpMathDevice<T>::type;
  __shared__ Acc scratch[kWarpSize];
  const int64_t o = blockIdx.x;
  Acc acc = 0;
  for (int64_t img = 0; img < n; ++img) {
    const T* row = g + (img * channels + o) * pixels;
    for (int64_t p = threadIdx.x; p < pixels; p += blockDim.x) acc += to_opmath(row[p]);
  }
  acc = block_reduce(acc, SumOp(), Acc(0), scratch);
  if (threadIdx.x == 0) gb[o] = convert_value<Out>(acc);
}

template <class F>
void dispatch_float(DType dt, F&& f) {
  switch (dt) {
    case DType::Float32:
      return f(float());
    case DType::Float64:
      return f(double());
    case DType::Float16:
      return f(__half());
    case DType::BFloat16:
      return f(__nv_bfloat16());
    default:
      TS_FAIL(NotImplemented, "[conv2d] CUDA kernel takes floating dtypes, got ", dtype_name(dt));
  }
}

}  // namespace

void launch_im2col(const void* x, void* cols, DType dtype, const Geometry& g, int64_t nb, int64_t image_stride,
                   int64_t row_stride, cudaStream_t stream) {
  const int64_t total = nb * g.c * g.kh * g.kw * g.oh * g.ow;
  if (total == 0) return;
  dispatch_float(dtype, [&](auto tag) {
    using T = decltype(tag);
    const T* xp = static_cast<const T*>(x);
    T* cp = static_cast<T*>(cols);
    if (total < (int64_t(1) << 31))
      im2col_kernel<T, int32_t><<<grid_for(total), kThreadsPerBlock, 0, stream>>>(
          xp, cp, g, static_cast<int32_t>(total), image_stride, row_stride);
    else
      im2col_kernel<T, int64_t>
          <<<grid_for(total), kThreadsPerBlock, 0, stream>>>(xp, cp, g, total, image_stride, row_stride);
    TS_CUDA_CHECK(cudaGetLastError());
  });
}

void launch_col2im(const void* cols, DType cols_dtype, void* gx, DType dtype, const Geometry& g, int64_t nb,
                   cudaStream_t stream) {
  const int64_t total = nb * g.c * g.h * g.w;
  if (total == 0) return;
  dispatch_float(dtype, [&](auto tag) {
    using T = decltype(tag);
    auto run = [&](auto ctag) {
      using Tc = decltype(ctag);
      const Tc* cp = static_cast<const Tc*>(cols);
      T* gp = static_cast<T*>(gx);
      if (total < (int64_t(1) << 31))
        col2im_kernel<Tc, T, int32_t>
            <<<grid_for(total), kThreadsPerBlock, 0, stream>>>(cp, gp, g, static_cast<int32_t>(total));
      else
        col2im_kernel<Tc, T, int64_t><<<grid_for(total), kThreadsPerBlock, 0, stream>>>(cp, gp, g, total);
      TS_CUDA_CHECK(cudaGetLastError());
    };
    if (cols_dtype == DType::Float32 && !std::is_same_v<T, float>)
      run(float());
    else
      run(T());
  });
}

void launch_add_bias(void* out, const void* bias, DType dtype, int64_t n, int64_t channels, int64_t pixels,
                     cudaStream_t stream) {
  const int64_t total = n * channels * pixels;
  if (total == 0) return;
  dispatch_float(dtype, [&](auto tag) {
    using T = decltype(tag);
    add_bias_kernel<T><<<grid_for(total), kThreadsPerBlock, 0, stream>>>(
        static_cast<T*>(out), static_cast<const T*>(bias), total, channels, pixels);
    TS_CUDA_CHECK(cudaGetLastError());
  });
}

void launch_bias_grad(const void* g, DType dtype, void* gb, DType gb_dtype, int64_t n, int64_t channels, int64_t pixels,
                      cudaStream_t stream) {
  if (channels == 0) return;
  TS_CHECK(channels < (int64_t(1) << 31), "[conv2d] too many channels for the bias gradient kernel");
  dispatch_float(dtype, [&](auto tag) {
    using T = decltype(tag);
    const T* gp = static_cast<const T*>(g);
    if (gb_dtype == DType::Float32 && !std::is_same_v<T, float>)
      bias_grad_kernel<T, float><<<static_cast<unsigned>(channels), kThreadsPerBlock, 0, stream>>>(
          gp, static_cast<float*>(gb), n, channels, pixels);
    else
      bias_grad_kernel<T, T><<<static_cast<unsigned>(channels), kThreadsPerBlock, 0, stream>>>(gp, static_cast<T*>(gb),
                                                                                               n, channels, pixels);
    TS_CUDA_CHECK(cudaGetLastError());
  });
}

}  // namespace tessera::cuda::conv

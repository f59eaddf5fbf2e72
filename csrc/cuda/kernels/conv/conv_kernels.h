#pragma once
// Device helpers of the CUDA conv2d (csrc/cuda/conv_cuda.cpp): im2col, col2im as a gather, the
// bias add and the bias gradient. Raw pointers and sizes only, so the .cu needs no tensor headers.
#include <cuda_runtime_api.h>

#include <cstdint>

#include "core/dtype.h"

namespace tessera::cuda::conv {

// Geometry of one conv2d: input (C, H, W) per image, kernel kh x kw, output oh x ow; p = stride_h,
// stride_w, pad_top, pad_left, dil_h, dil_w (as the stubs' params).
struct Geometry {
  int64_t c, h, w, kh, kw, oh, ow;
  int64_t sh, sw, pt, pl, dh, dw;
};

// cols[n * image_stride + ((c * kh + a) * kw + b) * row_stride + y * ow + x] = x[n](c, iy, ix) (0 in
// the padding) for nb images of `x` (contiguous (nb, C, H, W)). row_stride = oh * ow gives one
// (C*kh*kw, P) matrix per image; row_stride = nb * P with image_stride = P puts the images side by
// side along the pixel axis (the weight-gradient GEMM's layout).
void launch_im2col(const void* x, void* cols, DType dtype, const Geometry& g, int64_t nb, int64_t image_stride,
                   int64_t row_stride, cudaStream_t stream);

// gx[n](c, iy, ix) = sum of the cols entries that im2col took from (c, iy, ix) (a gather: no
// atomics, deterministic). cols (nb, C*kh*kw, oh*ow) contiguous in `cols_dtype` (the GEMM's
// output: float32 beside 16-bit gx), gx (nb, C, H, W) contiguous in `dtype`.
void launch_col2im(const void* cols, DType cols_dtype, void* gx, DType dtype, const Geometry& g, int64_t nb,
                   cudaStream_t stream);

// out(n, o, p) += bias[o] for out (n, channels, pixels) contiguous.
void launch_add_bias(void* out, const void* bias, DType dtype, int64_t n, int64_t channels, int64_t pixels,
                     cudaStream_t stream);

// gb[o] = sum over n and p of g(n, o, p) (opmath accumulation); gb in `gb_dtype` (g's dtype, or
// float32 beside 16-bit g). Deterministic: one block per channel.
void launch_bias_grad(const void* g, DType dtype, void* gb, DType gb_dtype, int64_t n, int64_t channels, int64_t pixels,
                      cudaStream_t stream);

}  // namespace tessera::cuda::conv

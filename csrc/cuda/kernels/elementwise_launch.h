#pragma once
// Host entry points of the fill, range and copy CUDA kernels (csrc/cuda/kernels/*/*.cu). They
// take raw pointers and a StridedLayout so that the .cu files need no tessera tensor headers.
#include <cuda_runtime_api.h>

#include <cstdint>

#include "core/dtype.h"
#include "cuda/kernels/strided_layout.h"

namespace tessera::cuda {

// Writes the `elem_size`-byte pattern `bits` into every element of `out`.
void launch_fill(char* out, const StridedLayout<1>& layout, int64_t n, int elem_size, uint64_t bits,
                 cudaStream_t stream);

// Range endpoints already converted on the host as the CPU kernels convert them: `i` for
// integral results (the values in the result dtype), `d` for floating ones.
struct RangeArgs {
  int64_t i_a = 0, i_b = 0;
  double d_a = 0, d_b = 0;
};
// arange: out[i] = a + b * i in PyTorch's accumulate type. linspace: a = start, b = end.
void launch_arange(void* out, DType dtype, int64_t n, const RangeArgs& args, cudaStream_t stream);
void launch_linspace(void* out, DType dtype, int64_t steps, const RangeArgs& args, cudaStream_t stream);

// dst[i] = convert(src[i]) over the layout (operand 0 = dst, 1 = src), on one device.
void launch_copy(char* dst, DType dst_dtype, const char* src, DType src_dtype, const StridedLayout<2>& layout,
                 int64_t n, cudaStream_t stream);

}  // namespace tessera::cuda

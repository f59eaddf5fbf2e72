// A shared-memory tiled GEMM (16 x 16 outputs per block, one per thread). Simple rather than fast:
// the float paths that matter run on cuBLASLt; this one serves integer dtypes and odd cases.
#include "core/error.h"
#include "cuda/kernels/blas/naive_gemm.h"
#include "cuda/kernels/launch_utils.cuh"
#include "cuda/runtime/cuda_check.h"

namespace tessera::cuda::blas {
namespace {

constexpr int kTile = 16;

struct Args {
  const char* a;
  const char* b;
  char* d;
  int64_t m, n, k, count;
  int64_t lda, ldb, ldd, sa, sb, sd;  // elements
  bool ta, tb;
};

template <class Acc, class T>
__device__ __forceinline__ Acc load_acc(const T* p) {
  if constexpr (std::is_same_v<T, bool>) {
    return static_cast<Acc>(*p ? 1 : 0);
  } else {
    return static_cast<Acc>(to_opmath(*p));
  }
}

template <class T, class Out, class Acc>
__global__ void naive_gemm_kernel(Args p, Acc alpha, Acc beta) {
  __shared__ Acc as[kTile][kTile + 1];
  __shared__ Acc bs[kTile][kTile + 1];
  const T* A = reinterpret_cast<const T*>(p.a);
  const T* B = reinterpret_cast<const T*>(p.b);
  Out* D = reinterpret_cast<Out*>(p.d);
  const int tx = threadIdx.x, ty = threadIdx.y;
  // Loop bounds depend on the block only, so every thread reaches each __syncthreads.
  for (int64_t bz = blockIdx.z; bz < p.count; bz += gridDim.z) {
    const T* a = A + bz * p.sa;
    const T* b = B + bz * p.sb;
    Out* d = D + bz * p.sd;
    for (int64_t row0 = static_cast<int64_t>(blockIdx.y) * kTile; row0 < p.m; row0 += int64_t(gridDim.y) * kTile) {
      for (int64_t col0 = static_cast<int64_t>(blockIdx.x) * kTile; col0 < p.n; col0 += int64_t(gridDim.x) * kTile) {
        Acc acc = 0;
        for (int64_t k0 = 0; k0 < p.k; k0 += kTile) {
          // Coalesced loads: threadIdx.x walks the operand's contiguous direction.
          {
            const int64_t i = row0 + (p.ta ? tx : ty), q = k0 + (p.ta ? ty : tx);
            Acc v = 0;
            if (i < p.m && q < p.k) v = load_acc<Acc>(a + (p.ta ? q * p.lda + i : i * p.lda + q));
            if (p.ta)
              as[tx][ty] = v;
            else
              as[ty][tx] = v;
          }
          {
            const int64_t q = k0 + (p.tb ? tx : ty), j = col0 + (p.tb ? ty : tx);
            Acc v = 0;
            if (q < p.k && j < p.n) v = load_acc<Acc>(b + (p.tb ? j * p.ldb + q : q * p.ldb + j));
            if (p.tb)
              bs[tx][ty] = v;
            else
              bs[ty][tx] = v;
          }
          __syncthreads();
#pragma unroll
          for (int q = 0; q < kTile; ++q) acc += as[ty][q] * bs[q][tx];
          __syncthreads();
        }
        const int64_t i = row0 + ty, j = col0 + tx;
        if (i < p.m && j < p.n) {
          Out* o = d + i * p.ldd + j;
          Acc v = p.k > 0 ? alpha * acc : Acc(0);  // k == 0: beta * D even for an infinite alpha
          if (beta != Acc(0)) v += beta * load_acc<Acc>(o);
          if constexpr (std::is_same_v<Out, bool>) {
            *o = v != 0;
          } else if constexpr (std::is_integral_v<Out>) {
            *o = static_cast<Out>(v);  // wraps modulo 2^bits, as the CPU kernel
          } else {
            *o = convert_value<Out>(v);
          }
        }
      }
    }
  }
}

template <class T, class Out, class Acc>
void launch(const Args& a, Acc alpha, Acc beta, cudaStream_t stream) {
  const dim3 block(kTile, kTile);
  const int64_t gx = (a.n + kTile - 1) / kTile, gy = (a.m + kTile - 1) / kTile;
  const dim3 grid(static_cast<unsigned>(std::min<int64_t>(gx, 1 << 20)),
                  static_cast<unsigned>(std::min<int64_t>(gy, 65535)),
                  static_cast<unsigned>(std::min<int64_t>(a.count, 65535)));
  naive_gemm_kernel<T, Out, Acc><<<grid, block, 0, stream>>>(a, alpha, beta);
  TS_CUDA_CHECK(cudaGetLastError());
}

}  // namespace

void launch_naive_gemm(const GemmDesc& g, int64_t alpha_i, int64_t beta_i, cudaStream_t stream) {
  if (g.m <= 0 || g.n <= 0 || g.count <= 0) return;
  Args a{static_cast<const char*>(g.a.ptr),
         static_cast<const char*>(g.b.ptr),
         static_cast<char*>(g.d),
         g.m,
         g.n,
         g.k,
         g.count,
         g.a.ld,
         g.b.ld,
         g.ldd,
         g.a.batch_stride,
         g.b.batch_stride,
         g.d_batch_stride,
         g.a.trans,
         g.b.trans};
  const DType in = g.in_dtype, out = g.out_dtype;
  if (in != out) {
    TS_CHECK((in == DType::Float16 || in == DType::BFloat16) && out == DType::Float32,
             "[matmul] unsupported GEMM dtypes ", dtype_name(in), " -> ", dtype_name(out));
    const float al = static_cast<float>(g.alpha), be = static_cast<float>(g.beta);
    if (in == DType::Float16) return launch<__half, float, float>(a, al, be, stream);
    return launch<__nv_bfloat16, float, float>(a, al, be, stream);
  }
  switch (in) {
    case DType::Float64:
      return launch<double, double, double>(a, g.alpha, g.beta, stream);
    case DType::Float32:
      return launch<float, float, float>(a, static_cast<float>(g.alpha), static_cast<float>(g.beta), stream);
    case DType::Float16:
      return launch<__half, __half, float>(a, static_cast<float>(g.alpha), static_cast<float>(g.beta), stream);
    case DType::BFloat16:
      return launch<__nv_bfloat16, __nv_bfloat16, float>(a, static_cast<float>(g.alpha), static_cast<float>(g.beta),
                                                         stream);
    case DType::Bool:
      return launch<bool, bool, int64_t>(a, alpha_i, beta_i, stream);
    case DType::UInt8:
      return launch<uint8_t, uint8_t, int64_t>(a, alpha_i, beta_i, stream);
    case DType::Int8:
      return launch<int8_t, int8_t, int64_t>(a, alpha_i, beta_i, stream);
    case DType::Int16:
      return launch<int16_t, int16_t, int64_t>(a, alpha_i, beta_i, stream);
    case DType::Int32:
      return launch<int32_t, int32_t, int64_t>(a, alpha_i, beta_i, stream);
    case DType::Int64:
      return launch<int64_t, int64_t, int64_t>(a, alpha_i, beta_i, stream);
  }
}

}  // namespace tessera::cuda::blas

// GradScaler kernels. Unscale: a multi-tensor apply (as PyTorch's multi_tensor_apply): each block
// takes one 64K-element chunk of one tensor, described by a table passed by value as the kernel
// argument, so a list of any length runs in a few launches with no device-side metadata. Each
// block checks for inf/NaN in opmath, unscales with 16-byte vector loads when aligned, and ORs its
// flag into found_inf (a plain store of 1.0f: every writer writes the same value).
#include "cuda/kernels/amp/amp_launch.h"
#include "cuda/kernels/launch_utils.cuh"
#include "cuda/runtime/cuda_check.h"

namespace tessera::cuda {
namespace {

constexpr int kMaxTensors = 110;  // per launch: the table stays under the 4 KB argument limit
constexpr int kMaxBlocks = 320;
constexpr int64_t kChunk = 65536;
constexpr int kThreads = 512;

struct TensorTable {
  void* addr[kMaxTensors];
  int64_t numel[kMaxTensors];
  unsigned char block_to_tensor[kMaxBlocks];
  int block_to_chunk[kMaxBlocks];
};
static_assert(sizeof(TensorTable) <= 4000, "kernel argument too large");

template <class T, int N>
struct alignas(16) Pack {
  T v[N];
};

template <class T>
__device__ __forceinline__ bool unscale_one(T& x, float inv, bool write) {
  const auto a = to_opmath(x);
  const bool bad = !isfinite(a);
  if (write) x = convert_value<T>(a * inv);  // float64 keeps double math: a * (double)inv
  return bad;
}

template <class T>
__global__ void __launch_bounds__(kThreads)
    amp_unscale_kernel(TensorTable table, float* found_inf, const float* inv_scale) {
  const int t = table.block_to_tensor[blockIdx.x];
  const int64_t start = static_cast<int64_t>(table.block_to_chunk[blockIdx.x]) * kChunk;
  const int64_t left = table.numel[t] - start;
  const int64_t n = left < kChunk ? left : kChunk;
  T* p = static_cast<T*>(table.addr[t]) + start;
  const float inv = *inv_scale;
  const bool write = inv != 1.f;  // the inf check of optimizers that unscale themselves only reads
  bool bad = false;
  int64_t done = 0;
  constexpr int kVec = 16 / sizeof(T);
  if (reinterpret_cast<uintptr_t>(p) % 16 == 0) {
    using V = Pack<T, kVec>;
    V* pv = reinterpret_cast<V*>(p);
    const int64_t nvec = n / kVec;
    for (int64_t i = threadIdx.x; i < nvec; i += blockDim.x) {
      V x = pv[i];
#pragma unroll
      for (int k = 0; k < kVec; ++k) bad |= unscale_one(x.v[k], inv, write);
      if (write) pv[i] = x;
    }
    done = nvec * kVec;
  }
  for (int64_t i = done + threadIdx.x; i < n; i += blockDim.x) bad |= unscale_one(p[i], inv, write);
  if (__syncthreads_or(bad) && threadIdx.x == 0) *found_inf = 1.f;
}

template <class T>
void unscale_typed(const AmpTensor* tensors, int count, float* found_inf, const float* inv_scale, cudaStream_t stream) {
  TensorTable table;
  int nt = 0, nb = 0;
  auto launch = [&] {
    amp_unscale_kernel<T><<<nb, kThreads, 0, stream>>>(table, found_inf, inv_scale);
    TS_CUDA_CHECK(cudaGetLastError());
    nb = 0;
  };
  for (int i = 0; i < count; ++i) {
    const int64_t n = tensors[i].numel;
    if (n == 0) continue;
    table.addr[nt] = tensors[i].data;
    table.numel[nt] = n;
    const int64_t chunks = (n + kChunk - 1) / kChunk;
    for (int64_t c = 0; c < chunks; ++c) {
      table.block_to_tensor[nb] = static_cast<unsigned char>(nt);
      table.block_to_chunk[nb] = static_cast<int>(c);
      ++nb;
      const bool last_chunk = c == chunks - 1;
      if (nb == kMaxBlocks || (last_chunk && nt + 1 == kMaxTensors)) {
        launch();
        if (last_chunk) {
          nt = -1;  // the next tensor starts a fresh table
        } else {    // the tensor continues in the next launch, as entry 0
          table.addr[0] = table.addr[nt];
          table.numel[0] = table.numel[nt];
          nt = 0;
        }
      }
    }
    ++nt;
  }
  if (nb > 0) launch();
}

__global__ void amp_update_scale_kernel(float* scale, int32_t* tracker, const float* found_inf, double growth,
                                        double backoff, int64_t interval) {
  if (*found_inf) {
    *scale = static_cast<float>(*scale * backoff);
    *tracker = 0;
    return;
  }
  const int64_t successful = static_cast<int64_t>(*tracker) + 1;
  if (successful == interval) {
    const float grown = static_cast<float>(*scale * growth);
    if (isfinite(grown)) *scale = grown;  // never grow past float32's range to inf
    *tracker = 0;
  } else {
    *tracker = static_cast<int32_t>(successful);
  }
}

}  // namespace

void launch_amp_unscale(const AmpTensor* tensors, int count, DType dtype, float* found_inf, const float* inv_scale,
                        cudaStream_t stream) {
  TS_CUDA_DISPATCH_FLOATING_TYPES(dtype,
                                  [&] { unscale_typed<scalar_t>(tensors, count, found_inf, inv_scale, stream); });
}

void launch_amp_update_scale(float* scale, int32_t* growth_tracker, const float* found_inf, double growth_factor,
                             double backoff_factor, int64_t growth_interval, cudaStream_t stream) {
  amp_update_scale_kernel<<<1, 1, 0, stream>>>(scale, growth_tracker, found_inf, growth_factor, backoff_factor,
                                               growth_interval);
  TS_CUDA_CHECK(cudaGetLastError());
}

}  // namespace tessera::cuda

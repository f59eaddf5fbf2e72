// Copying shape-op kernels: cat of contiguous inputs (one launch per kCatBatch inputs, the work
// split into equal byte chunks so that big and small inputs balance), flip (signed strides) and
// tril/triu (a per-element mask). Elements move as raw words of their size.
#include "cuda/kernels/ew/elementwise.cuh"
#include "cuda/kernels/shape_copy/shape_copy_launch.h"
#include "cuda/runtime/cuda_check.h"

namespace tessera::cuda {
namespace {

// ---- cat: chunk c of the batch belongs to the input j with first_chunk[j] <= c < first_chunk[j + 1];
// its bytes p of that input land at row p / block, column p % block of the output.

template <class U>
__device__ __forceinline__ void cat_chunk(char* out, const CatBatch& b, int j, int64_t begin, int64_t end) {
  const char* src = b.src[j];
  const int64_t block = b.block_bytes[j], row_bytes = b.row_bytes, dst_off = b.dst_offset[j];
  for (int64_t p = begin + threadIdx.x * static_cast<int64_t>(sizeof(U)); p < end;
       p += static_cast<int64_t>(blockDim.x) * sizeof(U)) {
    const int64_t row = p / block;
    *reinterpret_cast<U*>(out + row * row_bytes + dst_off + (p - row * block)) = *reinterpret_cast<const U*>(src + p);
  }
}

__global__ void cat_kernel(char* out, const __grid_constant__ CatBatch b) {
  const int64_t chunks = b.first_chunk[b.count];
  for (int64_t c = blockIdx.x; c < chunks; c += gridDim.x) {
    int j = 0;
    while (b.first_chunk[j + 1] <= c) ++j;  // at most kCatBatch steps, uniform across the block
    const int64_t total = b.rows * b.block_bytes[j];
    const int64_t begin = (c - b.first_chunk[j]) * kCatChunkBytes;
    const int64_t end = begin + kCatChunkBytes < total ? begin + kCatChunkBytes : total;
    switch (b.unit[j]) {
      case 16:
        cat_chunk<uint4>(out, b, j, begin, end);
        break;
      case 8:
        cat_chunk<uint64_t>(out, b, j, begin, end);
        break;
      case 4:
        cat_chunk<uint32_t>(out, b, j, begin, end);
        break;
      case 2:
        cat_chunk<uint16_t>(out, b, j, begin, end);
        break;
      default:
        cat_chunk<uint8_t>(out, b, j, begin, end);
        break;
    }
  }
}

// ---- flip: out[i] = in[sum of coordinate * signed stride].

template <class T, class index_t>
__global__ void flip_kernel(T* out, const T* in, index_t n, const __grid_constant__ FlipLayout l) {
  const index_t stride = static_cast<index_t>(gridDim.x) * blockDim.x;
  for (index_t i = static_cast<index_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    index_t rem = i, off = 0;
    for (int d = 0; d < l.ndim; ++d) {
      const index_t size = static_cast<index_t>(l.sizes[d]);
      const index_t q = rem / size;
      off += (rem - q * size) * static_cast<index_t>(l.strides[d]);
      rem = q;
    }
    out[i] = in[off];
  }
}

// ---- tril / triu: element (b, r, c) is kept where c - r <= k (tril) or c - r >= k (triu).

template <class T>
__global__ void trilu_kernel(T* out, const T* in, int64_t numel, const __grid_constant__ TriluArgs a) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < numel; i += stride) {
    const int64_t c = i % a.n, t = i / a.n;
    const int64_t r = t % a.m;
    int64_t mat = t / a.m, in_off = r * a.in_rs + c * a.in_cs, out_off = r * a.out_rs + c * a.out_cs;
    for (int d = 0; d < a.nbatch; ++d) {
      const int64_t q = mat / a.batch_sizes[d], idx = mat - q * a.batch_sizes[d];
      in_off += idx * a.in_batch_strides[d];
      out_off += idx * a.out_batch_strides[d];
      mat = q;
    }
    const bool keep = a.upper ? c - r >= a.diagonal : c - r <= a.diagonal;
    if (!keep) {
      out[out_off] = T(0);
    } else if (!a.inplace) {
      out[out_off] = in[in_off];
    }
  }
}

template <class F>
void dispatch_elem(int elem, F&& f) {
  switch (elem) {
    case 1:
      return f.template operator()<uint8_t>();
    case 2:
      return f.template operator()<uint16_t>();
    case 4:
      return f.template operator()<uint32_t>();
    default:
      return f.template operator()<uint64_t>();
  }
}

// Whether every offset of the flip fits signed 32-bit arithmetic.
bool flip_fits_32bit(int64_t n, const FlipLayout& l) {
  if (n > INT32_MAX) return false;
  int64_t extent = 0;
  for (int d = 0; d < l.ndim; ++d) extent += (l.sizes[d] - 1) * (l.strides[d] < 0 ? -l.strides[d] : l.strides[d]);
  return extent <= INT32_MAX;
}

}  // namespace

void launch_cat(char* out, const CatBatch& batch, cudaStream_t stream) {
  const int64_t chunks = batch.first_chunk[batch.count];
  if (chunks == 0) return;
  cat_kernel<<<static_cast<unsigned>(chunks < 65535 * 8 ? chunks : 65535 * 8), 256, 0, stream>>>(out, batch);
  TS_CUDA_CHECK(cudaGetLastError());
}

void launch_flip(void* out, const void* in, int elem_size, int64_t n, const FlipLayout& layout, cudaStream_t stream) {
  if (n == 0) return;
  const unsigned blocks = ew::blocks_for(n);
  dispatch_elem(elem_size, [&]<class T>() {
    if (flip_fits_32bit(n, layout)) {
      flip_kernel<T, int32_t><<<blocks, kThreadsPerBlock, 0, stream>>>(static_cast<T*>(out), static_cast<const T*>(in),
                                                                       static_cast<int32_t>(n), layout);
    } else {
      flip_kernel<T, int64_t>
          <<<blocks, kThreadsPerBlock, 0, stream>>>(static_cast<T*>(out), static_cast<const T*>(in), n, layout);
    }
  });
  TS_CUDA_CHECK(cudaGetLastError());
}

void launch_trilu(void* out, const void* in, int elem_size, int64_t numel, const TriluArgs& args, cudaStream_t stream) {
  if (numel == 0) return;
  const unsigned blocks = ew::blocks_for(numel);
  dispatch_elem(elem_size, [&]<class T>() {
    trilu_kernel<T>
        <<<blocks, kThreadsPerBlock, 0, stream>>>(static_cast<T*>(out), static_cast<const T*>(in), numel, args);
  });
  TS_CUDA_CHECK(cudaGetLastError());
}

}  // namespace tessera::cuda

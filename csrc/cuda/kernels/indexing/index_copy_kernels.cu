// Gather (index, index_select, gather, take) and assigning scatter (index_put_, scatter_,
// index_copy_, index_fill_, put_) kernels of the index iterator. Elements move as raw words of
// their size, so these kernels dispatch on the element size only, as the CPU ones do. Two paths:
// - rows: the innermost dim is dense in both data operands and no index moves along it (x[idx]
//   on a matrix, index_select along dim 0, index_put_ of rows): one warp per chunk of a row, the
//   indices read once per chunk, 16-byte vector copies where the rows are aligned;
// - elements: one element per thread through the offset calculator (32-bit where it fits).
#include "cuda/kernels/indexing/index_offsets.cuh"
#include "cuda/kernels/row_copy.cuh"

namespace tessera::cuda {
namespace indexing {
namespace {

template <class T, int NI, class index_t, bool kGather>
__global__ void index_copy_kernel(Ptrs<2 + NI> p, const __grid_constant__ ew::OffsetCalc<2 + NI, index_t> calc,
                                  index_t n, IndexBounds b, unsigned long long* error) {
  const index_t stride = static_cast<index_t>(gridDim.x) * blockDim.x;
  for (index_t i = static_cast<index_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    index_t off[2 + NI];
    calc.get(i, off);
    int64_t extra;
    const bool ok = index_offset<NI>(p.data, off, b, extra);
    if constexpr (kGather) {
      // A bad element's output is zero (only seen while capturing, where no error can be raised).
      *reinterpret_cast<T*>(p.data[0] + off[0]) = ok ? *reinterpret_cast<const T*>(p.data[1] + off[1] + extra) : T(0);
    } else if (ok) {
      *reinterpret_cast<T*>(p.data[0] + off[0] + extra) = *reinterpret_cast<const T*>(p.data[1] + off[1]);
    }
    if (!ok) record_bad(error, static_cast<int64_t>(i));
  }
}

template <int NI, bool kGather>
__global__ void index_rows_kernel(Ptrs<2 + NI> p, const __grid_constant__ ew::OffsetCalc<2 + NI, int64_t> outer,
                                  int64_t rows, int64_t row_elems, int64_t row_bytes, int64_t chunks, int elem,
                                  IndexBounds b, unsigned long long* error) {
  const int lane = threadIdx.x & 31;
  const int64_t nwarps = (static_cast<int64_t>(gridDim.x) * blockDim.x) >> 5;
  const int64_t work = rows * chunks;
  for (int64_t w = (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) >> 5; w < work; w += nwarps) {
    const int64_t r = w / chunks, c = w - r * chunks;
    int64_t off[2 + NI];
    outer.get(r, off);
    int64_t extra;
    if (!index_offset<NI>(p.data, off, b, extra)) {
      if (lane == 0 && c == 0) record_bad(error, r * row_elems);
      continue;  // a gathered row stays unwritten: only seen while capturing
    }
    char* dst = p.data[0] + off[0] + (kGather ? 0 : extra);
    const char* src = p.data[1] + off[1] + (kGather ? extra : 0);
    const int64_t begin = c * kRowChunkBytes;
    warp_copy_bytes(dst, src, begin, begin + kRowChunkBytes < row_bytes ? begin + kRowChunkBytes : row_bytes, elem,
                    lane);
  }
}

// Rows worth a warp each: dense innermost dim in operands 0 and 1, no index moving along it.
bool use_rows(const IndexLaunch& a, int elem) {
  const auto& l = a.layout;
  if (l.ndim < 1 || l.strides[0][0] != elem || l.strides[1][0] != elem) return false;
  for (int k = 0; k < a.bounds.n; ++k)
    if (l.strides[2 + k][0] != 0) return false;
  return l.sizes[0] * elem >= 256;
}

template <bool kGather>
void launch_copy(const IndexLaunch& a, int elem, cudaStream_t stream) {
  if (a.n == 0) return;
  if (use_rows(a, elem)) {
    const int64_t row_elems = a.layout.sizes[0], rows = a.n / row_elems, row_bytes = row_elems * elem;
    const int64_t chunks = (row_bytes + kRowChunkBytes - 1) / kRowChunkBytes;
    dispatch_nidx(a.bounds.n, [&]<int NI>() {
      index_rows_kernel<NI, kGather>
          <<<blocks_for_warps(rows * chunks, kThreadsPerBlock), kThreadsPerBlock, 0, stream>>>(
              make_ptrs<2 + NI>(a), make_calc<2 + NI, int64_t>(a, 1), rows, row_elems, row_bytes, chunks, elem,
              a.bounds, a.error);
    });
    TS_CUDA_CHECK(cudaGetLastError());
    return;
  }
  auto run = [&]<class T>() {
    dispatch_nidx(a.bounds.n, [&]<int NI>() {
      const unsigned blocks = ew::blocks_for(a.n);
      if (fits_32bit(a, 2 + NI)) {
        index_copy_kernel<T, NI, uint32_t, kGather><<<blocks, kThreadsPerBlock, 0, stream>>>(
            make_ptrs<2 + NI>(a), make_calc<2 + NI, uint32_t>(a), static_cast<uint32_t>(a.n), a.bounds, a.error);
      } else {
        index_copy_kernel<T, NI, int64_t, kGather><<<blocks, kThreadsPerBlock, 0, stream>>>(
            make_ptrs<2 + NI>(a), make_calc<2 + NI, int64_t>(a), a.n, a.bounds, a.error);
      }
    });
  };
  switch (elem) {
    case 1:
      run.template operator()<uint8_t>();
      break;
    case 2:
      run.template operator()<uint16_t>();
      break;
    case 4:
      run.template operator()<uint32_t>();
      break;
    default:
      run.template operator()<uint64_t>();
      break;
  }
  TS_CUDA_CHECK(cudaGetLastError());
}

}  // namespace
}  // namespace indexing

void launch_index_gather(const IndexLaunch& a, int elem_size, cudaStream_t stream) {
  indexing::launch_copy<true>(a, elem_size, stream);
}

void launch_index_assign(const IndexLaunch& a, int elem_size, cudaStream_t stream) {
  indexing::launch_copy<false>(a, elem_size, stream);
}

}  // namespace tessera::cuda

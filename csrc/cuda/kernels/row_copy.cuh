#pragma once
// Row copies by one warp, for the gather-style kernels (index rows, embedding, cat): rows are
// split into chunks of kRowChunkBytes so that a few long rows and many short rows both spread
// over the GPU, and each chunk moves in 16-byte vectors when both rows are 16-byte aligned.
#include <cuda_runtime_api.h>

#include <cstdint>

namespace tessera::cuda {

constexpr int kRowChunkBytes = 32 * 16 * 4;  // one warp, four 16-byte vectors per lane

template <class U>
__device__ __forceinline__ void warp_copy_units(char* dst, const char* src, int64_t begin, int64_t end, int lane) {
  constexpr int64_t kStep = 32 * static_cast<int64_t>(sizeof(U));
  for (int64_t p = begin + lane * static_cast<int64_t>(sizeof(U)); p < end; p += kStep)
    *reinterpret_cast<U*>(dst + p) = *reinterpret_cast<const U*>(src + p);
}

// Copies bytes [begin, end) of a row (`begin` a multiple of 16, the row length a multiple of
// `elem`, both rows `elem`-aligned) with the 32 lanes of a warp.
__device__ __forceinline__ void warp_copy_bytes(char* dst, const char* src, int64_t begin, int64_t end, int elem,
                                                int lane) {
  if (((reinterpret_cast<uintptr_t>(dst) | reinterpret_cast<uintptr_t>(src)) & 15) == 0) {
    const int64_t vend = begin + (end - begin) / 16 * 16;
    warp_copy_units<uint4>(dst, src, begin, vend, lane);
    begin = vend;
  }
  switch (elem) {
    case 8:
      return warp_copy_units<uint64_t>(dst, src, begin, end, lane);
    case 4:
      return warp_copy_units<uint32_t>(dst, src, begin, end, lane);
    case 2:
      return warp_copy_units<uint16_t>(dst, src, begin, end, lane);
    default:
      return warp_copy_units<uint8_t>(dst, src, begin, end, lane);
  }
}

// Blocks of kThreadsPerBlock threads for `warp_items` warp-sized work items (grid-stride beyond).
inline unsigned blocks_for_warps(int64_t warp_items, int threads_per_block) {
  const int64_t warps = threads_per_block / 32;
  const int64_t b = (warp_items + warps - 1) / warps;
  return static_cast<unsigned>(b < 1 ? 1 : (b > 65535 * 8 ? 65535 * 8 : b));
}

}  // namespace tessera::cuda

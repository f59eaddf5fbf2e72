// CUDA implementations of the copying shape-op stubs (ops/shape_copy_stubs.h): cat of contiguous
// inputs, flip and tril/triu. The host turns the tensors into plain layouts; the kernels live in
// csrc/cuda/kernels/shape_copy.
#include <algorithm>
#include <vector>

#include "core/tensor.h"
#include "cuda/kernels/shape_copy/shape_copy_launch.h"
#include "cuda/runtime/device.h"
#include "cuda/runtime/stream.h"
#include "ops/shape_copy_stubs.h"

namespace tessera::cuda {
namespace {

// The widest copy unit (16, 8, 4, 2 or 1 bytes) that divides every value in `vals`.
int widest_unit(std::initializer_list<int64_t> vals) {
  for (int u = 16; u > 1; u /= 2) {
    bool ok = true;
    for (int64_t v : vals) ok = ok && v % u == 0;
    if (ok) return u;
  }
  return 1;
}

// One launch per kCatBatch inputs; each input's rows are split into chunks of kCatChunkBytes.
void cat_contig_cuda(const Tensor& out, TensorList inputs, int64_t dim) {
  const int64_t item = static_cast<int64_t>(out.itemsize());
  int64_t rows = 1;
  for (int64_t d = 0; d < dim; ++d) rows *= out.sizes()[d];
  if (rows == 0 || inputs.empty()) return;
  int64_t row_bytes = 0;
  for (const Tensor& t : inputs) row_bytes += t.numel() / rows * item;
  const int device = out.device().index;
  DeviceGuard guard(device);
  const cudaStream_t stream = current_stream(device).handle();
  char* dst = static_cast<char*>(out.data_ptr());
  const auto out_addr = static_cast<int64_t>(reinterpret_cast<uintptr_t>(dst));
  int64_t dst_offset = 0;
  for (size_t first = 0; first < inputs.size(); first += kCatBatch) {
    CatBatch b;
    b.rows = rows;
    b.row_bytes = row_bytes;
    b.count = static_cast<int>(std::min<size_t>(kCatBatch, inputs.size() - first));
    for (int j = 0; j < b.count; ++j) {
      const Tensor& t = inputs[first + j];
      const int64_t block = t.numel() / rows * item;
      b.src[j] = static_cast<const char*>(t.data_ptr());
      b.block_bytes[j] = block;
      b.dst_offset[j] = dst_offset;
      const auto src_addr = static_cast<int64_t>(reinterpret_cast<uintptr_t>(b.src[j]));
      b.unit[j] = widest_unit({block, dst_offset, rows > 1 ? row_bytes : 0, src_addr, out_addr});
      b.first_chunk[j + 1] = b.first_chunk[j] + (rows * block + kCatChunkBytes - 1) / kCatChunkBytes;
      dst_offset += block;
    }
    launch_cat(dst, b, stream);
  }
}

void flip_cuda(const Tensor& out, const Tensor& self, IntArrayRef dims) {
  const int64_t nd = self.dim();
  std::vector<bool> flipped(static_cast<size_t>(std::max<int64_t>(nd, 1)), false);
  for (int64_t d : dims) flipped[d] = true;
  // Signed strides (flipped dims start at their last element), size-1 dims dropped, neighbours
  // merged where the strides allow; then innermost first for the kernel.
  int64_t base = 0;
  DimVector sizes, strides;
  for (int64_t d = 0; d < nd; ++d) {
    int64_t size = self.sizes()[d], stride = self.strides()[d];
    if (size == 1) continue;
    if (flipped[d]) {
      base += (size - 1) * stride;
      stride = -stride;
    }
    if (!sizes.empty() && strides.back() == stride * size) {
      sizes.back() *= size;
      strides.back() = stride;
    } else {
      sizes.push_back(size);
      strides.push_back(stride);
    }
  }
  TS_CHECK_NOT_IMPLEMENTED(sizes.size() <= static_cast<size_t>(kMaxKernelDims), "[flip] CUDA flip supports at most ",
                           kMaxKernelDims, " non-mergeable dimensions, got ", sizes.size());
  FlipLayout l;
  l.ndim = static_cast<int>(sizes.size());
  for (int d = 0; d < l.ndim; ++d) {
    l.sizes[d] = sizes[l.ndim - 1 - d];
    l.strides[d] = strides[l.ndim - 1 - d];
  }
  const int64_t item = static_cast<int64_t>(self.itemsize());
  const int device = out.device().index;
  DeviceGuard guard(device);
  launch_flip(out.data_ptr(), static_cast<const char*>(self.data_ptr()) + base * item, static_cast<int>(item),
              out.numel(), l, current_stream(device).handle());
}

void trilu_cuda(const Tensor& out, const Tensor& self, int64_t diagonal, bool upper) {
  if (out.numel() == 0) return;
  const int64_t nd = self.dim();
  TS_CHECK_NOT_IMPLEMENTED(nd - 2 <= kMaxKernelDims, "[", upper ? "triu" : "tril", "] CUDA kernels support at most ",
                           kMaxKernelDims, " batch dimensions, got ", nd - 2);
  TriluArgs a;
  a.m = self.sizes()[nd - 2];
  a.n = self.sizes()[nd - 1];
  a.in_rs = self.strides()[nd - 2], a.in_cs = self.strides()[nd - 1];
  a.out_rs = out.strides()[nd - 2], a.out_cs = out.strides()[nd - 1];
  a.diagonal = std::clamp<int64_t>(diagonal, -a.m - 1, a.n + 1);
  a.upper = upper;
  a.inplace = out.is_same(self);
  a.nbatch = static_cast<int>(nd - 2);
  for (int d = 0; d < a.nbatch; ++d) {  // innermost batch dim first
    const int64_t src = nd - 3 - d;
    a.batch_sizes[d] = self.sizes()[src];
    a.in_batch_strides[d] = self.strides()[src];
    a.out_batch_strides[d] = out.strides()[src];
  }
  const int device = out.device().index;
  DeviceGuard guard(device);
  launch_trilu(out.data_ptr(), self.data_ptr(), static_cast<int>(self.itemsize()), out.numel(), a,
               current_stream(device).handle());
}

}  // namespace

TS_REGISTER_STUB(cat_contig_stub, CUDA, &cat_contig_cuda);
TS_REGISTER_STUB(flip_stub, CUDA, &flip_cuda);
TS_REGISTER_STUB(trilu_stub, CUDA, &trilu_cuda);

}  // namespace tessera::cuda

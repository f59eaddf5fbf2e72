// CUDA implementations of the index-driven NN stubs: embedding (ops/nn_stubs.h) and its backward
// (ops/nn_backward_stubs.h), one_hot and the reflect/replicate/circular paddings.
#include "core/tensor.h"
#include "cuda/index_error_check.h"
#include "cuda/kernels/nn_index/nn_index_launch.h"
#include "cuda/runtime/device.h"
#include "cuda/runtime/stream.h"
#include "ops/copy.h"
#include "ops/nn_backward_stubs.h"
#include "ops/nn_stubs.h"

namespace tessera::cuda {
namespace {

[[noreturn]] void embedding_out_of_range(int64_t v, int64_t rows) {
  TS_FAIL(Index, "[embedding] index out of range in self (index ", v, ", num_embeddings ", rows, ")");
}

void embedding_cuda(const Tensor& out, const Tensor& weight, const Tensor& indices) {
  const int64_t n = indices.numel(), rows = weight.sizes()[0], d = weight.sizes()[1];
  if (n == 0) return;
  const bool idx64 = indices.dtype() == DType::Int64;
  if (d == 0) {  // nothing to copy, but the CPU kernel still checks every index (rare: on the host)
    Tensor host = ops::to(indices, Device(), DType::Int64);
    const int64_t* p = host.data<int64_t>();
    for (int64_t i = 0; i < n; ++i)
      if (p[i] < 0 || p[i] >= rows) embedding_out_of_range(p[i], rows);
    return;
  }
  const Device device = weight.device();
  DeviceGuard guard(device.index);
  const cudaStream_t stream = current_stream(device.index).handle();
  FirstBadIndex bad(device, stream);
  EmbeddingArgs a;
  a.out = out.data_ptr();
  a.weight = weight.data_ptr();
  a.idx = indices.data_ptr();
  a.idx64 = idx64;
  a.n = n, a.d = d, a.num_rows = rows;
  a.elem_size = static_cast<int>(weight.itemsize());
  a.row_stride = weight.strides()[0] * a.elem_size;
  a.col_stride = weight.strides()[1] * a.elem_size;
  a.error = bad.device_ptr();
  launch_embedding(a, stream);
  if (const std::optional<int64_t> i = bad.read()) {
    int64_t v = 0;
    if (idx64) {
      read_device_bytes(&v, static_cast<const int64_t*>(a.idx) + *i, sizeof(int64_t), stream);
    } else {
      int32_t v32 = 0;
      read_device_bytes(&v32, static_cast<const int32_t*>(a.idx) + *i, sizeof(int32_t), stream);
      v = v32;
    }
    embedding_out_of_range(v, rows);
  }
}

void embedding_backward_cuda(const Tensor& gw, const Tensor& g, const Tensor& indices, int64_t padding_idx) {
  const int64_t n = indices.numel(), d = gw.dim() == 2 ? gw.sizes()[1] : 1;
  if (n == 0) return;
  const int device = gw.device().index;
  DeviceGuard guard(device);
  launch_embedding_backward(gw.data_ptr(), gw.dtype(), g.data_ptr(), indices.data_ptr(),
                            indices.dtype() == DType::Int64, n, d, gw.sizes()[0], padding_idx,
                            current_stream(device).handle());
}

void one_hot_cuda(const Tensor& out, const Tensor& input) {
  if (out.numel() == 0) return;
  const int64_t n = input.numel(), classes = out.numel() / std::max<int64_t>(n, 1);
  const int device = out.device().index;
  DeviceGuard guard(device);
  launch_one_hot(static_cast<int64_t*>(out.data_ptr()), static_cast<const int64_t*>(input.data_ptr()), n, classes,
                 current_stream(device).handle());
}

void pad_index_cuda(const Tensor& out, const Tensor& in, IntArrayRef pads, int64_t mode) {
  const int64_t nd = out.dim(), npairs = static_cast<int64_t>(pads.size()) / 2;
  TS_CHECK_NOT_IMPLEMENTED(nd <= kMaxPadDims, "[pad] CUDA padding supports at most ", kMaxPadDims, " dimensions, got ",
                           nd);
  PadLayout l;
  l.ndim = static_cast<int>(nd);
  l.mode = static_cast<int>(mode);
  for (int64_t d = 0; d < nd; ++d) {
    const int64_t pi = nd - 1 - d;  // pair index of dim d
    l.out_sizes[d] = out.sizes()[d];
    l.in_sizes[d] = in.sizes()[d];
    l.in_strides[d] = in.strides()[d];
    l.padded[d] = pi < npairs;
    l.lo[d] = pi < npairs ? pads[2 * pi] : 0;
  }
  const int device = out.device().index;
  DeviceGuard guard(device);
  launch_pad_index(out.data_ptr(), in.data_ptr(), static_cast<int>(in.itemsize()), out.numel(), l,
                   current_stream(device).handle());
}

}  // namespace

TS_REGISTER_STUB(embedding_stub, CUDA, &embedding_cuda);
TS_REGISTER_STUB(embedding_backward_stub, CUDA, &embedding_backward_cuda);
TS_REGISTER_STUB(one_hot_stub, CUDA, &one_hot_cuda);
TS_REGISTER_STUB(pad_index_stub, CUDA, &pad_index_cuda);

}  // namespace tessera::cuda

// CUDA copies: on one device through the copy kernel; between host and device with
// cudaMemcpyAsync on the current stream (dtype conversion and layout changes happen on the GPU
// side where possible); between GPUs peer to peer with the two current streams ordered by events.
#include "core/tensor_impl.h"
#include "cuda/host_allocator.h"
#include "cuda/kernels/elementwise_launch.h"
#include "cuda/kernels/iterator_layout.h"
#include "cuda/runtime/cuda_check.h"
#include "cuda/runtime/device.h"
#include "cuda/runtime/stream.h"
#include "ops/copy_stub.h"
#include "ops/tensor_iterator.h"

namespace tessera::cuda {
namespace {

void copy_cuda(const TensorIterator& iter) {
  const Tensor& dst = iter.output(0);
  const Tensor& src = iter.output(1);  // operand 1: the input
  const int device = dst.device().index;
  DeviceGuard guard(device);
  launch_copy(static_cast<char*>(dst.data_ptr()), dst.dtype(), static_cast<const char*>(src.data_ptr()), src.dtype(),
              make_layout<2>(iter, "copy_"), iter.numel(), current_stream(device).handle());
}

// dst <- src, same shape, same device (CPU or one GPU), without going back through the dispatcher.
void copy_same_device(const Tensor& dst, const Tensor& src) {
  TensorIterator iter;
  iter.add_output(dst, dst.dtype()).add_input(src).build("copy_");
  if (dst.device().is_cuda()) {
    copy_cuda(iter);
  } else {
    copy_stub(dst.device(), iter);
  }
}

// A contiguous tensor with src's values in `dtype`, on src's device (src itself when it already is).
Tensor dense_as(const Tensor& src, DType dtype) {
  if (src.is_contiguous() && src.dtype() == dtype) return src;
  Tensor out = empty_tensor(src.sizes(), dtype, src.device());
  copy_same_device(out, src);
  return out;
}

size_t nbytes_of(const Tensor& t) {
  return static_cast<size_t>(t.numel()) * t.itemsize();
}

void copy_host_to_device(const Tensor& dst, const Tensor& src, bool non_blocking) {
  const int device = dst.device().index;
  DeviceGuard guard(device);
  const Stream stream = current_stream(device);
  // Layout changes on the host (a CPU copy); dtype conversion on the GPU after the transfer.
  const Tensor host = dense_as(src, src.dtype());
  const bool direct = dst.is_contiguous() && dst.dtype() == host.dtype();
  const Tensor staged = direct ? dst : empty_tensor(dst.sizes(), host.dtype(), dst.device());
  // From pageable memory the call returns once the bytes are staged, so `host` may die after it.
  TS_CUDA_CHECK(
      cudaMemcpyAsync(staged.data_ptr(), host.data_ptr(), nbytes_of(host), cudaMemcpyHostToDevice, stream.handle()));
  if (!direct) copy_same_device(dst, staged);  // `staged` is freed in stream order after this kernel
  if (!non_blocking) stream.synchronize();
}

void copy_device_to_host(const Tensor& dst, const Tensor& src, bool non_blocking) {
  const int device = src.device().index;
  DeviceGuard guard(device);
  const Stream stream = current_stream(device);
  const Tensor gpu = dense_as(src, dst.dtype());  // conversion and gathering on the GPU
  const bool direct = dst.is_contiguous();
  const Tensor host = direct ? dst : empty_tensor(dst.sizes(), dst.dtype(), Device(DeviceType::CPU));
  TS_CUDA_CHECK(
      cudaMemcpyAsync(host.data_ptr(), gpu.data_ptr(), nbytes_of(gpu), cudaMemcpyDeviceToHost, stream.handle()));
  // Only a transfer straight into pinned memory may still be running when we return.
  if (!(non_blocking && direct && is_pinned(dst))) stream.synchronize();
  if (!direct) copy_same_device(dst, host);
}

void copy_device_to_device(const Tensor& dst, const Tensor& src) {
  const int src_dev = src.device().index, dst_dev = dst.device().index;
  Tensor packed;
  {
    DeviceGuard guard(src_dev);
    packed = dense_as(src, dst.dtype());
  }
  DeviceGuard guard(dst_dev);
  const Stream src_stream = current_stream(src_dev), dst_stream = current_stream(dst_dev);
  const bool direct = dst.is_contiguous();
  const Tensor landing = direct ? dst : empty_tensor(dst.sizes(), dst.dtype(), dst.device());
  enable_peer_access(dst_dev, src_dev);  // without it the copy is staged through the host
  dst_stream.wait_stream(src_stream);    // the source's producers have finished
  TS_CUDA_CHECK(cudaMemcpyPeerAsync(landing.data_ptr(), dst_dev, packed.data_ptr(), src_dev, nbytes_of(packed),
                                    dst_stream.handle()));
  if (!direct) copy_same_device(dst, landing);
  src_stream.wait_stream(dst_stream);  // the source (and `packed`) is not reused before it is read
}

void copy_between_devices(const Tensor& dst, const Tensor& src, bool non_blocking) {
  if (dst.numel() == 0) return;
  if (dst.device().is_cuda() && src.device().is_cuda()) return copy_device_to_device(dst, src);
  TS_CHECK_NOT_IMPLEMENTED(dst.device().is_cuda() ? src.device().is_cpu() : dst.device().is_cpu(),
                           "[copy_] copies between ", src.device().str(), " and ", dst.device().str(),
                           " are not supported");
  if (dst.device().is_cuda()) return copy_host_to_device(dst, src, non_blocking);
  copy_device_to_host(dst, src, non_blocking);
}

}  // namespace

TS_REGISTER_STUB(copy_stub, CUDA, &copy_cuda);
TS_REGISTER_STUB(copy_between_devices_stub, CUDA, &copy_between_devices);

}  // namespace tessera::cuda

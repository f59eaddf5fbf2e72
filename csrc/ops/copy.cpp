#include "ops/copy.h"

#include <algorithm>

#include "dispatch/boxing.h"
#include "dispatch/dispatch_stub.h"
#include "ops/copy_stub.h"
#include "ops/tensor_iterator.h"
#include "ops/view.h"

namespace tessera {

TS_DEFINE_STUB(copy_stub, "copy_", void(const TensorIterator&));
TS_DEFINE_STUB(copy_between_devices_stub, "copy_", void(const Tensor&, const Tensor&, bool));

namespace {

Tensor copy_kernel(const Tensor& self, const Tensor& src, bool non_blocking) {
  if (self.is_same(src) || self.numel() == 0) return self;
  // src broadcasts to self's shape (the iterator only broadcasts inputs among themselves).
  const bool same_shape = std::ranges::equal(self.sizes(), src.sizes());
  if (!same_shape) {
    DimVector b = broadcast_shapes(self.sizes(), src.sizes(), "copy_");
    TS_CHECK(std::ranges::equal(b, self.sizes()), "[copy_] source of shape ", shape_str(src.sizes()),
             " does not broadcast to the destination's shape ", shape_str(self.sizes()));
  }
  if (self.device() != src.device()) {
    copy_between_devices_stub(Device(DeviceType::CUDA), self, same_shape ? src : ops::expand(src, self.sizes()),
                              non_blocking);
    self.bump_version();
    return self;
  }
  TensorIterator iter;
  iter.add_output(self, self.dtype()).add_input(same_shape ? src : ops::expand(src, self.sizes())).build("copy_");
  copy_stub(self.device(), iter);
  self.bump_version();
  return self;
}

Tensor clone_kernel(const Tensor& self) {
  Tensor out = empty_tensor(self.sizes(), self.dtype(), self.device());
  ops::copy_(out, self);
  return out;
}

Tensor contiguous_kernel(const Tensor& self) { return self.is_contiguous() ? self : ops::clone(self); }

Tensor to_kernel(const Tensor& self, std::optional<Device> device, std::optional<DType> dtype, bool non_blocking,
                 bool copy) {
  Device dev = device.value_or(self.device());
  if (dev.index < 0 && dev.type == self.device().type) dev = self.device();
  DType dt = dtype.value_or(self.dtype());
  if (!copy && dev == self.device() && dt == self.dtype()) return self;
  Tensor out = empty_tensor(self.sizes(), dt, dev);
  ops::copy_(out, self, non_blocking);
  return out;
}

}  // namespace

TS_REGISTER_OP_ALL_BACKENDS("copy_(Tensor self, Tensor src, bool non_blocking=False) -> Tensor", &copy_kernel);
TS_REGISTER_OP_ALL_BACKENDS("clone(Tensor self) -> Tensor", &clone_kernel);
TS_REGISTER_OP_ALL_BACKENDS("contiguous(Tensor self) -> Tensor", &contiguous_kernel);
TS_REGISTER_OP_ALL_BACKENDS(
    "to(Tensor self, Device? device=None, ScalarType? dtype=None, bool non_blocking=False, bool copy=False) -> Tensor",
    &to_kernel);
TS_ALLOW_MIXED_DEVICES("copy_", "to");

namespace ops {

Tensor copy_(const Tensor& self, const Tensor& src, bool non_blocking) {
  static TypedOp<Tensor(const Tensor&, const Tensor&, bool)> op("copy_");
  return op(self, src, non_blocking);
}
Tensor& copy_(Tensor& self, const Tensor& src, bool non_blocking) {
  copy_(static_cast<const Tensor&>(self), src, non_blocking);
  return self;
}
Tensor clone(const Tensor& self) {
  static TypedOp<Tensor(const Tensor&)> op("clone");
  return op(self);
}
Tensor contiguous(const Tensor& self) {
  if (self.is_contiguous()) return self;  // the common case skips the dispatcher
  static TypedOp<Tensor(const Tensor&)> op("contiguous");
  return op(self);
}
Tensor to(const Tensor& self, std::optional<Device> device, std::optional<DType> dtype, bool non_blocking, bool copy) {
  static TypedOp<Tensor(const Tensor&, std::optional<Device>, std::optional<DType>, bool, bool)> op("to");
  return op(self, device, dtype, non_blocking, copy);
}

}  // namespace ops
}  // namespace tessera

#pragma once
// Copies and dtype conversion.
#include <optional>

#include "core/tensor.h"

namespace tessera::ops {

// Writes src (broadcast to self's shape, converted to self's dtype) into self.
Tensor& copy_(Tensor& self, const Tensor& src, bool non_blocking = false);
Tensor copy_(const Tensor& self, const Tensor& src, bool non_blocking = false);
// A new tensor with the same values; `to` returns self when nothing changes unless copy=true.
Tensor clone(const Tensor& self);
Tensor contiguous(const Tensor& self);
Tensor to(const Tensor& self, std::optional<Device> device, std::optional<DType> dtype, bool non_blocking = false,
          bool copy = false);

}  // namespace tessera::ops

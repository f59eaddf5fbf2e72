#pragma once
#include "core/tensor.h"

namespace tessera::ops {

Tensor add(const Tensor& self, const Tensor& other, const Scalar& alpha = 1);
Tensor add_(const Tensor& self, const Tensor& other, const Scalar& alpha = 1);

}  // namespace tessera::ops

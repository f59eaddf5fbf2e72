#pragma once
// Tensor factories (empty, zeros, full, arange, linspace, eye, *_like) and fill_/zero_.
// A `device` argument routes the call to that backend; dtype defaults follow PyTorch.
#include <optional>

#include "core/tensor.h"

namespace tessera::ops {

Tensor empty(IntArrayRef size, std::optional<DType> dtype = {}, std::optional<Device> device = {});
Tensor zeros(IntArrayRef size, std::optional<DType> dtype = {}, std::optional<Device> device = {});
Tensor ones(IntArrayRef size, std::optional<DType> dtype = {}, std::optional<Device> device = {});
// dtype defaults to the fill value's kind: bool -> bool, int -> int64, float -> float32.
Tensor full(IntArrayRef size, const Scalar& fill_value, std::optional<DType> dtype = {},
            std::optional<Device> device = {});
// dtype defaults to float32 if any argument is a float, else int64.
Tensor arange(const Scalar& start, const Scalar& end, const Scalar& step = 1, std::optional<DType> dtype = {},
              std::optional<Device> device = {});
Tensor linspace(const Scalar& start, const Scalar& end, int64_t steps, std::optional<DType> dtype = {},
                std::optional<Device> device = {});
Tensor eye(int64_t n, std::optional<int64_t> m = {}, std::optional<DType> dtype = {},
           std::optional<Device> device = {});

// Same shape as self; dtype and device default to self's.
Tensor empty_like(const Tensor& self, std::optional<DType> dtype = {}, std::optional<Device> device = {});
Tensor zeros_like(const Tensor& self, std::optional<DType> dtype = {}, std::optional<Device> device = {});
Tensor ones_like(const Tensor& self, std::optional<DType> dtype = {}, std::optional<Device> device = {});
Tensor full_like(const Tensor& self, const Scalar& fill_value, std::optional<DType> dtype = {},
                 std::optional<Device> device = {});

// In place; bump self's version. RuntimeError if the value overflows self's dtype.
Tensor fill_(const Tensor& self, const Scalar& value);
Tensor zero_(const Tensor& self);

}  // namespace tessera::ops

namespace tessera {
// RuntimeError (PyTorch's "value cannot be converted to type X without overflow") if `v` does not
// fit `dt`. Integers wrap into unsigned types from [-max, max] as in PyTorch; inf/nan pass for floats.
void check_scalar_fits(const char* op, const Scalar& v, DType dt);
// RuntimeError with PyTorch's message for a negative size entry.
void check_size_nonnegative(const char* op, IntArrayRef size);
}  // namespace tessera

#pragma once
// Reductions: sum, mean, prod, max/min, amax/amin, argmax/argmin, var/std, norm, logsumexp, any/all.
#include <optional>
#include <tuple>

#include "core/tensor.h"
#include "dispatch/boxing.h"

namespace tessera::ops {

Tensor sum(const Tensor& self, OptionalIntArrayRef dim = std::nullopt, bool keepdim = false,
           std::optional<DType> dtype = std::nullopt);
Tensor mean(const Tensor& self, OptionalIntArrayRef dim = std::nullopt, bool keepdim = false,
            std::optional<DType> dtype = std::nullopt);
Tensor prod(const Tensor& self, std::optional<int64_t> dim = std::nullopt, bool keepdim = false,
            std::optional<DType> dtype = std::nullopt);
Tensor max(const Tensor& self);
Tensor min(const Tensor& self);
std::tuple<Tensor, Tensor> max(const Tensor& self, int64_t dim, bool keepdim = false);
std::tuple<Tensor, Tensor> min(const Tensor& self, int64_t dim, bool keepdim = false);
Tensor amax(const Tensor& self, IntArrayRef dim = {}, bool keepdim = false);
Tensor amin(const Tensor& self, IntArrayRef dim = {}, bool keepdim = false);
Tensor argmax(const Tensor& self, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
Tensor argmin(const Tensor& self, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
// correction defaults to 1 (Bessel).
Tensor var(const Tensor& self, OptionalIntArrayRef dim = std::nullopt, std::optional<double> correction = std::nullopt,
           bool keepdim = false);
Tensor std(const Tensor& self, OptionalIntArrayRef dim = std::nullopt, std::optional<double> correction = std::nullopt,
           bool keepdim = false);
// Vector p-norm over dim (every dim when none): p any real, +-inf or 0.
Tensor norm(const Tensor& self, double p = 2.0, OptionalIntArrayRef dim = std::nullopt, bool keepdim = false,
            std::optional<DType> dtype = std::nullopt);
Tensor logsumexp(const Tensor& self, IntArrayRef dim, bool keepdim = false);
Tensor any(const Tensor& self, OptionalIntArrayRef dim = std::nullopt, bool keepdim = false);
Tensor all(const Tensor& self, OptionalIntArrayRef dim = std::nullopt, bool keepdim = false);

}  // namespace tessera::ops

#pragma once
// Random sampling from Philox streams (core/generator.h). Every op takes an optional generator
// (null: the default generator of the output's device) and reproduces exactly for a given
// generator state, whatever the number of threads.
#include <optional>

#include "core/tensor.h"
#include "ops/generator_arg.h"

namespace tessera::ops {

using OptGen = OptionalGenerator;

// Uniform on [0, 1); dtype floating (default float32).
Tensor rand(IntArrayRef size, const OptGen& generator = {}, std::optional<DType> dtype = {},
            std::optional<Device> device = {});
// Standard normal (Box-Muller).
Tensor randn(IntArrayRef size, const OptGen& generator = {}, std::optional<DType> dtype = {},
             std::optional<Device> device = {});
// Integers uniform on [low, high); dtype default int64.
Tensor randint(int64_t low, int64_t high, IntArrayRef size, const OptGen& generator = {},
               std::optional<DType> dtype = {}, std::optional<Device> device = {});
// A random permutation of 0..n-1; dtype default int64.
Tensor randperm(int64_t n, const OptGen& generator = {}, std::optional<DType> dtype = {},
                std::optional<Device> device = {});
Tensor rand_like(const Tensor& self, const OptGen& generator = {}, std::optional<DType> dtype = {},
                 std::optional<Device> device = {});
Tensor randn_like(const Tensor& self, const OptGen& generator = {}, std::optional<DType> dtype = {},
                  std::optional<Device> device = {});
Tensor randint_like(const Tensor& self, int64_t low, int64_t high, const OptGen& generator = {},
                    std::optional<DType> dtype = {}, std::optional<Device> device = {});
// normal(mean, std, size): a new tensor of N(mean, std^2) samples.
Tensor normal(double mean, double std, IntArrayRef size, const OptGen& generator = {}, std::optional<DType> dtype = {},
              std::optional<Device> device = {});

// In place (bump self's version).
Tensor normal_(const Tensor& self, double mean = 0, double std = 1, const OptGen& generator = {});
Tensor uniform_(const Tensor& self, double from = 0, double to = 1, const OptGen& generator = {});
Tensor exponential_(const Tensor& self, double lambd = 1, const OptGen& generator = {});
// Integers uniform on [from, to) into any dtype.
Tensor random_(const Tensor& self, int64_t from, int64_t to, const OptGen& generator = {});
Tensor bernoulli_(const Tensor& self, double p = 0.5, const OptGen& generator = {});
Tensor bernoulli_(const Tensor& self, const Tensor& p, const OptGen& generator = {});

// Samples 0/1 with probabilities `self` (floating), same dtype; bernoulli(self, p) uses p instead.
Tensor bernoulli(const Tensor& self, const OptGen& generator = {});
Tensor bernoulli(const Tensor& self, double p, const OptGen& generator = {});

}  // namespace tessera::ops

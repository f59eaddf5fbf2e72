#pragma once
#include "core/generator.h"
#include "dispatch/dispatch_stub.h"

namespace tessera {
class Tensor;

enum class RandomKind : int8_t {
  Uniform,      // a + u * (b - a), u uniform on [0, 1); results equal to b are mapped to a
  Normal,       // a + b * z, z standard normal (Box-Muller)
  Exponential,  // -log(1 - u) / a
  Integer,      // low + ((x * range) >> 32) for range <= 2^32, else low + (x64 mod range) (range 0: 2^64)
  Bernoulli,    // u < a (u = value / 2^32)
};

struct RandomParams {
  double a = 0, b = 1;
  int64_t low = 0;
  uint64_t range = 0;
};

// 32-bit values each element consumes (see core/generator.h for the stream layout).
int64_t random_values_per_element(RandomKind kind, DType dtype, const RandomParams& p);

// Fills a contiguous tensor from the stream `state` (reserved by the front-end).
TS_DECLARE_STUB(random_stub, void(const Tensor&, RandomKind, const RandomParams&, PhiloxState));
// out[i] = u_i < p[i]; out and p contiguous with out's shape, p float64 and already checked.
TS_DECLARE_STUB(bernoulli_tensor_stub, void(const Tensor&, const Tensor&, PhiloxState));
// A permutation of 0..n-1 into a contiguous 1-D tensor.
TS_DECLARE_STUB(randperm_stub, void(const Tensor&, PhiloxState));
}  // namespace tessera

#pragma once
// Bernoulli keep-mask for dropout. Placeholder generator (std::mt19937 seeded from
// std::random_device, or from dropout_manual_seed): swap for the Philox generator once it exists.
#include <cstdint>

namespace tessera {

// keep[i] = 1 with probability 1 - p, else 0.
void dropout_mask(uint8_t* keep, int64_t n, double p);
// Makes the following masks deterministic.
void dropout_manual_seed(uint64_t seed);

}  // namespace tessera

#pragma once
// Bernoulli keep-mask for dropout, drawn from the default Philox generator (so ts.manual_seed
// makes dropout reproducible): element i uses 32-bit value i of the generator's reservation.
#include <cstdint>

namespace tessera {

// keep[i] = 1 with probability 1 - p, else 0.
void dropout_mask(uint8_t* keep, int64_t n, double p);

}  // namespace tessera

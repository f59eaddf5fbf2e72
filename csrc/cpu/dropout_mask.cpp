#include "cpu/dropout_mask.h"

#include "core/generator.h"
#include "cpu/parallel.h"

namespace tessera {

void dropout_mask(uint8_t* keep, int64_t n, double p) {
  if (n <= 0) return;
  const PhiloxState st = default_generator().reserve(static_cast<uint64_t>(n));
  const float q = static_cast<float>(p);
  // One Philox call gives 4 values; u in [0, 1) so p = 0 keeps all and p = 1 drops all.
  parallel_for(0, (n + 3) / 4, 2048, [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c) {
      const auto r = philox4x32_10(st.seed, st.offset / 4 + static_cast<uint64_t>(c));
      for (int64_t k = 0; k < 4 && c * 4 + k < n; ++k) keep[c * 4 + k] = uniform_float(r[k]) >= q;
    }
  });
}

}  // namespace tessera

#include "cpu/dropout_mask.h"

#include <mutex>
#include <random>

namespace tessera {
namespace {
std::mutex g_mutex;
std::mt19937_64& engine() {
  static std::mt19937_64 e{std::random_device{}()};
  return e;
}
}  // namespace

void dropout_manual_seed(uint64_t seed) {
  std::lock_guard<std::mutex> lock(g_mutex);
  engine().seed(seed);
}

void dropout_mask(uint8_t* keep, int64_t n, double p) {
  std::lock_guard<std::mutex> lock(g_mutex);
  std::mt19937_64& e = engine();
  // Compare 53 random bits with p: exact for p = 0 (keep all) and p = 1 (drop all).
  const double q = p;
  for (int64_t i = 0; i < n; ++i) {
    const double u = static_cast<double>(e() >> 11) * 0x1.0p-53;
    keep[i] = u >= q;
  }
}

}  // namespace tessera

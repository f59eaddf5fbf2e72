#pragma once
// Counter-based random numbers: Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy
// as 1, 2, 3", SC'11). A generator is only (seed, offset): any kernel, on any device and with any
// number of threads, computes value j of its reservation directly from (seed, counter), so the
// CPU and CUDA kernels produce the same stream for the same seed and offset.
//
// The stream. `offset` counts 32-bit values consumed so far and is always a multiple of 4.
// A kernel that needs n32 values calls `reserve(n32)`, which returns the state {seed, offset}
// it may use and advances the generator's offset by n32 rounded up to a multiple of 4. Value j
// (0 <= j < n32) of that reservation is
//     philox4x32_10(seed, offset / 4 + j / 4)[j % 4]
// i.e. the key is the seed (low word, high word), the 128-bit counter is
// (low, high word of offset / 4 + j / 4, 0, 0), and each counter yields 4 values.
//
// Element i of a random op's (row-major, contiguous) output uses values
// [i * vpe, (i + 1) * vpe), where vpe ("values per element") is fixed per op and dtype:
//   uniform (rand, uniform_), exponential_:  1, or 2 for float64 (low word first, 53 bits used)
//   normal (randn, normal_):                 same as uniform; elements 2p and 2p+1 are the
//                                            Box-Muller pair of uniforms 2p and 2p+1 (a pair never
//                                            straddles two counters)
//   randint, randint_like, random_:          1 when high - low <= 2^32 (low + (x * range >> 32)),
//                                            else 2 (low + (x64 mod range), low word first)
//   bernoulli, bernoulli_:                   1 (u = value / 2^32, element = u < p)
//   randperm(n):                             1 per element (2 when n > 2^32); value i drives the
//                                            Fisher-Yates swap of position n - 1 - i
// See csrc/cpu/random_kernels.cpp for the exact transforms.
#include <array>
#include <cstdint>
#include <mutex>

#include "core/device.h"
#include "core/intrusive_ptr.h"

namespace tessera {

// One Philox4x32 block: 10 rounds over the counter (ctr_lo, ctr_hi, 0, 0) with key = seed.
inline std::array<uint32_t, 4> philox4x32_10(uint64_t seed, uint64_t counter, uint64_t subsequence = 0) {
  constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u, kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  uint32_t c0 = static_cast<uint32_t>(counter), c1 = static_cast<uint32_t>(counter >> 32);
  uint32_t c2 = static_cast<uint32_t>(subsequence), c3 = static_cast<uint32_t>(subsequence >> 32);
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  for (int r = 0; r < 10; ++r) {
    if (r) {
      k0 += kW0;
      k1 += kW1;
    }
    uint64_t p0 = static_cast<uint64_t>(kM0) * c0, p1 = static_cast<uint64_t>(kM1) * c2;
    uint32_t n0 = static_cast<uint32_t>(p1 >> 32) ^ c1 ^ k0;
    uint32_t n2 = static_cast<uint32_t>(p0 >> 32) ^ c3 ^ k1;
    c1 = static_cast<uint32_t>(p1);
    c3 = static_cast<uint32_t>(p0);
    c0 = n0;
    c2 = n2;
  }
  return {c0, c1, c2, c3};
}

// What a kernel needs to draw its values: see the stream description above.
struct PhiloxState {
  uint64_t seed = 0;
  uint64_t offset = 0;  // in 32-bit values; a multiple of 4
  // Value j of this reservation (slow path; kernels take whole blocks).
  uint32_t value(uint64_t j) const { return philox4x32_10(seed, offset / 4 + j / 4)[j % 4]; }
};

// The uniform transforms every op uses (kernels on other devices must use the same ones):
// 24 random bits -> float in [0, 1); 53 bits of (hi, lo) -> double in [0, 1).
inline float uniform_float(uint32_t x) {
  return static_cast<float>(x >> 8) * 0x1p-24f;
}
inline double uniform_double(uint32_t lo, uint32_t hi) {
  return static_cast<double>(((static_cast<uint64_t>(hi) << 32) | lo) >> 11) * 0x1p-53;
}

constexpr uint64_t kDefaultSeed = 67280421310721ull;  // PyTorch's default CPU seed

class Generator final : public RefCounted {
 public:
  explicit Generator(Device device = Device(), uint64_t seed = kDefaultSeed) : device_(device), seed_(seed) {}

  Device device() const { return device_; }
  // Sets the seed and restarts the stream at offset 0.
  void manual_seed(uint64_t seed);
  // Seeds from a non-deterministic source; returns the new seed.
  uint64_t seed();
  uint64_t initial_seed() const;
  uint64_t offset() const;
  // Claims n32 consecutive 32-bit values: returns the state to draw them from and advances the
  // offset by n32 rounded up to a multiple of 4. Thread-safe.
  PhiloxState reserve(uint64_t n32);
  // State as 16 bytes: seed then offset, little-endian.
  std::array<uint8_t, 16> get_state() const;
  // RuntimeError if the offset is not a multiple of 4.
  void set_state(const uint8_t* bytes, size_t n);

 private:
  Device device_;
  mutable std::mutex mu_;
  uint64_t seed_;
  uint64_t offset_ = 0;
};

using GeneratorPtr = IntrusivePtr<Generator>;

// The per-device-type default generator (lives for the process).
Generator& default_generator(DeviceType type = DeviceType::CPU);
GeneratorPtr default_generator_ptr(DeviceType type = DeviceType::CPU);
// `gen` if given, else the default generator of `device`'s type; RuntimeError if `gen` belongs to
// another device type than the tensor it fills.
Generator& get_generator_or_default(const Generator* gen, Device device, const char* op);

}  // namespace tessera

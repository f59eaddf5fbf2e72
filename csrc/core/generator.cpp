#include "core/generator.h"

#include <random>

#include "core/error.h"

namespace tessera {

void Generator::manual_seed(uint64_t seed) {
  std::lock_guard<std::mutex> lock(mu_);
  seed_ = seed;
  offset_ = 0;
}

uint64_t Generator::seed() {
  std::random_device rd;
  uint64_t s = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  manual_seed(s);
  return s;
}

uint64_t Generator::initial_seed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return seed_;
}

uint64_t Generator::offset() const {
  std::lock_guard<std::mutex> lock(mu_);
  return offset_;
}

PhiloxState Generator::reserve(uint64_t n32) {
  uint64_t step = (n32 + 3) / 4 * 4;
  std::lock_guard<std::mutex> lock(mu_);
  PhiloxState st{seed_, offset_};
  offset_ += step;
  return st;
}

std::array<uint8_t, 16> Generator::get_state() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::array<uint8_t, 16> out{};
  for (int i = 0; i < 8; ++i) {
    out[i] = static_cast<uint8_t>(seed_ >> (8 * i));
    out[8 + i] = static_cast<uint8_t>(offset_ >> (8 * i));
  }
  return out;
}

void Generator::set_state(const uint8_t* bytes, size_t n) {
  TS_CHECK(n == 16, "[set_state] expected a generator state of 16 bytes (seed, offset), got ", n, " bytes");
  uint64_t seed = 0, offset = 0;
  for (int i = 0; i < 8; ++i) {
    seed |= static_cast<uint64_t>(bytes[i]) << (8 * i);
    offset |= static_cast<uint64_t>(bytes[8 + i]) << (8 * i);
  }
  TS_CHECK(offset % 4 == 0, "[set_state] invalid generator state: offset ", offset, " is not a multiple of 4");
  std::lock_guard<std::mutex> lock(mu_);
  seed_ = seed;
  offset_ = offset;
}

namespace {
GeneratorPtr& default_slot(DeviceType type) {
  // Never destroyed: kernels may still draw numbers during interpreter exit.
  static GeneratorPtr* slots = new GeneratorPtr[3]{make_intrusive<Generator>(Device(DeviceType::CPU)),
                                                   make_intrusive<Generator>(Device(DeviceType::CUDA)),
                                                   make_intrusive<Generator>(Device(DeviceType::Plugin))};
  return slots[static_cast<int>(type)];
}
}  // namespace

Generator& default_generator(DeviceType type) {
  return *default_slot(type);
}
GeneratorPtr default_generator_ptr(DeviceType type) {
  return default_slot(type);
}

Generator& get_generator_or_default(const Generator* gen, Device device, const char* op) {
  if (!gen) return default_generator(device.type);
  TS_CHECK(gen->device().type == device.type, "[", op, "] Expected a '", device_type_name(device.type),
           "' device type for generator but found '", device_type_name(gen->device().type), "'");
  return *const_cast<Generator*>(gen);
}

}  // namespace tessera

#pragma once
#include <cstdint>
#include <string>

namespace tessera {

enum class DeviceType : int8_t { CPU = 0, CUDA = 1, Plugin = 2 };

struct Device {
  DeviceType type = DeviceType::CPU;
  int8_t index = -1;  // -1: the current device of that type

  constexpr Device() = default;
  constexpr Device(DeviceType t, int index_ = -1) : type(t), index(static_cast<int8_t>(index_)) {}
  static Device parse(const std::string& s);  // "cpu", "cuda", "cuda:1"

  bool is_cpu() const { return type == DeviceType::CPU; }
  bool is_cuda() const { return type == DeviceType::CUDA; }
  bool operator==(const Device& o) const { return type == o.type && index == o.index; }
  bool operator!=(const Device& o) const { return !(*this == o); }
  std::string str() const;  // "cpu", "cuda:0"
};

const char* device_type_name(DeviceType t);

}  // namespace tessera

#include "core/device.h"

#include "core/error.h"

namespace tessera {

const char* device_type_name(DeviceType t) {
  switch (t) {
    case DeviceType::CPU: return "cpu";
    case DeviceType::CUDA: return "cuda";
    case DeviceType::Plugin: return "plugin";
  }
  return "unknown";
}

Device Device::parse(const std::string& s) {
  auto colon = s.find(':');
  std::string type = s.substr(0, colon);
  int index = -1;
  if (colon != std::string::npos) {
    std::string idx = s.substr(colon + 1);
    TS_CHECK(!idx.empty() && idx.find_first_not_of("0123456789") == std::string::npos && idx.size() < 4,
             "[device] invalid device string: '", s, "'");
    index = std::stoi(idx);
  }
  if (type == "cpu") {
    TS_CHECK(index <= 0, "[device] CPU device index must be 0, got '", s, "'");
    return Device(DeviceType::CPU, -1);
  }
  if (type == "cuda") return Device(DeviceType::CUDA, index);
  if (type == "plugin") return Device(DeviceType::Plugin, index);
  TS_FAIL(Runtime, "[device] expected one of cpu, cuda, plugin device type at start of device string: ", s);
}

std::string Device::str() const {
  std::string s = device_type_name(type);
  if (index >= 0 && type != DeviceType::CPU) s += ":" + std::to_string(index);
  return s;
}

}  // namespace tessera

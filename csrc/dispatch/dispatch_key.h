#pragma once
// Dispatch keys, highest priority first. A call picks the first key of its key set that has a
// kernel; Autocast and Autograd fall through to the next key when they have none.
#include <cstdint>

#include "core/device.h"

namespace tessera {

// Autocast is set only in the thread-local included set while autocast is enabled; it sits above
// the autograd keys so that its casts are recorded (amp/autocast_mode.h). ForwardAD is set only on
// tensors that carry a tangent while a dual level is open.
enum class DispatchKey : uint8_t { Autocast = 0, ForwardAD, Autograd, Plugin, CUDA, CPU, NumKeys };
constexpr int kNumDispatchKeys = static_cast<int>(DispatchKey::NumKeys);
constexpr int kFirstBackendKey = static_cast<int>(DispatchKey::Plugin);

using DispatchKeySet = uint32_t;
constexpr DispatchKeySet key_bit(DispatchKey k) { return 1u << static_cast<int>(k); }
constexpr DispatchKeySet kBackendKeys = key_bit(DispatchKey::Plugin) | key_bit(DispatchKey::CUDA) | key_bit(DispatchKey::CPU);

constexpr DispatchKey backend_key(DeviceType t) {
  return t == DeviceType::CUDA ? DispatchKey::CUDA : t == DeviceType::Plugin ? DispatchKey::Plugin : DispatchKey::CPU;
}
const char* dispatch_key_name(DispatchKey k);

// Thread-local keys forced on (Autocast while autocast is enabled) or off (Autograd while a
// kernel redispatches below autograd).
struct LocalDispatchKeySet {
  DispatchKeySet included = 0;
  DispatchKeySet excluded = 0;
};
LocalDispatchKeySet& local_dispatch_keys();

class ExcludeDispatchKeyGuard {
 public:
  explicit ExcludeDispatchKeyGuard(DispatchKey k) : prev_(local_dispatch_keys().excluded) {
    local_dispatch_keys().excluded |= key_bit(k);
  }
  ~ExcludeDispatchKeyGuard() { local_dispatch_keys().excluded = prev_; }
  ExcludeDispatchKeyGuard(const ExcludeDispatchKeyGuard&) = delete;
  ExcludeDispatchKeyGuard& operator=(const ExcludeDispatchKeyGuard&) = delete;

 private:
  DispatchKeySet prev_;
};

}  // namespace tessera

#include "amp/autocast_mode.h"

#include <unordered_map>

#include "autograd/grad_mode.h"
#include "autograd/meta.h"
#include "core/error.h"
#include "dispatch/dispatch_key.h"
#include "ops/copy.h"

namespace tessera::autocast {

namespace {

struct CachedCast {
  Tensor source;  // keeps the key's TensorImpl alive, so a new tensor cannot reuse its address
  Tensor cast;
};

struct CacheKey {
  const TensorImpl* source;
  DType dtype;
  bool operator==(const CacheKey&) const = default;
};
struct CacheKeyHash {
  size_t operator()(const CacheKey& k) const {
    return std::hash<const void*>()(k.source) ^ static_cast<size_t>(k.dtype);
  }
};

struct State {
  bool enabled[2] = {false, false};                    // indexed by DeviceType: CPU, CUDA
  DType dtype[2] = {DType::BFloat16, DType::Float16};  // PyTorch's defaults
  bool cache_enabled = true;
  int nesting = 0;
  // Per thread (PyTorch keeps one map per process behind a mutex): no lock on the hot path, and a
  // thread leaving autocast clears only its own casts. Keyed by source and target dtype: PyTorch
  // keys by source only and hands a bfloat16 cast to a nested float16 region.
  std::unordered_map<CacheKey, CachedCast, CacheKeyHash> cache;
};

State& state() {
  thread_local State s;
  return s;
}

int index_of(DeviceType device) {
  TS_CHECK(is_available(device), "[autocast] unknown device type for autocast: '", device_type_name(device),
           "' (autocast supports 'cpu' and 'cuda')");
  return static_cast<int>(device);
}

}  // namespace

bool is_available(DeviceType device) {
  return device == DeviceType::CPU || device == DeviceType::CUDA;
}

bool is_enabled(DeviceType device) {
  return state().enabled[index_of(device)];
}

void set_enabled(DeviceType device, bool enabled) {
  State& s = state();
  s.enabled[index_of(device)] = enabled;
  DispatchKeySet& included = local_dispatch_keys().included;
  if (s.enabled[0] || s.enabled[1]) {
    included |= key_bit(DispatchKey::Autocast);
  } else {
    included &= ~key_bit(DispatchKey::Autocast);
  }
}

DType get_dtype(DeviceType device) {
  return state().dtype[index_of(device)];
}
void set_dtype(DeviceType device, DType dtype) {
  state().dtype[index_of(device)] = dtype;
}

bool is_cache_enabled() {
  return state().cache_enabled;
}
void set_cache_enabled(bool enabled) {
  state().cache_enabled = enabled;
}
int increment_nesting() {
  return ++state().nesting;
}
int decrement_nesting() {
  return --state().nesting;
}

void clear_cache() {
  // Moved out first: releasing a cast may run arbitrary destructors (graph nodes).
  std::unordered_map<CacheKey, CachedCast, CacheKeyHash> dead;
  dead.swap(state().cache);
}

size_t cache_size() {
  return state().cache.size();
}

bool is_eligible(const Tensor& t, DeviceType device) {
  return t.defined() && is_floating(t.dtype()) && t.dtype() != DType::Float64 && t.device().type == device;
}

Tensor cached_cast(DType to, const Tensor& arg, DeviceType device) {
  if (!is_eligible(arg, device) || arg.dtype() == to) return arg;
  State& s = state();
  // PyTorch's heuristic (Apex's): cache lower-precision casts of float32 weights, i.e. leaves
  // that require grad, but never in inference mode (those casts could not serve training).
  const bool can_cache = s.cache_enabled && to == s.dtype[static_cast<int>(device)] && arg.dtype() == DType::Float32 &&
                         arg.requires_grad() && !arg.impl()->view_base() && autograd::is_leaf(arg) &&
                         !autograd::inference_mode();
  if (!can_cache) return ops::to(arg, std::nullopt, to);
  const CacheKey key{arg.impl(), to};
  if (auto it = s.cache.find(key); it != s.cache.end()) return it->second.cast;
  // A cast cached under no_grad is reused with grad on: record it regardless (PyTorch #158232).
  autograd::GradModeGuard grad_on(true);
  Tensor cast = ops::to(arg, std::nullopt, to);
  s.cache.emplace(key, CachedCast{arg, cast});
  return cast;
}

}  // namespace tessera::autocast

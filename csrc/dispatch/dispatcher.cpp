#include "dispatch/dispatcher.h"

#include <algorithm>

#include "autograd/forward_ad.h"
#include "dispatch/device_check.h"

namespace tessera {

const char* dispatch_key_name(DispatchKey k) {
  constexpr const char* names[] = {"Autocast", "ForwardAD", "Autograd", "Plugin", "CUDA", "CPU"};
  return names[static_cast<int>(k)];
}

LocalDispatchKeySet& local_dispatch_keys() {
  thread_local LocalDispatchKeySet keys;
  return keys;
}

DispatchKeySet tensor_keys(const Tensor& t) {
  if (!t.defined()) return 0;
  DispatchKeySet k = key_bit(backend_key(t.device().type));
  if (t.requires_grad()) k |= key_bit(DispatchKey::Autograd);
  if (autograd::forward_ad_enabled() && autograd::has_tangent(t)) k |= key_bit(DispatchKey::ForwardAD);
  return k;
}

void Operator::no_kernel(DispatchKey k) const {
  const char* dev = k == DispatchKey::CUDA ? "cuda" : k == DispatchKey::Plugin ? "plugin" : "cpu";
  TS_FAIL(NotImplemented, "[", name(), "] has no kernel for device '", dev, "' (dispatch key ", dispatch_key_name(k),
          ")");
}

const KernelFunction& Operator::missing_autograd_kernel() {
  static const KernelFunction k = [] {
    KernelFunction f;
    f.boxed = [](const Operator& op, void*, Stack&) {
      TS_FAIL(NotImplemented, "[", op.name(), "] has no backward formula yet, but one of its inputs requires grad; "
              "call it under tessera.no_grad() or on detached inputs");
    };
    return f;
  }();
  return k;
}

void Operator::call_boxed(Stack& stack) const {
  schema_.fill_defaults(stack);
  DispatchKeySet keys = 0;
  for (const IValue& v : stack) {
    if (v.is_tensor()) {
      keys |= tensor_keys(v.get<Tensor>("Tensor"));
    } else if (v.is_tensor_list()) {
      for (const Tensor& t : v.get<std::vector<Tensor>>("Tensor[]")) keys |= tensor_keys(t);
    } else if (auto* d = std::get_if<Device>(&v.variant())) {
      keys |= key_bit(backend_key(d->type));
    }
  }
  if ((keys & key_bit(DispatchKey::CUDA)) && !mixed_devices_ok()) {
    device_check::State s;
    for (const IValue& v : stack) {
      if (v.is_tensor()) device_check::note(s, v.get<Tensor>("Tensor"));
      else if (v.is_tensor_list()) device_check::note(s, v.get<std::vector<Tensor>>("Tensor[]"));
    }
    if (s.other) device_check::fail(name().c_str(), s);
  }
  bool leaves_autocast;
  const KernelFunction& k = lookup(keys, leaves_autocast);
  if (__builtin_expect(leaves_autocast, 0)) {
    ExcludeDispatchKeyGuard no_autocast(DispatchKey::Autocast);
    return k.boxed(*this, k.ctx, stack);
  }
  k.boxed(*this, k.ctx, stack);
}

namespace device_check {
void fail(const char* op, const State& s) {
  TS_FAIL(Runtime, "[", op, "] Expected all tensors to be on the same device, but found at least two devices, ",
          s.first.str(), " and ", s.other->str(), "!");
}
}  // namespace device_check

Dispatcher::Dispatcher() : map_(new Map()) {}

Dispatcher& Dispatcher::instance() {
  static Dispatcher* d = new Dispatcher();  // never destroyed: kernels may run during exit
  return *d;
}

Operator* Dispatcher::find(const std::string& name) const {
  const Map* m = map_.load(std::memory_order_acquire);
  auto it = m->find(name);
  return it == m->end() ? nullptr : it->second;
}

Operator& Dispatcher::get(const std::string& name) const {
  Operator* op = find(name);
  TS_CHECK_VALUE(op != nullptr, "[dispatcher] no operator named '", name, "'");
  return *op;
}

Operator& Dispatcher::define(const std::string& schema_text) {
  FunctionSchema schema = FunctionSchema::parse(schema_text);
  std::lock_guard<std::mutex> lock(write_mutex_);
  const Map* old = map_.load(std::memory_order_relaxed);
  auto it = old->find(schema.name);
  if (it != old->end()) {
    TS_CHECK_VALUE(it->second->schema().text == schema_text, "[dispatcher] operator '", schema.name,
                   "' already defined with schema '", it->second->schema().text, "', not '", schema_text, "'");
    return *it->second;
  }
  auto* op = new Operator(std::move(schema));  // lives for the process: handles are cached
  auto* fresh = new Map(*old);
  (*fresh)[op->name()] = op;
  map_.store(fresh, std::memory_order_release);
  retired_maps_.emplace_back(old);
  if (auto p = pending_.find(op->name()); p != pending_.end()) {
    for (auto& [key, f] : p->second) install_locked(*op, key, f);
    pending_.erase(p);
  }
  return *op;
}

void Dispatcher::register_kernel(const std::string& name, DispatchKey key, KernelFunction f) {
  std::lock_guard<std::mutex> lock(write_mutex_);
  Operator* op = find(name);
  if (!op) {  // defined by another translation unit whose static initialisers have not run yet
    pending_[name].push_back({key, f});
    return;
  }
  install_locked(*op, key, f);
}

void Dispatcher::install_locked(Operator& op, DispatchKey key, const KernelFunction& f) {
  const std::string& name = op.name();
  if (f.typed) {
    const void* expected = nullptr;
    if (!op.signature.compare_exchange_strong(expected, f.signature)) {
      TS_CHECK_TYPE(expected == f.signature, "[dispatcher] kernel for '", name,
                    "' has a C++ signature different from the one registered first");
    }
  }
  kernels_.push_back(std::make_unique<KernelFunction>(f));
  op.set_kernel(key, kernels_.back().get());
}

std::vector<std::string> Dispatcher::pending_kernels() const {
  std::lock_guard<std::mutex> lock(const_cast<std::mutex&>(write_mutex_));
  std::vector<std::string> names;
  for (auto& [n, v] : pending_) names.push_back(n);
  return names;
}

std::vector<std::string> Dispatcher::op_names() const {
  std::vector<std::string> names;
  for (auto& [n, op] : *map_.load(std::memory_order_acquire)) names.push_back(n);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace tessera

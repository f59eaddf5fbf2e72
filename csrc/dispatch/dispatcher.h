#pragma once
// The op registry. Each operator has a schema and a kernel table indexed by dispatch key.
// Readers never lock: operator objects live forever, kernel slots are atomics, and the name
// table is an immutable map republished on every registration (read-copy-update).
#include <array>
#include <atomic>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "autograd/grad_mode.h"
#include "dispatch/dispatch_key.h"
#include "dispatch/schema.h"

namespace tessera {

class Operator;
// Boxed kernels pop their arguments from the stack and push their results.
using BoxedKernelFn = void (*)(const Operator& op, void* ctx, Stack& stack);

struct KernelFunction {
  void* typed = nullptr;      // function pointer with the op's exact C++ signature, or null
  const void* signature = nullptr;  // identity of that signature (see signature_id)
  BoxedKernelFn boxed = nullptr;
  void* ctx = nullptr;        // passed to `boxed` (the typed pointer, or a plugin's kernel)
  bool fallthrough = false;   // skip this key (non-differentiable ops in the Autograd slot)
};

template <class Sig>
const void* signature_id() {
  static const char id = 0;
  return &id;
}

class Operator {
 public:
  explicit Operator(FunctionSchema schema) : schema_(std::move(schema)) {}
  const FunctionSchema& schema() const { return schema_; }
  const std::string& name() const { return schema_.name; }

  // The kernel for a key set (after thread-local include/exclude); NotImplementedError if none.
  // `leaves_autocast` is set when autocast is on and the kernel is a backend's: the caller runs it
  // with Autocast excluded, so ops called inside a backend kernel are not cast again (as inside
  // PyTorch's native kernels), while composites above the backends are (its CompositeImplicit ops).
  const KernelFunction& lookup(DispatchKeySet keys, bool& leaves_autocast) const {
    const LocalDispatchKeySet& local = local_dispatch_keys();
    keys = (keys | local.included) & ~local.excluded;
    if (!(keys & kBackendKeys)) keys |= key_bit(DispatchKey::CPU);
    const bool autocast_on = keys & key_bit(DispatchKey::Autocast);
    leaves_autocast = false;
    while (keys) {
      int k = __builtin_ctz(keys);
      const KernelFunction* f = kernels_[k].load(std::memory_order_acquire);
      if (f && !f->fallthrough) {
        leaves_autocast = autocast_on && k >= kFirstBackendKey;
        return *f;
      }
      // An input carries a tangent: ops without a jvp kernel take the generic forward-AD path.
      if (!f && k == static_cast<int>(DispatchKey::ForwardAD)) return *forward_ad_fallback;
      if (!f && k >= kFirstBackendKey) no_kernel(static_cast<DispatchKey>(k));
      // An input requires grad but the op has no backward formula: refuse rather than return a
      // result that silently has no gradient. Non-differentiable ops register a fallthrough.
      if (!f && k == static_cast<int>(DispatchKey::Autograd) && autograd::grad_enabled())
        return missing_autograd_kernel();
      keys &= keys - 1;  // fallthrough, no_grad, or Autocast without a kernel
    }
    no_kernel(DispatchKey::CPU);
  }
  // For callers that only inspect the kernel; callers that run it use the overload above.
  const KernelFunction& lookup(DispatchKeySet keys) const {
    bool leaves_autocast;
    return lookup(keys, leaves_autocast);
  }
  const KernelFunction* kernel(DispatchKey k) const { return kernels_[static_cast<int>(k)].load(std::memory_order_acquire); }
  void set_kernel(DispatchKey k, const KernelFunction* f) { kernels_[static_cast<int>(k)].store(f, std::memory_order_release); }

  // Signature of the typed kernels, fixed by the first typed registration.
  std::atomic<const void*> signature{nullptr};

  // Set by autograd/forward_ad.cpp: the ForwardAD kernel of ops that register none.
  static const KernelFunction* forward_ad_fallback;

  // Boxed call: fills defaults, picks the kernel from the tensors on the stack.
  void call_boxed(Stack& stack) const;

  // Ops that take tensors on several devices by design (copies, indices on the CPU): exempt from
  // the same-device check that calls touching a GPU get (dispatch/device_check.h).
  bool mixed_devices_ok() const { return mixed_devices_ok_.load(std::memory_order_relaxed); }
  void allow_mixed_devices() { mixed_devices_ok_.store(true, std::memory_order_relaxed); }

 private:
  [[noreturn]] void no_kernel(DispatchKey k) const;
  static const KernelFunction& missing_autograd_kernel();
  FunctionSchema schema_;
  std::atomic<bool> mixed_devices_ok_{false};
  std::array<std::atomic<const KernelFunction*>, kNumDispatchKeys> kernels_{};
};

class Dispatcher {
 public:
  static Dispatcher& instance();
  // Registers (or finds, if the schema text is identical) an operator.
  Operator& define(const std::string& schema);
  // Lock-free lookup by name; null if absent.
  Operator* find(const std::string& name) const;
  Operator& get(const std::string& name) const;
  // Registers a kernel; if the op is not defined yet (static initialisation order across files),
  // the kernel waits and is installed when the op is defined.
  void register_kernel(const std::string& name, DispatchKey key, KernelFunction f);
  // Ops that kernels were registered for but that were never defined (a typo in a name).
  std::vector<std::string> pending_kernels() const;
  std::vector<std::string> op_names() const;

 private:
  using Map = std::unordered_map<std::string, Operator*>;
  Dispatcher();
  void install_locked(Operator& op, DispatchKey key, const KernelFunction& f);
  std::mutex write_mutex_;
  std::unordered_map<std::string, std::vector<std::pair<DispatchKey, KernelFunction>>> pending_;
  std::atomic<const Map*> map_;
  std::vector<std::unique_ptr<const Map>> retired_maps_;  // readers may still hold them
  std::vector<std::unique_ptr<KernelFunction>> kernels_;
};

DispatchKeySet tensor_keys(const Tensor& t);

}  // namespace tessera

// The Autocast dispatch key: one boxed kernel, shared by every listed op, that applies the op's
// policy to the arguments and redispatches below Autocast (to ForwardAD, Autograd, the backend).
#include <atomic>
#include <mutex>
#include <unordered_map>

#include "amp/autocast_mode.h"
#include "amp/autocast_policy.h"
#include "amp/autocast_registry.h"
#include "core/small_vector.h"
#include "dispatch/dispatcher.h"

namespace tessera::autocast {

const char* policy_name(CastPolicy p) {
  switch (p) {
    case CastPolicy::None:
      return "none";
    case CastPolicy::LowerPrecisionFp:
      return "lower_precision_fp";
    case CastPolicy::Fp32:
      return "fp32";
    case CastPolicy::Fp32SetOptDtype:
      return "fp32_set_opt_dtype";
    case CastPolicy::Promote:
      return "promote";
  }
  return "?";
}

CastPlan plan_cast(const char* op, CastPolicy policy, DeviceType device, std::span<const DType> eligible,
                   bool first_arg_eligible) {
  CastPlan plan;
  switch (policy) {
    case CastPolicy::None:
      break;
    case CastPolicy::LowerPrecisionFp:
      plan.cast_to = get_dtype(device);
      break;
    case CastPolicy::Fp32:
      plan.cast_to = DType::Float32;
      break;
    case CastPolicy::Fp32SetOptDtype:
      // Only when the first argument is eligible: an explicit dtype would otherwise override the
      // op's own promotion of, say, integer inputs (PyTorch's rule).
      if (first_arg_eligible) plan.dtype_arg = DType::Float32;
      break;
    case CastPolicy::Promote: {
      // PyTorch's prioritize(): float32 wins, the autocast dtype stays, anything else is a mix of
      // two lower precisions that autocast refuses to guess about.
      const DType lower = get_dtype(device);
      DType to = lower;
      for (DType d : eligible) {
        if (to == DType::Float32 || d == DType::Float32) {
          to = DType::Float32;
        } else {
          TS_CHECK(to == lower && d == lower, "[", op,
                   "] Unexpected floating ScalarType in at::autocast::prioritize: autocast promotes float32 and ",
                   dtype_name(lower), " but got ", dtype_name(d));
        }
      }
      plan.cast_to = to;
      break;
    }
  }
  return plan;
}

namespace {

// Calls fn(const Tensor&) on every tensor of the stack, inside lists too.
template <class Fn>
void visit_tensors(const Stack& stack, Fn&& fn) {
  for (const IValue& v : stack) {
    if (v.is_tensor()) {
      fn(v.get<Tensor>("Tensor"));
    } else if (v.is_tensor_list()) {
      for (const Tensor& t : v.get<std::vector<Tensor>>("Tensor[]")) fn(t);
    }
  }
}

// Replaces every tensor of the stack (inside lists too) by fn(tensor).
template <class Fn>
void map_tensors(Stack& stack, Fn&& fn) {
  for (IValue& v : stack) {
    if (v.is_tensor()) {
      Tensor t = fn(v.get<Tensor>("Tensor"));
      if (!t.is_same(v.get<Tensor>("Tensor"))) v = IValue(std::move(t));
    } else if (v.is_tensor_list()) {
      const auto& old = v.get<std::vector<Tensor>>("Tensor[]");
      std::vector<Tensor> ts;
      ts.reserve(old.size());
      bool changed = false;
      for (const Tensor& t : old) {
        ts.push_back(fn(t));
        changed |= !ts.back().is_same(t);
      }
      if (changed) v = IValue(std::move(ts));
    }
  }
}

// The autocast that handles this call: CUDA's when it is on and a CUDA tensor takes part, then
// CPU's (PyTorch's AutocastCUDA key outranks AutocastCPU, and an unlisted op falls through to the
// next one). Wrapped Python numbers are scalars in PyTorch: they pick no device.
CastPolicy active_policy(const OpPolicies& p, const Stack& stack, DeviceType& device) {
  bool cuda = false, cpu = false;
  visit_tensors(stack, [&](const Tensor& t) {
    if (t.defined() && !t.impl()->is_wrapped_number()) {
      cuda |= t.device().type == DeviceType::CUDA;
      cpu |= t.device().type == DeviceType::CPU;
    }
  });
  for (DeviceType d : {DeviceType::CUDA, DeviceType::CPU}) {
    if (!(d == DeviceType::CUDA ? cuda : cpu) || !is_enabled(d)) continue;
    const CastPolicy policy = p.get(d);
    if (policy != CastPolicy::None) {
      device = d;
      return policy;
    }
  }
  return CastPolicy::None;
}

// Index of the op's `ScalarType? dtype` argument, or -1.
int dtype_argument(const Operator& op) {
  const auto& args = op.schema().arguments;
  for (size_t i = 0; i < args.size(); ++i)
    if (args[i].name == "dtype" && args[i].type == "ScalarType?") return static_cast<int>(i);
  return -1;
}

void apply_policy(const Operator& op, CastPolicy policy, DeviceType device, Stack& stack) {
  SmallVector<DType, 8> eligible;
  visit_tensors(stack, [&](const Tensor& t) {
    if (is_eligible(t, device)) eligible.push_back(t.dtype());
  });
  const bool first_eligible =
      !stack.empty() && stack[0].is_tensor() && is_eligible(stack[0].get<Tensor>("Tensor"), device);
  const CastPlan plan = plan_cast(op.name().c_str(), policy, device, eligible, first_eligible);
  if (plan.cast_to) {
    map_tensors(stack, [&](const Tensor& t) { return cached_cast(*plan.cast_to, t, device); });
  }
  if (plan.dtype_arg) {
    const int i = dtype_argument(op);
    TS_CHECK(i >= 0, "[", op.name(), "] autocast policy fp32_set_opt_dtype needs a 'ScalarType? dtype' argument");
    if (static_cast<size_t>(i) < stack.size() && stack[i].is_none()) stack[i] = IValue(*plan.dtype_arg);
  }
}

void autocast_kernel(const Operator& op, void* ctx, Stack& stack) {
  const OpPolicies& policies = *static_cast<const OpPolicies*>(ctx);
  // Casts, and everything the op runs, happen below Autocast: nothing is cast twice.
  ExcludeDispatchKeyGuard no_autocast(DispatchKey::Autocast);
  DeviceType device = DeviceType::CPU;
  const CastPolicy policy = active_policy(policies, stack, device);
  if (policy != CastPolicy::None) apply_policy(op, policy, device, stack);
  op.call_boxed(stack);
}

std::mutex& registry_mutex() {
  static auto* m = new std::mutex();
  return *m;
}
// Never destroyed: kernels hold pointers to the entries.
std::unordered_map<std::string, OpPolicies*>& registry() {
  static auto* r = new std::unordered_map<std::string, OpPolicies*>();
  return *r;
}

OpPolicies& entry_locked(const std::string& name) {
  OpPolicies*& p = registry()[name];
  if (!p) {
    p = new OpPolicies();
    KernelFunction k;
    k.boxed = &autocast_kernel;
    k.ctx = p;
    Dispatcher::instance().register_kernel(name, DispatchKey::Autocast, k);
  }
  return *p;
}

}  // namespace

bool register_policies(std::initializer_list<PolicyRow> rows) {
  std::lock_guard<std::mutex> lock(registry_mutex());
  for (const PolicyRow& r : rows) {
    OpPolicies& p = entry_locked(r.op);
    p.set(DeviceType::CUDA, r.cuda);
    p.set(DeviceType::CPU, r.cpu);
  }
  return true;
}

CastPolicy policy_of(const std::string& name, DeviceType device) {
  TS_CHECK(is_available(device), "[autocast] unknown device type for autocast: '", device_type_name(device), "'");
  std::lock_guard<std::mutex> lock(registry_mutex());
  auto it = registry().find(name);
  return it == registry().end() ? CastPolicy::None : it->second->get(device);
}

void set_policy(const std::string& name, DeviceType device, CastPolicy policy) {
  TS_CHECK(is_available(device), "[autocast] unknown device type for autocast: '", device_type_name(device), "'");
  TS_CHECK(Dispatcher::instance().find(name) != nullptr, "[autocast] no operator named '", name, "'");
  std::lock_guard<std::mutex> lock(registry_mutex());
  entry_locked(name).set(device, policy);
}

}  // namespace tessera::autocast

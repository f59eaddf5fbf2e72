#pragma once
// Registration of autocast policies: the tables in amp/autocast_policies.cpp call
// register_policies at static initialisation; each listed op gets the Autocast kernel of
// amp/autocast_kernel.cpp with its OpPolicies entry as context.
#include <atomic>
#include <initializer_list>

#include "amp/autocast_policy.h"

namespace tessera::autocast {

// One op's policies, read by its kernel on every call under autocast; set_policy may change them.
struct OpPolicies {
  std::atomic<CastPolicy> cuda{CastPolicy::None};
  std::atomic<CastPolicy> cpu{CastPolicy::None};
  CastPolicy get(DeviceType d) const { return (d == DeviceType::CUDA ? cuda : cpu).load(std::memory_order_relaxed); }
  void set(DeviceType d, CastPolicy p) { (d == DeviceType::CUDA ? cuda : cpu).store(p, std::memory_order_relaxed); }
};

struct PolicyRow {
  const char* op;
  CastPolicy cuda;
  CastPolicy cpu;
};
bool register_policies(std::initializer_list<PolicyRow> rows);

}  // namespace tessera::autocast

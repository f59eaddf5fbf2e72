#pragma once
// What autocast does to an op: PyTorch's cast policies (aten/src/ATen/autocast_mode.h) and the
// per-op tables (amp/autocast_policies.cpp) that the Autocast dispatch key applies.
#include <optional>
#include <span>
#include <string>

#include "core/device.h"
#include "core/dtype.h"

namespace tessera::autocast {

enum class CastPolicy : uint8_t {
  None,              // not listed: the op runs on its inputs as they are
  LowerPrecisionFp,  // cast floating inputs to the autocast dtype (float16 / bfloat16)
  Fp32,              // cast floating inputs to float32
  Fp32SetOptDtype,   // ops with `ScalarType? dtype`: run with dtype=float32 unless the caller set one
  Promote,           // cast floating inputs to the widest of them (float32 beats the autocast dtype)
};
const char* policy_name(CastPolicy p);  // "lower_precision_fp", "fp32", ... (PyTorch's names)

// The policy of op `name` (an overload name like "conv2d.padding") under `device`'s autocast.
CastPolicy policy_of(const std::string& name, DeviceType device);
// Replaces a policy at run time (tests, and ops added by extensions); RuntimeError for unknown ops.
void set_policy(const std::string& name, DeviceType device, CastPolicy policy);

// A policy applied to one call: the dtype its eligible tensors are cast to, and the value given to
// its `dtype` argument when the caller left it None.
struct CastPlan {
  std::optional<DType> cast_to;
  std::optional<DType> dtype_arg;
};
// `eligible` lists the dtypes of the call's eligible tensors (amp/autocast_mode.h) in argument
// order. Promote raises RuntimeError for two different lower-precision dtypes, as PyTorch does.
CastPlan plan_cast(const char* op, CastPolicy policy, DeviceType device, std::span<const DType> eligible,
                   bool first_arg_eligible);

}  // namespace tessera::autocast

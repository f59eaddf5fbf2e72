// Autocast state, its policy tables, and the GradScaler ops, for tessera.amp (python/tessera/amp).
#include <vector>

#include "amp/autocast_mode.h"
#include "amp/autocast_policy.h"
#include "amp/grad_scaler_ops.h"
#include "binder.h"
#include "casters.h"

namespace tessera::python {

namespace {

namespace ac = tessera::autocast;

// A device type string as PyTorch takes it ("cuda", "cuda:0", "cpu").
DeviceType device_type(const std::string& s) {
  return Device::parse(s).type;
}

ac::CastPolicy policy_from_name(const std::string& name) {
  for (ac::CastPolicy p : {ac::CastPolicy::None, ac::CastPolicy::LowerPrecisionFp, ac::CastPolicy::Fp32,
                           ac::CastPolicy::Fp32SetOptDtype, ac::CastPolicy::Promote})
    if (name == ac::policy_name(p)) return p;
  TS_FAIL(Value, "[autocast] unknown cast policy '", name,
          "' (expected none, lower_precision_fp, fp32, fp32_set_opt_dtype or promote)");
}

}  // namespace

TS_BINDER(amp, 10) {
  using namespace nb::literals;
  m.def(
      "_is_autocast_available", [](const std::string& d) { return ac::is_available(device_type(d)); }, "device_type"_a);
  m.def("_is_autocast_enabled", [](const std::string& d) { return ac::is_enabled(device_type(d)); }, "device_type"_a);
  m.def(
      "_set_autocast_enabled", [](const std::string& d, bool on) { ac::set_enabled(device_type(d), on); },
      "device_type"_a, "enabled"_a);
  m.def("_get_autocast_dtype", [](const std::string& d) { return ac::get_dtype(device_type(d)); }, "device_type"_a);
  m.def(
      "_set_autocast_dtype", [](const std::string& d, DType t) { ac::set_dtype(device_type(d), t); }, "device_type"_a,
      "dtype"_a);
  m.def("is_autocast_cache_enabled", &ac::is_cache_enabled);
  m.def("set_autocast_cache_enabled", &ac::set_cache_enabled, "enabled"_a);
  m.def("autocast_increment_nesting", &ac::increment_nesting);
  m.def("autocast_decrement_nesting", &ac::decrement_nesting);
  m.def("clear_autocast_cache", &ac::clear_cache);
  m.def("_autocast_cache_size", &ac::cache_size);

  // The policy tables, for tests and extensions: an op's policy, and what it does to one call.
  m.def(
      "_autocast_policy",
      [](const std::string& op, const std::string& d) {
        return std::string(ac::policy_name(ac::policy_of(op, device_type(d))));
      },
      "op"_a, "device_type"_a);
  m.def(
      "_set_autocast_policy",
      [](const std::string& op, const std::string& d, const std::string& policy) {
        ac::set_policy(op, device_type(d), policy_from_name(policy));
      },
      "op"_a, "device_type"_a, "policy"_a);
  // `dtypes`: the dtypes of the call's tensor arguments on that device, in order (None for a
  // missing tensor); returns (dtype the eligible ones are cast to, value given to dtype=None).
  m.def(
      "_autocast_plan",
      [](const std::string& op, const std::string& d, std::vector<std::optional<DType>> dtypes) {
        const DeviceType dev = device_type(d);
        std::vector<DType> eligible;
        for (const auto& t : dtypes)
          if (t && is_floating(*t) && *t != DType::Float64) eligible.push_back(*t);
        const bool first = !dtypes.empty() && dtypes[0] && is_floating(*dtypes[0]) && *dtypes[0] != DType::Float64;
        const ac::CastPlan plan = ac::plan_cast(op.c_str(), ac::policy_of(op, dev), dev, eligible, first);
        return std::make_tuple(plan.cast_to, plan.dtype_arg);
      },
      "op"_a, "device_type"_a, "dtypes"_a);

  m.def(
      "_amp_foreach_non_finite_check_and_unscale_",
      [](std::vector<Tensor> grads, const Tensor& found_inf, const Tensor& inv_scale) {
        nb::gil_scoped_release release;
        ops::amp_foreach_non_finite_check_and_unscale_(grads, found_inf, inv_scale);
      },
      "self"_a, "found_inf"_a, "inv_scale"_a);
  m.def(
      "_amp_update_scale_",
      [](const Tensor& scale, const Tensor& growth_tracker, const Tensor& found_inf, double growth_factor,
         double backoff_factor, int64_t growth_interval) {
        nb::gil_scoped_release release;
        return ops::amp_update_scale_(scale, growth_tracker, found_inf, growth_factor, backoff_factor, growth_interval);
      },
      "self"_a, "growth_tracker"_a, "found_inf"_a, "scale_growth_factor"_a, "scale_backoff_factor"_a,
      "growth_interval"_a);
}

}  // namespace tessera::python

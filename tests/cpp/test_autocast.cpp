// The Autocast dispatch layer: the key is in the thread's included set only while an autocast is
// on, listed ops are cast, backend kernels run below autocast, the state is per thread.
#include <gtest/gtest.h>

#include <thread>

#include "amp/autocast_mode.h"
#include "amp/autocast_policy.h"
#include "autograd/meta.h"
#include "dispatch/boxing.h"
#include "ops/linalg.h"
#include "test_util.h"

namespace tessera {
namespace {

namespace ac = tessera::autocast;

// A backend kernel that calls a listed op: the inner mm must run on its inputs as they are.
Tensor inner_mm_cpu(const Tensor& a, const Tensor& b) {
  return ops::mm(a, b);
}
TS_REGISTER_OP("test_autocast_inner_mm(Tensor a, Tensor b) -> Tensor", CPU, &inner_mm_cpu);

Tensor inner_mm(const Tensor& a, const Tensor& b) {
  static TypedOp<Tensor(const Tensor&, const Tensor&)> op("test_autocast_inner_mm");
  return op(a, b);
}

// Turns the CPU autocast on for a scope.
struct CpuAutocast {
  CpuAutocast() { ac::set_enabled(DeviceType::CPU, true); }
  ~CpuAutocast() {
    ac::set_enabled(DeviceType::CPU, false);
    ac::clear_cache();
  }
};

TEST(Autocast, KeyIsIncludedOnlyWhileEnabled) {
  EXPECT_FALSE(local_dispatch_keys().included & key_bit(DispatchKey::Autocast));
  {
    CpuAutocast on;
    EXPECT_TRUE(local_dispatch_keys().included & key_bit(DispatchKey::Autocast));
    ac::set_enabled(DeviceType::CUDA, true);
    ac::set_enabled(DeviceType::CPU, false);
    EXPECT_TRUE(local_dispatch_keys().included & key_bit(DispatchKey::Autocast));  // CUDA still on
    ac::set_enabled(DeviceType::CUDA, false);
    EXPECT_FALSE(local_dispatch_keys().included & key_bit(DispatchKey::Autocast));
  }
  EXPECT_FALSE(local_dispatch_keys().included & key_bit(DispatchKey::Autocast));
}

TEST(Autocast, ListedOpIsCastBackendInnerCallsAreNot) {
  Tensor a = testing::arange_float(4, DimVector{2, 2});
  CpuAutocast on;
  EXPECT_EQ(ops::mm(a, a).dtype(), DType::BFloat16);
  EXPECT_EQ(inner_mm(a, a).dtype(), DType::Float32);  // the mm inside a backend kernel is not cast
  EXPECT_EQ(ops::mm(a, a).dtype(), DType::BFloat16);  // and the key is back afterwards
  EXPECT_FALSE(local_dispatch_keys().excluded & key_bit(DispatchKey::Autocast));
}

TEST(Autocast, BoxedCallsAreCastToo) {
  Tensor a = testing::arange_float(4, DimVector{2, 2});
  CpuAutocast on;
  Stack stack{IValue(a), IValue(a)};
  Dispatcher::instance().get("mm").call_boxed(stack);
  EXPECT_EQ(stack[0].get<Tensor>("Tensor").dtype(), DType::BFloat16);
}

TEST(Autocast, CastsRunAboveAutograd) {
  Tensor a = testing::arange_float(4, DimVector{2, 2});
  autograd::set_requires_grad(a, true);
  CpuAutocast on;
  Tensor y = ops::mm(a, a);
  ASSERT_TRUE(autograd::grad_fn(y));
  EXPECT_EQ(autograd::grad_fn(y)->name(), "MmBackward0");  // recorded on the bfloat16 casts
  EXPECT_EQ(ac::cache_size(), 1u);                         // `a` is a leaf weight: its cast is cached
}

TEST(Autocast, StateIsPerThread) {
  CpuAutocast on;
  ac::set_dtype(DeviceType::CPU, DType::Float16);
  bool other_enabled = true;
  DType other_dtype = DType::Float32;
  DispatchKeySet other_keys = 1;
  std::thread([&] {
    other_enabled = ac::is_enabled(DeviceType::CPU);
    other_dtype = ac::get_dtype(DeviceType::CPU);
    other_keys = local_dispatch_keys().included;
  }).join();
  ac::set_dtype(DeviceType::CPU, DType::BFloat16);
  EXPECT_FALSE(other_enabled);
  EXPECT_EQ(other_dtype, DType::BFloat16);
  EXPECT_EQ(other_keys, 0u);
}

TEST(Autocast, PolicyPlans) {
  const DType f16[] = {DType::Float16, DType::Float32};
  EXPECT_EQ(ac::plan_cast("mm", ac::CastPolicy::LowerPrecisionFp, DeviceType::CUDA, f16, true).cast_to, DType::Float16);
  EXPECT_EQ(ac::plan_cast("cat", ac::CastPolicy::Promote, DeviceType::CUDA, f16, true).cast_to, DType::Float32);
  EXPECT_EQ(ac::plan_cast("sum", ac::CastPolicy::Fp32SetOptDtype, DeviceType::CUDA, f16, false).dtype_arg,
            std::nullopt);
  const DType mixed[] = {DType::Float16, DType::BFloat16};
  EXPECT_THROW(ac::plan_cast("cat", ac::CastPolicy::Promote, DeviceType::CUDA, mixed, true), Error);
  EXPECT_THROW(ac::is_enabled(DeviceType::Plugin), Error);
}

}  // namespace
}  // namespace tessera

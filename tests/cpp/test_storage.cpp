// Storage, tensor metadata and version counters.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "core/tensor.h"
#include "ops/binary.h"
#include "ops/copy.h"
#include "ops/view.h"
#include "test_util.h"

namespace tessera {
namespace {

using testing::arange_float;
using testing::at;

TEST(Storage, AllocatesAlignedAndSized) {
  Tensor t = empty_tensor(DimVector{3, 5}, DType::Float64);
  EXPECT_EQ(t.numel(), 15);
  EXPECT_EQ(t.impl()->storage()->nbytes(), 15 * sizeof(double));
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data_ptr()) % 64, 0u);
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_EQ(t.strides()[0], 5);
  EXPECT_EQ(t.strides()[1], 1);
}

TEST(Storage, EmptyTensorHasNoAllocation) {
  Tensor t = empty_tensor(DimVector{0, 4}, DType::Float32);
  EXPECT_EQ(t.numel(), 0);
  EXPECT_EQ(t.impl()->storage()->nbytes(), 0u);
}

TEST(Storage, RefcountKeepsStorageAliveThroughViews) {
  Storage st;
  Tensor v;
  {
    Tensor base = arange_float(6, DimVector{2, 3});
    st = base.impl()->storage();
    EXPECT_EQ(st.use_count(), 2);
    v = ops::transpose(base, 0, 1);
    EXPECT_EQ(st.use_count(), 3);
  }
  // The base handle is gone; the view keeps the storage and (for autograd) the base TensorImpl.
  EXPECT_EQ(st.use_count(), 3);
  ASSERT_NE(v.impl()->view_base(), nullptr);
  EXPECT_EQ(v.impl()->view_base()->storage(), st);
  EXPECT_EQ(at(v, {2, 1}), 5.0f);
}

TEST(Storage, CustomDeleterRuns) {
  static int freed = 0;
  freed = 0;
  float* buf = new float[4]{1, 2, 3, 4};
  {
    DataPtr dp(buf, buf, [](void* p) { delete[] static_cast<float*>(p); ++freed; }, Device());
    Storage st = make_intrusive<StorageImpl>(std::move(dp), 16, nullptr);
    Tensor t(make_intrusive<TensorImpl>(st, DType::Float32, DimVector{4}, DimVector{1}, 0));
    EXPECT_EQ(t.data<float>()[2], 3.0f);
  }
  EXPECT_EQ(freed, 1);
}

TEST(Storage, NegativeAndOverflowingSizesThrow) {
  EXPECT_THROW(empty_tensor(DimVector{-1, 2}, DType::Float32), Error);
  EXPECT_THROW(empty_tensor(DimVector{int64_t(1) << 40, int64_t(1) << 40}, DType::Float32), Error);
  try {
    empty_tensor(DimVector{2, -3}, DType::Float32);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Value);
    EXPECT_NE(std::string(e.what()).find("[empty]"), std::string::npos);
  }
}

TEST(VersionCounter, SharedByViewsAndBumpedByInplaceWrites) {
  Tensor base = arange_float(6, DimVector{2, 3});
  Tensor v = ops::select(ops::transpose(base, 0, 1), 0, 1);
  EXPECT_EQ(base.impl()->version_counter(), v.impl()->version_counter());
  uint32_t before = base.version();
  ops::add_(v, v);
  EXPECT_EQ(base.version(), before + 1);
  EXPECT_EQ(v.version(), before + 1);
  EXPECT_EQ(at(base, {1, 1}), 8.0f);  // base[1][1] = 4 doubled through the view
  Tensor c = ops::clone(base);
  EXPECT_NE(c.impl()->version_counter(), base.impl()->version_counter());
}

TEST(Tensor, ContiguityAndIsSetTo) {
  Tensor base = arange_float(12, DimVector{3, 4});
  Tensor t = ops::transpose(base, 0, 1);
  EXPECT_FALSE(t.is_contiguous());
  EXPECT_TRUE(ops::contiguous(t).is_contiguous());
  EXPECT_TRUE(ops::view(base, std::vector<int64_t>{3, 4}).is_set_to(base));
  EXPECT_FALSE(t.is_set_to(base));
  // size-1 dims do not affect contiguity, as in PyTorch
  Tensor u = ops::unsqueeze(base, 1);
  EXPECT_TRUE(u.is_contiguous());
}

TEST(Dtype, PromotionMatchesPyTorchLattice) {
  EXPECT_EQ(promote_types(DType::UInt8, DType::Int8), DType::Int16);
  EXPECT_EQ(promote_types(DType::Float16, DType::BFloat16), DType::Float32);
  EXPECT_EQ(promote_types(DType::Bool, DType::Bool), DType::Bool);
  EXPECT_EQ(promote_types(DType::Int64, DType::Float16), DType::Float16);
  for (int a = 0; a < kNumDTypes; ++a)
    for (int b = 0; b < kNumDTypes; ++b)
      EXPECT_EQ(promote_types(DType(a), DType(b)), promote_types(DType(b), DType(a)));
}

TEST(Half, RoundTripsAndRounds) {
  for (float f : {0.0f, 1.0f, -2.5f, 65504.0f, 6.1035156e-05f, 5.9604644775390625e-08f}) {
    EXPECT_EQ(static_cast<float>(Half(f)), f) << f;
  }
  EXPECT_TRUE(std::isinf(static_cast<float>(Half(70000.0f))));
  EXPECT_TRUE(std::isnan(static_cast<float>(Half(NAN))));
  EXPECT_EQ(static_cast<float>(BFloat16(1.0f)), 1.0f);
  EXPECT_EQ(static_cast<float>(BFloat16(3.0f)), 3.0f);
  EXPECT_TRUE(std::isnan(static_cast<float>(BFloat16(NAN))));
}

}  // namespace
}  // namespace tessera

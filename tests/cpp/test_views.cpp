// View metadata from C++ (the Python suite checks values against PyTorch).
#include <gtest/gtest.h>

#include "core/error.h"
#include "ops/copy.h"
#include "ops/view.h"
#include "test_util.h"

namespace tessera {
namespace {

using testing::arange_float;
using testing::at;

TEST(Views, TransposeSwapsStridesAndSharesStorage) {
  Tensor a = arange_float(6, DimVector{2, 3});
  Tensor t = ops::transpose(a, 0, 1);
  EXPECT_EQ(t.sizes()[0], 3);
  EXPECT_EQ(t.strides()[0], 1);
  EXPECT_EQ(t.strides()[1], 3);
  EXPECT_EQ(t.data_ptr(), a.data_ptr());
  EXPECT_EQ(at(t, {2, 1}), 5.0f);
}

TEST(Views, SliceWithStepAndNarrow) {
  Tensor a = arange_float(10, DimVector{10});
  Tensor s = ops::slice(a, 0, 1, 9, 3);  // 1, 4, 7
  ASSERT_EQ(s.numel(), 3);
  EXPECT_EQ(s.strides()[0], 3);
  EXPECT_EQ(s.storage_offset(), 1);
  EXPECT_EQ(at(s, {2}), 7.0f);
  Tensor n = ops::narrow(s, 0, 1, 2);
  EXPECT_EQ(n.storage_offset(), 4);
  EXPECT_THROW(ops::narrow(s, 0, 2, 2), Error);
  EXPECT_THROW(ops::slice(a, 0, 0, 5, 0), Error);
}

TEST(Views, ViewNeedsCompatibleStridesReshapeCopies) {
  Tensor a = arange_float(12, DimVector{3, 4});
  Tensor t = ops::transpose(a, 0, 1);
  EXPECT_THROW(ops::view(t, std::vector<int64_t>{12}), Error);
  Tensor r = ops::reshape(t, std::vector<int64_t>{12});
  EXPECT_NE(r.data_ptr(), a.data_ptr());
  EXPECT_EQ(r.data<float>()[1], 4.0f);
  Tensor v = ops::view(a, std::vector<int64_t>{2, -1, 3});
  EXPECT_EQ(v.sizes()[1], 2);
  EXPECT_EQ(v.data_ptr(), a.data_ptr());
}

TEST(Views, ExpandUsesZeroStrides) {
  Tensor a = arange_float(3, DimVector{3, 1});
  Tensor e = ops::expand(a, std::vector<int64_t>{2, 3, 4});
  EXPECT_EQ(e.strides()[0], 0);
  EXPECT_EQ(e.strides()[2], 0);
  EXPECT_EQ(at(e, {1, 2, 3}), 2.0f);
  EXPECT_THROW(ops::expand(a, std::vector<int64_t>{2, 2}), Error);
}

TEST(Views, SelectOutOfRangeIsIndexError) {
  Tensor a = arange_float(6, DimVector{2, 3});
  try {
    ops::select(a, 1, 3);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Index);
  }
  EXPECT_EQ(at(ops::select(a, 1, -1), {1}), 5.0f);
}

TEST(Views, DiagonalAndAsStrided) {
  Tensor a = arange_float(12, DimVector{3, 4});
  Tensor d = ops::diagonal(a, 1, 0, 1);  // 1, 6, 11
  ASSERT_EQ(d.numel(), 3);
  EXPECT_EQ(at(d, {2}), 11.0f);
  Tensor s = ops::as_strided(a, std::vector<int64_t>{2, 2}, std::vector<int64_t>{4, 1}, 1);
  EXPECT_EQ(at(s, {1, 1}), 6.0f);
  EXPECT_THROW(ops::as_strided(a, std::vector<int64_t>{4, 4}, std::vector<int64_t>{4, 1}, 0), Error);
}

TEST(Views, SplitChunkUnbind) {
  Tensor a = arange_float(10, DimVector{5, 2});
  auto parts = ops::split(a, 2, 0);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[2].sizes()[0], 1);
  EXPECT_EQ(at(parts[1], {0, 1}), 5.0f);
  auto ch = ops::chunk(a, 2, 1);
  ASSERT_EQ(ch.size(), 2u);
  EXPECT_EQ(at(ch[1], {4, 0}), 9.0f);
  auto ub = ops::unbind(a, 0);
  ASSERT_EQ(ub.size(), 5u);
  EXPECT_EQ(ub[3].dim(), 1);
}

}  // namespace
}  // namespace tessera

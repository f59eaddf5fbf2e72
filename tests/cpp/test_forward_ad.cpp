// Forward-mode AD plumbing: the ForwardAD key appears only while a level is open and a tensor
// carries a tangent; tangents propagate through ops and are cleared when the level exits.
#include <gtest/gtest.h>

#include "autograd/forward_ad.h"
#include "autograd/meta.h"
#include "core/error.h"
#include "dispatch/dispatcher.h"
#include "ops/binary.h"
#include "ops/unary.h"
#include "test_util.h"

namespace tessera::autograd {
namespace {
using namespace tessera::testing;

struct LevelGuard {
  LevelGuard() { enter_dual_level(); }
  ~LevelGuard() {
    if (forward_ad_enabled()) exit_dual_level(0);
  }
};

TEST(ForwardAD, KeyOnlyWhileLevelOpenAndTangentSet) {
  Tensor x = arange_float(4, DimVector{4});
  EXPECT_FALSE(forward_ad_enabled());
  EXPECT_FALSE(tensor_keys(x) & key_bit(DispatchKey::ForwardAD));
  LevelGuard level;
  EXPECT_FALSE(tensor_keys(x) & key_bit(DispatchKey::ForwardAD));
  Tensor d = make_dual(x, float_tensor({1, 1, 1, 1}, DimVector{4}), 0);
  EXPECT_TRUE(tensor_keys(d) & key_bit(DispatchKey::ForwardAD));
  EXPECT_FALSE(has_tangent(x));  // make_dual returns a new view; the input is untouched
}

TEST(ForwardAD, TangentsPropagateAndAreClearedOnExit) {
  Tensor x = arange_float(3, DimVector{3});
  Tensor t = float_tensor({1, 2, 3}, DimVector{3});
  Tensor y, tangent_of_y;
  {
    LevelGuard level;
    Tensor d = make_dual(x, t, 0);
    y = ops::mul(d, d);  // tangent 2 x t
    tangent_of_y = tangent(y);
    ASSERT_TRUE(tangent_of_y.defined());
    for (int64_t i = 0; i < 3; ++i) EXPECT_FLOAT_EQ(at(tangent_of_y, {i}), 2 * at(x, {i}) * at(t, {i}));
    Tensor z = ops::neg(y);
    EXPECT_FLOAT_EQ(at(tangent(z), {2}), -2 * at(x, {2}) * at(t, {2}));
  }
  EXPECT_FALSE(forward_ad_enabled());
  EXPECT_FALSE(tangent(y).defined());
  auto* m = meta(y);
  ASSERT_NE(m, nullptr);
  EXPECT_FALSE(m->fw_grad && m->fw_grad->tangent().defined());  // released, not only hidden
}

TEST(ForwardAD, NestedLevelAndBadExitRaise) {
  LevelGuard level;
  EXPECT_THROW(enter_dual_level(), Error);
  EXPECT_THROW(exit_dual_level(1), Error);
}

TEST(ForwardAD, MakeDualChecksShape) {
  LevelGuard level;
  EXPECT_THROW(make_dual(arange_float(3, DimVector{3}), arange_float(4, DimVector{4}), 0), Error);
}

}  // namespace
}  // namespace tessera::autograd

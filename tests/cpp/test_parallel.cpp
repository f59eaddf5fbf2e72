// Thread pool and the elementwise engine.
#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "core/error.h"
#include "cpu/parallel.h"
#include "ops/binary.h"
#include "ops/tensor_iterator.h"
#include "ops/view.h"
#include "test_util.h"

namespace tessera {
namespace {

TEST(Parallel, CoversRangeExactlyOnce) {
  std::vector<std::atomic<int>> hits(100000);
  parallel_for(0, 100000, 1000, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) hits[i]++;
  });
  for (auto& h : hits) ASSERT_EQ(h.load(), 1);
}

TEST(Parallel, PropagatesExceptionsAndStaysUsable) {
  EXPECT_THROW(parallel_for(0, 1 << 20, 1024,
                            [](int64_t b, int64_t) {
                              if (b > 0) TS_FAIL(Value, "[test] boom");
                            }),
               Error);
  std::atomic<int64_t> sum{0};
  parallel_for(0, 1 << 16, 128, [&](int64_t b, int64_t e) { sum += e - b; });
  EXPECT_EQ(sum.load(), 1 << 16);
}

TEST(TensorIterator, CoalescesContiguousAndBroadcasts) {
  Tensor a = testing::arange_float(24, DimVector{2, 3, 4});
  Tensor b = testing::arange_float(4, DimVector{4});
  TensorIterator iter;
  iter.add_output(Tensor(), DType::Float32).add_input(a).add_input(b).build("test");
  EXPECT_EQ(iter.numel(), 24);
  EXPECT_EQ(iter.output().sizes()[0], 2);
  Tensor c = ops::add(a, b);
  EXPECT_EQ(testing::at(c, {1, 2, 3}), 23.0f + 3.0f);
}

TEST(TensorIterator, LargeStridedAddMatchesSerial) {
  const int64_t n = 512;
  std::vector<float> v(n * n);
  for (int64_t i = 0; i < n * n; ++i) v[i] = static_cast<float>(i % 97);
  Tensor a = testing::float_tensor(v, DimVector{n, n});
  Tensor t = ops::transpose(a, 0, 1);
  Tensor c = ops::add(t, a);  // mixed layouts, parallel (n*n > grain)
  for (int64_t i = 0; i < n; i += 37)
    for (int64_t j = 0; j < n; j += 41) ASSERT_EQ(testing::at(c, {i, j}), v[j * n + i] + v[i * n + j]);
}

TEST(TensorIterator, RefusesWritingIntoExpandedView) {
  Tensor a = testing::arange_float(3, DimVector{3});
  Tensor e = ops::expand(a, std::vector<int64_t>{2, 3});
  EXPECT_THROW(ops::add_(e, e), Error);
}

}  // namespace
}  // namespace tessera

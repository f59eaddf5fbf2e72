// The vectorisable math functions against libm: ulp error on a sweep of the float range,
// and IEEE special values.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "cpu/vec_math.h"

namespace tessera {
namespace {

double ulp_error(float got, float want) {
  if (std::isnan(got) && std::isnan(want)) return 0;
  if (got == want) return 0;
  float step = std::fabs(std::nextafter(want, INFINITY) - want);
  return std::fabs(static_cast<double>(got) - want) / std::max(step, std::numeric_limits<float>::denorm_min());
}

template <class F, class G>
double worst_ulp(F f, G g) {
  double worst = 0;
  for (uint32_t i = 0; i < 0xffff0000u; i += 7919) {
    float x;
    std::memcpy(&x, &i, sizeof(x));
    worst = std::max(worst, ulp_error(f(x), g(x)));
  }
  return worst;
}

TEST(VecMath, WithinTwoUlpOfLibm) {
  EXPECT_LE(worst_ulp([](float x) { return cpu::vm::exp(x); }, [](float x) { return std::exp(x); }), 2.0);
  EXPECT_LE(worst_ulp([](float x) { return cpu::vm::log(x); }, [](float x) { return std::log(x); }), 2.0);
  EXPECT_LE(worst_ulp([](float x) { return cpu::vm::tanh(x); }, [](float x) { return std::tanh(x); }), 3.0);
}

TEST(VecMath, SpecialValues) {
  const float inf = INFINITY;
  EXPECT_EQ(cpu::vm::exp(inf), inf);
  EXPECT_EQ(cpu::vm::exp(-inf), 0.0f);
  EXPECT_EQ(cpu::vm::exp(0.0f), 1.0f);
  EXPECT_TRUE(std::isnan(cpu::vm::exp(NAN)));
  EXPECT_EQ(cpu::vm::exp(100.0f), inf);
  EXPECT_EQ(cpu::vm::log(0.0f), -inf);
  EXPECT_EQ(cpu::vm::log(inf), inf);
  EXPECT_TRUE(std::isnan(cpu::vm::log(-1.0f)));
  EXPECT_TRUE(std::isnan(cpu::vm::log(NAN)));
  EXPECT_EQ(cpu::vm::log(1.0f), 0.0f);
  EXPECT_EQ(cpu::vm::tanh(inf), 1.0f);
  EXPECT_EQ(cpu::vm::tanh(-inf), -1.0f);
  EXPECT_TRUE(std::isnan(cpu::vm::tanh(NAN)));
  EXPECT_EQ(cpu::vm::sigmoid(-inf), 0.0f);
  EXPECT_EQ(cpu::vm::sigmoid(inf), 1.0f);
}

}  // namespace
}  // namespace tessera

// Anomaly mode in the engine: NaN gradients raise naming the node, failing nodes report their
// recorded forward stack, and nodes carry metadata only while the mode is on.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "autograd/anomaly_mode.h"
#include "autograd/engine.h"
#include "autograd/meta.h"
#include "core/error.h"
#include "test_util.h"

namespace tessera::autograd {
namespace {

std::vector<std::string> g_reports;

struct RecordingMetadata : AnomalyMetadata {
  void print_stack(const std::string& node_name) override { g_reports.push_back(node_name); }
};
std::unique_ptr<AnomalyMetadata> make_recording() {
  return std::make_unique<RecordingMetadata>();
}

// Backward returns the incoming gradient times `factor` (NaN for the anomaly).
struct ScaleNode : Node {
  float factor = 1;
  std::string name() const override { return "ScaleBackward0"; }
  TensorVec apply(TensorVec&& g) override {
    Tensor out = empty_tensor(g[0].sizes(), DType::Float32);
    for (int64_t i = 0; i < out.numel(); ++i) out.data<float>()[i] = g[0].data<float>()[i] * factor;
    return {out};
  }
};

Tensor vec(std::vector<float> v) {
  std::vector<int64_t> sizes{static_cast<int64_t>(v.size())};
  return testing::float_tensor(v, sizes);
}

Tensor scaled_leaf_output(Tensor& leaf, float factor) {
  leaf = vec({1, 2});
  set_requires_grad(leaf, true);
  auto n = std::make_shared<ScaleNode>();
  n->factor = factor;
  n->set_next_edges({gradient_edge(leaf)});
  Tensor out = vec({1, 2});
  set_history(out, n);
  return out;
}

struct AnomalyGuard {
  AnomalyGuard(bool check_nan) {
    set_anomaly_metadata_factory(&make_recording);
    AnomalyMode::set_enabled(true, check_nan);
    g_reports.clear();
  }
  ~AnomalyGuard() {
    AnomalyMode::set_enabled(false);
    set_anomaly_metadata_factory(nullptr);
  }
};

TEST(AnomalyMode, NanGradientRaisesNamingTheNodeAndReportsItsStack) {
  AnomalyGuard on(true);
  Tensor leaf;
  Tensor out = scaled_leaf_output(leaf, std::numeric_limits<float>::quiet_NaN());
  ASSERT_NE(grad_fn(out)->anomaly_metadata(), nullptr);
  try {
    backward({out}, {vec({1, 1})}, {});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "Function 'ScaleBackward0' returned nan values in its 0th output.");
  }
  ASSERT_EQ(g_reports.size(), 1u);
  EXPECT_EQ(g_reports[0], "ScaleBackward0");
}

TEST(AnomalyMode, CheckNanOffAndModeOffLetNanThrough) {
  {
    AnomalyGuard on(false);
    Tensor leaf;
    backward({scaled_leaf_output(leaf, NAN)}, {vec({1, 1})}, {});
    EXPECT_TRUE(std::isnan(grad(leaf).data<float>()[0]));
    EXPECT_TRUE(g_reports.empty());
  }
  Tensor leaf;
  Tensor out = scaled_leaf_output(leaf, NAN);
  EXPECT_EQ(grad_fn(out)->anomaly_metadata(), nullptr);  // off: nothing recorded
  backward({out}, {vec({1, 1})}, {});
  EXPECT_TRUE(std::isnan(grad(leaf).data<float>()[1]));
}

}  // namespace
}  // namespace tessera::autograd

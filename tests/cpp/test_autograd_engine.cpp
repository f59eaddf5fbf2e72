// The backward engine on hand-built graphs (ops' own formulas are tested from Python).
#include <gtest/gtest.h>

#include <thread>

#include "autograd/engine.h"
#include "autograd/grad_mode.h"
#include "autograd/meta.h"
#include "autograd/saved_tensor.h"
#include "core/error.h"
#include "ops/binary.h"
#include "test_util.h"

namespace tessera::autograd {
namespace {

Tensor elementwise(const Tensor& a, const Tensor& b, float (*f)(float, float)) {
  Tensor out = empty_tensor(a.sizes(), DType::Float32);
  for (int64_t i = 0; i < a.numel(); ++i) out.data<float>()[i] = f(a.data<float>()[i], b.data<float>()[i]);
  return out;
}
float mulf(float x, float y) { return x * y; }
float addf(float x, float y) { return x + y; }

struct MulNode : Node {
  SavedTensor a, b;
  std::string name() const override { return "MulBackward"; }
  TensorVec apply(TensorVec&& g) override {
    auto self = shared_from_this();
    Tensor av = a.unpack(self), bv = b.unpack(self);
    return {elementwise(g[0], bv, mulf), elementwise(g[0], av, mulf)};
  }
  void release_saved() override {
    a.reset();
    b.reset();
  }
};

struct AddNode : Node {
  std::string name() const override { return "AddBackward"; }
  TensorVec apply(TensorVec&& g) override { return {g[0], g[0]}; }
};

// Forward of a tiny differentiable mul/add built from the pieces ops will use.
Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = elementwise(a, b, mulf);
  if (compute_requires_grad({&a, &b})) {
    auto n = std::make_shared<MulNode>();
    n->a = SavedTensor(a, false);
    n->b = SavedTensor(b, false);
    n->set_next_edges(collect_next_edges({&a, &b}));
    set_history(out, n);
  }
  return out;
}
Tensor add(const Tensor& a, const Tensor& b) {
  Tensor out = elementwise(a, b, addf);
  if (compute_requires_grad({&a, &b})) {
    auto n = std::make_shared<AddNode>();
    n->set_next_edges(collect_next_edges({&a, &b}));
    set_history(out, n);
  }
  return out;
}

Tensor leaf(std::vector<float> v) {
  Tensor t = testing::float_tensor(v, DimVector{static_cast<int64_t>(v.size())});
  set_requires_grad(t, true);
  return t;
}
Tensor ones(int64_t n) { return testing::float_tensor(std::vector<float>(n, 1.0f), DimVector{n}); }

TEST(AutogradEngine, SharedSubgraphAccumulates) {
  Tensor a = leaf({1, 2, 3}), b = leaf({4, 5, 6});
  Tensor y = mul(a, b);      // dy/da = b
  Tensor z = add(y, mul(y, a));  // z = ab + a^2 b: dz/da = b + 2ab, dz/db = a + a^2
  EXPECT_FALSE(is_leaf(z));
  EXPECT_EQ(grad_fn(z)->name(), "AddBackward");
  backward({z}, {ones(3)}, {});
  Tensor ga = grad(a), gb = grad(b);
  for (int i = 0; i < 3; ++i) {
    float av = i + 1, bv = i + 4;
    EXPECT_FLOAT_EQ(ga.data<float>()[i], bv + 2 * av * bv);
    EXPECT_FLOAT_EQ(gb.data<float>()[i], av + av * av);
  }
}

TEST(AutogradEngine, SecondBackwardNeedsRetainGraph) {
  Tensor a = leaf({1, 2}), b = leaf({3, 4});
  Tensor y = mul(a, b);
  backward({y}, {ones(2)}, {/*keep_graph=*/true});
  backward({y}, {ones(2)}, {});  // accumulates: grad = 2b
  EXPECT_FLOAT_EQ(grad(a).data<float>()[1], 8.0f);
  try {
    backward({y}, {ones(2)}, {});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("second time"), std::string::npos);
  }
}

TEST(AutogradEngine, InplaceChangeOfSavedTensorIsDetected) {
  Tensor a = leaf({1, 2}), b = leaf({3, 4});
  Tensor bd = detach(b);
  Tensor y = mul(a, bd);
  ops::add_(bd, bd);  // bumps the version counter b shares
  try {
    backward({y}, {ones(2)}, {});
    FAIL() << "expected a version error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("modified by an inplace operation"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("expected version 0"), std::string::npos);
  }
}

TEST(AutogradEngine, GradDoesNotTouchDotGradAndChecksUnused) {
  Tensor a = leaf({1, 2}), b = leaf({3, 4}), c = leaf({5, 6});
  Tensor y = mul(a, b);
  TensorVec g = autograd::grad({y}, {a}, {ones(2)}, {true});
  EXPECT_FLOAT_EQ(g[0].data<float>()[0], 3.0f);
  EXPECT_FALSE(autograd::grad(a).defined());
  EXPECT_THROW(autograd::grad({y}, {c}, {ones(2)}, {true}), Error);
  BackwardOptions unused;
  unused.keep_graph = true;
  unused.allow_unused = true;
  TensorVec g2 = autograd::grad({y}, {c, b}, {ones(2)}, unused);
  EXPECT_FALSE(g2[0].defined());
  EXPECT_FLOAT_EQ(g2[1].data<float>()[1], 2.0f);
}

TEST(AutogradEngine, BackwardWithInputsOnlyFillsThose) {
  Tensor a = leaf({1, 2}), b = leaf({3, 4});
  backward({mul(a, b)}, {ones(2)}, {}, {b});
  EXPECT_FALSE(autograd::grad(a).defined());
  EXPECT_FLOAT_EQ(autograd::grad(b).data<float>()[1], 2.0f);
}

TEST(AutogradEngine, HooksRunInRegistrationOrderAndCanReplace) {
  Tensor a = leaf({1, 2}), b = leaf({3, 4});
  Tensor y = mul(a, b);
  std::vector<int> order;
  register_hook(y, [&](const Tensor&) {
    order.push_back(1);
    return Tensor();
  });
  register_hook(y, [&](const Tensor& g) {
    order.push_back(2);
    return elementwise(g, g, addf);  // doubles the gradient flowing on
  });
  register_hook(a, [&](const Tensor&) {
    order.push_back(3);
    return Tensor();
  });
  int post = 0;
  register_post_accumulate_grad_hook(a, [&](const Tensor& t) { post += grad(t).defined(); });
  retain_grad(y);
  backward({y}, {ones(2)}, {});
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(post, 1);
  EXPECT_FLOAT_EQ(grad(a).data<float>()[0], 6.0f);
  EXPECT_FLOAT_EQ(grad(y).data<float>()[0], 2.0f);  // retain_grad sees the grad after the earlier hooks
}

TEST(AutogradEngine, NoGradRecordsNothing) {
  Tensor a = leaf({1, 2});
  {
    GradModeGuard off(false);
    Tensor y = mul(a, a);
    EXPECT_TRUE(is_leaf(y));
    EXPECT_FALSE(y.requires_grad());
  }
  EXPECT_FALSE(is_leaf(mul(a, a)));
}

TEST(AutogradEngine, RequiresGradRules) {
  Tensor i = empty_tensor(DimVector{2}, DType::Int64);
  EXPECT_THROW(set_requires_grad(i, true), Error);
  Tensor a = leaf({1, 2});
  Tensor y = mul(a, a);
  EXPECT_THROW(set_requires_grad(y, false), Error);
  Tensor s = testing::float_tensor({1, 2}, DimVector{2});
  EXPECT_THROW(backward({s}, {ones(2)}, {}), Error);  // does not require grad
  EXPECT_THROW(backward({y}, {}, {}), Error);         // implicit grad needs a scalar
}

TEST(AutogradEngine, ConcurrentBackwardMatchesSerial) {
  auto run = [](float seed) {
    Tensor a = leaf({seed, seed + 1, seed + 2}), b = leaf({2, 3, 4});
    Tensor z = a;
    for (int k = 0; k < 50; ++k) z = add(mul(z, b), a);
    backward({z}, {ones(3)}, {});
    return std::vector<float>(grad(a).data<float>(), grad(a).data<float>() + 3);
  };
  std::vector<std::vector<float>> serial(8), parallel(8);
  for (int t = 0; t < 8; ++t) serial[t] = run(0.01f * t);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) threads.emplace_back([&, t] { parallel[t] = run(0.01f * t); });
  for (auto& th : threads) th.join();
  EXPECT_EQ(serial, parallel);
}

}  // namespace
}  // namespace tessera::autograd

// Registry, kernel lookup by dispatch key, typed and boxed paths, thread safety.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "dispatch/boxing.h"
#include "ops/binary.h"
#include "test_util.h"

namespace tessera {
namespace {

Tensor scale_cpu(const Tensor& self, const Scalar& factor) {
  Tensor out = empty_tensor(self.sizes(), DType::Float32);
  for (int64_t i = 0; i < self.numel(); ++i) out.data<float>()[i] = self.data<float>()[i] * factor.to<float>();
  return out;
}
TS_REGISTER_OP("test_scale(Tensor self, Scalar factor=2) -> Tensor", CPU, &scale_cpu);

Tensor test_scale(const Tensor& self, const Scalar& factor) {
  static TypedOp<Tensor(const Tensor&, const Scalar&)> op("test_scale");
  return op(self, factor);
}

TEST(Dispatcher, SchemaIsParsed) {
  const FunctionSchema& s = Dispatcher::instance().get("add").schema();
  EXPECT_EQ(s.name, "add");
  ASSERT_EQ(s.arguments.size(), 3u);
  EXPECT_EQ(s.arguments[0].type, "Tensor");
  EXPECT_TRUE(s.arguments[2].kwarg_only);
  EXPECT_EQ(s.arguments[2].name, "alpha");
  ASSERT_TRUE(s.arguments[2].default_value.has_value());
  EXPECT_EQ(s.arguments[2].default_value->get<int64_t>("int"), 1);
  EXPECT_EQ(s.returns, std::vector<std::string>{"Tensor"});
  auto parsed = FunctionSchema::parse("f(Tensor? a=None, int[] b=[1, 2], float eps=1e-05, str mode=\"mean\") -> (Tensor, Tensor)");
  EXPECT_TRUE(parsed.arguments[0].default_value->is_none());
  EXPECT_EQ(parsed.arguments[1].default_value->get<std::vector<int64_t>>("int[]"), (std::vector<int64_t>{1, 2}));
  EXPECT_DOUBLE_EQ(parsed.arguments[2].default_value->get<double>("float"), 1e-5);
  EXPECT_EQ(parsed.arguments[3].default_value->get<std::string>("str"), "mean");
  EXPECT_EQ(parsed.returns.size(), 2u);
  EXPECT_THROW(FunctionSchema::parse("no parens -> Tensor"), Error);
}

TEST(Dispatcher, TypedAndBoxedPathsAgree) {
  Tensor x = testing::arange_float(4, DimVector{4});
  Tensor typed = test_scale(x, 3);
  Stack stack{IValue(x), IValue(Scalar(3))};
  Dispatcher::instance().get("test_scale").call_boxed(stack);
  ASSERT_EQ(stack.size(), 1u);
  Tensor boxed = stack[0].get<Tensor>("Tensor");
  for (int i = 0; i < 4; ++i) EXPECT_EQ(typed.data<float>()[i], boxed.data<float>()[i]);
  // Defaults are filled for boxed callers.
  Stack defaults{IValue(x)};
  Dispatcher::instance().get("test_scale").call_boxed(defaults);
  EXPECT_EQ(defaults[0].get<Tensor>("Tensor").data<float>()[3], 6.0f);
  // Wrong arity or types raise TypeError.
  Stack too_many{IValue(x), IValue(Scalar(1)), IValue(Scalar(1))};
  EXPECT_THROW(Dispatcher::instance().get("test_scale").call_boxed(too_many), Error);
  Stack wrong{IValue(int64_t(1))};
  try {
    Dispatcher::instance().get("test_scale").call_boxed(wrong);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Type);
  }
}

TEST(Dispatcher, MissingDeviceKernelIsNotImplemented) {
  // A fake CUDA tensor (never dereferenced): the CPU-only op must refuse it before running.
  Storage st = make_intrusive<StorageImpl>(DataPtr(nullptr, nullptr, nullptr, Device(DeviceType::CUDA, 0)), 0, nullptr);
  Tensor cuda_t(make_intrusive<TensorImpl>(st, DType::Float32, DimVector{0}, DimVector{1}, 0));
  try {
    test_scale(cuda_t, 2);
    FAIL() << "expected NotImplemented";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotImplemented);
    EXPECT_NE(std::string(e.what()).find("test_scale"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("cuda"), std::string::npos);
  }
}

// A boxed-only kernel, as a plugin registers through the C ABI.
void boxed_negate(const Operator&, void*, Stack& stack) {
  Tensor x = stack[0].get<Tensor>("Tensor");
  Tensor out = empty_tensor(x.sizes(), DType::Float32);
  for (int64_t i = 0; i < x.numel(); ++i) out.data<float>()[i] = -x.data<float>()[i];
  stack.clear();
  stack.emplace_back(out);
}

TEST(Dispatcher, TypedCallReachesBoxedOnlyKernel) {
  Dispatcher& d = Dispatcher::instance();
  d.define("test_negate(Tensor self) -> Tensor");
  KernelFunction k;
  k.boxed = &boxed_negate;
  d.register_kernel("test_negate", DispatchKey::CPU, k);
  TypedOp<Tensor(const Tensor&)> op("test_negate");
  Tensor y = op(testing::arange_float(3, DimVector{3}));
  EXPECT_EQ(y.data<float>()[2], -2.0f);
}

struct FakeGradMeta : AutogradMetaInterface {
  bool requires_grad() const override { return true; }
};
std::atomic<int> g_autograd_hits{0};
Tensor scale_autograd(const Tensor& self, const Scalar& factor) {
  ++g_autograd_hits;
  ExcludeDispatchKeyGuard below(DispatchKey::Autograd);  // redispatch to the backend
  return test_scale(self, factor);
}

TEST(Dispatcher, AutogradSlotRunsFirstThenFallsThrough) {
  Tensor x = testing::arange_float(2, DimVector{2});
  g_autograd_hits = 0;
  test_scale(x, 2);  // no Autograd kernel yet and no requires_grad: straight to CPU
  EXPECT_EQ(g_autograd_hits, 0);
  Dispatcher::instance().register_kernel("test_scale", DispatchKey::Autograd,
                                         boxing::FnTraits<Tensor(const Tensor&, const Scalar&)>::make(&scale_autograd));
  test_scale(x, 2);
  EXPECT_EQ(g_autograd_hits, 0);  // plain tensors carry no Autograd key
  x.impl()->set_autograd_meta(std::make_unique<FakeGradMeta>());
  Tensor y = test_scale(x, 2);
  EXPECT_EQ(g_autograd_hits, 1);
  EXPECT_EQ(y.data<float>()[1], 2.0f);
}

TEST(Dispatcher, KernelsMayBeRegisteredBeforeTheirOp) {
  // Every kernel registered during static initialisation found its op (no misspelt names).
  EXPECT_TRUE(Dispatcher::instance().pending_kernels().empty());
  register_kernel("test_late", DispatchKey::CPU, &scale_cpu);
  EXPECT_EQ(Dispatcher::instance().pending_kernels(), std::vector<std::string>{"test_late"});
  Dispatcher::instance().define("test_late(Tensor self, Scalar factor=2) -> Tensor");
  EXPECT_TRUE(Dispatcher::instance().pending_kernels().empty());
  Stack s{IValue(testing::arange_float(3, DimVector{3}))};
  Dispatcher::instance().get("test_late").call_boxed(s);
  EXPECT_EQ(s[0].get<Tensor>("Tensor").data<float>()[2], 4.0f);
}

TEST(Dispatcher, SignatureMismatchIsRefused) {
  EXPECT_THROW((TypedOp<Tensor(const Tensor&)>("add")), Error);
  EXPECT_THROW(Dispatcher::instance().define("add(Tensor self) -> Tensor"), Error);
  EXPECT_THROW(Dispatcher::instance().get("no_such_op"), Error);
}

TEST(Dispatcher, ConcurrentRegistrationWhileCalling) {
  std::atomic<bool> stop{false};
  std::atomic<int64_t> calls{0};
  Tensor x = testing::arange_float(8, DimVector{8});
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&] {
      while (!stop.load()) {
        Tensor y = ops::add(x, x);
        ASSERT_EQ(y.data<float>()[7], 14.0f);
        ASSERT_NE(Dispatcher::instance().find("add"), nullptr);
        ++calls;
      }
    });
  }
  std::vector<std::thread> registrars;
  for (int t = 0; t < 4; ++t) {
    registrars.emplace_back([t] {
      for (int i = 0; i < 200; ++i) {
        std::string name = "test_concurrent_" + std::to_string(t) + "_" + std::to_string(i);
        register_op((name + "(Tensor self, Scalar factor=2) -> Tensor").c_str(), DispatchKey::CPU, &scale_cpu);
        ASSERT_NE(Dispatcher::instance().find(name), nullptr);
      }
    });
  }
  for (auto& r : registrars) r.join();
  stop = true;
  for (auto& c : callers) c.join();
  EXPECT_GT(calls.load(), 0);
  for (int t = 0; t < 4; ++t)
    for (int i = 0; i < 200; ++i)
      EXPECT_NE(Dispatcher::instance().find("test_concurrent_" + std::to_string(t) + "_" + std::to_string(i)), nullptr);
  // The new ops are callable from the boxed path.
  Stack s{IValue(x)};
  Dispatcher::instance().get("test_concurrent_3_199").call_boxed(s);
  EXPECT_EQ(s[0].get<Tensor>("Tensor").data<float>()[1], 2.0f);
}

}  // namespace
}  // namespace tessera

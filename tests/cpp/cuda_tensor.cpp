// Tensors on the GPU: allocation on a chosen device, factories, copies in every direction.
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/tensor.h"
#include "cuda/host_allocator.h"
#include "cuda/runtime/device.h"
#include "ops/copy.h"
#include "ops/creation.h"
#include "ops/view.h"
#include "test_util.h"

namespace tessera {
namespace {

using testing::arange_float;
using testing::at;

#define SKIP_WITHOUT_GPU() \
  if (cuda::device_count() == 0) GTEST_SKIP() << "needs a CUDA GPU"

const Device kCuda(DeviceType::CUDA);

TEST(CudaTensor, AllocatesOnTheRequestedDevice) {
  SKIP_WITHOUT_GPU();
  Tensor t = empty_tensor(DimVector{4, 5}, DType::Float32, kCuda);
  EXPECT_EQ(t.device(), Device(DeviceType::CUDA, 0));
  cudaPointerAttributes attr{};
  ASSERT_EQ(cudaPointerGetAttributes(&attr, t.data_ptr()), cudaSuccess);
  EXPECT_EQ(attr.type, cudaMemoryTypeDevice);
  const int last = cuda::device_count() - 1;
  Tensor u = empty_tensor(DimVector{3}, DType::Int64, Device(DeviceType::CUDA, last));
  EXPECT_EQ(u.device().index, last);
  EXPECT_EQ(cuda::current_device(), 0);  // allocation did not switch devices
  EXPECT_THROW(empty_tensor(DimVector{3}, DType::Int64, Device(DeviceType::CUDA, cuda::device_count())), Error);
}

TEST(CudaTensor, RoundTripAndConversion) {
  SKIP_WITHOUT_GPU();
  Tensor x = arange_float(12, DimVector{3, 4});
  Tensor g = ops::to(x, kCuda, std::nullopt);
  EXPECT_TRUE(g.device().is_cuda());
  Tensor back = ops::to(g, Device(DeviceType::CPU), std::nullopt);
  for (int64_t i = 0; i < 12; ++i) EXPECT_EQ(back.data<float>()[i], static_cast<float>(i));
  Tensor gd = ops::to(g, std::nullopt, DType::Float64);  // conversion on the GPU
  Tensor hd = ops::to(gd, Device(DeviceType::CPU), std::nullopt);
  for (int64_t i = 0; i < 12; ++i) EXPECT_EQ(hd.data<double>()[i], static_cast<double>(i));
  // strided GPU view -> CPU
  Tensor gt = ops::transpose(g, 0, 1);
  Tensor ht = ops::to(gt, Device(DeviceType::CPU), std::nullopt);
  EXPECT_EQ(at(ht, {3, 2}), at(x, {2, 3}));
}

TEST(CudaTensor, FactoriesFill) {
  SKIP_WITHOUT_GPU();
  Tensor f = ops::full(DimVector{1000}, Scalar(2.5), DType::Float32, kCuda);
  Tensor h = ops::to(f, Device(DeviceType::CPU), std::nullopt);
  for (int64_t i = 0; i < 1000; ++i) ASSERT_EQ(h.data<float>()[i], 2.5f);
  Tensor a = ops::arange(Scalar(int64_t(0)), Scalar(int64_t(10)), Scalar(int64_t(1)), DType::Int32, kCuda);
  Tensor ha = ops::to(a, Device(DeviceType::CPU), std::nullopt);
  for (int32_t i = 0; i < 10; ++i) EXPECT_EQ(ha.data<int32_t>()[i], i);
}

TEST(CudaTensor, PinnedMemory) {
  SKIP_WITHOUT_GPU();
  Tensor x = arange_float(8, DimVector{8});
  EXPECT_FALSE(cuda::is_pinned(x));
  Tensor p = cuda::pin_memory(x);
  EXPECT_TRUE(cuda::is_pinned(p));
  EXPECT_TRUE(cuda::pin_memory(p).is_same(p));
  cudaPointerAttributes attr{};
  ASSERT_EQ(cudaPointerGetAttributes(&attr, p.data_ptr()), cudaSuccess);
  EXPECT_EQ(attr.type, cudaMemoryTypeHost);
  EXPECT_EQ(p.data<float>()[7], 7.0f);
}

}  // namespace
}  // namespace tessera

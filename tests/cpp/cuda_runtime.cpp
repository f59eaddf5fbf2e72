// CUDA runtime: devices, the device guard, stream pools and current streams, events, error checks.
// Skipped at run time without a GPU; compiled only into CUDA builds.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "core/error.h"
#include "cuda/runtime/cuda_check.h"
#include "cuda/runtime/device.h"
#include "cuda/runtime/event.h"
#include "cuda/runtime/stream.h"

namespace tessera::cuda {
namespace {

#define SKIP_WITHOUT_GPU() \
  if (device_count() == 0) GTEST_SKIP() << "needs a CUDA GPU"

// Holds a stream on the host for `ms` milliseconds: later work on it waits (no custom kernel needed).
void block_stream(const Stream& s, int ms) {
  static int delay;
  delay = ms;
  TS_CUDA_CHECK(cudaLaunchHostFunc(
      s.handle(), [](void*) { std::this_thread::sleep_for(std::chrono::milliseconds(delay)); }, nullptr));
}

TEST(CudaRuntime, NoGpuIsNotAnError) {
  EXPECT_GE(device_count(), 0);
  EXPECT_EQ(is_available(), device_count() > 0);
  if (device_count() == 0) EXPECT_THROW(current_device(), Error);
}

TEST(CudaRuntime, CheckMacroNamesTheCall) {
  SKIP_WITHOUT_GPU();
  try {
    TS_CUDA_CHECK(cudaSetDevice(device_count() + 5));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Runtime);
    EXPECT_NE(std::string(e.what()).find("cudaSetDevice"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("invalid device ordinal"), std::string::npos) << e.what();
  }
  // the error was cleared: the next call succeeds
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
  EXPECT_THROW(check_device(device_count()), Error);
  EXPECT_THROW(check_device(-1), Error);
}

TEST(CudaRuntime, DeviceGuardRestores) {
  SKIP_WITHOUT_GPU();
  const int last = device_count() - 1;
  set_device(0);
  {
    DeviceGuard g(last);
    EXPECT_EQ(current_device(), last);
    EXPECT_EQ(g.original_device(), 0);
  }
  EXPECT_EQ(current_device(), 0);
  {
    DeviceGuard noop(-1);
    EXPECT_EQ(current_device(), 0);
  }
  const cudaDeviceProp& p = device_properties(0);
  EXPECT_GT(p.multiProcessorCount, 0);
  EXPECT_EQ(&p, &device_properties(0));  // cached
}

TEST(CudaRuntime, StreamPoolsAndCurrentStream) {
  SKIP_WITHOUT_GPU();
  EXPECT_TRUE(current_stream().is_default());
  EXPECT_EQ(current_stream(), default_stream());
  Stream a = stream_from_pool(), b = stream_from_pool();
  EXPECT_NE(a, b);
  EXPECT_FALSE(a.is_default());
  Stream hi = stream_from_pool(-1);
  EXPECT_LT(hi.priority(), a.priority());
  {
    StreamGuard g(a);
    EXPECT_EQ(current_stream(), a);
    set_current_stream(b);
    EXPECT_EQ(current_stream(), b);
  }
  EXPECT_TRUE(current_stream().is_default());
  // current streams are per thread
  set_current_stream(a);
  Stream seen;
  std::thread([&] { seen = current_stream(0); }).join();
  EXPECT_TRUE(seen.is_default());
  set_current_stream(default_stream());
}

TEST(CudaRuntime, WaitStreamOrdersWork) {
  SKIP_WITHOUT_GPU();
  Stream side = stream_from_pool(), main = stream_from_pool();
  void* d = nullptr;
  TS_CUDA_CHECK(cudaMalloc(&d, sizeof(int)));
  TS_CUDA_CHECK(cudaMemset(d, 0, sizeof(int)));
  block_stream(side, 50);
  TS_CUDA_CHECK(cudaMemsetAsync(d, 0x11, sizeof(int), side.handle()));
  EXPECT_FALSE(side.query());
  main.wait_stream(side);
  int h = 0;
  TS_CUDA_CHECK(cudaMemcpyAsync(&h, d, sizeof(int), cudaMemcpyDeviceToHost, main.handle()));
  main.synchronize();
  EXPECT_EQ(h, 0x11111111);
  EXPECT_TRUE(side.query());
  TS_CUDA_CHECK(cudaFree(d));
}

TEST(CudaRuntime, EventsRecordWaitAndTime) {
  SKIP_WITHOUT_GPU();
  Stream s = stream_from_pool();
  Event never;
  EXPECT_TRUE(never.query());
  never.synchronize();  // no-op
  never.wait(s);        // no-op
  Event start(true), end(true);
  start.record(s);
  block_stream(s, 20);
  end.record(s);
  EXPECT_FALSE(end.query());
  end.synchronize();
  EXPECT_TRUE(end.query());
  EXPECT_GT(start.elapsed_time(end), 5.0f);
  Event plain;
  plain.record(s);
  EXPECT_THROW(plain.elapsed_time(end), Error);
  EXPECT_THROW(Event(true).elapsed_time(end), Error);
  Event moved(std::move(start));
  EXPECT_TRUE(moved.is_created());
  EXPECT_FALSE(start.is_created());
}

}  // namespace
}  // namespace tessera::cuda

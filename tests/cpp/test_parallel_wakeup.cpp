// The pool's spin-then-sleep hand-off: jobs issued back to back (workers still spinning), after
// a pause (workers asleep) and with changing thread counts each cover their range exactly once.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "cpu/parallel.h"

namespace tessera {
namespace {

struct ThreadCountGuard {
  int prev = get_num_threads();
  ~ThreadCountGuard() { set_num_threads(prev); }
};

void run_job(int64_t n, int64_t grain) {
  std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
  parallel_for(0, n, grain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) hits[i]++;
  });
  for (auto& h : hits) ASSERT_EQ(h.load(), 1);
}

TEST(ParallelWakeup, BackToBackJobsWhileWorkersSpin) {
  ThreadCountGuard guard;
  set_num_threads(4);
  for (int i = 0; i < 2000; ++i) run_job(64 + i % 7, 8);
}

TEST(ParallelWakeup, JobsAfterWorkersFellAsleep) {
  ThreadCountGuard guard;
  set_num_threads(3);
  for (int i = 0; i < 20; ++i) {
    run_job(1000, 10);
    std::this_thread::sleep_for(std::chrono::milliseconds(i % 3 == 0 ? 2 : 0));
  }
}

TEST(ParallelWakeup, ChangingThreadCounts) {
  ThreadCountGuard guard;
  for (int i = 0; i < 300; ++i) {
    set_num_threads(1 + i % 5);
    run_job(500, 3);
  }
}

}  // namespace
}  // namespace tessera

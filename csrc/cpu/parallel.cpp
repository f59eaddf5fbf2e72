#include "cpu/parallel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "core/error.h"

namespace tessera {

namespace {

thread_local bool t_in_parallel = false;

int default_threads() {
  if (const char* env = std::getenv("TESSERA_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n > 0) return n;
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

std::atomic<int> g_num_threads{default_threads()};

// One job at a time (callers serialise on job_mutex); workers and the caller claim chunks.
class ThreadPool {
 public:
  static ThreadPool& instance() {
    static ThreadPool* pool = new ThreadPool();  // leaked: workers may outlive static destructors
    return *pool;
  }

  void run(int64_t begin, int64_t end, int64_t grain, const std::function<void(int64_t, int64_t)>& f, int threads) {
    std::lock_guard<std::mutex> job_lock(job_mutex_);
    ensure_workers(threads - 1);
    int64_t chunks = std::min<int64_t>(threads, (end - begin + grain - 1) / grain);
    int64_t chunk = (end - begin + chunks - 1) / chunks;
    bool wake = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      fn_ = &f;
      begin_ = begin;
      end_ = end;
      chunk_ = chunk;
      num_chunks_.store(chunks, std::memory_order_relaxed);
      pending_.store(chunks);
      error_ = nullptr;
      next_.store(0);  // a worker that claims a chunk sees every field above
      generation_.fetch_add(1, std::memory_order_release);
      wake = sleepers_ > 0;
    }
    // Spinning workers see the new generation by themselves: no futex call on back-to-back jobs.
    if (wake) cv_.notify_all();
    work();
    // The other chunks are usually a few microseconds from done: spin briefly before sleeping.
    if (!spin_until([&] { return pending_.load(std::memory_order_acquire) == 0; })) {
      std::unique_lock<std::mutex> lock(mutex_);
      done_cv_.wait(lock, [&] { return pending_.load() == 0; });
    }
    std::lock_guard<std::mutex> lock(mutex_);
    next_.store(kExhausted);  // a late worker from this job claims nothing of the next
    fn_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  // Spins up to about kSpinMicros for `ready`; a training step issues its parallel ops a few
  // microseconds apart, and waking a sleeping thread costs tens of microseconds. Yields now and
  // then so a spinning thread never starves another on an oversubscribed machine.
  template <class Ready>
  static bool spin_until(const Ready& ready) {
    constexpr int64_t kSpinMicros = 50;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(kSpinMicros);
    for (int i = 1;; ++i) {
      if (ready()) return true;
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
      if (i % 64 == 0) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::yield();
      }
    }
  }

  void ensure_workers(int n) {
    while (static_cast<int>(workers_.size()) < n) {
      workers_.emplace_back([this] { worker_loop(); });
      workers_.back().detach();
    }
  }

  void work() {
    t_in_parallel = true;
    for (;;) {
      int64_t c = next_.fetch_add(1);
      if (c >= num_chunks_.load(std::memory_order_relaxed)) break;
      int64_t b = begin_ + c * chunk_, e = std::min(end_, b + chunk_);
      try {
        if (b < e) (*fn_)(b, e);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!error_) error_ = std::current_exception();
      }
      if (pending_.fetch_sub(1) == 1) {
        std::lock_guard<std::mutex> lock(mutex_);
        done_cv_.notify_all();
      }
    }
    t_in_parallel = false;
  }

  void worker_loop() {
    uint64_t seen = generation_.load(std::memory_order_acquire);
    for (;;) {
      if (!spin_until([&] { return generation_.load(std::memory_order_acquire) != seen; })) {
        std::unique_lock<std::mutex> lock(mutex_);
        ++sleepers_;
        cv_.wait(lock, [&] { return generation_.load() != seen; });
        --sleepers_;
      }
      seen = generation_.load(std::memory_order_acquire);
      work();
    }
  }

  std::mutex job_mutex_;
  std::mutex mutex_;
  std::condition_variable cv_, done_cv_;
  std::vector<std::thread> workers_;
  const std::function<void(int64_t, int64_t)>* fn_ = nullptr;
  int64_t begin_ = 0, end_ = 0, chunk_ = 1;
  // Atomic: a late worker of the last job reads it while the next job is being published.
  std::atomic<int64_t> num_chunks_{0};
  static constexpr int64_t kExhausted = int64_t(1) << 60;
  std::atomic<int64_t> next_{kExhausted};
  std::atomic<int64_t> pending_{0};
  std::atomic<uint64_t> generation_{0};
  int sleepers_ = 0;  // workers blocked on cv_ (guarded by mutex_)
  std::exception_ptr error_;
};

}  // namespace

int get_num_threads() {
  return g_num_threads.load(std::memory_order_relaxed);
}
void set_num_threads(int n) {
  TS_CHECK_VALUE(n > 0, "[set_num_threads] expected a positive number of threads, got ", n);
  g_num_threads.store(n);
}
bool in_parallel_region() {
  return t_in_parallel;
}

namespace detail {
void parallel_for_impl(int64_t begin, int64_t end, int64_t grain, const std::function<void(int64_t, int64_t)>& f) {
  ThreadPool::instance().run(begin, end, grain, f, get_num_threads());
}
}  // namespace detail

}  // namespace tessera

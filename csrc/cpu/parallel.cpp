#include "cpu/parallel.h"

#include <algorithm>
#include <atomic>
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
    {
      std::lock_guard<std::mutex> lock(mutex_);
      fn_ = &f;
      begin_ = begin;
      end_ = end;
      chunk_ = chunk;
      num_chunks_ = chunks;
      pending_.store(chunks);
      error_ = nullptr;
      next_.store(0);  // last: a worker that claims a chunk sees every field above
      ++generation_;
    }
    cv_.notify_all();
    work();
    std::unique_lock<std::mutex> lock(mutex_);
    done_cv_.wait(lock, [&] { return pending_.load() == 0; });
    next_.store(kExhausted);  // a late worker from this job claims nothing of the next
    fn_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
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
      if (c >= num_chunks_) break;
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
    uint64_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [&] { return generation_ != seen; });
        seen = generation_;
        if (!fn_) continue;
      }
      work();
    }
  }

  std::mutex job_mutex_;
  std::mutex mutex_;
  std::condition_variable cv_, done_cv_;
  std::vector<std::thread> workers_;
  const std::function<void(int64_t, int64_t)>* fn_ = nullptr;
  int64_t begin_ = 0, end_ = 0, chunk_ = 1, num_chunks_ = 0;
  static constexpr int64_t kExhausted = int64_t(1) << 60;
  std::atomic<int64_t> next_{kExhausted};
  std::atomic<int64_t> pending_{0};
  uint64_t generation_ = 0;
  std::exception_ptr error_;
};

}  // namespace

int get_num_threads() { return g_num_threads.load(std::memory_order_relaxed); }
void set_num_threads(int n) {
  TS_CHECK_VALUE(n > 0, "[set_num_threads] expected a positive number of threads, got ", n);
  g_num_threads.store(n);
}
bool in_parallel_region() { return t_in_parallel; }

namespace detail {
void parallel_for_impl(int64_t begin, int64_t end, int64_t grain, const std::function<void(int64_t, int64_t)>& f) {
  ThreadPool::instance().run(begin, end, grain, f, get_num_threads());
}
}  // namespace detail

}  // namespace tessera

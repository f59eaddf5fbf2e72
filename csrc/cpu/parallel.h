#pragma once
// parallel_for over an index range on a persistent thread pool. Nested calls run serially.
#include <cstdint>
#include <functional>

namespace tessera {

int get_num_threads();
void set_num_threads(int n);
bool in_parallel_region();

namespace detail {
void parallel_for_impl(int64_t begin, int64_t end, int64_t grain, const std::function<void(int64_t, int64_t)>& f);
}

// Calls f(chunk_begin, chunk_end) over [begin, end) in chunks of at least `grain` items.
template <class F>
void parallel_for(int64_t begin, int64_t end, int64_t grain, const F& f) {
  if (end <= begin) return;
  if (end - begin <= grain || in_parallel_region() || get_num_threads() == 1) {
    f(begin, end);
    return;
  }
  detail::parallel_for_impl(begin, end, grain, f);
}

// Work below this many elements is not worth waking threads for.
constexpr int64_t kElementwiseGrain = 32768;

}  // namespace tessera

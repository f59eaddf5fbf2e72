#pragma once
// The same-device check of calls that touch a GPU (PyTorch's generated check_all_same_device):
// every tensor argument must be on one device, except 0-d CPU tensors (Python scalars). Without
// it a kernel would read another device's memory: a crash on the CPU, a dead context on the GPU.
// CPU-only calls skip it (one bit test in the caller).
#include <optional>
#include <span>

#include "core/error.h"
#include "core/tensor.h"

namespace tessera::device_check {

struct State {
  Device first;
  bool have = false;
  std::optional<Device> other;  // a second device, once found
};

inline void note(State& s, const Tensor& t) {
  if (!t.defined() || (t.dim() == 0 && t.device().is_cpu()) || s.other) return;
  if (!s.have) {
    s.first = t.device();
    s.have = true;
  } else if (t.device() != s.first) {
    s.other = t.device();
  }
}
inline void note(State& s, const std::optional<Tensor>& t) {
  if (t) note(s, *t);
}
inline void note(State& s, std::span<const Tensor> ts) {
  for (const Tensor& t : ts) note(s, t);
}
template <class T>
void note(State&, const T&) {}

[[noreturn]] void fail(const char* op, const State& s);

template <class... Args>
void check(const char* op, const Args&... args) {
  State s;
  (note(s, args), ...);
  if (__builtin_expect(s.other.has_value(), 0)) fail(op, s);
}

}  // namespace tessera::device_check

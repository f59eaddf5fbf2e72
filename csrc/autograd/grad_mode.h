#pragma once
// Thread-local switches of the autograd layer: whether ops record graph nodes (no_grad,
// enable_grad, set_grad_enabled) and inference mode.

namespace tessera::autograd {

bool grad_enabled();
void set_grad_enabled(bool enabled);
bool inference_mode();
void set_inference_mode(bool enabled);

class GradModeGuard {
 public:
  explicit GradModeGuard(bool enabled) : prev_(grad_enabled()) { set_grad_enabled(enabled); }
  ~GradModeGuard() { set_grad_enabled(prev_); }
  GradModeGuard(const GradModeGuard&) = delete;
  GradModeGuard& operator=(const GradModeGuard&) = delete;

 private:
  bool prev_;
};

}  // namespace tessera::autograd

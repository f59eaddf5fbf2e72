#include "core/backend_flags.h"

#include <atomic>

namespace tessera {
namespace {
std::atomic<bool> g_matmul_tf32{false};
std::atomic<bool> g_conv_tf32{true};
std::atomic<bool> g_fp16_reduction{true};
std::atomic<bool> g_bf16_reduction{true};
}  // namespace

bool matmul_allow_tf32() {
  return g_matmul_tf32.load(std::memory_order_relaxed);
}
void set_matmul_allow_tf32(bool on) {
  g_matmul_tf32.store(on, std::memory_order_relaxed);
}
bool conv_allow_tf32() {
  return g_conv_tf32.load(std::memory_order_relaxed);
}
void set_conv_allow_tf32(bool on) {
  g_conv_tf32.store(on, std::memory_order_relaxed);
}
bool matmul_allow_fp16_reduced_precision_reduction() {
  return g_fp16_reduction.load(std::memory_order_relaxed);
}
void set_matmul_allow_fp16_reduced_precision_reduction(bool on) {
  g_fp16_reduction.store(on, std::memory_order_relaxed);
}
bool matmul_allow_bf16_reduced_precision_reduction() {
  return g_bf16_reduction.load(std::memory_order_relaxed);
}
void set_matmul_allow_bf16_reduced_precision_reduction(bool on) {
  g_bf16_reduction.store(on, std::memory_order_relaxed);
}

}  // namespace tessera

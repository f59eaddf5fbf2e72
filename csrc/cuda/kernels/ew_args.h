#pragma once
// Operands of one elementwise launch as the CUDA kernels take them (host-built, plain C++): data
// pointers (outputs first), the iteration layout, and the value bits of 0-d CPU operands, which
// PyTorch lets join CUDA tensors (data is then nullptr and the kernel reads `scalar` instead).
#include <cstdint>

#include "cuda/kernels/strided_layout.h"

namespace tessera::cuda {

constexpr int kMaxEwOperands = 4;

struct EwArgs {
  int ntensors = 0;
  bool has_cpu_scalar = false;
  int64_t n = 0;
  char* data[kMaxEwOperands] = {};
  uint64_t scalar[kMaxEwOperands] = {};
  StridedLayout<kMaxEwOperands> layout;
};

}  // namespace tessera::cuda

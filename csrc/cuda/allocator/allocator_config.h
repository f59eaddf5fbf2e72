#pragma once
// TESSERA_CUDA_ALLOC_CONF: "key:value,key:value" with PyTorch's PYTORCH_CUDA_ALLOC_CONF keys.
#include <cstddef>
#include <limits>
#include <string>

namespace tessera::cuda {

struct AllocatorConfig {
  // Blocks at least this large are never split, and large requests never take a bigger cached one.
  size_t max_split_size = std::numeric_limits<size_t>::max();
  // Fraction (0, 1) of the memory cap above which cached, unsplit large blocks are freed oldest first.
  double garbage_collection_threshold = 0.0;
  // Parsed for compatibility; not implemented (see docs/design/cuda-allocator.md).

  // Throws a Runtime error naming the bad option; an empty string gives the defaults.
  static AllocatorConfig parse(const std::string& conf);
  // Parses the TESSERA_CUDA_ALLOC_CONF environment variable (defaults when unset).
  static AllocatorConfig from_env();
};

}  // namespace tessera::cuda

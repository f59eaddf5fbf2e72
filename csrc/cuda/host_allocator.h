#pragma once
// Page-locked ("pinned") host memory: CPU tensors whose storage comes from cudaHostAlloc, so that
// copies to and from the GPU can run asynchronously (to(..., non_blocking=True)).
#include "core/allocator.h"
#include "core/tensor.h"

namespace tessera::cuda {

Allocator* pinned_host_allocator();
// True for CPU tensors whose storage is pinned by tessera's pinned allocator.
bool is_pinned(const Tensor& t);
// A pinned copy of a CPU tensor (self when already pinned).
Tensor pin_memory(const Tensor& t);

}  // namespace tessera::cuda

#pragma once
// Shape arithmetic shared by the ops: dim wrapping, contiguous strides, broadcasting.
#include <string>

#include "core/small_vector.h"

namespace tessera {

// Wraps a possibly negative dim into [0, ndim); IndexError otherwise (as PyTorch).
int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op);
DimVector contiguous_strides(IntArrayRef sizes);
// Product of sizes; ValueError on negative sizes, RuntimeError on overflow.
int64_t checked_numel(IntArrayRef sizes, const char* op);
// Broadcast two shapes by NumPy rules; RuntimeError naming both sizes when they do not match.
DimVector broadcast_shapes(IntArrayRef a, IntArrayRef b, const char* op);
std::string shape_str(IntArrayRef sizes);  // "(2, 3)"

}  // namespace tessera

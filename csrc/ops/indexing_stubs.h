#pragma once
// Per-device kernels of the indexing family. One gather-style and one scatter-style kernel serve
// index, index_select, gather, take (read) and index_put_, scatter*, index_add_ (write): the
// front-ends express each op as operands over the result shape, where the source/destination is
// "restrided" (stride 0 over the indexed dims) and each int64 index tensor adds idx * stride.
#include <cstdint>

#include "core/scalar.h"
#include "dispatch/dispatch_stub.h"

namespace tessera {
class TensorIterator;
class Tensor;

// Operands of an index iterator: one data tensor (plus the output for reads) and the indices.
constexpr int kMaxIndexTensors = 6;

// How an out-of-range index is reported (each op follows PyTorch's wording and exception type).
enum class IndexErrorStyle : int8_t {
  Dim,        // "index 5 is out of bounds for dimension 0 with size 3"
  SelfRange,  // "index out of range in self" (index_select)
  Take,       // "out of range: tried to access index 12 on a tensor of 12 elements."
};

struct IndexSpec {
  const char* op = "";
  int n = 0;                               // number of index operands
  int64_t sizes[kMaxIndexTensors] = {};    // size of the dim each index addresses
  int64_t strides[kMaxIndexTensors] = {};  // that dim's stride in the data tensor, in bytes
  int64_t dims[kMaxIndexTensors] = {};     // dim number quoted in error messages
  bool wrap_negative = true;               // -size <= i < 0 counts from the end
  bool index_error = true;                 // IndexError (true) or RuntimeError
  IndexErrorStyle style = IndexErrorStyle::Dim;
};

enum class IndexPutMode : int8_t { Assign, Add, Multiply, Max, Min };

// Operands: 0 = output, 1 = restrided source, 2.. = int64 indices. out[i] = src[i + sum idx_k[i] * stride_k].
TS_DECLARE_STUB(index_stub, void(const TensorIterator&, const IndexSpec&));
// Operands (all inputs; the destination is written through): 0 = restrided destination,
// 1 = values (same dtype), 2.. = int64 indices. Add computes dst += alpha * v, Multiply dst *= v,
// Max/Min keep the larger/smaller (NaN wins); these run serially per destination element.
TS_DECLARE_STUB(index_put_stub, void(const TensorIterator&, const IndexSpec&, IndexPutMode, const Scalar&));
// (n, ndim) int64 coordinates of the nonzero elements of a contiguous tensor, in row-major order.
TS_DECLARE_STUB(nonzero_stub, Tensor(const Tensor&));

// Operand 0 (in place) = operand 0 / max(operand 1, 1) with int64 counts; integers divide by floor.
TS_DECLARE_STUB(scatter_mean_stub, void(const TensorIterator&));
// Whether any element of operand 0 equals the element of operand 1 (same dtype, broadcast).
TS_DECLARE_STUB(contains_stub, bool(const TensorIterator&));

// Throws the error `spec` describes for index value `v` of index operand `k`.
[[noreturn]] void index_out_of_range(const IndexSpec& spec, int k, int64_t v);

}  // namespace tessera

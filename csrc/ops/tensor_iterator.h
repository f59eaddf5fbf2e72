#pragma once
// The elementwise engine: broadcasts operands to one shape, allocates missing outputs,
// reorders and coalesces dimensions, then feeds 1-D strided loops (possibly in parallel).
// Operands keep their own dtypes: the op front-end decides promotion and casts beforehand.
#include <functional>
#include <vector>

#include "core/tensor.h"

namespace tessera {

constexpr int kMaxOperands = 8;

class TensorIterator {
 public:
  // The inner loop: data pointers of every operand (outputs first), their byte strides, count.
  using Loop = std::function<void(char** data, const int64_t* strides, int64_t n)>;

  // `out` may be undefined: then it is allocated with `dtype`. A defined output (in-place ops)
  // must already have the broadcast shape: PyTorch refuses to write into a broadcast view too.
  TensorIterator& add_output(const Tensor& out, DType dtype);
  TensorIterator& add_input(const Tensor& in);
  TensorIterator& build(const char* op);

  const Tensor& output(int i = 0) const { return operands_[i]; }
  int ntensors() const { return static_cast<int>(operands_.size()); }
  int noutputs() const { return noutputs_; }
  int64_t numel() const { return numel_; }
  IntArrayRef shape() const { return broadcast_shape_; }
  DType dtype(int i) const { return operands_[i].dtype(); }
  Device device() const { return device_; }

  // Runs `loop` over all elements; in parallel when large and `parallel` is set.
  void for_each(const Loop& loop, bool parallel = true) const;
  // Runs `loop` over the elements whose linear index lies in [begin, end).
  void serial_for_each(const Loop& loop, int64_t begin, int64_t end) const;
  // True when every operand is contiguous and the iteration is one flat loop.
  bool is_contiguous() const { return shape_.size() <= 1 && all_dense_; }
  // For device kernels, which walk the iteration space themselves: the reordered and coalesced
  // shape (innermost first) and operand i's byte strides in the same order.
  IntArrayRef iter_shape() const { return shape_; }
  IntArrayRef byte_strides(int i) const { return strides_[i]; }

 private:
  std::vector<Tensor> operands_;
  std::vector<DType> out_dtypes_;
  int noutputs_ = 0;
  bool all_dense_ = false;
  Device device_;
  int64_t numel_ = 0;
  DimVector broadcast_shape_;
  DimVector shape_;                         // iteration shape after reordering/coalescing, inner first
  std::vector<DimVector> strides_;          // byte strides per operand, same order as shape_
};

}  // namespace tessera

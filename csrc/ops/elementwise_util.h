#pragma once
// Shared plumbing of the elementwise front-ends: build a TensorIterator over inputs cast to
// their compute dtypes, allocate the output (or write into `self` for in-place ops), run a stub.
#include <algorithm>
#include <initializer_list>
#include <vector>

#include "core/error.h"
#include "dispatch/dispatch_stub.h"
#include "ops/copy.h"
#include "ops/tensor_iterator.h"
#include "ops/type_promotion.h"

namespace tessera {

struct EwInput {
  const Tensor& t;
  DType dtype;  // the dtype the stub sees for this operand
};

// True when t's elements occupy exactly numel consecutive slots in some dim order
// (PyTorch's is_non_overlapping_and_dense).
inline bool non_overlapping_and_dense(const Tensor& t) {
  if (t.is_contiguous()) return true;
  std::vector<int64_t> dims;  // dims of size > 1, by increasing stride
  for (int64_t d = 0; d < t.dim(); ++d)
    if (t.sizes()[d] > 1) dims.push_back(d);
  std::sort(dims.begin(), dims.end(), [&](int64_t a, int64_t b) { return t.strides()[a] < t.strides()[b]; });
  int64_t expected = 1;
  for (int64_t d : dims) {
    if (t.strides()[d] != expected) return false;
    expected *= t.sizes()[d];
  }
  return true;
}

// PyTorch's assert_no_partial_overlap for an in-place op: an input sharing memory with the
// written-to tensor must be that very view (same start, sizes, strides). Only decided for
// non-overlapping dense tensors, as PyTorch (others are "too hard" and pass).
inline void check_no_partial_overlap(const char* op, const Tensor& out, const Tensor& in) {
  if (out.is_same(in) || out.numel() == 0 || in.numel() == 0) return;
  if (out.impl()->storage() != in.impl()->storage()) return;
  if (!non_overlapping_and_dense(out) || !non_overlapping_and_dense(in)) return;
  if (out.data_ptr() == in.data_ptr() && out.sizes().size() == in.sizes().size() &&
      std::equal(out.sizes().begin(), out.sizes().end(), in.sizes().begin()) &&
      std::equal(out.strides().begin(), out.strides().end(), in.strides().begin()))
    return;
  const char* a0 = static_cast<const char*>(out.data_ptr());
  const char* b0 = static_cast<const char*>(in.data_ptr());
  const char* a1 = a0 + out.numel() * out.itemsize();
  const char* b1 = b0 + in.numel() * in.itemsize();
  TS_CHECK(!(a0 < b1 && b0 < a1), "[", op,
           "] unsupported operation: some elements of the input tensor and the written-to tensor refer to a single "
           "memory location. Please clone() the tensor before performing the operation.");
}

// Runs fn(iter), naming the op (not the stub) when the device has no kernel for it.
template <class F>
void run_stub_named(const char* op, F& fn, const TensorIterator& iter) {
  try {
    fn(iter);
  } catch (const MissingKernelError& e) {
    TS_FAIL(NotImplemented, "[", op, "] has no kernel for device '", device_type_name(e.device), "'");
  }
}

// Runs `fn(iter)` with one output of `out_dtype`. With `self` (in-place) the result must be
// castable to self's dtype and have self's shape; when the compute dtype differs from self's,
// the result is computed out of place and copied in.
template <class F>
Tensor run_elementwise(const char* op, std::initializer_list<EwInput> inputs, DType out_dtype, const Tensor* self,
                       F&& fn) {
  for (const EwInput& in : inputs) TS_CHECK(in.t.defined(), "[", op, "] expected a defined tensor");
  if (self) check_inplace_result(op, out_dtype, self->dtype());
  TensorIterator iter;
  if (self && self->dtype() == out_dtype) {
    iter.add_output(*self, out_dtype);
  } else {
    iter.add_output(Tensor(), out_dtype);
  }
  for (const EwInput& in : inputs) {
    Tensor t = to_dtype(in.t, in.dtype);
    if (self) check_no_partial_overlap(op, *self, t);
    iter.add_input(t);
  }
  iter.build(op);
  if (self && self->dtype() == out_dtype) {
    run_stub_named(op, fn, iter);
    self->bump_version();
    return *self;
  }
  if (self) {
    const Tensor& out = iter.output();
    TS_CHECK(out.sizes().size() == self->sizes().size() &&
                 std::equal(out.sizes().begin(), out.sizes().end(), self->sizes().begin()),
             "[", op, "] output with shape ", shape_str(self->sizes()), " doesn't match the broadcast shape ",
             shape_str(out.sizes()));
    run_stub_named(op, fn, iter);
    ops::copy_(*self, out);  // bumps self's version
    return *self;
  }
  run_stub_named(op, fn, iter);
  return iter.output();
}

// Name of a dtype as PyTorch prints it in "not implemented for 'Float'" messages.
const char* torch_dtype_name(DType t);

}  // namespace tessera

// Registers name(self, other) and name_(self, other) with the given kernels and defines their
// ops:: entries (the binary and comparison families share this shape).
#define TS_DEFINE_BINARY_PAIR(name, kernel, inplace_kernel)                                          \
  TS_REGISTER_OP_ALL_BACKENDS(#name "(Tensor self, Tensor other) -> Tensor", kernel);                 \
  TS_REGISTER_OP_ALL_BACKENDS(#name "_(Tensor self, Tensor other) -> Tensor", inplace_kernel);        \
  namespace ops {                                                                                     \
  Tensor name(const Tensor& self, const Tensor& other) {                                              \
    static TypedOp<Tensor(const Tensor&, const Tensor&)> op(#name);                                   \
    return op(self, other);                                                                           \
  }                                                                                                   \
  Tensor name##_(const Tensor& self, const Tensor& other) {                                           \
    static TypedOp<Tensor(const Tensor&, const Tensor&)> op(#name "_");                               \
    return op(self, other);                                                                           \
  }                                                                                                   \
  }

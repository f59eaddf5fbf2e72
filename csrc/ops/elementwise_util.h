#pragma once
// Shared plumbing of the elementwise front-ends: build a TensorIterator over inputs cast to
// their compute dtypes, allocate the output (or write into `self` for in-place ops), run a stub.
#include <algorithm>
#include <initializer_list>

#include "core/error.h"
#include "ops/copy.h"
#include "ops/tensor_iterator.h"
#include "ops/type_promotion.h"

namespace tessera {

struct EwInput {
  const Tensor& t;
  DType dtype;  // the dtype the stub sees for this operand
};

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
  for (const EwInput& in : inputs) iter.add_input(to_dtype(in.t, in.dtype));
  iter.build(op);
  if (self && self->dtype() == out_dtype) {
    fn(iter);
    self->bump_version();
    return *self;
  }
  if (self) {
    const Tensor& out = iter.output();
    TS_CHECK(out.sizes().size() == self->sizes().size() &&
                 std::equal(out.sizes().begin(), out.sizes().end(), self->sizes().begin()),
             "[", op, "] output with shape ", shape_str(self->sizes()), " doesn't match the broadcast shape ",
             shape_str(out.sizes()));
    fn(iter);
    ops::copy_(*self, out);  // bumps self's version
    return *self;
  }
  fn(iter);
  return iter.output();
}

// Name of a dtype as PyTorch prints it in "not implemented for 'Float'" messages.
const char* torch_dtype_name(DType t);

}  // namespace tessera

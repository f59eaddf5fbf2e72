#include "ops/type_promotion.h"

#include <optional>

#include "core/error.h"
#include "ops/copy.h"

namespace tessera {

namespace {

using MaybeDType = std::optional<DType>;

MaybeDType promote_skip_undefined(MaybeDType a, MaybeDType b) {
  if (!a) return b;
  if (!b) return a;
  return promote_types(*a, *b);
}

MaybeDType combine_categories(MaybeDType higher, MaybeDType lower) {
  if (higher && is_floating(*higher)) return higher;
  if ((higher && *higher == DType::Bool) || (lower && is_floating(*lower))) return promote_skip_undefined(higher, lower);
  return higher ? higher : lower;
}

DType category_default(DType t) {
  return is_floating(t) ? DType::Float32 : t == DType::Bool ? DType::Bool : DType::Int64;
}

}  // namespace

DType result_type(std::initializer_list<const Tensor*> tensors) {
  MaybeDType dim_result, zero_result, wrapped_result;
  for (const Tensor* t : tensors) {
    if (!t->defined()) continue;
    if (t->impl()->is_wrapped_number()) {
      wrapped_result = promote_skip_undefined(wrapped_result, category_default(t->dtype()));
    } else if (t->dim() == 0) {
      zero_result = promote_skip_undefined(zero_result, t->dtype());
    } else {
      dim_result = promote_skip_undefined(dim_result, t->dtype());
    }
  }
  MaybeDType r = combine_categories(dim_result, combine_categories(zero_result, wrapped_result));
  return r ? *r : DType::Float32;
}

void check_inplace_result(const char* op, DType result, DType self) {
  TS_CHECK(can_cast(result, self), "[", op, "] result type ", dtype_name(result),
           " can't be cast to the desired output type ", dtype_name(self));
}

Tensor wrapped_scalar(const Scalar& s) {
  DType dt = s.is_floating_point() ? DType::Float64 : s.is_integral() ? DType::Int64 : DType::Bool;
  Tensor t = scalar_tensor(s, dt);
  t.impl()->set_wrapped_number(true);
  return t;
}

Tensor to_dtype(const Tensor& t, DType dtype) {
  if (t.dtype() == dtype) return t;
  Tensor out = empty_tensor(t.sizes(), dtype, t.device());
  if (t.impl()->is_wrapped_number()) out.impl()->set_wrapped_number(true);
  ops::copy_(out, t, false);
  return out;
}

}  // namespace tessera

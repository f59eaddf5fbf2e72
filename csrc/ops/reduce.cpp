// Front-ends of the reductions: dims, keepdim, result dtype, checks, output; then the stubs.
#include "ops/reduce.h"

#include <cmath>

#include "ops/copy.h"
#include "ops/reduce_stubs.h"
#include "ops/reduce_utils.h"
#include "ops/type_promotion.h"

namespace tessera {

TS_DEFINE_STUB(reduce_stub, "reduce", void(ReduceOp, const Tensor&, ReduceShape, const Tensor&, double));
TS_DEFINE_STUB(arg_reduce_stub, "arg_reduce", void(bool, const Tensor&, ReduceShape, const Tensor&, const Tensor&));

namespace {

Tensor run_reduce(ReduceOp op, const Tensor& in, uint64_t mask, bool keepdim, DType out_dtype, double param = 0) {
  auto [c, s] = reduce_layout(in, mask);
  Tensor out = empty_tensor(reduced_shape(in.sizes(), mask, keepdim), out_dtype, in.device());
  reduce_stub(in.device(), op, c, s, out, param);
  return out;
}

// The reduced dims of max/min-like ops must not be empty (there is no identity).
void check_nonempty(const char* op, const Tensor& self, uint64_t mask, bool dims_given) {
  if (self.numel() != 0) return;
  TS_CHECK(dims_given && self.dim() > 0, "[", op,
           "] Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the "
           "'dim' argument.");
  for (int64_t d = 0; d < self.dim(); ++d) {
    TS_CHECK_INDEX(!((mask >> d & 1) && self.sizes()[d] == 0), "[", op, "] Expected reduction dim ", d,
                   " to have non-zero size.");
  }
}

Tensor sum_kernel(const Tensor& self, OptionalIntArrayRef dim, bool keepdim, std::optional<DType> dtype) {
  uint64_t mask = make_dim_mask(dim, self.dim(), "sum");
  DType out = dtype ? *dtype : (is_integral(self.dtype(), true) ? DType::Int64 : self.dtype());
  return run_reduce(ReduceOp::Sum, dtype ? to_dtype(self, *dtype) : self, mask, keepdim, out);
}

Tensor mean_kernel(const Tensor& self, OptionalIntArrayRef dim, bool keepdim, std::optional<DType> dtype) {
  DType out = dtype ? *dtype : self.dtype();
  TS_CHECK(is_floating(out), "[mean] could not infer output dtype. ", dtype ? "Optional dtype" : "Input dtype",
           " must be either a floating point or complex dtype. Got: ", dtype_name(out));
  uint64_t mask = make_dim_mask(dim, self.dim(), "mean");
  return run_reduce(ReduceOp::Mean, to_dtype(self, out), mask, keepdim, out);
}

Tensor prod_kernel(const Tensor& self, std::optional<int64_t> dim, bool keepdim, std::optional<DType> dtype) {
  uint64_t mask =
      dim ? make_dim_mask(IntArrayRef(&*dim, 1), self.dim(), "prod") : make_dim_mask({}, self.dim(), "prod");
  DType out = dtype ? *dtype : (is_integral(self.dtype(), true) ? DType::Int64 : self.dtype());
  return run_reduce(ReduceOp::Prod, dtype ? to_dtype(self, *dtype) : self, mask, dim ? keepdim : false, out);
}

Tensor max_all_kernel(const Tensor& self) {
  check_nonempty("max", self, 0, false);
  return run_reduce(ReduceOp::Max, self, make_dim_mask({}, self.dim(), "max"), false, self.dtype());
}
Tensor min_all_kernel(const Tensor& self) {
  check_nonempty("min", self, 0, false);
  return run_reduce(ReduceOp::Min, self, make_dim_mask({}, self.dim(), "min"), false, self.dtype());
}

std::tuple<Tensor, Tensor> arg_reduce_dim(const char* op, bool is_max, const Tensor& self, int64_t dim, bool keepdim,
                                          bool want_values) {
  int64_t d = wrap_dim(dim, self.dim(), op);
  uint64_t mask = self.dim() == 0 ? 0 : uint64_t(1) << d;
  if (self.dim() > 0) {
    TS_CHECK_INDEX(self.sizes()[d] != 0, "[", op, "] Expected reduction dim ", d, " to have non-zero size.");
  }
  DimVector shape = reduced_shape(self.sizes(), mask, keepdim);
  Tensor values = want_values ? empty_tensor(shape, self.dtype(), self.device()) : Tensor();
  Tensor indices = empty_tensor(shape, DType::Int64, self.device());
  auto [c, s] = self.dim() == 0 ? std::pair<Tensor, ReduceShape>{self, ReduceShape{1, 1, 1}} : dim_layout(self, d);
  arg_reduce_stub(self.device(), is_max, c, s, values, indices);
  return {values, indices};
}

std::tuple<Tensor, Tensor> max_dim_kernel(const Tensor& self, int64_t dim, bool keepdim) {
  return arg_reduce_dim("max", true, self, dim, keepdim, true);
}
std::tuple<Tensor, Tensor> min_dim_kernel(const Tensor& self, int64_t dim, bool keepdim) {
  return arg_reduce_dim("min", false, self, dim, keepdim, true);
}

Tensor amax_kernel(const Tensor& self, IntArrayRef dim, bool keepdim) {
  uint64_t mask = make_dim_mask(dim, self.dim(), "amax");
  check_nonempty("amax", self, mask, !dim.empty());
  return run_reduce(ReduceOp::Max, self, mask, keepdim, self.dtype());
}
Tensor amin_kernel(const Tensor& self, IntArrayRef dim, bool keepdim) {
  uint64_t mask = make_dim_mask(dim, self.dim(), "amin");
  check_nonempty("amin", self, mask, !dim.empty());
  return run_reduce(ReduceOp::Min, self, mask, keepdim, self.dtype());
}

Tensor argmax_like(const char* op, bool is_max, const Tensor& self, std::optional<int64_t> dim, bool keepdim) {
  TS_CHECK(self.dtype() != DType::Bool, "[", op, "] does not support bool input");
  if (dim) return std::get<1>(arg_reduce_dim(op, is_max, self, *dim, keepdim, false));
  TS_CHECK_INDEX(self.numel() != 0, "[", op, "] Expected reduction dim to be specified for input.numel() == 0.");
  DimVector shape(keepdim ? self.dim() : 0, 1);
  Tensor indices = empty_tensor(shape, DType::Int64, self.device());
  Tensor c = ops::contiguous(self);
  arg_reduce_stub(self.device(), is_max, c, ReduceShape{1, self.numel(), 1}, Tensor(), indices);
  return indices;
}
Tensor argmax_kernel(const Tensor& self, std::optional<int64_t> dim, bool keepdim) {
  return argmax_like("argmax", true, self, dim, keepdim);
}
Tensor argmin_kernel(const Tensor& self, std::optional<int64_t> dim, bool keepdim) {
  return argmax_like("argmin", false, self, dim, keepdim);
}

Tensor var_like(const char* op, bool is_std, const Tensor& self, OptionalIntArrayRef dim,
                std::optional<double> correction, bool keepdim) {
  TS_CHECK(is_floating(self.dtype()), "[", op, "] std and var only support floating point and complex dtypes, got ",
           dtype_name(self.dtype()));
  uint64_t mask = make_dim_mask(dim, self.dim(), op);
  return run_reduce(is_std ? ReduceOp::Std : ReduceOp::Var, self, mask, keepdim, self.dtype(),
                    correction.value_or(1.0));
}
Tensor var_kernel(const Tensor& self, OptionalIntArrayRef dim, std::optional<double> correction, bool keepdim) {
  return var_like("var", false, self, dim, correction, keepdim);
}
Tensor std_kernel(const Tensor& self, OptionalIntArrayRef dim, std::optional<double> correction, bool keepdim) {
  return var_like("std", true, self, dim, correction, keepdim);
}

Tensor norm_kernel(const Tensor& self, double p, OptionalIntArrayRef dim, bool keepdim, std::optional<DType> dtype) {
  if (dtype) {
    TS_CHECK(is_floating(*dtype), "[norm] dtype should be floating point or complex, but got ", dtype_name(*dtype));
  }
  TS_CHECK(is_floating(self.dtype()), "[norm] Expected a floating point or complex tensor as input. Got ",
           dtype_name(self.dtype()));
  TS_CHECK(!std::isnan(p), "[norm] the order p must not be NaN");
  uint64_t mask = make_dim_mask(dim, self.dim(), "norm");
  if (self.numel() == 0 && (p < 0 || std::isinf(p))) {
    bool empty_reduced = !dim || dim->empty() || self.dim() == 0;
    for (int64_t d = 0; d < self.dim(); ++d)
      if ((mask >> d & 1) && self.sizes()[d] == 0) empty_reduced = true;
    TS_CHECK(!empty_reduced, "[norm] cannot compute the ", p,
             " norm on an empty tensor because the operation "
             "does not have an identity");
  }
  ReduceOp op = p == 2          ? ReduceOp::Norm2
                : p == 1        ? ReduceOp::Norm1
                : p == 0        ? ReduceOp::Norm0
                : std::isinf(p) ? (p > 0 ? ReduceOp::NormInf : ReduceOp::NormNegInf)
                                : ReduceOp::NormP;
  DType out = dtype ? *dtype : self.dtype();
  return run_reduce(op, to_dtype(self, out), mask, keepdim, out, p);
}

Tensor logsumexp_kernel(const Tensor& self, IntArrayRef dim, bool keepdim) {
  uint64_t mask = make_dim_mask(dim, self.dim(), "logsumexp");
  DType out = to_float_dtype(self.dtype());
  return run_reduce(ReduceOp::LogSumExp, to_dtype(self, out), mask, keepdim, out);
}

Tensor any_all(const char* op, bool is_any, const Tensor& self, OptionalIntArrayRef dim, bool keepdim) {
  uint64_t mask = make_dim_mask(dim, self.dim(), op, false);
  DType out = self.dtype() == DType::UInt8 ? DType::UInt8 : DType::Bool;
  return run_reduce(is_any ? ReduceOp::Any : ReduceOp::All, self, mask, keepdim, out);
}
Tensor any_kernel(const Tensor& self, OptionalIntArrayRef dim, bool keepdim) {
  return any_all("any", true, self, dim, keepdim);
}
Tensor all_kernel(const Tensor& self, OptionalIntArrayRef dim, bool keepdim) {
  return any_all("all", false, self, dim, keepdim);
}

}  // namespace

TS_REGISTER_OP_ALL_BACKENDS(
    "sum(Tensor self, int[]? dim=None, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor", &sum_kernel);
TS_REGISTER_OP_ALL_BACKENDS(
    "mean(Tensor self, int[]? dim=None, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor", &mean_kernel);
TS_REGISTER_OP_ALL_BACKENDS("prod(Tensor self, int? dim=None, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
                            &prod_kernel);
TS_REGISTER_OP_ALL_BACKENDS("max(Tensor self) -> Tensor", &max_all_kernel);
TS_REGISTER_OP_ALL_BACKENDS("min(Tensor self) -> Tensor", &min_all_kernel);
TS_REGISTER_OP_ALL_BACKENDS("max.dim(Tensor self, int dim, bool keepdim=False) -> (Tensor values, Tensor indices)",
                            &max_dim_kernel);
TS_REGISTER_OP_ALL_BACKENDS("min.dim(Tensor self, int dim, bool keepdim=False) -> (Tensor values, Tensor indices)",
                            &min_dim_kernel);
TS_REGISTER_OP_ALL_BACKENDS("amax(Tensor self, int[] dim=[], bool keepdim=False) -> Tensor", &amax_kernel);
TS_REGISTER_OP_ALL_BACKENDS("amin(Tensor self, int[] dim=[], bool keepdim=False) -> Tensor", &amin_kernel);
TS_REGISTER_OP_ALL_BACKENDS("argmax(Tensor self, int? dim=None, bool keepdim=False) -> Tensor", &argmax_kernel);
TS_REGISTER_OP_ALL_BACKENDS("argmin(Tensor self, int? dim=None, bool keepdim=False) -> Tensor", &argmin_kernel);
TS_REGISTER_OP_ALL_BACKENDS(
    "var(Tensor self, int[]? dim=None, *, float? correction=None, bool keepdim=False) -> Tensor", &var_kernel);
TS_REGISTER_OP_ALL_BACKENDS(
    "std(Tensor self, int[]? dim=None, *, float? correction=None, bool keepdim=False) -> Tensor", &std_kernel);
TS_REGISTER_OP_ALL_BACKENDS(
    "norm(Tensor self, float p=2, int[]? dim=None, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
    &norm_kernel);
TS_REGISTER_OP_ALL_BACKENDS("logsumexp(Tensor self, int[] dim, bool keepdim=False) -> Tensor", &logsumexp_kernel);
TS_REGISTER_OP_ALL_BACKENDS("any(Tensor self, int[]? dim=None, bool keepdim=False) -> Tensor", &any_kernel);
TS_REGISTER_OP_ALL_BACKENDS("all(Tensor self, int[]? dim=None, bool keepdim=False) -> Tensor", &all_kernel);

namespace ops {
using OptDT = std::optional<DType>;
Tensor sum(const Tensor& self, OptionalIntArrayRef dim, bool keepdim, OptDT dtype) {
  static TypedOp<Tensor(const Tensor&, OptionalIntArrayRef, bool, OptDT)> op("sum");
  return op(self, dim, keepdim, dtype);
}
Tensor mean(const Tensor& self, OptionalIntArrayRef dim, bool keepdim, OptDT dtype) {
  static TypedOp<Tensor(const Tensor&, OptionalIntArrayRef, bool, OptDT)> op("mean");
  return op(self, dim, keepdim, dtype);
}
Tensor prod(const Tensor& self, std::optional<int64_t> dim, bool keepdim, OptDT dtype) {
  static TypedOp<Tensor(const Tensor&, std::optional<int64_t>, bool, OptDT)> op("prod");
  return op(self, dim, keepdim, dtype);
}
Tensor max(const Tensor& self) {
  static TypedOp<Tensor(const Tensor&)> op("max");
  return op(self);
}
Tensor min(const Tensor& self) {
  static TypedOp<Tensor(const Tensor&)> op("min");
  return op(self);
}
std::tuple<Tensor, Tensor> max(const Tensor& self, int64_t dim, bool keepdim) {
  static TypedOp<std::tuple<Tensor, Tensor>(const Tensor&, int64_t, bool)> op("max.dim");
  return op(self, dim, keepdim);
}
std::tuple<Tensor, Tensor> min(const Tensor& self, int64_t dim, bool keepdim) {
  static TypedOp<std::tuple<Tensor, Tensor>(const Tensor&, int64_t, bool)> op("min.dim");
  return op(self, dim, keepdim);
}
Tensor amax(const Tensor& self, IntArrayRef dim, bool keepdim) {
  static TypedOp<Tensor(const Tensor&, IntArrayRef, bool)> op("amax");
  return op(self, dim, keepdim);
}
Tensor amin(const Tensor& self, IntArrayRef dim, bool keepdim) {
  static TypedOp<Tensor(const Tensor&, IntArrayRef, bool)> op("amin");
  return op(self, dim, keepdim);
}
Tensor argmax(const Tensor& self, std::optional<int64_t> dim, bool keepdim) {
  static TypedOp<Tensor(const Tensor&, std::optional<int64_t>, bool)> op("argmax");
  return op(self, dim, keepdim);
}
Tensor argmin(const Tensor& self, std::optional<int64_t> dim, bool keepdim) {
  static TypedOp<Tensor(const Tensor&, std::optional<int64_t>, bool)> op("argmin");
  return op(self, dim, keepdim);
}
Tensor var(const Tensor& self, OptionalIntArrayRef dim, std::optional<double> correction, bool keepdim) {
  static TypedOp<Tensor(const Tensor&, OptionalIntArrayRef, std::optional<double>, bool)> op("var");
  return op(self, dim, correction, keepdim);
}
Tensor std(const Tensor& self, OptionalIntArrayRef dim, std::optional<double> correction, bool keepdim) {
  static TypedOp<Tensor(const Tensor&, OptionalIntArrayRef, std::optional<double>, bool)> op("std");
  return op(self, dim, correction, keepdim);
}
Tensor norm(const Tensor& self, double p, OptionalIntArrayRef dim, bool keepdim, OptDT dtype) {
  static TypedOp<Tensor(const Tensor&, double, OptionalIntArrayRef, bool, OptDT)> op("norm");
  return op(self, p, dim, keepdim, dtype);
}
Tensor logsumexp(const Tensor& self, IntArrayRef dim, bool keepdim) {
  static TypedOp<Tensor(const Tensor&, IntArrayRef, bool)> op("logsumexp");
  return op(self, dim, keepdim);
}
Tensor any(const Tensor& self, OptionalIntArrayRef dim, bool keepdim) {
  static TypedOp<Tensor(const Tensor&, OptionalIntArrayRef, bool)> op("any");
  return op(self, dim, keepdim);
}
Tensor all(const Tensor& self, OptionalIntArrayRef dim, bool keepdim) {
  static TypedOp<Tensor(const Tensor&, OptionalIntArrayRef, bool)> op("all");
  return op(self, dim, keepdim);
}
}  // namespace ops
}  // namespace tessera

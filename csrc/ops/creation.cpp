// Front-ends of the tensor factories: argument checks, dtype defaults, allocation on the requested
// device, then the device's fill/range stub. eye and the *_like ops compose these.
#include "ops/creation.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>

#include "dispatch/boxing.h"
#include "ops/creation_stubs.h"
#include "ops/tensor_iterator.h"

namespace tessera {

TS_DEFINE_STUB(fill_stub, "fill_", void(const TensorIterator&, const Scalar&));
TS_DEFINE_STUB(range_stub, "arange", void(const Tensor&, RangeKind, const Scalar&, const Scalar&));

void check_size_nonnegative(const char* op, IntArrayRef size) {
  for (int64_t s : size) {
    if (s >= 0) continue;
    std::string dims = "[";
    for (size_t i = 0; i < size.size(); ++i) dims += (i ? ", " : "") + std::to_string(size[i]);
    TS_FAIL(Runtime, "[", op, "] Trying to create tensor with negative dimension ", s, ": ", dims, "]");
  }
}

void check_scalar_fits(const char* op, const Scalar& v, DType dt) {
  if (dt == DType::Bool) return;
  bool ok = true;
  if (is_floating(dt)) {
    double d = v.to_double();
    if (!std::isfinite(d)) return;
    double mx = dt == DType::Float16    ? 65504.0
                : dt == DType::BFloat16 ? 3.3895313892515355e38
                : dt == DType::Float32  ? static_cast<double>(FLT_MAX)
                                        : DBL_MAX;
    ok = d >= -mx && d <= mx;
  } else {
    int64_t lo = 0, hi = 0;
    switch (dt) {
      case DType::UInt8:
        lo = -255, hi = 255;
        break;  // negative values wrap, as in PyTorch
      case DType::Int8:
        lo = INT8_MIN, hi = INT8_MAX;
        break;
      case DType::Int16:
        lo = INT16_MIN, hi = INT16_MAX;
        break;
      case DType::Int32:
        lo = INT32_MIN, hi = INT32_MAX;
        break;
      default:
        lo = INT64_MIN, hi = INT64_MAX;
        break;
    }
    if (v.is_floating_point()) {
      double d = v.to_double();
      // As c10::overflows for a floating source: no wrap-around into unsigned types.
      double lo_d = dt == DType::UInt8 ? 0.0 : static_cast<double>(lo);
      ok = std::isfinite(d) && d >= lo_d && d <= static_cast<double>(hi) && d < 9.2233720368547758e18;
    } else {
      int64_t i = v.to_int();
      ok = i >= lo && i <= hi;
    }
  }
  TS_CHECK(ok, "[", op, "] value cannot be converted to type ", dtype_name(dt), " without overflow");
}

namespace {

DType float_default(std::optional<DType> dtype) {
  return dtype.value_or(DType::Float32);
}

Tensor alloc(const char* op, IntArrayRef size, DType dtype, std::optional<Device> device) {
  check_size_nonnegative(op, size);
  checked_numel(size, op);  // overflow errors name this op
  return empty_tensor(size, dtype, device.value_or(Device()));
}

void fill_impl(const char* op, const Tensor& t, const Scalar& v) {
  if (t.numel() == 0) return;
  TensorIterator iter;
  iter.add_output(t, t.dtype()).build(op);
  fill_stub(t.device(), iter, v);
}

Tensor empty_kernel(IntArrayRef size, std::optional<DType> dtype, std::optional<Device> device) {
  return alloc("empty", size, float_default(dtype), device);
}

Tensor zeros_kernel(IntArrayRef size, std::optional<DType> dtype, std::optional<Device> device) {
  Tensor t = alloc("zeros", size, float_default(dtype), device);
  fill_impl("zeros", t, Scalar(int64_t(0)));
  return t;
}

Tensor ones_kernel(IntArrayRef size, std::optional<DType> dtype, std::optional<Device> device) {
  Tensor t = alloc("ones", size, float_default(dtype), device);
  fill_impl("ones", t, Scalar(int64_t(1)));
  return t;
}

Tensor full_kernel(IntArrayRef size, const Scalar& fill_value, std::optional<DType> dtype,
                   std::optional<Device> device) {
  DType dt = dtype.value_or(fill_value.default_dtype());
  check_size_nonnegative("full", size);
  check_scalar_fits("full", fill_value, dt);
  Tensor t = alloc("full", size, dt, device);
  fill_impl("full", t, fill_value);
  return t;
}

// PyTorch's arange: checks in the accumulate type of the result (int64 for integers, float for
// 16-bit floats, double otherwise); the length uses integer arithmetic only for int64 results.
Tensor arange_kernel(const Scalar& start, const Scalar& end, const Scalar& step, std::optional<DType> dtype,
                     std::optional<Device> device) {
  bool any_float = start.is_floating_point() || end.is_floating_point() || step.is_floating_point();
  DType dt = dtype.value_or(any_float ? DType::Float32 : DType::Int64);
  TS_CHECK_NOT_IMPLEMENTED(dt != DType::Bool, "[arange] not implemented for dtype bool");
  double size_d = 0;
  if (is_integral(dt)) {
    for (const Scalar* s : {&start, &end, &step}) {
      if (s->is_floating_point()) check_scalar_fits("arange", *s, DType::Int64);
    }
    int64_t xs = start.to<int64_t>(), xe = end.to<int64_t>(), xst = step.to<int64_t>();
    TS_CHECK(xst != 0, "[arange] step must be nonzero");
    TS_CHECK((xst > 0 && xe >= xs) || (xst < 0 && xe <= xs),
             "[arange] upper bound and lower bound inconsistent with step sign (start=", xs, ", end=", xe,
             ", step=", xst, ")");
    if (dt == DType::Int64) {
      int64_t sgn = xst > 0 ? 1 : -1;
      // (xe - xs + xst - sgn) / xst without overflow: compute in 128 bits.
      __int128 num = static_cast<__int128>(xe) - xs + xst - sgn;
      size_d = static_cast<double>(num / xst);
    } else {
      size_d = std::ceil((end.to_double() - start.to_double()) / step.to_double());
    }
  } else {
    double xs = start.to_double(), xe = end.to_double(), xst = step.to_double();
    if (dt == DType::Float16 || dt == DType::BFloat16) {  // float accumulate type
      xs = static_cast<float>(xs), xe = static_cast<float>(xe), xst = static_cast<float>(xst);
    }
    TS_CHECK(xst > 0 || xst < 0, "[arange] step must be nonzero");
    TS_CHECK(std::isfinite(xs) && std::isfinite(xe), "[arange] unsupported range: ", xs, " -> ", xe);
    TS_CHECK((xst > 0 && xe >= xs) || (xst < 0 && xe <= xs),
             "[arange] upper bound and lower bound inconsistent with step sign (start=", xs, ", end=", xe,
             ", step=", xst, ")");
    size_d = std::ceil((end.to_double() - start.to_double()) / step.to_double());
  }
  TS_CHECK(size_d >= 0 && size_d <= static_cast<double>(std::numeric_limits<int64_t>::max()),
           "[arange] invalid size, possible overflow? (", size_d, " elements)");
  int64_t n = static_cast<int64_t>(size_d);
  Tensor t = alloc("arange", {&n, 1}, dt, device);
  if (n > 0) range_stub(t.device(), t, RangeKind::Arange, start, step);
  return t;
}

Tensor linspace_kernel(const Scalar& start, const Scalar& end, int64_t steps, std::optional<DType> dtype,
                       std::optional<Device> device) {
  TS_CHECK(steps >= 0, "[linspace] number of steps must be non-negative, got ", steps);
  DType dt = float_default(dtype);
  TS_CHECK_NOT_IMPLEMENTED(dt != DType::Bool, "[linspace] not implemented for dtype bool");
  check_scalar_fits("linspace", start, dt);
  check_scalar_fits("linspace", end, dt);
  Tensor t = alloc("linspace", {&steps, 1}, dt, device);
  if (steps > 0) range_stub(t.device(), t, RangeKind::Linspace, start, end);
  return t;
}

Tensor eye_kernel(int64_t n, std::optional<int64_t> m, std::optional<DType> dtype, std::optional<Device> device) {
  TS_CHECK(n >= 0, "[eye] n must be greater or equal to 0, got ", n);
  int64_t cols = m.value_or(n);
  TS_CHECK(cols >= 0, "[eye] m must be greater or equal to 0, got ", cols);
  int64_t size[2] = {n, cols};
  Tensor t = alloc("eye", size, float_default(dtype), device);
  fill_impl("eye", t, Scalar(int64_t(0)));
  int64_t d = std::min(n, cols);
  if (d > 0) fill_impl("eye", make_view(t, DimVector{d}, DimVector{cols + 1}, 0), Scalar(int64_t(1)));
  return t;
}

// PyTorch's preserve_format: a dense tensor whose dims are laid out in the same order as self's
// (a transposed input gives a transposed result); contiguous inputs give contiguous results.
Tensor like(const char* op, const Tensor& self, std::optional<DType> dtype, std::optional<Device> device) {
  Device dev = device.value_or(self.device());
  DType dt = dtype.value_or(self.dtype());
  const int64_t ndim = self.dim();
  if (ndim <= 1 || (self.is_contiguous() && DimVector(self.strides()) == contiguous_strides(self.sizes()))) {
    return empty_tensor(self.sizes(), dt, dev);
  }
  // Dims from outermost to innermost: larger stride first; ties and broadcast/size-1 dims keep
  // their order.
  DimVector perm(ndim);
  for (int64_t d = 0; d < ndim; ++d) perm[d] = d;
  auto key = [&](int64_t d) { return self.sizes()[d] == 1 ? -1 : self.strides()[d]; };
  std::stable_sort(perm.begin(), perm.end(), [&](int64_t a, int64_t b) {
    int64_t ka = key(a), kb = key(b);
    if (ka < 0 || kb < 0) return false;
    return ka > kb;
  });
  DimVector strides(ndim);
  int64_t s = 1;
  for (int64_t i = ndim - 1; i >= 0; --i) {
    strides[perm[i]] = s;
    s *= std::max<int64_t>(self.sizes()[perm[i]], 1);
  }
  // Already dense and non-overlapping: keep self's strides exactly (size-1 dims included).
  bool dense = true;
  for (int64_t d = 0; d < ndim; ++d) dense = dense && (self.sizes()[d] == 1 || self.strides()[d] == strides[d]);
  if (dense) strides = DimVector(self.strides());
  int64_t n = self.numel();
  Tensor base = empty_tensor({&n, 1}, dt, dev);
  // A fresh tensor, not a view of `base` (autograd treats views specially).
  return Tensor(make_intrusive<TensorImpl>(base.impl()->storage(), dt, DimVector(self.sizes()), strides, 0));
}

Tensor empty_like_kernel(const Tensor& self, std::optional<DType> dtype, std::optional<Device> device) {
  return like("empty_like", self, dtype, device);
}
Tensor zeros_like_kernel(const Tensor& self, std::optional<DType> dtype, std::optional<Device> device) {
  Tensor t = like("zeros_like", self, dtype, device);
  fill_impl("zeros_like", t, Scalar(int64_t(0)));
  return t;
}
Tensor ones_like_kernel(const Tensor& self, std::optional<DType> dtype, std::optional<Device> device) {
  Tensor t = like("ones_like", self, dtype, device);
  fill_impl("ones_like", t, Scalar(int64_t(1)));
  return t;
}
Tensor full_like_kernel(const Tensor& self, const Scalar& fill_value, std::optional<DType> dtype,
                        std::optional<Device> device) {
  DType dt = dtype.value_or(self.dtype());
  check_scalar_fits("full_like", fill_value, dt);
  Tensor t = like("full_like", self, dt, device);
  fill_impl("full_like", t, fill_value);
  return t;
}

Tensor fill__kernel(const Tensor& self, const Scalar& value) {
  check_scalar_fits("fill_", value, self.dtype());
  fill_impl("fill_", self, value);
  self.bump_version();
  return self;
}

Tensor zero__kernel(const Tensor& self) {
  fill_impl("zero_", self, Scalar(int64_t(0)));
  self.bump_version();
  return self;
}

}  // namespace

#define TS_FACTORY_TAIL "*, ScalarType? dtype=None, Device? device=None) -> Tensor"
TS_REGISTER_OP_ALL_BACKENDS("empty(int[] size, " TS_FACTORY_TAIL, &empty_kernel);
TS_REGISTER_OP_ALL_BACKENDS("zeros(int[] size, " TS_FACTORY_TAIL, &zeros_kernel);
TS_REGISTER_OP_ALL_BACKENDS("ones(int[] size, " TS_FACTORY_TAIL, &ones_kernel);
TS_REGISTER_OP_ALL_BACKENDS("full(int[] size, Scalar fill_value, " TS_FACTORY_TAIL, &full_kernel);
TS_REGISTER_OP_ALL_BACKENDS("arange(Scalar start, Scalar end, Scalar step=1, " TS_FACTORY_TAIL, &arange_kernel);
TS_REGISTER_OP_ALL_BACKENDS("linspace(Scalar start, Scalar end, int steps, " TS_FACTORY_TAIL, &linspace_kernel);
TS_REGISTER_OP_ALL_BACKENDS("eye(int n, int? m=None, " TS_FACTORY_TAIL, &eye_kernel);
TS_REGISTER_OP_ALL_BACKENDS("empty_like(Tensor self, " TS_FACTORY_TAIL, &empty_like_kernel);
TS_REGISTER_OP_ALL_BACKENDS("zeros_like(Tensor self, " TS_FACTORY_TAIL, &zeros_like_kernel);
TS_REGISTER_OP_ALL_BACKENDS("ones_like(Tensor self, " TS_FACTORY_TAIL, &ones_like_kernel);
TS_REGISTER_OP_ALL_BACKENDS("full_like(Tensor self, Scalar fill_value, " TS_FACTORY_TAIL, &full_like_kernel);
#undef TS_FACTORY_TAIL
TS_REGISTER_OP_ALL_BACKENDS("fill_(Tensor self, Scalar value) -> Tensor", &fill__kernel);
TS_REGISTER_OP_ALL_BACKENDS("zero_(Tensor self) -> Tensor", &zero__kernel);

namespace ops {

using OD = std::optional<DType>;
using ODev = std::optional<Device>;

Tensor empty(IntArrayRef size, OD dtype, ODev device) {
  static TypedOp<Tensor(IntArrayRef, OD, ODev)> op("empty");
  return op(size, dtype, device);
}
Tensor zeros(IntArrayRef size, OD dtype, ODev device) {
  static TypedOp<Tensor(IntArrayRef, OD, ODev)> op("zeros");
  return op(size, dtype, device);
}
Tensor ones(IntArrayRef size, OD dtype, ODev device) {
  static TypedOp<Tensor(IntArrayRef, OD, ODev)> op("ones");
  return op(size, dtype, device);
}
Tensor full(IntArrayRef size, const Scalar& fill_value, OD dtype, ODev device) {
  static TypedOp<Tensor(IntArrayRef, const Scalar&, OD, ODev)> op("full");
  return op(size, fill_value, dtype, device);
}
Tensor arange(const Scalar& start, const Scalar& end, const Scalar& step, OD dtype, ODev device) {
  static TypedOp<Tensor(const Scalar&, const Scalar&, const Scalar&, OD, ODev)> op("arange");
  return op(start, end, step, dtype, device);
}
Tensor linspace(const Scalar& start, const Scalar& end, int64_t steps, OD dtype, ODev device) {
  static TypedOp<Tensor(const Scalar&, const Scalar&, int64_t, OD, ODev)> op("linspace");
  return op(start, end, steps, dtype, device);
}
Tensor eye(int64_t n, std::optional<int64_t> m, OD dtype, ODev device) {
  static TypedOp<Tensor(int64_t, std::optional<int64_t>, OD, ODev)> op("eye");
  return op(n, m, dtype, device);
}
Tensor empty_like(const Tensor& self, OD dtype, ODev device) {
  static TypedOp<Tensor(const Tensor&, OD, ODev)> op("empty_like");
  return op(self, dtype, device);
}
Tensor zeros_like(const Tensor& self, OD dtype, ODev device) {
  static TypedOp<Tensor(const Tensor&, OD, ODev)> op("zeros_like");
  return op(self, dtype, device);
}
Tensor ones_like(const Tensor& self, OD dtype, ODev device) {
  static TypedOp<Tensor(const Tensor&, OD, ODev)> op("ones_like");
  return op(self, dtype, device);
}
Tensor full_like(const Tensor& self, const Scalar& fill_value, OD dtype, ODev device) {
  static TypedOp<Tensor(const Tensor&, const Scalar&, OD, ODev)> op("full_like");
  return op(self, fill_value, dtype, device);
}
Tensor fill_(const Tensor& self, const Scalar& value) {
  static TypedOp<Tensor(const Tensor&, const Scalar&)> op("fill_");
  return op(self, value);
}
Tensor zero_(const Tensor& self) {
  static TypedOp<Tensor(const Tensor&)> op("zero_");
  return op(self);
}

}  // namespace ops
}  // namespace tessera

// Front-ends of the random ops: checks, dtype defaults, one reservation of the generator's stream
// per call, then the device's random stub. Non-contiguous in-place targets are filled through a
// contiguous temporary so that element i always draws the same values.
#include "ops/random.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "ops/copy.h"
#include "ops/creation.h"
#include "ops/random_stubs.h"

namespace tessera {

TS_DEFINE_STUB(random_stub, "random", void(const Tensor&, RandomKind, const RandomParams&, PhiloxState));
TS_DEFINE_STUB(bernoulli_tensor_stub, "bernoulli", void(const Tensor&, const Tensor&, PhiloxState));
TS_DEFINE_STUB(randperm_stub, "randperm", void(const Tensor&, PhiloxState));

int64_t random_values_per_element(RandomKind kind, DType dtype, const RandomParams& p) {
  switch (kind) {
    case RandomKind::Uniform:
    case RandomKind::Normal:
    case RandomKind::Exponential:
      return dtype == DType::Float64 ? 2 : 1;
    case RandomKind::Integer:
      return p.range == 0 || p.range > (uint64_t(1) << 32) ? 2 : 1;
    case RandomKind::Bernoulli:
      return 1;
  }
  return 1;
}

namespace {

void check_floating(const char* op, DType dt) {
  TS_CHECK_NOT_IMPLEMENTED(is_floating(dt), "[", op, "] not implemented for dtype ", dtype_name(dt),
                           " (expected a floating point dtype)");
}

// Values an integer draw may take in `dt`: [lo, hi]. Floats: the integers they represent exactly.
void dtype_int_bounds(DType dt, int64_t& lo, int64_t& hi) {
  switch (dt) {
    case DType::Bool:
      lo = 0, hi = 1;
      return;
    case DType::UInt8:
      lo = 0, hi = 255;
      return;
    case DType::Int8:
      lo = INT8_MIN, hi = INT8_MAX;
      return;
    case DType::Int16:
      lo = INT16_MIN, hi = INT16_MAX;
      return;
    case DType::Int32:
      lo = INT32_MIN, hi = INT32_MAX;
      return;
    case DType::Int64:
      lo = INT64_MIN, hi = INT64_MAX;
      return;
    case DType::Float16:
      lo = -(int64_t(1) << 11), hi = int64_t(1) << 11;
      return;
    case DType::BFloat16:
      lo = -(int64_t(1) << 8), hi = int64_t(1) << 8;
      return;
    case DType::Float32:
      lo = -(int64_t(1) << 24), hi = int64_t(1) << 24;
      return;
    case DType::Float64:
      lo = -(int64_t(1) << 53), hi = int64_t(1) << 53;
      return;
  }
}

// Writes the samples into self; `inplace`: bump self's version once (copy_ bumps it on the
// non-contiguous path).
void sample_into(const char* op, const Tensor& self, RandomKind kind, const RandomParams& params,
                 const OptionalGenerator& gen, bool inplace = false) {
  Generator& g = get_generator_or_default(generator_ptr(gen), self.device(), op);
  if (self.numel() == 0) return;
  Tensor out = self.is_contiguous() ? self : empty_tensor(self.sizes(), self.dtype(), self.device());
  int64_t vpe = random_values_per_element(kind, self.dtype(), params);
  PhiloxState st = g.reserve(static_cast<uint64_t>(self.numel()) * static_cast<uint64_t>(vpe));
  random_stub(self.device(), out, kind, params, st);
  if (!out.is_same(self)) {
    ops::copy_(self, out);
  } else if (inplace) {
    self.bump_version();
  }
}

RandomParams integer_params(const char* op, int64_t from, int64_t to, DType dt) {
  TS_CHECK(from < to, "[", op, "] random_ expects 'from' to be less than 'to', but got from=", from, " >= to=", to);
  int64_t lo = 0, hi = 0;
  dtype_int_bounds(dt, lo, hi);
  TS_CHECK(from >= lo && from <= hi, "[", op, "] from=", from, " is out of bounds for ", dtype_name(dt));
  TS_CHECK(to - 1 >= lo && to - 1 <= hi, "[", op, "] to - 1 = ", to - 1, " is out of bounds for ", dtype_name(dt));
  RandomParams p;
  p.low = from;
  p.range = static_cast<uint64_t>(to) - static_cast<uint64_t>(from);
  return p;
}

Tensor new_tensor(const char* op, IntArrayRef size, DType dt, std::optional<Device> device) {
  check_size_nonnegative(op, size);
  checked_numel(size, op);  // overflow errors name this op
  return empty_tensor(size, dt, device.value_or(Device()));
}

// ---- in-place samplers
Tensor normal__kernel(const Tensor& self, double mean, double std, const OptionalGenerator& gen) {
  check_floating("normal_", self.dtype());
  TS_CHECK(std >= 0.0, "[normal_] normal expects std >= 0.0, but found std ", std);
  sample_into("normal_", self, RandomKind::Normal, RandomParams{mean, std, 0, 0}, gen, true);
  return self;
}

Tensor uniform__kernel(const Tensor& self, double from, double to, const OptionalGenerator& gen) {
  check_floating("uniform_", self.dtype());
  check_scalar_fits("uniform_", Scalar(from), self.dtype());
  check_scalar_fits("uniform_", Scalar(to), self.dtype());
  TS_CHECK(std::isfinite(from) && std::isfinite(to), "[uniform_] from and to must be finite, got from=", from,
           ", to=", to);
  TS_CHECK(from <= to, "[uniform_] uniform_ expects to return a [from, to) range, but found from=", from, " > to=", to);
  const double max = self.dtype() == DType::Float64   ? std::numeric_limits<double>::max()
                     : self.dtype() == DType::Float32 ? static_cast<double>(std::numeric_limits<float>::max())
                     : self.dtype() == DType::Float16 ? 65504.0
                                                      : 3.3895313892515355e38;
  TS_CHECK(to - from <= max, "[uniform_] uniform_ expects to-from <= ", max, " for dtype ", dtype_name(self.dtype()),
           ", got to-from=", to - from);
  sample_into("uniform_", self, RandomKind::Uniform, RandomParams{from, to, 0, 0}, gen, true);
  return self;
}

Tensor exponential__kernel(const Tensor& self, double lambd, const OptionalGenerator& gen) {
  check_floating("exponential_", self.dtype());
  TS_CHECK(lambd > 0.0, "[exponential_] exponential_ expects lambda > 0.0, but found lambda=", lambd);
  sample_into("exponential_", self, RandomKind::Exponential, RandomParams{lambd, 0, 0, 0}, gen, true);
  return self;
}

Tensor random__kernel(const Tensor& self, int64_t from, int64_t to, const OptionalGenerator& gen) {
  RandomParams p = integer_params("random_", from, to, self.dtype());
  sample_into("random_", self, RandomKind::Integer, p, gen, true);
  return self;
}

Tensor bernoulli__kernel(const Tensor& self, double p, const OptionalGenerator& gen) {
  TS_CHECK(p >= 0.0 && p <= 1.0, "[bernoulli_] bernoulli_ expects p to be in [0, 1], but got p=", p);
  sample_into("bernoulli_", self, RandomKind::Bernoulli, RandomParams{p, 0, 0, 0}, gen, true);
  return self;
}

// Probabilities from a tensor, broadcast to self's shape.
void bernoulli_from_tensor(const char* op, const Tensor& self, const Tensor& p, const OptionalGenerator& gen,
                           bool inplace) {
  Generator& g = get_generator_or_default(generator_ptr(gen), self.device(), op);
  TS_CHECK(p.device() == self.device() || (p.dim() == 0 && p.device().is_cpu()), "[", op, "] expected p on ",
           self.device().str(), ", got ", p.device().str());
  // p broadcast to self's shape (a stride-0 view), then materialised as float64.
  DimVector shape = broadcast_shapes(p.sizes(), self.sizes(), op);
  TS_CHECK(
      IntArrayRef(shape).size() == self.sizes().size() && std::equal(shape.begin(), shape.end(), self.sizes().begin()),
      "[", op, "] p of shape ", shape_str(p.sizes()), " can't be broadcast to self's shape ", shape_str(self.sizes()));
  DimVector strides(shape.size(), 0);
  const int64_t lead = self.dim() - p.dim();
  for (int64_t d = 0; d < p.dim(); ++d) strides[lead + d] = p.sizes()[d] == 1 ? 0 : p.strides()[d];
  Tensor expanded = make_view(p, DimVector(self.sizes()), strides, p.storage_offset());
  Tensor probs = empty_tensor(self.sizes(), DType::Float64, self.device());
  ops::copy_(probs, expanded);
  if (self.numel() == 0) return;
  Tensor out = self.is_contiguous() ? self : empty_tensor(self.sizes(), self.dtype(), self.device());
  PhiloxState st = g.reserve(static_cast<uint64_t>(self.numel()));
  bernoulli_tensor_stub(self.device(), out, probs, st);
  if (!out.is_same(self)) {
    ops::copy_(self, out);
  } else if (inplace) {
    self.bump_version();
  }
}

Tensor bernoulli__tensor_kernel(const Tensor& self, const Tensor& p, const OptionalGenerator& gen) {
  bernoulli_from_tensor("bernoulli_", self, p, gen, true);
  return self;
}

// ---- factories
Tensor rand_kernel(IntArrayRef size, const OptionalGenerator& gen, std::optional<DType> dtype,
                   std::optional<Device> device) {
  DType dt = dtype.value_or(DType::Float32);
  check_floating("rand", dt);
  Tensor t = new_tensor("rand", size, dt, device);
  sample_into("rand", t, RandomKind::Uniform, RandomParams{0, 1, 0, 0}, gen);
  return t;
}

Tensor randn_kernel(IntArrayRef size, const OptionalGenerator& gen, std::optional<DType> dtype,
                    std::optional<Device> device) {
  DType dt = dtype.value_or(DType::Float32);
  check_floating("randn", dt);
  Tensor t = new_tensor("randn", size, dt, device);
  sample_into("randn", t, RandomKind::Normal, RandomParams{0, 1, 0, 0}, gen);
  return t;
}

Tensor normal_kernel(double mean, double std, IntArrayRef size, const OptionalGenerator& gen,
                     std::optional<DType> dtype, std::optional<Device> device) {
  DType dt = dtype.value_or(DType::Float32);
  check_floating("normal", dt);
  TS_CHECK(std >= 0.0, "[normal] normal expects std >= 0.0, but found std ", std);
  Tensor t = new_tensor("normal", size, dt, device);
  sample_into("normal", t, RandomKind::Normal, RandomParams{mean, std, 0, 0}, gen);
  return t;
}

Tensor randint_kernel(int64_t low, int64_t high, IntArrayRef size, const OptionalGenerator& gen,
                      std::optional<DType> dtype, std::optional<Device> device) {
  DType dt = dtype.value_or(DType::Int64);
  RandomParams p = integer_params("randint", low, high, dt);
  Tensor t = new_tensor("randint", size, dt, device);
  sample_into("randint", t, RandomKind::Integer, p, gen);
  return t;
}

Tensor randperm_kernel(int64_t n, const OptionalGenerator& gen, std::optional<DType> dtype,
                       std::optional<Device> device) {
  DType dt = dtype.value_or(DType::Int64);
  TS_CHECK_NOT_IMPLEMENTED(dt != DType::Bool, "[randperm] not implemented for dtype bool");
  TS_CHECK(n >= 0, "[randperm] Trying to create tensor with negative dimension ", n, ": [", n, "]");
  int64_t lo = 0, hi = 0;
  dtype_int_bounds(dt, lo, hi);
  TS_CHECK(n == 0 || n - 1 <= hi, "[randperm] n=", n, " is too large for result tensor type ", dtype_name(dt));
  Tensor t = new_tensor("randperm", {&n, 1}, dt, device);
  Generator& g = get_generator_or_default(generator_ptr(gen), t.device(), "randperm");
  if (n == 0) return t;
  uint64_t vpe = static_cast<uint64_t>(n) > (uint64_t(1) << 32) ? 2 : 1;
  PhiloxState st = g.reserve(static_cast<uint64_t>(n) * vpe);
  randperm_stub(t.device(), t, st);
  return t;
}

// The *_like samplers allocate like empty_like (PyTorch's preserve_format); values follow the
// row-major logical order as always.
Tensor rand_like_kernel(const Tensor& self, const OptionalGenerator& gen, std::optional<DType> dtype,
                        std::optional<Device> device) {
  DType dt = dtype.value_or(self.dtype());
  check_floating("rand_like", dt);
  Tensor t = ops::empty_like(self, dt, device);
  sample_into("rand_like", t, RandomKind::Uniform, RandomParams{0, 1, 0, 0}, gen);
  return t;
}
Tensor randn_like_kernel(const Tensor& self, const OptionalGenerator& gen, std::optional<DType> dtype,
                         std::optional<Device> device) {
  DType dt = dtype.value_or(self.dtype());
  check_floating("randn_like", dt);
  Tensor t = ops::empty_like(self, dt, device);
  sample_into("randn_like", t, RandomKind::Normal, RandomParams{0, 1, 0, 0}, gen);
  return t;
}
Tensor randint_like_kernel(const Tensor& self, int64_t low, int64_t high, const OptionalGenerator& gen,
                           std::optional<DType> dtype, std::optional<Device> device) {
  DType dt = dtype.value_or(self.dtype());
  RandomParams p = integer_params("randint_like", low, high, dt);
  Tensor t = ops::empty_like(self, dt, device);
  sample_into("randint_like", t, RandomKind::Integer, p, gen);
  return t;
}

Tensor bernoulli_kernel(const Tensor& self, const OptionalGenerator& gen) {
  check_floating("bernoulli", self.dtype());
  Tensor out = empty_tensor(self.sizes(), self.dtype(), self.device());
  bernoulli_from_tensor("bernoulli", out, self, gen, false);
  return out;
}

Tensor bernoulli_p_kernel(const Tensor& self, double p, const OptionalGenerator& gen) {
  check_floating("bernoulli", self.dtype());
  TS_CHECK(p >= 0.0 && p <= 1.0, "[bernoulli] bernoulli_ expects p to be in [0, 1], but got p=", p);
  Tensor out = empty_tensor(self.sizes(), self.dtype(), self.device());
  sample_into("bernoulli", out, RandomKind::Bernoulli, RandomParams{p, 0, 0, 0}, gen);
  return out;
}

}  // namespace

#define TS_RANDOM_TAIL "*, Generator? generator=None, ScalarType? dtype=None, Device? device=None) -> Tensor"
TS_REGISTER_OP_ALL_BACKENDS("rand(int[] size, " TS_RANDOM_TAIL, &rand_kernel);
TS_REGISTER_OP_ALL_BACKENDS("randn(int[] size, " TS_RANDOM_TAIL, &randn_kernel);
TS_REGISTER_OP_ALL_BACKENDS("normal.float_float(float mean, float std, int[] size, " TS_RANDOM_TAIL, &normal_kernel);
TS_REGISTER_OP_ALL_BACKENDS("randint(int low, int high, int[] size, " TS_RANDOM_TAIL, &randint_kernel);
TS_REGISTER_OP_ALL_BACKENDS("randperm(int n, " TS_RANDOM_TAIL, &randperm_kernel);
TS_REGISTER_OP_ALL_BACKENDS("rand_like(Tensor self, " TS_RANDOM_TAIL, &rand_like_kernel);
TS_REGISTER_OP_ALL_BACKENDS("randn_like(Tensor self, " TS_RANDOM_TAIL, &randn_like_kernel);
TS_REGISTER_OP_ALL_BACKENDS("randint_like(Tensor self, int low, int high, " TS_RANDOM_TAIL, &randint_like_kernel);
#undef TS_RANDOM_TAIL
TS_REGISTER_OP_ALL_BACKENDS("normal_(Tensor self, float mean=0, float std=1, *, Generator? generator=None) -> Tensor",
                            &normal__kernel);
TS_REGISTER_OP_ALL_BACKENDS("uniform_(Tensor self, float from=0, float to=1, *, Generator? generator=None) -> Tensor",
                            &uniform__kernel);
TS_REGISTER_OP_ALL_BACKENDS("exponential_(Tensor self, float lambd=1, *, Generator? generator=None) -> Tensor",
                            &exponential__kernel);
TS_REGISTER_OP_ALL_BACKENDS("random_.from(Tensor self, int from, int to, *, Generator? generator=None) -> Tensor",
                            &random__kernel);
TS_REGISTER_OP_ALL_BACKENDS("bernoulli_.float(Tensor self, float p=0.5, *, Generator? generator=None) -> Tensor",
                            &bernoulli__kernel);
TS_REGISTER_OP_ALL_BACKENDS("bernoulli_.Tensor(Tensor self, Tensor p, *, Generator? generator=None) -> Tensor",
                            &bernoulli__tensor_kernel);
TS_REGISTER_OP_ALL_BACKENDS("bernoulli(Tensor self, *, Generator? generator=None) -> Tensor", &bernoulli_kernel);
TS_REGISTER_OP_ALL_BACKENDS("bernoulli.p(Tensor self, float p, *, Generator? generator=None) -> Tensor",
                            &bernoulli_p_kernel);

namespace ops {

using OD = std::optional<DType>;
using ODev = std::optional<Device>;

Tensor rand(IntArrayRef size, const OptGen& g, OD dtype, ODev device) {
  static TypedOp<Tensor(IntArrayRef, const OptGen&, OD, ODev)> op("rand");
  return op(size, g, dtype, device);
}
Tensor randn(IntArrayRef size, const OptGen& g, OD dtype, ODev device) {
  static TypedOp<Tensor(IntArrayRef, const OptGen&, OD, ODev)> op("randn");
  return op(size, g, dtype, device);
}
Tensor normal(double mean, double std, IntArrayRef size, const OptGen& g, OD dtype, ODev device) {
  static TypedOp<Tensor(double, double, IntArrayRef, const OptGen&, OD, ODev)> op("normal.float_float");
  return op(mean, std, size, g, dtype, device);
}
Tensor randint(int64_t low, int64_t high, IntArrayRef size, const OptGen& g, OD dtype, ODev device) {
  static TypedOp<Tensor(int64_t, int64_t, IntArrayRef, const OptGen&, OD, ODev)> op("randint");
  return op(low, high, size, g, dtype, device);
}
Tensor randperm(int64_t n, const OptGen& g, OD dtype, ODev device) {
  static TypedOp<Tensor(int64_t, const OptGen&, OD, ODev)> op("randperm");
  return op(n, g, dtype, device);
}
Tensor rand_like(const Tensor& self, const OptGen& g, OD dtype, ODev device) {
  static TypedOp<Tensor(const Tensor&, const OptGen&, OD, ODev)> op("rand_like");
  return op(self, g, dtype, device);
}
Tensor randn_like(const Tensor& self, const OptGen& g, OD dtype, ODev device) {
  static TypedOp<Tensor(const Tensor&, const OptGen&, OD, ODev)> op("randn_like");
  return op(self, g, dtype, device);
}
Tensor randint_like(const Tensor& self, int64_t low, int64_t high, const OptGen& g, OD dtype, ODev device) {
  static TypedOp<Tensor(const Tensor&, int64_t, int64_t, const OptGen&, OD, ODev)> op("randint_like");
  return op(self, low, high, g, dtype, device);
}
Tensor normal_(const Tensor& self, double mean, double std, const OptGen& g) {
  static TypedOp<Tensor(const Tensor&, double, double, const OptGen&)> op("normal_");
  return op(self, mean, std, g);
}
Tensor uniform_(const Tensor& self, double from, double to, const OptGen& g) {
  static TypedOp<Tensor(const Tensor&, double, double, const OptGen&)> op("uniform_");
  return op(self, from, to, g);
}
Tensor exponential_(const Tensor& self, double lambd, const OptGen& g) {
  static TypedOp<Tensor(const Tensor&, double, const OptGen&)> op("exponential_");
  return op(self, lambd, g);
}
Tensor random_(const Tensor& self, int64_t from, int64_t to, const OptGen& g) {
  static TypedOp<Tensor(const Tensor&, int64_t, int64_t, const OptGen&)> op("random_.from");
  return op(self, from, to, g);
}
Tensor bernoulli_(const Tensor& self, double p, const OptGen& g) {
  static TypedOp<Tensor(const Tensor&, double, const OptGen&)> op("bernoulli_.float");
  return op(self, p, g);
}
Tensor bernoulli_(const Tensor& self, const Tensor& p, const OptGen& g) {
  static TypedOp<Tensor(const Tensor&, const Tensor&, const OptGen&)> op("bernoulli_.Tensor");
  return op(self, p, g);
}
Tensor bernoulli(const Tensor& self, const OptGen& g) {
  static TypedOp<Tensor(const Tensor&, const OptGen&)> op("bernoulli");
  return op(self, g);
}
Tensor bernoulli(const Tensor& self, double p, const OptGen& g) {
  static TypedOp<Tensor(const Tensor&, double, const OptGen&)> op("bernoulli.p");
  return op(self, p, g);
}

}  // namespace ops
}  // namespace tessera

// Reductions and scans: functions and Tensor methods with PyTorch's argument names and overloads.
#include <cmath>
#include <string>

#include "binder.h"
#include "ops/binary.h"
#include "casters.h"
#include "ops/reduce.h"
#include "ops/scan.h"
#include "return_types.h"

namespace tessera::python {

namespace {
using OptDT = std::optional<DType>;

Tensor py_sum(const Tensor& x, nb::handle dim, bool keepdim, OptDT dtype) {
  auto d = parse_dims(dim, "sum");
  return ops::sum(x, as_ref(d), keepdim, dtype);
}
Tensor py_mean(const Tensor& x, nb::handle dim, bool keepdim, OptDT dtype) {
  auto d = parse_dims(dim, "mean");
  return ops::mean(x, as_ref(d), keepdim, dtype);
}
Tensor py_prod(const Tensor& x, std::optional<int64_t> dim, std::optional<bool> keepdim, OptDT dtype) {
  TS_CHECK_TYPE(dim || !keepdim, "[prod] keepdim is only accepted together with dim");
  return ops::prod(x, dim, keepdim.value_or(false), dtype);
}

// max(input) | max(input, dim, keepdim=False) | max(input, other) (elementwise maximum).
nb::object py_max_min(bool is_max, const Tensor& x, nb::handle dim, std::optional<bool> keepdim_arg) {
  const char* name = is_max ? "max" : "min";
  const bool keepdim = keepdim_arg.value_or(false);
  if (dim.is_none()) {
    TS_CHECK_TYPE(!keepdim_arg, "[", name, "] keepdim is only accepted together with dim");
    return nb::cast(is_max ? ops::max(x) : ops::min(x));
  }
  if (nb::isinstance<Tensor>(dim)) {
    const Tensor& other = nb::cast<const Tensor&>(dim);
    return nb::cast(is_max ? ops::maximum(x, other) : ops::minimum(x, other));
  }
  TS_CHECK_TYPE(PyLong_Check(dim.ptr()) && !PyBool_Check(dim.ptr()), "[", name,
                "] dim must be an int or a Tensor, got ", Py_TYPE(dim.ptr())->tp_name);
  int64_t d = nb::cast<int64_t>(dim);
  return make_return(name, is_max ? ops::max(x, d, keepdim) : ops::min(x, d, keepdim));
}
nb::object py_max(const Tensor& x, nb::handle dim, std::optional<bool> keepdim) {
  return py_max_min(true, x, dim, keepdim);
}
nb::object py_min(const Tensor& x, nb::handle dim, std::optional<bool> keepdim) {
  return py_max_min(false, x, dim, keepdim);
}

Tensor py_amax(const Tensor& x, nb::handle dim, bool keepdim) {
  auto d = parse_dims(dim, "amax");
  return ops::amax(x, d ? IntArrayRef(*d) : IntArrayRef(), keepdim);
}
Tensor py_amin(const Tensor& x, nb::handle dim, bool keepdim) {
  auto d = parse_dims(dim, "amin");
  return ops::amin(x, d ? IntArrayRef(*d) : IntArrayRef(), keepdim);
}

// var(input, dim=None, unbiased=None, keepdim=False, *, correction=None), and var(input, unbiased).
Tensor py_var_std(bool is_std, const Tensor& x, nb::handle dim, std::optional<bool> unbiased, bool keepdim,
                  std::optional<double> correction) {
  const char* name = is_std ? "std" : "var";
  if (PyBool_Check(dim.ptr())) {
    TS_CHECK_TYPE(!unbiased, "[", name, "] unbiased given twice");
    unbiased = dim.ptr() == Py_True;
    dim = nb::none();
  }
  TS_CHECK_TYPE(!(unbiased && correction), "[", name, "] cannot take both unbiased and correction");
  if (unbiased) correction = *unbiased ? 1.0 : 0.0;
  auto d = parse_dims(dim, name);
  return is_std ? ops::std(x, as_ref(d), correction, keepdim) : ops::var(x, as_ref(d), correction, keepdim);
}
Tensor py_var(const Tensor& x, nb::handle dim, std::optional<bool> unbiased, bool keepdim, std::optional<double> c) {
  return py_var_std(false, x, dim, unbiased, keepdim, c);
}
Tensor py_std(const Tensor& x, nb::handle dim, std::optional<bool> unbiased, bool keepdim, std::optional<double> c) {
  return py_var_std(true, x, dim, unbiased, keepdim, c);
}

// norm(input, p='fro', dim=None, keepdim=False, dtype=None): 'fro' is the 2-norm over the dims.
Tensor py_norm(const Tensor& x, nb::handle p, nb::handle dim, bool keepdim, OptDT dtype) {
  auto d = parse_dims(dim, "norm");
  double order = 2.0;
  if (PyUnicode_Check(p.ptr())) {
    std::string s = nb::cast<std::string>(p);
    TS_CHECK_NOT_IMPLEMENTED(s != "nuc", "[norm] the nuclear norm ('nuc') is not supported");
    TS_CHECK(s == "fro", "[norm] Order ", s, " not supported.");
    TS_CHECK(!d || d->size() <= 2, "[norm] the Frobenius norm takes at most 2 dims, got ", d->size());
  } else if (!p.is_none()) {
    Scalar sc;
    TS_CHECK_TYPE(!PyBool_Check(p.ptr()) && scalar_from_python(p, sc), "[norm] p must be a number or a string, got ",
                  Py_TYPE(p.ptr())->tp_name);
    order = sc.to_double();
  }
  return ops::norm(x, order, as_ref(d), keepdim, dtype);
}

Tensor py_logsumexp(const Tensor& x, nb::handle dim, bool keepdim) {
  auto d = parse_dims(dim, "logsumexp", false);
  return ops::logsumexp(x, *d, keepdim);
}
Tensor py_any(const Tensor& x, nb::handle dim, bool keepdim) {
  auto d = parse_dims(dim, "any");
  return ops::any(x, as_ref(d), keepdim);
}
Tensor py_all(const Tensor& x, nb::handle dim, bool keepdim) {
  auto d = parse_dims(dim, "all");
  return ops::all(x, as_ref(d), keepdim);
}
}  // namespace

TS_BINDER(reduce, 10) {
  using namespace nb::literals;
  auto none = nb::none();
  // Functions take `input` first; methods bind the same callables with self.
  m.def("sum", &py_sum, "input"_a, "dim"_a = none, "keepdim"_a = false, nb::kw_only(), "dtype"_a = none);
  cls.def("sum", &py_sum, "dim"_a = none, "keepdim"_a = false, nb::kw_only(), "dtype"_a = none);
  m.def("mean", &py_mean, "input"_a, "dim"_a = none, "keepdim"_a = false, nb::kw_only(), "dtype"_a = none);
  cls.def("mean", &py_mean, "dim"_a = none, "keepdim"_a = false, nb::kw_only(), "dtype"_a = none);
  m.def("prod", &py_prod, "input"_a, "dim"_a = none, "keepdim"_a = none, nb::kw_only(), "dtype"_a = none);
  cls.def("prod", &py_prod, "dim"_a = none, "keepdim"_a = none, nb::kw_only(), "dtype"_a = none);
  m.def("max", &py_max, "input"_a, "dim"_a = none, "keepdim"_a = none);
  cls.def("max", &py_max, "dim"_a = none, "keepdim"_a = none);
  m.def("min", &py_min, "input"_a, "dim"_a = none, "keepdim"_a = none);
  cls.def("min", &py_min, "dim"_a = none, "keepdim"_a = none);
  m.def("amax", &py_amax, "input"_a, "dim"_a.none() = nb::tuple(), "keepdim"_a = false);
  cls.def("amax", &py_amax, "dim"_a.none() = nb::tuple(), "keepdim"_a = false);
  m.def("amin", &py_amin, "input"_a, "dim"_a.none() = nb::tuple(), "keepdim"_a = false);
  cls.def("amin", &py_amin, "dim"_a.none() = nb::tuple(), "keepdim"_a = false);
  auto argmax = [](const Tensor& x, std::optional<int64_t> dim, bool keepdim) { return ops::argmax(x, dim, keepdim); };
  auto argmin = [](const Tensor& x, std::optional<int64_t> dim, bool keepdim) { return ops::argmin(x, dim, keepdim); };
  m.def("argmax", argmax, "input"_a, "dim"_a = none, "keepdim"_a = false);
  cls.def("argmax", argmax, "dim"_a = none, "keepdim"_a = false);
  m.def("argmin", argmin, "input"_a, "dim"_a = none, "keepdim"_a = false);
  cls.def("argmin", argmin, "dim"_a = none, "keepdim"_a = false);
  m.def("var", &py_var, "input"_a, "dim"_a = none, "unbiased"_a = none, "keepdim"_a = false, nb::kw_only(),
        "correction"_a = none);
  cls.def("var", &py_var, "dim"_a = none, "unbiased"_a = none, "keepdim"_a = false, nb::kw_only(),
          "correction"_a = none);
  m.def("std", &py_std, "input"_a, "dim"_a = none, "unbiased"_a = none, "keepdim"_a = false, nb::kw_only(),
        "correction"_a = none);
  cls.def("std", &py_std, "dim"_a = none, "unbiased"_a = none, "keepdim"_a = false, nb::kw_only(),
          "correction"_a = none);
  m.def("norm", &py_norm, "input"_a, "p"_a.none() = "fro", "dim"_a = none, "keepdim"_a = false, "dtype"_a = none);
  cls.def("norm", &py_norm, "p"_a.none() = "fro", "dim"_a = none, "keepdim"_a = false, "dtype"_a = none);
  m.def("logsumexp", &py_logsumexp, "input"_a, "dim"_a, "keepdim"_a = false);
  cls.def("logsumexp", &py_logsumexp, "dim"_a, "keepdim"_a = false);
  m.def("any", &py_any, "input"_a, "dim"_a = none, "keepdim"_a = false);
  cls.def("any", &py_any, "dim"_a = none, "keepdim"_a = false);
  m.def("all", &py_all, "input"_a, "dim"_a = none, "keepdim"_a = false);
  cls.def("all", &py_all, "dim"_a = none, "keepdim"_a = false);

  auto cumsum = [](const Tensor& x, int64_t dim, OptDT dtype) { return ops::cumsum(x, dim, dtype); };
  auto cumprod = [](const Tensor& x, int64_t dim, OptDT dtype) { return ops::cumprod(x, dim, dtype); };
  m.def("cumsum", cumsum, "input"_a, "dim"_a, nb::kw_only(), "dtype"_a = none);
  cls.def("cumsum", cumsum, "dim"_a, nb::kw_only(), "dtype"_a = none);
  m.def("cumprod", cumprod, "input"_a, "dim"_a, nb::kw_only(), "dtype"_a = none);
  cls.def("cumprod", cumprod, "dim"_a, nb::kw_only(), "dtype"_a = none);
}

}  // namespace tessera::python

// The index ops as functions and Tensor methods: index_select, gather, scatter*, index_add,
// index_copy, index_fill, masked_select/masked_scatter, take, nonzero/argwhere/where, index_put.
#include "binder.h"
#include "casters.h"
#include "ops/copy.h"
#include "ops/indexing.h"

namespace tessera::python {

namespace {

nb::tuple to_tuple(const std::vector<Tensor>& v) {
  nb::tuple t = nb::steal<nb::tuple>(PyTuple_New(static_cast<Py_ssize_t>(v.size())));
  for (size_t i = 0; i < v.size(); ++i) PyTuple_SET_ITEM(t.ptr(), i, nb::cast(v[i]).release().ptr());
  return t;
}

std::vector<Tensor> optional_list(const std::vector<std::optional<Tensor>>& v) {
  std::vector<Tensor> out;
  out.reserve(v.size());
  for (const auto& t : v) out.push_back(t ? *t : Tensor());
  return out;
}

using OptStr = std::optional<std::string>;
std::optional<std::string_view> sv(const OptStr& s) {
  return s ? std::optional<std::string_view>(*s) : std::nullopt;
}

// A 0-d tensor fill value as a Scalar (PyTorch's index_fill accepts both).
Scalar fill_value(const char* op, const Tensor& v) {
  TS_CHECK(v.dim() == 0, "[", op, "] index_fill_ only supports a 0-dimensional value tensor, but got tensor with ",
           v.dim(), " dimension(s).");
  if (is_floating(v.dtype())) return Scalar(*ops::to(v, Device(), DType::Float64).data<double>());
  if (v.dtype() == DType::Bool) return Scalar(*ops::to(v, Device(), DType::Bool).data<bool>());
  return Scalar(*ops::to(v, Device(), DType::Int64).data<int64_t>());
}

nb::object nonzero_py(const Tensor& t, bool as_tuple) {
  if (as_tuple) return to_tuple(ops::nonzero_numpy(t));
  return nb::cast(ops::nonzero(t));
}

}  // namespace

TS_BINDER(index_ops, 10) {
  using namespace nb::literals;
  cls.def("index_select", &ops::index_select, "dim"_a, "index"_a)
      .def(
          "gather", [](const Tensor& t, int64_t dim, const Tensor& index, bool) { return ops::gather(t, dim, index); },
          "dim"_a, "index"_a, nb::kw_only(), "sparse_grad"_a = false)
      .def(
          "scatter",
          [](const Tensor& t, int64_t dim, const Tensor& index, const Tensor& src, const OptStr& reduce) {
            return ops::scatter(t, dim, index, src, sv(reduce));
          },
          "dim"_a, "index"_a, "src"_a, nb::kw_only(), "reduce"_a = nb::none())
      .def(
          "scatter",
          [](const Tensor& t, int64_t dim, const Tensor& index, const Scalar& value, const OptStr& reduce) {
            return ops::scatter(t, dim, index, value, sv(reduce));
          },
          "dim"_a, "index"_a, "value"_a, nb::kw_only(), "reduce"_a = nb::none())
      .def(
          "scatter_",
          [](const Tensor& t, int64_t dim, const Tensor& index, const Tensor& src, const OptStr& reduce) {
            return ops::scatter_(t, dim, index, src, sv(reduce));
          },
          "dim"_a, "index"_a, "src"_a, nb::kw_only(), "reduce"_a = nb::none())
      .def(
          "scatter_",
          [](const Tensor& t, int64_t dim, const Tensor& index, const Scalar& value, const OptStr& reduce) {
            return ops::scatter_(t, dim, index, value, sv(reduce));
          },
          "dim"_a, "index"_a, "value"_a, nb::kw_only(), "reduce"_a = nb::none())
      .def("scatter_reduce", &ops::scatter_reduce, "dim"_a, "index"_a, "src"_a, "reduce"_a, nb::kw_only(),
           "include_self"_a = true)
      .def("scatter_reduce_", &ops::scatter_reduce_, "dim"_a, "index"_a, "src"_a, "reduce"_a, nb::kw_only(),
           "include_self"_a = true)
      .def("scatter_add", &ops::scatter_add, "dim"_a, "index"_a, "src"_a)
      .def("scatter_add_", &ops::scatter_add_, "dim"_a, "index"_a, "src"_a)
      .def("index_add", &ops::index_add, "dim"_a, "index"_a, "source"_a, nb::kw_only(), "alpha"_a = 1)
      .def("index_add_", &ops::index_add_, "dim"_a, "index"_a, "source"_a, nb::kw_only(), "alpha"_a = 1)
      .def("index_copy", &ops::index_copy, "dim"_a, "index"_a, "source"_a)
      .def("index_copy_", &ops::index_copy_, "dim"_a, "index"_a, "source"_a)
      .def("index_fill", &ops::index_fill, "dim"_a, "index"_a, "value"_a)
      .def("index_fill_", &ops::index_fill_, "dim"_a, "index"_a, "value"_a)
      .def(
          "index_fill",
          [](const Tensor& t, int64_t dim, const Tensor& index, const Tensor& value) {
            return ops::index_fill(t, dim, index, fill_value("index_fill", value));
          },
          "dim"_a, "index"_a, "value"_a)
      .def(
          "index_fill_",
          [](const Tensor& t, int64_t dim, const Tensor& index, const Tensor& value) {
            return ops::index_fill_(t, dim, index, fill_value("index_fill_", value));
          },
          "dim"_a, "index"_a, "value"_a)
      .def("masked_select", &ops::masked_select, "mask"_a)
      .def("masked_scatter", &ops::masked_scatter, "mask"_a, "source"_a)
      .def("masked_scatter_", &ops::masked_scatter_, "mask"_a, "source"_a)
      .def("take", &ops::take, "index"_a)
      .def("put_", &ops::put_, "index"_a, "source"_a, "accumulate"_a = false)
      .def("put", &ops::put, "index"_a, "source"_a, "accumulate"_a = false)
      .def("nonzero", &nonzero_py, nb::kw_only(), "as_tuple"_a = false)
      .def("argwhere", &ops::nonzero)
      .def(
          "index_put_",
          [](const Tensor& t, const std::vector<std::optional<Tensor>>& indices, const Tensor& values,
             bool accumulate) { return ops::index_put_(t, optional_list(indices), values, accumulate); },
          "indices"_a, "values"_a, "accumulate"_a = false)
      .def(
          "index_put",
          [](const Tensor& t, const std::vector<std::optional<Tensor>>& indices, const Tensor& values,
             bool accumulate) { return ops::index_put(t, optional_list(indices), values, accumulate); },
          "indices"_a, "values"_a, "accumulate"_a = false);

  m.def("index_select", &ops::index_select, "input"_a, "dim"_a, "index"_a);
  m.def(
      "gather", [](const Tensor& t, int64_t dim, const Tensor& index, bool) { return ops::gather(t, dim, index); },
      "input"_a, "dim"_a, "index"_a, nb::kw_only(), "sparse_grad"_a = false);
  m.def(
      "scatter",
      [](const Tensor& t, int64_t dim, const Tensor& index, const Tensor& src, const OptStr& reduce) {
        return ops::scatter(t, dim, index, src, sv(reduce));
      },
      "input"_a, "dim"_a, "index"_a, "src"_a, nb::kw_only(), "reduce"_a = nb::none());
  m.def(
      "scatter",
      [](const Tensor& t, int64_t dim, const Tensor& index, const Scalar& value, const OptStr& reduce) {
        return ops::scatter(t, dim, index, value, sv(reduce));
      },
      "input"_a, "dim"_a, "index"_a, "value"_a, nb::kw_only(), "reduce"_a = nb::none());
  m.def("scatter_add", &ops::scatter_add, "input"_a, "dim"_a, "index"_a, "src"_a);
  m.def("scatter_reduce", &ops::scatter_reduce, "input"_a, "dim"_a, "index"_a, "src"_a, "reduce"_a, nb::kw_only(),
        "include_self"_a = true);
  m.def("index_add", &ops::index_add, "input"_a, "dim"_a, "index"_a, "source"_a, nb::kw_only(), "alpha"_a = 1);
  m.def("index_copy", &ops::index_copy, "input"_a, "dim"_a, "index"_a, "source"_a);
  m.def("index_fill", &ops::index_fill, "input"_a, "dim"_a, "index"_a, "value"_a);
  m.def(
      "index_fill",
      [](const Tensor& t, int64_t dim, const Tensor& index, const Tensor& value) {
        return ops::index_fill(t, dim, index, fill_value("index_fill", value));
      },
      "input"_a, "dim"_a, "index"_a, "value"_a);
  m.def("masked_select", &ops::masked_select, "input"_a, "mask"_a);
  m.def("masked_scatter", &ops::masked_scatter, "input"_a, "mask"_a, "source"_a);
  m.def("take", &ops::take, "input"_a, "index"_a);
  m.def("put", &ops::put, "input"_a, "index"_a, "source"_a, "accumulate"_a = false);
  m.def("nonzero", &nonzero_py, "input"_a, nb::kw_only(), "as_tuple"_a = false);
  m.def("argwhere", &ops::nonzero, "input"_a);
  // The one-argument form only; where(condition, input, other) is bound with the elementwise ops
  // (nanobind chains both into one overloaded function).
  m.def("where", [](const Tensor& cond) { return to_tuple(ops::nonzero_numpy(cond)); }, "condition"_a);
  m.def(
      "index_put_",
      [](const Tensor& t, const std::vector<std::optional<Tensor>>& indices, const Tensor& values, bool accumulate) {
        return ops::index_put_(t, optional_list(indices), values, accumulate);
      },
      "input"_a, "indices"_a, "values"_a, "accumulate"_a = false);
  m.def(
      "index_put",
      [](const Tensor& t, const std::vector<std::optional<Tensor>>& indices, const Tensor& values, bool accumulate) {
        return ops::index_put(t, optional_list(indices), values, accumulate);
      },
      "input"_a, "indices"_a, "values"_a, "accumulate"_a = false);
}

}  // namespace tessera::python

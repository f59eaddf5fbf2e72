// View ops: functions and Tensor methods with PyTorch's argument conventions.
#include "casters.h"
#include "ops/view.h"
#include "size_args.h"

namespace tessera::python {

namespace {
nb::tuple to_tuple(const std::vector<Tensor>& v) {
  nb::list l;
  for (const Tensor& t : v) l.append(nb::cast(t));
  return nb::tuple(l);
}

OptionalIntArrayRef opt_dims(const std::optional<std::vector<int64_t>>& v) {
  return v ? OptionalIntArrayRef(IntArrayRef(*v)) : std::nullopt;
}

std::optional<std::vector<int64_t>> dims_or_none(nb::handle dim, const char* op) {
  if (dim.is_none()) return std::nullopt;
  return int_list_from_object(dim, op, "dim");
}

// x.view() etc.: PyTorch raises TypeError rather than reading an empty size.
const nb::args& required(const nb::args& args, const char* op, const char* what) {
  TS_CHECK_TYPE(args.size() > 0, "[", op, "] ", op, "() missing 1 required positional arguments: \"", what, "\"");
  return args;
}

nb::tuple split_any(const Tensor& t, nb::handle split, int64_t dim) {
  if (PyIndex_Check(split.ptr())) return to_tuple(ops::split(t, nb::cast<int64_t>(split), dim));
  auto sizes = int_list_from_object(split, "split", "split_size_or_sections");
  return to_tuple(ops::split_with_sizes(t, sizes, dim));
}
}  // namespace

TS_BINDER(view, 10) {
  using namespace nb::literals;
  cls.def("view", [](const Tensor& t, nb::args args) {
       DType dt;
       if (args.size() == 1 && nb::try_cast<DType>(args[0], dt)) return ops::view_dtype(t, dt);
       return ops::view(t, int_list_from_args(required(args, "view", "size"), "view"));
     })
      .def("view_as", [](const Tensor& t, const Tensor& o) { return ops::view(t, o.sizes()); }, "other"_a)
      .def("reshape", [](const Tensor& t, nb::args args) { return ops::reshape(t, int_list_from_args(required(args, "reshape", "shape"), "reshape")); })
      .def("reshape_as", [](const Tensor& t, const Tensor& o) { return ops::reshape(t, o.sizes()); }, "other"_a)
      .def("as_strided", [](const Tensor& t, std::vector<int64_t> size, std::vector<int64_t> stride,
                            std::optional<int64_t> off) { return ops::as_strided(t, size, stride, off); },
           "size"_a, "stride"_a, "storage_offset"_a = nb::none())
      .def("transpose", &ops::transpose, "dim0"_a, "dim1"_a)
      .def("transpose_", &ops::transpose_, "dim0"_a, "dim1"_a)
      .def("swapaxes", &ops::transpose, "axis0"_a, "axis1"_a)
      .def("swapdims", &ops::transpose, "dim0"_a, "dim1"_a)
      .def("t", &ops::t)
      .def_prop_ro("T", [](const Tensor& t) {
        std::vector<int64_t> dims(t.dim());
        for (int64_t i = 0; i < t.dim(); ++i) dims[i] = t.dim() - 1 - i;
        return ops::permute(t, dims);
      })
      .def_prop_ro("mT", [](const Tensor& t) {
        TS_CHECK(t.dim() >= 2, "[mT] tensor.mT is only supported on matrices or batches of matrices. Got ", t.dim(), "-D tensor.");
        return ops::transpose(t, -2, -1);
      })
      .def("permute", [](const Tensor& t, nb::args args) { return ops::permute(t, int_list_from_args(required(args, "permute", "dims"), "permute", "dims")); })
      .def("movedim", [](const Tensor& t, nb::handle s, nb::handle d) {
        return ops::movedim(t, int_list_from_object(s, "movedim", "source"), int_list_from_object(d, "movedim", "destination"));
      }, "source"_a, "destination"_a)
      .def("expand", [](const Tensor& t, nb::args args) { return ops::expand(t, int_list_from_args(required(args, "expand", "size"), "expand")); })
      .def("expand_as", [](const Tensor& t, const Tensor& o) { return ops::expand(t, o.sizes()); }, "other"_a)
      .def("squeeze", [](const Tensor& t, nb::handle dim) { return ops::squeeze(t, opt_dims(dims_or_none(dim, "squeeze"))); },
           "dim"_a = nb::none())
      .def("squeeze_", [](const Tensor& t, nb::handle dim) { return ops::squeeze_(t, opt_dims(dims_or_none(dim, "squeeze_"))); },
           "dim"_a = nb::none())
      .def("unsqueeze", &ops::unsqueeze, "dim"_a)
      .def("unsqueeze_", &ops::unsqueeze_, "dim"_a)
      .def("select", &ops::select, "dim"_a, "index"_a)
      .def("narrow", &ops::narrow, "dim"_a, "start"_a, "length"_a)
      .def("flatten", &ops::flatten, "start_dim"_a = 0, "end_dim"_a = -1)
      .def("unflatten", [](const Tensor& t, int64_t dim, nb::handle sizes) {
        return ops::unflatten(t, dim, int_list_from_object(sizes, "unflatten", "sizes"));
      }, "dim"_a, "sizes"_a)
      .def("diagonal", &ops::diagonal, "offset"_a = 0, "dim1"_a = 0, "dim2"_a = 1)
      .def("unbind", [](const Tensor& t, int64_t dim) { return to_tuple(ops::unbind(t, dim)); }, "dim"_a = 0)
      .def("split", &split_any, "split_size"_a, "dim"_a = 0)
      .def("chunk", [](const Tensor& t, int64_t chunks, int64_t dim) { return to_tuple(ops::chunk(t, chunks, dim)); },
           "chunks"_a, "dim"_a = 0);
  cls.attr("moveaxis") = cls.attr("movedim");

  m.def("reshape", [](const Tensor& t, nb::handle shape) { return ops::reshape(t, int_list_from_object(shape, "reshape", "shape")); },
        "input"_a, "shape"_a);
  m.def("as_strided", [](const Tensor& t, std::vector<int64_t> size, std::vector<int64_t> stride, std::optional<int64_t> off) {
    return ops::as_strided(t, size, stride, off);
  }, "input"_a, "size"_a, "stride"_a, "storage_offset"_a = nb::none());
  m.def("transpose", &ops::transpose, "input"_a, "dim0"_a, "dim1"_a);
  m.def("swapaxes", &ops::transpose, "input"_a, "axis0"_a, "axis1"_a);
  m.def("swapdims", &ops::transpose, "input"_a, "dim0"_a, "dim1"_a);
  m.def("t", &ops::t, "input"_a);
  m.def("permute", [](const Tensor& t, nb::handle dims) { return ops::permute(t, int_list_from_object(dims, "permute", "dims")); },
        "input"_a, "dims"_a);
  m.def("movedim", [](const Tensor& t, nb::handle s, nb::handle d) {
    return ops::movedim(t, int_list_from_object(s, "movedim", "source"), int_list_from_object(d, "movedim", "destination"));
  }, "input"_a, "source"_a, "destination"_a);
  m.attr("moveaxis") = m.attr("movedim");
  m.def("squeeze", [](const Tensor& t, nb::handle dim) { return ops::squeeze(t, opt_dims(dims_or_none(dim, "squeeze"))); },
        "input"_a, "dim"_a = nb::none());
  m.def("unsqueeze", &ops::unsqueeze, "input"_a, "dim"_a);
  m.def("select", &ops::select, "input"_a, "dim"_a, "index"_a);
  m.def("narrow", &ops::narrow, "input"_a, "dim"_a, "start"_a, "length"_a);
  m.def("flatten", &ops::flatten, "input"_a, "start_dim"_a = 0, "end_dim"_a = -1);
  m.def("unflatten", [](const Tensor& t, int64_t dim, nb::handle sizes) {
    return ops::unflatten(t, dim, int_list_from_object(sizes, "unflatten", "sizes"));
  }, "input"_a, "dim"_a, "sizes"_a);
  m.def("diagonal", &ops::diagonal, "input"_a, "offset"_a = 0, "dim1"_a = 0, "dim2"_a = 1);
  m.def("unbind", [](const Tensor& t, int64_t dim) { return to_tuple(ops::unbind(t, dim)); }, "input"_a, "dim"_a = 0);
  m.def("split", &split_any, "tensor"_a, "split_size_or_sections"_a, "dim"_a = 0);
  m.def("chunk", [](const Tensor& t, int64_t chunks, int64_t dim) { return to_tuple(ops::chunk(t, chunks, dim)); },
        "input"_a, "chunks"_a, "dim"_a = 0);
}

}  // namespace tessera::python

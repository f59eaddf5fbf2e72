// flip/roll/repeat/tile/repeat_interleave/tril/triu/meshgrid: functions and Tensor methods.
#include "casters.h"
#include "ops/reorder.h"
#include "size_args.h"
#include "tensor_list_args.h"

namespace tessera::python {

namespace {

std::vector<int64_t> dims_or_empty(nb::handle dims, const char* op) {
  if (dims.is_none()) return {};
  return int_list_from_object(dims, op, "dims");
}

Tensor roll_py(const Tensor& t, nb::handle shifts, nb::handle dims) {
  return ops::roll(t, int_list_from_object(shifts, "roll", "shifts"), dims_or_empty(dims, "roll"));
}

// repeats: an int or an integer tensor (one count, or one per slice along dim).
Tensor repeat_interleave_py(const Tensor& t, nb::handle repeats, std::optional<int64_t> dim,
                            std::optional<int64_t> output_size) {
  Tensor* r = nullptr;
  if (nb::try_cast<Tensor*>(repeats, r) && r) return ops::repeat_interleave_tensor(t, *r, dim, output_size);
  TS_CHECK_TYPE(PyIndex_Check(repeats.ptr()) && !PyBool_Check(repeats.ptr()),
                "[repeat_interleave] repeats must be an int or a Tensor, got ", nb::type_name(repeats.type()).c_str());
  return ops::repeat_interleave(t, nb::cast<int64_t>(repeats), dim, output_size);
}

// torch.repeat_interleave(input, repeats=None, ...): without repeats, input holds the counts.
Tensor repeat_interleave_fn(const Tensor& t, nb::handle repeats, std::optional<int64_t> dim,
                            std::optional<int64_t> output_size) {
  if (repeats.is_none()) return ops::repeat_interleave_indices(t, output_size);
  return repeat_interleave_py(t, repeats, dim, output_size);
}

nb::tuple meshgrid_py(const nb::args& args, std::optional<std::string> indexing) {
  if (!indexing) {
    if (PyErr_WarnEx(PyExc_UserWarning,
                     "[meshgrid] in an upcoming release, it will be required to pass the indexing argument.", 1) < 0)
      throw nb::python_error();
  }
  return tensor_tuple(ops::meshgrid(tensor_list_from_args(args, "meshgrid"), indexing.value_or("ij")));
}

}  // namespace

TS_BINDER(reorder, 10) {
  using namespace nb::literals;
  cls.def("flip", [](const Tensor& t, nb::args dims) {
    TS_CHECK_TYPE(dims.size() > 0, "[flip] flip() missing 1 required positional arguments: \"dims\"");
    return ops::flip(t, int_list_from_args(dims, "flip", "dims"));
  });
  m.def(
      "flip", [](const Tensor& t, nb::handle dims) { return ops::flip(t, int_list_from_object(dims, "flip", "dims")); },
      "input"_a, "dims"_a);
  cls.def("fliplr", &ops::fliplr);
  cls.def("flipud", &ops::flipud);
  m.def("fliplr", &ops::fliplr, "input"_a);
  m.def("flipud", &ops::flipud, "input"_a);

  cls.def("roll", &roll_py, "shifts"_a, "dims"_a = nb::none());
  m.def("roll", &roll_py, "input"_a, "shifts"_a, "dims"_a = nb::none());

  cls.def("repeat", [](const Tensor& t, nb::args sizes) {
    TS_CHECK_TYPE(sizes.size() > 0, "[repeat] repeat() missing 1 required positional arguments: \"repeats\"");
    return ops::repeat(t, int_list_from_args(sizes, "repeat", "repeats"));
  });
  cls.def("tile", [](const Tensor& t, nb::args dims) {
    TS_CHECK_TYPE(dims.size() > 0, "[tile] tile() missing 1 required positional arguments: \"dims\"");
    return ops::tile(t, int_list_from_args(dims, "tile", "dims"));
  });
  m.def(
      "tile", [](const Tensor& t, nb::handle dims) { return ops::tile(t, int_list_from_object(dims, "tile", "dims")); },
      "input"_a, "dims"_a);
  cls.def("repeat_interleave", &repeat_interleave_py, "repeats"_a, "dim"_a = nb::none(), nb::kw_only(),
          "output_size"_a = nb::none());
  m.def("repeat_interleave", &repeat_interleave_fn, "input"_a, "repeats"_a = nb::none(), "dim"_a = nb::none(),
        nb::kw_only(), "output_size"_a = nb::none());

  cls.def("tril", &ops::tril, "diagonal"_a = 0);
  cls.def("triu", &ops::triu, "diagonal"_a = 0);
  // In-place methods return the very same Python object, as PyTorch does.
  cls.def(
      "tril_",
      [](nb::object self, int64_t k) {
        ops::tril_(nb::cast<const Tensor&>(self), k);
        return self;
      },
      "diagonal"_a = 0);
  cls.def(
      "triu_",
      [](nb::object self, int64_t k) {
        ops::triu_(nb::cast<const Tensor&>(self), k);
        return self;
      },
      "diagonal"_a = 0);
  m.def("tril", &ops::tril, "input"_a, "diagonal"_a = 0);
  m.def("triu", &ops::triu, "input"_a, "diagonal"_a = 0);

  m.def("meshgrid", &meshgrid_py, "tensors"_a, nb::kw_only(), "indexing"_a = nb::none());
}

}  // namespace tessera::python

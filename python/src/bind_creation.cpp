// Factories with PyTorch's Python signatures: sizes as varargs or one sequence, keyword-only
// dtype / device / requires_grad. Argument errors are TypeErrors that name the op.
#include <deque>

#include "factory_args.h"
#include "ops/creation.h"

namespace tessera::python {

namespace {

constexpr const char* kFactoryKw =
    "dtype: dtype | None = None, device: device | str | int | None = None, requires_grad: bool = False";

std::string sig(const char* head, const char* tail = ") -> Tensor") {
  return std::string("def ") + head + kFactoryKw + tail;
}

using SizeFactory = Tensor (*)(IntArrayRef, std::optional<DType>, std::optional<Device>);

template <SizeFactory F>
void def_size_factory(nb::module_& m, const char* name) {
  static std::string s = sig((std::string(name) + "(*size: int | collections.abc.Sequence[int], ").c_str());
  m.def(
      name,
      [name](nb::args args, nb::kwargs kwargs) {
        FactoryKwargs kw = parse_factory_kwargs(name, kwargs);
        DimVector size = parse_size_args(name, args, 0, kw.size);
        return F(size, kw.dtype, kw.device_or_default());
      },
      nb::sig(s.c_str()));
}

Tensor empty_(IntArrayRef s, std::optional<DType> d, std::optional<Device> v) {
  return ops::empty(s, d, v);
}
Tensor zeros_(IntArrayRef s, std::optional<DType> d, std::optional<Device> v) {
  return ops::zeros(s, d, v);
}
Tensor ones_(IntArrayRef s, std::optional<DType> d, std::optional<Device> v) {
  return ops::ones(s, d, v);
}

// Positional-or-keyword argument `name` at position `pos`.
nb::handle arg_at(const char* op, const nb::args& args, size_t pos, const FactoryKwargs& kw, const char* name) {
  nb::handle k = kw.get(name);
  if (pos < args.size()) {
    TS_CHECK_TYPE(!k.is_valid(), "[", op, "] got multiple values for argument '", name, "'");
    return args[pos];
  }
  return k;
}

nb::handle required(const char* op, nb::handle h, const char* name) {
  TS_CHECK_TYPE(h.is_valid(), "[", op, "] missing required argument '", name, "'");
  return h;
}

void check_max_positional(const char* op, const nb::args& args, size_t n) {
  TS_CHECK_TYPE(args.size() <= n, "[", op, "] takes at most ", n, " positional arguments but ", args.size(),
                " were given");
}

Tensor like_self(const char* op, const nb::args& args, const FactoryKwargs& kw) {
  nb::handle h = required(op, arg_at(op, args, 0, kw, "input"), "input");
  Tensor t;
  TS_CHECK_TYPE(nb::try_cast<Tensor>(h, t), "[", op, "] argument 'input' must be Tensor, not ", py_type_name(h));
  return t;
}

using LikeFactory = Tensor (*)(const Tensor&, std::optional<DType>, std::optional<Device>);
template <LikeFactory F>
void def_like(nb::module_& m, const char* name) {
  static std::string s = sig((std::string(name) + "(input: Tensor, *, ").c_str());
  m.def(
      name,
      [name](nb::args args, nb::kwargs kwargs) {
        FactoryKwargs kw = parse_factory_kwargs(name, kwargs, {"input"});
        check_max_positional(name, args, 1);
        return F(like_self(name, args, kw), kw.dtype, kw.device);
      },
      nb::sig(s.c_str()));
}
Tensor empty_like_(const Tensor& t, std::optional<DType> d, std::optional<Device> v) {
  return ops::empty_like(t, d, v);
}
Tensor zeros_like_(const Tensor& t, std::optional<DType> d, std::optional<Device> v) {
  return ops::zeros_like(t, d, v);
}
Tensor ones_like_(const Tensor& t, std::optional<DType> d, std::optional<Device> v) {
  return ops::ones_like(t, d, v);
}

}  // namespace

TS_BINDER(creation, 10) {
  m.def(
      "_set_default_device", [](nb::handle d) { set_default_device(parse_device("set_default_device", d)); },
      nb::arg("device").none());
  m.def("_default_device", &default_device);
  def_size_factory<&empty_>(m, "empty");
  def_size_factory<&zeros_>(m, "zeros");
  def_size_factory<&ones_>(m, "ones");
  def_like<&empty_like_>(m, "empty_like");
  def_like<&zeros_like_>(m, "zeros_like");
  def_like<&ones_like_>(m, "ones_like");

  static std::string full_sig = sig("full(size: collections.abc.Sequence[int], fill_value: float | int | bool, *, ");
  m.def(
      "full",
      [](nb::args args, nb::kwargs kwargs) {
        const char* op = "full";
        FactoryKwargs kw = parse_factory_kwargs(op, kwargs, {"fill_value"});
        check_max_positional(op, args, 2);
        nb::handle size_h = args.size() > 0 ? args[0] : kw.size;
        TS_CHECK_TYPE(!(args.size() > 0 && kw.size.is_valid()), "[full] got multiple values for argument 'size'");
        DimVector size = parse_size_sequence(op, required(op, size_h, "size"));
        Scalar v = parse_scalar(op, required(op, arg_at(op, args, 1, kw, "fill_value"), "fill_value"), "fill_value");
        return ops::full(size, v, kw.dtype, kw.device_or_default());
      },
      nb::sig(full_sig.c_str()));

  static std::string full_like_sig = sig("full_like(input: Tensor, fill_value: float | int | bool, *, ");
  m.def(
      "full_like",
      [](nb::args args, nb::kwargs kwargs) {
        const char* op = "full_like";
        FactoryKwargs kw = parse_factory_kwargs(op, kwargs, {"input", "fill_value"});
        check_max_positional(op, args, 2);
        Tensor self = like_self(op, args, kw);
        Scalar v = parse_scalar(op, required(op, arg_at(op, args, 1, kw, "fill_value"), "fill_value"), "fill_value");
        return ops::full_like(self, v, kw.dtype, kw.device);
      },
      nb::sig(full_like_sig.c_str()));

  static std::string arange_sig =
      sig("arange(start: float | int, end: float | int | None = None, step: float | int = 1, *, ");
  m.def(
      "arange",
      [](nb::args args, nb::kwargs kwargs) {
        const char* op = "arange";
        FactoryKwargs kw = parse_factory_kwargs(op, kwargs, {"start", "end", "step"});
        check_max_positional(op, args, 3);
        Scalar start(int64_t(0)), end, step(int64_t(1));
        // arange(end) / arange(start, end) / arange(start, end, step), plus keywords.
        nb::handle hs = kw.get("start"), he = kw.get("end"), hst = kw.get("step");
        size_t n = args.size();
        if (n == 1) {
          if (he.is_valid())
            hs = args[0];
          else
            he = args[0];
        } else if (n >= 2) {
          TS_CHECK_TYPE(!hs.is_valid() && !he.is_valid(), "[arange] got multiple values for argument 'start'/'end'");
          hs = args[0];
          he = args[1];
          if (n == 3) {
            TS_CHECK_TYPE(!hst.is_valid(), "[arange] got multiple values for argument 'step'");
            hst = args[2];
          }
        }
        end = parse_scalar(op, required(op, he, "end"), "end");
        if (hs.is_valid()) start = parse_scalar(op, hs, "start");
        if (hst.is_valid()) step = parse_scalar(op, hst, "step");
        return ops::arange(start, end, step, kw.dtype, kw.device_or_default());
      },
      nb::sig(arange_sig.c_str()));

  static std::string linspace_sig = sig("linspace(start: float | int, end: float | int, steps: int, *, ");
  m.def(
      "linspace",
      [](nb::args args, nb::kwargs kwargs) {
        const char* op = "linspace";
        FactoryKwargs kw = parse_factory_kwargs(op, kwargs, {"start", "end", "steps"});
        check_max_positional(op, args, 3);
        Scalar start = parse_scalar(op, required(op, arg_at(op, args, 0, kw, "start"), "start"), "start");
        Scalar end = parse_scalar(op, required(op, arg_at(op, args, 1, kw, "end"), "end"), "end");
        int64_t steps = parse_int(op, required(op, arg_at(op, args, 2, kw, "steps"), "steps"), "steps");
        return ops::linspace(start, end, steps, kw.dtype, kw.device_or_default());
      },
      nb::sig(linspace_sig.c_str()));

  static std::string eye_sig = sig("eye(n: int, m: int | None = None, *, ");
  m.def(
      "eye",
      [](nb::args args, nb::kwargs kwargs) {
        const char* op = "eye";
        FactoryKwargs kw = parse_factory_kwargs(op, kwargs, {"n", "m"});
        check_max_positional(op, args, 2);
        int64_t n = parse_int(op, required(op, arg_at(op, args, 0, kw, "n"), "n"), "n");
        nb::handle hm = arg_at(op, args, 1, kw, "m");
        std::optional<int64_t> mm;
        if (hm.is_valid() && !hm.is_none()) mm = parse_int(op, hm, "m");
        return ops::eye(n, mm, kw.dtype, kw.device_or_default());
      },
      nb::sig(eye_sig.c_str()));

  // Tensor.new_*: factories whose dtype and device default to self's.
  struct NewSpec {
    const char* name;
    SizeFactory fn;
  };
  static const NewSpec news[] = {{"new_empty", &empty_}, {"new_zeros", &zeros_}, {"new_ones", &ones_}};
  static std::deque<std::string> new_sigs;  // nb::sig keeps the pointer: the text must outlive the module
  for (const NewSpec& spec : news) {
    const char* name = spec.name;
    SizeFactory fn = spec.fn;
    cls.def(
        name,
        [name, fn](const Tensor& self, nb::args args, nb::kwargs kwargs) {
          FactoryKwargs kw = parse_factory_kwargs(name, kwargs);
          DimVector size = parse_size_args(name, args, 0, kw.size);
          return fn(size, kw.dtype.value_or(self.dtype()), kw.device.value_or(self.device()));
        },
        nb::sig(new_sigs
                    .emplace_back(std::string("def ") + name + "(self, *size: int | collections.abc.Sequence[int], " +
                                  kFactoryKw + ") -> Tensor")
                    .c_str()));
  }
  cls.def(
      "new_full",
      [](const Tensor& self, nb::handle size, nb::handle fill_value, nb::kwargs kwargs) {
        const char* op = "new_full";
        FactoryKwargs kw = parse_factory_kwargs(op, kwargs);
        return ops::full(parse_size_sequence(op, size), parse_scalar(op, fill_value, "fill_value"),
                         kw.dtype.value_or(self.dtype()), kw.device.value_or(self.device()));
      },
      nb::sig("def new_full(self, size: collections.abc.Sequence[int], fill_value: float | int | bool, *, dtype: "
              "dtype | None = None, device: device | str | int | None = None, requires_grad: bool = False) -> "
              "Tensor"));

  cls.def(
         "fill_",
         [](const Tensor& t, nb::handle value) {
           Tensor v;
           if (nb::try_cast<Tensor>(value, v)) {
             TS_CHECK(v.dim() == 0, "[fill_] fill_ only supports 0-dimension value tensor but got tensor with ",
                      v.dim(), " dimensions.");
           }
           return ops::fill_(t, parse_scalar("fill_", value, "value"));
         },
         nb::arg("value"), nb::sig("def fill_(self, value: float | int | bool | Tensor) -> Tensor"))
      .def("zero_", [](const Tensor& t) { return ops::zero_(t); });
}

}  // namespace tessera::python

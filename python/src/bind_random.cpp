// tessera.Generator, the default generator (manual_seed / seed / initial_seed / get_rng_state),
// and the random factories and in-place samplers with PyTorch's signatures.
#include <cstring>

#include "factory_args.h"
#include "ops/creation.h"
#include "ops/random.h"

namespace tessera::python {

namespace {

uint64_t seed_from_python(nb::handle obj) {
  // PyTorch calls int(seed): floats truncate, strings parse; negative seeds wrap to uint64.
  nb::object i = nb::steal(PyNumber_Long(obj.ptr()));
  if (!i.is_valid()) throw nb::python_error();
  int overflow = 0;
  long long v = PyLong_AsLongLongAndOverflow(i.ptr(), &overflow);
  if (!overflow) return static_cast<uint64_t>(v);
  unsigned long long u = PyLong_AsUnsignedLongLong(i.ptr());
  if (PyErr_Occurred()) {
    PyErr_Clear();
    TS_FAIL(Value, "[manual_seed] seed must be within range [-0x8000_0000_0000_0000, 0xffff_ffff_ffff_ffff], got ",
            nb::str(i).c_str());
  }
  return static_cast<uint64_t>(u);
}

Tensor state_tensor(const Generator& g) {
  auto bytes = g.get_state();
  int64_t n = 16;
  Tensor t = empty_tensor({&n, 1}, DType::UInt8);
  std::memcpy(t.data_ptr(), bytes.data(), 16);
  return t;
}

void set_state_from(Generator& g, const Tensor& t) {
  TS_CHECK_TYPE(t.dtype() == DType::UInt8, "[set_state] expected a uint8 tensor, got ", dtype_name(t.dtype()));
  TS_CHECK(t.device().is_cpu() && t.is_contiguous(), "[set_state] expected a contiguous CPU tensor");
  g.set_state(static_cast<const uint8_t*>(t.data_ptr()), static_cast<size_t>(t.numel()));
}

constexpr const char* kRandKw =
    "generator: Generator | None = None, dtype: dtype | None = None, device: device | str | int | None = None, "
    "requires_grad: bool = False) -> Tensor";

std::string rsig(const std::string& head) {
  return "def " + head + kRandKw;
}

using SizeRandom = Tensor (*)(IntArrayRef, const OptionalGenerator&, std::optional<DType>, std::optional<Device>);
template <SizeRandom F>
void def_size_random(nb::module_& m, const char* name) {
  static std::string s = rsig(std::string(name) + "(*size: int | collections.abc.Sequence[int], ");
  m.def(
      name,
      [name](nb::args args, nb::kwargs kwargs) {
        FactoryKwargs kw = parse_factory_kwargs(name, kwargs, {}, true);
        DimVector size = parse_size_args(name, args, 0, kw.size);
        return F(size, kw.generator, kw.dtype, kw.device_or_default());
      },
      nb::sig(s.c_str()));
}
Tensor rand_(IntArrayRef s, const OptionalGenerator& g, std::optional<DType> d, std::optional<Device> v) {
  return ops::rand(s, g, d, v);
}
Tensor randn_(IntArrayRef s, const OptionalGenerator& g, std::optional<DType> d, std::optional<Device> v) {
  return ops::randn(s, g, d, v);
}

using LikeRandom = Tensor (*)(const Tensor&, const OptionalGenerator&, std::optional<DType>, std::optional<Device>);
template <LikeRandom F>
void def_like_random(nb::module_& m, const char* name) {
  static std::string s = rsig(std::string(name) + "(input: Tensor, *, ");
  m.def(
      name,
      [name](const Tensor& self, nb::kwargs kwargs) {
        FactoryKwargs kw = parse_factory_kwargs(name, kwargs, {}, true);
        return F(self, kw.generator, kw.dtype, kw.device);
      },
      nb::sig(s.c_str()));
}
Tensor rand_like_(const Tensor& t, const OptionalGenerator& g, std::optional<DType> d, std::optional<Device> v) {
  return ops::rand_like(t, g, d, v);
}
Tensor randn_like_(const Tensor& t, const OptionalGenerator& g, std::optional<DType> d, std::optional<Device> v) {
  return ops::randn_like(t, g, d, v);
}

// randint(high, size) / randint(low, high, size), with low/high/size also as keywords.
void parse_low_high(const char* op, const nb::args& args, size_t first, const FactoryKwargs& kw, size_t max_pos,
                    int64_t& low, int64_t& high, nb::handle& size_h) {
  std::vector<nb::handle> pos;
  for (size_t i = first; i < args.size(); ++i) pos.push_back(args[i]);
  TS_CHECK_TYPE(pos.size() <= max_pos, "[", op, "] takes at most ", max_pos, " positional arguments after input");
  // A trailing sequence positional is the size.
  if (!pos.empty() && (PyTuple_Check(pos.back().ptr()) || PyList_Check(pos.back().ptr()))) {
    TS_CHECK_TYPE(!kw.size.is_valid(), "[", op, "] got multiple values for argument 'size'");
    size_h = pos.back();
    pos.pop_back();
  }
  nb::handle hl = kw.get("low"), hh = kw.get("high");
  if (pos.size() == 1) {
    TS_CHECK_TYPE(!hh.is_valid(), "[", op, "] got multiple values for argument 'high'");
    hh = pos[0];
  } else if (pos.size() == 2) {
    TS_CHECK_TYPE(!hl.is_valid() && !hh.is_valid(), "[", op, "] got multiple values for argument 'low'/'high'");
    hl = pos[0];
    hh = pos[1];
  } else {
    TS_CHECK_TYPE(pos.empty(), "[", op,
                  "] received an invalid combination of arguments: expected (high, size) or "
                  "(low, high, size)");
  }
  TS_CHECK_TYPE(hh.is_valid(), "[", op, "] missing required argument 'high'");
  high = parse_int(op, hh, "high");
  low = hl.is_valid() ? parse_int(op, hl, "low") : 0;
}

}  // namespace

TS_BINDER(random, 10) {
  using namespace nb::literals;
  nb::class_<PyGenerator>(m, "Generator")
      .def(
          "__init__",
          [](PyGenerator* self, nb::handle device) {
            Device d = parse_device("Generator", device).value_or(Device());
            new (self) PyGenerator{make_intrusive<Generator>(d)};
          },
          "device"_a = "cpu", nb::sig("def __init__(self, device: device | str = 'cpu') -> None"))
      .def(
          "manual_seed",
          [](PyGenerator& g, nb::handle seed) -> PyGenerator& {
            g.gen->manual_seed(seed_from_python(seed));
            return g;
          },
          "seed"_a, nb::rv_policy::reference, nb::sig("def manual_seed(self, seed: int) -> Generator"))
      .def("seed", [](PyGenerator& g) { return g.gen->seed(); })
      .def("initial_seed", [](PyGenerator& g) { return g.gen->initial_seed(); })
      .def("get_state", [](PyGenerator& g) { return state_tensor(*g.gen); })
      .def(
          "set_state",
          [](PyGenerator& g, const Tensor& t) -> PyGenerator& {
            set_state_from(*g.gen, t);
            return g;
          },
          "new_state"_a, nb::rv_policy::reference)
      .def_prop_ro("device", [](PyGenerator& g) { return g.gen->device(); })
      .def("_offset", [](PyGenerator& g) { return g.gen->offset(); });
  m.attr("default_generator") = nb::cast(PyGenerator{default_generator_ptr(DeviceType::CPU)});

  m.def(
      "manual_seed",
      [](nb::handle seed) {
        uint64_t s = seed_from_python(seed);
        default_generator().manual_seed(s);
        nb::module_ mod = nb::module_::import_("tessera._C");
        return mod.attr("default_generator");
      },
      "seed"_a, nb::sig("def manual_seed(seed: int) -> Generator"));
  m.def("seed", [] { return default_generator().seed(); });
  m.def("initial_seed", [] { return default_generator().initial_seed(); });
  m.def("get_rng_state", [] { return state_tensor(default_generator()); });
  m.def("set_rng_state", [](const Tensor& t) { set_state_from(default_generator(), t); }, "new_state"_a);
  m.def(
      "_philox4x32_10",
      [](uint64_t seed, uint64_t counter, uint64_t subsequence) {
        auto r = philox4x32_10(seed, counter, subsequence);
        return std::vector<uint32_t>(r.begin(), r.end());
      },
      "seed"_a, "counter"_a, "subsequence"_a = 0);

  def_size_random<&rand_>(m, "rand");
  def_size_random<&randn_>(m, "randn");
  def_like_random<&rand_like_>(m, "rand_like");
  def_like_random<&randn_like_>(m, "randn_like");

  static std::string randint_sig =
      rsig("randint(low: int = 0, high: int | None = None, size: collections.abc.Sequence[int] | None = None, *, ");
  m.def(
      "randint",
      [](nb::args args, nb::kwargs kwargs) {
        const char* op = "randint";
        FactoryKwargs kw = parse_factory_kwargs(op, kwargs, {"low", "high"}, true);
        int64_t low = 0, high = 0;
        nb::handle size_h = kw.size;
        parse_low_high(op, args, 0, kw, 3, low, high, size_h);
        TS_CHECK_TYPE(size_h.is_valid(), "[randint] missing required argument 'size'");
        DimVector size = parse_size_sequence(op, size_h);
        return ops::randint(low, high, size, kw.generator, kw.dtype, kw.device_or_default());
      },
      nb::sig(randint_sig.c_str()));

  static std::string randint_like_sig = rsig("randint_like(input: Tensor, low: int = 0, high: int | None = None, *, ");
  m.def(
      "randint_like",
      [](const Tensor& self, nb::args args, nb::kwargs kwargs) {
        const char* op = "randint_like";
        FactoryKwargs kw = parse_factory_kwargs(op, kwargs, {"low", "high"}, true);
        int64_t low = 0, high = 0;
        nb::handle size_h;
        parse_low_high(op, args, 0, kw, 2, low, high, size_h);
        TS_CHECK_TYPE(!size_h.is_valid() && !kw.size.is_valid(), "[randint_like] takes no size argument");
        return ops::randint_like(self, low, high, kw.generator, kw.dtype, kw.device);
      },
      nb::sig(randint_like_sig.c_str()));

  static std::string randperm_sig = rsig("randperm(n: int, *, ");
  m.def(
      "randperm",
      [](nb::handle n, nb::kwargs kwargs) {
        FactoryKwargs kw = parse_factory_kwargs("randperm", kwargs, {}, true);
        return ops::randperm(parse_int("randperm", n, "n"), kw.generator, kw.dtype, kw.device_or_default());
      },
      nb::sig(randperm_sig.c_str()));

  static std::string normal_sig = rsig("normal(mean: float, std: float, size: collections.abc.Sequence[int], *, ");
  m.def(
      "normal",
      [](nb::handle mean, nb::handle std, nb::handle size, nb::kwargs kwargs) {
        const char* op = "normal";
        TS_CHECK_NOT_IMPLEMENTED(!nb::isinstance<Tensor>(mean) && !nb::isinstance<Tensor>(std),
                                 "[normal] tensor mean/std are not supported yet; use normal_(...) on a tensor");
        FactoryKwargs kw = parse_factory_kwargs(op, kwargs, {}, true);
        return ops::normal(parse_double(op, mean, "mean"), parse_double(op, std, "std"), parse_size_sequence(op, size),
                           kw.generator, kw.dtype, kw.device_or_default());
      },
      nb::sig(normal_sig.c_str()));

  m.def(
      "bernoulli",
      [](const Tensor& self, nb::handle p, nb::handle generator) {
        OptionalGenerator g = parse_generator("bernoulli", generator);
        if (p.is_none()) return ops::bernoulli(self, g);
        return ops::bernoulli(self, parse_double("bernoulli", p, "p"), g);
      },
      "input"_a, "p"_a = nb::none(), nb::kw_only(), "generator"_a = nb::none(),
      nb::sig("def bernoulli(input: Tensor, p: float | None = None, *, generator: Generator | None = None) -> Tensor"));

  cls.def(
         "normal_",
         [](const Tensor& t, nb::handle mean, nb::handle std, nb::handle gen) {
           return ops::normal_(t, parse_double("normal_", mean, "mean"), parse_double("normal_", std, "std"),
                               parse_generator("normal_", gen));
         },
         "mean"_a = 0.0, "std"_a = 1.0, nb::kw_only(), "generator"_a = nb::none(),
         nb::sig(
             "def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator: Generator | None = None) -> Tensor"))
      .def(
          "uniform_",
          [](const Tensor& t, nb::handle from, nb::handle to, nb::handle gen) {
            return ops::uniform_(t, parse_double("uniform_", from, "from"), parse_double("uniform_", to, "to"),
                                 parse_generator("uniform_", gen));
          },
          "from_"_a = 0.0, "to"_a = 1.0, nb::kw_only(), "generator"_a = nb::none(),
          nb::sig("def uniform_(self, from_: float = 0.0, to: float = 1.0, *, generator: Generator | None = None) -> "
                  "Tensor"))
      .def(
          "exponential_",
          [](const Tensor& t, nb::handle lambd, nb::handle gen) {
            return ops::exponential_(t, parse_double("exponential_", lambd, "lambd"),
                                     parse_generator("exponential_", gen));
          },
          "lambd"_a = 1.0, nb::kw_only(), "generator"_a = nb::none(),
          nb::sig("def exponential_(self, lambd: float = 1.0, *, generator: Generator | None = None) -> Tensor"))
      .def(
          "random_",
          [](const Tensor& t, nb::handle from, nb::handle to, nb::handle gen) {
            int64_t lo = 0, hi = parse_int("random_", from, "from");
            if (!to.is_none()) {
              lo = hi;
              hi = parse_int("random_", to, "to");
            }
            return ops::random_(t, lo, hi, parse_generator("random_", gen));
          },
          "from_"_a, "to"_a = nb::none(), nb::kw_only(), "generator"_a = nb::none(),
          nb::sig(
              "def random_(self, from_: int, to: int | None = None, *, generator: Generator | None = None) -> Tensor"))
      .def(
          "bernoulli_",
          [](const Tensor& t, nb::handle p, nb::handle gen) {
            OptionalGenerator g = parse_generator("bernoulli_", gen);
            Tensor pt;
            if (nb::try_cast<Tensor>(p, pt)) return ops::bernoulli_(t, pt, g);
            return ops::bernoulli_(t, parse_double("bernoulli_", p, "p"), g);
          },
          "p"_a = 0.5, nb::kw_only(), "generator"_a = nb::none(),
          nb::sig("def bernoulli_(self, p: float | Tensor = 0.5, *, generator: Generator | None = None) -> Tensor"))
      .def(
          "bernoulli",
          [](const Tensor& self, nb::handle p, nb::handle generator) {
            OptionalGenerator g = parse_generator("bernoulli", generator);
            if (p.is_none()) return ops::bernoulli(self, g);
            return ops::bernoulli(self, parse_double("bernoulli", p, "p"), g);
          },
          "p"_a = nb::none(), nb::kw_only(), "generator"_a = nb::none(),
          nb::sig("def bernoulli(self, p: float | None = None, *, generator: Generator | None = None) -> Tensor"));
}

}  // namespace tessera::python

#pragma once
// Parsing of PyTorch-style factory arguments: sizes as varargs or one sequence, and the keyword
// arguments dtype / device / requires_grad / generator, with TypeErrors that name the op.
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "binder.h"
#include "casters.h"
#include "core/generator.h"

namespace tessera::python {

// The object behind tessera.Generator.
struct PyGenerator {
  GeneratorPtr gen;
};

// Keyword arguments of a factory call. Known names are parsed; names listed in `extra` are kept
// (raw) in `extra_values`; anything else is a TypeError naming the op.
struct FactoryKwargs {
  std::optional<DType> dtype;
  std::optional<Device> device;
  std::optional<GeneratorPtr> generator;
  nb::handle size;  // null if absent
  std::vector<std::pair<std::string, nb::handle>> extra_values;
  nb::handle get(const char* name) const;
  // `device`, else the one set by tessera.set_default_device (factories that make new tensors from
  // nothing; *_like and new_* follow their input instead).
  std::optional<Device> device_or_default() const;
};

// tessera.set_default_device / get_default_device (None: the CPU).
void set_default_device(std::optional<Device> device);
std::optional<Device> default_device();
FactoryKwargs parse_factory_kwargs(const char* op, const nb::kwargs& kwargs,
                                   std::initializer_list<const char*> extra = {}, bool allow_generator = false);

// Sizes from the positional arguments args[first:] (ints, or a single sequence), or from the
// `size` keyword. TypeError for non-integers.
DimVector parse_size_args(const char* op, const nb::args& args, size_t first, nb::handle size_kw);
// One size argument that must be a sequence of ints (full's `size`).
DimVector parse_size_sequence(const char* op, nb::handle obj, const char* name = "size");

int64_t parse_int(const char* op, nb::handle obj, const char* name);
Scalar parse_scalar(const char* op, nb::handle obj, const char* name);
double parse_double(const char* op, nb::handle obj, const char* name);
std::optional<DType> parse_dtype(const char* op, nb::handle obj);
std::optional<Device> parse_device(const char* op, nb::handle obj);
std::optional<GeneratorPtr> parse_generator(const char* op, nb::handle obj);
// requires_grad must be a bool; True is applied by the Python wrappers (tessera/_factory_grad.py).
void check_requires_grad(const char* op, nb::handle obj);
std::string py_type_name(nb::handle obj);

}  // namespace tessera::python

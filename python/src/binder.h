#pragma once
// Binding files register themselves here; module.cpp creates the Tensor class first and then
// runs every binder, so adding an op family never edits a central list.
#include <nanobind/nanobind.h>

#include "core/error.h"
#include "core/tensor.h"

namespace tessera::python {

namespace nb = nanobind;
using TensorClass = nb::class_<Tensor>;
using BindFn = void (*)(nb::module_& m, TensorClass& cls);

struct Binder {
  // Lower `order` runs first (core metadata at 0, op families at 10, Python-facing extras at 20).
  Binder(const char* name, int order, BindFn fn);
};
void run_binders(nb::module_& m, TensorClass& cls);

}  // namespace tessera::python

#define TS_BINDER(name, order) \
  static void bind_##name(::nanobind::module_& m, ::tessera::python::TensorClass& cls); \
  static ::tessera::python::Binder ts_binder_##name(#name, order, &bind_##name);         \
  static void bind_##name(::nanobind::module_& m, ::tessera::python::TensorClass& cls)

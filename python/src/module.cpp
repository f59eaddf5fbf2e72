// The extension module tessera._C: exception mapping, the Tensor class, then every binder.
#include <algorithm>
#include <vector>

#include "binder.h"
#include "core/error.h"

namespace tessera::python {

namespace {
struct Entry {
  const char* name;
  int order;
  BindFn fn;
};
std::vector<Entry>& registry() {
  static std::vector<Entry> r;
  return r;
}
PyObject* g_oom_error = nullptr;
}  // namespace

Binder::Binder(const char* name, int order, BindFn fn) { registry().push_back({name, order, fn}); }

void run_binders(nb::module_& m, TensorClass& cls) {
  auto entries = registry();
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.order < b.order; });
  for (const Entry& e : entries) e.fn(m, cls);
}

}  // namespace tessera::python

NB_MODULE(_C, m) {
  using namespace tessera::python;
  g_oom_error = PyErr_NewException("tessera.OutOfMemoryError", PyExc_RuntimeError, nullptr);
  m.attr("OutOfMemoryError") = nb::handle(g_oom_error);
  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const tessera::Error& e) {
      PyObject* type = PyExc_RuntimeError;
      switch (e.kind()) {
        case tessera::ErrorKind::Value: type = PyExc_ValueError; break;
        case tessera::ErrorKind::Type: type = PyExc_TypeError; break;
        case tessera::ErrorKind::Index: type = PyExc_IndexError; break;
        case tessera::ErrorKind::NotImplemented: type = PyExc_NotImplementedError; break;
        case tessera::ErrorKind::OutOfMemory: type = g_oom_error; break;
        case tessera::ErrorKind::Runtime: break;
      }
      PyErr_SetString(type, e.what());
    }
  });
  nb::set_leak_warnings(false);  // module-level dtype objects live until exit by design
  TensorClass cls(m, "Tensor", nb::dynamic_attr(), nb::is_weak_referenceable());
  run_binders(m, cls);
}

// Anomaly mode from Python: the switches, and the metadata that records the Python traceback of
// each node's forward (taken only while anomaly mode is on) and shows it as a UserWarning when the
// node's backward fails.
#include <string>

#include <nanobind/stl/string.h>

#include "autograd/anomaly_mode.h"
#include "binder.h"

namespace tessera::python {

namespace ag = tessera::autograd;

namespace {

class PyAnomalyMetadata final : public ag::AnomalyMetadata {
 public:
  explicit PyAnomalyMetadata(std::string stack) : stack_(std::move(stack)) {}
  void print_stack(const std::string& node_name) override {
    if (!Py_IsInitialized() || _Py_IsFinalizing()) return;
    nb::gil_scoped_acquire gil;
    std::string msg = "Error detected in " + node_name + ". Traceback of forward call that caused the error:\n" + stack_;
    if (PyErr_WarnEx(PyExc_UserWarning, msg.c_str(), 1) < 0) PyErr_Clear();  // warnings-as-errors: the error wins
  }

 private:
  std::string stack_;  // plain text: no Python object to release without the GIL
};

// Called from Node's constructor. Only a thread that already holds the GIL captures: nodes made
// without it (create_graph backward, which runs GIL-free) may be made under autograd locks that a
// GIL-holding thread could be waiting for.
std::unique_ptr<ag::AnomalyMetadata> capture_forward_stack() {
  if (!Py_IsInitialized() || _Py_IsFinalizing() || !PyGILState_Check()) return nullptr;
  std::string stack;
  try {
    nb::object lines = nb::module_::import_("traceback").attr("format_stack")();
    for (nb::handle l : lines) stack += nb::cast<std::string>(l);
  } catch (nb::python_error& e) {
    stack = "<traceback unavailable>\n";
  }
  return std::make_unique<PyAnomalyMetadata>(std::move(stack));
}

}  // namespace

TS_BINDER(anomaly, 20) {
  using namespace nb::literals;
  ag::set_anomaly_metadata_factory(&capture_forward_stack);
  m.def("_set_anomaly_enabled", [](bool enabled, bool check_nan) { ag::AnomalyMode::set_enabled(enabled, check_nan); },
        "enabled"_a, "check_nan"_a = true);
  m.def("is_anomaly_enabled", &ag::AnomalyMode::enabled);
  m.def("is_anomaly_check_nan_enabled", &ag::AnomalyMode::check_nan);
}

}  // namespace tessera::python

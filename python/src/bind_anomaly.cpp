// Anomaly mode from Python: the switches, and the metadata that records the Python stack of
// each node's forward (taken only while anomaly mode is on) and shows it as a UserWarning when the
// node's backward fails.
#include <nanobind/stl/string.h>

#include <algorithm>
#include <string>
#include <vector>

#include "autograd/anomaly_mode.h"
#include "binder.h"

namespace tessera::python {

namespace ag = tessera::autograd;

namespace {

struct FrameInfo {
  std::string file, function;
  int line = 0;
};

class PyAnomalyMetadata final : public ag::AnomalyMetadata {
 public:
  explicit PyAnomalyMetadata(std::vector<FrameInfo> frames) : frames_(std::move(frames)) {}
  void print_stack(const std::string& node_name) override {
    if (!Py_IsInitialized() || _Py_IsFinalizing()) return;
    nb::gil_scoped_acquire gil;
    std::string msg = "Error detected in " + node_name + ". Traceback of forward call that caused the error:\n";
    try {
      msg += format();
    } catch (nb::python_error&) {
      msg += "  <traceback unavailable>\n";
    }
    if (PyErr_WarnEx(PyExc_UserWarning, msg.c_str(), 1) < 0) PyErr_Clear();  // warnings-as-errors: the error wins
  }

 private:
  // As traceback.format_stack(); source lines are looked up only now, when a report is due.
  std::string format() const {
    nb::object getline = nb::module_::import_("linecache").attr("getline");
    std::string out;
    for (const FrameInfo& f : frames_) {
      out += "  File \"" + f.file + "\", line " + std::to_string(f.line) + ", in " + f.function + "\n";
      std::string src = nb::cast<std::string>(getline(f.file, f.line).attr("strip")());
      if (!src.empty()) out += "    " + src + "\n";
    }
    return out;
  }

  std::vector<FrameInfo> frames_;  // outermost first; plain text, nothing to free under the GIL
};

std::string utf8_or(PyObject* s, const char* fallback) {
  const char* p = s ? PyUnicode_AsUTF8(s) : nullptr;
  if (!p) {
    PyErr_Clear();
    return fallback;
  }
  return p;
}

// Called from Node's constructor. Reads the frame chain through the C API only: no bytecode runs,
// so the GIL is never dropped while the caller may hold autograd locks. A thread that does not
// hold the GIL (create_graph backward runs GIL-free) records nothing rather than wait for it.
std::unique_ptr<ag::AnomalyMetadata> capture_forward_stack() {
  if (!Py_IsInitialized() || _Py_IsFinalizing() || !PyGILState_Check()) return nullptr;
  std::vector<FrameInfo> frames;
  PyFrameObject* f = PyEval_GetFrame();  // borrowed
  Py_XINCREF(f);
  while (f) {
    PyCodeObject* code = PyFrame_GetCode(f);
    frames.push_back(
        {utf8_or(code->co_filename, "<unknown>"), utf8_or(code->co_name, "<unknown>"), PyFrame_GetLineNumber(f)});
    Py_DECREF(code);
    PyFrameObject* back = PyFrame_GetBack(f);
    Py_DECREF(f);
    f = back;
  }
  std::reverse(frames.begin(), frames.end());
  return std::make_unique<PyAnomalyMetadata>(std::move(frames));
}

}  // namespace

TS_BINDER(anomaly, 20) {
  using namespace nb::literals;
  ag::set_anomaly_metadata_factory(&capture_forward_stack);
  m.def(
      "_set_anomaly_enabled", [](bool enabled, bool check_nan) { ag::AnomalyMode::set_enabled(enabled, check_nan); },
      "enabled"_a, "check_nan"_a = true);
  m.def("is_anomaly_enabled", &ag::AnomalyMode::enabled);
  m.def("is_anomaly_check_nan_enabled", &ag::AnomalyMode::check_nan);
}

}  // namespace tessera::python

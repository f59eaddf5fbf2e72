// Serialization helpers for tessera.safetensors / tessera.save / pickling: the safetensors parser
// and writer (csrc/io/safetensors.cpp) and raw-bytes conversion of tensors. The Python side
// (python/tessera/safetensors.py, serialization.py) handles files, atomic writes and dicts.
#include <cstring>

#include <nanobind/stl/pair.h>

#include "binder.h"
#include "casters.h"
#include "cpu/parallel.h"
#include "io/safetensors.h"
#include "ops/copy.h"

namespace tessera::python {

namespace {

// A read-only view of any buffer-protocol object (bytes, bytearray, memoryview, mmap).
struct Buffer {
  Py_buffer view{};
  explicit Buffer(nb::handle obj, const char* op) {
    if (PyObject_GetBuffer(obj.ptr(), &view, PyBUF_SIMPLE) != 0) {
      PyErr_Clear();
      TS_FAIL(Type, "[", op, "] expected a bytes-like object (got ", nb::type_name(obj.type()).c_str(), ")");
    }
  }
  ~Buffer() { PyBuffer_Release(&view); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  const uint8_t* data() const { return static_cast<const uint8_t*>(view.buf); }
  size_t size() const { return static_cast<size_t>(view.len); }
};

nb::tuple deserialize(nb::handle obj) {
  Buffer buf(obj, "load");
  io::SafetensorsHeader h;
  std::vector<std::pair<std::string, Tensor>> tensors;
  {
    nb::gil_scoped_release nogil;  // the buffer stays pinned by the Py_buffer
    h = io::parse_safetensors(buf.data(), buf.size());
    for (const auto& e : h.tensors) tensors.emplace_back(e.name, io::tensor_from_entry(e, buf.data() + h.data_start));
  }
  nb::list out;
  for (auto& [name, t] : tensors) out.append(nb::make_tuple(nb::str(name.data(), name.size()), nb::cast(std::move(t))));
  nb::object meta = nb::none();
  if (h.has_metadata) {
    nb::dict d;
    for (auto& [k, v] : h.metadata) d[nb::str(k.data(), k.size())] = nb::str(v.data(), v.size());
    meta = d;
  }
  return nb::make_tuple(out, meta);
}

nb::bytes serialize(const std::vector<std::pair<std::string, Tensor>>& tensors,
                    const std::optional<std::vector<std::pair<std::string, std::string>>>& metadata) {
  std::string s;
  {
    nb::gil_scoped_release nogil;
    s = io::serialize_safetensors(tensors, metadata ? *metadata : std::vector<std::pair<std::string, std::string>>{},
                                  metadata.has_value());
  }
  return nb::bytes(s.data(), s.size());
}

nb::bytes tensor_to_bytes(const Tensor& self) {
  TS_CHECK(self.device().is_cpu(), "[__reduce__] tensor is on ", self.device().str(), "; move it to the CPU first");
  Tensor c = ops::contiguous(self);
  return nb::bytes(static_cast<const char*>(c.data_ptr()), size_t(c.numel()) * c.itemsize());
}

Tensor tensor_from_bytes(nb::handle obj, DType dtype, std::vector<int64_t> shape) {
  Buffer buf(obj, "_tensor_from_bytes");
  uint64_t numel = 1;
  for (int64_t d : shape) {
    TS_CHECK_VALUE(d >= 0, "[_tensor_from_bytes] negative dimension ", d);
    TS_CHECK_VALUE(d == 0 || numel <= uint64_t(INT64_MAX) / uint64_t(d), "[_tensor_from_bytes] shape too large");
    numel *= uint64_t(d);
  }
  TS_CHECK_VALUE(numel * itemsize(dtype) == buf.size(), "[_tensor_from_bytes] ", buf.size(), " bytes do not match shape ",
                 shape_str(shape), " of ", dtype_name(dtype));
  Tensor t = empty_tensor(shape, dtype);
  if (buf.size()) std::memcpy(t.data_ptr(), buf.data(), buf.size());
  return t;
}

}  // namespace

TS_BINDER(io, 20) {
  m.def("_safetensors_deserialize", &deserialize, nb::arg("data"),
        "Parse safetensors bytes -> ([(name, Tensor)] in header order, metadata dict or None).");
  m.def("_safetensors_serialize", &serialize, nb::arg("tensors"), nb::arg("metadata").none(),
        "[(name, Tensor)], {str: str} or None -> safetensors bytes.");
  m.def("_tensor_to_bytes", &tensor_to_bytes, nb::arg("tensor"));
  m.def("_tensor_from_bytes", &tensor_from_bytes, nb::arg("data"), nb::arg("dtype"), nb::arg("shape"));
  m.def("_io_set_num_threads", [](int n) { set_num_threads(n); }, nb::arg("n"));
}

}  // namespace tessera::python

// Zero-copy exchange with NumPy: from_numpy shares the array's memory (the tensor keeps the array
// alive); Tensor.numpy() shares the tensor's memory (the array keeps the tensor alive).
#include <nanobind/ndarray.h>

#include "binder.h"
#include "casters.h"

namespace tessera::python {

namespace {

using AnyArray = nb::ndarray<nb::numpy, nb::device::cpu>;

DType dtype_from_dlpack(nb::dlpack::dtype d) {
  using nb::dlpack::dtype_code;
  auto code = static_cast<dtype_code>(d.code);
  if (code == dtype_code::Bool) return DType::Bool;
  if (code == dtype_code::UInt && d.bits == 8) return DType::UInt8;
  if (code == dtype_code::Int) {
    switch (d.bits) {
      case 8: return DType::Int8;
      case 16: return DType::Int16;
      case 32: return DType::Int32;
      case 64: return DType::Int64;
    }
  }
  if (code == dtype_code::Float) {
    switch (d.bits) {
      case 16: return DType::Float16;
      case 32: return DType::Float32;
      case 64: return DType::Float64;
    }
  }
  if (code == dtype_code::Bfloat && d.bits == 16) return DType::BFloat16;
  TS_FAIL(Type, "[from_numpy] can't convert np.ndarray of this type (code ", int(d.code), ", ", int(d.bits),
          " bits); the only supported types are: float64, float32, float16, int64, int32, int16, int8, uint8, and bool.");
}

nb::dlpack::dtype dlpack_from_dtype(DType t) {
  using nb::dlpack::dtype_code;
  auto make = [](dtype_code c, int bits) { return nb::dlpack::dtype{static_cast<uint8_t>(c), static_cast<uint8_t>(bits), 1}; };
  switch (t) {
    case DType::Bool: return make(dtype_code::Bool, 8);
    case DType::UInt8: return make(dtype_code::UInt, 8);
    case DType::Int8: return make(dtype_code::Int, 8);
    case DType::Int16: return make(dtype_code::Int, 16);
    case DType::Int32: return make(dtype_code::Int, 32);
    case DType::Int64: return make(dtype_code::Int, 64);
    case DType::Float16: return make(dtype_code::Float, 16);
    case DType::Float32: return make(dtype_code::Float, 32);
    case DType::Float64: return make(dtype_code::Float, 64);
    case DType::BFloat16: break;
  }
  TS_FAIL(Type, "[numpy] Got unsupported ScalarType BFloat16 (NumPy has no bfloat16); convert with .float() first");
}

void release_pyobject(void* ctx) {
  if (!Py_IsInitialized()) return;  // interpreter gone: leak rather than crash at exit
  nb::gil_scoped_acquire gil;
  Py_DECREF(static_cast<PyObject*>(ctx));
}

}  // namespace

Tensor tensor_from_numpy(nb::handle array) {
  AnyArray a;
  TS_CHECK_TYPE(nb::try_cast<AnyArray>(array, a), "[from_numpy] expected np.ndarray (got ",
                nb::type_name(array.type()).c_str(), ")");
  DType dt = dtype_from_dlpack(a.dtype());
  DimVector sizes, strides;
  int64_t lo = 0, hi = 0;  // element extent reached by the strides, to size the storage
  for (size_t i = 0; i < a.ndim(); ++i) {
    sizes.push_back(static_cast<int64_t>(a.shape(i)));
    int64_t s = a.stride(i);
    TS_CHECK_VALUE(s >= 0, "[from_numpy] At least one stride in the given numpy array is negative, and tensors with "
                           "negative strides are not currently supported. (You can probably work around this by "
                           "making a copy of your array with array.copy().)");
    strides.push_back(s);
    if (a.shape(i) > 0) hi += s * (static_cast<int64_t>(a.shape(i)) - 1);
  }
  size_t nbytes = a.size() == 0 ? 0 : static_cast<size_t>(hi - lo + 1) * itemsize(dt);
  if (a.size() == 0) strides = contiguous_strides(sizes);  // NumPy gives empty arrays zero strides
  PyObject* owner = array.ptr();
  Py_INCREF(owner);
  DataPtr dp(a.data(), owner, &release_pyobject, Device(DeviceType::CPU));
  Storage st = make_intrusive<StorageImpl>(std::move(dp), nbytes, nullptr);
  return Tensor(make_intrusive<TensorImpl>(std::move(st), dt, std::move(sizes), std::move(strides), 0));
}

nb::object tensor_to_numpy(const Tensor& t) {
  TS_CHECK_TYPE(t.device().is_cpu(), "[numpy] can't convert ", t.device().str(),
                " device type tensor to numpy. Use Tensor.cpu() to copy the tensor to host memory first.");
  TS_CHECK(!t.requires_grad(), "[numpy] Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.");
  std::vector<size_t> shape(t.sizes().begin(), t.sizes().end());
  std::vector<int64_t> strides(t.strides().begin(), t.strides().end());
  auto* keep = new Tensor(t);
  nb::capsule owner(keep, [](void* p) noexcept { delete static_cast<Tensor*>(p); });
  nb::ndarray<nb::numpy> arr(t.data_ptr(), shape.size(), shape.data(), owner, strides.data(), dlpack_from_dtype(t.dtype()));
  return nb::cast(arr, nb::rv_policy::reference);
}

TS_BINDER(numpy, 5) {
  m.def("from_numpy", &tensor_from_numpy, nb::arg("ndarray"));
  cls.def("numpy", &tensor_to_numpy);
}

}  // namespace tessera::python

#include "core/tensor.h"

#include "core/dispatch_type.h"

namespace tessera {

bool Tensor::is_set_to(const Tensor& o) const {
  return impl_->storage() == o.impl_->storage() && storage_offset() == o.storage_offset() &&
         dtype() == o.dtype() && impl_->sizes().size() == o.sizes().size() &&
         std::equal(sizes().begin(), sizes().end(), o.sizes().begin()) &&
         std::equal(strides().begin(), strides().end(), o.strides().begin());
}

Tensor empty_tensor(IntArrayRef sizes, DType dtype, Device device) {
  int64_t n = checked_numel(sizes, "empty");
  Storage st = make_storage(static_cast<size_t>(n) * tessera::itemsize(dtype), device);
  return Tensor(make_intrusive<TensorImpl>(std::move(st), dtype, DimVector(sizes), contiguous_strides(sizes), 0));
}

Tensor make_view(const Tensor& base, DimVector sizes, DimVector strides, int64_t offset) {
  TensorImpl* b = base.impl();
  auto v = make_intrusive<TensorImpl>(b->storage(), b->dtype(), std::move(sizes), std::move(strides), offset,
                                      b->version_counter());
  // Autograd needs the base to route in-place writes into the view (docs/design/autograd.md).
  v->set_view_base(IntrusivePtr<TensorImpl>(b->view_base() ? b->view_base() : b));
  v->set_view_version(b->version());
  return Tensor(std::move(v));
}

Tensor scalar_tensor(const Scalar& s, DType dtype, Device device) {
  TS_CHECK_NOT_IMPLEMENTED(device.is_cpu(), "[scalar_tensor] only CPU here; use to(device)");
  Tensor t = empty_tensor({}, dtype, device);
  TS_DISPATCH_ALL_TYPES(dtype, "scalar_tensor", [&] { *t.data<scalar_t>() = s.to<scalar_t>(); });
  return t;
}

}  // namespace tessera

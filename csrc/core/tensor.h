#pragma once
// The Tensor handle: a refcounted pointer to a TensorImpl. Ops are free functions in
// tessera::ops (csrc/ops/*.h); this class carries only metadata queries.
#include "core/scalar.h"
#include "core/shape.h"
#include "core/tensor_impl.h"

namespace tessera {

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(IntrusivePtr<TensorImpl> impl) : impl_(std::move(impl)) {}

  bool defined() const { return static_cast<bool>(impl_); }
  TensorImpl* impl() const { return impl_.get(); }
  const IntrusivePtr<TensorImpl>& impl_ptr() const { return impl_; }

  IntArrayRef sizes() const { return impl_->sizes(); }
  IntArrayRef strides() const { return impl_->strides(); }
  int64_t size(int64_t dim) const { return impl_->sizes()[wrap_dim(dim, this->dim(), "size")]; }
  int64_t stride(int64_t dim) const { return impl_->strides()[wrap_dim(dim, this->dim(), "stride")]; }
  int64_t dim() const { return impl_->dim(); }
  int64_t numel() const { return impl_->numel(); }
  DType dtype() const { return impl_->dtype(); }
  Device device() const { return impl_->device(); }
  int64_t storage_offset() const { return impl_->storage_offset(); }
  bool is_contiguous() const { return impl_->is_contiguous(); }
  size_t itemsize() const { return tessera::itemsize(dtype()); }
  bool requires_grad() const { return impl_->requires_grad(); }

  void* data_ptr() const { return impl_->data(); }
  template <class T>
  T* data() const {
    return reinterpret_cast<T*>(impl_->data());
  }
  // Same TensorImpl (Python `is` on the C++ side).
  bool is_same(const Tensor& o) const { return impl_ == o.impl_; }
  // Same storage, offset, sizes and strides (PyTorch's is_set_to).
  bool is_set_to(const Tensor& o) const;

  uint32_t version() const { return impl_->version(); }
  void bump_version() const { impl_->bump_version(); }

 private:
  IntrusivePtr<TensorImpl> impl_;
};

// A new contiguous tensor with uninitialised memory.
Tensor empty_tensor(IntArrayRef sizes, DType dtype, Device device = Device());
// A view of `base`'s storage; shares its version counter.
Tensor make_view(const Tensor& base, DimVector sizes, DimVector strides, int64_t offset);
// A 0-d tensor holding a scalar, in `dtype` (CPU).
Tensor scalar_tensor(const Scalar& s, DType dtype, Device device = Device());

}  // namespace tessera

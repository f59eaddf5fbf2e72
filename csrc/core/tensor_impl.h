#pragma once
#include <atomic>
#include <memory>

#include "core/dtype.h"
#include "core/small_vector.h"
#include "core/storage.h"

namespace tessera {

// Shared by a base tensor and all its views; every in-place write bumps it, so that autograd can
// tell that a tensor it saved was modified.
class VersionCounter final : public RefCounted {
 public:
  uint32_t current() const { return v_.load(std::memory_order_relaxed); }
  void bump() { v_.fetch_add(1, std::memory_order_relaxed); }

 private:
  std::atomic<uint32_t> v_{0};
};

// Filled in by the autograd layer; the core only knows whether a tensor requires grad.
class AutogradMetaInterface {
 public:
  virtual ~AutogradMetaInterface() = default;
  virtual bool requires_grad() const = 0;
};

class TensorImpl final : public RefCounted {
 public:
  TensorImpl(Storage storage, DType dtype, DimVector sizes, DimVector strides, int64_t offset,
             IntrusivePtr<VersionCounter> version = {});
  ~TensorImpl() override;

  IntArrayRef sizes() const { return sizes_; }
  IntArrayRef strides() const { return strides_; }
  int64_t dim() const { return static_cast<int64_t>(sizes_.size()); }
  int64_t numel() const { return numel_; }
  DType dtype() const { return dtype_; }
  Device device() const { return storage_->device(); }
  int64_t storage_offset() const { return offset_; }
  bool is_contiguous() const { return is_contiguous_; }
  const Storage& storage() const { return storage_; }
  // Address of element 0 (storage base + offset).
  char* data() const { return static_cast<char*>(storage_->data()) + offset_ * static_cast<int64_t>(itemsize(dtype_)); }

  // Reshape the metadata in place (views of views, squeeze_, as_strided_ ...).
  void set_sizes_strides(DimVector sizes, DimVector strides, int64_t offset);

  const IntrusivePtr<VersionCounter>& version_counter() const { return version_; }
  uint32_t version() const { return version_->current(); }
  void bump_version() { version_->bump(); }

  AutogradMetaInterface* autograd_meta() const { return autograd_meta_.get(); }
  void set_autograd_meta(std::unique_ptr<AutogradMetaInterface> m) { autograd_meta_ = std::move(m); }
  // A differentiable view requires grad when its base does (PyTorch: after an in-place write into
  // another view of the base, this view's history is regenerated from the base's).
  bool requires_grad() const {
    return (autograd_meta_ && autograd_meta_->requires_grad()) || (view_base_ && view_base_->requires_grad());
  }

  // The tensor a view (make_view) looks into: always a non-view, so chains of views share one base.
  TensorImpl* view_base() const { return view_base_.get(); }
  void set_view_base(IntrusivePtr<TensorImpl> base) { view_base_ = std::move(base); }
  // The version at which the view's grad_fn was last derived from its base (stale when it differs).
  uint32_t view_version() const { return view_version_; }
  void set_view_version(uint32_t v) { view_version_ = v; }

  // A 0-d tensor made from a Python number: it promotes like a scalar, not like a tensor.
  bool is_wrapped_number() const { return wrapped_number_; }
  void set_wrapped_number(bool v) { wrapped_number_ = v; }

 private:
  void refresh();

  Storage storage_;
  DimVector sizes_;
  DimVector strides_;
  int64_t offset_;
  int64_t numel_ = 1;
  DType dtype_;
  bool is_contiguous_ = true;
  bool wrapped_number_ = false;
  uint32_t view_version_ = 0;
  IntrusivePtr<VersionCounter> version_;
  IntrusivePtr<TensorImpl> view_base_;
  std::unique_ptr<AutogradMetaInterface> autograd_meta_;
};

}  // namespace tessera

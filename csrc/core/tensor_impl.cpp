#include "core/tensor_impl.h"

namespace tessera {

TensorImpl::TensorImpl(Storage storage, DType dtype, DimVector sizes, DimVector strides, int64_t offset,
                       IntrusivePtr<VersionCounter> version)
    : storage_(std::move(storage)),
      sizes_(std::move(sizes)),
      strides_(std::move(strides)),
      offset_(offset),
      dtype_(dtype),
      version_(version ? std::move(version) : make_intrusive<VersionCounter>()) {
  refresh();
}

TensorImpl::~TensorImpl() = default;

void TensorImpl::set_sizes_strides(DimVector sizes, DimVector strides, int64_t offset) {
  sizes_ = std::move(sizes);
  strides_ = std::move(strides);
  offset_ = offset;
  refresh();
}

void TensorImpl::refresh() {
  numel_ = 1;
  for (int64_t s : sizes_) numel_ *= s;
  // Contiguous means row-major dense; size-1 dims may have any stride (as in PyTorch).
  is_contiguous_ = true;
  if (numel_ == 0) return;
  int64_t expected = 1;
  for (int64_t i = dim() - 1; i >= 0; --i) {
    if (sizes_[i] == 1) continue;
    if (strides_[i] != expected) {
      is_contiguous_ = false;
      return;
    }
    expected *= sizes_[i];
  }
}

}  // namespace tessera

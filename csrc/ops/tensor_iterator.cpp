#include "ops/tensor_iterator.h"

#include <algorithm>
#include <numeric>

#include "core/error.h"
#include "cpu/parallel.h"

namespace tessera {

TensorIterator& TensorIterator::add_output(const Tensor& out, DType dtype) {
  operands_.push_back(out);
  out_dtypes_.push_back(dtype);
  ++noutputs_;
  return *this;
}

TensorIterator& TensorIterator::add_input(const Tensor& in) {
  operands_.push_back(in);
  return *this;
}

TensorIterator& TensorIterator::build(const char* op) {
  TS_CHECK(operands_.size() <= kMaxOperands, "[", op, "] too many operands");
  // Broadcast shape of the inputs; defined outputs must match it exactly.
  // 0-d CPU tensors (Python scalars) may join tensors of any device, as in PyTorch.
  bool have_device = false, device_from_scalar = false;
  for (size_t i = noutputs_; i < operands_.size(); ++i) {
    const Tensor& t = operands_[i];
    broadcast_shape_ = i == static_cast<size_t>(noutputs_) ? DimVector(t.sizes())
                                                             : broadcast_shapes(broadcast_shape_, t.sizes(), op);
    bool cpu_scalar = t.dim() == 0 && t.device().is_cpu();
    if (!have_device || (device_from_scalar && !cpu_scalar)) {
      device_ = t.device();
      device_from_scalar = cpu_scalar;
      have_device = true;
    }
  }
  for (size_t i = noutputs_; i < operands_.size(); ++i) {
    const Tensor& t = operands_[i];
    TS_CHECK(t.device() == device_ || (t.dim() == 0 && t.device().is_cpu()), "[", op,
             "] Expected all tensors to be on the same device, but found at least two devices, ", device_.str(),
             " and ", t.device().str(), "!");
  }
  for (int i = 0; i < noutputs_; ++i) {
    Tensor& out = operands_[i];
    if (!out.defined()) {
      out = empty_tensor(broadcast_shape_, out_dtypes_[i], have_device ? device_ : Device());
      continue;
    }
    if (!have_device) device_ = out.device();
    TS_CHECK(out.device() == device_, "[", op, "] output on ", out.device().str(), " but inputs on ", device_.str());
    bool same = out.sizes().size() == broadcast_shape_.size() &&
                std::equal(out.sizes().begin(), out.sizes().end(), broadcast_shape_.begin());
    if (noutputs_ == static_cast<int>(operands_.size())) {
      broadcast_shape_ = DimVector(out.sizes());
      same = true;
    }
    TS_CHECK(same, "[", op, "] output with shape ", shape_str(out.sizes()), " doesn't match the broadcast shape ",
             shape_str(broadcast_shape_));
    // Writing through a stride-0 dimension would race and give order-dependent results.
    for (int64_t d = 0; d < out.dim(); ++d) {
      TS_CHECK(out.strides()[d] != 0 || out.sizes()[d] <= 1, "[", op,
               "] unsupported operation: more than one element of the written-to tensor refers to a single memory "
               "location (an expanded view); clone it before writing in place");
    }
  }
  numel_ = 1;
  for (int64_t s : broadcast_shape_) numel_ *= s;

  // Per-operand byte strides over the broadcast shape, innermost dim first.
  const int64_t ndim = static_cast<int64_t>(broadcast_shape_.size());
  const size_t nops = operands_.size();
  shape_.clear();
  for (int64_t d = ndim - 1; d >= 0; --d) shape_.push_back(broadcast_shape_[d]);
  strides_.assign(nops, DimVector(ndim, 0));
  for (size_t i = 0; i < nops; ++i) {
    const Tensor& t = operands_[i];
    int64_t offset = ndim - t.dim();
    int64_t item = static_cast<int64_t>(t.itemsize());
    for (int64_t d = 0; d < t.dim(); ++d) {
      int64_t pos = ndim - 1 - (d + offset);
      strides_[i][pos] = t.sizes()[d] == 1 ? 0 : t.strides()[d] * item;
    }
  }
  // Reorder dims so the output's smallest stride is innermost (stable insertion sort).
  if (ndim > 1) {
    std::vector<int64_t> perm(ndim);
    std::iota(perm.begin(), perm.end(), 0);
    auto less = [&](int64_t a, int64_t b) {
      for (size_t i = 0; i < nops; ++i) {
        int64_t sa = strides_[i][a], sb = strides_[i][b];
        if (sa == 0 || sb == 0) continue;
        if (sa != sb) return sa < sb;
      }
      return false;
    };
    for (int64_t i = 1; i < ndim; ++i)
      for (int64_t j = i; j > 0 && less(perm[j], perm[j - 1]); --j) std::swap(perm[j], perm[j - 1]);
    DimVector shape(ndim);
    for (int64_t d = 0; d < ndim; ++d) shape[d] = shape_[perm[d]];
    shape_ = shape;
    for (size_t i = 0; i < nops; ++i) {
      DimVector s(ndim);
      for (int64_t d = 0; d < ndim; ++d) s[d] = strides_[i][perm[d]];
      strides_[i] = s;
    }
  }
  // Coalesce: merge dim d+1 into d when every operand steps through them as one.
  if (ndim > 1) {
    int64_t prev = 0;
    for (int64_t d = 1; d < ndim; ++d) {
      bool can = true;
      for (size_t i = 0; i < nops && can; ++i)
        can = shape_[prev] == 1 || shape_[d] == 1 || strides_[i][d] == strides_[i][prev] * shape_[prev];
      if (can) {
        for (size_t i = 0; i < nops; ++i)
          if (shape_[prev] == 1) strides_[i][prev] = strides_[i][d];
        shape_[prev] *= shape_[d];
      } else {
        ++prev;
        shape_[prev] = shape_[d];
        for (size_t i = 0; i < nops; ++i) strides_[i][prev] = strides_[i][d];
      }
    }
    shape_.resize(prev + 1);
    for (size_t i = 0; i < nops; ++i) strides_[i].resize(prev + 1);
  }
  all_dense_ = true;
  for (size_t i = 0; i < nops; ++i) {
    if (!shape_.empty() && shape_[0] > 1 && strides_[i][0] != static_cast<int64_t>(operands_[i].itemsize()))
      all_dense_ = false;
  }
  return *this;
}

void TensorIterator::serial_for_each(const Loop& loop, int64_t begin, int64_t end) const {
  const size_t nops = operands_.size();
  char* base[kMaxOperands];
  for (size_t i = 0; i < nops; ++i) base[i] = static_cast<char*>(operands_[i].data_ptr());
  const int64_t ndim = static_cast<int64_t>(shape_.size());
  int64_t inner_strides[kMaxOperands];
  if (ndim == 0) {  // 0-d: a single element
    for (size_t i = 0; i < nops; ++i) inner_strides[i] = 0;
    if (begin < end) loop(base, inner_strides, 1);
    return;
  }
  for (size_t i = 0; i < nops; ++i) inner_strides[i] = strides_[i][0];
  // Multi-index of `begin`.
  DimVector counter(ndim, 0);
  int64_t rem = begin;
  for (int64_t d = 0; d < ndim; ++d) {
    counter[d] = rem % shape_[d];
    rem /= shape_[d];
  }
  char* ptrs[kMaxOperands];
  int64_t pos = begin;
  while (pos < end) {
    for (size_t i = 0; i < nops; ++i) {
      int64_t off = 0;
      for (int64_t d = 0; d < ndim; ++d) off += counter[d] * strides_[i][d];
      ptrs[i] = base[i] + off;
    }
    int64_t n = std::min(shape_[0] - counter[0], end - pos);
    loop(ptrs, inner_strides, n);
    pos += n;
    counter[0] += n;
    for (int64_t d = 0; d < ndim - 1 && counter[d] >= shape_[d]; ++d) {
      counter[d] = 0;
      ++counter[d + 1];
    }
  }
}

void TensorIterator::for_each(const Loop& loop, bool parallel) const {
  if (numel_ == 0) return;
  if (!parallel) {
    serial_for_each(loop, 0, numel_);
    return;
  }
  parallel_for(0, numel_, kElementwiseGrain, [&](int64_t b, int64_t e) { serial_for_each(loop, b, e); });
}

}  // namespace tessera

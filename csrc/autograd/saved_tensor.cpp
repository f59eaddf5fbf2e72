#include "autograd/saved_tensor.h"

#include "autograd/forward_ad.h"
#include "autograd/meta.h"
#include "core/error.h"

namespace tessera::autograd {

SavedTensor::SavedTensor(const Tensor& t, bool is_output) : is_output_(is_output), was_defined_(t.defined()) {
  if (!t.defined()) return;
  version_ = t.version();
  if (is_output) {
    AutogradMeta* m = meta(t);
    output_nr_ = m ? m->output_nr : 0;
    data_ = detach(t);
    if (forward_ad_enabled()) share_tangent(t, data_);  // its tangent is attached after saving
  } else {
    data_ = t;
  }
}

Tensor SavedTensor::unpack(const std::shared_ptr<Node>& owner) const {
  if (!was_defined_) return Tensor();
  TS_CHECK(data_.defined(), "[backward] Trying to backward through the graph a second time (or directly access "
           "saved tensors after they have already been freed). Saved intermediate values of the graph are freed when "
           "you call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
           "graph a second time or if you need to access saved tensors after calling backward.");
  TS_CHECK(data_.version() == version_, "[backward] one of the variables needed for gradient computation has been "
           "modified by an inplace operation: [", dtype_name(data_.dtype()), " ", shape_str(data_.sizes()),
           "], which is ", is_output_ ? "output " : "an input", is_output_ ? std::to_string(output_nr_) : "", " of ",
           owner ? owner->name() : std::string("its node"), ", is at version ", data_.version(), "; expected version ",
           version_, " instead.");
  if (!is_output_ || !owner) return data_;
  // Re-attach the output to its node so that a create_graph backward can differentiate through it.
  Tensor t = detach(data_);
  if (forward_ad_enabled()) share_tangent(data_, t);
  AutogradMeta& m = materialize_meta(t);
  m.grad_fn = owner;
  m.output_nr = output_nr_;
  return t;
}

}  // namespace tessera::autograd

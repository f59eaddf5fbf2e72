#pragma once
// In-place ops under autograd (docs/design/autograd.md, "In-place ops and views"): the generic
// Autograd kernel of every `op_`, history rebasing, and the base/view bookkeeping behind it.
#include <functional>
#include <string>

#include "autograd/node.h"
#include "core/tensor.h"

namespace tessera::autograd {

// Re-derives the grad_fn of a view from its base (AsStridedBackward0 over the base's history)
// after the base was written in place through another alias. Called by gradient_edge/grad_fn.
void regenerate_view_history(const Tensor& view);
inline void refresh_view_history(const Tensor& t) {
  const TensorImpl* i = t.impl();
  if (i->view_base() && i->view_version() != i->version()) [[unlikely]]
    regenerate_view_history(t);
}

// The Autograd kernel of an in-place op `name` on `self`:
// - grad mode off: runs `in_place` below autograd (optimizers, init: no graph work at all);
// - otherwise refuses leaves and views PyTorch refuses, computes the new value with history as
//   `out_of_place(src)` (src = self, or a copy of self carrying its history when `clone_self`:
//   the op's formula saves self, which is about to be overwritten), writes it into self and
//   rebases self's history (and its base's, through CopySlices, when self is a view).
//   A null `out_of_place` means the new value depends on no input (fill_, random draws).
Tensor inplace_autograd(const char* name, const Tensor& self, bool clone_self,
                        const std::function<Tensor(const Tensor&)>& out_of_place,
                        const std::function<void()>& in_place);

// Makes `e` (the edge of a value of self's shape and dtype, already written into self) the new
// history of self; when self is a view, its base gets a CopySlices node and the view an
// AsStridedBackward0 over it. An invalid `e` while self required grad records a node named
// `zero_grad_name` (e.g. "ZeroBackward0") passing zeros to self's previous history.
void rebase_history(const Tensor& self, Edge e, const std::string& zero_grad_name);

// PyTorch's refusals for an in-place write into `self` with grad mode on.
void check_inplace(const char* name, const Tensor& self);

}  // namespace tessera::autograd

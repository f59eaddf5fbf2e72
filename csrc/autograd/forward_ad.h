#pragma once
// Forward-mode AD (tessera.autograd.forward_ad). One dual level at a time. While it is open,
// tensors made with make_dual carry a tangent (AutogradMeta::fw_grad) and add the ForwardAD
// dispatch key; its kernels compute the primal below ForwardAD (recording the backward graph as
// usual) and then the output tangent. With no level open nothing is checked beyond one relaxed
// atomic load per tensor argument. Design notes: docs/design/forward-ad.md.
#include <atomic>
#include <initializer_list>
#include <utility>

#include "core/tensor.h"
#include "dispatch/dispatch_key.h"

namespace tessera::autograd {

namespace detail {
extern std::atomic<int> g_dual_levels;  // 0 or 1
}
inline bool forward_ad_enabled() {
  return detail::g_dual_levels.load(std::memory_order_relaxed) != 0;
}

// The tangent of `t` at the open level (undefined when none).
bool has_tangent(const Tensor& t);
Tensor tangent(const Tensor& t);
// Attaches `tangent` to `t` without checks (jvp kernels on their outputs).
void set_tangent(const Tensor& t, const Tensor& tangent);

// Makes `to` (a detached copy of `from`) see `from`'s tangent, now and when set later: a saved
// output is stored detached before its jvp kernel attaches the tangent (forward over reverse).
void share_tangent(const Tensor& from, const Tensor& to);

int64_t enter_dual_level();
void exit_dual_level(int64_t level);
// A view of `primal` carrying `tangent`; differentiable in both (reverse mode).
Tensor make_dual(const Tensor& primal, const Tensor& tangent, int64_t level);
// (a view of t without tangent, its tangent or undefined).
std::pair<Tensor, Tensor> unpack_dual(const Tensor& t, int64_t level);

// Runs `fn` with ForwardAD excluded: the primal of a jvp kernel, and tangent arithmetic (one
// level, so tangents never carry tangents themselves).
template <class F>
auto below_forward_ad(F&& fn) {
  ExcludeDispatchKeyGuard guard(DispatchKey::ForwardAD);
  return fn();
}

// Generic jvp kernels, registered per op name by csrc/ops/*_jvp.cpp.
// Linear ops (views, shape ops, copies, sum, cumsum, cat, gather ...): the output tangent is the
// op applied to the input tangents (zeros for floating inputs without one; index, mask and
// condition arguments kept).
bool register_linear_jvp(std::initializer_list<const char*> names);
// Multilinear ops (mul, mm, bmm, matmul, dot, outer ...): the sum over inputs with a tangent of
// the op with that input replaced by its tangent.
bool register_multilinear_jvp(std::initializer_list<const char*> names);
// Pointwise ops (exp, tanh, gelu, div, clamp ...): when one input carries a tangent and has the
// output's shape, the Jacobian is diagonal and the jvp is the op's own backward formula applied
// to the tangent (one backward pass). Other calls take the generic path.
bool register_pointwise_jvp(std::initializer_list<const char*> names);

}  // namespace tessera::autograd

// Autograd kernels of the in-place ops. One template serves every `op_` whose out-of-place `op`
// has a backward formula: the new value is `op(self, args...)` with its history, written into
// self, whose history is then rebased (autograd/inplace.h). copy_ has its own node.
#include <algorithm>
#include <string>
#include <tuple>
#include <type_traits>

#include "autograd/formula_utils.h"
#include "autograd/grad_mode.h"
#include "autograd/inplace.h"
#include "autograd/meta.h"
#include "autograd/record.h"
#include "dispatch/boxing.h"
#include "ops/activation.h"
#include "ops/binary.h"
#include "ops/compare.h"
#include "ops/copy.h"
#include "ops/creation.h"
#include "ops/indexing.h"
#include "ops/random.h"
#include "ops/reorder.h"
#include "ops/ternary.h"
#include "ops/unary.h"
#include "ops/view.h"

namespace tessera {
namespace {

using autograd::Node;
using autograd::TensorVec;

// When the out-of-place formula keeps `self` (the value about to be overwritten) for backward,
// it must get a copy. Never: the formula does not save self. OtherNeedsGrad: it saves self only
// to differentiate the second argument (mul, div).
enum class SelfUse { Saved, Never, OtherNeedsGrad };

// An op name as a template argument (one kernel instantiation per op).
template <size_t N>
struct OpName {
  char s[N];
  constexpr OpName(const char (&a)[N]) { std::copy_n(a, N, s); }
};

template <class T>
bool requires_grad_arg(const T& a) {
  if constexpr (std::is_same_v<std::decay_t<T>, Tensor>) return a.defined() && a.requires_grad();
  return false;
}

// The Autograd kernel of `In` (an in-place op) whose value is `Out(self, args...)`: in no_grad
// mode a direct call below autograd, as every Autograd kernel (optimizers and init stay fast).
template <OpName Name, SelfUse Use, auto In, auto Out, class... A>
Tensor inplace_kernel(const Tensor& self, A... a) {
  if (!autograd::grad_enabled()) return autograd::below_autograd([&] { return In(self, a...); });
  bool clone = Use == SelfUse::Saved;
  if constexpr (sizeof...(A) > 0) {
    if (Use == SelfUse::OtherNeedsGrad) clone = requires_grad_arg(std::get<0>(std::forward_as_tuple(a...)));
  }
  return autograd::inplace_autograd(
      Name.s, self, clone, [&](const Tensor& src) { return Out(src, a...); }, [&] { In(self, a...); });
}
template <OpName Name, SelfUse Use, auto In, auto Out, class... A>
constexpr auto make_inplace(Tensor (*)(const Tensor&, A...)) {
  return &inplace_kernel<Name, Use, In, Out, A...>;
}

// In-place ops whose new value depends on no input (fill_, zero_, random draws): self's
// previous history gets a zero gradient.
template <OpName Name, auto In, class... A>
Tensor overwrite_kernel(const Tensor& self, A... a) {
  if (!autograd::grad_enabled()) return autograd::below_autograd([&] { return In(self, a...); });
  return autograd::inplace_autograd(Name.s, self, false, nullptr, [&] { In(self, a...); });
}
template <OpName Name, auto In, class... A>
constexpr auto make_overwrite(Tensor (*)(const Tensor&, A...)) {
  return &overwrite_kernel<Name, In, A...>;
}

// squeeze_/unsqueeze_/transpose_ change self's metadata, not its values: self's new history is
// the out-of-place view op's node over its old one (a view stays a view of the same base).
template <OpName Name, auto In, auto Out, class... A>
Tensor metadata_kernel(const Tensor& self, A... a) {
  if (!autograd::grad_enabled() || !self.requires_grad())
    return autograd::below_autograd([&] { return In(self, a...); });
  autograd::AutogradMeta* m = autograd::meta(self);
  TS_CHECK(self.impl()->view_base() || !(m && m->requires_grad_flag && !m->grad_fn), "[", Name.s,
           "] a leaf Variable that requires grad is being used in an in-place operation.");
  Tensor out = Out(self, a...);
  autograd::below_autograd([&] { return In(self, a...); });
  autograd::Edge e = autograd::gradient_edge(out);
  autograd::AutogradMeta& sm = autograd::materialize_meta(self);
  sm.grad_fn = e.function;
  sm.output_nr = e.input_nr;
  return self;
}
template <OpName Name, auto In, auto Out, class... A>
constexpr auto make_metadata(Tensor (*)(const Tensor&, A...)) {
  return &metadata_kernel<Name, In, Out, A...>;
}

// copy_: self's previous value gets a zero gradient, src the incoming one (reduced to its shape
// and dtype: copy_ broadcasts and casts).
struct CopyBackwards final : Node {
  autograd::InputInfo self, src;
  std::string name() const override { return "CopyBackwards"; }
  TensorVec apply(TensorVec&& g) override {
    TensorVec out(2);
    if (autograd::needs(*this, 0)) out[0] = self.zeros();
    if (autograd::needs(*this, 1)) out[1] = autograd::reduce_grad(g[0], src.shape, src.dtype);
    return out;
  }
};

Tensor copy__autograd(const Tensor& self, const Tensor& src, bool non_blocking) {
  if (!autograd::grad_enabled()) return autograd::below_autograd([&] { return ops::copy_(self, src, non_blocking); });
  autograd::check_inplace("copy_", self);
  // A view's old value is cut out by CopySlices: no zero gradient needs to flow to it.
  const bool is_view = self.impl()->view_base() != nullptr;
  autograd::Edge old_self = is_view ? autograd::Edge() : autograd::gradient_edge(self);
  autograd::Edge from = is_floating(self.dtype()) ? autograd::gradient_edge(src) : autograd::Edge();
  autograd::below_autograd([&] { return ops::copy_(self, src, non_blocking); });
  autograd::Edge e;
  if (old_self.valid() || from.valid()) {
    auto n = std::make_shared<CopyBackwards>();
    n->self.set(self);
    n->src.set(src);
    n->set_next_edges({old_self, from});
    e = autograd::Edge{n, n->add_output_meta(self)};
  }
  autograd::rebase_history(self, e, "CopyBackwards");
  return self;
}

}  // namespace

TS_REGISTER_KERNEL("copy_", Autograd, &copy__autograd);

// Ops whose formula does not save self are marked Never; a wrong mark is caught loudly (the
// saved-tensor version check raises in backward), never as a silently wrong gradient.
#define TS_INPLACE(name, use)             \
  TS_REGISTER_KERNEL(#name "_", Autograd, \
                     (make_inplace<#name "_", SelfUse::use, &ops::name##_, &ops::name>(&ops::name##_)))
#define TS_OVERWRITE(name) \
  TS_REGISTER_KERNEL(#name "_", Autograd, (make_overwrite<#name "_", &ops::name##_>(&ops::name##_)))

// add_, sub_, mul_, index_put_, relu_, exp_, sigmoid_, tanh_: direct kernels in
// inplace_direct_backward.cpp
// arithmetic
TS_INPLACE(div, OtherNeedsGrad);
TS_INPLACE(true_divide, OtherNeedsGrad);
TS_INPLACE(pow, Saved);
TS_INPLACE(atan2, Saved);
TS_INPLACE(fmod, Saved);
TS_INPLACE(remainder, Saved);
TS_INPLACE(floor_divide, Never);
TS_INPLACE(lerp, Saved);
TS_INPLACE(addcmul, Never);
TS_INPLACE(addcdiv, Never);
TS_INPLACE(clamp, Saved);
TS_INPLACE(clamp_min, Saved);
TS_INPLACE(clamp_max, Saved);
TS_INPLACE(nan_to_num, Saved);
// unary math
TS_INPLACE(neg, Saved);  // NegBackward0 keeps its input
TS_INPLACE(abs, Saved);
TS_INPLACE(sign, Never);
TS_INPLACE(floor, Never);
TS_INPLACE(ceil, Never);
TS_INPLACE(trunc, Never);
TS_INPLACE(round, Never);
TS_INPLACE(reciprocal, Saved);
TS_INPLACE(sqrt, Saved);
TS_INPLACE(rsqrt, Saved);
TS_INPLACE(exp2, Saved);
TS_INPLACE(expm1, Saved);
TS_INPLACE(log, Saved);
TS_INPLACE(log2, Saved);
TS_INPLACE(log10, Saved);
TS_INPLACE(log1p, Saved);
TS_INPLACE(sin, Saved);
TS_INPLACE(cos, Saved);
TS_INPLACE(tan, Saved);
TS_INPLACE(erf, Saved);
TS_INPLACE(erfinv, Saved);
// activations
TS_INPLACE(silu, Saved);
TS_INPLACE(gelu, Saved);
TS_INPLACE(leaky_relu, Saved);
TS_INPLACE(elu, Saved);
TS_INPLACE(hardtanh, Saved);
// indexing and masking
TS_INPLACE(masked_fill, Never);
TS_INPLACE(masked_scatter, Never);
TS_INPLACE(index_fill, Never);
TS_INPLACE(index_copy, Never);
TS_INPLACE(index_add, Never);
TS_INPLACE(put, Never);
TS_INPLACE(scatter_add, Never);
TS_INPLACE(scatter_reduce, Saved);
TS_INPLACE(tril, Never);
TS_INPLACE(triu, Never);
using ScatterSrc = Tensor (*)(const Tensor&, int64_t, const Tensor&, const Tensor&, std::optional<std::string_view>);
using ScatterValue = Tensor (*)(const Tensor&, int64_t, const Tensor&, const Scalar&, std::optional<std::string_view>);
TS_REGISTER_KERNEL("scatter_", Autograd,
                   (make_inplace<"scatter_", SelfUse::Never, ScatterSrc(&ops::scatter_), ScatterSrc(&ops::scatter)>(
                       ScatterSrc(&ops::scatter_))));
TS_REGISTER_KERNEL("scatter_value_", Autograd,
                   (make_inplace<"scatter_value_", SelfUse::Never, ScatterValue(&ops::scatter_),
                                 ScatterValue(&ops::scatter)>(ScatterValue(&ops::scatter_))));
// metadata
#define TS_METADATA(name) \
  TS_REGISTER_KERNEL(#name "_", Autograd, (make_metadata<#name "_", &ops::name##_, &ops::name>(&ops::name##_)))
TS_METADATA(squeeze);
TS_METADATA(unsqueeze);
TS_METADATA(transpose);
// overwrites
// comparisons and logical ops write 0/1: nothing flows back through them
TS_OVERWRITE(eq);
TS_OVERWRITE(ne);
TS_OVERWRITE(lt);
TS_OVERWRITE(le);
TS_OVERWRITE(gt);
TS_OVERWRITE(ge);
TS_OVERWRITE(logical_and);
TS_OVERWRITE(logical_or);
TS_OVERWRITE(logical_xor);
TS_OVERWRITE(logical_not);
TS_OVERWRITE(fill);
TS_OVERWRITE(zero);
TS_OVERWRITE(normal);
TS_OVERWRITE(uniform);
TS_OVERWRITE(exponential);
TS_REGISTER_KERNEL("random_.from", Autograd, (make_overwrite<"random_.from", &ops::random_>(&ops::random_)));
using BernoulliP = Tensor (*)(const Tensor&, double, const ops::OptGen&);
using BernoulliT = Tensor (*)(const Tensor&, const Tensor&, const ops::OptGen&);
TS_REGISTER_KERNEL("bernoulli_.float", Autograd,
                   (make_overwrite<"bernoulli_.float", BernoulliP(&ops::bernoulli_)>(BernoulliP(&ops::bernoulli_))));
TS_REGISTER_KERNEL("bernoulli_.Tensor", Autograd,
                   (make_overwrite<"bernoulli_.Tensor", BernoulliT(&ops::bernoulli_)>(BernoulliT(&ops::bernoulli_))));

}  // namespace tessera

// Forward-mode AD: dual levels, tangents, make_dual/unpack_dual, and the generic jvp kernels
// (linear, multilinear, and the fallback that derives a jvp from the op's backward formula).
#include "autograd/forward_ad.h"

#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "autograd/engine.h"
#include "autograd/grad_mode.h"
#include "autograd/meta.h"
#include "core/generator.h"
#include "dispatch/boxing.h"
#include "dispatch/dispatcher.h"
#include "ops/binary.h"
#include "ops/creation.h"
#include "ops/type_promotion.h"
#include "ops/view.h"

namespace tessera::autograd {

namespace detail {
std::atomic<int> g_dual_levels{0};
}

namespace {

// Slots holding a tangent, so that exiting the level clears every tangent (as PyTorch does).
// Never destroyed: tensors holding tangents may die during process exit.
std::mutex& slots_mutex() {
  static auto* m = new std::mutex();
  return *m;
}
std::unordered_set<ForwardGrad*>& slots() {
  static auto* s = new std::unordered_set<ForwardGrad*>();  // never destroyed: tensors die at exit
  return *s;
}

}  // namespace

ForwardGrad::~ForwardGrad() {
  if (!tangent_.defined()) return;
  std::lock_guard<std::mutex> lock(slots_mutex());
  slots().erase(this);
}

void ForwardGrad::set(Tensor tangent) {
  Tensor old;
  {
    std::lock_guard<std::mutex> lock(slots_mutex());
    if (tangent.defined())
      slots().insert(this);
    else
      slots().erase(this);
    old = std::move(tangent_);
    tangent_ = std::move(tangent);
  }
  // `old` is released here, outside the lock (its own slot may unregister).
}

bool has_tangent(const Tensor& t) {
  auto* m = static_cast<AutogradMeta*>(t.impl()->autograd_meta());
  return m && m->fw_grad && m->fw_grad->tangent().defined();
}

Tensor tangent(const Tensor& t) {
  if (!t.defined() || !forward_ad_enabled()) return Tensor();
  auto* m = static_cast<AutogradMeta*>(t.impl()->autograd_meta());
  return m && m->fw_grad ? m->fw_grad->tangent() : Tensor();
}

void set_tangent(const Tensor& t, const Tensor& tangent) {
  AutogradMeta& m = materialize_meta(t);
  if (!m.fw_grad) m.fw_grad = std::make_shared<ForwardGrad>();
  m.fw_grad->set(tangent);
}

void share_tangent(const Tensor& from, const Tensor& to) {
  AutogradMeta& m = materialize_meta(from);
  if (!m.fw_grad) m.fw_grad = std::make_shared<ForwardGrad>();
  materialize_meta(to).fw_grad = m.fw_grad;
}

int64_t enter_dual_level() {
  int expected = 0;
  TS_CHECK(detail::g_dual_levels.compare_exchange_strong(expected, 1),
           "[forward_ad] Nested forward mode AD is not supported at the moment");
  return 0;
}

void exit_dual_level(int64_t level) {
  TS_CHECK(level >= 0, "[forward_ad] Dual level must be a positive number.");
  TS_CHECK(level == 0 && forward_ad_enabled(),
           "[forward_ad] Trying to exit a forward AD level that was not the last "
           "one that was created. This is not supported.");
  std::vector<Tensor> dead;
  {
    std::lock_guard<std::mutex> lock(slots_mutex());
    dead.reserve(slots().size());
    for (ForwardGrad* s : slots()) dead.push_back(s->release_for_level_exit());
    slots().clear();
    detail::g_dual_levels.store(0);
  }
}

static void check_level(int64_t level, const char* what) {
  TS_CHECK(forward_ad_enabled(), "[forward_ad] Trying to ", what,
           " for forward AD but no level exists, make sure "
           "to enter_dual_level() first.");
  TS_CHECK(level == 0, "[forward_ad] Invalid dual level ", level, ": only level 0 (the one open level) exists");
}

Tensor make_dual(const Tensor& primal, const Tensor& tangent_in, int64_t level) {
  check_level(level, "create a dual Tensor");
  TS_CHECK_VALUE(is_floating(primal.dtype()),
                 "[make_dual] Expected primal to be floating point or complex, but got: ", dtype_name(primal.dtype()));
  TS_CHECK_VALUE(
      is_floating(tangent_in.dtype()),
      "[make_dual] Expected tangent to be floating point or complex, but got: ", dtype_name(tangent_in.dtype()));
  TS_CHECK(primal.sizes().size() == tangent_in.sizes().size() &&
               std::equal(primal.sizes().begin(), primal.sizes().end(), tangent_in.sizes().begin()),
           "[make_dual] Trying to set a forward gradient that has a different size than that of the original Tensor, "
           "this is not supported. Tensor is of size ",
           shape_str(primal.sizes()), " while the given forward gradient is of size ", shape_str(tangent_in.sizes()),
           ".");
  TS_CHECK(primal.device() == tangent_in.device(), "[make_dual] Expected tangent on device ", primal.device().str(),
           " but got ", tangent_in.device().str());
  TS_CHECK(!has_tangent(primal),
           "[make_dual] Making a dual Tensor based on a Tensor that already has a forward "
           "gradient at the same level 0 is not supported.");
  // A tangent never carries a tangent of its own (one level).
  Tensor tan = has_tangent(tangent_in) ? unpack_dual(tangent_in, 0).first : tangent_in;
  Tensor out = below_forward_ad([&] { return ops::view(primal, primal.sizes()); });
  set_tangent(out, tan);
  return out;
}

std::pair<Tensor, Tensor> unpack_dual(const Tensor& t, int64_t level) {
  TS_CHECK(level == 0, "[unpack_dual] Invalid dual level ", level);
  Tensor tan = tangent(t);
  if (!tan.defined()) return {t, Tensor()};
  Tensor primal = below_forward_ad([&] { return ops::view(t, t.sizes()); });
  return {primal, tan};
}

namespace {

// ---- helpers over a boxed stack: visit every tensor (also inside Tensor[] / Tensor?[]).
template <class F>
void for_each_tensor(Stack& stack, F&& f) {
  for (size_t i = 0; i < stack.size(); ++i) {
    IValue& v = stack[i];
    if (v.is_tensor()) {
      Tensor t = v.get<Tensor>("Tensor");
      if (f(i, t)) v = IValue(t);
    } else if (v.is_tensor_list()) {
      std::vector<Tensor> ts = v.get<std::vector<Tensor>>("Tensor[]");
      bool changed = false;
      for (Tensor& t : ts) changed |= f(i, t);
      if (changed) v = IValue(std::move(ts));
    }
  }
}

std::vector<Tensor> flat_tensors(Stack& stack) {
  std::vector<Tensor> out;
  for_each_tensor(stack, [&](size_t, Tensor& t) {
    out.push_back(t);
    return false;
  });
  return out;
}

bool is_dual_input(const Tensor& t) {
  return t.defined() && is_floating(t.dtype()) && has_tangent(t);
}

// Zeros standing in for a missing tangent; a wrapped number stays one (same promotion).
Tensor zero_tangent(const Tensor& t) {
  Tensor z = ops::zeros_like(t);
  if (t.impl()->is_wrapped_number()) z.impl()->set_wrapped_number(true);
  return z;
}

// Arguments that select or mask rather than carry values: linear jvps keep them.
bool is_index_argument(const Operator& op, size_t i) {
  const auto& args = op.schema().arguments;
  if (i >= args.size()) return false;
  const std::string& n = args[i].name;
  return n == "index" || n == "indices" || n == "mask" || n == "condition" || n == "repeats";
}

// Attaches the tangents to the floating outputs of `primal` (one tangent per flattened output).
void attach_tangents(Stack& primal, const std::vector<Tensor>& tangents) {
  size_t k = 0;
  for_each_tensor(primal, [&](size_t, Tensor& t) {
    const Tensor& tan = k < tangents.size() ? tangents[k] : Tensor();
    ++k;
    if (t.defined() && is_floating(t.dtype()) && tan.defined()) set_tangent(t, tan);
    return false;
  });
}

void run_below(const Operator& op, Stack& stack) {
  below_forward_ad([&] { op.call_boxed(stack); });
}

void linear_jvp(const Operator& op, void*, Stack& stack) {
  Stack tan_stack = stack;
  run_below(op, stack);
  ExcludeDispatchKeyGuard guard(DispatchKey::ForwardAD);
  for_each_tensor(tan_stack, [&](size_t i, Tensor& t) {
    if (!t.defined() || (!is_floating(t.dtype()) && is_index_argument(op, i))) return false;
    Tensor tan = is_floating(t.dtype()) ? tangent(t) : Tensor();
    t = tan.defined() ? tan : zero_tangent(t);
    return true;
  });
  op.call_boxed(tan_stack);
  attach_tangents(stack, flat_tensors(tan_stack));
}

void multilinear_jvp(const Operator& op, void*, Stack& stack) {
  Stack in = stack;
  run_below(op, stack);
  ExcludeDispatchKeyGuard guard(DispatchKey::ForwardAD);
  std::vector<Tensor> sum;
  size_t n_inputs = flat_tensors(in).size();
  for (size_t which = 0; which < n_inputs; ++which) {
    size_t k = 0;
    bool has = false;
    Stack term = in;
    for_each_tensor(term, [&](size_t, Tensor& t) {
      if (k++ != which || !is_dual_input(t)) return false;
      t = tangent(t);
      has = true;
      return true;
    });
    if (!has) continue;
    op.call_boxed(term);
    std::vector<Tensor> outs = flat_tensors(term);
    if (sum.empty())
      sum = std::move(outs);
    else
      for (size_t j = 0; j < sum.size(); ++j) sum[j] = ops::add(sum[j], outs[j]);
  }
  attach_tangents(stack, sum);
}

// ---- the fallback: any op with a backward formula. With v = J^T u the op's vjp (linear in u),
// J t = d<v(u), t>/du: two backward passes through the op's own formulas, differentiable in the
// primal and the tangents because the formulas are written with ops::.
void jvp_from_backward(const Operator& op, Stack& stack, bool diagonal) {
  const KernelFunction* ag = op.kernel(DispatchKey::Autograd);
  if (ag && ag->fallthrough) return run_below(op, stack);  // no differentiable output
  const std::string& name = op.name();
  TS_CHECK_NOT_IMPLEMENTED(ag != nullptr && name.back() != '_', "[", name,
                           "] forward-mode AD is not implemented (an input carries a tangent)");
  Stack inputs = stack;
  // The op runs twice: a random op (sdpa with dropout) must draw the same values both times.
  DeviceType device = DeviceType::CPU;
  for_each_tensor(inputs, [&](size_t, Tensor& t) {
    if (is_dual_input(t)) device = t.device().type;
    return false;
  });
  Generator& gen = default_generator(device);
  const auto rng_before = gen.get_state();
  run_below(op, stack);
  const auto rng_after = gen.get_state();
  gen.set_state(rng_before.data(), rng_before.size());

  ExcludeDispatchKeyGuard guard(DispatchKey::ForwardAD);
  // The tangent keeps a graph only when reverse mode could use it (an input or tangent requires grad).
  bool keep_differentiable = false;
  if (grad_enabled()) {
    for_each_tensor(inputs, [&](size_t, Tensor& t) {
      keep_differentiable |= t.defined() && (t.requires_grad() || (has_tangent(t) && tangent(t).requires_grad()));
      return false;
    });
  }
  GradModeGuard grad_on(true);
  // Each dual input gets its own alias so that an input used twice (mul(x, x)) gets one gradient
  // per use; an alias of a tensor that requires grad keeps its history (expand records a node).
  std::vector<Tensor> aliases, tangents;
  for_each_tensor(inputs, [&](size_t, Tensor& t) {
    if (!is_dual_input(t)) return false;
    tangents.push_back(tangent(t));
    if (t.requires_grad()) {
      t = ops::expand(t, t.sizes());
    } else {
      t = detach(t);
      set_requires_grad(t, true);
    }
    aliases.push_back(t);
    return true;
  });
  try {
    op.call_boxed(inputs);
  } catch (...) {
    gen.set_state(rng_after.data(), rng_after.size());
    throw;
  }
  gen.set_state(rng_after.data(), rng_after.size());
  std::vector<Tensor> outs = flat_tensors(inputs);
  TensorVec ys, us;
  std::vector<size_t> out_index;
  for (size_t k = 0; k < outs.size(); ++k) {
    const Tensor& y = outs[k];
    if (!y.defined() || !is_floating(y.dtype()) || !y.requires_grad()) continue;
    Tensor u = ops::zeros_like(y);
    set_requires_grad(u, true);
    ys.push_back(y);
    us.push_back(u);
    out_index.push_back(k);
  }
  std::vector<Tensor> result(outs.size());
  auto same_shape = [](const Tensor& a, const Tensor& b) {
    return std::equal(a.sizes().begin(), a.sizes().end(), b.sizes().begin(), b.sizes().end());
  };
  if (diagonal && aliases.size() == 1 && ys.size() == 1 && same_shape(ys[0], aliases[0])) {
    // One dual input of the output's shape: the Jacobian is diagonal, so J t = J^T t.
    TensorVec r =
        grad(ys, aliases, {to_dtype(tangents[0], ys[0].dtype())}, {keep_differentiable, keep_differentiable, true});
    if (r[0].defined()) result[out_index[0]] = to_dtype(r[0], ys[0].dtype());
  } else if (!ys.empty()) {
    // Graphs are kept when the tangent stays differentiable: its graph runs back through them.
    TensorVec vjps = grad(ys, aliases, us, {keep_differentiable, true, true});
    TensorVec vs, ts;
    for (size_t i = 0; i < vjps.size(); ++i) {
      if (!vjps[i].defined() || !vjps[i].requires_grad()) continue;
      vs.push_back(vjps[i]);
      ts.push_back(to_dtype(tangents[i], vjps[i].dtype()));
    }
    if (!vs.empty()) {
      TensorVec jvps = grad(vs, us, ts, {keep_differentiable, keep_differentiable, true});
      for (size_t j = 0; j < jvps.size(); ++j) result[out_index[j]] = jvps[j];
    }
  }
  std::vector<Tensor> primal_outs = flat_tensors(stack);
  for (size_t k = 0; k < result.size() && k < primal_outs.size(); ++k) {
    const Tensor& y = primal_outs[k];
    if (y.defined() && is_floating(y.dtype()) && !result[k].defined()) result[k] = ops::zeros_like(y);
    if (result[k].defined() && !keep_differentiable) result[k] = detach(result[k]);
  }
  attach_tangents(stack, result);
}

void fallback_jvp(const Operator& op, void*, Stack& stack) {
  jvp_from_backward(op, stack, false);
}
void pointwise_jvp(const Operator& op, void*, Stack& stack) {
  jvp_from_backward(op, stack, true);
}

KernelFunction boxed_kernel(BoxedKernelFn fn) {
  KernelFunction k;
  k.boxed = fn;
  return k;
}

const bool fallback_installed = [] {
  static const KernelFunction k = boxed_kernel(&fallback_jvp);
  Operator::forward_ad_fallback = &k;
  return true;
}();

}  // namespace

bool register_linear_jvp(std::initializer_list<const char*> names) {
  for (const char* n : names)
    Dispatcher::instance().register_kernel(n, DispatchKey::ForwardAD, boxed_kernel(&linear_jvp));
  return true;
}

bool register_pointwise_jvp(std::initializer_list<const char*> names) {
  for (const char* n : names)
    Dispatcher::instance().register_kernel(n, DispatchKey::ForwardAD, boxed_kernel(&pointwise_jvp));
  return true;
}

bool register_multilinear_jvp(std::initializer_list<const char*> names) {
  for (const char* n : names)
    Dispatcher::instance().register_kernel(n, DispatchKey::ForwardAD, boxed_kernel(&multilinear_jvp));
  return true;
}

}  // namespace tessera::autograd

namespace tessera {
const KernelFunction* Operator::forward_ad_fallback = nullptr;
}

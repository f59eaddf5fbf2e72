// Direct Autograd kernels for the hottest in-place ops (add_, sub_, mul_, index_put_, relu_,
// exp_, sigmoid_, tanh_): the op runs in place (no temporary, no copy, as PyTorch) and its node
// is recorded on self. The other ops use the generic kernel of inplace_backward.cpp.
#include <memory>

#include "autograd/fn_backward.h"
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
#include "ops/ternary.h"
#include "ops/type_promotion.h"
#include "ops/unary.h"

namespace tessera {
namespace {

using autograd::FnBackward;
using autograd::TensorVec;
using F = FnBackward;

// A node over `ins` (null when none requires grad), built before self is overwritten so that
// its edge for self is self's previous history.
std::shared_ptr<FnBackward> node_for(const char* name, std::initializer_list<const Tensor*> ins,
                                     FnBackward::Formula f) {
  auto n = autograd::make_node<FnBackward>(ins);
  if (!n) return n;
  n->op_name = name;
  for (const Tensor* t : ins) n->inputs.emplace_back(DimVector(t->sizes()), t->dtype());
  n->formula = std::move(f);
  return n;
}

void attach(const Tensor& self, const std::shared_ptr<FnBackward>& n, const char* name) {
  autograd::rebase_history(self, n ? autograd::Edge{n, n->add_output_meta(self)} : autograd::Edge(), name);
}

Tensor zero() {
  return wrapped_scalar(Scalar(0.0));
}

template <bool Sub>
Tensor add__direct(const Tensor& self, const Tensor& other, const Scalar& alpha) {
  auto run = [&] { return Sub ? ops::sub_(self, other, alpha) : ops::add_(self, other, alpha); };
  if (!autograd::grad_enabled()) return autograd::below_autograd(run);
  const char* name = Sub ? "sub_" : "add_";
  autograd::check_inplace(name, self);
  const double a = Sub ? -alpha.to_double() : alpha.to_double();
  auto n = node_for(Sub ? "SubBackward0" : "AddBackward0", {&self, &other},
                    [a](const F& f, const Tensor& g, const TensorVec&) -> TensorVec {
                      return {g, !f.needs(1) ? Tensor() : a == 1.0 ? g : ops::mul(g, wrapped_scalar(Scalar(a)))};
                    });
  autograd::below_autograd(run);
  attach(self, n, Sub ? "SubBackward0" : "AddBackward0");
  return self;
}

// d/dself = g * other; d/dother = g * (self before the write): saved as a copy only when needed.
Tensor mul__direct(const Tensor& self, const Tensor& other) {
  if (!autograd::grad_enabled()) return autograd::below_autograd([&] { return ops::mul_(self, other); });
  autograd::check_inplace("mul_", self);
  auto n = node_for("MulBackward0", {&self, &other}, [](const F& f, const Tensor& g, const TensorVec& s) -> TensorVec {
    return {f.needs(0) ? ops::mul(g, s[0]) : Tensor(), f.needs(1) ? ops::mul(g, s[1]) : Tensor()};
  });
  if (n) {
    n->saved.emplace_back(n->needs(0) ? other : Tensor(), false);
    Tensor old;
    if (n->needs(1)) {
      // The copy carries self's history: a create_graph backward differentiates through it.
      old = autograd::below_autograd([&] { return ops::clone(self); });
      autograd::Edge e = autograd::gradient_edge(self);
      if (e.valid()) {
        autograd::AutogradMeta& m = autograd::materialize_meta(old);
        m.grad_fn = e.function;
        m.output_nr = e.input_nr;
      }
    }
    n->saved.emplace_back(old, false);
  }
  autograd::below_autograd([&] { return ops::mul_(self, other); });
  attach(self, n, "MulBackward0");
  return self;
}

// Unary ops whose derivative is a function of the result: the result is self after the write,
// saved as the node's output (modifying it again before backward raises, as PyTorch).
struct ReluD {
  static constexpr const char* op = "relu_";
  static constexpr const char* node = "ReluBackward0";
  static Tensor run(const Tensor& t) { return ops::relu_(t); }
  static Tensor grad(const Tensor& g, const Tensor& y) { return ops::where(ops::le(y, zero()), zero(), g); }
};
struct ExpD {
  static constexpr const char* op = "exp_";
  static constexpr const char* node = "ExpBackward0";
  static Tensor run(const Tensor& t) { return ops::exp_(t); }
  static Tensor grad(const Tensor& g, const Tensor& y) { return ops::mul(g, y); }
};
struct SigmoidD {
  static constexpr const char* op = "sigmoid_";
  static constexpr const char* node = "SigmoidBackward0";
  static Tensor run(const Tensor& t) { return ops::sigmoid_(t); }
  static Tensor grad(const Tensor& g, const Tensor& y) {
    return ops::mul(g, ops::mul(y, ops::sub(wrapped_scalar(Scalar(1.0)), y)));
  }
};
struct TanhD {
  static constexpr const char* op = "tanh_";
  static constexpr const char* node = "TanhBackward0";
  static Tensor run(const Tensor& t) { return ops::tanh_(t); }
  static Tensor grad(const Tensor& g, const Tensor& y) {
    return ops::mul(g, ops::sub(wrapped_scalar(Scalar(1.0)), ops::mul(y, y)));
  }
};

template <class D>
Tensor unary_of_result_direct(const Tensor& self) {
  if (!autograd::grad_enabled()) return autograd::below_autograd([&] { return D::run(self); });
  autograd::check_inplace(D::op, self);
  auto n = node_for(D::node, {&self},
                    [](const F&, const Tensor& g, const TensorVec& s) -> TensorVec { return {D::grad(g, s[0])}; });
  autograd::below_autograd([&] { return D::run(self); });
  attach(self, n, D::node);
  if (n) n->saved.emplace_back(self, true);
  return self;
}

// setitem with advanced indices: O(written elements) forward, as PyTorch (the generic kernel
// would copy the whole of self twice).
Tensor index_put__direct(const Tensor& self, TensorList indices, const Tensor& values, bool accumulate) {
  auto run = [&] { return ops::index_put_(self, indices, values, accumulate); };
  if (!autograd::grad_enabled()) return autograd::below_autograd(run);
  autograd::check_inplace("index_put_", self);
  auto n = node_for("IndexPutBackward0", {&self, &values},
                    [accumulate](const F& f, const Tensor& g, const TensorVec& idx) -> TensorVec {
                      TensorVec r(2);
                      if (f.needs(0))
                        r[0] = accumulate ? g : ops::index_put(g, idx, ops::zeros({}, g.dtype(), g.device()), false);
                      if (f.needs(1)) r[1] = ops::index(g, idx);
                      return r;
                    });
  if (n)
    for (const Tensor& t : indices) n->saved.emplace_back(t, false);
  autograd::below_autograd(run);
  attach(self, n, "IndexPutBackward0");
  return self;
}

}  // namespace

TS_REGISTER_KERNEL("index_put_", Autograd, &index_put__direct);
TS_REGISTER_KERNEL("add_", Autograd, &add__direct<false>);
TS_REGISTER_KERNEL("sub_", Autograd, &add__direct<true>);
TS_REGISTER_KERNEL("mul_", Autograd, &mul__direct);
TS_REGISTER_KERNEL("relu_", Autograd, &unary_of_result_direct<ReluD>);
TS_REGISTER_KERNEL("exp_", Autograd, &unary_of_result_direct<ExpD>);
TS_REGISTER_KERNEL("sigmoid_", Autograd, &unary_of_result_direct<SigmoidD>);
TS_REGISTER_KERNEL("tanh_", Autograd, &unary_of_result_direct<TanhD>);

}  // namespace tessera

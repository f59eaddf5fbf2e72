#pragma once
// A generic backward node for pointwise formulas: the formula is a function of the incoming
// gradient and the saved tensors; results are reduced to each input's shape and dtype
// (broadcasting, promotion). Used by the unary, binary, ternary, activation and copy formulas.
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include "autograd/formula_utils.h"
#include "autograd/record.h"
#include "autograd/saved_tensor.h"

namespace tessera::autograd {

// A node whose formula is a function of the incoming gradient and the saved tensors; the
// results are reduced to each input's shape and dtype (broadcasting, promotion).
struct FnBackward final : Node {
  using Formula = std::function<TensorVec(const FnBackward&, const Tensor&, const TensorVec&)>;
  std::string op_name;
  std::vector<SavedTensor> saved;
  std::vector<std::pair<DimVector, DType>> inputs;
  Formula formula;
  std::string name() const override { return op_name; }
  bool needs(size_t i) const { return next_edges()[i].valid(); }
  TensorVec apply(TensorVec&& g) override {
    auto me = shared_from_this();
    TensorVec s;
    for (const auto& t : saved) s.push_back(t.unpack(me));
    TensorVec r = formula(*this, g[0], s);
    r.resize(inputs.size());
    for (size_t i = 0; i < r.size(); ++i) {
      if (!needs(i) || !r[i].defined()) {
        r[i] = Tensor();
        continue;
      }
      r[i] = reduce_grad(r[i], inputs[i].first, inputs[i].second);
    }
    return r;
  }
  void release_saved() override {
    for (auto& t : saved) t.reset();
  }
};

// Records `out` as the result of a FnBackward node over `ins` (when one requires grad). `save`
// lists the input tensors the formula needs; `save_out` appends the output (saved after
// set_history, as the rules require).
inline Tensor record(const char* name, const Tensor& out, std::initializer_list<const Tensor*> ins,
                     std::initializer_list<const Tensor*> save, bool save_out, FnBackward::Formula f) {
  // Integer and bool results never carry gradients (PyTorch: x.to(torch.long) does not require grad).
  if (!is_floating(out.dtype())) return out;
  auto n = make_node<FnBackward>(ins);
  if (!n) return out;
  n->op_name = name;
  for (const Tensor* t : ins) {
    n->inputs.emplace_back(t->defined() ? DimVector(t->sizes()) : DimVector(), t->defined() ? t->dtype() : out.dtype());
  }
  for (const Tensor* t : save) n->saved.emplace_back(*t, false);  // undefined stays undefined
  n->formula = std::move(f);
  set_history(out, n);
  if (save_out) n->saved.emplace_back(out, true);
  return out;
}

}  // namespace tessera::autograd

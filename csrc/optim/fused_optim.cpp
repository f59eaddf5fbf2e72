// Front-ends of the fused optimizer steps: argument checks, then one per-device stub call.
#include "optim/fused_optim.h"

#include "core/error.h"
#include "optim/fused_optim_stubs.h"

namespace tessera {

TS_DEFINE_STUB(fused_sgd_stub, "_fused_sgd_", void(const SgdArgs&));
TS_DEFINE_STUB(fused_adam_stub, "_fused_adam_", void(const AdamArgs&));

namespace {

// Every list has one tensor per parameter, same shape/dtype/device as it, all contiguous.
void check_lists(const char* op, TensorList params, std::initializer_list<std::pair<const char*, TensorList>> lists,
                 size_t nsteps) {
  TS_CHECK(nsteps == params.size(), "[", op, "] expected ", params.size(), " step counts, got ", nsteps);
  for (size_t i = 0; i < params.size(); ++i) {
    const Tensor& p = params[i];
    TS_CHECK(p.defined() && p.is_contiguous(), "[", op, "] parameter ", i, " must be a contiguous tensor");
    TS_CHECK(is_floating(p.dtype()), "[", op, "] parameter ", i, " must be floating point, got ",
             dtype_name(p.dtype()));
  }
  for (auto& [name, list] : lists) {
    TS_CHECK(list.size() == params.size(), "[", op, "] expected ", params.size(), " ", name, ", got ", list.size());
    for (size_t i = 0; i < list.size(); ++i) {
      const Tensor& t = list[i];
      const Tensor& p = params[i];
      TS_CHECK(t.defined() && t.is_contiguous() && t.dtype() == p.dtype() && t.device() == p.device() &&
                   std::equal(t.sizes().begin(), t.sizes().end(), p.sizes().begin(), p.sizes().end()),
               "[", op, "] ", name, "[", i, "] must be a contiguous ", dtype_name(p.dtype()), " tensor of shape ",
               shape_str(p.sizes()), " on ", p.device().str());
    }
  }
}

void bump(TensorList ts) {
  for (const Tensor& t : ts) t.bump_version();
}

void fused_sgd_kernel(TensorList params, TensorList grads, TensorList bufs, IntArrayRef steps, double lr,
                      double momentum, double dampening, double weight_decay, bool nesterov, bool maximize) {
  check_lists("_fused_sgd_", params, {{"grads", grads}}, steps.size());
  if (momentum != 0) check_lists("_fused_sgd_", params, {{"momentum_buffers", bufs}}, steps.size());
  TS_CHECK_VALUE(!nesterov || (momentum > 0 && dampening == 0),
                 "[_fused_sgd_] Nesterov momentum requires a momentum and zero dampening");
  if (params.empty()) return;
  SgdArgs a{params, grads, bufs, steps, lr, momentum, dampening, weight_decay, nesterov, maximize};
  fused_sgd_stub(params[0].device(), a);
  bump(params);
  if (momentum != 0) bump(bufs);
}

void fused_adam_kernel(TensorList params, TensorList grads, TensorList exp_avgs, TensorList exp_avg_sqs,
                       TensorList max_exp_avg_sqs, IntArrayRef steps, double lr, double beta1, double beta2,
                       double weight_decay, double eps, bool amsgrad, bool maximize, bool decoupled) {
  check_lists("_fused_adam_", params, {{"grads", grads}, {"exp_avgs", exp_avgs}, {"exp_avg_sqs", exp_avg_sqs}},
              steps.size());
  if (amsgrad) check_lists("_fused_adam_", params, {{"max_exp_avg_sqs", max_exp_avg_sqs}}, steps.size());
  for (int64_t s : steps) TS_CHECK_VALUE(s >= 1, "[_fused_adam_] step counts start at 1, got ", s);
  if (params.empty()) return;
  AdamArgs a{params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, lr, beta1, beta2, weight_decay, eps,
             amsgrad, maximize, decoupled};
  fused_adam_stub(params[0].device(), a);
  bump(params);
  bump(exp_avgs);
  bump(exp_avg_sqs);
  if (amsgrad) bump(max_exp_avg_sqs);
}

}  // namespace

TS_REGISTER_OP_ALL_BACKENDS(
    "_fused_sgd_(Tensor[] params, Tensor[] grads, Tensor[] momentum_buffers, int[] steps, float lr, float momentum, "
    "float dampening, float weight_decay, bool nesterov, bool maximize) -> ()",
    &fused_sgd_kernel);
TS_REGISTER_OP_ALL_BACKENDS(
    "_fused_adam_(Tensor[] params, Tensor[] grads, Tensor[] exp_avgs, Tensor[] exp_avg_sqs, Tensor[] max_exp_avg_sqs, "
    "int[] steps, float lr, float beta1, float beta2, float weight_decay, float eps, bool amsgrad, bool maximize, "
    "bool decoupled_weight_decay) -> ()",
    &fused_adam_kernel);

namespace ops {
void fused_sgd_(TensorList params, TensorList grads, TensorList bufs, IntArrayRef steps, double lr, double momentum,
                double dampening, double weight_decay, bool nesterov, bool maximize) {
  static TypedOp<void(TensorList, TensorList, TensorList, IntArrayRef, double, double, double, double, bool, bool)> op(
      "_fused_sgd_");
  op(params, grads, bufs, steps, lr, momentum, dampening, weight_decay, nesterov, maximize);
}
void fused_adam_(TensorList params, TensorList grads, TensorList exp_avgs, TensorList exp_avg_sqs,
                 TensorList max_exp_avg_sqs, IntArrayRef steps, double lr, double beta1, double beta2,
                 double weight_decay, double eps, bool amsgrad, bool maximize, bool decoupled) {
  static TypedOp<void(TensorList, TensorList, TensorList, TensorList, TensorList, IntArrayRef, double, double, double,
                      double, double, bool, bool, bool)>
      op("_fused_adam_");
  op(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, lr, beta1, beta2, weight_decay, eps, amsgrad,
     maximize, decoupled);
}
}  // namespace ops

}  // namespace tessera

namespace tessera {
// Optimizer updates write parameters in place outside the graph (torch runs them under no_grad).
TS_NONDIFFERENTIABLE("_fused_sgd_", "_fused_adam_");
}  // namespace tessera

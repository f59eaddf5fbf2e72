#pragma once
#include "dispatch/boxing.h"
#include "dispatch/dispatch_stub.h"

namespace tessera {

struct SgdArgs {
  TensorList params, grads, bufs;
  IntArrayRef steps;
  double lr, momentum, dampening, weight_decay;
  bool nesterov, maximize;
};
struct AdamArgs {
  TensorList params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs;
  IntArrayRef steps;
  double lr, beta1, beta2, weight_decay, eps;
  bool amsgrad, maximize, decoupled;
};

TS_DECLARE_STUB(fused_sgd_stub, void(const SgdArgs&));
TS_DECLARE_STUB(fused_adam_stub, void(const AdamArgs&));

}  // namespace tessera

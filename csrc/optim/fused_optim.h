#pragma once
// Multi-tensor optimizer steps: one call updates every parameter of a param group (the Python
// optimizers call these under no_grad). Tensors of one list position share shape and dtype.
#include <vector>

#include "dispatch/boxing.h"

namespace tessera::ops {

// SGD with momentum/nesterov/weight decay (torch.optim.SGD semantics). steps[i] == 1 marks the
// first step of parameter i, whose momentum buffer is then initialised to the gradient.
void fused_sgd_(TensorList params, TensorList grads, TensorList momentum_buffers, IntArrayRef steps, double lr,
                double momentum, double dampening, double weight_decay, bool nesterov, bool maximize);
// Adam / AdamW (decoupled_weight_decay) with amsgrad (torch.optim.Adam/AdamW semantics); steps[i]
// is the step count of parameter i after this step.
void fused_adam_(TensorList params, TensorList grads, TensorList exp_avgs, TensorList exp_avg_sqs,
                 TensorList max_exp_avg_sqs, IntArrayRef steps, double lr, double beta1, double beta2,
                 double weight_decay, double eps, bool amsgrad, bool maximize, bool decoupled_weight_decay);

}  // namespace tessera::ops

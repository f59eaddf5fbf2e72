// The fused multi-tensor optimizer steps (used by tessera.optim).
#include "binder.h"
#include "casters.h"
#include "optim/fused_optim.h"

namespace tessera::python {

TS_BINDER(optim, 10) {
  using namespace nb::literals;
  m.def("_fused_sgd_", [](std::vector<Tensor> params, std::vector<Tensor> grads, std::vector<Tensor> bufs,
                          std::vector<int64_t> steps, double lr, double momentum, double dampening, double wd,
                          bool nesterov, bool maximize) {
    nb::gil_scoped_release release;
    ops::fused_sgd_(params, grads, bufs, steps, lr, momentum, dampening, wd, nesterov, maximize);
  }, "params"_a, "grads"_a, "momentum_buffers"_a, "steps"_a, "lr"_a, "momentum"_a, "dampening"_a, "weight_decay"_a,
        "nesterov"_a, "maximize"_a);
  m.def("_fused_adam_", [](std::vector<Tensor> params, std::vector<Tensor> grads, std::vector<Tensor> exp_avgs,
                           std::vector<Tensor> exp_avg_sqs, std::vector<Tensor> max_exp_avg_sqs,
                           std::vector<int64_t> steps, double lr, double beta1, double beta2, double wd, double eps,
                           bool amsgrad, bool maximize, bool decoupled) {
    nb::gil_scoped_release release;
    ops::fused_adam_(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, lr, beta1, beta2, wd, eps, amsgrad,
                     maximize, decoupled);
  }, "params"_a, "grads"_a, "exp_avgs"_a, "exp_avg_sqs"_a, "max_exp_avg_sqs"_a, "steps"_a, "lr"_a, "beta1"_a,
        "beta2"_a, "weight_decay"_a, "eps"_a, "amsgrad"_a, "maximize"_a, "decoupled_weight_decay"_a);
}

}  // namespace tessera::python

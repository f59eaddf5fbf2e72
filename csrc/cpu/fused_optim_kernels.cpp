// CPU loops of the fused optimizer steps: one pass over each parameter's elements, in parallel,
// computing in the parameter's opmath type (float for 16-bit types).
#include <cmath>

#include "core/dispatch_type.h"
#include "cpu/parallel.h"
#include "optim/fused_optim_stubs.h"

namespace tessera {
namespace {

void sgd_cpu(const SgdArgs& a) {
  for (size_t i = 0; i < a.params.size(); ++i) {
    TS_DISPATCH_FLOATING_TYPES(a.params[i].dtype(), "_fused_sgd_", [&] {
      using acc = opmath_t<scalar_t>;
      scalar_t* p = a.params[i].data<scalar_t>();
      const scalar_t* g = a.grads[i].data<scalar_t>();
      scalar_t* buf = a.momentum != 0 ? a.bufs[i].data<scalar_t>() : nullptr;
      const bool first = a.steps[i] == 1;
      // Scalars combined in double and rounded once, then the same operation order as torch.optim.
      const acc lr = a.lr, mom = a.momentum, keep = static_cast<acc>(1.0 - a.dampening), wd = a.weight_decay;
      parallel_for(0, a.params[i].numel(), kElementwiseGrain, [&](int64_t b, int64_t e) {
        for (int64_t j = b; j < e; ++j) {
          acc d = a.maximize ? -acc(g[j]) : acc(g[j]);
          const acc pj = p[j];
          if (wd != 0) d += wd * pj;
          if (buf) {
            const acc m = first ? d : acc(buf[j]) * mom + keep * d;
            buf[j] = scalar_t(m);
            d = a.nesterov ? d + mom * m : m;
          }
          p[j] = scalar_t(pj + (-lr) * d);
        }
      });
    });
  }
}

void adam_cpu(const AdamArgs& a) {
  for (size_t i = 0; i < a.params.size(); ++i) {
    TS_DISPATCH_FLOATING_TYPES(a.params[i].dtype(), "_fused_adam_", [&] {
      using acc = opmath_t<scalar_t>;
      scalar_t* p = a.params[i].data<scalar_t>();
      const scalar_t* g = a.grads[i].data<scalar_t>();
      scalar_t* m = a.exp_avgs[i].data<scalar_t>();
      scalar_t* v = a.exp_avg_sqs[i].data<scalar_t>();
      scalar_t* vmax = a.amsgrad ? a.max_exp_avg_sqs[i].data<scalar_t>() : nullptr;
      const double step = static_cast<double>(a.steps[i]);
      // Bias corrections in double, as torch computes them on the host.
      const acc step_size = static_cast<acc>(a.lr / (1.0 - std::pow(a.beta1, step)));
      const acc bc2_sqrt = static_cast<acc>(std::sqrt(1.0 - std::pow(a.beta2, step)));
      const acc w1 = static_cast<acc>(1.0 - a.beta1), b2 = a.beta2, c2 = static_cast<acc>(1.0 - a.beta2);
      const acc wd = a.weight_decay, eps = a.eps, decay = static_cast<acc>(1.0 - a.lr * a.weight_decay);
      parallel_for(0, a.params[i].numel(), kElementwiseGrain, [&](int64_t b, int64_t e) {
        for (int64_t j = b; j < e; ++j) {
          acc gj = a.maximize ? -acc(g[j]) : acc(g[j]);
          acc pj = p[j];
          if (wd != 0) {
            if (a.decoupled) {
              pj *= decay;
            } else {
              gj += wd * pj;
            }
          }
          const acc mj = acc(m[j]) + w1 * (gj - acc(m[j]));  // lerp with weight < 0.5, as torch
          const acc vj = acc(v[j]) * b2 + c2 * gj * gj;
          m[j] = scalar_t(mj);
          v[j] = scalar_t(vj);
          acc vv = vj;
          if (vmax) {
            vv = std::max(acc(vmax[j]), vj);
            vmax[j] = scalar_t(vv);
          }
          const acc denom = std::sqrt(vv) / bc2_sqrt + eps;
          p[j] = scalar_t(pj + (-step_size) * (mj / denom));
        }
      });
    });
  }
}

}  // namespace

TS_REGISTER_STUB(fused_sgd_stub, CPU, &sgd_cpu);
TS_REGISTER_STUB(fused_adam_stub, CPU, &adam_cpu);

}  // namespace tessera

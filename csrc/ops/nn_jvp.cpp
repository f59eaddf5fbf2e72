// Forward-mode AD of dropout: the generic path would run the op twice and draw two masks, so the
// mask is drawn once and applied to the primal and to the tangent.
#include "autograd/forward_ad.h"
#include "dispatch/boxing.h"
#include "ops/binary.h"
#include "ops/creation.h"
#include "ops/nn.h"

namespace tessera {
namespace {

Tensor dropout_jvp(const Tensor& input, double p, bool train) {
  Tensor t = autograd::tangent(input);
  if (!train || p == 0.0) {
    Tensor out = autograd::below_forward_ad([&] { return ops::dropout(input, p, train); });
    autograd::set_tangent(out, t);
    return out;
  }
  return autograd::below_forward_ad([&] {
    Tensor mask = ops::dropout(ops::ones_like(input), p, train);
    Tensor out = ops::mul(input, mask);
    autograd::set_tangent(out, ops::mul(t, mask));
    return out;
  });
}

}  // namespace

TS_REGISTER_KERNEL("dropout", ForwardAD, &dropout_jvp);

}  // namespace tessera

// Forward-mode AD of div: d(a / b) = (da - (a / b) db) / b; a rounding mode gives a piecewise
// constant result (zero tangent), as in PyTorch.
#include "autograd/forward_ad.h"
#include "dispatch/boxing.h"
#include "ops/binary.h"
#include "ops/copy.h"
#include "ops/creation.h"
#include "ops/unary.h"
#include "ops/view.h"

namespace tessera {
namespace {

Tensor div_jvp(const Tensor& self, const Tensor& other, std::optional<std::string_view> rounding_mode) {
  return autograd::below_forward_ad([&] {
    Tensor out = ops::div(self, other, rounding_mode);
    if (!is_floating(out.dtype())) return out;
    if (rounding_mode) {
      autograd::set_tangent(out, ops::zeros_like(out));
      return out;
    }
    Tensor ta = autograd::tangent(self), tb = autograd::tangent(other);
    Tensor num = ta;
    if (tb.defined()) {
      Tensor prod = ops::mul(out, tb);
      num = ta.defined() ? ops::sub(ta, prod) : ops::neg(prod);
    }
    Tensor t = ops::div(num, other);
    if (!std::equal(t.sizes().begin(), t.sizes().end(), out.sizes().begin(), out.sizes().end()))
      t = ops::contiguous(ops::expand(t, out.sizes()));  // a broadcast dual operand of lower rank
    autograd::set_tangent(out, t);
    return out;
  });
}

}  // namespace

TS_REGISTER_KERNEL("div", ForwardAD, &div_jvp);

}  // namespace tessera

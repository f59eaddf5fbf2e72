// Entry points of tessera.autograd.forward_ad (python/tessera/autograd/forward_ad.py).
#include "autograd/forward_ad.h"
#include "binder.h"
#include "casters.h"

namespace tessera::python {

TS_BINDER(forward_ad, 10) {
  using namespace nb::literals;
  namespace ag = tessera::autograd;
  m.def("_enter_dual_level", &ag::enter_dual_level);
  m.def("_exit_dual_level", &ag::exit_dual_level, "level"_a);
  m.def("_make_dual", &ag::make_dual, "tensor"_a, "tangent"_a, "level"_a);
  m.def(
      "_unpack_dual",
      [](const Tensor& t, int64_t level) -> nb::tuple {
        auto [primal, tan] = ag::unpack_dual(t, level);
        return nb::make_tuple(primal, tan.defined() ? nb::cast(tan) : nb::none());
      },
      "tensor"_a, "level"_a);
  m.def("_is_dual_level_open", &ag::forward_ad_enabled);
}

}  // namespace tessera::python

#include "core/dispatch_type.h"
#include "cpu/loops.h"
#include "ops/binary_stubs.h"

namespace tessera {
namespace {

void add_cpu(const TensorIterator& iter, const Scalar& alpha) {
  TS_DISPATCH_ALL_TYPES(iter.dtype(0), "add", [&] {
    using acc_t = opmath_t<scalar_t>;
    const acc_t a = alpha.to<acc_t>();
    if (a == acc_t(1)) {
      cpu_kernel(iter, [](scalar_t x, scalar_t y) -> scalar_t { return static_cast<acc_t>(x) + static_cast<acc_t>(y); });
    } else {
      cpu_kernel(iter, [a](scalar_t x, scalar_t y) -> scalar_t { return static_cast<acc_t>(x) + a * static_cast<acc_t>(y); });
    }
  });
}

}  // namespace

TS_REGISTER_STUB(add_stub, CPU, &add_cpu);

}  // namespace tessera

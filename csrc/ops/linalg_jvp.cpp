// Forward-mode AD of multilinear ops: d(a*b) = da*b + a*db, and likewise for the matrix
// products (autograd/forward_ad.h). Affine ones (addmm, linear, baddbmm) use the generic path.
#include "autograd/forward_ad.h"

namespace tessera {
namespace {

const bool registered = autograd::register_multilinear_jvp({"mul", "mm", "bmm", "matmul", "mv", "dot", "outer"});

}  // namespace
}  // namespace tessera

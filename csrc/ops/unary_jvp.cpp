// Forward-mode AD of pointwise ops: unary math, activations, clamps and the pointwise binary and
// ternary ops. With a diagonal Jacobian the backward formula gives the jvp (autograd/forward_ad.h).
#include "autograd/forward_ad.h"

namespace tessera {
namespace {

const bool registered = autograd::register_pointwise_jvp({
    // unary math
    "exp",
    "log",
    "abs",
    "sign",
    "floor",
    "ceil",
    "trunc",
    "reciprocal",
    "sqrt",
    "rsqrt",
    "exp2",
    "expm1",
    "log2",
    "log10",
    "log1p",
    "sin",
    "cos",
    "tan",
    "tanh",
    "sigmoid",
    "erf",
    "erfinv",
    "round",
    "nan_to_num",
    // activations
    "relu",
    "gelu",
    "silu",
    "softplus",
    "leaky_relu",
    "elu",
    "hardtanh",
    // clamps and pointwise binary / ternary ops
    "clamp",
    "clamp_min",
    "clamp_max",
    "true_divide",
    "pow",
    "atan2",
    "maximum",
    "minimum",
    "remainder",
    "fmod",
    "floor_divide",
    "lerp",
    "addcmul",
    "addcdiv",
    "masked_fill",
});

}  // namespace
}  // namespace tessera

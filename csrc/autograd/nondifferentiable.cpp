// Ops whose outputs never carry gradients: booleans, indices, integers, random draws, and
// factories. For them the Autograd key falls through even when an input requires grad.
#include "dispatch/boxing.h"

namespace tessera {

TS_NONDIFFERENTIABLE("_contains", "allclose", "equal", "any", "all", "argmax", "argmin", "argsort", "nonzero",
                     "nonzero_numpy", "eq", "ne", "lt", "le", "gt", "ge", "isnan", "isinf", "isfinite", "logical_and",
                     "logical_or", "logical_xor", "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor",
                     "bitwise_not", "bitwise_left_shift", "bitwise_right_shift", "one_hot", "empty_like", "zeros_like",
                     "ones_like", "full_like", "rand_like", "randn_like", "randint_like", "bernoulli", "bernoulli.p",
                     "repeat_interleave_indices", "arange", "linspace", "eye", "empty", "zeros", "ones", "full", "rand",
                     "randn", "randint", "randperm", "normal.float_float");

}  // namespace tessera

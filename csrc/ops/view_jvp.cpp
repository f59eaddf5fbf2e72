// Forward-mode AD of linear ops: views, shape and join ops, copies, linear reductions and
// gathers. The output tangent is the op applied to the input tangents (autograd/forward_ad.h).
#include "autograd/forward_ad.h"

namespace tessera {
namespace {

const bool registered = autograd::register_linear_jvp({
    // views and shape ops
    "view",
    "reshape",
    "unsqueeze",
    "squeeze",
    "flatten",
    "unflatten",
    "expand",
    "broadcast_to",
    "permute",
    "transpose",
    "t",
    "movedim",
    "select",
    "slice",
    "narrow",
    "diagonal",
    "as_strided",
    "unbind",
    "split",
    "split_with_sizes",
    "chunk",
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "broadcast_tensors",
    "meshgrid",
    // joins and reorders
    "cat",
    "stack",
    "hstack",
    "vstack",
    "dstack",
    "column_stack",
    "repeat",
    "tile",
    "repeat_interleave",
    "flip",
    "fliplr",
    "flipud",
    "roll",
    "tril",
    "triu",
    // copies and conversions
    "clone",
    "contiguous",
    "to",
    // linear arithmetic and reductions
    "neg",
    "add",
    "sub",
    "sum",
    "mean",
    "cumsum",
    // gathers (index, mask and condition arguments are kept)
    "index",
    "index_select",
    "gather",
    "take",
    "masked_select",
    "embedding",
    "where",
});

}  // namespace
}  // namespace tessera

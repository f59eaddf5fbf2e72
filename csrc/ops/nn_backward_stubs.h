#pragma once
// Per-device inner kernels of the NN backward formulas (csrc/cpu/nn_backward_kernels.cpp).
// Every tensor arrives contiguous; gradients are written in the forward's compute dtype.
#include <cstdint>

#include "core/tensor.h"
#include "dispatch/dispatch_stub.h"
#include "ops/nn_stubs.h"

namespace tessera {

// gi = y * (g - sum(g * y)) (softmax) or g - exp(y) * sum(g) (log_softmax) along `dim`;
// gi, g, y share shape and dtype.
TS_DECLARE_STUB(softmax_backward_stub, void(const Tensor& gi, const Tensor& g, const Tensor& y, int64_t dim, bool log));
// Rows of N. gx, gw, gb: undefined when not needed; gw/gb (N) in the input's dtype.
TS_DECLARE_STUB(layer_norm_backward_stub, void(const Tensor& gx, const Tensor& gw, const Tensor& gb, const Tensor& g,
                                               const Tensor& x, const Tensor& w, int64_t rows, int64_t n, double eps));
TS_DECLARE_STUB(rms_norm_backward_stub, void(const Tensor& gx, const Tensor& gw, const Tensor& g, const Tensor& x,
                                             const Tensor& w, int64_t rows, int64_t n, double eps));
// Class-index nll / cross entropy: gi (N, C, S) like input; g is 0-d or (N, S) (Reduction::None).
// log_softmax: input holds logits, gi = coef * (softmax * sum(q) - q); else gi = -coef * q, with
// q[c] = (1 - ls) w[t] [c == t] + ls w[c] / C on non-ignored positions.
TS_DECLARE_STUB(nll_backward_stub,
                void(const Tensor& gi, const Tensor& g, const Tensor& input, const Tensor& target, const Tensor& weight,
                     int64_t ignore_index, Reduction reduction, double ls, bool log_softmax));
// gw (V, D) zero-filled: gw[idx[i]] += g[i] for idx[i] != padding_idx. g (numel(idx), D).
TS_DECLARE_STUB(embedding_backward_stub,
                void(const Tensor& gw, const Tensor& g, const Tensor& indices, int64_t padding_idx));

// conv2d: x (N, C, H, W), w (O, C/g, kh, kw), g (N, O, OH, OW), one dtype, contiguous: float/double
// (the CUDA kernel also takes float16/bfloat16, with gw and gb then float32); gx, gw (zero-filled
// by the kernel), gb (O) undefined when not needed; params as conv2d_stub.
TS_DECLARE_STUB(conv2d_backward_stub, void(const Tensor& gx, const Tensor& gw, const Tensor& gb, const Tensor& g,
                                           const Tensor& x, const Tensor& w, IntArrayRef params));

}  // namespace tessera

#pragma once
// Per-device inner kernels of the NN ops. Inputs arrive contiguous unless said otherwise.
#include <cstdint>

#include "core/tensor.h"
#include "dispatch/dispatch_stub.h"

namespace tessera {

enum class Reduction : int64_t { None = 0, Mean = 1, Sum = 2 };

// out = (log_)softmax(in) along `dim`; in and out contiguous, same shape and dtype.
TS_DECLARE_STUB(softmax_stub, void(const Tensor& out, const Tensor& in, int64_t dim, bool log));
// Rows of N: out = (x - mean) * rstd * weight + bias. weight/bias undefined or contiguous (N).
TS_DECLARE_STUB(layer_norm_stub, void(const Tensor& out, const Tensor& in, const Tensor& weight, const Tensor& bias,
                                      int64_t rows, int64_t n, double eps));
// Rows of N: out = x * rsqrt(mean(x^2) + eps) * weight.
TS_DECLARE_STUB(rms_norm_stub,
                void(const Tensor& out, const Tensor& in, const Tensor& weight, int64_t rows, int64_t n, double eps));
// Class-index targets: input (N, C, S) logits (log_softmax applied) or log-probs; target (N, S) int64;
// weight undefined or (C). out: (N, S) for Reduction::None, else 0-d.
TS_DECLARE_STUB(nll_stub, void(const Tensor& out, const Tensor& input, const Tensor& target, const Tensor& weight,
                               int64_t ignore_index, Reduction reduction, double label_smoothing, bool log_softmax));
// Probability targets: input and target (N, C, S); out (N, S) or 0-d.
TS_DECLARE_STUB(cross_entropy_prob_stub, void(const Tensor& out, const Tensor& input, const Tensor& target,
                                              const Tensor& weight, Reduction reduction, double label_smoothing));
// Squared error over same-shaped inputs (any strides); out has their shape (None) or is 0-d.
TS_DECLARE_STUB(mse_stub, void(const Tensor& out, const Tensor& input, const Tensor& target, Reduction reduction));
// out (numel(indices), D) = weight rows; indices contiguous int32/int64, checked in range.
TS_DECLARE_STUB(embedding_stub, void(const Tensor& out, const Tensor& weight, const Tensor& indices));
// out = input * keep / (1 - p) with keep ~ Bernoulli(1 - p); input any strides, out contiguous.
TS_DECLARE_STUB(dropout_stub, void(const Tensor& out, const Tensor& input, double p));
// out (numel, C) int64 zeros with ones at input's values (input contiguous int64, checked).
TS_DECLARE_STUB(one_hot_stub, void(const Tensor& out, const Tensor& input));
// Non-constant padding: out[i] = in[map(i)] over the last pads.size()/2 dims; mode 1 reflect,
// 2 replicate, 3 circular. in any strides, out contiguous.
TS_DECLARE_STUB(pad_index_stub, void(const Tensor& out, const Tensor& in, IntArrayRef pads, int64_t mode));
// input (N, C, H, W) and weight (O, C/g, kh, kw) contiguous; out (N, O, OH, OW) contiguous; one
// dtype: float/double (CUDA: also float16/bfloat16, accumulated in float32);
// params: stride_h, stride_w, pad_top, pad_left, dil_h, dil_w, groups.
TS_DECLARE_STUB(conv2d_stub, void(const Tensor& out, const Tensor& input, const Tensor& weight, const Tensor& bias,
                                  IntArrayRef params));
// In place on contiguous scores (*, L, S): s * scale, causal / bool / additive mask, then softmax
// (rows with every entry masked give zeros). mask undefined or broadcast to scores' shape (strided).
TS_DECLARE_STUB(attention_softmax_stub, void(const Tensor& scores, const Tensor& mask, bool causal, double scale));

}  // namespace tessera

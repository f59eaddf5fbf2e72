// Which dtype each op runs in under autocast: PyTorch's op lists (aten/src/ATen/autocast_mode.h,
// AT_FORALL_*, and the AutocastCPU list of autocast_mode.cpp; the "Autocast Op Reference"),
// restricted to the ops tessera has. One row per op: its policy under CUDA autocast, then under CPU
// autocast (`none`: that autocast leaves it alone). To add an op, add a row with PyTorch's policies.
#include "amp/autocast_registry.h"

namespace tessera::autocast {
namespace {

constexpr CastPolicy none = CastPolicy::None;
constexpr CastPolicy lower = CastPolicy::LowerPrecisionFp;
constexpr CastPolicy fp32 = CastPolicy::Fp32;
constexpr CastPolicy fp32_opt = CastPolicy::Fp32SetOptDtype;
constexpr CastPolicy promote = CastPolicy::Promote;

// clang-format off
const bool registered = register_policies({
    // op                             CUDA       CPU
    // ---- products and convolutions: tensor cores / AMX in the lower-precision dtype
    {"mm",                            lower,     lower},
    {"bmm",                           lower,     lower},
    {"addmm",                         lower,     lower},
    {"baddbmm",                       lower,     lower},
    {"matmul",                        lower,     lower},
    {"linear",                        lower,     lower},
    {"mv",                            lower,     none},
    {"conv2d",                        lower,     lower},
    // PyTorch lists conv2d.padding for CPU; on CUDA it reaches `convolution`, which is listed.
    {"conv2d.padding",                lower,     lower},
    {"scaled_dot_product_attention",  lower,     lower},

    // ---- float32: range-hungry pointwise math, norms, losses
    {"exp",                           fp32,      none},
    {"expm1",                         fp32,      none},
    {"log",                           fp32,      none},
    {"log10",                         fp32,      none},
    {"log2",                          fp32,      none},
    {"log1p",                         fp32,      none},
    {"erfinv",                        fp32,      none},
    {"reciprocal",                    fp32,      none},
    {"rsqrt",                         fp32,      none},
    {"tan",                           fp32,      none},
    {"pow",                           fp32,      none},  // pow.Tensor_Tensor / Tensor_Scalar / Scalar
    {"softplus",                      fp32,      none},
    {"layer_norm",                    fp32,      none},
    {"rms_norm",                      fp32,      none},
    {"logsumexp",                     fp32,      none},
    {"nll_loss",                      fp32,      fp32},
    {"mse_loss",                      fp32,      fp32},
    // CPU lists cross_entropy_loss; on CUDA it is a composite of log_softmax (float32 output) and
    // nll_loss (fp32), which is what fp32 computes.
    {"cross_entropy",                 fp32,      fp32},

    // ---- float32 through the op's own dtype argument (left alone when the caller gives one)
    {"softmax",                       fp32_opt,  none},
    {"log_softmax",                   fp32_opt,  none},
    {"sum",                           fp32_opt,  none},
    {"cumsum",                        fp32_opt,  none},
    {"cumprod",                       fp32_opt,  none},
    {"prod",                          fp32_opt,  fp32},
    // torch.norm / Tensor.norm run linalg_vector_norm, which CUDA lists as fp32_set_opt_dtype.
    {"norm",                          fp32_opt,  none},

    // ---- the widest floating input type
    {"addcdiv",                       promote,   none},
    {"addcmul",                       promote,   none},
    {"atan2",                         promote,   none},
    {"dot",                           promote,   none},
    {"index_put",                     promote,   none},
    {"scatter_add",                   promote,   none},
    {"cat",                           none,      promote},
    {"stack",                         none,      promote},
    {"index_copy",                    none,      promote},
    // Composites over cat in PyTorch, so they promote like cat.
    {"hstack",                        none,      promote},
    {"vstack",                        none,      promote},
    {"dstack",                        none,      promote},
    {"column_stack",                  none,      promote},
});
// clang-format on

// PyTorch lists these too; they get a row when tessera has the op:
//   CUDA lower: addmv addr einsum chain_matmul linalg_multi_dot linalg_vecdot addbmm conv1d conv3d
//     conv_transpose1d/2d/3d conv_tbc convolution prelu lstm_cell gru_cell rnn_tanh_cell rnn_relu_cell
//   CUDA fp32: acos asin cosh sinh group_norm frobenius_norm nuclear_norm cosine_similarity
//     poisson_nll_loss cosine_embedding_loss nll_loss2d hinge_embedding_loss kl_div l1_loss
//     smooth_l1_loss huber_loss margin_ranking_loss multilabel_margin_loss soft_margin_loss
//     triplet_margin_loss multi_margin_loss binary_cross_entropy_with_logits dist pdist cdist renorm
//     upsample_* ; fp32_set_opt_dtype: linalg_vector_norm linalg_matrix_norm
//   CUDA promote: bilinear cross vdot grid_sampler tensordot
//   CUDA banned: binary_cross_entropy (raises under autocast; use binary_cross_entropy_with_logits)
//   CPU lower: conv1d conv3d conv_transpose* addbmm linalg_vecdot prelu _native_multi_head_attention
//   CPU fp32: the losses above, binary_cross_entropy, avg_pool3d, max_pool3d, adaptive pools,
//     reflection/replication pads, grid_sampler, fft_*, linalg_* decompositions, quantile, trace ...

}  // namespace
}  // namespace tessera::autocast

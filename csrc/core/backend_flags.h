#pragma once
// Process-wide numerics switches of the GPU kernels, as torch.backends.cuda.matmul / .cudnn keep
// them (tessera.backends.*): read on every GEMM, so plain relaxed atomics.
namespace tessera {

// float32 matmuls may use TF32 tensor cores (torch.backends.cuda.matmul.allow_tf32, default False).
bool matmul_allow_tf32();
void set_matmul_allow_tf32(bool on);
// float32 convolutions may use TF32 (torch.backends.cudnn.allow_tf32, default True as in torch).
bool conv_allow_tf32();
void set_conv_allow_tf32(bool on);
// 16-bit GEMMs may reduce split-K partial sums in the 16-bit output type
// (torch.backends.cuda.matmul.allow_fp16/bf16_reduced_precision_reduction, default True).
bool matmul_allow_fp16_reduced_precision_reduction();
void set_matmul_allow_fp16_reduced_precision_reduction(bool on);
bool matmul_allow_bf16_reduced_precision_reduction();
void set_matmul_allow_bf16_reduced_precision_reduction(bool on);

}  // namespace tessera

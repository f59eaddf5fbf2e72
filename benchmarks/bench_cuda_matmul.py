"""CUDA GEMMs, tessera (cuBLASLt, csrc/cuda/blas) vs PyTorch on the same GPU in one process:
bf16, fp16, fp32 with TF32 and fp32 without, square 1024..8192 and transformer-shaped products,
linear with bias (tessera: the cuBLASLt bias epilogue), linear + tanh gelu (tessera: the fused
GELU_AUX_BIAS epilogue, torch: F.gelu(F.linear)), linear's weight+bias gradient (tessera: BGRADB),
and a batched attention-shaped bmm.

Each sample times `inner` back-to-back calls and one synchronisation (wall clock, so host overhead
counts too), sized to >= 2 ms of work; the reported time is the median over >= 50 samples taken
after warm-up, tessera and torch interleaved. ratio = torch time / tessera time (>= 0.97 is the
target: parity with torch).
Run on the GPU machine: python benchmarks/bench_cuda_matmul.py [--quick] [--min-runs N]
(--smoke --device cpu runs every case at 1/16 size on the CPU, to check the script itself.)
"""
import argparse
import statistics
import time

import torch

from common import environment

import tessera as ts

DEV = "cuda"
SCALE = 1  # --smoke divides every size by 16

DTYPES = {  # label: (torch dtype, tessera dtype, tf32)
    "bf16": (torch.bfloat16, ts.bfloat16, False),
    "fp16": (torch.float16, ts.float16, False),
    "tf32": (torch.float32, ts.float32, True),
    "fp32": (torch.float32, ts.float32, False),
}


def to_ts(t):
    """tessera copy of a CUDA torch tensor (through the host, in float32 for bf16)."""
    host = t.detach().float().cpu().numpy()
    return ts.from_numpy(host).to(DEV).to(ts.bfloat16 if t.dtype == torch.bfloat16 else
                                             ts.float16 if t.dtype == torch.float16 else
                                             ts.float64 if t.dtype == torch.float64 else ts.float32)


def set_tf32(on):
    torch.backends.cuda.matmul.allow_tf32 = on
    ts.backends.cuda.matmul.allow_tf32 = on


def timed(fn, sync, inner):
    def run():
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        sync()
        return (time.perf_counter() - t0) / inner
    return run


def paired(f_ts, f_th, min_runs):
    """Median seconds per call of each, samples interleaved; `inner` sized from a first estimate."""
    sync_ts, sync_th = (ts.cuda.synchronize, torch.cuda.synchronize) if DEV == "cuda" else (lambda: None,) * 2
    for f, s in ((f_ts, sync_ts), (f_th, sync_th)):  # warm-up: heuristics, workspaces, caches
        for _ in range(3):
            f()
        s()
    t0 = time.perf_counter()
    f_th()
    sync_th()
    est = max(time.perf_counter() - t0, 1e-6)
    inner = max(1, min(200, int(2e-3 / est)))
    runs = [timed(f_ts, sync_ts, inner), timed(f_th, sync_th, inner)]
    samples = [[], []]
    for _ in range(min_runs):
        for run, out in zip(runs, samples):
            out.append(run())
    return [statistics.median(s) for s in samples]


def gemm_cases(quick):
    squares = [1024, 2048, 4096] if quick else [1024, 2048, 4096, 8192]
    # transformer (GPT-2 small, 8192 tokens): MLP-up, MLP-down, attention-out
    shapes = [(s, s, s) for s in squares] + [(8192, 768, 3072), (8192, 3072, 768), (8192, 768, 768)]
    return [(f"mm {m}x{k}x{n}", m, k, n) for m, k, n in ((m // SCALE, k // SCALE, n // SCALE) for m, k, n in shapes)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer shapes")
    ap.add_argument("--min-runs", type=int, default=50)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--smoke", action="store_true", help="every size / 16 (script check)")
    args = ap.parse_args()
    global DEV, SCALE
    DEV, SCALE = args.device, 16 if args.smoke else 1
    env = environment()
    name = torch.cuda.get_device_name() if DEV == "cuda" else DEV
    print(f"# CUDA matmul: {name}, commit {env['commit']}, {env['date']}, "
          f"torch {torch.__version__}, median of {args.min_runs} samples\n")
    print("| case | dtype | tessera ms | torch ms | tessera TFLOP/s | torch TFLOP/s | ratio (torch/tessera) |")
    print("|---|---|---|---|---|---|---|")
    torch.manual_seed(0)
    ratios = []

    def report(name, label, flops, t_ts, t_th):
        ratios.append(t_th / t_ts)
        print(f"| {name} | {label} | {t_ts * 1e3:.3f} | {t_th * 1e3:.3f} | {flops / t_ts / 1e12:.1f} | "
              f"{flops / t_th / 1e12:.1f} | {t_th / t_ts:.3f} |", flush=True)

    for label, (tdt, _, tf32) in DTYPES.items():
        set_tf32(tf32)
        for name, m, k, n in gemm_cases(args.quick):
            if label == "fp32" and m * n * k > 4096 ** 3:
                continue  # minutes of fp32 CUDA-core time for nothing new
            a_th = torch.randn(m, k, device=DEV, dtype=tdt)
            b_th = torch.randn(k, n, device=DEV, dtype=tdt)
            a_ts, b_ts = to_ts(a_th), to_ts(b_th)
            t_ts, t_th = paired(lambda: ts.mm(a_ts, b_ts), lambda: torch.mm(a_th, b_th), args.min_runs)
            report(name, label, 2.0 * m * n * k, t_ts, t_th)
            del a_th, b_th, a_ts, b_ts

        # linear + bias, linear + tanh gelu, and the weight/bias gradient of linear (8192 tokens)
        rows, fin, fout = 8192 // SCALE, 768 // SCALE, 3072 // SCALE
        x_th = torch.randn(rows, fin, device=DEV, dtype=tdt)
        w_th = torch.randn(fout, fin, device=DEV, dtype=tdt) / fin ** 0.5
        b_th = torch.randn(fout, device=DEV, dtype=tdt)
        g_th = torch.randn(rows, fout, device=DEV, dtype=tdt)
        x_ts, w_ts, b_ts, g_ts = to_ts(x_th), to_ts(w_th), to_ts(b_th), to_ts(g_th)
        flops = 2.0 * rows * fin * fout
        t_ts, t_th = paired(lambda: ts.nn.functional.linear(x_ts, w_ts, b_ts),
                            lambda: torch.nn.functional.linear(x_th, w_th, b_th), args.min_runs)
        report(f"linear+bias {rows}x{fin}->{fout}", label, flops, t_ts, t_th)
        t_ts, t_th = paired(lambda: ts.nn.functional._linear_gelu(x_ts, w_ts, b_ts, "tanh"),
                            lambda: torch.nn.functional.gelu(torch.nn.functional.linear(x_th, w_th, b_th),
                                                             approximate="tanh"), args.min_runs)
        report(f"linear+bias+gelu(tanh) {rows}x{fin}->{fout}", label, flops, t_ts, t_th)

        # backward of linear: input, weight and bias gradients (tessera: weight + bias in one GEMM)
        xr_ts, wr_ts, br_ts = (t.detach().requires_grad_() for t in (x_ts, w_ts, b_ts))
        xr_th, wr_th, br_th = (t.detach().requires_grad_() for t in (x_th, w_th, b_th))
        out_ts = ts.nn.functional.linear(xr_ts, wr_ts, br_ts)
        out_th = torch.nn.functional.linear(xr_th, wr_th, br_th)
        t_ts, t_th = paired(lambda: ts.autograd.grad(out_ts, (xr_ts, wr_ts, br_ts), g_ts, retain_graph=True),
                            lambda: torch.autograd.grad(out_th, (xr_th, wr_th, br_th), g_th, retain_graph=True),
                            args.min_runs)
        report(f"linear backward {rows}x{fin}->{fout}", label, 2 * flops, t_ts, t_th)
        del x_th, w_th, b_th, g_th, x_ts, w_ts, b_ts, g_ts, out_ts, out_th

        # attention-shaped batched products: (B*H, L, d) @ (B*H, d, L)
        bh, seq, d = 96 // SCALE, 1024 // SCALE, 64
        q_th = torch.randn(bh, seq, d, device=DEV, dtype=tdt)
        k_th = torch.randn(bh, seq, d, device=DEV, dtype=tdt)
        q_ts, k_ts = to_ts(q_th), to_ts(k_th)
        t_ts, t_th = paired(lambda: ts.bmm(q_ts, k_ts.transpose(1, 2)), lambda: torch.bmm(q_th, k_th.transpose(1, 2)),
                            args.min_runs)
        report(f"bmm {bh}x{seq}x{d}x{seq} (q @ k^T)", label, 2.0 * bh * seq * seq * d, t_ts, t_th)
        del q_th, k_th, q_ts, k_ts
    set_tf32(False)
    print(f"\ngeometric mean ratio {statistics.geometric_mean(ratios):.3f}, min {min(ratios):.3f}")


if __name__ == "__main__":
    main()

"""CUDA runtime costs, tessera vs PyTorch on the same GPU in one process: caching-allocator
allocate+free of a tensor (host-side cost, no kernel), host<->device copies from pinned memory,
a device-to-device copy, and event-timed fill. Ratio = torch time / tessera time (higher is better).
Run on the GPU machine: python benchmarks/bench_cuda_runtime.py
"""
import torch

from common import environment, paired_median_times

import tessera as ts


def cuda_timed(fn, sync_ts, sync_th):
    def run():
        fn()
        sync_ts()
        sync_th()
    return run


def main():
    env = environment()
    print(f"# CUDA runtime: {torch.cuda.get_device_name()}, commit {env['commit']}, {env['date']}, "
          f"torch {torch.__version__}\n")
    print("| workload | tessera us | torch us | ratio (torch/tessera) |\n|---|---|---|---|")
    rows = []
    # allocate + free (the tensor dies at once): caching allocator hot path
    for n in [256, 1 << 20]:
        t_ts, t_th = paired_median_times([lambda: ts.empty(n, device="cuda"), lambda: torch.empty(n, device="cuda")],
                                         min_runs=2000)
        rows.append((f"empty({n}) on cuda, alloc+free", t_ts, t_th))
    # copies of 64 MiB
    n = 16 << 20
    h_th = torch.randn(n).pin_memory()
    h_ts = ts.from_numpy(h_th.numpy()).pin_memory()
    d_th, d_ts = h_th.cuda(), h_ts.cuda()
    out_th, out_ts = torch.empty(n).pin_memory(), ts.empty(n).pin_memory()
    sync = ts.cuda.synchronize, torch.cuda.synchronize
    cases = [
        ("H2D 64 MiB pinned", lambda: d_ts.copy_(h_ts), lambda: d_th.copy_(h_th)),
        ("D2H 64 MiB pinned", lambda: out_ts.copy_(d_ts), lambda: out_th.copy_(d_th)),
        ("D2D clone 64 MiB", lambda: d_ts.clone(), lambda: d_th.clone()),
        ("fill_ 64 MiB", lambda: d_ts.fill_(1.5), lambda: d_th.fill_(1.5)),
        ("to(float16) 64 MiB", lambda: d_ts.to(ts.float16), lambda: d_th.to(torch.float16)),
    ]
    # elementwise ops on 16M elements (csrc/cuda/kernels/ew): contiguous, vectorised path
    for dt_ts, dt_th, label in [(ts.float32, torch.float32, "f32"), (ts.bfloat16, torch.bfloat16, "bf16")]:
        a_th, b_th = torch.randn(n, device="cuda", dtype=dt_th), torch.randn(n, device="cuda", dtype=dt_th)
        a_ts, b_ts = a_th.cpu().float().numpy(), b_th.cpu().float().numpy()
        a_ts, b_ts = ts.from_numpy(a_ts).to("cuda").to(dt_ts), ts.from_numpy(b_ts).to("cuda").to(dt_ts)
        # default arguments bind this iteration's tensors (closures would see the last dtype's)
        cases += [
            (f"add 16M {label}", lambda a=a_ts, b=b_ts: ts.add(a, b), lambda a=a_th, b=b_th: torch.add(a, b)),
            (f"mul 16M {label}", lambda a=a_ts, b=b_ts: ts.mul(a, b), lambda a=a_th, b=b_th: torch.mul(a, b)),
            (f"exp 16M {label}", lambda a=a_ts: ts.exp(a), lambda a=a_th: torch.exp(a)),
            (f"gelu 16M {label}", lambda a=a_ts: ts.nn.functional.gelu(a), lambda a=a_th: torch.nn.functional.gelu(a)),
            (f"mul_ by scalar 16M {label}", lambda a=a_ts: a.mul_(1.0), lambda a=a_th: a.mul_(1.0)),
        ]
    for name, f_ts, f_th in cases:
        t_ts, t_th = paired_median_times([cuda_timed(f_ts, *sync), cuda_timed(f_th, *sync)], min_runs=50)
        rows.append((name, t_ts, t_th))
    for name, t_ts, t_th in rows:
        print(f"| {name} | {t_ts * 1e6:.2f} | {t_th * 1e6:.2f} | {t_th / t_ts:.2f} |")
    copy_us = dict((r[0], r[1]) for r in rows)["D2D clone 64 MiB"] * 1e6
    print(f"\nCopy bandwidth (D2D clone, read+write 128 MiB): {128 * 2**20 / copy_us / 1e6:.2f} TB/s; "
          "elementwise ops as a fraction of it (bytes moved / time):")
    for name, t_ts, _ in rows:
        if name.startswith(("add 16M", "mul 16M", "exp 16M", "gelu 16M")):
            elem = 2 if name.endswith("bf16") else 4
            moved = n * elem * (3 if name.startswith(("add", "mul")) else 2)
            print(f"- {name}: {moved / (t_ts * 1e6) / 1e6:.2f} TB/s = {moved / (t_ts * 1e6) / (128 * 2**20 / copy_us):.0%}")
    tiny_op_overhead()


def tiny_op_overhead(calls=2000):
    """Host cost per call of tiny CUDA ops from Python: `calls` back-to-back launches then one
    synchronize, so the time is the Python + dispatch + launch path (the GPU keeps up)."""
    print("\n## Per-op overhead of tiny CUDA ops (us per call; target ratio tessera/torch <= 0.7)\n")
    print("| op | tessera us | torch us | tessera/torch |\n|---|---|---|---|")
    a_th, b_th = torch.randn(8, device="cuda"), torch.randn(8, device="cuda")
    a_ts, b_ts = ts.from_numpy(a_th.cpu().numpy()).cuda(), ts.from_numpy(b_th.cpu().numpy()).cuda()
    m_th = torch.randn(8, 8, device="cuda")
    m_ts = ts.from_numpy(m_th.cpu().numpy()).cuda()
    ops = [("add(a, b)", lambda: ts.add(a_ts, b_ts), lambda: torch.add(a_th, b_th)),
           ("a * 2.0", lambda: a_ts * 2.0, lambda: a_th * 2.0),
           ("relu(a)", lambda: ts.relu(a_ts), lambda: torch.relu(a_th)),
           ("a.add_(b)", lambda: a_ts.add_(b_ts), lambda: a_th.add_(b_th)),
           ("a[2:5] (view)", lambda: a_ts[2:5], lambda: a_th[2:5]),
           ("sum(a)", lambda: ts.sum(a_ts), lambda: torch.sum(a_th)),
           ("mm(m, m) 8x8", lambda: ts.mm(m_ts, m_ts), lambda: torch.mm(m_th, m_th)),
           ("softmax(m, -1)", lambda: ts.softmax(m_ts, -1), lambda: torch.softmax(m_th, -1))]

    def batch(fn, sync):
        def run():
            for _ in range(calls):
                fn()
            sync()
        return run

    for name, f_ts, f_th in ops:
        try:
            f_ts()
        except (NotImplementedError, RuntimeError) as e:
            print(f"| {name} | - | - | ({type(e).__name__}) |")
            continue
        t_ts, t_th = paired_median_times([batch(f_ts, ts.cuda.synchronize), batch(f_th, torch.cuda.synchronize)],
                                         min_runs=15)
        print(f"| {name} | {t_ts / calls * 1e6:.2f} | {t_th / calls * 1e6:.2f} | {t_ts / t_th:.2f} |")


if __name__ == "__main__":
    main()

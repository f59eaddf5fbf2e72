"""Per-op overhead on tiny tensors and throughput on large ones, tessera vs PyTorch CPU.

Ratios: overhead = tessera time / torch time (lower is better; target <= 0.7);
throughput = torch time / tessera time (higher is better; target >= 0.9).
Run: python benchmarks/bench_cpu_ops.py [--markdown]
"""
import argparse

import numpy as np
import torch

from common import environment, median_time

import tessera as ts  # noqa: E402


def pair(shape, dtype=np.float32, positive=False):
    a = np.random.rand(*shape).astype(dtype)
    if not positive:
        a = a * 2 - 1
    return ts.from_numpy(a.copy()), torch.from_numpy(a.copy())


def overhead_cases():
    x, tx = pair((8,))
    y, ty = pair((8,))
    m, tm = pair((4, 4))
    p, tp = pair((8,), positive=True)
    return [
        ("add", lambda: x + y, lambda: tx + ty),
        ("add scalar", lambda: x + 1.0, lambda: tx + 1.0),
        ("mul", lambda: x * y, lambda: tx * ty),
        ("exp", lambda: x.exp(), lambda: tx.exp()),
        ("sqrt", lambda: p.sqrt(), lambda: tp.sqrt()),
        ("relu", lambda: x.relu(), lambda: tx.relu()),
        ("sum", lambda: x.sum(), lambda: tx.sum()),
        ("sum dim", lambda: m.sum(1), lambda: tm.sum(1)),
        ("view", lambda: m.view(16), lambda: tm.view(16)),
        ("transpose", lambda: m.t(), lambda: tm.t()),
        ("getitem int", lambda: m[1], lambda: tm[1]),
        ("getitem slice", lambda: m[:, 1:3], lambda: tm[:, 1:3]),
        ("matmul 4x4", lambda: m @ m, lambda: tm @ tm),
        ("softmax", lambda: m.softmax(-1), lambda: tm.softmax(-1)),
        ("clone", lambda: m.clone(), lambda: tm.clone()),
    ]


def throughput_cases():
    n = 1 << 24
    x, tx = pair((n,))
    y, ty = pair((n,))
    p, tp = pair((n,), positive=True)
    a, ta = pair((1024, 1024))
    b, tb = pair((1024, 1024))
    r, tr = pair((4096, 4096))
    return [
        ("add 16M f32", lambda: x + y, lambda: tx + ty),
        ("mul 16M f32", lambda: x * y, lambda: tx * ty),
        ("exp 16M f32", lambda: x.exp(), lambda: tx.exp()),
        ("sqrt 16M f32", lambda: p.sqrt(), lambda: tp.sqrt()),
        ("add transposed 4096^2", lambda: r + r.t(), lambda: tr + tr.t()),
        ("sum 16M f32", lambda: x.sum(), lambda: tx.sum()),
        ("sum rows 4096^2", lambda: r.sum(1), lambda: tr.sum(1)),
        ("matmul 1024^3 f32", lambda: a @ b, lambda: ta @ tb),
        ("softmax 4096^2", lambda: r.softmax(-1), lambda: tr.softmax(-1)),
    ]


def run(cases, kind):
    rows = []
    for name, f_ts, f_torch in cases:
        try:
            f_ts()
        except (AttributeError, NotImplementedError, TypeError) as e:  # op not there yet: report, don't hide
            rows.append((name, None, None, f"missing: {type(e).__name__}"))
            continue
        if kind == "overhead":
            t_ts = median_time(f_ts, inner=200, min_runs=30)
            t_torch = median_time(f_torch, inner=200, min_runs=30)
            rows.append((name, t_ts * 1e6, t_torch * 1e6, t_ts / t_torch))
        else:
            t_ts = median_time(f_ts, min_runs=10, min_seconds=0.5)
            t_torch = median_time(f_torch, min_runs=10, min_seconds=0.5)
            rows.append((name, t_ts * 1e3, t_torch * 1e3, t_torch / t_ts))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    threads = torch.get_num_threads()
    env = environment()
    print(f"# CPU ops: {env['cpu']}, {env['cores']} cores, torch threads {threads}, "
          f"commit {env['commit']}, {env['date']}, torch {torch.__version__}")
    for kind, cases, unit, ratio in [("overhead", overhead_cases(), "us", "tessera/torch time"),
                                     ("throughput", throughput_cases(), "ms", "torch/tessera time")]:
        print(f"\n## {kind} (median; ratio = {ratio})\n")
        print(f"| op | tessera {unit} | torch {unit} | ratio |\n|---|---|---|---|")
        for name, a, b, r in run(cases, kind):
            if a is None:
                print(f"| {name} | - | - | {r} |")
            else:
                print(f"| {name} | {a:.3f} | {b:.3f} | {r:.2f} |")


if __name__ == "__main__":
    main()

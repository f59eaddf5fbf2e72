"""Timing helpers shared by the benchmarks: median of many runs after warm-up, same process,
same inputs, tessera and PyTorch measured back to back."""
import os
import platform
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_PKG = os.path.join(ROOT, "python", "tessera")
if os.path.isdir(_PKG) and any(f.startswith("_C") for f in os.listdir(_PKG)):  # in-place build, else installed
    sys.path.insert(0, os.path.join(ROOT, "python"))


def median_time(fn, min_runs=20, min_seconds=0.3, inner=1, warmup=3):
    """Median seconds per call of fn (each sample times `inner` calls)."""
    for _ in range(warmup):
        fn()
    samples = []
    start = time.perf_counter()
    while len(samples) < min_runs or time.perf_counter() - start < min_seconds:
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - t0) / inner)
        if len(samples) > 10000:
            break
    return statistics.median(samples)


def paired_median_times(fns, min_runs=20, min_seconds=0.3, warmup=3):
    """Median seconds per call of each fn, the calls interleaved (a, b, a, b, ...) so that a load
    change on a shared machine hits every contender alike."""
    for _ in range(warmup):
        for fn in fns:
            fn()
    samples = [[] for _ in fns]
    start = time.perf_counter()
    while len(samples[0]) < min_runs or time.perf_counter() - start < min_seconds:
        for fn, out in zip(fns, samples):
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
        if len(samples[0]) > 10000:
            break
    return [statistics.median(s) for s in samples]


def environment():
    try:
        commit = subprocess.check_output(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True).strip()
    except Exception:
        commit = "unknown"
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"commit": commit, "cpu": cpu, "cores": os.cpu_count(), "date": time.strftime("%Y-%m-%d")}

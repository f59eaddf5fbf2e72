"""Every registered op, called through the boxed path with wrong and odd arguments, raises a
Python exception of a documented type and never crashes the process.

Runs in a subprocess that prints each call before making it, so a crash names the op and args."""
import os
import subprocess
import sys
import textwrap
from helpers import subprocess_env

ALLOWED = "(RuntimeError, ValueError, TypeError, IndexError, NotImplementedError, ts.OutOfMemoryError)"

SCRIPT = textwrap.dedent(f"""
    import random, sys
    import numpy as np
    import tessera as ts
    rng = random.Random(int(sys.argv[1]))
    def tensors():
        return [ts.from_numpy(np.random.default_rng(rng.randrange(1 << 30)).standard_normal(s).astype(d))
                for s, d in [((3,), np.float32), ((2, 3), np.float64), ((), np.float32), ((0, 2), np.float32),
                             ((2, 1, 3), np.float32)]] + [
                ts.from_numpy(np.arange(6, dtype=np.int64).reshape(2, 3)),
                ts.from_numpy(np.array([True, False, True])),
                ts.from_numpy(np.arange(4, dtype=np.int32))]
    ts_list = tensors()
    values = [None, -1, 0, 1, 2, 3, -7, 1.5, -0.5, float("nan"), True, False, "mean", "bogus", [0], [1, -1], [2, 3],
              [-2], [0, 0], [], [1.5], ts.float32, ts.int64, ts.bool, ts.device("cpu")]
    def arg():
        r = rng.random()
        if r < 0.45:
            return rng.choice(ts_list)
        if r < 0.55:
            return [rng.choice(ts_list) for _ in range(rng.randrange(0, 3))]
        return rng.choice(values)
    ops = sorted(n for n in ts._C._registered_ops() if not n.startswith("test_"))
    calls = ok = 0
    for name in ops:
        for _ in range(40):
            args = [arg() for _ in range(rng.randrange(0, 6))]
            print(name, [type(a).__name__ if not hasattr(a, "shape") else tuple(a.shape) for a in args], flush=True)
            calls += 1
            try:
                ts._C._call_boxed(name, args)
                ok += 1
            except {ALLOWED}:
                pass
        ts_list = tensors()  # in-place ops may have changed them
    print(f"DONE {{len(ops)}} ops, {{calls}} calls, {{ok}} succeeded", flush=True)
""")


def test_every_op_survives_bad_arguments(seed):
    env = subprocess_env(TESSERA_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(seed)], capture_output=True, text=True, env=env,
                          timeout=600)
    tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-15:])
    assert proc.returncode == 0, f"process died (rc={proc.returncode}); last calls:\n{tail}"
    assert "DONE" in proc.stdout, tail

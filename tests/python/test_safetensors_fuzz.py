"""Fuzzing the safetensors parser: thousands of mutated and truncated files must either load
consistently or raise ValueError/RuntimeError starting with [load]; never crash. The loop runs in a
subprocess (faulthandler on) so a segfault fails the test with its output."""
import os
import subprocess
import sys
import textwrap
from helpers import subprocess_env

SCRIPT = textwrap.dedent(r"""
    import faulthandler, json, random, struct, sys
    faulthandler.enable()
    import tessera as ts

    seed = int(sys.argv[1])
    rng = random.Random(seed)
    base = ts.safetensors.save({
        "w": ts.arange(12, dtype=ts.float32).reshape(3, 4), "b": ts.ones(3, dtype=ts.bfloat16),
        "i": ts.tensor([1, -2, 3], dtype=ts.int64), "m": ts.tensor([True, False]), "e": ts.zeros(0, 2),
        "s": ts.tensor(7, dtype=ts.int16)}, metadata={"k": "v"})
    (hlen,) = struct.unpack("<Q", base[:8])
    counts = {"ok": 0, "error": 0}

    def check(data, what):
        try:
            out = ts.safetensors.load(bytes(data))
        except (ValueError, RuntimeError) as e:
            if not str(e).startswith("[load]"):
                print("BAD MESSAGE", what, repr(e)); sys.exit(2)
            counts["error"] += 1
            return
        except BaseException as e:
            print("WRONG EXCEPTION", what, type(e).__name__, e, "data=", bytes(data)[:300]); sys.exit(3)
        # accepted: it must be self-consistent (the tensors account for every data byte)
        (n,) = struct.unpack("<Q", bytes(data[:8]))
        total = sum(t.numel() * t.dtype.itemsize for t in out.values())
        if total != len(data) - 8 - n:
            print("INCONSISTENT", what, total, len(data) - 8 - n); sys.exit(4)
        counts["ok"] += 1

    # 1. every truncation
    for cut in range(len(base)):
        check(base[:cut], f"cut {cut}")
    # 2. random byte flips / replacements in the header (and some in the length field)
    header_chars = b'{}[]",:0123456789-.eE \\u' + bytes(range(256))
    for k in range(3000):
        data = bytearray(base)
        for _ in range(rng.randint(1, 4)):
            pos = rng.randrange(0, 8 + hlen)
            data[pos] = rng.choice(header_chars) if rng.random() < 0.7 else rng.randrange(256)
        check(data, f"flip {k}")
    # 3. header length field set to nearby / extreme values
    for delta in list(range(-20, 21)) + [2**32, 2**63, 2**64 - 1, -hlen]:
        data = bytearray(base)
        data[:8] = struct.pack("<Q", (hlen + delta) % 2**64)
        check(data, f"length {delta}")
    # 4. structural mutations of the JSON: numbers replaced by random values, keys dropped
    header = json.loads(base[8:8 + hlen])
    for k in range(1500):
        h = json.loads(json.dumps(header))
        name = rng.choice([n for n in h if n != "__metadata__"])
        field = rng.choice(["shape", "data_offsets", "dtype", "drop"])
        if field == "drop":
            del h[name]
        elif field == "dtype":
            h[name]["dtype"] = rng.choice(["F32", "F16", "BF16", "I64", "U8", "BOOL", "I8", "X", "", 5])
        else:
            vals = h[name][field]
            if vals:
                vals[rng.randrange(len(vals))] = rng.choice(
                    [0, 1, 2, 3, 4, 7, 8, 100, -1, 2**31, 2**63 - 1, 2**63, 2**64 - 1, 2**64, 1.5, "1", None])
            else:
                vals.append(rng.randrange(4))
        raw = json.dumps(h).encode()
        tail = base[8 + hlen:]
        if rng.random() < 0.3:
            tail = tail[:rng.randrange(len(tail) + 1)] if rng.random() < 0.5 else tail + b"\0" * rng.randrange(1, 9)
        check(struct.pack("<Q", len(raw)) + raw + tail, f"json {k}")
    # 5. random garbage
    for k in range(500):
        n = rng.randrange(0, 64)
        check(struct.pack("<Q", rng.randrange(0, 80)) + bytes(rng.randrange(256) for _ in range(n)), f"garbage {k}")
    print("counts", counts)
    assert counts["error"] > 3000 and counts["ok"] > 0, counts
""")


def test_fuzz_mutations_never_crash(seed, tmp_path):
    env = subprocess_env()
    script = tmp_path / "fuzz.py"
    script.write_text(SCRIPT)
    r = subprocess.run([sys.executable, str(script), str(seed)], capture_output=True, text=True, env=env,
                       timeout=300)
    assert r.returncode == 0, f"fuzz run failed (rc={r.returncode}, seed={seed})\n{r.stdout[-5000:]}\n{r.stderr[-5000:]}"
    assert "counts" in r.stdout

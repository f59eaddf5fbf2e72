"""tessera.cuda.memory: the caching allocator's Python API.

Without a GPU the allocator runs on a fake device (_C._cuda_memory_use_fake_device) so that the
bindings, stats, summary, snapshot and memory_viz are checked on CPU; the GPU class runs on the
real device when there is one. torch cannot be the reference here (its CUDA allocator needs a
GPU), so the checks are against the allocator's own documented arithmetic.
"""

import json
import os
import pickle
import random
import subprocess
import sys

import pytest

import tessera as ts
import tessera.cuda.memory as mem
from tessera import _C
from helpers import subprocess_env

MiB = 1 << 20
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _compiled_with_cuda():
    try:
        _C._cuda_allocator_device_count()
        return True
    except RuntimeError as e:
        assert "not compiled with CUDA" in str(e)
        return False


CUDA_BUILD = _compiled_with_cuda()


def _gpu_available():
    return CUDA_BUILD and _C._cuda_allocator_device_count() > 0


cpu_only = pytest.mark.skipif(CUDA_BUILD, reason="checks the CPU-only build's errors and the fake device")


@pytest.fixture
def fake():
    """A 256 MiB fake device (two of them) for the length of one test."""
    _C._cuda_memory_use_fake_device(256 * MiB, devices=2)
    yield
    _C._cuda_memory_use_fake_device(None)


def _subprocess_env():
    return subprocess_env()


# ---- CPU-only build


@cpu_only
@pytest.mark.parametrize("call", [
    lambda: mem.memory_allocated(),
    lambda: mem.max_memory_allocated(0),
    lambda: mem.memory_reserved("cuda:0"),
    lambda: mem.max_memory_reserved(),
    lambda: mem.reset_peak_memory_stats(),
    lambda: mem.reset_accumulated_memory_stats(),
    lambda: mem.memory_stats(),
    lambda: mem.memory_summary(),
    lambda: mem.memory_snapshot(),
    lambda: mem.empty_cache(),
    lambda: mem.set_per_process_memory_fraction(0.5),
    lambda: mem.caching_allocator_alloc(10),
    lambda: mem.mem_get_info(),
])
def test_without_cuda_every_call_says_so(call):
    with pytest.raises(RuntimeError, match="not compiled with CUDA"):
        call()


def test_out_of_memory_error_exists_without_cuda():
    assert mem.OutOfMemoryError is ts.OutOfMemoryError
    assert issubclass(mem.OutOfMemoryError, RuntimeError)


# ---- the Python layer over a fake device


@cpu_only
def test_allocated_and_reserved_follow_allocations(fake, seed):
    rng = random.Random(seed)
    sizes = [rng.randrange(1, 3 * MiB) for _ in range(20)]
    ptrs = [mem.caching_allocator_alloc(n) for n in sizes]
    rounded = [(n + 511) // 512 * 512 for n in sizes]
    stats = mem.memory_stats()
    assert stats["requested_bytes.all.current"] == sum(sizes)
    assert mem.memory_allocated() >= sum(rounded)
    assert mem.memory_allocated() == stats["allocated_bytes.all.current"]
    assert mem.memory_reserved() >= mem.memory_allocated()
    assert mem.memory_reserved() % (2 * MiB) == 0
    assert stats["allocation.all.current"] == len(sizes)
    small = sum(r for n, r in zip(sizes, rounded) if n <= MiB)
    assert stats["allocated_bytes.small_pool.current"] == small
    peak = mem.max_memory_allocated()
    for p in ptrs:
        mem.caching_allocator_delete(p)
    assert mem.memory_allocated() == 0
    assert mem.max_memory_allocated() == peak
    assert mem.memory_reserved() > 0, "freed blocks stay cached"
    free, total = mem.mem_get_info()
    assert total == 256 * MiB and free == total - mem.memory_reserved()
    mem.empty_cache()
    assert mem.memory_reserved() == 0
    assert mem.mem_get_info() == (total, total)
    assert mem.max_memory_reserved() > 0
    assert mem.get_allocator_backend() == "native"
    mem.reset_peak_memory_stats()
    assert mem.max_memory_allocated() == 0 and mem.max_memory_reserved() == 0
    mem.reset_accumulated_memory_stats()
    assert mem.memory_stats()["allocated_bytes.all.allocated"] == 0


@cpu_only
def test_memory_stats_keys_and_nesting(fake):
    stats = mem.memory_stats()
    assert list(stats) == sorted(stats)
    for name in ("allocation", "segment", "active", "inactive_split", "allocated_bytes", "reserved_bytes",
                 "active_bytes", "inactive_split_bytes", "requested_bytes"):
        for pool in ("all", "small_pool", "large_pool"):
            for metric in ("current", "peak", "allocated", "freed"):
                assert f"{name}.{pool}.{metric}" in stats
    for key in ("num_alloc_retries", "num_ooms", "num_device_alloc", "num_device_free", "max_split_size",
                "oversize_allocations.current", "oversize_segments.peak"):
        assert key in stats
    nested = mem.memory_stats_as_nested_dict()
    assert nested["allocated_bytes"]["all"]["current"] == stats["allocated_bytes.all.current"]
    assert nested["num_ooms"] == stats["num_ooms"]


@cpu_only
def test_devices_are_separate_and_named_every_way(fake):
    p = mem.caching_allocator_alloc(5 * MiB, device=1)
    for dev in (1, "cuda:1", ts.device("cuda:1")):
        assert mem.memory_allocated(dev) == 5 * MiB
    for dev in (0, "cuda:0", ts.device("cuda", 0), None):
        assert mem.memory_allocated(dev) == 0
    mem.caching_allocator_delete(p)
    with pytest.raises(ValueError, match="Expected a cuda device"):
        mem.memory_allocated("cpu")
    with pytest.raises(RuntimeError, match="invalid device 7"):
        mem.memory_allocated(7)
    with pytest.raises(TypeError):
        mem.memory_allocated(1.5)


@cpu_only
def test_out_of_memory_message_and_recovery(fake):
    held = mem.caching_allocator_alloc(100 * MiB)
    with pytest.raises(mem.OutOfMemoryError) as info:
        mem.caching_allocator_alloc(200 * MiB)
    msg = str(info.value)
    assert isinstance(info.value, RuntimeError)
    assert msg.startswith("CUDA out of memory. Tried to allocate 200.00 MiB.")
    assert "total capacity of 256.00 MiB of which 156.00 MiB is free" in msg
    assert "100.00 MiB is allocated by tessera" in msg
    stats = mem.memory_stats()
    assert stats["num_ooms"] == 1 and stats["num_alloc_retries"] == 1
    mem.caching_allocator_delete(held)
    p = mem.caching_allocator_alloc(200 * MiB)  # the allocator keeps working
    mem.caching_allocator_delete(p)


@cpu_only
def test_memory_fraction(fake):
    with pytest.raises(TypeError, match="must be `float`"):
        mem.set_per_process_memory_fraction(1)
    for bad in (-0.5, 1.01):
        with pytest.raises(ValueError, match="Invalid fraction value"):
            mem.set_per_process_memory_fraction(bad)
    mem.set_per_process_memory_fraction(0.25)  # 64 MiB
    p = mem.caching_allocator_alloc(40 * MiB)
    with pytest.raises(mem.OutOfMemoryError, match="memory fraction allows 64.00 MiB"):
        mem.caching_allocator_alloc(40 * MiB)
    q = mem.caching_allocator_alloc(40 * MiB, device=1)  # the cap is per device
    for ptr in (p, q):
        mem.caching_allocator_delete(ptr)


@cpu_only
def test_bad_pointers_and_sizes(fake):
    with pytest.raises(RuntimeError, match="did not allocate"):
        mem.caching_allocator_delete(12345)
    with pytest.raises(TypeError):
        mem.caching_allocator_alloc(-1)
    with pytest.raises(TypeError):
        mem.caching_allocator_alloc(10, stream="s")
    assert mem.caching_allocator_alloc(0) == 0
    mem.caching_allocator_delete(0)


@cpu_only
def test_alloc_conf_errors_name_the_option():
    with pytest.raises(RuntimeError, match=r"\[TESSERA_CUDA_ALLOC_CONF\] unrecognized option 'bogus'"):
        _C._cuda_memory_use_fake_device(MiB, conf="bogus:1")
    with pytest.raises(RuntimeError, match="max_split_size_mb too small"):
        _C._cuda_memory_use_fake_device(MiB, conf="max_split_size_mb:4")
    _C._cuda_memory_use_fake_device(256 * MiB, conf="max_split_size_mb:32,garbage_collection_threshold:0.8")
    try:
        assert mem.memory_stats()["max_split_size"] == 32 * MiB
    finally:
        _C._cuda_memory_use_fake_device(None)


@cpu_only
def test_memory_summary_shows_the_stats(fake):
    ptrs = [mem.caching_allocator_alloc(3 * MiB) for _ in range(3)]
    text = mem.memory_summary()
    assert "memory summary, device ID 0" in text
    row = next(line for line in text.splitlines() if line.startswith("| Allocated memory"))
    assert "9216 KiB" in row  # 3 x 3 MiB
    row = next(line for line in text.splitlines() if line.startswith("| Allocations"))
    assert row.split("|")[2].strip() == "3"
    assert "from large pool" in text
    assert "from large pool" not in mem.memory_summary(abbreviated=True)
    assert len({len(line) for line in text.splitlines()}) == 1, "table rows line up"
    for p in ptrs:
        mem.caching_allocator_delete(p)


@cpu_only
def test_snapshot_matches_live_blocks(fake, seed):
    rng = random.Random(seed)
    live = {}
    for _ in range(60):
        if live and rng.random() < 0.4:
            p = rng.choice(list(live))
            mem.caching_allocator_delete(p)
            del live[p]
        else:
            n = rng.randrange(1, 4 * MiB)
            live[mem.caching_allocator_alloc(n, stream=rng.choice([0, 7]))] = n
    segments = mem.memory_snapshot()
    allocated = {b["address"]: b["requested_size"] for s in segments for b in s["blocks"]
                 if b["state"] == "active_allocated"}
    assert allocated == live
    assert sum(s["total_size"] for s in segments) == mem.memory_reserved()
    assert sum(s["allocated_size"] for s in segments) == mem.memory_allocated()
    for s in segments:
        assert sum(b["size"] for b in s["blocks"]) == s["total_size"]
        assert s["segment_type"] in ("small", "large") and s["stream"] in (0, 7)
    for p in live:
        mem.caching_allocator_delete(p)


@cpu_only
def test_history_ring_is_bounded_and_ordered(fake):
    mem._record_memory_history(max_entries=8)
    for _ in range(10):
        mem.caching_allocator_delete(mem.caching_allocator_alloc(4096))
    trace = mem._snapshot()["device_traces"][0]
    assert len(trace) == 8
    assert [e["seq"] for e in trace] == list(range(trace[0]["seq"], trace[0]["seq"] + 8))
    assert {e["action"] for e in trace} <= {"alloc", "free_requested", "free_completed", "segment_alloc"}
    assert all(e["size"] == 4096 for e in trace if e["action"] == "alloc")
    mem._record_memory_history(enabled=None)
    mem.caching_allocator_alloc(4096)
    assert mem._snapshot()["device_traces"][0] == []
    with pytest.raises(ValueError):
        mem._record_memory_history(enabled="yes")


@cpu_only
@pytest.mark.parametrize("fmt", ["pickle", "json"])
def test_memory_viz_draws_the_snapshot(fake, tmp_path, fmt, seed):
    rng = random.Random(seed)
    ptrs = []
    for _ in range(30):
        ptrs.append(mem.caching_allocator_alloc(rng.randrange(1, 8 * MiB), stream=rng.choice([0, 3])))
        if rng.random() < 0.5:
            mem.caching_allocator_delete(ptrs.pop(rng.randrange(len(ptrs))))
    path = tmp_path / f"snap.{fmt}"
    if fmt == "pickle":
        mem._dump_snapshot(str(path))
    else:
        path.write_text(json.dumps(mem._snapshot()))
    out = tmp_path / "out.html"
    env = _subprocess_env()
    subprocess.run([sys.executable, "-m", "tessera.cuda.memory_viz", str(path), "-o", str(out)], check=True, env=env)
    page = out.read_text()
    snap = mem._snapshot()
    allocs = sum(1 for e in snap["device_traces"][0] if e["action"] == "alloc")
    assert page.count('class="block"') == allocs
    assert page.count('class="seg-block"') == sum(len(s["blocks"]) for s in snap["segments"])
    assert "<svg" in page
    for p in ptrs:
        mem.caching_allocator_delete(p)


def test_memory_viz_rejects_bad_input(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"nope": 1}))
    env = _subprocess_env()
    r = subprocess.run([sys.executable, "-m", "tessera.cuda.memory_viz", str(bad), "-o", str(tmp_path / "o.html")],
                       capture_output=True, text=True, env=env)
    assert r.returncode != 0 and "not a memory snapshot" in r.stderr
    good = tmp_path / "good.pickle"
    good.write_bytes(pickle.dumps({"segments": [], "device_traces": []}))
    r = subprocess.run([sys.executable, "-m", "tessera.cuda.memory_viz", str(good), "-o", str(tmp_path / "o.txt")],
                       capture_output=True, text=True, env=env)
    assert r.returncode != 0 and ".html or .png" in r.stderr


def test_memory_viz_png(tmp_path):
    snap = {"segments": [{"device": 0, "address": 4096, "total_size": 2 * MiB, "segment_type": "small",
                          "blocks": [{"address": 4096, "size": 512, "state": "active_allocated"},
                                     {"address": 4608, "size": 2 * MiB - 512, "state": "inactive"}]}],
            "device_traces": [[{"action": "segment_alloc", "addr": 4096, "size": 2 * MiB, "stream": 0},
                               {"action": "alloc", "addr": 4096, "size": 512, "stream": 0}]]}
    src = tmp_path / "snap.json"
    src.write_text(json.dumps(snap))
    out = tmp_path / "out.png"
    env = _subprocess_env()
    r = subprocess.run([sys.executable, "-m", "tessera.cuda.memory_viz", str(src), "-o", str(out)],
                       capture_output=True, text=True, env=env)
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert r.returncode != 0 and "needs matplotlib" in r.stderr
    else:
        assert r.returncode == 0, r.stderr
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ---- on a GPU


@pytest.mark.cuda
@pytest.mark.skipif(not _gpu_available(), reason="needs a CUDA GPU")
class TestOnGpu:
    def test_alloc_conf_from_the_environment(self):
        code = "import tessera.cuda.memory as m; m.memory_allocated()"
        env = dict(_subprocess_env(), TESSERA_CUDA_ALLOC_CONF="max_split_size_mb:64,bogus_key:1")
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
        assert r.returncode != 0 and "unrecognized option 'bogus_key'" in r.stderr
        env["TESSERA_CUDA_ALLOC_CONF"] = "max_split_size_mb:64"
        code = "import tessera.cuda.memory as m; print(m.memory_stats()['max_split_size'])"
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
        assert r.returncode == 0 and r.stdout.strip() == str(64 * MiB), r.stderr

    def test_alloc_free_and_stats(self):
        mem.empty_cache()
        base = mem.memory_allocated()
        p = mem.caching_allocator_alloc(3 * MiB)
        assert mem.memory_allocated() == base + 3 * MiB
        assert mem.memory_reserved() >= mem.memory_allocated()
        mem.caching_allocator_delete(p)
        assert mem.memory_allocated() == base
        mem.empty_cache()
        segments = mem.memory_snapshot()
        assert sum(s["total_size"] for s in segments) == mem.memory_reserved()
        assert sum(s["allocated_size"] for s in segments) == mem.memory_allocated()

    def test_record_stream_and_history(self):
        mem._record_memory_history(max_entries=100)
        p = mem.caching_allocator_alloc(MiB, stream=0)
        _C._cuda_caching_allocator_record_stream(p, 0)  # same stream: no event needed
        mem.caching_allocator_delete(p)
        actions = [e["action"] for e in mem._snapshot()["device_traces"][0]]
        assert actions[-2:] == ["free_requested", "free_completed"]

    def test_oom_is_raised_and_recovered(self):
        with pytest.raises(mem.OutOfMemoryError, match="CUDA out of memory"):
            mem.caching_allocator_alloc(1 << 50)
        p = mem.caching_allocator_alloc(MiB)
        mem.caching_allocator_delete(p)
        assert mem.memory_stats()["num_ooms"] >= 1

    def test_fraction_cap(self):
        mem.empty_cache()
        mem.set_per_process_memory_fraction(0.01)
        try:
            with pytest.raises(mem.OutOfMemoryError, match="memory fraction"):
                mem.caching_allocator_alloc(4 << 30)
        finally:
            mem.set_per_process_memory_fraction(1.0)

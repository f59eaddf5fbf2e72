"""Memory management of the CUDA caching allocator, with torch.cuda.memory's names.

The allocator lives in C++ (csrc/cuda/allocator); these functions read its statistics and
snapshots and control its cache. In a build without CUDA they raise RuntimeError
("not compiled with CUDA"); OutOfMemoryError exists either way.
"""

import collections
import pickle
import sys
from typing import Any, Dict, List, Optional, Tuple, Union

from .. import _C

# torch.cuda.OutOfMemoryError is torch.OutOfMemoryError; likewise here.
OutOfMemoryError = _C.OutOfMemoryError

__all__ = [
    "OutOfMemoryError",
    "caching_allocator_alloc",
    "caching_allocator_delete",
    "empty_cache",
    "get_allocator_backend",
    "mem_get_info",
    "max_memory_allocated",
    "max_memory_reserved",
    "memory_allocated",
    "memory_reserved",
    "memory_snapshot",
    "memory_stats",
    "memory_stats_as_nested_dict",
    "memory_summary",
    "reset_accumulated_memory_stats",
    "reset_peak_memory_stats",
    "set_per_process_memory_fraction",
]

_Device = Union[None, int, str, Any]


def _current_device() -> int:
    from .. import cuda  # the runtime owns the current device; late import avoids a cycle

    # A CPU-only build has no runtime (its tests drive this layer over a fake device 0).
    return cuda.current_device() if cuda._compiled else 0


def _device_index(device: _Device, fn: str) -> int:
    """None -> the current device; accepts 3, "cuda", "cuda:3" and tessera.device("cuda:3")."""
    if device is None:
        return _current_device()
    if isinstance(device, bool):
        raise TypeError(f"[{fn}] expected a CUDA device, got {device!r}")
    if isinstance(device, int):
        return device
    if isinstance(device, str):
        device = _C.device(device)
    kind = getattr(device, "type", None)
    if kind is None:
        raise TypeError(f"[{fn}] expected a CUDA device (int, str or tessera.device), got {type(device).__name__}")
    if kind != "cuda":
        raise ValueError(f"[{fn}] Expected a cuda device, but got: {device}")
    index = getattr(device, "index", None)
    return _current_device() if index is None else index


def _stream_handle(stream: Any) -> int:
    if stream is None:
        from .. import cuda

        stream = cuda.current_stream() if cuda._compiled else 0
    if isinstance(stream, int):
        return stream
    handle = getattr(stream, "cuda_stream", None)
    if handle is None:
        raise TypeError(f"[caching_allocator_alloc] expected a Stream or an int handle, got {type(stream).__name__}")
    return int(handle)


def caching_allocator_alloc(size: int, device: _Device = None, stream: Any = None) -> int:
    """Allocates `size` bytes from the caching allocator; returns the address as an int."""
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise TypeError(f"[caching_allocator_alloc] size must be a non-negative int, got {size!r}")
    return _C._cuda_caching_allocator_alloc(size, _device_index(device, "caching_allocator_alloc"),
                                            _stream_handle(stream))


def caching_allocator_delete(mem_ptr: int) -> None:
    """Frees memory from caching_allocator_alloc."""
    _C._cuda_caching_allocator_delete(mem_ptr)


def empty_cache() -> None:
    """Returns every unused cached segment to the device (memory held by tensors stays)."""
    _C._cuda_empty_cache()


def mem_get_info(device: _Device = None) -> Tuple[int, int]:
    """(free, total) bytes of the device as the driver reports them; cached blocks count as used."""
    return tuple(_C._cuda_mem_get_info(_device_index(device, "mem_get_info")))


def get_allocator_backend() -> str:
    """The allocator in use: always "native" (the caching allocator; cudaMallocAsync is not offered)."""
    return "native"


def memory_stats(device: _Device = None) -> Dict[str, Any]:
    """The allocator's statistics, flat keys sorted as torch.cuda.memory_stats()."""
    stats = _C._cuda_memory_stats(_device_index(device, "memory_stats"))
    return collections.OrderedDict(sorted(stats.items()))


def memory_stats_as_nested_dict(device: _Device = None) -> Dict[str, Any]:
    nested: Dict[str, Any] = {}
    for key, value in _C._cuda_memory_stats(_device_index(device, "memory_stats")).items():
        node = nested
        *parents, leaf = key.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return nested


def reset_accumulated_memory_stats(device: _Device = None) -> None:
    _C._cuda_reset_accumulated_memory_stats(_device_index(device, "reset_accumulated_memory_stats"))


def reset_peak_memory_stats(device: _Device = None) -> None:
    _C._cuda_reset_peak_memory_stats(_device_index(device, "reset_peak_memory_stats"))


def _stat(device: _Device, key: str, fn: str) -> int:
    return _C._cuda_memory_stats(_device_index(device, fn))[key]


def memory_allocated(device: _Device = None) -> int:
    """Bytes currently held by tensors (rounded block sizes)."""
    return _stat(device, "allocated_bytes.all.current", "memory_allocated")


def max_memory_allocated(device: _Device = None) -> int:
    return _stat(device, "allocated_bytes.all.peak", "max_memory_allocated")


def memory_reserved(device: _Device = None) -> int:
    """Bytes of device memory the allocator holds (used plus cached)."""
    return _stat(device, "reserved_bytes.all.current", "memory_reserved")


def max_memory_reserved(device: _Device = None) -> int:
    return _stat(device, "reserved_bytes.all.peak", "max_memory_reserved")


def set_per_process_memory_fraction(fraction: float, device: _Device = None) -> None:
    """Caps the memory this process reserves on `device` at fraction * total; beyond it, OOM."""
    if not isinstance(fraction, float):
        raise TypeError("Invalid type for fraction argument, must be `float`")
    if fraction < 0 or fraction > 1:
        raise ValueError(f"Invalid fraction value: {fraction}. Allowed range: 0~1")
    _C._cuda_set_memory_fraction(fraction, _device_index(device, "set_per_process_memory_fraction"))


def memory_snapshot() -> List[Dict[str, Any]]:
    """Every segment of every device with its blocks (address, size, state), by address."""
    return _C._cuda_memory_snapshot()["segments"]


def _snapshot(device: _Device = None) -> Dict[str, Any]:
    """Segments plus the per-device history ring ({"segments", "device_traces"})."""
    return _C._cuda_memory_snapshot()


def _dump_snapshot(filename: str = "dump_snapshot.pickle") -> None:
    with open(filename, "wb") as f:
        pickle.dump(_snapshot(), f)


def _record_memory_history(enabled: Optional[str] = "all", context: Optional[str] = "all",
                           stacks: str = "all", max_entries: int = sys.maxsize, device: _Device = None) -> None:
    """Sizes the alloc/free history ring (kept by default, 4096 entries); enabled=None stops it.
    Python stack frames are not recorded, so context and stacks are accepted and ignored."""
    if enabled not in (None, "state", "all"):
        raise ValueError(f"[_record_memory_history] enabled must be None, 'state' or 'all', got {enabled!r}")
    _C._cuda_record_memory_history(0 if enabled is None else min(max_entries, 1 << 24))


# ---- memory_summary


def _human_bytes(n: int) -> str:
    # A 6-digit number in the largest unit that keeps it above 768 of that unit's predecessor.
    units = ["B  ", "KiB", "MiB", "GiB", "TiB", "PiB"]
    i = 0
    while abs(n) >= 768 * 1024 and i < len(units) - 1:
        n //= 1024
        i += 1
    return f"{n:6d} {units[i]}"


def _human_count(n: int) -> str:
    units = [" ", "K", "M", "G", "T"]
    i = 0
    while abs(n) >= 768 * 1000 and i < len(units) - 1:
        n //= 1000
        i += 1
    return f"{n:7d}{units[i]}"


def memory_summary(device: _Device = None, abbreviated: bool = False) -> str:
    """A table of the allocator's statistics, laid out as torch.cuda.memory_summary()."""
    index = _device_index(device, "memory_summary")
    stats = _C._cuda_memory_stats(index)
    width = 75
    rule, double = "|" + "-" * width + "|", "|" + "=" * width + "|"
    rows = [double, "|" + f"tessera CUDA memory summary, device ID {index}".center(width) + "|", rule,
            "|" + f"CUDA OOMs: {stats['num_ooms']:<13d}".center(37) + "|"
            + f"cudaMalloc retries: {stats['num_alloc_retries']:<8d}".center(37) + "|",
            double, "|        Metric         | Cur Usage  | Peak Usage | Tot Alloc  | Tot Freed  |", rule]
    metrics = [
        ("allocated_bytes", "Allocated memory", _human_bytes),
        ("active_bytes", "Active memory", _human_bytes),
        ("requested_bytes", "Requested memory", _human_bytes),
        ("reserved_bytes", "GPU reserved memory", _human_bytes),
        ("inactive_split_bytes", "Non-releasable memory", _human_bytes),
        ("allocation", "Allocations", _human_count),
        ("active", "Active allocs", _human_count),
        ("segment", "GPU reserved segments", _human_count),
        ("inactive_split", "Non-releasable allocs", _human_count),
    ]
    pools = [("all", "")] if abbreviated else [("all", ""), ("large_pool", "      from large pool"),
                                               ("small_pool", "      from small pool")]
    for key, name, fmt in metrics:
        for pool, label in pools:
            cells = [fmt(stats[f"{key}.{pool}.{m}"]) for m in ("current", "peak", "allocated", "freed")]
            rows.append(f"| {(label or name):<21} | " + " | ".join(f"{c:>10}" for c in cells) + " |")
        rows.append(rule)
    for key, name in (("oversize_allocations", "Oversize allocations"), ("oversize_segments", "Oversize GPU segments")):
        cells = [_human_count(stats[f"{key}.{m}"]) for m in ("current", "peak", "allocated", "freed")]
        rows.append(f"| {name:<21} | " + " | ".join(f"{c:>10}" for c in cells) + " |")
    rows.append(double)
    return "\n".join(rows) + "\n"

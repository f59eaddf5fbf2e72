"""Draws a caching-allocator snapshot: blocks over time, memory in use over time, and segments now.

    python -m tessera.cuda.memory_viz snapshot.pickle -o out.html
    python -m tessera.cuda.memory_viz snapshot.json -o out.png      (needs matplotlib)

The snapshot is what tessera.cuda.memory._snapshot() returns (saved with _dump_snapshot, or with
json.dump); torch.cuda.memory._snapshot() files have the same fields and work too. Only load
pickles you trust: unpickling runs code.
"""

import argparse
import html
import json
import pickle
import sys
from typing import Any, Dict, List, Optional, Tuple

_STATE_COLORS = {"active_allocated": "#4c78a8", "active_pending_free": "#f58518", "inactive": "#d9d9d9"}
_PALETTE = ["#4c78a8", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#9d755d", "#eeca3b", "#ff9da6"]


def load_snapshot(path: str) -> Dict[str, Any]:
    with open(path, "rb") as f:
        data = f.read()
    if path.endswith(".json") or data[:1] in (b"{", b"["):
        snap = json.loads(data)
    else:
        snap = pickle.loads(data)
    if isinstance(snap, list):  # memory_snapshot() output: segments only
        snap = {"segments": snap, "device_traces": []}
    if not isinstance(snap, dict) or "segments" not in snap:
        raise ValueError(f"[memory_viz] {path} is not a memory snapshot (expected a dict with 'segments')")
    snap.setdefault("device_traces", [])
    return snap


class Interval:
    """A block's life: [start, end) in event order at [addr, addr + size); pending from `freed`."""

    def __init__(self, addr: int, size: int, start: int, end: int, freed: Optional[int], stream: int):
        self.addr, self.size, self.start, self.end, self.freed, self.stream = addr, size, start, end, freed, stream


def block_intervals(trace: List[Dict[str, Any]]) -> Tuple[List[Interval], List[Tuple[int, int]], int]:
    """Replays a device trace: block lifetimes, segment address ranges, and the number of steps."""
    open_blocks: Dict[int, Tuple[int, int, int, Optional[int]]] = {}
    intervals: List[Interval] = []
    segments: List[Tuple[int, int]] = []
    for step, event in enumerate(trace):
        action, addr, size = event["action"], event["addr"], event["size"]
        if action == "alloc":
            open_blocks[addr] = (size, step, event.get("stream", 0), None)
        elif action == "free_requested":
            if addr in open_blocks:
                size0, start, stream, _ = open_blocks[addr]
                open_blocks[addr] = (size0, start, stream, step)
            else:  # allocated before the history ring starts
                open_blocks[addr] = (size, 0, event.get("stream", 0), step)
        elif action == "free_completed":
            size0, start, stream, freed = open_blocks.pop(addr, (size, 0, event.get("stream", 0), None))
            intervals.append(Interval(addr, size0, start, step + 1, freed, stream))
        elif action in ("segment_alloc", "segment_free"):
            segments.append((addr, size))
    steps = max(len(trace), 1)
    for addr, (size, start, stream, freed) in open_blocks.items():
        intervals.append(Interval(addr, size, start, steps, freed, stream))
    return intervals, segments, steps


def address_layout(ranges: List[Tuple[int, int]]) -> Tuple[List[Tuple[int, int, int]], int]:
    """Packs sparse address ranges into one axis: (start, end, offset) per merged region, and the total."""
    regions: List[List[int]] = []
    for start, size in sorted(r for r in ranges if r[1] > 0):
        if regions and start <= regions[-1][1]:
            regions[-1][1] = max(regions[-1][1], start + size)
        else:
            regions.append([start, start + size])
    layout, offset = [], 0
    for start, end in regions:
        layout.append((start, end, offset))
        offset += end - start
    return layout, max(offset, 1)


def to_axis(layout: List[Tuple[int, int, int]], addr: int) -> int:
    lo, hi = 0, len(layout) - 1
    while lo < hi:  # last region that starts at or before addr
        mid = (lo + hi + 1) // 2
        if layout[mid][0] <= addr:
            lo = mid
        else:
            hi = mid - 1
    start, _, offset = layout[lo]
    return offset + addr - start


def in_use_curve(intervals: List[Interval], steps: int) -> List[int]:
    delta = [0] * (steps + 1)
    for iv in intervals:
        delta[iv.start] += iv.size
        delta[iv.end] -= iv.size
    curve, total = [], 0
    for d in delta[:steps]:
        total += d
        curve.append(total)
    return curve


def _fmt(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


# ---- HTML / SVG


def _svg_timeline(intervals: List[Interval], segments: List[Tuple[int, int]], steps: int, width: int, height: int) -> str:
    layout, total = address_layout(segments + [(iv.addr, iv.size) for iv in intervals])
    sx, sy = width / steps, height / total
    out = [f'<svg width="{width}" height="{height}" style="border:1px solid #999;background:#fafafa">']
    for start, end, offset in layout:  # region boundaries
        out.append(f'<line x1="0" x2="{width}" y1="{offset * sy:.2f}" y2="{offset * sy:.2f}" stroke="#bbb"/>')
    for iv in intervals:
        y, h = to_axis(layout, iv.addr) * sy, max(iv.size * sy, 0.5)
        x0, x1 = iv.start * sx, iv.end * sx
        color = _PALETTE[iv.stream % len(_PALETTE)]
        tip = html.escape(f"{_fmt(iv.size)} at 0x{iv.addr:x}, stream {iv.stream}, steps {iv.start}-{iv.end}")
        xf = iv.freed * sx if iv.freed is not None else x1
        out.append(f'<rect class="block" x="{x0:.2f}" y="{y:.2f}" width="{max(xf - x0, 0.5):.2f}" height="{h:.2f}" '
                   f'fill="{color}" stroke="#333" stroke-width="0.2"><title>{tip}</title></rect>')
        if xf < x1:  # freed by the user, waiting for another stream's event
            out.append(f'<rect x="{xf:.2f}" y="{y:.2f}" width="{x1 - xf:.2f}" height="{h:.2f}" fill="{color}" '
                       f'fill-opacity="0.35"><title>{tip} (pending free)</title></rect>')
    out.append("</svg>")
    return "\n".join(out)


def _svg_curve(curve: List[int], width: int, height: int) -> str:
    peak = max(curve + [1])
    sx = width / max(len(curve), 1)
    pts = " ".join(f"{i * sx:.2f},{height - v / peak * (height - 4):.2f}" for i, v in enumerate(curve))
    return (f'<svg width="{width}" height="{height}" style="border:1px solid #999;background:#fafafa">'
            f'<polyline fill="none" stroke="#4c78a8" stroke-width="1.5" points="{pts}"/>'
            f'<text x="4" y="14" font-size="12">peak {_fmt(peak)}</text></svg>')


def _svg_segments(segments: List[Dict[str, Any]], width: int) -> str:
    if not segments:
        return "<p>No segments are held.</p>"
    row, largest = 22, max(s["total_size"] for s in segments)
    out = [f'<svg width="{width}" height="{row * len(segments) + 4}">']
    for i, seg in enumerate(segments):
        y, scale = i * row + 2, (width - 260) / largest
        out.append(f'<text x="0" y="{y + 14}" font-size="11">dev {seg["device"]} 0x{seg["address"]:x} '
                   f'{_fmt(seg["total_size"])} {seg.get("segment_type", "")}</text>')
        for b in seg["blocks"]:
            x = 260 + (b["address"] - seg["address"]) * scale
            tip = html.escape(f'{b["state"]}: {_fmt(b["size"])} at 0x{b["address"]:x}')
            out.append(f'<rect class="seg-block" x="{x:.2f}" y="{y}" width="{max(b["size"] * scale, 0.5):.2f}" '
                       f'height="{row - 6}" fill="{_STATE_COLORS.get(b["state"], "#999")}" stroke="#fff" '
                       f'stroke-width="0.5"><title>{tip}</title></rect>')
    out.append("</svg>")
    return "\n".join(out)


def render_html(snap: Dict[str, Any], width: int = 1200) -> str:
    parts = ["<!doctype html><html><head><meta charset='utf-8'><title>tessera memory snapshot</title>",
             "<style>body{font-family:sans-serif;margin:20px} h2{margin-top:28px}</style></head><body>",
             "<h1>CUDA caching allocator snapshot</h1>"]
    for device, trace in enumerate(snap["device_traces"]):
        if not trace:
            continue
        intervals, segs, steps = block_intervals(trace)
        parts.append(f"<h2>Device {device}: blocks over time ({len(trace)} events; x = event, y = address, "
                     "colour = stream, faded = freed but waiting for another stream)</h2>")
        parts.append(_svg_timeline(intervals, segs, steps, width, 500))
        parts.append(f"<h2>Device {device}: memory in use over time</h2>")
        parts.append(_svg_curve(in_use_curve(intervals, steps), width, 160))
    parts.append("<h2>Segments now (blue: allocated, orange: pending free, grey: free)</h2>")
    parts.append(_svg_segments(snap["segments"], width))
    parts.append("</body></html>")
    return "\n".join(parts)


# ---- PNG


def render_png(snap: Dict[str, Any], path: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.patches import Rectangle
    except ImportError:
        raise SystemExit("[memory_viz] PNG output needs matplotlib (pip install matplotlib); "
                         "write an .html file instead") from None
    traces = [(d, t) for d, t in enumerate(snap["device_traces"]) if t]
    fig, axes = plt.subplots(max(len(traces), 1) + 1, 1, figsize=(14, 5 * (len(traces) + 1)), squeeze=False)
    for ax, (device, trace) in zip(axes[:, 0], traces):
        intervals, segs, steps = block_intervals(trace)
        layout, total = address_layout(segs + [(iv.addr, iv.size) for iv in intervals])
        for iv in intervals:
            y = to_axis(layout, iv.addr)
            ax.add_patch(Rectangle((iv.start, y), iv.end - iv.start, iv.size,
                                   color=_PALETTE[iv.stream % len(_PALETTE)], alpha=0.8))
        ax.set_xlim(0, steps)
        ax.set_ylim(0, total)
        ax.set_title(f"device {device}: blocks over time")
        ax.set_xlabel("event")
        ax.set_ylabel("address (packed)")
    ax = axes[-1, 0]
    for i, seg in enumerate(snap["segments"]):
        for b in seg["blocks"]:
            ax.add_patch(Rectangle((b["address"] - seg["address"], i), b["size"], 0.8,
                                   color=_STATE_COLORS.get(b["state"], "#999")))
    ax.set_xlim(0, max([s["total_size"] for s in snap["segments"]] + [1]))
    ax.set_ylim(0, max(len(snap["segments"]), 1))
    ax.set_title("segments now")
    fig.tight_layout()
    fig.savefig(path)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tessera.cuda.memory_viz", description=__doc__.splitlines()[0])
    parser.add_argument("snapshot", help="a .pickle or .json snapshot")
    parser.add_argument("-o", "--output", required=True, help="out.html or out.png")
    args = parser.parse_args(argv)
    snap = load_snapshot(args.snapshot)
    if args.output.endswith(".png"):
        render_png(snap, args.output)
    elif args.output.endswith((".html", ".htm")):
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(render_html(snap))
    else:
        parser.error("the output must end in .html or .png")
    return 0


if __name__ == "__main__":
    sys.exit(main())

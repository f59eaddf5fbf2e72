"""Shared helpers of tessera.datasets: the default data root, checksummed downloads, IDX files."""
from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tempfile
import urllib.request
import zlib
from pathlib import Path

import numpy as np


def default_root() -> str:
    """``$TESSERA_DATA`` if set, else ``../shared/data`` next to the repository when it exists, else ``./data``."""
    env = os.environ.get("TESSERA_DATA")
    if env:
        return env
    repo = Path(__file__).resolve().parents[3]
    for cand in (repo.parent / "shared" / "data", repo / ".." / ".." / "shared" / "data"):
        if cand.is_dir():
            return str(cand.resolve())
    return "data"


def resolve_root(root) -> Path:
    return Path(default_root() if root is None else os.fspath(root)).expanduser()


def md5sum(path, chunk=1 << 20) -> str:
    h = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def download_url(url: str, dest: Path, md5: str | None, op: str) -> Path:
    """Fetch ``url`` to ``dest`` (via a temporary file, renamed once the checksum matches)."""
    dest = Path(dest)
    if dest.exists() and (md5 is None or md5sum(dest) == md5):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix="." + dest.name + ".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as resp:
            shutil.copyfileobj(resp, out)
        if md5 is not None:
            got = md5sum(tmp)
            if got != md5:
                raise RuntimeError(f"[{op}] checksum mismatch for {url}: expected md5 {md5}, got {got}")
        os.replace(tmp, dest)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return dest


_IDX_TYPES = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
              0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def read_maybe_gzip(path, op: str) -> bytes:
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as e:
            raise ValueError(f"[{op}] {path}: corrupt or truncated gzip data ({e})") from None
    return raw


def read_idx(path, op: str, expect_ndim: int | None = None) -> np.ndarray:
    """An IDX file (raw or gzip): magic 0x0000 <type> <ndim>, ndim big-endian uint32 sizes, then the data.
    Every field is checked: the data must be exactly as long as the sizes say."""
    data = read_maybe_gzip(path, op)
    if len(data) < 4:
        raise ValueError(f"[{op}] {path}: too short for an IDX header ({len(data)} bytes)")
    if data[0] != 0 or data[1] != 0:
        raise ValueError(f"[{op}] {path}: not an IDX file (bad magic {data[:4].hex()})")
    type_code, ndim = data[2], data[3]
    if type_code not in _IDX_TYPES:
        raise ValueError(f"[{op}] {path}: unknown IDX element type 0x{type_code:02x}")
    if ndim == 0 or (expect_ndim is not None and ndim != expect_ndim):
        raise ValueError(f"[{op}] {path}: expected an IDX file of {expect_ndim} dimensions, got {ndim}")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"[{op}] {path}: truncated IDX header")
    shape = tuple(int(x) for x in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dt = _IDX_TYPES[type_code]
    expected = int(np.prod(shape, dtype=object)) * dt.itemsize
    if len(data) - header != expected:
        raise ValueError(f"[{op}] {path}: IDX sizes {shape} need {expected} data bytes, the file has "
                         f"{len(data) - header}")
    return np.frombuffer(data, dtype=dt, offset=header).reshape(shape).astype(dt.newbyteorder("="), copy=False)

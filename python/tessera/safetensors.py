"""The safetensors format (https://github.com/huggingface/safetensors), as in ``safetensors.torch``.

A file is an 8-byte little-endian header length, a JSON header
``{"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, "__metadata__": {...}}``
and the raw little-endian tensor data. The parser (csrc/io/safetensors.cpp) validates every byte of
the header and every offset; malformed or truncated input raises ``ValueError`` starting ``[load]``.
Supported dtypes: BOOL, U8, I8, I16, I32, I64, F16, BF16, F32, F64.
"""
from __future__ import annotations

import mmap
import os
import tempfile

from . import _C
from ._C import Tensor

__all__ = ["save", "load", "save_file", "load_file"]


def _check_tensors(tensors, op):
    if not isinstance(tensors, dict):
        raise TypeError(f"[{op}] expected a dict of str -> Tensor (got {type(tensors).__name__})")
    items = []
    for k, v in tensors.items():
        if not isinstance(k, str):
            raise TypeError(f"[{op}] tensor names must be str (got {type(k).__name__})")
        if not isinstance(v, Tensor):
            raise TypeError(f"[{op}] value for \"{k}\" must be a Tensor (got {type(v).__name__})")
        items.append((k, v.detach() if v.requires_grad else v))
    return items


def _check_metadata(metadata, op):
    if metadata is None:
        return None
    if not isinstance(metadata, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise TypeError(f"[{op}] metadata must be a dict of str -> str")
    return list(metadata.items())


def save(tensors: dict, metadata: dict | None = None) -> bytes:
    """Serialize a dict of tensors to safetensors bytes (non-contiguous tensors are written contiguously)."""
    return _C._safetensors_serialize(_check_tensors(tensors, "save"), _check_metadata(metadata, "save"))


def load(data) -> dict:
    """Parse safetensors bytes (any bytes-like object) into a dict of contiguous CPU tensors."""
    items, _ = _C._safetensors_deserialize(data)
    return dict(items)


def _atomic_write(path, data: bytes):
    """Write to a temporary file in the same directory, fsync it, then rename over ``path``."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


def save_file(tensors: dict, filename, metadata: dict | None = None) -> None:
    """Save a dict of tensors to ``filename`` atomically (temporary file + fsync + rename)."""
    _atomic_write(filename, save(tensors, metadata))


def _read(filename):
    """Items and metadata of a file; the file is memory-mapped while parsing (the tensors are copies)."""
    with open(filename, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size == 0:
            return _C._safetensors_deserialize(b"")
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            return _C._safetensors_deserialize(mm)


def load_file(filename, device="cpu") -> dict:
    """Load a safetensors file into a dict of contiguous tensors."""
    items, _ = _read(filename)
    out = dict(items)
    if str(device) != "cpu":
        out = {k: v.to(device) for k, v in out.items()}
    return out


def load_metadata(filename) -> dict | None:
    """The ``__metadata__`` of a safetensors file (None when it has none)."""
    return _read(filename)[1]

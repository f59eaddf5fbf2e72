"""``tessera.save`` / ``tessera.load``: tensors and state dicts in the safetensors format, and pickling.

``save(obj, f)`` accepts a Tensor, or a dict of str -> Tensor whose values may themselves be such
dicts (nested state dicts are flattened with '.', as ``state_dict()`` keys are). A plain tensor is
stored under the key ``"tensor"``; the header's ``__metadata__`` records which it was
(``{"format": "tessera", "tessera.kind": "tensor" | "dict"}``), so ``load`` gives back a Tensor or a
flat dict. ``load(f, unflatten=True)`` rebuilds the nesting from the dotted keys. Files written by
other safetensors writers load as flat dicts. ``f`` is a path or a binary file object; writes to a
path are atomic (temporary file, fsync, rename).

Tensors also pickle (``Tensor.__reduce__``): dtype, shape and the raw bytes (bfloat16 included),
which is how DataLoader workers send batches back.
"""
from __future__ import annotations

import os

from . import _C
from . import safetensors as _st
from ._C import Tensor

__all__ = ["save", "load"]

_TENSOR_KEY = "tensor"
_KIND = "tessera.kind"


def _flatten(obj, prefix, out):
    for k, v in obj.items():
        if not isinstance(k, str):
            raise TypeError(f"[save] state dict keys must be str (got {type(k).__name__})")
        key = prefix + k
        if isinstance(v, Tensor):
            if key in out:
                raise ValueError(f"[save] key \"{key}\" appears twice after flattening nested dicts")
            out[key] = v
        elif isinstance(v, dict):
            _flatten(v, key + ".", out)
        else:
            raise TypeError(f"[save] value for \"{key}\" must be a Tensor or a dict of tensors "
                            f"(got {type(v).__name__})")
    return out


def _unflatten(flat):
    out = {}
    for key, v in flat.items():
        parts = key.split(".")
        node = out
        for p in parts[:-1]:
            nxt = node.setdefault(p, {})
            if not isinstance(nxt, dict):
                raise ValueError(f"[load] can't unflatten: \"{key}\" nests under a tensor key")
            node = nxt
        if parts[-1] in node:
            raise ValueError(f"[load] can't unflatten: \"{key}\" is both a tensor and a prefix")
        node[parts[-1]] = v
    return out


def save(obj, f, metadata: dict | None = None) -> None:
    """Save a Tensor or a (nested) str-keyed dict of tensors to ``f`` (path or binary file) as safetensors."""
    meta = {"format": "tessera"}
    if isinstance(obj, Tensor):
        tensors = {_TENSOR_KEY: obj}
        meta[_KIND] = "tensor"
    elif isinstance(obj, dict):
        tensors = _flatten(obj, "", {})
        meta[_KIND] = "dict"
    else:
        raise TypeError(f"[save] expected a Tensor or a dict of tensors (got {type(obj).__name__})")
    if metadata:
        meta.update(metadata)
    data = _st.save(tensors, meta)
    if hasattr(f, "write"):
        f.write(data)
    else:
        _st._atomic_write(f, data)


def load(f, map_location=None, *, unflatten: bool = False, weights_only: bool = True):
    """Load what ``save`` wrote (or any safetensors file): a Tensor, or a flat dict of tensors
    (nested again with ``unflatten=True``)."""
    if hasattr(f, "read"):
        items, meta = _C._safetensors_deserialize(f.read())
    else:
        items, meta = _st._read(os.fspath(f))
    out = dict(items)
    if map_location is not None and str(map_location) != "cpu":
        out = {k: v.to(map_location) for k, v in out.items()}
    if meta and meta.get(_KIND) == "tensor":
        if _TENSOR_KEY not in out or len(out) != 1:
            raise ValueError("[load] file says it holds one tensor but holds " + ", ".join(map(repr, out)))
        return out[_TENSOR_KEY]
    return _unflatten(out) if unflatten else out


# ---- pickling
def _rebuild_tensor(data, dtype_name, shape, requires_grad=False):
    import tessera
    t = _C._tensor_from_bytes(data, getattr(tessera, dtype_name), list(shape))
    if requires_grad:
        t.requires_grad_(True)
    return t


def _tensor_reduce(self):
    t = self.detach()
    return (_rebuild_tensor, (_C._tensor_to_bytes(t), str(self.dtype).split(".")[-1], tuple(self.shape),
                              bool(self.requires_grad)))


Tensor.__reduce__ = _tensor_reduce

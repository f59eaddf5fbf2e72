"""default_collate / default_convert (torch.utils.data._utils.collate)."""
from __future__ import annotations

import collections.abc
import numbers

import numpy as np

import tessera as ts


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(x, "_fields")


def default_convert(data):
    """NumPy arrays -> tensors, recursively through mappings and sequences (used when batch_size=None)."""
    if isinstance(data, ts.Tensor):
        return data
    if isinstance(data, np.ndarray) and data.dtype.kind in "biufc":
        return ts.from_numpy(np.ascontiguousarray(data))
    if isinstance(data, np.generic) and data.dtype.kind in "biuf":
        return ts.tensor(data.item())
    if isinstance(data, collections.abc.Mapping):
        return type(data)({k: default_convert(v) for k, v in data.items()}) if type(data) is not dict else {
            k: default_convert(v) for k, v in data.items()}
    if _is_namedtuple(data):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return [default_convert(d) for d in data]
    return data


def default_collate(batch):
    """Merge a list of samples into a batch: tensors are stacked (``ts.stack``) along a new first
    dimension, NumPy arrays likewise, Python floats give float64 tensors, ints int64, bools bool,
    strings stay a list; tuples/lists are collated per position (tuples give a list, as in PyTorch),
    dicts per key, namedtuples keep their type."""
    if not isinstance(batch, collections.abc.Sequence) or len(batch) == 0:
        raise TypeError(f"[default_collate] expected a non-empty list of samples (got {type(batch).__name__})")
    elem = batch[0]
    if isinstance(elem, ts.Tensor):
        return ts.stack(list(batch), 0)
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind not in "biuf":
            raise TypeError(f"[default_collate] can't collate NumPy arrays of dtype {elem.dtype}")
        return ts.stack([ts.from_numpy(np.ascontiguousarray(b)) for b in batch], 0)
    if isinstance(elem, np.generic) and elem.dtype.kind in "biuf":
        return ts.from_numpy(np.array(batch))
    if isinstance(elem, bool):
        return ts.tensor(list(batch), dtype=ts.bool)
    if isinstance(elem, numbers.Integral):
        return ts.tensor(list(batch), dtype=ts.int64)
    if isinstance(elem, float):
        return ts.tensor(list(batch), dtype=ts.float64)
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        out = {k: default_collate([d[k] for d in batch]) for k in elem}
        if type(elem) is not dict:
            try:
                return type(elem)(out)
            except TypeError:
                pass
        return out
    if _is_namedtuple(elem):
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(b) != size for b in batch):
            raise RuntimeError("[default_collate] each element in list of batch should be of equal size")
        transposed = [default_collate(list(s)) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return transposed
        try:
            return type(elem)(transposed)
        except TypeError:
            return transposed
    raise TypeError("[default_collate] default_collate: batch must contain tensors, numpy arrays, numbers, dicts "
                    f"or lists; found {type(elem)}")

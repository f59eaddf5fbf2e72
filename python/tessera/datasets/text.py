"""TextCorpus: a character- or byte-level language-modelling corpus (e.g. tinyshakespeare)."""
from __future__ import annotations

import os

import numpy as np

import tessera as ts

from ..utils.data import Dataset


class TextCorpus(Dataset):
    """``TextCorpus(path, block_size, level='char')``.

    ``level='char'``: the vocabulary is the sorted set of characters of the (UTF-8) text;
    ``level='byte'``: the 256 byte values. ``data`` is the whole corpus as an int64 tensor of token
    ids; item ``i`` is ``(x, y)`` with ``x = data[i:i+block_size]`` and ``y = data[i+1:i+block_size+1]``
    (the next-token targets), so there are ``len(data) - block_size`` items.
    ``encode(str) -> list[int]``, ``decode(ids) -> str`` (ids: a list or a tensor).
    """

    def __init__(self, path, block_size: int, level: str = "char"):
        if level not in ("char", "byte"):
            raise ValueError(f"[TextCorpus] level must be 'char' or 'byte' (got {level!r})")
        if not isinstance(block_size, int) or isinstance(block_size, bool) or block_size <= 0:
            raise ValueError(f"[TextCorpus] block_size must be a positive int (got {block_size!r})")
        self.path = os.fspath(path)
        self.block_size = block_size
        self.level = level
        with open(self.path, "rb") as f:
            raw = f.read()
        if level == "byte":
            self.vocab = [bytes([i]) for i in range(256)]
            ids = np.frombuffer(raw, dtype=np.uint8).astype(np.int64)
        else:
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise ValueError(f"[TextCorpus] {self.path} is not valid UTF-8 ({e}); use level='byte'") from None
            codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
            uniq = np.unique(codes)
            self.vocab = [chr(c) for c in uniq.tolist()]
            ids = np.searchsorted(uniq, codes).astype(np.int64)
        self.stoi = {s: i for i, s in enumerate(self.vocab)}
        self.itos = dict(enumerate(self.vocab))
        if ids.size <= block_size:
            raise ValueError(f"[TextCorpus] {self.path} has {ids.size} tokens, needs more than block_size={block_size}")
        self.data = ts.from_numpy(ids)

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def encode(self, s) -> list:
        if self.level == "byte":
            return list(s.encode("utf-8") if isinstance(s, str) else bytes(s))
        try:
            return [self.stoi[c] for c in s]
        except KeyError as e:
            raise ValueError(f"[TextCorpus] character {e.args[0]!r} is not in the vocabulary") from None

    def decode(self, ids) -> str:
        if isinstance(ids, ts.Tensor):
            ids = ids.tolist()
        if self.level == "byte":
            return bytes(ids).decode("utf-8", errors="replace")
        try:
            return "".join(self.vocab[i] for i in ids)
        except (IndexError, TypeError):
            raise ValueError(f"[TextCorpus] ids must be ints in [0, {len(self.vocab)})") from None

    def __len__(self):
        return self.data.shape[0] - self.block_size

    def __getitem__(self, index: int):
        n = len(self)
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError(f"[TextCorpus] index out of range for a corpus of {n} blocks")
        chunk = self.data[index:index + self.block_size + 1]
        return chunk[:-1].contiguous(), chunk[1:].contiguous()

"""CIFAR-10, read from the *binary version* (cifar-10-batches-bin/): records of 1 label byte and
3,072 pixel bytes (1,024 R, then G, then B, each 32x32 row-major)."""
from __future__ import annotations

import tarfile
from pathlib import Path

import numpy as np

import tessera as ts

from ..utils.data import Dataset
from ._utils import download_url, resolve_root

_RECORD = 1 + 3 * 32 * 32


class CIFAR10(Dataset):
    """``CIFAR10(root=None, train=True, transform=None, target_transform=None, download=False)``.

    ``root`` is a folder holding ``cifar-10-batches-bin/`` (as the official archive unpacks), or a
    folder holding the ``.bin`` batch files directly. ``train=True`` reads ``data_batch_1.bin`` ..
    ``data_batch_5.bin`` (those present: subsets ship fewer), ``train=False`` reads
    ``test_batch.bin``. Items are ``(image, label)``: a uint8 tensor of shape (3, 32, 32) and an int.
    ``root=None`` uses the default data root (tessera.datasets.default_root()), also looking in its
    ``cifar10*`` subfolders. ``download=True`` fetches and checks the official archive.
    """

    url = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
    tgz_md5 = "c32a1d4ab5d03f1284b67883e8d87530"
    base_folder = "cifar-10-batches-bin"
    train_list = [f"data_batch_{i}.bin" for i in range(1, 6)]
    test_list = ["test_batch.bin"]
    classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

    def __init__(self, root=None, train: bool = True, transform=None, target_transform=None, download: bool = False):
        self.root = resolve_root(root)
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        names = self.train_list if train else self.test_list
        if download and not self._find(names, self._candidates(self.root)):
            self.download()
        folder, files = self._find(names, self._candidates(self.root)) or (None, [])
        if not files:
            raise RuntimeError(f"[CIFAR10] no CIFAR-10 {'training' if train else 'test'} batch files "
                               f"({', '.join(names)}) found in {self.root} or {self.root / self.base_folder}; "
                               "pass root=<folder with the .bin files> or download=True")
        self.folder = folder
        records = []
        for f in files:
            raw = np.fromfile(f, dtype=np.uint8)
            if raw.size == 0 or raw.size % _RECORD:
                raise ValueError(f"[CIFAR10] {f}: {raw.size} bytes is not a whole number of {_RECORD}-byte records")
            records.append(raw.reshape(-1, _RECORD))
        rec = np.concatenate(records) if len(records) > 1 else records[0]
        labels = rec[:, 0]
        if labels.size and labels.max() >= 10:
            raise ValueError(f"[CIFAR10] label {int(labels.max())} out of range [0, 10) in {folder}")
        self.targets = labels.astype(np.int64).tolist()
        self._images = np.ascontiguousarray(rec[:, 1:]).reshape(-1, 3, 32, 32)
        self.data = ts.from_numpy(self._images)  # N x 3 x 32 x 32 uint8, shares memory
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

    @classmethod
    def _candidates(cls, root: Path):
        cands = [root / cls.base_folder, root]
        if root.is_dir():
            cands += sorted(p for p in root.glob("cifar10*") if p.is_dir())
            cands += sorted(p / cls.base_folder for p in root.glob("cifar10*") if (p / cls.base_folder).is_dir())
        return cands

    @staticmethod
    def _find(names, candidates):
        for folder in candidates:
            files = [folder / n for n in names if (folder / n).is_file()]
            if files:
                return folder, files
        return None

    def download(self):
        self.root.mkdir(parents=True, exist_ok=True)
        archive = download_url(self.url, self.root / "cifar-10-binary.tar.gz", self.tgz_md5, "CIFAR10")
        with tarfile.open(archive, "r:gz") as tar:
            try:
                tar.extractall(self.root, filter="data")  # refuses absolute paths and '..' members
            except TypeError:  # Python without extraction filters
                tar.extractall(self.root)

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, index: int):
        img = ts.from_numpy(self._images[index].copy())
        target = self.targets[index]
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __repr__(self):
        return f"Dataset CIFAR10\n    Number of datapoints: {len(self)}\n    Root location: {self.folder}\n" \
               f"    Split: {'Train' if self.train else 'Test'}"

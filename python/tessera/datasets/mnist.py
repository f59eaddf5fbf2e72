"""MNIST and Fashion-MNIST from the standard IDX files (gzip-compressed or raw)."""
from __future__ import annotations

from pathlib import Path

import tessera as ts

from ..utils.data import Dataset
from ._utils import download_url, read_idx, resolve_root


class MNIST(Dataset):
    """``MNIST(root=None, train=True, transform=None, target_transform=None, download=False)``.

    Reads ``train-images-idx3-ubyte`` / ``train-labels-idx1-ubyte`` (or ``t10k-*`` for
    ``train=False``), each raw or with ``.gz``, from ``root``, ``root/<ClassName>/raw`` (torchvision's
    layout) or ``root/<folder_name>``. Items are ``(image, label)``: a uint8 tensor of shape
    (1, 28, 28) (channel-first, like CIFAR10) and an int. ``data`` is the N x 28 x 28 uint8 tensor,
    ``targets`` the int64 labels. ``download=True`` fetches the files and checks their md5.
    """

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"]
    resources = [("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
                 ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
                 ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
                 ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c")]
    folder_names = ["mnist", "MNIST"]
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven",
               "8 - eight", "9 - nine"]

    def __init__(self, root=None, train: bool = True, transform=None, target_transform=None, download: bool = False):
        self.root = resolve_root(root)
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        op = type(self).__name__
        prefix = "train" if train else "t10k"
        names = (f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte")
        found = self._find(names)
        if found is None and download:
            self.download()
            found = self._find(names)
        if found is None:
            raise RuntimeError(f"[{op}] dataset not found: expected {names[0]}(.gz) and {names[1]}(.gz) in "
                               f"{self.root}, {self.raw_folder} or {self.root}/{{{','.join(self.folder_names)}}}; "
                               "pass root=<folder with the files> or download=True")
        images = read_idx(found[0], op, expect_ndim=3)
        labels = read_idx(found[1], op, expect_ndim=1)
        if images.dtype.itemsize != 1 or labels.dtype.itemsize != 1:
            raise ValueError(f"[{op}] expected unsigned byte IDX files")
        if images.shape[0] != labels.shape[0]:
            raise ValueError(f"[{op}] {images.shape[0]} images but {labels.shape[0]} labels")
        if labels.size and int(labels.max()) >= len(self.classes):
            raise ValueError(f"[{op}] label {int(labels.max())} out of range [0, {len(self.classes)})")
        self._images = images
        self.data = ts.from_numpy(images.copy())
        self.targets = ts.from_numpy(labels.astype("int64"))
        self._labels = labels.astype("int64").tolist()
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

    @property
    def raw_folder(self) -> Path:
        return self.root / type(self).__name__ / "raw"

    def _find(self, names):
        for folder in [self.root, self.raw_folder] + [self.root / f for f in self.folder_names]:
            paths = []
            for n in names:
                p = next((folder / (n + ext) for ext in ("", ".gz") if (folder / (n + ext)).is_file()), None)
                paths.append(p)
            if all(paths):
                return paths
        return None

    def download(self):
        self.raw_folder.mkdir(parents=True, exist_ok=True)
        for name, md5 in self.resources:
            errors = []
            for mirror in self.mirrors:
                try:
                    download_url(mirror + name, self.raw_folder / name, md5, type(self).__name__)
                    break
                except Exception as e:  # try the next mirror
                    errors.append(f"{mirror}: {e}")
            else:
                raise RuntimeError(f"[{type(self).__name__}] could not download {name}: " + "; ".join(errors))

    def __len__(self):
        return len(self._labels)

    def __getitem__(self, index: int):
        img = ts.from_numpy(self._images[index].copy()).unsqueeze(0)
        target = self._labels[index]
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target


class FashionMNIST(MNIST):
    """Fashion-MNIST: the MNIST format with 10 classes of clothing (see MNIST for the arguments)."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
                 ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
                 ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
                 ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310")]
    folder_names = ["fashion-mnist", "FashionMNIST", "fashion_mnist"]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]

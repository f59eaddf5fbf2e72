"""tessera.datasets on the real files in ../shared/data (read-only, never copied) and on small
synthetic files written by the tests. No network."""
import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

import tessera as ts
from tessera.datasets import CIFAR10, MNIST, FashionMNIST, TextCorpus
from tessera.utils.data import DataLoader

import os  # noqa: E402

# TESSERA_DATA, else this workplace's shared data, else the repository's sibling ../shared/data
# (as tessera.datasets.default_root() looks; a clone elsewhere still finds the workplace copy).
DATA = Path(os.environ.get("TESSERA_DATA") or "/work/shared/data")
if not DATA.is_dir():
    DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


# ---- CIFAR-10 (binary version)
def test_cifar10_real_catsdogs():
    folder = DATA / "cifar10-catsdogs"
    train = CIFAR10(folder, train=True)
    test = CIFAR10(str(folder), train=False)
    assert len(train) == 1600 and len(test) == 400
    assert set(train.targets) == {3, 5} and set(test.targets) == {3, 5}
    img, label = train[7]
    assert img.dtype == ts.uint8 and tuple(img.shape) == (3, 32, 32) and isinstance(label, int)
    raw = np.fromfile(folder / "data_batch_1.bin", dtype=np.uint8).reshape(-1, 3073)
    assert label == raw[7, 0]
    assert np.array_equal(img.numpy(), raw[7, 1:].reshape(3, 32, 32))
    last_img, last_label = test[-1]
    raw_t = np.fromfile(folder / "test_batch.bin", dtype=np.uint8).reshape(-1, 3073)
    assert last_label == raw_t[-1, 0] and np.array_equal(last_img.numpy(), raw_t[-1, 1:].reshape(3, 32, 32))
    assert train.classes[3] == "cat" and train.classes[5] == "dog"
    # transform + DataLoader
    ds = CIFAR10(folder, train=False, transform=lambda x: x.float() / 255)
    x, y = next(iter(DataLoader(ds, batch_size=16, shuffle=True, generator=ts.Generator().manual_seed(0))))
    assert tuple(x.shape) == (16, 3, 32, 32) and x.dtype == ts.float32 and y.dtype == ts.int64
    assert 0.0 <= x.min().item() and x.max().item() <= 1.0


def write_cifar(folder: Path, name: str, labels, rng):
    folder.mkdir(parents=True, exist_ok=True)
    rec = np.zeros((len(labels), 3073), dtype=np.uint8)
    rec[:, 0] = labels
    rec[:, 1:] = rng.integers(0, 256, (len(labels), 3072), dtype=np.uint8)
    rec.tofile(folder / name)
    return rec


def test_cifar10_synthetic_layouts_and_errors(tmp_path, seed):
    rng = np.random.default_rng(seed)
    base = tmp_path / "root" / "cifar-10-batches-bin"
    recs = [write_cifar(base, f"data_batch_{i}.bin", [i, 9 - i], rng) for i in (1, 2, 5)]
    ds = CIFAR10(tmp_path / "root", train=True)  # the official layout; missing batches are skipped
    assert len(ds) == 6 and ds.targets == [1, 8, 2, 7, 5, 4]
    assert np.array_equal(ds[5][0].numpy(), recs[2][1, 1:].reshape(3, 32, 32))
    with pytest.raises(RuntimeError, match=r"\[CIFAR10\].*test_batch"):
        CIFAR10(tmp_path / "root", train=False)
    with pytest.raises(RuntimeError, match=r"\[CIFAR10\].*download=True"):
        CIFAR10(tmp_path / "nothing", train=True, download=False)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "test_batch.bin").write_bytes(b"\0" * 3000)
    with pytest.raises(ValueError, match=r"\[CIFAR10\].*records"):
        CIFAR10(bad, train=False)
    write_cifar(bad, "test_batch.bin", [10], rng)
    with pytest.raises(ValueError, match=r"\[CIFAR10\].*label 10"):
        CIFAR10(bad, train=False)


# ---- MNIST / Fashion-MNIST (IDX)
def test_fashion_mnist_real():
    train = FashionMNIST(DATA / "fashion-mnist", train=True)
    test = FashionMNIST(DATA / "fashion-mnist", train=False)
    assert len(train) == 60000 and len(test) == 10000
    img, label = train[0]
    assert img.dtype == ts.uint8 and tuple(img.shape) == (1, 28, 28) and label == 9  # ankle boot
    assert tuple(train.data.shape) == (60000, 28, 28) and train.targets.dtype == ts.int64
    counts = np.bincount(test.targets.numpy(), minlength=10)
    assert counts.tolist() == [1000] * 10
    with gzip.open(DATA / "fashion-mnist" / "t10k-images-idx3-ubyte.gz") as f:
        raw = np.frombuffer(f.read(), dtype=np.uint8, offset=16).reshape(-1, 28, 28)
    assert np.array_equal(test[123][0].numpy()[0], raw[123])


def idx_bytes(arr: np.ndarray, type_code=0x08):
    return struct.pack(">BBBB", 0, 0, type_code, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape) + arr.tobytes()


@pytest.mark.parametrize("compress", [False, True])
def test_mnist_synthetic(tmp_path, seed, compress):
    rng = np.random.default_rng(seed)
    imgs = rng.integers(0, 256, (5, 28, 28), dtype=np.uint8)
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    raw = tmp_path / "MNIST" / "raw"  # torchvision's layout
    raw.mkdir(parents=True)
    for name, arr in (("t10k-images-idx3-ubyte", imgs), ("t10k-labels-idx1-ubyte", labels)):
        data = idx_bytes(arr)
        if compress:
            (raw / (name + ".gz")).write_bytes(gzip.compress(data))
        else:
            (raw / name).write_bytes(data)
    ds = MNIST(tmp_path, train=False, transform=lambda x: x.float())
    assert len(ds) == 5 and ds[2][1] == 4 and ds[2][0].dtype == ts.float32
    assert np.array_equal(ds[4][0].numpy()[0], imgs[4].astype(np.float32))
    with pytest.raises(RuntimeError, match=r"\[MNIST\].*download=True"):
        MNIST(tmp_path, train=True, download=False)


@pytest.mark.parametrize("case", ["magic", "type", "ndim", "truncated_header", "short_data", "long_data",
                                  "count_mismatch", "bad_gzip", "empty"])
def test_idx_validation(tmp_path, case):
    imgs = np.zeros((2, 28, 28), dtype=np.uint8)
    labels = np.zeros(2, dtype=np.uint8)
    img_b, lab_b = idx_bytes(imgs), idx_bytes(labels)
    if case == "magic":
        img_b = b"\x01" + img_b[1:]
    elif case == "type":
        img_b = img_b[:2] + b"\x07" + img_b[3:]
    elif case == "ndim":
        img_b = idx_bytes(imgs.reshape(2, 784))
    elif case == "truncated_header":
        img_b = img_b[:9]
    elif case == "short_data":
        img_b = img_b[:-1]
    elif case == "long_data":
        img_b = img_b + b"\0"
    elif case == "count_mismatch":
        lab_b = idx_bytes(np.zeros(3, dtype=np.uint8))
    elif case == "empty":
        img_b = b""
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(
        gzip.compress(img_b)[:-6] if case == "bad_gzip" else gzip.compress(img_b))
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(lab_b)
    with pytest.raises(ValueError, match=r"^\[FashionMNIST\]"):
        FashionMNIST(tmp_path, train=True)


# ---- TextCorpus
def test_text_corpus_tinyshakespeare():
    path = DATA / "tinyshakespeare" / "input.txt"
    text = path.read_text()
    ds = TextCorpus(path, block_size=64)
    assert ds.vocab == sorted(set(text)) and ds.vocab_size == 65
    assert len(ds) == len(text) - 64 and ds.data.dtype == ts.int64
    x, y = ds[1000]
    assert ds.decode(x) == text[1000:1064] and ds.decode(y) == text[1001:1065]
    assert ds.encode("First Citizen") == [ds.stoi[c] for c in "First Citizen"]
    assert ds.decode(ds.encode(text[:500])) == text[:500]
    xb, yb = next(iter(DataLoader(ds, batch_size=8, shuffle=True, generator=ts.Generator().manual_seed(1))))
    assert tuple(xb.shape) == (8, 64) and xb.dtype == ts.int64
    assert (xb[:, 1:] == yb[:, :-1]).all().item()
    with pytest.raises(ValueError, match=r"\[TextCorpus\]"):
        ds.encode("€")


def test_text_corpus_byte_level_and_errors(tmp_path):
    p = tmp_path / "t.txt"
    p.write_bytes("héllo wörld".encode())
    ds = TextCorpus(p, block_size=4, level="byte")
    assert ds.vocab_size == 256 and len(ds) == len("héllo wörld".encode()) - 4
    x, y = ds[-1]
    assert x.tolist() == list("héllo wörld".encode()[-5:-1]) and y.tolist() == list("héllo wörld".encode()[-4:])
    assert ds.decode(ds.encode("héllo")) == "héllo"
    with pytest.raises(IndexError):
        ds[len(ds)]
    c = TextCorpus(p, block_size=2)
    assert c.decode(c[0][0]) == "hé"
    with pytest.raises(ValueError, match=r"\[TextCorpus\]"):
        TextCorpus(p, block_size=100)
    with pytest.raises(ValueError, match=r"\[TextCorpus\]"):
        TextCorpus(p, block_size=4, level="word")
    (tmp_path / "bin").write_bytes(b"\xff\xfe\x00abc")
    with pytest.raises(ValueError, match=r"\[TextCorpus\].*UTF-8"):
        TextCorpus(tmp_path / "bin", block_size=2)


def test_default_root_and_missing_download_false(tmp_path, monkeypatch):
    from tessera.datasets import default_root
    monkeypatch.setenv("TESSERA_DATA", str(tmp_path))
    assert default_root() == str(tmp_path)
    with pytest.raises(RuntimeError, match=r"\[FashionMNIST\] dataset not found"):
        FashionMNIST(train=False)
    monkeypatch.setenv("TESSERA_DATA", str(DATA))
    assert len(CIFAR10(train=False)) == 400  # found in the cifar10* subfolder of the default root

"""tessera.utils.data against torch.utils.data: datasets, samplers, collate, DataLoader (in this
process and with worker processes)."""
import collections
import os

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import tessera as ts
from tessera.utils.data import (BatchSampler, DataLoader, Dataset, IterableDataset, RandomSampler, SequentialSampler,
                                Subset, TensorDataset, default_collate, get_worker_info, random_split)
from helpers import ALL_DTYPES, rand, to_torch, to_ts


def as_torch(x):
    """Structure of a tessera batch with tensors converted, to compare with torch's batch."""
    if isinstance(x, ts.Tensor):
        return to_torch(x)
    if isinstance(x, dict):
        return {k: as_torch(v) for k, v in x.items()}
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return type(x)(*map(as_torch, x))
    if isinstance(x, (list, tuple)):
        return type(x)(map(as_torch, x))
    return x


def assert_same_structure(a, b):
    assert type(a) is type(b) or (isinstance(a, dict) and isinstance(b, dict)), (type(a), type(b))
    if isinstance(b, torch.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b)
    elif isinstance(b, dict):
        assert a.keys() == b.keys()
        for k in b:
            assert_same_structure(a[k], b[k])
    elif isinstance(b, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same_structure(x, y)
    else:
        assert a == b


Point = collections.namedtuple("Point", "x y")


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_default_collate_tensors(dtype, seed):
    samples = [rand((2, 3), dtype) for _ in range(4)]
    out = default_collate([to_ts(s) for s in samples])
    assert_same_structure(as_torch(out), tud.default_collate(samples))


def test_default_collate_structures(seed):
    def sample(i):
        t = rand((3,))
        return {"img": t, "label": i, "w": 0.5 * i, "flag": i % 2 == 0, "name": f"s{i}",
                "pair": (t * 2, i), "lst": [i, t], "pt": Point(i, t), "np": np.arange(3) + i}

    torch_samples = [sample(i) for i in range(3)]

    def conv(x):
        if isinstance(x, torch.Tensor):
            return to_ts(x)
        if isinstance(x, dict):
            return {k: conv(v) for k, v in x.items()}
        if isinstance(x, Point):
            return Point(*map(conv, x))
        if isinstance(x, (list, tuple)):
            return type(x)(map(conv, x))
        return x

    ours = default_collate([conv(s) for s in torch_samples])
    assert_same_structure(as_torch(ours), tud.default_collate(torch_samples))
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([[1, 2], [1]])
    with pytest.raises(TypeError, match=r"\[default_collate\]"):
        default_collate([object()])


def test_tensor_dataset_subset_random_split(seed):
    x, y = ts.arange(20).reshape(10, 2), ts.arange(10)
    ds = TensorDataset(x, y)
    assert len(ds) == 10 and ds[3][0].tolist() == [6, 7] and ds[3][1].item() == 3
    with pytest.raises(ValueError, match="Size mismatch"):
        TensorDataset(x, ts.arange(3))
    sub = Subset(ds, [4, 1])
    assert len(sub) == 2 and sub[1][1].item() == 1

    g = ts.Generator().manual_seed(seed)
    a, b, c = random_split(range(10), [5, 3, 2], generator=g)
    assert (len(a), len(b), len(c)) == (5, 3, 2)
    assert sorted(list(a) + list(b) + list(c)) == list(range(10))
    a2, _, _ = random_split(range(10), [5, 3, 2], generator=ts.Generator().manual_seed(seed))
    assert list(a) == list(a2)
    parts = random_split(range(11), [0.5, 0.3, 0.2], generator=g)
    assert [len(p) for p in parts] == [len(p) for p in tud.random_split(range(11), [0.5, 0.3, 0.2])]
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(range(10), [5, 4])
    with pytest.raises(ValueError):
        random_split(range(10), [0.5, 0.7])


def test_samplers(seed):
    assert list(SequentialSampler(range(5))) == [0, 1, 2, 3, 4]
    g1, g2 = ts.Generator().manual_seed(seed), ts.Generator().manual_seed(seed)
    p1, p2 = list(RandomSampler(range(50), generator=g1)), list(RandomSampler(range(50), generator=g2))
    assert p1 == p2 and sorted(p1) == list(range(50)) and p1 != list(range(50))
    assert list(RandomSampler(range(50), generator=g1)) != p1  # the generator advances
    r = list(RandomSampler(range(5), replacement=True, num_samples=30, generator=g1))
    assert len(r) == 30 and all(0 <= i < 5 for i in r)
    long = list(RandomSampler(range(5), num_samples=12, generator=g1))
    assert len(long) == 12 and sorted(long[:5]) == list(range(5))
    ts.manual_seed(seed)
    a = list(RandomSampler(range(20)))
    ts.manual_seed(seed)
    assert list(RandomSampler(range(20))) == a
    for drop in (False, True):
        ours = BatchSampler(SequentialSampler(range(10)), 3, drop)
        theirs = tud.BatchSampler(tud.SequentialSampler(range(10)), 3, drop)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)
    with pytest.raises(ValueError):
        BatchSampler(range(3), 0, False)
    with pytest.raises(ValueError):
        RandomSampler(range(3), num_samples=0)


class Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i == 13 and os.environ.get("_TS_FAIL13"):
            raise KeyError("boom at 13")
        return ts.full((2,), float(i * i)), i


@pytest.mark.parametrize("num_workers", [0, 2])
def test_dataloader_map_style(num_workers, seed):
    ds = Squares(23)
    loader = DataLoader(ds, batch_size=5, num_workers=num_workers)
    assert len(loader) == 5
    batches = list(loader)
    assert [b[1].tolist() for b in batches] == [list(range(i, min(i + 5, 23))) for i in range(0, 23, 5)]
    assert batches[0][0].shape == (5, 2) and batches[0][0].dtype == ts.float32
    assert batches[-1][0][:, 0].tolist() == [400.0, 441.0, 484.0]
    assert batches[0][1].dtype == ts.int64
    # drop_last, shuffle with a generator (reproducible, independent of the worker count)
    dl = DataLoader(ds, batch_size=5, drop_last=True, shuffle=True, num_workers=num_workers,
                    generator=ts.Generator().manual_seed(seed))
    order = [i for _, lab in dl for i in lab.tolist()]
    assert len(dl) == 4 and len(order) == 20 and len(set(order)) == 20
    dl0 = DataLoader(ds, batch_size=5, drop_last=True, shuffle=True, generator=ts.Generator().manual_seed(seed))
    assert [i for _, lab in dl0 for i in lab.tolist()] == order
    # batch_size=None: no batching; custom collate; batch_sampler
    assert [x[1] for x in DataLoader(ds, batch_size=None, num_workers=num_workers)][:3] == [0, 1, 2]
    got = list(DataLoader(ds, batch_size=4, collate_fn=lambda b: sum(s[1] for s in b), num_workers=num_workers))
    assert got == [6, 22, 38, 54, 70, 63]
    bs = [[3, 1], [22]]
    assert [b[1].tolist() for b in DataLoader(ds, batch_sampler=bs, num_workers=num_workers)] == bs


def test_dataloader_argument_errors():
    ds = Squares(4)
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(ds, sampler=SequentialSampler(ds), shuffle=True)
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(ds, batch_sampler=[[0]], batch_size=2)
    with pytest.raises(ValueError, match="num_workers"):
        DataLoader(ds, num_workers=-1)
    with pytest.raises(ValueError):
        DataLoader(ds, persistent_workers=True)


def test_worker_exception_propagates(monkeypatch):
    monkeypatch.setenv("_TS_FAIL13", "1")
    with pytest.raises(KeyError, match="boom at 13"):
        list(DataLoader(Squares(20), batch_size=4, num_workers=2))
    with pytest.raises(KeyError, match="boom at 13"):
        list(DataLoader(Squares(20), batch_size=4))


class WorkerIds(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        info = get_worker_info()
        return ts.tensor([i, info.id, info.num_workers, int(os.environ.get("_TS_INIT", "-1"))])


def test_worker_info_init_fn_persistent_and_pin_memory():
    assert get_worker_info() is None

    def init(wid):
        os.environ["_TS_INIT"] = str(wid * 10)

    dl = DataLoader(WorkerIds(), batch_size=2, num_workers=2, worker_init_fn=init, persistent_workers=True,
                    pin_memory=True)
    for _ in range(3):  # several epochs on the same workers
        rows = ts.cat(list(dl)).tolist()
        assert [r[0] for r in rows] == list(range(8))
        assert {r[1] for r in rows} == {0, 1} and all(r[2] == 2 and r[3] == r[1] * 10 for r in rows)
        # round-robin: batch k goes to worker k % 2
        assert [r[1] for r in rows] == [0, 0, 1, 1, 0, 0, 1, 1]
    it = iter(dl)
    next(it)  # abandon an epoch half-way; the next one is still complete and in order
    assert [r[0] for r in ts.cat(list(dl)).tolist()] == list(range(8))
    dl._iterator._shutdown_workers()


class Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        for i in range(start, self.n, step):
            yield ts.tensor(float(i))

    def __len__(self):
        return self.n


@pytest.mark.parametrize("num_workers", [0, 2, 3])
def test_iterable_dataset(num_workers):
    vals = sorted(v for b in DataLoader(Stream(11), batch_size=3, num_workers=num_workers) for v in b.tolist())
    assert vals == [float(i) for i in range(11)]
    if num_workers == 0:
        assert [b.tolist() for b in DataLoader(Stream(7), batch_size=3, drop_last=True)] == [[0, 1, 2], [3, 4, 5]]
        assert len(DataLoader(Stream(7), batch_size=3)) == 3
        assert [x.item() for x in DataLoader(Stream(3), batch_size=None)] == [0, 1, 2]
    with pytest.raises(ValueError, match="shuffle"):
        DataLoader(Stream(3), shuffle=True)


def test_worker_batches_keep_dtypes():
    """Batches cross the process boundary by pickling: every dtype, bfloat16 included."""
    class AllTypes(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return {str(d): ts.full((2,), i, dtype=d) for d in
                    (ts.bool, ts.uint8, ts.int8, ts.int16, ts.int32, ts.int64, ts.float16, ts.bfloat16,
                     ts.float32, ts.float64)}

    for b in DataLoader(AllTypes(), batch_size=2, num_workers=2):
        for name, t in b.items():
            assert str(t.dtype) == name and t.shape == (2, 2)

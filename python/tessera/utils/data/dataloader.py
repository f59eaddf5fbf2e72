"""DataLoader (torch.utils.data.DataLoader): batches from a dataset, in this process or in worker
processes.

With ``num_workers > 0`` each worker is a ``multiprocessing`` process (fork where the platform has
it) holding the dataset; the main process sends it batches of indices round-robin, the worker
fetches and collates them and sends the batch back through a queue (tensors pickle via
``Tensor.__reduce__``: dtype, shape, bytes), and the main process yields the batches in sampler
order. Workers run tessera single-threaded (a forked child must not use the parent's thread pool).
For an IterableDataset every worker iterates its own copy of the dataset (shard it with
``get_worker_info()``); batches come back round-robin over the workers until each is exhausted.
"""
from __future__ import annotations

import itertools
import multiprocessing as mp
import os
import queue
import random
import sys
import traceback

import tessera as ts
from tessera import _C

from ._collate import default_collate, default_convert
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler


class WorkerInfo:
    def __init__(self, id, num_workers, seed, dataset):
        self.id = id
        self.num_workers = num_workers
        self.seed = seed
        self.dataset = dataset

    def __repr__(self):
        return f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed})"


_worker_info = None


def get_worker_info():
    """In a DataLoader worker: its WorkerInfo (id, num_workers, seed, dataset copy); else None."""
    return _worker_info


class _ExceptionWrapper:
    def __init__(self, where):
        exc_type, exc, _ = sys.exc_info()
        self.exc_type = exc_type
        self.msg = f"Caught {exc_type.__name__} {where}.\nOriginal {traceback.format_exc()}"

    def reraise(self):
        try:
            err = self.exc_type(self.msg)
        except Exception:
            err = RuntimeError(self.msg)
        raise err


class _IterableEnd:
    pass


def _pin_memory(data):
    """Hook for page-locked host memory: a no-op on CPU-only builds; with CUDA it calls Tensor.pin_memory()."""
    if isinstance(data, ts.Tensor):
        pin = getattr(data, "pin_memory", None)
        return pin() if pin is not None and getattr(_C, "_cuda_is_available", lambda: False)() else data
    if isinstance(data, dict):
        return {k: _pin_memory(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)) and not hasattr(data, "_fields"):
        return type(data)(_pin_memory(d) for d in data)
    return data


def _fetch_iterable(it, auto_collation, batch_size, drop_last, collate_fn):
    if not auto_collation:
        return collate_fn(next(it))
    batch = list(itertools.islice(it, batch_size))
    if not batch or (drop_last and len(batch) < batch_size):
        raise StopIteration
    return collate_fn(batch)


def _worker_loop(dataset, index_queue, result_queue, collate_fn, auto_collation, batch_size, drop_last, worker_id,
                 num_workers, seed, worker_init_fn, is_iterable):
    global _worker_info
    _C._io_set_num_threads(1)
    ts.manual_seed(seed)
    random.seed(seed)
    try:
        import numpy as np
        np.random.seed(seed % 2**32)
    except Exception:
        pass
    _worker_info = WorkerInfo(worker_id, num_workers, seed, dataset)
    init_error = None
    if worker_init_fn is not None:
        try:
            worker_init_fn(worker_id)
        except Exception:
            init_error = _ExceptionWrapper(f"in DataLoader worker process {worker_id} (worker_init_fn)")
    epoch, it = None, None
    while True:
        task = index_queue.get()
        if task is None:
            break
        task_epoch, idx, indices = task
        if init_error is not None:
            result_queue.put((task_epoch, idx, init_error))
            continue
        try:
            if is_iterable:
                if task_epoch != epoch:
                    epoch, it = task_epoch, iter(dataset)
                try:
                    data = _fetch_iterable(it, auto_collation, batch_size, drop_last, collate_fn)
                except StopIteration:
                    data = _IterableEnd()
            elif auto_collation:
                data = collate_fn([dataset[i] for i in indices])
            else:
                data = collate_fn(dataset[indices])
        except Exception:
            data = _ExceptionWrapper(f"in DataLoader worker process {worker_id}")
        result_queue.put((task_epoch, idx, data))
    # Exiting must not wait for the parent to read results it no longer wants (an abandoned epoch).
    result_queue.cancel_join_thread()


def _base_seed(loader):
    """Worker seeds derive from one draw of the loader's generator (the default one when None)."""
    return ts.randint(0, 2**62, (1,), generator=loader.generator).item()


class _SingleProcessIter:
    def __init__(self, loader):
        self.loader = loader
        self.auto_collation = loader.batch_sampler is not None or loader._iterable_batched
        _base_seed(loader)  # drawn as in the multi-process case, so the shuffle order is the same
        if loader._is_iterable:
            self.data_iter = iter(loader.dataset)
        else:
            self.sampler_iter = iter(loader._index_sampler)

    def __iter__(self):
        return self

    def __next__(self):
        ld = self.loader
        if ld._is_iterable:
            data = _fetch_iterable(self.data_iter, self.auto_collation, ld.batch_size, ld.drop_last, ld.collate_fn)
        elif ld.batch_sampler is not None:
            data = ld.collate_fn([ld.dataset[i] for i in next(self.sampler_iter)])
        else:
            data = ld.collate_fn(ld.dataset[next(self.sampler_iter)])
        return _pin_memory(data) if ld.pin_memory else data

    def __len__(self):
        return len(self.loader)


class _MultiProcessIter:
    _timeout_poll = 5.0

    def __init__(self, loader):
        ld = self.loader = loader
        self.num_workers = ld.num_workers
        self.is_iterable = ld._is_iterable
        ctx = ld.multiprocessing_context
        if ctx is None:
            ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
        elif isinstance(ctx, str):
            ctx = mp.get_context(ctx)
        base_seed = _base_seed(ld)
        self.result_queue = ctx.Queue()
        self.index_queues, self.workers = [], []
        auto = ld.batch_sampler is not None or ld._iterable_batched
        for wid in range(self.num_workers):
            q = ctx.Queue()
            w = ctx.Process(target=_worker_loop,
                            args=(ld.dataset, q, self.result_queue, ld.collate_fn, auto, ld.batch_size, ld.drop_last,
                                  wid, self.num_workers, base_seed + wid, ld.worker_init_fn, self.is_iterable),
                            daemon=True)
            w.start()
            self.index_queues.append(q)
            self.workers.append(w)
        self.shutdown = False
        self.epoch = -1
        self._reset()

    def _reset(self):
        self.epoch += 1
        self.send_idx = 0
        self.rcvd_idx = 0
        self.task_worker = {}
        self.buffer = {}
        self.active = [True] * self.num_workers
        self.worker_cycle = itertools.cycle(range(self.num_workers))
        self.sampler_iter = None if self.is_iterable else iter(self.loader._index_sampler)
        for _ in range(self.loader.prefetch_factor * self.num_workers):
            self._put_task()

    def _put_task(self):
        if self.is_iterable:
            if not any(self.active):
                return
            while True:
                wid = next(self.worker_cycle)
                if self.active[wid]:
                    break
            indices = None
        else:
            try:
                indices = next(self.sampler_iter)
            except StopIteration:
                return
            wid = self.send_idx % self.num_workers
        self.index_queues[wid].put((self.epoch, self.send_idx, indices))
        self.task_worker[self.send_idx] = wid
        self.send_idx += 1

    def _get_result(self):
        while True:
            try:
                return self.result_queue.get(timeout=self._timeout_poll if self.loader.timeout <= 0 else
                                             self.loader.timeout)
            except queue.Empty:
                if self.loader.timeout > 0:
                    self._shutdown_workers()
                    raise RuntimeError(f"[DataLoader] timed out after {self.loader.timeout} seconds")
                dead = [w for w in self.workers if not w.is_alive()]
                if dead:
                    self._shutdown_workers()
                    raise RuntimeError("[DataLoader] DataLoader worker (pid(s) "
                                       + ", ".join(str(w.pid) for w in dead) + ") exited unexpectedly "
                                       f"(exit code {dead[0].exitcode})")

    def __iter__(self):
        return self

    def __next__(self):
        while True:
            if self.rcvd_idx >= self.send_idx:
                if not self.loader.persistent_workers:
                    self._shutdown_workers()
                raise StopIteration
            if self.rcvd_idx in self.buffer:
                data = self.buffer.pop(self.rcvd_idx)
                self.task_worker.pop(self.rcvd_idx, None)
                self.rcvd_idx += 1
                self._put_task()  # after an _IterableEnd too: the still-active workers get its slot
                if isinstance(data, _IterableEnd):
                    continue
                if isinstance(data, _ExceptionWrapper):
                    data.reraise()
                return _pin_memory(data) if self.loader.pin_memory else data
            epoch, idx, data = self._get_result()
            if epoch != self.epoch:
                continue  # a late result of an abandoned epoch (persistent workers)
            if isinstance(data, _IterableEnd):
                self.active[self.task_worker[idx]] = False
            self.buffer[idx] = data

    def __len__(self):
        return len(self.loader)

    def _shutdown_workers(self):
        if self.shutdown:
            return
        self.shutdown = True
        for q in self.index_queues:
            try:
                q.put(None)
            except Exception:
                pass
        for w in self.workers:
            w.join(timeout=5)
            if w.is_alive():
                w.terminate()
                w.join(timeout=1)
        for q in self.index_queues + [self.result_queue]:
            q.cancel_join_thread()
            q.close()

    def __del__(self):
        try:
            self._shutdown_workers()
        except Exception:
            pass


class DataLoader:
    """Combines a dataset and a sampler and iterates over batches (torch.utils.data.DataLoader).

    ``pin_memory`` is accepted and is a no-op on CPU (a hook pins tensors once CUDA exists).
    """

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool | None = None, sampler=None,
                 batch_sampler=None, num_workers: int = 0, collate_fn=None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn=None, multiprocessing_context=None,
                 generator=None, *, prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = ""):
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError("[DataLoader] num_workers option should be non-negative; use num_workers=0 to disable "
                             "multiprocessing.")
        if timeout < 0:
            raise ValueError("[DataLoader] timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("[DataLoader] prefetch_factor option could only be specified in multiprocessing. "
                             "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None.")
        if prefetch_factor is None:
            prefetch_factor = 2
        if prefetch_factor < 1:
            raise ValueError("[DataLoader] prefetch_factor option should be positive")
        if persistent_workers and num_workers == 0:
            raise ValueError("[DataLoader] persistent_workers option needs num_workers > 0")
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.persistent_workers = persistent_workers
        self.generator = generator
        self._is_iterable = isinstance(dataset, IterableDataset)
        if self._is_iterable:
            if shuffle not in (None, False):
                raise ValueError(f"[DataLoader] DataLoader with IterableDataset: expected unspecified shuffle option, "
                                 f"but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError("[DataLoader] DataLoader with IterableDataset: expected unspecified sampler option")
            if batch_sampler is not None:
                raise ValueError("[DataLoader] DataLoader with IterableDataset: expected unspecified batch_sampler "
                                 "option")
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("[DataLoader] sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("[DataLoader] batch_sampler option is mutually exclusive with batch_size, shuffle, "
                                 "sampler, and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("[DataLoader] batch_size=None option disables auto-batching and is mutually exclusive "
                             "with drop_last")
        if sampler is None and not self._is_iterable:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and not self._is_iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self._iterable_batched = self._is_iterable and batch_size is not None
        if collate_fn is None:
            collate_fn = default_collate if (batch_sampler is not None or self._iterable_batched) else default_convert
        self.collate_fn = collate_fn
        self._iterator = None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self.batch_sampler is not None else self.sampler

    def __iter__(self):
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        if self.persistent_workers:
            if self._iterator is None or self._iterator.shutdown:
                self._iterator = _MultiProcessIter(self)
            else:
                self._iterator._reset()
            return self._iterator
        return _MultiProcessIter(self)

    def __len__(self):
        if self._is_iterable:
            n = len(self.dataset)  # TypeError when the iterable dataset has no length, as in PyTorch
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else (n + self.batch_size - 1) // self.batch_size
            return n
        return len(self._index_sampler)

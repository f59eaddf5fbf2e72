"""tessera.cuda: CUDA devices, streams and events with torch.cuda's API.

Importable in every build. Without the CUDA backend (or without a GPU) is_available() is False
and device_count() is 0; the other calls raise RuntimeError.
"""
from .. import _C
from .._C import device as _device_type

__all__ = [
    "is_available", "is_initialized", "init", "device_count", "current_device", "set_device", "device",
    "device_of", "get_device_name", "get_device_capability", "get_device_properties", "synchronize",
    "Stream", "Event", "current_stream", "default_stream", "set_stream", "stream", "StreamContext",
]

_compiled = _C._cuda_is_compiled()


def _check_compiled():
    if not _compiled:
        raise RuntimeError("tessera not compiled with CUDA enabled (build with -DTESSERA_CUDA=ON)")


def is_available():
    """True when tessera was built with CUDA and at least one GPU is usable."""
    return _compiled and _C._cuda_device_count() > 0


def is_initialized():
    return is_available()


def init():
    """Checks that CUDA can be used (tessera initialises lazily; nothing else to do)."""
    _check_compiled()
    current_device()


def device_count():
    return _C._cuda_device_count() if _compiled else 0


def _get_device_index(device, optional=True):
    """A CUDA device index from an int, a string, a tessera.device or None (the current device)."""
    if isinstance(device, str):
        device = _device_type(device)
    if isinstance(device, _device_type):
        if device.type != "cuda":
            raise ValueError(f"Expected a cuda device, but got: {device}")
        device = device.index
    if device is None or (isinstance(device, int) and device < 0):
        if not optional:
            raise ValueError("Expected a cuda device with a specified index or an integer, but got: None")
        return current_device()
    if not isinstance(device, int) or isinstance(device, bool):
        raise TypeError(f"Invalid device, must be an int, str or tessera.device, got {type(device).__name__}")
    return device


def current_device():
    _check_compiled()
    return _C._cuda_current_device()


def set_device(device):
    """Sets the current device of the calling thread; a negative index is a no-op (as in torch)."""
    _check_compiled()
    if isinstance(device, int) and device < 0:
        return
    _C._cuda_set_device(_get_device_index(device))


class device:
    """Context manager that makes `device` current and restores the previous device on exit."""

    def __init__(self, device):
        self.idx = -1 if device is None else device if isinstance(device, int) else _get_device_index(device)
        self.prev_idx = -1

    def __enter__(self):
        if self.idx < 0:
            return self
        self.prev_idx = current_device()
        if self.prev_idx != self.idx:
            _C._cuda_set_device(self.idx)
        return self

    def __exit__(self, *exc):
        if self.prev_idx >= 0 and self.prev_idx != self.idx:
            _C._cuda_set_device(self.prev_idx)
        return False


class device_of(device):
    """device(...) of a tensor's device; a no-op for CPU tensors."""

    def __init__(self, obj):
        super().__init__(obj.get_device() if obj.is_cuda else -1)


class _CudaDeviceProperties:
    def __init__(self, props):
        for k, v in props.items():
            setattr(self, k, v)

    def __repr__(self):
        return (f"_CudaDeviceProperties(name='{self.name}', major={self.major}, minor={self.minor}, "
                f"total_memory={self.total_memory // (1024 * 1024)}MB, "
                f"multi_processor_count={self.multi_processor_count}, uuid={self.uuid}, "
                f"L2_cache_size={self.L2_cache_size // (1024 * 1024)}MB)")


def get_device_properties(device=None):
    _check_compiled()
    return _CudaDeviceProperties(_C._cuda_get_device_properties(_get_device_index(device)))


def get_device_name(device=None):
    return get_device_properties(device).name


def get_device_capability(device=None):
    p = get_device_properties(device)
    return (p.major, p.minor)


def synchronize(device=None):
    """Waits for all work on all streams of the device (the current one by default)."""
    _check_compiled()
    _C._cuda_synchronize(_get_device_index(device))


class Stream:
    """A CUDA stream from tessera's per-device pools; a lower priority number runs first (0 is the
    default, negative numbers down to the device's limit, at most -3, are higher priorities)."""

    def __init__(self, device=None, priority=0, _stream=None):
        _check_compiled()
        if _stream is None:
            _stream = _C._cuda_stream_from_pool(int(priority), _get_device_index(device))
        self._s = _stream

    @classmethod
    def _wrap(cls, s):
        return cls(_stream=s)

    @property
    def device(self):
        return _device_type("cuda", self._s.device_index)

    @property
    def device_index(self):
        return self._s.device_index

    @property
    def device_type(self):
        return "cuda"

    @property
    def priority(self):
        return self._s.priority

    @property
    def cuda_stream(self):
        return self._s.cuda_stream

    def query(self):
        """True when all work queued on the stream so far has completed."""
        return self._s.query()

    def synchronize(self):
        """Waits on the host for the work queued on this stream."""
        self._s.synchronize()

    def wait_event(self, event):
        """Makes future work on this stream wait for `event`."""
        event.wait(self)

    def wait_stream(self, stream):
        """Makes future work on this stream wait for the work queued on `stream` so far."""
        self._s.wait_stream(stream._s)

    def record_event(self, event=None):
        """Records an event (a new one if None) on this stream and returns it."""
        if event is None:
            event = Event()
        event.record(self)
        return event

    def __eq__(self, other):
        return isinstance(other, Stream) and self._s == other._s

    def __hash__(self):
        return hash(self._s)

    def __repr__(self):
        return f"<tessera.cuda.Stream device=cuda:{self.device_index} cuda_stream={self.cuda_stream:#x}>"


class Event:
    """A CUDA event: marks a point in a stream, to wait for, query, or time (enable_timing=True)."""

    def __init__(self, enable_timing=False, blocking=False, interprocess=False):
        _check_compiled()
        self._e = _C._CudaEvent(enable_timing, blocking, interprocess)

    def record(self, stream=None):
        self._e.record((current_stream() if stream is None else stream)._s)

    def wait(self, stream=None):
        self._e.wait((current_stream() if stream is None else stream)._s)

    def query(self):
        return self._e.query()

    def synchronize(self):
        self._e.synchronize()

    def elapsed_time(self, end_event):
        """Milliseconds between this event and `end_event` (both recorded and complete)."""
        return self._e.elapsed_time(end_event._e)

    @property
    def device(self):
        idx = self._e.device_index
        return None if idx is None else _device_type("cuda", idx)

    @property
    def cuda_event(self):
        return self._e.cuda_event

    def __repr__(self):
        return f"<tessera.cuda.Event {self.cuda_event:#x}>" if self.cuda_event else "<tessera.cuda.Event uninitialized>"


def current_stream(device=None):
    """The calling thread's current stream of the device (its default stream until set)."""
    _check_compiled()
    return Stream._wrap(_C._cuda_current_stream(_get_device_index(device)))


def default_stream(device=None):
    _check_compiled()
    return Stream._wrap(_C._cuda_default_stream(_get_device_index(device)))


def set_stream(stream):
    """Makes `stream` current (and its device the current device), as torch.cuda.set_stream."""
    if stream is None:
        return
    _check_compiled()
    if stream.device_index != current_device():
        _C._cuda_set_device(stream.device_index)
    _C._cuda_set_stream(stream._s)


class StreamContext:
    """Selects a stream for a block; restores the previous streams (and device) on exit."""

    def __init__(self, stream):
        self.stream = stream
        self.src_prev_stream = None
        self.dst_prev_stream = None

    def __enter__(self):
        if self.stream is None or not is_available():
            return self
        self.src_prev_stream = current_stream()
        if self.src_prev_stream.device_index != self.stream.device_index:
            self.dst_prev_stream = current_stream(self.stream.device_index)
        set_stream(self.stream)
        return self

    def __exit__(self, *exc):
        if self.src_prev_stream is None:
            return False
        if self.dst_prev_stream is not None:
            _C._cuda_set_stream(self.dst_prev_stream._s)
        set_stream(self.src_prev_stream)
        return False


def stream(stream):
    """Context manager: `with tessera.cuda.stream(s): ...` queues the block's GPU work on s."""
    return StreamContext(stream)


from . import memory  # noqa: E402
from .memory import *  # noqa: E402,F401,F403

__all__ += memory.__all__


def _tensor_record_stream(self, stream):
    """Marks the tensor's memory as in use by `stream`: the caching allocator reuses it only after
    the work queued on `stream` so far has finished (torch.Tensor.record_stream)."""
    if not self.is_cuda:
        raise RuntimeError(f"[record_stream] expected a CUDA tensor, got one on {self.device}")
    if not isinstance(stream, Stream):
        raise TypeError(f"[record_stream] expected a tessera.cuda.Stream, got {type(stream).__name__}")
    base = self.data_ptr() - self.storage_offset() * self.element_size()
    if base:
        _C._cuda_caching_allocator_record_stream(base, stream.cuda_stream)


_C.Tensor.record_stream = _tensor_record_stream

from . import amp  # noqa: E402,F401  (deprecated aliases of tessera.amp)

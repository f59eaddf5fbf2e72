"""tessera.cuda (devices, streams, events) and tensors on the GPU, against torch.cuda.

The CPU-only-build tests run everywhere; the rest need a GPU (skipped without one)."""
import re

import pytest
import torch

import tessera as ts
from helpers import ALL_DTYPES, TORCH_TO_TS, assert_close, rand, to_torch, to_ts

HAS_GPU = ts.cuda.is_available()
gpu = pytest.mark.skipif(not HAS_GPU, reason="needs a CUDA GPU")
no_gpu = pytest.mark.skipif(HAS_GPU, reason="checks the behaviour without a usable GPU")
# Without the backend the message names the build; with it but without a GPU, the missing device.
NO_CUDA_MSG = "not compiled with CUDA enabled" if not ts._C._cuda_is_compiled() else "no CUDA GPUs are available"

CUDA_API = ["is_available", "device_count", "current_device", "set_device", "device", "device_of",
            "get_device_name", "get_device_properties", "get_device_capability", "synchronize", "Stream",
            "Event", "current_stream", "default_stream", "stream", "set_stream", "StreamContext"]


def host(x: ts.Tensor) -> torch.Tensor:
    """A torch CPU copy of a tessera tensor on any device."""
    return to_torch(x.cpu())


# ---------------------------------------------------------------- without a GPU (run everywhere)

def test_cuda_api_importable():
    for name in CUDA_API:
        assert hasattr(ts.cuda, name), name
    assert isinstance(ts.cuda.is_available(), bool)
    assert isinstance(ts.cuda.device_count(), int)


@no_gpu
def test_no_gpu_reports_nothing_available():
    assert ts.cuda.is_available() is False
    assert ts.cuda.device_count() == 0


@no_gpu
@pytest.mark.parametrize("call", [
    lambda: ts.cuda.current_device(),
    lambda: ts.cuda.set_device(0),
    lambda: ts.cuda.get_device_name(),
    lambda: ts.cuda.get_device_capability(),
    lambda: ts.cuda.get_device_properties(0),
    lambda: ts.cuda.synchronize(),
    lambda: ts.cuda.current_stream(),
    lambda: ts.cuda.default_stream(),
    lambda: ts.cuda.Stream(),
    lambda: ts.zeros(2, device="cuda"),
    lambda: ts.ones(2, 3, device="cuda:0"),
    lambda: ts.tensor([1.0, 2.0], device="cuda"),
    lambda: ts.arange(4).cuda(),
    lambda: ts.arange(4).to("cuda"),
    lambda: ts.arange(4).pin_memory(),
], ids=["current_device", "set_device", "name", "capability", "properties", "synchronize", "current_stream",
        "default_stream", "Stream", "zeros", "ones", "tensor", "cuda", "to", "pin_memory"])
def test_no_gpu_calls_raise_runtime_error(call):
    with pytest.raises(RuntimeError, match=NO_CUDA_MSG):
        call()


@no_gpu
def test_no_gpu_tensor_queries():
    x = ts.arange(6)
    assert x.is_pinned() is False
    assert x.get_device() == -1 and not x.is_cuda
    with ts.cuda.device(None):  # a no-op, as in torch
        pass
    with ts.cuda.stream(None):
        pass
    ts.cuda.set_stream(None)


# ---------------------------------------------------------------- devices

@gpu
def test_device_queries_match_torch():
    assert ts.cuda.device_count() == torch.cuda.device_count()
    assert ts.cuda.current_device() == torch.cuda.current_device()
    for d in range(ts.cuda.device_count()):
        assert ts.cuda.get_device_name(d) == torch.cuda.get_device_name(d)
        assert ts.cuda.get_device_capability(d) == torch.cuda.get_device_capability(d)
        p, q = ts.cuda.get_device_properties(d), torch.cuda.get_device_properties(d)
        assert (p.name, p.major, p.minor, p.total_memory, p.multi_processor_count) == (
            q.name, q.major, q.minor, q.total_memory, q.multi_processor_count)
    assert ts.cuda.get_device_name() == ts.cuda.get_device_name(ts.device("cuda:0")) == ts.cuda.get_device_name("cuda")
    assert "name=" in repr(ts.cuda.get_device_properties(0))


@gpu
def test_set_device_and_device_context():
    last = ts.cuda.device_count() - 1
    assert ts.cuda.current_device() == 0
    with ts.cuda.device(last):
        assert ts.cuda.current_device() == last
        x = ts.zeros(3, device="cuda")
        assert x.device == ts.device("cuda", last) and x.get_device() == last
    assert ts.cuda.current_device() == 0
    with ts.cuda.device_of(x):
        assert ts.cuda.current_device() == last
    ts.cuda.set_device(last)
    try:
        assert ts.cuda.current_device() == last
    finally:
        ts.cuda.set_device(0)
    ts.cuda.synchronize()
    ts.cuda.synchronize(0)


@gpu
def test_bad_device_index_raises():
    n = ts.cuda.device_count()
    with pytest.raises(RuntimeError, match="invalid device ordinal"):
        ts.zeros(2, device=f"cuda:{n}")
    with pytest.raises(RuntimeError, match="invalid device ordinal"):
        ts.cuda.set_device(n)
    with pytest.raises(RuntimeError, match="invalid device ordinal"):
        ts.arange(3).to(f"cuda:{n}")
    with pytest.raises(ValueError, match="Expected a cuda device"):
        ts.cuda.get_device_name("cpu")


# ---------------------------------------------------------------- tensors on the GPU

@gpu
@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=str)
def test_roundtrip_every_dtype(seed, dtype):
    x = rand((5, 7), dtype)
    for move in (lambda t: t.cuda(), lambda t: t.to("cuda"), lambda t: t.to(ts.device("cuda", 0)),
                 lambda t: t.to("cuda", non_blocking=True)):
        g = move(to_ts(x))
        assert g.is_cuda and g.device == ts.device("cuda:0") and g.dtype == TORCH_TO_TS[dtype]
        back = g.cpu()
        assert back.device == ts.device("cpu")
        assert_close(back, x, rtol=0, atol=0)
        assert_close(g.to("cpu"), x, rtol=0, atol=0)
    assert g.tolist() == x.tolist()


@gpu
@pytest.mark.parametrize("src_dtype", ALL_DTYPES, ids=str)
@pytest.mark.parametrize("dst_dtype", [torch.bool, torch.uint8, torch.int32, torch.int64, torch.float16,
                                       torch.bfloat16, torch.float32, torch.float64], ids=str)
def test_copy_with_dtype_conversion_matches_torch_cuda(seed, src_dtype, dst_dtype):
    x = rand((4, 6), src_dtype, low=-100, high=100)
    expected = x.cuda().to(dst_dtype).cpu()
    g = to_ts(x).cuda()
    assert_close(g.to(TORCH_TO_TS[dst_dtype]).cpu(), expected, rtol=0, atol=0)  # on the GPU
    assert_close(to_ts(x).to("cuda", TORCH_TO_TS[dst_dtype]).cpu(), expected, rtol=0, atol=0)  # H2D + convert
    assert_close(g.to("cpu", TORCH_TO_TS[dst_dtype]), expected, rtol=0, atol=0)  # D2H + convert


@gpu
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.int64, torch.bool, torch.float64], ids=str)
def test_non_contiguous_copies(seed, dtype):
    x = rand((6, 8), dtype)
    # host -> device from strided, transposed and sliced sources
    for src, ref in ((to_ts(x, noncontig=True), x), (to_ts(x).t(), x.t()), (to_ts(x)[1::2, ::3], x[1::2, ::3])):
        assert not src.is_contiguous()
        assert_close(src.cuda().cpu(), ref, rtol=0, atol=0)
    # device -> host from strided GPU views; device -> device (same GPU) into contiguous
    g = to_ts(x).cuda()
    for view, ref in ((g.t(), x.t()), (g[::2, 1::3], x[::2, 1::3]), (g[:, 2], x[:, 2])):
        assert_close(view.cpu(), ref, rtol=0, atol=0)
        assert_close(view.contiguous().cpu(), ref, rtol=0, atol=0)
        assert_close(view.clone().cpu(), ref, rtol=0, atol=0)


@gpu
def test_copy_into_strided_destinations_and_broadcast(seed):
    x = rand((4, 5))
    # CPU -> strided CUDA destination
    dst = ts.zeros(5, 4, device="cuda").t()
    dst.copy_(to_ts(x))
    assert_close(dst.cpu(), x, rtol=0, atol=0)
    # CUDA -> strided CPU destination
    hd = ts.zeros(5, 4).t()
    hd.copy_(to_ts(x).cuda())
    assert_close(hd, x, rtol=0, atol=0)
    # broadcast sources (expanded on either side)
    row = rand((5,))
    d2 = ts.empty(4, 5, device="cuda")
    d2.copy_(to_ts(row))
    assert_close(d2.cpu(), row.expand(4, 5), rtol=0, atol=0)
    h2 = ts.empty(4, 5)
    h2.copy_(to_ts(row).cuda())
    assert_close(h2, row.expand(4, 5), rtol=0, atol=0)
    d3 = ts.empty(4, 5, device="cuda", dtype=ts.float64)
    d3.copy_(to_ts(row).cuda().expand(4, 5))
    assert_close(d3.cpu(), row.expand(4, 5).double(), rtol=0, atol=0)
    # a 0-d CPU source
    d2.copy_(ts.tensor(2.5))
    assert host(d2).eq(2.5).all()
    # empty tensors
    e = ts.empty(0, 3, device="cuda")
    assert e.cpu().shape == (0, 3) and to_ts(torch.zeros(0, 3)).cuda().shape == (0, 3)
    with pytest.raises(RuntimeError, match=r"\[copy_\]"):
        ts.empty(4, 5, device="cuda").copy_(ts.zeros(3))


@gpu
def test_copy_version_and_identity():
    x = ts.arange(6.0)
    g = x.cuda()
    # nothing to do: the same storage comes back
    assert g.to("cuda").data_ptr() == g.data_ptr() and g.cuda().data_ptr() == g.data_ptr()
    assert x.cpu().data_ptr() == x.data_ptr()
    assert g.to("cuda", copy=True).data_ptr() != g.data_ptr()
    v = g._version
    g.copy_(x * 2)
    assert g._version > v
    assert g.tolist() == (x * 2).tolist()


@gpu
def test_pinned_memory_and_non_blocking(seed):
    x = rand((64, 33))
    t = to_ts(x)
    assert not t.is_pinned()
    p = t.pin_memory()
    assert p.is_pinned() and p.device == ts.device("cpu") and p.pin_memory().data_ptr() == p.data_ptr()
    assert_close(p, x, rtol=0, atol=0)
    g = p.to("cuda", non_blocking=True)
    out = ts.empty(64, 33).pin_memory()
    out.copy_(g, non_blocking=True)
    ts.cuda.current_stream().synchronize()
    assert_close(out, x, rtol=0, atol=0)
    assert ts.tensor([1.0, 2.0], pin_memory=True).is_pinned()
    with pytest.raises(RuntimeError, match="only dense CPU tensors can be pinned"):
        g.pin_memory()


@gpu
@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=str)
def test_factories_on_cuda_match_torch(dtype):
    dt = TORCH_TO_TS[dtype]
    cases = [
        (lambda dev: ts.zeros(3, 4, dtype=dt, device=dev), lambda: torch.zeros(3, 4, dtype=dtype, device="cuda")),
        (lambda dev: ts.ones(5, dtype=dt, device=dev), lambda: torch.ones(5, dtype=dtype, device="cuda")),
        (lambda dev: ts.full((2, 3), 1, dtype=dt, device=dev), lambda: torch.full((2, 3), 1, dtype=dtype, device="cuda")),
        (lambda dev: ts.eye(4, 3, dtype=dt, device=dev), lambda: torch.eye(4, 3, dtype=dtype, device="cuda")),
        (lambda dev: ts.zeros_like(ts.empty(2, 2, dtype=dt, device=dev)),
         lambda: torch.zeros(2, 2, dtype=dtype, device="cuda")),
        (lambda dev: ts.ones_like(ts.empty(2, 3, dtype=dt, device=dev).t()),
         lambda: torch.ones(2, 3, dtype=dtype, device="cuda").t()),
    ]
    if dtype != torch.bool:
        cases += [
            (lambda dev: ts.arange(0, 40, 3, dtype=dt, device=dev),
             lambda: torch.arange(0, 40, 3, dtype=dtype, device="cuda")),
            # step 4 exactly: torch's CPU (double) and CUDA (float) integer linspace agree here
            (lambda dev: ts.linspace(0, 48, 13, dtype=dt, device=dev),
             lambda: torch.linspace(0, 48, 13, dtype=dtype, device="cuda")),
            (lambda dev: ts.full((3,), 7, dtype=dt, device=dev), lambda: torch.full((3,), 7, dtype=dtype, device="cuda")),
        ]
    tol = {} if dtype.is_floating_point else dict(rtol=0, atol=0)  # floats: FMA contraction may differ
    for make, ref in cases:
        got = make("cuda")
        assert got.is_cuda and got.dtype == dt
        exp = ref()
        assert tuple(got.stride()) == tuple(exp.stride())
        assert_close(got.cpu(), exp.cpu(), **tol)
        assert_close(got.cpu(), to_torch(make("cpu")), **tol)  # and tessera's CPU kernels


@gpu
def test_float_factories_and_fill_on_views(seed):
    assert_close(ts.arange(-3.5, 9.25, 0.37, device="cuda").cpu(), torch.arange(-3.5, 9.25, 0.37, device="cuda").cpu())
    assert_close(ts.linspace(-1, 1, 1001, device="cuda").cpu(), torch.linspace(-1, 1, 1001, device="cuda").cpu())
    big = ts.full((1 << 20,), 3.25, device="cuda")
    assert host(big).eq(3.25).all()
    g = ts.zeros(6, 8, device="cuda")
    g[1::2, ::3].fill_(4.0)
    ref = torch.zeros(6, 8)
    ref[1::2, ::3] = 4.0
    assert_close(g.cpu(), ref, rtol=0, atol=0)
    g.zero_()
    assert host(g).eq(0).all()
    assert ts.empty(0, device="cuda").numel() == 0


@gpu
def test_python_values_and_repr():
    g = ts.tensor([[1.5, -2.0], [3.0, 4.25]], device="cuda")
    assert g.tolist() == [[1.5, -2.0], [3.0, 4.25]]
    assert g[1, 1].item() == 4.25 and float(g[0, 0]) == 1.5
    assert ts.tensor(7, device="cuda").item() == 7
    with pytest.raises(TypeError, match=re.escape("can't convert cuda:0 device type tensor to numpy")):
        g.numpy()
    assert "device='cuda:0'" in repr(g)
    assert "device='cuda:0'" in repr(ts.zeros(0, device="cuda"))
    assert g.device == ts.device("cuda:0") and str(g.device) == "cuda:0"


# ---------------------------------------------------------------- streams and events

@gpu
def test_streams_basics():
    d = ts.cuda.default_stream()
    assert ts.cuda.current_stream() == d and d.cuda_stream == 0 and d.device == ts.device("cuda:0")
    s = ts.cuda.Stream()
    assert s != d and s.cuda_stream != 0 and s.device_index == 0
    with ts.cuda.stream(s):
        assert ts.cuda.current_stream() == s
        x = ts.full((1000,), 2.0, device="cuda")  # queued on s
    assert ts.cuda.current_stream() == d
    s.synchronize()
    assert s.query() and host(x).eq(2.0).all()
    ts.cuda.set_stream(s)
    try:
        assert ts.cuda.current_stream() == s
    finally:
        ts.cuda.set_stream(d)
    hi, lo = ts.cuda.Stream(priority=-1), ts.cuda.Stream(priority=0)
    assert hi.priority == torch.cuda.Stream(priority=-1).priority
    assert lo.priority == torch.cuda.Stream(priority=0).priority
    assert hi.priority < lo.priority
    assert len({hash(ts.cuda.Stream()) for _ in range(4)}) >= 2  # the pool hands out different streams
    assert "tessera.cuda.Stream" in repr(s)


def _cycles(ms):
    return int(ms * 2.0e6)  # at least `ms` milliseconds on GPUs clocked at up to 2 GHz


def _sleep_on(stream, ms=30):
    """Queue a GPU sleep on a tessera stream through torch (an external stream to torch)."""
    ext = torch.cuda.ExternalStream(stream.cuda_stream, device=torch.device("cuda", stream.device_index))
    with torch.cuda.stream(ext):
        torch.cuda._sleep(_cycles(ms))


@gpu
def test_wait_stream_orders_side_stream_work():
    side = ts.cuda.Stream()
    x = ts.zeros(1 << 20, device="cuda")
    ts.cuda.synchronize()
    with ts.cuda.stream(side):
        _sleep_on(side)
        x.fill_(1.0)  # runs after the sleep on the side stream
    assert not side.query()  # still sleeping
    ts.cuda.current_stream().wait_stream(side)
    assert host(x).eq(1.0).all()  # the copy on the current stream waited for the fill


@gpu
def test_events_record_wait_query_and_timing():
    side = ts.cuda.Stream()
    x = ts.zeros(1 << 20, device="cuda")
    ts.cuda.synchronize()
    start, end = ts.cuda.Event(enable_timing=True), ts.cuda.Event(enable_timing=True)
    assert start.query() and start.device is None  # never recorded: complete
    start.record(side)
    _sleep_on(side, ms=20)
    with ts.cuda.stream(side):
        x.fill_(3.0)
    end.record(side)
    assert not end.query()
    end.wait()  # the current stream waits for the fill
    assert host(x).eq(3.0).all()
    end.synchronize()
    assert end.query() and end.device == ts.device("cuda:0")
    ms = start.elapsed_time(end)
    assert ms > 5.0  # the 20 ms sleep lies between the two events
    ev = side.record_event()
    ev.synchronize()
    assert ev.query()
    side.wait_event(ev)
    plain = ts.cuda.Event()
    plain.record()
    plain.synchronize()
    with pytest.raises(RuntimeError, match="enable_timing=True"):
        plain.elapsed_time(end)
    with pytest.raises(RuntimeError, match="must be recorded"):
        ts.cuda.Event(enable_timing=True).elapsed_time(end)
    blocking = ts.cuda.Event(blocking=True)
    blocking.record()
    blocking.synchronize()


@gpu
def test_ts_and_torch_events_time_the_same_work():
    t0, t1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    e0, e1 = ts.cuda.Event(enable_timing=True), ts.cuda.Event(enable_timing=True)
    s = ts.cuda.default_stream()
    t0.record(); e0.record(s)  # noqa: E702  (both on the legacy default stream)
    torch.cuda._sleep(_cycles(10))
    t1.record(); e1.record(s)  # noqa: E702
    torch.cuda.synchronize()
    assert e0.elapsed_time(e1) == pytest.approx(t0.elapsed_time(t1), rel=0.2, abs=0.5)

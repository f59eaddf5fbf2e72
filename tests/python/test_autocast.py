"""tessera.autocast on the CPU against torch.autocast("cpu"): output dtypes and values of each op
category (lower precision, float32, promote, unlisted), gradients and their dtypes, nesting,
enabled=False inside, the weight-cast cache, the decorator, thread-locality, no_grad and
inference mode. The CUDA policy table is checked in test_autocast_cuda_policy.py."""
import threading
import warnings

import pytest
import torch
import torch.nn.functional as TF

import tessera as ts
import tessera.nn.functional as F
from helpers import TORCH_TO_TS, assert_close, rand, to_torch, to_ts

F32, BF16, F16, F64 = torch.float32, torch.bfloat16, torch.float16, torch.float64


def cpu(t):
    """A tessera CPU copy of a torch tensor (the CPU autocast casts only CPU tensors)."""
    return to_ts(t).to("cpu")


def tol(dtype):
    # Both sides round the same low-precision inputs; sums may still differ by an ulp or two.
    return {F16: dict(rtol=4e-3, atol=4e-3), BF16: dict(rtol=3e-2, atol=3e-2),
            F32: dict(rtol=1e-5, atol=1e-5), F64: dict(rtol=1e-10, atol=1e-10)}.get(dtype, dict(rtol=0, atol=0))


def check(out_ts, out_torch):
    assert_close(out_ts.detach(), out_torch.detach(), **tol(out_torch.dtype))


# Each case: (name, shapes of its floating inputs, fn(m, F, *inputs)) where m is torch or tessera
# and F its nn.functional; integer arguments are built inside from the seed.
def _idx(m, n):
    return m.tensor([n - 1, 0]) if m is torch else ts.tensor([n - 1, 0])


def _target(m):
    t = torch.tensor([1, 0, 3, 2, 1])
    return t if m is torch else cpu(t)


CASES = [
    # lower_precision_fp on the CPU
    ("mm", [(5, 7), (7, 3)], lambda m, F, a, b: m.mm(a, b)),
    ("bmm", [(2, 5, 7), (2, 7, 3)], lambda m, F, a, b: m.bmm(a, b)),
    ("addmm", [(5, 3), (5, 7), (7, 3)], lambda m, F, c, a, b: m.addmm(c, a, b, beta=0.5, alpha=2.0)),
    ("baddbmm", [(2, 5, 3), (2, 5, 7), (2, 7, 3)], lambda m, F, c, a, b: m.baddbmm(c, a, b)),
    ("matmul", [(2, 5, 7), (7, 3)], lambda m, F, a, b: m.matmul(a, b)),
    ("linear", [(4, 6), (3, 6), (3,)], lambda m, F, x, w, b: F.linear(x, w, b)),
    ("conv2d", [(2, 3, 6, 6), (4, 3, 3, 3), (4,)], lambda m, F, x, w, b: F.conv2d(x, w, b, padding=1)),
    ("conv2d_same", [(1, 2, 5, 5), (3, 2, 2, 2), (3,)], lambda m, F, x, w, b: F.conv2d(x, w, b, padding="same")),
    ("sdpa", [(2, 4, 8), (2, 5, 8), (2, 5, 8)], lambda m, F, q, k, v: F.scaled_dot_product_attention(q, k, v)),
    # fp32
    ("mse_loss", [(4, 5), (4, 5)], lambda m, F, a, b: F.mse_loss(a, b)),
    ("nll_loss", [(5, 4)], lambda m, F, x: F.nll_loss(x, _target(m))),
    ("cross_entropy", [(5, 4)], lambda m, F, x: F.cross_entropy(x, _target(m))),
    ("cross_entropy_w", [(5, 4), (4,)], lambda m, F, x, w: F.cross_entropy(x, _target(m), weight=w,
                                                                           label_smoothing=0.1)),
    ("prod", [(3, 4)], lambda m, F, a: m.prod(a, 1)),
    # promote
    ("cat", [(2, 3), (4, 3)], lambda m, F, a, b: m.cat([a, b])),
    ("stack", [(2, 3), (2, 3)], lambda m, F, a, b: m.stack([a, b], 1)),
    ("hstack", [(2, 3), (2, 1)], lambda m, F, a, b: m.hstack([a, b])),
    ("vstack", [(2, 3), (3,)], lambda m, F, a, b: m.vstack([a, b])),
    ("dstack", [(2, 3), (2, 3)], lambda m, F, a, b: m.dstack([a, b])),
    ("column_stack", [(3,), (3, 2)], lambda m, F, a, b: m.column_stack([a, b])),
    ("index_copy", [(4, 3), (2, 3)], lambda m, F, a, s: m.index_copy(a, 0, _idx(m, 4), s)),
    # not listed for the CPU: run on their inputs as they are
    ("exp", [(3, 4)], lambda m, F, a: m.exp(a)),
    ("softmax", [(3, 4)], lambda m, F, a: m.softmax(a, 1)),
    ("sum", [(3, 4)], lambda m, F, a: m.sum(a)),
    ("add", [(3, 4), (3, 4)], lambda m, F, a, b: a + b),
    ("layer_norm", [(3, 4), (4,), (4,)], lambda m, F, x, w, b: F.layer_norm(x, (4,), w, b)),
    ("relu", [(3, 4)], lambda m, F, a: F.relu(a)),
]

# dtypes of the floating inputs: all one dtype, or the first float32 and the others bfloat16.
COMBOS = {"f32": lambda n: [F32] * n, "bf16": lambda n: [BF16] * n, "f16": lambda n: [F16] * n,
          "f64": lambda n: [F64] * n, "mixed": lambda n: [F32] + [BF16] * (n - 1),
          "mixed64": lambda n: [F64] + [F32] * (n - 1)}


def run_both(fn, shapes, dtypes, ac_dtype=BF16, requires_grad=False):
    tinputs = [rand(s, F64, -1.0, 1.0).to(d) for s, d in zip(shapes, dtypes)]
    if requires_grad:
        tinputs = [t.requires_grad_() for t in tinputs]
    xinputs = [cpu(t.detach()) for t in tinputs]
    if requires_grad:
        xinputs = [x.requires_grad_() for x in xinputs]
    try:
        with torch.autocast("cpu", dtype=ac_dtype):
            expected = fn(torch, TF, *tinputs)
    except RuntimeError as e:
        if "autocast" in str(e):  # autocast's own refusal: tessera must refuse too
            with pytest.raises(RuntimeError, match="Unexpected floating ScalarType"):
                with ts.autocast("cpu", dtype=TORCH_TO_TS[ac_dtype]):
                    fn(ts, F, *xinputs)
        # else the op itself refuses these dtypes in torch (say a float64 input with a float32
        # weight); that is the op's business, not autocast's.
        return None, e, tinputs, xinputs
    with ts.autocast("cpu", dtype=TORCH_TO_TS[ac_dtype]):
        got = fn(ts, F, *xinputs)
    check(got, expected)
    return got, expected, tinputs, xinputs


@pytest.mark.parametrize("combo", list(COMBOS))
@pytest.mark.parametrize("name,shapes,fn", CASES, ids=[c[0] for c in CASES])
def test_output_dtype_and_values(seed, name, shapes, fn, combo):
    run_both(fn, shapes, COMBOS[combo](len(shapes)))


@pytest.mark.parametrize("name,shapes,fn", [c for c in CASES if c[0] in ("mm", "linear", "conv2d", "cat", "mse_loss",
                                                                        "sdpa", "addmm", "prod")],
                         ids=lambda c: c if isinstance(c, str) else "")
def test_float16_autocast_dtype(seed, name, shapes, fn):
    for combo in ("f32", "mixed", "bf16"):
        run_both(fn, shapes, COMBOS[combo](len(shapes)), ac_dtype=F16)


@pytest.mark.parametrize("combo", ["f32", "mixed", "bf16"])
@pytest.mark.parametrize("name,shapes,fn", [c for c in CASES if c[0] in (
    "mm", "addmm", "baddbmm", "matmul", "linear", "conv2d", "sdpa", "mse_loss", "cross_entropy_w", "prod", "cat",
    "stack", "hstack", "index_copy", "exp")], ids=lambda c: c if isinstance(c, str) else "")
def test_backward_dtypes_and_values(seed, name, shapes, fn, combo):
    """Casts are recorded: every input gets its gradient in its own dtype (backward outside autocast)."""
    got, expected, tin, xin = run_both(fn, shapes, COMBOS[combo](len(shapes)), requires_grad=True)
    if got is None:
        return
    g = rand(tuple(expected.shape), F64).to(expected.dtype)
    expected.backward(g)
    got.backward(cpu(g))
    for x, t in zip(xin, tin):
        assert x.grad is not None and TORCH_TO_TS[t.grad.dtype] == x.grad.dtype == x.dtype
        assert_close(x.grad, t.grad, **tol(BF16 if BF16 in (t.dtype, expected.dtype) else t.dtype))


def test_backward_inside_autocast(seed):
    """Backward inside the region runs its ops under autocast too (as in PyTorch); grads keep the leaves' dtypes."""
    x, w, b = rand((4, 6)), rand((3, 6)), rand((3,))
    tw, tb = w.clone().requires_grad_(), b.clone().requires_grad_()
    xw, xb = cpu(w).requires_grad_(), cpu(b).requires_grad_()
    with torch.autocast("cpu"):
        TF.mse_loss(TF.linear(x, tw, tb), torch.zeros(4, 3)).backward()
    with ts.autocast("cpu"):
        F.mse_loss(F.linear(cpu(x), xw, xb), ts.zeros(4, 3)).backward()
    assert xw.grad.dtype == ts.float32 and xb.grad.dtype == ts.float32
    assert_close(xw.grad, tw.grad, **tol(BF16))
    assert_close(xb.grad, tb.grad, **tol(BF16))


def test_casts_are_graph_nodes(seed):
    a = cpu(rand((3, 3))).requires_grad_()
    with ts.autocast("cpu"):
        y = ts.mm(a, a)
    assert y.dtype == ts.bfloat16 and y.requires_grad
    assert y.grad_fn.name() == "MmBackward0"
    assert {fn.name() for fn, _ in y.grad_fn.next_functions if fn is not None} == {"ToCopyBackward0"}


def test_no_grad_and_inference_mode(seed):
    a = cpu(rand((3, 4))).requires_grad_()
    w = cpu(rand((4, 2))).requires_grad_()
    with ts.autocast("cpu"):
        with ts.no_grad():
            y = ts.mm(a, w)
        assert y.dtype == ts.bfloat16 and not y.requires_grad
        y2 = ts.mm(a, w)  # the cast cached under no_grad still carries its graph
        assert y2.requires_grad
        y2.float().sum().backward()
        assert w.grad is not None and w.grad.dtype == ts.float32
        with ts.inference_mode():
            y3 = ts.mm(a, w)
        assert y3.dtype == ts.bfloat16 and not y3.requires_grad


def test_float64_integer_and_other_device_untouched(seed):
    d = cpu(rand((3, 3), F64))
    i = cpu(rand((3, 3), torch.int64))
    with ts.autocast("cpu"):
        assert ts.mm(d, d).dtype == ts.float64
        assert ts.mm(i, i).dtype == ts.int64
        assert (d * 2.5).dtype == ts.float64
    with ts.autocast("cpu"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "CUDA is not available" without a GPU
        with ts.autocast("cuda"):  # CPU tensors only: the CUDA autocast leaves them to the CPU one
            assert ts.mm(cpu(rand((2, 2))), cpu(rand((2, 2)))).dtype == ts.bfloat16
            assert ts.exp(cpu(rand((2, 2), BF16))).dtype == ts.bfloat16  # fp32 only on CUDA


def test_nesting_and_disabled_inside(seed):
    a, b = cpu(rand((3, 3))), cpu(rand((3, 3)))
    assert not ts.is_autocast_enabled("cpu")
    with ts.autocast("cpu"):
        assert ts.is_autocast_enabled("cpu") and ts.get_autocast_dtype("cpu") == ts.bfloat16
        assert ts.mm(a, b).dtype == ts.bfloat16
        with ts.autocast("cpu", enabled=False):
            assert not ts.is_autocast_enabled("cpu")
            assert ts.mm(a, b).dtype == ts.float32
            with ts.autocast("cpu", dtype=ts.float16):
                assert ts.mm(a, b).dtype == ts.float16
            assert ts.mm(a, b).dtype == ts.float32
        with ts.autocast("cpu", dtype=ts.float16):
            assert ts.get_autocast_dtype("cpu") == ts.float16
            assert ts.mm(a, b).dtype == ts.float16
        assert ts.get_autocast_dtype("cpu") == ts.bfloat16
        assert ts.mm(a, b).dtype == ts.bfloat16
    assert not ts.is_autocast_enabled("cpu") and ts.mm(a, b).dtype == ts.float32


def test_state_restored_after_exception(seed):
    with pytest.raises(ValueError):
        with ts.autocast("cpu", dtype=ts.float16, cache_enabled=False):
            raise ValueError("boom")
    assert not ts.is_autocast_enabled("cpu")
    assert ts.get_autocast_dtype("cpu") == ts.bfloat16
    assert ts.is_autocast_cache_enabled()
    assert ts._C._autocast_cache_size() == 0


def test_weight_cache(seed):
    w = cpu(rand((4, 4))).requires_grad_()
    x = cpu(rand((2, 4)))
    nonleaf = w * 1.0
    frozen = cpu(rand((4, 4)))
    assert ts._C._autocast_cache_size() == 0
    with ts.autocast("cpu"):
        y1 = ts.mm(x, w)
        y2 = ts.mm(x, w)
        assert ts._C._autocast_cache_size() == 1  # one cast of w, reused
        ts.mm(x, nonleaf)  # not a leaf
        ts.mm(x, frozen)  # does not require grad
        ts.mm(x, w[:2, :].t())  # a view
        ts.mm(x.double(), w.double())  # not a float32 -> autocast dtype cast
        assert ts._C._autocast_cache_size() == 1
        with ts.autocast("cpu"):
            ts.mm(x, w)
        assert ts._C._autocast_cache_size() == 1  # an inner region's exit keeps the cache
        with ts.autocast("cpu", dtype=ts.float16):
            # Its own entry (PyTorch keys by source only and fails here on the bfloat16 cast).
            assert ts.mm(x, w).dtype == ts.float16
            ts.mm(x, w)
        assert ts._C._autocast_cache_size() == 2
    assert ts._C._autocast_cache_size() == 0  # the outermost exit clears it
    (y1.float().sum() + y2.float().sum()).backward()
    # Two uses of the cached cast: its gradient is the sum of both, as without the cache.
    with torch.autocast("cpu"):
        tw = to_torch(w.detach()).requires_grad_()
        tx = to_torch(x)
        (torch.mm(tx, tw).float().sum() + torch.mm(tx, tw).float().sum()).backward()
    assert_close(w.grad, tw.grad, **tol(BF16))


def test_cache_disabled(seed):
    w = cpu(rand((4, 4))).requires_grad_()
    with ts.autocast("cpu", cache_enabled=False):
        assert not ts.is_autocast_cache_enabled()
        ts.mm(w, w)
        assert ts._C._autocast_cache_size() == 0
        with ts.autocast("cpu", cache_enabled=True):
            ts.mm(w, w)
            assert ts._C._autocast_cache_size() == 1
    assert ts.is_autocast_cache_enabled() and ts._C._autocast_cache_size() == 0


def test_decorator(seed):
    a = cpu(rand((3, 3)))

    @ts.autocast("cpu")
    def f(x):
        """doc"""
        assert ts.is_autocast_enabled("cpu")
        return ts.mm(x, x)

    @ts.amp.autocast("cpu", enabled=False)
    def g(x):
        return ts.mm(x, x)

    assert f(a).dtype == ts.bfloat16 and f.__name__ == "f" and f.__doc__ == "doc"
    with ts.autocast("cpu"):
        assert g(a).dtype == ts.float32
        assert ts.mm(a, a).dtype == ts.bfloat16
    assert not ts.is_autocast_enabled("cpu")
    with pytest.raises(TypeError, match="requires a callable"):
        ts.autocast("cpu")(3)


def test_thread_local(seed):
    a = cpu(rand((3, 3)))
    seen = {}

    def worker():
        seen["enabled"] = ts.is_autocast_enabled("cpu")
        seen["dtype"] = ts.mm(a, a).dtype
        with ts.autocast("cpu", dtype=ts.float16):
            seen["inner"] = ts.mm(a, a).dtype

    with ts.autocast("cpu"):
        th = threading.Thread(target=worker)
        th.start()
        th.join()
        assert ts.mm(a, a).dtype == ts.bfloat16 and ts.get_autocast_dtype("cpu") == ts.bfloat16
    assert seen == {"enabled": False, "dtype": ts.float32, "inner": ts.float16}


def test_explicit_dtype_argument_respected(seed):
    """fp32_set_opt_dtype leaves a dtype the caller gave alone (CPU policy swapped in for the test)."""
    x = rand((3, 5), BF16)
    ts._C._set_autocast_policy("softmax", "cpu", "fp32_set_opt_dtype")
    try:
        with ts.autocast("cpu"):
            out = ts.softmax(cpu(x), 1)
            assert_close(out, torch.softmax(x, 1, dtype=F32))
            assert ts.softmax(cpu(x), 1, dtype=ts.float64).dtype == ts.float64
            assert ts.softmax(cpu(x.double()), 1).dtype == ts.float64  # float64: not eligible, no dtype set
    finally:
        ts._C._set_autocast_policy("softmax", "cpu", "none")
    assert ts._C._autocast_policy("softmax", "cpu") == "none"


def test_promote_mixed_lower_precisions_raises(seed):
    a, b = rand((2, 3), F16), rand((2, 3), BF16)
    with torch.autocast("cpu"), pytest.raises(RuntimeError, match="Unexpected floating ScalarType"):
        torch.cat([a, b])
    with ts.autocast("cpu"), pytest.raises(RuntimeError, match=r"\[cat\] Unexpected floating ScalarType"):
        ts.cat([cpu(a), cpu(b)])


def test_functional_state_api():
    assert ts.get_autocast_dtype("cuda") == ts.float16 and ts.get_autocast_dtype("cpu") == ts.bfloat16
    assert ts.amp.is_autocast_available("cpu") and ts.amp.is_autocast_available("cuda:0")
    assert not ts.amp.is_autocast_available("plugin")
    assert ts.is_autocast_enabled() is False  # no argument: CUDA
    ts.set_autocast_enabled("cpu", True)
    try:
        assert ts.is_autocast_enabled("cpu") and not ts.is_autocast_enabled("cuda")
        assert ts.mm(ts.ones(2, 2), ts.ones(2, 2)).dtype == ts.bfloat16
        ts.set_autocast_dtype("cpu", ts.float16)
        assert ts.mm(ts.ones(2, 2), ts.ones(2, 2)).dtype == ts.float16
    finally:
        ts.set_autocast_enabled("cpu", False)
        ts.set_autocast_dtype("cpu", ts.bfloat16)
    ts.set_autocast_enabled(True)  # CUDA, as torch
    assert ts.is_autocast_enabled() and ts.is_autocast_enabled("cuda")
    ts.set_autocast_enabled(False)
    assert ts.autocast_increment_nesting() == 1 and ts.autocast_decrement_nesting() == 0
    with pytest.warns(DeprecationWarning, match="get_autocast_dtype"):
        assert ts.get_autocast_gpu_dtype() == ts.float16
    with pytest.warns(DeprecationWarning):
        assert ts.get_autocast_cpu_dtype() == ts.bfloat16
    with pytest.warns(DeprecationWarning):
        assert ts.is_autocast_cpu_enabled() is False


def test_cuda_amp_alias_is_deprecated():
    with pytest.warns(FutureWarning, match=r"tessera.amp.autocast\('cuda'"):
        ac = ts.cuda.amp.autocast()
    assert isinstance(ac, ts.autocast) and ac.device == "cuda" and ac.fast_dtype == ts.float16
    if not ts.cuda.is_available():
        assert not ac._enabled


def test_custom_fwd_bwd(seed):
    class Mul(ts.autograd.Function):
        @staticmethod
        @ts.amp.custom_fwd(device_type="cpu", cast_inputs=ts.float32)
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            assert not ts.is_autocast_enabled("cpu")
            return ts.mm(a, b)

        @staticmethod
        @ts.amp.custom_bwd(device_type="cpu")
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            assert not ts.is_autocast_enabled("cpu")  # forward ran with autocast off
            return ts.mm(g, b.t()), ts.mm(a.t(), g)

    a = cpu(rand((3, 4), BF16)).requires_grad_()
    b = cpu(rand((4, 2))).requires_grad_()
    with ts.autocast("cpu"):
        out = Mul.apply(a, b)
    assert out.dtype == ts.float32
    out.sum().backward()
    assert a.grad.dtype == ts.bfloat16 and b.grad.dtype == ts.float32


def test_gradient_of_another_float_dtype_is_cast(seed):
    """A floating gradient of another dtype reaches the input in its dtype (torch's validate_outputs)."""
    for m in (torch, ts):
        class Double(m.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return (g * 2).double()

        x = (torch.ones(3) if m is torch else ts.ones(3)).requires_grad_()
        Double.apply(x).sum().backward()
        assert x.grad.dtype == (torch.float32 if m is torch else ts.float32)
        assert x.grad.tolist() == [2.0, 2.0, 2.0]

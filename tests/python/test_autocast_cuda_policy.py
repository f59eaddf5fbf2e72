"""The CUDA autocast policy table, checked without a GPU, and autocast on a real GPU.

Without a GPU: (1) tessera's tables equal PyTorch's op lists (aten/src/ATen/autocast_mode.h,
written out below) for every op tessera has, and the ops listed agree with the AutocastCUDA /
AutocastCPU kernels registered in the installed torch; (2) torch's real CUDA autocast runs on fake
CUDA tensors (FakeTensorMode), which gives the output dtype of each op under torch.autocast("cuda");
tessera runs the same ops on CPU tensors with the CUDA policies swapped into the CPU autocast
(float16) and must give the same dtypes, and the values of torch with the inputs cast by hand.
With a GPU the same cases run under tessera.autocast("cuda") on CUDA tensors."""
import re

import pytest
import torch
import torch.nn.functional as TF

import tessera as ts
import tessera.nn.functional as F
from helpers import TS_TO_TORCH, assert_close, rand, to_ts

F32, BF16, F16, F64 = torch.float32, torch.bfloat16, torch.float16, torch.float64

# PyTorch's policies for the ops tessera has (AT_FORALL_LOWER_PRECISION_FP, AT_FORALL_FP32,
# AT_FORALL_FP32_SET_OPT_DTYPE, AT_FORALL_PROMOTE; the AutocastCPU list in autocast_mode.cpp).
LOWER, FP32, OPT, PROMOTE = "lower_precision_fp", "fp32", "fp32_set_opt_dtype", "promote"
CUDA_POLICIES = {
    "mm": LOWER, "bmm": LOWER, "addmm": LOWER, "baddbmm": LOWER, "matmul": LOWER, "linear": LOWER, "mv": LOWER,
    "conv2d": LOWER, "conv2d.padding": LOWER, "scaled_dot_product_attention": LOWER,
    "exp": FP32, "expm1": FP32, "log": FP32, "log10": FP32, "log2": FP32, "log1p": FP32, "erfinv": FP32,
    "reciprocal": FP32, "rsqrt": FP32, "tan": FP32, "pow": FP32, "softplus": FP32, "layer_norm": FP32,
    "rms_norm": FP32, "logsumexp": FP32, "nll_loss": FP32, "mse_loss": FP32, "cross_entropy": FP32,
    "softmax": OPT, "log_softmax": OPT, "sum": OPT, "cumsum": OPT, "cumprod": OPT, "prod": OPT, "norm": OPT,
    "addcdiv": PROMOTE, "addcmul": PROMOTE, "atan2": PROMOTE, "dot": PROMOTE, "index_put": PROMOTE,
    "scatter_add": PROMOTE,
}
CPU_POLICIES = {
    "mm": LOWER, "bmm": LOWER, "addmm": LOWER, "baddbmm": LOWER, "matmul": LOWER, "linear": LOWER,
    "conv2d": LOWER, "conv2d.padding": LOWER, "scaled_dot_product_attention": LOWER,
    "nll_loss": FP32, "mse_loss": FP32, "cross_entropy": FP32, "prod": FP32,
    "cat": PROMOTE, "stack": PROMOTE, "index_copy": PROMOTE,
    "hstack": PROMOTE, "vstack": PROMOTE, "dstack": PROMOTE, "column_stack": PROMOTE,
}
# tessera op -> the aten op whose autocast kernel it corresponds to, where the names differ.
ATEN_NAME = {"cross_entropy": "cross_entropy_loss", "norm": "linalg_vector_norm"}
# Listed by tessera but reached through a composite in torch (see csrc/amp/autocast_policies.cpp).
COMPOSITE = {"cuda": {"cross_entropy"}, "cpu": {"hstack", "vstack", "dstack", "column_stack"}}


@pytest.mark.parametrize("device,expected", [("cuda", CUDA_POLICIES), ("cpu", CPU_POLICIES)])
def test_policy_tables(device, expected):
    for op in ts._C._registered_ops():
        assert ts._C._autocast_policy(op, device) == expected.get(op, "none"), op


def _torch_autocast_kernels(key):
    """Base names of the aten ops with a kernel for `key` (AutocastCUDA / AutocastCPU) in this torch."""
    names = set()
    for n in torch._C._dispatch_get_all_op_names():
        if not n.startswith("aten::"):
            continue
        for line in torch._C._dispatch_dump_table(n).splitlines():
            if re.match(rf"{key}: registered at \S*autocast", line) and "fallthrough" not in line:
                names.add(n[len("aten::"):].split(".")[0])
    return names


@pytest.mark.parametrize("device,key", [("cuda", "AutocastCUDA"), ("cpu", "AutocastCPU")])
def test_listed_ops_match_torch_dispatch_table(device, key):
    torch_listed = _torch_autocast_kernels(key)
    for op in ts._C._registered_ops():
        base = op.split(".")[0]
        listed = ts._C._autocast_policy(op, device) != "none"
        if base in COMPOSITE[device]:
            assert listed
            continue
        in_torch = ATEN_NAME.get(base, base) in torch_listed
        assert listed == in_torch, f"{op}: listed by tessera {listed}, by torch {in_torch}"


# ---- behaviour: torch's CUDA autocast on fake CUDA tensors vs tessera with the CUDA policies

def _target(m, dev):
    t = torch.tensor([1, 0, 3, 2, 1])
    return t.to(dev) if m is torch else to_ts(t).to(dev)


def _index(m, dev):
    t = torch.tensor([3, 0])
    return t.to(dev) if m is torch else to_ts(t).to(dev)


# (name, shapes of the floating inputs, fn(m, F, dev, *inputs)); m is torch or tessera.
CASES = [
    ("mm", [(5, 7), (7, 3)], lambda m, F, d, a, b: m.mm(a, b)),
    ("bmm", [(2, 5, 7), (2, 7, 3)], lambda m, F, d, a, b: m.bmm(a, b)),
    ("addmm", [(5, 3), (5, 7), (7, 3)], lambda m, F, d, c, a, b: m.addmm(c, a, b, beta=0.5, alpha=2.0)),
    ("baddbmm", [(2, 5, 3), (2, 5, 7), (2, 7, 3)], lambda m, F, d, c, a, b: m.baddbmm(c, a, b)),
    ("matmul", [(2, 5, 7), (7, 3)], lambda m, F, d, a, b: m.matmul(a, b)),
    ("mv", [(5, 7), (7,)], lambda m, F, d, a, b: m.mv(a, b)),
    ("linear", [(4, 6), (3, 6), (3,)], lambda m, F, d, x, w, b: F.linear(x, w, b)),
    ("conv2d", [(2, 3, 6, 6), (4, 3, 3, 3), (4,)], lambda m, F, d, x, w, b: F.conv2d(x, w, b, padding=1)),
    ("conv2d_same", [(1, 2, 5, 5), (3, 2, 3, 3)], lambda m, F, d, x, w: F.conv2d(x, w, padding="same")),
    ("sdpa", [(2, 4, 8), (2, 5, 8), (2, 5, 8)], lambda m, F, d, q, k, v: F.scaled_dot_product_attention(q, k, v)),
    ("exp", [(3, 4)], lambda m, F, d, a: m.exp(a)),
    ("log", [(3, 4)], lambda m, F, d, a: m.log(a)),
    ("log1p", [(3, 4)], lambda m, F, d, a: m.log1p(a)),
    ("expm1", [(3, 4)], lambda m, F, d, a: m.expm1(a)),
    ("log2", [(3, 4)], lambda m, F, d, a: m.log2(a)),
    ("log10", [(3, 4)], lambda m, F, d, a: m.log10(a)),
    ("erfinv", [(3, 4)], lambda m, F, d, a: m.erfinv(a)),
    ("reciprocal", [(3, 4)], lambda m, F, d, a: m.reciprocal(a)),
    ("rsqrt", [(3, 4)], lambda m, F, d, a: m.rsqrt(a)),
    ("tan", [(3, 4)], lambda m, F, d, a: m.tan(a)),
    ("pow", [(3, 4), (3, 4)], lambda m, F, d, a, b: m.pow(a, b)),
    ("pow_scalar", [(3, 4)], lambda m, F, d, a: m.pow(a, 2.0)),
    ("softplus", [(3, 4)], lambda m, F, d, a: F.softplus(a)),
    ("layer_norm", [(3, 4), (4,), (4,)], lambda m, F, d, x, w, b: F.layer_norm(x, (4,), w, b)),
    ("rms_norm", [(3, 4), (4,)], lambda m, F, d, x, w: F.rms_norm(x, (4,), w)),
    ("logsumexp", [(3, 4)], lambda m, F, d, a: m.logsumexp(a, 1)),
    ("nll_loss", [(5, 4)], lambda m, F, d, x: F.nll_loss(x, _target(m, d))),
    ("mse_loss", [(4, 5), (4, 5)], lambda m, F, d, a, b: F.mse_loss(a, b)),
    ("cross_entropy", [(5, 4), (4,)], lambda m, F, d, x, w: F.cross_entropy(x, _target(m, d), weight=w,
                                                                             label_smoothing=0.1)),
    ("softmax", [(3, 4)], lambda m, F, d, a: m.softmax(a, 1)),
    ("softmax_dtype", [(3, 4)], lambda m, F, d, a: m.softmax(a, 1, dtype=m.float64)),
    ("log_softmax", [(3, 4)], lambda m, F, d, a: m.log_softmax(a, 1)),
    ("sum", [(3, 4)], lambda m, F, d, a: m.sum(a, 1)),
    ("cumsum", [(3, 4)], lambda m, F, d, a: m.cumsum(a, 1)),
    ("cumprod", [(3, 4)], lambda m, F, d, a: m.cumprod(a, 1)),
    ("prod", [(3, 4)], lambda m, F, d, a: m.prod(a, 1)),
    ("norm", [(3, 4)], lambda m, F, d, a: a.norm()),
    ("addcdiv", [(3, 4), (3, 4), (3, 4)], lambda m, F, d, a, b, c: m.addcdiv(a, b, c, value=0.5)),
    ("addcmul", [(3, 4), (3, 4), (3, 4)], lambda m, F, d, a, b, c: m.addcmul(a, b, c)),
    ("atan2", [(3, 4), (3, 4)], lambda m, F, d, a, b: m.atan2(a, b)),
    ("dot", [(6,), (6,)], lambda m, F, d, a, b: m.dot(a, b)),
    ("scatter_add", [(4, 3), (4, 3)], lambda m, F, d, a, s: m.scatter_add(a, 0, _index(m, d)[:1].expand(1, 3), s[:1])),
    ("index_put", [(4, 3), (2, 3)], lambda m, F, d, a, v: a.index_put((_index(m, d),), v)),
    # not listed for CUDA
    ("cat", [(2, 3), (4, 3)], lambda m, F, d, a, b: m.cat([a, b])),
    ("add", [(3, 4), (3, 4)], lambda m, F, d, a, b: a + b),
    ("relu", [(3, 4)], lambda m, F, d, a: F.relu(a)),
    ("mean", [(3, 4)], lambda m, F, d, a: m.mean(a)),
]
# Cases whose name is not the op's.
CASE_OP = {"conv2d_same": "conv2d.padding", "sdpa": "scaled_dot_product_attention", "pow_scalar": "pow",
           "softmax_dtype": "softmax"}
COMBOS = {"f32": lambda n: [F32] * n, "f16": lambda n: [F16] * n, "mixed": lambda n: [F32] + [F16] * (n - 1),
          "mixed_rev": lambda n: [F16] + [F32] * (n - 1), "f64": lambda n: [F64] * n}


# Cases whose inputs must lie in the op's domain: drawn from [0.5, 1.5].
POSITIVE = {"log", "log1p", "log2", "log10", "reciprocal", "rsqrt", "pow", "addcdiv"}


def _inputs(shapes, dtypes, positive=False):
    low, high = (0.5, 1.5) if positive else (-0.9, 0.9)
    return [rand(s, F64, low, high).to(dt) for s, dt in zip(shapes, dtypes)]


def torch_cuda_autocast(fn, inputs):
    """The output of torch's real CUDA autocast on fake CUDA tensors (dtype and shape only), or the error."""
    from torch._subclasses.fake_tensor import FakeTensorMode

    with FakeTensorMode(allow_non_fake_inputs=True):
        fake = [torch.empty(t.shape, dtype=t.dtype, device="cuda") for t in inputs]
        prev = torch.is_autocast_enabled("cuda")
        torch.set_autocast_enabled("cuda", True)
        torch.autocast_increment_nesting()
        try:
            out = fn(torch, TF, "cuda", *fake)
            return out.dtype, tuple(out.shape)
        finally:
            torch.autocast_decrement_nesting()
            torch.clear_autocast_cache()
            torch.set_autocast_enabled("cuda", prev)


def reference(name, fn, inputs):
    """torch on the CPU with the inputs cast by hand as the CUDA policy says."""
    policy = CUDA_POLICIES.get(CASE_OP.get(name, name), "none")
    eligible = [t.dtype for t in inputs if t.dtype != F64]
    kw = {}
    if policy == LOWER:
        cast = F16
    elif policy == FP32:
        cast = F32
    elif policy == PROMOTE:
        cast = F32 if F32 in eligible else F16
    else:
        cast = None
    ins = [t.to(cast) if cast is not None and t.dtype != F64 else t for t in inputs]
    if policy == OPT and inputs[0].dtype != F64 and name != "softmax_dtype":
        # dtype=float32 through the op's own argument (torch.norm -> linalg_vector_norm(dtype=...))
        ins = [ins[0].float()] + ins[1:]
    return fn(torch, TF, "cpu", *ins)


@pytest.fixture
def cuda_policies_on_cpu():
    """The CPU autocast with the CUDA policies, so the CUDA table runs through the real kernel path on CPU tensors."""
    ops = [op for op in ts._C._registered_ops()
           if (ts._C._autocast_policy(op, "cpu"), ts._C._autocast_policy(op, "cuda")) != ("none", "none")]
    saved = {op: ts._C._autocast_policy(op, "cpu") for op in ops}
    for op in ops:
        ts._C._set_autocast_policy(op, "cpu", ts._C._autocast_policy(op, "cuda"))
    try:
        yield
    finally:
        for op, p in saved.items():
            ts._C._set_autocast_policy(op, "cpu", p)
    assert ts._C._autocast_policy("cat", "cpu") == PROMOTE and ts._C._autocast_policy("exp", "cpu") == "none"


def tol(dtype):
    return {F16: dict(rtol=4e-3, atol=4e-3), F32: dict(rtol=2e-5, atol=2e-5),
            F64: dict(rtol=1e-10, atol=1e-10)}.get(dtype, dict(rtol=0, atol=0))


def run_case(name, fn, shapes, combo, device, autocast_device):
    inputs = _inputs(shapes, COMBOS[combo](len(shapes)), positive=name in POSITIVE)
    try:
        expected_dtype, expected_shape = torch_cuda_autocast(fn, inputs)
    except RuntimeError as e:
        if "autocast" in str(e):
            with pytest.raises(RuntimeError, match="Unexpected floating ScalarType"):
                with ts.autocast(autocast_device, dtype=ts.float16):
                    fn(ts, F, device, *[to_ts(t).to(device) for t in inputs])
        return
    xs = [to_ts(t).to(device) for t in inputs]
    with ts.autocast(autocast_device, dtype=ts.float16):
        try:
            got = fn(ts, F, device, *xs)
        except NotImplementedError as e:  # an op without a kernel for this device is not autocast's business
            pytest.skip(str(e))
    assert TS_TO_TORCH[got.dtype] == expected_dtype, f"{name}: tessera {got.dtype}, torch {expected_dtype}"
    assert tuple(got.shape) == expected_shape
    ref = reference(name, fn, inputs)
    assert ref.dtype == expected_dtype
    assert_close(got.to("cpu"), ref, **tol(expected_dtype))


@pytest.mark.parametrize("combo", list(COMBOS))
@pytest.mark.parametrize("name,shapes,fn", CASES, ids=[c[0] for c in CASES])
def test_cuda_policy_matches_torch_cuda_autocast(seed, cuda_policies_on_cpu, name, shapes, fn, combo):
    run_case(name, fn, shapes, combo, "cpu", "cpu")


def test_promote_mixed_lower_precisions_like_torch_cuda(seed, cuda_policies_on_cpu):
    a, b, c = rand((3, 4), F16), rand((3, 4), BF16), rand((3, 4))
    with pytest.raises(RuntimeError, match="Unexpected floating ScalarType"):
        torch_cuda_autocast(lambda m, F, d, x, y, z: m.addcmul(x, y, z), [a, b, c])
    with ts.autocast("cpu", dtype=ts.float16), pytest.raises(RuntimeError, match=r"\[addcmul\] Unexpected"):
        ts.addcmul(*[to_ts(t).to("cpu") for t in (a, b, c)])


def test_plan_helper():
    plan = ts._C._autocast_plan
    assert plan("mm", "cuda", [ts.float32, ts.float32]) == (ts.float16, None)
    assert plan("softmax", "cuda", [ts.float16]) == (None, ts.float32)
    assert plan("softmax", "cuda", [ts.float64]) == (None, None)
    assert plan("sum", "cuda", [ts.int64]) == (None, None)
    assert plan("exp", "cuda", [ts.float16]) == (ts.float32, None)
    assert plan("addcmul", "cuda", [ts.float16, ts.float16, ts.float16]) == (ts.float16, None)
    assert plan("addcmul", "cuda", [ts.float16, ts.float32, None]) == (ts.float32, None)
    assert plan("exp", "cpu", [ts.float32]) == (None, None)
    assert plan("mm", "cpu", [ts.float32, ts.float32]) == (ts.bfloat16, None)
    with pytest.raises(RuntimeError, match="Unexpected floating ScalarType"):
        plan("addcmul", "cuda", [ts.float16, ts.bfloat16])


# ---- on a real GPU

needs_gpu = pytest.mark.skipif(not ts.cuda.is_available(), reason="needs a CUDA GPU")


@needs_gpu
@pytest.mark.parametrize("combo", ["f32", "f16", "mixed", "f64"])
@pytest.mark.parametrize("name,shapes,fn", CASES, ids=[c[0] for c in CASES])
def test_cuda_autocast_on_gpu(seed, name, shapes, fn, combo):
    run_case(name, fn, shapes, combo, "cuda", "cuda")


@needs_gpu
def test_cuda_autocast_backward_and_cache_on_gpu(seed):
    w = to_ts(rand((6, 4))).to("cuda").requires_grad_()
    b = to_ts(rand((6,))).to("cuda").requires_grad_()
    x = to_ts(rand((3, 4))).to("cuda")
    with ts.autocast("cuda"):
        y = F.linear(x, w, b)
        assert y.dtype == ts.float16 and ts._C._autocast_cache_size() == 2
        loss = F.mse_loss(y, ts.zeros(3, 6, device="cuda"))
        assert loss.dtype == ts.float32
        # CPU tensors are not the CUDA autocast's business.
        assert ts.mm(ts.ones(2, 2), ts.ones(2, 2)).dtype == ts.float32
    assert ts._C._autocast_cache_size() == 0
    loss.backward()
    assert w.grad.dtype == ts.float32 and b.grad.dtype == ts.float32 and w.grad.device.type == "cuda"
    tw, tb = to_torch_cpu(w).requires_grad_(), to_torch_cpu(b).requires_grad_()
    ty = TF.linear(to_torch_cpu(x).half(), tw.half(), tb.half())
    TF.mse_loss(ty.float(), torch.zeros(3, 6)).backward()
    assert_close(w.grad.to("cpu"), tw.grad, rtol=1e-2, atol=1e-2)
    assert_close(b.grad.to("cpu"), tb.grad, rtol=1e-2, atol=1e-2)


def to_torch_cpu(x):
    from helpers import to_torch

    return to_torch(x.detach().to("cpu"))


@needs_gpu
def test_cuda_autocast_bfloat16_on_gpu(seed):
    a, b = to_ts(rand((8, 8))).to("cuda"), to_ts(rand((8, 8))).to("cuda")
    with ts.autocast("cuda", dtype=ts.bfloat16):
        assert ts.mm(a, b).dtype == ts.bfloat16
        assert ts.softmax(ts.mm(a, b), 1).dtype == ts.float32


def test_cuda_autocast_without_gpu_disables_itself():
    if ts.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.warns(UserWarning, match="CUDA is not available. Disabling autocast."):
        ac = ts.autocast("cuda")
    with ac:
        assert not ts.is_autocast_enabled("cuda")


def test_backward_inside_region_with_cuda_policies(seed, cuda_policies_on_cpu):
    """Backward formulas under the CUDA policies compute some steps in float32; gradients still come
    back in each input's dtype (tessera's formulas cast to the input's dtype)."""
    x, w = rand((4, 3)), rand((3, 2))
    tx, tw = x.clone().requires_grad_(), w.clone().requires_grad_()
    xx, xw = to_ts(x).to("cpu").requires_grad_(), to_ts(w).to("cpu").requires_grad_()
    with ts.autocast("cpu", dtype=ts.float16):
        y = ts.mm(xx, xw)
        loss = (ts.exp(y) + ts.pow(y, 2.0) + F.softplus(y)).sum()
        assert y.dtype == ts.float16 and loss.dtype == ts.float32
        loss.backward()
    assert xx.grad.dtype == ts.float32 and xw.grad.dtype == ts.float32
    ty = torch.mm(tx.half(), tw.half())
    (torch.exp(ty.float()) + torch.pow(ty.float(), 2.0) + TF.softplus(ty.float())).sum().backward()
    assert_close(xx.grad, tx.grad, rtol=1e-2, atol=1e-2)
    assert_close(xw.grad, tw.grad, rtol=1e-2, atol=1e-2)

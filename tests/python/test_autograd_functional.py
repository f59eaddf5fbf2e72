"""tessera.autograd.functional (vjp, jvp, jacobian, hessian, vhp, hvp) against
torch.autograd.functional on random inputs, incl. create_graph, tuple inputs and strict errors."""
import pytest
import torch
import torch.autograd.functional as TAF

import tessera as ts
import tessera.autograd.functional as AF
from helpers import assert_close, rand, to_ts

DTYPES = [torch.float32, torch.float64]
TOL = {torch.float32: dict(rtol=1e-4, atol=1e-5), torch.float64: dict(rtol=1e-7, atol=1e-9)}


def _mod(lib):
    return ts if lib == "ts" else torch


# Functions of one or two inputs written once for both libraries.
def f_single(m):
    return lambda x: m.tanh(x) * x.sum()


def f_pair(m):
    return lambda x, y: (m.matmul(x, y).sin(), (x * x).sum() + y.exp().mean())


def f_scalar(m):
    return lambda x: (m.sin(x) * x * x).sum() + (x ** 3).mean()


def f_scalar_pair(m):
    return lambda x, y: (m.tanh(x) * y.sum() + x * x).sum() + (y ** 3).sum()


def _flat(r):
    if isinstance(r, (tuple, list)):
        return [e for x in r for e in _flat(x)]
    return [r]


def check(res, ref, dtype):
    a, b = _flat(res), _flat(ref)
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert_close(x, y.detach(), **TOL[dtype])


def both(tinputs):
    """(tessera inputs, torch inputs): same values, same tuple structure."""
    if isinstance(tinputs, tuple):
        return tuple(to_ts(t) for t in tinputs), tinputs
    return to_ts(tinputs), tinputs


@pytest.mark.parametrize("dtype", DTYPES)
def test_vjp(seed, dtype):
    x, tx = both(rand((3,), dtype))
    v, tv = both(rand((3,), dtype))
    check(AF.vjp(f_single(ts), x, v), TAF.vjp(f_single(torch), tx, tv), dtype)
    xs, txs = both((rand((2, 3), dtype), rand((3, 4), dtype)))
    vs, tvs = both((rand((2, 4), dtype), rand((), dtype)))
    res, ref = AF.vjp(f_pair(ts), xs, vs), TAF.vjp(f_pair(torch), txs, tvs)
    assert isinstance(res[1], tuple) and len(res[1]) == 2
    check(res, ref, dtype)
    # v may be None for a single-element output
    check(AF.vjp(f_scalar(ts), x), TAF.vjp(f_scalar(torch), tx), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_jvp(seed, dtype):
    x, tx = both(rand((3,), dtype))
    v, tv = both(rand((3,), dtype))
    check(AF.jvp(f_single(ts), x, v), TAF.jvp(f_single(torch), tx, tv), dtype)
    xs, txs = both((rand((2, 3), dtype), rand((3, 4), dtype)))
    vs, tvs = both((rand((2, 3), dtype), rand((3, 4), dtype)))
    check(AF.jvp(f_pair(ts), xs, vs), TAF.jvp(f_pair(torch), txs, tvs), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_jacobian(seed, dtype):
    x, tx = both(rand((4,), dtype))
    res, ref = AF.jacobian(f_single(ts), x), TAF.jacobian(f_single(torch), tx)
    assert tuple(res.shape) == (4, 4)
    check(res, ref, dtype)
    xs, txs = both((rand((2, 3), dtype), rand((3, 2), dtype)))
    res, ref = AF.jacobian(f_pair(ts), xs), TAF.jacobian(f_pair(torch), txs)
    assert [tuple(r.shape) for r in _flat(res)] == [tuple(r.shape) for r in _flat(ref)]
    check(res, ref, dtype)


@pytest.mark.parametrize("vectorize,strategy", [(True, "reverse-mode"), (True, "forward-mode")])
def test_jacobian_vectorize_and_forward_mode(seed, vectorize, strategy):
    xs, txs = both((rand((2, 3), torch.float64), rand((3, 2), torch.float64)))
    res = AF.jacobian(f_pair(ts), xs, vectorize=vectorize, strategy=strategy)
    ref = TAF.jacobian(f_pair(torch), txs, vectorize=vectorize, strategy=strategy)
    check(res, ref, torch.float64)


@pytest.mark.parametrize("dtype", DTYPES)
def test_hessian(seed, dtype):
    x, tx = both(rand((4,), dtype))
    check(AF.hessian(f_scalar(ts), x), TAF.hessian(f_scalar(torch), tx), dtype)
    xs, txs = both((rand((3,), dtype), rand((2,), dtype)))
    res, ref = AF.hessian(f_scalar_pair(ts), xs), TAF.hessian(f_scalar_pair(torch), txs)
    assert [tuple(r.shape) for r in _flat(res)] == [tuple(r.shape) for r in _flat(ref)]
    check(res, ref, dtype)


@pytest.mark.parametrize("fn", ["vhp", "hvp"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_vhp_hvp(seed, fn, dtype):
    x, tx = both(rand((4,), dtype))
    v, tv = both(rand((4,), dtype))
    check(getattr(AF, fn)(f_scalar(ts), x, v), getattr(TAF, fn)(f_scalar(torch), tx, tv), dtype)
    xs, txs = both((rand((3,), dtype), rand((2,), dtype)))
    vs, tvs = both((rand((3,), dtype), rand((2,), dtype)))
    check(getattr(AF, fn)(f_scalar_pair(ts), xs, vs), getattr(TAF, fn)(f_scalar_pair(torch), txs, tvs), dtype)


@pytest.mark.parametrize("fn", ["vjp", "jvp", "vhp", "hvp"])
def test_create_graph(seed, fn):
    """With create_graph the results are differentiable in the inputs (and match torch's gradients)."""
    tx, tv = rand((4,), torch.float64), rand((4,), torch.float64)
    grads = []
    for lib, AFm in [("ts", AF), ("torch", TAF)]:
        m = _mod(lib)
        x = (to_ts(tx) if lib == "ts" else tx.clone()).requires_grad_()
        v = to_ts(tv) if lib == "ts" else tv
        f = f_single(m) if fn in ("vjp", "jvp") else f_scalar(m)
        out, res = getattr(AFm, fn)(f, x, v, create_graph=True)
        assert res.requires_grad
        (res * res).sum().backward()
        grads.append(x.grad)
    assert_close(grads[0], grads[1])


def test_jacobian_hessian_create_graph(seed):
    tx = rand((3,), torch.float64)
    grads = []
    for lib, AFm in [("ts", AF), ("torch", TAF)]:
        m = _mod(lib)
        x = (to_ts(tx) if lib == "ts" else tx.clone()).requires_grad_()
        j = AFm.jacobian(f_single(m), x, create_graph=True)
        h = AFm.hessian(f_scalar(m), x, create_graph=True)
        (j.sum() + (h * h).sum()).backward()
        grads.append(x.grad)
    assert_close(grads[0], grads[1])


def test_results_detached_without_create_graph(seed):
    x = to_ts(rand((3,), torch.float64)).requires_grad_()
    out, res = AF.vjp(f_single(ts), x, ts.ones(3, dtype=ts.float64))
    assert not out.requires_grad and not res.requires_grad
    assert not AF.jacobian(f_single(ts), x).requires_grad


def test_unused_input_gives_zeros(seed):
    xs, txs = both((rand((3,), torch.float64), rand((2,), torch.float64)))
    res = AF.jacobian(lambda a, b: a * 2, xs)
    ref = TAF.jacobian(lambda a, b: a * 2, txs)
    check(res, ref, torch.float64)
    res = AF.vjp(lambda a, b: a.sum(), xs)
    ref = TAF.vjp(lambda a, b: a.sum(), txs)
    check(res, ref, torch.float64)


# ---------------------------------------------------------------- errors (messages as PyTorch's)
def _raises_like_torch(call_ts, call_torch, exc=RuntimeError):
    with pytest.raises(exc) as ref:
        call_torch()
    with pytest.raises(exc) as got:
        call_ts()
    assert str(got.value) == str(ref.value).replace("torch.Size", "tessera.Size")


def test_strict_errors(seed):
    tx = rand((3,), torch.float64)
    x = to_ts(tx)
    # output independent of the input
    _raises_like_torch(lambda: AF.vjp(lambda a: ts.ones(3), x, ts.ones(3), strict=True),
                       lambda: TAF.vjp(lambda a: torch.ones(3), tx, torch.ones(3), strict=True))
    _raises_like_torch(lambda: AF.jacobian(lambda a, b: a * 2, (x, x), strict=True),
                       lambda: TAF.jacobian(lambda a, b: a * 2, (tx, tx), strict=True))
    # linear function: its jacobian does not depend on the input
    _raises_like_torch(lambda: AF.hessian(lambda a: (a * 2).sum(), x, strict=True),
                       lambda: TAF.hessian(lambda a: (a * 2).sum(), tx, strict=True))
    _raises_like_torch(lambda: AF.jvp(lambda a: ts.ones(()), x, x, strict=True),
                       lambda: TAF.jvp(lambda a: torch.ones(()), tx, tx, strict=True))
    _raises_like_torch(lambda: AF.hvp(lambda a: a.sum(), x, x, strict=True),
                       lambda: TAF.hvp(lambda a: a.sum(), tx, tx, strict=True))


def test_bad_arguments(seed):
    tx = rand((3,), torch.float64)
    x = to_ts(tx)
    _raises_like_torch(lambda: AF.vjp(f_single(ts), x), lambda: TAF.vjp(f_single(torch), tx))  # v needed
    _raises_like_torch(lambda: AF.jvp(f_single(ts), x, ts.ones(4, dtype=ts.float64)),
                       lambda: TAF.jvp(f_single(torch), tx, torch.ones(4, dtype=torch.float64)))
    _raises_like_torch(lambda: AF.jvp(f_pair(ts), (x, x), (x,)), lambda: TAF.jvp(f_pair(torch), (tx, tx), (tx,)))
    _raises_like_torch(lambda: AF.hvp(f_single(ts), x, x), lambda: TAF.hvp(f_single(torch), tx, tx))
    _raises_like_torch(lambda: AF.hessian(lambda a: (a, a), x), lambda: TAF.hessian(lambda a: (a, a), tx))
    _raises_like_torch(lambda: AF.vjp(f_single(ts), [x], x), lambda: TAF.vjp(f_single(torch), [tx], tx), TypeError)
    _raises_like_torch(lambda: AF.jacobian(f_single(ts), x, create_graph=True, strategy="forward-mode"),
                       lambda: TAF.jacobian(f_single(torch), tx, create_graph=True, strategy="forward-mode"),
                       NotImplementedError)
    with pytest.raises(AssertionError):
        AF.jacobian(f_single(ts), x, strategy="sideways")

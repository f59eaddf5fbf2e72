"""The autograd surface that does not depend on op formulas: flags, grad mode, refusals."""
import threading

import numpy as np
import pytest

import tessera as ts


def leaf(shape=(3,), dtype=np.float32):
    x = ts.from_numpy(np.random.rand(*shape).astype(dtype))
    x.requires_grad_()
    return x


def test_requires_grad_flags():
    x = leaf()
    assert x.requires_grad and x.is_leaf and x.grad is None and x.grad_fn is None
    x.requires_grad = False
    assert not x.requires_grad
    d = leaf().detach()
    assert not d.requires_grad and d.is_leaf


def test_only_float_tensors_can_require_grad():
    x = ts.from_numpy(np.arange(3))
    with pytest.raises(RuntimeError, match="floating point"):
        x.requires_grad_()


def test_grad_setter_checks_shape_and_dtype():
    x = leaf((2, 3))
    x.grad = ts.from_numpy(np.ones((2, 3), dtype=np.float32))
    assert x.grad.shape == (2, 3)
    with pytest.raises(RuntimeError, match="shape"):
        x.grad = ts.from_numpy(np.ones((3,), dtype=np.float32))
    with pytest.raises(RuntimeError, match="data type"):
        x.grad = ts.from_numpy(np.ones((2, 3), dtype=np.float64))
    x.grad = None
    assert x.grad is None


def test_op_without_formula_refuses_instead_of_dropping_the_gradient():
    x = leaf()
    # The integer bitwise in-place ops have no formula (any op without one will do here).
    with pytest.raises(NotImplementedError, match=r"\[bitwise_and_\].*backward formula"):
        ts.zeros(3, dtype=ts.int64).bitwise_and_(x)
    with ts.no_grad():
        y = (x * 1).exp_()
    assert not y.requires_grad


def test_backward_needs_grad_and_scalar():
    x = ts.from_numpy(np.ones(3, dtype=np.float32))
    with pytest.raises(RuntimeError, match="does not require grad"):
        x.backward()


def test_grad_mode_context_managers_and_decorators():
    assert ts.is_grad_enabled()
    with ts.no_grad():
        assert not ts.is_grad_enabled()
        with ts.enable_grad():
            assert ts.is_grad_enabled()
        assert not ts.is_grad_enabled()
    assert ts.is_grad_enabled()

    @ts.no_grad()
    def f():
        return ts.is_grad_enabled()

    assert f() is False and ts.is_grad_enabled()
    with ts.set_grad_enabled(False):
        assert not ts.is_grad_enabled()
    assert ts.is_grad_enabled()
    ts.set_grad_enabled(False)
    assert not ts.is_grad_enabled()
    ts.set_grad_enabled(True)
    with ts.inference_mode():
        assert not ts.is_grad_enabled() and ts._C.is_inference_mode_enabled()
    assert ts.is_grad_enabled() and not ts._C.is_inference_mode_enabled()


def test_grad_mode_is_thread_local():
    seen = []
    with ts.no_grad():
        t = threading.Thread(target=lambda: seen.append(ts.is_grad_enabled()))
        t.start()
        t.join()
    assert seen == [True]

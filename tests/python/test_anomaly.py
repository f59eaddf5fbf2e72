"""Anomaly mode (detect_anomaly / set_detect_anomaly) against torch's."""
import warnings

import pytest
import torch

import tessera as ts
from helpers import assert_close, rand, to_ts


def check(actual, expected):
    """Values (graph detached on both sides) equal within the dtype's tolerance."""
    assert_close(actual.detach(), expected.detach())


@pytest.fixture(autouse=True)
def _anomaly_off_after():
    yield
    ts.autograd.set_detect_anomaly(False)
    assert not ts.is_anomaly_enabled()


def _torch_error(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.autograd.detect_anomaly():
            with pytest.raises(RuntimeError) as info:
                fn()
    return str(info.value)


def test_switches_context_and_decorator():
    assert not ts.autograd.is_anomaly_enabled()
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        ctx = ts.autograd.detect_anomaly()
    with ctx:
        assert ts.autograd.is_anomaly_enabled() and ts.is_anomaly_check_nan_enabled()
    assert not ts.is_anomaly_enabled()
    with pytest.warns(UserWarning):
        with ts.autograd.detect_anomaly(check_nan=False):
            assert ts.is_anomaly_enabled() and not ts.is_anomaly_check_nan_enabled()
    assert ts.is_anomaly_check_nan_enabled()

    with pytest.warns(UserWarning):
        @ts.autograd.detect_anomaly()
        def inside():
            return ts.is_anomaly_enabled()

    with pytest.warns(UserWarning):  # each call enters a fresh context, as torch's decorator
        assert inside()
    assert not ts.is_anomaly_enabled()
    ts.autograd.set_detect_anomaly(True)
    assert ts.is_anomaly_enabled()
    ts.autograd.set_detect_anomaly(False)
    assert not ts.is_anomaly_enabled()
    with ts.autograd.set_detect_anomaly(True, check_nan=False):
        assert ts.is_anomaly_enabled() and not ts.is_anomaly_check_nan_enabled()
    assert not ts.is_anomaly_enabled()


def test_sqrt_of_negative_names_the_node_and_shows_forward_traceback(seed):
    t = rand((5,), low=0.5, high=2.0)
    t[2] = -1.0
    x = to_ts(t).requires_grad_()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with ts.autograd.detect_anomaly():
            y = x.sqrt()  # FORWARD-LINE-SQRT
            with pytest.raises(RuntimeError) as info:
                y.sum().backward()
    expected = _torch_error(lambda: t.clone().requires_grad_().sqrt().sum().backward())
    assert str(info.value) == expected == "Function 'SqrtBackward0' returned nan values in its 0th output."
    msgs = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    report = [m for m in msgs if m.startswith("Error detected in SqrtBackward0")]
    assert report, msgs
    assert "Traceback of forward call that caused the error" in report[0]
    assert "FORWARD-LINE-SQRT" in report[0] and "test_anomaly.py" in report[0]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_zero_over_zero_division(seed, dtype):
    t = rand((4,), dtype)
    t[1] = 0.0
    x = to_ts(t).requires_grad_()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with ts.autograd.detect_anomaly():
            with pytest.raises(RuntimeError) as info:
                (x / x).sum().backward()
    expected = _torch_error(lambda: (lambda a: (a / a).sum().backward())(t.clone().requires_grad_()))
    assert str(info.value) == expected
    assert "DivBackward0" in expected


def test_without_anomaly_mode_nan_flows_like_torch(seed):
    t = rand((5,), low=0.5, high=2.0)
    t[0] = -1.0
    x = to_ts(t).requires_grad_()
    tx = t.clone().requires_grad_()
    x.sqrt().sum().backward()
    tx.sqrt().sum().backward()
    check(x.grad, tx.grad)  # NaN where torch has NaN
    x.grad = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with ts.autograd.detect_anomaly(check_nan=False):
            x.sqrt().sum().backward()
    check(x.grad, tx.grad)


def test_clean_graph_gives_same_gradients_in_anomaly_mode(seed):
    t = rand((3, 4), torch.float64)
    x = to_ts(t).requires_grad_()
    tx = t.clone().requires_grad_()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with ts.autograd.detect_anomaly():
            (x.exp() * x).sum().backward()
    (tx.exp() * tx).sum().backward()
    check(x.grad, tx.grad)


def test_error_in_custom_backward_reports_forward_traceback(seed):
    class Boom(ts.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            raise ValueError("backward exploded")

    x = to_ts(rand((3,))).requires_grad_()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with ts.autograd.detect_anomaly():
            y = Boom.apply(x)  # FORWARD-LINE-BOOM
            with pytest.raises(ValueError, match="backward exploded"):
                y.sum().backward()
    report = [str(w.message) for w in caught if str(w.message).startswith("Error detected in BoomBackward")]
    assert report and "FORWARD-LINE-BOOM" in report[0]


def test_custom_function_returning_nan(seed):
    class NanGrad(ts.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x + y

        @staticmethod
        def backward(ctx, g):
            return g, g * float("nan")

    x = to_ts(rand((3,))).requires_grad_()
    y = to_ts(rand((3,))).requires_grad_()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with ts.autograd.detect_anomaly():
            with pytest.raises(RuntimeError, match=r"^Function 'NanGradBackward' returned nan values in its 1th output\.$"):
                NanGrad.apply(x, y).sum().backward()
    # Outside anomaly mode the same graph just produces NaN.
    NanGrad.apply(x, y).sum().backward()
    assert bool(y.grad.isnan().all())


def test_nodes_made_outside_anomaly_mode_still_checked(seed):
    t = rand((3,), low=0.5, high=2.0)
    t[0] = -1.0
    x = to_ts(t).requires_grad_()
    y = x.sqrt().sum()  # recorded without a traceback
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with ts.autograd.detect_anomaly():
            with pytest.raises(RuntimeError, match="SqrtBackward0' returned nan"):
                y.backward()

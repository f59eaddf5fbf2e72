"""Bad arguments to tessera.autocast and the autocast state functions: the same exception (and,
where the text is PyTorch's, the same message) as torch. The GradScaler's misuse errors and its ops'
bad arguments are in test_grad_scaler.py."""
import warnings

import pytest
import torch

import tessera as ts


def _raises(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001  (compared by the caller)
        return e
    return None


@pytest.mark.parametrize("args,kwargs", [
    ((3,), {}),  # not a str: ValueError
    (("foo",), {}),  # not a device: RuntimeError
    ((None,), {}),
])
def test_bad_device_type_like_torch(args, kwargs):
    te = _raises(lambda: torch.autocast(*args, **kwargs))
    xe = _raises(lambda: ts.autocast(*args, **kwargs))
    assert te is not None and type(xe) is type(te)
    if isinstance(te, ValueError):
        assert str(xe) == str(te)


def test_device_without_autocast():
    with pytest.raises(RuntimeError, match="User specified an unsupported autocast device_type 'meta'"):
        torch.autocast("meta", dtype=torch.float16)
    with pytest.raises(RuntimeError, match="User specified an unsupported autocast device_type 'plugin'"):
        ts.autocast("plugin", dtype=ts.float16)
    with pytest.raises(RuntimeError):
        torch.autocast("meta")
    with pytest.raises(RuntimeError, match=r"\[autocast\] unknown device type for autocast: 'plugin'"):
        ts.autocast("plugin")


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
def test_unsupported_cpu_dtype_warns_and_disables(dtype):
    with pytest.warns(UserWarning) as tw:
        tac = torch.autocast("cpu", dtype=getattr(torch, dtype))
    with pytest.warns(UserWarning) as xw:
        xac = ts.autocast("cpu", dtype=getattr(ts, dtype))
    expected = str(tw[0].message).replace("torch.", "tessera.")
    assert str(xw[0].message) == expected
    assert not xac._enabled and not tac._enabled
    with xac:
        assert not ts.is_autocast_enabled("cpu")
        assert ts.mm(ts.ones(2, 2), ts.ones(2, 2)).dtype == ts.float32


def test_dtype_not_a_dtype():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tac, xac = torch.autocast("cpu", dtype="x"), ts.autocast("cpu", dtype="x")
    with pytest.raises(TypeError):
        tac.__enter__()
    with pytest.raises(TypeError):
        xac.__enter__()
    assert not ts.is_autocast_enabled("cpu")


@pytest.mark.parametrize("call", [
    lambda m: m.is_autocast_enabled(3),
    lambda m: m.is_autocast_enabled("foo"),
    lambda m: m.set_autocast_enabled("cpu"),
    lambda m: m.set_autocast_enabled(),
    lambda m: m.set_autocast_enabled(1, True),
    lambda m: m.get_autocast_dtype(),
    lambda m: m.get_autocast_dtype(3),
    lambda m: m.set_autocast_dtype("cpu", "x"),
    lambda m: m.set_autocast_dtype("foo", m.float16),
])
def test_state_functions_bad_arguments_like_torch(call):
    te, xe = _raises(lambda: call(torch)), _raises(lambda: call(ts))
    assert te is not None and type(xe) is type(te), (te, xe)
    assert not ts.is_autocast_enabled("cpu") and ts.get_autocast_dtype("cpu") == ts.bfloat16


def test_state_functions_device_without_autocast():
    with pytest.raises(RuntimeError, match=r"\[autocast\] unknown device type for autocast: 'plugin'"):
        ts.is_autocast_enabled("plugin")
    with pytest.raises(RuntimeError, match=r"\[autocast\]"):
        ts.set_autocast_dtype("plugin", ts.float16)


def test_custom_fwd_device_type_not_str():
    with pytest.raises(ValueError, match="Expected `device_type` of type `str`"):
        torch.amp.custom_fwd(device_type=3)
    with pytest.raises(ValueError, match="Expected `device_type` of type `str`"):
        ts.amp.custom_fwd(device_type=3)
    with pytest.raises(ValueError, match="Expected `device_type` of type `str`"):
        ts.amp.custom_bwd(device_type=None)


def test_policy_helpers_bad_arguments():
    with pytest.raises(RuntimeError, match=r"\[autocast\] no operator named 'no_such_op'"):
        ts._C._set_autocast_policy("no_such_op", "cpu", "fp32")
    with pytest.raises(ValueError, match=r"\[autocast\] unknown cast policy 'bogus'"):
        ts._C._set_autocast_policy("mm", "cpu", "bogus")
    assert ts._C._autocast_policy("mm", "cpu") == "lower_precision_fp"
    with pytest.raises(RuntimeError, match=r"\[autocast\]"):
        ts._C._autocast_policy("mm", "plugin")

"""Activations (tessera.<fn>, Tensor.relu, tessera.nn.functional) against torch.nn.functional."""
import pytest
import torch
import torch.nn.functional as TF

import tessera as ts
import tessera.nn.functional as F
from ew_helpers import check
from helpers import ALL_DTYPES, FLOAT_DTYPES, assert_close, rand, to_ts

CASES = [
    ("relu", {}), ("gelu", {}), ("gelu", {"approximate": "tanh"}), ("silu", {}), ("softplus", {}),
    ("softplus", {"beta": 2.0, "threshold": 1.0}), ("leaky_relu", {}), ("leaky_relu", {"negative_slope": 0.2}),
    ("elu", {}), ("elu", {"alpha": 0.5}), ("hardtanh", {}), ("hardtanh", {"min_val": -0.5, "max_val": 2.0}),
    ("sigmoid", {}), ("tanh", {}),
]
IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for n, kw in CASES]


@pytest.mark.parametrize("name,kwargs", CASES, ids=IDS)
@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_functional(seed, name, kwargs, dtype):
    a = rand((6, 7), dtype, -4, 4)
    check(lambda x: getattr(F, name)(x, **kwargs), lambda x: getattr(TF, name)(x, **kwargs), a, noncontig=True,
          loose=True)


@pytest.mark.parametrize("name,kwargs", [c for c in CASES if c[0] not in ("gelu", "softplus", "sigmoid", "tanh")],
                         ids=[i for c, i in zip(CASES, IDS) if c[0] not in ("gelu", "softplus", "sigmoid", "tanh")])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.int64])
def test_functional_inplace(seed, name, kwargs, dtype):
    a = rand((4, 5), dtype, -4, 4)
    x = to_ts(a)
    v, ptr = x._version, x.data_ptr()
    try:
        expected = getattr(TF, name)(a.clone(), inplace=True, **kwargs)
    except Exception as e:
        with pytest.raises(type(e)):
            getattr(F, name)(x, inplace=True, **kwargs)
        return
    y = getattr(F, name)(x, inplace=True, **kwargs)
    assert y.data_ptr() == ptr and x._version == v + 1
    assert_close(x, expected, **({"rtol": 2e-3, "atol": 2e-3} if dtype == torch.float16 else {}))


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_relu_function_and_methods(seed, dtype):
    a = rand((3, 4), dtype, -5, 5)
    check(ts.relu, torch.relu, a)
    check(lambda x: x.relu(), lambda x: x.relu(), a)
    check(lambda x: x.relu_(), lambda x: x.relu_(), a.clone())
    check(ts.relu_, torch.relu_, a.clone())


@pytest.mark.parametrize("name", ["relu", "gelu", "silu", "elu", "leaky_relu", "softplus", "hardtanh"])
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_large_and_special(seed, name, dtype):
    a = rand((200, 171), dtype, -30, 30)
    check(getattr(F, name), getattr(TF, name), a, loose=True)
    special = [0.0, -0.0, float("nan"), 25.0, -25.0]
    if name != "gelu":  # torch's SIMD erf gives gelu(inf) = nan for float32 and bfloat16 only
        special += [float("inf"), -float("inf")]
    special = torch.tensor(special, dtype=dtype)
    check(getattr(F, name), getattr(TF, name), special, loose=True)


@pytest.mark.parametrize("shape", [(0, 4), ()])
def test_empty_and_zero_dim(seed, shape):
    for name, kwargs in CASES:
        check(lambda x: getattr(F, name)(x, **kwargs), lambda x: getattr(TF, name)(x, **kwargs), rand(shape))


def test_functional_positional_arguments(seed):
    a = rand((10,), torch.float64)
    assert_close(F.leaky_relu(to_ts(a), 0.3), TF.leaky_relu(a, 0.3))
    assert_close(F.elu(to_ts(a), 0.7), TF.elu(a, 0.7))
    assert_close(F.hardtanh(to_ts(a), -0.2, 0.4), TF.hardtanh(a, -0.2, 0.4))
    assert_close(F.softplus(to_ts(a), 3.0, 2.0), TF.softplus(a, 3.0, 2.0))
    assert_close(F.gelu(to_ts(a), approximate="tanh"), TF.gelu(a, approximate="tanh"))

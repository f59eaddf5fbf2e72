"""nn.Module machinery against torch.nn: registration, traversal, state_dict, modes, hooks, repr,
initialisation statistics, and module forwards (under no_grad) against torch with copied weights."""
import math

import numpy as np
import pytest
import torch

import tessera as ts
from helpers import assert_close, rand, to_ts


def build(m):
    nn = m.nn
    return nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Dropout(0.1), nn.LayerNorm(5), nn.Linear(5, 3, bias=False))


def copy_weights(src_torch, dst_ts):
    dst_ts.load_state_dict({k: to_ts(v) for k, v in src_torch.state_dict().items()})


def test_registration_and_state_dict_match_torch():
    t, s = build(torch), build(ts)
    assert [n for n, _ in s.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert list(s.state_dict()) == list(t.state_dict())
    assert [n for n, _ in s.named_modules()] == [n for n, _ in t.named_modules()]
    assert repr(s) == repr(t)
    assert all(isinstance(p, ts.nn.Parameter) and p.requires_grad and p.is_leaf for p in s.parameters())


def test_forward_matches_torch_with_copied_weights(seed):
    t, s = build(torch).eval(), build(ts).eval()
    copy_weights(t, s)
    x = rand((4, 6))
    with ts.no_grad():
        assert_close(s(to_ts(x)), t(x).detach())


def test_load_state_dict_strict_errors():
    s = build(ts)
    sd = s.state_dict()
    sd.pop("0.bias")
    sd["extra"] = ts.zeros(1)
    with pytest.raises(RuntimeError, match=r"(?s)Missing key\(s\).*0\.bias.*Unexpected key\(s\).*extra"):
        s.load_state_dict(sd)
    res = s.load_state_dict(sd, strict=False)
    assert res.missing_keys == ["0.bias"] and res.unexpected_keys == ["extra"]
    bad = s.state_dict()
    bad["0.weight"] = ts.zeros(2, 2)
    with pytest.raises(RuntimeError, match="size mismatch for 0.weight"):
        s.load_state_dict(bad)


def test_load_state_dict_copies_values_in_place(seed):
    s = ts.nn.Linear(3, 2)
    w = s.weight
    new = {"weight": to_ts(rand((2, 3))), "bias": to_ts(rand((2,)))}
    s.load_state_dict(new)
    assert s.weight is w
    assert_close(s.weight.detach(), torch.from_numpy(new["weight"].numpy()))


def test_train_eval_and_dropout_mode(seed):
    s = build(ts)
    assert s.training and s[2].training
    s.eval()
    assert not s.training and not s[2].training
    x = to_ts(rand((8, 6)))
    with ts.no_grad():
        assert_close(s(x), torch.from_numpy(s(x).numpy()))  # eval is deterministic
    with pytest.raises(ValueError):
        s.train("yes")


def test_buffers_and_attribute_rules():
    m = ts.nn.Module()
    m.register_buffer("running", ts.zeros(3))
    m.register_buffer("tmp", ts.ones(1), persistent=False)
    m.w = ts.nn.Parameter(ts.zeros(2))
    m.sub = ts.nn.Linear(2, 2)
    assert list(m.state_dict()) == ["w", "running", "sub.weight", "sub.bias"]
    assert [n for n, _ in m.named_buffers()] == ["running", "tmp"]
    with pytest.raises(TypeError):
        m.w = ts.zeros(2)  # a plain tensor cannot replace a parameter
    with pytest.raises(AttributeError):
        m.missing
    del m.sub
    assert "sub" not in dict(m.named_children())
    with pytest.raises(KeyError):
        m.register_parameter("a.b", None)


def test_forward_hooks_and_removal(seed):
    s = ts.nn.Linear(3, 3)
    seen = []
    h1 = s.register_forward_pre_hook(lambda mod, args: seen.append("pre"))
    h2 = s.register_forward_hook(lambda mod, args, out: seen.append("post") or out * 0)
    with ts.no_grad():
        out = s(ts.ones(2, 3))
    assert seen == ["pre", "post"] and float(out.abs().sum()) == 0.0
    h1.remove()
    h2.remove()
    with ts.no_grad():
        s(ts.ones(2, 3))
    assert seen == ["pre", "post"]


def test_containers():
    ml = ts.nn.ModuleList([ts.nn.Linear(2, 2) for _ in range(3)])
    assert len(ml) == 3 and len(list(ml.parameters())) == 6 and ml[-1] is list(ml)[2]
    md = ts.nn.ModuleDict({"a": ts.nn.ReLU(), "b": ts.nn.Tanh()})
    assert list(md.keys()) == ["a", "b"] and "a" in md
    seq = ts.nn.Sequential(ts.nn.ReLU(), ts.nn.Tanh())
    assert isinstance(seq[1], ts.nn.Tanh) and len(seq[:1]) == 1
    with pytest.raises(IndexError):
        seq[5]


def test_to_dtype_and_zero_grad():
    s = ts.nn.Linear(3, 2).double()
    assert s.weight.dtype == ts.float64 and isinstance(s.weight, ts.nn.Parameter)
    s.weight.grad = ts.ones(2, 3, dtype=ts.float64)
    s.zero_grad()
    assert s.weight.grad is None


def test_init_statistics(seed):
    ts.manual_seed(seed)
    w = ts.empty(400, 300)
    ts.nn.init.kaiming_uniform_(w, a=math.sqrt(5))
    bound = math.sqrt(6 / ((1 + 5) * 300))
    a = w.numpy()
    assert a.min() >= -bound and a.max() <= bound and abs(a.std() - bound / math.sqrt(3)) < 0.02 * bound
    ts.nn.init.xavier_normal_(w)
    assert abs(w.numpy().std() - math.sqrt(2 / 700)) < 0.05 * math.sqrt(2 / 700)
    ts.nn.init.trunc_normal_(w, std=0.02, a=-0.04, b=0.04)
    a = w.numpy()
    assert a.min() >= -0.04 and a.max() <= 0.04 and abs(a.mean()) < 1e-3
    ts.nn.init.zeros_(w)
    assert not np.any(w.numpy())
    assert ts.nn.init.calculate_gain("relu") == math.sqrt(2)
    with pytest.raises(ValueError):
        ts.nn.init.calculate_gain("bogus")


def test_clip_grad_norm_matches_torch(seed):
    tp = [rand((4, 3)).requires_grad_(), rand((5,)).requires_grad_()]
    sp = [ts.nn.Parameter(to_ts(t.detach())) for t in tp]
    for t, s in zip(tp, sp):
        g = rand(tuple(t.shape))
        t.grad, s.grad = g.clone(), to_ts(g)
    tn = torch.nn.utils.clip_grad_norm_(tp, 0.5)
    sn = ts.nn.utils.clip_grad_norm_(sp, 0.5)
    assert float(sn) == pytest.approx(float(tn), rel=1e-5)
    for t, s in zip(tp, sp):
        assert_close(s.grad, t.grad, rtol=1e-5, atol=1e-6)


def test_state_dict_save_load_round_trip(seed, tmp_path):
    s = build(ts)
    path = tmp_path / "model.safetensors"
    ts.save(s.state_dict(), str(path))
    other = build(ts)
    other.load_state_dict(ts.load(str(path)))
    for (n1, a), (n2, b) in zip(s.state_dict().items(), other.state_dict().items()):
        assert n1 == n2
        assert_close(b, torch.from_numpy(a.numpy().copy()))

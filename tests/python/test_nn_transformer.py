"""nn.MultiheadAttention, F.multi_head_attention_forward and the Transformer modules against torch.

Each test builds the torch module, copies its state_dict into the tessera one, runs both on the same
random inputs and compares outputs, attention weights, and the gradients of inputs and parameters."""
import math

import pytest
import torch

import tessera as ts
from helpers import TORCH_TO_TS, assert_close, to_torch, to_ts

TOLS = {torch.float32: dict(rtol=1e-4, atol=2e-5), torch.float64: dict(rtol=1e-9, atol=1e-10),
        torch.float16: dict(rtol=1e-2, atol=1e-2), torch.bfloat16: dict(rtol=5e-2, atol=5e-2)}


def mirror(torch_module, ts_module, noncontig=False):
    """ts_module with torch_module's weights; both in the same train/eval mode."""
    ts_module.load_state_dict({k: to_ts(v) for k, v in torch_module.state_dict().items()})
    ts_module.train(torch_module.training)
    return ts_module


def leaf_pair(t, noncontig=False):
    """(torch leaf, tessera leaf) with the same values; float ones require grad."""
    t = t.detach().clone()
    s = to_ts(t, noncontig=noncontig)
    if t.is_floating_point():
        t.requires_grad_(True)
        s.requires_grad_(True)
    return t, s


def bool_mask(shape):
    """A random boolean mask that never masks the last dim's first entry (no fully masked rows: NaN)."""
    m = torch.rand(shape) > 0.6
    m[..., 0] = False
    return m


def float_mask(shape, dtype):
    return torch.randn(shape, dtype=dtype)


def check(tm, sm, args, kwargs, dtype, noncontig=False, n_out=None):
    """Runs tm/sm on the same inputs; compares every output, then grads of inputs and parameters."""
    tm.to(dtype)
    sm = mirror(tm, sm.to(TORCH_TO_TS[dtype]))
    pairs = [leaf_pair(a, noncontig) if isinstance(a, torch.Tensor) else (a, a) for a in args]
    kpairs = {k: (leaf_pair(v) if isinstance(v, torch.Tensor) else (v, v)) for k, v in kwargs.items()}
    ident = {}  # identical arguments stay identical (self-attention is detected by identity)
    for i, a in enumerate(args):
        for j in range(i):
            if args[j] is a:
                ident[i] = j
    for i, j in ident.items():
        pairs[i] = pairs[j]
    t_out = tm(*[p[0] for p in pairs], **{k: v[0] for k, v in kpairs.items()})
    s_out = sm(*[p[1] for p in pairs], **{k: v[1] for k, v in kpairs.items()})
    t_out = t_out if isinstance(t_out, tuple) else (t_out,)
    s_out = s_out if isinstance(s_out, tuple) else (s_out,)
    assert len(t_out) == len(s_out)
    tol = TOLS[dtype]
    t_loss, s_loss = 0, 0
    for t, s in zip(t_out, s_out):
        if t is None:
            assert s is None
            continue
        assert_close(s.detach(), t.detach(), **tol)
        g = torch.randn(t.shape, dtype=dtype)
        t_loss = t_loss + (t * g).sum()
        s_loss = s_loss + (s * to_ts(g)).sum()
    t_loss.backward()
    s_loss.backward()
    for i, ((t, s), a) in enumerate(zip(pairs, args)):
        if isinstance(t, torch.Tensor) and t.requires_grad and i not in ident:
            assert_close(s.grad, t.grad, **tol)
    for name, p in tm.named_parameters():
        sp = dict(sm.named_parameters())[name]
        if p.grad is None:
            assert sp.grad is None or not to_torch(sp.grad).any(), name
        else:
            assert_close(sp.grad, p.grad, **tol)
    return t_out, s_out


def qkv(shape_q, shape_kv, dtype, kdim=None, vdim=None, self_attn=False):
    q = torch.randn(shape_q, dtype=dtype)
    if self_attn:
        return q, q, q
    k = torch.randn(shape_kv[:-1] + ((kdim or shape_kv[-1]),), dtype=dtype)
    v = torch.randn(shape_kv[:-1] + ((vdim or shape_kv[-1]),), dtype=dtype) if vdim is not None or kdim else k
    return q, k, v


# ---------------------------------------------------------------- MultiheadAttention

MASKS = ["none", "attn_bool_2d", "attn_float_3d", "kpm_bool", "kpm_float", "both_bool", "both_float"]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("need_weights,average", [(True, True), (True, False), (False, True)])
@pytest.mark.parametrize("mask", MASKS)
def test_mha_self_attention(seed, dtype, batch_first, need_weights, average, mask):
    E, H, N, L = 16, 4, 3, 5
    tm = torch.nn.MultiheadAttention(E, H, batch_first=batch_first)
    sm = ts.nn.MultiheadAttention(E, H, batch_first=batch_first)
    x = torch.randn((N, L, E) if batch_first else (L, N, E), dtype=dtype)
    kw = dict(need_weights=need_weights, average_attn_weights=average)
    if mask in ("attn_bool_2d", "both_bool"):
        kw["attn_mask"] = bool_mask((L, L))
    if mask in ("attn_float_3d", "both_float"):
        kw["attn_mask"] = float_mask((N * H, L, L), dtype)
    if mask in ("kpm_bool", "both_bool"):
        kw["key_padding_mask"] = bool_mask((N, L))
    if mask in ("kpm_float", "both_float"):
        kw["key_padding_mask"] = float_mask((N, L), dtype)
    (_, w), _ = check(tm, sm, (x, x, x), kw, dtype)
    if need_weights:
        assert tuple(w.shape) == ((N, L, L) if average else (N, H, L, L))


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("same_kv", [True, False])
def test_mha_cross_attention(seed, batch_first, need_weights, same_kv):
    E, H, N, L, S = 12, 3, 2, 4, 6
    dtype = torch.float64
    tm = torch.nn.MultiheadAttention(E, H, batch_first=batch_first)
    sm = ts.nn.MultiheadAttention(E, H, batch_first=batch_first)
    q = torch.randn((N, L, E) if batch_first else (L, N, E), dtype=dtype)
    k = torch.randn((N, S, E) if batch_first else (S, N, E), dtype=dtype)
    v = k if same_kv else torch.randn(k.shape, dtype=dtype)
    check(tm, sm, (q, k, v), dict(need_weights=need_weights, attn_mask=bool_mask((L, S)),
                                  key_padding_mask=bool_mask((N, S))), dtype)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_kdim_vdim(seed, batch_first, need_weights):
    E, H, N, L, S, kdim, vdim = 8, 2, 3, 4, 5, 6, 10
    dtype = torch.float64
    tm = torch.nn.MultiheadAttention(E, H, kdim=kdim, vdim=vdim, batch_first=batch_first)
    sm = ts.nn.MultiheadAttention(E, H, kdim=kdim, vdim=vdim, batch_first=batch_first)
    assert sm.in_proj_weight is None and tuple(sm.k_proj_weight.shape) == (E, kdim)
    q = torch.randn((N, L, E) if batch_first else (L, N, E), dtype=dtype)
    k = torch.randn((N, S, kdim) if batch_first else (S, N, kdim), dtype=dtype)
    v = torch.randn((N, S, vdim) if batch_first else (S, N, vdim), dtype=dtype)
    check(tm, sm, (q, k, v), dict(need_weights=need_weights, key_padding_mask=bool_mask((N, S))), dtype)


@pytest.mark.parametrize("add_bias_kv,add_zero_attn", [(True, False), (False, True), (True, True)])
@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("with_masks", [False, True])
def test_mha_bias_kv_zero_attn(seed, add_bias_kv, add_zero_attn, need_weights, with_masks):
    E, H, N, L = 8, 2, 2, 5
    dtype = torch.float64
    tm = torch.nn.MultiheadAttention(E, H, add_bias_kv=add_bias_kv, add_zero_attn=add_zero_attn)
    sm = ts.nn.MultiheadAttention(E, H, add_bias_kv=add_bias_kv, add_zero_attn=add_zero_attn)
    x = torch.randn(L, N, E, dtype=dtype)
    kw = dict(need_weights=need_weights)
    if with_masks:
        kw.update(attn_mask=float_mask((L, L), dtype), key_padding_mask=bool_mask((N, L)).to(dtype) * -1e4)
    check(tm, sm, (x, x, x), kw, dtype)


@pytest.mark.parametrize("need_weights,average", [(True, True), (True, False), (False, True)])
@pytest.mark.parametrize("mask", ["none", "attn_3d", "kpm"])
def test_mha_unbatched(seed, need_weights, average, mask):
    E, H, L, S = 8, 4, 3, 5
    dtype = torch.float64
    tm, sm = torch.nn.MultiheadAttention(E, H), ts.nn.MultiheadAttention(E, H)
    q, k = torch.randn(L, E, dtype=dtype), torch.randn(S, E, dtype=dtype)
    kw = dict(need_weights=need_weights, average_attn_weights=average)
    if mask == "attn_3d":
        kw["attn_mask"] = bool_mask((H, L, S))
    if mask == "kpm":
        kw["key_padding_mask"] = bool_mask((S,))
    (o, w), _ = check(tm, sm, (q, k, k), kw, dtype)
    assert o.shape == (L, E)


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("kpm", [False, True])
def test_mha_is_causal(seed, need_weights, kpm):
    E, H, N, L = 8, 2, 2, 6
    dtype = torch.float64
    tm, sm = torch.nn.MultiheadAttention(E, H, batch_first=True), ts.nn.MultiheadAttention(E, H, batch_first=True)
    x = torch.randn(N, L, E, dtype=dtype)
    causal = torch.nn.Transformer.generate_square_subsequent_mask(L, dtype=dtype)
    kw = dict(attn_mask=causal, is_causal=True, need_weights=need_weights)
    if kpm:
        kw["key_padding_mask"] = bool_mask((N, L)).to(dtype) * -1e9
    check(tm, sm, (x, x, x), kw, dtype)


def test_mha_no_bias_noncontiguous_float32(seed):
    E, H, N, L = 16, 2, 3, 4
    tm, sm = torch.nn.MultiheadAttention(E, H, bias=False), ts.nn.MultiheadAttention(E, H, bias=False)
    assert sm.in_proj_bias is None and sm.out_proj.bias is None
    x = torch.randn(L, N, E)
    check(tm, sm, (x, x, x), dict(attn_mask=bool_mask((L, L))), torch.float32, noncontig=True)


@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_noncontiguous_masks(seed, need_weights):
    E, H, N, L = 8, 2, 3, 4
    tm, sm = torch.nn.MultiheadAttention(E, H), ts.nn.MultiheadAttention(E, H)
    mirror(tm, sm)
    x = torch.randn(L, N, E)
    attn = torch.randn(L, L, N * H).permute(2, 0, 1)
    kpm = torch.randn(L, N).t()
    o, w = tm(x, x, x, attn_mask=attn, key_padding_mask=kpm, need_weights=need_weights)
    s_attn, s_kpm = ts.randn(L, L, N * H).permute(2, 0, 1), ts.randn(L, N).t()
    s_attn.copy_(to_ts(attn))
    s_kpm.copy_(to_ts(kpm))
    assert not s_attn.is_contiguous() and not s_kpm.is_contiguous()
    so, sw = sm(to_ts(x), to_ts(x), to_ts(x), attn_mask=s_attn, key_padding_mask=s_kpm, need_weights=need_weights)
    assert_close(so.detach(), o.detach(), rtol=1e-4, atol=2e-5)
    if need_weights:
        assert_close(sw.detach(), w.detach(), rtol=1e-4, atol=2e-5)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_half_precision(seed, dtype, need_weights):
    E, H, N, L = 16, 4, 3, 5
    tm, sm = torch.nn.MultiheadAttention(E, H, batch_first=True), ts.nn.MultiheadAttention(E, H, batch_first=True)
    x = torch.randn(N, L, E).to(dtype)
    check(tm, sm, (x, x, x), dict(need_weights=need_weights, attn_mask=bool_mask((L, L))), dtype)


def test_dropout_zero_or_eval_returns_input_as_torch():
    """The transformer layers call Dropout(0.0) on every block: like torch it must cost nothing."""
    x = ts.randn(3, 4, requires_grad=True)
    for p, training in ((0.0, True), (0.5, False)):
        tx = torch.ones(2, requires_grad=True)
        assert torch.nn.functional.dropout(tx, p, training) is tx
        assert ts.nn.functional.dropout(x, p, training) is x
        assert ts.nn.Dropout(p).train(training)(x) is x
    assert ts.nn.functional.dropout(x, 0.5, True) is not x


def test_mha_empty_batch(seed):
    E, H = 8, 2
    tm, sm = torch.nn.MultiheadAttention(E, H), ts.nn.MultiheadAttention(E, H)
    mirror(tm, sm)
    x = torch.randn(4, 0, E)
    for nw in (True, False):
        o, w = tm(x, x, x, need_weights=nw)
        so, sw = sm(to_ts(x), to_ts(x), to_ts(x), need_weights=nw)
        assert_close(so.detach(), o.detach())
        assert (sw is None) == (w is None)


@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_eval_matches_train_without_dropout(seed, need_weights):
    """dropout=0: eval and train give torch's values (torch eval+no_grad takes its fused fast path)."""
    E, H, N, L = 16, 4, 2, 5
    tm = torch.nn.MultiheadAttention(E, H, dropout=0.0, batch_first=True)
    sm = mirror(tm, ts.nn.MultiheadAttention(E, H, dropout=0.0, batch_first=True))
    x = torch.randn(N, L, E)
    kpm = bool_mask((N, L))
    outs = []
    for train in (True, False):
        tm.train(train)
        sm.train(train)
        with torch.no_grad(), ts.no_grad():
            o, _ = tm(x, x, x, key_padding_mask=kpm, need_weights=need_weights)
            so, _ = sm(to_ts(x), to_ts(x), to_ts(x), key_padding_mask=to_ts(kpm), need_weights=need_weights)
        assert_close(so, o, rtol=1e-4, atol=2e-5)
        outs.append(to_torch(so))
    torch.testing.assert_close(outs[0], outs[1], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_fully_masked_rows_as_torch(seed, need_weights):
    """A batch whose keys are all padded: NaN through the weights path, as torch; SDPA's value otherwise."""
    tm = torch.nn.MultiheadAttention(8, 2, batch_first=True)
    torch.nn.init.normal_(tm.out_proj.bias)
    sm = mirror(tm, ts.nn.MultiheadAttention(8, 2, batch_first=True))
    x, kpm = torch.randn(2, 3, 8), bool_mask((2, 3))
    kpm[0] = True
    o, _ = tm(x, x, x, key_padding_mask=kpm, need_weights=need_weights)
    so, _ = sm(to_ts(x), to_ts(x), to_ts(x), key_padding_mask=to_ts(kpm), need_weights=need_weights)
    assert_close(so.detach(), o.detach(), rtol=1e-4, atol=2e-5)


def test_mismatched_mask_types_warn_as_torch(seed):
    x = torch.randn(3, 2, 8)
    masks = dict(attn_mask=bool_mask((3, 3)), key_padding_mask=torch.zeros(2, 3))
    tm = torch.nn.MultiheadAttention(8, 2)
    sm = mirror(tm, ts.nn.MultiheadAttention(8, 2))
    with pytest.warns(UserWarning, match="Support for mismatched key_padding_mask and attn_mask is deprecated"):
        o, _ = tm(x, x, x, **masks)
    with pytest.warns(UserWarning, match="Support for mismatched key_padding_mask and attn_mask is deprecated"):
        so, _ = sm(to_ts(x), to_ts(x), to_ts(x), **{k: to_ts(v) for k, v in masks.items()})
    assert_close(so.detach(), o.detach(), rtol=1e-4, atol=2e-5)


def test_mha_dropout_on_weights(seed):
    """Training-mode dropout zeroes attention weights or scales them by 1/(1-p); eval mode leaves them."""
    E, H, N, L, p = 8, 2, 2, 16, 0.5
    sm = ts.nn.MultiheadAttention(E, H, dropout=p)
    x = to_ts(torch.randn(L, N, E))
    sm.eval()
    _, w_eval = sm(x, x, x, average_attn_weights=False)
    sm.train()
    _, w_train = sm(x, x, x, average_attn_weights=False)
    w_eval, w_train = to_torch(w_eval.detach()), to_torch(w_train.detach())
    zero = w_train == 0
    assert zero.any() and (~zero).any()
    torch.testing.assert_close(w_train[~zero], w_eval[~zero] / (1 - p))


def test_mha_gradcheck(seed):
    E, H, N, L = 4, 2, 2, 3
    sm = ts.nn.MultiheadAttention(E, H, add_bias_kv=True).double()
    x = to_ts(torch.randn(L, N, E, dtype=torch.float64)).requires_grad_(True)
    mask = to_ts(torch.randn(L, L, dtype=torch.float64))
    for nw in (True, False):
        assert ts.autograd.gradcheck(lambda a: sm(a, a, a, need_weights=nw, attn_mask=mask)[0], (x,))
    assert ts.autograd.gradcheck(lambda a: sm(a, a, a, average_attn_weights=False)[1], (x,))


def test_mha_state_dict_and_repr_match_torch(seed):
    for kw in (dict(), dict(kdim=3, vdim=5, add_bias_kv=True), dict(bias=False)):
        tm, sm = torch.nn.MultiheadAttention(8, 2, **kw), ts.nn.MultiheadAttention(8, 2, **kw)
        assert list(tm.state_dict()) == list(sm.state_dict())
        for (n, p), (n2, p2) in zip(tm.named_parameters(), sm.named_parameters()):
            assert n == n2 and tuple(p.shape) == tuple(p2.shape)
        assert repr(sm) == repr(tm)


def test_mha_init_statistics(seed):
    """xavier_uniform in_proj, zero biases (as torch's _reset_parameters)."""
    sm = ts.nn.MultiheadAttention(64, 4)
    w = to_torch(sm.in_proj_weight.detach())
    bound = math.sqrt(6.0 / (64 + 192))
    assert w.abs().max() <= bound and w.abs().max() > 0.8 * bound
    assert not to_torch(sm.in_proj_bias.detach()).any() and not to_torch(sm.out_proj.bias.detach()).any()


@pytest.mark.parametrize("separate", [False, True])
def test_functional_multi_head_attention_forward(seed, separate):
    E, H, N, L = 8, 2, 3, 4
    dtype = torch.float64
    tm = torch.nn.MultiheadAttention(E, H, kdim=6 if separate else None, vdim=6 if separate else None).double()
    names = ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]
    if separate:
        names += ["q_proj_weight", "k_proj_weight", "v_proj_weight"]
    params = dict(tm.named_parameters())
    tp = {n: params[n].detach() for n in names if n in params}
    sp = {n: to_ts(v) for n, v in tp.items()}
    q = torch.randn(L, N, E, dtype=dtype)
    k = torch.randn(L, N, 6 if separate else E, dtype=dtype)
    static = torch.randn(N * H, L + 1, E // H, dtype=dtype)

    def call(F, p, q, k, static):
        return F.multi_head_attention_forward(
            q, k, k, E, H, p.get("in_proj_weight"), p["in_proj_bias"], None, None, False, 0.0, p["out_proj.weight"],
            p["out_proj.bias"], training=False, use_separate_proj_weight=separate, q_proj_weight=p.get("q_proj_weight"),
            k_proj_weight=p.get("k_proj_weight"), v_proj_weight=p.get("v_proj_weight"), static_k=static,
            static_v=static, average_attn_weights=False)

    o, w = call(torch.nn.functional, tp, q, k, static)
    so, sw = call(ts.nn.functional, sp, to_ts(q), to_ts(k), to_ts(static))
    assert_close(so, o)
    assert_close(sw, w)


# ---------------------------------------------------------------- Transformer layers


def torch_and_ts_activation(name):
    return {"relu": ("relu", "relu"), "gelu": ("gelu", "gelu"),
            "silu_fn": (torch.nn.functional.silu, ts.nn.functional.silu),
            "gelu_module": (torch.nn.GELU(), ts.nn.GELU())}[name]


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu", "silu_fn", "gelu_module"])
def test_encoder_layer(seed, batch_first, norm_first, activation):
    d, nhead, ff, N, L = 16, 4, 24, 2, 5
    dtype = torch.float64
    ta, sa = torch_and_ts_activation(activation)
    kw = dict(dim_feedforward=ff, dropout=0.0, batch_first=batch_first, norm_first=norm_first)
    tm = torch.nn.TransformerEncoderLayer(d, nhead, activation=ta, **kw)
    sm = ts.nn.TransformerEncoderLayer(d, nhead, activation=sa, **kw)
    x = torch.randn((N, L, d) if batch_first else (L, N, d), dtype=dtype)
    check(tm, sm, (x,), dict(src_mask=bool_mask((L, L)), src_key_padding_mask=bool_mask((N, L))), dtype)


@pytest.mark.parametrize("batch_first", [False, True])
def test_encoder_layer_eval_disables_dropout(seed, batch_first):
    """dropout=0.3: eval output equals torch's (its fused fast path under no_grad); train mode is random."""
    d, nhead, N, L = 16, 4, 2, 5
    tm = torch.nn.TransformerEncoderLayer(d, nhead, 32, dropout=0.3, batch_first=batch_first).eval()
    sm = mirror(tm, ts.nn.TransformerEncoderLayer(d, nhead, 32, dropout=0.3, batch_first=batch_first))
    x = torch.randn((N, L, d) if batch_first else (L, N, d))
    kpm = bool_mask((N, L))
    with torch.no_grad():
        want = tm(x, src_key_padding_mask=kpm)
    got = sm(to_ts(x), src_key_padding_mask=to_ts(kpm))
    assert_close(got.detach(), want, rtol=1e-4, atol=2e-5)
    sm.train()
    a, b = to_torch(sm(to_ts(x)).detach()), to_torch(sm(to_ts(x)).detach())
    assert not torch.equal(a, b)


@pytest.mark.parametrize("masks", ["none", "float", "causal", "unbatched"])
def test_encoder_layer_masks_float32(seed, masks):
    d, nhead, N, L = 16, 2, 3, 6
    tm = torch.nn.TransformerEncoderLayer(d, nhead, dim_feedforward=32, dropout=0.0)
    sm = ts.nn.TransformerEncoderLayer(d, nhead, dim_feedforward=32, dropout=0.0)
    x = torch.randn(L, N, d)
    kw = {}
    if masks == "float":
        kw = dict(src_mask=float_mask((L, L), torch.float32), src_key_padding_mask=float_mask((N, L), torch.float32))
    if masks == "causal":
        kw = dict(src_mask=torch.nn.Transformer.generate_square_subsequent_mask(L), is_causal=True)
    if masks == "unbatched":
        x, kw = x[:, 0], dict(src_key_padding_mask=bool_mask((L,)))
    check(tm, sm, (x,), kw, torch.float32)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm", [False, True])
def test_encoder_stack(seed, batch_first, norm):
    d, nhead, N, L = 8, 2, 2, 5
    dtype = torch.float64
    tl = torch.nn.TransformerEncoderLayer(d, nhead, 16, 0.0, batch_first=batch_first)
    sl = ts.nn.TransformerEncoderLayer(d, nhead, 16, 0.0, batch_first=batch_first)
    tm = torch.nn.TransformerEncoder(tl, 2, torch.nn.LayerNorm(d) if norm else None, enable_nested_tensor=False)
    sm = ts.nn.TransformerEncoder(sl, 2, ts.nn.LayerNorm(d) if norm else None, enable_nested_tensor=False)
    assert list(tm.state_dict()) == list(sm.state_dict())
    x = torch.randn((N, L, d) if batch_first else (L, N, d), dtype=dtype)
    causal = torch.nn.Transformer.generate_square_subsequent_mask(L, dtype=dtype)
    check(tm, sm, (x,), dict(mask=causal, src_key_padding_mask=bool_mask((N, L)).to(dtype) * -1e9), dtype)
    check(tm, sm, (x,), dict(mask=causal), dtype)  # is_causal detected from the mask


@pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors")
@pytest.mark.parametrize("left_aligned", [True, False])
@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_inference_padding_as_torch(seed, left_aligned, norm_first):
    """torch's inference path (nested tensors) returns zeros at padded positions for left-aligned padding."""
    d, nhead, N, L = 8, 2, 3, 6
    tl = torch.nn.TransformerEncoderLayer(d, nhead, 16, batch_first=True, norm_first=norm_first)
    tm = torch.nn.TransformerEncoder(tl, 2, torch.nn.LayerNorm(d), enable_nested_tensor=not norm_first).eval()
    sl = ts.nn.TransformerEncoderLayer(d, nhead, 16, batch_first=True, norm_first=norm_first)
    sm = mirror(tm, ts.nn.TransformerEncoder(sl, 2, ts.nn.LayerNorm(d), enable_nested_tensor=not norm_first))
    assert sm.use_nested_tensor == tm.use_nested_tensor
    lengths = torch.randint(1, L + 1, (N,))
    kpm = torch.arange(L)[None, :] >= lengths[:, None]
    if not left_aligned:
        kpm[:, 0], kpm[:, -1] = True, False
    x = torch.randn(N, L, d)
    with torch.no_grad(), ts.no_grad():
        want = tm(x, src_key_padding_mask=kpm)
        got = sm(to_ts(x), src_key_padding_mask=to_ts(kpm))
    assert_close(got, want, rtol=1e-4, atol=2e-5)
    # with autograd recording, torch takes the plain path (values at padded positions too); so does tessera
    want = tm(x.clone().requires_grad_(True), src_key_padding_mask=kpm).detach()
    got = sm(to_ts(x).requires_grad_(True), src_key_padding_mask=to_ts(kpm))
    assert_close(got.detach(), want, rtol=1e-4, atol=2e-5)


def test_encoder_clones_are_deep_copies(seed):
    layer = ts.nn.TransformerEncoderLayer(8, 2, 16)
    enc = ts.nn.TransformerEncoder(layer, 3)
    ws = [m.linear1.weight for m in enc.layers] + [layer.linear1.weight]
    assert len({id(w) for w in ws}) == 4
    with ts.no_grad():
        enc.layers[0].linear1.weight.fill_(0.5)
    assert not to_torch(enc.layers[1].linear1.weight.detach()).eq(0.5).all()
    assert len(list(enc.parameters())) == 3 * len(list(layer.parameters()))


@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")
@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_and_transformer(seed, norm_first):
    d, nhead, N, L, S = 8, 2, 2, 4, 5
    dtype = torch.float64
    kw = dict(d_model=d, nhead=nhead, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=16, dropout=0.0,
              batch_first=True, norm_first=norm_first)
    tm, sm = torch.nn.Transformer(**kw), ts.nn.Transformer(**kw)
    assert list(tm.state_dict()) == list(sm.state_dict())
    src, tgt = torch.randn(N, S, d, dtype=dtype), torch.randn(N, L, d, dtype=dtype)
    tgt_mask = ts.nn.Transformer.generate_square_subsequent_mask(L)
    assert_close(tgt_mask, torch.nn.Transformer.generate_square_subsequent_mask(L))
    check(tm, sm, (src, tgt), dict(tgt_mask=torch.nn.Transformer.generate_square_subsequent_mask(L, dtype=dtype),
                                   src_key_padding_mask=bool_mask((N, S)),
                                   memory_key_padding_mask=bool_mask((N, S))), dtype)


# ---------------------------------------------------------------- bad inputs


def both_raise(exc, torch_fn, ts_fn):
    with pytest.raises(exc):
        torch_fn()
    with pytest.raises(exc):
        ts_fn()


@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")
def test_transformer_bad_inputs(seed):
    kw = dict(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=8, dropout=0.0)
    for m in (torch, ts):
        model = m.nn.Transformer(**kw)
        src = m.randn(5, 2, 8)
        with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
            model(src, m.randn(4, 3, 8))
        with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal to d_model"):
            model(m.randn(5, 2, 6), m.randn(4, 2, 6))


def test_bad_constructor_arguments():
    for m in (torch.nn, ts.nn):
        with pytest.raises(AssertionError, match="divisible"):
            m.MultiheadAttention(10, 3)
        with pytest.raises(ValueError, match="greater than 0"):
            m.MultiheadAttention(0, 2)
        with pytest.raises(RuntimeError, match="activation should be relu/gelu"):
            m.TransformerEncoderLayer(8, 2, activation="tanh")


@pytest.mark.parametrize("case", ["mask2d_shape", "mask3d_shape", "mask_dim4", "int_mask", "kpm_shape", "kpm_dim",
                                  "query_dim4", "embed_dim", "causal_without_mask", "kv_shape", "unbatched_mask3d"])
def test_bad_forward_inputs(seed, case):
    E, H, N, L = 8, 2, 3, 4
    tm = torch.nn.MultiheadAttention(E, H)
    sm = mirror(tm, ts.nn.MultiheadAttention(E, H))
    x = torch.randn(L, N, E)
    q = k = v = x
    kw = {}
    exc = RuntimeError
    if case == "mask2d_shape":
        kw = dict(attn_mask=torch.zeros(L, L + 1, dtype=torch.bool))
    elif case == "mask3d_shape":
        kw = dict(attn_mask=torch.zeros(N, L, L))
    elif case == "mask_dim4":
        kw, exc = dict(attn_mask=torch.zeros(N, H, L, L)), AssertionError
    elif case == "int_mask":
        kw, exc = dict(attn_mask=torch.zeros(L, L, dtype=torch.int64)), AssertionError
    elif case == "kpm_shape":
        kw, exc = dict(key_padding_mask=torch.zeros(N, L + 2, dtype=torch.bool)), AssertionError
    elif case == "kpm_dim":
        kw, exc = dict(key_padding_mask=torch.zeros(L, dtype=torch.bool)), AssertionError
    elif case == "query_dim4":
        q = k = v = x.unsqueeze(0)
        exc = AssertionError
    elif case == "embed_dim":
        q = k = v = torch.randn(L, N, E + 2)
        exc = AssertionError
    elif case == "causal_without_mask":
        kw = dict(is_causal=True)
    elif case == "kv_shape":
        k, v, exc = torch.randn(L, N, E), torch.randn(L + 1, N, E), AssertionError
    elif case == "unbatched_mask3d":
        q = k = v = x[:, 0]
        kw, exc = dict(attn_mask=torch.zeros(H + 1, L, L)), AssertionError
    both_raise(exc, lambda: tm(q, k, v, **kw),
               lambda: sm(to_ts(q), to_ts(k), to_ts(v), **{n: to_ts(t) if isinstance(t, torch.Tensor) else t
                                                            for n, t in kw.items()}))

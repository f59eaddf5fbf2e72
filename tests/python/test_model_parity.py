"""End-to-end parity: one small transformer trained in tessera and in torch from the same weights.

Embedding + TransformerEncoder (2 x TransformerEncoderLayer, causal and padding masks) + LayerNorm +
Linear head, 50 steps on the same random batches, dropout=0. Loss curves must agree step by step and
the final parameters must agree: any wrong gradient, optimizer or scheduler step shows up here."""
import pytest
import torch

import tessera as ts
from helpers import to_torch, to_ts

VOCAB, DIM, HEADS, FF, SEQ, BATCH, STEPS = 16, 32, 4, 64, 10, 8, 50


def build(m, norm_first):
    nn = m.nn

    class TinyTransformer(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(VOCAB, DIM)
            layer = nn.TransformerEncoderLayer(DIM, HEADS, FF, dropout=0.0, batch_first=True, norm_first=norm_first)
            self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
            self.norm = nn.LayerNorm(DIM)
            self.head = nn.Linear(DIM, VOCAB)

        def forward(self, tokens, causal, padding):
            x = self.encoder(self.emb(tokens), mask=causal, src_key_padding_mask=padding, is_causal=True)
            return self.head(self.norm(x))

    return TinyTransformer()


def optimizers(m, params, case):
    if case == "sgd_nesterov":
        return m.optim.SGD(params, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3), None
    if case == "adam":
        return m.optim.Adam(params, lr=2e-3), None
    opt = m.optim.AdamW(params, lr=3e-3, weight_decay=0.05)
    sched = m.optim.lr_scheduler
    warm = sched.LinearLR(opt, start_factor=0.1, total_iters=10)
    cos = sched.CosineAnnealingLR(opt, T_max=STEPS - 10)
    return opt, sched.SequentialLR(opt, [warm, cos], milestones=[10])


@pytest.mark.parametrize("case,norm_first", [("sgd_nesterov", False), ("adam", True), ("adamw_warmup_cosine", False)])
def test_training_parity(seed, case, norm_first):
    tm = build(torch, norm_first)
    sm = build(ts, norm_first)
    sm.load_state_dict({k: to_ts(v) for k, v in tm.state_dict().items()})
    t_opt, t_sched = optimizers(torch, tm.parameters(), case)
    s_opt, s_sched = optimizers(ts, sm.parameters(), case)
    causal = torch.ones(SEQ, SEQ, dtype=torch.bool).triu(1)  # True = may not attend (a future position)
    s_causal = to_ts(causal)
    t_losses, s_losses = [], []
    for _ in range(STEPS):
        x = torch.randint(0, VOCAB, (BATCH, SEQ))
        y = x.roll(1, dims=1)  # predict the previous token: learnable through causal attention
        lengths = torch.randint(SEQ // 2, SEQ + 1, (BATCH,))
        padding = torch.arange(SEQ)[None, :] >= lengths[:, None]  # right padding; position 0 always kept
        t_loss = torch.nn.functional.cross_entropy(tm(x, causal, padding).reshape(-1, VOCAB), y.reshape(-1))
        s_loss = ts.nn.functional.cross_entropy(sm(to_ts(x), s_causal, to_ts(padding)).reshape(-1, VOCAB),
                                                to_ts(y).reshape(-1))
        for opt, loss, sched in ((t_opt, t_loss, t_sched), (s_opt, s_loss, s_sched)):
            opt.zero_grad()
            loss.backward()
            opt.step()
            if sched is not None:
                sched.step()
        t_losses.append(t_loss.item())
        s_losses.append(s_loss.item())
    assert s_opt.param_groups[0]["lr"] == pytest.approx(t_opt.param_groups[0]["lr"], rel=1e-6)
    t_curve, s_curve = torch.tensor(t_losses), torch.tensor(s_losses)
    assert t_curve[-10:].mean() < t_curve[:10].mean()  # it learned something, so the comparison means something
    torch.testing.assert_close(s_curve, t_curve, rtol=1e-3, atol=0)
    s_params = dict(sm.named_parameters())
    for name, p in tm.named_parameters():
        got, want = to_torch(s_params[name].detach()), p.detach()
        if name.endswith("in_proj_bias"):
            # the key bias shifts every score of a row equally, so softmax cancels it: its gradient is zero
            # up to rounding, and Adam's normalised step turns that noise into O(lr) moves; skip that slice
            got, want = torch.cat([got[:DIM], got[2 * DIM:]]), torch.cat([want[:DIM], want[2 * DIM:]])
        torch.testing.assert_close(got, want, rtol=1e-3, atol=1e-4, msg=name)

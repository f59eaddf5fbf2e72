"""A small transformer learns to reverse sequences of tokens (the first tessera workload).

Run: python examples/reverse.py [--steps N] [--device cpu]
Each example is a random sequence of digits; the model reads it and must emit it reversed.
Token accuracy on held-out sequences is printed at the end (target: >= 99%).
"""
import argparse
import math
import sys
import time

import tessera as ts
import tessera.nn as nn
import tessera.nn.functional as F


class Block(nn.Module):
    """Pre-norm transformer encoder block: self-attention, then an MLP, each with a residual."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).reshape(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4).unbind(0)
        a = F.scaled_dot_product_attention(q, k, v)
        x = x + self.proj(a.transpose(1, 2).reshape(b, t, d))
        return x + self.mlp(self.norm2(x))


class Reverser(nn.Module):
    def __init__(self, vocab, length, dim=64, heads=4, depth=2):
        super().__init__()
        self.tok = nn.Embedding(vocab, dim)
        self.pos = nn.Parameter(ts.randn(length, dim) * 0.02)
        self.blocks = nn.ModuleList([Block(dim, heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocab)

    def forward(self, tokens):
        x = self.tok(tokens) + self.pos
        for blk in self.blocks:
            x = blk(x)
        return self.head(self.norm(x))


def batch(n, length, vocab, generator=None):
    x = ts.randint(0, vocab, (n, length), generator=generator)
    return x, x.flip(1)


def accuracy(model, length, vocab, n=1000):
    g = ts.Generator().manual_seed(1234)
    x, y = batch(n, length, vocab, g)
    model.eval()
    with ts.no_grad():
        pred = model(x).argmax(-1)
    model.train()
    return float((pred == y).float().mean())


def progress(step, total, loss, start):
    width = 30
    done = int(width * step / total)
    rate = step / max(time.time() - start, 1e-9)
    sys.stdout.write(f"\r[{'#' * done}{'.' * (width - done)}] {step}/{total} loss {loss:.4f} {rate:.1f} it/s")
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=1200)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--length", type=int, default=12)
    ap.add_argument("--vocab", type=int, default=10)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    ts.manual_seed(args.seed)
    model = Reverser(args.vocab, args.length)
    opt = ts.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    warmup = max(1, args.steps // 20)
    sched = ts.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(s, args.steps) / args.steps)))
    nparams = sum(p.numel() for p in model.parameters())
    print(f"tessera {ts.__version__}: reversing {args.length}-token sequences, {nparams} parameters")
    start = time.time()
    for step in range(1, args.steps + 1):
        x, y = batch(args.batch, args.length, args.vocab)
        loss = F.cross_entropy(model(x).reshape(-1, args.vocab), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        if step % 10 == 0 or step == args.steps:
            progress(step, args.steps, float(loss), start)
    elapsed = time.time() - start
    acc = accuracy(model, args.length, args.vocab)
    print(f"\n{args.steps} steps in {elapsed:.1f} s ({args.steps * args.batch / elapsed:.0f} sequences/s); "
          f"held-out token accuracy {acc * 100:.2f}%")
    return 0 if acc >= 0.99 else 1


if __name__ == "__main__":
    sys.exit(main())

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


class Reverser(nn.Module):
    """Token + position embeddings, pre-norm transformer encoder layers (GELU MLP), a linear head."""

    def __init__(self, vocab, length, dim=64, heads=4, depth=2):
        super().__init__()
        self.tok = nn.Embedding(vocab, dim)
        self.pos = nn.Parameter(ts.randn(length, dim) * 0.02)
        layer = nn.TransformerEncoderLayer(dim, heads, dim_feedforward=4 * dim, dropout=0.0, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocab)

    def forward(self, tokens):
        return self.head(self.norm(self.encoder(self.tok(tokens) + self.pos)))


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

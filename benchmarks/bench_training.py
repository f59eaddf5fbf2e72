"""Training-step speed, tessera vs PyTorch CPU, same model and batches in one process.

- tiny MLP forward+backward+SGD step (dominated by per-op cost), ratio = torch time / tessera time
- one sequence-reversal transformer training step (examples/reverse.py's model), same ratio
Both libraries run the same number of threads (--threads, default: tessera's default, i.e.
TESSERA_NUM_THREADS or the core count); the steps are timed interleaved (median of many).
Run: PYTHONPATH=python python benchmarks/bench_training.py [--threads N]
"""
import argparse
import os
import sys

ap = argparse.ArgumentParser(description="training-step speed, tessera vs PyTorch")
ap.add_argument("--threads", type=int, default=None, help="threads for both libraries")
ARGS = ap.parse_args()
if ARGS.threads:
    os.environ["TESSERA_NUM_THREADS"] = str(ARGS.threads)  # read once when tessera loads

import torch  # noqa: E402

from common import environment, paired_median_times  # noqa: E402

import tessera as ts  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples"))
from reverse import Reverser  # noqa: E402


def mlp(m):
    return m.nn.Sequential(m.nn.Linear(32, 64), m.nn.ReLU(), m.nn.Linear(64, 64), m.nn.ReLU(), m.nn.Linear(64, 10))


def torch_reverser(vocab, length, dim=64, heads=4, depth=2):
    """examples/reverse.py's Reverser written against torch.nn (same parameter names)."""
    nn = torch.nn

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok = nn.Embedding(vocab, dim)
            self.pos = nn.Parameter(torch.randn(length, dim) * 0.02)
            layer = nn.TransformerEncoderLayer(dim, heads, dim_feedforward=4 * dim, dropout=0.0, activation="gelu",
                                               batch_first=True, norm_first=True)
            self.encoder = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
            self.norm = nn.LayerNorm(dim)
            self.head = nn.Linear(dim, vocab)

        def forward(self, tokens):
            return self.head(self.norm(self.encoder(self.tok(tokens) + self.pos)))

    return Model()


def step_fn(m, model, opt, x, y, classes):
    def step():
        loss = m.nn.functional.cross_entropy(model(x).reshape(-1, classes), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step


def main():
    threads = ARGS.threads or int(os.environ.get("TESSERA_NUM_THREADS", "0")) or os.cpu_count()
    torch.set_num_threads(threads)
    env = environment()
    print(f"# Training steps: {env['cpu']}, {env['cores']} cores, threads {threads} (torch {torch.get_num_threads()}), "
          f"commit {env['commit']}, {env['date']}, torch {torch.__version__}\n")
    print("| workload | tessera ms | torch ms | ratio (torch/tessera) |\n|---|---|---|---|")
    # tiny MLP, batch 16
    xt, yt = torch.randn(16, 32), torch.randint(0, 10, (16,))
    xs, ys = ts.from_numpy(xt.numpy().copy()), ts.from_numpy(yt.numpy().copy())
    tm, sm = mlp(torch), mlp(ts)
    sm.load_state_dict({k: ts.from_numpy(v.detach().numpy().copy()) for k, v in tm.state_dict().items()})
    t_ts, t_th = paired_median_times([
        step_fn(ts, sm, ts.optim.SGD(sm.parameters(), lr=0.01), xs, ys.reshape(16, 1), 10),
        step_fn(torch, tm, torch.optim.SGD(tm.parameters(), lr=0.01), xt, yt.reshape(16, 1), 10)], min_runs=200)
    print(f"| tiny MLP fwd+bwd+SGD (batch 16) | {t_ts * 1e3:.3f} | {t_th * 1e3:.3f} | {t_th / t_ts:.2f} |")
    # sequence reversal, batch 64 x 12 tokens
    vocab, length = 10, 12
    xt = torch.randint(0, vocab, (64, length))
    yt = xt.flip(1)
    xs, ys = ts.from_numpy(xt.numpy().copy()), ts.from_numpy(yt.numpy().copy())
    tm, sm = torch_reverser(vocab, length), Reverser(vocab, length)
    sm.load_state_dict({k: ts.from_numpy(v.detach().numpy().copy()) for k, v in tm.state_dict().items()})
    t_ts, t_th = paired_median_times([
        step_fn(ts, sm, ts.optim.AdamW(sm.parameters(), lr=1e-3), xs, ys, vocab),
        step_fn(torch, tm, torch.optim.AdamW(tm.parameters(), lr=1e-3), xt, yt, vocab)], min_runs=60)
    print(f"| sequence-reversal transformer step (64x12) | {t_ts * 1e3:.3f} | {t_th * 1e3:.3f} | {t_th / t_ts:.2f} |")


if __name__ == "__main__":
    main()

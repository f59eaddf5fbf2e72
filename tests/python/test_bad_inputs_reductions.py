"""Wrong calls to reductions, scans and sorting: PyTorch's exception type, our message names the op."""
import pytest
import torch

import tessera as ts
from helpers import rand, to_ts

X = lambda: rand((3, 4))  # noqa: E731
E = lambda: rand((0, 4))  # noqa: E731
I = lambda: rand((3, 4), torch.int64)  # noqa: E731
B = lambda: rand((3, 4), torch.bool)  # noqa: E731
S = lambda: rand(())  # noqa: E731

# (id, input maker, call(module, x), exception type, match for tessera's message or None when the
# message comes from the argument parser rather than from the op).
CASES = [
    ("sum-dim-range", X, lambda m, x: m.sum(x, 2), IndexError, r"\[sum\].*range"),
    ("sum-neg-dim-range", X, lambda m, x: m.sum(x, -3), IndexError, r"\[sum\]"),
    ("sum-repeated-dim", X, lambda m, x: m.sum(x, (0, 0)), RuntimeError, r"\[sum\].*multiple times"),
    ("sum-repeated-neg-dim", X, lambda m, x: m.sum(x, (1, -1)), RuntimeError, r"\[sum\].*multiple times"),
    ("sum-dim-str", X, lambda m, x: m.sum(x, "a"), TypeError, r"\[sum\]"),
    ("sum-dim-float", X, lambda m, x: m.sum(x, 1.5), TypeError, r"\[sum\]"),
    ("sum-dim-list-str", X, lambda m, x: m.sum(x, [0, "a"]), TypeError, r"\[sum\]"),
    ("sum-keepdim-int", X, lambda m, x: m.sum(x, 0, keepdim=3), TypeError, None),
    ("sum-not-a-tensor", X, lambda m, x: m.sum([1, 2]), TypeError, None),
    ("sum-0d-dim-1", S, lambda m, x: m.sum(x, 1), IndexError, r"\[sum\]"),
    ("mean-int", I, lambda m, x: m.mean(x), RuntimeError, r"\[mean\].*int64"),
    ("mean-int-dtype", X, lambda m, x: m.mean(x, dtype=m.int32), RuntimeError, r"\[mean\].*int32"),
    ("mean-repeated-dim", X, lambda m, x: m.mean(x, (0, -2)), RuntimeError, r"\[mean\]"),
    ("prod-dim-tuple", X, lambda m, x: m.prod(x, (0, 1)), TypeError, None),
    ("prod-dim-range", X, lambda m, x: m.prod(x, 5), IndexError, r"\[prod\]"),
    ("max-empty", E, lambda m, x: m.max(x), RuntimeError, r"\[max\].*numel\(\) == 0"),
    ("max-empty-dim", E, lambda m, x: m.max(x, 0), IndexError, r"\[max\].*non-zero size"),
    ("max-dim-str", X, lambda m, x: m.max(x, "a"), TypeError, r"\[max\]"),
    ("max-keepdim-int", X, lambda m, x: m.max(x, 0, 3), TypeError, None),
    ("max-keepdim-without-dim", X, lambda m, x: m.max(x, keepdim=True), TypeError, r"\[max\]"),
    ("min-method-keepdim-without-dim", X, lambda m, x: x.min(keepdim=False), TypeError, r"\[min\]"),
    ("prod-keepdim-without-dim", X, lambda m, x: m.prod(x, keepdim=True), TypeError, r"\[prod\]"),
    ("max-0d-dim-1", S, lambda m, x: m.max(x, 1), IndexError, r"\[max\]"),
    ("min-empty", E, lambda m, x: m.min(x), RuntimeError, r"\[min\]"),
    ("min-dim-range", X, lambda m, x: m.min(x, 5), IndexError, r"\[min\]"),
    ("amax-empty-dim", E, lambda m, x: m.amax(x, 0), IndexError, r"\[amax\].*non-zero size"),
    ("amax-empty-no-dim", E, lambda m, x: m.amax(x), RuntimeError, r"\[amax\]"),
    ("amin-repeated-dim", X, lambda m, x: m.amin(x, (1, 1)), RuntimeError, r"\[amin\]"),
    ("argmax-empty", E, lambda m, x: m.argmax(x), IndexError, r"\[argmax\]"),
    ("argmax-empty-dim", E, lambda m, x: m.argmax(x, 0), IndexError, r"\[argmax\]"),
    ("argmax-bool", B, lambda m, x: m.argmax(x), RuntimeError, r"\[argmax\].*bool"),
    ("argmin-dim-range", X, lambda m, x: m.argmin(x, -3), IndexError, r"\[argmin\]"),
    ("var-int", I, lambda m, x: m.var(x), RuntimeError, r"\[var\].*floating"),
    ("std-int-dim", I, lambda m, x: m.std(x, 0), RuntimeError, r"\[std\]"),
    ("var-dim-range", X, lambda m, x: m.var(x, 2), IndexError, r"\[var\]"),
    ("var-unbiased-and-correction", X, lambda m, x: m.var(x, 0, True, correction=1), TypeError, r"\[var\]"),
    ("norm-int", I, lambda m, x: m.norm(x), RuntimeError, r"\[norm\]"),
    ("norm-bad-p-string", X, lambda m, x: m.norm(x, p="abc"), RuntimeError, r"\[norm\].*abc"),
    ("norm-int-dtype", X, lambda m, x: m.norm(x, dtype=m.int64), RuntimeError, r"\[norm\]"),
    ("norm-inf-empty", E, lambda m, x: m.norm(x, p=float("inf")), RuntimeError, r"\[norm\].*empty"),
    ("norm-neginf-empty-dim", E, lambda m, x: m.norm(x, float("-inf"), 0), RuntimeError, r"\[norm\]"),
    ("norm-fro-three-dims", lambda: rand((2, 2, 2)), lambda m, x: m.norm(x, "fro", (0, 1, 2)), RuntimeError,
     r"\[norm\]"),
    ("norm-dim-range", X, lambda m, x: m.norm(x, 2, 4), IndexError, r"\[norm\]"),
    ("logsumexp-no-dim", X, lambda m, x: m.logsumexp(x), TypeError, None),
    ("logsumexp-dim-range", X, lambda m, x: m.logsumexp(x, 2), IndexError, r"\[logsumexp\]"),
    ("logsumexp-repeated-dim", X, lambda m, x: m.logsumexp(x, (0, 0)), RuntimeError, r"\[logsumexp\]"),
    ("any-dim-range", X, lambda m, x: m.any(x, 2), IndexError, r"\[any\]"),
    ("all-repeated-dim", X, lambda m, x: m.all(x, (0, 1, 0)), RuntimeError, r"\[all\]"),
    ("cumsum-dim-range", X, lambda m, x: m.cumsum(x, 2), IndexError, r"\[cumsum\]"),
    ("cumsum-no-dim", X, lambda m, x: m.cumsum(x), TypeError, None),
    ("cumprod-dim-range", X, lambda m, x: m.cumprod(x, -3), IndexError, r"\[cumprod\]"),
    ("sort-dim-range", X, lambda m, x: m.sort(x, 2), IndexError, r"\[sort\]"),
    ("sort-descending-str", X, lambda m, x: m.sort(x, 0, "yes"), TypeError, None),
    ("argsort-dim-range", X, lambda m, x: m.argsort(x, 3), IndexError, r"\[argsort\]"),
    ("topk-k-too-large", X, lambda m, x: m.topk(x, 5), RuntimeError, r"\[topk\].*out of range"),
    ("topk-k-negative", X, lambda m, x: m.topk(x, -1), RuntimeError, r"\[topk\]"),
    ("topk-dim-range", X, lambda m, x: m.topk(x, 1, 2), IndexError, r"\[topk\]"),
    ("topk-bool", B, lambda m, x: m.topk(x, 1), RuntimeError, r"\[topk\].*bool"),
    ("topk-k-float", X, lambda m, x: m.topk(x, 1.5), TypeError, None),
]


@pytest.mark.parametrize("name,make,call,exc,match", CASES, ids=[c[0] for c in CASES])
def test_bad_input(seed, name, make, call, exc, match):
    x = make()
    with pytest.raises(exc):  # the reference: torch raises the same type for the same mistake
        call(torch, x)
    with pytest.raises(exc, match=match):
        call(ts, to_ts(x))


def test_enough_distinct_cases():
    assert len({c[0] for c in CASES}) == len(CASES) >= 30

"""Random numbers: the Philox stream and its documented layout, reproducibility, generators, and
statistical properties of every sampler (the values need not equal PyTorch's)."""
import math

import numpy as np
import pytest
import torch

import tessera as ts
from helpers import TORCH_TO_TS, to_torch, to_ts

N = 100_000
FLOATS = [torch.float32, torch.float64, torch.float16, torch.bfloat16]


def np_of(x):
    return to_torch(x).double().numpy() if x.dtype.is_floating_point else to_torch(x).numpy()


# ---------------------------------------------------------------- Philox reference
M0, M1, W0, W1 = 0xD2511F53, 0xCD9E8D57, 0x9E3779B9, 0xBB67AE85
MASK = 0xFFFFFFFF


def philox_ref(seed, counter, subseq=0):
    c = [counter & MASK, counter >> 32, subseq & MASK, subseq >> 32]
    k = [seed & MASK, seed >> 32]
    for r in range(10):
        if r:
            k = [(k[0] + W0) & MASK, (k[1] + W1) & MASK]
        p0, p1 = M0 * c[0], M1 * c[2]
        c = [((p1 >> 32) ^ c[1] ^ k[0]) & MASK, p1 & MASK, ((p0 >> 32) ^ c[3] ^ k[1]) & MASK, p0 & MASK]
    return c


def test_philox_known_answers():
    # Random123 known-answer vectors for philox4x32_10.
    assert ts._C._philox4x32_10(0, 0, 0) == [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8]
    assert ts._C._philox4x32_10(2**64 - 1, 2**64 - 1, 2**64 - 1) == [0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD]
    assert ts._C._philox4x32_10(0x299F31D0A4093822, 0x85A308D3243F6A88, 0x0370734413198A2E) == [
        0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1]


def test_philox_matches_python_reference(seed):
    rng = np.random.default_rng(seed)
    for _ in range(20):
        s, c = int(rng.integers(0, 2**63)), int(rng.integers(0, 2**63))
        assert ts._C._philox4x32_10(s, c) == philox_ref(s, c)


def test_stream_layout_rand_float32(seed):
    """Element i of rand() is value offset + i of the stream: (x >> 8) * 2^-24, x = philox word."""
    g = ts.Generator().manual_seed(seed)
    ts.rand(3, generator=g)  # advances the offset by 4 (3 values rounded up)
    assert g._offset() == 4
    x = ts.rand(10, generator=g)
    expected = []
    for j in range(10):
        word = philox_ref(seed, (4 + j) // 4)[(4 + j) % 4]
        expected.append((word >> 8) * 2.0**-24)
    assert x.tolist() == expected
    assert g._offset() == 16


def test_stream_layout_randint_and_float64(seed):
    g = ts.Generator().manual_seed(seed)
    x = ts.randint(0, 1000, (6,), generator=g)
    assert x.tolist() == [(philox_ref(seed, j // 4)[j % 4] * 1000) >> 32 for j in range(6)]
    g.manual_seed(seed)
    d = ts.rand(3, dtype=ts.float64, generator=g)
    exp = []
    for i in range(3):
        lo, hi = philox_ref(seed, (2 * i) // 4)[(2 * i) % 4], philox_ref(seed, (2 * i + 1) // 4)[(2 * i + 1) % 4]
        exp.append((((hi << 32) | lo) >> 11) * 2.0**-53)
    assert d.tolist() == exp


def test_stream_layout_randn(seed):
    """Elements 2p, 2p+1 are the Box-Muller pair of words 2p (radius) and 2p+1 (angle)."""
    g = ts.Generator().manual_seed(seed)
    n = 4099
    x = np_of(ts.randn(n, generator=g))
    words = [w for c in range((n + 3) // 4) for w in philox_ref(seed, c)]
    for p in list(range(8)) + list(range(2040, 2049)):
        if 2 * p + 1 >= len(words):
            break
        u1 = ((words[2 * p] >> 8) + 1) * 2.0**-24
        u2 = (words[2 * p + 1] >> 8) * 2.0**-24
        r = math.sqrt(-2 * math.log(u1))
        assert abs(x[2 * p] - r * math.cos(2 * math.pi * u2)) < 2e-6 * max(1, r)
        if 2 * p + 1 < n:
            assert abs(x[2 * p + 1] - r * math.sin(2 * math.pi * u2)) < 2e-6 * max(1, r)
    g.manual_seed(seed)
    d = np_of(ts.randn(5, dtype=ts.float64, generator=g))
    for i in range(0, 4, 2):
        c = i // 2
        w = philox_ref(seed, c)
        u1 = ((((w[1] << 32) | w[0]) >> 11) + 1) * 2.0**-53
        u2 = (((w[3] << 32) | w[2]) >> 11) * 2.0**-53
        r = math.sqrt(-2 * math.log(u1))
        assert abs(d[i] - r * math.cos(2 * math.pi * u2)) < 1e-12
        assert abs(d[i + 1] - r * math.sin(2 * math.pi * u2)) < 1e-12


# ---------------------------------------------------------------- reproducibility and generators
SAMPLERS = {
    "rand": lambda g: ts.rand(1000, generator=g),
    "randn": lambda g: ts.randn(33, 31, generator=g),
    "randint": lambda g: ts.randint(-5, 5, (1001,), generator=g),
    "randperm": lambda g: ts.randperm(500, generator=g),
    "normal_": lambda g: ts.empty(999).normal_(2, 3, generator=g),
    "uniform_": lambda g: ts.empty(999, dtype=ts.float64).uniform_(-1, 1, generator=g),
    "bernoulli": lambda g: ts.bernoulli(ts.full((999,), 0.3), generator=g),
    "bernoulli_": lambda g: ts.empty(999).bernoulli_(0.7, generator=g),
    "exponential_": lambda g: ts.empty(999).exponential_(2.0, generator=g),
    "normal": lambda g: ts.normal(1.0, 2.0, (100,), generator=g),
    "rand_like": lambda g: ts.rand_like(ts.empty(10, 10), generator=g),
    "randn_like": lambda g: ts.randn_like(ts.empty(10, 10), generator=g),
    "randint_like": lambda g: ts.randint_like(ts.empty(10, 10), 3, 9, generator=g),
}


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_reproducible_with_generator_and_manual_seed(seed, name):
    f = SAMPLERS[name]
    a = f(ts.Generator().manual_seed(seed)).tolist()
    b = f(ts.Generator().manual_seed(seed)).tolist()
    assert a == b
    c = f(ts.Generator().manual_seed(seed + 1)).tolist()
    assert a != c
    ts.manual_seed(seed)
    d = f(None).tolist()
    ts.manual_seed(seed)
    e = f(None).tolist()
    assert d == e == a  # default generator and a fresh one with the same seed draw the same stream
    g = ts.Generator().manual_seed(seed)
    f(g)
    assert f(g).tolist() != a  # the state advances


def test_default_generator_api(seed):
    r = ts.manual_seed(seed)
    assert r.initial_seed() == seed and ts.initial_seed() == seed
    state = ts.get_rng_state()
    assert state.dtype == ts.uint8 and state.numel() == 16
    a = ts.rand(5).tolist()
    ts.set_rng_state(state)
    assert ts.rand(5).tolist() == a
    s = ts.seed()
    assert ts.initial_seed() == s
    ts.manual_seed(-1)
    assert ts.initial_seed() == 2**64 - 1
    ts.manual_seed(2.9)
    assert ts.initial_seed() == 2
    assert ts.default_generator.initial_seed() == 2


def test_generator_objects(seed):
    g = ts.Generator(device="cpu")
    assert g.device.type == "cpu"
    assert g.manual_seed(seed) is g
    st = g.get_state()
    x = ts.randn(7, generator=g).tolist()
    assert g.set_state(st) is g
    assert ts.randn(7, generator=g).tolist() == x
    # a private generator leaves the default one alone
    ts.manual_seed(seed)
    before = ts.get_rng_state().tolist()
    ts.rand(100, generator=g)
    assert ts.get_rng_state().tolist() == before
    s = g.seed()
    assert g.initial_seed() == s
    assert ts.Generator().initial_seed() == 67280421310721


def test_independent_of_thread_chunking(seed):
    """A big draw equals the concatenation of the values the stream layout assigns each element."""
    g = ts.Generator().manual_seed(seed)
    big = np_of(ts.rand(200_003, generator=g))
    g.manual_seed(seed)
    small = np_of(ts.rand(8, generator=g))
    np.testing.assert_array_equal(big[:8], small)
    # element 100_000 is word 100_000 of the stream
    j = 100_000
    assert big[j] == (philox_ref(seed, j // 4)[j % 4] >> 8) * 2.0**-24
    for f in [lambda n: ts.randn(n, generator=g), lambda n: ts.randint(0, 7, (n,), generator=g),
              lambda n: ts.empty(n).exponential_(generator=g), lambda n: ts.rand(n, dtype=ts.float64, generator=g)]:
        g.manual_seed(seed)
        big = np_of(f(300_001))
        g.manual_seed(seed)
        np.testing.assert_array_equal(big[:13], np_of(f(13)))


def test_noncontiguous_inplace_targets(seed):
    x = to_ts(torch.zeros(60, 80), noncontig=True)
    assert not x.is_contiguous()
    x.normal_(generator=ts.Generator().manual_seed(seed))
    a = np_of(x)
    assert np.all(a != 0) and abs(a.mean()) < 0.08  # 5.5 sigma
    y = ts.empty(60, 80).normal_(generator=ts.Generator().manual_seed(seed))
    np.testing.assert_array_equal(a, np_of(y))  # same element order as a contiguous fill
    v = x._version
    x.uniform_(2, 3)
    assert x._version == v + 1 and np_of(x).min() >= 2 and np_of(x).max() < 3


# ---------------------------------------------------------------- statistics
@pytest.mark.parametrize("dtype", FLOATS)
def test_rand_uniform_stats(seed, dtype):
    ts.manual_seed(seed)
    x = ts.rand(N, dtype=TORCH_TO_TS[dtype])
    assert x.dtype == TORCH_TO_TS[dtype] and tuple(x.shape) == (N,)
    a = np_of(x)
    assert a.min() >= 0 and a.max() < 1
    tol = 0.01 if dtype != torch.bfloat16 else 0.02
    assert abs(a.mean() - 0.5) < tol and abs(a.var() - 1 / 12) < tol
    u = np_of(ts.empty(N, dtype=TORCH_TO_TS[dtype]).uniform_(-3, 5))
    assert u.min() >= -3 and u.max() < 5 and abs(u.mean() - 1) < 0.05 and abs(u.var() - 64 / 12) < 0.1


@pytest.mark.parametrize("dtype", FLOATS)
def test_randn_normal_stats(seed, dtype):
    ts.manual_seed(seed)
    a = np_of(ts.randn(N, dtype=TORCH_TO_TS[dtype]))
    assert abs(a.mean()) < 0.02 and abs(a.var() - 1) < 0.03
    assert abs(np.mean(np.abs(a) < 1) - 0.6827) < 0.01  # the shape, not just two moments
    assert np.all(np.isfinite(a))
    b = np_of(ts.empty(N, dtype=TORCH_TO_TS[dtype]).normal_(3.0, 0.5))
    assert abs(b.mean() - 3) < 0.02 and abs(b.std() - 0.5) < 0.02
    c = np_of(ts.normal(-1.0, 2.0, (N,), dtype=TORCH_TO_TS[dtype]))
    assert abs(c.mean() + 1) < 0.05 and abs(c.std() - 2) < 0.05


def test_exponential_and_bernoulli_stats(seed):
    ts.manual_seed(seed)
    e = np_of(ts.empty(N).exponential_(2.0))
    assert e.min() >= 0 and abs(e.mean() - 0.5) < 0.01 and abs(e.var() - 0.25) < 0.02
    b = np_of(ts.empty(N).bernoulli_(0.3))
    assert set(np.unique(b)) <= {0.0, 1.0} and abs(b.mean() - 0.3) < 0.01
    probs = ts.linspace(0, 1, 5)
    rows = np.stack([np_of(ts.bernoulli(probs)) for _ in range(2000)])
    np.testing.assert_allclose(rows.mean(0), [0, 0.25, 0.5, 0.75, 1], atol=0.05)  # > 4.5 sigma
    assert rows[:, 0].max() == 0 and rows[:, -1].min() == 1
    x = ts.bernoulli(ts.full((N,), 0.8, dtype=ts.float64))
    assert x.dtype == ts.float64 and abs(np_of(x).mean() - 0.8) < 0.01
    y = ts.zeros(N, dtype=ts.int64).bernoulli_(ts.full((N,), 0.25))
    assert y.dtype == ts.int64 and abs(np_of(y).mean() - 0.25) < 0.01
    z = ts.bernoulli(ts.zeros(N), 0.6)
    assert abs(np_of(z).mean() - 0.6) < 0.01
    # broadcast probabilities
    w = ts.zeros(1000, 2).bernoulli_(ts.tensor([0.0, 1.0]))
    assert np_of(w)[:, 0].max() == 0 and np_of(w)[:, 1].min() == 1


@pytest.mark.parametrize("dtype", [torch.int64, torch.int32, torch.int16, torch.uint8, torch.float32, torch.float64])
def test_randint_bounds_and_uniformity(seed, dtype):
    ts.manual_seed(seed)
    low, high = (0, 10) if dtype == torch.uint8 else (-4, 6)
    x = ts.randint(low, high, (N,), dtype=TORCH_TO_TS[dtype])
    assert x.dtype == TORCH_TO_TS[dtype]
    a = np_of(x)
    assert a.min() == low and a.max() == high - 1
    counts = np.bincount((a - low).astype(np.int64), minlength=high - low)
    assert np.all(np.abs(counts / N - 0.1) < 0.01)
    assert ts.randint(5, (3, 4)).dtype == ts.int64 and tuple(ts.randint(5, (3, 4)).shape) == (3, 4)
    assert tuple(ts.randint(2, 5, size=(7,)).shape) == (7,)
    assert tuple(ts.randint(high=3, size=(2,)).shape) == (2,)


def test_randint_wide_ranges(seed):
    ts.manual_seed(seed)
    a = np_of(ts.randint(0, 2**40, (10_000,)))
    assert a.min() >= 0 and a.max() < 2**40 and a.max() > 2**39
    b = np_of(ts.randint(-(2**63), 2**63 - 1, (10_000,)))
    assert (b < 0).mean() > 0.4 and (b > 0).mean() > 0.4
    c = np_of(ts.randint(0, 2, (1000,), dtype=ts.bool))
    assert set(np.unique(c)) == {False, True}


@pytest.mark.parametrize("n", [0, 1, 2, 10, 1000, 100_000])
def test_randperm_is_permutation(seed, n):
    ts.manual_seed(seed)
    p = ts.randperm(n)
    assert p.dtype == ts.int64 and tuple(p.shape) == (n,)
    a = np_of(p)
    np.testing.assert_array_equal(np.sort(a), np.arange(n))
    if n >= 1000:
        assert np.mean(a == np.arange(n)) < 0.01  # actually shuffled
        assert abs(a[: n // 2].mean() - (n - 1) / 2) < n * 0.02


def test_randperm_dtypes(seed):
    for dt in [ts.int32, ts.int16, ts.float32, ts.float64, ts.uint8]:
        p = ts.randperm(200, dtype=dt)
        assert p.dtype == dt
        np.testing.assert_array_equal(np.sort(np_of(p)), np.arange(200))


def test_empty_and_zero_dim(seed):
    for f in [ts.rand, ts.randn]:
        assert tuple(f(0).shape) == (0,) and tuple(f(2, 0).shape) == (2, 0)
        assert tuple(f(()).shape) == ()
    assert tuple(ts.randint(3, ()).shape) == ()
    x = ts.empty(0).normal_()
    assert x.numel() == 0
    g = ts.Generator().manual_seed(seed)
    ts.rand(0, generator=g)
    assert g._offset() == 0  # nothing drawn


def test_like_samplers_preserve_layout(seed):
    t = torch.empty(3, 5).t()
    x = ts.empty(3, 5)
    xt = ts.from_numpy(t.numpy())
    for f, g in [(ts.rand_like, torch.rand_like), (ts.randn_like, torch.randn_like)]:
        assert f(xt).stride() == g(t).stride()
    assert ts.randint_like(xt, 4).stride() == torch.randint_like(t, 4).stride()
    gen = ts.Generator().manual_seed(seed)
    a = ts.rand_like(xt, generator=gen).tolist()
    gen.manual_seed(seed)
    assert a == ts.rand(5, 3, generator=gen).tolist()  # same logical order as a contiguous draw
    assert x.shape == (3, 5)


def test_rand_like_matches_torch_surface():
    t = torch.empty(2, 3, dtype=torch.float64)
    x = ts.empty(2, 3, dtype=ts.float64)
    assert ts.rand_like(x).dtype == ts.float64 and tuple(ts.rand_like(x).shape) == tuple(torch.rand_like(t).shape)
    assert ts.randint_like(x, 5).dtype == ts.float64
    assert np_of(ts.randint_like(x, 5)).max() < 5

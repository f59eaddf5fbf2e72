"""View ops against PyTorch: same values, same sizes AND strides/offset, shared storage and version."""
import pytest
import torch

import tessera as ts
from helpers import ALL_DTYPES, assert_close, rand, to_torch, to_ts


def check_view(v_ts, v_torch, base_ts):
    assert_close(v_ts, v_torch)
    assert v_ts.stride() == v_torch.stride()
    assert v_ts.storage_offset() == v_torch.storage_offset()
    assert v_ts._is_view_of_same_storage(base_ts)


VIEW_CASES = [
    ("view", (2, 3, 4), lambda x: x.view(6, 4)),
    ("view_infer", (2, 3, 4), lambda x: x.view(-1, 2)),
    ("view_tuple", (2, 3, 4), lambda x: x.view((4, 6))),
    ("view_0d", (), lambda x: x.view(1, 1)),
    ("reshape_view", (2, 3, 4), lambda x: x.reshape(3, 8)),
    ("transpose", (2, 3, 4), lambda x: x.transpose(0, 2)),
    ("transpose_neg", (2, 3, 4), lambda x: x.transpose(-1, -2)),
    ("t", (3, 5), lambda x: x.t()),
    ("t_1d", (4,), lambda x: x.t()),
    ("T", (3, 4), lambda x: x.T),
    ("mT", (2, 3, 4), lambda x: x.mT),
    ("permute", (2, 3, 4), lambda x: x.permute(2, 0, 1)),
    ("permute_tuple", (2, 3, 4), lambda x: x.permute((1, 2, 0))),
    ("movedim", (2, 3, 4, 5), lambda x: x.movedim(0, -1)),
    ("movedim_tuple", (2, 3, 4, 5), lambda x: x.movedim((0, 1), (2, 0))),
    ("expand", (3, 1), lambda x: x.expand(2, 3, 4)),
    ("expand_keep", (3, 1), lambda x: x.expand(-1, 5)),
    ("squeeze_all", (1, 3, 1, 2), lambda x: x.squeeze()),
    ("squeeze_dim", (1, 3, 1, 2), lambda x: x.squeeze(2)),
    ("squeeze_noop", (1, 3, 1, 2), lambda x: x.squeeze(1)),
    ("squeeze_tuple", (1, 3, 1, 2), lambda x: x.squeeze((0, 2))),
    ("unsqueeze", (3, 4), lambda x: x.unsqueeze(1)),
    ("unsqueeze_end", (3, 4), lambda x: x.unsqueeze(-1)),
    ("unsqueeze_0d", (), lambda x: x.unsqueeze(0)),
    ("select", (3, 4, 5), lambda x: x.select(1, 2)),
    ("select_neg", (3, 4, 5), lambda x: x.select(-1, -1)),
    ("narrow", (6, 4), lambda x: x.narrow(0, 1, 3)),
    ("narrow_neg", (6, 4), lambda x: x.narrow(1, -3, 2)),
    ("flatten", (2, 3, 4), lambda x: x.flatten()),
    ("flatten_mid", (2, 3, 4, 5), lambda x: x.flatten(1, 2)),
    ("unflatten", (2, 12), lambda x: x.unflatten(1, (3, -1))),
    ("diagonal", (4, 5), lambda x: x.diagonal()),
    ("diagonal_off", (4, 5), lambda x: x.diagonal(1)),
    ("diagonal_neg", (4, 5, 3), lambda x: x.diagonal(-2, 0, 1)),
    ("diagonal_dims", (3, 4, 5), lambda x: x.diagonal(0, 2, 0)),
    ("as_strided", (4, 5), lambda x: x.as_strided((3, 3), (5, 1), 2)),
    ("view_of_view", (4, 6), lambda x: x.t().narrow(0, 1, 4).unsqueeze(0).select(2, 1)),
    ("empty_view", (0, 3), lambda x: x.view(3, 0)),
]


@pytest.mark.parametrize("name,shape,fn", VIEW_CASES, ids=[c[0] for c in VIEW_CASES])
@pytest.mark.parametrize("dtype", [torch.float32, torch.int64, torch.bool, torch.bfloat16])
def test_view_ops(seed, name, shape, fn, dtype):
    a = rand(shape, dtype)
    x = to_ts(a)
    check_view(fn(x), fn(a), x)


@pytest.mark.parametrize("name,shape,fn", VIEW_CASES[:30], ids=[c[0] for c in VIEW_CASES[:30]])
def test_view_ops_on_noncontiguous(seed, name, shape, fn):
    """Views of a strided base: values match and strides compose like PyTorch's."""
    big = rand(shape[:-1] + (shape[-1] * 2,)) if shape else rand((2,))
    a = big[..., ::2] if shape else big[0]
    xs = to_ts(big).as_strided(a.shape, a.stride(), a.storage_offset())
    try:
        expected = fn(a)
    except RuntimeError:
        with pytest.raises(RuntimeError):
            fn(xs)
        return
    check_view(fn(xs), expected, xs)


def test_reshape_copies_when_needed(seed):
    a = rand((3, 4)).t()
    x = to_ts(a.t()).t()
    r = x.reshape(12)
    assert_close(r, a.reshape(12))
    assert not r._is_view_of_same_storage(x)
    with pytest.raises(RuntimeError, match=r"\[view\].*reshape"):
        x.view(12)


def test_views_share_storage_and_version(seed):
    x = to_ts(torch.zeros(3, 4))
    v = x.t().select(0, 1)
    v0 = x._version
    v.add_(1)
    assert x._version == v0 + 1 and v._version == x._version
    expected = torch.zeros(3, 4)
    expected[:, 1] += 1
    assert_close(x, expected)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_split_chunk_unbind(seed, dtype):
    a = rand((7, 4), dtype)
    x = to_ts(a)
    for got, exp in [(x.split(3), a.split(3)), (x.split([2, 5]), a.split([2, 5])), (x.chunk(3), a.chunk(3)),
                     (x.chunk(2, 1), a.chunk(2, 1)), (x.unbind(1), a.unbind(1)),
                     (ts.split(x, 2, dim=1), torch.split(a, 2, dim=1))]:
        assert isinstance(got, tuple) and len(got) == len(exp)
        for g, e in zip(got, exp):
            check_view(g, e, x)


def test_function_forms(seed):
    a = rand((2, 3, 4))
    x = to_ts(a)
    assert_close(ts.reshape(x, (4, 6)), torch.reshape(a, (4, 6)))
    assert_close(ts.transpose(x, 0, 1), torch.transpose(a, 0, 1))
    assert_close(ts.permute(x, (2, 1, 0)), torch.permute(a, (2, 1, 0)))
    assert_close(ts.squeeze(ts.unsqueeze(x, 0), 0), a)
    assert_close(ts.flatten(x, 1), torch.flatten(a, 1))
    assert_close(ts.narrow(x, 2, 1, 2), torch.narrow(a, 2, 1, 2))
    assert_close(ts.select(x, 0, 1), torch.select(a, 0, 1))
    assert_close(ts.movedim(x, 1, 0), torch.movedim(a, 1, 0))
    assert_close(ts.diagonal(x, 0, 1, 2), torch.diagonal(a, 0, 1, 2))
    assert_close(x.view(ts.int32), a.view(torch.int32))


def test_inplace_metadata_ops(seed):
    a = rand((3, 1, 4))
    x = to_ts(a)
    x.squeeze_(1)
    assert tuple(x.shape) == (3, 4)
    x.unsqueeze_(0)
    assert tuple(x.shape) == (1, 3, 4)
    x.transpose_(0, 2)
    assert x.stride() == a.squeeze(1).unsqueeze(0).transpose(0, 2).stride()

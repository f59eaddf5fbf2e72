"""tessera.save/load, tessera.safetensors, Tensor pickling, and cross-compatibility with the
`safetensors` package (required: these tests fail, not skip, without it)."""
import copy
import io
import json
import os
import pickle
import struct

import pytest
import safetensors.torch  # noqa: F401  (must be installed: requirements-dev.txt)
import torch
from safetensors import safe_open

import tessera as ts
from helpers import ALL_DTYPES, TORCH_TO_TS, rand, to_torch, to_ts

SHAPES = [(), (0,), (3, 0, 2), (7,), (2, 3, 4), (1, 1, 5)]


def same(a: ts.Tensor, b: torch.Tensor):
    assert TORCH_TO_TS[b.dtype] == a.dtype
    assert tuple(a.shape) == tuple(b.shape)
    assert torch.equal(to_torch(a), b)


def noncontig_pair(shape, dtype):
    """A non-contiguous tessera tensor (every other column of a wider one) and its torch values."""
    big = rand(shape[:-1] + (shape[-1] * 2,), dtype)
    x = to_ts(big)[..., ::2]
    assert not x.is_contiguous()
    return x, big[..., ::2].contiguous()


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_roundtrip_all_dtypes_and_shapes(dtype, seed, tmp_path):
    tensors, ref = {}, {}
    for i, shape in enumerate(SHAPES):
        t = rand(shape, dtype)
        tensors[f"t{i}"] = to_ts(t)
        ref[f"t{i}"] = t
    x, xt = noncontig_pair((3, 4), dtype)
    tensors["nc"], ref["nc"] = x, xt
    y = to_ts(rand((4, 5), dtype)).transpose(0, 1)
    tensors["tr"], ref["tr"] = y, to_torch(y.contiguous())
    path = tmp_path / "a.safetensors"
    ts.safetensors.save_file(tensors, path)
    for out in (ts.safetensors.load_file(path), ts.safetensors.load(ts.safetensors.save(tensors)),
                ts.load(path)):
        assert set(out) == set(ref)
        for k in ref:
            same(out[k], ref[k])
            assert out[k].is_contiguous() and out[k].device == ts.device("cpu")
    # The reference implementation reads what we wrote, bit for bit.
    theirs = safetensors.torch.load_file(str(path))
    for k in ref:
        assert torch.equal(theirs[k], ref[k]), k


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_reads_files_written_by_safetensors_package(dtype, seed, tmp_path):
    ref = {f"w{i}": rand(s, dtype) for i, s in enumerate(SHAPES)}
    ref["layer.0.weight"] = rand((5, 3), dtype).t()  # safetensors.torch wants contiguous
    ref["layer.0.weight"] = ref["layer.0.weight"].contiguous()
    path = tmp_path / "theirs.safetensors"
    safetensors.torch.save_file(ref, str(path), metadata={"format": "pt", "note": "é\"\\\n"})
    out = ts.safetensors.load_file(path)
    assert set(out) == set(ref)
    for k in ref:
        same(out[k], ref[k])
    assert ts.safetensors.load_metadata(path) == {"format": "pt", "note": "é\"\\\n"}
    b = safetensors.torch.save(ref)
    for k, v in ts.safetensors.load(b).items():
        same(v, ref[k])


def test_metadata_roundtrip_and_visible_to_safetensors(tmp_path):
    path = tmp_path / "m.safetensors"
    meta = {"a": "1", "unicode": "ünï\u2028😀", "ctl": "\x01\t"}
    ts.safetensors.save_file({"x": ts.arange(3)}, path, metadata=meta)
    assert ts.safetensors.load_metadata(path) == meta
    with safe_open(str(path), framework="pt") as f:
        assert f.metadata() == meta
    ts.safetensors.save_file({"x": ts.arange(3)}, path)
    assert ts.safetensors.load_metadata(path) is None


def test_header_layout(tmp_path):
    data = ts.safetensors.save({"b": ts.zeros(3, dtype=ts.float64), "a": ts.ones(2, dtype=ts.uint8)})
    (n,) = struct.unpack("<Q", data[:8])
    assert n % 8 == 0  # the data region is 8-byte aligned
    header = json.loads(data[8:8 + n])
    assert header["b"] == {"dtype": "F64", "shape": [3], "data_offsets": [0, 24]}
    assert header["a"] == {"dtype": "U8", "shape": [2], "data_offsets": [24, 26]}
    assert len(data) == 8 + n + 26


def test_save_load_tensor_and_nested_state_dict(seed, tmp_path):
    t = rand((3, 4))
    ts.save(to_ts(t), tmp_path / "t.st")
    out = ts.load(tmp_path / "t.st")
    assert isinstance(out, ts.Tensor)
    same(out, t)
    # A plain tensor is stored under "tensor" (documented), readable by anyone.
    assert set(safetensors.torch.load_file(str(tmp_path / "t.st"))) == {"tensor"}

    sd = {"layer": {"weight": to_ts(t), "bias": ts.zeros(4)}, "step": ts.tensor(3)}
    ts.save(sd, str(tmp_path / "sd.st"))
    flat = ts.load(tmp_path / "sd.st")
    assert set(flat) == {"layer.weight", "layer.bias", "step"}
    nested = ts.load(tmp_path / "sd.st", unflatten=True)
    same(nested["layer"]["weight"], t)
    assert nested["step"].item() == 3
    # file objects
    buf = io.BytesIO()
    ts.save(sd, buf)
    buf.seek(0)
    assert set(ts.load(buf)) == set(flat)


def test_atomic_write_replaces_and_leaves_no_temp(tmp_path):
    path = tmp_path / "w.safetensors"
    ts.safetensors.save_file({"x": ts.ones(2)}, path)
    ts.safetensors.save_file({"y": ts.zeros(3)}, path)
    assert set(ts.safetensors.load_file(path)) == {"y"}
    assert os.listdir(tmp_path) == ["w.safetensors"]
    # a failing save leaves the old file intact and no temporary behind
    with pytest.raises(TypeError, match=r"\[save\]"):
        ts.safetensors.save_file({"z": 3}, path)
    with pytest.raises(TypeError, match=r"\[save\]"):
        ts.save([ts.ones(1)], path)
    assert set(ts.safetensors.load_file(path)) == {"y"}
    assert os.listdir(tmp_path) == ["w.safetensors"]


def test_bad_arguments(tmp_path):
    with pytest.raises(TypeError, match=r"\[save\]"):
        ts.safetensors.save({1: ts.ones(1)})
    with pytest.raises(TypeError, match=r"\[save\]"):
        ts.safetensors.save({"a": ts.ones(1)}, metadata={"k": 1})
    with pytest.raises(ValueError, match=r"\[save\]"):
        ts.safetensors.save({"__metadata__": ts.ones(1)})
    with pytest.raises(TypeError, match=r"\[save\]"):
        ts.save({"a": {"b": 3}}, tmp_path / "x")
    with pytest.raises(ValueError, match=r"\[save\]"):
        ts.save({"a.b": ts.ones(1), "a": {"b": ts.ones(1)}}, tmp_path / "x")
    with pytest.raises(FileNotFoundError):
        ts.load(tmp_path / "missing.safetensors")
    with pytest.raises(TypeError, match=r"\[load\]"):
        ts.safetensors.load(12)


def header_file(header, data=b"", raw=None):
    h = raw if raw is not None else json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + data


BAD = [
    ("empty", b""),
    ("short length", b"\x05\x00\x00"),
    ("length past end", struct.pack("<Q", 100) + b"{}"),
    ("huge length", struct.pack("<Q", 2**63) + b"{}"),
    ("not an object", header_file(None, raw=b"[1, 2]")),
    ("bad json", header_file(None, raw=b'{"a": }')),
    ("trailing garbage", header_file(None, raw=b'{} x')),
    ("bad utf8", header_file(None, raw=b'{"\xff": 1}')),
    ("unknown dtype", header_file({"a": {"dtype": "F8_E4M3", "shape": [1], "data_offsets": [0, 1]}}, b"\0")),
    ("missing field", header_file({"a": {"dtype": "F32", "shape": [1]}}, b"\0" * 4)),
    ("extra field", header_file({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4], "x": 1}}, b"\0" * 4)),
    ("size mismatch", header_file({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}, b"\0" * 4)),
    ("offsets reversed", header_file({"a": {"dtype": "U8", "shape": [0], "data_offsets": [4, 0]}}, b"\0" * 4)),
    ("past data", header_file({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 4)),
    ("gap", header_file({"a": {"dtype": "U8", "shape": [2], "data_offsets": [2, 4]}}, b"\0" * 4)),
    ("trailing data", header_file({"a": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]}}, b"\0" * 4)),
    ("overlap", header_file({"a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]},
                             "b": {"dtype": "U8", "shape": [2], "data_offsets": [2, 4]}}, b"\0" * 4)),
    ("negative dim", header_file({"a": {"dtype": "U8", "shape": [-1], "data_offsets": [0, 0]}})),
    ("float dim", header_file({"a": {"dtype": "U8", "shape": [1.5], "data_offsets": [0, 0]}})),
    ("overflow product", header_file({"a": {"dtype": "F64", "shape": [2**32, 2**32, 2], "data_offsets": [0, 0]}})),
    ("empty but huge", header_file({"a": {"dtype": "U8", "shape": [0, 2**62, 2**62], "data_offsets": [0, 0]}})),
    ("dim > int64", header_file({"a": {"dtype": "U8", "shape": [0, 2**63], "data_offsets": [0, 0]}})),
    ("number > 2^64", header_file(None, raw=b'{"a":{"dtype":"U8","shape":[99999999999999999999],'
                                               b'"data_offsets":[0,0]}}')),
    ("duplicate key", header_file(None, raw=b'{"a":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},'
                                             b'"a":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}')),
    ("metadata not str", header_file({"__metadata__": {"k": 1}})),
    ("metadata not object", header_file({"__metadata__": "x"})),
    ("deep nesting", header_file(None, raw=b'{"a":' + b"[" * 10000 + b"]" * 10000 + b"}")),
    ("lone surrogate", header_file(None, raw=b'{"\\ud800": 1}')),
    ("control char", header_file(None, raw=b'{"a\x01": 1}')),
]


@pytest.mark.parametrize("name,data", BAD, ids=[b[0] for b in BAD])
def test_malformed_inputs_raise(name, data, tmp_path):
    with pytest.raises(ValueError, match=r"^\[load\]"):
        ts.safetensors.load(data)
    p = tmp_path / "bad.safetensors"
    p.write_bytes(data)
    with pytest.raises(ValueError, match=r"^\[load\]"):
        ts.safetensors.load_file(p)


def test_valid_edge_headers():
    # whitespace padding, escapes, zero-size tensors sharing an offset, empty file
    raw = b'{"a\\u00e9\\n":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},' \
          b'"b":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"c":{"dtype":"BOOL","shape":[0,3],"data_offsets":[2,2]}}   '
    out = ts.safetensors.load(header_file(None, b"\x01\x02", raw=raw))
    assert set(out) == {"a\u00e9\n", "b", "c"}
    assert out["b"].tolist() == [1, 2]
    assert ts.safetensors.load(header_file({})) == {}
    out = ts.safetensors.load(header_file({"e": {"dtype": "F32", "shape": [0, 2**40], "data_offsets": [0, 0]}}))
    assert tuple(out["e"].shape) == (0, 2**40)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_pickle_tensors(dtype, seed):
    t = rand((3, 4), dtype)
    for x, ref in ((to_ts(t), t), (to_ts(t)[:, ::2], t[:, ::2].contiguous()), (to_ts(t)[1, 2], t[1, 2]),
                   (to_ts(t)[:0], t[:0])):
        for proto in (2, pickle.HIGHEST_PROTOCOL):
            same(pickle.loads(pickle.dumps(x, protocol=proto)), ref)
        same(copy.deepcopy(x), ref)
    if dtype.is_floating_point:
        x = to_ts(t).requires_grad_(True)
        y = pickle.loads(pickle.dumps(x))
        assert y.requires_grad and y.is_leaf

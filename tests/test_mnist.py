"""Tests of course.mnist on small IDX files written here (no network, no real MNIST)."""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
from pathlib import Path

import numpy as np
import pytest

from course import mnist
from course.mnist import CACHE_NAME, MNIST_MD5, load_mnist, read_idx

N_TRAIN, N_TEST = 20, 7
NAMES = {
    "x_train": "train-images-idx3-ubyte",
    "t_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "t_test": "t10k-labels-idx1-ubyte",
}


def idx_bytes(arr: np.ndarray, magic: int | None = None) -> bytes:
    """IDX encoding written independently of the code under test."""
    arr = np.asarray(arr, dtype=np.uint8)
    if magic is None:
        magic = 0x0800 | arr.ndim
    return struct.pack(">I", magic) + struct.pack(f">{arr.ndim}I", *arr.shape) + arr.tobytes()


def make_arrays(seed: int = 0, rows: int = 28, cols: int = 28) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "x_train": rng.integers(0, 256, size=(N_TRAIN, rows, cols), dtype=np.uint8),
        "t_train": (np.arange(N_TRAIN) % 10).astype(np.uint8),
        "x_test": rng.integers(0, 256, size=(N_TEST, rows, cols), dtype=np.uint8),
        "t_test": rng.integers(0, 10, size=N_TEST, dtype=np.uint8),
    }


def write(directory: Path, name: str, payload: bytes, gz: bool) -> Path:
    path = directory / (name + ".gz" if gz else name)
    path.write_bytes(gzip.compress(payload) if gz else payload)
    return path


def write_all(directory: Path, arrays: dict[str, np.ndarray], gz: bool) -> dict[str, Path]:
    return {key: write(directory, NAMES[key], idx_bytes(arrays[key]), gz) for key in NAMES}


def md5_of(paths) -> dict[str, str]:
    return {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in paths}


@pytest.fixture
def arrays():
    return make_arrays()


# ---------------------------------------------------------------- round trip


@pytest.mark.parametrize("gz", [True, False])
def test_round_trip(tmp_path, arrays, gz):
    write_all(tmp_path, arrays, gz)
    (x_train, t_train), (x_test, t_test) = load_mnist(
        tmp_path, normalize=False, flatten=False, checksums=None, cache=False
    )
    assert x_train.shape == (N_TRAIN, 1, 28, 28) and x_test.shape == (N_TEST, 1, 28, 28)
    assert x_train.dtype == np.float64 and t_train.dtype == np.int64
    assert np.array_equal(x_train[:, 0], arrays["x_train"])
    assert np.array_equal(x_test[:, 0], arrays["x_test"])
    assert np.array_equal(t_train, arrays["t_train"])
    assert np.array_equal(t_test, arrays["t_test"])


def test_normalize_flatten_one_hot(tmp_path, arrays):
    write_all(tmp_path, arrays, gz=True)
    (x_train, t_train), (x_test, t_test) = load_mnist(tmp_path, one_hot_label=True, checksums=None, cache=False)
    assert x_train.shape == (N_TRAIN, 784) and x_test.shape == (N_TEST, 784)
    assert x_train.dtype == np.float64
    assert 0.0 <= x_train.min() and x_train.max() <= 1.0
    assert np.allclose(x_train, arrays["x_train"].reshape(N_TRAIN, 784) / 255.0)
    assert t_train.shape == (N_TRAIN, 10) and t_test.shape == (N_TEST, 10)
    assert np.array_equal(t_train.argmax(axis=1), arrays["t_train"])
    assert np.all(t_test.sum(axis=1) == 1.0)


def test_other_image_size(tmp_path):
    arrays = make_arrays(rows=5, cols=4)
    write_all(tmp_path, arrays, gz=False)
    (x_train, _), (x_test, _) = load_mnist(tmp_path, normalize=False, checksums=None, cache=False)
    assert x_train.shape == (N_TRAIN, 20) and x_test.shape == (N_TEST, 20)
    assert np.array_equal(x_train, arrays["x_train"].reshape(N_TRAIN, 20))
    (x_train, _), _ = load_mnist(tmp_path, flatten=False, checksums=None, cache=False)
    assert x_train.shape == (N_TRAIN, 1, 5, 4)


def test_read_idx(tmp_path):
    data = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    path = write(tmp_path, "any-idx3-ubyte", idx_bytes(data), gz=True)
    out = read_idx(path, magic=0x803)
    assert out.dtype == np.uint8 and np.array_equal(out, data)
    with pytest.raises(ValueError, match="0x00000801"):
        read_idx(path, magic=0x801)


def test_gz_preferred_over_raw(tmp_path, arrays):
    write_all(tmp_path, arrays, gz=False)
    other = make_arrays(seed=1)
    write(tmp_path, NAMES["x_train"], idx_bytes(other["x_train"]), gz=True)
    (x_train, _), _ = load_mnist(tmp_path, normalize=False, flatten=False, checksums=None, cache=False)
    assert np.array_equal(x_train[:, 0], other["x_train"])


# ------------------------------------------------------------------ checksums


def test_official_checksums_table():
    # Values of torchvision/datasets/mnist.py (MNIST.resources), pytorch/vision.
    assert dict(MNIST_MD5) == {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    }


def test_checksums_pass_with_correct_md5(tmp_path, arrays):
    paths = write_all(tmp_path, arrays, gz=True)
    (x_train, _), _ = load_mnist(tmp_path, checksums=md5_of(paths.values()), cache=False)
    assert x_train.shape == (N_TRAIN, 784)


def test_checksum_mismatch_after_corrupted_byte(tmp_path, arrays):
    paths = write_all(tmp_path, arrays, gz=True)
    checksums = md5_of(paths.values())
    target = paths["x_test"]
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    actual = hashlib.md5(bytes(data)).hexdigest()
    with pytest.raises(ValueError) as info:
        load_mnist(tmp_path, checksums=checksums, cache=False)
    message = str(info.value)
    assert target.name in message
    assert checksums[target.name] in message and actual in message


def test_default_checksums_apply_to_gz_files(tmp_path, arrays):
    write_all(tmp_path, arrays, gz=True)  # official names, other content
    with pytest.raises(ValueError, match="f68b3c2dcbeaaa9fbdd348bbdeb94873"):
        load_mnist(tmp_path, cache=False)


def test_default_checksums_do_not_apply_to_raw_files(tmp_path, arrays):
    write_all(tmp_path, arrays, gz=False)
    (x_train, _), _ = load_mnist(tmp_path, cache=False)
    assert x_train.shape == (N_TRAIN, 784)


@pytest.mark.parametrize("skip", [None, {}])
def test_checksums_can_be_skipped(tmp_path, arrays, skip):
    write_all(tmp_path, arrays, gz=True)
    (x_train, _), _ = load_mnist(tmp_path, checksums=skip, cache=False)
    assert x_train.shape == (N_TRAIN, 784)


# --------------------------------------------------------------- bad files


@pytest.mark.parametrize("gz", [True, False])
def test_truncated_image_file(tmp_path, arrays, gz):
    write_all(tmp_path, arrays, gz)
    full = idx_bytes(arrays["x_train"])
    path = write(tmp_path, NAMES["x_train"], full[:-100], gz)
    with pytest.raises(ValueError) as info:
        load_mnist(tmp_path, checksums=None, cache=False)
    message = str(info.value)
    assert path.name in message
    assert str(len(full)) in message and str(len(full) - 100) in message


def test_truncated_gzip_stream(tmp_path, arrays):
    paths = write_all(tmp_path, arrays, gz=True)
    stored = paths["t_train"].read_bytes()
    paths["t_train"].write_bytes(stored[: len(stored) // 2])
    with pytest.raises(ValueError, match=paths["t_train"].name):
        load_mnist(tmp_path, checksums=None, cache=False)


def test_truncated_header(tmp_path, arrays):
    write_all(tmp_path, arrays, gz=False)
    path = write(tmp_path, NAMES["t_test"], idx_bytes(arrays["t_test"])[:6], gz=False)
    with pytest.raises(ValueError, match=path.name):
        load_mnist(tmp_path, checksums=None, cache=False)


def test_wrong_magic_labels_and_images_swapped(tmp_path, arrays):
    write_all(tmp_path, arrays, gz=False)
    # A 1-D ubyte array stored under the image name: magic 0x801 instead of 0x803.
    path = write(tmp_path, NAMES["x_train"], idx_bytes(arrays["t_train"]), gz=False)
    with pytest.raises(ValueError) as info:
        load_mnist(tmp_path, checksums=None, cache=False)
    message = str(info.value)
    assert path.name in message and "0x00000801" in message and "0x00000803" in message


def test_wrong_magic_not_idx(tmp_path, arrays):
    write_all(tmp_path, arrays, gz=True)
    path = write(tmp_path, NAMES["t_test"], b"PK\x03\x04 definitely not idx", gz=True)
    with pytest.raises(ValueError, match=path.name):
        load_mnist(tmp_path, checksums=None, cache=False)


def test_gzip_file_without_gz_suffix(tmp_path, arrays):
    write_all(tmp_path, arrays, gz=False)
    path = tmp_path / NAMES["t_train"]
    path.write_bytes(gzip.compress(idx_bytes(arrays["t_train"])))
    with pytest.raises(ValueError, match=r"\.gz"):
        load_mnist(tmp_path, checksums=None, cache=False)


def test_label_image_count_mismatch(tmp_path, arrays):
    write_all(tmp_path, arrays, gz=True)
    write(tmp_path, NAMES["t_train"], idx_bytes(arrays["t_train"][:-1]), gz=True)
    with pytest.raises(ValueError) as info:
        load_mnist(tmp_path, checksums=None, cache=False)
    message = str(info.value)
    assert NAMES["x_train"] in message and NAMES["t_train"] in message
    assert str(N_TRAIN) in message and str(N_TRAIN - 1) in message


def test_label_out_of_range(tmp_path, arrays):
    write_all(tmp_path, arrays, gz=True)
    labels = arrays["t_test"].copy()
    labels[3] = 10
    path = write(tmp_path, NAMES["t_test"], idx_bytes(labels), gz=True)
    with pytest.raises(ValueError, match=path.name):
        load_mnist(tmp_path, checksums=None, cache=False)


def test_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        load_mnist(tmp_path / "nowhere")


def test_missing_files_listed(tmp_path, arrays):
    with pytest.raises(FileNotFoundError) as info:
        load_mnist(tmp_path)
    message = str(info.value)
    for name in NAMES.values():
        assert name in message
    assert "https://" in message

    paths = write_all(tmp_path, arrays, gz=True)
    paths["t_test"].unlink()
    with pytest.raises(FileNotFoundError) as info:
        load_mnist(tmp_path, checksums=None)
    first_line = str(info.value).splitlines()[0]
    assert NAMES["t_test"] in first_line and NAMES["x_train"] not in first_line


# ---------------------------------------------------------------------- cache


def _fail_parser(monkeypatch) -> None:
    def fail(*args, **kwargs):
        raise AssertionError("parser called although the cache is valid")

    monkeypatch.setattr(mnist, "_parse_idx", fail)


def test_cache_written_with_metadata(tmp_path, arrays):
    paths = write_all(tmp_path, arrays, gz=True)
    load_mnist(tmp_path, checksums=None)
    with np.load(tmp_path / CACHE_NAME) as npz:
        assert npz["x_train"].dtype == np.uint8
        assert np.array_equal(npz["x_train"], arrays["x_train"])
        assert np.array_equal(npz["t_test"], arrays["t_test"])
        ordered = [paths[k] for k in ("x_train", "t_train", "x_test", "t_test")]
        assert list(npz["names"]) == [p.name for p in ordered]
        assert list(npz["sizes"]) == [p.stat().st_size for p in ordered]
        assert list(npz["mtime_ns"]) == [p.stat().st_mtime_ns for p in ordered]
        assert list(npz["md5"]) == [hashlib.md5(p.read_bytes()).hexdigest() for p in ordered]
    assert sorted(p.name for p in tmp_path.iterdir() if "cache" in p.name) == [CACHE_NAME]


def test_cache_reused(tmp_path, arrays, monkeypatch):
    write_all(tmp_path, arrays, gz=True)
    first = load_mnist(tmp_path, normalize=False, checksums=None)
    _fail_parser(monkeypatch)
    second = load_mnist(tmp_path, normalize=False, checksums=None)
    for part, part2 in zip(first, second):
        for a, b in zip(part, part2):
            assert np.array_equal(a, b)
    # Other options are applied to the cached arrays.
    (x_train, _), _ = load_mnist(tmp_path, flatten=False, checksums=None)
    assert x_train.shape == (N_TRAIN, 1, 28, 28)
    assert np.allclose(x_train[:, 0] * 255.0, arrays["x_train"])


def test_cache_still_verifies_checksums(tmp_path, arrays, monkeypatch):
    paths = write_all(tmp_path, arrays, gz=True)
    good = md5_of(paths.values())
    load_mnist(tmp_path, checksums=good)
    _fail_parser(monkeypatch)
    load_mnist(tmp_path, checksums=good)
    bad = {**good, paths["t_train"].name: "0" * 32}
    with pytest.raises(ValueError, match=paths["t_train"].name):
        load_mnist(tmp_path, checksums=bad)


def test_cache_invalidated_when_a_file_changes(tmp_path, arrays, monkeypatch):
    paths = write_all(tmp_path, arrays, gz=True)
    load_mnist(tmp_path, checksums=None)

    new_labels = (arrays["t_test"] + 1) % 10
    path = write(tmp_path, NAMES["t_test"], idx_bytes(new_labels), gz=True)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # a surely new mtime

    calls = []
    real_parser = mnist._parse_idx

    def counting(*args, **kwargs):
        calls.append(args[1])
        return real_parser(*args, **kwargs)

    monkeypatch.setattr(mnist, "_parse_idx", counting)
    _, (_, t_test) = load_mnist(tmp_path, checksums=None)
    assert len(calls) == 4
    assert np.array_equal(t_test, new_labels)
    # ... and the refreshed cache is used afterwards.
    load_mnist(tmp_path, checksums=None)
    assert len(calls) == 4
    assert paths["t_test"] == path


def test_corrupt_cache_is_ignored(tmp_path, arrays):
    write_all(tmp_path, arrays, gz=True)
    (tmp_path / CACHE_NAME).write_bytes(b"not a zip file")
    _, (_, t_test) = load_mnist(tmp_path, checksums=None)
    assert np.array_equal(t_test, arrays["t_test"])


def test_no_cache_when_disabled(tmp_path, arrays):
    write_all(tmp_path, arrays, gz=True)
    load_mnist(tmp_path, checksums=None, cache=False)
    assert not (tmp_path / CACHE_NAME).exists()


def test_unwritable_cache_is_skipped(tmp_path, arrays, monkeypatch):
    write_all(tmp_path, arrays, gz=True)

    def refuse(*args, **kwargs):
        raise PermissionError("read-only file system")

    monkeypatch.setattr(mnist.tempfile, "mkstemp", refuse)
    _, (_, t_test) = load_mnist(tmp_path, checksums=None)
    assert np.array_equal(t_test, arrays["t_test"])
    assert not (tmp_path / CACHE_NAME).exists()

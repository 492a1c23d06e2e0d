"""Real MNIST from local IDX files (this module never downloads anything).

Put the four standard files into one directory, gzipped or not::

    train-images-idx3-ubyte(.gz)  train-labels-idx1-ubyte(.gz)
    t10k-images-idx3-ubyte(.gz)   t10k-labels-idx1-ubyte(.gz)

and call ``load_mnist(directory)``. The result has the conventions of
``course.data.load_digits`` (and of the textbook's ``load_mnist``).

IDX format (all integers big-endian): a 4-byte magic number
0x00 0x00 <type> <ndim> (type 0x08 = unsigned byte), then ndim 4-byte sizes,
then the data. Labels: magic 0x00000801, sizes (N,). Images: magic 0x00000803,
sizes (N, rows, cols).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import zlib
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

import numpy as np

from course.data import to_one_hot

__all__ = ["MNIST_FILES", "MNIST_MD5", "CACHE_NAME", "load_mnist", "read_idx"]

#: Base names of the four files; each may also be stored as "<name>.gz".
MNIST_FILES: tuple[str, str, str, str] = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)

#: MD5 digests of the official gzipped files, as used by torchvision
#: (pytorch/vision, torchvision/datasets/mnist.py, ``MNIST.resources``).
MNIST_MD5: Mapping[str, str] = MappingProxyType(
    {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    }
)

#: Name of the cache file written next to the IDX files.
CACHE_NAME = "mnist_cache.npz"

_MAGIC_LABELS = 0x00000801
_MAGIC_IMAGES = 0x00000803
_TYPE_UBYTE = 0x08
_NUM_CLASSES = 10
_CACHE_VERSION = 1
_ARRAY_KEYS = ("x_train", "t_train", "x_test", "t_test")
_WHERE_TO_GET = (
    "MNIST は自動ではダウンロードされません。次のミラーなどから 4 つのファイルを"
    "入手してこのディレクトリに置いてください (.gz のままで構いません):\n"
    "  https://ossci-datasets.s3.amazonaws.com/mnist/\n"
    "  http://yann.lecun.com/exdb/mnist/\n"
    "MNIST がなくても course.data.load_digits() (8x8 の digits) で学習できます。"
)


def _decompress(stored: bytes, name: str) -> bytes:
    """Decompress the bytes of a file whose name ends in .gz; others pass through."""
    if not name.endswith(".gz"):
        return stored
    try:
        return gzip.decompress(stored)
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(
            f"{name}: gzip として展開できません (ファイルが壊れているか途中で切れています): {exc}"
        ) from exc


def _parse_idx(data: bytes, name: str, magic: int | None = None) -> np.ndarray:
    """Parse the (uncompressed) bytes of an unsigned-byte IDX file.

    Inputs:
    - data: the file's uncompressed content
    - name: file name used in error messages
    - magic: expected magic number (e.g. 0x00000803 for images), or None to
      accept any unsigned-byte IDX file

    Returns:
    - uint8 array of the shape given in the header, e.g. (N, rows, cols)
    """
    if len(data) < 4:
        raise ValueError(f"{name}: ファイルが短すぎます ({len(data)} バイト)。IDX のヘッダがありません。")
    found = int.from_bytes(data[:4], "big")
    if data[:2] == b"\x1f\x8b":
        raise ValueError(f"{name}: gzip 圧縮されたファイルのようです。ファイル名の末尾に .gz を付けてください。")
    if data[0] != 0 or data[1] != 0 or data[2] != _TYPE_UBYTE or (magic is not None and found != magic):
        expected = f"0x{magic:08x}" if magic is not None else "0x000008nn"
        raise ValueError(
            f"{name}: マジックナンバーが不正です: 0x{found:08x} (期待値 {expected})。"
            " MNIST の IDX ファイルではないか、ラベルと画像のファイルが入れ替わっています。"
        )
    ndim = data[3]
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise ValueError(
            f"{name}: ヘッダが途中で切れています ({len(data)} バイト, ヘッダには {header_len} バイト必要)。"
        )
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected_len = header_len + int(np.prod(shape, dtype=np.int64))
    if len(data) != expected_len:
        raise ValueError(
            f"{name}: ファイルの長さが不正です: ヘッダ (shape {shape}) によると"
            f" {expected_len} バイトのはずですが、{len(data)} バイトです"
            " (ダウンロードが途中で切れた可能性があります)。"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header_len).reshape(shape).copy()


def read_idx(path: str | os.PathLike[str], *, magic: int | None = None) -> np.ndarray:
    """Read one unsigned-byte IDX file, gzipped (name ends in .gz) or raw.

    Inputs:
    - path: the file
    - magic: expected magic number, e.g. 0x00000803 (images) or 0x00000801
      (labels); None accepts any unsigned-byte IDX file

    Returns:
    - uint8 array of the shape in the header: (N,) for labels,
      (N, rows, cols) for images
    """
    path = Path(path)
    return _parse_idx(_decompress(path.read_bytes(), path.name), path.name, magic)


def _find_sources(directory: Path) -> list[Path]:
    """The four files in MNIST_FILES order, preferring NAME.gz over NAME."""
    if not directory.is_dir():
        raise FileNotFoundError(
            f"MNIST のディレクトリ {directory} がありません。\n"
            f"必要なファイル: {', '.join(MNIST_FILES)} (それぞれ .gz 付きでも可)\n" + _WHERE_TO_GET
        )
    found, missing = [], []
    for base in MNIST_FILES:
        candidates = [directory / (base + ".gz"), directory / base]
        existing = [p for p in candidates if p.is_file()]
        if existing:
            found.append(existing[0])
        else:
            missing.append(base)
    if missing:
        raise FileNotFoundError(
            f"{directory} に MNIST のファイルが足りません: {', '.join(missing)}"
            " (.gz 付きでも可)\n"
            f"必要なファイル: {', '.join(MNIST_FILES)}\n" + _WHERE_TO_GET
        )
    return found


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _verify(name: str, actual: str, checksums: Mapping[str, str] | None) -> None:
    if not checksums or name not in checksums:
        return
    expected = checksums[name].lower()
    if actual != expected:
        raise ValueError(
            f"{name}: MD5 チェックサムが一致しません (期待値 {expected}, 実際 {actual})。"
            " ファイルが壊れているか、別のファイルです。入手し直してください"
            " (検証を省くには checksums=None)。"
        )


def _read_cache(cache_path: Path, meta: dict[str, np.ndarray]) -> dict[str, np.ndarray] | None:
    """Arrays and md5s from the cache if it matches the sources' names, sizes and mtimes."""
    try:
        with np.load(cache_path, allow_pickle=False) as npz:
            if int(npz["version"]) != _CACHE_VERSION:
                return None
            for key in ("names", "sizes", "mtime_ns"):
                if not np.array_equal(npz[key], meta[key]):
                    return None
            return {key: npz[key] for key in (*_ARRAY_KEYS, "md5")}
    except Exception:  # noqa: BLE001
        # Missing, unreadable or corrupt cache (any error): parse the sources again.
        return None


def _write_cache(cache_path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write the cache atomically (temporary file + rename); may raise OSError."""
    fd, tmp = tempfile.mkstemp(dir=cache_path.parent, prefix=".mnist_cache_", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)
        os.replace(tmp, cache_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_mnist(
    path: str | os.PathLike[str],
    *,
    normalize: bool = True,
    flatten: bool = True,
    one_hot_label: bool = False,
    checksums: Mapping[str, str] | None = MNIST_MD5,
    cache: bool = True,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load MNIST from the IDX files in directory ``path``.

    For each of the four names in MNIST_FILES, "<name>.gz" is used if it
    exists, otherwise the uncompressed "<name>". Nothing is downloaded.

    Inputs:
    - path: directory containing the four files
    - normalize: if True, pixels are divided by 255 (float64 in [0, 1]);
      otherwise the raw values 0..255 as float64. (The full training set
      then takes 60000 * 784 * 8 bytes = 376 MB.)
    - flatten: if True, x has shape (N, 784); otherwise (N, 1, 28, 28)
    - one_hot_label: if True, t has shape (N, 10), float64 one-hot rows;
      otherwise t has shape (N,), int64 labels 0..9
    - checksums: {file name: md5 hex digest}; every source file whose name
      (as stored, e.g. "train-images-idx3-ubyte.gz") is a key is verified
      and a mismatch raises ValueError. The default checks the official .gz
      files; uncompressed files are not in it. None or {} skips the check.
    - cache: if True, the parsed uint8 arrays are kept in "mnist_cache.npz"
      in the same directory together with the names, sizes, mtime_ns and md5
      of the source files, and reused while the sizes and mtime_ns of the
      source files are unchanged (checksums are then verified against the
      stored md5). If the cache cannot be written (read-only directory, full
      disk), loading still works; the cache is silently skipped.

    Returns:
    - (x_train, t_train), (x_test, t_test): N = 60000 and 10000 for the
      official files.

    Raises:
    - FileNotFoundError: directory or files missing (the message lists the
      expected names and where to get them)
    - ValueError: checksum mismatch, corrupt gzip, wrong magic number, file
      length different from the header's, image and label counts that
      differ, labels outside 0..9; the message names the file
    """
    directory = Path(path)
    sources = _find_sources(directory)
    stats = [p.stat() for p in sources]
    meta = {
        "names": np.array([p.name for p in sources]),
        "sizes": np.array([s.st_size for s in stats], dtype=np.int64),
        "mtime_ns": np.array([s.st_mtime_ns for s in stats], dtype=np.int64),
    }
    cache_path = directory / CACHE_NAME

    arrays = _read_cache(cache_path, meta) if cache else None
    if arrays is not None:
        for src, digest in zip(sources, arrays["md5"]):
            _verify(src.name, str(digest), checksums)
    else:
        arrays = _parse_sources(sources, checksums)
        if cache:
            try:
                _write_cache(
                    cache_path,
                    {**arrays, **meta, "version": np.array(_CACHE_VERSION)},
                )
            except OSError:
                pass  # read-only directory etc.: documented, caching is optional

    def convert_x(images: np.ndarray) -> np.ndarray:
        x = images.astype(np.float64)
        if normalize:
            x /= 255.0
        n, rows, cols = images.shape
        return x.reshape(n, rows * cols) if flatten else x.reshape(n, 1, rows, cols)

    def convert_t(labels: np.ndarray) -> np.ndarray:
        t = labels.astype(np.int64)
        return to_one_hot(t, _NUM_CLASSES) if one_hot_label else t

    return (
        (convert_x(arrays["x_train"]), convert_t(arrays["t_train"])),
        (convert_x(arrays["x_test"]), convert_t(arrays["t_test"])),
    )


def _parse_sources(sources: list[Path], checksums: Mapping[str, str] | None) -> dict[str, np.ndarray]:
    """Verify and parse the four files (MNIST_FILES order) into uint8 arrays plus md5s."""
    parsed, digests = [], []
    for src, magic in zip(sources, (_MAGIC_IMAGES, _MAGIC_LABELS) * 2):
        stored = src.read_bytes()
        digest = _md5(stored)
        _verify(src.name, digest, checksums)
        parsed.append(_parse_idx(_decompress(stored, src.name), src.name, magic))
        digests.append(digest)

    x_train, t_train, x_test, t_test = parsed
    for images, labels, img_src, lbl_src in (
        (x_train, t_train, sources[0], sources[1]),
        (x_test, t_test, sources[2], sources[3]),
    ):
        if len(images) != len(labels):
            raise ValueError(
                f"画像とラベルの数が一致しません: {img_src.name} は {len(images)} 枚,"
                f" {lbl_src.name} は {len(labels)} 個です。"
            )
        bad = np.flatnonzero(labels >= _NUM_CLASSES)
        if bad.size:
            raise ValueError(
                f"{lbl_src.name}: ラベルは 0..9 である必要がありますが、"
                f"{bad.size} 個が範囲外です (例: 位置 {bad[0]} の値 {labels[bad[0]]})。"
            )
    if x_train.shape[1:] != x_test.shape[1:]:
        raise ValueError(
            f"訓練画像 ({sources[0].name}: {x_train.shape[1:]}) とテスト画像"
            f" ({sources[2].name}: {x_test.shape[1:]}) の大きさが一致しません。"
        )
    return {
        "x_train": x_train,
        "t_train": t_train,
        "x_test": x_test,
        "t_test": t_test,
        "md5": np.array(digests),
    }

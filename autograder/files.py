"""Writing files so that a run killed at any moment leaves either the old or the new content."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and ``os.replace``; no-op when unchanged."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.read_bytes() == data:
        return path
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_generated(path: Path, text: str) -> bool:
    """Write a generated text file (UTF-8, atomically) when its content changed; True if it did."""
    path = Path(path)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    atomic_write(path, text.encode("utf-8"))
    return True


def generated_drift(path: Path, text: str, generator: str) -> list[str]:
    """The problem ``build --check`` reports for a generated file that is missing or is not ``text``
    (``generator``: the module that makes it, named in the message)."""
    path = Path(path)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return []
    return [f"{path.relative_to(path.parent.parent)} differs from {generator}"]

"""Read a learner's notebook file, whatever state it is in, without ever raising for bad input.

A submission may be empty, truncated, saved in the wrong encoding, an old nbformat 3 file,
a hand-edited JSON without metadata, or a 200 MB file full of outputs. ``read_submission``
returns a clean nbformat v4 notebook (outputs dropped; only what the grader uses is kept)
whenever the answer cells can still be recovered, and a list of the problems it found or
repaired, in Japanese with the English in parentheses for the instructor.

Encodings. A notebook is JSON, and JSON exchanged between programs must be UTF-8
(RFC 8259), which is what Jupyter writes. We read:

- UTF-8, with or without a byte order mark (BOM; Windows Notepad adds one);
- UTF-16 or UTF-32 only when a BOM says so (Notepad's "Unicode"): no guess involved;
- other bytes: if most non-ASCII bytes are invalid UTF-8 and the file decodes strictly as
  cp932 (Windows Shift_JIS, the only legacy encoding a Japanese class realistically
  produces), as cp932; otherwise as UTF-8 with the invalid bytes replaced by U+FFFD.
  Code is almost all ASCII, so replacing a few bytes keeps the answers gradable.
  We never decode as latin-1: it accepts any bytes, so it would be a guess, not a detection,
  and it would turn every Japanese comment of a slightly damaged UTF-8 file into mojibake.

Every such decision is reported in the problems; nothing is repaired silently.
"""

from __future__ import annotations

import codecs
import json
import re
import stat
from collections import Counter
from pathlib import Path
from typing import Any

import nbformat

#: Notebooks larger than this are refused without being read (outputs with images can be
#: large, but a learner's notebook with cleared or modest outputs is well under 1 MB).
MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
#: JSON objects and arrays of one notebook (an honest notebook has a few per cell).
MAX_JSON_CONTAINERS = 200_000
_MB = 1024 * 1024
_CELL_TYPES = ("code", "markdown", "raw")
_CELL_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_ZIP_MAGIC = b"PK\x03\x04"


def read_submission(path: Path) -> tuple[nbformat.NotebookNode | None, list[str]]:
    """The notebook at ``path`` as nbformat v4 without outputs (None when unreadable), and the
    problems found (Japanese, English in parentheses), in the order they were met."""
    problems: list[str] = []
    data = _read_bytes(Path(path), problems)
    if data is None:
        return None, problems
    text = _decode(data, problems)
    if text is None:
        return None, problems
    content = _parse_json(text, problems)
    if content is None:
        return None, problems
    content = _to_v4(content, problems)
    if content is None:
        return None, problems
    return _normalise(content, problems), problems


def _read_bytes(path: Path, problems: list[str]) -> bytes | None:
    try:
        info = path.stat()
    except OSError as error:
        problems.append(f"ファイルを開けません (cannot open file): {error.strerror or error}")
        return None
    if not stat.S_ISREG(info.st_mode):
        problems.append("通常のファイルではありません (not a regular file)")
        return None
    if info.st_size > MAX_NOTEBOOK_BYTES:
        problems.append(_too_large(info.st_size))
        return None
    try:
        with path.open("rb") as file:
            data = file.read(MAX_NOTEBOOK_BYTES + 1)  # the file may have grown since stat
    except OSError as error:
        problems.append(f"ファイルを読めません (cannot read file): {error.strerror or error}")
        return None
    if len(data) > MAX_NOTEBOOK_BYTES:
        problems.append(_too_large(len(data)))
        return None
    if not data.strip():
        problems.append("ファイルが空です (empty file)")
        return None
    if data.startswith(_ZIP_MAGIC):
        problems.append("ノートブックではなく zip ファイルです (a zip archive, not a notebook)")
        return None
    return data


def _too_large(size: int) -> str:
    return (
        f"ファイルが大きすぎます: {size / _MB:.1f} MB、上限は {MAX_NOTEBOOK_BYTES / _MB:.0f} MB です "
        "(file too large; 出力 (outputs) を消してから保存し直してください)"
    )


def _decode(data: bytes, problems: list[str]) -> str | None:
    # UTF-32 before UTF-16: the UTF-32-LE BOM starts with the UTF-16-LE one
    for bom, encoding, name in (
        (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
        (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
        (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
        (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
    ):
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                problems.append(f"{name} の印 (BOM) がありますが、{name} として読めません (invalid {name})")
                return None
            problems.append(f"文字コードが {name} でした。UTF-8 に読み替えました (read as {name}; notebooks are UTF-8)")
            return text
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
        problems.append("先頭の BOM (byte order mark) を取り除きました")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        first_bad = error.start
    replaced = data.decode("utf-8", errors="replace")
    invalid = replaced.count("\ufffd") - data.count("\ufffd".encode())
    non_ascii = sum(1 for byte in data if byte >= 0x80)
    if invalid * 4 >= non_ascii:  # mostly not UTF-8: maybe a Shift_JIS file from a Windows editor
        try:
            text = data.decode("cp932")
        except UnicodeDecodeError:
            pass
        else:
            problems.append(
                "文字コードが UTF-8 ではありません。Shift_JIS (cp932) として読みました。"
                "ノートブックは UTF-8 で保存してください (not UTF-8; read as cp932)"
            )
            return text
    problems.append(
        f"UTF-8 として読めないバイトが {invalid} 個あり (最初は {first_bad} バイト目)、"
        "\ufffd に置き換えて読みました (invalid UTF-8 bytes replaced)"
    )
    return replaced


def too_many_containers(text: str | bytes) -> bool:
    """Whether parsing ``text`` could create more than ``MAX_JSON_CONTAINERS`` objects and arrays
    (``{`` and ``[`` counted everywhere, strings included: an upper bound). Parsed, each costs far
    more memory than its two bytes: 6.5 million empty ``{}`` in 19 MB took 3.3 GB."""
    if isinstance(text, str):
        return text.count("{") + text.count("[") > MAX_JSON_CONTAINERS
    return text.count(b"{") + text.count(b"[") > MAX_JSON_CONTAINERS


def _parse_json(text: str, problems: list[str]) -> dict[str, Any] | None:
    if too_many_containers(text):
        problems.append(
            f"JSON の構造が複雑すぎます (オブジェクトと配列が {MAX_JSON_CONTAINERS} 個を超えます) (JSON too complex)"
        )
        return None
    try:
        content = json.loads(text)
    except json.JSONDecodeError as error:
        message = f"JSON として読めません (invalid JSON): {error.lineno} 行 {error.colno} 列 ({error.msg})"
        if text.lstrip().startswith("<"):
            message += "。HTML のようです。ページではなく .ipynb ファイルを提出してください (HTML, not a notebook)"
        elif _truncated(text, error):
            message += "。ファイルが途中で切れているようです (truncated)"
        problems.append(message)
        return None
    except RecursionError:
        problems.append("JSON の入れ子が深すぎて読めません (JSON nested too deeply)")
        return None
    except ValueError as error:  # e.g. an integer with too many digits
        problems.append(f"JSON として読めません (invalid JSON): {error}")
        return None
    if not isinstance(content, dict):
        problems.append("ノートブックの形をしていません: JSON の中身がオブジェクト {…} ではありません (not a notebook)")
        return None
    return content


def _truncated(text: str, error: json.JSONDecodeError) -> bool:
    """True when the JSON error comes from the text ending too early (a partial upload or save)."""
    rest = text[error.pos :].strip()
    partial_literal = bool(rest) and any(word.startswith(rest) and word != rest for word in ("true", "false", "null"))
    return not rest or partial_literal or error.msg.startswith("Unterminated string")


def _to_v4(content: dict[str, Any], problems: list[str]) -> dict[str, Any] | None:
    """The notebook dict in nbformat 4 (converted from older formats), or None."""
    version = content.get("nbformat")
    if isinstance(version, str) and version.strip().isdigit():
        version = int(version)
    if not isinstance(version, int) or isinstance(version, bool):
        if isinstance(content.get("cells"), list):
            version = 4
        elif isinstance(content.get("worksheets"), list):
            version = 3
        else:
            problems.append("ノートブックではありません: nbformat も cells もありません (not a notebook)")
            return None
        problems.append(f"nbformat の番号がなかったため、中身から nbformat {version} とみなしました (missing nbformat)")
        content = {**content, "nbformat": version}
    if version == 4:
        return content
    if version > 4:
        if not isinstance(content.get("cells"), list):
            problems.append(f"未知の形式 nbformat {version} で、読めません (unknown nbformat)")
            return None
        problems.append(f"未知の形式 nbformat {version} を nbformat 4 として読みました (unknown nbformat)")
        return content
    minor = content.get("nbformat_minor")
    minor = minor if isinstance(minor, int) else 0
    if version not in nbformat.versions:
        problems.append(f"未知の形式 nbformat {version} で、読めません (unknown nbformat)")
        return None
    try:
        old = nbformat.versions[version].to_notebook_json({**content, "nbformat_minor": minor}, minor=minor)
        converted = nbformat.convert(old, 4)
    except Exception as error:  # nbformat's converters assume well-formed input; ours may not be
        problems.append(f"古い形式 nbformat {version} から変換できません (cannot convert): {type(error).__name__}")
        return None
    problems.append(f"古い形式 nbformat {version} のノートブックを nbformat 4 に変換しました (converted)")
    return converted


def _normalise(content: dict[str, Any], problems: list[str]) -> nbformat.NotebookNode:
    """A valid v4 notebook holding, per cell, only its type, id, source and nbgrader metadata."""
    if "metadata" not in content:
        problems.append("ノートブックの metadata がなかったため補いました (missing notebook metadata)")
    elif not isinstance(content["metadata"], dict):
        problems.append("ノートブックの metadata が壊れていたため作り直しました (malformed notebook metadata)")
    raw_cells = content.get("cells")
    if not isinstance(raw_cells, list):
        problems.append("セルの一覧 (cells) がありません (no cells)")
        raw_cells = []
    repairs: Counter[str] = Counter()
    cells = []
    used_ids: set[str] = set()
    for index, raw in enumerate(raw_cells):
        if not isinstance(raw, dict):
            repairs["セルの形をしていない項目を取り除きました (dropped non-cell entries)"] += 1
            continue
        cell_type = raw.get("cell_type")
        if cell_type == "heading":  # nbformat 3 heading cells that survived in a v4 file
            cell_type = "markdown"
        elif cell_type not in _CELL_TYPES:
            cell_type = "code" if "outputs" in raw or "execution_count" in raw else "raw"
            repairs[f"種類 (cell_type) が不明なセルを {cell_type} とみなしました (unknown cell type)"] += 1
        source = _source(raw.get("source"), repairs)
        metadata = raw.get("metadata")
        if metadata is None:
            repairs["metadata がないセルに補いました (cells without metadata)"] += 1
            metadata = {}
        elif not isinstance(metadata, dict):
            repairs["metadata が壊れたセルを直しました (malformed cell metadata)"] += 1
            metadata = {}
        kept_metadata = {}
        if "nbgrader" in metadata:
            if isinstance(metadata["nbgrader"], dict):
                kept_metadata["nbgrader"] = metadata["nbgrader"]
            else:
                repairs["壊れた nbgrader の metadata を取り除きました (malformed nbgrader metadata)"] += 1
        cell_id = raw.get("id")
        if not isinstance(cell_id, str) or not _CELL_ID.match(cell_id) or cell_id in used_ids:
            cell_id = f"cell-{index}"
            while cell_id in used_ids:
                cell_id += "-x"
        used_ids.add(cell_id)
        cell = {"id": cell_id, "cell_type": cell_type, "metadata": kept_metadata, "source": source}
        if cell_type == "code":
            cell.update(outputs=[], execution_count=None)
        cells.append(cell)
    problems.extend(f"{message}: {count} 個" for message, count in repairs.items())
    return nbformat.from_dict({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells})


def _source(raw: object, repairs: Counter[str]) -> str:
    if isinstance(raw, str):
        source = raw
    elif isinstance(raw, list):
        source = "".join(part for part in raw if isinstance(part, str))
        if not all(isinstance(part, str) for part in raw):
            repairs["source に文字列でない行があるセルから、その行を取り除きました (malformed source)"] += 1
    else:
        if raw is None:
            repairs["source がないセルを空のセルとして読みました (missing source)"] += 1
        else:
            repairs["source が文字列でないセルを空のセルとして読みました (malformed source)"] += 1
        source = ""
    if _SURROGATE.search(source):
        source = _SURROGATE.sub("?", source)
        repairs["不正な文字 (lone surrogate) を ? に置き換えました"] += 1
    return source

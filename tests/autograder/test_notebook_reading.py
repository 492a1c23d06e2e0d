"""read_submission: any broken notebook file gives a notebook or None and exact messages, never an exception."""

import codecs
import copy
import json
from pathlib import Path

import nbformat
import pytest

from autograder.notebook_reading import MAX_NOTEBOOK_BYTES, read_submission
from autograder.synthetic import fill_release

REPO = Path(__file__).resolve().parents[2]
ASSIGNMENT = "ch01_activation"


@pytest.fixture(scope="module")
def source_nb():
    return nbformat.read(REPO / "source_notebooks" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)


@pytest.fixture(scope="module")
def filled(source_nb):
    release = nbformat.read(REPO / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    return fill_release(release, source_nb)


def _write(tmp_path: Path, data: bytes | str, name: str = "nb.ipynb") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def _sources(nb):
    return [(c.cell_type, c.source) for c in nb.cells]


def _grade_ids(nb):
    return [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]


def test_clean_notebook_reads_unchanged_and_valid(tmp_path, filled):
    nb, problems = read_submission(_write(tmp_path, nbformat.writes(filled)))
    assert problems == []
    assert _sources(nb) == _sources(filled)
    assert _grade_ids(nb) == _grade_ids(filled)
    assert [c.id for c in nb.cells] == [c.id for c in filled.cells]
    nbformat.validate(nb)


def test_outputs_are_dropped(tmp_path, source_nb):
    assert any(c.get("outputs") for c in source_nb.cells)  # the executed source notebook has outputs
    nb, problems = read_submission(_write(tmp_path, nbformat.writes(source_nb)))
    assert problems == []
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.outputs == [] and c.execution_count is None for c in code)


def test_source_as_list_or_string_reads_the_same(tmp_path, filled):
    as_lists = nbformat.writes(filled)  # nbformat splits sources into lists of lines
    assert isinstance(json.loads(as_lists)["cells"][1]["source"], list)
    as_strings = json.dumps(filled, ensure_ascii=False)
    assert isinstance(json.loads(as_strings)["cells"][1]["source"], str)
    nb_lists, problems_lists = read_submission(_write(tmp_path, as_lists, "a.ipynb"))
    nb_strings, problems_strings = read_submission(_write(tmp_path, as_strings, "b.ipynb"))
    assert problems_lists == problems_strings == []
    assert _sources(nb_lists) == _sources(nb_strings) == _sources(filled)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "ファイルが空です (empty file)"),
        (b" \r\n\t", "ファイルが空です (empty file)"),
        (b"PK\x03\x04rest of a zip", "ノートブックではなく zip ファイルです (a zip archive, not a notebook)"),
        (b'{\n "cells": [}\n', "JSON として読めません (invalid JSON): 2 行 12 列 (Expecting value)"),
        (
            b'{"cells": [',
            "JSON として読めません (invalid JSON): 1 行 12 列 (Expecting value)。"
            "ファイルが途中で切れているようです (truncated)",
        ),
        (
            b"<!DOCTYPE html>\n<html></html>",
            "JSON として読めません (invalid JSON): 1 行 1 列 (Expecting value)。"
            "HTML のようです。ページではなく .ipynb ファイルを提出してください (HTML, not a notebook)",
        ),
        (b"[1, 2]", "ノートブックの形をしていません: JSON の中身がオブジェクト {…} ではありません (not a notebook)"),
        (b"[" * 100_000, "JSON の入れ子が深すぎて読めません (JSON nested too deeply)"),
        (b'{"metadata": {}}', "ノートブックではありません: nbformat も cells もありません (not a notebook)"),
        (b'{"nbformat": 7, "metadata": {}}', "未知の形式 nbformat 7 で、読めません (unknown nbformat)"),
        (b"\xff\xfe\x00\xd8", "UTF-16 の印 (BOM) がありますが、UTF-16 として読めません (invalid UTF-16)"),
    ],
    ids=["empty", "blank", "zip", "json", "truncated", "html", "list", "deep", "no-cells", "future", "bad-utf16"],
)
def test_unreadable_files(tmp_path, data, expected):
    assert read_submission(_write(tmp_path, data)) == (None, [expected])


@pytest.mark.parametrize("fraction", [0.1, 0.37, 0.5, 0.71, 0.99])
def test_truncated_real_notebook(tmp_path, filled, fraction):
    text = nbformat.writes(filled)
    nb, problems = read_submission(_write(tmp_path, text[: int(len(text) * fraction)]))
    assert nb is None
    assert len(problems) == 1
    assert problems[0].startswith("JSON として読めません (invalid JSON): ")
    assert problems[0].endswith("ファイルが途中で切れているようです (truncated)")


def test_huge_file_is_refused_without_being_opened(tmp_path, monkeypatch):
    path = tmp_path / "huge.ipynb"
    with path.open("wb") as file:
        file.truncate(200 * 1024 * 1024)  # sparse: 200 MB on paper, nothing on disk

    def no_open(*args, **kwargs):
        raise AssertionError("a file above the size limit must not be opened")

    monkeypatch.setattr(Path, "open", no_open)
    assert read_submission(path) == (
        None,
        [
            "ファイルが大きすぎます: 200.0 MB、上限は 20 MB です "
            "(file too large; 出力 (outputs) を消してから保存し直してください)"
        ],
    )


def test_file_just_under_the_limit_is_read(tmp_path):
    padding = " " * (MAX_NOTEBOOK_BYTES - 200)
    nb, problems = read_submission(
        _write(tmp_path, '{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}' + padding)
    )
    assert problems == []
    assert nb.cells == []


def test_not_a_regular_file_or_missing(tmp_path):
    assert read_submission(tmp_path) == (None, ["通常のファイルではありません (not a regular file)"])
    nb, problems = read_submission(tmp_path / "missing.ipynb")
    assert nb is None
    assert problems == ["ファイルを開けません (cannot open file): No such file or directory"]


def _japanese_notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 第1章 パーセプトロン"),
        nbformat.v4.new_code_cell(
            'def relu(x):\n    """ReLU。戻り値: 同じ形状の配列。"""\n    return np.maximum(0, x)',
            metadata={"nbgrader": {"grade_id": "relu", "solution": True}},
        ),
    ]
    return nb


def test_shift_jis_notebook_is_read_as_cp932_and_reported(tmp_path):
    original = _japanese_notebook()
    data = json.dumps(original, ensure_ascii=False).encode("cp932")
    nb, problems = read_submission(_write(tmp_path, data))
    assert problems == [
        "文字コードが UTF-8 ではありません。Shift_JIS (cp932) として読みました。"
        "ノートブックは UTF-8 で保存してください (not UTF-8; read as cp932)"
    ]
    assert _sources(nb) == _sources(original)


def test_damaged_utf8_keeps_the_code_and_reports_the_bytes(tmp_path, filled):
    data = nbformat.writes(filled).encode("utf-8")
    offset = data.index("パーセプトロン".encode())
    damaged = data[:offset] + b"\xff" + data[offset:]
    nb, problems = read_submission(_write(tmp_path, damaged))
    assert problems == [
        f"UTF-8 として読めないバイトが 1 個あり (最初は {offset} バイト目)、"
        "\ufffd に置き換えて読みました (invalid UTF-8 bytes replaced)"
    ]
    assert [c.source for c in nb.cells if c.cell_type == "code"] == [
        c.source for c in filled.cells if c.cell_type == "code"
    ]
    assert sum(c.source.count("\ufffd") for c in nb.cells) == 1


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        ("utf-8-sig", "先頭の BOM (byte order mark) を取り除きました"),
        ("utf-16", "文字コードが UTF-16 でした。UTF-8 に読み替えました (read as UTF-16; notebooks are UTF-8)"),
        ("utf-32", "文字コードが UTF-32 でした。UTF-8 に読み替えました (read as UTF-32; notebooks are UTF-8)"),
    ],
)
def test_byte_order_marks(tmp_path, filled, encoding, expected):
    data = nbformat.writes(filled).encode(encoding)
    assert data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF32_LE))
    nb, problems = read_submission(_write(tmp_path, data))
    assert problems == [expected]
    assert _sources(nb) == _sources(filled)


def test_nbformat_3_is_converted(tmp_path, filled):
    old = nbformat.convert(copy.deepcopy(filled), 3)  # convert changes its argument
    text = nbformat.writes(old, version=3)
    assert json.loads(text)["nbformat"] == 3 and "worksheets" in json.loads(text)
    nb, problems = read_submission(_write(tmp_path, text))
    assert problems == ["古い形式 nbformat 3 のノートブックを nbformat 4 に変換しました (converted)"]
    assert nb.nbformat == 4
    solutions = [(gid, c.source) for gid, c in zip(_grade_ids(filled), filled.cells) if gid]
    assert [(gid, c.source) for gid, c in zip(_grade_ids(nb), nb.cells) if gid] == solutions
    nbformat.validate(nb)


def test_missing_nbformat_keys_are_repaired(tmp_path, filled):
    content = json.loads(nbformat.writes(filled))
    del content["nbformat"], content["nbformat_minor"]
    nb, problems = read_submission(_write(tmp_path, json.dumps(content)))
    assert problems == ["nbformat の番号がなかったため、中身から nbformat 4 とみなしました (missing nbformat)"]
    assert _sources(nb) == _sources(filled)


def test_missing_metadata_is_repaired(tmp_path, filled):
    content = json.loads(nbformat.writes(filled))
    del content["metadata"]
    for cell in content["cells"]:
        del cell["metadata"]
    nb, problems = read_submission(_write(tmp_path, json.dumps(content)))
    assert problems == [
        "ノートブックの metadata がなかったため補いました (missing notebook metadata)",
        f"metadata がないセルに補いました (cells without metadata): {len(filled.cells)} 個",
    ]
    assert _sources(nb) == _sources(filled)
    assert set(_grade_ids(nb)) == {None}
    nbformat.validate(nb)


def test_malformed_cells_are_repaired_one_by_one(tmp_path):
    content = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": [],
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": "# 見出し", "id": "same"},
            42,
            {"cell_type": "heading", "metadata": {}, "source": "## 古い見出し", "level": 2, "id": "same"},
            {"cell_type": "code", "metadata": {}, "outputs": []},
            {"source": ["x = 1\n", 5, "y = 2"], "outputs": [{"output_type": "stream"}], "execution_count": 3},
            {"cell_type": "code", "metadata": "oops", "source": "z = 3"},
            {"cell_type": "code", "metadata": {"nbgrader": "bad"}, "source": "w = 4"},
            {"cell_type": "widget", "metadata": {"nbgrader": {"grade_id": "relu"}}, "source": "def relu(x): ..."},
            {"cell_type": "markdown", "metadata": {}, "source": "bad \ud800 char"},
        ],
    }
    nb, problems = read_submission(_write(tmp_path, json.dumps(content)))
    assert problems == [
        "ノートブックの metadata が壊れていたため作り直しました (malformed notebook metadata)",
        "セルの形をしていない項目を取り除きました (dropped non-cell entries): 1 個",
        "source がないセルを空のセルとして読みました (missing source): 1 個",
        "種類 (cell_type) が不明なセルを code とみなしました (unknown cell type): 1 個",
        "source に文字列でない行があるセルから、その行を取り除きました (malformed source): 1 個",
        "metadata がないセルに補いました (cells without metadata): 1 個",
        "metadata が壊れたセルを直しました (malformed cell metadata): 1 個",
        "壊れた nbgrader の metadata を取り除きました (malformed nbgrader metadata): 1 個",
        "種類 (cell_type) が不明なセルを raw とみなしました (unknown cell type): 1 個",
        "不正な文字 (lone surrogate) を ? に置き換えました: 1 個",
    ]
    assert _sources(nb) == [
        ("markdown", "# 見出し"),
        ("markdown", "## 古い見出し"),
        ("code", ""),
        ("code", "x = 1\ny = 2"),
        ("code", "z = 3"),
        ("code", "w = 4"),
        ("raw", "def relu(x): ..."),
        ("markdown", "bad ? char"),
    ]
    assert _grade_ids(nb) == [None] * 6 + ["relu", None]
    assert [c.id for c in nb.cells][:2] == ["same", "cell-2"]  # duplicate ids are renamed
    nbformat.validate(nb)


def test_future_nbformat_with_cells_is_read_as_4(tmp_path):
    content = {"nbformat": 5, "nbformat_minor": 0, "metadata": {}, "cells": [{"cell_type": "code", "source": "a = 1"}]}
    nb, problems = read_submission(_write(tmp_path, json.dumps(content)))
    assert problems == [
        "未知の形式 nbformat 5 を nbformat 4 として読みました (unknown nbformat)",
        "metadata がないセルに補いました (cells without metadata): 1 個",
    ]
    assert _sources(nb) == [("code", "a = 1")]

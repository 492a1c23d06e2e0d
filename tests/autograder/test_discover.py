"""discover: which notebooks of a submissions folder are graded, and which are left out with which reason."""

import hashlib
import io
import json
import os
import stat
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder import discover as discover_module
from autograder.assignment import AssignmentSpec, CellSpec, load_assignment
from autograder.discover import HOW_DEFINES, HOW_GRADE_IDS, HOW_NAME, _copy_limited, discover
from autograder.synthetic import fill_release

REPO = Path(__file__).resolve().parents[2]
A = "ch01_activation"
KNOWN = [A]
SYMLINK = "シンボリックリンクはたどりません (symlink)"
NOT_NOTEBOOK = "ノートブック (.ipynb) ではありません (not a notebook)"
MACOS = "macOS の管理ファイルです (.DS_Store / AppleDouble)"
CHECKPOINT = "Jupyter の自動保存 (checkpoint) です"


@pytest.fixture(scope="module")
def filled_nb():
    release = nbformat.read(REPO / "release" / A / f"{A}.ipynb", as_version=4)
    source = nbformat.read(REPO / "source_notebooks" / A / f"{A}.ipynb", as_version=4)
    return fill_release(release, source)


@pytest.fixture(scope="module")
def text(filled_nb):
    """A filled-in notebook of ch01_activation, as a learner saves it."""
    return nbformat.writes(filled_nb)


@pytest.fixture(scope="module")
def text_without_metadata(filled_nb):
    content = json.loads(nbformat.writes(filled_nb))
    for cell in content["cells"]:
        cell["metadata"] = {}
    return json.dumps(content, ensure_ascii=False)


def _put(root: Path, relative: str, data: str | bytes = "", mtime: float | None = None) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def _sha(data: str | bytes) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def _found(discovery):
    return [(s.student_id, s.assignment, s.origin) for s in discovery.submissions]


def _ignored(discovery):
    return [(i.origin, i.reason) for i in discovery.ignored]


def _zip(path: Path, members: dict[str, bytes | str], **infos: zipfile.ZipInfo) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        for info in infos.values():
            archive.writestr(info, "target")
    return path


def _mark_encrypted(path: Path, name: str) -> None:
    """Set the "encrypted" flag of a member in the central directory (zipfile cannot write encrypted files)."""
    data = bytearray(path.read_bytes())
    header = data.rindex(name.encode()) - 46  # a central directory entry: 46 fixed bytes, then the name
    assert data[header : header + 4] == b"PK\x01\x02"
    data[header + 8] |= 0x1
    path.write_bytes(bytes(data))


def test_nbgrader_layout(tmp_path, text):
    root = tmp_path / "submitted"
    _put(root, f"alice/{A}/{A}.ipynb", text)
    _put(root, f"alice/{A}/timestamp.txt", "2024-05-01 10:00:00")  # nbgrader's own file: not even mentioned
    _put(root, f"alice/{A}/.ipynb_checkpoints/{A}-checkpoint.ipynb", text)
    _put(root, f"bob/{A}/{A} (1).ipynb", text)  # renamed by the browser's download
    _put(root, f"carol/{A}/{A}.ipynb", text, mtime=1_000)
    _put(root, f"carol/{A}/Copy of {A}.ipynb", text, mtime=2_000)
    _put(root, f"dave/{A}/Copy of {A}.ipynb", text, mtime=1_000)
    _put(root, f"dave/{A}/{A} (1).ipynb", text, mtime=2_000)
    _put(root, "erin/ch01_activaton/ch01_activaton.ipynb", text)  # misspelt assignment folder
    _put(root, f"frank/{A}/timestamp.txt", "2024-05-01 10:00:00")
    _put(root, f"grace/{A}/{A}.ipynb", text)
    _put(root, f"grace/{A}/notes.pdf", b"%PDF-1.4")
    _put(root, "README.txt", "submissions")
    _put(root, ".DS_Store", b"\x00")

    discovery = discover(root, tmp_path / "scratch", None, KNOWN)

    assert discovery.layout == "nbgrader"
    assert _found(discovery) == [
        ("alice", A, f"alice/{A}/{A}.ipynb"),
        ("bob", A, f"bob/{A}/{A} (1).ipynb"),
        ("carol", A, f"carol/{A}/{A}.ipynb"),
        ("dave", A, f"dave/{A}/{A} (1).ipynb"),
        ("grace", A, f"grace/{A}/{A}.ipynb"),
    ]
    assert all(s.path == root / s.origin for s in discovery.submissions)
    assert {s.sha256 for s in discovery.submissions} == {_sha(text)}
    several = "同じ学生・同じ課題のノートブックが 2 件あり、"
    assert _ignored(discovery) == [
        (".DS_Store", MACOS),
        ("README.txt", "nbgrader の形式では <学生ID>/<課題ID>/ の中のノートブックだけを採点します"),
        (f"alice/{A}/.ipynb_checkpoints", CHECKPOINT),
        (
            f"carol/{A}/Copy of {A}.ipynb",
            several + f"名前が課題どおりのもの (expected name) の carol/{A}/{A}.ipynb を採点します (several notebooks)",
        ),
        (
            f"dave/{A}/Copy of {A}.ipynb",
            several + f"いちばん新しいもの (newest) の dave/{A}/{A} (1).ipynb を採点します (several notebooks)",
        ),
        ("erin/ch01_activaton", f"未知の課題 ch01_activaton です (unknown assignment)。{A} のことでしょうか"),
        (f"frank/{A}", "採点できるノートブック (.ipynb) がありません (no notebook)"),
        (f"grace/{A}/notes.pdf", NOT_NOTEBOOK),
    ]
    summary = discovery.describe()
    assert summary.splitlines()[:4] == [
        "提出フォルダの形式: nbgrader (<学生ID>/<課題ID>/<課題ID>.ipynb)",
        "学生 5 人、課題 1 件、ノートブック 5 件",
        f"  {A}: 5 件",
        "採点しないファイル 8 件:",
    ]
    assert f"  - frank/{A}: 採点できるノートブック (.ipynb) がありません (no notebook)" in summary


def test_nbgrader_assignment_filter(tmp_path, text):
    root = tmp_path / "submitted"
    _put(root, f"alice/{A}/{A}.ipynb", text)
    _put(root, "alice/ch02_loss/ch02_loss.ipynb", text)
    _put(root, "alice/ch99_extra/ch99_extra.ipynb", text)
    _put(root, f"alice/{A}.ipynb", text)
    discovery = discover(root, tmp_path / "scratch", [A], [A, "ch02_loss"])
    assert _found(discovery) == [("alice", A, f"alice/{A}/{A}.ipynb")]
    # an assignment left out on purpose is not reported; an unknown one is
    assert _ignored(discovery) == [
        (f"alice/{A}.ipynb", "課題のフォルダの外にあるファイルです (not in an assignment folder)"),
        ("alice/ch99_extra", "未知の課題 ch99_extra です (unknown assignment)"),
    ]


def test_huge_notebook_is_skipped_without_reading(tmp_path, text, monkeypatch):
    root = tmp_path / "submitted"
    huge = root / f"alice/{A}/{A}.ipynb"
    huge.parent.mkdir(parents=True)
    with huge.open("wb") as file:
        file.truncate(200 * 1024 * 1024)  # sparse: 200 MB on paper
    _put(root, f"alice/{A}/{A} (1).ipynb", text)
    _put(root, f"bob/{A}/{A}.ipynb", text)
    _put(root, "s001_ch01_activation.ipynb", "")  # a stray file: the folders make it nbgrader's layout
    opened = []
    real_open = Path.open
    monkeypatch.setattr(Path, "open", lambda self, *a, **k: opened.append(self.name) or real_open(self, *a, **k))
    start = time.perf_counter()
    discovery = discover(root, tmp_path / "scratch", None, KNOWN)
    assert time.perf_counter() - start < 2.0
    assert sorted(opened) == [f"{A} (1).ipynb", f"{A}.ipynb"]  # only to hash the notebooks that are graded
    assert _found(discovery) == [("alice", A, f"alice/{A}/{A} (1).ipynb"), ("bob", A, f"bob/{A}/{A}.ipynb")]
    assert _ignored(discovery) == [
        (f"alice/{A}/{A}.ipynb", "ファイルが大きすぎます: 200.0 MB、上限は 20.0 MB です (file too large)"),
        ("s001_ch01_activation.ipynb", "nbgrader の形式では <学生ID>/<課題ID>/ の中のノートブックだけを採点します"),
    ]


def test_flat_export(tmp_path, text, text_without_metadata):
    root = tmp_path / "export"
    _put(root, "s001_ch01_activation.ipynb", text)
    _put(root, "s002-ch01-activation.ipynb", text)  # separators differ from the id
    _put(root, "alice_12345_ch01_activation.ipynb", text)  # Moodle/Canvas style
    _put(root, "s003.ipynb", text)  # nothing in the name: nbgrader grade_ids tell
    _put(root, "s004_homework.ipynb", text_without_metadata)  # saved by VS Code: defined names tell
    _put(root, "s005.ipynb", '{"cells": [')  # unreadable, and nothing in the name
    _put(root, "s006_ch01_activation.ipynb", '{"cells": [')  # unreadable but named: graded (and scored 0)
    _put(
        root, "s007_notes.ipynb", nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]))
    )
    _put(root, "ch01_activation.ipynb", text)
    _put(root, "readme.txt", "hello")
    _put(root, ".DS_Store", b"\x00")
    (root / "s008_ch01_activation.ipynb").symlink_to(_put(tmp_path, "elsewhere.ipynb", text))

    discovery = discover(root, tmp_path / "scratch", None, KNOWN)

    assert discovery.layout == "flat"
    assert _found(discovery) == [
        ("alice", A, f"alice_12345_ch01_activation.ipynb ({HOW_NAME})"),
        ("s001", A, f"s001_ch01_activation.ipynb ({HOW_NAME})"),
        ("s002", A, f"s002-ch01-activation.ipynb ({HOW_NAME})"),
        ("s003", A, f"s003.ipynb ({HOW_GRADE_IDS})"),
        ("s004", A, f"s004_homework.ipynb ({HOW_DEFINES})"),
        ("s006", A, f"s006_ch01_activation.ipynb ({HOW_NAME})"),
    ]
    by_student = {s.student_id: s for s in discovery.submissions}
    assert by_student["s004"].sha256 == _sha(text_without_metadata)
    assert by_student["s006"].path == root / "s006_ch01_activation.ipynb"
    assert _ignored(discovery) == [
        (".DS_Store", MACOS),
        ("ch01_activation.ipynb", "名前の先頭に学生 ID がありません (no student id: <学生ID>_… の形にしてください)"),
        ("readme.txt", "ノートブック (.ipynb) でも zip でもありません (not a notebook or zip)"),
        (
            "s005.ipynb",
            "名前に課題 ID がなく、中身も読めないため課題を特定できません (assignment not identified): "
            "JSON として読めません (invalid JSON): 1 行 12 列 (Expecting value)。"
            "ファイルが途中で切れているようです (truncated)",
        ),
        (
            "s007_notes.ipynb",
            "課題を特定できません: 名前に課題 ID がなく、grade_id も定義された名前もどの課題とも合いません "
            "(assignment not identified)",
        ),
        ("s008_ch01_activation.ipynb", SYMLINK),
    ]
    assert "課題の判定: ファイル名から 4 件、grade_id から 1 件、定義された名前から 1 件" in discovery.describe()
    assert discovery.describe().startswith("提出フォルダの形式: フラット")


def test_zip_is_extracted_safely(tmp_path, text):
    root = tmp_path / "export"
    link = zipfile.ZipInfo("link.ipynb")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    _zip(
        root / "s010_submission.zip",
        {
            f"{A}/{A}.ipynb": text,
            f"__MACOSX/{A}/._{A}.ipynb": b"\x00\x05\x16\x07",
            f"{A}/.DS_Store": b"\x00",
            f"{A}/.ipynb_checkpoints/{A}-checkpoint.ipynb": text,
            f"{A}/data.csv": "x,y\n1,2\n",
            "../evil.ipynb": text,
            "/abs.ipynb": text,
            "inner.zip": b"PK\x05\x06" + bytes(18),
            "secret.ipynb": text,
        },
        link=link,
    )
    _mark_encrypted(root / "s010_submission.zip", "secret.ipynb")
    scratch = tmp_path / "scratch"

    discovery = discover(root, scratch, None, KNOWN)

    origin = "s010_submission.zip"
    assert _found(discovery) == [("s010", A, f"{origin}/{A}/{A}.ipynb ({HOW_NAME})")]
    submission = discovery.submissions[0]
    assert submission.path.read_text(encoding="utf-8") == text
    assert submission.path.resolve().is_relative_to(scratch.resolve())
    assert submission.sha256 == _sha(text)
    assert _ignored(discovery) == [
        (f"{origin}/../evil.ipynb", "フォルダの外を指すパス (../) は展開しません (path traversal)"),
        (f"{origin}//abs.ipynb", "絶対パスのファイルは展開しません (absolute path)"),
        (f"{origin}/__MACOSX/{A}/._{A}.ipynb", "macOS が zip に入れる管理用フォルダです (__MACOSX)"),
        (f"{origin}/{A}/.DS_Store", MACOS),
        (f"{origin}/{A}/.ipynb_checkpoints/{A}-checkpoint.ipynb", CHECKPOINT),
        (f"{origin}/{A}/data.csv", NOT_NOTEBOOK),
        (f"{origin}/inner.zip", "zip の中の zip は開きません (nested zip)"),
        (f"{origin}/link.ipynb", "シンボリックリンクは展開しません (symlink)"),
        (f"{origin}/secret.ipynb", "パスワード付きのファイルは開けません (encrypted)"),
    ]
    extracted = sorted(p.relative_to(scratch).as_posix() for p in scratch.rglob("*") if p.is_file())
    assert len(extracted) == 1 and extracted[0].endswith(f"/{A}/{A}.ipynb")
    assert not list(tmp_path.glob("**/evil.ipynb")) and not Path("/abs.ipynb").exists()


def test_corrupt_zips(tmp_path, text):
    root = tmp_path / "export"
    _put(root, "s011_ch01_activation.zip", b"PK\x03\x04 this is not really a zip")
    whole = _zip(tmp_path / "whole.zip", {f"{A}.ipynb": text}).read_bytes()
    _put(root, "s012_ch01_activation.zip", whole[: len(whole) // 2])  # upload cut short
    _put(root, "s013_ch01_activation.zip", b"")
    discovery = discover(root, tmp_path / "scratch", None, KNOWN)
    assert discovery.submissions == []
    corrupt = "zip ファイルが壊れていて開けません (corrupt zip)"
    assert _ignored(discovery) == [
        ("s011_ch01_activation.zip", corrupt),
        ("s012_ch01_activation.zip", corrupt),
        ("s013_ch01_activation.zip", corrupt),
    ]


def test_zip_bomb_limits(tmp_path, text, monkeypatch):
    monkeypatch.setattr(discover_module, "MAX_ZIP_MEMBERS", 3)
    monkeypatch.setattr(discover_module, "MAX_ZIP_UNCOMPRESSED_BYTES", 100_000)
    root = tmp_path / "export"
    _zip(root / "s020.zip", {f"{i}.ipynb": "{}" for i in range(5)})
    _zip(root / "s021.zip", {f"{A}.ipynb": text, "zeros.bin": bytes(200_000)})  # compresses to a few hundred bytes
    _zip(root / "s022.zip", {f"{A}.ipynb": text})
    discovery = discover(root, tmp_path / "scratch", None, KNOWN)
    assert _found(discovery) == [("s022", A, f"s022.zip/{A}.ipynb ({HOW_NAME})")]
    assert _ignored(discovery) == [
        ("s020.zip", "zip の中のファイルが多すぎます (5 個、上限 3 個) (too many members; zip bomb?)"),
        (
            "s021.zip",
            f"展開すると {(len(text.encode()) + 200_000) / 1024:.1f} KB になり、上限 97.7 KB を超えるため"
            "開きません (too large uncompressed; zip bomb?)",
        ),
    ]


def test_zip_too_large_on_disk(tmp_path, monkeypatch):
    monkeypatch.setattr(discover_module, "MAX_ZIP_BYTES", 10)
    root = tmp_path / "export"
    _zip(root / "s023.zip", {f"{A}.ipynb": "{}"})
    size = (root / "s023.zip").stat().st_size
    discovery = discover(root, tmp_path / "scratch", None, KNOWN)
    assert _ignored(discovery) == [
        ("s023.zip", f"ファイルが大きすぎます: {size} バイト、上限は 10 バイト です (file too large)")
    ]


def test_extraction_stops_at_the_limit_whatever_the_header_says(tmp_path):
    target = tmp_path / "out.ipynb"
    assert _copy_limited(io.BytesIO(b"x" * 100), target, limit=10) is None
    assert not target.exists()
    assert _copy_limited(io.BytesIO(b"x" * 10), target, limit=10) == 10
    assert target.read_bytes() == b"x" * 10


def test_flat_duplicates_take_the_expected_name_then_the_newest(tmp_path, text):
    root = tmp_path / "export"
    _put(root, "s001_ch01_activation.ipynb", text, mtime=time.mktime((2024, 5, 1, 9, 0, 0, 0, 0, -1)))
    _put(root, "s001_ch01_activation (1).ipynb", text, mtime=time.mktime((2024, 5, 3, 9, 0, 0, 0, 0, -1)))
    with zipfile.ZipFile(root / "s001_resubmission.zip", "w") as archive:
        archive.writestr(zipfile.ZipInfo(f"{A}.ipynb", date_time=(2024, 5, 2, 9, 0, 0)), text)
    discovery = discover(root, tmp_path / "scratch", None, KNOWN)
    chosen = f"s001_resubmission.zip/{A}.ipynb"
    assert _found(discovery) == [("s001", A, f"{chosen} ({HOW_NAME})")]
    reason = (
        f"同じ学生・同じ課題のノートブックが 3 件あり、名前が課題どおりのもの (expected name) の {chosen} を採点します"
    )
    assert _ignored(discovery) == [
        ("s001_ch01_activation (1).ipynb", reason + " (several notebooks)"),
        ("s001_ch01_activation.ipynb", reason + " (several notebooks)"),
    ]


def test_moodle_folders(tmp_path, text):
    root = tmp_path / "export"
    folder = "Alice Smith_12345_assignsubmission_file_"
    _put(root, f"{folder}/{A}.ipynb", text)
    _put(root, f"{folder}/__MACOSX/._{A}.ipynb", b"\x00")
    _put(root, f"{folder}/report.docx", b"PK")
    discovery = discover(root, tmp_path / "scratch", None, KNOWN)
    assert _found(discovery) == [("Alice Smith", A, f"{folder}/{A}.ipynb ({HOW_NAME})")]
    assert _ignored(discovery) == [
        (f"{folder}/__MACOSX", "macOS が zip に入れる管理用フォルダです (__MACOSX)"),
        (f"{folder}/report.docx", NOT_NOTEBOOK),
    ]


def test_moodle_folder_limits(tmp_path, text, monkeypatch):
    monkeypatch.setattr(discover_module, "MAX_ZIP_MEMBERS", 3)
    root = tmp_path / "export"
    _put(root, f"s001_files/{A}.ipynb", text)
    _put(root, "s001_files/a.txt", "a")
    _put(root, "s001_files/b.txt", "b")
    _put(root, "s001_files/z.txt", "z")
    (root / "s001_files/linked").symlink_to(tmp_path, target_is_directory=True)
    discovery = discover(root, tmp_path / "scratch", None, KNOWN)
    assert _found(discovery) == [("s001", A, f"s001_files/{A}.ipynb ({HOW_NAME})")]
    assert _ignored(discovery) == [
        ("s001_files", "ファイルが多すぎます (上限 3 個) (too many files)"),
        ("s001_files/a.txt", NOT_NOTEBOOK),
        ("s001_files/b.txt", NOT_NOTEBOOK),
        ("s001_files/linked", SYMLINK),
    ]


def test_assignment_from_contents_among_several(tmp_path, text, monkeypatch):
    """Contents decide between assignments: grade_ids first, then the names the code defines."""
    loss = AssignmentSpec(
        "ch02_loss",
        (
            CellSpec(
                "solution", "def mean_squared_error(y, t): ...", "mean_squared_error", defines=("mean_squared_error",)
            ),
            CellSpec(
                "solution",
                "def cross_entropy_error(y, t): ...",
                "cross_entropy_error",
                defines=("cross_entropy_error",),
            ),
        ),
    )
    monkeypatch.setattr(discover_module, "load_assignment", lambda a: loss if a == "ch02_loss" else load_assignment(a))
    root = tmp_path / "export"
    tagged = nbformat.v4.new_code_cell("y = 1", metadata={"nbgrader": {"grade_id": "cross_entropy_error"}})
    untagged = [
        nbformat.v4.new_code_cell("import numpy as np\n\ndef softmax(x):\n    return x"),  # given code of ch01
        nbformat.v4.new_code_cell("def mean_squared_error(y, t):\n    return 0.5 * np.sum((y - t) ** 2)"),
        nbformat.v4.new_code_cell("def cross_entropy_error(y, t):\n    return 0.0"),
    ]
    _put(root, "s001.ipynb", nbformat.writes(nbformat.v4.new_notebook(cells=[tagged])))
    _put(root, "s002.ipynb", nbformat.writes(nbformat.v4.new_notebook(cells=untagged)))
    _put(root, "s003.ipynb", text)
    discovery = discover(root, tmp_path / "scratch", None, [A, "ch02_loss"])
    assert _found(discovery) == [
        ("s001", "ch02_loss", f"s001.ipynb ({HOW_GRADE_IDS})"),
        ("s002", "ch02_loss", f"s002.ipynb ({HOW_DEFINES})"),
        ("s003", A, f"s003.ipynb ({HOW_GRADE_IDS})"),
    ]
    assert discovery.ignored == []
    only_ch01 = discover(root, tmp_path / "scratch", [A], [A, "ch02_loss"])
    assert _found(only_ch01) == [("s003", A, f"s003.ipynb ({HOW_GRADE_IDS})")]


def test_every_release_notebook_is_recognised_by_its_names(tmp_path):
    """Without metadata, the defined names alone tell the course's assignments apart."""
    known = sorted(p.name for p in (REPO / "release").iterdir() if (p / f"{p.name}.ipynb").exists())
    assert A in known
    root = tmp_path / "export"
    for number, assignment in enumerate(known):
        content = json.loads((REPO / "release" / assignment / f"{assignment}.ipynb").read_text(encoding="utf-8"))
        for cell in content["cells"]:
            cell["metadata"] = {}
        _put(root, f"s{number:03d}.ipynb", json.dumps(content))
    discovery = discover(root, tmp_path / "scratch", None, known)
    assert [(s.student_id, s.assignment) for s in discovery.submissions] == [
        (f"s{number:03d}", assignment) for number, assignment in enumerate(known)
    ]
    assert discovery.ignored == []


def test_missing_submissions_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="提出フォルダがありません"):
        discover(tmp_path / "nowhere", tmp_path / "scratch", None, KNOWN)


def test_empty_folder(tmp_path):
    discovery = discover(tmp_path, tmp_path / "scratch", None, KNOWN)
    assert (discovery.layout, discovery.submissions, discovery.ignored) == ("flat", [], [])
    assert discovery.describe().splitlines()[1:] == [
        "学生 0 人、課題 0 件、ノートブック 0 件",
        "採点しないファイルはありません",
    ]


# --------------------------------------------------------------------------- names a learner chose


def test_long_names_in_zips_and_flat_exports(tmp_path, text):
    """Names up to the 255 bytes of a file name (and longer ones inside zips) are graded or refused
    with a reason, never a crash; extraction uses short safe names inside the scratch folder."""
    root = tmp_path / "export"
    long_zip = "s001_ch01_activation_" + "x" * (247 - len("s001_ch01_activation_.zip")) + ".zip"
    assert len(long_zip.encode()) == 247
    _zip(root / long_zip, {f"{A}.ipynb": text})
    member_247 = "y" * (247 - len(f"_{A}.ipynb")) + f"_{A}.ipynb"
    _zip(root / "s002.zip", {member_247: text})
    member_300 = f"{A}/" + "z" * 300 + ".ipynb"  # longer than any file name: zip names are not file names
    _zip(root / "s003.zip", {member_300: text})
    _put(root, "山" * 70 + f"_{A}.ipynb", text)  # a 210-byte student id
    _put(root, "w" * 230 + ".ipynb", text)  # a student id of 230 characters

    scratch = tmp_path / "scratch"
    discovery = discover(root, scratch, None, KNOWN)

    assert _found(discovery) == [
        ("s001", A, f"{long_zip}/{A}.ipynb ({HOW_NAME})"),
        ("s002", A, f"s002.zip/{member_247} ({HOW_NAME})"),
        ("s003", A, f"s003.zip/{member_300} ({HOW_NAME})"),
        ("山" * 70, A, f"{'山' * 70}_{A}.ipynb ({HOW_NAME})"),
    ]
    assert _ignored(discovery) == [
        ("w" * 230 + ".ipynb", "学生 ID が長すぎます (230 文字、上限 200 文字) (student id too long)"),
    ]
    for submission in discovery.submissions:
        assert submission.sha256 == _sha(text) and submission.path.read_text(encoding="utf-8") == text
        if submission.student_id.startswith("s"):
            inside = submission.path.resolve().relative_to(scratch.resolve())
            assert all(len(part.encode()) <= 65 for part in inside.parts), inside


def test_student_ids_that_cannot_be_used_are_refused_alone(tmp_path, text):
    root = tmp_path / "submitted"
    usable = ["a\\b", "=cmd|' \\C calc'!A0", "ctl\x1b[31m\nname", "山田 太郎", "山" * 80, "CON", "x" * 200]
    for student in usable:
        _put(root, f"{student}/{A}/{A}.ipynb", text)
    _put(root, f"   /{A}/{A}.ipynb", text)
    _put(root, f"{'x' * 201}/{A}/{A}.ipynb", text)
    undecodable = os.fsdecode(b"\xff\xfe")
    _put(root, f"{undecodable}/{A}/{A}.ipynb", text)

    discovery = discover(root, tmp_path / "scratch", None, KNOWN)

    assert sorted(s.student_id for s in discovery.submissions) == sorted(usable)
    assert _ignored(discovery) == [
        ("   ", "学生 ID が空です (empty student id)"),
        ("\\xff\\xfe", "学生 ID に文字として読めないバイトがあります (student id is not valid UTF-8)"),
        ("x" * 201, "学生 ID が長すぎます (201 文字、上限 200 文字) (student id too long)"),
    ]
    summary = discovery.describe()
    summary.encode("utf-8")  # printable, whatever the names
    assert "\x1b" not in summary and "  - \\xff\\xfe: 学生 ID に文字として" in summary
    assert len(summary.splitlines()) == 4 + 3  # one line per refused id, even with a newline in a name
    assert all(s.timestamp == "" for s in discovery.submissions)


def test_two_ids_that_would_share_a_file_name_are_not_both_graded(tmp_path, text, monkeypatch):
    monkeypatch.setattr(discover_module, "safe_name", str.lower)  # a name function that collides
    root = tmp_path / "submitted"
    _put(root, f"Alice/{A}/{A}.ipynb", text)
    _put(root, f"alice/{A}/{A}.ipynb", text)
    discovery = discover(root, tmp_path / "scratch", None, KNOWN)
    assert _found(discovery) == [("Alice", A, f"Alice/{A}/{A}.ipynb")]
    assert _ignored(discovery) == [
        (
            f"alice/{A}/{A}.ipynb",
            "学生 ID が別の学生 ID 'Alice' と同じ保存名 alice になるため採点できません。"
            "ファイル名を変えて提出し直してもらってください (student id collides with another)",
        )
    ]


def test_submission_time_comes_from_nbgraders_timestamp_file_only(tmp_path, text):
    root = tmp_path / "submitted"
    year_2000 = time.mktime((2000, 1, 1, 0, 0, 0, 0, 0, -1))
    for student, stamp in [
        ("alice", "2024-05-01 10:00:00.123456 UTC"),
        ("bob", "2024-05-01 19:00:00 Asia/Tokyo"),
        ("carol", "2024-05-01 10:00:00"),  # naive: UTC, as nbgrader reads it
        ("dave", "not a date"),
        ("erin", "1970-01-01 00:00:00 UTC"),
        ("frank", "2999-01-01 00:00:00 UTC"),
        ("grace", "2024-05-01 10:00:00" + " " * 300),
        ("heidi", None),
    ]:
        _put(root, f"{student}/{A}/{A}.ipynb", text, mtime=year_2000)  # the file time is never used
        if stamp is not None:
            _put(root, f"{student}/{A}/timestamp.txt", stamp)
    discovery = discover(root, tmp_path / "scratch", None, KNOWN)
    assert {s.student_id: s.timestamp for s in discovery.submissions} == {
        "alice": "2024-05-01 10:00:00.123456 UTC",
        "bob": "2024-05-01 10:00:00.000000 UTC",
        "carol": "2024-05-01 10:00:00.000000 UTC",
        "dave": "",
        "erin": "",
        "frank": "",
        "grace": "",
        "heidi": "",
    }
    fallback = "提出時刻には採点で最初に見た時刻を使います"
    malformed = f"timestamp.txt の日時が読めません。{fallback} (malformed timestamp)"
    implausible = "timestamp.txt の日時 {} (UTC) はありえないため使いません。" + fallback + " (implausible timestamp)"
    assert _ignored(discovery) == [
        (f"dave/{A}/timestamp.txt", malformed),
        (f"erin/{A}/timestamp.txt", implausible.format("1970-01-01 00:00:00")),
        (f"frank/{A}/timestamp.txt", implausible.format("2999-01-01 00:00:00")),
        (f"grace/{A}/timestamp.txt", malformed),
    ]


def test_zip_member_times_are_never_submission_times(tmp_path, text):
    root = tmp_path / "export"
    with zipfile.ZipFile(_put(root, "s001.zip").parent / "s001.zip", "w") as archive:
        archive.writestr(zipfile.ZipInfo(f"{A}.ipynb", date_time=(2024, 5, 2, 9, 0, 0)), text)
        archive.writestr(zipfile.ZipInfo("timestamp.txt", date_time=(2024, 5, 2, 9, 0, 0)), "2020-01-01 00:00:00")
    _put(root, "s002_ch01_activation/timestamp.txt", "2020-01-01 00:00:00")  # a Moodle folder: the learner's file
    _put(root, f"s002_ch01_activation/{A}.ipynb", text)
    discovery = discover(root, tmp_path / "scratch", None, KNOWN)
    assert [(s.student_id, s.timestamp) for s in discovery.submissions] == [("s001", ""), ("s002", "")]


def test_one_folder_shaped_like_nbgrader_does_not_hide_a_flat_export(tmp_path, text):
    """Issue #10 (red team): a learner of a Moodle export put their notebook in a sub-folder named
    like the assignment; the folder was taken as the nbgrader layout and everyone else was skipped."""
    root = tmp_path / "export"
    _put(root, "Alice Abe_1001_assignsubmission_file_/ch01_activation.ipynb", text)
    _put(root, "Bob Baba_1002_assignsubmission_file_/ch01_activation.ipynb", text)
    _put(root, "carol_ch01_activation.ipynb", text)
    _put(root, f"Mallory Ito_1003_assignsubmission_file_/{A}/{A}.ipynb", text)

    discovery = discover(root, tmp_path / "scratch", None, KNOWN)

    assert discovery.layout == "flat"
    assert {s.student_id for s in discovery.submissions} >= {"Alice Abe", "Bob Baba", "carol"}

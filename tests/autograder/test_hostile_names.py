"""A class whose folder and file names are hostile or merely unlucky, graded end to end by
`autograder grade`: every usable id is graded, the others are refused with their reason, and
no name breaks the run, the re-run, the CSV files, the feedback links or the gradebook."""

from __future__ import annotations

import csv
import html
import re
import zipfile
from pathlib import Path
from urllib.parse import unquote

import nbformat
import pytest

from autograder.build import REPO_ROOT
from autograder.grade_command import run_grade
from autograder.safe_names import safe_name
from autograder.synthetic import fill_release

A = "ch01_activation"
FULL = 17  # the automatic points of ch01_activation; the written answer waits for a human

LONG = "山田" * 40  # 240 bytes of UTF-8: used to crash the cache write
BACKSLASH = "a\\b"  # used to crash the reports and the gradebook
# The classic payload is "=cmd|' /C calc'!A0", but no file name can hold "/"
FORMULA = "=cmd|' \\C calc'!A0"
CONTROL = "ctl\x1b[31m\nname"
UNICODE = "山田 太郎"
GRADED = [LONG, BACKSLASH, FORMULA, CONTROL, UNICODE]
TOO_LONG = "x" * 240
BLANK = "  "
STAMP = "2024-05-01 10:00:00.000000 UTC"  # UNICODE's nbgrader timestamp.txt


@pytest.fixture(scope="module")
def honest() -> str:
    release = nbformat.read(REPO_ROOT / "release" / A / f"{A}.ipynb", as_version=4)
    source = nbformat.read(REPO_ROOT / "source_notebooks" / A / f"{A}.ipynb", as_version=4)
    return nbformat.writes(fill_release(release, source))


def _submit(root: Path, student: str, data: str) -> Path:
    folder = root / student / A
    folder.mkdir(parents=True)
    (folder / f"{A}.ipynb").write_text(data, encoding="utf-8")
    return folder


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _gradebook(out: Path) -> dict[str, str]:
    """Student id in the gradebook → its submission time."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{out / 'course' / 'gradebook.db'}") as gb:
        return {s.student.id: s.timestamp.strftime("%Y-%m-%d %H:%M:%S.%f UTC") for s in gb.assignment_submissions(A)}


def _check_links(out: Path) -> None:
    """Every feedback link of report.html opens an existing page that names the student of its row."""
    report = (out / "report.html").read_text(encoding="utf-8")
    rows = re.findall(r'<tr><td>([^<]*)</td><td class=num><a href="([^"]+)">', report.split("学生ごとの合計")[1])
    assert rows
    for student, href in rows:
        page = out / unquote(html.unescape(href))
        assert page.resolve().is_relative_to((out / "feedback").resolve())
        assert f"<tr><th>学生 ID</th><td>{student}</td></tr>" in page.read_text(encoding="utf-8")


def test_hostile_names_are_graded_or_refused_alone(tmp_path, honest):
    submissions = tmp_path / "submissions"
    for student in [*GRADED, TOO_LONG, BLANK]:
        _submit(submissions, student, honest)
    (submissions / UNICODE / A / "timestamp.txt").write_text(STAMP + "\n", encoding="utf-8")
    out = tmp_path / "out"
    messages: list[str] = []

    run = run_grade(submissions, out, workers=1, show_progress=False, log=messages.append)

    assert sorted(r.student_id for r in run.results) == sorted(GRADED)
    assert all(r.ran and r.score == FULL for r in run.results), [(r.student_id, r.problems) for r in run.results]
    assert {(i.origin, i.reason) for i in run.discovery.ignored} == {
        (TOO_LONG, "学生 ID が長すぎます (240 文字、上限 200 文字) (student id too long)"),
        (BLANK, "学生 ID が空です (empty student id)"),
    }
    listing = messages[0]
    assert f"  - {TOO_LONG}: 学生 ID が長すぎます" in listing and "\x1b" not in listing

    # CSV: the real ids, a formula guarded
    rows = _rows(out / "grades.csv")
    assert {r["student_id"] for r in rows} == {*GRADED} - {FORMULA} | {"'" + FORMULA}
    summary = _rows(out / "summary.csv")
    assert sorted(r["student_id"] for r in summary) == sorted([*GRADED[:2], "'" + FORMULA, *GRADED[3:]])
    assert all(r["score"] == str(FULL) for r in summary)
    _check_links(out)

    # the gradebook and nbgrader's folders hold the safe names, and the output says so
    stamps = _gradebook(out)
    assert set(stamps) == {safe_name(s) for s in GRADED}
    for student in GRADED:
        assert (out / "course" / "submitted" / safe_name(student) / A / f"{A}.ipynb").read_text("utf-8") == honest
    said = "\n".join(messages)
    assert "成績簿" in said and f"'山田 太郎' → {safe_name(UNICODE)}" in said
    # submission times: nbgrader's timestamp.txt, else when this run first saw the notebook
    by_student = {r.student_id: r for r in run.results}
    assert stamps[safe_name(UNICODE)] == by_student[UNICODE].timestamp == STAMP
    for student in GRADED:
        assert stamps[safe_name(student)] == by_student[student].timestamp

    # a second run reuses every saved grade and changes nothing
    before = {name: (out / name).read_bytes() for name in ("grades.csv", "summary.csv", "report.html")}
    again = run_grade(submissions, out, workers=1, show_progress=False, log=messages.append)
    assert (again.graded, again.reused) == (0, len(GRADED))
    assert {name: (out / name).read_bytes() for name in before} == before
    assert {r.student_id: r.timestamp for r in again.results} == {r.student_id: r.timestamp for r in run.results}
    assert _gradebook(out) == stamps


def test_long_names_in_a_flat_zip_are_graded(tmp_path, honest):
    submissions = tmp_path / "export"
    submissions.mkdir()
    zip_name = "bob_" + "z" * 200 + ".zip"
    member = "m" * (247 - len(f"_{A}.ipynb")) + f"_{A}.ipynb"
    assert len(member.encode()) == 247
    with zipfile.ZipFile(submissions / zip_name, "w") as archive:
        archive.writestr(member, honest)
    out = tmp_path / "out"
    run = run_grade(submissions, out, workers=1, show_progress=False, log=lambda m: None)
    assert [(r.student_id, r.score) for r in run.results] == [("bob", FULL)]
    assert run.discovery.ignored == []
    _check_links(out)
    again = run_grade(submissions, out, workers=1, show_progress=False, log=lambda m: None)
    assert (again.graded, again.reused) == (0, 1)

"""Our grades in nbgrader's gradebook: idempotent, hand grades kept, and plain nbgrader agrees.

Runs on SQLite, and on a throwaway PostgreSQL server that the test starts itself (skipped
with the reason when the server binaries are absent).
"""

import csv
import datetime as dt
import glob
import html
import json
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from autograder import grade_command
from autograder.assignment import load_assignment
from autograder.build import REPO_ROOT
from autograder.grade_command import GradeRun, run_grade
from autograder.gradebook_sync import default_db_url, prepare_course_dir, sync_results
from autograder.model import ExerciseResult, SubmissionResult
from autograder.nbgrader_setup import COURSE_ID, RELEASE_DIRECTORY, SOURCE_DIRECTORY, nbgrader_config
from autograder.safe_names import safe_name
from autograder.synthetic import fill_release

A = "ch01_activation"


@pytest.fixture(scope="module")
def spec():
    return load_assignment(A)


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory):
    """honest (reference solutions), partial (wrong relu) and broken (not JSON) submissions."""
    folder = tmp_path_factory.mktemp("submissions")
    release = nbformat.read(REPO_ROOT / RELEASE_DIRECTORY / A / f"{A}.ipynb", as_version=4)
    source = nbformat.read(REPO_ROOT / SOURCE_DIRECTORY / A / f"{A}.ipynb", as_version=4)
    paths = {}
    for student, nb in [
        ("honest", fill_release(release, source)),
        ("partial", fill_release(release, source, overrides={"relu": "def relu(x):\n    return x"})),
    ]:
        paths[(student, A)] = folder / f"{student}.ipynb"
        nbformat.write(nb, paths[(student, A)])
    paths[("broken", A)] = folder / "broken.ipynb"
    paths[("broken", A)].write_bytes(b'{"cells": [ <<< not JSON')
    return paths


def full_marks(spec, student: str) -> SubmissionResult:
    exercises = [
        ExerciseResult(c.grade_id, None if c.kind == "answer" else c.points, c.points, manual=c.kind == "answer")
        for c in spec.cells
        if c.kind in ("tests", "answer")
    ]
    return SubmissionResult(student, A, f"{student}/{A}.ipynb", "0" * 64, exercises, sandbox="bubblewrap")


def make_results(spec) -> list[SubmissionResult]:
    honest = full_marks(spec, "honest")
    partial = full_marks(spec, "partial")
    for e in partial.exercises:
        if e.grade_id == "test_relu":
            e.score, e.message = 0.0, "形状 (7,) の入力に対する relu の値が違います。"
    broken = SubmissionResult("broken", A, f"broken/{A}.ipynb", "1" * 64, [], ["JSON が壊れています"], ran=False)
    return [honest, partial, broken]


def expected_grades(spec, result: SubmissionResult) -> dict[str, tuple[float | None, bool]]:
    """grade_id → (auto_score, needs_manual_grade) that the gradebook must hold."""
    ours = {e.grade_id: e.score for e in result.exercises}
    expected = {}
    for cell in spec.cells:
        if cell.kind in ("tests", "answer"):
            score = ours.get(cell.grade_id, 0.0)  # no result: 0 points
            expected[cell.grade_id] = (score, score is None)
    return expected


def gradebook_rows(db_url: str) -> list[tuple]:
    """Every grade of the gradebook: (student, assignment, notebook, cell, auto, manual, needs_manual)."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url, course_id=COURSE_ID) as gb:
        rows = []
        for assignment in gb.assignments:
            for submission in assignment.submissions:
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        rows.append(
                            (
                                submission.student.id,
                                assignment.name,
                                notebook.name,
                                grade.name,
                                grade.auto_score,
                                grade.manual_score,
                                grade.needs_manual_grade,
                            )
                        )
        return sorted(rows, key=repr)


def assert_gradebook_matches(db_url: str, spec, results: list[SubmissionResult]) -> None:
    from nbgrader.api import Grade, Gradebook, Student, SubmittedAssignment

    rows = gradebook_rows(db_url)
    got = {(r[0], r[3]): (r[4], r[6]) for r in rows}
    for result in results:
        for grade_id, want in expected_grades(spec, result).items():
            assert got[(result.student_id, grade_id)] == want, (result.student_id, grade_id)
    graded_cells = len(spec.tests) + len(spec.answers)
    assert len(rows) == len(got) == len(results) * graded_cells, "one grade per student and cell, no duplicates"
    with Gradebook(db_url, course_id=COURSE_ID) as gb:
        assert gb.db.query(Student).count() == len(results)
        assert gb.db.query(SubmittedAssignment).count() == len(results)
        assert gb.db.query(Grade).count() == len(results) * graded_cells


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A prepared course directory (SQLite), copied by each test."""
    course = tmp_path_factory.mktemp("template") / "course"
    prepare_course_dir(course, [A])
    return course


@pytest.fixture
def course(template, tmp_path):
    course = tmp_path / "course"
    shutil.copytree(template, course)
    return course


def test_prepare_makes_an_nbgrader_course(template, spec):
    from nbgrader.api import Gradebook

    assert (template / "nbgrader_config.py").is_file()
    assert (template / RELEASE_DIRECTORY / A / f"{A}.ipynb").is_file()
    with Gradebook(default_db_url(template), course_id=COURSE_ID) as gb:
        notebook = gb.find_notebook(A, A)
        assert {c.name for c in notebook.grade_cells} == {c.grade_id for c in spec.tests + spec.answers}
    prepare_course_dir(template, [A])  # again: nothing breaks, nothing is duplicated
    with Gradebook(default_db_url(template), course_id=COURSE_ID) as gb:
        assert len(gb.find_notebook(A, A).grade_cells) == 9


def test_the_course_is_generated_once_per_course_version(tmp_path, spec, notebooks):
    """A second preparation of an unchanged course runs no generate_assignment; a changed source,
    a missing gradebook file, a missing release or ``force`` do; a gradebook that lost the
    assignment behind our back is repaired when the results are recorded."""
    from nbgrader.api import Gradebook

    from autograder.gradebook_sync import AssignmentNotInGradebook, sync_with_gradebook

    repo = tmp_path / "repo"  # a repository of our own, whose source notebook the test may change
    shutil.copytree(REPO_ROOT / SOURCE_DIRECTORY / A, repo / SOURCE_DIRECTORY / A)
    course = tmp_path / "course"
    assert prepare_course_dir(course, [A], repo_root=repo) == [A]
    assert prepare_course_dir(course, [A], repo_root=repo) == []
    assert prepare_course_dir(course, [A], repo_root=repo, force=True) == [A]
    source = repo / SOURCE_DIRECTORY / A / f"{A}.ipynb"
    nb = nbformat.read(source, as_version=4)
    nb.cells[0].source += "\n\n(改訂)"
    nbformat.write(nb, source)
    assert prepare_course_dir(course, [A], repo_root=repo) == [A]
    assert "(改訂)" in (course / RELEASE_DIRECTORY / A / f"{A}.ipynb").read_text(encoding="utf-8")
    (course / "gradebook.db").unlink()
    assert prepare_course_dir(course, [A], repo_root=repo) == [A]
    shutil.rmtree(course / RELEASE_DIRECTORY / A)
    assert prepare_course_dir(course, [A], repo_root=repo) == [A]
    assert prepare_course_dir(course, [A], repo_root=repo) == []

    course = tmp_path / "emptied"
    prepare_course_dir(course, [A])
    db_url = default_db_url(course)
    with Gradebook(db_url, course_id=COURSE_ID) as gb:
        gb.remove_assignment(A)  # the stamps still say "generated"
    results = make_results(spec)
    with pytest.raises(AssignmentNotInGradebook):
        sync_results(course, db_url, results, notebooks)
    sync_with_gradebook(course, db_url, [A], results, notebooks)
    assert_gradebook_matches(db_url, spec, results)


def test_sync_twice_gives_the_same_rows(course, spec, notebooks):
    db_url = default_db_url(course)
    results = make_results(spec)
    sync_results(course, db_url, results, notebooks)
    first = gradebook_rows(db_url)
    assert_gradebook_matches(db_url, spec, results)
    stamp = course / "submitted" / "honest" / A / "timestamp.txt"
    stamp_text = stamp.read_text()
    sync_results(course, db_url, results, notebooks)
    assert gradebook_rows(db_url) == first
    assert stamp.read_text() == stamp_text
    for (student, _), path in notebooks.items():
        assert (course / "submitted" / student / A / f"{A}.ipynb").read_bytes() == path.read_bytes()
        assert (course / "submitted" / student / A / "timestamp.txt").read_text().strip().endswith("UTC")
    # formgrader renders autograded/: a view of each readable notebook, with the graded cells restored
    view = nbformat.read(course / "autograded" / "honest" / A / f"{A}.ipynb", as_version=4)
    assert all(not cell.get("outputs") for cell in view.cells if cell.cell_type == "code")
    assert "BEGIN HIDDEN TESTS" in "".join(c.source for c in view.cells)  # instructor's version of the tests
    assert not (course / "autograded" / "broken").exists()


def test_changed_results_replace_old_ones_and_hand_grades_are_kept(course, spec, notebooks, tmp_path):
    from nbgrader.api import Gradebook

    db_url = default_db_url(course)
    results = make_results(spec)
    sync_results(course, db_url, results, notebooks)
    with Gradebook(db_url, course_id=COURSE_ID) as gb:  # a grader grades the written answer in formgrader
        grade = gb.find_grade("why_not_xor", A, A, "honest")
        grade.manual_score, grade.needs_manual_grade = 1.5, False
        gb.db.commit()
    sync_results(course, db_url, results, notebooks)
    rows = {(r[0], r[3]): r[4:] for r in gradebook_rows(db_url)}
    assert rows[("honest", "why_not_xor")] == (None, 1.5, False)

    # partial fixes relu: only that grade changes
    results[1].exercises = full_marks(spec, "partial").exercises
    sync_results(course, db_url, results, notebooks)
    rows = {(r[0], r[3]): r[4:] for r in gradebook_rows(db_url)}
    assert rows[("partial", "test_relu")] == (1.0, None, False)

    # honest submits a new notebook: the hand grade stays, flagged for review
    changed = tmp_path / "honest_v2.ipynb"
    nb = nbformat.read(notebooks[("honest", A)], as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("追記"))
    nbformat.write(nb, changed)
    sync_results(course, db_url, results, {**notebooks, ("honest", A): changed})
    rows = {(r[0], r[3]): r[4:] for r in gradebook_rows(db_url)}
    assert rows[("honest", "why_not_xor")] == (None, 1.5, True)
    assert len(rows) == 3 * 9


def test_plain_nbgrader_autograde_agrees_for_an_honest_submission(course, spec, notebooks):
    from nbgrader.apps import NbGraderAPI

    db_url = default_db_url(course)
    honest = full_marks(spec, "honest")
    sync_results(course, db_url, [honest], {("honest", A): notebooks[("honest", A)]})
    ours = {r[3]: (r[4], r[6]) for r in gradebook_rows(db_url)}
    api = NbGraderAPI(config=nbgrader_config(course, db_url))
    result = api.autograde(A, "honest", force=True, create=True)
    assert result["success"], result.get("log")
    theirs = {r[3]: (r[4], r[6]) for r in gradebook_rows(db_url)}
    assert len(theirs) == 9
    for cell in spec.tests:
        assert theirs[cell.grade_id] == ours[cell.grade_id] == (cell.points, False), cell.grade_id
    assert theirs["why_not_xor"] == ours["why_not_xor"] == (None, True)


UNSAFE_IDS = ["../escape", "a\\b", "山" * 80, "x" * 240, "ctl\x1b[31m\nname", "山田 太郎", "=cmd|' /C calc'!A0", "CON"]


def test_any_student_id_is_stored_under_its_safe_name(course, spec, notebooks):
    """nbgrader needs an id it can use as a folder name (and writes it unescaped into formgrader's
    pages): the gradebook and the folders hold safe_name(id); the ids renamed are returned."""
    db_url = default_db_url(course)
    results = [full_marks(spec, student) for student in [*UNSAFE_IDS, "alice"]]
    paths = {(r.student_id, A): notebooks[("honest", A)] for r in results}
    renamed = sync_results(course, db_url, results, paths)
    assert renamed == {student: safe_name(student) for student in UNSAFE_IDS}
    rows = gradebook_rows(db_url)
    assert {r[0] for r in rows} == {safe_name(s) for s in UNSAFE_IDS} | {"alice"}
    for student in [*UNSAFE_IDS, "alice"]:
        folder = course / "submitted" / safe_name(student) / A
        assert (folder / f"{A}.ipynb").read_bytes() == notebooks[("honest", A)].read_bytes()
        assert (course / "autograded" / safe_name(student) / A / f"{A}.ipynb").is_file()
    assert {p.name for p in (course / "submitted").iterdir()} == {safe_name(s) for s in UNSAFE_IDS} | {"alice"}
    assert not (course.parent / "escape").exists()
    assert sync_results(course, db_url, results, paths) == renamed
    assert gradebook_rows(db_url) == rows


def test_bad_assignment_ids_are_a_bug(course, spec):
    result = full_marks(spec, "alice")
    result.assignment = "../escape"
    with pytest.raises(ValueError, match="folder name"):
        sync_results(course, default_db_url(course), [result], {})


def _submission_times(db_url: str) -> dict[str, str]:
    from nbgrader.api import Gradebook

    with Gradebook(db_url, course_id=COURSE_ID) as gb:
        return {s.student.id: f"{s.timestamp:%Y-%m-%d %H:%M:%S.%f} UTC" for s in gb.assignment_submissions(A)}


def test_submission_time_is_never_the_file_time(course, spec, notebooks, tmp_path):
    db_url = default_db_url(course)
    touched = tmp_path / "touched.ipynb"  # a zip keeps any date the learner likes
    touched.write_bytes(notebooks[("honest", A)].read_bytes())
    year_2001 = 978307200
    os.utime(touched, (year_2001, year_2001))
    stamped, unstamped = full_marks(spec, "stamped"), full_marks(spec, "unstamped")
    stamped.timestamp = "2024-05-01 10:00:00.000000 UTC"  # from timestamp.txt, or when grading first saw it
    paths = {("stamped", A): touched, ("unstamped", A): touched}
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    sync_results(course, db_url, [stamped, unstamped], paths)
    times = _submission_times(db_url)
    assert times["stamped"] == "2024-05-01 10:00:00.000000 UTC"
    assert dt.datetime.strptime(times["unstamped"], "%Y-%m-%d %H:%M:%S.%f UTC") >= before  # first synced
    for student in ("stamped", "unstamped"):
        assert (course / "submitted" / student / A / "timestamp.txt").read_text().strip() == times[student]
    sync_results(course, db_url, [stamped, unstamped], paths)  # unchanged bytes: the same times
    assert _submission_times(db_url) == times


HOSTILE_ANSWER = (
    "XOR は直線 1 本では分けられない。\n\n"
    "<script>alert('script')</script> <img src=x onerror=alert('img')> <iframe src=https://evil.example/></iframe>\n"
    "<svg onload=alert('svg')></svg> <a href=\"javascript:alert('a')\">a</a> <!-- comment --> <style>*{}</style>\n"
    "[link](javascript:alert('link')) [upper](JaVaScRiPt:alert('upper')) [escaped](javascript\\:alert('esc'))\n"
    "[entity](javascript&#58;alert('entity')) [named](javascript&colon;alert('named')) [tab](java&#9;script:alert(1))\n"
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==) <javascript:alert('auto')>\n"
    "![img](javascript:alert('image')) [ref][r]\n\n[r]: javascript:alert('ref')\n\n"
    "$\\href{javascript:alert('mathjax')}{x}$ と $x < 0$ のとき 0、$a<b$。"
)


def _formgrader_page(course: Path, student: str) -> str:
    """The page formgrader shows for ``student``'s notebook, rendered as formgrader renders it."""
    from nbconvert.exporters import HTMLExporter
    from nbgrader.server_extensions.formgrader import handlers
    from traitlets.config import Config

    config = Config()
    config.HTMLExporter.template_name = "formgrade"
    config.HTMLExporter.extra_template_basedirs = [handlers.template_path]
    resources = {
        "assignment_id": A,
        "notebook_id": A,
        "submission_id": "s",
        "index": 0,
        "total": 1,
        "base_url": "",
        "student": student,
        "last_name": None,
        "first_name": None,
        "notebook_path": "p",
    }
    path = course / "autograded" / student / A / f"{A}.ipynb"
    page, _ = HTMLExporter(config=config).from_filename(str(path), resources=resources)
    return page.split('id="notebook-container"', 1)[1]  # the notebook, after formgrader's own scripts


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def _active_content(page: str) -> list[str]:
    """What in the page could run code: script-like elements, event handlers, script links."""
    parser = _Elements()
    parser.feed(page)
    found = []
    for tag, attrs in parser.tags:
        if tag in ("script", "iframe", "frame", "object", "embed", "svg", "style", "base", "meta", "link", "form"):
            found.append(tag)
        for name, value in attrs:
            url = re.sub(r"[\x00-\x20]", "", html.unescape(value or "")).lower()
            if name.startswith("on"):
                found.append(f"{tag} {name}")
            elif name in ("href", "src", "action", "formaction", "xlink:href") and re.match(
                r"(javascript|vbscript|data):(?!image/(png|jpeg|gif);)", url
            ):
                found.append(f"{tag} {name}={value}")
    text = html.unescape(page).lower()
    found += ["javascript: in the text"] * text.count("javascript:")  # MathJax's \\href makes links of text
    return found


def test_written_answers_and_outputs_cannot_run_in_formgrader(course, spec, tmp_path):
    release = nbformat.read(REPO_ROOT / RELEASE_DIRECTORY / A / f"{A}.ipynb", as_version=4)
    source = nbformat.read(REPO_ROOT / SOURCE_DIRECTORY / A / f"{A}.ipynb", as_version=4)
    nb = fill_release(release, source)
    answer = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "why_not_xor")
    answer.source = HOSTILE_ANSWER
    code = next(c for c in nb.cells if c.cell_type == "code")
    code.outputs = [
        nbformat.v4.new_output(
            "display_data",
            {
                "text/html": "<script>alert('output')</script>",
                "application/javascript": "alert('js')",
                "image/svg+xml": "<svg onload=alert('svg-output')></svg>",
                "text/plain": "plain",
            },
        )
    ]
    evil_id = "\"><script>alert('grade_id')</script>"
    nb.cells += [
        nbformat.v4.new_raw_cell("<script>alert('raw')</script>", metadata={"raw_mimetype": "text/html"}),
        nbformat.v4.new_markdown_cell(
            "added cell", metadata={"nbgrader": {"grade": True, "solution": True, "grade_id": evil_id, "points": 1}}
        ),
        nbformat.v4.new_markdown_cell(
            "![pic](attachment:a.svg)",
            attachments={"a.svg": {"image/svg+xml": "PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+PC9zdmc+"}},
        ),
    ]
    nb.cells[0].metadata["nbgrader"] = {"grade_id": "why_not_xor", "points": "1\"><script>alert('points')</script>"}
    nb.metadata["language_info"] = {"name": "python", "pygments_lexer": "<script>"}
    path = tmp_path / "hostile.ipynb"
    nbformat.write(nb, path)
    db_url = default_db_url(course)

    sync_results(course, db_url, [full_marks(spec, "mallory")], {("mallory", A): path})

    page = _formgrader_page(course, "mallory")
    assert _active_content(page) == []
    assert "<p>XOR は直線 1 本では分けられない。</p>" in page  # the answer stays readable
    assert "＜script&gt;alert('script')＜/script&gt;" in page and "$x &lt; 0$" in page
    assert "BEGIN HIDDEN TESTS" in page  # the instructor's cells are restored, and shown
    assert "チェック" in page or "演習" in page  # the instructor's text is shown as it is
    # the learner's own copy is kept as it was sent
    assert (course / "submitted" / "mallory" / A / f"{A}.ipynb").read_bytes() == path.read_bytes()


# --------------------------------------------------------------------------- hand grades back into the reports


GRADER = "fixed-grader-fingerprint"


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory, notebooks):
    """honest and partial (nbgrader layout), graded once by `autograder grade`; each test grades a copy."""
    root = tmp_path_factory.mktemp("graded_class")
    for student in ("honest", "partial"):
        folder = root / "submissions" / student / A
        folder.mkdir(parents=True)
        shutil.copyfile(notebooks[(student, A)], folder / f"{A}.ipynb")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(grade_command, "grader_fingerprint", lambda: GRADER)
        run_grade(root / "submissions", root / "out", workers=2, show_progress=False, log=lambda m: None)
    return root


@pytest.fixture
def graded(graded_class, tmp_path, monkeypatch):
    # the grader's fingerprint hashes the course and grader sources: fixed here, so that an edit to
    # them while the tests run does not make the unchanged submissions be graded again
    monkeypatch.setattr(grade_command, "grader_fingerprint", lambda: GRADER)
    shutil.copytree(graded_class, tmp_path / "class")
    return tmp_path / "class"


def _grade_again(root: Path) -> tuple[GradeRun, list[str]]:
    messages: list[str] = []
    run = run_grade(root / "submissions", root / "out", workers=1, show_progress=False, log=messages.append)
    return run, messages


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _summary(out: Path) -> dict[str, dict[str, str]]:
    return {row["student_id"]: row for row in _csv_rows(out / "summary.csv")}


def _written_answers(out: Path) -> dict[str, dict[str, str]]:
    return {row["student_id"]: row for row in _csv_rows(out / "grades.csv") if row["grade_id"] == "why_not_xor"}


def _grade_by_hand(out: Path, student: str, score: float | None, grade_id: str = "why_not_xor") -> None:
    """What formgrader does when a grader enters a score (nbgrader's GradeHandler.put)."""
    from nbgrader.api import Gradebook

    with Gradebook(default_db_url(out / "course"), course_id=COURSE_ID) as gb:
        grade = gb.find_grade(grade_id, A, A, student)
        grade.manual_score = score
        grade.needs_manual_grade = score is None and grade.auto_score is None
        gb.db.commit()


def test_written_answers_graded_in_formgrader_reach_every_report(graded):
    out = graded / "out"
    assert _summary(out)["honest"]["status"] == "provisional"  # the written answer awaits its grader
    _grade_by_hand(out, "honest", 1.5)
    run, _ = _grade_again(graded)
    assert (run.graded, run.reused) == (0, 2)  # unchanged submissions are not graded again

    summary = _summary(out)
    honest = summary["honest"]
    assert (honest["status"], honest["manual_score"], honest["manual_max"], honest["manual_pending"]) == (
        "final",
        "1.5",
        "2",
        "0",
    )
    assert (honest["auto_score"], honest["score"], honest["max_score"], honest["percent"]) == (
        "17",
        "18.5",
        "19",
        "97.4",
    )
    partial = summary["partial"]  # not graded by hand yet
    assert (partial["status"], partial["manual_score"], partial["manual_pending"], partial["score"]) == (
        "provisional",
        "",
        "1",
        "16",
    )
    written = _written_answers(out)
    assert (written["honest"]["score"], written["honest"]["status"], written["honest"]["part"]) == (
        "1.5",
        "partial",
        "manual",
    )
    assert (written["partial"]["score"], written["partial"]["status"]) == ("", "pending")
    feedback = html.unescape((out / "feedback" / "honest" / f"{A}.html").read_text(encoding="utf-8"))
    assert "1.5 / 2" in feedback and "18.5 / 19" in feedback and "暫定" not in feedback
    report = html.unescape((out / "report.html").read_text(encoding="utf-8"))
    assert "記述 1.5 / 2" in report
    assert [r.score for r in run.results if r.student_id == "honest"] == [18.5]
    # the hand grade lives in the gradebook only: the saved result still leaves the answer to its grader
    saved = json.loads((out / ".results" / A / "honest.json").read_text(encoding="utf-8"))
    assert [e["score"] for e in saved["result"]["exercises"] if e["grade_id"] == "why_not_xor"] == [None]
    rows = {(r[0], r[3]): r[4:] for r in gradebook_rows(default_db_url(out / "course"))}
    assert rows[("honest", "why_not_xor")] == (None, 1.5, False)


def test_a_resubmitted_notebook_puts_its_written_answer_back_to_pending(graded):
    out = graded / "out"
    _grade_by_hand(out, "honest", 2.0)
    _grade_again(graded)
    assert (_summary(out)["honest"]["status"], _summary(out)["honest"]["score"]) == ("final", "19")

    path = graded / "submissions" / "honest" / A / f"{A}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("追記: 答えを書き直しました。"))
    nbformat.write(nb, path)
    run, _ = _grade_again(graded)
    assert (run.graded, run.reused) == (1, 1)
    honest = _summary(out)["honest"]
    assert (honest["status"], honest["manual_score"], honest["manual_pending"], honest["score"], honest["percent"]) == (
        "provisional",
        "",
        "1",
        "17",
        "",
    )
    assert (_written_answers(out)["honest"]["score"], _written_answers(out)["honest"]["status"]) == ("", "pending")
    rows = {(r[0], r[3]): r[4:] for r in gradebook_rows(default_db_url(out / "course"))}
    assert rows[("honest", "why_not_xor")] == (None, 2.0, True)  # kept, flagged for review

    _grade_by_hand(out, "honest", 2.0)  # the grader reviews it in formgrader
    _grade_again(graded)
    honest = _summary(out)["honest"]
    assert (honest["status"], honest["manual_score"], honest["score"], honest["percent"]) == ("final", "2", "19", "100")


def test_a_hand_grade_outside_the_points_of_its_answer_is_not_counted(graded):
    out = graded / "out"
    _grade_by_hand(out, "honest", 5.0)  # edited in the database by hand: the answer is worth 2 points
    _grade_by_hand(out, "partial", -1.0)
    run, messages = _grade_again(graded)
    summary = _summary(out)
    for student, auto in [("honest", "17"), ("partial", "16")]:
        row = summary[student]
        assert (row["status"], row["manual_score"], row["manual_pending"], row["score"]) == (
            "provisional",
            "",
            "1",
            auto,
        )
        assert _written_answers(out)[student]["status"] == "pending"
    assert max(r.score for r in run.results) <= 19
    said = "\n".join(messages)
    assert "honest" in said and "partial" in said and "why_not_xor" in said and "0〜2" in said


def test_reports_are_written_when_the_gradebook_cannot_be_opened(graded):
    out = graded / "out"
    _grade_by_hand(out, "honest", 2.0)
    for name in ("grades.csv", "summary.csv", "report.html"):
        (out / name).unlink()
    (out / "course" / "gradebook.db").write_bytes(b"this is not an SQLite database\n" * 100)
    run, messages = _grade_again(graded)
    for name in ("grades.csv", "summary.csv", "report.html"):
        assert (out / name).is_file(), name
    assert (_summary(out)["honest"]["status"], _summary(out)["honest"]["manual_pending"]) == ("provisional", "1")
    assert _written_answers(out)["honest"]["status"] == "pending"
    assert "gradebook" not in run.outputs and run.gradebook_error
    assert any("成績簿" in m and "採点待ち" in m for m in messages)


def test_read_manual_scores_fills_copies_with_the_hand_grades_that_count(course, spec, notebooks, tmp_path):
    from autograder.gradebook_sync import read_manual_scores

    db_url = default_db_url(course)
    results = make_results(spec)
    sync_results(course, db_url, results, notebooks)
    _grade_by_hand(course.parent, "honest", 1.5)  # course.parent / "course" is the course
    _grade_by_hand(course.parent, "partial", 2.0)
    changed = tmp_path / "partial_v2.ipynb"  # partial submits again: its hand grade needs a review
    nb = nbformat.read(notebooks[("partial", A)], as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("追記"))
    nbformat.write(nb, changed)
    sync_results(course, db_url, results, {**notebooks, ("partial", A): changed})

    hand = read_manual_scores(db_url, results)
    written = {r.student_id: {e.grade_id: e.score for e in r.exercises}.get("why_not_xor") for r in hand.results}
    assert written == {"honest": 1.5, "partial": None, "broken": None}
    assert (hand.graded, hand.pending, hand.review, hand.problems) == (1, 1, 1, [])
    assert [r.student_id for r in hand.results] == [r.student_id for r in results]
    assert all(e.score is None for r in results for e in r.exercises if e.grade_id == "why_not_xor")  # not changed


# --------------------------------------------------------------------------- PostgreSQL


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(command: list, log: Path | None = None) -> None:
    done = subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        server_log = log.read_text() if log is not None and log.exists() else ""
        raise RuntimeError(f"{command[0]} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}\n{server_log}")


@pytest.fixture(scope="module")
def postgres_url(request):
    """A throwaway PostgreSQL server on 127.0.0.1 only, in a temporary folder, stopped at the end."""
    initdbs = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if not initdbs:
        pytest.skip("PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin/ (apt-get install postgresql)")
    pytest.importorskip("psycopg2", reason="psycopg2 is the PostgreSQL driver of SQLAlchemy here")
    bindir = Path(initdbs[-1]).parent
    as_user: list[str] = []
    owner = None
    if os.geteuid() == 0:  # the server refuses to run as root
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run the server as")
        if shutil.which("runuser") is None:
            pytest.skip("running as root and runuser is missing")
        as_user = ["runuser", "-u", "postgres", "--"]
    base = Path(tempfile.mkdtemp(prefix="gradebook-pg-"))
    if owner is not None:
        os.chown(base, owner.pw_uid, owner.pw_gid)
    data, log, port = base / "data", base / "server.log", _free_port()

    def stop() -> None:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                [*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                capture_output=True,
                timeout=60,
            )
        shutil.rmtree(base, ignore_errors=True)

    request.addfinalizer(stop)
    _run([*as_user, bindir / "initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"])
    options = f"-p {port} -c listen_addresses=127.0.0.1 -k {base} -c fsync=off"
    _run([*as_user, bindir / "pg_ctl", "-D", data, "-l", log, "-o", options, "-w", "-t", "30", "start"], log)
    _run([*as_user, bindir / "createdb", "-h", "127.0.0.1", "-p", port, "-U", "postgres", "gradebook"], log)
    return f"postgresql+psycopg2://postgres@127.0.0.1:{port}/gradebook"


def test_sync_on_postgresql(postgres_url, spec, notebooks, tmp_path):
    course = tmp_path / "course"
    prepare_course_dir(course, [A], db_url=postgres_url)
    assert postgres_url in (course / "nbgrader_config.py").read_text()  # plain nbgrader uses the same gradebook
    results = make_results(spec)
    sync_results(course, postgres_url, results, notebooks)
    first = gradebook_rows(postgres_url)
    sync_results(course, postgres_url, results, notebooks)
    assert gradebook_rows(postgres_url) == first
    assert_gradebook_matches(postgres_url, spec, results)
    assert not (course / "gradebook.db").exists()

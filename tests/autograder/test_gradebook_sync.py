"""Our grades in nbgrader's gradebook: idempotent, hand grades kept, and plain nbgrader agrees.

Runs on SQLite, and on a throwaway PostgreSQL server that the test starts itself (skipped
with the reason when the server binaries are absent).
"""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import nbformat
import pytest

from autograder.assignment import load_assignment
from autograder.build import REPO_ROOT
from autograder.gradebook_sync import default_db_url, prepare_course_dir, sync_results
from autograder.model import ExerciseResult, SubmissionResult
from autograder.nbgrader_setup import COURSE_ID, RELEASE_DIRECTORY, SOURCE_DIRECTORY, nbgrader_config
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
        assert len(gb.find_notebook(A, A).grade_cells) == 8


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
    assert len(rows) == 3 * 8


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
    assert len(theirs) == 8
    for cell in spec.tests:
        assert theirs[cell.grade_id] == ours[cell.grade_id] == (cell.points, False), cell.grade_id
    assert theirs["why_not_xor"] == ours["why_not_xor"] == (None, True)


def test_unsafe_student_ids_are_rejected(course, spec):
    result = full_marks(spec, "../escape")
    with pytest.raises(ValueError, match="folder name"):
        sync_results(course, default_db_url(course), [result], {})


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

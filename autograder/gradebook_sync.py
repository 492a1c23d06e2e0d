"""Record our grades in nbgrader's gradebook, so that formgrader and plain nbgrader work on them.

The course directory written here is an ordinary nbgrader course::

    course_dir/
        nbgrader_config.py                              (written by write_nbgrader_config)
        source_notebooks/<assignment>/<assignment>.ipynb (copied from the repository)
        release/<assignment>/…                          (nbgrader generate_assignment)
        submitted/<student>/<assignment>/<assignment>.ipynb + timestamp.txt   (the learner's bytes)
        autograded/<student>/<assignment>/<assignment>.ipynb  (what formgrader renders)
        gradebook.db                                    (unless another --db-url is given)

Everything goes through ``nbgrader.api.Gradebook`` (no raw SQL), once per submission in one
transaction, from the main process only. Writing the same results again changes nothing;
a changed result replaces the old one; hand grades entered in formgrader are never erased.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .build import REPO_ROOT
from .files import atomic_write
from .model import SubmissionResult
from .nbgrader_setup import COURSE_ID, SOURCE_DIRECTORY, ensure_tools_on_path, nbgrader_config, write_nbgrader_config

__all__ = ["prepare_course_dir", "sync_results", "default_db_url"]

log = logging.getLogger(__name__)

SUBMITTED_DIRECTORY = "submitted"
AUTOGRADED_DIRECTORY = "autograded"
TIMESTAMP_FILE = "timestamp.txt"
#: nbgrader's own timestamp format (ExchangeSubmit.timestamp_format), read back by ``utils.parse_utc``.
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f %Z"


def default_db_url(course_dir: Path) -> str:
    """The gradebook nbgrader uses in ``course_dir`` when no URL is given (SQLite)."""
    return nbgrader_config(Path(course_dir)).CourseDirectory.db_url


def prepare_course_dir(
    course_dir: Path, assignments: list[str], repo_root: Path = REPO_ROOT, db_url: str | None = None
) -> None:
    """Make ``course_dir`` an nbgrader course holding ``assignments``, with a gradebook that knows them.

    Copies ``repo_root/source_notebooks/<id>/`` (the repository stays the one source of
    truth: the copy is refreshed each time), writes ``nbgrader_config.py`` and runs nbgrader's
    ``generate_assignment``, which records the assignment, its notebook and its graded cells in
    the gradebook at ``db_url`` (default: ``course_dir/gradebook.db``). When ``db_url`` is not
    the default, ``nbgrader_config.py`` names it too, so that plain nbgrader commands run in
    ``course_dir`` (formgrader, ``nbgrader autograde``) use the same gradebook.

    Raises RuntimeError when nbgrader reports a failure (its API returns success=False rather
    than raising).
    """
    from nbgrader.apps import NbGraderAPI

    course_dir = Path(course_dir).resolve()
    repo_root = Path(repo_root).resolve()
    course_dir.mkdir(parents=True, exist_ok=True)
    db_url = db_url or default_db_url(course_dir)
    for assignment in assignments:
        source = repo_root / SOURCE_DIRECTORY / assignment
        if not (source / f"{assignment}.ipynb").exists():
            raise FileNotFoundError(f"unknown assignment {assignment!r}: {source}/{assignment}.ipynb does not exist")
        target = course_dir / SOURCE_DIRECTORY / assignment
        if target.resolve() != source:
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(source, target)
    config_path = write_nbgrader_config(course_dir)
    if db_url != default_db_url(course_dir):
        with config_path.open("a", encoding="utf-8") as fh:
            fh.write(f"c.CourseDirectory.db_url = {db_url!r}  # the gradebook of `autograder grade --db-url`\n")
    api = NbGraderAPI(config=nbgrader_config(course_dir, db_url))
    for assignment in assignments:
        result = api.generate_assignment(assignment, force=True, create=True)
        if not result["success"]:
            raise RuntimeError(
                f"nbgrader generate_assignment {assignment} failed in {course_dir}:\n"
                f"{result.get('error') or ''}\n{result.get('log') or ''}"
            )


def _timestamp_of(path: Path) -> str:
    mtime = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
    return mtime.strftime(TIMESTAMP_FORMAT)


@dataclass
class _Files:
    """What to write under submitted/ and autograded/ for one submission (after its grades are committed)."""

    folder: Path  # submitted/<student>/<assignment>/
    view_path: Path  # autograded/<student>/<assignment>/<assignment>.ipynb
    data: bytes | None  # the learner's notebook bytes (None: no file given)
    changed: bool  # differs from the copy of a previous run (or there was none)
    timestamp: str | None


def _plan_files(course_dir: Path, result: SubmissionResult, source: Path | None) -> _Files:
    student, assignment = result.student_id, result.assignment
    folder = course_dir / SUBMITTED_DIRECTORY / student / assignment
    view_path = course_dir / AUTOGRADED_DIRECTORY / student / assignment / f"{assignment}.ipynb"
    previous = folder / f"{assignment}.ipynb"
    stamp = folder / TIMESTAMP_FILE
    old_stamp = stamp.read_text(encoding="utf-8").strip() if stamp.exists() else None
    if source is None or not Path(source).is_file():
        return _Files(folder, view_path, None, False, old_stamp)
    data = Path(source).read_bytes()
    changed = not previous.exists() or previous.read_bytes() != data
    # The modification time of the learner's file, kept from the first run that saw these bytes.
    timestamp = old_stamp if old_stamp and not changed else _timestamp_of(Path(source))
    return _Files(folder, view_path, data, changed, timestamp)


def _write_files(files: _Files, assignment: str, db_url: str) -> None:
    if files.data is None:
        return
    if files.timestamp:
        atomic_write(files.folder / TIMESTAMP_FILE, (files.timestamp + "\n").encode())
    atomic_write(files.folder / f"{assignment}.ipynb", files.data)
    if files.changed or not files.view_path.exists():
        view = _formgrader_view(files.data, assignment, db_url)
        if view is None:
            files.view_path.unlink(missing_ok=True)
        else:
            atomic_write(files.view_path, view)


def _formgrader_view(data: bytes, assignment: str, db_url: str) -> bytes | None:
    """The notebook formgrader renders: the learner's cells, outputs cleared, graded cells restored.

    Applies nbgrader's own sanitising preprocessors (ClearOutput, OverwriteCells, which puts
    back the instructor's version of every locked or graded cell from the gradebook, as the
    first step of ``nbgrader autograde`` does). None when the file is not a readable notebook.
    """
    from nbgrader.preprocessors import ClearOutput, OverwriteCells

    try:
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
    except Exception:  # broken JSON, not UTF-8, unknown format: nothing formgrader could show
        return None
    resources = {"nbgrader": {"notebook": assignment, "assignment": assignment, "db_url": db_url}}
    nb, resources = ClearOutput().preprocess(nb, resources)
    try:
        nb, _ = OverwriteCells().preprocess(nb, resources)
    except Exception as error:  # malformed nbgrader metadata: show the cleared notebook as is
        log.warning("%s: cells not restored for formgrader (%s)", assignment, error)
    return nbformat.writes(nb).encode("utf-8")


def _record_grades(gb, db_url: str, result: SubmissionResult, files: _Files) -> None:
    from nbgrader.api import Grade, MissingEntry

    student, assignment = result.student_id, result.assignment
    try:
        notebook = gb.find_notebook(assignment, assignment)
    except MissingEntry:
        raise RuntimeError(
            f"assignment {assignment!r} is not in the gradebook {db_url}: run prepare_course_dir first"
        ) from None
    gb.update_or_create_student(student)
    if files.timestamp:
        gb.update_or_create_submission(assignment, student, timestamp=files.timestamp)
    else:
        gb.update_or_create_submission(assignment, student)

    ours = {e.grade_id: e for e in result.exercises}
    known = {cell.name for cell in notebook.grade_cells}
    for grade_id in sorted(set(ours) - known):
        log.warning("%s/%s: grade_id %r is not in the gradebook; not recorded", student, assignment, grade_id)
    for cell in notebook.grade_cells:
        try:
            grade = gb.find_grade(cell.name, assignment, assignment, student)
        except MissingEntry:  # the cell was added to the assignment after this submission was created
            grade = Grade(cell_id=cell.id, notebook=gb.find_submission_notebook(assignment, assignment, student))
            gb.db.add(grade)
        exercise = ours.get(cell.name)
        if exercise is None:
            # no result for a graded cell (e.g. the notebook could not be read): 0 points, as
            # nbgrader autograde gives to a missing notebook
            auto_score: float | None = 0.0
        else:
            auto_score = None if exercise.score is None else float(exercise.score)
        if auto_score is None:  # to be graded by hand (written answer)
            needs_manual = True if grade.manual_score is None else (grade.needs_manual_grade or files.changed)
        elif grade.manual_score is None:
            needs_manual = False
        else:  # a grader overrode this cell: ask for a review only when something changed
            needs_manual = grade.needs_manual_grade or files.changed or grade.auto_score != auto_score
        if grade.auto_score != auto_score:
            grade.auto_score = auto_score
        if grade.needs_manual_grade != needs_manual:
            grade.needs_manual_grade = needs_manual


def sync_results(
    course_dir: Path,
    db_url: str,
    results: Iterable[SubmissionResult],
    submission_paths: dict[tuple[str, str], Path],
) -> None:
    """Record ``results`` in the gradebook at ``db_url`` and put the notebooks where nbgrader expects them.

    For each result: adds the student and the submission if needed; sets ``auto_score`` of
    every graded cell to our score (0 for a cell without a result); written answers (score
    None) keep ``auto_score`` None and need a manual grade. A manual score entered in
    formgrader is kept; it is flagged for review (``needs_manual_grade``) when the notebook or
    our score changed. The grades of one submission are committed together; then the notebook
    ``submission_paths[(student, assignment)]`` is copied to
    ``submitted/<student>/<assignment>/<assignment>.ipynb`` (with nbgrader's ``timestamp.txt``:
    the file's modification time when these bytes were first seen) and a formgrader view of it
    to ``autograded/…`` (formgrader lists and renders only autograded notebooks).

    ``prepare_course_dir`` must have been run for the assignments (with the same ``db_url``).
    """
    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SAWarning

    course_dir = Path(course_dir).resolve()
    results = sorted(results, key=lambda r: (r.student_id, r.assignment))
    for result in results:  # before anything is written
        _check_path_component(result.student_id, "student_id")
        _check_path_component(result.assignment, "assignment")
    ensure_tools_on_path()  # nbgrader's Gradebook runs the `alembic` command
    with Gradebook(db_url, course_id=COURSE_ID) as gb, warnings.catch_warnings():
        # nbgrader's add_submission builds its rows while the session autoflushes, which makes
        # SQLAlchemy warn ("Object of type <SubmittedAssignment> not in session") for every new
        # submission; the rows are written correctly (nbgrader 0.9.6, api.py add_submission).
        warnings.filterwarnings("ignore", category=SAWarning, message=".*not in session.*")
        for result in results:
            files = _plan_files(course_dir, result, submission_paths.get((result.student_id, result.assignment)))
            try:
                _record_grades(gb, db_url, result, files)
                gb.db.commit()
            except BaseException:
                gb.db.rollback()
                raise
            _write_files(files, result.assignment, db_url)


def _check_path_component(value: str, what: str) -> None:
    if not value or value in (".", "..") or "/" in value or "\\" in value or "\0" in value:
        raise ValueError(f"{what} {value!r} cannot be used as a folder name")

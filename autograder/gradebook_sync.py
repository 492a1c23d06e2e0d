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
The gradebook is the one place of the hand grades: ``read_manual_scores`` reads the grades of
the written answers back (after ``sync_results``, which flags for review the ones whose
notebook changed), so that the reports of ``autograder grade`` include them.

What comes from the learner is made harmless on the way in:

- Student ids. nbgrader uses the id as a folder name (``submitted/<student>/…``) and writes it
  unescaped into formgrader's pages, so the gradebook stores ``safe_name(student_id)``
  (:mod:`autograder.safe_names`): the id itself when it is a portable file name (``alice``),
  else a readable part and a hash (``山田_太郎~…``). ``sync_results`` returns the ids it
  stored under another name, and ``autograder grade`` lists them.
- The notebook formgrader renders (``autograded/``): outputs are removed, metadata is reduced to
  the nbgrader metadata of the assignment's own cells, and every Markdown or raw cell that is
  not the instructor's text is made inert: no HTML tag, no character reference, no
  ``javascript:``/``vbscript:``/``data:`` link can take effect (nbconvert, which formgrader
  uses, passes raw HTML and every link scheme through), while the text stays readable.
- Submission times: ``SubmissionResult.timestamp`` (nbgrader's ``timestamp.txt``, else when a
  grading run first saw the notebook), else when the gradebook first saw these bytes; never
  the file's modification time, which the learner controls (a zip keeps any date).
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import logging
import math
import re
import shutil
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from .build import REPO_ROOT
from .files import atomic_write
from .model import SubmissionResult, is_timestamp, timestamp_text
from .nbgrader_setup import (
    COURSE_ID,
    RELEASE_DIRECTORY,
    SOURCE_DIRECTORY,
    ensure_tools_on_path,
    nbgrader_config,
    write_nbgrader_config,
)
from .notebook_reading import too_many_containers
from .safe_names import safe_name

__all__ = [
    "AssignmentNotInGradebook",
    "HandGrades",
    "default_db_url",
    "prepare_course_dir",
    "read_manual_scores",
    "sync_results",
    "sync_with_gradebook",
]

log = logging.getLogger(__name__)

SUBMITTED_DIRECTORY = "submitted"
AUTOGRADED_DIRECTORY = "autograded"
TIMESTAMP_FILE = "timestamp.txt"  # nbgrader's, in model.TIMESTAMP_FORMAT


def default_db_url(course_dir: Path) -> str:
    """The gradebook nbgrader uses in ``course_dir`` when no URL is given (SQLite)."""
    return nbgrader_config(Path(course_dir)).CourseDirectory.db_url


#: What ``prepare_course_dir`` generated last, per assignment: the key of its inputs (course_dir-relative).
GENERATED_STAMPS = Path(".autograder") / "generated.json"


class AssignmentNotInGradebook(RuntimeError):
    """The gradebook lacks an assignment that ``prepare_course_dir`` should have recorded."""


def _generation_key(source: Path, db_url: str) -> str:
    """What nbgrader's generate_assignment output depends on: the source folder's files, the gradebook,
    nbgrader's version and the course's nbgrader configuration (code stubs, directories)."""
    from importlib.metadata import version  # not ``import nbgrader``: its package imports take a second

    digest = hashlib.sha256()
    for part in (db_url, version("nbgrader"), Path(__file__).with_name("nbgrader_setup.py").read_text("utf-8")):
        digest.update(part.encode("utf-8") + b"\0")
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        digest.update(path.relative_to(source).as_posix().encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _read_stamps(path: Path) -> dict[str, str]:
    try:
        stamps = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return (
        {k: v for k, v in stamps.items() if isinstance(k, str) and isinstance(v, str)}
        if isinstance(stamps, dict)
        else {}
    )


def _gradebook_file_present(db_url: str) -> bool:
    """False when the gradebook is an SQLite file that does not exist (any other URL: assumed present)."""
    prefix = "sqlite:///"
    return not db_url.startswith(prefix) or Path(db_url[len(prefix) :]).is_file()


def prepare_course_dir(
    course_dir: Path,
    assignments: list[str],
    repo_root: Path = REPO_ROOT,
    db_url: str | None = None,
    force: bool = False,
) -> list[str]:
    """Make ``course_dir`` an nbgrader course holding ``assignments``, with a gradebook that knows them.

    Copies ``repo_root/source_notebooks/<id>/`` (the repository stays the one source of
    truth), writes ``nbgrader_config.py`` and runs nbgrader's ``generate_assignment``, which
    records the assignment, its notebook and its graded cells in the gradebook at ``db_url``
    (default: ``course_dir/gradebook.db``). When ``db_url`` is not the default,
    ``nbgrader_config.py`` names it too, so that plain nbgrader commands run in ``course_dir``
    (formgrader, ``nbgrader autograde``) use the same gradebook.

    The work is done once per course version: an assignment whose source, gradebook URL, nbgrader
    version and configuration are those of the last generation here (``GENERATED_STAMPS``), whose
    release notebook exists and whose SQLite gradebook file exists, is left as it is (4 s saved per
    assignment and run). ``force`` generates anyway (``sync_with_gradebook`` does when the gradebook
    turns out to lack the assignment). Returns the assignments generated.

    Raises RuntimeError when nbgrader reports a failure (its API returns success=False rather
    than raising).
    """
    course_dir = Path(course_dir).resolve()
    repo_root = Path(repo_root).resolve()
    course_dir.mkdir(parents=True, exist_ok=True)
    db_url = db_url or default_db_url(course_dir)
    stamps_path = course_dir / GENERATED_STAMPS
    stamps = _read_stamps(stamps_path)
    keys, todo = {}, []
    for assignment in assignments:
        source = repo_root / SOURCE_DIRECTORY / assignment
        if not (source / f"{assignment}.ipynb").exists():
            raise FileNotFoundError(f"unknown assignment {assignment!r}: {source}/{assignment}.ipynb does not exist")
        keys[assignment] = _generation_key(source, db_url)
        released = course_dir / RELEASE_DIRECTORY / assignment / f"{assignment}.ipynb"
        if force or stamps.get(assignment) != keys[assignment] or not released.is_file():
            todo.append(assignment)
        elif not _gradebook_file_present(db_url):
            todo.append(assignment)
    for assignment in todo:
        source, target = repo_root / SOURCE_DIRECTORY / assignment, course_dir / SOURCE_DIRECTORY / assignment
        if target.resolve() != source:
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(source, target)
    config_path = write_nbgrader_config(course_dir)
    if db_url != default_db_url(course_dir):
        with config_path.open("a", encoding="utf-8") as fh:
            fh.write(f"c.CourseDirectory.db_url = {db_url!r}  # the gradebook of `autograder grade --db-url`\n")
    if not todo:
        return []
    from nbgrader.apps import NbGraderAPI  # a heavy import (nbconvert, the server): only when generating

    api = NbGraderAPI(config=nbgrader_config(course_dir, db_url))
    for assignment in todo:
        stamps.pop(assignment, None)  # not up to date until generated
        atomic_write(stamps_path, json.dumps(stamps, indent=1, sort_keys=True).encode("utf-8"))
        result = api.generate_assignment(assignment, force=True, create=True)
        if not result["success"]:
            raise RuntimeError(
                f"nbgrader generate_assignment {assignment} failed in {course_dir}:\n"
                f"{result.get('error') or ''}\n{result.get('log') or ''}"
            )
        stamps[assignment] = keys[assignment]
        atomic_write(stamps_path, json.dumps(stamps, indent=1, sort_keys=True).encode("utf-8"))
    return todo


@dataclass
class _Files:
    """What to write under submitted/ and autograded/ for one submission (after its grades are committed)."""

    folder: Path  # submitted/<student>/<assignment>/
    view_path: Path  # autograded/<student>/<assignment>/<assignment>.ipynb
    data: bytes | None  # the learner's notebook bytes (None: no file given)
    changed: bool  # differs from the copy of a previous run (or there was none)
    timestamp: str | None


def _plan_files(course_dir: Path, result: SubmissionResult, source: Path | None) -> _Files:
    student, assignment = safe_name(result.student_id), result.assignment
    folder = course_dir / SUBMITTED_DIRECTORY / student / assignment
    view_path = course_dir / AUTOGRADED_DIRECTORY / student / assignment / f"{assignment}.ipynb"
    previous = folder / f"{assignment}.ipynb"
    stamp = folder / TIMESTAMP_FILE
    old_stamp = stamp.read_text(encoding="utf-8").strip() if stamp.exists() else None
    if source is None or not Path(source).is_file():
        return _Files(folder, view_path, None, False, old_stamp)
    data = Path(source).read_bytes()
    changed = not previous.exists() or previous.read_bytes() != data
    if is_timestamp(result.timestamp):
        timestamp = result.timestamp  # timestamp.txt, or when a grading run first saw these bytes
    else:  # when the gradebook first saw these bytes
        timestamp = old_stamp if old_stamp and not changed else timestamp_text(dt.datetime.now(dt.UTC))
    return _Files(folder, view_path, data, changed, timestamp)


@dataclass(frozen=True)
class _Instructor:
    """What of an assignment's notebook is the instructor's, from its source notebook."""

    grade_ids: frozenset[str] = frozenset()  # of the cells nbgrader tracks
    markdown: frozenset[str] = frozenset()  # texts of the Markdown cells: shown as they are
    metadata: dict[str, Any] = field(default_factory=dict)  # kernelspec and language_info


def _instructor(course_dir: Path, assignment: str) -> _Instructor:
    try:
        nb = nbformat.read(course_dir / SOURCE_DIRECTORY / assignment / f"{assignment}.ipynb", as_version=4)
    except Exception:  # noqa: BLE001 - no source notebook: nothing is trusted, everything is made inert
        return _Instructor()
    ids = {cell.metadata.get("nbgrader", {}).get("grade_id") for cell in nb.cells}
    return _Instructor(
        frozenset(i for i in ids if isinstance(i, str)),
        frozenset(cell.source for cell in nb.cells if cell.cell_type == "markdown"),
        {key: nb.metadata[key] for key in ("kernelspec", "language_info") if key in nb.metadata},
    )


def _write_files(files: _Files, assignment: str, db_url: str, instructor: _Instructor) -> None:
    if files.data is None:
        return
    if files.timestamp:
        atomic_write(files.folder / TIMESTAMP_FILE, (files.timestamp + "\n").encode())
    atomic_write(files.folder / f"{assignment}.ipynb", files.data)
    if files.changed or not files.view_path.exists():
        view = _formgrader_view(files.data, assignment, db_url, instructor)
        if view is None:
            files.view_path.unlink(missing_ok=True)
        else:
            atomic_write(files.view_path, view)


def _formgrader_view(data: bytes, assignment: str, db_url: str, instructor: _Instructor) -> bytes | None:
    """The notebook formgrader renders: the learner's cells made inert, graded cells restored.

    Reduces every cell to what formgrader needs (``_plain_cells``), applies nbgrader's own
    preprocessors (ClearOutput, OverwriteCells, which puts back the instructor's version of every
    locked or graded cell from the gradebook, as the first step of ``nbgrader autograde`` does),
    then makes the learner's Markdown inert (``_inert_markdown``). None when the file is not a
    readable notebook.
    """
    from nbgrader.preprocessors import ClearOutput, OverwriteCells

    if too_many_containers(data):
        return None  # read_submission refused it too: it was graded as unreadable
    try:
        nb = _plain_cells(nbformat.reads(data.decode("utf-8"), as_version=4), instructor)
    except Exception:  # noqa: BLE001 - broken JSON, not UTF-8, unknown format: nothing formgrader could show
        return None
    resources = {"nbgrader": {"notebook": assignment, "assignment": assignment, "db_url": db_url}}
    nb, resources = ClearOutput().preprocess(nb, resources)
    try:
        nb, _ = OverwriteCells().preprocess(nb, resources)
    except Exception as error:  # noqa: BLE001 - malformed nbgrader metadata: show the cells as they are
        log.warning("%s: cells not restored for formgrader (%s)", assignment, error)
    try:
        nb = _plain_cells(nb, instructor)  # again: OverwriteCells may have changed a cell's type
        for cell in nb.cells:
            if cell.cell_type == "markdown" and cell.source not in instructor.markdown:
                cell.source = _inert_markdown(cell.source)
        return nbformat.writes(nb).encode("utf-8")
    except Exception as error:  # noqa: BLE001 - one notebook never stops the gradebook of the others
        log.warning("%s: no formgrader view (%s)", assignment, error)
        return None


_CELL_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_NBGRADER_FLAGS = ("grade", "solution", "locked", "task")
_RASTER_IMAGES = ("image/png", "image/jpeg", "image/gif")
_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]*")
#: What an attachment that is not a raster image shows instead: a transparent 1×1 PNG.
_BLANK_PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="


def _plain_cells(nb: nbformat.NotebookNode, instructor: _Instructor) -> nbformat.NotebookNode:
    """The cells rebuilt from their type, text and checked nbgrader metadata only.

    Code cells lose their outputs (text/html, application/javascript…); raw cells become
    Markdown (made inert like any other); cells of unknown types are dropped; metadata keeps
    only the nbgrader metadata of the assignment's own cells, with values of the right types
    (formgrader writes ``grade_id`` and ``points`` into its page unescaped); attachments keep
    raster images only (an SVG can hold a script); cell ids are checked; the notebook's
    metadata is the instructor's.
    """
    cells = []
    used: set[str] = set()
    for index, cell in enumerate(nb.get("cells") or []):
        kind = cell.get("cell_type") if isinstance(cell, dict) else None
        if kind not in ("code", "markdown", "raw"):
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source if isinstance(source, str) else ""
        metadata = cell.get("metadata")
        checked = _nbgrader_metadata(metadata.get("nbgrader") if isinstance(metadata, dict) else None, instructor)
        cell_id = cell.get("id")
        if not (isinstance(cell_id, str) and _CELL_ID.fullmatch(cell_id)) or cell_id in used:
            cell_id = f"cell-{index}"
        used.add(cell_id)
        plain = {"nbgrader": checked} if checked else {}
        if kind == "code":
            cells.append(nbformat.v4.new_code_cell(source, metadata=plain, id=cell_id))
            continue
        markdown = nbformat.v4.new_markdown_cell(source, metadata=plain, id=cell_id)
        attachments = cell.get("attachments")
        if isinstance(attachments, dict) and attachments:
            # every name stays (nbconvert fails on a reference to a missing one), with raster images only
            markdown.attachments = {
                str(name): {
                    mime: data
                    for mime, data in (bundle.items() if isinstance(bundle, dict) else ())
                    if mime in _RASTER_IMAGES and isinstance(data, str) and _BASE64.fullmatch(data)
                }
                or {"image/png": _BLANK_PNG}
                for name, bundle in attachments.items()
            }
        cells.append(markdown)
    return nbformat.v4.new_notebook(cells=cells, metadata=nbformat.from_dict(dict(instructor.metadata)))


def _nbgrader_metadata(value: object, instructor: _Instructor) -> dict[str, Any] | None:
    """nbgrader metadata with a known grade_id and values of the right types only, or None."""
    if not isinstance(value, dict) or not isinstance(value.get("grade_id"), str):
        return None
    if value["grade_id"] not in instructor.grade_ids:
        return None
    checked: dict[str, Any] = {"grade_id": value["grade_id"]}
    checked.update({flag: value[flag] for flag in _NBGRADER_FLAGS if isinstance(value.get(flag), bool)})
    points = value.get("points")
    if isinstance(points, int | float) and not isinstance(points, bool) and math.isfinite(points) and points >= 0:
        checked["points"] = points
    if isinstance(value.get("schema_version"), int):
        checked["schema_version"] = value["schema_version"]
    if isinstance(value.get("checksum"), str) and re.fullmatch(r"[0-9a-f]{1,128}", value["checksum"]):
        checked["checksum"] = value["checksum"]
    if value.get("cell_type") in ("code", "markdown"):
        checked["cell_type"] = value["cell_type"]
    return checked


_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# "<" that starts an HTML tag, comment, declaration or autolink; "&" that starts a character reference
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_REFERENCE_START = re.compile(r"&(?=[#A-Za-z])")
# a link scheme that runs code (also in MathJax's \href), spelt with white space or "\:" if need be
_SCRIPT_SCHEME = re.compile(
    "(?i)("
    + "|".join(r"\s*".join(scheme) for scheme in ("javascript", "vbscript", "livescript", "data"))
    + r")(\s*\\?:)"
)


def _inert_markdown(text: str) -> str:
    """Markdown whose rendering holds no HTML of the learner's and no link that runs code.

    ``<`` before a letter, ``/``, ``!`` or ``?`` becomes the full-width ``＜`` (so ``<script>``
    reads ``＜script>``, in text and in formulas alike); a zero-width space follows every ``&``
    before ``#`` or a letter, so that no character reference can spell a tag, a letter or a
    ``:`` (mistune decodes references in link targets, even ``&amp;#58;``); a zero-width space
    goes between ``javascript``/``vbscript``/``data`` and ``:``, so such a URL has no scheme;
    control characters go. Everything else, Markdown formatting and formulas included, is kept.
    """
    text = _CONTROL_CHARACTERS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _TAG_START.sub("\uff1c", _REFERENCE_START.sub("&\u200b", text))
    return _SCRIPT_SCHEME.sub("\\1\u200b\\2", text)


def _record_grades(gb, db_url: str, result: SubmissionResult, files: _Files) -> None:
    from nbgrader.api import Grade, MissingEntry

    student, assignment = safe_name(result.student_id), result.assignment
    try:
        notebook = gb.find_notebook(assignment, assignment)
    except MissingEntry:
        raise AssignmentNotInGradebook(
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
) -> dict[str, str]:
    """Record ``results`` in the gradebook at ``db_url`` and put the notebooks where nbgrader expects them.

    For each result: adds the student and the submission if needed; sets ``auto_score`` of
    every graded cell to our score (0 for a cell without a result); written answers (score
    None) keep ``auto_score`` None and need a manual grade. A manual score entered in
    formgrader is kept; it is flagged for review (``needs_manual_grade``) when the notebook or
    our score changed. The grades of one submission are committed together; then the notebook
    ``submission_paths[(student, assignment)]`` is copied to
    ``submitted/<student>/<assignment>/<assignment>.ipynb`` (with nbgrader's ``timestamp.txt``:
    the result's ``timestamp``, else when these bytes were first synced) and a view of it made
    inert to ``autograded/…`` (formgrader lists and renders only autograded notebooks).

    ``<student>``, in the folders and in the gradebook, is ``safe_name(student_id)``. Returns
    {student_id: the id in the gradebook} for the ids stored under another name. Should two ids
    share a name (a 64-bit hash collision; discovery already refuses it), only the first is
    recorded and the other is logged.

    ``prepare_course_dir`` must have been run for the assignments (with the same ``db_url``).
    """
    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SAWarning

    course_dir = Path(course_dir).resolve()
    results = sorted(results, key=lambda r: (r.student_id, r.assignment))
    for result in results:  # before anything is written: assignment ids are ours, a bad one is a bug
        _check_path_component(result.assignment, "assignment")
    owners = _owners(results)
    kept = [r for r in results if owners[safe_name(r.student_id)] == r.student_id]
    for result in results:
        if owners[safe_name(result.student_id)] != result.student_id:
            log.warning(
                "student id %r shares the gradebook id of %r; not recorded",
                result.student_id,
                owners[safe_name(result.student_id)],
            )
    instructor = {assignment: _instructor(course_dir, assignment) for assignment in {r.assignment for r in kept}}
    ensure_tools_on_path()  # nbgrader's Gradebook runs the `alembic` command
    with Gradebook(db_url, course_id=COURSE_ID) as gb, warnings.catch_warnings():
        # nbgrader's add_submission builds its rows while the session autoflushes, which makes
        # SQLAlchemy warn ("Object of type <SubmittedAssignment> not in session") for every new
        # submission; the rows are written correctly (nbgrader 0.9.6, api.py add_submission).
        warnings.filterwarnings("ignore", category=SAWarning, message=".*not in session.*")
        for result in kept:
            files = _plan_files(course_dir, result, submission_paths.get((result.student_id, result.assignment)))
            try:
                _record_grades(gb, db_url, result, files)
                gb.db.commit()
            except BaseException:
                gb.db.rollback()
                raise
            _write_files(files, result.assignment, db_url, instructor[result.assignment])
    return {student: name for name, student in sorted(owners.items()) if name != student}


def sync_with_gradebook(
    course_dir: Path, db_url: str, assignments: list[str], results: list[SubmissionResult], paths: dict
) -> dict[str, str]:
    """``prepare_course_dir`` then ``sync_results`` (same arguments and result as the latter).

    When the gradebook lacks an assignment although the course directory says it was generated
    (a gradebook emptied or replaced behind our back), the assignments are generated again and
    the results recorded once more (recording them twice changes nothing).
    """
    prepare_course_dir(course_dir, assignments, db_url=db_url)
    try:
        return sync_results(course_dir, db_url, results, paths)
    except AssignmentNotInGradebook:
        prepare_course_dir(course_dir, assignments, db_url=db_url, force=True)
        return sync_results(course_dir, db_url, results, paths)


def _owners(results: Iterable[SubmissionResult]) -> dict[str, str]:
    """{id in the gradebook: the student id recorded under it}: the first in (student, assignment) order."""
    owners: dict[str, str] = {}
    for result in sorted(results, key=lambda r: (r.student_id, r.assignment)):
        owners.setdefault(safe_name(result.student_id), result.student_id)
    return owners


@dataclass
class HandGrades:
    """What :func:`read_manual_scores` found in the gradebook."""

    results: list[SubmissionResult]  # copies of the results, with the hand grades of the written answers
    graded: int = 0  # written answers with a hand grade that counts
    pending: int = 0  # written answers still awaiting their grader
    review: int = 0  # of these: graded once, flagged for review since (the notebook changed)
    problems: list[str] = field(default_factory=list)  # hand grades that do not count, and why (for the instructor)


def _points_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def read_manual_scores(db_url: str, results: Iterable[SubmissionResult]) -> HandGrades:
    """``results`` with the grades that graders entered in formgrader for their written answers.

    A written answer is an exercise without a score. It takes ``manual_score`` of its cell in the
    gradebook at ``db_url`` when a grader entered one and the cell is not flagged for review
    (``needs_manual_grade``: ``sync_results`` sets it when the notebook or our score changed since,
    so call this after ``sync_results`` with the same results). Otherwise it stays pending (score
    None): no grade yet, no submission in the gradebook, or a student whose gradebook id belongs to
    another (``sync_results`` does not record them). A hand grade that is not a number in
    [0, max_score] of the answer (e.g. the database was edited by hand) does not count either: the
    answer stays pending and ``problems`` says which one. Extra credit is not counted (also said).
    Autograded cells keep our score. ``results`` themselves are not changed (the saved results
    keep no hand grade: the gradebook is their one place).
    """
    from nbgrader.api import Gradebook, MissingEntry

    results = list(results)
    owners = _owners(results)
    hand = HandGrades(results=[])
    ensure_tools_on_path()  # nbgrader's Gradebook runs the `alembic` command
    with Gradebook(db_url, course_id=COURSE_ID) as gb:
        for original in results:
            result = copy.deepcopy(original)
            hand.results.append(result)
            written = [e for e in result.exercises if e.score is None]
            if not written:
                continue
            student, assignment = safe_name(result.student_id), result.assignment
            grades = {}
            if owners[student] == result.student_id:
                try:
                    grades = {g.name: g for g in gb.find_submission_notebook(assignment, assignment, student).grades}
                except MissingEntry:
                    pass
            who = f"{result.student_id!r}" + (f" (成績簿では {student})" if student != result.student_id else "")
            for exercise in written:
                grade = grades.get(exercise.grade_id)
                manual = None if grade is None else grade.manual_score
                if manual is None or grade.needs_manual_grade:
                    hand.pending += 1
                    hand.review += manual is not None
                    continue
                score = float(manual)
                if not (math.isfinite(score) and 0.0 <= score <= exercise.max_score):
                    hand.pending += 1
                    hand.problems.append(
                        f"{who}/{assignment} の記述問題 {exercise.grade_id}: 成績簿の点 {manual!r} は "
                        f"0〜{_points_text(exercise.max_score)} 点の範囲外なので数えず、採点待ちのままにします。"
                        "formgrader で付け直してください (hand grade out of range: not counted)。"
                    )
                    continue
                exercise.score, exercise.manual = score, True
                hand.graded += 1
                if grade.extra_credit:
                    hand.problems.append(
                        f"{who}/{assignment} の記述問題 {exercise.grade_id}: 加点 (extra credit) "
                        f"{grade.extra_credit!r} は数えません (not counted)。"
                    )
    return hand


def _check_path_component(value: str, what: str) -> None:
    """An assignment id (ours, not the learner's) as a folder name; ValueError if it cannot be one."""
    if not value or value in (".", "..") or "/" in value or "\\" in value or "\0" in value:
        raise ValueError(f"{what} {value!r} cannot be used as a folder name")

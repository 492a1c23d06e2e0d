"""nbgrader's own verdicts: validate, validate --invert, and autograde of filled and blank releases.

`nbgrader validate` exits 0 even when validation fails (nbgrader #1908), so these tests read
the validator's results, never an exit code.
"""

import shutil
from pathlib import Path

import nbformat
import pytest

from autograder.build import assignment_ids
from autograder.nbgrader_setup import nbgrader_config
from autograder.synthetic import fill_release

ASSIGNMENTS = assignment_ids()


def _validator(course_dir: Path, invert: bool):
    from nbgrader.validator import Validator

    config = nbgrader_config(course_dir)
    config.Validator.invert = invert
    return Validator(config=config)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_validate_passes_on_source(course_dir, assignment):
    course_dir = course_dir(assignment)
    path = course_dir / "source_notebooks" / assignment / f"{assignment}.ipynb"
    results = _validator(course_dir, invert=False).validate(str(path))
    assert results == {}, results


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_validate_invert_passes_on_release(course_dir, assignment):
    """On the unfilled stubs every test cell fails, except the cells that hold their checks until an
    earlier exercise passes (``course.checks.builds_on``), or the rules of an exercise until its core
    passes (``course.checks.core_passes``): on the stubs neither passes, so such a cell only prints why
    it waits (保留). Its exercise still scores 0: see the autograde tests."""
    course_dir = course_dir(assignment)
    path = course_dir / "release" / assignment / f"{assignment}.ipynb"
    results = _validator(course_dir, invert=True).validate(str(path))
    passed = [cell["source"] for cell in results.pop("passed", [])]
    assert results == {}, f"validate --invert reported: {results}"
    held = ("\nif builds_on(", "\nif core_passes(")
    not_held = [source for source in passed if not any(gate in f"\n{source}" for gate in held)]
    assert not not_held, f"tests that pass on the unfilled stubs: {not_held}"


def _autograde(course_dir: Path, assignment: str, student: str, nb: nbformat.NotebookNode) -> dict[str, tuple]:
    """Submit ``nb`` as ``student``, run nbgrader autograde, return grade_id → (auto_score, max_score)."""
    from nbgrader.api import Gradebook
    from nbgrader.apps import NbGraderAPI

    folder = course_dir / "submitted" / student / assignment
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / f"{assignment}.ipynb")
    config = nbgrader_config(course_dir)
    result = NbGraderAPI(config=config).autograde(assignment, student)
    assert result["success"], result.get("log")
    with Gradebook(config.CourseDirectory.db_url) as gb:
        submission = gb.find_submission_notebook(assignment, assignment, student)
        return {g.name: (g.auto_score, g.max_score) for g in submission.grades if g.cell.cell_type == "code"}


def _release_and_source(course_dir: Path, assignment: str):
    release = nbformat.read(course_dir / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    source = nbformat.read(course_dir / "source_notebooks" / assignment / f"{assignment}.ipynb", as_version=4)
    return release, source


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_autograde_filled_release_full_marks_and_blank_zero(course_dir, assignment):
    course_dir = course_dir(assignment)
    release, source = _release_and_source(course_dir, assignment)
    filled = _autograde(course_dir, assignment, "filled", fill_release(release, source))
    assert filled and all(score == max_score for score, max_score in filled.values()), filled
    blank = _autograde(course_dir, assignment, "blank", release)
    assert all(score == 0 for score, _ in blank.values()), blank

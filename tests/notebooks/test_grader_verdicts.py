"""Our grader agrees with the invariants for every chapter: the filled release scores full marks
(without any problem reported), the blank release scores 0."""

import nbformat
import pytest

from autograder.build import REPO_ROOT, assignment_ids
from autograder.grade_command import run_grade
from autograder.synthetic import fill_release

ASSIGNMENTS = assignment_ids()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("verdicts")
    for assignment in ASSIGNMENTS:
        release = nbformat.read(REPO_ROOT / "release" / assignment / f"{assignment}.ipynb", as_version=4)
        source = nbformat.read(REPO_ROOT / "source_notebooks" / assignment / f"{assignment}.ipynb", as_version=4)
        for student, nb in (("filled", fill_release(release, source)), ("blank", release)):
            folder = root / "submissions" / student / assignment
            folder.mkdir(parents=True)
            nbformat.write(nb, folder / f"{assignment}.ipynb")
    run = run_grade(root / "submissions", root / "out", workers=2, show_progress=False, log=lambda m: None)
    return {(r.student_id, r.assignment): r for r in run.results}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_filled_full_marks_blank_zero(graded, assignment):
    filled, blank = graded[("filled", assignment)], graded[("blank", assignment)]
    auto = [e for e in filled.exercises if not e.manual]
    assert auto and all(e.score == e.max_score for e in auto), [(e.grade_id, e.message) for e in auto if e.message]
    assert filled.problems == [], filled.problems
    assert all(e.score == 0 for e in blank.exercises if not e.manual)
    assert all(e.score is None for e in filled.exercises if e.manual)  # written answers wait for a human

"""Every catalogued mistake loses points where it should, with a diagnostic that names the cause;
every catalogued correct variant keeps full marks, all through the real grader (`run_grade`), and
passes the public tests that the learner runs."""

from __future__ import annotations

import nbformat
import pytest

from autograder.build import REPO_ROOT
from autograder.catalogue import Variant, apply, assignments_with_entries, load
from autograder.grade_command import run_grade
from autograder.synthetic import fill_release, solution_cells
from course.selfcheck import check_notebook

ENTRIES: list[tuple[str, Variant]] = [(a, v) for a in assignments_with_entries() for v in load(a)]


def _notebooks(assignment: str):
    release = nbformat.read(REPO_ROOT / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    source = nbformat.read(REPO_ROOT / "source_notebooks" / assignment / f"{assignment}.ipynb", as_version=4)
    return release, source


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """(entry ident, assignment) → its grading result. The entries of one assignment are graded
    together in a single run, the first time one of them is asked for (so ``-k ch06`` grades ch06 only)."""
    root = tmp_path_factory.mktemp("catalogue")
    results: dict = {}

    def result(ident: str, assignment: str):
        if (ident, assignment) not in results:
            release, source = _notebooks(assignment)
            cells = solution_cells(source)
            submissions = root / assignment / "submissions"
            for variant in load(assignment):
                folder = submissions / variant.ident / assignment
                folder.mkdir(parents=True)
                code = apply(variant, cells[variant.solution])
                filled = fill_release(release, source, overrides={variant.solution: code})
                nbformat.write(filled, folder / f"{assignment}.ipynb")
            run = run_grade(submissions, root / assignment / "out", workers=2, show_progress=False, log=lambda m: None)
            results.update({(r.student_id, r.assignment): r for r in run.results})
        return results[(ident, assignment)]

    return result


def test_identifiers_are_unique_and_entries_apply():
    assert len({(a, v.ident) for a, v in ENTRIES}) == len(ENTRIES)
    for assignment, variant in ENTRIES:
        apply(variant, solution_cells(_notebooks(assignment)[1])[variant.solution])  # raises if stale
        assert variant.ja and variant.en
        assert variant.correct or (variant.breaks and variant.hint), variant.ident


# one xdist group per assignment (`.ci/run` uses --dist loadgroup): its entries are graded once, in one run
@pytest.mark.parametrize(
    ("assignment", "variant"),
    [pytest.param(a, v, id=f"{a}:{v.ident}", marks=pytest.mark.xdist_group(a)) for a, v in ENTRIES],
)
def test_entry(graded, assignment, variant):
    result = graded(variant.ident, assignment)
    auto = {e.grade_id: e for e in result.exercises if not e.manual}
    if variant.correct:
        lost = {g: e.message for g, e in auto.items() if e.score != e.max_score}
        assert not lost, f"a correct variant lost points: {lost}"
        return
    for grade_id, exercise in auto.items():
        if grade_id in variant.breaks:
            assert exercise.score < exercise.max_score, f"{variant.en}: {grade_id} kept its points"
            assert variant.hint in exercise.message, f"diagnostic lacks {variant.hint!r}: {exercise.message}"
        else:
            assert exercise.score == exercise.max_score, f"{variant.en}: {grade_id} lost points: {exercise.message}"


@pytest.mark.parametrize(
    ("assignment", "variant"),
    [pytest.param(a, v, id=f"{a}:{v.ident}") for a, v in ENTRIES if v.correct],
)
def test_correct_variant_passes_the_public_tests(tmp_path, assignment, variant):
    """What the learner sees agrees with the grade: a correct variant passes every public test of its
    notebook too (``autograder check``; plain ``nbgrader autograde`` runs the same cells)."""
    release, source = _notebooks(assignment)
    code = apply(variant, solution_cells(source)[variant.solution])
    path = tmp_path / f"{assignment}.ipynb"
    nbformat.write(fill_release(release, source, overrides={variant.solution: code}), path)
    failed = {v.grade_id: v.message for v in check_notebook(path) if not v.passed}
    assert not failed, f"{variant.en}: public tests failed: {failed}"

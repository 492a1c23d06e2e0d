"""Generated notebooks are in sync with chapters/ and nbgrader, and leak no solution."""

import inspect
import re
from pathlib import Path

import nbformat
import pytest

import course.reference
from autograder.build import REPO_ROOT, assignment_ids, check_drift
from autograder.chapters import BEGIN_HIDDEN, BEGIN_SOLUTION, END_HIDDEN, END_SOLUTION
from course.hidden import hidden_check_names

ASSIGNMENTS = assignment_ids()

MARKERS = (BEGIN_SOLUTION, END_SOLUTION, BEGIN_HIDDEN, END_HIDDEN, "BEGIN MARK SCHEME", "END MARK SCHEME")


def test_every_chapter_has_source_and_release():
    assert ASSIGNMENTS, "no chapters found"
    for assignment in ASSIGNMENTS:
        assert (REPO_ROOT / "source_notebooks" / assignment / f"{assignment}.ipynb").exists()
        assert (REPO_ROOT / "release" / assignment / f"{assignment}.ipynb").exists()


def test_no_drift():
    problems = check_drift()
    assert not problems, "run `python -m autograder build` and commit:\n" + "\n".join(problems)


def test_release_has_no_markers_or_hidden_code():
    files = [p for p in (REPO_ROOT / "release").rglob("*") if p.is_file()]
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        for marker in (*MARKERS, "course.hidden", "course.reference", "run_hidden_check"):
            assert marker not in text, f"{path.relative_to(REPO_ROOT)} contains {marker!r}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_hidden_test_names_an_existing_check(assignment):
    nb = nbformat.read(REPO_ROOT / "source_notebooks" / assignment / f"{assignment}.ipynb", as_version=4)
    named = re.findall(r'run_hidden_check\("(\w+)", "(\w+)"', "\n".join(c.source for c in nb.cells))
    assert named and all(a == assignment for a, _ in named)
    assert sorted(name for _, name in named) == sorted(hidden_check_names(assignment))


def _parameters(function) -> list[tuple[str, object]]:
    """Names and defaults (type hints ignored: the notebook stubs carry none)."""
    return [(p.name, p.default) for p in inspect.signature(function).parameters.values()]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_signatures_match_reference(assignment):
    """Solution bodies come from course.reference; the signatures written in the chapter must match too."""
    nb = nbformat.read(REPO_ROOT / "source_notebooks" / assignment / f"{assignment}.ipynb", as_version=4)
    checked = 0
    for cell in nb.cells:
        if cell.cell_type != "code" or not cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
            continue
        # the reference names stand in for the [given] cells, so that e.g. `class AdamW(Adam)` can be defined
        given = {name: getattr(course.reference, name) for name in course.reference.__all__}
        namespace: dict = dict(given)
        exec(compile("import numpy as np\n" + cell.source, f"<{assignment}>", "exec"), namespace)
        for name, obj in namespace.items():
            if name not in course.reference.__all__ or obj is given[name]:
                continue
            ref = getattr(course.reference, name)
            if inspect.isclass(ref):
                for method, member in vars(ref).items():
                    if inspect.isfunction(member) and (method == "__init__" or not method.startswith("_")):
                        assert _parameters(getattr(obj, method)) == _parameters(member), f"{name}.{method}"
            else:
                assert _parameters(obj) == _parameters(ref), name
            checked += 1
    assert checked, f"{assignment}: no solution object matched a course.reference name"


def test_chapter_sources_do_not_contain_markers():
    # markers are inserted by the builder only; prose must never contain them
    for path in Path(REPO_ROOT / "chapters").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for marker in MARKERS:
            assert marker not in text, f"{path.name} contains {marker!r}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_written_questions_survive_in_the_release(assignment):
    """nbgrader replaces a whole answer cell: the question must stand in the markdown cell before it."""
    nb = nbformat.read(REPO_ROOT / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    for index, cell in enumerate(nb.cells):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "markdown" and meta.get("solution"):
            assert index > 0 and nb.cells[index - 1].cell_type == "markdown", meta["grade_id"]
            assert "**模範解答**" not in cell.source  # the model answer stays in the source

"""Seed independence: the verdict of every hidden check on a catalogue entry is the same for every learner.

Hidden inputs are drawn from a seed per learner, so a check whose tolerance or diagnostics depend on
the draw would give the same code different marks by learner id (the textbook Adam once scored 3/3
for 2 of 8 ids and 0/3 for the others). Each catalogue entry (and the reference itself) is run in
this process as nbgrader's kernel would run its notebook, then every hidden check of the assignment
is run under 10 learner ids through :class:`LocalRunner`, the runner of plain nbgrader (the grader's
sandboxed runner calls the same checks; ``test_catalogue.py`` covers that path for one id).
"""

from __future__ import annotations

import nbformat
import pytest
from in_process import code_cells, execute_all

from autograder.build import REPO_ROOT
from autograder.catalogue import apply, assignments_with_entries, load
from autograder.synthetic import fill_release, solution_cells
from course.checks import CheckFailure
from course.hidden import hidden_check_names, run_check
from course.hidden.runner import LocalRunner

LEARNERS = [f"learner-{i:02d}" for i in range(10)]

CASES = [(a, None) for a in assignments_with_entries()] + [
    (a, v.ident) for a in assignments_with_entries() for v in load(a)
]


def verdicts(assignment: str, ident: str | None) -> dict[str, dict[bool, list[str]]]:
    """check → {passed: the learner ids with that verdict} for one entry (None: the reference)."""
    release = nbformat.read(REPO_ROOT / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    source = nbformat.read(REPO_ROOT / "source_notebooks" / assignment / f"{assignment}.ipynb", as_version=4)
    overrides = {}
    if ident is not None:
        variant = {v.ident: v for v in load(assignment)}[ident]
        overrides[variant.solution] = apply(variant, solution_cells(source)[variant.solution])
    namespace, _ = execute_all(code_cells(fill_release(release, source, overrides=overrides)))
    found: dict[str, dict[bool, list[str]]] = {}
    for check in hidden_check_names(assignment):
        for learner in LEARNERS:
            try:
                run_check(assignment, check, LocalRunner(namespace), learner)
                passed = True
            except CheckFailure:
                passed = False
            found.setdefault(check, {}).setdefault(passed, []).append(learner)
    return found


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COURSE_PROGRESS", "0")
    monkeypatch.setenv("DL_COURSE_SECRET_FILE", str(tmp_path / "course.key"))


@pytest.mark.parametrize(("assignment", "ident"), CASES, ids=[f"{a}:{i or 'reference'}" for a, i in CASES])
def test_same_verdict_for_every_learner(assignment, ident):
    found = verdicts(assignment, ident)
    mixed = {check: {k: len(v) for k, v in by.items()} for check, by in found.items() if len(by) > 1}
    assert not mixed, f"verdicts differ by learner id (passed: count): {mixed}"
    if ident is None:
        assert all(list(by) == [True] for by in found.values()), found

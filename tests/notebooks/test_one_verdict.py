"""One verdict per submission: the same for every learner id and the same on every path.

Each catalogue entry (and the reference itself) is run in this process the way plain
``nbgrader autograde`` runs its notebook: the learner's cells, then every test cell of the source
notebook, whose public part and hidden part are judged apart (:func:`in_process.execute_autograded`).

- **Seed independence.** Hidden inputs are drawn from a seed per learner, so a check whose
  tolerance or diagnostics depend on the draw would give the same code different marks by
  learner id (the textbook Adam once scored 3/3 for 2 of 8 ids and 0/3 for the others). Every
  hidden check is run again under 10 learner ids through :class:`LocalRunner`, with a fixed
  course secret so that CI is deterministic. A rarer dependence (1 id in 300 once gave an
  arithmetic restore in ``numerical_gradient`` full marks) needs more ids: run this file with
  ``COURSE_SEED_SWEEP=300`` before changing a hidden check's inputs.
- **Three paths agree** with the catalogue, exercise by exercise: the hidden checks (what
  ``autograder grade`` runs, in its sandbox: ``tests/autograder/test_catalogue.py`` holds that
  path to the same expectation), the whole test cell (plain ``nbgrader autograde``), and the public
  part alone (what the learner sees, and ``autograder check``). A public part may hold its checks
  (``course.checks.builds_on``) only when the entry breaks an earlier exercise that it builds on.
"""

from __future__ import annotations

import os

import nbformat
import pytest
from in_process import AutogradedVerdict, as_autograded, execute_autograded

from autograder.build import REPO_ROOT
from autograder.catalogue import Variant, apply, assignments_with_entries, load
from autograder.synthetic import fill_release, solution_cells
from course.checks import CheckFailure
from course.hidden import hidden_check_names, run_check
from course.hidden.runner import LocalRunner

LEARNERS = [f"learner-{i:02d}" for i in range(int(os.environ.get("COURSE_SEED_SWEEP", "10")))]
FIXED_SECRET = "one-verdict-test-" + "0" * 48  # any fixed text of 32+ characters

CASES = [(a, None) for a in assignments_with_entries()] + [
    (a, v.ident) for a in assignments_with_entries() for v in load(a)
]


def run_entry(assignment: str, variant: Variant | None) -> tuple[dict, dict[str, AutogradedVerdict]]:
    """Run the notebook of one entry (None: the reference) as nbgrader would; see the module docstring."""
    release = nbformat.read(REPO_ROOT / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    source = nbformat.read(REPO_ROOT / "source_notebooks" / assignment / f"{assignment}.ipynb", as_version=4)
    overrides = {}
    if variant is not None:
        overrides[variant.solution] = apply(variant, solution_cells(source)[variant.solution])
    return execute_autograded(as_autograded(fill_release(release, source, overrides=overrides), source))


def verdicts_by_learner(assignment: str, namespace: dict, hint: str = "") -> dict[str, dict[bool, list[str]]]:
    """check → {passed: the learner ids with that verdict}; a failure whose message lacks ``hint`` counts
    as a verdict of its own, "no hint" (the catalogued hint must not depend on the learner's inputs either:
    two wrong formulas can give the same value on an unlucky draw, and the first one's hint is shown)."""
    found: dict[str, dict[bool | str, list[str]]] = {}
    for check in hidden_check_names(assignment):
        for learner in LEARNERS:
            try:
                run_check(assignment, check, LocalRunner(namespace), learner)
                passed: bool | str = True
            except CheckFailure as failure:
                passed = False if not hint or hint in str(failure) else "no hint"
            found.setdefault(check, {}).setdefault(passed, []).append(learner)
    return found


def disagreements(variant: Variant | None, verdicts: dict[str, AutogradedVerdict]) -> list[str]:
    """Each test cell where a path departs from what the catalogue expects of the entry."""
    found = []
    for test, verdict in verdicts.items():
        kept = variant is None or variant.correct or test not in variant.breaks
        held_for_other = variant is not None and bool(set(variant.breaks) - {test})
        public_ok = verdict.public == ("passed" if kept else "failed") or (
            verdict.public == "on hold" and held_for_other
        )
        if verdict.hidden != kept or verdict.nbgrader != kept or not public_ok:
            found.append(
                f"{test}: expected {'pass' if kept else 'fail'}; hidden {verdict.hidden}, "
                f"nbgrader {verdict.nbgrader}, public {verdict.public}"
            )
    return found


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COURSE_PROGRESS", "0")
    (tmp_path / "course.key").write_text(FIXED_SECRET + "\n")
    monkeypatch.setenv("DL_COURSE_SECRET_FILE", str(tmp_path / "course.key"))
    monkeypatch.delenv("COURSE_GRADING_SEED", raising=False)  # plain nbgrader: learner "0"


@pytest.mark.parametrize(("assignment", "ident"), CASES, ids=[f"{a}:{i or 'reference'}" for a, i in CASES])
def test_one_verdict(assignment, ident):
    variant = None if ident is None else {v.ident: v for v in load(assignment)}[ident]
    namespace, verdicts = run_entry(assignment, variant)
    assert sorted(verdicts) == sorted(f"test_{check}" for check in hidden_check_names(assignment))
    assert not disagreements(variant, verdicts), disagreements(variant, verdicts)
    found = verdicts_by_learner(assignment, namespace, "" if variant is None else variant.hint)
    mixed = {check: {k: len(v) for k, v in by.items()} for check, by in found.items() if len(by) > 1}
    mixed.update({check: {"no hint": len(by["no hint"])} for check, by in found.items() if list(by) == ["no hint"]})
    assert not mixed, f"verdicts or hints differ by learner id (passed: count): {mixed}"
    if ident is None:
        assert all(list(by) == [True] for by in found.values()), found

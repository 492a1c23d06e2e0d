"""No flaky public test: every public test cell passes the reference under 200 different random draws.

A learner's correct code may draw its random numbers in another order or from another generator than
the reference (weights before biases, ``np.random.randn`` instead of a ``Generator``), so a public test
must not depend on which numbers were drawn. Each chapter's cells run once in order with the reference
solutions; then each public test cell runs again 200 times in a copy of that namespace, with every
generator reseeded for the run: ``np.random.default_rng(seed)`` draws from a stream keyed by
``(run, seed)``, an unseeded one from a stream keyed by the run, and the legacy global state is seeded
with the run. A test cell whose verdict depends on the draw fails here.
"""

import contextlib
from collections.abc import Iterator

import numpy as np
import pytest
from in_process import CodeCell, code_cells, execute

from autograder.build import CHAPTERS_DIR, assignment_ids
from autograder.chapters import build_notebook

RUNS = 200
_REAL_DEFAULT_RNG = np.random.default_rng


@contextlib.contextmanager
def reseeded(run: int) -> Iterator[None]:
    """Every NumPy generator created inside draws from streams that depend on ``run``."""

    def default_rng(seed=None):
        if isinstance(seed, np.random.Generator | np.random.BitGenerator):
            return _REAL_DEFAULT_RNG(seed)
        if seed is None:
            return _REAL_DEFAULT_RNG([run, 0])
        return _REAL_DEFAULT_RNG([run, 1, *np.atleast_1d(seed).astype(np.int64).tolist()])

    state = np.random.get_state()
    np.random.default_rng = default_rng
    np.random.seed(run)
    try:
        yield
    finally:
        np.random.default_rng = _REAL_DEFAULT_RNG
        np.random.set_state(state)


def public_test_failures(cells: list[CodeCell], runs: int = RUNS) -> list[str]:
    """Run the cells in order (as run 0); rerun each public test cell ``runs`` times.

    Returns one line per public test cell that failed in some run: the cell, how many runs failed,
    and the first failure.
    """
    namespace: dict = {"__name__": "__main__"}
    failures = []
    for cell in cells:
        with reseeded(0):
            execute(cell, namespace)
        if not cell.is_public_test:
            continue
        failed = []
        for run in range(1, runs + 1):
            try:
                with reseeded(run):
                    execute(cell, dict(namespace))
            except Exception as error:  # noqa: BLE001 (any failure of the cell is the finding)
                failed.append(f"run {run}: {type(error).__name__}: {error}")
        if failed:
            failures.append(f"{cell.ident}: {len(failed)} of {runs} runs failed, first {failed[0]}")
    return failures


@pytest.mark.parametrize("assignment", assignment_ids())
def test_public_tests_pass_the_reference_under_any_draw(assignment, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COURSE_PROGRESS", "0")
    cells = code_cells(build_notebook(CHAPTERS_DIR / f"{assignment}.py"))
    assert public_test_failures(cells) == []


def test_a_test_that_depends_on_the_draw_is_caught():
    """The harness fails a cell that passes with one draw and not with others (as the old ch05 gradient test did)."""
    cells = [
        CodeCell("setup", "import numpy as np", False),
        CodeCell("seeded", "x = np.random.default_rng(0).random()\nassert x > 0.5, x", True),
        CodeCell("unseeded", "assert np.random.default_rng().random() < 0.9", True),
        CodeCell("legacy", "assert np.random.rand() < 0.9", True),
        CodeCell("steady", "assert np.random.default_rng(3).random() < 1.0", True),
    ]
    failures = public_test_failures(cells, runs=50)
    assert [line.split(":")[0] for line in failures] == ["seeded", "unseeded", "legacy"]

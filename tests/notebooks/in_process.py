"""Run a notebook's code cells in this Python process, the way its kernel would run them in order.

Faster than a kernel and lets a test rerun single cells or call hidden checks on the namespace
(:class:`course.hidden.runner.LocalRunner`, the runner of plain nbgrader). Output is swallowed and
figures are closed. Used by the tests of flaky public tests and of one verdict per submission.
"""

from __future__ import annotations

import contextlib
import io
import sys
import warnings
from dataclasses import dataclass

import matplotlib
import nbformat

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 (after the backend is chosen)

from autograder.chapters import BEGIN_HIDDEN, END_HIDDEN  # noqa: E402
from course.checks import ON_HOLD  # noqa: E402


@dataclass(frozen=True)
class CodeCell:
    ident: str
    source: str  # without the hidden part of a test cell
    is_public_test: bool
    hidden: str = ""  # the hidden part of a test cell of a source notebook ("" elsewhere)
    grade_id: str = ""  # of a test cell


def code_cells(nb: nbformat.NotebookNode) -> list[CodeCell]:
    """The code cells of a source or release notebook, in order."""
    cells = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        grading = cell.get("metadata", {}).get("nbgrader", {})
        is_test = bool(grading.get("grade")) and not grading.get("solution")
        public, _, hidden = cell.source.partition(BEGIN_HIDDEN)
        ident = cell.get("id") or f"cell-{index}"
        cells.append(CodeCell(ident, public, is_test, hidden.split(END_HIDDEN)[0], grading.get("grade_id", "")))
    return cells


def as_autograded(filled: nbformat.NotebookNode, source: nbformat.NotebookNode) -> list[CodeCell]:
    """The code cells of a learner's notebook as plain ``nbgrader autograde`` runs them: the test
    cells (public and hidden parts) come from the source notebook, everything else from ``filled``."""
    tests = {c.grade_id: c for c in code_cells(source) if c.is_public_test}
    return [tests.get(c.grade_id, c) if c.is_public_test else c for c in code_cells(filled)]


@dataclass(frozen=True)
class AutogradedVerdict:
    """One test cell of a notebook run as nbgrader runs it, its two parts judged apart."""

    public: str  # "passed", "failed" or "on hold" (no error, some checks wait: course.checks.builds_on)
    hidden: bool  # whether the hidden part passed when run after the public part (whatever its verdict)
    stderr: str = ""  # what the cell wrote to stderr (nbgrader gives no credit to a cell that writes there)

    @property
    def nbgrader(self) -> bool:
        """The cell's verdict under nbgrader, where an error in the public part stops the cell."""
        return self.public != "failed" and self.hidden and not self.stderr


def _run_part(code: str, ident: str, namespace: dict) -> tuple[bool, str, str]:
    """(passed, what it printed on stdout, what it wrote on stderr) of one part of a test cell."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            exec(compile(code, ident, "exec"), namespace)
            passed = True
        except Exception:  # noqa: BLE001 (a learner's error is data here)
            passed = False
        finally:
            plt.close("all")
    return passed, out.getvalue(), err.getvalue()


def execute_autograded(cells: list[CodeCell]) -> tuple[dict, dict[str, AutogradedVerdict]]:
    """Run the cells of :func:`as_autograded` in a fresh namespace, going on after errors.

    Returns the namespace and, for each test cell (by grade id), its public and hidden verdicts.
    """
    namespace: dict = {"__name__": "__main__"}
    verdicts = {}
    with _warnings_to_stderr():
        for cell in cells:
            verdicts.update(_run_cell(cell, namespace))
    return namespace, verdicts


@contextlib.contextmanager
def _warnings_to_stderr():
    """Warnings written to stderr as a fresh kernel writes them (not recorded by pytest): every
    warning but the kinds Python ignores by default, each time (so none hides behind an earlier one)."""
    with warnings.catch_warnings():
        warnings.resetwarnings()
        warnings.simplefilter("always")
        for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
            warnings.filterwarnings("ignore", category=category)
        warnings.showwarning = _show_on_stderr
        yield


def _show_on_stderr(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001
    sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


def _run_cell(cell: CodeCell, namespace: dict) -> dict[str, AutogradedVerdict]:
    """Run one cell; for a test cell, its verdict by grade id."""
    passed, printed, stderr = _run_part(cell.source, cell.ident, namespace)
    if not cell.is_public_test:
        return {}
    public = "failed" if not passed else "on hold" if ON_HOLD in printed else "passed"
    hidden, _, hidden_stderr = _run_part(cell.hidden, cell.ident, namespace) if cell.hidden.strip() else (True, "", "")
    return {cell.grade_id: AutogradedVerdict(public, hidden, stderr + hidden_stderr)}


def execute(cell: CodeCell, namespace: dict) -> None:
    """Run one cell in ``namespace``; its exceptions propagate."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            exec(compile(cell.source, cell.ident, "exec"), namespace)
        finally:
            plt.close("all")

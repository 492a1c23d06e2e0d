"""Run a notebook's code cells in this Python process, the way its kernel would run them in order.

Faster than a kernel and lets a test rerun single cells or call hidden checks on the namespace
(:class:`course.hidden.runner.LocalRunner`, the runner of plain nbgrader). Output is swallowed and
figures are closed. Used by the tests of flaky public tests and of seed-independent verdicts.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass

import matplotlib
import nbformat

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 (after the backend is chosen)

from autograder.chapters import BEGIN_HIDDEN  # noqa: E402


@dataclass(frozen=True)
class CodeCell:
    ident: str
    source: str  # without the hidden part of a test cell
    is_public_test: bool


def code_cells(nb: nbformat.NotebookNode) -> list[CodeCell]:
    """The code cells of a source or release notebook, in order."""
    cells = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        grading = cell.get("metadata", {}).get("nbgrader", {})
        is_test = bool(grading.get("grade")) and not grading.get("solution")
        cells.append(CodeCell(cell.get("id") or f"cell-{index}", cell.source.split(BEGIN_HIDDEN)[0], is_test))
    return cells


def execute(cell: CodeCell, namespace: dict) -> None:
    """Run one cell in ``namespace``; its exceptions propagate."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            exec(compile(cell.source, cell.ident, "exec"), namespace)
        finally:
            plt.close("all")


def execute_all(cells: list[CodeCell]) -> tuple[dict, dict[str, str]]:
    """Run every cell in a fresh namespace, going on after errors (as nbgrader's autograde does).

    Returns the namespace and cell id → the error of each cell that failed.
    """
    namespace: dict = {"__name__": "__main__"}
    errors = {}
    for cell in cells:
        try:
            execute(cell, namespace)
        except Exception as error:  # noqa: BLE001 (a learner's error is data here)
            errors[cell.ident] = f"{type(error).__name__}: {error}"
    return namespace, errors

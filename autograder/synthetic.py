"""Make submissions from a release notebook: filled with the reference solutions, or with
chosen cells replaced (wrong answers, partial work). Used by tests, the demo and benchmarks.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

import nbformat

from .chapters import BEGIN_SOLUTION, END_SOLUTION


def _grade_id(cell: nbformat.NotebookNode) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def strip_solution_markers(source: str) -> str:
    """The code a learner would have written: the source cell without the marker lines."""
    return "\n".join(line for line in source.splitlines() if line.strip() not in (BEGIN_SOLUTION, END_SOLUTION))


def solution_cells(source_nb: nbformat.NotebookNode) -> dict[str, str]:
    """grade_id → filled-in content of every solution cell (code and written answers) of a source notebook."""
    cells = {}
    for cell in source_nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution"):
            cells[meta["grade_id"]] = strip_solution_markers(cell.source)
    return cells


def fill_release(
    release_nb: nbformat.NotebookNode,
    source_nb: nbformat.NotebookNode,
    overrides: Mapping[str, str] | None = None,
    leave_blank: tuple[str, ...] = (),
) -> nbformat.NotebookNode:
    """A copy of ``release_nb`` whose solution cells hold the reference solutions,
    except the grade_ids in ``overrides`` (replaced by the given code) and in
    ``leave_blank`` (left as the stub)."""
    answers = {**solution_cells(source_nb), **(overrides or {})}
    filled = copy.deepcopy(release_nb)
    for cell in filled.cells:
        grade_id = _grade_id(cell)
        if grade_id in answers and grade_id not in leave_blank and cell["metadata"]["nbgrader"].get("solution"):
            cell.source = answers[grade_id]
    return filled

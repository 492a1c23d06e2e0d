"""Make submissions from a release notebook: filled with the reference solutions, or with
chosen cells replaced (wrong answers, partial work). Used by tests, the demo and benchmarks.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path

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


# ----------------------------------------------------------------------------- a synthetic class
#: Share of each kind of submission in the demo class (the rest is correct).
PROFILE_WEIGHTS = {
    "correct": 0.40,
    "partial": 0.20,  # some exercises left as the stub
    "mangled": 0.12,  # correct answers, but metadata dropped / cells reordered / file renamed
    "stub": 0.10,  # nothing done
    "cheat": 0.10,  # tries to fool the grader
    "broken": 0.08,  # not a readable notebook
}

_CHEATS = {
    "monkeypatch": (
        "import numpy as np\nnp.allclose = lambda *a, **k: True\nnp.testing.assert_allclose = lambda *a, **k: None\n"
        "import course.checks\ncourse.checks.check_array = lambda *a, **k: None\n"
    ),
    "import_reference": "from course.reference import *  # the instructor's solutions\n",
}


def _strip_metadata(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    for cell in nb.cells:
        cell.metadata = {}
    return nb


def make_submission(
    kind: str, release: nbformat.NotebookNode, source: nbformat.NotebookNode, rng
) -> tuple[bytes, str, str]:
    """One synthetic submission: (file content, file name suffix, description)."""
    assignment_cells = [g for g in solution_cells(source) if _is_code_solution(source, g)]
    if kind == "correct":
        return nbformat.writes(fill_release(release, source)).encode(), "", "正解"
    if kind == "partial":
        blank = tuple(rng.choice(assignment_cells, size=min(2, len(assignment_cells)), replace=False))
        return (
            nbformat.writes(fill_release(release, source, leave_blank=blank)).encode(),
            "",
            f"途中 ({', '.join(blank)} 未回答)",
        )
    if kind == "mangled":
        nb = fill_release(release, source)
        how = rng.choice(["metadata", "reordered", "renamed"])
        if how == "metadata":
            nb = _strip_metadata(nb)
        elif how == "reordered":
            nb.cells = list(reversed(nb.cells))
        return nbformat.writes(nb).encode(), " (1)" if how == "renamed" else "", f"正解だが編集で崩れた ({how})"
    if kind == "stub":
        return nbformat.writes(release).encode(), "", "未着手"
    if kind == "cheat":
        how = str(rng.choice(sorted(_CHEATS)))
        first = assignment_cells[0]
        nb = fill_release(release, source, overrides={first: _CHEATS[how]}, leave_blank=tuple(assignment_cells))
        for cell in nb.cells:  # and the visible tests edited into no-ops
            if cell.get("metadata", {}).get("nbgrader", {}).get("grade") and cell.cell_type == "code":
                cell.source = 'print("公開テスト: OK")'
        return nbformat.writes(nb).encode(), "", f"不正の試み ({how})"
    how = rng.choice(["invalid_json", "empty", "truncated"])
    data = nbformat.writes(fill_release(release, source)).encode()
    content = {"invalid_json": b'{"cells": [}', "empty": b"", "truncated": data[: len(data) // 2]}[str(how)]
    return content, "", f"壊れたファイル ({how})"


def _is_code_solution(source: nbformat.NotebookNode, grade_id: str) -> bool:
    return any(
        c.cell_type == "code" and c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id
        for c in source.cells
    )


def make_class(
    root: Path, assignments: list[str], learners: int, seed: int = 0, release_root: Path | None = None
) -> dict[tuple[str, str], str]:
    """Write a synthetic class in nbgrader's layout under ``root`` from the release notebooks in
    ``release_root`` (default: the repository's); returns (student, assignment) → description."""
    import numpy as np

    from .build import REPO_ROOT

    repo = REPO_ROOT
    releases = release_root or repo / "release"
    rng = np.random.default_rng(seed)
    kinds, weights = list(PROFILE_WEIGHTS), np.array(list(PROFILE_WEIGHTS.values()))
    written = {}
    for assignment in assignments:
        release = nbformat.read(releases / assignment / f"{assignment}.ipynb", as_version=4)
        source = nbformat.read(repo / "source_notebooks" / assignment / f"{assignment}.ipynb", as_version=4)
        for number in range(1, learners + 1):
            student = f"learner{number:03d}"
            kind = str(rng.choice(kinds, p=weights / weights.sum()))
            content, suffix, description = make_submission(kind, release, source, rng)
            folder = root / student / assignment
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{assignment}{suffix}.ipynb").write_bytes(content)
            written[(student, assignment)] = description
    return written

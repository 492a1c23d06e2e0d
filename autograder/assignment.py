"""What the grader knows about an assignment, read from the instructor's source notebook.

The grader never trusts the cells of a submission except the learner's answers: it runs
the instructor's own cells (set-up, given code, experiments, public tests) around the
answers it extracted, so deleted, edited or reordered test cells change nothing.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import nbformat

from .build import REPO_ROOT
from .chapters import BEGIN_HIDDEN
from .nbgrader_setup import SOURCE_DIRECTORY

#: The call at the start of the hidden part of a test cell: which check of which assignment it runs.
HIDDEN_CALL = re.compile(r'run_hidden_check\("(?P<assignment>\w+)", "(?P<check>\w+)"')


@dataclass(frozen=True)
class CellSpec:
    """One cell of the instructor's notebook, in order.

    kind: 'markdown', 'code' (set-up, given code, experiments), 'solution', 'tests' or 'answer'.
    source: for 'code' the code; for 'tests' the PUBLIC part only (hidden block removed);
    for 'solution' and 'answer' the instructor's model solution.
    defines: top-level names a solution cell defines (how answers are found without metadata).
    """

    kind: str
    source: str
    grade_id: str | None = None
    points: float = 0.0
    check: str | None = None  # hidden check of a tests cell
    defines: tuple[str, ...] = ()


@dataclass(frozen=True)
class AssignmentSpec:
    assignment: str
    cells: tuple[CellSpec, ...] = field(default_factory=tuple)

    @property
    def solutions(self) -> list[CellSpec]:
        return [c for c in self.cells if c.kind == "solution"]

    @property
    def tests(self) -> list[CellSpec]:
        return [c for c in self.cells if c.kind == "tests"]

    @property
    def answers(self) -> list[CellSpec]:
        return [c for c in self.cells if c.kind == "answer"]

    @property
    def max_score(self) -> float:
        return float(sum(c.points for c in self.cells if c.kind in ("tests", "answer")))


#: Code longer than this is never parsed on the trusted side: parsing costs about 500 times the
#: size of the source in memory (a 4 MB cell took 2 GB). Such a cell is still run in the sandbox
#: when its metadata names it; it is only not recognised by the names it defines.
MAX_PARSED_CHARS = 64_000


def defined_names(source: str) -> tuple[str, ...]:
    """Top-level functions, classes and assigned names of a code cell (empty if it does not parse,
    or is longer than ``MAX_PARSED_CHARS``)."""
    if len(source) > MAX_PARSED_CHARS:
        return ()
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # hostile or broken code
        return ()
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.extend(t.id for t in targets if isinstance(t, ast.Name))
    return tuple(dict.fromkeys(names))


def spec_from_notebook(assignment: str, nb: nbformat.NotebookNode) -> AssignmentSpec:
    from .synthetic import strip_solution_markers

    cells = []
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        grade_id = meta.get("grade_id")
        if cell.cell_type == "markdown" and not meta.get("solution"):
            cells.append(CellSpec("markdown", cell.source))
        elif cell.cell_type == "markdown":
            cells.append(CellSpec("answer", cell.source, grade_id, float(meta.get("points", 0))))
        elif meta.get("solution"):
            code = strip_solution_markers(cell.source)
            cells.append(CellSpec("solution", code, grade_id, defines=defined_names(code)))
        elif meta.get("grade"):
            public, _, hidden = cell.source.partition(BEGIN_HIDDEN)
            match = HIDDEN_CALL.search(hidden)
            if not match or match.group("assignment") != assignment:
                raise ValueError(f"{assignment}/{grade_id}: tests cell without a hidden check call")
            cells.append(CellSpec("tests", public.rstrip(), grade_id, float(meta.get("points", 0)), match["check"]))
        else:
            cells.append(CellSpec("code", cell.source))
    return AssignmentSpec(assignment, tuple(cells))


@cache
def load_assignment(assignment: str, root: Path = REPO_ROOT) -> AssignmentSpec:
    """The spec of an assignment from ``root/source_notebooks/<id>/<id>.ipynb``."""
    path = root / SOURCE_DIRECTORY / assignment / f"{assignment}.ipynb"
    if not path.exists():
        raise FileNotFoundError(f"unknown assignment {assignment!r}: {path} does not exist")
    return spec_from_notebook(assignment, nbformat.read(path, as_version=4))


def known_assignments(root: Path = REPO_ROOT) -> list[str]:
    return sorted(p.name for p in (root / SOURCE_DIRECTORY).iterdir() if (p / f"{p.name}.ipynb").exists())

"""Build the generated notebooks: chapters/*.py → source_notebooks/ (executed) → release/.

``python -m autograder build`` regenerates everything; ``--check`` regenerates into a
temporary folder and reports every file that differs from the committed one.
"""

from __future__ import annotations

import copy
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .chapters import build_notebook
from .nbgrader_setup import RELEASE_DIRECTORY, SOURCE_DIRECTORY, nbgrader_config
from .sandbox import ONE_MATH_THREAD

REPO_ROOT = Path(__file__).resolve().parent.parent
CHAPTERS_DIR = REPO_ROOT / "chapters"
#: Environment of every kernel that executes a notebook for the committed outputs.
KERNEL_ENV = {
    "COURSE_PROGRESS": "0",
    "PYTHONHASHSEED": "0",
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    **ONE_MATH_THREAD,  # the same rounding everywhere (stored outputs), and no oversubscription on 2 cores
}


@dataclass
class BuildReport:
    assignment: str
    seconds: float = 0.0


def assignment_ids(chapters_dir: Path = CHAPTERS_DIR) -> list[str]:
    return sorted(p.stem for p in chapters_dir.glob("ch*.py"))


def execute_notebook(nb: nbformat.NotebookNode, cwd: Path, timeout: int = 120) -> float:
    """Execute ``nb`` in place in a fresh kernel started in ``cwd``; returns the seconds taken."""
    from nbclient import NotebookClient

    env = {**os.environ, **KERNEL_ENV}
    from course.kernels import PrivateKernelManager

    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        kernel_manager_class=PrivateKernelManager,
        resources={"metadata": {"path": str(cwd)}},
    )
    start = time.perf_counter()
    client.execute(env=env)
    return time.perf_counter() - start


def normalise(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop machine-dependent metadata (interpreter version, execution timings)."""
    nb.metadata["language_info"] = {"name": "python"}
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    return nb


def write_notebook(nb: nbformat.NotebookNode, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.validate(nb)
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")


def build_source(assignment: str, out_root: Path, execute: bool = True) -> BuildReport:
    """Write ``out_root/<assignment>/<assignment>.ipynb`` from chapters/<assignment>.py."""
    nb = build_notebook(CHAPTERS_DIR / f"{assignment}.py")
    folder = out_root / assignment
    folder.mkdir(parents=True, exist_ok=True)
    report = BuildReport(assignment)
    if execute:
        report.seconds = execute_notebook(nb, folder)
    write_notebook(normalise(nb), folder / f"{assignment}.ipynb")
    return report


def generate_release(assignment: str, source_root: Path, out_root: Path) -> Path:
    """Run nbgrader's generate_assignment on ``source_root/<assignment>`` into ``out_root``."""
    from nbgrader.apps import NbGraderAPI

    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp)
        shutil.copytree(source_root / assignment, course / SOURCE_DIRECTORY / assignment)
        api = NbGraderAPI(config=nbgrader_config(course, f"sqlite:///{course / 'gradebook.db'}"))
        result = api.generate_assignment(assignment, force=True, create=True)
        if not result["success"]:
            raise RuntimeError(f"nbgrader generate_assignment {assignment} failed:\n{result.get('log', '')}")
        target = out_root / assignment
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(course / RELEASE_DIRECTORY / assignment, target)
    for path in target.rglob("*.ipynb"):  # same normalisation as the source
        nb = nbformat.read(path, as_version=4)
        write_notebook(normalise(nb), path)
    return target


def build_all(assignments: list[str] | None = None, root: Path = REPO_ROOT) -> list[BuildReport]:
    """Regenerate source_notebooks/ and release/ under ``root`` for the given assignments (and the data
    modules of the learner package: the default digits split, :mod:`autograder.digits_split`, and the
    capstone's public evaluation set, :mod:`autograder.evaluation_data`)."""
    from . import digits_split, evaluation_data

    digits_split.write(root / "course" / "digits_split.py")
    evaluation_data.write(root / "course" / "evaluation_digits.py")
    reports = []
    for assignment in assignments or assignment_ids():
        reports.append(build_source(assignment, root / SOURCE_DIRECTORY))
        generate_release(assignment, root / SOURCE_DIRECTORY, root / RELEASE_DIRECTORY)
    return reports


def _cells_without_outputs(path: Path) -> list[dict]:
    nb = nbformat.read(path, as_version=4)
    cells = []
    for cell in nb.cells:
        cell = copy.deepcopy(cell)
        cell.pop("outputs", None)
        cell.pop("execution_count", None)
        cells.append(cell)
    return cells


def check_drift(assignments: list[str] | None = None, root: Path = REPO_ROOT) -> list[str]:
    """Regenerate without executing and list the committed files that differ.

    Source notebooks are compared cell by cell without outputs (their stored outputs are
    checked by nbval); release notebooks are compared in full.
    """
    from . import digits_split, evaluation_data

    problems = digits_split.drift(root / "course" / "digits_split.py")
    problems += evaluation_data.drift(root / "course" / "evaluation_digits.py")
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        for assignment in assignments or assignment_ids():
            build_source(assignment, fresh / SOURCE_DIRECTORY, execute=False)
            committed_source = root / SOURCE_DIRECTORY / assignment / f"{assignment}.ipynb"
            fresh_source = fresh / SOURCE_DIRECTORY / assignment / f"{assignment}.ipynb"
            if not committed_source.exists():
                problems.append(f"{committed_source.relative_to(root)} is missing")
                continue
            if _cells_without_outputs(committed_source) != _cells_without_outputs(fresh_source):
                problems.append(f"{committed_source.relative_to(root)} differs from chapters/{assignment}.py")
            generate_release(assignment, root / SOURCE_DIRECTORY, fresh / RELEASE_DIRECTORY)
            for path in sorted((fresh / RELEASE_DIRECTORY / assignment).rglob("*")):
                if path.is_file():
                    relative = path.relative_to(fresh)
                    committed = root / relative
                    if not committed.exists() or committed.read_bytes() != path.read_bytes():
                        problems.append(f"{relative} differs from a fresh nbgrader generate_assignment")
            for path in sorted((root / RELEASE_DIRECTORY / assignment).rglob("*")):
                if path.is_file() and not (fresh / path.relative_to(root)).exists():
                    problems.append(f"{path.relative_to(root)} is not generated by nbgrader (stale file)")
    return problems

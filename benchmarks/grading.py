"""Part 1 and 4: autograding throughput and peak memory, stock nbgrader against ``autograder grade``.

The same synthetic class (``autograder.synthetic.make_class``: correct, partial, stub, mangled,
cheating and broken submissions) is graded

- by stock nbgrader, one ``NbGraderAPI.autograde(assignment, student)`` call after the other
  (what an instructor's loop over ``nbgrader autograde ASSIGNMENT --student S`` does, without
  the start-up of one ``nbgrader`` process per call), in an nbgrader course whose assignments
  were generated beforehand (not timed: the instructor did that when releasing);
- by ``autograder.grade_command.run_grade`` with one worker and with one worker per core,
  ``force=True`` into a fresh output folder each time (nothing reused). Its time includes
  everything the command does: discovery, learner bundle, sandboxed grading, reports, and the
  gradebook (``prepare_course_dir`` and ``sync_results``).

Each run is a subprocess of its own (``python -m benchmarks.grading stock|ours``) whose
process tree is sampled for memory; the steps of ``run_grade`` are timed inside the real run
(``PHASES``). ``probe`` times the start-up of one Jupyter kernel and of one of our sandboxes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .common import (
    PYTHON,
    REPO_ROOT,
    Measured,
    read_json,
    run_measured,
    subprocess_env,
    write_json,
)

SUBMITTED = "submitted"
AUTOGRADED = "autograded"
#: When set (in ``python -m benchmarks.grading ours``), the grading workers append the duration of
#: every cell they execute and every hidden check they run to this file, one number a line.
CELL_LOG_ENV = "BENCHMARKS_CELL_LOG"


# ----------------------------------------------------------------------------- the class
def build_class(root: Path, assignments: list[str], learners: int, seed: int = 0) -> dict[tuple[str, str], str]:
    """The synthetic class under ``root`` (``root/<student>/<assignment>/*.ipynb``)."""
    from autograder.synthetic import make_class

    if root.exists():
        shutil.rmtree(root)
    return make_class(root, assignments, learners, seed=seed)


def class_mix(kinds: dict[tuple[str, str], str]) -> dict[str, int]:
    """How many submissions of each kind (correct, partial, …), most common first."""
    return dict(Counter(description.split(" (")[0] for description in kinds.values()).most_common())


# ----------------------------------------------------------------------------- memory grouping
def _safe(function, default):
    try:
        return function()
    except Exception:  # noqa: BLE001 - a process ended while we looked at it
        return default


def _rss(process) -> int:
    return _safe(lambda: process.memory_info().rss, 0)


def _worker_groups(root, descendants) -> dict[str, int]:
    """RSS of our grader: the main process, and each pool worker with everything it started
    (its sandbox: bubblewrap and the learner's interpreter)."""
    parent = {p.pid: _safe(p.ppid, 0) for p in descendants}
    workers = {
        p.pid for p in descendants if parent[p.pid] == root.pid and "spawn_main" in " ".join(_safe(p.cmdline, []))
    }
    sizes = {f"worker:{pid}": 0 for pid in workers}
    for process in descendants:
        pid = process.pid
        while pid and pid not in workers and pid != root.pid:
            pid = parent.get(pid, 0)
        if pid in workers:
            sizes[f"worker:{pid}"] += _rss(process)
    main = _rss(root)
    return {"main": main, "tree": main + sum(_rss(p) for p in descendants), **sizes}


def _stock_groups(root, descendants) -> dict[str, int]:
    """RSS of stock nbgrader: the nbgrader process, and it with the kernel it started (one worker)."""
    main = _rss(root)
    kernels = sum(_rss(p) for p in descendants)
    return {"main": main, "tree": main + kernels, "worker:stock": main + kernels}


# ----------------------------------------------------------------------------- results
@dataclass
class GradingRun:
    """One timed grading of the whole class by one tool."""

    tool: str  # "stock" or "ours"
    workers: int
    notebooks: int
    seconds: float  # wall time of the tool's own work (inside its process)
    per_notebook: list[float] = field(default_factory=list)  # stock: each call; ours: in-worker time
    cells: float = 0.0  # seconds spent executing the notebooks' cells (and hidden checks), summed
    failures: int = 0  # stock: success=False; ours: notebooks that could not be run
    mean_score: float = float("nan")
    measured: Measured | None = None
    phases: dict[str, float] = field(default_factory=dict)  # ours: seconds of each step of run_grade

    @property
    def rate(self) -> float:
        """Notebooks per minute."""
        return 60.0 * self.notebooks / self.seconds if self.seconds > 0 else float("nan")

    @property
    def worker_mib(self) -> float:
        peaks = self.measured.peaks if self.measured else {}
        return max((v for k, v in peaks.items() if k.startswith("worker:")), default=float("nan"))


def stock_course_template(template: Path, assignments: list[str]) -> None:
    """An nbgrader course with the assignments generated: what an instructor has after releasing them."""
    from autograder.gradebook_sync import prepare_course_dir

    if template.exists():
        shutil.rmtree(template)
    prepare_course_dir(template, assignments)


def run_stock(template: Path, submissions: Path, work: Path, log: Path) -> GradingRun:
    """Copy the prepared course and the class into ``work`` and autograde student by student."""
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(template, work)
    shutil.copytree(submissions, work / SUBMITTED)
    result_path = work / "stock-result.json"
    argv = [PYTHON, "-m", "benchmarks.grading", "stock", "--course", str(work), "--json", str(result_path)]
    measured = run_measured(argv, env=subprocess_env(), cwd=REPO_ROOT, log=log, group=_stock_groups)
    if measured.returncode != 0:
        raise RuntimeError(f"stock nbgrader run failed (exit {measured.returncode}); see {log}")
    data = read_json(result_path)
    calls = data["calls"]
    return GradingRun(
        tool="stock",
        workers=1,
        notebooks=len(calls),
        seconds=data["seconds"],
        per_notebook=[c["seconds"] for c in calls],
        cells=data["cells"],
        failures=sum(1 for c in calls if not c["success"]),
        measured=measured,
    )


def run_ours(
    submissions: Path, out: Path, workers: int, log: Path, fresh: bool = True, sample_every: float = 0.1
) -> GradingRun:
    """``autograder grade --force`` of ``submissions`` into ``out``: emptied first (``fresh``), or kept, as
    an instructor's next run in the same folder finds it (the course already prepared there).
    ``sample_every``: seconds between two samples of the process tree's memory."""
    if out.exists() and fresh:
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    result_path = out.parent / f"{out.name}-result.json"
    argv = [PYTHON, "-m", "benchmarks.grading", "ours", "--submissions", str(submissions), "--out", str(out)]
    argv += ["--workers", str(workers), "--json", str(result_path)]
    cell_log = out.parent / f"{out.name}-cells.log"
    cell_log.unlink(missing_ok=True)
    env = subprocess_env(**{CELL_LOG_ENV: str(cell_log)})
    measured = run_measured(argv, env=env, cwd=REPO_ROOT, log=log, group=_worker_groups, interval=sample_every)
    if measured.returncode != 0:
        raise RuntimeError(f"autograder grade run failed (exit {measured.returncode}); see {log}")
    data = read_json(result_path)
    results = data["results"]
    return GradingRun(
        tool="ours",
        workers=workers,
        notebooks=len(results),
        seconds=data["seconds"],
        per_notebook=[r["seconds"] for r in results],
        cells=sum(float(line) for line in cell_log.read_text().split()) if cell_log.exists() else 0.0,
        failures=sum(1 for r in results if not r["ran"]),
        mean_score=statistics.fmean(r["score"] / r["max_score"] for r in results if r["max_score"]),
        measured=measured,
        phases=data.get("phases", {}),
    )


@dataclass
class SmallBatches:
    """A few submissions graded into an output folder that earlier runs prepared (the instructor's
    late submissions). Times are of the whole command, process start to reports written."""

    chapter: str
    batch: int  # notebooks of the batch graded with one worker and with two
    single: list[GradingRun] = field(default_factory=list)  # one notebook, one worker
    batch_runs: dict[int, list[GradingRun]] = field(default_factory=dict)  # workers → runs of the batch

    def single_overhead(self) -> list[float]:
        """Seconds of one notebook's run beyond executing its cells and hidden checks."""
        return [run.measured.seconds - run.cells for run in self.single if run.measured]

    def speedups(self) -> list[float]:
        """Per repeat, the wall time of the batch with 1 worker over that with 2: each repeat runs them in
        the order 1, 2, 2, 1 workers, and the ratio is of the sums, so that a machine that gets faster or
        slower during a repeat (as shared machines do) favours neither."""
        one, two = self.batch_runs.get(1, []), self.batch_runs.get(2, [])
        pairs = min(len(one), len(two)) // 2
        return [
            sum(run.measured.seconds for run in one[2 * i : 2 * i + 2])
            / sum(run.measured.seconds for run in two[2 * i : 2 * i + 2])
            for i in range(pairs)
        ]


def _correct_class(root: Path, chapter: str, learners: int) -> Path:
    """``learners`` correct submissions of ``chapter`` in nbgrader's layout."""
    import nbformat

    from autograder.synthetic import fill_release

    release = nbformat.read(REPO_ROOT / "release" / chapter / f"{chapter}.ipynb", as_version=4)
    source = nbformat.read(REPO_ROOT / "source_notebooks" / chapter / f"{chapter}.ipynb", as_version=4)
    if root.exists():
        shutil.rmtree(root)
    for i in range(learners):
        folder = root / f"learner{i:02d}" / chapter
        folder.mkdir(parents=True)
        nbformat.write(fill_release(release, source), folder / f"{chapter}.ipynb")
    return root


#: Seconds between two memory samples in the small-batch runs: they report times only, and sampling the
#: process tree ten times a second would take CPU from the run it times (about 3% of a core).
SMALL_BATCH_SAMPLE_SECONDS = 1.0


def small_batches(work: Path, chapter: str, batch: int, repeats: int, log: Path) -> SmallBatches:
    """One notebook with one worker, and ``batch`` notebooks with one and (on 2 cores or more) two workers,
    each into an output folder of its own that a warm-up run prepared (not recorded). Each repeat runs
    the batch with 1, 2, 2 and 1 workers (see :meth:`SmallBatches.speedups`)."""
    one, many = _correct_class(work / "one", chapter, 1), _correct_class(work / "many", chapter, batch)
    result = SmallBatches(chapter, batch)
    worker_counts = [1, 2, 2, 1] if (os.cpu_count() or 1) >= 2 else [1]
    plan = [("single", one, 1)] + [("batch", many, workers) for workers in worker_counts]
    for kind, submissions, workers in dict.fromkeys(plan):  # warm-up: prepares each output folder
        run_ours(submissions, work / f"out-{kind}-{workers}", workers, log)
    for _ in range(repeats):
        for kind, submissions, workers in plan:
            out = work / f"out-{kind}-{workers}"
            run = run_ours(submissions, out, workers, log, fresh=False, sample_every=SMALL_BATCH_SAMPLE_SECONDS)
            (result.single if kind == "single" else result.batch_runs.setdefault(workers, [])).append(run)
    return result


def probe(work: Path, log: Path, repeats: int) -> dict:
    """Time the start-up each tool pays per notebook: a Jupyter kernel, and one of our sandboxes."""
    json_path = work / "probe.json"
    argv = [PYTHON, "-m", "benchmarks.grading", "probe", "--work", str(work), "--json", str(json_path)]
    argv += ["--repeats", str(repeats)]
    measured = run_measured(argv, env=subprocess_env(), cwd=REPO_ROOT, log=log)
    if measured.returncode != 0:
        raise RuntimeError(f"probe failed (exit {measured.returncode}); see {log}")
    return read_json(json_path)


# ----------------------------------------------------------------------------- subprocess entry points
def _main_stock(course: Path, json_path: Path) -> None:
    import logging

    from nbgrader.apps import NbGraderAPI

    from autograder.nbgrader_setup import nbgrader_config

    logging.getLogger("traitlets").setLevel(logging.ERROR)
    pairs = sorted((folder.parent.name, folder.name) for folder in (course / SUBMITTED).glob("*/*") if folder.is_dir())
    api = NbGraderAPI(config=nbgrader_config(course))
    calls = []
    start = time.perf_counter()
    for student, assignment in pairs:  # student by student, as an instructor's loop
        t0 = time.perf_counter()
        result = api.autograde(assignment, student, force=True, create=True)
        calls.append(
            {"student": student, "assignment": assignment, "success": bool(result["success"]),
             "seconds": time.perf_counter() - t0}
        )  # fmt: skip
    seconds = time.perf_counter() - start
    cells = sum(_kernel_cell_seconds(path) for path in (course / AUTOGRADED).glob("*/*/*.ipynb"))
    write_json(json_path, {"seconds": seconds, "cells": cells, "calls": calls})


def _kernel_cell_seconds(path: Path) -> float:
    """Seconds the kernel spent executing the code cells of a notebook nbgrader executed, from the
    timestamps nbclient records in each cell (``execute_input`` to ``execute_reply``)."""
    import datetime as dt

    import nbformat

    total = 0.0
    for cell in nbformat.read(path, as_version=4).cells:
        stamps = cell.get("metadata", {}).get("execution", {})
        if "iopub.execute_input" in stamps and "shell.execute_reply" in stamps:
            begin = dt.datetime.fromisoformat(stamps["iopub.execute_input"].replace("Z", "+00:00"))
            end = dt.datetime.fromisoformat(stamps["shell.execute_reply"].replace("Z", "+00:00"))
            total += max(0.0, (end - begin).total_seconds())
    return total


#: Steps of ``run_grade`` timed inside the real run: (module, attribute, label). The rest of the
#: run is grading the notebooks (process pool, workers, sandboxes, saving each result).
PHASES = [
    ("autograder.grade_command", "discover", "discover the submissions"),
    ("autograder.sandbox", "bubblewrap", "probe bubblewrap"),
    ("autograder.grade_command", "build_learner_bundle", "learner bundle"),
    ("autograder.grade_command", "grader_fingerprint", "grader fingerprint"),
    ("autograder.reports", "write_outputs", "CSV, feedback pages, HTML report"),
    ("autograder.gradebook_sync", "prepare_course_dir", "gradebook: nbgrader generate_assignment"),
    ("autograder.gradebook_sync", "sync_results", "gradebook: grades and formgrader copies"),
]


def _instrument(phases: dict[str, float]) -> None:
    """Wrap the steps of ``run_grade`` in timers (``run_grade`` looks them up at call time)."""
    import importlib

    for module_name, attribute, label in PHASES:
        module = importlib.import_module(module_name)
        original = getattr(module, attribute, None)
        if original is None:  # renamed since: that step is simply counted with the rest
            continue

        def timed(*args, __original=original, __label=label, **kwargs):
            start = time.perf_counter()
            try:
                return __original(*args, **kwargs)
            finally:
                phases[__label] = phases.get(__label, 0.0) + time.perf_counter() - start

        setattr(module, attribute, timed)


def _time_cells_in_workers() -> None:
    """Time ``autograder.grading._run`` (one cell: instructor's code or the learner's answer) and
    ``run_check`` (one hidden check) in this process. The pool's workers run it too: a spawned
    worker imports the parent's main module, this one, as ``__mp_main__``."""
    path = os.environ.get(CELL_LOG_ENV)
    if not path:
        return
    import autograder.grading as grading_module

    for name in ("_run", "run_check"):
        original = getattr(grading_module, name, None)
        if original is None:  # renamed since: nothing is timed, the report shows 0
            continue

        def timed(*args, __original=original, **kwargs):
            start = time.perf_counter()
            try:
                return __original(*args, **kwargs)
            finally:
                with open(path, "a", encoding="ascii") as fh:
                    fh.write(f"{time.perf_counter() - start:.6f}\n")

        setattr(grading_module, name, timed)


if __name__ in ("__main__", "__mp_main__"):
    _time_cells_in_workers()


def _main_ours(submissions: Path, out: Path, workers: int, json_path: Path) -> None:
    from autograder.grade_command import run_grade

    phases: dict[str, float] = {}
    _instrument(phases)
    start = time.perf_counter()
    run = run_grade(submissions, out, workers=workers, force=True, show_progress=False, log=lambda message: None)
    seconds = time.perf_counter() - start
    results = [
        {"student": r.student_id, "assignment": r.assignment, "seconds": r.seconds, "ran": r.ran,
         "score": r.score, "max_score": r.max_score}
        for r in run.results
    ]  # fmt: skip
    write_json(
        json_path,
        {"seconds": seconds, "graded": run.graded, "mode": run.mode, "phases": phases, "results": results},
    )


def _timed(function, repeats: int) -> list[float]:
    values = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        function()
        values.append(time.perf_counter() - t0)
    return values


def _main_probe(work: Path, repeats: int, json_path: Path) -> None:
    from jupyter_client.manager import start_new_kernel

    from autograder import sandbox
    from autograder.bundle import build_learner_bundle
    from autograder.worker_session import SandboxSession

    work.mkdir(parents=True, exist_ok=True)
    setup = sandbox.detect()
    bundle = build_learner_bundle(work / "bundle").out_dir
    imports = "import numpy, matplotlib.pyplot, course.checks"

    def one_sandbox() -> None:
        session = SandboxSession(bundle, setup)
        session.start()
        session.run_cell(imports, 60)
        session.close()

    def one_kernel() -> None:
        manager, client = start_new_kernel(kernel_name="python3")
        client.execute_interactive(imports, timeout=60)
        client.stop_channels()
        manager.shutdown_kernel(now=True)

    one_sandbox()  # warm-up
    one_kernel()
    report = {
        "mode": setup.mode,
        "sandbox_start": _timed(one_sandbox, repeats),
        "kernel_start": _timed(one_kernel, repeats),
    }
    write_json(json_path, report)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="one timed grading run (used by benchmarks.run)")
    sub = parser.add_subparsers(dest="command", required=True)
    stock = sub.add_parser("stock")
    stock.add_argument("--course", type=Path, required=True)
    stock.add_argument("--json", type=Path, required=True)
    ours = sub.add_parser("ours")
    ours.add_argument("--submissions", type=Path, required=True)
    ours.add_argument("--out", type=Path, required=True)
    ours.add_argument("--workers", type=int, required=True)
    ours.add_argument("--json", type=Path, required=True)
    pr = sub.add_parser("probe")
    pr.add_argument("--work", type=Path, required=True)
    pr.add_argument("--json", type=Path, required=True)
    pr.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    if args.command == "stock":
        _main_stock(args.course, args.json)
    elif args.command == "ours":
        from autograder.quick_exit import skip_final_collection

        _main_ours(args.submissions, args.out, args.workers, args.json)
        skip_final_collection()  # as the ``autograder`` command does
    else:
        _main_probe(args.work, args.repeats, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``autograder grade``: from a folder of submissions to grades, feedback, a report and the gradebook.

Each submission is graded in its own sandboxed process (:mod:`autograder.grading`), in parallel
on this machine or on a Dask cluster. Every finished grade is saved at once under
``OUT/.results/`` (atomically), keyed by the notebook's SHA-256 and a fingerprint of the grader,
so a re-run skips what is unchanged and an interrupted run loses nothing. The CSV files, the
feedback pages, the report and the gradebook are then written from all saved grades; writing
them twice gives the same result.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

from . import sandbox
from .assignment import load_assignment
from .build import REPO_ROOT
from .bundle import build_learner_bundle
from .discover import Discovery, discover
from .files import atomic_write
from .grading import GradingOptions, grade_submission
from .model import ExerciseResult, Submission, SubmissionResult

RESULTS_DIR = ".results"
WORK_DIR = ".work"


@dataclass
class GradeRun:
    """What one ``autograder grade`` run did."""

    discovery: Discovery
    results: list[SubmissionResult] = field(default_factory=list)
    graded: int = 0  # graded in this run
    reused: int = 0  # taken from an earlier run (unchanged)
    mode: str = ""
    outputs: dict[str, Path] = field(default_factory=dict)
    seconds: float = 0.0


def grader_fingerprint(root: Path = REPO_ROOT) -> str:
    """Changes whenever anything that decides a grade changes (checks, reference, notebooks, grader)."""
    digest = hashlib.sha256()
    for folder, pattern in [("course", "**/*.py"), ("source_notebooks", "**/*.ipynb"), ("autograder", "*.py")]:
        for path in sorted((root / folder).glob(pattern)):
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _cache_path(out_dir: Path, submission: Submission) -> Path:
    return out_dir / RESULTS_DIR / submission.assignment / f"{submission.student_id}.json"


def _load_cached(path: Path, submission: Submission, fingerprint: str) -> SubmissionResult | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("fingerprint") != fingerprint or data["result"].get("sha256") != submission.sha256:
        return None
    return SubmissionResult.from_json(data["result"])


def _save(path: Path, result: SubmissionResult, fingerprint: str) -> None:
    data = json.dumps({"fingerprint": fingerprint, "result": result.to_json()}, ensure_ascii=False)
    atomic_write(path, data.encode("utf-8"))


def _internal_error(submission: Submission, error: BaseException) -> SubmissionResult:
    """A grader failure costs this submission a re-grade, never the batch: zeros with the reason."""
    spec = load_assignment(submission.assignment)
    message = (
        f"採点処理の内部エラーのため採点できませんでした ({type(error).__name__}: {error})。講師に連絡してください。"
    )
    result = SubmissionResult(submission.student_id, submission.assignment, submission.origin, submission.sha256)
    result.ran = False
    result.problems.append(message)
    for cell in spec.cells:
        if cell.kind in ("tests", "answer"):
            result.exercises.append(ExerciseResult(cell.grade_id, 0.0, cell.points, message, cell.kind == "answer"))
    return result


def _grade_locally(jobs: list[Submission], options: GradingOptions, workers: int) -> Iterator[SubmissionResult]:
    pending = list(jobs)
    while pending:
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
            futures = {pool.submit(grade_submission, job, options): job for job in pending}
            pending = []
            for future in as_completed(futures):
                job = futures[future]
                try:
                    yield future.result()
                except BrokenProcessPool:
                    pending.append(job)  # a dead worker process: start a new pool for what is left
                except Exception as error:  # noqa: BLE001 - one submission's failure never stops the batch
                    yield _internal_error(job, error)
        if pending and len(pending) == len(futures):
            for job in pending:  # the pool died before anything finished: do not loop forever
                yield _internal_error(job, RuntimeError("grading process died"))
            return


def _grade_on_dask(jobs: list[Submission], options: GradingOptions, scheduler: str) -> Iterator[SubmissionResult]:
    from distributed import Client
    from distributed import as_completed as dask_completed

    with Client(scheduler) as client:
        futures = {client.submit(grade_submission, job, options, pure=False): job for job in jobs}
        for future in dask_completed(list(futures)):
            job = futures[future]
            try:
                yield future.result()
            except Exception as error:  # noqa: BLE001
                yield _internal_error(job, error)


def _progress(total: int, show: bool):
    from course.progress import progress

    return progress(total=total, desc="採点", unit="nb", disable=not show)


def run_grade(
    submissions_dir: Path,
    out_dir: Path,
    assignments: list[str] | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    db_url: str | None = None,
    force: bool = False,
    show_progress: bool = True,
    log: Callable[[str], None] = print,
) -> GradeRun:
    from .assignment import known_assignments
    from .gradebook_sync import default_db_url, prepare_course_dir, sync_results
    from .reports import write_outputs

    start = time.monotonic()
    out_dir = Path(out_dir).resolve()
    submissions_dir = Path(submissions_dir).resolve()
    work = out_dir / WORK_DIR
    discovery = discover(submissions_dir, work / "extracted", assignments, known_assignments())
    log(discovery.describe())

    mode = "bubblewrap" if sandbox.bubblewrap() else "rlimits"
    log(sandbox.describe(mode))
    bundle = build_learner_bundle(work / "bundle")
    options = GradingOptions(
        bundle_dir=bundle.out_dir, mode=mode, hidden=tuple(sandbox.default_hidden([out_dir, submissions_dir]))
    )
    fingerprint = grader_fingerprint()
    run = GradeRun(discovery=discovery, mode=mode)

    jobs: list[Submission] = []
    for submission in discovery.submissions:
        cached = None if force else _load_cached(_cache_path(out_dir, submission), submission, fingerprint)
        if cached is None:
            jobs.append(submission)
        else:
            run.results.append(cached)
            run.reused += 1
    if run.reused:
        log(f"変更のない {run.reused} 件は前回の採点結果を使います (--force で採点し直します)。")

    workers = workers or os.cpu_count() or 1
    stream: Iterable[SubmissionResult] = (
        _grade_on_dask(jobs, options, scheduler) if scheduler else _grade_locally(jobs, options, workers)
    )
    by_key = {(s.student_id, s.assignment): s for s in jobs}
    with _progress(len(jobs), show_progress) as bar:
        for result in stream:
            _save(_cache_path(out_dir, by_key[(result.student_id, result.assignment)]), result, fingerprint)
            run.results.append(result)
            run.graded += 1
            bar.update(1)

    run.results.sort(key=lambda r: (r.student_id, r.assignment))
    specs = {a: load_assignment(a) for a in sorted({r.assignment for r in run.results})}
    run.outputs = write_outputs(out_dir, run.results, specs, discovery.describe(), sandbox.describe(mode))
    course_dir = out_dir / "course"
    db = db_url or default_db_url(course_dir)
    prepare_course_dir(course_dir, sorted(specs), db_url=db)
    paths = {(s.student_id, s.assignment): s.path for s in discovery.submissions}
    sync_results(course_dir, db, run.results, paths)
    run.outputs["gradebook"] = Path(course_dir)
    run.seconds = time.monotonic() - start
    return run


def summary_table(run: GradeRun) -> str:
    """A one-screen summary: per assignment, submissions, mean score, and failures."""
    lines = ["| 課題 | 提出数 | 平均点 | 満点 | 実行できなかった提出 |", "|---|---:|---:|---:|---:|"]
    for assignment in sorted({r.assignment for r in run.results}):
        rows = [r for r in run.results if r.assignment == assignment]
        mean = sum(r.score for r in rows) / len(rows)
        failed = sum(1 for r in rows if not r.ran)
        lines.append(f"| {assignment} | {len(rows)} | {mean:.1f} | {rows[0].max_score:g} | {failed} |")
    return "\n".join(lines)


def print_summary(run: GradeRun, stream=sys.stdout) -> None:
    print(summary_table(run), file=stream)
    print(f"\n採点 {run.graded} 件、再利用 {run.reused} 件、{run.seconds:.1f} 秒 ({run.mode})", file=stream)
    for name in ("grades.csv", "summary.csv", "report.html", "gradebook"):
        if name in run.outputs:
            print(f"{name}: {run.outputs[name]}", file=stream)

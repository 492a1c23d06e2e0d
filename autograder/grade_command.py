"""``autograder grade``: from a folder of submissions to grades, feedback, a report and the gradebook.

Each submission is graded in its own sandboxed process (:mod:`autograder.grading`), in parallel
on this machine or on a Dask cluster. Every finished grade is saved at once under
``OUT/.results/<assignment>/<safe_name(student_id)>.json`` (atomically), keyed by the notebook's
SHA-256 and a fingerprint of the grader, so a re-run skips what is unchanged and an interrupted
run loses nothing. The saved result also keeps when a run first saw the notebook: the
submission time when nbgrader's ``timestamp.txt`` gives none (never the file's modification
time). The gradebook is then updated from all saved grades, the grades that graders entered in
formgrader for the written answers are read back from it (those of a notebook changed since
stay pending: the gradebook flags them for review), and the CSV files, the feedback pages and
the report are written last, so that they show the final totals. Saved results never hold hand
grades: the gradebook is their one place, for graded and reused submissions alike. When the
gradebook cannot be updated or read, the outputs are still written (written answers pending)
and the run says why. Writing everything twice gives the same result.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import importlib
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from . import sandbox
from .assignment import load_assignment
from .build import REPO_ROOT
from .bundle import build_learner_bundle
from .cgroups import kill_owned_by, sweep_stale
from .discover import Discovery, discover
from .files import atomic_write
from .grading import GradingOptions, Timeouts, grade_submission
from .model import ExerciseResult, Submission, SubmissionResult, is_timestamp, timestamp_text
from .safe_names import safe_name
from .worker_pool import GRACE_SECONDS, run_pool
from .worker_session import remove_scratch

RESULTS_DIR = ".results"
WORK_DIR = ".work"
#: What the gradebook imports after grading (about half a second); imported while the sandboxes
#: grade, when this process only waits for them. (The report's figures are inline SVG: no matplotlib.)
LATER_IMPORTS = (
    "nbgrader.api",
    "nbgrader.preprocessors",
    "sqlalchemy.exc",
)


@dataclass
class GradeRun:
    """What one ``autograder grade`` run did."""

    discovery: Discovery
    # the grades of the run; after the gradebook, with the hand grades of the written answers read from it
    results: list[SubmissionResult] = field(default_factory=list)
    graded: int = 0  # graded in this run
    reused: int = 0  # taken from an earlier run (unchanged)
    mode: str = ""
    outputs: dict[str, Path] = field(default_factory=dict)
    seconds: float = 0.0
    gradebook_error: str = ""  # why the gradebook could not be updated or read ("" when it was)


def grader_fingerprint(root: Path = REPO_ROOT) -> str:
    """Changes whenever anything that decides a grade changes (checks, reference, notebooks, grader,
    and the course secret that the hidden inputs derive from)."""
    from course.hidden.secret import secret_fingerprint

    digest = hashlib.sha256(secret_fingerprint().encode())
    for folder, pattern in [("course", "**/*.py"), ("source_notebooks", "**/*.ipynb"), ("autograder", "*.py")]:
        for path in sorted((root / folder).glob(pattern)):
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _cache_path(out_dir: Path, submission: Submission) -> Path:
    """Where the grade of ``submission`` is saved; the file name is safe whatever the student id."""
    return out_dir / RESULTS_DIR / submission.assignment / f"{safe_name(submission.student_id)}.json"


def _read_saved(path: Path, submission: Submission) -> dict | None:
    """The saved result of these very bytes of this learner (any grader version), or None."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    result = data.get("result") if isinstance(data, dict) else None
    if not isinstance(result, dict):
        return None
    mine = (result.get("student_id"), result.get("assignment"), result.get("sha256"))
    return data if mine == (submission.student_id, submission.assignment, submission.sha256) else None


def _load_cached(saved: dict | None, fingerprint: str) -> SubmissionResult | None:
    """The saved result, if the grader has not changed since."""
    if saved is None or saved.get("fingerprint") != fingerprint:
        return None
    try:
        return SubmissionResult.from_json(dict(saved["result"]))
    except (TypeError, ValueError, KeyError):
        return None


def _first_seen(saved: dict | None) -> str:
    """When a grading run first saw these bytes (kept in the saved result), or ""."""
    stamp = saved["result"].get("timestamp") if saved is not None else None
    return stamp if is_timestamp(stamp) else ""


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


def _lost(submission: Submission, reason: str) -> SubmissionResult:
    return _internal_error(submission, RuntimeError(reason))


def _job_seconds(options: GradingOptions) -> float:
    """The hard deadline of one submission in a worker: its own budget plus the grace for the rest."""
    return options.timeouts.submission + GRACE_SECONDS


def _import_in_background(modules: Iterable[str]) -> threading.Thread:
    """Import ``modules`` in a daemon thread; an error is left for the step that needs the module."""

    def work() -> None:
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001, S112
                continue

    thread = threading.Thread(target=work, name="later-imports", daemon=True)
    thread.start()
    return thread


def _grade_locally(jobs: list[Submission], options: GradingOptions, workers: int) -> Iterator[SubmissionResult]:
    grade = functools.partial(grade_submission, options=options)
    cgroups = options.setup.cgroups if options.setup is not None else None

    def after_kill(pid: int) -> None:  # what a killed worker's sandboxes leave behind
        kill_owned_by(cgroups, pid)
        remove_scratch(pid)

    # the checks compute on the trusted side: one BLAS thread each, as in the sandboxes
    yield from run_pool(
        jobs, grade, _lost, workers, _job_seconds(options), after_kill=after_kill, environment=sandbox.ONE_MATH_THREAD
    )


def _grade_on_dask(jobs: list[Submission], options: GradingOptions, scheduler: str) -> Iterator[SubmissionResult]:
    """Grade on a Dask cluster. Each job enforces its own budget inside the worker; the wait here is
    bounded too (every job's deadline, one after another), and what has not come back by then is lost."""
    from distributed import Client
    from distributed import TimeoutError as DaskTimeout
    from distributed import as_completed as dask_completed

    with Client(scheduler) as client:
        remote = dataclasses.replace(options, setup=None)  # each worker machine detects its own sandbox layers
        futures = {client.submit(grade_submission, job, remote, pure=False): job for job in jobs}
        done: set = set()
        try:
            for future in dask_completed(list(futures), timeout=_job_seconds(options) * max(1, len(jobs))):
                done.add(future)
                job = futures[future]
                try:
                    yield future.result(timeout=60)
                except Exception as error:  # noqa: BLE001
                    yield _internal_error(job, error)
        except DaskTimeout:
            for future, job in futures.items():
                if future not in done:
                    future.cancel()
                    yield _lost(job, "Dask のワーカーが時間内に結果を返しませんでした (timed out on the cluster)")


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
    timeouts: Timeouts | None = None,
    course_dir: Path | None = None,
) -> GradeRun:
    """``course_dir``: the nbgrader course of the gradebook (default ``out_dir/course``)."""
    from .assignment import known_assignments
    from .reports import write_outputs

    start = time.monotonic()
    out_dir = Path(out_dir).resolve()
    submissions_dir = Path(submissions_dir).resolve()
    work = out_dir / WORK_DIR
    discovery = discover(submissions_dir, work / "extracted", assignments, known_assignments())
    log(discovery.describe())

    setup = sandbox.detect()
    log(setup.describe())
    sweep_stale(setup.cgroups)  # sandboxes of an earlier grader that was killed outright
    remove_scratch()
    bundle = build_learner_bundle(work / "bundle")
    options = GradingOptions(bundle_dir=bundle.out_dir, setup=setup, timeouts=timeouts or Timeouts())
    fingerprint = grader_fingerprint()
    run = GradeRun(discovery=discovery, mode=setup.mode)

    jobs: list[Submission] = []
    # the submission time: nbgrader's timestamp.txt, else when a run first saw these bytes
    now = timestamp_text(dt.datetime.now(dt.UTC))
    collected: dict[tuple[str, str], str] = {}
    for submission in discovery.submissions:
        path = _cache_path(out_dir, submission)
        saved = _read_saved(path, submission)
        stamp = collected[(submission.student_id, submission.assignment)] = (
            submission.timestamp or _first_seen(saved) or now
        )
        cached = None if force else _load_cached(saved, fingerprint)
        if cached is None:
            jobs.append(submission)
        else:
            if cached.timestamp != stamp:
                cached.timestamp = stamp
                _save(path, cached, fingerprint)
            run.results.append(cached)
            run.reused += 1
    if run.reused:
        log(f"変更のない {run.reused} 件は前回の採点結果を使います (--force で採点し直します)。")

    if jobs:
        _import_in_background(LATER_IMPORTS)
    workers = workers or os.cpu_count() or 1
    stream: Iterable[SubmissionResult] = (
        _grade_on_dask(jobs, options, scheduler) if scheduler else _grade_locally(jobs, options, workers)
    )
    by_key = {(s.student_id, s.assignment): s for s in jobs}
    with _progress(len(jobs), show_progress) as bar:
        for result in stream:
            job = by_key[(result.student_id, result.assignment)]
            result.timestamp = collected[(result.student_id, result.assignment)]
            try:
                _save(_cache_path(out_dir, job), result, fingerprint)
            except (OSError, ValueError, TypeError) as error:  # one result that cannot be stored: that one only
                log(f"{job.origin}: 採点結果を保存できませんでした ({type(error).__name__}: {error})")
                result = _internal_error(job, error)
                result.timestamp = collected[(result.student_id, result.assignment)]
            run.results.append(result)
            run.graded += 1
            bar.update(1)

    run.results.sort(key=lambda r: (r.student_id, r.assignment))
    specs = {a: load_assignment(a) for a in sorted({r.assignment for r in run.results})}
    # the gradebook first, then the hand grades of the written answers from it, then the outputs
    course_dir = Path(course_dir).resolve() if course_dir else out_dir / "course"
    run.results = _with_gradebook(run, discovery, course_dir, db_url, sorted(specs), log)
    # each learner's totals cover the assignments asked for (--assignment), else every one submitted in this run
    asked = sorted(set(assignments or ()) & set(known_assignments())) or None
    outputs = write_outputs(out_dir, run.results, specs, discovery.describe(), setup.describe(), assignments=asked)
    run.outputs = {**outputs, **run.outputs}
    run.seconds = time.monotonic() - start
    return run


def _first_lines(text: str, limit: int = 12) -> str:
    lines = text.strip().splitlines()
    return "\n".join(lines[:limit] + ([f"… (ほか {len(lines) - limit} 行)"] if len(lines) > limit else []))


def _with_gradebook(
    run: GradeRun,
    discovery: Discovery,
    course_dir: Path,
    db_url: str | None,
    assignments: list[str],
    log: Callable[[str], None],
) -> list[SubmissionResult]:
    """Record ``run.results`` in the gradebook, then read back the hand grades of the written answers.

    ``db_url``: the gradebook (None: SQLite in ``course_dir``). Returns the results to report: with
    the hand grades, or ``run.results`` as they are (written answers pending) when the gradebook
    cannot be updated or read, which is logged and kept in ``run.gradebook_error`` (the outputs
    are written either way). Adds ``run.outputs["gradebook"]`` when everything worked.
    """
    from .gradebook_sync import default_db_url, read_manual_scores, sync_with_gradebook

    def failed(what: str, error: Exception) -> list[SubmissionResult]:
        run.gradebook_error = f"{type(error).__name__}: {_first_lines(str(error))}"
        log(
            f"成績簿 (nbgrader, {course_dir}) を{what}できませんでした。grades.csv・summary.csv・フィードバック・"
            "report.html は書き出しますが、formgrader で採点した記述問題の点は入らず、採点待ちのままです。"
            "成績簿 (--db-url) を直してから、もう一度 `autograder grade` を実行してください "
            f"(the gradebook could not be {'updated' if what == '更新' else 'read'}; written answers stay pending):\n"
            f"  {run.gradebook_error}"
        )
        return run.results

    try:
        db_url = db_url or default_db_url(course_dir)
        paths = {(s.student_id, s.assignment): s.path for s in discovery.submissions}
        renamed = sync_with_gradebook(course_dir, db_url, assignments, run.results, paths)
    except Exception as error:  # noqa: BLE001 - the outputs are written all the same
        return failed("更新", error)
    if renamed:
        log(
            "成績簿 (nbgrader) とその提出フォルダでは、フォルダ名に使えない学生 ID を安全な名前で記録します "
            "(stored in the gradebook under a safe id; grades.csv and the feedback pages show the real id):\n"
            + "\n".join(f"  {student!r} → {name}" for student, name in sorted(renamed.items()))
        )
    try:
        hand = read_manual_scores(db_url, run.results)
    except Exception as error:  # noqa: BLE001
        return failed("読み込み", error)
    for problem in hand.problems:
        log(problem)
    if hand.graded or hand.pending:
        review = f" (うち提出し直しで再確認待ち {hand.review} 件)" if hand.review else ""
        log(
            f"記述問題: formgrader で採点済み {hand.graded} 件を成績簿から読み込みました。"
            f"採点待ち {hand.pending} 件{review} "
            f"(written answers: {hand.graded} graded in formgrader, {hand.pending} pending)。"
        )
    run.outputs["gradebook"] = Path(course_dir)
    return hand.results


def summary_table(run: GradeRun) -> str:
    """A one-screen summary: per assignment, submissions, the autograded mean, written answers waiting, failures."""
    from .reports import class_summary_markdown

    return class_summary_markdown(run.results)


def print_summary(run: GradeRun, stream=sys.stdout) -> None:
    print(summary_table(run), file=stream)
    print(f"\n採点 {run.graded} 件、再利用 {run.reused} 件、{run.seconds:.1f} 秒 ({run.mode})", file=stream)
    for name in ("grades.csv", "summary.csv", "report.html", "gradebook"):
        if name in run.outputs:
            print(f"{name}: {run.outputs[name]}", file=stream)
    if run.gradebook_error:
        print(f"gradebook: 更新または読み込みに失敗 (記述問題は採点待ちのまま): {run.gradebook_error}", file=stream)

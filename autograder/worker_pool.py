"""Grading processes on this machine, each with a hard deadline and a memory bound.

Each worker is a spawned Python process that grades one submission at a time
(:func:`autograder.grading.grade_submission`, which starts the learner's sandbox). The
parent never waits without a timeout: a worker that has not answered by its job's deadline
is killed with everything it started, and a worker that dies (killed by the OS, out of
memory) is replaced. Either way only the submission it held is affected: it is tried once
more in a fresh worker, then reported with the reason and zero points; the batch goes on.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import signal
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait

from .model import Submission, SubmissionResult
from .quick_exit import skip_final_collection

#: Address space of one trusted grading process (its sandboxes have their own limits). The
#: worker parses notebooks (bounded by the notebook size cap) and decodes replies (bounded
#: by the message cap); measured peaks are far below this (see tests/autograder/test_worker_memory.py).
WORKER_MEMORY_BYTES = 2 * 1024**3
#: Time a job may take beyond the submission's own budget (process start, notebook parsing, results).
GRACE_SECONDS = 90.0
#: Attempts of one submission before it is reported as lost.
ATTEMPTS = 2


@dataclass
class _Worker:
    process: multiprocessing.process.BaseProcess
    conn: Connection
    job: Submission | None = None
    attempt: int = 0
    deadline: float = 0.0


@dataclass(frozen=True)
class _Failure:
    """grade() raised: the job's result is lost with this reason (the worker itself is fine)."""

    reason: str


def _serve(conn: Connection, grade: Callable[[Submission], SubmissionResult], memory_bytes: int) -> None:
    """The worker's loop: one job in, one result out, until the parent closes the pipe."""
    os.setpgid(0, 0)  # its own process group: the parent kills the worker and its children together
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if memory_bytes > 0 and (soft == resource.RLIM_INFINITY or soft > memory_bytes):
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, hard))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):  # the parent is done with this worker
            skip_final_collection()
            return
        try:
            result: SubmissionResult | _Failure = grade(job)
        except Exception as error:  # noqa: BLE001 - reported for this job; the worker goes on
            result = _Failure(f"{type(error).__name__}: {str(error)[:300]}")
        conn.send(result)


@contextmanager
def _environment(variables: Mapping[str, str]) -> Iterator[None]:
    """Set ``variables`` in this process's environment for the duration (a spawned worker copies it at start)."""
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _kill(worker: _Worker) -> None:
    pid = worker.process.pid
    if pid is not None:
        for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
            try:
                target()
            except (ProcessLookupError, PermissionError):
                pass
    worker.process.join(10)
    worker.conn.close()


def run_pool(
    jobs: list[Submission],
    grade: Callable[[Submission], SubmissionResult],
    lost: Callable[[Submission, str], SubmissionResult],
    workers: int,
    job_seconds: float,
    memory_bytes: int = WORKER_MEMORY_BYTES,
    after_kill: Callable[[int], None] | None = None,
    environment: Mapping[str, str] | None = None,
) -> Iterator[SubmissionResult]:
    """Grade ``jobs`` with ``workers`` processes; yields one result per job, in completion order.

    ``grade`` must be picklable (a module-level function or a ``functools.partial`` of one).
    ``lost(job, reason)`` makes the result of a job that could not be graded. ``after_kill(pid)``
    runs after a worker was killed (to clean up what it started, e.g. its sandboxes' cgroups).
    ``environment``: variables each worker starts with, on top of this process's environment.
    """
    context = multiprocessing.get_context("spawn")
    queue = list(reversed(jobs))  # pop() takes the first job
    attempts: dict[int, int] = {}
    pool: list[_Worker] = []

    def start_worker() -> _Worker:
        parent, child = context.Pipe()
        process = context.Process(target=_serve, args=(child, grade, memory_bytes), daemon=True)
        with _environment(environment or {}):
            process.start()
        child.close()
        return _Worker(process, parent)

    def retire(worker: _Worker, reason: str) -> Iterator[SubmissionResult]:
        """The worker is dead or killed: its job goes back to the queue, or is lost."""
        pool.remove(worker)
        if after_kill is not None and worker.process.pid is not None:
            after_kill(worker.process.pid)
        job = worker.job
        if job is not None:
            tries = attempts.get(id(job), 0) + 1
            attempts[id(job)] = tries
            if tries >= ATTEMPTS:
                yield lost(job, reason)
            else:
                queue.append(job)

    try:
        while queue or any(w.job is not None for w in pool):
            while queue and len(pool) < max(1, workers):
                pool.append(start_worker())
            for worker in pool:
                if worker.job is None and queue:
                    worker.job = queue.pop()
                    worker.deadline = time.monotonic() + job_seconds
                    try:
                        worker.conn.send(worker.job)
                    except (OSError, ValueError):
                        pass  # a dead worker: its sentinel says so below
            busy = [w for w in pool if w.job is not None]
            now = time.monotonic()
            timeout = max(0.0, min(w.deadline for w in busy) - now) if busy else 0.0
            ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=timeout))
            for worker in list(busy):
                if worker.conn in ready:
                    try:
                        result = worker.conn.recv()
                    except (EOFError, OSError):
                        _kill(worker)
                        yield from retire(worker, "採点プロセスが異常終了しました (grading process died)")
                        continue
                    job, worker.job = worker.job, None
                    if isinstance(result, _Failure):
                        yield lost(job, f"採点処理の内部エラー (grader error): {result.reason}")
                    else:
                        yield result
                elif worker.process.sentinel in ready:
                    _kill(worker)
                    code = worker.process.exitcode
                    reason = f"採点プロセスが異常終了しました (grading process died, exit code {code})"
                    yield from retire(worker, reason)
                elif time.monotonic() >= worker.deadline:
                    _kill(worker)
                    yield from retire(
                        worker, f"採点が {job_seconds:.0f} 秒以内に終わりませんでした (grading process timed out)"
                    )
    finally:
        for worker in pool:
            try:
                worker.conn.close()  # an idle worker's recv() ends: it exits
            except OSError:
                pass
        for worker in pool:
            worker.process.join(5)
            if worker.process.is_alive():
                _kill(worker)

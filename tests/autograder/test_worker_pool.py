"""The grading pool never waits without a deadline, and a dead or hung worker costs one submission."""

from __future__ import annotations

import os
import time
from pathlib import Path

from autograder.model import Submission, SubmissionResult
from autograder.worker_pool import run_pool


def _job(student: str) -> Submission:
    return Submission(student, "ch01_activation", Path(f"/nonexistent/{student}.ipynb"), student)


def _grade(job: Submission) -> SubmissionResult:
    """A stand-in for grade_submission whose behaviour is named by the student id."""
    if job.student_id.startswith("hang"):
        while True:
            time.sleep(1)  # ignores nothing, answers nothing: only the deadline ends it
    if job.student_id.startswith("die"):
        os._exit(3)
    if job.student_id.startswith("memory"):
        blocks = []
        while True:
            blocks.append(bytearray(64 * 1024 * 1024))  # until the worker's own memory bound stops it
    return SubmissionResult(job.student_id, job.assignment, job.origin, job.sha256)


def _lost(job: Submission, reason: str) -> SubmissionResult:
    result = SubmissionResult(job.student_id, job.assignment, job.origin, job.sha256, ran=False)
    result.problems.append(reason)
    return result


def test_hung_and_dead_workers_cost_only_their_submission():
    jobs = [_job(name) for name in ("a", "hang", "b", "die", "c", "memory", "d")]
    killed: list[int] = []
    start = time.monotonic()
    results = list(
        run_pool(jobs, _grade, _lost, workers=2, job_seconds=4.0, memory_bytes=1024**3, after_kill=killed.append)
    )
    elapsed = time.monotonic() - start
    by_student = {r.student_id: r for r in results}
    assert sorted(by_student) == sorted(j.student_id for j in jobs)  # one result each, nothing twice
    assert len(results) == len(jobs)
    for honest in "abcd":
        assert by_student[honest].ran and not by_student[honest].problems
    assert "timed out" in by_student["hang"].problems[0]
    assert "died" in by_student["die"].problems[0]
    # the worker's own memory bound turns the runaway into a MemoryError: that job only, at once
    assert not by_student["memory"].ran and "MemoryError" in by_student["memory"].problems[0]
    # the hung job was tried twice (4 s each); everything else is quick
    assert elapsed < 60
    assert len(killed) == 4  # the hung worker twice, the dead one twice


def test_scratch_folders_of_killed_workers_are_removed(monkeypatch, tmp_path):
    """Red team: a killed worker left its sandboxes' scratch folders behind."""
    from autograder import worker_session

    monkeypatch.setattr(worker_session, "SCRATCH_ROOT", tmp_path)
    dead = 2**22 + os.getpid() % 1000  # pids are below 2**22: this one cannot be running
    for name in (f"w{dead}-a", f"w{dead}-b", f"w{os.getpid()}-c", "unrelated"):
        (tmp_path / name).mkdir()
    assert worker_session.remove_scratch(dead) == 2  # after that worker was killed
    (tmp_path / f"w{dead}-d").mkdir()
    assert worker_session.remove_scratch() == 1  # at the start of a run: owners that no longer run
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([f"w{os.getpid()}-c", "unrelated"])


def _report_environment(job: Submission) -> SubmissionResult:
    """A stand-in for grade_submission that reports the worker's BLAS thread setting as a problem."""
    result = SubmissionResult(job.student_id, job.assignment, job.origin, job.sha256)
    result.problems.append(os.environ.get("OPENBLAS_NUM_THREADS", "unset"))
    return result


def test_workers_start_with_the_given_environment_and_the_parent_keeps_its_own(monkeypatch):
    """The checks run in the workers: one BLAS thread each, as in the sandboxes (same rounding, no oversubscription)."""
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    results = list(
        run_pool([_job("a"), _job("b")], _report_environment, _lost, workers=2, job_seconds=30.0,
                 environment={"OPENBLAS_NUM_THREADS": "1"})
    )  # fmt: skip
    assert [r.problems for r in results] == [["1"], ["1"]]
    assert "OPENBLAS_NUM_THREADS" not in os.environ
    results = list(run_pool([_job("c")], _report_environment, _lost, workers=1, job_seconds=30.0))
    assert results[0].problems == ["unset"]

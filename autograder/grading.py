"""Grade one submission: run the instructor's notebook around the learner's answers in the
sandbox, and decide every exercise with the hidden checks in this (trusted) process."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from course.checks import UNEXPECTED_VALUE_ERRORS, CheckFailure, unexpected_value
from course.hidden import run_check
from course.hints import hint_names

from . import sandbox
from .assignment import AssignmentSpec, load_assignment
from .hint_use import hints_used
from .matching import extract_answers
from .model import ExerciseResult, Submission, SubmissionResult
from .nbgrader_setup import CELL_TIMEOUT
from .notebook_reading import read_submission
from .remote_runner import RemoteRunner
from .worker_session import SandboxSession, SessionError

#: Wall-clock budget of one submission; what has not been graded by then scores 0.
SUBMISSION_SECONDS = 300.0


@dataclass(frozen=True)
class Timeouts:
    """Wall-clock budgets: one cell, one call of a hidden check, one whole submission."""

    cell: float = CELL_TIMEOUT
    call: float = 20.0
    submission: float = SUBMISSION_SECONDS


@dataclass(frozen=True)
class GradingOptions:
    bundle_dir: Path  # the learner bundle the sandbox imports `course` from
    setup: sandbox.Setup | None  # the sandbox layers of the grading machine (None: detect them there)
    limits: sandbox.Limits = sandbox.DEFAULT_LIMITS
    timeouts: Timeouts = Timeouts()


def _zeros(spec: AssignmentSpec, message: str) -> list[ExerciseResult]:
    results = []
    for cell in spec.cells:
        if cell.kind == "tests":
            results.append(ExerciseResult(cell.grade_id, 0.0, cell.points, message))
        elif cell.kind == "answer":
            results.append(ExerciseResult(cell.grade_id, 0.0, cell.points, message, manual=True))
    return results


def grade_submission(
    submission: Submission, options: GradingOptions, spec: AssignmentSpec | None = None
) -> SubmissionResult:
    """Grade ``submission``; never raises for anything the learner did."""
    start = time.monotonic()
    spec = spec or load_assignment(submission.assignment)
    setup = options.setup or sandbox.detect()
    result = SubmissionResult(
        submission.student_id, submission.assignment, submission.origin, submission.sha256, sandbox=setup.mode
    )
    nb, problems = read_submission(submission.path)
    result.problems.extend(problems)
    if nb is None:
        result.ran = False
        result.exercises = _zeros(
            spec, "ノートブックを読み込めなかったため採点できませんでした: " + " / ".join(problems)
        )
        return result
    result.hints = hints_used(nb, hint_names())
    answers = extract_answers(nb, spec)
    result.problems.extend(answers.notes)

    session = SandboxSession(
        options.bundle_dir,
        setup,
        options.limits,
        options.timeouts.call,
        deadline=start + options.timeouts.submission,
    )
    try:
        session.start()
    except (SessionError, TimeoutError, EOFError, OSError) as error:
        result.ran = False
        result.exercises = _zeros(spec, f"採点用プロセスを起動できませんでした: {error}")
        session.close()
        return result
    solution_errors: dict[str, str] = {}
    instructor_errors: list[str] = []
    try:
        runner = RemoteRunner(session)
        for cell in spec.cells:
            out_of_time = session.out_of_time
            if cell.kind == "code":
                error = "" if out_of_time else _run(session, cell.source, options.timeouts.cell)
                if error and len(instructor_errors) < 3:  # usually a consequence of a broken answer
                    first_line = cell.source.strip().splitlines()[0][:60] if cell.source.strip() else ""
                    instructor_errors.append(f"講師のセル「{first_line}」の実行でエラー: {error}")
            elif cell.kind == "solution":
                code = answers.code.get(cell.grade_id)
                if code is None:
                    solution_errors[cell.grade_id] = f"解答セル {cell.grade_id} が見つかりませんでした。"
                elif not out_of_time:
                    error = _run(session, code, options.timeouts.cell)
                    if error:
                        solution_errors[cell.grade_id] = f"解答セル {cell.grade_id} の実行でエラー: {error}"
            elif cell.kind == "tests":
                result.exercises.append(_grade_tests_cell(cell, runner, submission, solution_errors, out_of_time))
            elif cell.kind == "answer":
                text = answers.text.get(cell.grade_id)
                if text is None or not text.strip():
                    result.exercises.append(
                        ExerciseResult(cell.grade_id, 0.0, cell.points, "記述式の解答が見つかりませんでした。", True)
                    )
                else:
                    result.exercises.append(ExerciseResult(cell.grade_id, None, cell.points, "", manual=True))
    finally:
        result.instructor_notes.extend(instructor_errors)
        if session.restarts:
            result.problems.append(f"採点中にプロセスを {session.restarts} 回再起動しました (crash or timeout)。")
        session.close()
    result.seconds = time.monotonic() - start
    return result


def _run(session: SandboxSession, code: str, timeout: float) -> str:
    """Run a cell; returns the error text ('' on success)."""
    try:
        reply = session.run_cell(code, timeout)
    except SessionError as error:
        return str(error)
    return "" if reply.ok else reply.error


def _grade_tests_cell(cell, runner, submission: Submission, solution_errors: dict[str, str], out_of_time: bool):
    if out_of_time:
        return ExerciseResult(cell.grade_id, 0.0, cell.points, "採点の制限時間を超えたため採点できませんでした。")
    try:
        # fresh inputs for every submitted file (the same bytes get the same inputs when regraded): inputs
        # seen in the feedback of one attempt (a learner's own error message can print them) are of no use in the next
        learner = f"{submission.student_id}\x00{submission.sha256}"
        run_check(submission.assignment, cell.check, runner, learner=learner)
    except CheckFailure as failure:
        message = str(failure)
        related = [text for grade_id, text in solution_errors.items() if grade_id == cell.check]
        if related:
            message = related[0] + "\n" + message
        return ExerciseResult(cell.grade_id, 0.0, cell.points, message, properties=failure.properties)
    except UNEXPECTED_VALUE_ERRORS as error:  # a learner value that the check did not expect: this exercise only
        return ExerciseResult(cell.grade_id, 0.0, cell.points, unexpected_value(error))
    return ExerciseResult(cell.grade_id, cell.points, cell.points, "")

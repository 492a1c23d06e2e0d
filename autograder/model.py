"""The data that flows through the grader: what was submitted and what it scored.

Everything here is plain data (picklable, JSON-serialisable through ``asdict``) so that it
can cross process and Dask boundaries and be cached on disk.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

#: nbgrader's own timestamp format (``ExchangeSubmit.timestamp_format``, read back by
#: ``nbgrader.utils.parse_utc``); the grader writes it in UTC.
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f %Z"


def timestamp_text(when: dt.datetime) -> str:
    """``when`` (aware, or naive UTC as nbgrader's ``parse_utc`` returns it) in nbgrader's format, in UTC."""
    when = when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)
    return when.strftime(TIMESTAMP_FORMAT)


def is_timestamp(text: object) -> bool:
    """True for a time written by :func:`timestamp_text` (e.g. read back from a saved result)."""
    if not isinstance(text, str):
        return False
    try:
        dt.datetime.strptime(text, TIMESTAMP_FORMAT)
    except ValueError:
        return False
    return True


@dataclass
class Submission:
    """One notebook of one learner for one assignment, as found on disk."""

    student_id: str
    assignment: str
    path: Path  # the notebook file (extracted into a scratch folder if it came from a zip)
    origin: str  # where it came from, for messages (e.g. "alice/ch01_activation/ch01_activation.ipynb")
    sha256: str = ""  # of the notebook bytes; the key of incremental re-grading
    timestamp: str = ""  # submission time from nbgrader's timestamp.txt (TIMESTAMP_FORMAT); "" if none


@dataclass
class Ignored:
    """A file of the submissions folder that is not graded, and why (Japanese + English)."""

    origin: str
    reason: str


@dataclass
class ExerciseResult:
    """The grade of one graded cell (a tests cell, or a hand-graded written answer)."""

    grade_id: str
    score: float | None  # None: to be graded by hand (written answers)
    max_score: float
    message: str = ""  # diagnostic shown to the learner; empty at full marks
    manual: bool = False
    # property name → "pass", "fail" or "skip" (not checked), when the cell's check lists its properties and failed
    properties: dict[str, str] = field(default_factory=dict)


@dataclass
class SubmissionResult:
    """Everything the grader learned about one submission."""

    student_id: str
    assignment: str
    origin: str
    sha256: str
    exercises: list[ExerciseResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # notebook-level messages (broken file, repaired cells…)
    # for the instructor only (class report, CSV), never in the learner's feedback: errors of the
    # instructor's own cells, which are a consequence of a broken answer and shown there as its exercises' results
    instructor_notes: list[str] = field(default_factory=list)
    ran: bool = True  # False when the notebook could not be executed at all
    seconds: float = 0.0
    sandbox: str = ""  # "bubblewrap" or "rlimits" (the weaker limits)
    # when it was collected (TIMESTAMP_FORMAT): nbgrader's timestamp.txt, else when a grading run
    # first saw these bytes; never the file's modification time, which the learner controls
    timestamp: str = ""
    # exercise name → the highest hint step the learner showed (course.hints; class report only)
    hints: dict[str, int] = field(default_factory=dict)

    @property
    def score(self) -> float:
        return float(sum(e.score or 0.0 for e in self.exercises))

    @property
    def max_score(self) -> float:
        return float(sum(e.max_score for e in self.exercises))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SubmissionResult:
        exercises = [ExerciseResult(**e) for e in data.pop("exercises")]
        return cls(exercises=exercises, **data)

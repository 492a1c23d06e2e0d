"""The data that flows through the grader: what was submitted and what it scored.

Everything here is plain data (picklable, JSON-serialisable through ``asdict``) so that it
can cross process and Dask boundaries and be cached on disk.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Submission:
    """One notebook of one learner for one assignment, as found on disk."""

    student_id: str
    assignment: str
    path: Path  # the notebook file (extracted into a scratch folder if it came from a zip)
    origin: str  # where it came from, for messages (e.g. "alice/ch01_activation/ch01_activation.ipynb")
    sha256: str = ""  # of the notebook bytes; the key of incremental re-grading


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


@dataclass
class SubmissionResult:
    """Everything the grader learned about one submission."""

    student_id: str
    assignment: str
    origin: str
    sha256: str
    exercises: list[ExerciseResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # notebook-level messages (broken file, repaired cells…)
    ran: bool = True  # False when the notebook could not be executed at all
    seconds: float = 0.0
    sandbox: str = ""  # "bubblewrap" or "rlimits" (the weaker limits)

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

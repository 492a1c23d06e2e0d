"""One module per assignment; each defines CHECKS: dict[str, Check] in notebook order."""

from __future__ import annotations

import copy
from typing import TypeVar

from course.checks import CheckFailure

from ..runner import Runner

T = TypeVar("T")


def check_unchanged(run: Runner, argument: int | str, message: str) -> None:
    """Fail with ``message`` when the learner's last call changed ``argument`` (a position or a
    keyword name) in place; the runner observes it on the learner's side (Runner.last_changed)."""
    if argument in run.last_changed:
        raise CheckFailure(message)


def learner_copy(value: T) -> T:
    """A deep copy of plain data (arrays, numbers, and tuples, lists and dicts of them) to hand to
    the learner's code. The check keeps its own inputs, from which it computes every expected
    value: learner code may change what it is given in place, and a local runner passes arrays
    inside containers (and keyword arrays) as they are."""
    return copy.deepcopy(value)

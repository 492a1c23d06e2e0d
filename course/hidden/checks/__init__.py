"""One module per assignment; each defines CHECKS: dict[str, Check] in notebook order."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import TypeVar

from course.checks import CheckFailure

from ..runner import Runner

T = TypeVar("T")


def check_unchanged(run: Runner, argument: int | str, message: str) -> None:
    """Fail with ``message`` when the learner's last call changed ``argument`` (a position or a
    keyword name) in place; the runner observes it on the learner's side (Runner.last_changed)."""
    if argument in run.last_changed:
        raise CheckFailure(message)


def check_learner_raises(attempt: Callable[[], object], error: str, where: str, hint: str) -> None:
    """Fail unless the learner's call ``attempt()`` (a ``run.call``, ``run.new`` or ``run.method``)
    raises the exception named ``error`` (an input-validation rule of the docstring)."""
    try:
        attempt()
    except CheckFailure as failure:
        if not re.search(rf"例外が発生しました: {error}(:|$)", str(failure)):
            raise CheckFailure(f"{where} で {error} ではない例外が出ました ({failure})。{hint}") from None
    else:
        raise CheckFailure(f"{where} で {error} が出ませんでした。{hint}")


def check_learner_accepts(attempt: Callable[[], object], where: str) -> None:
    """Fail unless the learner's call ``attempt()`` with a valid input raises nothing (a rule that
    says when to raise also says when not to)."""
    try:
        attempt()
    except CheckFailure as failure:
        raise CheckFailure(f"正しい入力 ({where}) で例外が出ました: {failure}") from None


def core_first(core: Callable[[], None]) -> None:
    """Run an exercise's core check before the check of its edge rules: when the core is wrong,
    the rules' cell says so (the rules are graded for a working core)."""
    try:
        core()
    except CheckFailure as failure:
        raise CheckFailure(f"規則の前に、本体がまだ違っています: {failure}") from None


def learner_copy(value: T) -> T:
    """A deep copy of plain data (arrays, numbers, and tuples, lists and dicts of them) to hand to
    the learner's code. The check keeps its own inputs, from which it computes every expected
    value: learner code may change what it is given in place, and a local runner passes arrays
    inside containers (and keyword arrays) as they are."""
    return copy.deepcopy(value)

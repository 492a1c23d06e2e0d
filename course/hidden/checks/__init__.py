"""One module per assignment; each defines CHECKS: dict[str, Check] in notebook order."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from course.checks import PROPERTY_LIST_HEADING, UNEXPECTED_VALUE_ERRORS, CheckFailure, Properties, unexpected_value

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
    except CheckFailure as failure:  # the core's cause, without its list of properties (the core's cell shows it)
        cause = str(failure).split(PROPERTY_LIST_HEADING, 1)[0].strip()
        raise CheckFailure(f"規則の前に、本体がまだ違っています: {cause}") from None


def learner_copy(value: T) -> T:
    """A deep copy of plain data (arrays, numbers, and tuples, lists and dicts of them) to hand to
    the learner's code. The check keeps its own inputs, from which it computes every expected
    value: learner code may change what it is given in place, and a local runner passes arrays
    inside containers (and keyword arrays) as they are."""
    return copy.deepcopy(value)


def properties(run: Runner) -> Properties:
    """The property list of one hidden check (see :class:`course.checks.Properties`): once the
    learner's process has been restarted (a time-out or a crash), the remaining properties are not
    run, so that one endless loop costs one time-out, not one per property.

    A property's inputs must not depend on how the properties before it went: draw them before the
    ``with`` block, or hand the property its own stream, ``rng.spawn(1)[0]`` (spawned in order
    whatever happened before; tests/hidden/test_expected_from_reference.py relies on it)."""
    start = run.restarts
    return Properties(interrupted=lambda: run.restarts != start)


def each_case(run: Runner, cases: Sequence, step: Callable[[Any], None]) -> None:
    """step(case) for every case, in order, even after one failed (the properties after this one use
    what every call returned); then the first failure (the likely cause) is raised. Stops at once when
    the learner's process was restarted (a time-out or a crash costs one time-out, not one per case)."""
    start = run.restarts
    first: CheckFailure | None = None
    for case in cases:
        try:
            step(case)
        except CheckFailure as failure:
            first = first or failure
        except UNEXPECTED_VALUE_ERRORS as error:
            first = first or CheckFailure(unexpected_value(error))
        if first is not None and run.restarts != start:
            break
    if first is not None:
        raise first


def needs_unless_all(records: list, count: int, name: str) -> tuple[str, ...]:
    """``needs`` of a property that uses the records of the property ``name``: none when its calls
    returned for all ``count`` cases (the property may still have failed on their values), else ``name``."""
    return () if len(records) == count else (name,)

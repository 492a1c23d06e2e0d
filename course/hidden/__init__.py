"""Hidden checks of the notebooks (INSTRUCTOR ONLY; never shipped to learners).

A hidden test cell of a source notebook contains only a call such as::

    from course.hidden import run_hidden_check
    run_hidden_check("ch01_activation", "softmax", globals())

so nbgrader's feedback, which shows hidden test cells, reveals neither the inputs nor the
logic. The checks live in :mod:`course.hidden.checks`, one module per assignment, and
compare the learner's results with :mod:`course.reference` on fresh random inputs drawn
from a seed that depends on the assignment, the check and the learner
(``COURSE_GRADING_SEED``, set by the autograder; 0 under plain nbgrader), keyed by the
course's secret (:mod:`course.hidden.secret`), so that the inputs cannot be computed from
the public repository.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from ..checks import CheckFailure
from .runner import LocalRunner, Runner
from .secret import derive_seed

__all__ = ["run_hidden_check", "hidden_check_names", "check_seed", "Check"]

Check = Callable[[Runner, np.random.Generator], None]


def check_seed(assignment: str, check: str, learner: str) -> int:
    """The seed of one check for one learner: HMAC(course secret, assignment, check, learner),
    stable for as long as the secret is, so regrading reproduces the inputs."""
    return derive_seed("hidden-inputs", assignment, check, learner)


def _checks(assignment: str) -> dict[str, Check]:
    module = importlib.import_module(f"{__name__}.checks.{assignment}")
    return module.CHECKS


def hidden_check_names(assignment: str) -> list[str]:
    """Names of the hidden checks of an assignment, in notebook order."""
    return list(_checks(assignment))


def run_check(assignment: str, check: str, runner: Runner, learner: str = "0") -> None:
    """Run one check through ``runner``; raises CheckFailure with the diagnostic."""
    rng = np.random.default_rng(check_seed(assignment, check, learner))
    _checks(assignment)[check](runner, rng)


def run_hidden_check(assignment: str, check: str, namespace: dict[str, Any]) -> None:
    """Entry point of a hidden test cell: run the check on the notebook's namespace."""
    __tracebackhide__ = True  # IPython and pytest hide this frame in tracebacks
    learner = os.environ.get("COURSE_GRADING_SEED", "0")
    try:
        run_check(assignment, check, LocalRunner(namespace), learner)
    except CheckFailure as failure:
        message = str(failure)
    else:
        print(f"隠しテスト ({check}): 合格")
        return
    raise AssertionError(f"隠しテスト ({check}) 不合格: {message}")

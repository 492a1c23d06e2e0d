"""Both runners report which arguments a learner call changed in place (Runner.last_changed), so a
check of "do not overwrite the input" gives the same verdict under plain nbgrader (LocalRunner) and
in the grader's sandbox (RemoteRunner), where the learner only ever sees copies."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.worker_session import _changed_arguments
from course.hidden.runner import LocalRunner

LEARNER_CODE = """
import numpy as np

def scale_in_place(x, factor):
    x *= factor
    return x

def scale(x, factor):
    return x * factor

def descend(f, init_x, lr=0.1):
    init_x -= lr
    return init_x

def drive(label, steps):
    for x, flag in steps:
        if flag:
            x[...] = 0.0
    return len(steps)

def same_nan(x):
    return x  # nan stays nan: not a change

def replace_item(items):
    items[0] = np.zeros(2)  # a new array in the caller's list: a change of the argument
    return 0
"""


def _cases(run) -> list[tuple[tuple[int | str, ...], tuple]]:
    """(expected last_changed, the call's arguments) after each call, on any runner."""
    x = np.arange(4.0)
    seen = []
    run.call("scale_in_place", x, 2.0)
    seen.append(run.last_changed)
    run.call("scale", x, 2.0)
    seen.append(run.last_changed)
    run.call("descend", None, init_x=np.ones(3))
    seen.append(run.last_changed)
    run.call("drive", "a", [(np.ones(2), False), (np.ones(2), True)])
    seen.append(run.last_changed)
    run.call("drive", "a", [(np.ones(2), False)])
    seen.append(run.last_changed)
    run.call("same_nan", np.array([np.nan, 1.0]))
    seen.append(run.last_changed)
    run.call("replace_item", [np.ones(2)])
    seen.append(run.last_changed)
    assert np.array_equal(x, np.arange(4.0)), "the check's own positional array must stay as it was"
    return seen


EXPECTED = [(0,), (), ("init_x",), (1,), (), (), (0,)]


def test_local_runner_reports_changed_arguments():
    namespace: dict = {}
    exec(LEARNER_CODE, namespace)
    assert _cases(LocalRunner(namespace)) == EXPECTED


def test_sandboxed_runner_reports_the_same(tmp_path):
    from autograder import sandbox
    from autograder.bundle import build_learner_bundle
    from autograder.remote_runner import RemoteRunner
    from autograder.worker_session import SandboxSession

    bundle = build_learner_bundle(tmp_path / "bundle").out_dir
    with SandboxSession(bundle, sandbox.detect()) as session:
        session.run_cell(LEARNER_CODE, 60)
        assert _cases(RemoteRunner(session)) == EXPECTED


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        ([0, "init_x", 0], (0, "init_x")),
        ([-1, 64, 2**70, 1.0, True, None, "not an id", "x" * 65, {"a": 1}, 3], (3,)),
        ("0", ()),
        (None, ()),
        (list(range(65)), ()),  # more than any call has: ignored as a whole
    ],
)
def test_a_forged_changed_field_is_read_safely(raw, parsed):
    assert _changed_arguments(raw) == parsed

"""Hidden inputs are fresh per learner and reproducible for regrading (course.hidden.check_seed)."""

from __future__ import annotations

import numpy as np
import pytest

from course import reference as ref
from course.hidden import check_seed, run_check
from course.hidden.runner import LocalRunner


class RecordingRunner(LocalRunner):
    """A runner over reference functions that records every array the check passes in."""

    def __init__(self, namespace):
        super().__init__(namespace)
        self.inputs: list[np.ndarray] = []

    def call(self, name, *args, substitute=None, **kwargs):
        self.inputs += [np.array(a, copy=True) for a in args if isinstance(a, np.ndarray)]
        return super().call(name, *args, substitute=substitute, **kwargs)


def _inputs(learner: str) -> list[np.ndarray]:
    runner = RecordingRunner({"softmax": ref.softmax})
    run_check("ch01_activation", "softmax", runner, learner=learner)  # passes: the reference is right
    assert runner.inputs, "the check called nothing"
    return runner.inputs


def _same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return len(a) == len(b) and all(x.shape == y.shape and np.array_equal(x, y) for x, y in zip(a, b))


def test_seed_is_stable_and_depends_on_everything():
    seed = check_seed("ch01_activation", "softmax", "alice")
    assert seed == check_seed("ch01_activation", "softmax", "alice")
    others = {
        check_seed("ch01_activation", "softmax", "bob"),
        check_seed("ch01_activation", "relu", "alice"),
        check_seed("ch02_loss", "softmax", "alice"),
    }
    assert seed not in others and len(others) == 3


def test_regrading_draws_the_same_inputs():
    assert _same(_inputs("alice"), _inputs("alice"))


@pytest.mark.parametrize("other", ["bob", "0"])
def test_learners_get_different_inputs(other):
    assert not _same(_inputs("alice"), _inputs(other))

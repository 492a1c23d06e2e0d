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


def test_inputs_depend_on_the_course_secret(tmp_path, monkeypatch):
    """Nobody with the public repository alone can recompute a learner's hidden inputs."""
    from course.hidden import secret

    before = check_seed("ch01_activation", "softmax", "alice")
    monkeypatch.setenv(secret.ENV_VAR, str(tmp_path / "other.key"))
    other = check_seed("ch01_activation", "softmax", "alice")
    assert other != before
    assert other == check_seed("ch01_activation", "softmax", "alice")  # stable with that secret
    key = tmp_path / "other.key"
    assert key.stat().st_mode & 0o777 == 0o600  # created on first use, readable by its owner only
    text = key.read_text()
    secret._read_or_create.cache_clear()
    assert check_seed("ch01_activation", "softmax", "alice") == other  # read back, never replaced
    assert key.read_text() == text


def test_secret_lives_outside_the_repository():
    from autograder.build import REPO_ROOT
    from course.hidden import secret

    assert REPO_ROOT.resolve() not in secret.secret_path().resolve().parents

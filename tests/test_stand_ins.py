"""Stand-in bases (``course.stand_ins``): a learner's subclass is graded on the stand-in of its base for
one call, and the learner's classes are exactly as they were afterwards."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.remote_runner import RemoteRunner
from course.hidden.runner import LocalRunner
from course.reference import optimizers as ref
from course.stand_ins import AdamBase, bind_base, restore_bases, swap_bases


def _reference_moments(m, v, g, beta1, beta2):
    adam = ref.Adam(beta1=beta1, beta2=beta2)
    adam.m[0], adam.v[0] = np.array(m, dtype=float), np.array(v, dtype=float)
    return adam._moments(0, adam.m[0], g)


def _notebook() -> dict:
    """A learner's Adam without _moments (the textbook's counter) and an AMSGrad that relies on it."""

    class Adam:
        def __init__(self, lr=0.001, beta1=0.9, beta2=0.999):  # no eps: AMSGrad's super().__init__ fails
            self.lr, self.beta1, self.beta2, self.iter = lr, beta1, beta2, 0

    class AMSGrad(Adam):
        def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
            super().__init__(lr, beta1, beta2, eps)
            self.v_max = {}

        def update(self, params, grads):
            self.t += 1
            for key in params:
                m, v = self._moments(key, params[key], grads[key])
                self.v_max[key] = np.maximum(self.v_max.get(key, 0.0), v)
                m_hat = m / (1 - self.beta1**self.t)
                params[key] -= self.lr * m_hat / (np.sqrt(self.v_max[key] / (1 - self.beta2**self.t)) + self.eps)

    def run(params, grads_sequence, **optimizer):
        ((name, kwargs),) = optimizer.items()
        instance = namespace[name](**kwargs)
        params = {key: np.array(value, dtype=float) for key, value in params.items()}
        for grads in grads_sequence:
            instance.update(params, grads)
        return params

    namespace = {"Adam": Adam, "AMSGrad": AMSGrad, "run": run}
    return namespace


def test_a_subclass_runs_on_the_stand_in_and_gets_its_base_back():
    namespace = _notebook()
    amsgrad, bases = namespace["AMSGrad"], namespace["AMSGrad"].__bases__
    swapped = swap_bases(namespace, {"Adam": bind_base("Adam", {"adam_moments": _reference_moments})})
    try:
        assert issubclass(amsgrad, AdamBase)
        params = {"w": np.array([1.0, -2.0])}
        learner, reference = amsgrad(lr=0.1, beta1=0.5, beta2=0.6), ref.AMSGrad(lr=0.1, beta1=0.5, beta2=0.6)
        expected = {"w": params["w"].copy()}
        for g in ([0.5, 2.0], [3.0, -1.0], [0.1, 0.1]):
            learner.update(params, {"w": np.array(g)})
            reference.update(expected, {"w": np.array(g)})
        np.testing.assert_allclose(params["w"], expected["w"], rtol=1e-12)
    finally:
        restore_bases(swapped)
    assert amsgrad.__bases__ == bases and not issubclass(amsgrad, AdamBase)
    with pytest.raises(TypeError):  # the learner's own Adam again: its __init__ takes no eps
        amsgrad()


def test_the_local_runner_restores_the_bases_when_the_learner_code_fails():
    namespace = _notebook()
    runner, bases = LocalRunner(namespace), namespace["AMSGrad"].__bases__
    options = {"substitute": {"adam_moments": _reference_moments}, "stand_in_bases": ("Adam",)}
    got = runner.call("run", {"w": np.array([1.0])}, [{"w": np.array([2.0])}], AMSGrad={"lr": 0.1}, **options)
    assert got["w"].shape == (1,) and got["w"][0] < 1.0
    with pytest.raises(AssertionError, match="例外"):  # a wrong gradient key: the learner's update raises
        runner.call("run", {"w": np.array([1.0])}, [{"v": np.array([2.0])}], AMSGrad={}, **options)
    assert namespace["AMSGrad"].__bases__ == bases
    assert "adam_moments" not in namespace


def test_the_trusted_side_names_only_stand_ins_of_the_package_with_their_needs_substituted():
    runner = RemoteRunner(session=None)  # refused before anything is sent
    with pytest.raises(TypeError, match="stand-in base"):
        runner.call("run", stand_in_bases=("os",), substitute={"adam_moments": _reference_moments})
    with pytest.raises(TypeError, match="stand-in base"):
        runner.call("run", stand_in_bases=("Adam",))


def test_the_local_runner_restores_the_namespace_when_a_need_is_missing():
    namespace = _notebook()
    runner, bases = LocalRunner(namespace), namespace["AMSGrad"].__bases__
    with pytest.raises(KeyError):
        runner.call("run", {}, [], AMSGrad={}, substitute={"other": _reference_moments}, stand_in_bases=("Adam",))
    assert namespace["AMSGrad"].__bases__ == bases and "other" not in namespace

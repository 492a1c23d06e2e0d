"""No hidden check takes an expected value from the learner's code (issue 10, finding 6).

Every expected value, tolerance and verdict of a check must come from ``course.reference``,
computed from inputs that the check chose (a snapshot of the learner's initial parameters is
such an input). Learner results may choose a diagnostic, never the verdict. A check that breaks
this rule is fooled by a learner whose code is wrong in a CONSISTENT way: the ch05 gradient check
once built its "expected" gradient with the learner's own SoftmaxWithLoss, so a layer whose
backward returned zeros and a TwoLayerNet.gradient that returned zeros scored full marks.

So every hidden check of every assignment is run on "liar" notebooks: the source notebook is
executed with the reference solutions (``course/reference`` via the solution cells), then each
name that a solution cell defines is replaced by a liar, consistently everywhere (the notebook's
helpers and classes see the liars too, so a learner method that calls another one gets the lie).

* A liar FUNCTION, or METHOD of a liar class, calls the reference and then lies about all it
  produced: its return value (arrays, numbers, booleans, in tuples, lists and dicts), the arrays
  it changed in place among its arguments (the optimizers' ``params``) and the attributes it
  set or changed on its object (``self.dW``, ``self.mask``, ``self.counter``). Three kinds:
  ``zeros`` (zeros and False; in-place changes undone), ``affine`` (2·v + 1, ``not`` for
  booleans; an in-place change Δ becomes 2·Δ + 1; integer arrays kept in the object, labels and
  indices, are left alone, since 2·t + 1 would only make the learner's own code crash) and
  ``vandal`` (like ``zeros``, and after every call, constructors included, it sets the arrays it
  was GIVEN, and the numbers in lists and dicts it was given, to zero in place: a check that
  computes its expectation after the call from inputs it handed over uncopied is caught; a local
  runner passes arrays inside containers, and keyword arrays, as they are).
* A liar CONSTRUCTOR lies about the object's state after ``__init__`` (the initial weights of a
  network are what the ch10 initialisation check grades).
* Notebook VALUES that a check reads with ``run.value`` (``trained_network``, ``final_model``)
  and every other non-callable value of the notebook are replaced by the same lie.
* ``np.random.default_rng()`` without a seed draws the same streams in every run, so that the
  runs can be compared (a network built without an rng gets the same initial weights).

Two properties are asserted for every check:

1. With lying constructors, the check FAILS on each of the three liars (a check that passes has
   taken its expectation, or its accepted alternative, from the learner).
2. With honest constructors (the learner's initial parameters are legitimate inputs), the
   expected values that the check hands to ``check_array`` / ``check_scalar`` /
   ``check_between`` are the same for the three liars, comparison by comparison, up to the
   point where the first of them fails: they come from the check's inputs alone. This finds a
   check that takes one expectation from the learner even when a later, honest comparison
   makes the whole check fail. A check that lists its properties (``course.checks.Properties``)
   goes on after a failure, so the comparisons are matched property by property, each within
   the prefix that both liars reached; a property's inputs must therefore not depend on how an
   earlier property went (they are drawn before the properties run).

A control run on the honest notebook must pass every check, so that the liars' failures are
the liars' doing. Checks that accept several outcomes (an exception, a range of accuracies, a
known mistake of an earlier exercise) still compare at least one learner value with a value of
the reference that no liar produces. Only the checks of input-validation rules, which compare no
value at all (does the code raise ValueError?), are exempted: EXCLUDED gives the reason.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import inspect
import io
import os
import sys
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from autograder.assignment import known_assignments, load_assignment
from autograder.build import REPO_ROOT
from course import checks as course_checks
from course.checks import CheckFailure, check_array
from course.hidden import hidden_check_names, run_check
from course.hidden.runner import LocalRunner

LEARNER = "liar"  # the learner id that seeds the hidden inputs
MODES = ("zeros", "affine", "vandal")

#: (assignment, check) → why the check cannot be expected to fail on a liar. Keep it (nearly) empty.
_RAISES_ONLY = (
    "an input-validation rule: the verdict is whether the learner's code raises ValueError on invalid "
    "input and nothing on valid input; no expected value is involved, and a liar raises exactly as the "
    "reference it wraps does (the rule's catalogue entries show that the check fails without the rule)"
)
EXCLUDED: dict[tuple[str, str], str] = {
    ("ch08_dropout", "dropout_rules"): _RAISES_ONLY,
    ("ch09_regularization", "max_norm_rules"): _RAISES_ONLY,
    ("ch09_regularization", "early_stopping_rules"): _RAISES_ONLY,
    ("ch09_regularization", "init_std_rules"): _RAISES_ONLY,
    ("ch10_capstone", "multilayer_net_rules"): _RAISES_ONLY,
    ("ch10_capstone", "trainer_rules"): _RAISES_ONLY,
}

_RECORDED = ("check_array", "check_scalar", "check_between")


# ---------------------------------------------------------------------------- the notebooks
@dataclass
class Notebook:
    namespace: dict[str, Any]  # the globals of the executed notebook (its functions use this very dict)
    learner_names: tuple[str, ...]  # names defined by solution cells, in notebook order


@functools.cache
def _notebook(assignment: str) -> Notebook:
    """The source notebook executed in this process with the reference solutions, test cells left
    out (they only assert), in its own folder, without figures or progress bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    spec = load_assignment(assignment)
    namespace: dict[str, Any] = {"__name__": "__main__"}
    names: list[str] = []
    progress = os.environ.get("COURSE_PROGRESS")
    os.environ["COURSE_PROGRESS"] = "0"
    try:
        with (
            contextlib.chdir(REPO_ROOT / "source_notebooks" / assignment),
            contextlib.redirect_stdout(io.StringIO()),
            contextlib.redirect_stderr(io.StringIO()),
            warnings.catch_warnings(),
        ):
            warnings.simplefilter("ignore")
            for index, cell in enumerate(spec.cells):
                if cell.kind not in ("code", "solution"):
                    continue
                exec(compile(cell.source, f"<{assignment} cell {index}>", "exec"), namespace)  # noqa: S102
                plt.close("all")
                if cell.kind == "solution":
                    names.extend(cell.defines)
    finally:
        if progress is None:
            os.environ.pop("COURSE_PROGRESS", None)
        else:
            os.environ["COURSE_PROGRESS"] = progress
    return Notebook(namespace, tuple(dict.fromkeys(names)))


# ---------------------------------------------------------------------------- the liars
_NUMBER = (bool, np.bool_, int, np.integer, float, np.floating)


def _numeric(array: np.ndarray) -> bool:
    return array.dtype == bool or np.issubdtype(array.dtype, np.number)


def _arrays(value: Any, depth: int = 0) -> Iterator[np.ndarray]:
    """The numeric arrays in ``value``, also inside tuples, lists and dicts (not inside other objects)."""
    if isinstance(value, np.ndarray):
        if _numeric(value):
            yield value
    elif depth < 4 and isinstance(value, (tuple, list)):
        for item in value:
            yield from _arrays(item, depth + 1)
    elif depth < 4 and isinstance(value, dict):
        for item in value.values():
            yield from _arrays(item, depth + 1)


def _snapshot(values: Any) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """id → (array, a copy of its current content) for every array in ``values``."""
    return {id(a): (a, a.copy()) for a in _arrays(values)}


def _overwrite(array: np.ndarray, value: Any) -> None:
    with contextlib.suppress(ValueError, TypeError):  # read-only views stay as they are
        array[...] = value


def _vandalise(value: Any, spared: set[int], depth: int = 0) -> None:
    """Set every array in ``value`` to zero in place, and every number held in a list or dict
    (hyper-parameters such as ``optimizer_param["lr"]``), except the objects whose id is in ``spared``."""
    if id(value) in spared or depth > 4:
        return
    if isinstance(value, np.ndarray):
        if _numeric(value):
            _overwrite(value, np.zeros_like(value))
        return
    if isinstance(value, (list, dict)):
        for key in range(len(value)) if isinstance(value, list) else list(value):
            if isinstance(value[key], _NUMBER) and not isinstance(value[key], (bool, np.bool_)):
                value[key] = type(value[key])(0)
            else:
                _vandalise(value[key], spared, depth + 1)
    elif isinstance(value, tuple):
        for item in value:
            _vandalise(item, spared, depth + 1)


class Liar:
    """Replaces the learner's names of a notebook by lying versions of the reference (see the module docstring)."""

    def __init__(self, mode: str, lying_constructors: bool) -> None:
        self.mode, self.lying_constructors = mode, lying_constructors
        self.honest_depth = 0  # > 0 inside an honest constructor: everything it calls is honest too

    def lie(self, value: Any) -> Any:
        if isinstance(value, (bool, np.bool_)):
            return type(value)(not value if self.mode == "affine" else False)
        if isinstance(value, _NUMBER):
            return type(value)(2 * value + 1 if self.mode == "affine" else 0)
        if isinstance(value, np.ndarray) and _numeric(value):
            if self.mode != "affine":
                return np.zeros_like(value)
            return ~value if value.dtype == bool else (2 * value + 1).astype(value.dtype)
        if isinstance(value, tuple) and not hasattr(value, "_fields"):
            return tuple(self.lie(item) for item in value)
        if isinstance(value, list):
            return [self.lie(item) for item in value]
        if isinstance(value, dict):
            lied = copy.copy(value)
            for key in value:
                lied[key] = self.lie(value[key])
            return lied
        return value  # None, strings, other objects

    def _lie_in_place(self, array: np.ndarray) -> None:
        """A lie about an array that stays in the learner's process (its object's state, an argument)."""
        if self.mode == "affine" and np.issubdtype(array.dtype, np.integer):
            return  # labels and indices kept for later: 2·t + 1 would only make the learner's own code crash
        _overwrite(array, self.lie(array))

    def _about_arguments(self, given: dict[int, tuple[np.ndarray, np.ndarray]]) -> None:
        """Lie about the arrays among the arguments that the call changed in place."""
        for array, before in given.values():
            if array.shape != before.shape or np.array_equal(array, before, equal_nan=True):
                continue  # unchanged
            if array.dtype == bool or np.issubdtype(array.dtype, np.integer):
                self._lie_in_place(array)
            else:  # the change Δ made in place becomes the lie about Δ
                _overwrite(array, before + self.lie(array - before))

    def _about_state(self, owner: Any, attributes: dict[str, Any], arrays: dict[int, Any]) -> None:
        """Lie about the attributes that the call set or changed (``attributes``, ``arrays``: before the call)."""
        state = vars(owner)
        for name, value in list(state.items()):
            before = attributes.get(name, _MISSING)
            if isinstance(value, _NUMBER):
                if before is _MISSING or not isinstance(before, _NUMBER) or value != before:
                    state[name] = self.lie(value)
                continue
            for array in _arrays(value):
                known = arrays.get(id(array))
                if known is None or not np.array_equal(array, known[1], equal_nan=True):
                    self._lie_in_place(array)  # a new array, or one changed in place

    def function(self, fn: Callable, *, method: bool = False, constructor: bool = False) -> Callable:
        liar = self

        @functools.wraps(fn)
        def lying(*args: Any, **kwargs: Any) -> Any:
            if liar.honest_depth:
                return fn(*args, **kwargs)
            owner = args[0] if method and hasattr(args[0], "__dict__") else None
            arguments = [*(args[1:] if method else args), *kwargs.values()]
            attributes = dict(vars(owner)) if owner is not None else {}
            arrays = _snapshot(list(attributes.values()))
            given = {key: value for key, value in _snapshot(arguments).items() if key not in arrays}
            if constructor and not liar.lying_constructors:
                liar.honest_depth += 1  # what an honest constructor calls is honest too
                try:
                    result = fn(*args, **kwargs)
                finally:
                    liar.honest_depth -= 1
            else:
                result = fn(*args, **kwargs)
                liar._about_arguments(given)
                if owner is not None:
                    liar._about_state(owner, attributes, arrays)
                result = liar.lie(result)
            if liar.mode == "vandal":  # the object's own state is not the caller's
                spared = {id(value) for value in attributes.values()} | set(arrays)
                _vandalise(arguments, spared)
            return result

        return lying

    def cls(self, klass: type) -> type:
        """A subclass whose methods (of every notebook class in its MRO) and constructor lie."""
        overrides: dict[str, Any] = {}
        for base in klass.__mro__:
            if base.__module__ != "__main__":
                continue
            for name, attribute in vars(base).items():
                if name in overrides or (name.startswith("__") and name != "__init__"):
                    continue
                if isinstance(attribute, staticmethod):
                    overrides[name] = staticmethod(self.function(attribute.__func__))
                elif isinstance(attribute, classmethod):
                    overrides[name] = classmethod(self.function(attribute.__func__, method=True))
                elif inspect.isfunction(attribute):
                    overrides[name] = self.function(attribute, method=True, constructor=name == "__init__")
        return type(
            klass.__name__, (klass,), {**overrides, "__module__": "__main__", "__qualname__": klass.__qualname__}
        )

    def value(self, value: Any) -> Any:
        """A notebook value (not a learner's function or class), lied about."""
        if getattr(type(value), "__module__", None) == "__main__" and hasattr(value, "__dict__"):
            lied = copy.deepcopy(value)  # an object of a notebook class, e.g. a trained network
            for name, item in list(vars(lied).items()):
                if isinstance(item, _NUMBER):
                    setattr(lied, name, self.lie(item))
                for array in _arrays(item):
                    self._lie_in_place(array)
            return lied
        return self.lie(value)


_MISSING = object()


@contextlib.contextmanager
def lying(notebook: Notebook, liar: Liar | None) -> Iterator[dict[str, Any]]:
    """The notebook's namespace with the learner's names replaced by ``liar`` (None: honest), restored afterwards."""
    namespace = notebook.namespace
    saved = dict(namespace)
    try:
        if liar is not None:
            for name, value in saved.items():
                if name.startswith("__") or inspect.ismodule(value):
                    continue
                if name in notebook.learner_names and inspect.isclass(value):
                    namespace[name] = liar.cls(value)
                elif name in notebook.learner_names and callable(value):
                    namespace[name] = liar.function(value)
                elif not (inspect.isclass(value) or callable(value)):
                    namespace[name] = liar.value(value)
        yield namespace
    finally:
        namespace.clear()
        namespace.update(saved)


# ---------------------------------------------------------------------------- running the checks
Check = Callable[[LocalRunner, np.random.Generator], None]


def _hidden_check(assignment: str, name: str) -> Check:
    """The hidden check as the grader runs it (its inputs drawn from the seed of LEARNER)."""

    def hidden(runner: LocalRunner, rng: np.random.Generator) -> None:
        run_check(assignment, name, runner, LEARNER)

    return hidden


@contextlib.contextmanager
def _recording(check: Check) -> Iterator[list[tuple[str, np.ndarray]]]:
    """Every expected value handed to check_array / check_scalar / check_between while the check runs,
    with the name of the property (``course.checks.Properties``) being checked then ("" outside one)."""
    recorded: list[tuple[str, np.ndarray]] = []
    current = [""]
    modules = {sys.modules[check.__module__]}
    modules |= {module for key, module in sys.modules.items() if key.startswith("course.hidden.checks.")}

    def recorder(original: Callable, name: str) -> Callable:
        @functools.wraps(original)
        def record(actual: Any, *args: Any, **kwargs: Any) -> Any:
            expected = args[:2] if name == "check_between" else args[:1]
            recorded.append((current[0], np.array(expected, dtype=np.float64)))
            return original(actual, *args, **kwargs)

        return record

    original_check = course_checks.Properties.check

    @functools.wraps(original_check)
    def check_property(self: course_checks.Properties, name: str, *args: Any, **kwargs: Any) -> bool:
        outer, current[0] = current[0], name
        try:
            return original_check(self, name, *args, **kwargs)
        finally:
            current[0] = outer

    patched = []
    for module in modules:
        for name in _RECORDED:
            if getattr(module, name, None) is getattr(course_checks, name):
                patched.append((module, name))
                setattr(module, name, recorder(getattr(course_checks, name), name))
    course_checks.Properties.check = check_property
    try:
        yield recorded
    finally:
        course_checks.Properties.check = original_check
        for module, name in patched:
            setattr(module, name, getattr(course_checks, name))


@contextlib.contextmanager
def _seeded_default_rng() -> Iterator[None]:
    """np.random.default_rng() without a seed draws the same streams in every run (a learner's network
    built without an rng gets the same initial weights whichever liar it is), so runs can be compared."""
    original = np.random.default_rng
    count = iter(range(10**9))

    def default_rng(seed: Any = None) -> np.random.Generator:
        return original(1_000_003 + next(count) if seed is None else seed)

    np.random.default_rng = default_rng
    try:
        yield
    finally:
        np.random.default_rng = original


def run(
    notebook: Notebook, check: Check, seed: int, liar: Liar | None
) -> tuple[bool, str, list[tuple[str, np.ndarray]]]:
    """(passed, why not, the expected values the check compared with) of one check on one notebook
    (``seed`` seeds the rng handed to ``check``; a hidden check draws from its own seed)."""
    with (
        lying(notebook, liar) as namespace,
        _recording(check) as recorded,
        _seeded_default_rng(),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                check(LocalRunner(namespace), np.random.default_rng(seed))
        except CheckFailure as failure:
            return False, str(failure), recorded
        except Exception as error:  # a liar can make the check's own code fail; that is not a pass
            return False, f"{type(error).__name__}: {error}", recorded
    return True, "", recorded


def _differing(runs: dict[str, list[tuple[str, np.ndarray]]]) -> str | None:
    """The first comparison whose expected value differs between two liars, property by property
    (a check that lists its properties goes on after a failure: each property's comparisons are
    compared within the common prefix of that property)."""
    modes = list(runs)
    for i, first in enumerate(modes):
        for second in modes[i + 1 :]:
            for prop in dict.fromkeys(name for name, _ in runs[first]):
                ours = [a for name, a in runs[first] if name == prop]
                theirs = [b for name, b in runs[second] if name == prop]
                for k, (a, b) in enumerate(zip(ours, theirs)):
                    if a.shape != b.shape or not np.array_equal(a, b, equal_nan=True):
                        where = f"property {prop!r}, " if prop else ""
                        return (
                            f"{where}comparison {k + 1}: {first} expected {a.ravel()[:4]}…, "
                            f"{second} expected {b.ravel()[:4]}…"
                        )
    return None


def liar_findings(notebook: Notebook, check: Check, seed: int) -> list[str]:
    """What the liars reveal about one check: [] when its expectations come from the reference only."""
    findings = []
    for mode in MODES:
        passed, _, _ = run(notebook, check, seed, Liar(mode, lying_constructors=True))
        if passed:
            findings.append(f"passes on the {mode} liar")
    recorded = {mode: run(notebook, check, seed, Liar(mode, lying_constructors=False))[2] for mode in MODES}
    differing = _differing(recorded)
    if differing:
        findings.append(f"its expected values depend on the learner's results: {differing}")
    return findings


# ---------------------------------------------------------------------------- the tests
CASES = [(a, c) for a in known_assignments() for c in hidden_check_names(a)]


def test_every_check_is_covered():
    assignments = known_assignments()
    assert len(assignments) == 10 and all(hidden_check_names(a) for a in assignments)
    assert set(EXCLUDED) <= set(CASES)


@pytest.mark.parametrize(
    ("assignment", "check"),
    [pytest.param(a, c, id=f"{a}:{c}", marks=pytest.mark.xdist_group(f"liars-{a}")) for a, c in CASES],
)
def test_expected_values_come_from_the_reference(assignment, check):
    notebook = _notebook(assignment)
    hidden = _hidden_check(assignment, check)
    passed, message, _ = run(notebook, hidden, 0, None)
    assert passed, f"control: the reference solutions fail {assignment}/{check}: {message}"
    if (assignment, check) in EXCLUDED:
        pytest.skip(EXCLUDED[(assignment, check)])
    assert liar_findings(notebook, hidden, 0) == []


# ---------------------------------------------------------------------------- the liars themselves
def _relu_backward_from_own_forward(run: LocalRunner, rng: np.random.Generator) -> None:
    """A wrong check: its expected dx comes from the learner's own forward."""
    x, dout = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    layer = run.new("Relu")
    out = run.method(layer, "forward", x)
    check_array(run.method(layer, "backward", dout), dout * (np.asarray(out) > 0), "Relu.backward")


def _relu_partly_from_own_forward(run: LocalRunner, rng: np.random.Generator) -> None:
    """As above, then an honest comparison that fails on every liar: only property 2 sees the fault."""
    _relu_backward_from_own_forward(run, rng)
    x = rng.standard_normal((2, 5))
    check_array(run.method(run.new("Relu"), "forward", x), np.maximum(x, 0), "Relu.forward")


def _penalty_after_the_call(run: LocalRunner, rng: np.random.Generator) -> None:
    """A wrong check: the expected value is computed after the call from the dict it handed over."""
    params = {"W1": rng.standard_normal((3, 2)), "b1": rng.standard_normal(2)}
    got = run.call("l2_penalty", params, 0.5)
    check_array(got, 0.25 * float(np.sum(params["W1"] ** 2)), "l2_penalty")


@pytest.mark.parametrize(
    ("assignment", "wrong_check", "finding"),
    [
        pytest.param(a, check, finding, marks=pytest.mark.xdist_group(f"liars-{a}"))
        for a, check, finding in [
            ("ch04_backprop_layers", _relu_backward_from_own_forward, "passes on the zeros liar"),
            ("ch04_backprop_layers", _relu_partly_from_own_forward, "expected values depend"),
            ("ch09_regularization", _penalty_after_the_call, "passes on the vandal liar"),
        ]
    ],
)
def test_the_liars_find_a_check_that_trusts_the_learner(assignment, wrong_check, finding):
    notebook = _notebook(assignment)
    assert run(notebook, wrong_check, 0, None)[0], "the wrong check passes on the honest notebook"
    findings = liar_findings(notebook, wrong_check, 0)
    assert any(finding in f for f in findings), findings


@pytest.mark.xdist_group("liars-ch04_backprop_layers")
def test_a_liar_lies_consistently():
    notebook = _notebook("ch04_backprop_layers")
    honest = notebook.namespace["Relu"]
    x = np.array([[1.0, -2.0], [3.0, 0.5]])
    with lying(notebook, Liar("affine", lying_constructors=True)) as namespace:
        layer = namespace["Affine"](np.eye(2), np.ones(2))
        assert np.array_equal(layer.W, 2 * np.eye(2) + 1)  # the constructor lies about the state
        assert np.array_equal(namespace["Relu"]().forward(x), 2 * np.maximum(x, 0) + 1)
    with lying(notebook, Liar("zeros", lying_constructors=False)) as namespace:
        layer = namespace["Affine"](np.eye(2), np.ones(2))
        assert np.array_equal(layer.W, np.eye(2))  # an honest constructor
        assert not np.any(layer.forward(x))
        assert not np.any(layer.backward(np.ones((2, 2)))) and not np.any(layer.dW)  # return and state
    assert notebook.namespace["Relu"] is honest  # the honest notebook is back

"""How a hidden check reaches the learner's code: a small call protocol (INSTRUCTOR ONLY).

A check never touches learner objects directly. It asks a runner to call a name defined
in the learner's notebook, to construct an object, call its methods or read its
attributes, and receives SNAPSHOTS: plain NumPy arrays, numbers, tuples, dicts or None,
copied so that learner code cannot change them afterwards. The verdict is computed on
those snapshots only. :class:`LocalRunner` runs the calls in the notebook's own
namespace (hidden test cells under plain nbgrader); the autograder provides a runner
with the same interface that drives a sandboxed kernel from a trusted process.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..checks import CheckFailure
from ..stand_ins import bind_base, restore_bases, swap_bases

__all__ = ["Handle", "LocalRunner", "ReadsArgument", "Runner", "snapshot", "array_leaves", "changed_arguments"]


@dataclass(frozen=True)
class Handle:
    """A reference to an object living on the learner's side."""

    ident: int
    label: str  # e.g. "Affine(W, b)", used in messages


@dataclass(frozen=True)
class ReadsArgument:
    """A keyword argument for a learner's function: a function that ignores what it is called with
    and returns ``objective(a)``, where ``a`` is the keyword argument ``target`` of the same call as
    it is at that moment. It is the textbook's ``lambda W: net.loss(x, t)``, which reads the very
    array that the learner's ``numerical_gradient`` perturbs in place. A dict target is read as the
    arrays it held when the call began (a network's layers hold those arrays: an update that puts a
    new array into the dict is not seen, one made in place is). Every runner builds it where the
    learner's code runs (only ``objective`` runs on the grader's side)."""

    objective: Callable[[np.ndarray], Any]
    target: str


def bind_reads(kwargs: dict[str, Any]) -> dict[str, Any]:
    """``kwargs`` with each :class:`ReadsArgument` turned into the function it describes."""

    def reading(objective: Callable[[np.ndarray], Any], array: Any) -> Callable[..., Any]:
        held = dict(array) if isinstance(array, dict) else array  # a dict: the arrays it holds now
        return lambda *_args, **_kwargs: objective(held)

    return {
        key: reading(value.objective, kwargs[value.target]) if isinstance(value, ReadsArgument) else value
        for key, value in kwargs.items()
    }


def snapshot(value: Any, where: str) -> Any:
    """Copy a learner result into plain data; reject anything else with a clear message."""
    if value is None or isinstance(value, (bool, int, float, complex, str, np.number, np.bool_)):
        return value
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            raise CheckFailure(f"{where} が object 型の配列を返しました。数値の配列を返してください。")
        return np.array(value, copy=True)
    if isinstance(value, (tuple, list)):
        return tuple(snapshot(v, where) for v in value)
    if isinstance(value, dict):
        return {str(k): snapshot(v, where) for k, v in value.items()}
    raise CheckFailure(f"{where} の戻り値の型 {type(value).__name__} は扱えません。数値か NumPy 配列を返してください。")


def array_leaves(value: Any, depth: int = 0) -> list[np.ndarray]:
    """The NumPy arrays of an argument: itself, or the arrays in its lists, tuples and dict values."""
    if isinstance(value, np.ndarray):
        return [value]
    if depth < 20 and isinstance(value, (list, tuple)):
        return [a for item in value for a in array_leaves(item, depth + 1)]
    if depth < 20 and isinstance(value, dict):
        return [a for item in value.values() for a in array_leaves(item, depth + 1)]
    return []


def _same_array(a: np.ndarray, b: np.ndarray) -> bool:
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    try:
        return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    except TypeError:
        return False


def changed_arguments(passed: dict[int | str, Any], before: dict[int | str, list[np.ndarray]]) -> tuple[int | str, ...]:
    """The arguments (position or keyword → value) whose arrays differ from ``before`` (copies of
    their array_leaves taken before the call): what the call changed in place. The sandbox agent
    computes the same."""
    return tuple(
        key
        for key, arg in passed.items()
        if len(leaves := array_leaves(arg)) != len(before[key]) or not all(map(_same_array, leaves, before[key]))
    )


class Runner:
    """Interface shared by the local and the sandboxed runners."""

    #: Messages of the warnings that the last learner call emitted (captured, never printed).
    last_warnings: list[str]
    #: The arguments (positions of positional ones, names of keyword ones) whose arrays the last
    #: call, new or method changed in place: how "do not overwrite the input" is observed, the same
    #: way in every path (the sandbox only ever sees copies, so the check's inputs cannot show it).
    last_changed: tuple[int | str, ...] = ()
    #: How many times the learner's process was restarted (after a time-out or a crash) so far.
    restarts: int = 0

    def defined(self, name: str) -> bool:
        raise NotImplementedError

    def call(
        self,
        name: str,
        *args: Any,
        substitute: Mapping[str, Any] | None = None,
        stand_in_bases: Sequence[str] = (),
        **kwargs: Any,
    ) -> Any:
        """Call the learner's ``name(*args, **kwargs)``; ``substitute`` rebinds other
        notebook names (to reference versions) for the duration of the call; each learner class
        named in ``stand_in_bases`` gives way, as a base of the notebook's classes, to its stand-in
        (``course.stand_ins.STAND_IN_BASES``), whose ``needs`` must be among ``substitute``."""
        raise NotImplementedError

    def new(self, name: str, *args: Any, substitute: Mapping[str, Any] | None = None, **kwargs: Any) -> Handle:
        raise NotImplementedError

    def method(
        self, handle: Handle, method: str, *args: Any, substitute: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> Any:
        raise NotImplementedError

    def attr(self, handle: Handle, name: str) -> Any:
        raise NotImplementedError

    def value(self, path: str) -> Any:
        """Snapshot of a notebook variable or of an attribute path, e.g. ``"network.params"``."""
        raise NotImplementedError

    def set_attr(self, handle: Handle, name: str, value: Any) -> None:
        raise NotImplementedError


def _describe(error: BaseException) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}" + (f": {text[:200]}" if text else "")


class LocalRunner(Runner):
    """Runs the calls in a notebook namespace (a dict such as ``globals()``)."""

    def __init__(self, namespace: dict[str, Any]) -> None:
        self.namespace = namespace
        self.objects: dict[int, Any] = {}
        self.last_warnings = []

    def defined(self, name: str) -> bool:
        return name in self.namespace

    def _lookup(self, name: str) -> Any:
        if name not in self.namespace:
            raise CheckFailure(f"{name} が定義されていません。解答セルを実行しましたか (名前を変えていませんか)。")
        return self.namespace[name]

    @contextlib.contextmanager
    def _substituted(self, substitute: Mapping[str, Any] | None, stand_in_bases: Sequence[str] = ()) -> Iterator[None]:
        saved = {k: self.namespace[k] for k in (substitute or {}) if k in self.namespace}
        self.namespace.update(substitute or {})
        swapped: list = []
        try:
            bases = {name: bind_base(name, dict(substitute or {})) for name in stand_in_bases}
            swapped = swap_bases(self.namespace, bases)
            yield
        finally:
            restore_bases(swapped)
            for key in substitute or {}:
                if key in saved:
                    self.namespace[key] = saved[key]
                else:
                    self.namespace.pop(key, None)

    def _invoke(
        self,
        where: str,
        fn: Any,
        args: tuple,
        kwargs: dict,
        substitute: Mapping[str, Any] | None,
        stand_in_bases: Sequence[str] = (),
    ) -> Any:
        # positional arrays are copied; arrays in containers and keyword arrays are passed as they are
        # (a check that needs them afterwards hands over learner_copy(...)), which lets a check give
        # numerical_gradient an f that reads the very array x it perturbs
        copies = tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args)
        passed = {**dict(enumerate(copies)), **kwargs}
        before = {key: [a.copy() for a in array_leaves(arg)] for key, arg in passed.items()}
        self.last_changed = ()
        with self._substituted(substitute, stand_in_bases), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = fn(*copies, **bind_reads(kwargs))
                self.last_changed = changed_arguments(passed, before)
                return result
            except NotImplementedError:
                raise CheckFailure(f"{where} はまだ実装されていません (NotImplementedError)。") from None
            except Exception as error:  # the learner's exception becomes a diagnostic
                raise CheckFailure(f"{where} の実行中に例外が発生しました: {_describe(error)}") from None
            finally:
                self.last_warnings = [f"{w.category.__name__}: {w.message}" for w in caught]

    def call(
        self,
        name: str,
        *args: Any,
        substitute: Mapping[str, Any] | None = None,
        stand_in_bases: Sequence[str] = (),
        **kwargs: Any,
    ) -> Any:
        result = self._invoke(f"{name}(...)", self._lookup(name), args, kwargs, substitute, stand_in_bases)
        return snapshot(result, f"{name}(...)")

    def new(self, name: str, *args: Any, substitute: Mapping[str, Any] | None = None, **kwargs: Any) -> Handle:
        obj = self._invoke(f"{name}(...) の生成", self._lookup(name), args, kwargs, substitute)
        handle = Handle(ident=len(self.objects), label=name)
        self.objects[handle.ident] = obj
        return handle

    def method(
        self, handle: Handle, method: str, *args: Any, substitute: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> Any:
        where = f"{handle.label}.{method}(...)"
        fn = getattr(self.objects[handle.ident], method, None)
        if fn is None:
            raise CheckFailure(f"{handle.label} にメソッド {method} がありません。")
        return snapshot(self._invoke(where, fn, args, kwargs, substitute), where)

    def attr(self, handle: Handle, name: str) -> Any:
        obj = self.objects[handle.ident]
        if not hasattr(obj, name):
            raise CheckFailure(f"{handle.label} に属性 {name} がありません。")
        return snapshot(getattr(obj, name), f"{handle.label}.{name}")

    def set_attr(self, handle: Handle, name: str, value: Any) -> None:
        setattr(self.objects[handle.ident], name, value)

    def value(self, path: str) -> Any:
        head, *rest = path.split(".")
        obj = self._lookup(head)
        for i, part in enumerate(rest):
            if not hasattr(obj, part):
                raise CheckFailure(f"{'.'.join([head, *rest[:i]])} に属性 {part} がありません。")
            obj = getattr(obj, part)
        return snapshot(obj, path)

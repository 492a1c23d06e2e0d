"""Comparisons with Japanese diagnostics, used by the public tests of the notebooks.

Each function raises :class:`CheckFailure` (an ``AssertionError``) whose message says
WHAT is wrong: not an array, wrong shape, nan/inf, or which element is off by how much,
and, when the value matches a known mistake, the hint for it.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = [
    "CheckFailure",
    "ON_HOLD",
    "PROPERTY_LIST_HEADING",
    "builds_on",
    "check_array",
    "check_between",
    "check_scalar",
    "check_true",
    "Mistake",
    "Properties",
    "UNEXPECTED_VALUE_ERRORS",
]

#: How a public test cell that holds its checks begins its message (``autograder check`` looks for it).
ON_HOLD = "公開テスト保留"


class CheckFailure(AssertionError):
    """A failed check; ``str(error)`` is the Japanese diagnostic shown to the learner."""

    #: Property name → "pass", "fail" or "skip", when the failure comes from a :class:`Properties` list.
    properties: dict[str, str] = {}  # noqa: RUF012 (never mutated; an instance sets its own)


Mistake = tuple[Any, str]
"""A known mistake: (the value that mistake would produce, the hint to show)."""

#: The line that opens the list of a cell's properties in a failure message (see :class:`Properties`).
PROPERTY_LIST_HEADING = "性質ごとの結果:"

#: How a property that failed with the learner's NotImplementedError is listed (a list of nothing but
#: those says nothing that the error does not).
_NOT_IMPLEMENTED = "まだ実装されていません"

#: What checking code raises when learner code returned a value of a kind the check did not expect
#: (a check should say so itself; these still cost only the exercise, with a message).
UNEXPECTED_VALUE_ERRORS = (TypeError, ValueError, ArithmeticError, IndexError, KeyError, AttributeError, MemoryError)


def _as_array(value: Any, name: str) -> np.ndarray:
    if value is None:
        raise CheckFailure(f"{name} が None を返しました。return 文を書き忘れていませんか。")
    if isinstance(value, (str, bytes, dict, set)):
        raise CheckFailure(f"{name} の戻り値の型が {type(value).__name__} です。数値の配列を返してください。")
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise CheckFailure(f"{name} の戻り値 ({type(value).__name__}) を数値の配列に変換できません。") from None
    return array


def _matching_mistake(actual: np.ndarray, mistakes: Iterable[Mistake], rtol: float, atol: float) -> str | None:
    for value, hint in mistakes:
        candidate = np.asarray(value, dtype=np.float64)
        if candidate.shape == actual.shape and np.allclose(actual, candidate, rtol=rtol, atol=atol):
            return hint
    return None


def _format_index(index: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(i) for i in index) + "]" if index else "(スカラー)"


def check_array(
    actual: Any,
    expected: Any,
    name: str,
    *,
    rtol: float = 1e-7,
    atol: float = 1e-9,
    mistakes: Sequence[Mistake] = (),
    show_values: bool = True,
    nan_hint: str = "",
) -> None:
    """Check that ``actual`` equals ``expected`` elementwise within the tolerances.

    actual: what the learner's code returned. expected: array-like of the right shape.
    name: how to call the value in the message, e.g. ``"softmax(x)"``.
    rtol, atol: |actual − expected| <= atol + rtol · |expected| (as ``np.allclose``).
    mistakes: known mistakes as (value, hint); the hint of the first match is shown.
    show_values: False for hidden checks, so the message never reveals expected values.
    nan_hint: the hint when ``actual`` has nan or inf where ``expected`` has none (default: about exp and log).
    """
    got = _as_array(actual, name)
    want = np.asarray(expected, dtype=np.float64)
    if got.shape != want.shape:
        hint = _matching_mistake(got, mistakes, rtol, atol)
        message = f"{name} の形状が違います: 期待 {want.shape}、実際 {got.shape}。"
        if got.shape == want.shape[::-1] and got.ndim == 2:
            message += " 転置になっていませんか。"
        raise CheckFailure(message + (f"\nヒント: {hint}" if hint else ""))
    if not np.all(np.isfinite(got)) and np.all(np.isfinite(want)):
        bad = int(np.sum(~np.isfinite(got)))
        message = f"{name} に nan または inf が {bad} 個含まれています。"
        hint = _matching_mistake(got, mistakes, rtol, atol)
        if hint is None:
            hint = nan_hint or "exp や log に大きすぎる値・0 を渡していないか確認してください。"
        raise CheckFailure(f"{message}\nヒント: {hint}")
    close = np.isclose(got, want, rtol=rtol, atol=atol)
    if np.all(close):
        return
    error = np.array(np.abs(got - want), dtype=np.float64)  # 0-d stays an array
    error[close] = 0
    worst = np.unravel_index(int(np.argmax(error)), got.shape) if got.ndim else ()
    message = (
        f"{name} の値が違います: {got.size} 要素中 {int(np.sum(~close))} 要素が許容誤差"
        f" (相対 {rtol:g}、絶対 {atol:g}) を超えています。"
    )
    if show_values:
        message += f" 最大のずれは位置 {_format_index(worst)}: 期待 {want[worst]:.6g}、実際 {got[worst]:.6g}。"
    else:
        message += f" 最大のずれは {float(error[worst]):.3g} です。"
    hint = _matching_mistake(got, mistakes, rtol, atol)
    raise CheckFailure(message + (f"\nヒント: {hint}" if hint else ""))


def check_scalar(
    actual: Any,
    expected: float,
    name: str,
    *,
    rtol: float = 1e-7,
    atol: float = 1e-9,
    mistakes: Sequence[Mistake] = (),
    show_values: bool = True,
) -> None:
    """Check that ``actual`` is one number equal to ``expected`` within the tolerances."""
    got = _as_array(actual, name)
    if got.size != 1:
        raise CheckFailure(f"{name} はスカラー (1 つの数) のはずですが、形状 {got.shape} の配列が返されました。")
    check_array(got.reshape(()), expected, name, rtol=rtol, atol=atol, mistakes=mistakes, show_values=show_values)


def check_between(actual: Any, low: float, high: float, name: str, *, hint: str = "") -> None:
    """Check that ``actual`` is one finite number with ``low <= actual <= high``.

    For values that a free choice moves a little (the size of an ``eps``), where any value in the
    range is right. ``hint`` is shown when the check fails.
    """
    got = _as_array(actual, name)
    if got.size != 1:
        raise CheckFailure(f"{name} はスカラー (1 つの数) のはずですが、形状 {got.shape} の配列が返されました。")
    value = float(got.reshape(()))
    if not np.isfinite(value) or not low <= value <= high:
        raise CheckFailure(
            f"{name} が {value:.6g} です。{low:.6g} 以上 {high:.6g} 以下のはずです。"
            + (f"\nヒント: {hint}" if hint else "")
        )


def check_true(condition: bool, message: str) -> None:
    """Raise :class:`CheckFailure` with ``message`` unless ``condition`` holds."""
    if not condition:
        raise CheckFailure(message)


def check_raises(expected: type[Exception], attempt: Callable[[], object], where: str, hint: str = "") -> None:
    """Fail unless ``attempt()`` raises ``expected`` (an input-validation rule of a docstring).

    where: the call in words (e.g. ``"c = 0 での max_norm(W, c)"``); hint: what the rule is."""
    try:
        attempt()
    except expected:
        return
    except Exception as error:  # noqa: BLE001 (any other exception is the diagnostic)
        found = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        raise CheckFailure(f"{where} で {expected.__name__} ではなく {found} が出ました。{hint}".strip()) from None
    raise CheckFailure(f"{where} で {expected.__name__} が出ませんでした。{hint}".strip())


def _first_failure(earlier: Mapping[str, Callable[[], None]]) -> tuple[str, str] | None:
    """(label, first line of its failure) of the first public test that fails, or None."""
    for label, public_test in earlier.items():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the earlier exercise's own cell shows its warnings
                public_test()
        except Exception as error:  # noqa: BLE001 (any failure of the earlier exercise holds the checks)
            return label, (str(error).strip().splitlines() or [f"{type(error).__name__} (まだ実装されていませんか)"])[0]
    return None


def builds_on(earlier: Mapping[str, Callable[[], None]]) -> bool:
    """Whether the earlier exercises that the checks below rely on pass their own public tests.

    earlier: the label of each earlier exercise (e.g. ``"演習 1 (l2_penalty)"``) → the function that
    runs its public tests (it raises when one fails).

    Returns True when all of them pass. Otherwise prints why the checks below are on hold (保留) and
    returns False: a mistake in an earlier exercise would make them fail as well and hide what this
    exercise itself does, so they wait until that exercise is fixed. The hidden tests of this
    exercise use the course's own version of the earlier exercises, so it is graded on its own.
    Usage: ``if builds_on({"演習 1 (l2_penalty)": public_test_l2_penalty}):`` followed by the checks.
    """
    failure = _first_failure(earlier)
    if failure is not None:
        label, reason = failure
        print(
            f"{ON_HOLD}: {label} の公開テストが通らないため、このセルの確認は保留します"
            f" (この演習の誤りとは限りません)。\n  {label}: {reason}\n"
            f"  {label} を直してから、このセルをもう一度実行してください。"
        )
    return failure is None


def core_passes(public_test: Callable[[], None]) -> bool:
    """Whether an exercise's core (its first test cell, run by ``public_test``) passes; the cell that
    checks the exercise's edge rules (a small share of its points) runs its checks only then.

    Otherwise prints that the rules are on hold (保留) and returns False. The rules are graded only
    for a working core, by the hidden tests too: fix the core first.
    Usage: ``if core_passes(public_test_numerical_gradient):`` followed by the checks of the rules.
    """
    failure = _first_failure({"本体": public_test})
    if failure is not None:
        print(
            f"{ON_HOLD}: この演習の本体の公開テスト (上のセル) が通らないため、規則の確認は保留します。\n"
            f"  本体: {failure[1]}\n  本体を直してから、このセルをもう一度実行してください"
            " (規則の点は、本体が正しいときに採点されます)。"
        )
    return failure is None


def unexpected_value(error: BaseException) -> str:
    """The diagnostic for one of UNEXPECTED_VALUE_ERRORS raised while checking a learner's value."""
    return f"採点できない結果が返されました ({type(error).__name__}: {str(error)[:200]})。"


class Properties:
    """The named properties of one test cell, checked in turn; every one gets its own verdict.

    A failure does not stop the properties after it, so that the feedback lists every property with
    ✓ (holds), ✗ (fails) or – (not checked: a property it needs failed, or the run was interrupted).
    Leaving the ``with`` block raises one :class:`CheckFailure` when any property failed: the first
    failure's diagnostic first (the likely cause), then the list. Usage::

        with Properties() as properties:
            properties.check("値 (形状 (3, 4) など)", check_values, x)
            properties.check("入力を書き換えない", check_unchanged, x, needs=("値 (形状 (3, 4) など)",))

    ``interrupted`` (optional) tells whether the run can no longer go on (a time-out or a crash of the
    learner's process, say); then the remaining properties are not checked.

    A public test cell of a notebook writes each property as a block instead (:meth:`property`)::

        with Properties() as test:
            with test.property("AND の真理値表"):
                check_scalar(AND(1, 1), 1, "AND(1, 1)")

    An error that the learner's code raises inside a block (``NotImplementedError``, ``IndexError``…)
    fails that property too; when it is the first failure, leaving the ``with`` block raises that very
    error again, with its traceback and the list as a note, so the learner sees where it happened.
    """

    MARKS = {"pass": "✓", "fail": "✗", "skip": "–"}

    def __init__(self, interrupted: Callable[[], bool] | None = None) -> None:
        self._interrupted = interrupted or (lambda: False)
        self.verdicts: dict[str, str] = {}  # property name → "pass", "fail" or "skip"
        self._lines: list[str] = []
        self._first_failure: str | None = None
        self._first_error: Exception | None = None  # the learner's own error, when it is the first failure

    def __enter__(self) -> Properties:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, traceback: Any) -> None:
        __tracebackhide__ = True  # noqa: F841 (IPython leaves this frame out of the learner's traceback)
        if kind is None and self._first_error is not None:
            nothing_implemented = isinstance(self._first_error, NotImplementedError) and all(
                line.startswith("✗") and (_NOT_IMPLEMENTED in line or line.endswith("(上のとおり)"))
                for line in self._lines
            )
            if len(self._lines) > 1 and not nothing_implemented:
                self._first_error.add_note("\n".join([PROPERTY_LIST_HEADING, *self._lines]))
            raise self._first_error
        if kind is None and self._first_failure is not None:
            failure = CheckFailure(self.message())
            failure.properties = dict(self.verdicts)  # for the class report: which properties fail most
            raise failure

    def passed(self, name: str) -> bool:
        """Whether the property ``name`` was checked and holds."""
        return self.verdicts.get(name) == "pass"

    def check(self, name: str, check: Callable[..., Any], *args: Any, needs: Sequence[str] = (), **kwargs: Any) -> bool:
        """Check the property ``name`` by calling ``check(*args, **kwargs)`` (it raises CheckFailure when the
        property fails), unless a property in ``needs`` did not hold. Returns whether it holds."""
        missing = self._missing(name, needs)
        if missing or (self._first_failure is not None and self._interrupted()):
            reason = f"「{missing[0]}」が合格していないため未確認" if missing else "採点が中断したため未確認"
            return self._record(name, "skip", f"{name} ({reason})")
        try:
            check(*args, **kwargs)
        except CheckFailure as failure:
            return self._fail(name, str(failure))
        except UNEXPECTED_VALUE_ERRORS as error:
            return self._fail(name, unexpected_value(error))
        return self._record(name, "pass", name)

    def _missing(self, name: str, needs: Sequence[str]) -> list[str]:
        """The properties in ``needs`` that did not hold (after checking that ``name`` is new and that
        every need names an earlier property)."""
        if name in self.verdicts:
            raise ValueError(f"property {name!r} is checked twice")
        unknown = [need for need in needs if need not in self.verdicts]
        if unknown:  # a misspelt need would skip the property for ever: a check that cannot fail
            raise ValueError(f"property {name!r} needs {unknown}, which no earlier property is called")
        return [need for need in needs if not self.passed(need)]

    def _fail(self, name: str, diagnostic: str) -> bool:
        if self._first_failure is None:
            self._first_failure = diagnostic
            return self._record(name, "fail", f"{name} (上のとおり)")
        first_line = diagnostic.strip().splitlines()[0] if diagnostic.strip() else ""
        return self._record(name, "fail", f"{name}: {first_line}")

    def _record(self, name: str, verdict: str, line: str) -> bool:
        self.verdicts[name] = verdict
        self._lines.append(f"{self.MARKS[verdict]} {line}")
        return verdict == "pass"

    def message(self) -> str:
        """The first failure's diagnostic, then every property with its mark (one per line)."""
        if len(self._lines) == 1:
            return self._first_failure or ""
        return "\n".join([self._first_failure or "", PROPERTY_LIST_HEADING, *self._lines])

    @contextlib.contextmanager
    def property(self, name: str, needs: Sequence[str] = ()) -> Iterator[None]:
        """The block of a public test cell that checks the property ``name``: a CheckFailure raised in it,
        or an error of the learner's code, fails the property and the blocks after it still run.

        When a property in ``needs`` did not hold, the block still runs (Python cannot skip the body of a
        ``with``), but its outcome is not counted: the property is listed as not checked (–)."""
        missing = self._missing(name, needs)
        __tracebackhide__ = True  # noqa: F841 (IPython leaves this frame out of the learner's traceback)
        try:
            yield
        except CheckFailure as failure:
            if not missing:
                self._fail(name, str(failure))
        except Exception as error:  # noqa: BLE001 (the learner's code failed: this property fails, the rest run)
            if not missing:
                described = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
                if isinstance(error, NotImplementedError):
                    described = f"{_NOT_IMPLEMENTED} ({described})"
                if self._first_failure is None:
                    self._first_error = error
                self._fail(name, described)
        else:
            if not missing:
                self._record(name, "pass", name)
        if missing:
            self._record(name, "skip", f"{name} (「{missing[0]}」が合格していないため未確認)")

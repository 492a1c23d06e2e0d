"""Comparisons with Japanese diagnostics, used by the public tests of the notebooks.

Each function raises :class:`CheckFailure` (an ``AssertionError``) whose message says
WHAT is wrong: not an array, wrong shape, nan/inf, or which element is off by how much,
and, when the value matches a known mistake, the hint for it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = [
    "CheckFailure",
    "ON_HOLD",
    "builds_on",
    "check_array",
    "check_between",
    "check_scalar",
    "check_true",
    "Mistake",
]

#: How a public test cell that holds its checks begins its message (``autograder check`` looks for it).
ON_HOLD = "公開テスト保留"


class CheckFailure(AssertionError):
    """A failed check; ``str(error)`` is the Japanese diagnostic shown to the learner."""


Mistake = tuple[Any, str]
"""A known mistake: (the value that mistake would produce, the hint to show)."""


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

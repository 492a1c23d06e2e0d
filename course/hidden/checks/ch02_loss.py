"""Hidden checks of ch02_loss (INSTRUCTOR ONLY)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from course import reference as ref
from course.checks import CheckFailure, Mistake, check_array, check_true

from ..runner import Runner
from . import core_first, properties

# Tolerances: every loss is a sum of at most a few dozen float64 terms, so a correct
# implementation (in any summation order, one-hot or label form) agrees to ~1e-14; every
# mistake listed below changes the value by a factor of at least 2 or makes it inf / nan.
RTOL, ATOL = 1e-7, 1e-9
_LOG_WARNINGS = ("divide by zero", "invalid value")

# The default eps is only "a small number of the order of 1e-7": a default within a factor of 10
# of it (1e-8 … 1e-6) is as correct as 1e-7 itself. It moves the loss by about eps / p, far beyond
# RTOL when a probability p is small and by log(10) per sample when p is exactly 0, so for the
# cases that use the default eps a value is accepted when it lies between the losses at those two
# eps (the losses decrease monotonically in eps), each widened by the tolerances above. The cases
# that pass eps explicitly are compared with the reference at that eps, at RTOL.
DEFAULT_EPS = 1e-7  # the default of the exercises (and of course.reference)
DEFAULT_EPS_RANGE = (1e-8, 1e-6)
_EPS_IGNORED = "引数 eps を使わずに、決まった小さな数 (1e-7 など) を直接書いていませんか。"


def _within_default_eps(value: Any, loss_at: Any) -> bool:
    """Whether ``value`` is the loss for some default eps in DEFAULT_EPS_RANGE (``loss_at(eps)`` is the loss)."""
    try:
        number = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    if number.ndim != 0 or not np.isfinite(number):
        return False  # check_array gives the diagnostic
    smallest_eps, largest_eps = DEFAULT_EPS_RANGE
    low, high = loss_at(largest_eps), loss_at(smallest_eps)
    return low - (ATOL + RTOL * abs(low)) <= float(number) <= high + (ATOL + RTOL * abs(high))


def _call(run: Runner, name: str, case: str, *args: Any, hint: str = "", **kwargs: Any) -> Any:
    """Call the learner's function; an exception becomes a diagnostic that names the case."""
    try:
        return run.call(name, *args, **kwargs)
    except CheckFailure as failure:
        raise CheckFailure(f"{case}: {failure}" + (f"\nヒント: {hint}" if hint else "")) from None


def _expect_value_error(run: Runner, name: str, y: np.ndarray, t: np.ndarray) -> None:
    try:
        run.call(name, y, t)
    except CheckFailure as failure:
        if "ValueError" in str(failure):
            return
        raise CheckFailure(
            f"形状 {y.shape} の y と形状 {t.shape} の t に対して ValueError 以外が起きました: {failure}"
        ) from None
    raise CheckFailure(
        f"{name} に形状 {y.shape} の y と形状 {t.shape} の t を渡しても ValueError が出ませんでした。"
        "形状が違うときは計算せずに ValueError を出してください (ブロードキャストでエラーも出ずに間違えないため)。"
    )


def _check_finite(value: Any, name: str, hint: str) -> None:
    """A nan or inf loss (every expected loss here is finite) with a hint on its likely cause."""
    try:
        number = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return  # check_array gives the diagnostic
    if not np.all(np.isfinite(number)):
        raise CheckFailure(f"{name} が nan または inf になりました。\nヒント: {hint}")


def _check_loss(
    run: Runner,
    case: str,
    name: str,
    got: Any,
    loss_at: Callable[[float], float],
    eps: float | None,
    mistakes: list[Mistake],
    eps_hint: str,
) -> None:
    """The verdict on one value ``got`` of a log loss. ``loss_at(e)``: the reference loss with eps = e;
    ``eps``: what the case passed (None: the default, where any eps in DEFAULT_EPS_RANGE is right);
    ``eps_hint``: the hint for a nan or inf loss."""
    where = f"{case} に対する {name}"
    if _within_default_eps(got, loss_at):
        if eps is None:
            _no_log_warnings(run, case)
            return
        mistakes = [*mistakes, (got, _EPS_IGNORED)]  # a default eps where another was asked for
    _check_finite(got, where, eps_hint)
    expected = loss_at(DEFAULT_EPS if eps is None else eps)
    check_array(got, expected, where, rtol=RTOL, atol=ATOL, show_values=False, mistakes=mistakes)
    _no_log_warnings(run, case)


def _no_log_warnings(run: Runner, case: str) -> None:
    bad = [w for w in run.last_warnings if any(key in w for key in _LOG_WARNINGS)]
    check_true(
        not bad,
        f"{case} で log の警告が出ました ({bad[0] if bad else ''})。eps を log の中で足して log(0) を避けてください。",
    )


# ---------------------------------------------------------------- squared errors


def _squared_cases(rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    shapes = [(6,), (1, 4), (8, 3), (5, 10)]  # one sample, batch of 1, batches with N != C
    return [(rng.standard_normal(shape), rng.standard_normal(shape)) for shape in shapes]


def _mismatched_shapes(rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    n = int(rng.integers(3, 8))
    # (N, 1) against (N,) broadcasts to (N, N) without any error in NumPy
    column, flat = rng.standard_normal((n, 1)), rng.standard_normal(n)
    return [(column, flat), (flat.copy(), column.copy())]


def _check_shape_mismatch(run: Runner, name: str, pairs: list[tuple[np.ndarray, np.ndarray]]) -> None:
    for y, t in pairs:
        _expect_value_error(run, name, y, t)


_SHAPE_RULE = "入力の検査 (y と t の形状が違うと ValueError)"


def check_sum_squared_error(run: Runner, rng: np.random.Generator) -> None:
    cases, mismatched = _squared_cases(rng), _mismatched_shapes(rng)
    with properties(run) as sse:
        sse.check("1 サンプルの値 (形状 (6,) の y と t)", _check_sum_squared_values, run, cases[:1])
        sse.check("バッチの値 (バッチサイズ 1 を含む 3 つの形状)", _check_sum_squared_values, run, cases[1:])
        sse.check(_SHAPE_RULE, _check_shape_mismatch, run, "sum_squared_error", mismatched)


def _check_sum_squared_values(run: Runner, cases: list[tuple[np.ndarray, np.ndarray]]) -> None:
    for y, t in cases:
        n = y.shape[0] if y.ndim == 2 else 1
        total = float(np.sum((y - t) ** 2))
        mistakes: list[Mistake] = [
            (total / n, "½ を掛け忘れています (E = ½ Σ (y − t)²)。"),
            (0.5 * total / y.size, "全要素数で割っています。バッチでは N (= y.shape[0]) で割ってください。"),
            (total / y.size, "½ を付けずに全要素の平均を取っています。それは平均二乗誤差 (mean_squared_error) です。"),
        ]
        if n > 1:
            mistakes.insert(0, (0.5 * total, "バッチサイズ N で割っていません。バッチでは各サンプルの誤差の平均です。"))
        check_array(
            _call(run, "sum_squared_error", f"形状 {y.shape} の入力", y, t),
            ref.sum_squared_error(y, t),
            f"形状 {y.shape} の入力に対する sum_squared_error",
            rtol=RTOL,
            atol=ATOL,
            show_values=False,
            mistakes=mistakes,
        )


def check_mean_squared_error(run: Runner, rng: np.random.Generator) -> None:
    cases = [*_squared_cases(rng), (rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 3, 4)))]
    mismatched = _mismatched_shapes(rng)
    with properties(run) as mse:
        mse.check("値 (1 次元から 3 次元までの 5 つの形状)", _check_mean_squared_values, run, cases)
        mse.check(_SHAPE_RULE, _check_shape_mismatch, run, "mean_squared_error", mismatched)


def _check_mean_squared_values(run: Runner, cases: list[tuple[np.ndarray, np.ndarray]]) -> None:
    for y, t in cases:
        total = float(np.sum((y - t) ** 2))
        mistakes: list[Mistake] = [
            (
                0.5 * total,
                "½ × 二乗和 (この章の sum_squared_error。『ゼロから作るDeep Learning』4.2.1 節ではこれを "
                "mean_squared_error と呼んでいます) になっています。ここでの mean_squared_error は全要素の平均で、"
                "½ は付けません。",
            ),
            (0.5 * total / y.size, "½ を掛けています。平均二乗誤差には ½ を付けません。"),
            (total, "和になっています。全要素の個数で割って平均にしてください。"),
        ]
        if y.ndim >= 2 and y.shape[0] > 1:
            mistakes.append((total / y.shape[0], "N (= y.shape[0]) で割っています。全要素の平均を取ってください。"))
        check_array(
            _call(run, "mean_squared_error", f"形状 {y.shape} の入力", y, t),
            ref.mean_squared_error(y, t),
            f"形状 {y.shape} の入力に対する mean_squared_error",
            rtol=RTOL,
            atol=ATOL,
            show_values=False,
            mistakes=mistakes,
        )


# ---------------------------------------------------------------- cross-entropy


def _probabilities(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return ref.softmax(rng.standard_normal(shape) * 2)


def _with_zeros(rng: np.random.Generator, n: int, c: int) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities with exact zeros: row 0 gives the correct class 0, the others zero a wrong class."""
    y = _probabilities(rng, (n, c))
    labels = rng.integers(0, c, size=n)
    for i in range(n):
        zero = labels[i] if i == 0 else (labels[i] + 1) % c
        y[i, zero] = 0.0
        y[i] /= y[i].sum()
    return y, labels


def _cross_entropy_mistakes(y2: np.ndarray, labels: np.ndarray, eps: float, labels_given: bool) -> list[Mistake]:
    n, c = y2.shape
    correct = y2[np.arange(n), labels]
    total = float(-np.sum(np.log(correct + eps)))
    with np.errstate(divide="ignore"):  # the mistakes without eps give inf on exact zeros
        without_eps = float(-np.sum(np.log(correct)) / n)
    mistakes: list[Mistake] = [
        (
            total / c,
            "クラス数 C で割っています (np.mean で全要素の平均を取っても同じです)。バッチサイズ N で割ってください"
            " (C で割ると勾配が N/C 倍になり、学習率が知らないうちに変わります)。",
        ),
        (without_eps, "eps を log の中で足していません。log(y) + eps ではなく log(y + eps) としてください。"),
    ]
    if n > 1:
        mistakes += [
            (total, "バッチサイズ N で割っていません。バッチの平均を返してください。"),
            (total / (n * c), "全要素 (N×C 個) の平均を取っています (np.mean)。和を取ってから N で割ってください。"),
        ]
        if labels_given:
            wrong_pick = float(-np.sum(np.log(y2[:, labels] + eps)) / n)
            hint = (
                "y[:, t] は形状 (N, N) になります。各行 n からは正解 t_n の列の 1 要素だけを取り出して、"
                "N 個の確率にしてください (行の添字と列の添字を組にして指定します)。"
            )
            mistakes.append((wrong_pick, hint))
    return mistakes


_TARGET_FORMS = (
    "t は one-hot (y と同じ形状) のことも、整数の正解ラベル"
    " (1 サンプルならスカラー、バッチなら形状 (N,)) のこともあります。"
    "y が 1 次元なら y と t をバッチ 1 個分の形に直してから、t の形状で 2 つの形式を見分けてください。"
)


def _one_hot(labels: np.ndarray, c: int) -> np.ndarray:
    return np.eye(c)[labels]


def _check_cross_entropy_cases(run: Runner, cases: list[tuple[str, np.ndarray, Any, np.ndarray, float | None]]) -> None:
    """Each case: (description, y, t, labels of t, eps or None for the default)."""
    for case, y, t, labels, eps in cases:
        kwargs = {} if eps is None else {"eps": eps}
        used_eps = DEFAULT_EPS if eps is None else eps
        labels_given = np.ndim(t) == 1 and y.ndim == 2
        mistakes = _cross_entropy_mistakes(y.reshape(-1, y.shape[-1]), labels, used_eps, labels_given)
        if eps is not None:
            default_eps = float(-np.sum(np.log(y[np.arange(len(labels)), labels] + DEFAULT_EPS)) / len(labels))
            mistakes.append((default_eps, _EPS_IGNORED))
        _check_loss(
            run,
            case,
            "cross_entropy_error",
            _call(run, "cross_entropy_error", case, y, t, hint=_TARGET_FORMS, **kwargs),
            lambda e, y=y, t=t: ref.cross_entropy_error(y, t, eps=e),
            eps,
            mistakes,
            "eps を log の中で足して log(y + eps) としてください。",
        )


def check_cross_entropy_error(run: Runner, rng: np.random.Generator) -> None:
    c1 = int(rng.integers(4, 9))
    y1 = _probabilities(rng, (c1,))
    label1 = int(rng.integers(0, c1))
    y_one, labels_one = _probabilities(rng, (1, 6)), rng.integers(0, 6, size=1)
    y_big, labels_big = _probabilities(rng, (7, 10)), rng.integers(0, 10, size=7)
    y_three, labels_three = _probabilities(rng, (6, 3)), rng.integers(0, 3, size=6)
    y_zero, labels_zero = _with_zeros(rng, 5, 4)
    one_hot_zero = _one_hot(labels_zero, 4)
    one_sample = [
        (f"1 サンプル (形状 ({c1},) の y) と one-hot の t", y1, _one_hot(label1, c1), np.array([label1]), None)
    ]
    batches = [
        ("形状 (1, 6) の y と形状 (1,) のラベル", y_one, labels_one, labels_one, None),
        ("形状 (7, 10) の y と形状 (7,) のラベル", y_big, labels_big, labels_big, None),
        ("形状 (7, 10) の y と one-hot の t", y_big, _one_hot(labels_big, 10), labels_big, None),
        ("形状 (6, 3) の y と one-hot の t", y_three, _one_hot(labels_three, 3), labels_three, None),
    ]
    zeros = [
        ("確率がちょうど 0 の要素を含む形状 (5, 4) の y (ラベル)", y_zero, labels_zero, labels_zero, None),
        ("確率がちょうど 0 の要素を含む形状 (5, 4) の y (one-hot)", y_zero, one_hot_zero, labels_zero, None),
    ]
    given_eps = [("確率がちょうど 0 の要素を含む y と eps=1e-3", y_zero, labels_zero, labels_zero, 1e-3)]
    with properties(run) as cross_entropy:
        cross_entropy.check("1 サンプルの値 (1 次元の y と one-hot の t)", _check_cross_entropy_cases, run, one_sample)
        cross_entropy.check(
            "バッチでの値 (正解ラベルの t と one-hot の t、バッチサイズ 1 を含む)",
            _check_cross_entropy_cases,
            run,
            batches,
        )
        cross_entropy.check(
            "確率がちょうど 0 の要素を含む y での値 (log(0) を避ける)", _check_cross_entropy_cases, run, zeros
        )
        cross_entropy.check("引数 eps を使う (eps=1e-3)", _check_cross_entropy_cases, run, given_eps)


def check_cross_entropy_error_rules(run: Runner, rng: np.random.Generator) -> None:
    """The docstring's rule for one sample: a 1-D y with a SCALAR label (a small share of the points),
    graded for a working core (the public cell waits for the core's public test likewise)."""
    core_first(lambda: check_cross_entropy_error(run, rng))
    cases = []
    for c in (int(rng.integers(4, 9)), 2):
        y, label = _probabilities(rng, (c,)), int(rng.integers(0, c))
        cases.append((f"1 サンプル (形状 ({c},) の y) とスカラーのラベル {label}", y, label, np.array([label]), None))
    _check_cross_entropy_cases(run, cases)


# ---------------------------------------------------------------- binary cross-entropy


def check_binary_cross_entropy(run: Runner, rng: np.random.Generator) -> None:
    def targets(shape: tuple[int, ...]) -> np.ndarray:
        return rng.integers(0, 2, size=shape).astype(np.float64)

    shapes = [(1,), (7,), (5, 1), (3, 4)]  # (3, 4): multi-label, mean over all 12 elements
    cases = [(f"形状 {s} の入力", rng.uniform(0.02, 0.98, size=s), targets(s), None) for s in shapes]
    y_edge = rng.uniform(0.05, 0.95, size=6)
    t_edge = targets((6,))
    y_edge[:3] = [0.0, 1.0, 0.0]
    t_edge[:3] = [1.0, 0.0, 0.0]  # two confidently wrong answers and one confidently right one
    edges = [("確率がちょうど 0 や 1 の要素を含む入力", y_edge, t_edge, None)]
    given_eps = [("確率がちょうど 0 や 1 の要素を含む入力と eps=1e-3", y_edge, t_edge, 1e-3)]
    mismatched = [(rng.uniform(0.1, 0.9, size=(4, 1)), targets((4,)))]
    with properties(run) as bce:
        bce.check("値 (形状 (1,)、(7,)、(5, 1)、(3, 4) の入力)", _check_binary_cross_entropy_cases, run, cases)
        bce.check(
            "確率がちょうど 0 や 1 の要素を含む入力での値 (log(0) を避ける)",
            _check_binary_cross_entropy_cases,
            run,
            edges,
        )
        bce.check("引数 eps を使う (eps=1e-3)", _check_binary_cross_entropy_cases, run, given_eps)
        bce.check(_SHAPE_RULE, _check_shape_mismatch, run, "binary_cross_entropy", mismatched)


def _check_binary_cross_entropy_cases(
    run: Runner, cases: list[tuple[str, np.ndarray, np.ndarray, float | None]]
) -> None:
    """Each case: (description, y, t, eps or None for the default)."""
    for case, y, t, eps in cases:
        kwargs = {} if eps is None else {"eps": eps}
        used_eps = DEFAULT_EPS if eps is None else eps
        terms = t * np.log(y + used_eps) + (1 - t) * np.log(1 - y + used_eps)
        mistakes: list[Mistake] = [
            (float(np.mean(terms)), "符号が逆です。損失は −[t log y + (1 − t) log(1 − y)] の平均です。"),
            (float(-np.mean(t * np.log(y + used_eps))), "(1 − t) log(1 − y) の項 (負例の項) が抜けています。"),
        ]
        if y.size > 1:
            mistakes.append((float(-np.sum(terms)), "和になっています。全要素の平均を取ってください。"))
        if y.ndim == 2 and y.shape[1] > 1:
            hint = "N で割っています。全要素 (N×K 個) の平均を取ってください。"
            mistakes.append((float(-np.sum(terms) / y.shape[0]), hint))
        with np.errstate(divide="ignore", invalid="ignore"):  # inf / nan on exact 0 and 1
            without_eps = float(-np.mean(t * np.log(y) + (1 - t) * np.log(1 - y)))
        if np.isfinite(without_eps):
            mistakes.append(
                (without_eps, "eps を log の中で足していません。log(y + eps) と log(1 - y + eps) にしてください。")
            )
        if eps is not None:
            default = float(-np.mean(t * np.log(y + DEFAULT_EPS) + (1 - t) * np.log(1 - y + DEFAULT_EPS)))
            mistakes.append((default, _EPS_IGNORED))
        _check_loss(
            run,
            case,
            "binary_cross_entropy",
            _call(run, "binary_cross_entropy", case, y, t, **kwargs),
            lambda e, y=y, t=t: ref.binary_cross_entropy(y, t, eps=e),
            eps,
            mistakes,
            "eps を log の中で足して log(y + eps) と log(1 - y + eps) にしてください。",
        )


CHECKS = {
    "sum_squared_error": check_sum_squared_error,
    "mean_squared_error": check_mean_squared_error,
    "cross_entropy_error": check_cross_entropy_error,
    "cross_entropy_error_rules": check_cross_entropy_error_rules,
    "binary_cross_entropy": check_binary_cross_entropy,
}

"""Hidden checks of ch09_regularization (INSTRUCTOR ONLY).

Every check draws fresh inputs from ``rng``, calls the learner's code through the runner only
(plain data in, plain data out) and compares with :mod:`course.reference`. The classic mistakes
of each exercise are simulated here and recognised through ``mistakes=`` hints.

* Penalties: sums of squares / absolute values; tolerance relative 1e-9 (only the order of
  summation may differ), absolute 1e-12.
* max_norm: one product per element; relative 1e-9.
* AdamW: driven by the notebook's ``run_adamw`` helper (the learner's object must live in
  the learner's process, and argument arrays are copies, so in-place updates cannot be observed
  from here); 6 steps compared with the reference at relative 1e-9.
* EarlyStopping: exact (booleans, integers and the stored losses themselves).
* Initialisation: closed forms; relative 1e-12.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from course import reference as ref
from course.checks import CheckFailure, check_array, check_scalar, check_true

from ..runner import Runner
from . import check_learner_accepts, check_learner_raises, learner_copy, properties

RTOL, ATOL = 1e-9, 1e-12


# ---------------------------------------------------------------------------- helpers
def _random_params(rng: np.random.Generator, sizes: list[int], batchnorm: bool) -> dict[str, np.ndarray]:
    """Textbook-style parameters 'W1', 'b1', ... (and 'gamma1', 'beta1' for hidden layers).

    Some weights are exactly 0 (sign(0) matters for L1) and biases are large, so that a
    penalty that includes them is far off.
    """
    params: dict[str, np.ndarray] = {}
    for i in range(1, len(sizes)):
        W = rng.standard_normal((sizes[i - 1], sizes[i])) * rng.uniform(0.3, 2.0)
        W.flat[rng.choice(W.size, size=max(1, W.size // 4), replace=False)] = 0.0
        params[f"W{i}"] = W
        params[f"b{i}"] = rng.standard_normal(sizes[i]) * 3.0 + 1.0
        if batchnorm and i < len(sizes) - 1:
            params[f"gamma{i}"] = rng.uniform(0.5, 2.0, size=sizes[i])
            params[f"beta{i}"] = rng.standard_normal(sizes[i])
    return params


# (sizes, with batch norm): a 1-unit input (batch size 1 of a weight's rows), a 1-unit output, deeper nets
_NETWORKS = [([1, 3], False), ([4, 1], False), ([5, 4, 3], True), ([2, 6, 5, 2], True), ([3, 7, 4], False)]


def _weights(params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: p for k, p in params.items() if k.startswith("W")}


def _describe(params: dict[str, np.ndarray]) -> str:
    return "、".join(f"'{k}' {p.shape}" for k, p in params.items())


def _check_grad_dict(got: Any, params: dict[str, np.ndarray], name: str) -> dict[str, Any]:
    check_true(isinstance(got, dict), f"{name} は辞書を返してください (実際: {type(got).__name__})。")
    missing = sorted(set(params) - set(got))
    check_true(
        not missing,
        f"{name} の戻り値にキー {missing} がありません。重み以外のキーにも、同じ形状の 0 の配列を入れてください "
        "(grads にキーごとに足せるように)。",
    )
    extra = sorted(set(got) - set(params))
    check_true(not extra, f"{name} の戻り値に、params にないキー {extra} があります。")
    return got


def _check_finite(value: Any, name: str, hint: str) -> None:
    array = np.asarray(value, dtype=np.float64)
    if array.size and not np.all(np.isfinite(array)):
        raise CheckFailure(f"{name} に nan または inf が含まれています。\nヒント: {hint}")


_NOT_BIASES = (
    "バイアス (b) やバッチ正規化の γ、β も含めています。対象はキーが 'W' で始まる重みだけです (_is_weight(key))。"
)


# ---------------------------------------------------------------------------- L2
def _penalty_cases(rng: np.random.Generator) -> list[tuple[dict[str, np.ndarray], float, str]]:
    """(params, λ, where) for each network of _NETWORKS."""
    cases = []
    for sizes, batchnorm in _NETWORKS:
        params = _random_params(rng, sizes, batchnorm)
        lam = float(rng.uniform(0.01, 1.0))
        cases.append((params, lam, f"params ({_describe(params)})、λ = {lam:.3g} に対する"))
    return cases


def _check_l2_values(run: Runner, cases: list) -> None:
    for params, lam, where in cases:
        square_sum = sum(float(np.sum(W**2)) for W in _weights(params).values())
        all_square_sum = sum(float(np.sum(p**2)) for p in params.values())
        check_scalar(
            run.call("l2_penalty", learner_copy(params), lam),
            ref.l2_penalty(params, lam),
            f"{where} l2_penalty",
            rtol=RTOL,
            atol=ATOL,
            show_values=False,
            mistakes=[
                (0.5 * lam * all_square_sum, _NOT_BIASES),
                (lam * square_sum, "係数 1/2 がありません。L2 の項は (λ/2) Σ W² です (勾配を λW にするための 1/2)。"),
                (
                    lam * all_square_sum,
                    "係数 1/2 がなく、さらにバイアスなども含めています。対象は重みだけで、項は (λ/2) Σ W² です。",
                ),
                (
                    0.5 * lam * math.sqrt(square_sum),
                    "二乗和ではなく、その平方根 (ノルム) を使っています。"
                    "L2 の項はノルムの 2 乗 Σ W² に λ/2 を掛けたものです。",
                ),
                (
                    0.5 * lam * sum(float(np.mean(W**2)) for W in _weights(params).values()),
                    "要素の平均ではなく和を取ってください。",
                ),
            ],
        )


def _check_l2_grads(run: Runner, cases: list) -> None:
    for params, lam, where in cases:
        got = _check_grad_dict(run.call("l2_penalty_grad", learner_copy(params), lam), params, "l2_penalty_grad")
        expected = ref.l2_penalty_grad(params, lam)
        for key, p in params.items():
            if key.startswith("W"):
                mistakes = [
                    (np.full_like(p, lam), "勾配は λ ではなく λW です ((λ/2) W² を W で微分すると λW)。"),
                    (2 * lam * p, "勾配が 2λW になっています。(λ/2) Σ W² の微分は λW です。"),
                    (p, "λ を掛け忘れています。"),
                    (-lam * p, "符号が逆です。勾配は +λW (更新で W から引くと 0 に近づく) です。"),
                ]
            else:
                mistakes = [(lam * p, _NOT_BIASES + " それ以外のキーには 0 の配列を入れます。")]
            check_array(
                got[key],
                expected[key],
                f"{where} l2_penalty_grad(...)['{key}']",
                rtol=RTOL,
                atol=ATOL,
                show_values=False,
                mistakes=mistakes,
            )


def check_l2_penalty(run: Runner, rng: np.random.Generator) -> None:
    cases = _penalty_cases(rng)
    with properties(run) as l2:
        l2.check("L2 の項の値 (重みだけの二乗和に λ/2、5 つのネットワーク)", _check_l2_values, run, cases)
        l2.check("勾配 (重みは λW、それ以外のキーは 0 の配列)", _check_l2_grads, run, cases)


# ---------------------------------------------------------------------------- L1
def _check_l1_values(run: Runner, cases: list) -> None:
    for params, lam, where in cases:
        abs_sum = sum(float(np.sum(np.abs(W))) for W in _weights(params).values())
        check_scalar(
            run.call("l1_penalty", learner_copy(params), lam),
            ref.l1_penalty(params, lam),
            f"{where} l1_penalty",
            rtol=RTOL,
            atol=ATOL,
            show_values=False,
            mistakes=[
                (lam * sum(float(np.sum(np.abs(p))) for p in params.values()), _NOT_BIASES),
                (0.5 * lam * abs_sum, "L1 の項は λ Σ |W| です (L2 と違って 1/2 は付きません)。"),
                (
                    lam * sum(float(np.sum(W)) for W in _weights(params).values()),
                    "絶対値を取り忘れています (λ Σ |W|)。",
                ),
            ],
        )


def _check_l1_grads(run: Runner, cases: list) -> None:
    for params, lam, where in cases:
        got = _check_grad_dict(run.call("l1_penalty_grad", learner_copy(params), lam), params, "l1_penalty_grad")
        expected = ref.l1_penalty_grad(params, lam)
        for key, p in params.items():
            name = f"{where} l1_penalty_grad(...)['{key}']"
            if key.startswith("W"):
                _check_finite(
                    got[key],
                    name,
                    "W / |W| は W = 0 で 0/0 = nan になります。np.sign(W) を使ってください (W = 0 では 0)。",
                )
                mistakes = [
                    (-lam * np.sign(p), "符号が逆です。|W| の微分は sign(W) で、勾配は +λ sign(W) です。"),
                    (lam * p, "λW は L2 の勾配です。L1 の勾配は λ sign(W) です。"),
                    (np.sign(p), "λ を掛け忘れています。"),
                    (
                        lam * np.where(p >= 0, 1.0, -1.0),
                        "W = 0 の要素で +λ を返しています。W = 0 での (劣) 勾配は 0 にします (np.sign(0) = 0)。",
                    ),
                    (
                        lam * np.where(p > 0, 1.0, -1.0),
                        "W = 0 の要素で −λ を返しています。W = 0 での (劣) 勾配は 0 にします (np.sign(0) = 0)。",
                    ),
                    (lam * np.abs(p), "|W| を返しています。勾配は λ sign(W) です。"),
                ]
            else:
                mistakes = [(lam * np.sign(p), _NOT_BIASES + " それ以外のキーには 0 の配列を入れます。")]
            check_array(got[key], expected[key], name, rtol=RTOL, atol=ATOL, show_values=False, mistakes=mistakes)


def check_l1_penalty(run: Runner, rng: np.random.Generator) -> None:
    cases = _penalty_cases(rng)
    with properties(run) as l1:
        l1.check("L1 の項の値 (重みだけの絶対値の和に λ、5 つのネットワーク)", _check_l1_values, run, cases)
        l1.check("(劣) 勾配 (重みは λ sign(W) で W = 0 では 0、それ以外のキーは 0 の配列)", _check_l1_grads, run, cases)


# ---------------------------------------------------------------------------- Elastic Net
# The learner's L1 and L2 functions are replaced by the reference ones during the calls: only the
# composition is graded here (each penalty has its own test, so a mistake there costs points once).
# An Elastic Net written from scratch, without calling them, is graded in full all the same.
_PENALTIES = {
    "l1_penalty": ref.l1_penalty,
    "l2_penalty": ref.l2_penalty,
    "l1_penalty_grad": ref.l1_penalty_grad,
    "l2_penalty_grad": ref.l2_penalty_grad,
}


_SWAPPED = "λ1 と λ2 が入れ替わっています。λ1 は L1 の項 (Σ|W|)、λ2 は L2 の項 ((1/2) Σ W²) の係数です。"


def _check_elastic_net_values(run: Runner, cases: list) -> None:
    for params, l1, l2, where in cases:
        check_scalar(
            run.call("elastic_net_penalty", learner_copy(params), l1, l2, substitute=_PENALTIES),
            ref.elastic_net_penalty(params, l1, l2),
            f"{where} elastic_net_penalty",
            rtol=RTOL,
            atol=ATOL,
            show_values=False,
            mistakes=[
                (ref.l1_penalty(params, l2) + ref.l2_penalty(params, l1), _SWAPPED),
                (
                    ref.l1_penalty(params, l1) + 2 * ref.l2_penalty(params, l2),
                    "L2 の項に 1/2 がありません: λ1 Σ|W| + (λ2/2) Σ W² です。",
                ),
            ],
        )


def _check_elastic_net_grads(run: Runner, cases: list) -> None:
    for params, l1, l2, where in cases:
        got = _check_grad_dict(
            run.call("elastic_net_penalty_grad", learner_copy(params), l1, l2, substitute=_PENALTIES),
            params,
            "elastic_net_penalty_grad",
        )
        expected = ref.elastic_net_penalty_grad(params, l1, l2)
        for key, p in params.items():
            if key.startswith("W"):
                mistakes = [
                    (l2 * np.sign(p) + l1 * p, _SWAPPED),
                    (l1 * np.sign(p) + 2 * l2 * p, "L2 の部分の勾配は λ2 W です (2λ2 W ではありません)。"),
                ]
            else:
                mistakes = [(l1 * np.sign(p) + l2 * p, _NOT_BIASES)]
            check_array(
                got[key],
                expected[key],
                f"{where} elastic_net_penalty_grad(...)['{key}']",
                rtol=RTOL,
                atol=ATOL,
                show_values=False,
                mistakes=mistakes,
            )


def check_elastic_net(run: Runner, rng: np.random.Generator) -> None:
    cases = []
    for sizes, batchnorm in _NETWORKS[1:4]:
        params = _random_params(rng, sizes, batchnorm)
        l1, l2 = (float(v) for v in rng.uniform(0.01, 1.0, size=2))
        cases.append((params, l1, l2, f"params ({_describe(params)})、λ1 = {l1:.3g}、λ2 = {l2:.3g} に対する"))
    with properties(run) as elastic_net:
        elastic_net.check(
            "Elastic Net の項の値 (λ1 の L1 の項と λ2 の L2 の項の和)", _check_elastic_net_values, run, cases
        )
        elastic_net.check(
            "勾配 (重みは λ1 sign(W) + λ2 W、それ以外のキーは 0 の配列)", _check_elastic_net_grads, run, cases
        )


# ---------------------------------------------------------------------------- max_norm
def _max_norm_case(rng: np.random.Generator, shape: tuple[int, int], above: bool) -> tuple[np.ndarray, float]:
    """W whose columns have clearly different norms, and a limit c.

    One column: c is half its norm (above=True) or twice it. Several columns: c lies strictly
    between the smallest and the largest norm, so some columns are rescaled and others kept.
    """
    W = rng.standard_normal(shape) * rng.uniform(0.2, 3.0, size=shape[1])
    norms = np.sqrt(np.sum(W**2, axis=0))
    if shape[1] == 1:
        return W, float(norms[0] * (0.5 if above else 2.0))
    low, high = np.sort(norms)[[0, -1]]
    return W, float(rng.uniform(low + 0.25 * (high - low), high - 0.25 * (high - low)))


def _check_max_norm_values(run: Runner, cases: list, changed: list) -> None:
    """One call of the learner's max_norm per case (W, c), its values checked right after it; records
    the arguments each call changed in ``changed``."""
    for W, c in cases:
        col = np.sqrt(np.sum(W**2, axis=0))
        row = np.sqrt(np.sum(W**2, axis=1))
        square = np.sum(W**2, axis=0)
        frobenius = float(np.sqrt(np.sum(W**2)))
        with np.errstate(divide="ignore", invalid="ignore"):
            all_columns = W * (c / col)
        name = f"形状 {W.shape} の W、c = {c:.3g} に対する max_norm"
        got = run.call("max_norm", W, c)
        changed.append((name, run.last_changed))
        _check_finite(
            got,
            name,
            "ノルムが 0 の列で 0 で割っていませんか。"
            "ノルムが c 以下の列 (0 の列も) は倍率 1 でそのまま残り、縮めるのは c を超える列だけです。",
        )
        check_array(
            got,
            ref.max_norm(W, c),
            name,
            rtol=RTOL,
            atol=ATOL,
            show_values=False,
            mistakes=[
                (
                    W * (c / np.maximum(row, c))[:, None],
                    "行ごとのノルムで縮めています。W は形状 (n_in, n_out) なので、"
                    "ユニット j に入る重みは列 W[:, j] です "
                    "(ノルムは axis=0 で計算します)。",
                ),
                (
                    all_columns,
                    "ノルムが c 以下の列まで長さ c に引き伸ばしています。倍率は c / max(ノルム, c) で、"
                    "c 以下の列は 1 倍 (そのまま) です。",
                ),
                (
                    W * np.sqrt(c / np.maximum(square, c)),
                    "二乗和 Σ W² を c と比べています。max-norm の上限はノルム (二乗和の平方根) に対するものです。",
                ),
                (
                    W * (c / max(frobenius, c)),
                    "行列全体のノルムで縮めています。ノルムは列ごと (ユニットごと) に計算します。",
                ),
            ],
        )


def _check_max_norm_unchanged(changed: list) -> None:
    for name, arguments in changed:
        check_true(
            0 not in arguments,
            f"{name} が引数の W を書き換えています。W *= ... や W[:, j] = ... ではなく、"
            "W * 倍率 のように新しい配列を作って返してください。",
        )


def check_max_norm(run: Runner, rng: np.random.Generator) -> None:
    cases = []
    for shape, above in [((1, 5), True), ((5, 1), True), ((5, 1), False), ((10, 6), True), ((3, 8), True)]:
        cases.append(_max_norm_case(rng, shape, above))
    W, c = _max_norm_case(rng, (4, 3), True)
    W[:, np.argmin(np.sum(W**2, axis=0))] = 0.0  # a zero column must stay zero (no division by its norm)
    zero_column = [(W, c)]
    values = "値 (1 行、1 列、複数列の W。ノルムが c を超える列だけをノルム c に縮める)"
    changed: list[tuple[str, tuple[int | str, ...]]] = []  # (the call's name, the arguments it changed)
    with properties(run) as max_norm:
        max_norm.check(values, _check_max_norm_values, run, cases, changed)
        max_norm.check(
            "ノルムが 0 の列があっても値が正しい (0 の列は 0 のまま)", _check_max_norm_values, run, zero_column, changed
        )
        # when no call returned, there is nothing to look at: not checked, as its value property failed
        max_norm.check("引数の W を書き換えない", _check_max_norm_unchanged, changed, needs=[] if changed else [values])


def _check_max_norm_raises_for_ndim(run: Runner, bads: list[np.ndarray], c: float) -> None:
    shape_hint = "W は形状 (n_in, n_out) の 2 次元の配列です。W.ndim != 2 なら raise ValueError(...) としてください。"
    for bad in bads:
        where = f"形状 {bad.shape} の W での max_norm"
        check_learner_raises(lambda bad=bad: run.call("max_norm", bad, c), "ValueError", where, shape_hint)


def _check_max_norm_raises_for_c(run: Runner, W: np.ndarray, bad_cs: list[float]) -> None:
    for bad_c in bad_cs:
        where = f"c = {bad_c:g} での max_norm(W, c)"
        hint = "c は正の数です。c <= 0 なら raise ValueError(...) としてください。"
        check_learner_raises(lambda bad_c=bad_c: run.call("max_norm", W, bad_c), "ValueError", where, hint)


def check_max_norm_rules(run: Runner, rng: np.random.Generator) -> None:
    """The input rules of the docstring: a 2-D W and a positive c are accepted; otherwise ValueError."""
    W, c = _max_norm_case(rng, (int(rng.integers(2, 6)), int(rng.integers(2, 6))), True)
    bads = [rng.standard_normal(int(rng.integers(2, 6))), rng.standard_normal((2, 3, 2))]
    with properties(run) as rules:
        rules.check(
            "正しい入力 (2 次元の W、正の c) では例外を出さない",
            check_learner_accepts,
            lambda: run.call("max_norm", W, c),
            f"形状 {W.shape} の W、c = {c:.3g} での max_norm",
        )
        rules.check("W が 2 次元でなければ ValueError", _check_max_norm_raises_for_ndim, run, bads, c)
        rules.check(
            "c が正でなければ (0 や負の数で) ValueError",
            _check_max_norm_raises_for_c,
            run,
            W,
            [0.0, -float(np.round(c, 3))],
        )


# ---------------------------------------------------------------------------- AdamW
class _AdamL2(ref.Adam):
    """Adam with the L2 term added to the gradient (the coupled version)."""

    def __init__(self, weight_decay: float = 0.01, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.weight_decay = weight_decay

    def update(self, params, grads):
        super().update(params, {k: grads[k] + self.weight_decay * params[k] for k in params})


class _DecayWithoutLr(_AdamL2):
    def update(self, params, grads):
        for k in params:
            params[k] *= 1.0 - self.weight_decay
        ref.Adam.update(self, params, grads)


class _DecayAfter(_AdamL2):
    def update(self, params, grads):
        ref.Adam.update(self, params, grads)
        for k in params:
            params[k] *= 1.0 - self.lr * self.weight_decay


class _DecayWeightsOnly(_AdamL2):
    """AdamW that decays the weights ('W…') only: as correct as decaying every array (the docstring)."""

    def update(self, params, grads):
        for k in params:
            if k.startswith("W"):
                params[k] *= 1.0 - self.lr * self.weight_decay
        ref.Adam.update(self, params, grads)


class _DecaySignFlipped(_AdamL2):
    def update(self, params, grads):
        for k in params:
            params[k] *= 1.0 + self.lr * self.weight_decay
        ref.Adam.update(self, params, grads)


_ADAMW_MISTAKES = [
    (
        _AdamL2,
        "λw を勾配に足して Adam に渡しています。それは Adam + L2 で、減衰が √v̂ で割られてしまいます。"
        "AdamW では m、v は元の勾配だけから作り、"
        "減衰は別に w ← w − lr·λ·w と行います。",
    ),
    (_DecayWithoutLr, "減衰に学習率を掛け忘れています: w ← w − lr·λ·w です (PyTorch の AdamW と同じ)。"),
    (
        _DecayAfter,
        "Adam の更新の後で縮めています。縮めるのは更新前の w です (先に w ← (1 − lr·λ) w、その後で Adam の更新)。",
    ),
    (_DecaySignFlipped, "減衰の符号が逆です: w ← (1 − lr·λ) w です。"),
]


def _trajectory(optimizer: Any, params: dict[str, np.ndarray], grads_sequence: list[dict]) -> np.ndarray:
    params = {k: v.copy() for k, v in params.items()}
    out = []
    for grads in grads_sequence:
        optimizer.update(params, {k: v.copy() for k, v in grads.items()})
        out.append(np.concatenate([params[k].ravel() for k in params]))
    return np.stack(out)


def _flatten_history(got: Any, params: dict[str, np.ndarray], steps: int) -> np.ndarray:
    check_true(
        isinstance(got, (tuple, list)) and len(got) == steps and all(isinstance(h, dict) for h in got),
        "run_adamw の戻り値が、各ステップの params の辞書のリストになっていません。"
        "セットアップのセルの run_adamw を書き換えていないか確認し、セルを実行し直してください。",
    )
    rows = []
    for step, snapshot in enumerate(got, start=1):
        check_true(
            set(snapshot) == set(params), f"{step} 回目の更新後の params のキーが変わっています: {sorted(snapshot)}。"
        )
        for key in params:
            check_true(
                np.shape(snapshot[key]) == params[key].shape,
                f"{step} 回目の更新後の params['{key}'] の形状が {np.shape(snapshot[key])} です "
                f"(期待 {params[key].shape})。",
            )
        rows.append(np.concatenate([np.asarray(snapshot[k], dtype=np.float64).ravel() for k in params]))
    return np.stack(rows)


_ADAMW_STEPS = 6


def _adamw_cases(rng: np.random.Generator, cases: list) -> list[tuple[dict, dict[str, np.ndarray], list[dict]]]:
    """(constructor arguments, params, the gradients of the 6 updates) for each (sizes, constructor arguments)."""
    drawn = []
    for sizes, kwargs in cases:
        params = _random_params(rng, sizes, batchnorm=False)
        scales = {k: 10.0 ** rng.uniform(-3, 1) for k in params}  # very different gradient scales per array
        grads_sequence = [
            {k: rng.standard_normal(p.shape) * scales[k] for k, p in params.items()} for _ in range(_ADAMW_STEPS)
        ]
        drawn.append((kwargs, params, grads_sequence))
    return drawn


def _check_adamw_cases(run: Runner, cases: list) -> None:
    """Each case: 6 updates through the notebook's run_adamw, compared with the reference."""
    steps = _ADAMW_STEPS
    for kwargs, params, grads_sequence in cases:
        try:
            history = run.call("run_adamw", dict(kwargs), learner_copy(params), learner_copy(grads_sequence))
        except CheckFailure as failure:
            raise CheckFailure(
                f"{failure}\n(run_adamw はあなたの AdamW を生成して update を呼ぶ補助関数です。"
                "AdamW の実装を確認してください。)"
            ) from None
        got = _flatten_history(history, params, steps)
        expected = _trajectory(ref.AdamW(**kwargs), params, grads_sequence)
        weights_only = _trajectory(_DecayWeightsOnly(**kwargs), params, grads_sequence)
        if got.shape == weights_only.shape and np.allclose(got, weights_only, rtol=RTOL, atol=ATOL):
            continue  # the other accepted convention: biases left out of the decay
        settings = ", ".join(f"{k}={v}" for k, v in kwargs.items()) or "既定値"
        mistakes = []
        if kwargs.get("weight_decay", 0.01) != 0.0:
            mistakes = [(_trajectory(cls(**kwargs), params, grads_sequence), hint) for cls, hint in _ADAMW_MISTAKES]
        if not kwargs:
            mistakes.append(
                (
                    _trajectory(ref.AdamW(weight_decay=0.0), params, grads_sequence),
                    "引数を省略したときに減衰していません。weight_decay の既定値は 0.01 です。",
                )
            )
        check_array(
            got,
            expected,
            f"AdamW({settings}) で {steps} 回更新した params ({_describe(params)}) (行が更新の回、列が全配列の要素)",
            rtol=RTOL,
            atol=ATOL,
            show_values=False,
            mistakes=mistakes,
        )


def check_adamw(run: Runner, rng: np.random.Generator) -> None:
    check_true(run.defined("AdamW"), "AdamW が定義されていません。解答セルを実行しましたか (名前を変えていませんか)。")
    check_true(
        run.defined("run_adamw"),
        "run_adamw が定義されていません。ノートブックの最初のセットアップのセルを実行してください。",
    )
    run.new("AdamW")  # a clear message if the constructor is not implemented yet
    given = _adamw_cases(
        rng,
        [
            ([1, 3], {"lr": 0.1, "weight_decay": 0.3}),
            ([3, 5, 2], {"lr": 0.05, "weight_decay": 0.2, "beta1": 0.8, "beta2": 0.99}),
            ([5, 3], {"lr": 0.2, "weight_decay": 0.5, "eps": 1e-3}),
        ],
    )
    defaults = _adamw_cases(rng, [([4, 2], {})])  # lr 0.001, weight_decay 0.01
    no_decay = _adamw_cases(rng, [([2, 1], {"lr": 0.02, "weight_decay": 0.0})])  # plain Adam
    with properties(run) as adamw:
        adamw.check(
            f"更新した後の値 (lr、weight_decay、β1、β2、eps を指定して {_ADAMW_STEPS} 回)",
            _check_adamw_cases,
            run,
            given,
        )
        adamw.check(
            "引数を省略したときの値 (既定値 lr = 0.001、weight_decay = 0.01)", _check_adamw_cases, run, defaults
        )
        adamw.check("weight_decay = 0 では減衰のない Adam と同じ値", _check_adamw_cases, run, no_decay)


# ---------------------------------------------------------------------------- EarlyStopping
def _simulate(losses: list[float], patience: int, min_delta: float, variant: str = "") -> tuple[list[bool], list[int]]:
    """Returns and counters of an early stopper, correct or with one classic mistake."""
    best, previous, counter = math.inf, math.inf, 0
    returns, counters = [], []
    for loss in losses:
        if variant == "previous":
            improved = loss < previous
        elif variant == "less_equal":
            improved = loss <= best - min_delta
        elif variant == "delta_sign":
            improved = loss < best + min_delta
        elif variant == "no_delta":
            improved = loss < best
        else:
            improved = loss < best - min_delta
        if improved:
            best = min(best, loss) if variant == "previous" else loss
            if variant != "no_reset":
                counter = 0
        else:
            counter += 1
        previous = loss
        if variant == "late":
            stop = counter > patience
        elif variant == "early":
            stop = counter >= patience - 1
        else:
            stop = counter >= patience
        returns.append(stop)
        counters.append(counter)
    return returns, counters


_ES_MISTAKES = {
    "no_reset": (
        "改善したときに counter を 0 に戻していません。"
        "止めるのは「最後の改善の後」に patience 回続けて改善しなかったときです。"
    ),
    "late": "止めるのが 1 エポック遅れています。counter >= patience になった時点で True を返します。",
    "early": "止めるのが 1 エポック早すぎます。counter >= patience (counter は改善しなかった回数) で止めます。",
    "less_equal": (
        "best と等しい (best − min_delta ちょうどの) 損失を改善とみなしています。"
        "改善の判定は厳密な不等号 val_loss < best − min_delta です。"
    ),
    "previous": "前のエポックの損失と比べています。比べる相手はそれまでの最良の値 best です。",
    "delta_sign": "min_delta の符号が逆です。改善は val_loss < best − min_delta (min_delta 以上下がったとき) です。",
    "no_delta": "min_delta を使っていません。改善は val_loss < best − min_delta です。",
}


def _grid(rng: np.random.Generator, low: float, high: float, size: int) -> list[float]:
    """Random multiples of 1/64 in [low, high]: exact in binary, so ties are real ties."""
    return [float(v) / 64 for v in rng.integers(round(low * 64), round(high * 64) + 1, size=size)]


def _es_scenarios(rng: np.random.Generator) -> list[tuple[int, float, list[float]]]:
    scenarios = []
    # improvement, patience − 1 misses, improvement, then misses until the stop
    patience = int(rng.integers(2, 5))
    best = float(rng.integers(40, 60)) / 64
    losses = [best + 0.5, best] + _grid(rng, best + 1 / 64, best + 0.4, patience - 1)
    losses += [best - 0.125] + _grid(rng, best - 0.1, best + 0.3, patience + 2)
    scenarios.append((patience, 0.0, losses))
    # ties with the best
    patience = int(rng.integers(2, 4))
    start = float(rng.integers(32, 48)) / 64
    scenarios.append((patience, 0.0, [start + 0.25, start, start, start + 1 / 64, start, start, start]))
    # a zig-zag that gets worse while never beating the best
    patience = int(rng.integers(2, 4))
    best = float(rng.integers(32, 48)) / 64
    zigzag = [best + 0.125 + 0.0625 * k - (1 / 32) * (k % 2) for k in range(8)]
    scenarios.append((patience, 0.0, [best + 0.5, best, *zigzag]))
    # min_delta: decreases smaller than min_delta are not improvements
    patience = int(rng.integers(2, 4))
    delta = 0.125
    top = float(rng.integers(64, 80)) / 64
    losses = [top, top - 1 / 16, top - 0.25, top - 0.25 - 1 / 32, top - 0.25 - 3 / 32, top - 0.5, top - 0.5 - delta]
    losses += [top - 0.5 - delta - 1 / 64] * (patience + 1)
    scenarios.append((patience, delta, losses))
    # patience 1 and a random walk
    scenarios.append((1, 0.0, [1.0, *_grid(rng, 0.25, 1.0, 12)]))
    scenarios.append(
        (
            int(rng.integers(3, 6)),
            0.0,
            [2.0, *sorted(_grid(rng, 0.25, 1.5, 10), reverse=True), *_grid(rng, 0.25, 1.5, 10)],
        )
    )
    return scenarios


def _check_es_scenario(run: Runner, patience: int, min_delta: float, losses: list[float]) -> None:
    """One EarlyStopping fed one sequence of validation losses: its state right after the constructor,
    the counter and return of each step, and best, best_epoch and should_stop at the end."""
    kwargs = {"min_delta": min_delta} if min_delta else {}
    where = f"EarlyStopping(patience={patience}" + (f", min_delta={min_delta}" if min_delta else "") + ")"
    handle = run.new("EarlyStopping", patience, **kwargs)
    check_true(run.attr(handle, "counter") == 0, f"{where} の生成直後の counter が 0 ではありません。")
    check_true(run.attr(handle, "best") == math.inf, f"{where} の生成直後の best は math.inf にしてください。")
    expected_returns, expected_counters = _simulate(losses, patience, min_delta)
    # only the behaviour up to the reference's first stop is graded (the learner's returns do not shorten it)
    n = expected_returns.index(True) + 1 if True in expected_returns else len(losses)
    reference = ref.EarlyStopping(patience, min_delta)
    got_returns, got_counters = [], []
    for loss in losses[:n]:
        value = run.method(handle, "step", loss)
        check_true(
            isinstance(value, (bool, np.bool_, int, np.integer)),
            f"{where}.step は True / False を返してください (実際の型: {type(value).__name__})。",
        )
        got_returns.append(bool(value))
        got_counters.append(run.attr(handle, "counter"))
        reference.step(loss)
    shown = ", ".join(f"{v:g}" for v in losses[:n])
    where_losses = f"検証の損失 [{shown}] を順に渡したときの {where}"
    # the counters reveal mistakes in the improvement rule; the returns, mistakes in the stopping rule
    rule_mistakes = ["delta_sign", "no_delta"] if min_delta else []
    rule_mistakes += [
        v for v in ("no_reset", "less_equal", "previous", "delta_sign", "no_delta") if v not in rule_mistakes
    ]
    check_array(
        np.array(got_counters, dtype=float),
        np.array(expected_counters[:n], dtype=float),
        f"{where_losses} の各 step 後の counter",
        show_values=False,
        mistakes=[
            (np.array(_simulate(losses, patience, min_delta, v)[1][:n], dtype=float), _ES_MISTAKES[v])
            for v in rule_mistakes
        ],
    )
    check_array(
        np.array(got_returns, dtype=float),
        np.array(expected_returns[:n], dtype=float),
        f"{where_losses}.step の戻り値 (1 = True)",
        show_values=False,
        mistakes=[
            (np.array(_simulate(losses, patience, min_delta, v)[0][:n], dtype=float), _ES_MISTAKES[v])
            for v in ("late", "early", *rule_mistakes)
        ],
    )
    check_scalar(run.attr(handle, "best"), reference.best, f"同じ列を渡した後の {where}.best", rtol=0, atol=0)
    check_scalar(
        run.attr(handle, "best_epoch"),
        reference.best_epoch,
        f"同じ列を渡した後の {where}.best_epoch (最初の step が 0)",
        rtol=0,
        atol=0,
    )
    check_true(
        bool(run.attr(handle, "should_stop")) == reference.should_stop,
        f"同じ列を渡した後の {where}.should_stop が、最後の step の戻り値と一致していません。",
    )


# what each scenario of _es_scenarios shows, in its order
_ES_PROPERTIES = [
    "改善のたびに counter が 0 に戻り、patience 回続けて改善しなければ止まる",
    "best と等しい損失は改善とみなさない",
    "前のエポックより下がっても、best を下回らなければ改善ではない",
    "min_delta 以上下がらなければ改善とみなさない (min_delta を指定)",
    "patience = 1 (改善しなかった最初のエポックで止まる)",
    "損失が下がり続けた後に上下する長い列",
]


def check_early_stopping(run: Runner, rng: np.random.Generator) -> None:
    scenarios = _es_scenarios(rng)
    with properties(run) as early_stopping:
        for name, (patience, min_delta, losses) in zip(_ES_PROPERTIES, scenarios, strict=True):
            early_stopping.check(name, _check_es_scenario, run, patience, min_delta, losses)


def _es_where(args: tuple, kwargs: dict) -> str:
    return f"EarlyStopping({args[0]!r}" + "".join(f", {k}={v!r}" for k, v in kwargs.items()) + ")"


def _check_es_accepts(run: Runner, calls: list[tuple[tuple, dict]]) -> None:
    for args, kwargs in calls:
        where = f"EarlyStopping({args[0]}" + "".join(f", {k}={v!r}" for k, v in kwargs.items()) + ")"
        check_learner_accepts(lambda args=args, kwargs=kwargs: run.new("EarlyStopping", *args, **kwargs), where)


def _check_es_raises(run: Runner, args: tuple, kwargs: dict, hint: str) -> None:
    check_learner_raises(lambda: run.new("EarlyStopping", *args, **kwargs), "ValueError", _es_where(args, kwargs), hint)


def check_early_stopping_rules(run: Runner, rng: np.random.Generator) -> None:
    """The input rules of the docstring: patience an integer >= 1 and min_delta >= 0 are accepted;
    otherwise ValueError."""
    patience, min_delta = int(rng.integers(1, 6)), float(np.round(rng.uniform(0.0, 0.5), 3))
    valid = [((patience,), {}), ((1,), {"min_delta": 0.0}), ((patience,), {"min_delta": min_delta})]
    bad_patience = int(rng.integers(-3, 1))
    with properties(run) as rules:
        rules.check(
            "正しい入力 (1 以上の整数の patience、0 以上の min_delta) では例外を出さない", _check_es_accepts, run, valid
        )
        rules.check(
            "patience が 1 未満なら ValueError",
            _check_es_raises,
            run,
            (bad_patience,),
            {},
            "patience は 1 以上の整数です。",
        )
        rules.check(
            "patience が整数でなければ (小数なら) ValueError",
            _check_es_raises,
            run,
            (float(patience) + 0.5,),
            {},
            "patience は整数です (小数は ValueError)。",
        )
        rules.check(
            "min_delta が負なら ValueError",
            _check_es_raises,
            run,
            (patience,),
            {"min_delta": -min_delta - 0.1},
            "min_delta は 0 以上です。",
        )


# ---------------------------------------------------------------------------- initialisation
def _check_xavier_fan_in(run: Runner, sizes: list[int]) -> None:
    for n_in in sizes:
        check_scalar(
            run.call("xavier_std", n_in),
            ref.xavier_std(n_in),
            f"xavier_std({n_in})",
            rtol=1e-12,
            atol=0,
            show_values=False,
            mistakes=[
                (1.0 / n_in, "分散 1/n_in を返しています。標準偏差はその平方根 1/√n_in です。"),
                (math.sqrt(2.0 / n_in), "√(2/n_in) は He の初期値です。n_out を省略した Xavier は 1/√n_in です。"),
            ],
        )


def _check_he(run: Runner, sizes: list[int]) -> None:
    for n_in in sizes:
        check_scalar(
            run.call("he_std", n_in),
            ref.he_std(n_in),
            f"he_std({n_in})",
            rtol=1e-12,
            atol=0,
            show_values=False,
            mistakes=[
                (2.0 / n_in, "分散 2/n_in を返しています。標準偏差はその平方根 √(2/n_in) です。"),
                (math.sqrt(1.0 / n_in), "1/√n_in は Xavier の初期値です。ReLU の He の初期値は √(2/n_in) です。"),
                (2.0 / math.sqrt(n_in), "2/√n_in ではなく √(2/n_in) です (係数 2 は分散に掛かります)。"),
            ],
        )


def _check_xavier_fan_in_out(run: Runner, pairs: list[tuple[int, int]], keyword: bool) -> None:
    for n_in, n_out in pairs:
        mistakes = [
            (1.0 / math.sqrt(n_in), "n_out が与えられたときは √(2 / (n_in + n_out)) です (n_out を無視しています)。"),
            (math.sqrt(1.0 / (n_in + n_out)), "係数 2 が抜けています: √(2 / (n_in + n_out))。"),
            (2.0 / (n_in + n_out), "分散 2 / (n_in + n_out) を返しています。標準偏差はその平方根です。"),
            (1.0 / math.sqrt(n_out), "n_out だけで決めています。√(2 / (n_in + n_out)) です。"),
        ]
        if keyword:
            got, name = run.call("xavier_std", n_in, n_out=n_out), f"xavier_std({n_in}, n_out={n_out})"
        else:
            got, name = run.call("xavier_std", n_in, n_out), f"xavier_std({n_in}, {n_out})"
        check_scalar(got, ref.xavier_std(n_in, n_out), name, rtol=1e-12, atol=0, show_values=False, mistakes=mistakes)


def check_init_std(run: Runner, rng: np.random.Generator) -> None:
    sizes = [*(int(v) for v in rng.integers(3, 2000, size=4)), 2, 1]
    pairs = [*((int(a), int(b)) for a, b in rng.integers(2, 1000, size=(4, 2))), (1, 7), (1, 1)]
    with properties(run) as init_std:
        init_std.check(
            "n_out を省略した Xavier の初期値 1/√n_in (n_in = 1、2 を含む 6 つ)", _check_xavier_fan_in, run, sizes
        )
        init_std.check("He の初期値 √(2/n_in) (n_in = 1、2 を含む 6 つ)", _check_he, run, sizes)
        init_std.check(
            "n_out を位置引数で与えた Xavier の初期値 √(2 / (n_in + n_out)) (n_in = 1 を含む 6 組)",
            _check_xavier_fan_in_out,
            run,
            pairs,
            False,
        )
        init_std.check(
            "n_out をキーワード引数 n_out= で与えた Xavier の初期値 (n_in = 1 を含む 6 組)",
            _check_xavier_fan_in_out,
            run,
            pairs,
            True,
        )


def _check_xavier_accepts(run: Runner, calls: list[tuple]) -> None:
    for args in calls:
        check_learner_accepts(lambda args=args: run.call("xavier_std", *args), f"xavier_std{args}".replace(",)", ")"))


def _check_xavier_raises(run: Runner, args: tuple, hint: str) -> None:
    where = f"xavier_std{args}".replace(",)", ")")
    check_learner_raises(lambda: run.call("xavier_std", *args), "ValueError", where, hint)


def check_init_std_rules(run: Runner, rng: np.random.Generator) -> None:
    """The input rules of xavier_std's docstring: n_in and n_out positive integers are accepted;
    otherwise ValueError."""
    n_in, n_out = int(rng.integers(1, 500)), int(rng.integers(1, 500))
    bad_n_in, bad_n_out = int(rng.integers(-5, 1)), int(rng.integers(-5, 1))
    with properties(run) as rules:
        rules.check(
            "正しい入力 (正の整数の n_in、n_out) では例外を出さない",
            _check_xavier_accepts,
            run,
            [(n_in,), (1,), (n_in, n_out), (n_in, 1)],
        )
        rules.check("n_in が正でなければ ValueError", _check_xavier_raises, run, (bad_n_in,), "n_in は正の整数です。")
        rules.check(
            "n_in が整数でなければ (小数なら) ValueError",
            _check_xavier_raises,
            run,
            (n_in + 0.5,),
            "n_in は整数です (小数は ValueError)。",
        )
        rules.check(
            "n_out が正でなければ ValueError", _check_xavier_raises, run, (n_in, bad_n_out), "n_out も正の整数です。"
        )


CHECKS = {
    "l2_penalty": check_l2_penalty,
    "l1_penalty": check_l1_penalty,
    "elastic_net": check_elastic_net,
    "max_norm": check_max_norm,
    "max_norm_rules": check_max_norm_rules,
    "adamw": check_adamw,
    "early_stopping": check_early_stopping,
    "early_stopping_rules": check_early_stopping_rules,
    "init_std": check_init_std,
    "init_std_rules": check_init_std_rules,
}

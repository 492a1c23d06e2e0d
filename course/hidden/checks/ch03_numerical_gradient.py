"""Hidden checks of ch03_numerical_gradient (INSTRUCTOR ONLY).

The exercises take a function ``f`` as an argument. The objectives passed here are small
callable objects that compute their value from their argument only, in float64, so they
give the same verdicts whether they are called in this process or called back from a
sandbox (the runner sends callables; a sandboxed learner calls them back).

Arrays are passed as KEYWORD arguments (``x=``, ``init_x=``): LocalRunner hands keyword
arguments over without copying, so a check can see afterwards what the learner's code did
to the very array it was given (restored bit for bit, init_x left alone). A runner that
copies them reports which arguments the call changed (``Runner.last_changed``); what ``f`` is
called with is recorded too (``_Recording``), which shows under any runner whether an element perturbed
earlier was restored exactly before the next one is perturbed.

gradient_descent is graded with the reference ``numerical_gradient`` in place of the
learner's (only the update loop is graded there). SimpleNet is graded with the stand-in
of ``course.stand_ins`` in place of the learner's, because it receives the
learner's own lambda, which reads ``self.W`` while the array is perturbed: the stand-in runs
where the learner's code runs. Likewise the function that ignores its argument and reads the
array itself (the textbook's ``lambda W: net.loss(x, t)``), passed to the learner's
numerical_gradient, is a :class:`ReadsArgument` that every runner builds on the learner's side.
So no check depends on the runner.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from course import reference as ref
from course.checks import CheckFailure, check_array, check_scalar, check_true
from course.stand_ins import STAND_INS

from ..runner import ReadsArgument, Runner
from . import check_learner_raises, core_first, properties

H = 1e-4  # the default step of numerical_diff and numerical_gradient


def _call(run: Runner, where: str, hint: str | None, name: str, *args, **kwargs):
    """run.call, saying which case failed (and giving ``hint``) when the learner's code raises."""
    try:
        return run.call(name, *args, **kwargs)
    except CheckFailure as failure:
        raise CheckFailure(f"{where}: {failure}" + (f"\nヒント: {hint}" if hint else "")) from None


# ------------------------------------------------------------------------- numerical_diff
class _Curve:
    """f(x) = b·exp(a·x) + c·sin(x) + d·x³ of a float."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.a, self.b, self.c, self.d = (
            rng.uniform(0.5, 1.5),
            rng.uniform(0.5, 2),
            rng.uniform(-2, 2),
            rng.uniform(-1, 1),
        )

    def __call__(self, x: float) -> float:
        return float(self.b * np.exp(self.a * x) + self.c * np.sin(x) + self.d * x**3)


def check_numerical_diff(run: Runner, rng: np.random.Generator) -> None:
    cases = [(h, _Curve(rng), float(rng.uniform(-2, 2))) for h in [None, 1e-2, 1e-3]]
    with properties(run) as diff:
        diff.check("既定の刻み幅での微分の値 (h=1e-4)", _check_numerical_diff, run, cases[:1])
        diff.check("引数 h を使う (h=1e-2 と h=1e-3)", _check_numerical_diff, run, cases[1:])


def _check_numerical_diff(run: Runner, cases: list[tuple[float | None, _Curve, float]]) -> None:
    for h, f, x in cases:
        step = H if h is None else h
        kwargs = {} if h is None else {"h": h}
        expected = ref.numerical_diff(f, x, step)
        mistakes = [
            (
                (f(x + step) - f(x)) / step,
                "前方差分 (f(x + h) − f(x)) / h になっています。"
                "中心差分 (x + h と x − h での値の差を、その間隔 2h で割る) を使ってください。",
            ),
            ((f(x) - f(x - step)) / step, "後方差分 (f(x) − f(x − h)) / h になっています。中心差分を使ってください。"),
            ((f(x + step) - f(x - step)) / step, "2h ではなく h で割っています。"),
            (
                (f(x + step) - f(x - step)) / 2 * step,
                "/ 2 * h は (… / 2) * h の意味になります。/ (2 * h) と括弧を付けてください。",
            ),
        ]
        if h is not None:
            mistakes.append((ref.numerical_diff(f, x), "引数の h を使わず、刻み幅を 1e-4 に固定していませんか。"))
        where = f"numerical_diff(f, x{'' if h is None else f', h={h:g}'})"
        check_scalar(
            _call(run, where, None, "numerical_diff", f, x, **kwargs),
            expected,
            where,
            rtol=1e-8,
            atol=1e-10,
            show_values=False,
            mistakes=mistakes,
        )


# ------------------------------------------------------------------------- numerical_gradient
class _Smooth:
    """f(x) = Σ a·sin(x) + ½ (Σ c·x)², evaluated in float64 whatever the dtype of x.

    The squared sum couples the elements, so an element left perturbed (not restored)
    changes the partial derivatives of the elements after it.
    """

    def __init__(self, rng: np.random.Generator, shape: tuple[int, ...]) -> None:
        self.a = rng.uniform(0.5, 2.0, size=shape)
        self.c = rng.uniform(-1.0, 1.0, size=shape)

    def __call__(self, x: np.ndarray) -> float:
        v = np.asarray(x, dtype=np.float64)
        return float(np.sum(self.a * np.sin(v)) + 0.5 * np.sum(self.c * v) ** 2)


class _Recording:
    """An objective that notes whether it was ever called with an array of ``original``'s shape
    in which two or more elements differ from ``original`` (bit for bit): an element perturbed
    earlier had not been restored exactly. Calls of another shape are judged by the value check
    instead. It keeps nothing else of what it is called with (the calls come from learner code)."""

    def __init__(self, objective: Callable[[np.ndarray], float], original: np.ndarray) -> None:
        self.objective, self.original, self.left_perturbed = objective, original, False

    def __call__(self, x: np.ndarray) -> float:
        seen = np.asarray(x)
        if seen.shape == self.original.shape and np.count_nonzero(seen != self.original) > 1:
            self.left_perturbed = True
        return self.objective(x)


def _difference_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, kind: str, h: float = H) -> np.ndarray:
    """The gradient that a classic mistake computes, on a copy of x."""
    work, grad = x.copy(), np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        original = work[idx].copy()
        work[idx] = original + h
        upper = f(work)
        if kind == "forward":
            work[idx] = original
            grad[idx] = (upper - f(work)) / h
            continue
        work[idx] = original - h
        grad[idx] = (upper - f(work)) / (2 * h)
        if kind == "fixed_step":  # divides by 2h instead of the step actually taken
            work[idx] = original
        # kind == "no_restore": the element is left at x − h
    return grad


def _gradient_cases(rng: np.random.Generator) -> list[tuple[str, np.ndarray]]:
    base = rng.standard_normal((3, 6, 2))
    return [
        ("形状 (1,)", rng.standard_normal(1)),
        ("形状 (7,)", rng.standard_normal(7)),
        ("形状 (3, 4)", rng.standard_normal((3, 4))),
        ("形状 (2, 3, 4)", rng.standard_normal((2, 3, 4))),
        ("形状 (3, 3, 2) の連続でないビュー (x[:, ::2, :])", base[:, ::2, :]),
        ("形状 (2, 4, 3) の転置された配列", rng.standard_normal((4, 3, 2)).transpose(2, 0, 1)),
        ("形状 () (0 次元)", np.array(rng.standard_normal())),
    ]


_Record = list[tuple[str, Any, bool]]  # per call: (where, the result, x restored exactly)


def _check_gradient_values(
    run: Runner,
    cases: list[tuple[str, np.ndarray, float | None, _Smooth]],
    record: _Record,
    with_dtype: bool = True,
) -> None:
    """Each case: (label, x, h or None for the default, f). The values (and, ``with_dtype``, the float64
    result) right after each call; what the call did to x goes to ``record`` for :func:`_check_restored`."""
    for label, x, h, f in cases:
        step = H if h is None else h
        kwargs = {} if h is None else {"h": h}
        base = x.base if x.base is not None else x  # a view's owner must come back intact too
        original, original_base = x.copy(), base.copy()
        expected = ref.numerical_gradient(f, original.copy(), step)
        mistakes = [
            (
                _difference_gradient(f, original, "forward", step),
                "前方差分になっています。中心差分 (x + h と x − h での値の差を、その間隔 2h で割る) を使ってください。",
            ),
            (2 * expected, "2h ではなく h で割っています。"),
            (
                _difference_gradient(f, original, "no_restore", step),
                "各要素を計算した後で元の値に戻していません。保存しておいた元の値を x[idx] に代入してください。",
            ),
            (
                np.zeros(x.shape),
                "f に渡した x が書き換わっていません。"
                "x のコピー (連続でない配列の reshape(-1) や ravel() もコピーを返す)"
                " ではなく x そのものを書き換えてください。",
            ),
        ]
        if x.dtype == np.float32:
            mistakes.append(
                (
                    _difference_gradient(f, original, "fixed_step", step),
                    "float32 では x + h が丸められるので、"
                    "2h ではなく実際の刻み (x_i + h) − (x_i − h) で割ってください。",
                )
            )
        if h is not None:
            mistakes.append((ref.numerical_gradient(f, original.copy()), "引数の h を使っていますか。"))
        hint = None if x.ndim == 1 else "np.ndindex で全要素の添字 (タプル) を回すと、どんな形状にも対応できます。"
        where = f"{label} の x に対する numerical_gradient" + ("" if h is None else f" (h={h:g})")
        recording = _Recording(f, original)
        got = _call(run, where, hint, "numerical_gradient", recording, x=x, **kwargs)
        restored = np.array_equal(x, original) and np.array_equal(base, original_base) and not recording.left_perturbed
        record.append((where, got, restored))
        tolerance = {"rtol": 1e-5, "atol": 1e-6} if x.dtype == np.float32 else {"rtol": 1e-6, "atol": 1e-8}
        check_array(got, expected, where, **tolerance, show_values=False, mistakes=mistakes)
        if with_dtype:
            _check_float64(record[-1:])


def _check_float64(record: _Record) -> None:
    for where, got, _ in record:
        dtype = np.asarray(got).dtype
        check_true(
            dtype == np.float64,
            f"{where} は float64 の配列を返してください (実際は {dtype})。"
            " np.zeros_like は入力の dtype を受け継ぐので、x が float32 なら勾配も float32 になります。"
            "勾配の配列は x の dtype によらず float64 で作ってください。",
        )


def _check_restored(record: _Record) -> None:
    for where, _, restored in record:
        check_true(
            restored,
            f"{where}: 書き換えた要素が、次の要素に進む前か呼び出しの後に、元の値に正確に戻っていません。"
            "元の値を変数に保存しておき、最後にその値を代入して戻してください"
            " (x[idx] -= h のような計算で戻すと丸めで元の値に戻りません)。",
        )


def _check_gradient_case(run: Runner, rng: np.random.Generator, label: str, x: np.ndarray, h: float | None) -> None:
    """One case with all its checks in turn: the values, a float64 result, x restored exactly."""
    record: _Record = []
    _check_gradient_values(run, [(label, x, h, _Smooth(rng, x.shape))], record)
    _check_restored(record)


def _check_reads_argument(run: Runner, W: np.ndarray, objective: _Smooth) -> None:
    # f ignores its argument and reads the array x itself, as the learner's code perturbs it in place
    expected = ref.numerical_gradient(objective, W.copy())
    where = "引数を使わず W を直接読む関数 (lambda _: net.loss(x, t) の形) に対する numerical_gradient"
    got = _call(run, where, None, "numerical_gradient", f=ReadsArgument(objective, "x"), x=W)
    check_array(
        got,
        expected,
        where,
        rtol=1e-6,
        atol=1e-8,
        show_values=False,
        mistakes=[
            (
                np.zeros(W.shape),
                "x のコピーを書き換えて f に渡していませんか。x そのものを書き換えてから f(x) を呼んでください。",
            )
        ],
    )


def _needs_a_call(record: _Record, name: str) -> tuple[str, ...]:
    """``needs`` of a property read from ``record``: none once a call returned; else the property that calls."""
    return () if record else (name,)


def check_numerical_gradient(run: Runner, rng: np.random.Generator) -> None:
    cases = [(label, x, None, _Smooth(rng, x.shape)) for label, x in _gradient_cases(rng)]
    x_h = rng.standard_normal((2, 3))
    with_h = [("形状 (2, 3)", x_h, 1e-2, _Smooth(rng, x_h.shape))]
    W = rng.standard_normal((3, 2))
    objective = _Smooth(rng, W.shape)
    record: _Record = []
    values = "勾配の値 (形状 (1,)、(7,)、(3, 4)、(2, 3, 4) の x)"
    with properties(run) as gradient:
        gradient.check(values, _check_gradient_values, run, cases[:4], record)
        gradient.check(
            "連続でない x での勾配 (ビューと転置された配列)", _check_gradient_values, run, cases[4:6], record
        )
        gradient.check("0 次元の x での勾配", _check_gradient_values, run, cases[6:], record)
        gradient.check("引数 h を使う (h=1e-2)", _check_gradient_values, run, with_h, record)
        gradient.check("引数を使わず x を直接読む f での勾配", _check_reads_argument, run, W, objective)
        gradient.check(
            "x を元の値に正確に戻す (次の要素に進む前と呼び出しの後)",
            _check_restored,
            record,
            needs=_needs_a_call(record, values),
        )


def check_numerical_gradient_rules(run: Runner, rng: np.random.Generator) -> None:
    """The edge rules of the docstring (a small share of the exercise's points): the actual step on
    float32, a float64 result, TypeError for integers, FloatingPointError when x ± h rounds to x."""
    x32 = rng.uniform(1.0, 4.0, size=(3, 2)).astype(np.float32)
    # 2.3 does not come back from x_i += h, x_i -= 2h, x_i += h in float32 nor in float64, so a
    # restore by arithmetic fails here for every learner (random values alone miss it 1 time in 300)
    x32[rng.integers(3), rng.integers(2)] = 2.3
    # the same values in float64 first: a wrong core is named as such, not as a float32 problem
    core_first(lambda: _check_gradient_case(run, rng, "形状 (3, 2) の float64 の配列", x32.astype(np.float64), None))
    float32 = [("形状 (3, 2) の float32 の配列", x32, None, _Smooth(rng, x32.shape))]
    integer_f = _Smooth(rng, (3,))
    rounded = []
    for dtype, magnitude in ((np.float64, rng.uniform(1e17, 1e19)), (np.float32, rng.uniform(1e5, 1e6))):
        x = rng.standard_normal(4).astype(dtype)
        x[rng.integers(4)] = magnitude * rng.choice([-1.0, 1.0])
        rounded.append((x, _Smooth(rng, (4,))))
    record: _Record = []
    step = "float32 の x での勾配 (実際の刻みで割る)"
    with properties(run) as rules:
        rules.check(step, _check_gradient_values, run, float32, record, with_dtype=False)
        rules.check("float32 の x でも float64 の配列を返す", _check_float64, record, needs=_needs_a_call(record, step))
        rules.check("float32 の x を元の値に正確に戻す", _check_restored, record, needs=_needs_a_call(record, step))
        rules.check("入力の検査 (整数の配列 x で TypeError)", _check_integer_input, run, integer_f)
        rules.check("x_i ± h が x_i に丸められるときは FloatingPointError", _check_rounded_step, run, rounded)


def _check_integer_input(run: Runner, f: _Smooth) -> None:
    check_learner_raises(
        lambda: run.call("numerical_gradient", f, x=np.array([1, 2, 3])),
        "TypeError",
        "整数の配列 x = [1, 2, 3] での numerical_gradient",
        "整数の配列は x_i + h を保存できません。",
    )


def _check_rounded_step(run: Runner, cases: list[tuple[np.ndarray, _Smooth]]) -> None:
    for x, f in cases:
        check_learner_raises(
            lambda x=x, f=f: run.call("numerical_gradient", f, x=x),
            "FloatingPointError",
            f"{np.dtype(x.dtype).name} の x = {np.array2string(x, precision=3)} (h = 1e-4) での numerical_gradient",
            "x_i ± h が x_i に丸められると実際の刻み (x_i + h) − (x_i − h) が 0 になります。"
            "その場合は raise FloatingPointError(...) としてください。",
        )


# ------------------------------------------------------------------------- gradient_descent
_SAME_ARRAY = (
    "同じ配列 x を何度も追加しています。x はこの後の更新でも書き換わるので、その時点の x のコピーを追加してください。"
)


class _Bowl:
    """f(x) = ½ Σ a·(x − m)², whose gradient is a·(x − m)."""

    def __init__(self, rng: np.random.Generator, shape: tuple[int, ...]) -> None:
        self.a = rng.uniform(0.5, 2.0, size=shape)
        self.m = rng.standard_normal(shape)

    def __call__(self, x: np.ndarray) -> float:
        return float(0.5 * np.sum(self.a * (np.asarray(x, dtype=np.float64) - self.m) ** 2))


def check_gradient_descent(run: Runner, rng: np.random.Generator) -> None:
    settings = [((2,), 0.1, 15), ((1,), 0.3, 1), ((2, 3), 0.05, 8), ((3,), 0.2, 0), ((2,), None, None)]
    cases = [(_Bowl(rng, shape), rng.standard_normal(shape) * 3, lr, step_num) for shape, lr, step_num in settings]
    changed: list[tuple[str, bool, bool]] = []  # per call: (where, init_x changed, init_x differs afterwards)
    values = "履歴 history と最後の点 x (lr と step_num を渡す 3 つの場合)"
    with properties(run) as descent:
        descent.check(values, _check_descent_cases, run, cases[:3], changed)
        descent.check("step_num=0 (更新しない) のときの結果", _check_descent_cases, run, cases[3:4], changed)
        descent.check("既定の lr と step_num での結果", _check_descent_cases, run, cases[4:], changed)
        descent.check("init_x を書き換えない", _check_init_x_unchanged, changed, needs=() if changed else (values,))


def _check_descent_cases(run: Runner, cases: list, changed: list[tuple[str, bool, bool]]) -> None:
    """Each case: (f, init_x, lr, step_num), lr None for the defaults. The values right after each call;
    what the call did to init_x goes to ``changed`` for :func:`_check_init_x_unchanged`."""
    # only the update loop is graded here: the gradients come from the reference numerical_gradient
    # (f is the check's own objective, so this works in a sandbox too)
    substitute = {"numerical_gradient": ref.numerical_gradient}
    for f, init_x, lr, step_num in cases:
        before = init_x.copy()
        kwargs = {} if lr is None else {"lr": lr, "step_num": step_num}
        expected_x, expected_history = ref.gradient_descent(f, before.copy(), **kwargs)
        _, ascent_history = ref.gradient_descent(_Negated(f), before.copy(), **kwargs)
        where = "gradient_descent(f, init_x" + ("" if lr is None else f", lr={lr}, step_num={step_num}") + ")"

        result = _call(run, where, None, "gradient_descent", f, init_x=init_x, substitute=substitute, **kwargs)
        changed.append((where, "init_x" in run.last_changed, not np.array_equal(init_x, before)))
        check_true(
            isinstance(result, tuple) and len(result) == 2,
            f"{where} は (x, history) の 2 つの値のタプルを返してください。",
        )
        x, history = result
        check_array(
            history,
            expected_history,
            f"{where} の history",
            rtol=1e-7,
            atol=1e-10,
            show_values=False,
            mistakes=[
                (
                    expected_history[:-1],
                    "最後の点 (step_num 回更新した後の x) が history に入っていません。更新の後にも記録してください。",
                ),
                (expected_history[1:], "初期値 init_x が history[0] に入っていません。"),
                (np.broadcast_to(expected_x, expected_history.shape), _SAME_ARRAY),
                (
                    np.concatenate([expected_history[:1], np.broadcast_to(expected_x, expected_history[1:].shape)]),
                    _SAME_ARRAY,
                ),
                (ascent_history, "勾配の向きに進んでいます (勾配上昇法)。x − lr · 勾配 で更新してください。"),
            ],
        )
        check_array(
            x,
            expected_x,
            f"{where} の最後の点 x",
            rtol=1e-7,
            atol=1e-10,
            show_values=False,
            mistakes=[
                (ascent_history[-1], "勾配の向きに進んでいます (勾配上昇法)。x − lr · 勾配 で更新してください。")
            ],
        )


def _check_init_x_unchanged(changed: list[tuple[str, bool, bool]]) -> None:
    for where, changed_in_place, differs in changed:
        check_true(
            not changed_in_place,
            f"{where} が引数の init_x を書き換えています。"
            "更新するのは init_x から作った float64 の新しい配列 (コピー) にしてください"
            " (呼び出した側の初期値が変わってしまいます)。",
        )
        check_true(
            not differs,
            f"{where} が init_x を書き換えました。x = init_x ではコピーにならず、x -= … が呼び出し元の配列を変えます。"
            "init_x から float64 の新しい配列 (コピー) を作り、それを更新してください。",
        )


class _Negated:
    def __init__(self, f: Callable[[np.ndarray], float]) -> None:
        self.f = f

    def __call__(self, x: np.ndarray) -> float:
        return -self.f(x)


# ------------------------------------------------------------------------- SimpleNet
def check_simple_net(run: Runner, rng: np.random.Generator) -> None:
    # (label, W, a copy of W for the expected values, x, t, N): N=1, one-hot, C != D, one sample
    cases = []
    for n, d, c, one_hot in [(1, 2, 3, False), (5, 4, 3, True), (4, 3, 5, False), (None, 3, 4, False)]:
        W = rng.standard_normal((d, c))
        labels = rng.integers(0, c, size=1 if n is None else n)
        if n is None:  # one sample: x (D,), t a label ()
            x, t = rng.standard_normal(d), np.array(labels[0])
            label = f"1 サンプル (x の形状 ({d},))"
        else:
            x, t = rng.standard_normal((n, d)), (np.eye(c)[labels] if one_hot else labels)
            label = f"N={n}, D={d}, C={c}" + (" (one-hot)" if one_hot else "")
        cases.append((label, W, W.copy(), x, t, n))
    nets: list = []  # the learner's SimpleNet of each case, built by the first property
    predict = "predict(x) の値 (バッチと 1 サンプル)"
    loss = "loss(x, t) の値 (正解ラベルと one-hot の t)"
    gradient = "numerical_gradient(x, t) の値"
    with properties(run) as simple_net:
        simple_net.check(predict, _check_simple_net_predict, run, cases, nets)
        simple_net.check(loss, _check_simple_net_loss, run, cases, nets, needs=[predict])
        simple_net.check(gradient, _check_simple_net_gradient, run, cases, nets, needs=[loss])
        simple_net.check(
            "numerical_gradient の後も self.W が元の値のまま", _check_simple_net_W, run, cases, nets, needs=[gradient]
        )


# earlier exercises and chapters are replaced by the reference: only SimpleNet is graded here
_SIMPLE_NET_SUBSTITUTE = {
    "softmax": ref.softmax,
    "cross_entropy_error": ref.cross_entropy_error,
    "numerical_gradient": STAND_INS["numerical_gradient"],
}


def _check_simple_net_predict(run: Runner, cases: list, nets: list) -> None:
    for label, W, W0, x, _, _ in cases:
        net = run.new("SimpleNet", W, substitute=_SIMPLE_NET_SUBSTITUTE)
        nets.append(net)
        check_array(
            run.method(net, "predict", x, substitute=_SIMPLE_NET_SUBSTITUTE),
            ref.SimpleNet(W0.copy()).predict(x),
            f"{label} の predict(x)",
            rtol=1e-9,
            atol=1e-12,
            show_values=False,
            mistakes=[(ref.softmax(x @ W0), "predict はソフトマックスを通す前のスコア x @ W を返します。")],
        )


def _check_simple_net_loss(run: Runner, cases: list, nets: list) -> None:
    for (label, _, W0, x, t, n), net in zip(cases, nets):
        reference = ref.SimpleNet(W0.copy())
        loss_mistakes = [
            (
                ref.cross_entropy_error(ref.softmax(ref.softmax(x @ W0)), t),
                "ソフトマックスを 2 回通しています (predict はスコアを返し、loss でだけソフトマックスを使う)。",
            )
        ]
        if n is not None and n > 1:
            loss_mistakes.append(
                (n * reference.loss(x, t), "バッチの合計になっています。N で割った平均にしてください。")
            )
        check_scalar(
            run.method(net, "loss", x, t, substitute=_SIMPLE_NET_SUBSTITUTE),
            reference.loss(x, t),
            f"{label} の loss(x, t)",
            rtol=1e-9,
            atol=1e-12,
            show_values=False,
            mistakes=loss_mistakes,
        )


def _check_simple_net_gradient(run: Runner, cases: list, nets: list) -> None:
    for (label, _, W0, x, t, _), net in zip(cases, nets):
        check_array(
            run.method(net, "numerical_gradient", x, t, substitute=_SIMPLE_NET_SUBSTITUTE),
            ref.SimpleNet(W0.copy()).numerical_gradient(x, t),
            f"{label} の numerical_gradient(x, t)",
            rtol=1e-6,
            atol=1e-9,
            show_values=False,
            mistakes=[
                (
                    np.zeros(W0.shape),
                    "勾配がすべて 0 です。self.W のコピーではなく self.W そのものを"
                    " numerical_gradient に渡してください。",
                )
            ],
        )


def _check_simple_net_W(run: Runner, cases: list, nets: list) -> None:
    for (label, W, _, _, _, _), net in zip(cases, nets):
        check_true(
            np.array_equal(run.attr(net, "W"), W),
            f"{label}: numerical_gradient(x, t) の後、self.W が元の値に戻っていません。",
        )


CHECKS = {
    "numerical_diff": check_numerical_diff,
    "numerical_gradient": check_numerical_gradient,
    "numerical_gradient_rules": check_numerical_gradient_rules,
    "gradient_descent": check_gradient_descent,
    "simple_net": check_simple_net,
}

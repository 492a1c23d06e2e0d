"""Hidden checks of ch04_backprop_layers (INSTRUCTOR ONLY).

Every check compares the learner's layer with the reference layer of course.reference on
fresh random inputs, including batch size 1, and recognises the classic mistakes of the
exercise. The layers do exact arithmetic (products and sums), so the tolerance is tight:
relative 1e-7, absolute 1e-9; only the order of summation may differ.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from course import reference as ref
from course.checks import CheckFailure, check_array, check_true

from ..runner import Handle, Runner
from . import properties

RTOL, ATOL = 1e-7, 1e-9


def _check(actual: Any, expected: Any, name: str, mistakes=()) -> None:
    if np.ndim(expected) == 0:
        # course.checks.check_array fails with a TypeError on a mismatch of 0-d values: compare them as shape (1,)
        if isinstance(actual, (int, float, np.number)) or (isinstance(actual, np.ndarray) and actual.ndim == 0):
            actual = np.atleast_1d(actual)
        expected = np.atleast_1d(expected)
        mistakes = [(np.atleast_1d(value), hint) for value, hint in mistakes]
    check_array(actual, expected, name, rtol=RTOL, atol=ATOL, mistakes=mistakes, show_values=False)


def _pair(value: Any, where: str) -> tuple[Any, Any]:
    check_true(
        isinstance(value, tuple) and len(value) == 2,
        f"{where} は (dx, dy) の 2 つの値をタプルで返してください (実際の戻り値: {type(value).__name__})。",
    )
    return value


# ---------------------------------------------------------------------------- MulLayer / AddLayer


def _operands(rng: np.random.Generator, shape: tuple[int, ...]) -> tuple[Any, Any, Any]:
    """x, y, dout of the given shape; Python floats for shape ()."""
    values = [rng.standard_normal(shape) * 3 for _ in range(3)]
    if shape == ():
        return tuple(float(v) for v in values)
    return tuple(values)


_SHAPES = [(), (1,), (1, 4), (3, 5), (2, 3, 2)]


# The state across calls is checked for a layer whose single calls are right (needs=...): a wrong
# formula would fail it too, for the same cause.
_STATE = "呼び出しをまたいだ状態 (2 回目の forward の後の backward)"


def _where(shape: tuple[int, ...]) -> str:
    return "スカラーの入力" if shape == () else f"形状 {shape} の入力"


def _check_mul_cases(run: Runner, cases: list[tuple[tuple[int, ...], tuple[Any, Any, Any]]]) -> None:
    swapped = "dx と dy が入れ替わっています。∂(xy)/∂x = y なので、x の勾配では dout にもう一方の入力 y を掛けます。"
    no_dout = "上流の勾配 dout を掛け忘れています。"
    for shape, (x, y, dout) in cases:
        where = _where(shape)
        layer = run.new("MulLayer")
        expected = ref.MulLayer()
        _check(run.method(layer, "forward", x, y), expected.forward(x, y), f"{where}に対する MulLayer.forward")
        dx_ref, dy_ref = expected.backward(dout)
        dx, dy = _pair(run.method(layer, "backward", dout), "MulLayer.backward")
        _check(dx, dx_ref, f"{where}での MulLayer.backward の dx", [(np.multiply(dout, x), swapped), (y, no_dout)])
        _check(dy, dy_ref, f"{where}での MulLayer.backward の dy", [(np.multiply(dout, y), swapped), (x, no_dout)])


def _check_mul_second_forward(run: Runner, first: tuple[Any, Any, Any], second: tuple[Any, Any, Any]) -> None:
    """A second forward replaces the stored inputs."""
    (x1, y1, _), (x2, y2, dout) = first, second
    layer = run.new("MulLayer")
    run.method(layer, "forward", x1, y1)
    run.method(layer, "forward", x2, y2)
    dx, dy = _pair(run.method(layer, "backward", dout), "MulLayer.backward")
    stale = "最初の forward の入力を使っています。forward のたびに self.x, self.y を上書きしてください。"
    _check(dx, dout * y2, "forward を 2 回呼んだ後の MulLayer.backward の dx", [(dout * y1, stale)])
    _check(dy, dout * x2, "forward を 2 回呼んだ後の MulLayer.backward の dy", [(dout * x1, stale)])


def check_mul_layer(run: Runner, rng: np.random.Generator) -> None:
    cases = [(shape, _operands(rng, shape)) for shape in _SHAPES]
    first, second = _operands(rng, (2, 3)), _operands(rng, (2, 3))
    values = ["スカラーの入力での順伝播と逆伝播の値", "配列での順伝播と逆伝播の値 (4 つの形状)"]
    with properties(run) as mul:
        mul.check(values[0], _check_mul_cases, run, cases[:1])
        mul.check(values[1], _check_mul_cases, run, cases[1:])
        mul.check(_STATE, _check_mul_second_forward, run, first, second, needs=values)


def _check_add_cases(run: Runner, cases: list[tuple[tuple[int, ...], tuple[Any, Any, Any]]]) -> None:
    no_dout = "1 ではなく、上流の勾配 dout をそのまま返します。"
    for shape, (x, y, dout) in cases:
        where = _where(shape)
        layer = run.new("AddLayer")
        expected = ref.AddLayer()
        _check(run.method(layer, "forward", x, y), expected.forward(x, y), f"{where}に対する AddLayer.forward")
        dx_ref, dy_ref = expected.backward(dout)
        dx, dy = _pair(run.method(layer, "backward", dout), "AddLayer.backward")
        ones = np.ones_like(np.asarray(dout))
        _check(dx, dx_ref, f"{where}での AddLayer.backward の dx", [(ones, no_dout)])
        _check(dy, dy_ref, f"{where}での AddLayer.backward の dy", [(ones, no_dout)])


def check_add_layer(run: Runner, rng: np.random.Generator) -> None:
    cases = [(shape, _operands(rng, shape)) for shape in _SHAPES]
    with properties(run) as add:
        add.check("スカラーの入力での順伝播と逆伝播の値", _check_add_cases, run, cases[:1])
        add.check("配列での順伝播と逆伝播の値 (4 つの形状)", _check_add_cases, run, cases[1:])


# ---------------------------------------------------------------------------- Relu / Sigmoid


def _activation_input(rng: np.random.Generator, shape: tuple[int, ...], scale: float = 2.0) -> np.ndarray:
    """Standard normal input with about a fifth of the entries exactly 0 (the kink of ReLU)."""
    x = rng.standard_normal(shape) * scale
    zeros = rng.choice(x.size, size=max(1, x.size // 5), replace=False)
    x.flat[zeros] = 0.0
    return x


_ACTIVATION_SHAPES = [(1, 5), (6, 4), (7,), (2, 3, 4)]


def _relu_mistakes(x: np.ndarray, dout: np.ndarray) -> list[tuple[np.ndarray, str]]:
    return [
        (
            (x > 0).astype(np.float64),
            "局所的な微分 (0 か 1) だけを返しています。上流の勾配 dout を掛けてください (∂L/∂x = ∂L/∂y · ∂y/∂x)。",
        ),
        (dout * (x >= 0), "x = 0 の要素でも勾配を通しています。x = 0 の要素も、負の要素と同じく勾配を 0 にします。"),
        (dout * (dout > 0), "マスクを dout から作っています。マスクは順伝播の入力 x の符号から作ります。"),
        (dout * (x < 0), "マスクが逆です。勾配を通すのは x > 0 の要素です。"),
        (dout * (x <= 0), "マスクが逆です。勾配を通すのは x > 0 の要素で、x ≤ 0 の要素の勾配を 0 にします。"),
        (
            dout * np.maximum(x, 0),
            "順伝播の出力 y = max(0, x) を掛けています。掛けるのは局所的な微分、つまり x > 0 なら 1、"
            "それ以外は 0 のマスクです。",
        ),
        (dout, "勾配をそのまま返しています。x <= 0 だった要素の勾配を 0 にしてください。"),
    ]


_RELU_CHANGED_X = "Relu.forward が引数の x を書き換えています。0 を書き込むのは x のコピーにしてください。"
_RELU_CHANGED_DOUT = (
    "Relu.backward が引数の dout を書き換えています (dout のマスクの位置に 0 を書き込んで dout を返す形)。"
    "0 を書き込むのは dout のコピーにしてください。dout は呼び出した側の配列で、ほかの計算にも使われることがあります。"
)


def _check_relu_cases(run: Runner, cases: list, changed: list) -> None:
    """Forward and backward on each case; records (message, the arguments the call changed) in ``changed``."""
    for shape, x, dout in cases:
        layer = run.new("Relu")
        expected = ref.Relu()
        out = run.method(layer, "forward", x)
        changed.append((_RELU_CHANGED_X, run.last_changed))
        _check(out, expected.forward(x), f"形状 {shape} の入力に対する Relu.forward")
        dx = run.method(layer, "backward", dout)
        changed.append((_RELU_CHANGED_DOUT, run.last_changed))
        _check(dx, expected.backward(dout), f"形状 {shape} の入力での Relu.backward", _relu_mistakes(x, dout))


def _check_arguments_unchanged(changed: list) -> None:
    for message, arguments in changed:
        check_true(0 not in arguments, message)


def _check_relu_state(run: Runner, x1: np.ndarray, x2: np.ndarray, dout1: np.ndarray, dout2: np.ndarray) -> None:
    """A second forward replaces the mask; backward may be called again with another dout."""
    layer = run.new("Relu")
    run.method(layer, "forward", x1)
    run.method(layer, "forward", x2)
    stale = "最初の forward のマスクを使っています。forward のたびに self.mask を入力から作り直してください。"
    _check(
        run.method(layer, "backward", dout1),
        dout1 * (x2 > 0),
        "forward を 2 回呼んだ後の Relu.backward",
        [(dout1 * (x1 > 0), stale), *_relu_mistakes(x2, dout1)],
    )
    _check(
        run.method(layer, "backward", dout2),
        dout2 * (x2 > 0),
        "backward を 2 回続けて呼んだときの 2 回目の Relu.backward",
        _relu_mistakes(x2, dout2),
    )


def _relu_case(rng: np.random.Generator, shape: tuple[int, ...]) -> tuple[tuple[int, ...], np.ndarray, np.ndarray]:
    """(shape, x, dout) such that the wrong masks give values that differ from each other, so that the hint
    names the mask the learner made: x has a positive entry, dout is positive at the first one and negative
    at the first 0 of x (a mask made from dout then differs from a mask of x <= 0 or x < 0)."""
    x, dout = _activation_input(rng, shape), rng.standard_normal(shape)
    if not np.any(x > 0):
        nonzero = np.flatnonzero(x)[0]
        x.flat[nonzero] = abs(x.flat[nonzero])
    positive, zero = np.flatnonzero(x > 0)[0], np.flatnonzero(x == 0)[0]
    dout.flat[positive], dout.flat[zero] = abs(dout.flat[positive]), -abs(dout.flat[zero])
    return shape, x, dout


def check_relu_layer(run: Runner, rng: np.random.Generator) -> None:
    cases = [_relu_case(rng, shape) for shape in _ACTIVATION_SHAPES]
    x1, x2 = _activation_input(rng, (3, 5)), _activation_input(rng, (3, 5))
    dout1, dout2 = rng.standard_normal((3, 5)), rng.standard_normal((3, 5))
    changed: list[tuple[str, tuple[int | str, ...]]] = []
    values = "順伝播と逆伝播の値 (4 つの形状、x = 0 の要素を含む)"
    with properties(run) as relu:
        relu.check(values, _check_relu_cases, run, cases, changed)
        relu.check("引数の x と dout を書き換えない", _check_arguments_unchanged, changed, needs=[values])
        relu.check(
            "呼び出しをまたいだ状態 (2 回目の forward、続けて 2 回の backward)",
            _check_relu_state,
            run,
            x1,
            x2,
            dout1,
            dout2,
            needs=[values],
        )


_USE_SIGMOID = {"sigmoid": ref.sigmoid}  # the chapter 1 function is given; grade the layer only


def _sigmoid_mistakes(x: np.ndarray, dout: np.ndarray) -> list[tuple[np.ndarray, str]]:
    y = ref.sigmoid(x)
    return [
        (dout * x * (1 - x), "入力 x で x(1 - x) を計算しています。順伝播の出力 y を保存して y(1 - y) とします。"),
        (y * (1 - y), "上流の勾配 dout を掛け忘れています。"),
        (
            dout * ref.sigmoid(y) * (1 - ref.sigmoid(y)),
            "保存した出力 y にもう一度 sigmoid を通しています。y(1 - y) は出力 y そのものから計算します。",
        ),
        (dout * y, "因子 (1 - y) が抜けています。"),
        (dout * (1 - y), "因子 y が抜けています。"),
    ]


def _check_sigmoid_cases(run: Runner, cases: list) -> None:
    for shape, x, dout in cases:
        layer = run.new("Sigmoid")
        expected = ref.Sigmoid()
        forward = run.method(layer, "forward", x, substitute=_USE_SIGMOID)
        _check(forward, expected.forward(x), f"形状 {shape} の入力に対する Sigmoid.forward")
        _check(
            run.method(layer, "backward", dout, substitute=_USE_SIGMOID),
            expected.backward(dout),
            f"形状 {shape} の入力での Sigmoid.backward",
            _sigmoid_mistakes(x, dout),
        )


def _check_sigmoid_large_forward(run: Runner, x: np.ndarray, large: dict) -> None:
    """Forward on large |x|; keeps the layer and the call's warnings in ``large`` for the next properties."""
    layer = run.new("Sigmoid")
    got = run.method(layer, "forward", x, substitute=_USE_SIGMOID)
    large.update(layer=layer, warnings=run.last_warnings)
    _check(got, ref.sigmoid(x), "大きな |x| での Sigmoid.forward")


def _check_sigmoid_no_overflow(large: dict) -> None:
    overflow = [w for w in large["warnings"] if "overflow" in w]
    check_true(
        not overflow,
        "Sigmoid.forward で exp のオーバーフローの警告が出ました。"
        "自分で exp を計算せず、上のセルの sigmoid を使ってください。",
    )


def _check_sigmoid_large_backward(run: Runner, x: np.ndarray, dout: np.ndarray, large: dict) -> None:
    _check(
        run.method(large["layer"], "backward", dout, substitute=_USE_SIGMOID),
        dout * ref.sigmoid(x) * (1 - ref.sigmoid(x)),
        "大きな |x| での Sigmoid.backward",
    )


def _check_sigmoid_state(run: Runner, x1: np.ndarray, x2: np.ndarray, dout: np.ndarray) -> None:
    """A second forward replaces the stored output."""
    layer = run.new("Sigmoid")
    run.method(layer, "forward", x1, substitute=_USE_SIGMOID)
    run.method(layer, "forward", x2, substitute=_USE_SIGMOID)
    y1, y2 = ref.sigmoid(x1), ref.sigmoid(x2)
    _check(
        run.method(layer, "backward", dout, substitute=_USE_SIGMOID),
        dout * y2 * (1 - y2),
        "forward を 2 回呼んだ後の Sigmoid.backward",
        [
            (
                dout * y1 * (1 - y1),
                "最初の forward の出力を使っています。forward のたびに self.out を上書きしてください。",
            ),
            *_sigmoid_mistakes(x2, dout),
        ],
    )


def check_sigmoid_layer(run: Runner, rng: np.random.Generator) -> None:
    cases = [(shape, rng.standard_normal(shape) * 3, rng.standard_normal(shape)) for shape in _ACTIVATION_SHAPES]
    # large |x|: no overflow warning, and the gradient vanishes instead of becoming nan
    x_large = rng.uniform(-900, 900, size=(2, 4))
    x_large[0, 0], x_large[1, 1] = -800.0, 800.0
    dout_large = rng.standard_normal((2, 4))
    x1, x2 = rng.standard_normal((3, 4)) * 3, rng.standard_normal((3, 4)) * 3
    dout = rng.standard_normal((3, 4))
    large: dict[str, Any] = {}  # the layer of the large inputs and the warnings of its forward
    values, large_forward = "順伝播と逆伝播の値 (4 つの形状)", "大きな |x| での順伝播の値 (数百)"
    with properties(run) as sigmoid:
        sigmoid.check(values, _check_sigmoid_cases, run, cases)
        sigmoid.check(large_forward, _check_sigmoid_large_forward, run, x_large, large)
        sigmoid.check(
            "|x| が大きくてもオーバーフローの警告が出ない", _check_sigmoid_no_overflow, large, needs=[large_forward]
        )
        sigmoid.check(
            "大きな |x| での逆伝播 (勾配が nan にならない)",
            _check_sigmoid_large_backward,
            run,
            x_large,
            dout_large,
            large,
            needs=[large_forward],
        )
        sigmoid.check(_STATE, _check_sigmoid_state, run, x1, x2, dout, needs=[values])


# ---------------------------------------------------------------------------- Affine

# (input shape, M): batch size 1, a square W (D = M, where W and Wᵀ have the same shape), 3-D and 4-D input
_AFFINE_CASES = [((1, 5), 3), ((6, 4), 4), ((4, 2, 3), 5), ((1, 3, 2, 2), 2), ((7, 3), 2)]

_FLATTEN_HINT = "多次元の入力は、先頭の軸 (N) を残して残りの軸を 1 つにまとめ、(N, D) に平坦化してから W を掛けます。"


def _affine_case(rng: np.random.Generator, x_shape: tuple[int, ...], m: int):
    d = int(np.prod(x_shape[1:]))
    return rng.standard_normal(x_shape), rng.standard_normal((d, m)), rng.standard_normal(m)


def _call(run: Runner, handle: Handle, method: str, *args: Any, hint: str | None = None) -> Any:
    try:
        return run.method(handle, method, *args)
    except CheckFailure as failure:
        if hint is None:
            raise
        raise CheckFailure(f"{failure}\nヒント: {hint}") from None


def _check_affine_forward_cases(run: Runner, cases: list) -> None:
    for x, W, b in cases:
        flat = x.reshape(x.shape[0], -1)
        layer = run.new("Affine", W, b)
        hint = _FLATTEN_HINT if x.ndim > 2 else None
        _check(
            _call(run, layer, "forward", x, hint=hint),
            ref.Affine(W, b).forward(x),
            f"形状 {x.shape} の入力、W の形状 {W.shape} での Affine.forward",
            [(flat @ W, "バイアス b を足し忘れています。")],
        )


def check_affine_forward(run: Runner, rng: np.random.Generator) -> None:
    cases = [_affine_case(rng, x_shape, m) for x_shape, m in _AFFINE_CASES]
    with properties(run) as forward:
        forward.check(
            "2 次元の入力 (N, D) での値 (バッチサイズ 1 を含む)",
            _check_affine_forward_cases,
            run,
            [case for case in cases if case[0].ndim == 2],
        )
        forward.check(
            "3 次元、4 次元の入力を (N, D) に平坦化した値",
            _check_affine_forward_cases,
            run,
            [case for case in cases if case[0].ndim > 2],
        )


def _affine_backward_mistakes(x: np.ndarray, W: np.ndarray, dout: np.ndarray):
    n = x.shape[0]
    flat = x.reshape(n, -1)
    dx = [(dout @ W.T, "dx を元の入力の形状 (self.original_x_shape) に戻していません。")]
    if W.shape[0] == W.shape[1]:
        dx.append(((dout @ W).reshape(x.shape), "dx = dout · Wᵀ です (W の転置を掛けます)。"))
    dW = [
        (dout.T @ flat, "dW が転置になっています。dW = Xᵀ · dout (形状 (D, M)) です。"),
        (flat.T @ dout / n, "dW を N で割っています。バッチの平均は損失の側ですでにとられています。"),
    ]
    db = [
        (
            dout,
            "db をバッチ方向に合計していません。dout のバッチ方向 (N の軸) の和をとって形状 (M,) にします"
            " (ブロードキャストの逆伝播は和)。",
        ),
        (dout.mean(axis=0), "db をバッチの平均にしています。N で割らずに、バッチ方向の和をとります。"),
        (dout.sum(axis=1), "合計する向きが違います。バッチ方向 (axis=0) に合計します。"),
    ]
    return dx, dW, db


_BACKWARD_SHAPES_HINT = (
    "逆伝播の行列の積の形状を確かめてください: dx = dout · Wᵀ は (N, M)·(M, D)、dW = Xᵀ · dout は (D, N)·(N, M) です。"
)


def _backward_results(run: Runner, layer: Handle, dout: np.ndarray, hint: str | None):
    hint = _BACKWARD_SHAPES_HINT if hint is None else f"{hint}\n{_BACKWARD_SHAPES_HINT}"
    dx = _call(run, layer, "backward", dout, hint=hint)
    dW, db = run.attr(layer, "dW"), run.attr(layer, "db")
    check_true(dW is not None, "backward の後も self.dW が None のままです。重みの勾配を self.dW に保存してください。")
    check_true(
        db is not None, "backward の後も self.db が None のままです。バイアスの勾配を self.db に保存してください。"
    )
    return dx, dW, db


def _check_affine_backward_cases(run: Runner, cases: list) -> None:
    for x, W, b, dout in cases:
        expected = ref.Affine(W.copy(), b.copy())
        expected.forward(x)
        dx_ref = expected.backward(dout)
        layer = run.new("Affine", W, b)
        hint = _FLATTEN_HINT if x.ndim > 2 else None
        _call(run, layer, "forward", x, hint=hint)
        dx, dW, db = _backward_results(run, layer, dout, hint)
        dx_mistakes, dW_mistakes, db_mistakes = _affine_backward_mistakes(x, W, dout)
        where = f"形状 {x.shape} の入力、W の形状 {W.shape} での Affine"
        _check(dx, dx_ref, f"{where}.backward の戻り値 dx", dx_mistakes)
        _check(dW, expected.dW, f"{where}.dW", dW_mistakes)
        _check(db, expected.db, f"{where}.db", db_mistakes)


def _check_affine_state(run: Runner, W: np.ndarray, b: np.ndarray, x1: np.ndarray, x2: np.ndarray, dout) -> None:
    """A second forward (of another shape) replaces the stored input and its shape."""
    layer = run.new("Affine", W, b)
    run.method(layer, "forward", x1)
    _call(run, layer, "forward", x2, hint=_FLATTEN_HINT)
    dx, dW, db = _backward_results(run, layer, dout, _FLATTEN_HINT)
    stale = (
        "最初の forward の入力を使っています。forward のたびに self.x と self.original_x_shape を上書きしてください。"
    )
    _check(
        dx,
        (dout @ W.T).reshape(x2.shape),
        "forward を 2 回呼んだ後の Affine.backward の戻り値 dx",
        [(dout @ W.T, stale)],
    )
    _check(dW, x2.reshape(2, -1).T @ dout, "forward を 2 回呼んだ後の Affine.dW", [(x1.T @ dout, stale)])


def check_affine_backward(run: Runner, rng: np.random.Generator) -> None:
    cases = [(*_affine_case(rng, x_shape, m), rng.standard_normal((x_shape[0], m))) for x_shape, m in _AFFINE_CASES]
    W, b = rng.standard_normal((6, 3)), rng.standard_normal(3)
    x1, x2 = rng.standard_normal((2, 6)), rng.standard_normal((2, 2, 3))
    dout = rng.standard_normal((2, 3))
    values = [
        "2 次元の入力での勾配 dx、self.dW、self.db (バッチサイズ 1 を含む)",
        "3 次元、4 次元の入力での勾配 (dx は元の入力と同じ形状)",
    ]
    with properties(run) as backward:
        backward.check(values[0], _check_affine_backward_cases, run, [case for case in cases if case[0].ndim == 2])
        backward.check(values[1], _check_affine_backward_cases, run, [case for case in cases if case[0].ndim > 2])
        backward.check(
            "呼び出しをまたいだ状態 (形状の違う 2 回目の forward の後の backward)",
            _check_affine_state,
            run,
            W,
            b,
            x1,
            x2,
            dout,
            needs=values,
        )


CHECKS = {
    "mul_layer": check_mul_layer,
    "add_layer": check_add_layer,
    "relu_layer": check_relu_layer,
    "sigmoid_layer": check_sigmoid_layer,
    "affine_forward": check_affine_forward,
    "affine_backward": check_affine_backward,
}

"""Hidden checks of ch01_activation (INSTRUCTOR ONLY)."""

from __future__ import annotations

import numpy as np

from course import reference as ref
from course.checks import check_array, check_scalar, check_true

from ..runner import Runner
from . import learner_copy, properties

_PAIRS = [(0, 0), (1, 0), (0, 1), (1, 1)]
_GATES = {"AND": ref.AND, "NAND": ref.NAND, "OR": ref.OR}


def _check_truth_table(run: Runner, name: str, reference, substitute=None) -> None:
    for x1, x2 in _PAIRS:
        got = run.call(name, x1, x2, substitute=substitute)
        check_scalar(got, reference(x1, x2), f"{name}({x1}, {x2})")
        # floats 0.0 / 1.0 are accepted; the textbook returns ints
        check_true(np.asarray(got).ndim == 0, f"{name}({x1}, {x2}) は 1 つの数を返してください。")


def check_gates(run: Runner, rng: np.random.Generator) -> None:
    with properties(run) as gates:
        for name, reference in _GATES.items():
            gates.check(f"{name} の真理値表", _check_truth_table, run, name, reference)


def check_xor(run: Runner, rng: np.random.Generator) -> None:
    # the learner's gates are replaced by the reference ones: only the composition is graded here
    _check_truth_table(run, "XOR", ref.XOR, substitute=_GATES)


def _random_inputs(rng: np.random.Generator, scale: float = 5.0) -> list[np.ndarray]:
    shapes = [(1,), (7,), (3, 4), (2, 3, 2)]
    inputs = [rng.standard_normal(shape) * scale for shape in shapes]
    inputs[2][0, 0] = 0.0  # the value at exactly 0 matters for step and ReLU
    return inputs


def check_step_function(run: Runner, rng: np.random.Generator) -> None:
    for x in _random_inputs(rng):
        check_array(
            run.call("step_function", x),
            ref.step_function(x),
            f"形状 {x.shape} の入力に対する step_function",
            show_values=False,
            mistakes=[((x >= 0).astype(int), "x = 0 のときは 0 を返します (x > 0 で 1)。")],
        )


def _check_sigmoid_values(run: Runner, inputs: list[np.ndarray]) -> None:
    for x in inputs:
        check_array(run.call("sigmoid", x), ref.sigmoid(x), f"形状 {x.shape} の入力に対する sigmoid", show_values=False)


def _check_no_overflow(run: Runner, inputs: list[np.ndarray]) -> None:
    for x in inputs:
        run.call("sigmoid", x)
        check_true(
            not [w for w in run.last_warnings if "overflow" in w],
            f"形状 {x.shape} の入力 (|x| が最大 {np.max(np.abs(x)):.3g}) で、sigmoid の exp がオーバーフローの警告を"
            "出しました。|x| が大きいときにも exp に大きな正の数を渡さない書き方にしてください "
            "(x < 0 では σ(x) = eˣ / (1 + eˣ) と変形できます)。",
        )


def check_sigmoid(run: Runner, rng: np.random.Generator) -> None:
    ordinary = _random_inputs(rng)
    large = [rng.uniform(-1000, 1000, size=(5, 3)), np.array([-745.5, 709.9, -1e4])]
    with properties(run) as sigmoid:
        sigmoid.check("値 (|x| が 5 程度の 4 つの形状)", _check_sigmoid_values, run, ordinary)
        sigmoid.check("値 (|x| が数百から 1 万の入力)", _check_sigmoid_values, run, large)
        sigmoid.check("|x| が大きくてもオーバーフローの警告が出ない", _check_no_overflow, run, ordinary + large)


def check_relu(run: Runner, rng: np.random.Generator) -> None:
    for x in _random_inputs(rng):
        check_array(run.call("relu", x), ref.relu(x), f"形状 {x.shape} の入力に対する relu", show_values=False)


def _softmax_over_axis0(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def _softmax_whole_array(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max())
    return e / e.sum()


def _check_softmax_values(run: Runner, cases: list[np.ndarray]) -> None:
    for x in cases:
        check_array(
            run.call("softmax", x),
            ref.softmax(x),
            f"形状 {x.shape} の入力に対する softmax",
            show_values=False,
            mistakes=[
                (_softmax_over_axis0(x), "列ごと (axis=0) に計算しています。各行 (axis=-1) ごとに計算してください。"),
                (
                    _softmax_whole_array(x),
                    "配列全体の合計で割っています。最大値も合計も行ごと (最後の軸) にとり、形状を保ったまま (keepdims) "
                    "各行をその行の合計で割ってください。",
                ),
            ],
        )


def check_softmax(run: Runner, rng: np.random.Generator) -> None:
    ordinary = [rng.standard_normal(6) * 3, rng.standard_normal((1, 5)) * 3, rng.standard_normal((8, 10)) * 3]
    large = [rng.standard_normal((4, 3)) * 3 + rng.uniform(900, 1100, size=(4, 1))]
    with properties(run) as softmax:
        softmax.check("値 (1 次元、1 行、8 行の入力)", _check_softmax_values, run, ordinary)
        softmax.check("1000 前後の大きなスコアでも値が正しい (オーバーフロー対策)", _check_softmax_values, run, large)


def _params(rng: np.random.Generator, sizes: tuple[int, ...]) -> dict[str, np.ndarray]:
    params = {}
    for i in range(1, len(sizes)):
        params[f"W{i}"] = rng.standard_normal((sizes[i - 1], sizes[i]))
        params[f"b{i}"] = rng.standard_normal(sizes[i])
    return params


def _check_three_layer_forward(run: Runner, rng: np.random.Generator, n: int, sizes: tuple[int, ...]) -> None:
    params = _params(rng, sizes)
    x = rng.standard_normal((n, sizes[0]))
    relu_hidden = np.maximum(0, np.maximum(0, x @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"])
    check_array(
        run.call("three_layer_forward", learner_copy(params), x, substitute={"sigmoid": ref.sigmoid}),
        ref.three_layer_forward(params, x),
        f"N={n} のバッチ (層の大きさ {sizes}) に対する three_layer_forward",
        show_values=False,
        mistakes=[
            (ref.sigmoid(ref.three_layer_forward(params, x)), "出力層には活性化関数を使いません (恒等関数)。"),
            (relu_hidden @ params["W3"] + params["b3"], "隠れ層の活性化関数はシグモイド関数です。"),
        ],
    )


def check_three_layer_forward(run: Runner, rng: np.random.Generator) -> None:
    with properties(run) as forward:
        for n, sizes in [(6, (3, 2, 4, 5)), (5, (7, 6, 3, 3))]:
            forward.check(f"バッチの出力 (N={n})", _check_three_layer_forward, run, rng.spawn(1)[0], n, sizes)
        forward.check("バッチサイズ 1 の出力", _check_three_layer_forward, run, rng.spawn(1)[0], 1, (4, 5, 3, 2))


def _compose_case(rng: np.random.Generator, d: int, h: int, m: int) -> tuple[np.ndarray, ...]:
    """W1 (d, h), b1 (h,), W2 (h, m), b2 (m,) and a batch x of shape (d + 3, d), all standard normal."""
    shapes = [(d, h), (h,), (h, m), (m,), (d + 3, d)]
    return tuple(rng.standard_normal(shape) for shape in shapes)


def check_compose_affine(run: Runner, rng: np.random.Generator) -> None:
    """The composed layer must give the outputs of the two layers applied in turn, on a batch x.

    Property-based: every correct formula passes. The expected outputs (x·W1 + b1)·W2 + b2 come
    from the check's own inputs; a composed (W, b) equals them up to the rounding of a few sums of
    products: relative 1e-9, absolute 1e-9 times the largest |output|. The first case is square
    (D = H = M), so that the wrong orders (W2·W1, W2·b1) and b1 + b2 run and are named.
    """
    k = int(rng.integers(2, 5))
    d, h, m = (int(v) for v in rng.choice(np.arange(2, 8), size=3, replace=False))
    sizes = [
        (k, k, k),
        (d, h, m),
        (int(rng.integers(2, 6)), 1, int(rng.integers(2, 6))),
        (1, int(rng.integers(2, 6)), 1),
    ]
    kinds = ["D = H = M の正方行列", "D, H, M がすべて違う大きさ", "H = 1", "D = M = 1"]
    changed: list[tuple[str, tuple[int | str, ...]]] = []  # (the call's name, the arguments it changed)
    with properties(run) as compose:
        for kind, (d, h, m) in zip(kinds, sizes):
            case = _compose_case(rng, d, h, m)
            compose.check(f"まとめた層の出力 ({kind})", _check_compose_case, run, (d, h, m), case, changed)
        compose.check("引数の配列を書き換えない", _check_compose_unchanged, changed)


def _compose_name(d: int, h: int, m: int) -> str:
    return f"W1 の形状 {(d, h)}、W2 の形状 {(h, m)} での compose_affine"


def _check_compose_case(run: Runner, sizes: tuple[int, int, int], case: tuple, changed: list) -> None:
    """One call of the learner's compose_affine: (W, b) of the right shapes, whose layer gives the
    outputs of the two layers applied in turn; records the arguments the call changed in ``changed``."""
    d, h, m = sizes
    W1, b1, W2, b2, x = case
    name = _compose_name(d, h, m)
    got = run.call("compose_affine", learner_copy(W1), learner_copy(b1), learner_copy(W2), learner_copy(b2))
    changed.append((name, run.last_changed))
    check_true(isinstance(got, tuple) and len(got) == 2, f"{name} は (W, b) の 2 つの組 (タプル) を返してください。")
    W, b = (np.asarray(v, dtype=np.float64) for v in got)
    check_true(W.shape == (d, m), f"{name} の W の形状が {W.shape} です。形状 (D, M) = {(d, m)} にしてください。")
    check_true(b.shape == (m,), f"{name} の b の形状が {b.shape} です。形状 (M,) = {(m,)} にしてください。")
    expected = (x @ W1 + b1) @ W2 + b2
    W_right = W1 @ W2
    mistakes = []
    if d == h == m:
        mistakes = [
            (
                x @ (W2 @ W1) + b1 @ W2 + b2,
                "W2 @ W1 の順になっています。x に先に掛かるのは W1 なので、"
                "まとめた重みでも W1 が x の側 (左) に来ます。",
            ),
            (
                x @ W_right + b2,
                "b1 @ W2 を足し忘れています。1 つ目の層のバイアス b1 も、2 つ目の層の W2 を通ります。",
            ),
            (
                x @ W_right + b1 + b2,
                "b1 + b2 になっています。1 つ目の層のバイアス b1 も、2 つ目の層の W2 を通ってから b2 に足されます。",
            ),
            (
                x @ W_right + W2 @ b1 + b2,
                "W2 @ b1 になっています。b1 は x の行と同じく行ベクトルで、W2 の左に置きます。",
            ),
        ]
    scale = max(1.0, float(np.max(np.abs(expected))))
    check_array(
        x @ W + b,
        expected,
        f"{name} でまとめた層の、形状 {x.shape} のバッチ x に対する出力 (2 つの層を順に通した出力と比べる)",
        rtol=1e-9,
        atol=1e-9 * scale,
        show_values=False,
        mistakes=mistakes,
    )


def _check_compose_unchanged(changed: list) -> None:
    for name, arguments in changed:
        for position, arg in enumerate(("W1", "b1", "W2", "b2")):
            check_true(
                position not in arguments,
                f"{name} が引数の {arg} を書き換えています。+= などで引数の配列を変えずに、"
                "新しい配列を作って返してください。",
            )


CHECKS = {
    "gates": check_gates,
    "xor": check_xor,
    "step_function": check_step_function,
    "sigmoid": check_sigmoid,
    "relu": check_relu,
    "softmax": check_softmax,
    "three_layer_forward": check_three_layer_forward,
    "compose_affine": check_compose_affine,
}

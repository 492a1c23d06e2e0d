"""Hidden checks of ch01_activation (INSTRUCTOR ONLY)."""

from __future__ import annotations

import numpy as np

from course import reference as ref
from course.checks import check_array, check_scalar, check_true

from ..runner import Runner
from . import learner_copy

_PAIRS = [(0, 0), (1, 0), (0, 1), (1, 1)]
_GATES = {"AND": ref.AND, "NAND": ref.NAND, "OR": ref.OR}


def _check_truth_table(run: Runner, name: str, reference, substitute=None) -> None:
    for x1, x2 in _PAIRS:
        got = run.call(name, x1, x2, substitute=substitute)
        check_scalar(got, reference(x1, x2), f"{name}({x1}, {x2})")
        # floats 0.0 / 1.0 are accepted; the textbook returns ints
        check_true(np.asarray(got).ndim == 0, f"{name}({x1}, {x2}) は 1 つの数を返してください。")


def check_gates(run: Runner, rng: np.random.Generator) -> None:
    for name, reference in _GATES.items():
        _check_truth_table(run, name, reference)


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


def check_sigmoid(run: Runner, rng: np.random.Generator) -> None:
    for x in [*_random_inputs(rng), rng.uniform(-1000, 1000, size=(5, 3)), np.array([-745.5, 709.9, -1e4])]:
        check_array(run.call("sigmoid", x), ref.sigmoid(x), f"形状 {x.shape} の入力に対する sigmoid", show_values=False)
        overflow = [w for w in run.last_warnings if "overflow" in w]
        check_true(
            not overflow,
            "sigmoid で exp のオーバーフローの警告が出ました。|x| が大きいときにも exp に大きな正の数を渡さない書き方"
            "にしてください (x < 0 では exp(x) / (1 + exp(x)) を使う)。",
        )


def check_relu(run: Runner, rng: np.random.Generator) -> None:
    for x in _random_inputs(rng):
        check_array(run.call("relu", x), ref.relu(x), f"形状 {x.shape} の入力に対する relu", show_values=False)


def _softmax_over_axis0(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def _softmax_whole_array(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max())
    return e / e.sum()


def check_softmax(run: Runner, rng: np.random.Generator) -> None:
    cases = [
        rng.standard_normal(6) * 3,
        rng.standard_normal((1, 5)) * 3,
        rng.standard_normal((8, 10)) * 3,
        rng.standard_normal((4, 3)) * 3 + rng.uniform(900, 1100, size=(4, 1)),  # large scores
    ]
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
                    "配列全体の合計で割っています。axis=-1, keepdims=True で行ごとに計算してください。",
                ),
            ],
        )


def _params(rng: np.random.Generator, sizes: tuple[int, ...]) -> dict[str, np.ndarray]:
    params = {}
    for i in range(1, len(sizes)):
        params[f"W{i}"] = rng.standard_normal((sizes[i - 1], sizes[i]))
        params[f"b{i}"] = rng.standard_normal(sizes[i])
    return params


def check_three_layer_forward(run: Runner, rng: np.random.Generator) -> None:
    for n, sizes in [(1, (4, 5, 3, 2)), (6, (3, 2, 4, 5)), (5, (7, 6, 3, 3))]:
        params = _params(rng, sizes)
        x = rng.standard_normal((n, sizes[0]))
        relu_hidden = np.maximum(0, np.maximum(0, x @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"])
        check_array(
            run.call("three_layer_forward", learner_copy(params), x, substitute={"sigmoid": ref.sigmoid}),
            ref.three_layer_forward(params, x),
            f"N={n} のバッチに対する three_layer_forward",
            show_values=False,
            mistakes=[
                (ref.sigmoid(ref.three_layer_forward(params, x)), "出力層には活性化関数を使いません (恒等関数)。"),
                (relu_hidden @ params["W3"] + params["b3"], "隠れ層の活性化関数はシグモイド関数です。"),
            ],
        )


CHECKS = {
    "gates": check_gates,
    "xor": check_xor,
    "step_function": check_step_function,
    "sigmoid": check_sigmoid,
    "relu": check_relu,
    "softmax": check_softmax,
    "three_layer_forward": check_three_layer_forward,
}

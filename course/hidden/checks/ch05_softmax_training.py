"""Hidden checks of ch05_softmax_training (INSTRUCTOR ONLY).

Only plain data crosses the runner (arrays, numbers, dicts): no generators, no callables.
Only FUNCTIONS are substituted (their proxies live for one call); classes are not, because
a reference object created inside one call of a sandboxed runner does not outlive it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from course import reference as ref
from course.checks import CheckFailure, check_array, check_scalar, check_true
from course.data import load_digits

from ..runner import ReadsArgument, Runner
from . import check_unchanged, learner_copy, properties

KEYS = ("W1", "b1", "W2", "b2")

# What the learner's SoftmaxWithLoss calls: the earlier chapters' functions, replaced by the reference.
_LOSS_SUBSTITUTES = {
    "softmax": ref.softmax,
    "cross_entropy_error": ref.cross_entropy_error,
    "softmax_backward": ref.softmax_backward,
}
GRADED_ACCURACY = 0.95


# ---------------------------------------------------------------------------- softmax_jacobian
def _random_probabilities(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return ref.softmax(rng.standard_normal(shape) * 2)


def _diag(y: np.ndarray) -> np.ndarray:
    return y[..., :, None] * np.eye(y.shape[-1])


def check_softmax_jacobian(run: Runner, rng: np.random.Generator) -> None:
    cases = [_random_probabilities(rng, shape) for shape in [(5,), (1, 4), (6, 3), (3, 10)]]
    with properties(run) as jacobian:
        jacobian.check("1 次元の y での値 (形状 (C, C))", _check_jacobian_cases, run, cases[:1])
        jacobian.check(
            "バッチ (N, C) の y での値 (形状 (N, C, C)、バッチサイズ 1 を含む)", _check_jacobian_cases, run, cases[1:]
        )


def _check_jacobian_cases(run: Runner, cases: list[np.ndarray]) -> None:
    for y in cases:
        expected = ref.softmax_jacobian(y)
        got = run.call("softmax_jacobian", y)
        got_shape = np.shape(got)
        if got_shape != expected.shape:
            hint = ""
            if y.ndim == 2:
                hint = (
                    " バッチ (N, C) の入力には、行ごとのヤコビ行列 (C, C) を N 枚並べた形状 (N, C, C) を返します。"
                    "np.diag や np.outer は 1 次元配列用です"
                    " (軸を足したブロードキャストなら、各行の外積をまとめて作れます)。"
                )
            elif got_shape == ():
                hint = " 1 次元配列の y.T @ y は内積 (スカラー) です。要るのは y_i y_j を並べた (C, C) の外積です。"
            raise CheckFailure(
                f"形状 {y.shape} の y に対する softmax_jacobian の形状が違います: "
                f"期待 {expected.shape}、実際 {got_shape}。{hint}"
            )
        check_array(
            got,
            expected,
            f"形状 {y.shape} の y に対する softmax_jacobian",
            rtol=1e-7,
            atol=1e-12,
            show_values=False,
            mistakes=[
                (-expected, "符号が逆です。J = diag(y) − (外積 y_i y_j) です。"),
                (_diag(y), "非対角成分 −y_i y_j がありません (diag(y) だけになっています)。"),
                (
                    expected - _diag(y),
                    "対角の項 diag(y) がありません (外積 −y_i y_j だけになっています)。"
                    "J = diag(y) − (外積 y_i y_j) です。",
                ),
                (_diag(y - y**2), "非対角成分 −y_i y_j がありません (対角成分 y_i − y_i² だけになっています)。"),
                (
                    _diag(y) - np.sum(y * y, axis=-1)[..., None, None],
                    "外積ではなく内積 Σ y_i² を引いています。1 次元配列の y.T @ y は内積 (スカラー) になります。"
                    "引くのは y_i y_j を並べた (C, C) の外積です。",
                ),
            ],
        )


# ---------------------------------------------------------------------------- softmax_backward
def check_softmax_backward(run: Runner, rng: np.random.Generator) -> None:
    cases = []
    for shape in [(4,), (1, 5), (7, 3), (4, 10)]:
        cases.append((_random_probabilities(rng, shape), rng.standard_normal(shape)))
    with properties(run) as backward:
        backward.check("1 次元の入力での値", _check_softmax_backward_cases, run, cases[:1])
        backward.check(
            "バッチ (N, C) の入力での値 (行ごと、バッチサイズ 1 を含む)", _check_softmax_backward_cases, run, cases[1:]
        )


def _check_softmax_backward_cases(run: Runner, cases: list[tuple[np.ndarray, np.ndarray]]) -> None:
    for y, dy in cases:
        shape = y.shape
        expected = ref.softmax_backward(y, dy)
        check_array(
            run.call("softmax_backward", y, dy),
            expected,
            f"形状 {shape} の入力に対する softmax_backward",
            rtol=1e-7,
            atol=1e-12,
            show_values=False,
            mistakes=[
                (
                    y * (dy - np.sum(dy * y, axis=0, keepdims=True)),
                    "内積 <dy, y> を列方向 (axis=0) に取っています。"
                    "行ごと (最後の軸) に取り、形状を保ったまま各行から引いてください。",
                ),
                (
                    y * (dy - np.sum(dy * y)),
                    "内積 <dy, y> を配列全体で取っています。"
                    "行ごと (最後の軸) に取り、形状を保ったまま各行から引いてください。",
                ),
                (
                    y * (dy - np.sum(dy, axis=-1, keepdims=True)),
                    "内積 <dy, y> = Σ dy_i y_i の y を掛け忘れています。",
                ),
                (
                    dy * y * (1 - y),
                    "ヤコビ行列の対角成分 y_i (1 − y_i) だけを使った結果になっています。"
                    "非対角成分 −y_i y_j の寄与 (行ごとの内積 <dy, y>) も必要です。",
                ),
                (dy * y, "−y_j <dy, y> の項がありません。"),
                (-expected, "符号が逆です。dx = y ⊙ (dy − <dy, y>) です。"),
            ],
        )


# ---------------------------------------------------------------------------- SoftmaxWithLoss
def _one_hot(labels: np.ndarray, num_classes: int) -> np.ndarray:
    return np.eye(num_classes)[labels]


# The loss of SoftmaxWithLoss may be computed with the given cross_entropy_error (eps = 1e-7 inside the
# log), with another small eps, or exactly (no eps, as PyTorch's cross_entropy on scores): all are
# correct. They differ by about eps / p, so a loss is accepted when it lies between the exact loss and
# the loss at eps = 1e-6 (the loss decreases in eps), each widened by LOSS_RTOL for rounding.
LOSS_EPS_RANGE = (0.0, 1e-6)
LOSS_RTOL = 1e-9


def _loss_bounds(y: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """(smallest, largest) correct batch-mean cross-entropy of probabilities ``y`` (N, C), widened by LOSS_RTOL."""
    low = ref.cross_entropy_error(y, labels, eps=LOSS_EPS_RANGE[1])
    high = ref.cross_entropy_error(y, labels, eps=LOSS_EPS_RANGE[0])
    return low * (1 - LOSS_RTOL), high * (1 + LOSS_RTOL)


def _check_loss(value: Any, y: np.ndarray, labels: np.ndarray, where: str, mistakes: list) -> None:
    """A loss between the exact one and the one at eps = 1e-6 passes; otherwise the usual diagnostic."""
    low, high = _loss_bounds(y, labels)
    try:
        number = float(np.asarray(value, dtype=np.float64))
    except (TypeError, ValueError):
        number = None
    if number is not None and low <= number <= high:
        return
    check_scalar(value, ref.cross_entropy_error(y, labels), where, rtol=LOSS_RTOL, show_values=False, mistakes=mistakes)


def _outcome(call: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, CheckFailure | None]:
    """(the value, None) of the learner's call ``call(*args, **kwargs)``, or (None, its failure), for a
    property checked later (the runner returns a snapshot: later calls do not change the value)."""
    try:
        return call(*args, **kwargs), None
    except CheckFailure as failure:
        return None, failure


def _replay(outcome: tuple[Any, CheckFailure | None]) -> Any:
    value, failure = outcome
    if failure is not None:
        raise failure
    return value


def _check_softmax_with_loss_cases(run: Runner, cases: list, records: list) -> None:
    """Forward and backward() on ONE layer object for every case (each forward must replace what the
    previous one stored); the self.loss after forward, a second backward() and backward(dout) are
    called at their place in the sequence and recorded in ``records`` for the properties after this one."""
    layer = run.new("SoftmaxWithLoss", substitute=_LOSS_SUBSTITUTES)
    for n, c, x, labels, douts in cases:
        for (t, kind), dout in zip([(labels, "ラベル"), (_one_hot(labels, c), "one-hot")], douts):
            where = f"N={n}, C={c}, t が{kind}"
            y = ref.softmax(x)
            expected_loss = ref.cross_entropy_error(y, labels)
            loss = run.method(layer, "forward", x, t, substitute=_LOSS_SUBSTITUTES)
            summed = "損失をバッチで合計しています。バッチの平均 (N で割る) にしてください。"
            _check_loss(loss, y, labels, f"forward の損失 ({where})", [(expected_loss * n, summed)] if n > 1 else [])
            record = {"where": where, "y": y, "labels": labels, "dout": dout}
            records.append(record)
            record["stored"] = _outcome(run.attr, layer, "loss")
            y_minus_t = y - _one_hot(labels, c)
            expected_dx = y_minus_t / n
            record["expected_dx"] = expected_dx
            mistakes = [
                (-expected_dx, "符号が逆です。(y − t) / N です。"),
                (y_minus_t / c, "クラス数 C で割っています。損失はバッチの平均なので、バッチサイズ N で割ります。"),
                (y / n, "t を引き忘れています。"),
            ]
            if n > 1:
                mistakes.insert(
                    0, (y_minus_t, "バッチサイズ N で割り忘れています。損失がバッチ平均なので (y − t) / N です。")
                )
            check_array(
                run.method(layer, "backward", substitute=_LOSS_SUBSTITUTES),
                expected_dx,
                f"backward() ({where})",
                rtol=1e-9,
                atol=1e-12,
                show_values=False,
                mistakes=mistakes,
            )
            record["again"] = _outcome(run.method, layer, "backward", substitute=_LOSS_SUBSTITUTES)
            record["scaled"] = _outcome(run.method, layer, "backward", dout, substitute=_LOSS_SUBSTITUTES)


def _check_stored_loss(records: list) -> None:
    for record in records:
        stored = _replay(record["stored"])
        check_true(
            stored is not None,
            "forward で損失を self.loss にも保存してください (学習のループが network.last_layer.loss を読みます)。",
        )
        _check_loss(stored, record["y"], record["labels"], f"forward 後の self.loss ({record['where']})", [])


def _check_backward_again(records: list) -> None:
    for record in records:
        try:
            check_array(
                _replay(record["again"]),
                record["expected_dx"],
                f"同じ forward のあと 2 回目に呼んだ backward() ({record['where']})",
                rtol=1e-9,
                atol=1e-12,
                show_values=False,
            )
        except CheckFailure as failure:
            # the first call was right: the layer changed its own state
            raise CheckFailure(
                f"{failure}\nヒント: 1 回目の backward は正しいのに 2 回目で変わりました。backward の中で保存した "
                "self.y (または self.t) を直接書き換えていませんか。書き換えるのは self.y のコピーにしてください。"
            ) from None


def _check_backward_dout(records: list) -> None:
    for record in records:
        expected_dx = record["expected_dx"]
        check_array(
            _replay(record["scaled"]),
            record["dout"] * expected_dx,
            f"backward(dout) ({record['where']}、dout ≠ 1)",
            rtol=1e-9,
            atol=1e-12,
            show_values=False,
            mistakes=[(expected_dx, "dout を掛け忘れています。")],
        )


def check_softmax_with_loss(run: Runner, rng: np.random.Generator) -> None:
    cases = []
    for n, c in [(1, 4), (6, 3), (9, 10), (4, 7)]:
        x = rng.standard_normal((n, c)) * 2
        labels = rng.integers(0, c, size=n)
        douts = [float(rng.uniform(0.5, 3.0)) for _ in range(2)]  # for t as labels, then as one-hot
        cases.append((n, c, x, labels, douts))
    records: list[dict[str, Any]] = []  # one per forward, in order (see _check_softmax_with_loss_cases)
    values = "順伝播の損失と逆伝播の値 (N=1 を含む 4 つの大きさ、t はラベルと one-hot)"
    with properties(run) as layer:
        layer.check(values, _check_softmax_with_loss_cases, run, cases, records)
        layer.check("損失を self.loss にも保存する", _check_stored_loss, records, needs=[values])
        layer.check(
            "同じ forward のあと backward を 2 回呼んでも同じ値", _check_backward_again, records, needs=[values]
        )
        layer.check(
            "上流の勾配 dout を掛ける (backward(dout)、dout ≠ 1)", _check_backward_dout, records, needs=[values]
        )


# ---------------------------------------------------------------------------- TwoLayerNet
# The learner's TwoLayerNet is built from the notebook's own layers (Affine and Relu are given
# cells; SoftmaxWithLoss is exercise 3). So that a mistake of exercise 3 does not cost points
# here, a TwoLayerNet whose loss and gradients equal those of the reference built with the
# SAME known mistake of SoftmaxWithLoss (_LAST_LAYER_VARIANTS) is accepted, besides the plain
# reference, provided the learner's own SoftmaxWithLoss shows that very mistake on the same
# inputs. Every accepted value is computed here by the reference from the check's inputs and
# the network's initial parameters; the learner's SoftmaxWithLoss only selects which one
# (and the hints). Only TwoLayerNet's wiring is graded.
def _relu(a: np.ndarray) -> np.ndarray:
    return np.maximum(a, 0.0)


def _scores(params: dict, x: np.ndarray) -> np.ndarray:
    return _relu(x @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]


def _params_of(run: Runner, handle, sizes: tuple[int, int, int]) -> dict[str, np.ndarray]:
    """The learner's params, checked for keys and shapes."""
    d, h, c = sizes
    params = run.attr(handle, "params")
    check_true(isinstance(params, dict), "TwoLayerNet の params は辞書にしてください。")
    check_true(
        set(params) == set(KEYS),
        f"TwoLayerNet の params のキーは {sorted(KEYS)} にしてください (実際: {sorted(params)})。",
    )
    shapes = {"W1": (d, h), "b1": (h,), "W2": (h, c), "b2": (c,)}
    for key, shape in shapes.items():
        got = np.shape(params[key])
        check_true(
            got == shape,
            f"TwoLayerNet({d}, {h}, {c}) の params['{key}'] の形状は {shape} のはずですが {got} です。",
        )
    return {key: np.asarray(value, dtype=np.float64) for key, value in params.items()}


def _new_network(run: Runner, sizes: tuple[int, int, int], std: float) -> tuple:
    handle = run.new("TwoLayerNet", *sizes, weight_init_std=std)
    return handle, _params_of(run, handle, sizes)


def _reference_last_layer(
    scores: np.ndarray, t: np.ndarray, variant: str = "correct", eps: float = 1e-7
) -> tuple[float, np.ndarray]:
    """(loss, ∂L/∂scores) of the reference SoftmaxWithLoss (``eps`` in the log), or of it with one
    known mistake of exercise 3 (the mistakes that check_softmax_with_loss names)."""
    n, c = scores.shape
    y = ref.softmax(scores)
    labels = np.argmax(t, axis=1) if np.ndim(t) == 2 else np.asarray(t)
    loss = ref.cross_entropy_error(y, labels, eps=eps)
    y_minus_t = y - _one_hot(labels, c)
    return {
        "correct": (loss, y_minus_t / n),
        "sum_loss": (loss * n, y_minus_t / n),  # the loss summed over the batch (backward right)
        "no_n": (loss, y_minus_t),  # backward not divided by N
        "by_c": (loss, y_minus_t / c),  # backward divided by C instead of N
        "sign": (loss, -y_minus_t / n),  # backward with the sign flipped
        "no_t": (loss, y / n),  # backward without subtracting t
    }[variant]


_LAST_LAYER_VARIANTS = ("sum_loss", "no_n", "by_c", "sign", "no_t")
# the eps of a correct last layer: the given 1e-7, none (the exact loss) or another usual small value
_LAST_LAYER_EPS = (1e-7, 0.0, 1e-8, 1e-6)


def _learner_last_layer(run: Runner, scores: np.ndarray, t: np.ndarray) -> tuple[float, np.ndarray] | None:
    """(loss, ∂L/∂scores) from the learner's own SoftmaxWithLoss, or None if it does not run."""
    try:
        layer = run.new("SoftmaxWithLoss", substitute=_LOSS_SUBSTITUTES)
        loss = run.method(layer, "forward", scores, t, substitute=_LOSS_SUBSTITUTES)
        dscores = run.method(layer, "backward", 1.0, substitute=_LOSS_SUBSTITUTES)
        if np.shape(dscores) != scores.shape or np.ndim(loss) != 0:
            return None
        return float(loss), np.asarray(dscores, dtype=np.float64)
    except (CheckFailure, TypeError, ValueError):
        return None


_LAST_LAYER_NOTE = (
    "\n(SoftmaxWithLoss (演習 3) が動かないか正しくないため、その部分は模範解答の値と比べています。"
    "先に演習 3 を直してください。)"
)


def _last_layers(run: Runner, scores: np.ndarray, t: np.ndarray) -> tuple[list[tuple[float, np.ndarray]], str]:
    """The accepted (loss, ∂L/∂scores) of the last layer, all computed by the reference: the
    known mistake that the learner's own SoftmaxWithLoss shows on these inputs (if any) first,
    then the reference; and the note to add to a failure (empty when the learner's layer is right)."""
    reference = _reference_last_layer(scores, t)
    own = _learner_last_layer(run, scores, t)
    if own is None:
        return [reference], _LAST_LAYER_NOTE

    def shows(candidate: tuple[float, np.ndarray]) -> bool:
        return _close(own[0], candidate[0]) and _close(own[1], candidate[1])

    for eps in _LAST_LAYER_EPS:
        correct = _reference_last_layer(scores, t, eps=eps)
        if shows(correct):
            return [correct], ""
    for variant in _LAST_LAYER_VARIANTS:
        candidate = _reference_last_layer(scores, t, variant)
        if shows(candidate):
            return [candidate, reference], ""
    return [reference], _LAST_LAYER_NOTE


def _backprop(
    params: dict, x: np.ndarray, dscores: np.ndarray, reverse: bool = True, skip_relu: bool = False
) -> dict | None:
    """Gradients of the reference layers from ∂L/∂scores; reverse=False runs the layers'
    backward in FORWARD order, skip_relu=True leaves out the ReLU's backward (its mask):
    classic mistakes. None if the shapes then clash."""
    layers = [ref.Affine(params["W1"].copy(), params["b1"].copy()), ref.Relu()]
    layers.append(ref.Affine(params["W2"].copy(), params["b2"].copy()))
    out = x
    for layer in layers:
        out = layer.forward(out)
    dout = dscores
    backward = [layer for layer in layers if not (skip_relu and isinstance(layer, ref.Relu))]
    try:
        for layer in reversed(backward) if reverse else backward:
            dout = layer.backward(dout)
    except ValueError:
        return None
    return {"W1": layers[0].dW, "b1": layers[0].db, "W2": layers[2].dW, "b2": layers[2].db}


def _close(got, expected) -> bool:
    got = np.asarray(got, dtype=np.float64)
    return got.shape == np.shape(expected) and bool(np.allclose(got, expected, rtol=1e-7, atol=1e-10))


def _check_initial_params(run: Runner, std: float) -> None:
    """Initialisation: biases 0, weights with the requested standard deviation."""
    _, params = _new_network(run, (30, 40, 20), std)
    for key in ("b1", "b2"):
        check_array(params[key], np.zeros_like(params[key]), f"params['{key}'] の初期値", show_values=False)
    for key in ("W1", "W2"):
        measured = float(np.std(params[key]))
        check_true(
            0.8 * std < measured < 1.2 * std,
            f"weight_init_std={std:.3f} で作った params['{key}'] の標準偏差が {measured:.3g} です。"
            "重みは weight_init_std × 標準正規分布の乱数 (rng.standard_normal) にしてください。",
        )


def _check_predict(run: Runner, cases: list, networks: list) -> None:
    """predict on a new network per case; keeps (handle, params, scores) in ``networks`` for loss and accuracy."""
    for sizes, n, x, *_ in cases:
        handle, params = _new_network(run, sizes, 1.0)
        scores = _scores(params, x)
        networks.append((handle, params, scores))
        check_array(
            run.method(handle, "predict", x, substitute=_LOSS_SUBSTITUTES),
            scores,
            f"predict (TwoLayerNet{sizes}、N={n})",
            show_values=False,
            mistakes=[
                (
                    ref.softmax(scores),
                    "predict はソフトマックスをかける前のスコアを返します (ソフトマックスは last_layer の中)。",
                ),
                ((x @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"], "隠れ層の ReLU を通していません。"),
                (
                    ref.sigmoid(x @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"],
                    "隠れ層の活性化関数は ReLU です。",
                ),
            ],
        )


def _check_network_loss(run: Runner, cases: list, networks: list) -> None:
    for (sizes, n, x, labels, *_), (handle, _, scores) in zip(cases, networks):
        where = f"TwoLayerNet{sizes}、N={n}"
        for t, kind in [(labels, "ラベル"), (_one_hot(labels, sizes[2]), "one-hot")]:
            candidates, note = _last_layers(run, scores, t)
            got = run.method(handle, "loss", x, t, substitute=_LOSS_SUBSTITUTES)
            if any(_close(got, loss) for loss, _ in candidates):
                continue
            try:
                check_scalar(
                    got,
                    candidates[0][0],
                    f"loss ({where}、t が{kind})",
                    rtol=1e-9,
                    show_values=False,
                    mistakes=[
                        (
                            ref.cross_entropy_error(ref.softmax(ref.softmax(scores)), labels),
                            "ソフトマックスを 2 回かけています。"
                            "predict はスコアを返し、loss は last_layer.forward に任せます。",
                        )
                    ],
                )
            except CheckFailure as failure:
                raise CheckFailure(f"{failure}{note}") from None


def _check_network_accuracy(run: Runner, cases: list, networks: list) -> None:
    for (sizes, n, x, _, agree, other), (handle, _, scores) in zip(cases, networks):
        # labels that partly agree with the prediction, so that the accuracy is not trivially 0
        labels = np.where(agree, scores.argmax(axis=1), other)
        expected_acc = float(np.mean(scores.argmax(axis=1) == labels))
        for t, kind in [(labels, "ラベル"), (_one_hot(labels, sizes[2]), "one-hot")]:
            check_scalar(
                run.method(handle, "accuracy", x, t, substitute=_LOSS_SUBSTITUTES),
                expected_acc,
                f"accuracy (TwoLayerNet{sizes}、N={n}、t が{kind})",
                show_values=False,
                mistakes=[(expected_acc * n, "正解の個数ではなく割合 (0 以上 1 以下) を返してください。")]
                if n > 1
                else [],
            )


def check_two_layer_net_forward(run: Runner, rng: np.random.Generator) -> None:
    std = float(rng.uniform(0.02, 0.2))
    cases = []  # (sizes, N, x, labels of the loss, which labels of the accuracy agree, the others)
    for sizes, n in [((5, 4, 3), 1), ((8, 6, 10), 12), ((3, 7, 2), 5)]:
        x = rng.standard_normal((n, sizes[0]))
        labels = rng.integers(0, sizes[2], size=n)
        agree = rng.random(n) < 0.5
        cases.append((sizes, n, x, labels, agree, rng.integers(0, sizes[2], size=n)))
    networks: list[tuple] = []  # (handle, params, scores) per case, from the predict property
    predict = "predict の値 (ソフトマックスの前のスコア、N=1 を含む 3 つの大きさ)"
    with properties(run) as network:
        network.check(
            "params の形状と初期値 (バイアスは 0、重みの標準偏差は weight_init_std)", _check_initial_params, run, std
        )
        network.check(predict, _check_predict, run, cases, networks)
        network.check("loss の値 (t はラベルと one-hot)", _check_network_loss, run, cases, networks, needs=[predict])
        network.check(
            "accuracy の値 (正解の割合、t はラベルと one-hot)",
            _check_network_accuracy,
            run,
            cases,
            networks,
            needs=[predict],
        )


def _gradient_mistakes(key: str, n: int, expected: dict, wrong_order: dict | None, stale: dict, no_relu: dict) -> list:
    """Known mistakes of TwoLayerNet.gradient for one key, as (value, hint)."""
    found = []
    if key in ("W1", "b1"):  # the ReLU lies between Affine2 and Affine1: only the first layer's gradients change
        found.append(
            (
                no_relu[key],
                "ReLU レイヤの逆伝播 (マスク) を通していません。Affine2 → Relu1 → Affine1 の順に、"
                "ReLU も含めてすべての層の backward を呼んでください。",
            )
        )
    if n > 1:
        found.append(
            (
                n * expected[key],
                "勾配が N 倍になっています。バッチ平均の損失の勾配 (y − t) / N から逆伝播してください "
                "(last_layer.backward(1.0) の結果をそのまま使う)。",
            )
        )
    for other in KEYS:
        if other != key and expected[other].shape == expected[key].shape:
            found.append(
                (expected[other], f"'{key}' に '{other}' の勾配を入れています。キーと層の対応を確かめてください。")
            )
    if wrong_order is not None:
        found.append(
            (
                wrong_order[key],
                "逆伝播を順伝播と同じ順番で行っています。backward は最後の層から最初の層へ、順伝播と逆の順に呼びます。",
            )
        )
    found.append(
        (
            stale[key],
            "前に呼んだ loss の入力に対する勾配になっています。gradient の最初で、渡された x, t で"
            "順伝播 (損失の計算) をやり直してください。",
        )
    )
    return found


def _check_gradient_dict(got, candidates: list[dict], where: str, mistakes: dict, note: str) -> None:
    check_true(isinstance(got, dict), f"gradient ({where}) は辞書を返してください (実際: {type(got).__name__})。")
    missing, extra = sorted(set(KEYS) - set(got)), sorted(set(got) - set(KEYS))
    check_true(
        not missing and not extra,
        f"gradient ({where}) の辞書のキーは params と同じ {sorted(KEYS)} にしてください"
        + (f" (足りないキー: {missing})" if missing else "")
        + (f" (余分なキー: {extra})" if extra else "")
        + "。",
    )
    if any(all(_close(got[key], expected[key]) for key in KEYS) for expected in candidates):
        return
    try:
        for key in KEYS:
            check_array(
                got[key],
                candidates[0][key],
                f"gradient(...)['{key}'] ({where})",
                rtol=1e-7,
                atol=1e-10,
                show_values=False,
                mistakes=mistakes[key],
            )
    except CheckFailure as failure:
        raise CheckFailure(f"{failure}{note}") from None


def _check_backprop_gradient(run: Runner, cases: list) -> None:
    subs = _LOSS_SUBSTITUTES
    for sizes, n, x, x_other, t, t_other in cases:
        handle, params = _new_network(run, sizes, 1.0)
        where = f"TwoLayerNet{sizes}、N={n}"
        last_layers, note = _last_layers(run, _scores(params, x), t)
        candidates = [_backprop(params, x, dscores) for _, dscores in last_layers]
        _, dscores_other = _last_layers(run, _scores(params, x_other), t_other)[0][0]
        stale = _backprop(params, x_other, dscores_other)
        wrong_order = _backprop(params, x, last_layers[0][1], reverse=False)
        no_relu = _backprop(params, x, last_layers[0][1], skip_relu=True)
        mistakes = {key: _gradient_mistakes(key, n, candidates[0], wrong_order, stale, no_relu) for key in KEYS}

        run.method(handle, "loss", x_other, t_other, substitute=subs)  # leaves other data in the layers
        try:
            got = run.method(handle, "gradient", x, t, substitute=subs)
        except CheckFailure as failure:
            hint = ""
            if "ValueError" in str(failure):
                hint = (
                    "\nヒント: 形状が合わないという例外なら、逆伝播の順番 (最後の層から最初の層へ) と、"
                    "各層の backward に前の層の戻り値を渡しているかを確かめてください。"
                )
            raise CheckFailure(f"{failure}{hint}{note}") from None
        _check_gradient_dict(got, candidates, where, mistakes, note)


def _check_numerical_gradient(run: Runner, sizes: tuple[int, int, int], x: np.ndarray, t: np.ndarray) -> None:
    """Compared with the reference's central differences of the same loss, from the network's initial parameters."""
    n = x.shape[0]
    handle, params = _new_network(run, sizes, 1.0)
    got = run.method(handle, "numerical_gradient", x, t, substitute=_LOSS_SUBSTITUTES)
    check_true(isinstance(got, dict), "numerical_gradient は辞書を返してください。")
    check_true(
        set(got) == set(KEYS),
        f"numerical_gradient の辞書のキーは {sorted(KEYS)} にしてください (実際: {sorted(got)})。",
    )
    # the learner's own SoftmaxWithLoss computes the loss: any eps of LOSS_EPS_RANGE (or the
    # given 1e-7) is correct and moves these differences by more than the tolerance
    by_eps = {eps: _numerical_gradient_at_eps(params, x, t, eps) for eps in (1e-7, *LOSS_EPS_RANGE)}
    if any(all(np.allclose(got[key], want[key], rtol=1e-6, atol=1e-9) for key in KEYS) for want in by_eps.values()):
        return
    expected = by_eps[1e-7]
    for key in KEYS:
        check_array(
            got[key],
            expected[key],
            f"numerical_gradient(...)['{key}'] (TwoLayerNet{sizes}、N={n})",
            # both are central differences with h = 1e-4; a learner's last layer that differs
            # from the reference only in the backward changes nothing here
            rtol=1e-6,
            atol=1e-9,
            show_values=False,
            mistakes=[
                (
                    np.zeros_like(expected[key]),
                    "勾配が 0 です。numerical_gradient が動かす配列 self.params[key] が、損失の計算に使われていません。"
                    "Affine には params の配列そのもの (コピーではなく) を渡し、numerical_gradient にも "
                    "self.params[key] そのものを渡してください。",
                )
            ],
        )


def check_two_layer_net_gradient(run: Runner, rng: np.random.Generator) -> None:
    cases = []
    # square sizes (D = H = C) make the wrong-key and wrong-order mistakes computable
    for sizes, n in [((4, 4, 4), 1), ((4, 4, 4), 6), ((6, 5, 3), 8), ((3, 8, 10), 1)]:
        x, x_other = rng.standard_normal((n, sizes[0])), rng.standard_normal((n, sizes[0]))
        t = rng.integers(0, sizes[2], size=n)
        t_other = rng.integers(0, sizes[2], size=n)
        if rng.random() < 0.5:
            t = _one_hot(t, sizes[2])
        cases.append((sizes, n, x, x_other, t, t_other))
    sizes, n = (3, 4, 3), 2
    x, t = rng.standard_normal((n, sizes[0])), rng.integers(0, sizes[2], size=n)
    with properties(run) as gradient:
        gradient.check(
            "誤差逆伝播法による勾配 (gradient、N=1 を含む 4 つの大きさ)", _check_backprop_gradient, run, cases
        )
        gradient.check("数値微分による勾配 (numerical_gradient)", _check_numerical_gradient, run, sizes, x, t)


def _numerical_gradient_at_eps(params: dict, x: np.ndarray, t: np.ndarray, eps: float) -> dict[str, np.ndarray]:
    """Central differences (the reference's numerical_gradient) of the TwoLayerNet loss with ``eps`` in the log."""
    work = {key: np.array(value, dtype=np.float64) for key, value in params.items()}

    def loss(_: np.ndarray) -> float:
        return ref.cross_entropy_error(ref.softmax(_scores(work, x)), t, eps=eps)

    return {key: ref.numerical_gradient(loss, work[key]) for key in KEYS}


# ---------------------------------------------------------------------------- training
def _training_diagnosis(run: Runner, rng: np.random.Generator) -> str:
    """When the trained network is bad: a hint naming the exercise whose code most likely
    broke the training, found by running the learner's SoftmaxWithLoss and TwoLayerNet.gradient
    on a small random batch (exercises 3 and 5 are graded on their own; this only explains)."""
    subs = _LOSS_SUBSTITUTES
    n, c = 8, 5
    x, labels = rng.standard_normal((n, c)) * 2, rng.integers(0, c, size=n)
    expected = (ref.softmax(x) - _one_hot(labels, c)) / n
    try:
        layer = run.new("SoftmaxWithLoss", substitute=subs)
        run.method(layer, "forward", x, labels, substitute=subs)
        dx = np.asarray(run.method(layer, "backward", substitute=subs), dtype=np.float64)
    except (CheckFailure, TypeError, ValueError):
        dx = None
    if dx is not None and _close(dx, n * expected):
        return (
            "\nヒント: SoftmaxWithLoss.backward がバッチサイズ N で割っていません (演習 3)。勾配が N 倍になり、"
            "学習率を N 倍にしたのと同じなので、学習が発散します。"
        )
    if dx is None or not _close(dx, expected):
        return "\nヒント: SoftmaxWithLoss.backward (演習 3) の結果が正しくありません。先に演習 3 を直してください。"
    try:
        sizes = (6, 5, c)
        handle, params = _new_network(run, sizes, 1.0)
        x = rng.standard_normal((n, sizes[0]))
        got = run.method(handle, "gradient", x, labels, substitute=subs)
        expected_grads = _backprop(params, x, _reference_last_layer(_scores(params, x), labels)[1])
        right = isinstance(got, dict) and all(key in got and _close(got[key], expected_grads[key]) for key in KEYS)
    except (CheckFailure, TypeError, ValueError):
        right = False
    if not right:
        return "\nヒント: TwoLayerNet.gradient (演習 4) の勾配が正しくありません。先に演習 4 を直してください。"
    return ""


def check_trained_network(run: Runner, rng: np.random.Generator) -> None:
    try:
        params = run.value("trained_network.params")
    except CheckFailure as failure:
        raise CheckFailure(
            f"{failure}\n学習のセルで trained_network, history = train_two_layer_net(...) を実行し、"
            "学習した TwoLayerNet のオブジェクトを trained_network に入れてください (採点はその params から行います)。"
        ) from None
    check_true(
        isinstance(params, dict) and set(KEYS) <= set(params),
        "trained_network.params は 'W1'、'b1'、'W2'、'b2' を持つ辞書にしてください。",
    )
    params = {key: np.asarray(params[key], dtype=np.float64) for key in KEYS}
    (_, _), (x_test, t_test) = load_digits()
    d, c = x_test.shape[1], 10
    check_true(
        params["W1"].ndim == 2 and params["W1"].shape[0] == d,
        f"trained_network.params['W1'] の形状は (64, 隠れ層の大きさ) のはずですが {params['W1'].shape} です。",
    )
    h = params["W1"].shape[1]
    shapes = {"b1": (h,), "W2": (h, c), "b2": (c,)}
    for key, shape in shapes.items():
        check_true(
            params[key].shape == shape,
            f"trained_network.params['{key}'] の形状は {shape} のはずですが {params[key].shape} です。",
        )
    if not all(np.all(np.isfinite(params[key])) for key in KEYS):
        raise CheckFailure(
            "trained_network のパラメータに nan または inf があります。学習率が大きすぎて発散していませんか。"
            + _training_diagnosis(run, rng)
        )
    with np.errstate(all="ignore"):  # huge (diverged) weights still give an argmax
        accuracy = float(np.mean(_scores(params, x_test).argmax(axis=1) == t_test))
    if accuracy < GRADED_ACCURACY:
        raise CheckFailure(
            f"trained_network のパラメータで計算した digits のテスト正解率は {accuracy:.1%} で、"
            f"{GRADED_ACCURACY:.0%} に届いていません。"
            "学習していない (あるいは学習が進んでいない) ネットワークでは点になりません。"
            "TwoLayerNet.gradient が勾配確認に通るか、"
            "更新が params の配列を累算代入 (-=) でその場で書き換えているかを確かめてください。"
            + _training_diagnosis(run, rng)
        )


# ---------------------------------------------------------------------------- sanity checks
def check_expected_initial_loss(run: Runner, rng: np.random.Generator) -> None:
    for num_classes in [2, int(rng.integers(3, 30)), int(rng.integers(30, 5000))]:
        expected = ref.expected_initial_loss(num_classes)
        check_scalar(
            run.call("expected_initial_loss", num_classes),
            expected,
            f"expected_initial_loss({num_classes})",
            rtol=1e-12,
            atol=0.0,
            mistakes=[
                (
                    np.log10(num_classes),
                    "常用対数 (log10) になっています。交差エントロピー誤差の log は自然対数 (np.log) です。",
                ),
                (
                    np.log2(num_classes),
                    "2 を底とする対数になっています。交差エントロピー誤差の log は自然対数 (np.log) です。",
                ),
                (-expected, "符号が逆です。損失は −log(1/C) = ln C で、正の値です。"),
                (1 / num_classes, "確率 1/C そのものを返しています。損失はその −log です。"),
                (
                    expected / num_classes,
                    "ln C をさらに C で割っています。(N, C) の全要素で平均をとったときの誤りの値です。"
                    "損失はサンプルについての平均なので ln C のままです。",
                ),
            ],
        )


class _TinyNetLoss:
    """Batch-mean cross-entropy (eps 1e-7, as the given cross_entropy_error) of a two-layer ReLU
    network at the parameters it is called with; the objective of the check's loss function."""

    def __init__(self, x: np.ndarray, labels: np.ndarray) -> None:
        self.x, self.labels = x, labels

    def __call__(self, params: dict) -> float:
        work = {key: np.asarray(params[key], dtype=np.float64) for key in KEYS}
        return float(ref.cross_entropy_error(ref.softmax(_scores(work, self.x)), self.labels))


class _TinyNetGradient(_TinyNetLoss):
    """Backprop gradients (the reference layers) of the same loss, as a dict with the keys of params."""

    def __call__(self, params: dict) -> dict:
        work = {key: np.asarray(params[key], dtype=np.float64) for key in KEYS}
        dscores = _reference_last_layer(_scores(work, self.x), self.labels)[1]
        return _backprop(work, self.x, dscores)


def _reference_losses(params: dict, loss, gradient, learning_rate: float, steps: int) -> list[float]:
    """The losses of the reference loop, run on a copy of params with the check's own loss and gradient."""
    work = learner_copy(params)
    return ref.overfit_tiny_subset(work, lambda: loss(work), lambda: gradient(work), learning_rate, steps)


def _descent_variant(params: dict, loss, gradient, learning_rate: float, steps: int, mistake: str) -> list[float]:
    """Losses of a known wrong loop (mistake: ascent, stale, no_lr or weights_only) on a copy of params."""
    work = {key: np.array(value, dtype=np.float64) for key, value in params.items()}
    losses = [loss(work)]
    grads = gradient(work)
    for _ in range(steps):
        if mistake != "stale":
            grads = gradient(work)
        for key in work:
            if mistake == "weights_only" and not key.startswith("W"):
                continue
            sign = -1.0 if mistake == "ascent" else 1.0
            work[key] -= sign * (1.0 if mistake == "no_lr" else learning_rate) * grads[key]
        losses.append(loss(work))
    return losses


def _overfit_case(rng: np.random.Generator, sizes: tuple[int, int, int], n: int) -> tuple:
    """Initial params, inputs x and labels of a tiny TwoLayerNet problem."""
    d, h, c = sizes
    params = {
        "W1": rng.standard_normal((d, h)) * 0.5,
        "b1": rng.standard_normal(h) * 0.1,
        "W2": rng.standard_normal((h, c)) * 0.5,
        "b2": rng.standard_normal(c) * 0.1,
    }
    x, labels = rng.standard_normal((n, d)), rng.integers(0, c, size=n)
    return params, x, labels


_OVERFIT_NOT_IN_PLACE = (
    "損失が更新の前のまま変わりません。params[key] = … で新しい配列を辞書に入れていませんか。"
    "loss と gradient (ネットワークの層) が使うのは、最初に params にあった配列そのものです。"
    "その配列をその場で (-= で) 更新してください。"
)


def _check_overfit_case(run: Runner, sizes: tuple, n: int, learning_rate: float, steps: int, case: tuple) -> None:
    params, x, labels = case
    loss, gradient = _TinyNetLoss(x, labels), _TinyNetGradient(x, labels)
    expected = _reference_losses(params, loss, gradient, learning_rate, steps)
    where = f"overfit_tiny_subset (TwoLayerNet{sizes}、N={n}、learning_rate={learning_rate}、steps={steps})"
    got = run.call(
        "overfit_tiny_subset",
        params=learner_copy(params),
        loss=ReadsArgument(loss, "params"),
        gradient=ReadsArgument(gradient, "params"),
        learning_rate=learning_rate,
        steps=steps,
    )
    if steps == 0:
        check_unchanged(run, "params", f"{where}: steps=0 なのに params を書き換えました。")
    check_true(
        isinstance(got, (tuple, list)),
        f"{where} は損失のリストを返してください (実際: {type(got).__name__})。",
    )
    check_true(
        len(got) == steps + 1,
        f"{where} の戻り値の長さは steps + 1 = {steps + 1} のはずですが {len(got)} です。"
        + (" 更新の前の損失 (0 番目) と、毎回の更新の後の損失を記録してください。" if len(got) == steps else ""),
    )
    mistakes = [(expected[1:] + expected[-1:], "0 番目に更新の前の損失が入っていません。")] if steps else []
    if steps:
        mistakes.append(([expected[0]] * (steps + 1), _OVERFIT_NOT_IN_PLACE))
    if steps > 1:
        for mistake, hint in [
            ("ascent", "勾配の向きに進んでいます (損失が増えます)。params から学習率 × 勾配を引いてください。"),
            (
                "stale",
                "最初の点の勾配を使い続けています。毎回の更新の直前に gradient() を呼び直してください。",
            ),
            ("no_lr", "学習率 learning_rate を掛けずに勾配をそのまま引いています。"),
            (
                "weights_only",
                "重み (W1、W2) だけを更新しています。params のすべてのキー (バイアスも) を更新してください。",
            ),
        ]:
            mistakes.append((_descent_variant(params, loss, gradient, learning_rate, steps, mistake), hint))
    check_array(
        list(got),  # check_array turns a list that is not numbers into a diagnostic
        expected,
        f"{where} の損失のリスト",
        # the same arithmetic as the reference loop: only the rounding of the updates may differ
        rtol=1e-9,
        atol=1e-12,
        show_values=False,
        mistakes=mistakes,
    )


def check_overfit_tiny_subset(run: Runner, rng: np.random.Generator) -> None:
    # The learner's loop gets the check's own loss and gradient (computed here by the reference from the
    # params the loop is updating, ReadsArgument): only the loop is graded, whatever exercises 3 and 4 hold.
    many = int(rng.integers(15, 25))
    cases = [((5, 6, 3), 6, 0.5, many), ((4, 8, 4), 8, 0.3, 1), ((3, 5, 2), 4, 0.4, 0)]
    drawn = [_overfit_case(rng, sizes, n) for sizes, n, _, _ in cases]
    names = [
        "勾配降下法で更新したときの損失のリスト (15 回から 24 回の更新)",
        "1 回だけの更新 (steps=1)",
        "steps=0 では params を変えず、更新の前の損失だけを返す",
    ]
    with properties(run) as loop:
        for name, case, inputs in zip(names, cases, drawn):
            loop.check(name, _check_overfit_case, run, *case, inputs)


CHECKS = {
    "softmax_jacobian": check_softmax_jacobian,
    "softmax_backward": check_softmax_backward,
    "softmax_with_loss": check_softmax_with_loss,
    "two_layer_net_forward": check_two_layer_net_forward,
    "two_layer_net_gradient": check_two_layer_net_gradient,
    "trained_network": check_trained_network,
    "expected_initial_loss": check_expected_initial_loss,
    "overfit_tiny_subset": check_overfit_tiny_subset,
}

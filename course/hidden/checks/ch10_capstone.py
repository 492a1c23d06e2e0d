"""Hidden checks of ch10_capstone (INSTRUCTOR ONLY).

A ``numpy.random.Generator`` cannot cross the sandbox boundary, an integer can: the learner's
``MultiLayerNetExtend`` is built through the notebook helper ``make_network(seed, ...)``, which
passes ``np.random.default_rng(seed)`` and then resets that generator to the state of
``default_rng([seed, 1])``; the reference network is built here the same way. Both then draw the
same dropout masks, however many numbers the learner's initialisation took, and the forward and
gradient checks give the reference the learner's initial weights (``own_weights``), so every
result can be compared exactly, call by call (running statistics of batch norm included). The layers are
given code (model solutions of earlier chapters), so nothing needs to be substituted.

The ``Trainer`` is driven through the helper ``train_two_layer_net_with_trainer`` with the
given ``TwoLayerNet``: a mistake in ``MultiLayerNetExtend`` costs nothing there. Likewise ``random_search``
is driven through the helper ``random_search_with_scores``, which sends plain data only (accuracies and configs)
and, for the call, puts a stand-in in place of the learner's ``sample_config`` (it draws one number from the
generator it is given, so the draws show which generator the search used): a mistake in ``sample_config`` costs
nothing there. ``sample_config`` is called through ``sample_configs_with_seed`` (a generator cannot cross the
sandbox boundary, a seed can) and graded on properties (ranges, log scale, same state same config). The final model
is read from ``final_model`` (``export_model(final_network)``, plain arrays), rebuilt with the
reference network and evaluated here in inference mode.

Tolerances: the same arithmetic in the same order on both sides, so relative 1e-7 (1e-10 for
the weights, which are one product each).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from course import evaluation_digits
from course import reference as ref
from course.checks import PROPERTY_LIST_HEADING, CheckFailure, check_array, check_true
from course.data import load_digits

from ..runner import Handle, Runner
from . import check_learner_accepts, check_learner_raises, learner_copy, needs_unless_all, properties

RTOL, ATOL = 1e-7, 1e-10
GRADED_ACCURACY = 0.97
SHIFTED_ACCURACY = 0.90  # on test images shifted and noisy as course.evaluation_digits, drawn per learner
SHIFTED_COPIES = 5
# Strings cannot cross the sandbox boundary: the notebook's helpers take a name as its position
# in this tuple, which must equal NAMES of the notebook's setup cell.
NAMES = ("relu", "sigmoid", "he", "xavier", "sgd", "momentum", "adam", "tanh", "lion")

_DROPOUT_NOTE = (
    "ドロップアウトのあるネットワークです。Dropout に、重みを引いたのと同じ rng と "
    "dropout_ratio を渡していますか。predict では BatchNormalization と Dropout にだけ train_flg を渡します。"
)
_BN_NOTE = (
    "バッチ正規化のあるネットワークです。params の 'gamma{i}'、'beta{i}' の配列そのものを渡した BatchNormalization を "
    "Affine{i} の直後 (活性化関数の前) に置き、predict ではこのレイヤに train_flg を渡していますか。"
)


def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**31 - 1))


def _check(actual: Any, expected: Any, name: str, *, mistakes=(), note: str = "", rtol=RTOL, atol=ATOL) -> None:
    """check_array for hidden checks; 0-d values are compared as shape (1,); ``note`` is appended on failure."""
    if np.ndim(expected) == 0:
        if isinstance(actual, (int, float, np.number)) or (isinstance(actual, np.ndarray) and actual.ndim == 0):
            actual = np.atleast_1d(actual)
        expected = np.atleast_1d(expected)
        mistakes = [(np.atleast_1d(value), hint) for value, hint in mistakes]
    try:
        check_array(actual, expected, name, rtol=rtol, atol=atol, mistakes=mistakes, show_values=False)
    except CheckFailure as failure:
        if note and "ヒント" not in str(failure):
            raise CheckFailure(f"{failure}\n{note}") from None
        raise


def _coded(options: dict) -> dict:
    """The options with every string replaced by its position in NAMES."""
    return {key: NAMES.index(value) if isinstance(value, str) else value for key, value in options.items()}


def _one_hot(labels: np.ndarray, c: int) -> np.ndarray:
    return np.eye(c)[labels]


# ---------------------------------------------------------------------------- the network
def _describe(d: int, hidden: list[int], c: int, options: dict) -> str:
    shown = ", ".join(f"{key}={value!r}" for key, value in options.items())
    return f"MultiLayerNetExtend({d}, {hidden}, {c}{', ' if shown else ''}{shown})"


class _Pair:
    """The learner's network (a handle) and the reference network built from the same seed.

    own_weights: the reference takes the learner's initial params (when their keys and shapes are
    right), so that forward and gradient are graded whatever generator calls drew the weights; the
    draws themselves are graded by check_multilayer_net_init only."""

    def __init__(
        self, run: Runner, rng: np.random.Generator, d: int, hidden: list[int], c: int, own_weights=False, **options
    ) -> None:
        self.run, self.d, self.hidden, self.c, self.options = run, d, hidden, c, options
        self.seed = _seed(rng)
        self.where = _describe(d, hidden, c, options)
        self.handle: Handle = run.new("make_network", self.seed, d, list(hidden), c, **learner_copy(_coded(options)))
        self.weights: dict[str, np.ndarray] | None = None
        if own_weights:
            self.weights = self._learner_weights()
        self.ref = self.clone()
        self.note = _DROPOUT_NOTE if options.get("use_dropout") else _BN_NOTE if options.get("use_batchnorm") else ""

    def _learner_weights(self) -> dict[str, np.ndarray] | None:
        """The learner's initial params, if they have the reference's keys and shapes and are finite."""
        try:
            got = self.run.attr(self.handle, "params")
        except CheckFailure:
            return None
        expected = self.clone().params
        if not isinstance(got, dict) or set(got) != set(expected):
            return None
        weights = {key: np.asarray(got[key], dtype=np.float64) for key in expected}
        if any(
            weights[key].shape != value.shape or not np.all(np.isfinite(weights[key]))
            for key, value in expected.items()
        ):
            return None
        return weights

    def clone(self, **changes) -> ref.MultiLayerNetExtend:
        """A fresh reference network of the same seed (with the learner's params, see own_weights), with
        some options changed (for the mistakes)."""
        options = {**self.options, **changes}
        rng = np.random.default_rng(self.seed)
        net = ref.MultiLayerNetExtend(self.d, self.hidden, self.c, rng=rng, **options)
        # as the notebook's make_network: the masks depend on the seed only, not on how the weights were drawn
        rng.bit_generator.state = np.random.default_rng([self.seed, 1]).bit_generator.state
        for key, value in (self.weights or {}).items():
            if key in net.params and net.params[key].shape == value.shape:  # a mistake may change the options
                net.params[key][...] = value  # in place: the layers hold these arrays
        return net

    def method(self, name: str, *args, **kwargs) -> Any:
        return self.run.method(self.handle, name, *args, **kwargs)


def _check_keys(got: Any, expected: dict, where: str) -> None:
    check_true(isinstance(got, dict), f"{where} の params は辞書にしてください (実際: {type(got).__name__})。")
    missing, extra = sorted(set(expected) - set(got)), sorted(set(got) - set(expected))
    if not missing and not extra:
        return
    hint = ""
    if any(key.startswith("gamma") for key in missing):
        hint = " use_batchnorm=True なら、隠れ層ごとに 'gamma{i}' (1) と 'beta{i}' (0) を params に入れます。"
    elif any(key.startswith(("gamma", "beta")) for key in extra):
        hint = (
            " 'gamma{i}'、'beta{i}' は use_batchnorm=True のときの隠れ層 (i = 1..L) にだけ作ります"
            " (出力層の Affine の後には入れません)。"
        )
    elif any(key.startswith(("W", "b")) for key in missing + extra):
        hint = " 重みは入力層から出力層まで len(hidden_size_list) + 1 個 (W1 … W{L+1}) です。"
    raise CheckFailure(
        f"{where} の params のキーが違います"
        + (f" (足りないキー: {missing})" if missing else "")
        + (f" (余分なキー: {extra})" if extra else "")
        + f"。{hint}"
    )


def _std_mistakes(init: Any, sizes: list[int], i: int) -> list[tuple[float, str]]:
    """The standard deviations of W{i} that the classic initialisation mistakes give, with their hints."""
    n_in, n_out, std_of = sizes[i - 1], sizes[i], ref.MultiLayerNetExtend._init_std
    found = []
    if isinstance(init, str):
        he = init.lower() in ("relu", "he")
        if n_out != n_in:
            found.append(
                (
                    std_of(init, n_out),
                    "標準偏差の n は、その層への入力の数 n_in (W の行数) です。出力の数を使っています。",
                )
            )
        if i > 1 and sizes[0] != n_in:
            found.append(
                (
                    std_of(init, sizes[0]),
                    "どの層も input_size で標準偏差を計算しています。n_in は層ごとの入力の数です。",
                )
            )
        if he:
            found.append(
                (ref.xavier_std(n_in), "'relu'/'he' には He の初期値 √(2/n_in) を使います (1/√n_in ではない)。")
            )
        else:
            found.append(
                (ref.he_std(n_in), "'sigmoid'/'xavier' には Xavier の初期値 1/√n_in を使います (√(2/n_in) ではない)。")
            )
            found.append(
                (
                    np.sqrt(2.0 / (n_in + n_out)),
                    "√(2/(n_in + n_out)) は Glorot と Bengio の元の式ですが、"
                    "この講座 (教科書) の 'xavier' は 1/√n_in です。",
                )
            )
    else:
        found.append((ref.he_std(n_in), "weight_init_std が数値のときは、その値をそのまま標準偏差にします。"))
    if not np.isclose(std_of(init, n_in), 0.01):
        found.append((0.01, "weight_init_std を使わず、標準偏差 0.01 で初期化しています。"))
    return found


def _check_weight_statistics(w: np.ndarray, std: float, mistakes: list[tuple[float, str]], where: str) -> None:
    """W drawn from N(0, std²): its sample mean and standard deviation within 6 standard errors
    (a correct draw fails with probability below 1e-8)."""
    n = w.size
    mean_tolerance = 6 * std / np.sqrt(n)
    std_tolerance = 6 / np.sqrt(2 * n)  # relative: the standard error of a sample std is about std/√(2n)
    got_mean, got_std = float(np.mean(w)), float(np.std(w))
    check_true(
        abs(got_mean) <= mean_tolerance,
        f"{where} の平均が {got_mean:.4g} で、0 から離れすぎています (許容 ±{mean_tolerance:.2g})。"
        "平均 0 の正規分布 (rng.standard_normal) に標準偏差を掛けていますか。",
    )
    if abs(got_std / std - 1) <= std_tolerance:
        return
    hints = [hint for value, hint in mistakes if abs(got_std / value - 1) <= std_tolerance]
    raise CheckFailure(
        f"{where} の標準偏差が {got_std:.4g} で、{std:.4g} のはずです (相対 ±{std_tolerance:.1%})。"
        + (f"\nヒント: {hints[0]}" if hints else "")
    )


_INIT_CASES = [
    # activation, weight_init_std, use_batchnorm, use_dropout, number of hidden layers
    ("relu", "relu", False, False, 2),
    ("sigmoid", "sigmoid", True, False, 1),
    ("relu", "he", True, True, 3),
    ("sigmoid", "xavier", False, False, 2),
    ("relu", None, False, False, 1),  # None: a float drawn below
    ("relu", "relu", False, False, 0),
]


def _check_init_shapes(run: Runner, rng: np.random.Generator, built: list) -> None:
    """Builds the networks of _INIT_CASES (recorded in ``built`` as (pair, params, init, sizes)) and checks the keys
    of their params and the shapes of their weights."""
    for activation, init, use_bn, use_dropout, depth in _INIT_CASES:
        # layers of 1,200 weights or more (the tolerance of the standard deviation is then 12% at most);
        # input, hidden and output sizes at least 1.5 times apart, so that the standard deviations of
        # n_in and of n_out (a classic mistake) differ by more than the tolerance on those layers
        d, c = int(rng.integers(150, 300)), int(rng.integers(20, 30))
        hidden = [int(h) for h in rng.integers(60, 100, size=depth)]
        init = float(np.round(rng.uniform(0.02, 0.3), 3)) if init is None else init
        options = dict(activation=activation, weight_init_std=init, use_batchnorm=use_bn, use_dropout=use_dropout)
        pair = _Pair(run, rng, d, hidden, c, **options)
        got = run.attr(pair.handle, "params")
        _check_keys(got, pair.ref.params, pair.where)
        sizes = [d, *hidden, c]
        for i in range(1, len(sizes)):
            key = f"W{i}"
            check_true(
                np.shape(got[key]) == (sizes[i - 1], sizes[i]),
                f"{pair.where} の params['{key}'] の形状は {(sizes[i - 1], sizes[i])} "
                f"のはずですが {np.shape(got[key])} です。",
            )
        built.append((pair, got, init, sizes))


def _check_init_weights(built: list) -> None:
    for pair, got, init, sizes in built:
        for i in range(1, len(sizes)):
            key = f"W{i}"
            std = ref.MultiLayerNetExtend._init_std(init, sizes[i - 1])
            where = f"{pair.where} の params['{key}'] (n_in = {sizes[i - 1]})"
            _check_weight_statistics(np.asarray(got[key], dtype=np.float64), std, _std_mistakes(init, sizes, i), where)


def _check_init_constants(built: list) -> None:
    for pair, got, _, _ in built:
        expected = pair.ref.params
        for key in expected:
            if not key.startswith("W"):
                kind = "1" if key.startswith("gamma") else "0"
                _check(got[key], expected[key], f"{pair.where} の params['{key}'] (初期値はすべて {kind})")


def _check_init_same_seed(run: Runner, built: list) -> None:
    for pair, got, _, _ in built:
        twin = run.attr(
            run.new("make_network", pair.seed, pair.d, list(pair.hidden), pair.c, **learner_copy(_coded(pair.options))),
            "params",
        )
        for key in pair.ref.params:
            check_true(
                np.array_equal(np.asarray(got[key]), np.asarray(twin[key])),
                f"{pair.where}: 同じシードの rng で作った 2 つのネットワークの params['{key}'] が違います。"
                "重みは引数の rng から引きます (np.random や、シードなしの Generator を使っていませんか)。",
            )


def check_multilayer_net_init(run: Runner, rng: np.random.Generator) -> None:
    """The properties the docstring and the public test state: keys and shapes, b = 0, gamma = 1,
    beta = 0, every W drawn from N(0, std(n_in)²) (checked by its mean and standard deviation on
    layers of at least 1,000 weights), and the same weights for the same seed. Which generator calls
    drew them is not graded."""
    built: list = []  # (pair, the learner's params, weight_init_std, layer sizes) of each network
    shapes = "params のキーと重み W の形状 (隠れ層 0〜3 層の 6 つの構成)"
    with properties(run) as init:
        init.check(shapes, _check_init_shapes, run, rng.spawn(1)[0], built)
        init.check("重み W の分布 (平均 0、層ごとの n_in で決まる標準偏差)", _check_init_weights, built, needs=[shapes])
        init.check("b と beta の初期値は 0、gamma の初期値は 1", _check_init_constants, built, needs=[shapes])
        init.check("同じシードの rng なら同じ params", _check_init_same_seed, run, built, needs=[shapes])


# ---------------------------------------------------------------------------- forward
_FORWARD_CASES = [
    # activation, use_batchnorm, use_dropout, weight decay, number of hidden layers
    ("relu", False, False, True, 2),
    ("sigmoid", True, False, False, 1),
    ("relu", True, False, True, 3),
    ("relu", False, False, True, 0),
    ("relu", False, True, False, 2),
    ("sigmoid", True, True, True, 1),
]


def _case_options(rng: np.random.Generator, activation: str, use_bn: bool, use_dropout: bool, decay: bool) -> dict:
    options: dict[str, Any] = dict(activation=activation, weight_init_std=activation)
    if decay:
        options["weight_decay_lambda"] = float(np.round(rng.uniform(0.05, 0.5), 3))
    if use_bn:
        options["use_batchnorm"] = True
    if use_dropout:
        options["use_dropout"] = True
        options["dropout_ratio"] = float(np.round(rng.choice([rng.uniform(0.15, 0.4), rng.uniform(0.6, 0.8)]), 3))
    return options


_DECAY_WEIGHTS_ONLY = "荷重減衰は重み W にだけかけます (b、gamma、beta は含めない)。"


def _loss_mistakes(net: ref.MultiLayerNetExtend, expected: float) -> list[tuple[float, str]]:
    lam = net.weight_decay_lambda
    if lam == 0:
        return []
    penalty = ref.l2_penalty(net.params, lam)
    data = expected - penalty
    everything = 0.5 * lam * sum(float(np.sum(p**2)) for p in net.params.values())
    return [
        (data, "荷重減衰の項 (λ/2) Σ‖W‖² (l2_penalty) が足されていません。"),
        (data + 2 * penalty, "荷重減衰の項は (λ/2) Σ‖W‖² です (1/2 を忘れていませんか)。"),
        (data + everything, _DECAY_WEIGHTS_ONLY),
    ]


def _check_forward_predict(run: Runner, rng: np.random.Generator, cases: list) -> None:
    """Builds the networks of _FORWARD_CASES (recorded in ``cases``) and checks predict in inference mode on a fresh
    network, N = 1 and N = n."""
    for activation, use_bn, use_dropout, decay, depth in _FORWARD_CASES:
        d, c = int(rng.integers(3, 9)), int(rng.integers(2, 6))
        hidden = [int(h) for h in rng.integers(3, 9, size=depth)]
        options = _case_options(rng, activation, use_bn, use_dropout, decay)
        pair = _Pair(run, rng, d, hidden, c, own_weights=True, **options)
        net, where, note = pair.ref, pair.where, pair.note
        n = int(rng.integers(3, 8))
        x1, x2, x3 = rng.standard_normal((1, d)), rng.standard_normal((n, d)), rng.standard_normal((n, d))
        labels = rng.integers(0, c, size=n)
        other_activation = "sigmoid" if activation == "relu" else "relu"
        for x in (x1, x2):
            expected = net.predict(x)
            mistakes = [
                (
                    ref.softmax(expected),
                    "predict はソフトマックスをかける前のスコアを返します (ソフトマックスは last_layer の中)。",
                ),
                (
                    pair.clone(activation=other_activation).predict(x),
                    f"活性化関数が違います。activation='{activation}' です。",
                ),
            ]
            if use_bn or use_dropout:
                mistakes.append(
                    (
                        pair.clone().predict(x, train_flg=True),
                        "predict(x) (train_flg=False) が学習モードで計算されています。"
                        "BatchNormalization と Dropout の forward に train_flg を渡してください。",
                    )
                )
            _check(
                pair.method("predict", x),
                expected,
                f"predict (推論モード、N={len(x)}、{where})",
                mistakes=mistakes,
                note=note,
            )
        cases.append(dict(pair=pair, n=n, x1=x1, x2=x2, x3=x3, labels=labels))


def _check_forward_loss(cases: list) -> None:
    for case in cases:
        pair, x2, labels = case["pair"], case["x2"], case["labels"]
        net, c = pair.ref, pair.c
        expected_loss = net.loss(x2, labels)
        mistakes = _loss_mistakes(net, expected_loss)
        if pair.options.get("use_batchnorm"):
            mistakes.append(
                (pair.clone().loss(x2, labels, True), "loss の train_flg の既定値は False (推論モード) です。")
            )
        for t, kind in [(labels, "ラベル"), (_one_hot(labels, c), "one-hot")]:
            _check(
                pair.method("loss", x2, t),
                expected_loss,
                f"loss (t が{kind}、{pair.where})",
                mistakes=mistakes,
                note=pair.note,
            )


def _check_forward_accuracy(rng: np.random.Generator, cases: list) -> None:
    for case in cases:
        pair, n, x2 = case["pair"], case["n"], case["x2"]
        net, c = pair.ref, pair.c
        scores = net.predict(x2)
        agree = np.where(rng.random(n) < 0.6, scores.argmax(axis=1), rng.integers(0, c, size=n))
        expected_acc = float(np.mean(scores.argmax(axis=1) == agree))
        for t, kind in [(agree, "ラベル"), (_one_hot(agree, c), "one-hot")]:
            _check(
                pair.method("accuracy", x2, t),
                expected_acc,
                f"accuracy (t が{kind}、{pair.where})",
                mistakes=[(expected_acc * n, "正解の個数ではなく割合を返してください。")],
                note=pair.note,
            )


def _check_forward_training(cases: list) -> None:
    """Training mode: batch statistics and dropout masks (the first masks of each seed)."""
    for case in cases:
        pair, n, x2, x3, labels = case["pair"], case["n"], case["x2"], case["x3"], case["labels"]
        net, where, note, options = pair.ref, pair.where, pair.note, pair.options
        use_bn, use_dropout = options.get("use_batchnorm", False), options.get("use_dropout", False)
        if not (use_bn or use_dropout):
            continue
        expected = net.predict(x2, train_flg=True)
        mistakes = [
            (
                pair.clone().predict(x2),
                "predict(x, train_flg=True) が推論モードで計算されています。train_flg を渡してください。",
            )
        ]
        if use_bn:
            mistakes.append(
                (
                    pair.clone(use_batchnorm=False).predict(x2, train_flg=True),
                    "バッチ正規化のレイヤが働いていません (use_batchnorm=True なら Affine の後に BatchNormalization)。",
                )
            )
        if use_dropout and options["dropout_ratio"] != 0.5:
            mistakes.append(
                (
                    pair.clone(dropout_ratio=0.5).predict(x2, train_flg=True),
                    "Dropout に dropout_ratio を渡していません。",
                )
            )
        _check(
            pair.method("predict", x2, train_flg=True),
            expected,
            f"predict(x, train_flg=True) (学習モード、N={n}、{where})",
            mistakes=mistakes,
            note=note,
        )
        expected = net.loss(x3, labels, train_flg=True)
        _check(
            pair.method("loss", x3, labels, train_flg=True),
            expected,
            f"2 回目の学習モードの loss(x, t, train_flg=True) ({where})",
            mistakes=_loss_mistakes(net, expected),
            note=note,
        )


def _check_forward_after_training(cases: list) -> None:
    """Inference after two training-mode passes: the running averages must have moved."""
    for case in cases:
        pair, x1 = case["pair"], case["x1"]
        use_bn = pair.options.get("use_batchnorm", False)
        if not (use_bn or pair.options.get("use_dropout", False)):
            continue
        expected = pair.ref.predict(x1)
        mistakes = []
        if use_bn:
            mistakes.append(
                (
                    pair.clone().predict(x1),
                    "推論モードの出力が学習前と同じです。学習モードの順伝播で"
                    "更新された BatchNormalization の移動平均が "
                    "使われていません (predict のたびにレイヤを作り直していませんか)。",
                )
            )
        _check(
            pair.method("predict", x1),
            expected,
            f"学習モードで 2 回順伝播した後の predict (推論モード、N=1、{pair.where})",
            mistakes=mistakes,
            note=pair.note,
        )


def check_multilayer_net_forward(run: Runner, rng: np.random.Generator) -> None:
    """Six networks (ReLU and sigmoid, 0 to 3 hidden layers, weight decay, batch norm, dropout), each called in turn:
    predict in inference mode, loss, accuracy, then (with batch norm or dropout) two training-mode passes and
    inference again. Every property after the first continues the calls on the networks the first one built."""
    cases: list = []  # filled by the first property: each network and its inputs
    inference = "推論モード (train_flg=False) の predict (N=1 と N>1、6 つの構成)"
    training = "学習モード (train_flg=True) の predict と loss (バッチ正規化、ドロップアウト)"
    with properties(run) as forward:
        forward.check(inference, _check_forward_predict, run, rng.spawn(1)[0], cases)
        forward.check(
            "loss (t がラベルでも one-hot でも、荷重減衰の項を含む)", _check_forward_loss, cases, needs=[inference]
        )
        forward.check(
            "accuracy (t がラベルでも one-hot でも)", _check_forward_accuracy, rng.spawn(1)[0], cases, needs=[inference]
        )
        forward.check(training, _check_forward_training, cases, needs=[inference])
        forward.check(
            "学習モードの順伝播の後の推論 (更新された移動平均を使う)",
            _check_forward_after_training,
            cases,
            needs=[training],
        )


# ---------------------------------------------------------------------------- gradient
def _collect(net: ref.MultiLayerNetExtend) -> dict[str, np.ndarray]:
    """Backward from what the last forward stored (no new forward), as ref.MultiLayerNetExtend.gradient."""
    dout = net.last_layer.backward(1.0)
    for layer in reversed(net.layers.values()):
        dout = layer.backward(dout)
    decay = ref.l2_penalty_grad(net.params, net.weight_decay_lambda)
    grads = {}
    for i in range(1, net.hidden_layer_num + 2):
        grads[f"W{i}"] = net.layers[f"Affine{i}"].dW + decay[f"W{i}"]
        grads[f"b{i}"] = net.layers[f"Affine{i}"].db
        if net.use_batchnorm and i <= net.hidden_layer_num:
            grads[f"gamma{i}"] = net.layers[f"BatchNorm{i}"].dgamma
            grads[f"beta{i}"] = net.layers[f"BatchNorm{i}"].dbeta
    return grads


def _check_gradient_dict(got: Any, expected: dict, where: str, mistakes: dict, note: str) -> None:
    check_true(isinstance(got, dict), f"gradient ({where}) は辞書を返してください (実際: {type(got).__name__})。")
    missing, extra = sorted(set(expected) - set(got)), sorted(set(got) - set(expected))
    check_true(
        not missing and not extra,
        f"gradient ({where}) の辞書のキーは params と同じにしてください"
        + (f" (足りないキー: {missing})" if missing else "")
        + (f" (余分なキー: {extra})" if extra else "")
        + "。バッチ正規化があれば 'gamma{i}'、'beta{i}' の勾配 (BatchNorm{i}.dgamma、.dbeta) も返します。",
    )
    for key in expected:
        _check(got[key], expected[key], f"gradient(...)['{key}'] ({where})", mistakes=mistakes.get(key, []), note=note)


def _gradient_mistakes(pair: _Pair, x, t, x_other, t_other, expected: dict) -> dict[str, list]:
    lam = pair.options.get("weight_decay_lambda", 0.0)
    found: dict[str, list] = {key: [] for key in expected}
    stale = pair.clone()
    stale.loss(x_other, t_other, train_flg=True)
    stale_grads = _collect(stale)
    inference = pair.clone()
    inference.loss(x_other, t_other, train_flg=True)
    inference.loss(x, t, train_flg=False)
    try:
        inference_grads = _collect(inference)
    except (ValueError, TypeError):
        inference_grads = None
    for key, value in expected.items():
        if key.startswith("W") and lam:
            found[key].append(
                (
                    value - lam * pair.ref.params[key],
                    "重みの勾配に荷重減衰の勾配 λW (l2_penalty_grad) が足されていません。",
                )
            )
        if key.startswith("gamma") and lam:
            found[key].append(
                (value + lam * pair.ref.params[key], "荷重減衰は重みだけです。gamma には λγ を足しません。")
            )
        found[key].append(
            (
                stale_grads[key],
                "前に呼んだ loss の入力に対する勾配になっています。"
                "gradient の最初で、渡された x, t で学習モードの順伝播 (損失の計算) を"
                "やり直してください。",
            )
        )
        if inference_grads is not None and pair.options.get("use_batchnorm"):
            found[key].append(
                (
                    inference_grads[key],
                    "gradient の順伝播が推論モードです。"
                    "学習モード (train_flg が真) で、バッチの統計量を使って順伝播してください。",
                )
            )
    return found


def _masks_follow_seed(run: Runner, pair: _Pair, x: np.ndarray) -> bool:
    """Whether a second learner network of the pair's seed gives the reference's training-mode scores
    on x (the same dropout masks)."""
    try:
        twin = run.new(
            "make_network", pair.seed, pair.d, list(pair.hidden), pair.c, **learner_copy(_coded(pair.options))
        )
        got = np.asarray(run.method(twin, "predict", x, train_flg=True), dtype=np.float64)
    except (CheckFailure, TypeError, ValueError):
        return False
    expected = pair.clone().predict(x, train_flg=True)
    return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=RTOL, atol=ATOL))


_GRADIENT_CASES = [
    # activation, use_batchnorm, weight decay, number of hidden layers, N
    ("relu", True, True, 2, 5),
    ("sigmoid", False, True, 1, 1),
    ("relu", False, False, 3, 4),
    ("relu", True, True, 1, 2),
    ("relu", False, True, 0, 1),
    ("sigmoid", True, False, 2, 6),
]


def _check_backprop(run: Runner, rng: np.random.Generator, built: list) -> None:
    """The gradient dicts of the networks of _GRADIENT_CASES, each called after a training-mode loss on other data;
    the networks with batch norm are recorded in ``built``."""
    for activation, use_bn, decay, depth, n in _GRADIENT_CASES:
        d, c = int(rng.integers(3, 8)), int(rng.integers(2, 6))
        hidden = [int(h) for h in rng.integers(3, 8, size=depth)]
        options = _case_options(rng, activation, use_bn, False, decay)
        pair = _Pair(run, rng, d, hidden, c, own_weights=True, **options)
        where = f"{pair.where}、N={n}"
        x, x_other = rng.standard_normal((n, d)), rng.standard_normal((n, d))
        t, t_other = rng.integers(0, c, size=n), rng.integers(0, c, size=n)
        if rng.random() < 0.5:
            t = _one_hot(t, c)
        pair.method("loss", x_other, t_other, train_flg=True)  # leaves other data in the layers
        pair.ref.loss(x_other, t_other, train_flg=True)
        expected = pair.ref.gradient(x, t)
        mistakes = _gradient_mistakes(pair, x, t, x_other, t_other, expected)
        _check_gradient_dict(pair.method("gradient", x, t), expected, where, mistakes, pair.note)
        if use_bn:
            built.append(pair)


def _check_running_averages_after_gradient(rng: np.random.Generator, built: list) -> None:
    for pair in built:
        x_new = rng.standard_normal((1, pair.d))
        _check(
            pair.method("predict", x_new),
            pair.ref.predict(x_new),
            f"gradient の後の predict (推論モード、N=1、{pair.where})",
            mistakes=[
                (
                    pair.clone().predict(x_new),
                    "gradient の順伝播で BatchNormalization の移動平均が更新されていません。",
                )
            ],
            note=pair.note,
        )


def _check_dropout_gradients(run: Runner, rng: np.random.Generator) -> None:
    """The masks of two successive gradient calls come from the shared rng. Whether the masks follow the seed at
    all is graded by the forward check (a Dropout without the network's rng loses those points there): when they
    do not, the gradient is not graded again on them."""
    options = _case_options(rng, "relu", True, True, True)
    d, c, n = int(rng.integers(3, 8)), int(rng.integers(2, 6)), int(rng.integers(3, 7))
    hidden = [int(h) for h in rng.integers(3, 8, size=2)]
    pair = _Pair(run, rng, d, hidden, c, own_weights=True, **options)
    calls = [(rng.standard_normal((n, d)), rng.integers(0, c, size=n)) for _ in range(2)]
    if not _masks_follow_seed(run, pair, rng.standard_normal((50, d))):  # 50 rows: no match by chance
        calls = []
    for call, (x, t) in enumerate(calls, start=1):
        expected = pair.ref.gradient(x, t)
        _check_gradient_dict(
            pair.method("gradient", x, t), expected, f"{pair.where}、N={n}、{call} 回目の呼び出し", {}, pair.note
        )


def _check_numerical_gradient(run: Runner, rng: np.random.Generator) -> None:
    """numerical_gradient of the training-mode loss."""
    options = dict(use_batchnorm=True, weight_decay_lambda=float(np.round(rng.uniform(0.05, 0.3), 3)))
    pair = _Pair(run, rng, 3, [3], 2, own_weights=True, **options)
    x, t = rng.standard_normal((3, 3)), rng.integers(0, 2, size=3)
    got = pair.method("numerical_gradient", x, t)
    expected = pair.ref.numerical_gradient(x, t)
    inference = pair.clone()
    inference_expected = {
        key: ref.numerical_gradient(lambda _: inference.loss(x, t, train_flg=False), value)
        for key, value in inference.params.items()
    }
    check_true(isinstance(got, dict), "numerical_gradient は辞書を返してください。")
    check_true(
        set(got) == set(expected),
        f"numerical_gradient の辞書のキーは params と同じ {sorted(expected)} にしてください (実際: {sorted(got)})。",
    )
    lam = options["weight_decay_lambda"]
    for key in expected:
        # a loss whose decay term also covers b, gamma, beta: its derivative adds λp to those keys
        # (visible on gamma = 1; b and beta are still 0 here)
        decay_everywhere = (
            [] if key.startswith("W") else [(expected[key] + lam * pair.ref.params[key], _DECAY_WEIGHTS_ONLY)]
        )
        _check(
            got[key],
            expected[key],
            f"numerical_gradient(...)['{key}'] ({pair.where}、N=3)",
            # both are central differences with h = 1e-4 of the same function
            rtol=1e-6,
            atol=1e-9,
            mistakes=[
                *decay_everywhere,
                (
                    inference_expected[key],
                    "推論モードの損失を微分しています。"
                    "numerical_gradient でも gradient と同じ学習モードの損失を微分します。",
                ),
                (
                    np.zeros_like(expected[key]),
                    "勾配が 0 です。numerical_gradient が動かす配列 self.params[key] が損失の計算に使われていません"
                    " (レイヤには params の配列そのものを渡します)。",
                ),
            ],
        )


def check_multilayer_net_gradient(run: Runner, rng: np.random.Generator) -> None:
    built: list = []  # the networks with batch norm of the first property, after their gradient call
    backprop = "誤差逆伝播法による勾配 (6 つの構成、荷重減衰とバッチ正規化を含む)"
    with properties(run) as gradient:
        gradient.check(backprop, _check_backprop, run, rng.spawn(1)[0], built)
        gradient.check(
            "gradient の順伝播でバッチ正規化の移動平均を更新する",
            _check_running_averages_after_gradient,
            rng,
            built,
            needs=[backprop],
        )
        gradient.check(
            "ドロップアウトのある勾配 (続けて 2 回呼んだときのマスク)", _check_dropout_gradients, run, rng.spawn(1)[0]
        )
        gradient.check(
            "numerical_gradient (学習モードの損失の数値微分)", _check_numerical_gradient, run, rng.spawn(1)[0]
        )


# ---------------------------------------------------------------------------- Trainer
def _simulate(sizes, net_seed, data, options, *, order="epoch", drop_last=False, loss_after=False, no_param=False,
              eval_full=False) -> dict:  # fmt: skip
    """The training loop with one classic mistake switched on; the reference Trainer when all are off."""
    x_tr, t_tr, x_te, t_te = data
    net = ref.TwoLayerNet(*sizes, weight_init_std=0.1, rng=np.random.default_rng(net_seed))
    name = options.get("optimizer", "sgd").lower()
    optimizer = ref.OPTIMIZERS[name](**({} if no_param else options.get("optimizer_param") or {}))
    rng = np.random.default_rng(options.get("seed", 0))
    batch, n = options.get("mini_batch_size", 100), len(x_tr)
    history: dict[str, list[float]] = {"train_loss": [], "train_acc": [], "test_acc": []}
    fixed = rng.permutation(n) if order == "once" else np.arange(n)
    stop = n - n % batch if drop_last else n
    count = options.get("evaluate_sample_num_per_epoch")
    for _ in range(options.get("epochs", 20)):
        if order == "choice":
            batches = [rng.choice(n, batch) for _ in range(-(-n // batch))]
        else:
            perm = rng.permutation(n) if order == "epoch" else fixed
            batches = [perm[start : start + batch] for start in range(0, stop, batch)]
        for idx in batches:
            grads = net.gradient(x_tr[idx], t_tr[idx])
            loss = float(net.last_layer.loss)
            optimizer.update(net.params, grads)
            history["train_loss"].append(net.loss(x_tr[idx], t_tr[idx]) if loss_after else loss)
        k = None if eval_full else count
        history["train_acc"].append(net.accuracy(x_tr[:k], t_tr[:k]))
        history["test_acc"].append(net.accuracy(x_te[:k], t_te[:k]))
    return history


_TRAINER_MISTAKES = [
    (dict(order="once"), "毎エポック並べ替え直していません。permutation はエポックのループの中で毎回呼びます。"),
    (
        dict(order="none"),
        "サンプルを並べ替えていません。各エポックの初めに self.rng で N 個の添字を並べ替え、その順に使います。",
    ),
    (
        dict(order="choice"),
        "ミニバッチを毎回 rng.choice で選んでいます (教科書の方法)。"
        "ここでは各エポックの初めに self.rng で N 個の添字を並べ替え、その順に"
        "前から mini_batch_size 個ずつ使います。",
    ),
    (dict(loss_after=True), "記録する損失は、更新の前 (gradient の中の順伝播) の network.last_layer.loss です。"),
    (
        dict(no_param=True),
        "最適化手法に optimizer_param が渡されていません。OPTIMIZERS から選んだクラスを作るときに、"
        "optimizer_param の中身をキーワード引数として渡します。",
    ),
    (
        dict(eval_full=True),
        "evaluate_sample_num_per_epoch が指定されたら、正解率は先頭のその個数のサンプルだけで測ります。",
    ),
]


_TRAINER_CASES = [
    # property name, N, one-hot labels, options
    (
        "学習曲線 history と学習後の params (SGD、N=7 を 3 個ずつ: 端数のミニバッチあり)",
        7,
        False,
        dict(epochs=2, mini_batch_size=3, optimizer="sgd", optimizer_param={"lr": 0.1}),
    ),
    (
        "one-hot のラベルと、optimizer_param を渡した Momentum (mini_batch_size=1)",
        5,
        True,
        dict(epochs=2, mini_batch_size=1, optimizer="momentum", optimizer_param={"lr": 0.05, "momentum": 0.8}),
    ),
    (
        "evaluate_sample_num_per_epoch が数値なら、正解率を先頭のその個数で測る (5 個、Adam)",
        13,
        False,
        dict(
            epochs=3,
            mini_batch_size=4,
            optimizer="adam",
            optimizer_param={"lr": 0.01},
            evaluate_sample_num_per_epoch=5,
        ),
    ),
    (
        "引数の既定値 (mini_batch_size=100 で 1 エポック 1 回の更新、lr=0.01)",
        9,
        False,
        dict(epochs=2, optimizer="sgd"),
    ),
]


def _check_trainer_case(run: Runner, rng: np.random.Generator, n: int, one_hot: bool, options: dict) -> None:
    """One training through the learner's Trainer: the history and the final params, against the reference."""
    sizes = [int(rng.integers(3, 6)), int(rng.integers(3, 7)), 3]
    net_seed = _seed(rng)
    options = {**options, "seed": _seed(rng)}
    x_tr, x_te = rng.standard_normal((n, sizes[0])), rng.standard_normal((n + 2, sizes[0]))
    t_tr, t_te = rng.integers(0, 3, size=n), rng.integers(0, 3, size=n + 2)
    if one_hot:
        t_tr, t_te = _one_hot(t_tr, 3), _one_hot(t_te, 3)
    data = (x_tr, t_tr, x_te, t_te)
    shown = ", ".join(f"{key}={value!r}" for key, value in options.items())
    where = f"N={n} の訓練データ、Trainer(..., {shown})"

    result = run.call("train_two_layer_net_with_trainer", net_seed, list(sizes), *data, **learner_copy(_coded(options)))
    check_true(
        isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], dict),
        "train (Trainer.train) は history の辞書を返してください。",
    )
    history, params = result
    net = ref.TwoLayerNet(*sizes, weight_init_std=0.1, rng=np.random.default_rng(net_seed))
    expected = ref.Trainer(net, *data, show_progress=False, **options).train()
    check_true(
        set(history) == set(expected),
        f"history のキーは 'train_loss'、'train_acc'、'test_acc' にしてください (実際: {sorted(history)})。",
    )
    epochs, batch = options["epochs"], options.get("mini_batch_size", 100)
    got_len = len(history["train_loss"])
    if got_len != len(expected["train_loss"]):
        hint = ""
        if got_len == epochs * (n // batch):
            hint = " 最後の端数のミニバッチ (N が mini_batch_size で割り切れないときの残り) も使ってください。"
        elif got_len == epochs:
            hint = " 'train_loss' はエポックごとの平均ではなく、ミニバッチごと (train_step ごと) に記録します。"
        raise CheckFailure(
            f"{where}: history['train_loss'] の長さが違います: 期待 {len(expected['train_loss'])} "
            f"(= {epochs} エポック × ⌈{n}/{batch}⌉)、実際 {got_len}。{hint}"
        )
    for key in ("train_acc", "test_acc"):
        check_true(
            len(history[key]) == epochs,
            f"{where}: history['{key}'] はエポックごとに 1 つ、{epochs} 個のはずですが {len(history[key])} 個です。",
        )
    variants = [(_simulate(sizes, net_seed, data, options, **switch), hint) for switch, hint in _TRAINER_MISTAKES]
    for key in ("train_loss", "train_acc", "test_acc"):
        mistakes = [(variant[key], hint) for variant, hint in variants if len(variant[key]) == len(expected[key])]
        _check(history[key], expected[key], f"history['{key}'] ({where})", mistakes=mistakes)
    for key, value in net.params.items():
        _check(params[key], value, f"学習後の params['{key}'] ({where})")


def check_trainer(run: Runner, rng: np.random.Generator) -> None:
    """Four trainings, each its own property: each case is one feature of the docstring (the last mini-batch of a
    size that does not divide N, one-hot labels and optimizer_param, evaluate_sample_num_per_epoch, the defaults)."""
    with properties(run) as trainer:
        for name, n, one_hot, options in _TRAINER_CASES:
            trainer.check(name, _check_trainer_case, run, rng.spawn(1)[0], n, one_hot, options)


# ---------------------------------------------------------------------------- validation split
def _find_rows(rows: np.ndarray, x: np.ndarray) -> np.ndarray | None:
    """Index in x of each row of rows (exact match), or None if some row is not a row of x."""
    flat_x, flat_rows = x.reshape(len(x), -1), rows.reshape(len(rows), -1)
    found = []
    for row in flat_rows:
        hits = np.flatnonzero(np.all(flat_x == row, axis=1))
        if len(hits) == 0:
            return None
        found.append(hits[0])
    return np.array(found, dtype=int)


def _same_split(first: Any, second: Any) -> bool:
    """Whether two results of train_validation_split hold the same four arrays."""
    try:
        pairs = zip((*first[0], *first[1]), (*second[0], *second[1]), strict=True)
        return all(np.array_equal(np.asarray(a), np.asarray(b)) for a, b in pairs)
    except (TypeError, IndexError, ValueError):
        return False


def _check_split_shapes(run: Runner, rng: np.random.Generator, splits: list) -> None:
    """One call per case (recorded in ``splits``): the form of the result and the shapes of the two parts."""
    # (60, 0.25) always: 15 of 60 rows, so a random split keeps the first 15 with probability 1/C(60, 15) < 1e-13
    cases = [(10, (3,), 0.3, False), (9, (2,), 0.3, True), (3, (2,), 0.5, False), (2, (4,), 0.5, False)]
    cases.append((60, (3,), 0.25, False))
    cases.append((int(rng.integers(40, 200)), (2, 2), float(np.round(rng.uniform(0.1, 0.45), 3)), True))
    cases.append((int(rng.integers(40, 200)), (5,), float(np.round(rng.uniform(0.1, 0.45), 3)), False))
    for n, tail, ratio, one_hot in cases:
        seed = _seed(rng)
        x = rng.standard_normal((n, *tail))
        labels = rng.integers(0, 4, size=n)
        t = _one_hot(labels, 4) if one_hot else labels
        where = f"train_validation_split(x (形状 {x.shape}), t (形状 {t.shape}), {ratio}, seed)"
        got = run.call("train_validation_split", x, t, ratio, seed)
        check_true(
            isinstance(got, tuple) and len(got) == 2 and all(isinstance(p, tuple) and len(p) == 2 for p in got),
            f"{where} は ((x_train, t_train), (x_val, t_val)) の形で返してください。",
        )
        (x_fit, t_fit), (x_val, t_val) = got
        (ex_fit, et_fit), (ex_val, et_val) = ref.train_validation_split(x, t, ratio, seed)
        n_val = len(ex_val)
        got_val = np.shape(x_val)[0] if np.ndim(x_val) else -1
        if np.shape(x_val) != ex_val.shape or np.shape(x_fit) != ex_fit.shape:
            hint = ""
            if np.shape(x_val) == ex_fit.shape and np.shape(x_fit) == ex_val.shape:
                hint = (
                    " 訓練データと検証データが入れ替わっています。"
                    "戻り値は ((x_train, t_train), (x_val, t_val)) の順です。"
                )
            elif np.ndim(x_fit) and np.shape(x_fit)[0] == n:
                hint = (
                    " 訓練データが全データ (N 個) になっていて、検証データと重なっています。"
                    "訓練データは、並べ替えた添字の並びから検証データの分を除いた残りです。"
                )
            elif got_val in (round(n * ratio), int(np.ceil(n * ratio))):
                hint = f" 検証データの個数は N × validation_ratio を切り捨てた {n_val} です。"
            raise CheckFailure(
                f"{where}: 形状が違います: 期待 x_train {ex_fit.shape}、x_val {ex_val.shape}、"
                f"実際 x_train {np.shape(x_fit)}、x_val {np.shape(x_val)}。{hint}"
            )
        splits.append(dict(x=x, t=t, ratio=ratio, seed=seed, where=where, got=got, n_val=n_val, found={}))


def _check_split_pairs(splits: list) -> None:
    """Every row of each part is a row of x, with its own label (the rows found are recorded in each split)."""
    for split in splits:
        x, t, where, found = split["x"], split["t"], split["where"], split["found"]
        (x_fit, t_fit), (x_val, t_val) = split["got"]
        for part, got_x, got_t in [("訓練", x_fit, t_fit), ("検証", x_val, t_val)]:
            index = _find_rows(np.asarray(got_x), x)
            check_true(index is not None, f"{where}: {part}データの x に、元の x にない行があります。")
            found[part] = index
            _check(
                got_t,
                t[index],
                f"{where} の{part}データの x と t の対応",
                mistakes=[],
                note=(
                    "x と t を別々に並べ替えていませんか。"
                    "同じ添字の並び (order) で x[...] と t[...] を取り出してください。"
                ),
            )


def _check_split_disjoint(splits: list) -> None:
    # the rows of x are distinct (normal draws), so each row found is one sample
    for split in splits:
        found, where = split["found"], split["where"]
        check_true(
            len(np.intersect1d(found["訓練"], found["検証"])) == 0
            and all(len(np.unique(index)) == len(index) for index in found.values()),
            f"{where}: 訓練データと検証データに同じサンプルが入っています (または同じサンプルが 2 回使われています)。"
            "添字の並び order を 1 回だけ作り、その先頭の n_val 個を検証データ、残りを訓練データにしてください "
            "(permutation を 2 回呼ぶと別の並びになり、重なりが出ます)。",
        )


def _check_split_seeded(run: Runner, splits: list) -> None:
    for split in splits:
        again = run.call("train_validation_split", split["x"], split["t"], split["ratio"], split["seed"])
        check_true(
            _same_split(split["got"], again),
            f"{split['where']} を同じ seed で 2 回呼ぶと、分け方が変わります。並べ替えには、引数の seed から作った "
            "Generator を使ってください "
            "(np.random.permutation や seed なしの default_rng() は呼ぶたびに変わります)。",
        )


def _check_split_shuffled(splits: list) -> None:
    for split in splits:
        n, n_val = len(split["x"]), split["n_val"]
        if math.comb(n, n_val) > 10**12:  # a random split keeps the first n_val rows with probability below 1e-12
            check_true(
                not np.array_equal(np.sort(split["found"]["検証"]), np.arange(n_val)),
                f"{split['where']}: 並べ替えずに先頭の n_val 個を検証データにしています。"
                "引数の seed から作った Generator で添字を並べ替えてから分けてください。",
            )


def check_train_validation_split(run: Runner, rng: np.random.Generator) -> None:
    splits: list = []  # filled by the first property: each case's inputs and the learner's split
    shapes = "訓練データと検証データの形状 (検証データは N × validation_ratio を切り捨てた個数)"
    pairs = "x と t の組を崩さずに分ける (どの行ももとの x の行と、その t)"
    with properties(run) as split:
        split.check(shapes, _check_split_shapes, run, rng.spawn(1)[0], splits)
        split.check(pairs, _check_split_pairs, splits, needs=[shapes])
        split.check("どのサンプルもちょうど一方に入る (重なりがない)", _check_split_disjoint, splits, needs=[pairs])
        split.check("同じ seed なら同じ分け方", _check_split_seeded, run, splits, needs=[shapes])
        split.check(
            "並べ替えてから分ける (先頭の n_val 個のままではない)", _check_split_shuffled, splits, needs=[pairs]
        )


# ---------------------------------------------------------------------------- random search
_CONFIG_KEYS = ["hidden_size_list", "lr", "use_batchnorm", "weight_decay_lambda"]
_EXPONENTS = {"lr": (-3.5, -2.5), "weight_decay_lambda": (-6.0, -3.0)}
_NAMES = {"lr": "学習率", "weight_decay_lambda": "λ"}
_SAMPLE_DRAWS = 3000
# The Dvoretzky-Kiefer-Wolfowitz inequality (Massart's constant): the largest gap between the empirical distribution
# function of n independent draws and their true one exceeds eps with probability at most 2 exp(-2 n eps^2). With
# n = 3000 and eps = 0.065 that is 2 exp(-25.35) < 2e-11 per exponent: a correct sample_config fails one of the two
# checks with probability < 1e-10. Forgetting the log scale gives a gap of about 0.26 (the public test uses the same
# bound).
_UNIFORM_GAP = 0.065
_SAMPLE_CONFIG = {
    "form": "返す辞書のキーと、固定の値 (hidden_size_list = [100, 100]、use_batchnorm = True)",
    "range": "lr と λ は範囲の中の float",
    "uniform": "指数 log10(lr)、log10(λ) は一様に散らばる (対数スケール)",
    "seeded": "同じ状態の rng なら同じ設定",
}


def _uniform_gap(values: np.ndarray, law: Any) -> float:
    """Kolmogorov-Smirnov statistic: the largest gap between the empirical distribution function of ``values`` and
    ``law`` (the distribution function, vectorised)."""
    u = law(np.sort(values))
    n = len(u)
    return float(max(np.max(np.arange(1, n + 1) / n - u), np.max(u - np.arange(n) / n)))


def _draw_configs(run: Runner, seed: int, n: int) -> list:
    """The learner's sample_config called n times on one generator of ``seed``, checked to be a list of n items."""
    got = run.call("sample_configs_with_seed", seed, n)
    check_true(
        isinstance(got, tuple) and len(got) == n,
        f"sample_config を {n} 回呼んだ結果を、設定のリストにできませんでした。",
    )
    return list(got)


def _check_sample_form(run: Runner, rng: np.random.Generator, drawn: list) -> None:
    """One call of _SAMPLE_DRAWS configs (recorded in ``drawn``); every one a dict of the four keys with the fixed
    values."""
    seed = _seed(rng)
    configs = _draw_configs(run, seed, _SAMPLE_DRAWS)
    drawn.append((seed, configs))
    where = f"np.random.default_rng({seed}) から sample_config で引いた設定"
    for config in configs:
        check_true(isinstance(config, dict), f"{where}: 設定は辞書で返してください ({type(config).__name__})。")
        check_true(
            sorted(config) == _CONFIG_KEYS, f"{where}: 設定のキーは {_CONFIG_KEYS} の 4 つです: {sorted(config)}"
        )
        hidden, batchnorm = config["hidden_size_list"], config["use_batchnorm"]
        check_true(
            isinstance(hidden, (tuple, np.ndarray)) and list(hidden) == [100, 100],
            f"{where}: hidden_size_list は [100, 100] に固定します ({hidden!r})。",
        )
        check_true(
            isinstance(batchnorm, (bool, np.bool_)) and bool(batchnorm),
            f"{where}: use_batchnorm は True に固定します ({batchnorm!r})。",
        )


def _exponent_values(drawn: list, key: str) -> np.ndarray:
    """The values of ``key`` in every config drawn, checked to be plain numbers."""
    _, configs = drawn[0]
    values = [config.get(key) if isinstance(config, dict) else None for config in configs]
    check_true(
        all(isinstance(value, (float, np.floating)) and not isinstance(value, bool) for value in values),
        f"sample_config の設定の '{key}' は 1 つの数 (float) にしてください (配列や None ではなく)。",
    )
    return np.array(values, dtype=np.float64)


def _check_sample_range(drawn: list) -> None:
    values = {key: _exponent_values(drawn, key) for key in _EXPONENTS}
    for key, (low, high) in _EXPONENTS.items():
        got = values[key]
        lower, upper = 10.0**low, 10.0**high
        if got.min() >= lower * (1 - 1e-12) and got.max() <= upper * (1 + 1e-12):  # rounding at the ends
            continue
        hint = f"{_NAMES[key]}は 10 の {low} 乗 ({lower:.3g}) 以上、10 の {high} 乗 ({upper:.3g}) 未満です。"
        if np.all((got >= low) & (got <= high)):
            hint += " 指数そのものを入れています。10 をその指数で累乗した値にします。"
        elif np.all(got > 0) and np.all((np.log(got) >= low) & (np.log(got) <= high)):
            hint += " np.exp で累乗しています (e が底)。10 を底にします。"
        else:
            other = "weight_decay_lambda" if key == "lr" else "lr"
            other_low, other_high = _EXPONENTS[other]
            if np.all((got >= 10.0**other_low) & (got <= 10.0**other_high)):
                hint += " 学習率と λ の範囲が入れ替わっていませんか。"
        raise CheckFailure(
            f"sample_config の{_NAMES[key]}が範囲の外です (最小 {got.min():.3g}、最大 {got.max():.3g})。{hint}"
        )


def _check_sample_uniform(drawn: list) -> None:
    for key, (low, high) in _EXPONENTS.items():
        got = _exponent_values(drawn, key)
        exponents = np.log10(got)
        gap = _uniform_gap(exponents, lambda e, low=low, high=high: np.clip((e - low) / (high - low), 0.0, 1.0))
        if gap <= _UNIFORM_GAP:
            continue
        below = float(np.mean(exponents < (low + high) / 2))
        lower, upper = 10.0**low, 10.0**high
        linear = _uniform_gap(got, lambda v, lower=lower, upper=upper: np.clip((v - lower) / (upper - lower), 0, 1))
        if len(np.unique(got)) == 1:
            hint = (
                "どの設定も同じ値です。呼ぶたびに、引数の rng から新しく乱数を引き、新しい辞書で返します "
                "(同じ辞書を使い回すと、前に返した設定まで書き換わります)。"
            )
        elif linear <= _UNIFORM_GAP:
            hint = (
                f"{_NAMES[key]}そのものを一様に選んでいます (線形スケール)。対数スケールでは、指数を一様に選び、"
                "10 をその指数で累乗します。"
            )
        else:
            hint = "指数を一様乱数で選んでいますか。"
        raise CheckFailure(
            f"sample_config の{_NAMES[key]}の指数 (log10) が {low} 〜 {high} に一様に散らばっていません "
            f"({len(got)} 個の設定で、分布のずれ {gap:.3f}、許容 {_UNIFORM_GAP}。指数が範囲の下半分に入った割合は "
            f"{below:.0%}、一様なら 50%)。{hint}"
        )


def _check_sample_seeded(run: Runner, drawn: list, rng: np.random.Generator) -> None:
    """The same generator state gives the same configs: the first few of the recorded call again, and a fresh seed
    twice."""
    seed, configs = drawn[0]
    again = _draw_configs(run, seed, 4)
    fresh = _seed(rng)
    first, second = _draw_configs(run, fresh, 4), _draw_configs(run, fresh, 4)
    check_true(
        again == configs[:4] and first == second,
        "同じ seed で作った rng から、違う設定が出ました。乱数は引数の rng からだけ引いてください "
        "(np.random.uniform や、seed なしの np.random.default_rng() は rng とは別の乱数です)。",
    )


def check_sample_config(run: Runner, rng: np.random.Generator) -> None:
    """The docstring's properties on draws from a fresh seed: the four keys and the fixed values, lr and lambda in
    their ranges, their exponents uniform (a Kolmogorov-Smirnov bound, see _UNIFORM_GAP), the same generator state
    giving the same configs. Any order of draws, any generator method is accepted."""
    drawn: list = []  # filled by the first property: (seed, the configs of that call)
    with properties(run) as sample:
        sample.check(_SAMPLE_CONFIG["form"], _check_sample_form, run, rng.spawn(1)[0], drawn)
        needs = needs_unless_all(drawn, 1, _SAMPLE_CONFIG["form"])
        sample.check(_SAMPLE_CONFIG["range"], _check_sample_range, drawn, needs=needs)
        sample.check(_SAMPLE_CONFIG["uniform"], _check_sample_uniform, drawn, needs=needs)
        sample.check(_SAMPLE_CONFIG["seeded"], _check_sample_seeded, run, drawn, rng.spawn(1)[0], needs=needs)


_RANDOM_SEARCH = {
    "calls": "sample_config で設定を引き、それぞれを evaluate で 1 回ずつ評価する",
    "rng": "乱数は np.random.default_rng(seed) で作った 1 つの生成器から引く",
    "records": "結果の各要素: trial (1 から)、config、evaluate の値",
    "order": "val_acc の高い順、同点なら試行番号の小さい順",
}


def _search_orders(accuracies: list[tuple[float, float]]) -> dict[str, list[int]]:
    """The order of the trials (numbers from 1) that the right sort and each classic mistake give."""
    trials = range(1, len(accuracies) + 1)
    fit = {k: accuracies[k - 1][0] for k in trials}
    val = {k: accuracies[k - 1][1] for k in trials}
    return {
        "expected": sorted(trials, key=lambda k: (-val[k], k)),
        "ascending": sorted(trials, key=lambda k: (val[k], k)),
        "ties reversed": sorted(trials, key=lambda k: (-val[k], -k)),
        "fit_acc": sorted(trials, key=lambda k: (-fit[k], k)),
        "unsorted": list(trials),
    }


_ORDER_HINTS = {
    "ascending": "val_acc の低い順になっています。高い順 (良い順) に並べてください。",
    "ties reversed": "同点の試行の順番が逆です。val_acc が同じなら試行番号の小さい順にします。",
    "fit_acc": "学習用の正解率 fit_acc で並べています。検証正解率 val_acc で並べてください。",
    "unsorted": "結果が試行の順のままです。val_acc の高い順に並べてください。",
}


def _search_case(rng: np.random.Generator) -> dict:
    """Inputs of one search: n trials whose validation accuracies (multiples of 1/287, as on digits) hold a tie, fit
    accuracies all different, and orders of the classic mistakes that differ from each other and from the right one
    (so that each mistake gets its own diagnostic, whatever the draw)."""
    n = int(rng.integers(6, 10))
    for _ in range(1000):
        val = rng.integers(250, 288, size=n) / 287
        first, second = rng.choice(n, size=2, replace=False)
        val[second] = val[first]  # a tie
        fit = rng.permutation(np.arange(n)) / 400 + 0.97
        accuracies = [(float(f), float(v)) for f, v in zip(fit, val, strict=True)]
        orders = [tuple(order) for order in _search_orders(accuracies).values()]
        if len(set(orders)) == len(orders):
            break
    config_rng = np.random.default_rng(_seed(rng))
    configs = [ref.sample_config(config_rng) for _ in range(n)]  # all different (continuous draws)
    return dict(n=n, seed=_seed(rng), accuracies=accuracies, configs=configs)


def _check_search_calls(run: Runner, cases: list, records: list) -> None:
    """One call per case through random_search_with_scores (recorded in ``records``): sample_config called n times,
    evaluate called once per config, with the configs in the order drawn."""
    for case in cases:
        n = case["n"]
        got = run.call(
            "random_search_with_scores", learner_copy(case["accuracies"]), learner_copy(case["configs"]), case["seed"]
        )
        check_true(isinstance(got, tuple) and len(got) == 3, "random_search_with_scores の戻り値が読めません。")
        results, evaluated, drawn = got
        records.append(dict(case, results=results, evaluated=list(evaluated), drawn=list(drawn)))
    for record in records:
        n, evaluated, drawn = record["n"], record["evaluated"], record["drawn"]
        where = f"random_search(evaluate, n_trials={n}, seed={record['seed']})"
        check_true(
            len(drawn) == n,
            f"{where}: sample_config を {len(drawn)} 回呼んでいます。試行ごとに 1 回、全部で n_trials 回です。",
        )
        hint = " 1 つの設定につき evaluate を 1 回だけ呼び、返った辞書を使い回します。" if len(evaluated) > n else ""
        check_true(
            len(evaluated) == n,
            f"{where}: evaluate を {len(evaluated)} 回呼んでいます。n_trials 回 (1 つの設定につき 1 回) です。{hint}",
        )
        expected = [_plain(config) for config in record["configs"]]
        check_true(
            [_plain(config) for config in evaluated] == expected,
            f"{where}: evaluate には、sample_config が返した設定をそのまま、引いた順に渡してください。",
        )


def _plain(value: Any) -> Any:
    """Plain data with lists and tuples alike (the sandbox returns tuples), to compare configs."""
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _check_search_rng(records: list) -> None:
    for record in records:
        n, seed, drawn = record["n"], record["seed"], record["drawn"]
        where = f"random_search(evaluate, n_trials={n}, seed={seed})"
        expected = np.random.default_rng(seed).random(n).tolist()
        check_true(
            None not in drawn,
            f"{where}: sample_config には、np.random.default_rng(seed) で作った乱数生成器 (np.random.Generator) を"
            "渡してください。",
        )
        check_true(
            len(drawn) < 2 or drawn != [expected[0]] * len(drawn),
            f"{where}: どの試行でも同じ乱数が引かれています。乱数生成器を試行ごとに作り直さず、最初に 1 つだけ作って"
            "すべての試行で使います。",
        )
        check_true(
            drawn == expected[: len(drawn)],
            f"{where}: sample_config に渡す乱数生成器は、引数の seed から np.random.default_rng(seed) で作ってください "
            "(seed を使わないと、同じ seed でも探索の結果が変わります)。",
        )


def _identified(record: dict) -> list[int]:
    """The trial (number from 1) of each result, found by its config; fails when the results cannot be read."""
    results, n = record["results"], record["n"]
    where = f"random_search(evaluate, n_trials={n}, seed={record['seed']})"
    check_true(
        isinstance(results, tuple) and len(results) == n and all(isinstance(r, dict) for r in results),
        f"{where}: 戻り値は、試行ごとの辞書 {n} 個のリストにしてください。",
    )
    configs = [_plain(config) for config in record["configs"]]
    found = []
    for result in results:
        config = _plain(result.get("config"))
        check_true(
            config in configs,
            f"{where}: 結果の 'config' に、sample_config が返したどの設定でもないものがあります。"
            "評価した設定をそのまま入れてください。",
        )
        found.append(configs.index(config) + 1)
    return found


def _check_search_records(records: list) -> None:
    keys = ["config", "fit_acc", "trial", "val_acc"]
    for record in records:
        n, accuracies = record["n"], record["accuracies"]
        where = f"random_search(evaluate, n_trials={n}, seed={record['seed']})"
        found = _identified(record)
        results = record["results"]
        check_true(
            all(sorted(result) == keys for result in results),
            f"{where}: 結果の辞書のキーは 'trial'、'config' と、evaluate が返した辞書のキー (ここでは 'fit_acc'、"
            f"'val_acc') です: {sorted(results[0])}",
        )
        trials = [result["trial"] for result in results]
        hint = " 試行番号は 1 から数えます。" if sorted(trials) == list(range(n)) else ""
        check_true(
            sorted(trials) == list(range(1, n + 1)),
            f"{where}: 試行番号 trial は 1 から {n} までのはずですが、{sorted(trials)} です。{hint}",
        )
        for result, k in zip(results, found, strict=True):
            check_true(
                result["trial"] == k,
                f"{where}: 試行 {result['trial']} の 'config' が、{result['trial']} 番目に引いた設定ではありません。",
            )
            check_true(
                (result["fit_acc"], result["val_acc"]) == accuracies[k - 1],
                f"{where}: 試行 {k} の 'fit_acc'、'val_acc' が、その試行で evaluate が返した値と違います。",
            )


def _check_search_order(records: list) -> None:
    for record in records:
        where = f"random_search(evaluate, n_trials={record['n']}, seed={record['seed']})"
        order = _identified(record)
        orders = _search_orders(record["accuracies"])
        if order == orders["expected"]:
            continue
        hint = next((_ORDER_HINTS[name] for name, wrong in orders.items() if wrong == order and name != "expected"), "")
        raise CheckFailure(
            f"{where}: 結果の並びが違います。val_acc の高い順、同点なら試行番号の小さい順です "
            f"(試行番号で書くと、期待 {orders['expected']}、実際 {order})。{hint}"
        )


def check_random_search(run: Runner, rng: np.random.Generator) -> None:
    """random_search through random_search_with_scores: a stand-in sample_config (it draws one number from the
    generator it is given, then returns the next config the check chose) and a stand-in evaluate (the accuracies the
    check chose), so that the learner's sample_config plays no part. Two searches with ties in val_acc."""
    cases = [_search_case(rng.spawn(1)[0]) for _ in range(2)]
    records: list = []  # filled by the first property: each case with what the call returned and recorded
    with properties(run) as search:
        search.check(_RANDOM_SEARCH["calls"], _check_search_calls, run, cases, records)
        needs = needs_unless_all(records, len(cases), _RANDOM_SEARCH["calls"])
        search.check(_RANDOM_SEARCH["rng"], _check_search_rng, records, needs=needs)
        search.check(_RANDOM_SEARCH["records"], _check_search_records, records, needs=needs)
        search.check(_RANDOM_SEARCH["order"], _check_search_order, records, needs=needs)


def _search_failure(run: Runner, rng: np.random.Generator) -> CheckFailure | None:
    """The first failure of sample_config or random_search (exercises 4 and 5), None when both hold: a search that
    picks the wrong config can explain a final model below the mark."""
    for check in (check_sample_config, check_random_search):
        try:
            check(run, rng.spawn(1)[0])
        except CheckFailure as failure:
            return CheckFailure(str(failure).split(PROPERTY_LIST_HEADING, 1)[0].strip())
    return None


# ---------------------------------------------------------------------------- final model
def _rebuild(model: Any) -> tuple[ref.MultiLayerNetExtend, str]:
    """The reference network (inference) from an export_model dict, checked for shape and content."""
    check_true(
        isinstance(model, dict) and {"params", "relu", "running_mean", "running_var"} <= set(model),
        "final_model は export_model(final_network) の戻り値 "
        "(キー 'params'、'relu'、'running_mean'、'running_var') にしてください。",
    )
    params = model["params"]
    check_true(
        isinstance(params, dict) and "W1" in params, "final_model['params'] に 'W1' などのパラメータがありません。"
    )
    num = sum(1 for key in params if key.startswith("W"))
    expected_keys = {f"{kind}{i}" for i in range(1, num + 1) for kind in ("W", "b")}
    use_bn = "gamma1" in params
    if use_bn:
        expected_keys |= {f"{kind}{i}" for i in range(1, num) for kind in ("gamma", "beta")}
    check_true(
        set(params) == expected_keys,
        f"final_model['params'] のキーが MultiLayerNetExtend の約束と違います: "
        f"期待 {sorted(expected_keys)}、実際 {sorted(params)}。",
    )
    params = {key: np.asarray(value, dtype=np.float64) for key, value in params.items()}
    sizes = [params["W1"].shape[0]] + [params[f"W{i}"].shape[1] for i in range(1, num + 1)]
    check_true(
        sizes[0] == 64 and sizes[-1] == 10,
        f"最終モデルの入力と出力の大きさは 64 と 10 のはずですが、{sizes[0]} と {sizes[-1]} です。",
    )
    for i in range(1, num + 1):
        shapes = {f"W{i}": (sizes[i - 1], sizes[i]), f"b{i}": (sizes[i],)}
        if use_bn and i < num:
            shapes |= {f"gamma{i}": (sizes[i],), f"beta{i}": (sizes[i],)}
        for key, shape in shapes.items():
            check_true(
                params[key].shape == shape,
                f"final_model['params']['{key}'] の形状は {shape} のはずですが {params[key].shape} です。",
            )
    check_true(
        all(np.all(np.isfinite(value)) for value in params.values()),
        "最終モデルのパラメータに nan または inf があります。学習率が大きすぎて発散していませんか。",
    )
    activation = "relu" if model["relu"] else "sigmoid"
    net = ref.MultiLayerNetExtend(sizes[0], sizes[1:-1], sizes[-1], activation=activation, use_batchnorm=use_bn)
    for key, value in params.items():
        net.params[key][...] = value  # in place: the reference layers hold these arrays
    if use_bn:
        for i in range(1, num):
            name = f"BatchNorm{i}"
            check_true(
                name in model["running_mean"] and name in model["running_var"],
                f"final_model に {name} の移動平均がありません。"
                f"学習 (学習モードの順伝播) をしてから export_model を呼んでください。",
            )
            mean, var = (np.asarray(model[k][name], dtype=np.float64) for k in ("running_mean", "running_var"))
            check_true(
                mean.shape == var.shape == (sizes[i],) and np.all(np.isfinite(mean)) and np.all(var >= 0),
                f"final_model の {name} の移動平均の形状か値がおかしいです (形状 ({sizes[i]},)、分散は 0 以上)。",
            )
            net.layers[name].running_mean, net.layers[name].running_var = mean, var
    description = f"隠れ層 {sizes[1:-1]}、{activation}、バッチ正規化{'あり' if use_bn else 'なし'}"
    return net, description


def _read_final_model(run: Runner, built: list) -> None:
    """The final model read and rebuilt (recorded in ``built`` as (network, description))."""
    try:
        model = run.value("final_model")
    except CheckFailure as failure:
        raise CheckFailure(
            f"{failure}\n最終モデルのセルで final_model = export_model(final_network) を実行してください"
            " (採点はその辞書から行います)。"
        ) from None
    built.append(_rebuild(model))


def _blame_search(message: str, run: Runner, rng: np.random.Generator) -> str:
    """``message`` with the first failure of exercises 4 and 5 appended, when they fail on their own: the final
    model is trained with the config that the learner's search put first (best_config = results[0]["config"])."""
    failure = _search_failure(run, rng)
    if failure is not None:
        message += (
            "\n最終モデルは、あなたの探索 (演習 4 の sample_config と演習 5 の random_search) が"
            "先頭に置いた設定で学習します。"
            f"探索が正しくないことも原因かもしれません: {failure}"
        )
    return message


def _check_test_accuracy(run: Runner, rng: np.random.Generator, built: list) -> None:
    net, description = built[0]
    (_, _), (x_test, t_test) = load_digits()
    accuracy = net.accuracy(x_test, t_test)
    if accuracy < GRADED_ACCURACY:
        message = (
            f"final_model ({description}) から組み立てたネットワークの digits のテスト正解率 (推論モード) "
            f"は {accuracy:.1%} で、"
            f"{GRADED_ACCURACY:.0%} に届いていません。MultiLayerNetExtend と Trainer の隠しテストに通っているか、"
            "学習が進んでいるか (学習曲線) を確かめてください。"
        )
        raise CheckFailure(_blame_search(message, run, rng))


def _check_shifted_accuracy(run: Runner, rng: np.random.Generator, blame_rng: np.random.Generator, built: list) -> None:
    net, description = built[0]
    (_, _), (x_test, t_test) = load_digits()
    # five shifted, noisy copies of the test data (1800 images): the accuracy varies less from one learner's
    # set to the next than on 360 images
    shift, noise = evaluation_digits.MAX_SHIFT, evaluation_digits.NOISE_STD
    shifted = np.concatenate([ref.augment_digits(x_test, rng, shift, noise) for _ in range(SHIFTED_COPIES)])
    shifted_accuracy = net.accuracy(shifted, np.tile(t_test, SHIFTED_COPIES))
    if shifted_accuracy < SHIFTED_ACCURACY:
        message = (
            f"final_model ({description}) から組み立てたネットワークの、ずらしてノイズを加えたテスト画像 (採点のために"
            f"新しく作った {len(shifted)} 枚) での正解率は {shifted_accuracy:.1%} で、"
            f"{SHIFTED_ACCURACY:.0%} に届いていません。"
            "訓練データに、augment_digits でずらした画像 (データ拡張) を加えて学習していますか。"
        )
        # blame exercise 5 only when it fails on its own
        failure = _augment_digits_failure(run, np.random.default_rng(_seed(rng)))
        if failure is not None:
            message += f"\nあなたの augment_digits (演習 7) が正しくないことも原因かもしれません: {failure}"
        raise CheckFailure(_blame_search(message, run, blame_rng))


def check_final_model(run: Runner, rng: np.random.Generator) -> None:
    """The exported final model, rebuilt here in inference mode: at least GRADED_ACCURACY on the digits test
    data and SHIFTED_ACCURACY on test images shifted and noisy as the public set, drawn afresh per learner."""
    built: list = []  # filled by the first property: the reference network of the final model, its description
    model = "final_model から推論用のネットワークを組み立てられる (パラメータの形状と値)"
    # streams of their own for the checks of the search that a failure runs (spawning leaves rng's draws as they are)
    test_blame, shifted_blame = rng.spawn(2)
    with properties(run) as final:
        final.check(model, _read_final_model, run, built)
        final.check(
            f"digits のテスト正解率が {GRADED_ACCURACY:.0%} 以上",
            _check_test_accuracy,
            run,
            test_blame,
            built,
            needs=[model],
        )
        final.check(
            f"ずらしてノイズを加えたテスト画像での正解率が {SHIFTED_ACCURACY:.0%} 以上",
            _check_shifted_accuracy,
            run,
            rng,
            shifted_blame,
            built,
            needs=[model],
        )


# ---------------------------------------------------------------------------- data augmentation
_WRAPPED = (
    "枠の外へ出た画素が反対側の端に現れています。np.roll のように回り込ませず、外から入る画素を 0 にしてください。"
)


def _augment(
    run: Runner, x: np.ndarray, seed: int, max_shift: int, noise_std: float, where: str, changed: list | None
) -> np.ndarray:
    """The learner's augment_digits(x, default_rng(seed), max_shift, noise_std), checked for type and shape.
    Whether it left x as it was is checked at once when ``changed`` is None, else recorded there for
    _check_augment_unchanged."""
    got = run.call("augment_digits_with_seed", learner_copy(x), seed, max_shift, noise_std)
    if changed is None:
        _check_augment_unchanged([(where, run.last_changed)])
    else:
        changed.append((where, run.last_changed))
    check_true(
        isinstance(got, np.ndarray) and got.shape == x.shape,
        f"{where}: 戻り値は形状 {x.shape} の配列にしてください ({type(got).__name__} {np.shape(got)})。",
    )
    check_true(got.dtype == np.float64, f"{where}: 戻り値の dtype は float64 にしてください ({got.dtype})。")
    return got


def _check_augment_unchanged(changed: list) -> None:
    for where, arguments in changed:
        check_true(
            0 not in arguments, f"{where}: augment_digits が引数の x を書き換えています。新しい配列を作ってください。"
        )


def _one_pixel(position: tuple[int, int]) -> np.ndarray:
    image = np.zeros((8, 8))
    image[position] = 1.0
    return image.reshape(64)


def _check_augment_shifts(run: Runner, rng: np.random.Generator, changed: list | None) -> None:
    """Two one-pixel images, alternating: every output row is its own source moved by at most max_shift, by a
    (d_y, d_x) drawn per image, uniform over -max_shift..max_shift (ends included)."""
    max_shift = int(rng.integers(1, 3))
    low, high = max_shift, 7 - max_shift
    first = (int(rng.integers(low, high + 1)), int(rng.integers(low, high + 1)))
    second = (high + low - first[0], high + low - first[1])  # mirrored through the centre
    if first == second:
        second = (low, high) if first != (low, high) else (high, low)
    kinds = (2 * max_shift + 1) ** 2
    n = 200 * kinds
    sources = np.array([first, second] * (n // 2))
    x = np.stack([_one_pixel(first), _one_pixel(second)] * (n // 2))
    where = f"augment_digits (1 画素だけ明るい画像 {n} 枚、max_shift = {max_shift})"
    got = _augment(run, x, _seed(rng), max_shift, 0.0, where, changed)
    check_true(
        bool(np.all(np.sum(got == 1.0, axis=1) == 1) and np.all(np.sum(got != 0.0, axis=1) == 1)),
        f"{where}: どの画像も、明るい画素 1 つだけが動いた画像になるはずです (noise_std = 0 ではノイズを足しません)。",
    )
    moved = np.stack(np.divmod(got.argmax(axis=1), 8), axis=1) - sources  # (n, 2): (d_y, d_x) of each image
    check_true(
        bool(np.all(np.abs(moved) <= max_shift)),
        f"{where}: {max_shift} 画素より大きく動いた画像があります。画像の順番を入れ替えていないか、"
        "ずれが −max_shift 以上 max_shift 以下かを確かめてください。",
    )
    counts = np.zeros((2 * max_shift + 1, 2 * max_shift + 1), dtype=int)
    np.add.at(counts, (moved[:, 0] + max_shift, moved[:, 1] + max_shift), 1)
    check_true(
        np.count_nonzero(counts) > 1,
        f"{where}: すべての画像を同じだけずらしています。(d_y, d_x) は画像ごとに選びます。",
    )
    check_true(
        counts[-1, :].sum() > 0 and counts[:, -1].sum() > 0,
        f"{where}: +max_shift だけ動いた画像が 1 枚もありません。"
        "ずれは −max_shift 以上 max_shift 以下の整数から選びます"
        " (max_shift も含めます。rng.integers の上限は含まれません)。",
    )
    check_true(bool(np.all(counts > 0)), f"{where}: 選ばれない (d_y, d_x) があります ({counts.tolist()})。")
    # each count is Binomial(n, 1/kinds): 200 on average, standard deviation < 14.2; 6.5 deviations fail a correct
    # answer with probability < 1e-9 per count
    check_true(
        bool(np.all(np.abs(counts - 200) <= 92)),
        f"{where}: (d_y, d_x) が一様に選ばれていないようです (各 200 枚前後のはず: {counts.tolist()})。",
    )


def _check_augment_edges(run: Runner, rng: np.random.Generator, changed: list | None) -> None:
    """A pixel in a corner: moved outwards it disappears, it never comes back on the opposite edge."""
    corner = (int(rng.integers(0, 2)) * 7, int(rng.integers(0, 2)) * 7)
    where = f"augment_digits (隅 {corner} の画素だけ明るい画像 300 枚、max_shift = 1)"
    got = _augment(run, np.tile(_one_pixel(corner), (300, 1)), _seed(rng), 1, 0.0, where, changed).reshape(300, 8, 8)
    far_row, far_column = 7 - corner[0], 7 - corner[1]
    check_true(float(got[:, far_row, :].sum() + got[:, :, far_column].sum()) == 0.0, f"{where}: {_WRAPPED}")
    check_true(
        bool(np.any(np.all(got == 0.0, axis=(1, 2)))),
        f"{where}: 隅の画素を枠の外へ向けてずらした画像は、すべて 0 になるはずです (はみ出した画素は消えます)。"
        + _WRAPPED,
    )


def _check_augment_identity(run: Runner, rng: np.random.Generator, changed: list | None) -> None:
    """No shift, no noise: the images themselves, in a new array."""
    images = rng.random((int(rng.integers(3, 8)), 64))
    where = f"augment_digits (ランダムな画像 {len(images)} 枚、max_shift = 0、noise_std = 0)"
    _check(_augment(run, images, _seed(rng), 0, 0.0, where, changed), images, where)


def _check_augment_noise(run: Runner, rng: np.random.Generator, changed: list | None) -> None:
    """Noise only: N(0, sigma^2) added to every pixel; the sample standard deviation of 64000 values is within 3% of
    sigma (about 11 of its standard deviations) and the mean within 0.03 sigma (7.6 of them)."""
    sigma = float(np.round(rng.uniform(0.05, 0.3), 3))
    base = rng.random((1000, 64))
    where = f"augment_digits (画像 1000 枚、max_shift = 0、noise_std = {sigma})"
    noise = _augment(run, base, _seed(rng), 0, sigma, where, changed) - base
    spread = float(np.std(noise))
    check_true(
        abs(spread - sigma) <= 0.03 * sigma,
        f"{where}: 足したノイズの標準偏差が {spread:.4f} で、{sigma} ではありません。noise_std は標準偏差です"
        " (分散ではありません)。標準正規分布の乱数に noise_std を掛けます。",
    )
    check_true(abs(float(np.mean(noise))) <= 0.03 * sigma, f"{where}: ノイズの平均が 0 から離れています。")


_AUGMENT_PROPERTIES = [
    ("画像ごとのずれ (−max_shift〜max_shift の整数から一様に選ぶ)", _check_augment_shifts),
    ("枠の外から入る画素は 0 (反対側から回り込まない)", _check_augment_edges),
    ("max_shift = 0、noise_std = 0 ならもとの画像のまま", _check_augment_identity),
    ("足すノイズは平均 0、標準偏差 noise_std", _check_augment_noise),
]


def check_augment_digits(run: Runner, rng: np.random.Generator) -> None:
    """Properties of the docstring on fresh inputs: each image moved by its own (d_y, d_x), uniform over
    -max_shift..max_shift (ends included), pixels from outside 0 (no wrap-around), N(0, noise_std^2)
    noise, x unchanged, a new float64 array."""
    changed: list = []  # (where, the arguments the call changed) of every call
    with properties(run) as augment:
        for name, check in _AUGMENT_PROPERTIES:
            augment.check(name, check, run, rng.spawn(1)[0], changed)
        augment.check("引数の x を書き換えない", _check_augment_unchanged, changed)


def _augment_digits_failure(run: Runner, rng: np.random.Generator) -> CheckFailure | None:
    """The first failure of augment_digits (exercise 5), the properties checked in turn as check_augment_digits does,
    x unchanged right after each call; None when it holds them all."""
    try:
        for _, check in _AUGMENT_PROPERTIES:
            check(run, rng, None)
    except CheckFailure as failure:
        return failure
    return None


# ---------------------------------------------------------------------------- model averaging
def _check_average_cases(run: Runner, rng: np.random.Generator, cases: list) -> None:
    for k, n, c, scale, as_list in cases:
        scores = rng.standard_normal((k, n, c)) * scale
        argument = [s for s in scores] if as_list else scores
        expected = ref.average_probabilities(scores)
        where = (
            f"average_probabilities ({k} 個のモデル、形状 ({n}, {c}) の"
            f"スコア{'のリスト' if as_list else 'を重ねた配列'})"
        )
        got = run.call("average_probabilities", learner_copy(argument))
        if np.shape(got) == (n,):
            raise CheckFailure(f"{where}: 予測ラベルではなく、形状 ({n}, {c}) の平均の確率を返してください。")
        votes = np.mean([np.eye(c)[s.argmax(axis=1)] for s in scores], axis=0)
        mistakes = [
            (
                ref.softmax(scores.mean(axis=0)),
                "スコアを平均してからソフトマックスをかけています (それも 1 つの方法ですが)。"
                "この演習では確率 (ソフトマックスの出力) を平均します。",
            ),
            (scores.mean(axis=0), "ソフトマックスをかけずにスコアを平均しています。"),
            (k * expected, "確率の和になっています。モデルの数 K で割って平均にしてください。"),
            (votes, "予測ラベルの多数決 (one-hot の平均) ではなく、確率を平均します。"),
        ]
        _check(got, expected, where, mistakes=mistakes if k > 1 else [mistakes[1], mistakes[3]])


def check_average_probabilities(run: Runner, rng: np.random.Generator) -> None:
    # K, N, C, scale of the scores, given as a list (else stacked in one (K, N, C) array)
    as_lists = [(1, 1, 3, 3.0, True), (3, 5, 4, 3.0, True)]
    stacked = [(5, 1, 10, 2.0, False), (4, 6, 10, 5.0, False)]
    large = [(2, 7, 2, 300.0, True)]
    with properties(run) as average:
        average.check(
            "確率の平均 (K = 1 と K = 3 のスコアのリスト)", _check_average_cases, run, rng.spawn(1)[0], as_lists
        )
        average.check("形状 (K, N, C) の配列で渡しても同じ", _check_average_cases, run, rng.spawn(1)[0], stacked)
        average.check("スコアが数百の大きさでも値が正しい", _check_average_cases, run, rng.spawn(1)[0], large)


def _check_rule_accepts(run: Runner, rng: np.random.Generator, shape: tuple, valid: list) -> None:
    d, h, c = shape
    for options in valid:
        where = _describe(d, [h], c, options)
        check_learner_accepts(
            lambda options=options: run.new("make_network", _seed(rng), d, [h], c, **learner_copy(_coded(options))),
            where,
        )


def _check_rule_raises(run: Runner, rng: np.random.Generator, shape: tuple, options: dict, hint: str) -> None:
    d, h, c = shape
    where = _describe(d, [h], c, options)
    check_learner_raises(
        lambda: run.new("make_network", _seed(rng), d, [h], c, **learner_copy(_coded(options))),
        "ValueError",
        where,
        hint,
    )


def check_multilayer_net_rules(run: Runner, rng: np.random.Generator) -> None:
    """The input rules of the docstring: activation 'relu' or 'sigmoid' and weight_init_std
    'relu'/'he'/'sigmoid'/'xavier' or a number are accepted; another name raises ValueError."""
    shape = (int(rng.integers(2, 6)), int(rng.integers(2, 6)), int(rng.integers(2, 4)))
    valid = [
        {"activation": "relu", "weight_init_std": "xavier"},
        {"activation": "sigmoid", "weight_init_std": float(np.round(rng.uniform(0.01, 0.3), 3))},
    ]
    with properties(run) as rules:
        rules.check(
            "正しい activation と weight_init_std では例外を出さない", _check_rule_accepts, run, rng, shape, valid
        )
        rules.check(
            "知らない activation で ValueError",
            _check_rule_raises,
            run,
            rng,
            shape,
            {"activation": "lion"},
            "activation は 'relu' か 'sigmoid' です。それ以外なら ValueError を出してください。",
        )
        rules.check(
            "知らない weight_init_std の名前で ValueError",
            _check_rule_raises,
            run,
            rng,
            shape,
            {"weight_init_std": "tanh"},
            "weight_init_std は 'relu'、'he'、'sigmoid'、'xavier' か数値です。",
        )


def check_trainer_rules(run: Runner, rng: np.random.Generator) -> None:
    """The input rule of the docstring: an optimizer name that OPTIMIZERS does not hold raises ValueError."""
    n, sizes = int(rng.integers(4, 8)), [3, int(rng.integers(2, 5)), 3]
    x, t = rng.standard_normal((n, 3)), rng.integers(0, 3, size=n)
    data = (x, t, x, t)

    def train(optimizer: str) -> object:
        return run.call(
            "train_two_layer_net_with_trainer", _seed(rng), list(sizes), *data, epochs=1, seed=_seed(rng),
            optimizer=NAMES.index(optimizer),
        )  # fmt: skip

    def unknown_names() -> None:
        for name in ("tanh", "relu"):
            check_learner_raises(
                lambda name=name: train(name),
                "ValueError",
                f'optimizer="{name}" の Trainer',
                "optimizer は OPTIMIZERS のキーです。それ以外の名前なら raise ValueError(...) としてください。",
            )

    with properties(run) as rules:
        rules.check(
            'OPTIMIZERS にある名前では例外を出さない ("adam")',
            check_learner_accepts,
            lambda: train("adam"),
            'optimizer="adam" の Trainer',
        )
        rules.check("OPTIMIZERS にない名前で ValueError", unknown_names)


CHECKS = {
    "multilayer_net_init": check_multilayer_net_init,
    "multilayer_net_forward": check_multilayer_net_forward,
    "multilayer_net_gradient": check_multilayer_net_gradient,
    "multilayer_net_rules": check_multilayer_net_rules,
    "trainer": check_trainer,
    "trainer_rules": check_trainer_rules,
    "train_validation_split": check_train_validation_split,
    "sample_config": check_sample_config,
    "random_search": check_random_search,
    "average_probabilities": check_average_probabilities,
    "augment_digits": check_augment_digits,
    "final_model": check_final_model,
}

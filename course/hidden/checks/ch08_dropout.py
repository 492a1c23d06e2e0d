"""Hidden checks of ch08_dropout (INSTRUCTOR ONLY).

Dropout is random, and a mask can be drawn in more than one correct way (``rng.random(shape) > p``,
``rng.random(shape) < 1 − p``, ``rng.binomial(1, 1 − p, shape)``...). So the checks never replay one
generator call: they run the properties of :mod:`course.properties.dropout`, the same functions as
the public tests, on fresh inputs. The mask a layer used is read off its output (inputs never
contain 0). Backward is graded against that mask, the learner's own, when every forward of the
sequence is a valid dropout output and a large one dropped a plausible fraction: then a mistake in
the forward pass costs points in the forward check only. Otherwise the learner's output cannot
define the expectation (a forward of zeros would make a backward of zeros "right"): backward is
graded against masks replayed here from the seed, the reference's draw or a classic mistake of
it that the forward shows (reversed, shared by the batch).

A ``numpy.random.Generator`` is not plain data and cannot cross the sandbox boundary; an integer
seed can. The notebook therefore defines a helper (not an exercise)::

    run_dropout(dropout_ratio, seed, steps, layer_class="Dropout") -> list of (out, dx)

that builds ``Dropout(dropout_ratio, rng=np.random.default_rng(seed))`` from the learner's class
(``DropoutScaleAtInference`` of exercise 3 when ``layer_class`` names it) and, for each step
``(x, train_flg, dout)``, calls ``forward(x, train_flg=train_flg)`` if x is not None and then
``backward(dout)`` if dout is not None. Reproducibility is a property too: two
layers given generators of the same seed draw the same masks, other seeds other masks, an
inference call draws nothing.

The dropped fraction of an input of at least 45,000 units must lie within 5 standard errors of p:
a correct layer fails that with probability below 1e-6.

Exercise 2 (``DropoutTwoLayerNet``) is graded on its wiring, not on exercise 1: a reference class
cannot stand in for the learner's ``Dropout`` inside the sandbox, so the check measures the
learner's own layer through ``run_dropout`` on the very hidden activations and call sequence of
the network (same seed, same shapes, same train/inference flags, the same dout for the backward
of the ``gradient`` call). When that layer behaves like a dropout drawn from the seed (every
output is 0 or one constant c > 0 times its input, not all 0, reproducible), the expected scores,
loss and gradients are computed here from those outputs with the reference Affine, ReLU and
Softmax-with-Loss, so a scaling or mask mistake of exercise 1 costs nothing here; otherwise
(a layer drawing from the global generator, a lying layer) from the reference ``Dropout``.
Tolerances: relative 1e-7 (gradients: relative 1e-7, absolute 1e-10; loss 1e-9).

Exercise 3 (``DropoutScaleAtInference``, the convention that scales by 1 − p at inference) is checked
on the properties its docstring and public tests state (``course.properties.dropout``'s
``*_unscaled_*`` functions), on a layer built without rng: reproducibility from a seed is not
part of it, so no helper is needed. Training outputs are 0 or x, inference outputs (1 − p)·x,
backward uses the mask of the last training forward (an inference call in between leaves it
alone), x is left alone, and an input of at least 45,000 units drops a fraction within 5 standard
errors of p.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from course import reference as ref
from course.checks import UNEXPECTED_VALUE_ERRORS, CheckFailure, check_array, check_scalar, check_true, unexpected_value
from course.properties import dropout as props

from ..runner import Runner
from . import (
    check_learner_accepts,
    check_learner_raises,
    check_unchanged,
    each_case,
    learner_copy,
    needs_unless_all,
    properties,
)

RTOL, ATOL = 1e-10, 1e-12
HELPER = "run_dropout"

_NO_MASK_HINT = (
    "backward が forward で保存したマスクを見つけられません。forward (学習時) でマスクを self.mask に保存してください。"
)


def _failure_with_hint(failure: CheckFailure) -> CheckFailure:
    text = str(failure)
    if "mask" in text or "NoneType" in text:
        return CheckFailure(f"{text}\nヒント: {_NO_MASK_HINT}")
    return failure


def _drive(run: Runner, ratio: float, seed: int, steps: list, layer_class: str = "Dropout") -> list[tuple[Any, Any]]:
    """The learner's results, checked to be a list of (out, dx) pairs, one per step, of a layer of
    ``layer_class`` ("Dropout" or "DropoutScaleAtInference") built with rng=default_rng(seed)."""
    try:
        results = run.call(HELPER, ratio, seed, learner_copy(steps), layer_class)
    except CheckFailure as failure:
        if not run.defined(HELPER):
            raise CheckFailure(
                f"補助関数 {HELPER} が定義されていません。演習の前にある {HELPER} のセルを変更せずに実行してください。"
            ) from None
        raise _failure_with_hint(failure) from None
    check_true(
        isinstance(results, tuple) and len(results) == len(steps) and all(len(r) == 2 for r in results),
        f"{HELPER} の戻り値の形が違います。{HELPER} のセルを変更せずに実行し直してください。",
    )
    return list(results)


def _input(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Values with |x| in [0.5, 2] and random signs: never 0, so the kept units can be read off the output."""
    return rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def _where(step: int, x: np.ndarray, ratio: float, train_flg: bool) -> str:
    mode = "学習時" if train_flg else "推論時 (train_flg=False)"
    return f"dropout_ratio={ratio:.3g} の Dropout の {step + 1} 回目の forward ({mode}、入力の形状 {x.shape})"


# ---------------------------------------------------------------------------- forward
def _forward_sequence(rng: np.random.Generator, shapes_and_flags) -> tuple[int, list]:
    """The seed and the steps of one sequence of forwards (inputs of the given shapes)."""
    seed = int(rng.integers(2**31))
    return seed, [(_input(rng, shape), train_flg, None) for shape, train_flg in shapes_and_flags]


def _check_forward_sequence(
    run: Runner, ratio: float, seed: int, steps: list, changed: list[tuple[float, bool]]
) -> None:
    """Values call by call: 0 or x/(1 − p) in training, x itself at inference; records whether the
    call changed x in ``changed`` (ratio, changed?)."""
    got = _drive(run, ratio, seed, steps)
    changed.append((ratio, 2 in run.last_changed))
    for i, ((x, train_flg, _), (out, _)) in enumerate(zip(steps, got)):
        where = _where(i, x, ratio, train_flg)
        if train_flg:
            props.check_training_output(out, x, ratio, where)
        else:
            props.check_inference(out, x, ratio, where, show_values=False)


def _check_x_unchanged(changed: list[tuple[float, bool]]) -> None:
    for ratio, was_changed in changed:
        check_true(
            not was_changed,
            f"dropout_ratio={ratio:.3g} の Dropout の forward が引数の x を書き換えています (x *= mask など)。"
            "x * self.mask / (1 − p) のように新しい配列を返してください。",
        )


class _MaskCase:
    """The masks of a large input for one ratio, read off the outputs of the learner's layers."""

    def __init__(self, run: Runner, rng: np.random.Generator, ratio: float) -> None:
        self.run, self.ratio = run, ratio
        shape = (int(rng.integers(300, 450)), int(rng.integers(150, 220)))
        self.x = _input(rng, shape)
        self.seed, self.other = (int(v) for v in rng.choice(2**31, size=2, replace=False))
        self.train, self.infer = (self.x, True, None), (self.x, False, None)
        self.label = f"dropout_ratio={ratio:.3g}、入力の形状 {shape}"
        self.first = self.second = None

    def kept(self, out: Any, which: str) -> np.ndarray:
        return props.check_training_output(out, self.x, self.ratio, f"{self.label} の{which}")

    def draw_pair(self, cases: list) -> None:
        """Two training forwards of one layer; the dropped fraction of the first; ``self`` joins ``cases``
        once both masks are read (before the fraction is checked)."""
        pair = _drive(self.run, self.ratio, self.seed, [self.train, self.train])
        self.first, self.second = self.kept(pair[0][0], "1 回目の forward"), self.kept(pair[1][0], "2 回目の forward")
        cases.append(self)
        props.check_dropped_fraction(self.first, self.ratio, f"{self.label} の forward")

    def check_seeds(self) -> None:
        """Same seed, same masks; another seed, other masks (drawn from self.rng only)."""
        run, ratio, label = self.run, self.ratio, self.label
        again = self.kept(_drive(run, ratio, self.seed, [self.train])[0][0], "forward (同じシードの別のレイヤ)")
        props.check_equal_masks(self.first, again, f"{label}、同じシードの 2 つのレイヤ", props.SAME_SEED_HINT)
        elsewhere = self.kept(_drive(run, ratio, self.other, [self.train])[0][0], "forward (別のシード)")
        props.check_different_masks(self.first, elsewhere, f"{label}、シードの違う 2 つのレイヤ", props.SAME_SEED_HINT)

    def check_new_draw(self) -> None:
        where = f"{self.label} の 1 回目と 2 回目の forward"
        props.check_different_masks(self.first, self.second, where, props.NEW_DRAW_HINT)

    def check_no_draw_at_inference(self) -> None:
        steps = [self.train, self.infer, self.train]
        after = self.kept(_drive(self.run, self.ratio, self.seed, steps)[2][0], "推論をはさんだ 2 回目の forward")
        where = f"{self.label}、推論をはさんだ 2 回目のマスク"
        props.check_equal_masks(after, self.second, where, props.INFERENCE_DRAW_HINT)


def _without_rng(run: Runner, layer, x: np.ndarray) -> Any:
    """forward of a layer built without rng (the default rng=None)."""
    try:
        return run.method(layer, "forward", x)
    except CheckFailure as failure:
        if "NoneType" in str(failure):
            raise CheckFailure(
                f"{failure}\nヒント: rng を省略した (None の) ときは、np.random.default_rng() を self.rng にします。"
            ) from None
        raise


def _check_keeps_all(run: Runner, x: np.ndarray) -> None:
    layer = run.new("Dropout", 0.0)
    out = _without_rng(run, layer, x)
    check_array(out, x, "dropout_ratio=0 の Dropout の学習時の forward", show_values=False)


def _check_default_rng(run: Runner, ratio: float, x: np.ndarray) -> None:
    where = f"rng を省略した Dropout({ratio:.3g}) の forward (入力の形状 {x.shape})"
    kept = props.check_training_output(_without_rng(run, run.new("Dropout", ratio), x), x, ratio, where)
    props.check_dropped_fraction(kept, ratio, where)


def check_dropout_forward(run: Runner, rng: np.random.Generator) -> None:
    # values call by call: batch size 1, a repeated shape, an inference call in between
    sequence = [((5, 8), True), ((1, 6), True), ((5, 8), False), ((3, 2, 4), True), ((5, 8), True), ((7,), True)]
    # p = 0.5 last: there p = 1 − p, and a reversed mask drops the right fraction
    ratios = (float(rng.uniform(0.1, 0.4)), float(rng.uniform(0.6, 0.85)), 0.5)
    values = "学習時と推論時の forward の値 (3 つの p、バッチサイズ 1 と推論をはさむ 6 回の呼び出し)"
    fraction = "消えるユニットの割合が p に近い (大きな入力、サンプルごとに別のマスク)"
    changed: list[tuple[float, bool]] = []  # (ratio, whether the forwards changed x)
    cases: list[_MaskCase] = []  # the large inputs whose two masks were read
    # every input is drawn here, before the learner's code runs: the inputs of a property do not
    # depend on how far the properties before it went
    sequences = {ratio: _forward_sequence(rng, sequence) for ratio in ratios}
    masks = {ratio: _MaskCase(run, rng, ratio) for ratio in ratios}
    x_all = _input(rng, (4, 3))
    default_ratio = float(rng.uniform(0.2, 0.6))
    x_default = _input(rng, (400, 250))

    def sequence_of(ratio: float) -> None:
        _check_forward_sequence(run, ratio, *sequences[ratio], changed)

    def draw(ratio: float) -> None:
        masks[ratio].draw_pair(cases)

    with properties(run) as forward:
        forward.check(values, each_case, run, ratios, sequence_of)
        unchanged = "引数の x を書き換えない"
        forward.check(unchanged, _check_x_unchanged, changed, needs=needs_unless_all(changed, 3, values))
        # the masks are read off the outputs of layers given the same x more than once: x must be left alone
        forward.check(fraction, each_case, run, ratios, draw, needs=[unchanged])
        needs = needs_unless_all(cases, 3, fraction)
        seeds = "乱数は self.rng からだけ引く (同じシードなら同じマスク、違うシードなら違うマスク)"
        forward.check(seeds, each_case, run, cases, _MaskCase.check_seeds, needs=needs)
        new_draw = "学習時の forward は呼ぶたびに新しいマスクを引く"
        forward.check(new_draw, each_case, run, cases, _MaskCase.check_new_draw, needs=needs)
        # compares with the masks of another layer of the same seed: reproducible draws are a prerequisite
        no_draw = "推論時 (train_flg=False) の forward は乱数を引かない"
        forward.check(no_draw, each_case, run, cases, _MaskCase.check_no_draw_at_inference, needs=[*needs, seeds])
        forward.check("dropout_ratio=0 ではすべてのユニットを残す", _check_keeps_all, run, x_all)
        default = "rng を省略したとき (シードなしの乱数) も正しく消す"
        forward.check(default, _check_default_rng, run, default_ratio, x_default)


# ---------------------------------------------------------------------------- backward
_REPLAYED_NOTE = (
    "\n(forward の出力が、正しいドロップアウトの出力 (0 か x/(1 − p)、消える割合が p に近い) になっていないため、"
    "backward は同じシードから模範解答の引き方 (self.rng の一様乱数が p を超えたユニットを残す) で作った"
    "マスクと比べています。"
    "先に forward を直してください。)"
)


def _learner_masks(steps: list, got: list, ratio: float) -> list[np.ndarray | None] | None:
    """The units each training forward of the sequence kept, read off its output, when every output
    is x times a 0/c mask (one constant c > 0, whatever the scaling mistake) and the largest dropped
    a plausible fraction of its units; else None.

    Only then does the learner's own mask define the expected backward: a forward that is not a
    dropout at all (all zeros, say) cannot make its backward right by being consistent with it."""
    masks: list[np.ndarray | None] = []
    for (x, _, _), (out, _) in zip(steps, got):
        kept = None if x is None else _kept_units(out, x)
        if x is not None:
            ratios = None if kept is None else out[kept] / x[kept]
            if ratios is None:
                return None
            if ratios.size and (not np.allclose(ratios, ratios[0], rtol=RTOL) or ratios[0] <= 0):
                return None
        masks.append(kept)
    try:
        props.check_dropped_fraction(max((m for m in masks if m is not None), key=lambda m: m.size), ratio, "forward")
    except CheckFailure:
        return None
    return masks


_REPLAYABLE = ("correct", "reversed", "shared_over_batch")  # draws of the reference, right or with a classic mistake


def _replayed_masks(steps: list, seed: int, ratio: float, variant: str) -> list[np.ndarray | None]:
    """The masks of the reference's draw from the seed (one per training forward), as the reference
    draws them (rng.random(x.shape) > p) or with one classic mistake of the forward pass."""
    stream = np.random.default_rng(seed)
    masks: list[np.ndarray | None] = []
    for x, _, _ in steps:
        if x is None:
            masks.append(None)
        elif variant == "shared_over_batch":
            masks.append(np.broadcast_to(stream.random(x.shape[1:]) > ratio, x.shape))
        elif variant == "reversed":
            masks.append(stream.random(x.shape) < ratio)
        else:
            masks.append(stream.random(x.shape) > ratio)
    return masks


def _kept_units(out: Any, x: np.ndarray) -> np.ndarray | None:
    if not isinstance(out, np.ndarray) or out.shape != x.shape or not np.all(np.isfinite(out)):
        return None
    return out != 0


def _reference_masks(steps: list, got: list, seed: int, ratio: float) -> list[np.ndarray | None]:
    """The replayed masks (see _replayed_masks) of the variant whose units the learner's forwards kept,
    if one matches them all, else those of the correct draw: the learner's outputs only choose among
    masks computed here."""
    kept = [None if x is None else _kept_units(out, x) for (x, _, _), (out, _) in zip(steps, got)]
    for variant in _REPLAYABLE:
        masks = _replayed_masks(steps, seed, ratio, variant)
        if all(m is None or (k is not None and np.array_equal(k, m)) for m, k in zip(masks, kept)):
            return masks
    return _replayed_masks(steps, seed, ratio, "correct")


def _check_backward_sequence(
    run: Runner, rng: np.random.Generator, ratio: float, plan, failures: dict[str, CheckFailure]
) -> None:
    """plan: list of (shape or None, dout?, property) — forward in training mode on a new input of that
    shape (None: no forward), then backward with a fresh dout of the last forward's shape if dout? is
    True, checked for ``property`` (the first failure of each is kept in ``failures``).

    Each backward is compared with dout · mask / (1 − p), the mask being the units that the learner's
    last training forward kept, when the learner's forwards are valid dropout outputs
    (:func:`_learner_masks`); otherwise the mask of the reference's draw from the same seed."""
    seed = int(rng.integers(2**31))
    steps, shape = [], None
    for new_shape, with_dout, _ in plan:
        shape = new_shape or shape
        x = None if new_shape is None else _input(rng, new_shape)
        steps.append((x, True, rng.standard_normal(shape) if with_dout else None))
    got = _drive(run, ratio, seed, steps)
    masks = _learner_masks(steps, got, ratio)
    note = "" if masks is not None else _REPLAYED_NOTE
    masks = masks if masks is not None else _reference_masks(steps, got, seed, ratio)
    kept = earlier = None
    for i, ((_, _, dout), (_, dx), mask, (_, _, name)) in enumerate(zip(steps, got, masks, plan)):
        if mask is not None:
            earlier, kept = kept, mask
        if dout is None:
            continue
        where = f"dropout_ratio={ratio:.3g} の Dropout の {i + 1} 番目の手順での backward (dout の形状 {dout.shape})"
        try:
            props.check_backward(dx, dout, ratio, kept, earlier, where, show_values=False)
        except CheckFailure as failure:
            failures.setdefault(name, CheckFailure(f"{failure}{note}"))
        except UNEXPECTED_VALUE_ERRORS as error:
            failures.setdefault(name, CheckFailure(unexpected_value(error)))


def check_dropout_backward(run: Runner, rng: np.random.Generator) -> None:
    values = "backward の値 (dout · マスク / (1 − p)、3 つの p)"
    one = "バッチサイズ 1 の backward"
    again = "forward をはさまずにもう一度 backward しても、同じマスクを使う"
    newest = "forward を 2 回続けた後の backward は、新しい方のマスクを使う"
    plan = [
        ((6, 5), True, values),
        ((1, 7), True, one),  # batch size 1
        ((6, 5), True, values),
        (None, True, again),  # backward again: same mask, new dout
        ((6, 5), False, newest),  # a second forward replaces the mask ...
        ((6, 5), True, newest),  # ... and the next backward uses the newest one
        ((2, 3, 4), True, values),
        ((200, 150), True, values),  # 30,000 units: shows whether the forward drops a plausible fraction
    ]
    failures: dict[str, CheckFailure] = {}  # the first failure of each property
    # one sequence per ratio (one call of the helper each), its steps checked for their properties
    ratios = (float(rng.uniform(0.1, 0.4)), float(rng.uniform(0.6, 0.85)), 0.5)

    def sequence(ratio: float) -> None:
        _check_backward_sequence(run, rng, ratio, plan, failures)

    def report(name: str) -> None:
        if name in failures:
            raise failures[name]

    def run_sequences() -> None:
        """The sequences run in the first property; a helper call that fails counts for it (and leaves
        the other properties unchecked)."""
        try:
            each_case(run, ratios, sequence)
        except CheckFailure as failure:
            failures.setdefault(values, failure)
        report(values)

    with properties(run) as backward:
        backward.check(values, run_sequences)
        # the same formula at other steps: checked once it holds (else they would fail for the same cause)
        for name in (one, again, newest):
            backward.check(name, report, name, needs=[values])


def _check_accepts(run: Runner, ratios: list[float]) -> None:
    for ratio in ratios:
        check_learner_accepts(lambda ratio=ratio: run.new("Dropout", ratio), f"Dropout({ratio:g})")


def _check_rejects(run: Runner, bad: float) -> None:
    hint = (
        "dropout_ratio は 0 以上 1 未満です (1 ならすべて消えて 1/(1 − p) が割り算できません)。"
        "if not 0 <= dropout_ratio < 1: raise ValueError(...) としてください。"
    )
    check_learner_raises(lambda: run.new("Dropout", bad), "ValueError", f"Dropout({bad:g})", hint)


def check_dropout_rules(run: Runner, rng: np.random.Generator) -> None:
    """The input rule of the docstring: 0 <= dropout_ratio < 1 is accepted, anything else raises ValueError."""
    accepted = [0.0, float(np.round(rng.uniform(0.05, 0.95), 3))]
    above, negative = float(np.round(rng.uniform(1.01, 3.0), 3)), -float(np.round(rng.uniform(0.01, 1.0), 3))
    with properties(run) as rules:
        rules.check("0 以上 1 未満の dropout_ratio (0 を含む) では例外を出さない", _check_accepts, run, accepted)
        rules.check("入力の検査 (dropout_ratio = 1 で ValueError)", _check_rejects, run, 1.0)
        rules.check("入力の検査 (1 より大きい dropout_ratio で ValueError)", _check_rejects, run, above)
        rules.check("入力の検査 (負の dropout_ratio で ValueError)", _check_rejects, run, negative)


# ---------------------------------------------------------------------------- dropout_net
NET = "DropoutTwoLayerNet"
_NO_FLAG_HINT = "学習時なのにドロップアウトが効いていません。train_flg を Dropout の forward に渡してください。"
_INFERENCE_HINT = (
    "推論時 (train_flg=False) の出力は、ドロップアウトのないネットワークと同じです。"
    "predict の train_flg を Dropout の forward にそのまま渡していますか。"
)
_INFERENCE_GRADIENT_HINT = (
    "ドロップアウトなし (推論時) の順伝播の勾配になっています。gradient の順伝播は学習時 (train_flg=True) で行い、"
    "そのマスクのまま逆伝播します。"
)
_SKIPPED_BACKWARD_HINT = "逆伝播で Dropout の backward を通していません。消したユニットには勾配が流れません。"
_SAME_MASK_HINT = (
    "gradient は学習時の順伝播を 1 回だけ行い、その順伝播と同じマスクのまま逆伝播します"
    " (逆伝播の前に forward を呼び直すと、マスクが引き直されます)。"
)
_LAYER_NOTE = (
    "\n(演習 1 の Dropout が、シードから同じマスクを引くドロップアウトのレイヤとして動いていないため、"
    "このネットワークの期待値は模範解答の Dropout で計算しています。先に演習 1 を直してください。"
    "演習 1 の Dropout は、グローバルな乱数 (np.random.rand など) ではなく self.rng からマスクを引き、"
    "学習時に残したユニットを 1/(1 − p) 倍します。)"
)


def _like_dropout(out: Any, x: np.ndarray) -> bool:
    """Whether out is x with some elements set to 0 and the others multiplied by one constant c > 0
    (whatever the layer's scaling or mask mistakes; all elements may be 0)."""
    if not isinstance(out, np.ndarray) or out.shape != x.shape or not np.all(np.isfinite(out)):
        return False
    kept = out != 0
    if not np.any(kept):
        return True
    if np.any(x[kept] == 0):
        return False
    ratios = out[kept] / x[kept]
    return bool(ratios[0] > 0 and np.allclose(ratios, ratios[0], rtol=RTOL))


def _layer_outputs(run: Runner, ratio: float, seed: int, hidden: list, flags: list, douts: list) -> list | None:
    """What a Dropout(ratio, rng=default_rng(seed)) of the learner returns on this sequence (forward of
    each hidden with its flag, then backward of the dout where one is given), when it behaves like a
    dropout layer drawn from the seed: every output as _like_dropout says, not all of them 0, some
    active unit dropped in training, and the
    forwards up to the first backward the same when replayed without it (a backward may draw, so the
    later forwards are taken from the run with the backward, as in the network); else None."""
    steps = list(zip(hidden, flags, douts))
    try:
        first = _drive(run, ratio, seed, [(h, flag, None) for h, flag, _ in steps])
        second = _drive(run, ratio, seed, steps)
    except CheckFailure:
        return None
    if not any(isinstance(out, np.ndarray) and np.any(out != 0) for out, _ in first):
        return None
    # a layer that drops nothing in training is no dropout: a correct one drops none of the active
    # units of a sequence with probability below 1e-10 (three training forwards of at least 90
    # units, about 60 % of them active; p >= 0.2 on 216 units, p >= 0.5 on 90)
    if not any(
        isinstance(out, np.ndarray) and out.shape == h.shape and np.any((out == 0) & (h != 0))
        for (h, flag, _), (out, _) in zip(steps, first)
        if flag
    ):
        return None
    before_backward = True
    for (h, _, dout), (out, _), (again, dx) in zip(steps, first, second):
        if not _like_dropout(out, h) or not _like_dropout(again, h):
            return None
        if before_backward and not np.array_equal(out, again):
            return None
        if dout is not None:
            before_backward = False
            if not _like_dropout(dx, dout):
                return None
    return second


def _reference_layer_outputs(ratio: float, seed: int, hidden: list, flags: list, douts: list) -> list:
    layer = ref.Dropout(ratio, rng=np.random.default_rng(seed))
    results = []
    for h, flag, dout in zip(hidden, flags, douts):
        out = layer.forward(h, train_flg=flag)
        results.append((out, None if dout is None else layer.backward(dout)))
    return results


def _net_case(rng: np.random.Generator, d: int, h: int, c: int) -> dict[str, np.ndarray]:
    return {
        "W1": rng.standard_normal((d, h)),
        "b1": rng.uniform(0.2, 0.8, size=h),  # most hidden units active: the mask shows in the output
        "W2": rng.standard_normal((h, c)),
        "b2": rng.standard_normal(c) * 0.1,
    }


class _NetCase:
    """One network, four calls in this order: predict (training), predict (inference), gradient, loss
    (training), one per property (``calls`` counts the calls made, so that a property runs on a network
    only after the calls before it). The Dropout layer in it is the learner's when that layer behaves
    like a dropout drawn from the seed (then a mistake of exercise 1 costs nothing here), else the
    reference's."""

    def __init__(self, run: Runner, rng: np.random.Generator, ratio: float, sizes: tuple[int, int, int], n: int):
        d, h, c = sizes
        self.run = run
        self.calls = 0
        self.params = params = _net_case(rng, d, h, c)
        seed = int(rng.integers(2**31))
        self.xs = xs = [rng.standard_normal((n, d)) for _ in range(4)]
        self.t2, self.t3 = rng.integers(0, c, size=n), rng.integers(0, c, size=n)
        self.pre = [x @ params["W1"] + params["b1"] for x in xs]
        hidden = [np.maximum(a, 0.0) for a in self.pre]
        flags = [True, False, True, True]

        # the mask of the gradient call (the third training draw) decides dout of the Dropout layer
        learner = _layer_outputs(run, ratio, seed, hidden, flags, [None] * 4)
        self.note = ""
        if learner is not None:
            layer = _layer_outputs(run, ratio, seed, hidden, flags, [None, None, self.dhidden_of(learner[2][0]), None])
        else:
            layer = None
        if layer is None:
            self.note = _LAYER_NOTE
            plain = _reference_layer_outputs(ratio, seed, hidden, flags, [None] * 4)
            dhidden = self.dhidden_of(plain[2][0])
            layer = _reference_layer_outputs(ratio, seed, hidden, flags, [None, None, dhidden, None])
        self.layer = layer

        self.label = f"{NET}(params, dropout_ratio={ratio:.3g}, seed) (W1 の形状 {(d, h)}、W2 の形状 {(h, c)}、N={n})"
        self.net = run.new(NET, learner_copy(params), ratio, seed)
        self.no_dropout = [self.head(hh) for hh in hidden]

    def head(self, out: np.ndarray) -> np.ndarray:
        return out @ self.params["W2"] + self.params["b2"]

    def dhidden_of(self, out: np.ndarray) -> np.ndarray:
        last = ref.SoftmaxWithLoss()
        last.forward(self.head(out), self.t2)
        return last.backward(1.0) @ self.params["W2"].T

    def _step(self, check: Callable[[], None]) -> None:
        self.calls += 1
        try:
            check()
        except CheckFailure as failure:
            raise CheckFailure(f"{failure}{self.note}") from None

    def predict_training(self) -> None:
        self._step(self._predict_training)

    def predict_inference(self) -> None:
        self._step(self._predict_inference)

    def gradient(self) -> None:
        self._step(self._gradient)

    def loss(self) -> None:
        self._step(self._loss)

    def _predict_training(self) -> None:
        got = self.run.method(self.net, "predict", self.xs[0], train_flg=True)
        check_array(
            got,
            self.head(self.layer[0][0]),
            f"{self.label} の 1 回目の呼び出し predict(x, train_flg=True)",
            show_values=False,
            mistakes=[(self.no_dropout[0], _NO_FLAG_HINT)],
        )

    def _predict_inference(self) -> None:
        got = self.run.method(self.net, "predict", self.xs[1], train_flg=False)
        try:
            check_array(
                got,
                self.head(self.layer[1][0]),
                f"{self.label} の 2 回目の呼び出し predict(x, train_flg=False)",
                show_values=False,
            )
        except CheckFailure as failure:
            raise CheckFailure(f"{failure}\nヒント: {_INFERENCE_HINT}") from None

    def _gradient(self) -> None:
        params, xs, t2, pre, label = self.params, self.xs, self.t2, self.pre, self.label
        grads = self.run.method(self.net, "gradient", xs[2], t2)
        check_true(
            isinstance(grads, dict) and all(key in grads for key in KEYS),
            f"{label} の gradient の戻り値は、キー {list(KEYS)} を持つ辞書にしてください。",
        )
        out2, dh2 = self.layer[2]
        last = ref.SoftmaxWithLoss()
        last.forward(self.head(out2), t2)
        dscores = last.backward(1.0)
        da = dh2 * (pre[2] > 0)
        expected = {"W1": xs[2].T @ da, "b1": da.sum(axis=0), "W2": out2.T @ dscores, "b2": dscores.sum(axis=0)}
        inference_grads = _plain_gradients(params, xs[2], t2)
        da_skipped = (dscores @ params["W2"].T) * (pre[2] > 0)  # Dropout's backward left out
        skipped = {"W1": xs[2].T @ da_skipped, "b1": da_skipped.sum(axis=0)}
        for key in ("W2", "b2", "W1", "b1"):  # W2 first: an inference-mode forward shows there alone
            mistakes = [(inference_grads[key], _INFERENCE_GRADIENT_HINT)]
            if key in skipped:
                mistakes.append((skipped[key], _SKIPPED_BACKWARD_HINT))
            try:
                check_array(
                    grads[key],
                    expected[key],
                    f"{label} の 3 回目の呼び出し gradient(x, t) の '{key}'",
                    rtol=1e-7,
                    atol=1e-10,
                    show_values=False,
                    mistakes=mistakes,
                )
            except CheckFailure as failure:
                if "ヒント" in str(failure):
                    raise
                raise CheckFailure(f"{failure}\nヒント: {_SAME_MASK_HINT}") from None

    def _loss(self) -> None:
        loss = self.run.method(self.net, "loss", self.xs[3], self.t3, train_flg=True)
        expected_loss = ref.SoftmaxWithLoss().forward(self.head(self.layer[3][0]), self.t3)
        check_scalar(
            loss,
            expected_loss,
            f"{self.label} の 4 回目の呼び出し loss(x, t, train_flg=True)",
            rtol=1e-9,
            atol=1e-12,
            show_values=False,
        )


KEYS = ("W1", "b1", "W2", "b2")


def _plain_gradients(params: dict[str, np.ndarray], x: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
    """The gradients of the network without dropout (a classic mistake: gradient in inference mode)."""
    pre = x @ params["W1"] + params["b1"]
    hidden = np.maximum(pre, 0.0)
    last = ref.SoftmaxWithLoss()
    last.forward(hidden @ params["W2"] + params["b2"], t)
    dscores = last.backward(1.0)
    da = (dscores @ params["W2"].T) * (pre > 0)
    return {"W1": x.T @ da, "b1": da.sum(axis=0), "W2": hidden.T @ dscores, "b2": dscores.sum(axis=0)}


def _calls_made(nets: list[_NetCase], calls: int, name: str) -> tuple[str, ...]:
    """``needs`` of the property that makes the next call on every network: none when all three networks
    were built and had their first ``calls`` calls, else the property ``name`` that made the last ones."""
    return () if len(nets) == 3 and all(net.calls == calls for net in nets) else (name,)


def check_dropout_net(run: Runner, rng: np.random.Generator) -> None:
    cases = [
        (float(rng.uniform(0.2, 0.4)), (5, 12, 3), 6),
        (float(rng.uniform(0.5, 0.7)), (4, 30, 5), 1),  # batch size 1
        (0.5, (7, 20, 4), 10),
    ]
    nets: list[_NetCase] = []  # one network per case, called in turn by the four properties

    def build_and_predict(case: tuple) -> None:
        net = _NetCase(run, rng, *case)
        nets.append(net)
        net.predict_training()

    training = "学習時の predict (train_flg=True) は Dropout でユニットを消す (N = 1 を含む 3 つのネットワーク)"
    inference = "推論時の predict (train_flg=False) はドロップアウトのないネットワークと同じ"
    gradient = "gradient は学習時の順伝播 1 回と、同じマスクのままの逆伝播で求める"
    with properties(run) as network:
        network.check(training, each_case, run, cases, build_and_predict)
        network.check(inference, each_case, run, nets, _NetCase.predict_inference, needs=_calls_made(nets, 1, training))
        network.check(gradient, each_case, run, nets, _NetCase.gradient, needs=_calls_made(nets, 2, inference))
        loss = "学習時の loss (train_flg=True) は、そのマスクのスコアの交差エントロピー誤差"
        network.check(loss, each_case, run, nets, _NetCase.loss, needs=_calls_made(nets, 3, gradient))


# ---------------------------------------------------------------------------- dropout_scale_at_inference
SCALE_AT_INFERENCE = "DropoutScaleAtInference"


# the properties of the layer, in the order of the feedback; a sequence that stops at one of them
# (a call that raised, an unreadable training mask) leaves the ones after it unchecked
_A_KINDS = {
    "train": "学習時の forward の値 (消したユニットは 0、残したユニットは x のまま。N = 1 を含む)",
    "infer": "推論時 (train_flg=False) の forward は (1 − p) 倍した値",
    "backward": "backward は最後の学習時の forward のマスクを使う (推論をはさんでも)",
    "unchanged": "引数の x を書き換えない",
    "fraction": "消えるユニットの割合が p に近い (大きな入力)",
}


class _ScaleAtInferenceRun:
    """The sequences of the three layers, run once; every check's failure is kept under the property
    it belongs to (``failures``: the first one of each), so that each property gets its own verdict.
    ``stopped``: the properties at which a sequence had to stop (the later steps were not checked)."""

    def __init__(self, run: Runner) -> None:
        self.run = run
        self.failures: dict[str, CheckFailure] = {}
        self.stopped: list[str] = []

    def _fail(self, kind: str, failure: CheckFailure) -> None:
        self.failures.setdefault(kind, failure)

    def _attempt(self, kind: str, check: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[bool, Any]:
        """(True, check(*args, **kwargs)), or (False, None) with the failure kept under ``kind``."""
        try:
            return True, check(*args, **kwargs)
        except CheckFailure as failure:
            self._fail(kind, failure)
        except UNEXPECTED_VALUE_ERRORS as error:
            self._fail(kind, CheckFailure(unexpected_value(error)))
        return False, None

    def sequence(self, rng: np.random.Generator, ratio: float) -> None:
        """One layer built without rng (the default: an unseeded generator), driven through training and
        inference forwards and backwards. The mask of each training forward is read off its output (the
        inputs never contain 0); backward must use the mask of the last training forward, even after an
        inference forward; the forwards leave x alone; a large input drops a fraction close to p."""
        run = self.run
        plan = [
            # 80 units: a backward that draws a new mask keeps them all (and looks like no mask at all)
            # with probability (1 − p)^80 < 2e-4 for p >= 0.1, so the first diagnostic names the new draw
            ("train", (8, 10)),
            ("infer", (8, 10)),
            ("backward", None),
            ("train", (1, 6)),  # batch size 1
            ("backward", None),
            ("train", (3, 2, 4)),
            ("train", (3, 2, 4)),  # a second forward replaces the mask ...
            ("infer", (4, 4)),  # ... an inference forward in between does not ...
            ("backward", None),  # ... and backward uses the newest training mask
            ("train", (int(rng.integers(300, 450)), int(rng.integers(150, 220)))),  # dropped fraction
            ("backward", None),
        ]
        # the inputs, drawn before the learner's code runs (a sequence that stops leaves the draws of the
        # next ones alone): x of each forward, dout of each backward (the shape of the last training forward)
        inputs: list[np.ndarray] = []
        last: tuple[int, ...] = ()
        for kind, shape in plan:
            if kind == "backward":
                inputs.append(rng.standard_normal(last))
            else:
                inputs.append(_input(rng, shape))
                last = shape if kind == "train" else last
        built, layer = self._attempt("train", run.new, SCALE_AT_INFERENCE, ratio)
        if not built:
            self.stopped.append("train")
            return
        label = f"{SCALE_AT_INFERENCE}({ratio:.3g})"
        unchanged = f"{label} の forward が引数の x を書き換えています。新しい配列を返してください。"
        kept = earlier = None
        for step, (kind, _) in enumerate(plan, start=1):
            if kind == "backward":
                dout = inputs[step - 1]
                where = f"{label} の {step} 番目の手順での backward (dout の形状 {dout.shape})"
                called, dx = self._attempt(kind, run.method, layer, "backward", dout)
                if not called:
                    self.stopped.append(kind)
                    return
                check = props.check_unscaled_backward
                self._attempt(kind, check, dx, dout, ratio, kept, earlier, where, show_values=False)
                continue
            x = inputs[step - 1]
            train_flg = kind == "train"
            called, out = self._attempt(kind, run.method, layer, "forward", x, train_flg=train_flg)
            if not called:
                self.stopped.append(kind)
                return
            self._attempt("unchanged", check_unchanged, run, 0, unchanged)
            where = _where(step - 1, x, ratio, train_flg).replace("Dropout", SCALE_AT_INFERENCE, 1)
            if train_flg:
                read, mask = self._attempt(kind, props.check_unscaled_training_output, out, x, ratio, where)
                if not read:
                    self.stopped.append(kind)
                    return
                earlier, kept = kept, mask
                if kept.size >= 45_000:
                    self._attempt("fraction", props.check_dropped_fraction, kept, ratio, where)
            else:
                self._attempt(kind, props.check_scaled_inference, out, x, ratio, where, show_values=False)

    def report(self, kind: str) -> None:
        if kind in self.failures:
            raise self.failures[kind]

    def needs(self, kind: str) -> tuple[str, ...]:
        """The property at which a sequence stopped before the property ``kind``, if any."""
        order = list(_A_KINDS)
        earlier = [k for k in self.stopped if order.index(k) < order.index(kind)]
        return (_A_KINDS[min(earlier, key=order.index)],) if earlier else ()


def _check_a_seeds(run: Runner, ratio: float, seeds: tuple[int, int], x: np.ndarray) -> None:
    """Layers of convention A built with the same seed draw the same mask, with another seed another one."""
    label = f"dropout_ratio={ratio:.3g}、入力の形状 {x.shape}"

    def kept(seed: int, which: str) -> np.ndarray:
        out = _drive(run, ratio, seed, [(x, True, None)], "DropoutScaleAtInference")[0][0]
        return props.check_unscaled_training_output(out, x, ratio, f"{label} の{which}")

    first = kept(seeds[0], "forward")
    again = kept(seeds[0], "forward (同じシードの別のレイヤ)")
    props.check_equal_masks(first, again, f"{label}、同じシードの 2 つのレイヤ", props.SAME_SEED_HINT)
    elsewhere = kept(seeds[1], "forward (別のシード)")
    props.check_different_masks(first, elsewhere, f"{label}、シードの違う 2 つのレイヤ", props.SAME_SEED_HINT)


def check_dropout_scale_at_inference(run: Runner, rng: np.random.Generator) -> None:
    # The three sequences run first, each check's failure kept for its property (the calls are made
    # once); a time-out or a crash of the learner's process ends them all.
    # the inputs of the seed property, drawn first: 4 000 to 8 000 units, so that two seeds give the
    # same mask with a negligible probability
    seed_ratio = float(rng.uniform(0.3, 0.7))
    seeds = tuple(int(v) for v in rng.choice(2**31, size=2, replace=False))
    seed_x = _input(rng, (int(rng.integers(40, 80)), 100))
    sequences = _ScaleAtInferenceRun(run)
    start = run.restarts
    # p = 0.5 last: there p = 1 − p, and a reversed mask drops the right fraction
    for ratio in (float(rng.uniform(0.1, 0.4)), float(rng.uniform(0.6, 0.85)), 0.5):
        sequences.sequence(rng, ratio)
        if run.restarts != start:
            break
    with properties(run) as layer:
        for kind, name in _A_KINDS.items():
            layer.check(name, sequences.report, kind, needs=sequences.needs(kind))
        layer.check(
            "乱数は self.rng からだけ引く (同じシードなら同じマスク、違うシードなら違うマスク)",
            _check_a_seeds,
            run,
            seed_ratio,
            seeds,
            seed_x,
            needs=[_A_KINDS["train"]],
        )


CHECKS = {
    "dropout_forward": check_dropout_forward,
    "dropout_backward": check_dropout_backward,
    "dropout_rules": check_dropout_rules,
    "dropout_net": check_dropout_net,
    "dropout_scale_at_inference": check_dropout_scale_at_inference,
}

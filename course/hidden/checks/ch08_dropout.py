"""Hidden checks of ch08_dropout (INSTRUCTOR ONLY).

Dropout is random, so the learner's layer and the reference are driven from the same seed, as
PrairieLearn's Python grader does, and the masks must agree exactly, call by call. A
``numpy.random.Generator`` is not plain data and cannot cross the sandbox boundary; an integer
seed can. The notebook therefore defines a helper (not an exercise)::

    run_dropout(dropout_ratio, seed, steps) -> list of (out, dx)

that builds ``Dropout(dropout_ratio, rng=np.random.default_rng(seed))`` from the learner's class
and, for each step ``(x, train_flg, dout)``, calls ``forward(x, train_flg=train_flg)`` if x is
not None and then ``backward(dout)`` if dout is not None. The reference is driven the same way.

When a value differs, the hints are built by replaying the same uniform stream
(``np.random.default_rng(seed).random(shape)``, one draw per training forward) with the mistake
applied: no scaling, scaling by p or 1 − p, the complementary mask, a mask shared by the batch,
a mask drawn at inference or in backward, the stale mask of an earlier call. A mask that matches
none of them but has the right scale comes from another source of randomness (``np.random``'s
global state, a fresh Generator): that gets its own hint.

Every expected value is computed here from the seed and the inputs. A wrong forward costs points in
the forward check only when its mask can be replayed from the seed (the correct mask with a wrong
scale, the complementary mask, a mask shared by the batch): backward is then graded against that
mask. A mask from another source of randomness cannot be reproduced here, so backward is graded
against the correct mask and the failure says to fix the forward first.

The layer only multiplies by 0 or 1/(1 − p): tolerance relative 1e-10, absolute 1e-12.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from course import reference as ref
from course.checks import CheckFailure, check_array, check_true

from ..runner import Runner
from . import check_unchanged, learner_copy

RTOL, ATOL = 1e-10, 1e-12
HELPER = "run_dropout"

_RNG_HINT = (
    "スケール 1/(1 − p) は正しいのですが、残したユニット (マスク) が同じシードの参照と一致しません。"
    "マスクは self.rng.random(x.shape) > self.dropout_ratio で作り、"
    "forward 1 回 (学習時) につき乱数を 1 回だけ引きます。"
    "np.random.rand などのグローバルな乱数や、forward の中で新しく作った Generator を使っていませんか"
    " (コンストラクタで受け取った rng を self.rng に保存して使います)。"
)
_SAME_MASK_HINT = (
    "forward を呼ぶたびに同じマスクになっています。forward の中で Generator を作り直していませんか。"
    "コンストラクタで受け取った self.rng から、呼ぶたびに新しい乱数を引きます。"
)
_NO_MASK_HINT = (
    "backward が forward で保存したマスクを見つけられません。forward (学習時) でマスクを self.mask に保存してください。"
)


def _failure_with_hint(failure: CheckFailure) -> CheckFailure:
    text = str(failure)
    if "mask" in text or "NoneType" in text:
        return CheckFailure(f"{text}\nヒント: {_NO_MASK_HINT}")
    return failure


def _drive(run: Runner, ratio: float, seed: int, steps: list) -> list[tuple[Any, Any]]:
    """The learner's results, checked to be a list of (out, dx) pairs, one per step."""
    try:
        results = run.call(HELPER, ratio, seed, learner_copy(steps))
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


def _drive_reference(ratio: float, seed: int, steps: list) -> list[tuple[Any, Any]]:
    layer = ref.Dropout(ratio, rng=np.random.default_rng(seed))
    results = []
    for x, train_flg, dout in steps:
        out = None if x is None else layer.forward(x, train_flg=train_flg)
        dx = None if dout is None else layer.backward(dout)
        results.append((out, dx))
    return results


def _input(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Values with |x| in [0.5, 2] and random signs: never 0, so the kept units can be read off the output."""
    return rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def _kept(out: Any, x: np.ndarray) -> np.ndarray | None:
    """The units the learner kept, if ``out`` looks like x times a 0/c mask for one constant c; else None."""
    if not isinstance(out, np.ndarray) or out.shape != x.shape or not np.all(np.isfinite(out)):
        return None
    kept = out != 0
    if kept.any():
        ratios = out[kept] / x[kept]
        if not np.allclose(ratios, ratios[0], rtol=RTOL, atol=ATOL):
            return None
    return kept


def _scale(out: np.ndarray, x: np.ndarray, kept: np.ndarray) -> float | None:
    return float(out[kept][0] / x[kept][0]) if kept.any() else None


def _where(step: int, x: np.ndarray, ratio: float, train_flg: bool) -> str:
    mode = "学習時" if train_flg else "推論時 (train_flg=False)"
    return f"dropout_ratio={ratio:.3g} の Dropout の {step + 1} 回目の forward ({mode}、入力の形状 {x.shape})"


# ---------------------------------------------------------------------------- forward


def _forward_mistakes(
    x: np.ndarray, ratio: float, u: np.ndarray, u_shared: np.ndarray, got: Any, others: list[np.ndarray]
) -> list[tuple[np.ndarray, str]]:
    """Hints for a training forward whose correct mask is u > ratio (u: the uniform draw of this call).

    others: the masks the learner used in the other training calls with the same (large) input shape.
    """
    q = 1.0 - ratio
    mask = u > ratio
    mistakes = [
        (
            x * mask,
            "学習時に 1/(1 − p) 倍していません。これは推論時に (1 − p) 倍する従来の方式の学習時の式です。"
            "この講座 (と PyTorch) の inverted dropout では、学習時に残したユニットを 1/(1 − p) 倍し、"
            "推論時は何もしません。",
        ),
        (x * mask * q, "1 − p を掛けています。学習時は 1 − p で割ります (x * mask / (1 − p))。"),
        (x * mask * ratio, "p を掛けています。学習時は 1 − p で割ります (p は消す確率、1 − p が残す確率)。"),
        (x * mask / ratio, "p で割っています。割るのは残す確率 1 − p です (p は消す確率)。"),
        (
            x * (u <= ratio) / q,
            "マスクの向きが逆です (残す割合が p になっています)。dropout_ratio は消す確率なので、"
            "残すのは self.rng.random(x.shape) > self.dropout_ratio の要素です。",
        ),
        (
            x * (u < q) / q,
            "rng.random(x.shape) < 1 − p や rng.binomial(1, 1 − p, ...) も分布としては正しいマスクですが、"
            "採点では同じ乱数から同じマスクを作る必要があります。"
            "指定どおり self.rng.random(x.shape) > self.dropout_ratio としてください。",
        ),
        (
            x * (u_shared > ratio) / q,
            "バッチ内のすべてのサンプルで同じマスクを使っています。マスクは入力と同じ形状 x.shape で作り、"
            "サンプルごと・ユニットごとに別々に消します。",
        ),
        (x, "学習時 (train_flg=True) なのにユニットを消していません。"),
    ]
    kept = _kept(got, x)
    if kept is not None and kept.any() and not np.array_equal(kept, mask):
        scale = _scale(got, x, kept)
        if any(np.array_equal(kept, other) for other in others):
            mistakes.append((got, _SAME_MASK_HINT))
        elif np.isclose(scale, 1 / q, rtol=RTOL):
            mistakes.append((got, _RNG_HINT))
    return mistakes


def _inference_mistakes(x: np.ndarray, ratio: float, u_next: np.ndarray, last_mask: np.ndarray | None):
    q = 1.0 - ratio
    mistakes = [
        (
            x * q,
            "推論時に (1 − p) 倍しています。それは学習時にスケールしない従来の方式の推論の式です。"
            "inverted dropout では学習時にすでに 1/(1 − p) 倍しているので、推論時は x をそのまま返します。",
        ),
        (
            x * (u_next > ratio) / q,
            "推論時 (train_flg=False) にもユニットを消しています。推論時は x をそのまま返します。",
        ),
        (x * (u_next > ratio), "推論時 (train_flg=False) にもユニットを消しています。推論時は x をそのまま返します。"),
        (x / q, "推論時に 1/(1 − p) 倍しています。推論時は x をそのまま返します。"),
    ]
    if last_mask is not None and last_mask.shape == x.shape:
        mistakes.append(
            (x * last_mask / q, "推論時に、保存してあるマスクを使っています。推論時は x をそのまま返します。")
        )
    return mistakes


def _check_forward_sequence(run: Runner, rng: np.random.Generator, ratio: float, shapes_and_flags) -> None:
    seed = int(rng.integers(2**31))
    steps = [(_input(rng, shape), train_flg, None) for shape, train_flg in shapes_and_flags]
    got = _drive(run, ratio, seed, steps)
    check_unchanged(
        run,
        2,
        f"dropout_ratio={ratio:.3g} の Dropout の forward が引数の x を書き換えています (x *= mask など)。"
        "x * self.mask / (1 − p) のように新しい配列を返してください。",
    )
    want = _drive_reference(ratio, seed, steps)
    stream = np.random.default_rng(seed)  # stays in step with the reference's draws
    masks: list[np.ndarray] = []
    # the learner's own masks; two equal ones of 20 or more units are no coincidence
    learner_masks = [_kept(out, x) if flag and x.size >= 20 else None for (x, flag, _), (out, _) in zip(steps, got)]
    for i, ((x, train_flg, _), (out, _), (out_ref, _)) in enumerate(zip(steps, got, want)):
        where = _where(i, x, ratio, train_flg)
        if train_flg:
            # a learner who shares one mask over the batch draws shape[1:] at every training call
            shared = np.random.default_rng(seed)
            for shape, flag in shapes_and_flags[:i]:
                if flag:
                    shared.random(shape[1:])
            u_shared = shared.random(x.shape[1:])
            u = stream.random(x.shape)
            others = [m for j, m in enumerate(learner_masks) if j != i and m is not None and m.shape == x.shape]
            mistakes = _forward_mistakes(x, ratio, u, u_shared, out, others)
        else:
            peek = np.random.default_rng(0)
            peek.bit_generator.state = stream.bit_generator.state
            mistakes = _inference_mistakes(x, ratio, peek.random(x.shape), masks[-1] if masks else None)
        check_array(out, out_ref, where, rtol=RTOL, atol=ATOL, mistakes=mistakes, show_values=False)
        if train_flg:
            masks.append(u > ratio)


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


def check_dropout_forward(run: Runner, rng: np.random.Generator) -> None:
    # out-of-range ratios are refused at construction
    for bad in (1.0, -0.1, 1.5):
        try:
            run.new("Dropout", bad)
        except CheckFailure as failure:
            if "NotImplementedError" in str(failure):
                raise
            check_true(
                "ValueError" in str(failure),
                f"Dropout({bad}) で ValueError 以外の例外が出ました ({failure})。"
                "0 <= dropout_ratio < 1 でなければ ValueError を出してください。",
            )
        else:
            raise CheckFailure(
                f"Dropout({bad}) で ValueError が出ませんでした。dropout_ratio は 0 以上 1 未満です"
                " (1 ならすべて消えて 1/(1 − p) が割り算できません)。"
            )

    # same seed, same masks, call by call; batch size 1, a repeated shape, an inference call in between.
    # A large input first: the hints that recognise a mask are reliable only when the mask has many units.
    sequence = [((5, 8), True), ((1, 6), True), ((5, 8), False), ((3, 2, 4), True), ((5, 8), True), ((7,), True)]
    # p = 0.5 last: there p = 1 − p, and several mistakes (× p or × (1 − p), u < p or u < 1 − p) look alike
    for ratio in (float(rng.uniform(0.1, 0.4)), float(rng.uniform(0.6, 0.85)), 0.5):
        _check_forward_sequence(run, rng, ratio, sequence)

    # p = 0 keeps everything
    x = _input(rng, (4, 3))
    layer = run.new("Dropout", 0.0)
    out = _without_rng(run, layer, x)
    check_array(out, x, "dropout_ratio=0 の Dropout の学習時の forward", show_values=False)

    # the default rng=None works and drops the right fraction
    ratio = float(rng.uniform(0.2, 0.6))
    c = float(rng.uniform(0.5, 2.0))
    x = np.full((400, 250), c)
    layer = run.new("Dropout", ratio)
    out = _without_rng(run, layer, x)
    where = f"rng を省略した Dropout({ratio:.3g}) の forward (入力の形状 {x.shape})"
    check_true(
        isinstance(out, np.ndarray) and out.shape == x.shape,
        f"{where} の出力の形状が入力と違います。",
    )
    scaled = np.isclose(out, c / (1 - ratio), rtol=1e-10)
    check_true(
        bool(np.all(scaled | (out == 0))),
        f"{where} の出力に、0 でも x/(1 − p) でもない値があります。",
    )
    dropped = float(np.mean(out == 0))
    tolerance = 5 * np.sqrt(ratio * (1 - ratio) / x.size)  # five standard errors of the dropped fraction
    check_true(
        abs(dropped - ratio) <= tolerance,
        f"{where} で消えたユニットの割合が {dropped:.4f} で、p = {ratio:.3g} から離れすぎています"
        f" (許容 ±{tolerance:.4f})。マスクの向き (> か <) を確かめてください。",
    )


# ---------------------------------------------------------------------------- backward


def _backward_mistakes(
    dout: np.ndarray, ratio: float, mask: np.ndarray, u_next: np.ndarray | None, stale: np.ndarray | None
) -> list[tuple[np.ndarray, str]]:
    q = 1.0 - ratio
    mistakes = []
    if u_next is not None:
        mistakes.append(
            (
                dout * (u_next > ratio) / q,
                "backward で新しいマスクを作っています。backward では forward で保存した self.mask を使います"
                " (順伝播で消したユニットには勾配も流れません)。",
            )
        )
    if stale is not None and stale.shape == dout.shape:
        mistakes.append(
            (dout * stale / q, "前の forward のマスクを使っています。forward のたびに self.mask を上書きしてください。")
        )
    mistakes += [
        (dout * mask, "逆伝播でも 1/(1 − p) 倍します (順伝播と同じマスク・同じスケール)。"),
        (dout * mask * q, "1 − p を掛けています。逆伝播も順伝播と同じく 1 − p で割ります。"),
        (dout * mask * ratio, "p を掛けています。逆伝播も順伝播と同じく 1 − p で割ります。"),
        (dout * mask / ratio, "p で割っています。割るのは残す確率 1 − p です。"),
        (dout / q, "マスクを掛けていません。順伝播で消したユニットの勾配は 0 です。"),
        (dout * ~mask / q, "マスクが逆です。勾配を通すのは、順伝播で残した (mask が True の) ユニットです。"),
        (dout, "dout をそのまま返しています。dout * self.mask / (1 − p) です。"),
    ]
    return mistakes


# Masks of the classic mistakes of the FORWARD pass that can be replayed from the seed: with one of
# them, forward loses its points in the forward check, and backward is graded against that mask.
_MASK_VARIANTS = ("correct", "reversed", "keep_below_one_minus_p", "shared_over_batch")

_FOREIGN_MASK_NOTE = (
    "\n(forward で残したユニット (マスク) が、同じシードから作れるマスクのどれとも一致しないため、backward は"
    "参照のマスクと比べています。先に forward を直してください: マスクは self.rng.random(x.shape) > "
    "self.dropout_ratio で作ります。np.random.rand などのグローバルな乱数や、forward の中で新しく作った "
    "Generator では、同じシードでも一致しません。)"
)


def _replayed_masks(seed: int, ratio: float, shapes: list[tuple[int, ...]]) -> dict[str, list[np.ndarray]]:
    """The masks of the training forwards (inputs of the given shapes, in order) with the correct draw
    and with each replayable mistake of the forward pass, from the same seed."""
    masks: dict[str, list[np.ndarray]] = {}
    for variant in _MASK_VARIANTS:
        stream, masks[variant] = np.random.default_rng(seed), []
        for shape in shapes:
            if variant == "shared_over_batch":  # one mask of shape x.shape[1:] for every sample
                mask = np.broadcast_to(stream.random(shape[1:]) > ratio, shape)
            elif variant == "reversed":
                mask = stream.random(shape) < ratio
            elif variant == "keep_below_one_minus_p":
                mask = stream.random(shape) < 1.0 - ratio
            else:
                mask = stream.random(shape) > ratio
            masks[variant].append(mask)
    return masks


def _check_backward_sequence(run: Runner, rng: np.random.Generator, ratio: float, plan) -> None:
    """plan: list of (shape or None, dout?) — forward in training mode on a new input of that shape
    (None: no forward), then backward with a fresh dout of the last forward's shape if dout? is True.

    The expected dx is always computed here: dout · mask / (1 − p) with the mask of the correct
    forward, or, when the learner's forward kept exactly the units of a replayable mistake of the
    forward (_MASK_VARIANTS, graded by the forward check), with that mistake's mask."""
    seed = int(rng.integers(2**31))
    steps, shape = [], None
    for new_shape, with_dout in plan:
        shape = new_shape or shape
        x = None if new_shape is None else _input(rng, new_shape)
        steps.append((x, True, rng.standard_normal(shape) if with_dout else None))
    got = _drive(run, ratio, seed, steps)
    want = _drive_reference(ratio, seed, steps)
    replayed = _replayed_masks(seed, ratio, [x.shape for x, _, _ in steps if x is not None])
    stream = np.random.default_rng(seed)
    mask = stale = None
    forwards = -1
    last_x = last_out = None
    for i, ((x, _, dout), (out, dx), (out_ref, dx_ref)) in enumerate(zip(steps, got, want)):
        if x is not None:
            forwards += 1
            stale = mask
            mask = stream.random(x.shape) > ratio
            last_x, last_out, last_out_ref = x, out, out_ref
        if dout is None:
            continue
        expected, own_mask, note = dx_ref, mask, ""
        if not (isinstance(last_out, np.ndarray) and np.allclose(last_out, last_out_ref, rtol=RTOL, atol=ATOL)):
            # the forward is wrong (graded by the forward check): the mask of the mistake it shows, if any
            kept = _kept(last_out, last_x)
            shown = [m[forwards] for m in replayed.values() if kept is not None and np.array_equal(kept, m[forwards])]
            if shown:
                own_mask = shown[0]
                expected = dout * own_mask / (1.0 - ratio)
            else:
                note = _FOREIGN_MASK_NOTE
        peek = np.random.default_rng(0)
        peek.bit_generator.state = stream.bit_generator.state
        u_next = peek.random(dout.shape)
        mistakes = _backward_mistakes(dout, ratio, own_mask, u_next, stale)
        try:
            check_array(
                dx,
                expected,
                f"dropout_ratio={ratio:.3g} の Dropout の {i + 1} 番目の手順での backward (dout の形状 {dout.shape})",
                rtol=RTOL,
                atol=ATOL,
                mistakes=mistakes,
                show_values=False,
            )
        except CheckFailure as failure:
            raise CheckFailure(f"{failure}{note}") from None


def check_dropout_backward(run: Runner, rng: np.random.Generator) -> None:
    plan = [
        ((6, 5), True),  # a large input first (see check_dropout_forward)
        ((1, 7), True),  # batch size 1
        ((6, 5), True),
        (None, True),  # backward again: same mask, new dout
        ((6, 5), False),  # a second forward replaces the mask ...
        ((6, 5), True),  # ... and the next backward uses the newest one
        ((2, 3, 4), True),
    ]
    for ratio in (float(rng.uniform(0.1, 0.4)), float(rng.uniform(0.6, 0.85)), 0.5):
        _check_backward_sequence(run, rng, ratio, plan)


CHECKS = {
    "dropout_forward": check_dropout_forward,
    "dropout_backward": check_dropout_backward,
}

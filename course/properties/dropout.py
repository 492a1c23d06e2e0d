"""What every correct dropout layer does, whatever way it draws its mask (ch08): inverted dropout
(``Dropout``, exercise 1) and the convention that scales at inference (``DropoutScaleAtInference``,
exercise 3: the ``*_unscaled_*`` and ``check_scaled_inference`` functions).

A mask may come from ``rng.random(shape) > p``, ``rng.random(shape) < 1 − p``,
``rng.binomial(1, 1 − p, shape)`` or anything else that keeps each unit independently with
probability 1 − p, as long as it is drawn from the layer's own generator. So a test never replays
one generator call: it reads the mask the layer used off its output (the inputs never contain 0)
and checks what must hold of it.

Inputs of the functions: ``x`` and ``dout`` are float arrays without zeros, ``out`` and ``dx``
what the layer returned, ``p`` the dropout ratio (0 <= p < 1), ``where`` how to name the call in
a message. A function returns nothing or the mask it read, and raises CheckFailure otherwise.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..checks import CheckFailure, check_array, check_true

__all__ = [
    "DROPPED_FRACTION_SIGMAS",
    "INFERENCE_DRAW_HINT",
    "NEW_DRAW_HINT",
    "OTHER_MASK_HINT",
    "SAME_SEED_HINT",
    "check_backward",
    "check_different_masks",
    "check_dropped_fraction",
    "check_equal_masks",
    "check_inference",
    "check_scaled_inference",
    "check_training_output",
    "check_unscaled_backward",
    "check_unscaled_training_output",
]

RTOL, ATOL = 1e-10, 1e-12  # the layer only multiplies by 0 and by 1/(1 − p)

#: How far (in standard errors) the dropped fraction of a large input may be from p.
DROPPED_FRACTION_SIGMAS = 5.0


def _as_output(value: Any, shape: tuple[int, ...], where: str) -> np.ndarray:
    check_true(value is not None, f"{where} が None を返しました。return 文を書き忘れていませんか。")
    out = np.asarray(value, dtype=np.float64)
    check_true(
        out.shape == shape, f"{where} の形状が違います: 期待 {shape}、実際 {out.shape}。入力と同じ形状で返します。"
    )
    check_true(bool(np.all(np.isfinite(out))), f"{where} に nan または inf が含まれています。1 − p で割っていますか。")
    return out


_SCALE_HINTS = (
    (
        lambda p: 1.0,
        "学習時に 1/(1 − p) 倍していません。これは推論時に (1 − p) 倍する従来の方式の学習時の式です。"
        "この講座 (と PyTorch) の inverted dropout では、学習時に残したユニットを 1/(1 − p) 倍し、"
        "推論時は何もしません。",
    ),
    (lambda p: 1.0 - p, "1 − p を掛けています。学習時は 1 − p で割ります (x * mask / (1 − p))。"),
    (lambda p: p, "p を掛けています。学習時は 1 − p で割ります (p は消す確率、1 − p が残す確率)。"),
    (lambda p: 1.0 / p if p > 0 else np.inf, "p で割っています。割るのは残す確率 1 − p です (p は消す確率)。"),
)


def check_training_output(out: Any, x: np.ndarray, p: float, where: str) -> np.ndarray:
    """A training forward: every element of ``out`` is 0 or x/(1 − p). Returns the kept units (bool)."""
    out = _as_output(out, x.shape, where)
    kept = out != 0
    ratios = out[kept] / x[kept]
    if np.allclose(ratios, 1.0 / (1.0 - p), rtol=RTOL, atol=ATOL):
        return kept
    same_scale = ratios.size > 0 and np.allclose(ratios, ratios[0], rtol=RTOL, atol=ATOL)
    message = f"{where} の出力に、0 でも x/(1 − p) でもない値があります (学習時は x * mask / (1 − p) です)。"
    if same_scale:
        for scale, hint in _SCALE_HINTS:
            if np.isclose(ratios[0], scale(p), rtol=1e-9):
                raise CheckFailure(f"{message}\nヒント: {hint}")
        raise CheckFailure(f"{message} 残したユニットがすべて x の {ratios[0]:.6g} 倍になっています。")
    raise CheckFailure(message)


def check_dropped_fraction(kept: np.ndarray, p: float, where: str) -> None:
    """A large training forward drops units of each sample on their own (not one mask for the whole
    batch), a fraction close to p (within DROPPED_FRACTION_SIGMAS standard errors)."""
    if kept.ndim >= 2 and kept.shape[0] > 1 and all(np.array_equal(kept[0], row) for row in kept[1:]):
        raise CheckFailure(
            f"{where} で、バッチ内のすべてのサンプルが同じユニットを消しています。"
            "\nヒント: マスクは入力と同じ形状 x.shape で作り、サンプルごと・ユニットごとに別々に消します。"
        )
    dropped = float(np.mean(~kept))
    tolerance = DROPPED_FRACTION_SIGMAS * np.sqrt(p * (1 - p) / kept.size)
    if abs(dropped - p) > tolerance:
        hint = ""
        if p != 0.5 and abs(dropped - (1 - p)) <= tolerance:
            hint = (
                "\nヒント: マスクの向きが逆です (残す割合が p になっています)。dropout_ratio は消す確率なので、"
                "各ユニットを確率 1 − p で残します (一様乱数が p を超えたユニットを残す)。"
            )
        elif dropped == 0:
            hint = "\nヒント: 学習時 (train_flg=True) なのにユニットを消していません。"
        raise CheckFailure(
            f"{where} で消えたユニットの割合が {dropped:.4f} で、p = {p:.3g} から離れすぎています"
            f" (許容 ±{tolerance:.4f}、{kept.size} ユニット)。{hint}"
        )


#: Why two layers given generators of the same seed can draw different masks.
SAME_SEED_HINT = (
    "乱数は、コンストラクタで受け取った rng (self.rng) からだけ引きます。np.random.rand などのグローバルな乱数や、"
    "forward の中で新しく作った Generator では、同じシードでも同じマスクになりません。"
)
#: Why two training forwards can give the same mask.
NEW_DRAW_HINT = (
    "学習時の forward は呼ぶたびに新しいマスクを引きます。forward の中で Generator を作り直したり、"
    "最初のマスクを使い回したりしていませんか。"
)
#: Why the masks after an inference call can differ from those without it.
INFERENCE_DRAW_HINT = "推論時 (train_flg=False) の forward で乱数を引いています。推論時は乱数を引かずに x を返します。"


def check_equal_masks(first: np.ndarray, second: np.ndarray, where: str, hint: str) -> None:
    """Two masks that must be the same (the same seed; a call that must not draw in between)."""
    if not np.array_equal(first, second):
        raise CheckFailure(f"{where}: 2 つのマスクが違います。\nヒント: {hint}")


def check_different_masks(first: np.ndarray, second: np.ndarray, where: str, hint: str) -> None:
    """Two masks of many units that must differ (a new draw, another seed)."""
    if np.array_equal(first, second):
        raise CheckFailure(f"{where}: 2 つのマスクが同じです。\nヒント: {hint}")


def check_inference(out: Any, x: np.ndarray, p: float, where: str, show_values: bool = True) -> None:
    """An inference forward returns x unchanged."""
    got = _as_output(out, x.shape, where)
    q = 1.0 - p
    kept = got != 0
    mistakes = [
        (
            x * q,
            "推論時に (1 − p) 倍しています。それは学習時にスケールしない従来の方式の推論の式です。"
            "inverted dropout では学習時にすでに 1/(1 − p) 倍しているので、推論時は x をそのまま返します。",
        ),
        (x / q, "推論時に 1/(1 − p) 倍しています。推論時は x をそのまま返します。"),
        (x * kept / q, "推論時 (train_flg=False) にもユニットを消しています。推論時は x をそのまま返します。"),
        (x * kept, "推論時 (train_flg=False) にもユニットを消しています。推論時は x をそのまま返します。"),
    ]
    check_array(got, x, where, rtol=RTOL, atol=ATOL, mistakes=mistakes, show_values=show_values)


def check_backward(
    dx: Any,
    dout: np.ndarray,
    p: float,
    kept: np.ndarray,
    earlier: np.ndarray | None,
    where: str,
    show_values: bool = True,
) -> None:
    """dx = dout · mask / (1 − p) with the mask of the last training forward (``kept``, read off its
    output); ``earlier``: the mask of the training forward before it, if any (same shape)."""
    got = _as_output(dx, dout.shape, where)
    q = 1.0 - p
    used = got != 0
    mistakes = [
        (dout * kept, "逆伝播でも 1/(1 − p) 倍します (順伝播と同じマスク・同じスケール)。"),
        (dout * kept * q, "1 − p を掛けています。逆伝播も順伝播と同じく 1 − p で割ります。"),
        (dout * kept * p, "p を掛けています。逆伝播も順伝播と同じく 1 − p で割ります。"),
        (dout / q, "マスクを掛けていません。順伝播で消したユニットの勾配は 0 です。"),
        (dout * ~kept / q, "マスクが逆です。勾配を通すのは、順伝播で残した (mask が True の) ユニットです。"),
        (dout, "dout をそのまま返しています。dout * self.mask / (1 − p) です。"),
    ]
    if earlier is not None and earlier.shape == dout.shape and not np.array_equal(earlier, kept):
        mistakes.append(
            (
                dout * earlier / q,
                "前の forward のマスクを使っています。forward のたびに self.mask を上書きしてください。",
            )
        )
    if not np.array_equal(used, kept) and np.allclose(got[used], dout[used] / q, rtol=RTOL, atol=ATOL):
        mistakes.append(
            (
                got,
                "backward で新しいマスクを作っていませんか。forward で保存した self.mask を使います"
                " (順伝播で消したユニットには勾配も流れません)。",
            )
        )
    check_array(got, dout * kept / q, where, rtol=RTOL, atol=ATOL, mistakes=mistakes, show_values=show_values)


# ------------------------------------------------------------------ convention A (exercise 3)
# DropoutScaleAtInference: training returns x ⊙ mask (no scaling), inference (1 − p)·x, backward dout ⊙ mask.

_UNSCALED_HINTS = (
    (
        lambda p: 1.0 / (1.0 - p),
        "学習時に 1/(1 − p) 倍しています。それは inverted dropout (方式 B、演習 1) の式です。"
        "方式 A では、学習時は残したユニットの値をそのまま通し、1 − p を掛けるのは推論時だけです。",
    ),
    (
        lambda p: 1.0 - p,
        "学習時に 1 − p 倍しています。方式 A で 1 − p を掛けるのは推論時 (train_flg=False) だけです。",
    ),
    (lambda p: p, "学習時に p 倍しています。方式 A の学習時は、残したユニットの値をそのまま通します。"),
)


def check_unscaled_training_output(out: Any, x: np.ndarray, p: float, where: str) -> np.ndarray:
    """A training forward of convention A: every element of ``out`` is 0 or x itself. Returns the kept units."""
    out = _as_output(out, x.shape, where)
    kept = out != 0
    ratios = out[kept] / x[kept]
    if np.allclose(ratios, 1.0, rtol=RTOL, atol=ATOL):
        return kept
    same_scale = ratios.size > 0 and np.allclose(ratios, ratios[0], rtol=RTOL, atol=ATOL)
    message = (
        f"{where} の出力に、0 でも x でもない値があります (方式 A の学習時は、残したユニットの x をそのまま返します)。"
    )
    if same_scale:
        for scale, hint in _UNSCALED_HINTS:
            if np.isclose(ratios[0], scale(p), rtol=1e-9):
                raise CheckFailure(f"{message}\nヒント: {hint}")
        raise CheckFailure(f"{message} 残したユニットがすべて x の {ratios[0]:.6g} 倍になっています。")
    raise CheckFailure(message)


_DROPS_AT_INFERENCE_HINT = (
    "推論時 (train_flg=False) にもユニットを消しています。推論時は消さずに、すべてのユニットを 1 − p 倍します。"
)


def check_scaled_inference(out: Any, x: np.ndarray, p: float, where: str, show_values: bool = True) -> None:
    """An inference forward of convention A returns (1 − p)·x."""
    got = _as_output(out, x.shape, where)
    q = 1.0 - p
    kept = got != 0
    mistakes = [
        (
            x,
            "推論時に x をそのまま返しています。それは inverted dropout (方式 B) の推論です。方式 A では学習時に"
            "スケールしないので、推論時に残す確率 1 − p を掛けて、学習時の出力の期待値にそろえます。",
        ),
        (x * p, "推論時に p 倍しています。p は消す確率です。推論時に掛けるのは残す確率 1 − p です。"),
        (x / q, "推論時に 1/(1 − p) 倍しています。方式 A の推論時は 1 − p 倍です (割るのではなく掛ける)。"),
        (x * kept, _DROPS_AT_INFERENCE_HINT),
        (x * kept * q, _DROPS_AT_INFERENCE_HINT),
    ]
    check_array(got, x * q, where, rtol=RTOL, atol=ATOL, mistakes=mistakes, show_values=show_values)


#: Why the backward of convention A used another mask than its last training forward.
OTHER_MASK_HINT = (
    "backward が、最後の学習時の forward のマスクと違うマスクを使っています。backward で新しいマスクを引いたり、"
    "推論時 (train_flg=False) の forward で self.mask を上書きしたりしていませんか。"
)


def check_unscaled_backward(
    dx: Any,
    dout: np.ndarray,
    p: float,
    kept: np.ndarray,
    earlier: np.ndarray | None,
    where: str,
    show_values: bool = True,
) -> None:
    """Convention A: dx = dout ⊙ mask with the mask of the last training forward (``kept``, read off its
    output; inference calls in between leave it alone); ``earlier``: the training mask before it, if any."""
    got = _as_output(dx, dout.shape, where)
    q = 1.0 - p
    used = got != 0
    mistakes = [
        (
            dout * kept / q,
            "逆伝播で 1/(1 − p) 倍しています。方式 A の学習時の順伝播はスケールしないので、"
            "逆伝播もマスクを掛けるだけです。",
        ),
        (dout * kept * q, "逆伝播で 1 − p を掛けています。1 − p は推論時の式で、学習時の順伝播の微分には入りません。"),
        (dout * q, "逆伝播で 1 − p を掛けています。逆伝播は学習時の順伝播 (マスクを掛けるだけ) の微分です。"),
        (dout, "マスクを掛けていません。順伝播で消したユニットの勾配は 0 です。"),
        (dout * ~kept, "マスクが逆です。勾配を通すのは、順伝播で残した (mask が True の) ユニットです。"),
    ]
    if earlier is not None and earlier.shape == dout.shape and not np.array_equal(earlier, kept):
        mistakes.append(
            (
                dout * earlier,
                "前の forward のマスクを使っています。学習時の forward のたびに self.mask を上書きしてください。",
            )
        )
    if not np.array_equal(used, kept) and np.allclose(got[used], dout[used], rtol=RTOL, atol=ATOL):
        mistakes.append((got, OTHER_MASK_HINT))
    check_array(got, dout * kept, where, rtol=RTOL, atol=ATOL, mistakes=mistakes, show_values=show_values)

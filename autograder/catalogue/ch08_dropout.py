"""Catalogue entries of ch08_dropout (see autograder.catalogue)."""

from . import Variant

_FORWARD = "return x * self.mask / (1.0 - self.dropout_ratio)"
_BACKWARD = "return dout * self.mask / (1.0 - self.dropout_ratio)"
_DRAW = "self.mask = self.rng.random(x.shape) > self.dropout_ratio"
_INFERENCE = "        if not train_flg:\n            return x\n"

VARIANTS = [
    # ---------------------------------------------------------------- mistakes
    Variant(
        "forward_no_scaling",
        "dropout",
        ((_FORWARD, "return x * self.mask"),),
        "学習時の順伝播で 1/(1 − p) 倍しない (逆伝播はスケールする)",
        "training forward without the 1/(1 - p) scaling",
        breaks=("test_dropout_forward",),
        hint="1/(1 − p) 倍していません",
    ),
    Variant(
        "backward_no_scaling",
        "dropout",
        ((_BACKWARD, "return dout * self.mask"),),
        "逆伝播で 1/(1 − p) 倍しない (マスクを掛けるだけ)",
        "backward that applies the mask without the 1/(1 - p) scaling",
        breaks=("test_dropout_backward",),
        hint="逆伝播でも 1/(1 − p) 倍",
    ),
    Variant(
        "backward_new_mask",
        "dropout",
        (
            (
                _BACKWARD,
                "return dout * (self.rng.random(dout.shape) > self.dropout_ratio) / (1.0 - self.dropout_ratio)",
            ),
        ),
        "逆伝播で新しいマスクを引く (順伝播のマスクを使わない)",
        "backward that draws a new mask instead of reusing the forward one",
        breaks=("test_dropout_backward",),
        hint="新しいマスク",
    ),
    Variant(
        "inference_scales",
        "dropout",
        ((_INFERENCE, "        if not train_flg:\n            return x * (1.0 - self.dropout_ratio)\n"),),
        "推論時に (1 − p) 倍する (学習時のスケールと二重になる)",
        "inference that multiplies by 1 - p although training already scaled",
        breaks=("test_dropout_forward",),
        hint="推論時に (1 − p) 倍",
    ),
    Variant(
        "inference_drops",
        "dropout",
        ((_INFERENCE, ""),),
        "train_flg を見ずに推論時もユニットを消す",
        "dropout that also drops units at inference (ignores train_flg)",
        breaks=("test_dropout_forward",),
        hint="推論時 (train_flg=False) にもユニットを消して",
    ),
    Variant(
        "mask_reversed",
        "dropout",
        ((_DRAW, "self.mask = self.rng.random(x.shape) < self.dropout_ratio"),),
        "マスクの比較が逆 (確率 1 − p ではなく p で残す)",
        "mask comparison reversed (keeps units with probability p instead of 1 - p)",
        breaks=("test_dropout_forward",),
        hint="マスクの向きが逆",
    ),
    Variant(
        "global_random",
        "dropout",
        ((_DRAW, "self.mask = np.random.rand(*x.shape) > self.dropout_ratio"),),
        "self.rng ではなくグローバルな np.random.rand でマスクを引く (同じシードで再現できない)",
        "mask drawn from the global np.random.rand instead of self.rng (not reproducible from the seed)",
        # backward is graded against the layer's own mask; the network of exercise 2 cannot be: its
        # masks, drawn from the global generator, cannot be replayed from the network's seed
        breaks=("test_dropout_forward", "test_dropout_net"),
        hint="グローバルな乱数",
    ),
    Variant(
        "mask_shared_over_batch",
        "dropout",
        ((_DRAW, "self.mask = self.rng.random(x.shape[1:]) > self.dropout_ratio"),),
        "バッチ内の全サンプルで同じマスクを使う (形状 x.shape[1:] で引く)",
        "one mask shared by every sample of the batch (drawn with shape x.shape[1:])",
        breaks=("test_dropout_forward",),
        hint="すべてのサンプルが同じユニット",
    ),
    Variant(
        "forward_in_place",
        "dropout",
        (
            (
                "return x * self.mask / (1.0 - self.dropout_ratio)",
                "x *= self.mask / (1.0 - self.dropout_ratio)\n        return x",
            ),
        ),
        "入力 x をその場で書き換えて返す Dropout.forward (x *= mask / (1 − p))",
        "Dropout.forward that scales the caller's x in place and returns it",
        breaks=("test_dropout_forward",),
        hint="x を書き換えています",
    ),
    # ---------------------------------------------------------------- correct variants
    Variant(
        "mask_scaled_float",
        "dropout",
        (
            (_DRAW, f"self.mask = ({_DRAW[len('self.mask = ') :]}) / (1.0 - self.dropout_ratio)"),
            (_FORWARD, "return x * self.mask"),
            (_BACKWARD, "return dout * self.mask"),
        ),
        "マスクを 1/(1 − p) 倍済みの浮動小数点の配列として保存する",
        "mask stored as a float array already scaled by 1/(1 - p)",
        correct=True,
    ),
    Variant(
        "mask_below_keep_probability",
        "dropout",
        ((_DRAW, "self.mask = self.rng.random(x.shape) < 1.0 - self.dropout_ratio"),),
        "一様乱数が 1 − p 未満のユニットを残すマスク (別の引き方の正しいマスク)",
        "mask that keeps the units whose uniform draw is below 1 - p (another correct draw)",
        correct=True,
    ),
    Variant(
        "mask_binomial",
        "dropout",
        ((_DRAW, "self.mask = self.rng.binomial(1, 1.0 - self.dropout_ratio, size=x.shape).astype(bool)"),),
        "rng.binomial(1, 1 − p) で引くマスク",
        "mask drawn with rng.binomial(1, 1 - p)",
        correct=True,
    ),
    Variant(
        "textbook_dropout",
        "dropout",
        (
            (_DRAW, "self.mask = np.random.rand(*x.shape) > self.dropout_ratio"),
            (_FORWARD, "return x * self.mask"),
            (_INFERENCE, "        if not train_flg:\n            return x * (1.0 - self.dropout_ratio)\n"),
            (_BACKWARD, "return dout * self.mask"),
        ),
        "『ゼロから作るDeep Learning』の Dropout (推論時に 1 − p 倍する方式、グローバルな乱数)",
        "the textbook's Dropout (scales by 1 - p at inference, global random numbers)",
        breaks=("test_dropout_forward", "test_dropout_backward", "test_dropout_net"),  # global random numbers
        hint="1/(1 − p) 倍",
    ),
    Variant(
        "where",
        "dropout",
        (
            (_FORWARD, "return np.where(self.mask, x / (1.0 - self.dropout_ratio), 0.0)"),
            (_BACKWARD, "return np.where(self.mask, dout / (1.0 - self.dropout_ratio), 0.0)"),
        ),
        "np.where でマスクを適用する",
        "mask applied with np.where",
        correct=True,
    ),
    # ------------------------------------------------- input rules (their own cells, a small share)
    Variant(
        "dropout_accepts_one",
        "dropout",
        (("        if not 0 <= dropout_ratio < 1:\n", "        if not 0 <= dropout_ratio <= 1:\n"),),
        "dropout_ratio = 1 を受け付ける Dropout (1/(1 − p) が 0 での割り算になる)",
        "Dropout that accepts dropout_ratio = 1 (1/(1 − p) divides by zero)",
        breaks=("test_dropout_rules",),
        hint="ValueError",
    ),
]
# ------------------------------------------------- exercise 2: DropoutTwoLayerNet
_NET_PREDICT = "return self.affine2.forward(self.dropout.forward(hidden, train_flg))"
_NET_TRAINING_FORWARD = "self.loss(x, t, train_flg=True)"
_NET_BACKWARD = "dhidden = self.dropout.backward(self.affine2.backward(self.last_layer.backward(1.0)))"

VARIANTS += [
    Variant(
        "net_flag_not_passed",
        "dropout_net",
        ((_NET_PREDICT, "return self.affine2.forward(self.dropout.forward(hidden))"),),
        "predict が train_flg を Dropout に渡さない (推論時もユニットを消す)",
        "predict that does not pass train_flg to Dropout (drops units at inference too)",
        breaks=("test_dropout_net",),
        hint="train_flg を Dropout の forward にそのまま渡して",
    ),
    Variant(
        "net_gradient_in_inference_mode",
        "dropout_net",
        ((_NET_TRAINING_FORWARD, "self.loss(x, t)"),),
        "gradient の順伝播を推論モードで行う (ドロップアウトなしの勾配になる)",
        "gradient whose forward pass runs in inference mode (the gradient of the network without dropout)",
        breaks=("test_dropout_net",),
        hint="ドロップアウトなし (推論時) の順伝播の勾配",
    ),
    Variant(
        "net_gradient_new_mask",
        "dropout_net",
        (
            (
                _NET_BACKWARD,
                "self.dropout.forward(self.relu.forward(self.affine1.forward(x)), True)\n        " + _NET_BACKWARD,
            ),
        ),
        "gradient の逆伝播の前に Dropout の forward をもう一度呼ぶ (損失とは別のマスクで逆伝播する)",
        "gradient that runs Dropout forward again before backward (backward with another mask than the loss)",
        breaks=("test_dropout_net",),
        hint="同じマスク",
    ),
    Variant(
        "net_skips_dropout_backward",
        "dropout_net",
        ((_NET_BACKWARD, "dhidden = self.affine2.backward(self.last_layer.backward(1.0))"),),
        "gradient で Dropout の backward を通さない (消したユニットにも勾配が流れる)",
        "gradient that skips Dropout's backward (gradient flows through dropped units)",
        breaks=("test_dropout_net",),
        hint="Dropout の backward を通していません",
    ),
    Variant(
        "net_flag_keyword",
        "dropout_net",
        (
            (_NET_PREDICT, "return self.affine2.forward(self.dropout.forward(hidden, train_flg=train_flg))"),
            (_NET_BACKWARD, "dhidden = self.dropout.backward(self.affine2.backward(self.last_layer.backward()))"),
        ),
        "train_flg をキーワード引数で渡し、SoftmaxWithLoss.backward を既定の dout で呼ぶ",
        "train_flg passed as a keyword, SoftmaxWithLoss.backward called with its default dout",
        correct=True,
    ),
]
# ------------------------------------------------- exercise 3: DropoutScaleAtInference (convention A)
_A_FORWARD = "return x * self.mask\n"
_A_INFERENCE = "return x * (1.0 - self.dropout_ratio)"
_A_BACKWARD = "return dout * self.mask  #"
_A_DRAW = "self.mask = self.rng.random(x.shape) > self.dropout_ratio"

VARIANTS += [
    Variant(
        "a_training_scaled",
        "dropout_scale_at_inference",
        ((_A_FORWARD, "return x * self.mask / (1.0 - self.dropout_ratio)\n"),),
        "方式 A の学習時の順伝播でも 1/(1 − p) 倍する (方式 B の式と混ぜる)",
        "convention A whose training forward also scales by 1/(1 - p) (mixes in convention B)",
        breaks=("test_dropout_scale_at_inference",),
        hint="学習時に 1/(1 − p) 倍しています",
    ),
    Variant(
        "a_inference_unscaled",
        "dropout_scale_at_inference",
        ((_A_INFERENCE, "return x"),),
        "方式 A の推論時に 1 − p 倍し忘れる (x をそのまま返す)",
        "convention A that forgets the (1 - p) at inference (returns x)",
        breaks=("test_dropout_scale_at_inference",),
        hint="推論時に x をそのまま返しています",
    ),
    Variant(
        "a_inference_times_p",
        "dropout_scale_at_inference",
        ((_A_INFERENCE, "return x * self.dropout_ratio"),),
        "方式 A の推論時に 1 − p ではなく p を掛ける",
        "convention A that multiplies by p instead of 1 - p at inference",
        breaks=("test_dropout_scale_at_inference",),
        hint="推論時に p 倍しています",
    ),
    Variant(
        "a_backward_new_mask",
        "dropout_scale_at_inference",
        ((_A_BACKWARD, "return dout * (self.rng.random(dout.shape) > self.dropout_ratio)  #"),),
        "方式 A の逆伝播で新しいマスクを引く",
        "convention A whose backward draws a new mask",
        breaks=("test_dropout_scale_at_inference",),
        hint="最後の学習時の forward のマスクと違うマスク",
    ),
    Variant(
        "a_backward_scaled",
        "dropout_scale_at_inference",
        ((_A_BACKWARD, "return dout * self.mask / (1.0 - self.dropout_ratio)  #"),),
        "方式 A の逆伝播で 1/(1 − p) 倍する (方式 B の逆伝播)",
        "convention A whose backward scales by 1/(1 - p) (the backward of convention B)",
        breaks=("test_dropout_scale_at_inference",),
        hint="逆伝播で 1/(1 − p) 倍しています",
    ),
    Variant(
        "a_inference_overwrites_mask",
        "dropout_scale_at_inference",
        (
            (
                "        if not train_flg:\n            " + _A_INFERENCE + "\n        " + _A_DRAW + "\n",
                "        " + _A_DRAW + "\n        if not train_flg:\n            " + _A_INFERENCE + "\n",
            ),
        ),
        "方式 A の推論時の forward でもマスクを引いて self.mask を上書きする",
        "convention A whose inference forward also draws a mask into self.mask",
        breaks=("test_dropout_scale_at_inference",),
        hint="推論時 (train_flg=False) の forward で self.mask を上書き",
    ),
    Variant(
        "a_global_random",
        "dropout_scale_at_inference",
        ((_A_DRAW, "self.mask = np.random.rand(*x.shape) > self.dropout_ratio"),),
        "方式 A のマスクを self.rng ではなくグローバルな np.random.rand から引く",
        "convention A that draws its mask from the global np.random.rand instead of self.rng",
        breaks=("test_dropout_scale_at_inference",),
        hint="self.rng",
    ),
    # ---------------------------------------------------------------- correct variants
    Variant(
        "a_where",
        "dropout_scale_at_inference",
        (
            (_A_FORWARD, "return np.where(self.mask, x, 0.0)\n"),
            (_A_BACKWARD, "return np.where(self.mask, dout, 0.0)  #"),
        ),
        "方式 A のマスクを np.where で適用する",
        "convention A with the mask applied by np.where",
        correct=True,
    ),
    Variant(
        "a_binomial_float_mask",
        "dropout_scale_at_inference",
        ((_A_DRAW, "self.mask = self.rng.binomial(1, 1.0 - self.dropout_ratio, size=x.shape).astype(float)"),),
        "方式 A のマスクを rng.binomial(1, 1 − p) の浮動小数点の配列として引く",
        "convention A with a float mask drawn by rng.binomial(1, 1 - p)",
        correct=True,
    ),
]

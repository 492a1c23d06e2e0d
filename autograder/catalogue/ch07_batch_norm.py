"""Catalogue entries of ch07_batch_norm (see autograder.catalogue)."""

from . import Variant

VARIANTS = [
    # ---------------------------------------------------------------- mistakes: forward
    Variant(
        "forward_eps_outside_sqrt",
        "batchnorm_forward",
        (("\n    std = np.sqrt(var + eps)", "\n    std = np.sqrt(var) + eps"),),
        "ε を平方根の外で足す順伝播 (std = √var + ε)",
        "forward pass with eps added outside the square root",
        breaks=("test_batchnorm_forward",),
        hint="平方根の外",
    ),
    Variant(
        "forward_unbiased_variance",
        "batchnorm_forward",
        (("var = np.mean(xc**2, axis=0)", "var = np.var(x, axis=0, ddof=1)"),),
        "バッチ分散を N − 1 で割る (不偏分散の) 順伝播",
        "forward pass that divides the batch variance by N - 1",
        breaks=("test_batchnorm_forward",),
        hint="N − 1",
    ),
    # ---------------------------------------------------------------- mistakes: the nodes of the graph
    Variant(
        "scale_shift_dgamma_not_summed",
        "bn_scale_shift_backward",
        (("dgamma = np.sum(dout * xn, axis=0)  #", "dgamma = dout * xn  #"),),
        "dgamma をバッチ方向に合計しない (形状 (N, D) のまま返す)",
        "dgamma not summed over the batch (returned with shape (N, D))",
        breaks=("test_bn_scale_shift_backward",),
        hint="合計していません",
    ),
    Variant(
        "std_backward_no_half",
        "bn_std_backward",
        (("return dstd / (2.0 * std)", "return dstd / std"),),
        "√ のノードの逆伝播で 1/2 を掛け忘れる",
        "square-root node backward without the factor 1/2",
        breaks=("test_bn_std_backward",),
        hint="1/2",
    ),
    Variant(
        "variance_backward_no_two",
        "bn_variance_backward",
        (("return (2.0 / n) * xc * dvar", "return xc * dvar / n"),),
        "分散のノードの逆伝播で 2 を掛け忘れる (d(xc²)/dxc = 2 xc)",
        "variance node backward without the factor 2",
        breaks=("test_bn_variance_backward",),
        hint="2 が抜けています",
    ),
    Variant(
        "variance_backward_no_mean",
        "bn_variance_backward",
        (("return (2.0 / n) * xc * dvar", "return 2.0 * xc * dvar"),),
        "分散のノードの逆伝播で 1/N を掛け忘れる",
        "variance node backward without the factor 1/N",
        breaks=("test_bn_variance_backward",),
        hint="1/N",
    ),
    Variant(
        "centering_backward_sum",
        "bn_centering_backward",
        (("return dxc - np.mean(dxc, axis=0)", "return dxc - np.sum(dxc, axis=0)"),),
        "中心化のノードの逆伝播で、平均ではなく和を引く (1/N が抜ける)",
        "centring node backward that subtracts the sum instead of the mean",
        breaks=("test_bn_centering_backward",),
        hint="和ではなく平均",
    ),
    # ---------------------------------------------------------------- mistakes: graph and compact backward
    Variant(
        "graph_no_centering",
        "batchnorm_backward_graph",
        (("dx = bn_centering_backward(dxc_direct + dxc_via_var)", "dx = dxc_direct + dxc_via_var"),),
        "計算グラフの逆伝播で中心化のノード (平均 μ を通る経路) を飛ばす",
        "graph backward that skips the centring node (the path through the mean)",
        breaks=("test_batchnorm_backward_graph",),
        hint="平均 μ を通る経路",
    ),
    Variant(
        "graph_no_variance_path",
        "batchnorm_backward_graph",
        (("dx = bn_centering_backward(dxc_direct + dxc_via_var)", "dx = bn_centering_backward(dxc_direct)"),),
        "計算グラフの逆伝播で、分散のノードからの dxc を足し忘れる",
        "graph backward that forgets the gradient coming through the variance node",
        breaks=("test_batchnorm_backward_graph",),
        hint="分散 (標準偏差) を通る経路",
    ),
    Variant(
        "compact_no_mean_term",
        "batchnorm_backward_compact",
        (("(dout - dout.mean(axis=0) - xn *", "(dout - xn *"),),
        "整理した式で平均の項 −mean(dout) を忘れる",
        "compact backward without the mean (centring) term",
        breaks=("test_batchnorm_backward_compact",),
        hint="平均の項",
    ),
    Variant(
        "compact_no_variance_term",
        "batchnorm_backward_compact",
        (("(dout - dout.mean(axis=0) - xn * np.mean(dout * xn, axis=0))", "(dout - dout.mean(axis=0))"),),
        "整理した式で分散の項 −x̂ · mean(dout · x̂) を忘れる",
        "compact backward without the variance term",
        breaks=("test_batchnorm_backward_compact",),
        hint="分散の項",
    ),
    Variant(
        "compact_dgamma_without_xn",
        "batchnorm_backward_compact",
        (("dgamma = np.sum(dout * xn, axis=0)", "dgamma = np.sum(dout, axis=0)"),),
        "dgamma に x̂ を掛け忘れる (dbeta と同じ式)",
        "dgamma without the x-hat factor (the same formula as dbeta)",
        breaks=("test_batchnorm_backward_compact",),
        hint="x̂ を掛け忘れています",
    ),
    # ---------------------------------------------------------------- mistakes: the layer
    Variant(
        "layer_running_var_unbiased",
        "batchnorm_layer",
        (('(1 - m) * self.cache["var"]', "(1 - m) * x2.var(axis=0, ddof=1)"),),
        "移動平均の分散を不偏分散 (ddof=1) で更新する",
        "running variance updated with the unbiased estimator (ddof=1)",
        breaks=("test_batchnorm_layer",),
        hint="不偏分散",
    ),
    Variant(
        "layer_momentum_reversed",
        "batchnorm_layer",
        (("m = self.momentum", "m = 1 - self.momentum"),),
        "移動平均で新しい値の方に momentum の重みを掛ける (向きが逆)",
        "running averages with the momentum convention reversed (new value weighted by momentum)",
        breaks=("test_batchnorm_layer",),
        hint="momentum の向きが逆",
    ),
    Variant(
        "layer_inference_batch_stats",
        "batchnorm_layer",
        (
            (
                "out = self.gamma * (x2 - self.running_mean) / np.sqrt(self.running_var + self.eps) + self.beta",
                "out = batchnorm_forward(x2, self.gamma, self.beta, self.eps)[0]",
            ),
        ),
        "推論時 (train_flg=False) にも移動平均ではなくバッチの平均と分散で正規化する",
        "inference that normalises with the batch statistics instead of the running ones",
        breaks=("test_batchnorm_layer",),
        hint="推論時にバッチの統計量",
    ),
    Variant(
        "layer_running_var_starts_at_zero",
        "batchnorm_layer",
        (("self.running_var = np.ones(", "self.running_var = np.zeros("),),
        "running_var を 0 から始める (教科書のコード。この講座では 1 から)",
        "running variance initialised to 0 instead of 1",
        breaks=("test_batchnorm_layer",),
        hint="0 から始めています",
    ),
    # ---------------------------------------------------------------- mistakes: layer, instance, group norm
    Variant(
        "layer_norm_instance_axes",
        "normalization_variants",
        (("\n    axes = tuple(range(1, x.ndim))", "\n    axes = tuple(range(2, x.ndim))"),),
        "layer_norm で空間の軸だけで平均をとる (インスタンス正規化になる)",
        "layer_norm averaging over the spatial axes only (that is instance norm)",
        breaks=("test_normalization_variants",),
        hint="インスタンス正規化",
    ),
    Variant(
        "instance_norm_layer_axes",
        "normalization_variants",
        (("\n    axes = tuple(range(2, x.ndim))", "\n    axes = tuple(range(1, x.ndim))"),),
        "instance_norm でチャンネルの軸も含めて平均をとる (レイヤ正規化になる)",
        "instance_norm averaging over the channel axis too (that is layer norm)",
        breaks=("test_normalization_variants",),
        hint="レイヤ正規化",
    ),
    Variant(
        "group_norm_over_batch",
        "normalization_variants",
        (
            ("mu = grouped.mean(axis=2, keepdims=True)", "mu = grouped.mean(axis=(0, 2), keepdims=True)"),
            (
                "var = np.mean((grouped - mu) ** 2, axis=2, keepdims=True)",
                "var = np.mean((grouped - mu) ** 2, axis=(0, 2), keepdims=True)",
            ),
        ),
        "group_norm でバッチの軸 0 も含めて平均と分散をとる",
        "group_norm that also averages over the batch axis",
        breaks=("test_normalization_variants",),
        hint="バッチの軸 0",
    ),
    # ---------------------------------------------------------------- correct variants
    Variant(
        "forward_variance_from_moments",
        "batchnorm_forward",
        (("var = np.mean(xc**2, axis=0)", "var = np.mean(x**2, axis=0) - mu**2"),),
        "分散を mean(x²) − mean(x)² で計算する順伝播",
        "forward pass with the variance computed as mean(x^2) - mean(x)^2",
        correct=True,
    ),
    Variant(
        "graph_written_as_compact",
        "batchnorm_backward_graph",
        (
            (
                '    dxc_direct, dstd = bn_normalize_backward(dxn, cache["xc"], cache["std"])\n'
                '    dvar = bn_std_backward(dstd, cache["std"])\n'
                '    dxc_via_var = bn_variance_backward(dvar, cache["xc"])\n',
                "",
            ),
            (
                "dx = bn_centering_backward(dxc_direct + dxc_via_var)",
                'xn, std = cache["xn"], cache["std"]\n'
                "    dx = (dxn - dxn.mean(axis=0) - xn * np.mean(dxn * xn, axis=0)) / std",
            ),
        ),
        "計算グラフの逆伝播を、dx̂ から整理した式で書く",
        "graph backward written with the compact formula applied to dx-hat",
        correct=True,
    ),  # fmt: skip
    Variant(
        "compact_rearranged",
        "batchnorm_backward_compact",
        (
            (
                "dx = (gamma / std) * (dout - dout.mean(axis=0) - xn * np.mean(dout * xn, axis=0))",
                "n = dout.shape[0]\n    dx = (1.0 / n) * gamma / std * (n * dout - dbeta - xn * dgamma)",
            ),
        ),
        "整理した式を (1/N)·γ/σ·(N·dout − Σdout − x̂·Σ(dout·x̂)) と並べ替えて書く",
        "compact backward rearranged as (1/N)·γ/σ·(N·dout − Σdout − x̂·Σ(dout·x̂))",
        correct=True,
    ),  # fmt: skip
    Variant(
        "compact_staged",
        "batchnorm_backward_compact",
        (
            (
                "dx = (gamma / std) * (dout - dout.mean(axis=0) - xn * np.mean(dout * xn, axis=0))",
                'xc, n = cache["xc"], dout.shape[0]\n'
                "    dxn = dout * gamma\n"
                "    dvar = np.sum(dxn * xc, axis=0) * -0.5 * std**-3\n"
                "    dmu = -np.sum(dxn, axis=0) / std - 2.0 * dvar * np.mean(xc, axis=0)\n"
                "    dx = dxn / std + dvar * 2.0 * xc / n + dmu / n",
            ),
        ),
        "整理した式の代わりに、dvar と dμ を順に求める (cs231n 流の) 書き方",
        "compact backward written in stages through dvar and dmu (cs231n style)",
        correct=True,
    ),  # fmt: skip
    Variant(
        "layer_other_names",
        "batchnorm_layer",
        (
            ("self.input_shape = x.shape\n", "self._shape = x.shape\n"),
            ("out, self.cache = batchnorm_forward(", "out, self._saved = batchnorm_forward("),
            ('(1 - m) * self.cache["var"]', '(1 - m) * self._saved["var"]'),
            ("return out.reshape(self.input_shape)", "return out.reshape(self._shape)"),
            (
                "dx, self.dgamma, self.dbeta = batchnorm_backward_compact("
                "dout.reshape(dout.shape[0], -1), self.cache)\n"
                "        return dx.reshape(self.input_shape)",
                "flat = dout.reshape(dout.shape[0], -1)\n"
                "        dx, self.dgamma, self.dbeta = batchnorm_backward_compact(flat, self._saved)\n"
                "        return dx.reshape(self._shape)",
            ),
        ),
        "中間の値を別の名前の属性 (self._saved, self._shape) に保存するレイヤ",
        "layer that keeps its intermediates under other attribute names",
        correct=True,
    ),  # fmt: skip
    Variant(
        "forward_textbook_eps",
        "batchnorm_forward",
        (("\n    std = np.sqrt(var + eps)", "\n    std = np.sqrt(var + 10e-7)"),),
        "『ゼロから作るDeep Learning』のコードのように ε = 10e-7 (= 1e-6) を直接書いた順伝播 (引数の eps を使わない)",
        "forward pass with the textbook's eps = 10e-7 written in (the eps argument ignored)",
        breaks=("test_batchnorm_forward",),
        hint="10e-7",
    ),
    Variant(
        "layer_inference_textbook_eps",
        "batchnorm_layer",
        (("np.sqrt(self.running_var + self.eps)", "np.sqrt(self.running_var + 10e-7)"),),
        "推論時に ε = 10e-7 (『ゼロから作るDeep Learning』のコード) を直接書き、self.eps を使わない",
        "inference with the textbook's eps = 10e-7 written in instead of self.eps",
        breaks=("test_batchnorm_layer",),
        hint="10e-7",
    ),
]

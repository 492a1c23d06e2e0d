"""Catalogue entries of ch09_regularization (see autograder.catalogue)."""

from . import Variant

_L2_SUM = "total = sum(float(np.sum(np.square(p))) for k, p in params.items() if _is_weight(k))"
_L2_GRAD = "k: weight_decay_lambda * p if _is_weight(k) else np.zeros_like(p)  # d/dW = lambda*W"
_L1_GRAD = "k: l1_lambda * np.sign(p) if _is_weight(k) else np.zeros_like(p)  # d/dW = lambda*sign(W)"
_NORMS = "norms = np.sqrt(np.sum(np.square(W), axis=0))  # (n_out,) column norms"
_SCALE = "scale = (c / np.maximum(norms, c)).astype(W.dtype)  # 1 where norm <= c, c/norm otherwise"
_DECAY = "params[key] *= 1.0 - self.lr * self.weight_decay  # w <- w - lr*lambda*w"
_STOP = "self.should_stop = self.counter >= self.patience"

VARIANTS = [
    # ---------------------------------------------------------------- mistakes
    Variant(
        "l2_includes_biases",
        "l2_penalty",
        (
            (_L2_SUM, "total = sum(float(np.sum(np.square(p))) for k, p in params.items())"),
            (_L2_GRAD, "k: weight_decay_lambda * p"),
        ),
        "L2 正則化 (荷重減衰) をバイアスやバッチ正規化の γ、β にもかける",
        "L2 penalty and its gradient applied to the biases (and gamma, beta) too",
        breaks=("test_l2_penalty",),
        hint="バイアス",
    ),
    Variant(
        "l2_no_half",
        "l2_penalty",
        (("return 0.5 * weight_decay_lambda * total", "return weight_decay_lambda * total"),),
        "L2 の項に 1/2 を付けない (λ Σ W²)",
        "L2 penalty without the 1/2 (lambda * sum W^2)",
        breaks=("test_l2_penalty",),
        hint="1/2",
    ),
    Variant(
        "l2_grad_two_lambda",
        "l2_penalty",
        ((_L2_GRAD, "k: 2 * weight_decay_lambda * p if _is_weight(k) else np.zeros_like(p)"),),
        "(λ/2) Σ W² の勾配を 2λW にする (項と勾配が合っていない)",
        "gradient 2 lambda W that does not match the penalty (lambda/2) sum W^2",
        breaks=("test_l2_penalty",),
        hint="2λW",
    ),
    Variant(
        "l1_grad_w_instead_of_sign",
        "l1_penalty",
        ((_L1_GRAD, "k: l1_lambda * p if _is_weight(k) else np.zeros_like(p)"),),
        "L1 の勾配に sign(W) ではなく W を使う (L2 の勾配になる)",
        "L1 gradient lambda * W instead of lambda * sign(W)",
        breaks=("test_l1_penalty",),
        hint="L2 の勾配",
    ),
    Variant(
        "l1_grad_divide_by_abs",
        "l1_penalty",
        ((_L1_GRAD, "k: l1_lambda * p / np.abs(p) if _is_weight(k) else np.zeros_like(p)"),),
        "sign(W) を W / |W| で計算する (W = 0 で 0/0 = nan)",
        "sign(W) computed as W / |W| (nan at W = 0)",
        breaks=("test_l1_penalty",),
        hint="np.sign",
    ),
    Variant(
        "l1_grad_plus_at_zero",
        "l1_penalty",
        ((_L1_GRAD, "k: l1_lambda * np.where(p >= 0, 1.0, -1.0) if _is_weight(k) else np.zeros_like(p)"),),
        "W = 0 で (劣) 勾配 +λ を返す (np.where(W >= 0, 1, -1))",
        "L1 subgradient +lambda at W = 0 instead of 0",
        breaks=("test_l1_penalty",),
        hint="W = 0 の要素",
    ),
    Variant(
        "elastic_net_swapped",
        "elastic_net",
        (
            (
                "return l1_penalty(params, l1_lambda) + l2_penalty(params, l2_lambda)",
                "return l1_penalty(params, l2_lambda) + l2_penalty(params, l1_lambda)",
            ),
            ("g1 = l1_penalty_grad(params, l1_lambda)", "g1 = l1_penalty_grad(params, l2_lambda)"),
            ("g2 = l2_penalty_grad(params, l2_lambda)", "g2 = l2_penalty_grad(params, l1_lambda)"),
        ),
        "Elastic Net の λ1 と λ2 を入れ替える",
        "Elastic Net with the L1 and L2 coefficients swapped",
        breaks=("test_elastic_net",),
        hint="入れ替わって",
    ),
    Variant(
        "max_norm_per_input",
        "max_norm",
        ((_NORMS, "norms = np.sqrt(np.sum(np.square(W), axis=1, keepdims=True))  # rows"),),
        "max-norm のノルムを行ごと (入力ごと、axis=1) に計算する",
        "max-norm computed per input (rows, axis=1) instead of per unit (columns)",
        breaks=("test_max_norm",),
        hint="行ごと",
    ),
    Variant(
        "max_norm_rescales_all",
        "max_norm",
        ((_SCALE, "scale = (c / norms).astype(W.dtype)"),),
        "ノルムが c 以下の列まで含めて、すべての列をノルム c にそろえる",
        "max-norm that rescales every column to norm c, not only those above c",
        breaks=("test_max_norm",),
        hint="c 以下の列",
    ),
    Variant(
        "adamw_decay_in_gradient",
        "adamw",
        (
            (
                "            for key in params:\n                " + _DECAY,
                "            grads = {key: grads[key] + self.weight_decay * params[key] for key in params}",
            ),
        ),
        "減衰 λw を勾配に足して Adam に渡す (AdamW ではなく Adam + L2)",
        "AdamW that adds the decay to the gradient (that is Adam + L2)",
        breaks=("test_adamw",),
        hint="Adam + L2",
    ),
    Variant(
        "adamw_decay_without_lr",
        "adamw",
        ((_DECAY, "params[key] *= 1.0 - self.weight_decay"),),
        "AdamW の減衰に学習率を掛けない (w ← (1 − λ) w)",
        "AdamW decay not multiplied by the learning rate",
        breaks=("test_adamw",),
        hint="学習率を掛け忘れて",
    ),
    Variant(
        "early_stopping_no_reset",
        "early_stopping",
        (("self.best_epoch = self.epoch\n            self.counter = 0\n", "self.best_epoch = self.epoch\n"),),
        "改善したときに counter を 0 に戻さない EarlyStopping",
        "EarlyStopping whose counter never resets on improvement",
        breaks=("test_early_stopping",),
        hint="counter を 0 に戻して",
    ),
    Variant(
        "early_stopping_one_late",
        "early_stopping",
        ((_STOP, "self.should_stop = self.counter > self.patience"),),
        "counter > patience で止める (1 エポック遅い)",
        "EarlyStopping that stops one epoch late (counter > patience)",
        breaks=("test_early_stopping",),
        hint="1 エポック遅れ",
    ),
    Variant(
        "he_std_two_over_sqrt",
        "init_std",
        (("return math.sqrt(2.0 / n_in)  # sigma = sqrt(2/n_in)", "return 2.0 / math.sqrt(n_in)"),),
        "He の初期値を 2/√n_in にする (係数 2 を標準偏差に掛ける)",
        "He std computed as 2 / sqrt(n_in) instead of sqrt(2 / n_in)",
        breaks=("test_init_std",),
        hint="係数 2 は分散",
    ),
    Variant(
        "xavier_std_fan_out",
        "init_std",
        (("return math.sqrt(2.0 / (n_in + n_out))", "return 1.0 / math.sqrt(n_out)"),),
        "n_out が与えられた Xavier の初期値を 1/√n_out にする (n_in を無視)",
        "Xavier std with n_out given computed from n_out alone",
        breaks=("test_init_std",),
        hint="n_out だけで",
    ),
    Variant(
        "max_norm_in_place",
        "max_norm",
        (("return W * scale  # broadcasts over rows: column j times scale[j]", "W *= scale\n    return W"),),
        "W をその場で縮めて返す max_norm (呼び出し側の重みが変わる)",
        "max_norm that rescales the caller's W in place and returns it",
        breaks=("test_max_norm",),
        hint="W を書き換えています",
    ),
    # ---------------------------------------------------------------- correct variants
    Variant(
        "l2_norm_squared",
        "l2_penalty",
        ((_L2_SUM, "total = sum(np.linalg.norm(p) ** 2 for k, p in params.items() if k.startswith('W'))"),),
        "二乗和を np.linalg.norm(W) ** 2 で計算する L2 の項",
        "L2 penalty with the sum of squares as np.linalg.norm(W) ** 2",
        correct=True,
    ),
    Variant(
        "max_norm_loop",
        "max_norm",
        (
            (
                _NORMS + "\n    " + _SCALE + "\n    return W * scale  # broadcasts over rows: column j times scale[j]",
                "out = W.copy()\n    for j in range(W.shape[1]):\n        norm = np.sqrt(np.sum(W[:, j] ** 2))\n"
                "        if norm > c:\n            out[:, j] = W[:, j] * (c / norm)\n    return out",
            ),
        ),
        "列ごとのループで、ノルムが c を超えた列だけを縮める max-norm",
        "max-norm with a loop over the columns, rescaling only those above c",
        correct=True,
    ),  # fmt: skip
    Variant(
        "max_norm_linalg_keepdims",
        "max_norm",
        ((_NORMS, "norms = np.linalg.norm(W, axis=0, keepdims=True)  # (1, n_out)"),),
        "列のノルムを np.linalg.norm(W, axis=0, keepdims=True) で計算する max-norm",
        "max-norm with np.linalg.norm(W, axis=0, keepdims=True)",
        correct=True,
    ),
    Variant(
        "adamw_weights_only",
        "adamw",
        (
            (
                "            for key in params:\n                " + _DECAY,
                '            for key in params:\n                if key.startswith("W"):\n                    '
                + _DECAY,
            ),
        ),
        "重み 'W…' だけを減衰させ、バイアスは縮めない AdamW (この章の L2 と同じ流儀)",
        "AdamW that decays the weights only and leaves the biases alone",
        correct=True,
    ),
    Variant(
        "adamw_copy_then_write_back",
        "adamw",
        (
            (
                _DECAY,
                "decayed = params[key] - self.lr * self.weight_decay * params[key]  # a new array\n"
                "                params[key][...] = decayed  # written back into the same array",
            ),
        ),
        "減衰した値を新しい配列で計算してから、元の配列に [...] で書き戻す AdamW",
        "AdamW that computes the decayed weights in a copy and writes them back with [...]",
        correct=True,
    ),
    Variant(
        "early_stopping_counter_from_best_epoch",
        "early_stopping",
        (
            (
                "self.best_epoch = self.epoch\n            self.counter = 0\n        else:\n"
                "            self.counter += 1\n",
                "self.best_epoch = self.epoch\n        self.counter = self.epoch - self.best_epoch\n",
            ),
        ),
        "counter を「今のエポック − 最良のエポック」として数え直す EarlyStopping",
        "EarlyStopping whose counter is recomputed as epoch - best_epoch",
        correct=True,
    ),
    Variant(
        "he_std_power",
        "init_std",
        (("return math.sqrt(2.0 / n_in)  # sigma = sqrt(2/n_in)", "return (2 / n_in) ** 0.5"),),
        "He の初期値を (2 / n_in) ** 0.5 で計算する",
        "He std written as (2 / n_in) ** 0.5",
        correct=True,
    ),
    # ------------------------------------------------- input rules (their own cells, a small share)
    Variant(
        "max_norm_any_ndim",
        "max_norm",
        (("    if W.ndim != 2:\n", "    if False:\n"),),
        "2 次元でない W にも ValueError を出さない max_norm",
        "max_norm that does not raise ValueError for a W that is not 2-D",
        breaks=("test_max_norm_rules",),
        hint="ValueError",
    ),
    Variant(
        "early_stopping_fractional_patience",
        "early_stopping",
        (("            patience = operator.index(patience)\n", "            patience = patience\n"),),
        "patience < 1 だけを確かめ、小数の patience を受け付ける EarlyStopping",
        "EarlyStopping that checks only patience < 1 and accepts a fractional patience",
        breaks=("test_early_stopping_rules",),
        hint="整数",
    ),
    Variant(
        "xavier_unchecked",
        "init_std",
        (('    n_in = _check_positive_int("n_in", n_in)\n    if n_out is None:', "    if n_out is None:"),),
        "n_in を確かめない xavier_std (n_in = 0 で ZeroDivisionError)",
        "xavier_std that does not check n_in (ZeroDivisionError for n_in = 0)",
        breaks=("test_init_std_rules",),
        hint="ValueError",
    ),
]

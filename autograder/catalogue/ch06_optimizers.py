"""Catalogue entries of ch06_optimizers (see autograder.catalogue)."""

from . import Variant

# the textbook's Adam: the bias correction folded into lr_t, eps added to the uncorrected sqrt(v)
_TEXTBOOK_ADAM = (
    (
        "        bc1 = 1.0 - self.beta1**self.t\n        bc2 = 1.0 - self.beta2**self.t\n",
        "        lr_t = self.lr * np.sqrt(1.0 - self.beta2**self.t) / (1.0 - self.beta1**self.t)\n",
    ),
    (
        "            m_hat = m / bc1\n"
        "            v_hat = v / bc2\n"
        "            # w <- w - lr * m_hat / (sqrt(v_hat) + eps)\n"
        "            params[key] -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)",
        "            params[key] -= lr_t * m / (np.sqrt(v) + self.eps)",
    ),
)

VARIANTS = [
    # ---------------------------------------------------------------- mistakes
    Variant(
        "sgd_new_array",
        "sgd",
        (("params[key] -= self.lr * grads[key]", "params[key] = params[key] - self.lr * grads[key]"),),
        "params[key] に新しい配列を代入する SGD (その場で更新しない)",
        "SGD that assigns a new array to params[key] instead of updating it in place",
        breaks=("test_sgd",),
        hint="その場で",
    ),
    Variant(
        "momentum_sign",
        "momentum",
        (("params[key] += v  # w <- w + v", "params[key] -= v"),),
        "v ← μv − lr·g のあとで W から v を引く Momentum (符号が逆)",
        "Momentum that subtracts the velocity although it already points downhill",
        breaks=("test_momentum",),
        hint="符号が逆",
    ),
    Variant(
        "momentum_velocity_not_kept",
        "momentum",
        (("v = self.v[key]\n", "v = np.zeros_like(params[key])\n"),),
        "毎回 0 から始めた速度を使い、self.v に残さない Momentum (SGD と同じ)",
        "Momentum whose velocity restarts from zero on every call (not stored across calls)",
        breaks=("test_momentum",),
        hint="引き継いでいません",
    ),
    Variant(
        "nesterov_uphill",
        "nesterov",
        (
            (
                "params[key] += self.momentum * v - self.lr * g",
                "params[key] -= self.momentum * v - self.lr * g",
            ),
        ),
        "W に momentum · v − lr · g を足さずに引く Nesterov (SGD の癖で -=)",
        "Nesterov that subtracts momentum * v - lr * g from W instead of adding it",
        breaks=("test_nesterov",),
        hint="符号が逆",
    ),
    Variant(
        "nesterov_gradient_sign",
        "nesterov",
        (
            (
                "params[key] += self.momentum * v - self.lr * g",
                "params[key] += self.momentum * v + self.lr * g",
            ),
        ),
        "W の更新で勾配の項 lr · g の符号を逆にした Nesterov",
        "Nesterov with the sign of the gradient term of the parameter update flipped",
        breaks=("test_nesterov",),
        hint="lr · g の符号",
    ),
    Variant(
        "nesterov_old_velocity",
        "nesterov",
        (
            (
                "            v *= self.momentum\n"
                "            v -= self.lr * g  # v <- mu*v - lr*g\n"
                "            params[key] += self.momentum * v - self.lr * g  # w <- w + mu*v - lr*g",
                "            params[key] += self.momentum * v - self.lr * g\n"
                "            v *= self.momentum\n"
                "            v -= self.lr * g",
            ),
        ),
        "v を更新する前の古い v で W を動かす Nesterov",
        "Nesterov that moves W with the velocity before its update",
        breaks=("test_nesterov",),
        hint="更新する前の v",
    ),
    Variant(
        "adagrad_sum_of_gradients",
        "adagrad",
        (("h += g * g  # h <- h + g^2", "h += g"),),
        "h に勾配の 2 乗ではなく勾配そのものを足す AdaGrad",
        "AdaGrad accumulating the gradients instead of the squared gradients",
        breaks=("test_adagrad",),
        hint="2 乗 g * g",
    ),
    Variant(
        "adagrad_eps_inside",
        "adagrad",
        (("np.sqrt(h) + self.eps)  # w", "np.sqrt(h + self.eps))  # w"),),
        "eps を平方根の中に入れた AdaGrad (説明文は √h + eps)",
        "AdaGrad with eps inside the square root (the docstring puts it outside)",
        breaks=("test_adagrad",),
        hint="平方根の中",
    ),
    Variant(
        "rmsprop_swapped_rates",
        "rmsprop",
        (("h *= rho\n            h += (1.0 - rho) * g * g", "h *= 1.0 - rho\n            h += rho * g * g"),),
        "decay_rate と 1 − decay_rate を取り違えた RMSprop",
        "RMSprop with decay_rate and 1 - decay_rate swapped",
        breaks=("test_rmsprop",),
        hint="decay_rate と (1 − decay_rate) が逆",
    ),
    Variant(
        "rmsprop_textbook_eps",
        "rmsprop",
        (("np.sqrt(h) + self.eps)  # w", "np.sqrt(h) + 1e-7)  # w"),),
        "引数 eps を使わず 1e-7 を式に直接書いた RMSprop (教科書のコード)",
        "RMSprop that writes 1e-7 in the formula instead of using its eps argument (the textbook's code)",
        breaks=("test_rmsprop",),
        hint="引数の eps",
    ),
    Variant(
        "rmsprop_h_not_kept",
        "rmsprop",
        (("h = self.h[key]\n", "h = self.h[key].copy()\n"),),
        "h を計算するたびに新しい配列にして self.h[key] に保存しない RMSprop",
        "RMSprop that updates a copy of h and never stores it",
        breaks=("test_rmsprop",),
        hint="保存していません",
    ),
    Variant(
        "rmsprop_eps_inside",
        "rmsprop",
        (("np.sqrt(h) + self.eps)  # w", "np.sqrt(h + self.eps))  # w"),),
        "eps を平方根の中に入れた RMSprop (説明文は √h + eps)",
        "RMSprop with eps inside the square root (the docstring puts it outside)",
        breaks=("test_rmsprop",),
        hint="平方根の中",
    ),
    Variant(
        "adam_no_bias_correction",
        "adam",
        (("m_hat = m / bc1\n            v_hat = v / bc2", "m_hat = m\n            v_hat = v"),),
        "バイアス補正をしない Adam",
        "Adam without bias correction",
        breaks=("test_adam",),
        hint="バイアス補正",
    ),
    Variant(
        "adam_counter_after_use",
        "adam",
        (
            ("        self.t += 1\n        bc1", "        bc1"),
            (
                "            params[key] -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)",
                "            params[key] -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)\n        self.t += 1",
            ),
        ),
        "t を使ってから増やす Adam (1 回目の補正が t = 0 で 0 割り)",
        "Adam that increments the step counter after using it (bias correction with t = 0)",
        breaks=("test_adam",),
        hint="t = 0",
    ),
    Variant(
        "adam_counter_per_key",
        "adam",
        (
            (
                "        self.t += 1\n"
                "        bc1 = 1.0 - self.beta1**self.t\n"
                "        bc2 = 1.0 - self.beta2**self.t\n"
                "        for key in params:\n",
                "        for key in params:\n"
                "            self.t += 1\n"
                "            bc1 = 1.0 - self.beta1**self.t\n"
                "            bc2 = 1.0 - self.beta2**self.t\n",
            ),
        ),
        "キーのループの中で t を増やす Adam (update 1 回でキーの数だけ増える)",
        "Adam that increments t once per key instead of once per update",
        breaks=("test_adam",),
        hint="キーごと",
    ),
    Variant(
        "adam_moments_without_one_minus",
        "adam",
        (("m += (1.0 - self.beta1) * g", "m += g"),),
        "_moments で新しい g に (1 − β1) を掛け忘れた Adam (AMSGrad はこの _moments を受け継ぐ)",
        "Adam whose _moments adds g without the factor (1 - beta1); AMSGrad inherits it",
        breaks=("test_adam", "test_adam_rules"),
        hint="(1 − beta1) を掛け忘れ",
    ),
    Variant(
        "adam_update_without_moments",
        "adam",
        (
            (
                "        if key not in self.m:\n"
                "            self.m[key] = np.zeros_like(param)\n"
                "            self.v[key] = np.zeros_like(param)\n",
                "        raise NotImplementedError\n"
                "        if key not in self.m:\n"
                "            self.m[key] = np.zeros_like(param)\n"
                "            self.v[key] = np.zeros_like(param)\n",
            ),
            (
                "            m, v = self._moments(key, params[key], grads[key])\n",
                "            if key not in self.m:\n"
                "                self.m[key] = np.zeros_like(params[key])\n"
                "                self.v[key] = np.zeros_like(params[key])\n"
                "            self.m[key] = self.beta1 * self.m[key] + (1.0 - self.beta1) * grads[key]\n"
                "            self.v[key] = self.beta2 * self.v[key] + (1.0 - self.beta2) * grads[key] ** 2\n"
                "            m, v = self.m[key], self.v[key]\n",
            ),
        ),
        "m、v を update の中だけで計算し、_moments を書かなかった Adam (AMSGrad は _moments を使う)",
        "Adam computing m and v inside update and leaving _moments unimplemented, which AMSGrad calls",
        breaks=("test_adam_rules",),
        hint="まだ実装されていません",
    ),
    Variant(
        "adam_textbook_class",
        "adam",
        (
            (
                "    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):\n",
                "    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999):\n",
            ),
            ("        self.eps = eps", "        self.iter = 0\n        self.m = self.v = None\n        return"),
            ("        if key not in self.m:\n", "        raise NotImplementedError\n        if key not in self.m:\n"),
            (
                "        self.t += 1\n        bc1 = 1.0 - self.beta1**self.t\n",
                "        if self.m is None:\n"
                "            self.m, self.v = {}, {}\n"
                "            for key, val in params.items():\n"
                "                self.m[key] = np.zeros_like(val)\n"
                "                self.v[key] = np.zeros_like(val)\n"
                "        self.iter += 1\n"
                "        lr_t = self.lr * np.sqrt(1.0 - self.beta2**self.iter) / (1.0 - self.beta1**self.iter)\n"
                "        for key in params.keys():\n"
                "            self.m[key] += (1 - self.beta1) * (grads[key] - self.m[key])\n"
                "            self.v[key] += (1 - self.beta2) * (grads[key] ** 2 - self.v[key])\n"
                "            params[key] -= lr_t * self.m[key] / (np.sqrt(self.v[key]) + 1e-7)\n"
                "        return\n"
                "        self.t += 1\n        bc1 = 1.0 - self.beta1**self.t\n",
            ),
        ),
        "『ゼロから作るDeep Learning』の Adam クラスを貼ったもの (eps、t、_moments がない。AMSGrad は失点しない)",
        "the textbook's Adam class pasted over the stub (no eps argument, no t, no _moments); AMSGrad keeps its points",
        breaks=("test_adam", "test_adam_rules"),
        hint="eps",
    ),
    Variant(
        "amsgrad_max_of_gradients",
        "amsgrad",
        (("np.maximum(v_max, v, out=v_max)", "np.maximum(v_max, grads[key] * grads[key], out=v_max)"),),
        "v ではなく勾配の 2 乗 g² の最大値を取る AMSGrad",
        "AMSGrad keeping the maximum of the squared gradients instead of the second moments",
        breaks=("test_amsgrad",),
        hint="v の最大値",
    ),
    Variant(
        "amsgrad_max_not_kept",
        "amsgrad",
        (("np.maximum(v_max, v, out=v_max)", "v_max = np.maximum(v_max, v)"),),
        "最大値を新しい配列に入れて self.v_max に残さない AMSGrad (Adam と同じ)",
        "AMSGrad whose running maximum is a new array that is never stored",
        breaks=("test_amsgrad",),
        hint="保存していません",
    ),
    Variant(
        "step_decay_off_by_one",
        "lr_schedules",
        (("drop ** (epoch // epochs_drop))", "drop ** ((epoch + 1) // epochs_drop))"),),
        "エポックを 1 から数えたステップ減衰 (1 エポック早く drop を掛ける)",
        "step decay counting epochs from 1 (drops one epoch too early)",
        breaks=("test_lr_schedules",),
        hint="早すぎます",
    ),
    Variant(
        "clip_per_key",
        "clip_grads_by_norm",
        (
            (
                "    clip_coef = max_norm / (total_norm + 1e-6)\n"
                "    if clip_coef < 1.0:\n"
                "        for key in grads:\n"
                "            grads[key] *= clip_coef  # in place: scale every array by the same factor\n",
                "    for key in grads:\n"
                "        key_norm = float(np.sqrt(np.sum(grads[key] * grads[key])))\n"
                "        if key_norm > max_norm:\n"
                "            grads[key] *= max_norm / key_norm\n",
            ),
        ),
        "配列ごとに自分のノルムで縮める勾配クリッピング (全体の向きが変わる)",
        "gradient clipping that rescales each array by its own norm instead of the global norm",
        breaks=("test_clip_grads_by_norm", "test_clip_grads_by_norm_rules"),
        hint="配列ごとに自分のノルム",
    ),
    Variant(
        "clip_always_rescale",
        "clip_grads_by_norm",
        (
            (
                "    clip_coef = max_norm / (total_norm + 1e-6)\n    if clip_coef < 1.0:\n        for key in grads:\n"
                "            grads[key] *= clip_coef",
                "    clip_coef = max_norm / total_norm\n    for key in grads:\n        grads[key] *= clip_coef",
            ),
        ),
        "ノルムが max_norm 以下のときも max_norm / ノルム 倍する (いつも長さ max_norm にそろえる) 勾配クリッピング",
        "gradient clipping that always rescales to max_norm, stretching small gradients too",
        breaks=("test_clip_grads_by_norm", "test_clip_grads_by_norm_rules"),
        hint="以下のときまで",
    ),
    Variant(
        "clip_norm_after",
        "clip_grads_by_norm",
        (("    return total_norm", "    return float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))"),),
        "クリッピングした後のノルムを返す勾配クリッピング",
        "gradient clipping that returns the norm after clipping instead of before",
        breaks=("test_clip_grads_by_norm", "test_clip_grads_by_norm_rules"),
        hint="クリッピングした後のノルム",
    ),
    Variant(
        "clip_no_sqrt",
        "clip_grads_by_norm",
        (
            (
                "total_norm = float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))",
                "total_norm = float(sum(np.sum(g * g) for g in grads.values()))",
            ),
        ),
        "2 乗の和の平方根を取らずにノルムとして使う勾配クリッピング",
        "gradient clipping that uses the sum of squares as the norm (no square root)",
        breaks=("test_clip_grads_by_norm", "test_clip_grads_by_norm_rules"),
        hint="平方根を取っていません",
    ),
    Variant(
        "clip_new_arrays",
        "clip_grads_by_norm",
        (("grads[key] *= clip_coef", "grads[key] = grads[key] * clip_coef"),),
        "縮めた新しい配列を grads[key] に代入する勾配クリッピング (その場で書き換えない)",
        "gradient clipping that stores new arrays in the dict instead of scaling in place",
        breaks=("test_clip_grads_by_norm", "test_clip_grads_by_norm_rules"),
        hint="その場で",
    ),
    Variant(
        "clip_no_validation",
        "clip_grads_by_norm",
        (
            (
                "    if not float(max_norm) > 0.0:\n"
                '        raise ValueError(f"max_norm は正の数にしてください ({max_norm} が渡されました)")\n',
                "",
            ),
        ),
        "max_norm <= 0 でも ValueError を出さない勾配クリッピング (規則だけを失う)",
        "gradient clipping that accepts max_norm <= 0 (loses the rules' points only)",
        breaks=("test_clip_grads_by_norm_rules",),
        hint="正の数",
    ),
    Variant(
        "warmup_from_zero",
        "warmup_lr",
        (("lr0 * (step + 1) / warmup_steps", "lr0 * step / warmup_steps"),),
        "step / warmup_steps で上げるウォームアップ (最初の更新の学習率が 0)",
        "warm-up with the factor step / warmup_steps (the first update has learning rate 0)",
        breaks=("test_warmup_lr",),
        hint="step = 0 の学習率",
    ),
    Variant(
        "warmup_no_cap",
        "warmup_lr",
        (
            (
                "    if step < warmup_steps:\n        return float(lr0 * (step + 1) / warmup_steps)",
                "    return float(lr0 * (step + 1) / warmup_steps)",
            ),
        ),
        "warmup_steps 回を過ぎても学習率を上げ続けるウォームアップ",
        "warm-up that keeps increasing the learning rate after warmup_steps updates",
        breaks=("test_warmup_lr",),
        hint="過ぎても",
    ),
    # ---------------------------------------------------------------- correct variants
    Variant(
        "sgd_copy_into",
        "sgd",
        (("params[key] -= self.lr * grads[key]", "params[key][...] = params[key] - self.lr * grads[key]"),),
        "計算した新しい値を params[key][...] に書き込む SGD (同じ配列のまま)",
        "SGD that writes the new values into params[key][...] (the same array)",
        correct=True,
    ),
    Variant(
        "momentum_assign_velocity",
        "momentum",
        (
            (
                "            v = self.v[key]\n"
                "            v *= self.momentum\n"
                "            v -= self.lr * grads[key]  # v <- mu*v - lr*g\n"
                "            params[key] += v  # w <- w + v",
                "            self.v[key] = self.momentum * self.v[key] - self.lr * grads[key]\n"
                "            params[key] += self.v[key]",
            ),
        ),
        "速度を新しい配列として self.v[key] に代入し直す Momentum",
        "Momentum that stores a new velocity array in self.v[key] on every call",
        correct=True,
    ),
    Variant(
        "nesterov_old_velocity_form",
        "nesterov",
        (
            (
                "            v *= self.momentum\n"
                "            v -= self.lr * g  # v <- mu*v - lr*g\n"
                "            params[key] += self.momentum * v - self.lr * g  # w <- w + mu*v - lr*g",
                "            # w <- w + mu^2*v_old - (1+mu)*lr*g, then v <- mu*v - lr*g: the same update\n"
                "            params[key] += self.momentum * self.momentum * v - (1 + self.momentum) * self.lr * g\n"
                "            v *= self.momentum\n"
                "            v -= self.lr * g",
            ),
        ),
        "『ゼロから作るDeep Learning』の形 μ²v − (1 + μ)·lr·g を、v を更新する前に使う Nesterov",
        "Nesterov in the textbook's form mu^2 v - (1 + mu) lr g, applied before the velocity update",
        correct=True,
    ),
    Variant(
        "adagrad_new_state_array",
        "adagrad",
        (("h = self.h[key]\n            h += g * g  # h <- h + g^2", "h = self.h[key] = self.h[key] + g * g"),),
        "h を新しい配列として self.h[key] に入れ直す AdaGrad",
        "AdaGrad that stores a new accumulator array in self.h[key]",
        correct=True,
    ),
    Variant(
        "adam_textbook_lr_t",
        "adam",
        _TEXTBOOK_ADAM,
        "『ゼロから作るDeep Learning』の Adam: 補正を lr_t = lr·√(1 − β2^t)/(1 − β1^t) にまとめ、補正前の √v に eps",
        "Adam with the bias correction folded into lr_t and eps added to the uncorrected sqrt(v), as in the textbook",
        correct=True,
    ),
    Variant(
        "amsgrad_new_max_stored",
        "amsgrad",
        (
            (
                "            v_max = self.v_max[key]\n"
                "            np.maximum(v_max, v, out=v_max)  # v_max <- max(v_max, v)\n",
                "            v_max = self.v_max[key] = np.maximum(self.v_max[key], v)\n",
            ),
        ),
        "最大値を新しい配列として self.v_max[key] に入れ直す AMSGrad",
        "AMSGrad that stores the new maximum as a new array in self.v_max[key]",
        correct=True,
    ),
    Variant(
        "adam_textbook_eps_default",
        "adam",
        (
            ("eps=1e-8):\n        self.lr", "eps=1e-7):\n        self.lr"),
            *_TEXTBOOK_ADAM,
        ),
        "『ゼロから作るDeep Learning』の Adam そのまま (lr_t にまとめた補正、既定値 eps = 1e-7)",
        "the textbook Adam as it is (correction folded into lr_t, default eps = 1e-7)",
        correct=True,
    ),
    Variant(
        "clip_without_eps",
        "clip_grads_by_norm",
        (
            (
                "    clip_coef = max_norm / (total_norm + 1e-6)\n    if clip_coef < 1.0:\n",
                "    if total_norm > max_norm:\n        clip_coef = max_norm / total_norm\n",
            ),
        ),
        "1e-6 を足さずに、ノルムが max_norm を超えたら max_norm / ノルム 倍する勾配クリッピング",
        "gradient clipping with the factor max_norm / total_norm (no 1e-6) when the norm exceeds max_norm",
        correct=True,
    ),
    Variant(
        "clip_concatenated_norm",
        "clip_grads_by_norm",
        (
            (
                "total_norm = float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))",
                "total_norm = float(np.linalg.norm(np.concatenate([g.ravel() for g in grads.values()])))",
            ),
            ("grads[key] *= clip_coef", "grads[key][...] = grads[key] * clip_coef"),
        ),
        "全配列をつないだベクトルの np.linalg.norm を使い、grads[key][...] に書き込む勾配クリッピング",
        "gradient clipping with np.linalg.norm of the concatenated arrays, writing into grads[key][...]",
        correct=True,
    ),
    Variant(
        "warmup_min_form",
        "warmup_lr",
        (
            (
                "    if step < warmup_steps:\n"
                "        return float(lr0 * (step + 1) / warmup_steps)  # rises linearly from lr0/warmup_steps\n"
                "    return float(lr0)",
                "    return float(lr0 * min(1.0, (step + 1) / warmup_steps))",
            ),
        ),
        "min(1, (step + 1) / warmup_steps) を掛ける 1 行のウォームアップ (PyTorch の LambdaLR の形)",
        "warm-up written as lr0 * min(1, (step + 1) / warmup_steps), the LambdaLR form",
        correct=True,
    ),
]

"""Catalogue entries of ch05_softmax_training (see autograder.catalogue)."""

from . import Variant

VARIANTS = [
    # ---------------------------------------------------------------- mistakes
    Variant(
        "jacobian_sign_flipped",
        "softmax_jacobian",
        (
            (
                "return y[..., :, None] * eye - y[..., :, None] * y[..., None, :]",
                "return y[..., :, None] * y[..., None, :] - y[..., :, None] * eye",
            ),
        ),
        "外積と diag(y) の引き算の順番を逆にしたヤコビ行列 (符号が逆)",
        "softmax Jacobian with the subtraction reversed (outer product minus diag(y))",
        breaks=("test_softmax_jacobian",),
        hint="符号が逆",
    ),
    Variant(
        "jacobian_no_diag",
        "softmax_jacobian",
        (
            (
                "return y[..., :, None] * eye - y[..., :, None] * y[..., None, :]",
                "return -y[..., :, None] * y[..., None, :]",
            ),
        ),
        "対角成分 diag(y) を忘れて、外積 −y yᵀ だけを返すヤコビ行列",
        "softmax Jacobian without diag(y): only minus the outer product",
        breaks=("test_softmax_jacobian",),
        hint="diag(y)",
    ),
    Variant(
        "jacobian_1d_only",
        "softmax_jacobian",
        (
            (
                "return y[..., :, None] * eye - y[..., :, None] * y[..., None, :]",
                "return np.diag(y) - np.outer(y, y)",
            ),
        ),
        "np.diag と np.outer で書いた、1 次元の y にしか使えないヤコビ行列",
        "softmax Jacobian with np.diag and np.outer, which only works for one vector",
        breaks=("test_softmax_jacobian",),
        hint="1 次元配列用",
    ),
    Variant(
        "backward_no_subtracted_term",
        "softmax_backward",
        (("return y * (dy - np.sum(dy * y, axis=-1, keepdims=True))", "return y * dy"),),
        "ソフトマックスの逆伝播で −y ⊙ <dy, y> の項を忘れる (y ⊙ dy だけ)",
        "softmax backward without the subtracted term (only y * dy)",
        breaks=("test_softmax_backward",),
        hint="<dy, y> の項がありません",
    ),
    Variant(
        "backward_axis0",
        "softmax_backward",
        (
            (
                "return y * (dy - np.sum(dy * y, axis=-1, keepdims=True))",
                "return y * (dy - np.sum(dy * y, axis=0, keepdims=True))",
            ),
        ),
        "内積 <dy, y> を列方向 (axis=0) に取るソフトマックスの逆伝播",
        "softmax backward with the inner product taken over the batch axis",
        breaks=("test_softmax_backward",),
        hint="axis=0",
    ),
    Variant(
        "swl_not_divided_by_n",
        "softmax_with_loss",
        (("return (dout * dx / batch_size).reshape(self.y.shape)", "return (dout * dx).reshape(self.y.shape)"),),
        "SoftmaxWithLoss の backward でバッチサイズ N で割り忘れる",
        "SoftmaxWithLoss backward not divided by the batch size",
        # the training cell (lr 0.1, batch 20) then diverges: the effective learning rate is 20 times larger
        breaks=("test_softmax_with_loss", "test_trained_network"),
        hint="バッチサイズ N",
    ),
    Variant(
        "swl_divided_by_classes",
        "softmax_with_loss",
        (
            (
                "return (dout * dx / batch_size).reshape(self.y.shape)",
                "return (dout * dx / y.shape[1]).reshape(self.y.shape)",
            ),
        ),
        "SoftmaxWithLoss の backward でバッチサイズではなくクラス数 C で割る",
        "SoftmaxWithLoss backward divided by the number of classes instead of the batch size",
        breaks=("test_softmax_with_loss",),
        hint="クラス数 C",
    ),
    Variant(
        "swl_modifies_y",
        "softmax_with_loss",
        (("dx = y.copy()", "dx = y"),),
        "ラベルのとき self.y をコピーせずに書き換える backward (2 回目の呼び出しで値が変わる)",
        "SoftmaxWithLoss backward that subtracts 1 from self.y itself instead of a copy",
        breaks=("test_softmax_with_loss",),
        hint="self.y のコピー",
    ),
    Variant(
        "net_gradient_skips_relu",
        "two_layer_net",
        (
            (
                "for layer in reversed(self.layers.values()):\n            dout = layer.backward(dout)",
                'for name in ("Affine2", "Affine1"):  # ReLU skipped\n'
                "            dout = self.layers[name].backward(dout)",
            ),
        ),
        "TwoLayerNet.gradient で ReLU レイヤの backward を飛ばす (ReLU のマスクがない)",
        "TwoLayerNet.gradient that skips the ReLU layer's backward (no ReLU mask)",
        breaks=("test_two_layer_net_gradient",),
        hint="ReLU",
    ),
    Variant(
        "initial_loss_log10",
        "expected_initial_loss",
        (("return float(np.log(num_classes))", "return float(np.log10(num_classes))"),),
        "一様な予測の損失を常用対数 log10 で計算する",
        "the loss of a uniform prediction computed with the base-10 logarithm",
        breaks=("test_expected_initial_loss",),
        hint="自然対数",
    ),
    Variant(
        "overfit_gradient_ascent",
        "overfit_tiny_subset",
        (
            (
                "params[key] -= learning_rate * grads[key]",
                "params[key] += learning_rate * grads[key]",
            ),
        ),
        "勾配降下法のループで、学習率 × 勾配を引かずに足す (勾配上昇)",
        "the gradient-descent loop that adds learning_rate times the gradient (ascent)",
        breaks=("test_overfit_tiny_subset",),
        hint="勾配の向き",
    ),
    Variant(
        "overfit_stale_gradient",
        "overfit_tiny_subset",
        (("for _ in range(steps):\n        grads = gradient()\n", "grads = gradient()\n    for _ in range(steps):\n"),),
        "勾配をループの前に 1 回だけ求め、最初の点の勾配で更新し続ける",
        "the gradient computed once before the loop and reused at every step",
        breaks=("test_overfit_tiny_subset",),
        hint="gradient() を呼び直して",
    ),
    Variant(
        "overfit_rebinds_params",
        "overfit_tiny_subset",
        (
            (
                "params[key] -= learning_rate * grads[key]",
                "params[key] = params[key] - learning_rate * grads[key]",
            ),
        ),
        "params の配列をその場で更新せず、新しい配列を辞書に入れる (ネットワークの層が持つ配列は変わらない)",
        "the loop that puts new arrays into params instead of updating them in place (the layers keep the old ones)",
        breaks=("test_overfit_tiny_subset",),
        hint="その場で",
    ),
    Variant(
        "overfit_no_initial_loss",
        "overfit_tiny_subset",
        (("losses = [float(loss())]", "losses = []"),),
        "更新の前の損失を記録せず、長さ steps のリストを返す",
        "the loss before the first update not recorded (a list of length steps)",
        breaks=("test_overfit_tiny_subset",),
        hint="更新の前の損失",
    ),
    # ---------------------------------------------------------------- correct variants
    Variant(
        "jacobian_loop",
        "softmax_jacobian",
        (
            (
                "eye = np.eye(y.shape[-1], dtype=y.dtype)\n"
                "    return y[..., :, None] * eye - y[..., :, None] * y[..., None, :]",
                "rows = y.reshape(-1, y.shape[-1])\n"
                "    out = np.empty((rows.shape[0], rows.shape[1], rows.shape[1]))\n"
                "    for i, row in enumerate(rows):\n"
                "        out[i] = np.diag(row) - np.outer(row, row)\n"
                "    return out.reshape(y.shape + (y.shape[-1],))",
            ),
        ),
        "行ごとのループで np.diag と np.outer から作るヤコビ行列",
        "softmax Jacobian built row by row with np.diag and np.outer",
        correct=True,
    ),
    Variant(
        "backward_einsum",
        "softmax_backward",
        (
            (
                "return y * (dy - np.sum(dy * y, axis=-1, keepdims=True))",
                'return y * (dy - np.einsum("...i,...i->...", dy, y)[..., None])',
            ),
        ),
        "行ごとの内積を np.einsum で計算するソフトマックスの逆伝播",
        "softmax backward with the row-wise inner product computed by np.einsum",
        correct=True,
    ),
    Variant(
        "net_gradient_named_layers",
        "two_layer_net",
        (
            (
                "for layer in reversed(self.layers.values()):\n            dout = layer.backward(dout)",
                'for name in ("Affine2", "Relu1", "Affine1"):\n            dout = self.layers[name].backward(dout)',
            ),
        ),
        "層の名前を後ろから順に並べて backward を呼ぶ TwoLayerNet.gradient",
        "TwoLayerNet.gradient that calls the layers' backward by name, last layer first",
        correct=True,
    ),
    Variant(
        "swl_one_hot_always",
        "softmax_with_loss",
        (
            (
                "        if t.size == y.size:  # one-hot 表現\n"
                "            dx = y - t.reshape(y.shape)\n"
                "        else:  # ラベル: 正解クラスの位置から 1 を引く\n"
                "            dx = y.copy()\n"
                "            dx[np.arange(batch_size), t.reshape(batch_size).astype(np.int64)] -= 1\n",
                "        if t.size != y.size:  # labels -> one-hot\n"
                "            t = np.eye(y.shape[1])[t.reshape(batch_size).astype(np.int64)]\n"
                "        dx = y - t.reshape(y.shape)\n",
            ),
        ),
        "ラベルを np.eye で one-hot に直してから y − t を計算する backward",
        "SoftmaxWithLoss backward that turns labels into one-hot vectors with np.eye first",
        correct=True,
    ),
    Variant(
        "loss_exact_cross_entropy",
        "softmax_with_loss",
        (
            (
                "self.loss = cross_entropy_error(self.y, t)",
                "rows = self.y.reshape(-1, self.y.shape[-1])\n"
                "        labels = np.asarray(t).reshape(rows.shape[0], -1)\n"
                "        labels = labels.argmax(axis=1) if labels.shape[1] > 1 else labels[:, 0].astype(np.int64)\n"
                "        self.loss = float(-np.mean(np.log(rows[np.arange(rows.shape[0]), labels])))",
            ),
        ),
        "log に eps を足さない、正確な交差エントロピー誤差 (PyTorch の cross_entropy と同じ)",
        "the exact cross-entropy without eps inside the log (as PyTorch's cross_entropy)",
        correct=True,
    ),
    Variant(
        "initial_loss_minus_log_of_probability",
        "expected_initial_loss",
        (("return float(np.log(num_classes))", "return float(-np.log(1 / num_classes))"),),
        "一様な予測の損失を −log(1/C) として計算する",
        "the loss of a uniform prediction computed as -log(1/C)",
        correct=True,
    ),
    Variant(
        "overfit_items_loop",
        "overfit_tiny_subset",
        (
            (
                "for key in params:\n            params[key] -= learning_rate * grads[key]",
                "for key, value in params.items():\n            value -= learning_rate * grads[key]",
            ),
        ),
        "params.items() の配列 value を value -= ... でその場で更新する勾配降下法のループ",
        "the descent loop that updates each array of params.items() in place with value -= ...",
        correct=True,
    ),
    Variant(
        "overfit_record_inside_loop",
        "overfit_tiny_subset",
        (
            (
                "losses = [float(loss())]\n    for _ in range(steps):\n        grads = gradient()\n"
                "        for key in params:\n            params[key] -= learning_rate * grads[key]",
                "losses = []\n    for step in range(steps + 1):\n        losses.append(float(loss()))\n"
                "        if step == steps:\n            break\n        grads = gradient()\n        for key in params:\n"
                "            np.subtract(params[key], learning_rate * grads[key], out=params[key])",
            ),
            ("        losses.append(float(loss()))\n    return losses", "    return losses"),
        ),
        "損失の記録をループの先頭に置き、np.subtract(..., out=...) で更新する勾配降下法のループ",
        "the descent loop that records the loss at the top of each pass and updates with np.subtract(..., out=...)",
        correct=True,
    ),
]

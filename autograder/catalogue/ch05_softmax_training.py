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
        hint="self.y.copy()",
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
                "        if t.size == y.size:  # one-hot\n"
                "            dx = y - t.reshape(y.shape)\n"
                "        else:  # labels: subtract 1 at the target class\n"
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
]

"""Catalogue entries of ch04_backprop_layers (see autograder.catalogue)."""

from . import Variant

_RELU_BACKWARD = (
    "        dx = dout.copy()\n        dx[self.mask] = 0  # dy/dx は x > 0 で 1、それ以外で 0\n        return dx"
)
_SIGMOID_BACKWARD = "return dout * self.out * (1.0 - self.out)  # dy/dx = y(1 − y)"

VARIANTS = [
    # ---------------------------------------------------------------- mistakes
    Variant(
        "mul_swapped",
        "mul_layer",
        (("return dout * self.y, dout * self.x", "return dout * self.x, dout * self.y"),),
        "dx と dy を入れ替えた乗算レイヤの逆伝播 (自分の入力を掛ける)",
        "MulLayer backward with the inputs swapped (each input times itself)",
        breaks=("test_mul_layer",),
        hint="入れ替わ",
    ),
    Variant(
        "mul_no_dout",
        "mul_layer",
        (("return dout * self.y, dout * self.x", "return self.y, self.x"),),
        "上流の勾配 dout を掛け忘れた乗算レイヤの逆伝播",
        "MulLayer backward that forgets to multiply by dout",
        breaks=("test_mul_layer",),
        hint="dout を掛け忘れ",
    ),
    Variant(
        "add_returns_one",
        "add_layer",
        (("return dout, dout", "return 1, 1"),),
        "局所的な微分 1 をそのまま返す加算レイヤの逆伝播",
        "AddLayer backward that returns the local derivative 1",
        breaks=("test_add_layer",),
        hint="dout をそのまま",
    ),
    Variant(
        "relu_mask_lt",
        "relu_layer",
        (("        self.mask = x <= 0\n", "        self.mask = x < 0\n"),),
        "マスクを x < 0 で作り、x = 0 の要素でも勾配を通す ReLU",
        "ReLU whose mask is x < 0, so the gradient passes where x = 0",
        breaks=("test_relu_layer",),
        hint="x = 0",
    ),
    Variant(
        "relu_mask_inverted",
        "relu_layer",
        (("        dx[self.mask] = 0", "        dx[~self.mask] = 0"),),
        "マスクを逆に使い、x <= 0 の要素だけ勾配を通す ReLU の逆伝播",
        "ReLU backward that passes the gradient only where x <= 0",
        breaks=("test_relu_layer",),
        hint="マスクが逆",
    ),
    Variant(
        "relu_times_output",
        "relu_layer",
        (
            (
                "        out[self.mask] = 0\n        return out\n",
                "        out[self.mask] = 0\n        self.out = out\n        return out\n",
            ),
            (_RELU_BACKWARD, "        return dout * self.out"),
        ),
        "0/1 のマスクではなく順伝播の出力を掛ける ReLU の逆伝播",
        "ReLU backward that multiplies by the forward output instead of the 0/1 mask",
        breaks=("test_relu_layer",),
        hint="順伝播の出力",
    ),  # fmt: skip
    Variant(
        "relu_no_dout",
        "relu_layer",
        ((_RELU_BACKWARD, "        return (~self.mask).astype(float)"),),
        "局所的な微分 (0 か 1) だけを返す ReLU の逆伝播",
        "ReLU backward that returns the local derivative only",
        breaks=("test_relu_layer",),
        hint="dout を掛けて",
    ),
    Variant(
        "sigmoid_uses_input",
        "sigmoid_layer",
        (
            ("        self.out = sigmoid(x)\n", "        self.x = x\n        self.out = sigmoid(x)\n"),
            (_SIGMOID_BACKWARD, "return dout * self.x * (1.0 - self.x)"),
        ),
        "出力 y ではなく入力 x で x(1 − x) を計算するシグモイドの逆伝播",
        "Sigmoid backward computed from the input x instead of the output y",
        breaks=("test_sigmoid_layer",),
        hint="入力 x",
    ),
    Variant(
        "sigmoid_no_dout",
        "sigmoid_layer",
        ((_SIGMOID_BACKWARD, "return self.out * (1.0 - self.out)"),),
        "上流の勾配 dout を掛け忘れたシグモイドの逆伝播",
        "Sigmoid backward without the upstream gradient",
        breaks=("test_sigmoid_layer",),
        hint="dout を掛け忘れ",
    ),
    Variant(
        "sigmoid_twice",
        "sigmoid_layer",
        ((_SIGMOID_BACKWARD, "return dout * sigmoid(self.out) * (1.0 - sigmoid(self.out))"),),
        "保存した出力にもう一度 sigmoid を通すシグモイドの逆伝播",
        "Sigmoid backward that applies sigmoid to the stored output again",
        breaks=("test_sigmoid_layer",),
        hint="もう一度 sigmoid",
    ),
    Variant(
        "affine_no_bias",
        "affine_layer",
        (("return self.x @ self.W + self.b", "return self.x @ self.W"),),
        "バイアスを足し忘れた Affine の順伝播",
        "Affine forward without the bias",
        breaks=("test_affine_forward",),
        hint="バイアス b",
    ),
    Variant(
        "affine_no_flatten",
        "affine_layer",
        (("        self.x = x.reshape(x.shape[0], -1)\n", "        self.x = x\n"),),
        "多次元の入力を (N, D) に平坦化しない Affine",
        "Affine that does not flatten an (N, d1, d2, ...) input",
        breaks=("test_affine_forward", "test_affine_backward"),
        hint="平坦化",
    ),
    Variant(
        "affine_dx_not_reshaped",
        "affine_layer",
        (("return dx.reshape(self.original_x_shape)", "return dx"),),
        "dx を元の入力の形状 (N, d1, d2, ...) に戻さない Affine の逆伝播",
        "Affine backward that returns dx flattened instead of in the input's shape",
        breaks=("test_affine_backward",),
        hint="元の入力の形状",
    ),
    Variant(
        "affine_dW_transposed",
        "affine_layer",
        (("self.dW = self.x.T @ dout", "self.dW = dout.T @ self.x"),),
        "転置になった dW = doutᵀ · X",
        "Affine backward with dW transposed (dout.T @ x)",
        breaks=("test_affine_backward",),
        hint="転置",
    ),
    Variant(
        "affine_dx_without_transpose",
        "affine_layer",
        (("dx = dout @ self.W.T", "dx = dout @ self.W"),),
        "W を転置せずに掛ける dx = dout · W",
        "Affine backward with dx = dout @ W (W not transposed)",
        breaks=("test_affine_backward",),
        hint="Wᵀ",
    ),
    Variant(
        "affine_db_not_summed",
        "affine_layer",
        (("self.db = np.sum(dout, axis=0)", "self.db = dout"),),
        "バッチ方向に合計しない db = dout",
        "Affine backward with db = dout (not summed over the batch)",
        breaks=("test_affine_backward",),
        hint="バッチ方向に合計",
    ),
    Variant(
        "affine_db_axis1",
        "affine_layer",
        (("self.db = np.sum(dout, axis=0)", "self.db = np.sum(dout, axis=1)"),),
        "axis=1 で合計した db",
        "Affine backward with db summed over axis=1",
        breaks=("test_affine_backward",),
        hint="axis=0",
    ),
    Variant(
        "affine_dW_mean",
        "affine_layer",
        (("self.dW = self.x.T @ dout", "self.dW = self.x.T @ dout / dout.shape[0]"),),
        "dW をバッチサイズ N で割る Affine の逆伝播",
        "Affine backward that divides dW by the batch size",
        breaks=("test_affine_backward",),
        hint="N で割って",
    ),
    Variant(
        "relu_backward_in_place",
        "relu_layer",
        (("dx = dout.copy()\n        dx[self.mask] = 0", "dout[self.mask] = 0\n        dx = dout"),),
        "dout そのものの mask の位置を 0 にして返す Relu.backward (『ゼロから作る』の形。呼び出し側の dout が変わる)",
        "Relu.backward that zeroes the caller's dout in place and returns it (the textbook's form)",
        breaks=("test_relu_layer",),
        hint="dout を書き換えています",
    ),
    Variant(
        "relu_forward_in_place",
        "relu_layer",
        (("out = x.copy()\n", "out = x\n"),),
        "入力 x そのものの mask の位置を 0 にして返す Relu.forward",
        "Relu.forward that zeroes the caller's x in place and returns it",
        breaks=("test_relu_layer",),
        hint="x を書き換えています",
    ),
    # ---------------------------------------------------------------- correct variants
    Variant(
        "mul_dy_first",
        "mul_layer",
        (
            (
                "return dout * self.y, dout * self.x",
                "dx = self.y * dout\n        dy = self.x * dout\n        return dx, dy",
            ),
        ),
        "dx, dy を変数に入れてから返す乗算レイヤの逆伝播",
        "MulLayer backward with named dx and dy",
        correct=True,
    ),  # fmt: skip
    Variant(
        "relu_where",
        "relu_layer",
        ((_RELU_BACKWARD, "        return np.where(self.mask, 0.0, dout)"),),
        "np.where で書いた ReLU の逆伝播",
        "ReLU backward written with np.where",
        correct=True,
    ),
    Variant(
        "relu_loop",
        "relu_layer",
        (
            (
                _RELU_BACKWARD,
                "        dx = np.array(dout, dtype=np.float64)\n"
                "        for idx in np.ndindex(dx.shape):\n"
                "            if self.mask[idx]:\n"
                "                dx[idx] = 0.0\n"
                "        return dx",
            ),
        ),
        "要素ごとのループで書いた ReLU の逆伝播",
        "ReLU backward written as a loop over the elements",
        correct=True,
    ),
    Variant(
        "sigmoid_out_minus_square",
        "sigmoid_layer",
        ((_SIGMOID_BACKWARD, "return dout * (self.out - self.out**2)"),),
        "y − y² と展開したシグモイドの逆伝播",
        "Sigmoid backward written dout * (y - y**2)",
        correct=True,
    ),
    Variant(
        "affine_einsum",
        "affine_layer",
        (
            ("self.dW = self.x.T @ dout", 'self.dW = np.einsum("nd,nm->dm", self.x, dout)'),
            ("dx = dout @ self.W.T", 'dx = np.einsum("nm,dm->nd", dout, self.W)'),
        ),
        "np.einsum で書いた Affine の逆伝播",
        "Affine backward written with np.einsum",
        correct=True,
    ),
    Variant(
        "affine_dot",
        "affine_layer",
        (
            ("return self.x @ self.W + self.b", "return np.dot(self.x, self.W) + self.b"),
            ("self.dW = self.x.T @ dout", "self.dW = np.dot(self.x.T, dout)"),
            ("dx = dout @ self.W.T", "dx = np.dot(dout, self.W.T)"),
        ),
        "np.dot で書いた Affine",
        "Affine written with np.dot",
        correct=True,
    ),
    Variant(
        "affine_loop_sums",
        "affine_layer",
        (
            (
                "self.db = np.sum(dout, axis=0)",
                "self.db = np.zeros(dout.shape[1])\n        for row in dout:\n            self.db += row",
            ),
        ),
        "行ごとのループで足し合わせる db",
        "Affine db accumulated row by row in a loop",
        correct=True,
    ),
    Variant(
        "affine_float32_safe",
        "affine_layer",
        (
            (
                "        self.x = x.reshape(x.shape[0], -1)\n",
                "        x = np.asarray(x, dtype=np.result_type(x, self.W))\n"
                "        self.x = x.reshape(len(x), int(np.prod(x.shape[1:])))\n",
            ),
        ),
        "dtype を W と揃えて int(np.prod(...)) で平坦化する Affine (float32 の入力でも精度を落とさない)",
        "Affine that promotes x to W's dtype and flattens with int(np.prod(...)) (float32-safe)",
        correct=True,
    ),
]

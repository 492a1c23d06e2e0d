"""Catalogue entries of ch01_activation (see autograder.catalogue)."""

from . import Variant

VARIANTS = [
    # ---------------------------------------------------------------- mistakes
    Variant(
        "step_ge_zero",
        "step_function",
        (("x) > 0)", "x) >= 0)"),),
        "x = 0 で 1 を返すステップ関数",
        "step function that returns 1 at x = 0",
        breaks=("test_step_function",),
        hint="x = 0",
    ),
    Variant(
        "sigmoid_naive",
        "sigmoid",
        (
            (
                "return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z)).astype(x.dtype, copy=False)",
                "return 1.0 / (1.0 + np.exp(-x))",
            ),
        ),
        "式どおりの 1/(1+exp(-x)) で、大きな負の入力でオーバーフローの警告が出る",
        "textbook 1/(1+exp(-x)) that warns of overflow for large negative inputs",
        breaks=("test_sigmoid",),
        hint="オーバーフロー",
    ),  # fmt: skip
    Variant(
        "softmax_no_max",
        "softmax",
        (("shifted = x - np.max(x, axis=-1, keepdims=True)", "shifted = x"),),
        "最大値を引かないソフトマックス (大きな入力で nan)",
        "softmax without subtracting the maximum (nan for large inputs)",
        breaks=("test_softmax",),
        hint="nan",
    ),
    Variant(
        "softmax_axis0",
        "softmax",
        (
            ("shifted = x - np.max(x, axis=-1, keepdims=True)", "shifted = x - np.max(x, axis=0, keepdims=True)"),
            ("return e / np.sum(e, axis=-1, keepdims=True)", "return e / np.sum(e, axis=0, keepdims=True)"),
        ),
        "列方向 (axis=0) に正規化するソフトマックス",
        "softmax normalised over the wrong axis (columns)",
        breaks=("test_softmax",),
        hint="axis",
    ),
    Variant(
        "softmax_whole_array",
        "softmax",
        (
            ("shifted = x - np.max(x, axis=-1, keepdims=True)", "shifted = x - np.max(x)"),
            ("return e / np.sum(e, axis=-1, keepdims=True)", "return e / np.sum(e)"),
        ),
        "配列全体の合計で割るソフトマックス (バッチで行ごとにならない)",
        "softmax divided by the sum of the whole batch",
        breaks=("test_softmax",),
        hint="keepdims",
    ),
    Variant(
        "forward_relu_hidden",
        "three_layer_forward",
        (
            ("    z1 = sigmoid(a1)\n", "    z1 = np.maximum(0, a1)\n"),
            ("    z2 = sigmoid(a2)\n", "    z2 = np.maximum(0, a2)\n"),
        ),
        "隠れ層にシグモイドではなく ReLU を使う順伝播",
        "forward pass with ReLU instead of sigmoid in the hidden layers",
        breaks=("test_three_layer_forward",),
        hint="シグモイド",
    ),
    Variant(
        "forward_sigmoid_output",
        "three_layer_forward",
        (('return z2 @ params["W3"] + params["b3"]', 'return sigmoid(z2 @ params["W3"] + params["b3"])'),),
        "出力層にもシグモイドを掛ける順伝播",
        "forward pass that applies a sigmoid to the output layer too",
        breaks=("test_three_layer_forward",),
        hint="恒等関数",
    ),
    Variant(
        "compose_order_swapped",
        "compose_affine",
        (("W = W1 @ W2", "W = W2 @ W1"),),
        "重みを W2 @ W1 の順に掛けて 1 つの層にまとめる",
        "composed weight computed as W2 @ W1 instead of W1 @ W2",
        breaks=("test_compose_affine",),
        hint="W2 @ W1",
    ),
    Variant(
        "compose_forget_b1",
        "compose_affine",
        (("b = b1 @ W2 + b2", "b = b2"),),
        "まとめた層のバイアスを b2 だけにする (b1 @ W2 を忘れる)",
        "composed bias b2 alone, forgetting b1 @ W2",
        breaks=("test_compose_affine",),
        hint="b1 @ W2 を足し忘れ",
    ),
    Variant(
        "compose_add_biases",
        "compose_affine",
        (("b = b1 @ W2 + b2", "b = b1 + b2"),),
        "まとめた層のバイアスを b1 + b2 にする (b1 に W2 を掛けない)",
        "composed bias b1 + b2, without passing b1 through W2",
        breaks=("test_compose_affine",),
        hint="b1 + b2",
    ),
    Variant(
        "compose_bias_from_left",
        "compose_affine",
        (("b = b1 @ W2 + b2", "b = W2 @ b1 + b2"),),
        "b1 に W2 を左から掛ける (W2 @ b1、列ベクトルの書き方)",
        "composed bias W2 @ b1 + b2 (b1 multiplied as a column vector)",
        breaks=("test_compose_affine",),
        hint="W2 @ b1",
    ),
    Variant(
        "compose_bias_in_place",
        "compose_affine",
        (("b = b1 @ W2 + b2", "b2 += b1 @ W2\n    b = b2"),),
        "引数の b2 に b1 @ W2 をその場で足して返す (呼び出し側の b2 が変わる)",
        "composed bias accumulated into the caller's b2 in place",
        breaks=("test_compose_affine",),
        hint="書き換え",
    ),
    # ---------------------------------------------------------------- correct variants
    Variant(
        "compose_zero_through",
        "compose_affine",
        (("b = b1 @ W2 + b2", "b = (np.zeros(W1.shape[0]) @ W1 + b1) @ W2 + b2  # the image of x = 0"),),
        "b を、x = 0 を 2 つの層に通した出力として求める",
        "composed bias as the two layers' output for x = 0",
        correct=True,
    ),
    Variant(
        "compose_einsum",
        "compose_affine",
        (
            ("W = W1 @ W2", 'W = np.einsum("dh,hm->dm", W1, W2)'),
            ("b = b1 @ W2 + b2", 'b = np.einsum("h,hm->m", b1, W2) + b2'),
        ),
        "np.einsum で書いた層のまとめ方",
        "composition written with np.einsum",
        correct=True,
    ),
    Variant(
        "compose_identity_batch",
        "compose_affine",
        (
            (
                "W = W1 @ W2  # (D, H) @ (H, M) -> (D, M)\n    b = b1 @ W2 + b2  # (H,) @ (H, M) + (M,) -> (M,)",
                "eye = np.eye(W1.shape[0])\n    b = (np.zeros(W1.shape[0]) @ W1 + b1) @ W2 + b2\n"
                "    W = (eye @ W1 + b1) @ W2 + b2 - b  # row i: the image of the unit vector e_i, minus b",
            ),
        ),
        "単位行列の各行 (単位ベクトル) と 0 を 2 つの層に通して W と b を読み取る",
        "W and b read off by passing the unit vectors and 0 through the two layers",
        correct=True,
    ),  # fmt: skip
    Variant(
        "compose_dot",
        "compose_affine",
        (("W = W1 @ W2", "W = np.dot(W1, W2)"), ("b = b1 @ W2 + b2", "b = np.dot(b1, W2) + b2")),
        "行列の積を np.dot で書いた層のまとめ方",
        "composition with np.dot instead of @",
        correct=True,
    ),
    Variant(
        "sigmoid_two_branches",
        "sigmoid",
        (
            (
                "z = np.exp(-np.abs(x))  # 値は (0, 1] なのでオーバーフローしない",
                "out = np.empty_like(x, dtype=np.float64)\n    pos = x >= 0\n"
                "    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))\n    e = np.exp(x[~pos])\n    out[~pos] = e / (1.0 + e)",
            ),
            ("return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z)).astype(x.dtype, copy=False)", "return out"),
        ),
        "正と負で別々に計算するシグモイド (マスクで代入)",
        "sigmoid computed separately on the positive and negative parts",
        correct=True,
    ),  # fmt: skip
    Variant(
        "relu_where",
        "relu",
        (("return np.maximum(0, x)", "return np.where(x > 0, x, 0.0)"),),
        "np.where で書いた ReLU",
        "ReLU written with np.where",
        correct=True,
    ),
    Variant(
        "softmax_loop",
        "softmax",
        (
            (
                "shifted = x - np.max(x, axis=-1, keepdims=True)\n    e = np.exp(shifted)\n"
                "    return e / np.sum(e, axis=-1, keepdims=True)",
                "rows = np.atleast_2d(x)\n    out = np.empty(rows.shape)\n    for i, row in enumerate(rows):\n"
                "        e = np.exp(row - row.max())\n        out[i] = e / e.sum()\n    return out.reshape(x.shape)",
            ),
        ),
        "行ごとのループで書いたソフトマックス",
        "softmax computed row by row in a loop",
        correct=True,
    ),  # fmt: skip
    Variant(
        "forward_dot",
        "three_layer_forward",
        (('a1 = x @ params["W1"] + params["b1"]', 'a1 = np.dot(x, params["W1"]) + params["b1"]'),),
        "行列の積を np.dot で書いた順伝播",
        "forward pass with np.dot instead of @",
        correct=True,
    ),
    Variant(
        "softmax_refuses_more_axes",
        "softmax",
        (
            (
                "x = np.asarray(x)\n",
                "x = np.asarray(x)\n    if x.ndim > 2:\n        raise ValueError(f'1-D or 2-D input, got {x.shape}')\n",
            ),
        ),
        "3 次元以上の入力に ValueError を出すソフトマックス (問題文は 1 次元と 2 次元だけを決めている)",
        "softmax that refuses inputs of more than two axes (the exercise states only 1-D and 2-D)",
        correct=True,
    ),
]

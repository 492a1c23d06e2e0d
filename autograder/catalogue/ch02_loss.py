"""Catalogue entries of ch02_loss (see autograder.catalogue)."""

from . import Variant

_CE_RETURN = "return float(-np.sum(np.log(y[np.arange(batch_size), t.astype(np.int64)] + eps)) / batch_size)"
_BCE_RETURN = "return float(-np.mean(t * np.log(y + eps) + (1.0 - t) * np.log(1.0 - y + eps)))"

VARIANTS = [
    # ---------------------------------------------------------------- mistakes
    Variant(
        "sse_no_half",
        "sum_squared_error",
        (("return float(0.5 * np.sum(", "return float(np.sum("),),
        "½ を掛け忘れた二乗和誤差",
        "sum of squared errors without the factor ½",
        breaks=("test_sum_squared_error",),
        hint="½ を掛け忘れ",
    ),
    Variant(
        "sse_no_batch_mean",
        "sum_squared_error",
        (("** 2) / batch_size)", "** 2))"),),
        "バッチサイズで割らない二乗和誤差 (バッチ全体の和)",
        "sum of squared errors summed over the batch instead of averaged",
        breaks=("test_sum_squared_error",),
        hint="バッチサイズ N",
    ),
    Variant(
        "sse_no_shape_check",
        "sum_squared_error",
        (
            (
                "    if y.shape != t.shape:\n"
                '        raise ValueError(f"y と t の形状が違います ({y.shape} と {t.shape})")\n',
                "",
            ),
        ),
        "形状を確かめない二乗和誤差 ((N, 1) と (N,) がブロードキャストされ、エラーも出ずに (N, N) になる)",
        "sum of squared errors without the shape check (silent broadcasting of (N, 1) against (N,))",
        breaks=("test_sum_squared_error",),
        hint="ValueError",
    ),
    Variant(
        "mse_with_half",
        "mean_squared_error",
        (("return float(np.mean((y - t) ** 2))", "return float(0.5 * np.mean((y - t) ** 2))"),),
        "½ を付けた平均二乗誤差",
        "mean squared error with a factor ½",
        breaks=("test_mean_squared_error",),
        hint="½ を掛けています",
    ),
    Variant(
        "ce_no_batch_mean",
        "cross_entropy_error",
        ((" + eps)) / batch_size)", " + eps)))"),),
        "バッチサイズ N で割らない交差エントロピー誤差 (バッチの和)",
        "cross-entropy summed over the batch, not divided by the batch size",
        breaks=("test_cross_entropy_error", "test_cross_entropy_error_rules"),
        hint="バッチサイズ N で割っていません",
    ),
    Variant(
        "ce_divide_by_classes",
        "cross_entropy_error",
        ((" + eps)) / batch_size)", " + eps)) / y.shape[1])"),),
        "バッチサイズ N ではなくクラス数 C で割る交差エントロピー誤差",
        "cross-entropy divided by the number of classes instead of the batch size",
        breaks=("test_cross_entropy_error", "test_cross_entropy_error_rules"),
        hint="クラス数 C",
    ),
    Variant(
        "ce_np_mean_one_hot",
        "cross_entropy_error",
        (
            (
                _CE_RETURN,
                "one_hot = np.eye(y.shape[1])[t.astype(np.int64)]\n"
                "    return float(-np.mean(one_hot * np.log(y + eps)))",
            ),
        ),
        "one-hot の式 −t log(y + eps) を np.mean で全要素 (N×C 個) について平均する交差エントロピー誤差",
        "cross-entropy as np.mean of −t log(y + eps) over all N×C elements",
        breaks=("test_cross_entropy_error", "test_cross_entropy_error_rules"),
        hint="np.mean",
    ),
    Variant(
        "ce_eps_outside_log",
        "cross_entropy_error",
        (("t.astype(np.int64)] + eps)) / batch_size)", "t.astype(np.int64)]) + eps) / batch_size)"),),
        "eps を log の外で足す交差エントロピー誤差 (log(y) + eps)",
        "cross-entropy with eps added outside the log",
        breaks=("test_cross_entropy_error", "test_cross_entropy_error_rules"),
        hint="eps を log の中で",
    ),
    Variant(
        "ce_no_eps",
        "cross_entropy_error",
        (("t.astype(np.int64)] + eps))", "t.astype(np.int64)]))"),),
        "eps を足さない交差エントロピー誤差 (確率 0 で log(0) = −inf)",
        "cross-entropy without eps (log(0) for a zero probability)",
        breaks=("test_cross_entropy_error", "test_cross_entropy_error_rules"),
        hint="eps を log の中で",
    ),
    Variant(
        "ce_pick_column",
        "cross_entropy_error",
        (("y[np.arange(batch_size), t.astype(np.int64)]", "y[:, t.astype(np.int64)]"),),
        "正解の確率を y[:, t] で取り出す交差エントロピー誤差 (形状 (N, N) になる)",
        "label-target cross-entropy that picks y[:, t] (an (N, N) array)",
        breaks=("test_cross_entropy_error", "test_cross_entropy_error_rules"),
        hint="y[:, t]",
    ),
    Variant(
        "ce_eps_hardcoded",
        "cross_entropy_error",
        (("t.astype(np.int64)] + eps))", "t.astype(np.int64)] + 1e-7))"),),
        "引数 eps を使わず 1e-7 を直接書いた交差エントロピー誤差",
        "cross-entropy that ignores its eps argument and hard-codes 1e-7",
        breaks=("test_cross_entropy_error", "test_cross_entropy_error_rules"),
        hint="引数 eps",
    ),
    Variant(
        "bce_eps_hardcoded",
        "binary_cross_entropy",
        (
            (
                _BCE_RETURN,
                "return float(-np.mean(t * np.log(y + 1e-8) + (1.0 - t) * np.log(1.0 - y + 1e-8)))",
            ),
        ),
        "引数 eps を使わず 1e-8 を直接書いた二値交差エントロピー",
        "binary cross-entropy that ignores its eps argument and hard-codes 1e-8",
        breaks=("test_binary_cross_entropy",),
        hint="引数 eps",
    ),
    Variant(
        "bce_missing_negative_term",
        "binary_cross_entropy",
        ((_BCE_RETURN, "return float(-np.mean(t * np.log(y + eps)))"),),
        "(1 − t) log(1 − y) の項がない二値交差エントロピー",
        "binary cross-entropy without the (1 − t) log(1 − y) term",
        breaks=("test_binary_cross_entropy",),
        hint="(1 − t) log(1 − y) の項",
    ),
    Variant(
        "bce_sign",
        "binary_cross_entropy",
        (("return float(-np.mean(", "return float(np.mean("),),
        "符号を反転し忘れた二値交差エントロピー",
        "binary cross-entropy with the wrong sign",
        breaks=("test_binary_cross_entropy",),
        hint="符号が逆",
    ),
    Variant(
        "bce_sum",
        "binary_cross_entropy",
        (("return float(-np.mean(", "return float(-np.sum("),),
        "平均ではなく和を返す二値交差エントロピー",
        "binary cross-entropy summed instead of averaged",
        breaks=("test_binary_cross_entropy",),
        hint="和になっています",
    ),
    Variant(
        "bce_no_eps",
        "binary_cross_entropy",
        (
            (
                _BCE_RETURN,
                "return float(-np.mean(t * np.log(y) + (1.0 - t) * np.log(1.0 - y)))",
            ),
        ),
        "eps を足さない二値交差エントロピー (確率 0 や 1 で log(0))",
        "binary cross-entropy without eps (log(0) at probabilities 0 and 1)",
        breaks=("test_binary_cross_entropy",),
        hint="eps を log の中で",
    ),
    Variant(
        "ce_scalar_label_unsupported",
        "cross_entropy_error",
        (("    t = np.asarray(t)\n    if y.ndim == 1:", "    if y.ndim == 1:"),),
        "t を配列に直さず、1 サンプルのスカラーのラベルで AttributeError になる交差エントロピー誤差 (教科書の形)",
        "cross-entropy that fails on a scalar label for one sample (AttributeError, as in the textbook)",
        breaks=("test_cross_entropy_error_rules",),
        hint="スカラーのラベル",
    ),
    # ---------------------------------------------------------------- correct variants
    Variant(
        "ce_textbook_argmax",
        "cross_entropy_error",
        (
            (
                "    if y.ndim == 1:\n"
                "        y = y.reshape(1, -1)\n"
                "        t = t.reshape(1, -1) if t.ndim == 1 and t.size == y.size else t.reshape(1)\n"
                "    if t.shape == y.shape:  # one-hot 表現 → ラベル\n"
                "        t = t.argmax(axis=1)\n",
                "    if y.ndim == 1:\n"
                "        t = t.reshape(1, t.size)\n"
                "        y = y.reshape(1, y.size)\n"
                "    if t.size == y.size:  # one-hot 表現 → ラベル\n"
                "        t = t.argmax(axis=1)\n"
                "    t = t.reshape(-1)\n",
            ),
        ),
        "教科書どおりに t.size == y.size で one-hot を見分けて argmax でラベルに直す交差エントロピー誤差",
        "textbook cross-entropy: one-hot targets recognised by size and turned into labels with argmax",
        correct=True,
    ),
    Variant(
        "ce_one_hot_product",
        "cross_entropy_error",
        (
            (
                "    if t.shape == y.shape:  # one-hot 表現 → ラベル\n        t = t.argmax(axis=1)\n",
                "    if t.shape == (y.shape[0],):  # labels → one-hot\n"
                "        t = np.eye(y.shape[1])[t.astype(np.int64)]\n",
            ),
            ("    if t.shape != (y.shape[0],):\n", "    if t.shape != y.shape:\n"),
            (_CE_RETURN, "return float(-np.sum(t * np.log(y + eps)) / batch_size)"),
        ),
        "ラベルを one-hot に直して −Σ t log(y + eps) / N を計算する交差エントロピー誤差",
        "cross-entropy computed as −Σ t log(y + eps) / N after turning labels into one-hot vectors",
        correct=True,
    ),  # fmt: skip
    Variant(
        "ce_eps_1e8",
        "cross_entropy_error",
        (("def cross_entropy_error(y, t, eps=1e-7):", "def cross_entropy_error(y, t, eps=1e-8):"),),
        "eps の既定値を 1e-8 にした交差エントロピー誤差 (同じ程度の小さな数)",
        "cross-entropy whose default eps is 1e-8 (same order as the stated 1e-7)",
        correct=True,
    ),
    Variant(
        "ce_loop",
        "cross_entropy_error",
        (
            (
                _CE_RETURN,
                "total = 0.0\n    for n in range(batch_size):\n"
                "        total -= np.log(y[n, int(t[n])] + eps)\n    return float(total / batch_size)",
            ),
        ),
        "サンプルごとのループで書いた交差エントロピー誤差",
        "cross-entropy computed sample by sample in a loop",
        correct=True,
    ),  # fmt: skip
    Variant(
        "sse_loop",
        "sum_squared_error",
        (
            (
                "return float(0.5 * np.sum((y - t) ** 2) / batch_size)",
                "total = 0.0\n    for d in (y - t).reshape(-1):\n        total += 0.5 * d * d\n"
                "    return float(total / batch_size)",
            ),
        ),
        "要素ごとのループで書いた二乗和誤差",
        "sum of squared errors computed element by element in a loop",
        correct=True,
    ),  # fmt: skip
    Variant(
        "bce_eps_1e8",
        "binary_cross_entropy",
        (("def binary_cross_entropy(y, t, eps=1e-7):", "def binary_cross_entropy(y, t, eps=1e-8):"),),
        "eps の既定値を 1e-8 にした二値交差エントロピー",
        "binary cross-entropy whose default eps is 1e-8",
        correct=True,
    ),
    Variant(
        "bce_where",
        "binary_cross_entropy",
        ((_BCE_RETURN, "return float(-np.mean(np.where(t == 1, np.log(y + eps), np.log(1.0 - y + eps))))"),),
        "t が 0 か 1 かで np.where で項を選ぶ二値交差エントロピー",
        "binary cross-entropy that picks the log term with np.where on t",
        correct=True,
    ),
    Variant(
        "mse_textbook_half_sum",
        "mean_squared_error",
        (("return float(np.mean((y - t) ** 2))", "return float(0.5 * np.sum((y - t) ** 2))"),),
        "『ゼロから作るDeep Learning』の mean_squared_error (½ × 二乗和) をそのまま書いた平均二乗誤差",
        "mean squared error written as the textbook's function of that name (half the sum of squares)",
        breaks=("test_mean_squared_error",),
        hint="4.2.1 節",
    ),
]

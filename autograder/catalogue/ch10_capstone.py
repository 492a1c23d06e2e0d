"""Catalogue entries of ch10_capstone (see autograder.catalogue).

Every entry is graded by running the whole notebook, the training of the final model included
(about 10 s with the reference code); the mistakes in MultiLayerNetExtend and Trainer below leave
the final model above the graded accuracy (checked: they change the training only slightly).
"""

from . import Variant

_W_GRAD = 'grads[f"W{i}"] = affine.dW + decay[f"W{i}"]'
_LOSS = "return self.last_layer.forward(scores, t) + l2_penalty(self.params, self.weight_decay_lambda)"
_ORDER = "order = np.random.default_rng(seed).permutation(n)  # one permutation for x AND t"
_SPLIT = "val, train = order[:n_val], order[n_val:]"
_AVERAGE = "return np.mean([softmax(scores) for scores in scores_list], axis=0)  # softmax first, then the mean over k"
_EPOCHS = "        for _ in bar:\n            order = self.rng.permutation(n)\n"
_LR = "lr = float(10 ** rng.uniform(-3.5, -2.5))  # the exponent is uniform: log scale"
_LAMBDA = "weight_decay_lambda = float(10 ** rng.uniform(-6, -3))"
_SEARCH_RNG = "    search_rng = np.random.default_rng(seed)\n"
_TRIALS = "for trial in range(1, n_trials + 1):"
_RECORD = 'results.append({"trial": trial, "config": config, **evaluate(config)})'
_SORT = 'results.sort(key=lambda result: (-result["val_acc"], result["trial"]))  # best first; ties: the earlier trial'

VARIANTS = [
    # ---------------------------------------------------------------- mistakes
    Variant(
        "net_gradient_decay_on_every_param",
        "multilayer_net_extend",
        (
            (_W_GRAD, 'grads[f"W{i}"] = affine.dW'),
            (
                "        return grads",
                "        for key in grads:\n"
                "            grads[key] = grads[key] + self.weight_decay_lambda * self.params[key]\n"
                "        return grads",
            ),
        ),
        "勾配の荷重減衰 λp を重みだけでなく b、gamma、beta にも足す",
        "gradient that adds the weight decay lambda * p to the biases, gamma and beta too",
        breaks=("test_multilayer_net_gradient",),
        hint="荷重減衰は重みだけ",
    ),
    Variant(
        "net_init_transposed_draw",
        "multilayer_net_extend",
        (
            (
                'self.params[f"W{i}"] = std * rng.standard_normal((sizes[i - 1], sizes[i]))',
                'self.params[f"W{i}"] = std * rng.standard_normal((sizes[i], sizes[i - 1])).T',
            ),
        ),
        "重みを (n_out, n_in) の形で引いて転置する (説明文の例とは値が違うが、同じ分布から rng で引いている)",
        "weights drawn with shape (n_out, n_in) and transposed (other values than the docstring's example, same law)",
        correct=True,
    ),
    Variant(
        "net_gradient_no_decay",
        "multilayer_net_extend",
        ((_W_GRAD, 'grads[f"W{i}"] = affine.dW'),),
        "重みの勾配に荷重減衰の勾配 λW を足さない (損失には足している)",
        "gradient without the weight-decay term lambda * W (the loss has it)",
        breaks=("test_multilayer_net_gradient",),
        hint="荷重減衰の勾配",
    ),
    Variant(
        "net_loss_decay_on_every_param",
        "multilayer_net_extend",
        (
            (
                _LOSS,
                "penalty = 0.5 * self.weight_decay_lambda * sum(np.sum(p**2) for p in self.params.values())\n"
                "        return self.last_layer.forward(scores, t) + penalty",
            ),
        ),
        "損失の荷重減衰の項を、重みだけでなく params のすべて (b、gamma、beta も) から計算する",
        "loss whose weight-decay term sums over every parameter (biases, gamma, beta too)",
        breaks=("test_multilayer_net_forward", "test_multilayer_net_gradient"),
        hint="重み W にだけ",
    ),
    Variant(
        "trainer_shuffle_once",
        "trainer",
        ((_EPOCHS, "        order = self.rng.permutation(n)\n        for _ in bar:\n"),),
        "並べ替えを学習の最初に 1 回だけして、毎エポック同じ順番でミニバッチを作る Trainer",
        "Trainer that shuffles once before the first epoch instead of every epoch",
        breaks=("test_trainer",),
        hint="毎エポック並べ替え直していません",
    ),
    Variant(
        "trainer_ignores_evaluate_sample_num",
        "trainer",
        (
            (
                "x_tr, t_tr = (self.x_train, self.t_train) if n is None else (self.x_train[:n], self.t_train[:n])",
                "x_tr, t_tr = self.x_train, self.t_train",
            ),
            (
                "x_te, t_te = (self.x_test, self.t_test) if n is None else (self.x_test[:n], self.t_test[:n])",
                "x_te, t_te = self.x_test, self.t_test",
            ),
        ),
        "evaluate_sample_num_per_epoch を無視して、毎回全データで正解率を測る Trainer",
        "Trainer that ignores evaluate_sample_num_per_epoch and always evaluates on all samples",
        breaks=("test_trainer",),
        hint="evaluate_sample_num_per_epoch",
    ),
    Variant(
        "split_not_shuffled",
        "train_validation_split",
        ((_ORDER, "order = np.arange(n)"),),
        "並べ替えずに先頭の n_val 個を検証データにする",
        "validation split that takes the first n_val samples without shuffling",
        breaks=("test_train_validation_split",),
        hint="並べ替えずに",
    ),
    Variant(
        "split_two_permutations",
        "train_validation_split",
        (
            (_ORDER, "rng = np.random.default_rng(seed)"),
            (_SPLIT, "val, train = rng.permutation(n)[:n_val], rng.permutation(n)[n_val:]"),
        ),
        "検証データと訓練データを別々の permutation から取る (重なりと漏れが出る)",
        "validation and training parts taken from two different permutations (they overlap)",
        breaks=("test_train_validation_split",),
        hint="同じサンプル",
    ),
    Variant(
        "split_unseeded",
        "train_validation_split",
        ((_ORDER, "order = np.random.default_rng().permutation(n)"),),
        "seed を使わずに np.random.default_rng() で並べ替える (呼ぶたびに分け方が変わる)",
        "validation split that ignores the seed (default_rng() without it)",
        breaks=("test_train_validation_split",),
        hint="同じ seed で 2 回呼ぶと",
    ),
    Variant(
        "average_logits",
        "average_probabilities",
        ((_AVERAGE, "return softmax(np.mean(scores_list, axis=0))"),),
        "スコア (ロジット) を平均してからソフトマックスをかける",
        "model averaging that averages the scores (logits) and then applies the softmax",
        breaks=("test_average_probabilities",),
        hint="スコアを平均してから",
    ),
    Variant(
        "average_votes",
        "average_probabilities",
        (
            (
                _AVERAGE,
                "labels = [np.argmax(scores, axis=1) for scores in scores_list]\n"
                "    c = np.shape(scores_list[0])[1]\n"
                "    return np.mean([np.eye(c)[label] for label in labels], axis=0)",
            ),
        ),
        "各モデルの予測ラベル (argmax) の多数決 (one-hot の平均) を返す",
        "model averaging of the argmax labels (a vote) instead of the probabilities",
        breaks=("test_average_probabilities",),
        hint="多数決",
    ),
    # ---------------------------------------------------------------- correct variants
    Variant(
        "net_gradient_decay_inline",
        "multilayer_net_extend",
        ((_W_GRAD, 'grads[f"W{i}"] = affine.dW + self.weight_decay_lambda * self.params[f"W{i}"]'),),
        "重みの勾配に λW を l2_penalty_grad を使わずに直接足す",
        "gradient that adds lambda * W directly instead of through l2_penalty_grad",
        correct=True,
    ),
    Variant(
        "average_einsum",
        "average_probabilities",
        (
            (
                _AVERAGE,
                "probabilities = np.stack([softmax(np.asarray(scores)) for scores in scores_list])  # (K, N, C)\n"
                '    return np.einsum("knc->nc", probabilities) / len(probabilities)',
            ),
        ),
        "確率を (K, N, C) に重ね、np.einsum でモデルについて和を取って K で割る",
        "model averaging with np.einsum over the stacked probabilities",
        correct=True,
    ),
    Variant(
        "average_weights_matmul",
        "average_probabilities",
        (
            (
                _AVERAGE,
                "probabilities = np.stack([softmax(np.asarray(scores)) for scores in scores_list])  # (K, N, C)\n"
                "    k, n, c = probabilities.shape\n"
                "    return (np.full(k, 1.0 / k) @ probabilities.reshape(k, n * c)).reshape(n, c)",
            ),
        ),
        "重み 1/K のベクトルと @ (行列の積) で確率を平均する",
        "model averaging as a product (@) of the weights 1/K with the stacked probabilities",
        correct=True,
    ),
    Variant(
        "trainer_slice_with_none",
        "trainer",
        (
            (
                "x_tr, t_tr = (self.x_train, self.t_train) if n is None else (self.x_train[:n], self.t_train[:n])",
                "x_tr, t_tr = self.x_train[:n], self.t_train[:n]  # [:None] is everything",
            ),
            (
                "x_te, t_te = (self.x_test, self.t_test) if n is None else (self.x_test[:n], self.t_test[:n])",
                "x_te, t_te = self.x_test[:n], self.t_test[:n]",
            ),
        ),
        "evaluate_sample_num が None でも [:n] で切る (x[:None] は全体) Trainer",
        "Trainer that always slices [:n] (x[:None] is the whole array)",
        correct=True,
    ),
    Variant(
        "split_take",
        "train_validation_split",
        (
            (
                "return (x[train], t[train]), (x[val], t[val])",
                "parts = [(np.take(x, i, axis=0), np.take(t, i, axis=0)) for i in (train, val)]\n"
                "    return parts[0], parts[1]",
            ),
        ),
        "np.take(..., axis=0) で取り出す訓練・検証データの分割",
        "validation split that gathers the rows with np.take(..., axis=0)",
        correct=True,
    ),
    Variant(
        "split_validation_at_end",
        "train_validation_split",
        (("val, train = order[:n_val], order[n_val:]", "train, val = order[: n - n_val], order[n - n_val :]"),),
        "並べ替えた順の末尾 n_val 個を検証データにする分割",
        "validation split that takes the last n_val indices of the permutation",
        correct=True,
    ),
    Variant(
        "split_sorted_parts",
        "train_validation_split",
        (("val, train = order[:n_val], order[n_val:]", "val, train = np.sort(order[:n_val]), np.sort(order[n_val:])"),),
        "ランダムに選んだ添字を、訓練・検証それぞれの中で元の順に並べ直す分割",
        "validation split whose random parts keep the original order within each part",
        correct=True,
    ),
    # ------------------------------------------------- input rules (their own cells, a small share)
    Variant(
        "net_activation_unchecked",
        "multilayer_net_extend",
        (('        if activation not in ("relu", "sigmoid"):\n', "        if False:\n"),),
        "知らない activation をエラーにせずシグモイドにする MultiLayerNetExtend",
        "MultiLayerNetExtend that silently uses the sigmoid for an unknown activation",
        breaks=("test_multilayer_net_rules",),
        hint="ValueError",
    ),
    Variant(
        "trainer_key_error",
        "trainer",
        (("        if name not in OPTIMIZERS:\n", "        if False:\n"),),
        "知らない optimizer の名前で KeyError になる Trainer (ValueError ではない)",
        "Trainer that fails with a KeyError for an unknown optimizer name (not ValueError)",
        breaks=("test_trainer_rules",),
        hint="ValueError",
    ),
    Variant(
        "init_positive_weights",
        "multilayer_net_extend",
        (
            (
                "std * rng.standard_normal((sizes[i - 1], sizes[i]))",
                "std * np.abs(rng.standard_normal((sizes[i - 1], sizes[i])))",
            ),
        ),
        "重みを正にしようと np.abs を付けた MultiLayerNetExtend (重みの平均が 0 でない)",
        "MultiLayerNetExtend that makes every weight positive with np.abs (the mean is not 0)",
        breaks=("test_multilayer_net_init",),
        hint="平均",
    ),
    Variant(
        "net_init_single_precision_draw",
        "multilayer_net_extend",
        (
            (
                "std * rng.standard_normal((sizes[i - 1], sizes[i]))",
                "std * rng.standard_normal((sizes[i - 1], sizes[i]), dtype=np.float32).astype(np.float64)",
            ),
        ),
        "重みを単精度 (float32) の正規乱数で引いて float64 に直す (乱数を引く回数が違うので、rng のその後の状態も違う)",
        "weights drawn as float32 normals and converted (another number of draws, so the rng's later state differs)",
        correct=True,
    ),
    Variant(
        "net_dropout_own_generator",
        "multilayer_net_extend",
        (
            (
                'self.layers[f"Dropout{i}"] = Dropout(dropout_ratio, rng=rng)',
                'self.layers[f"Dropout{i}"] = Dropout(dropout_ratio)',
            ),
        ),
        "Dropout に rng を渡さない (マスクがシードで決まらない)",
        "Dropout built without the network's rng (its masks do not follow the seed)",
        breaks=("test_multilayer_net_forward",),
        hint="rng",
    ),
    # ---------------------------------------------------------------- random search (exercises 4 and 5)
    Variant(
        "sample_linear_scale",
        "sample_config",
        (
            (_LR, "lr = float(rng.uniform(10**-3.5, 10**-2.5))"),
            (_LAMBDA, "weight_decay_lambda = float(rng.uniform(1e-6, 1e-3))"),
        ),
        "学習率と λ を、指数ではなく値そのものから一様に引く (線形スケール。対数スケールを忘れる)",
        "learning rate and lambda drawn uniformly on a linear scale (the log scale forgotten)",
        breaks=("test_sample_config",),
        hint="線形スケール",
    ),
    Variant(
        "sample_global_random",
        "sample_config",
        (
            (_LR, "lr = float(10 ** np.random.uniform(-3.5, -2.5))"),
            (_LAMBDA, "weight_decay_lambda = float(10 ** np.random.uniform(-6, -3))"),
        ),
        "引数の rng を使わず np.random.uniform で引く (同じ状態の rng でも設定が変わる)",
        "configs drawn with np.random.uniform instead of the rng passed in",
        breaks=("test_sample_config",),
        hint="rng からだけ引いて",
    ),
    Variant(
        "search_ascending",
        "random_search",
        ((_SORT, 'results.sort(key=lambda result: (result["val_acc"], result["trial"]))'),),
        "結果を val_acc の低い順に並べる (最終モデルも、いちばん悪い設定で学習することになる)",
        "results sorted by val_acc ascending (so the final model is trained with the worst config)",
        breaks=("test_random_search", "test_final_model"),
        hint="低い順",
    ),
    Variant(
        "search_trials_from_zero",
        "random_search",
        ((_TRIALS, "for trial in range(n_trials):"),),
        "試行番号を 0 から数える",
        "trial numbers counted from 0",
        breaks=("test_random_search",),
        hint="1 から数えます",
    ),
    Variant(
        "search_rng_per_trial",
        "random_search",
        (
            (_SEARCH_RNG, ""),
            ("config = sample_config(search_rng)", "config = sample_config(np.random.default_rng(seed))"),
        ),
        "試行ごとに np.random.default_rng(seed) を作り直す (どの試行も同じ設定になる)",
        "a new np.random.default_rng(seed) for every trial (every trial gets the same config)",
        breaks=("test_random_search",),
        hint="作り直さず",
    ),
    Variant(
        "search_sorted_by_fit_acc",
        "random_search",
        ((_SORT, 'results.sort(key=lambda result: (-result["fit_acc"], result["trial"]))'),),
        "学習用の正解率 fit_acc の高い順に並べる (検証正解率で選ばない)",
        "results sorted by the accuracy on the fitted data instead of the validation accuracy",
        breaks=("test_random_search",),
        hint="fit_acc で並べています",
    ),
    Variant(
        "search_ties_reversed",
        "random_search",
        ((_SORT, 'results.sort(key=lambda result: (result["val_acc"], result["trial"]), reverse=True)'),),
        "(val_acc, trial) の組で大きい順に並べる (同点の試行が、試行番号の大きい順になる)",
        "results sorted by (val_acc, trial) descending, so that ties come last trial first",
        breaks=("test_random_search",),
        hint="同点",
    ),
    Variant(
        "search_evaluates_twice",
        "random_search",
        ((_RECORD, "print(f\"試行 {trial}: 検証正解率 {evaluate(config)['val_acc']:.3f}\")\n        " + _RECORD),),
        "途中経過を表示するために、同じ設定で evaluate をもう一度呼ぶ (評価が 2 回になる)",
        "evaluate called a second time on the same config to print the progress",
        breaks=("test_random_search",),
        hint="1 つの設定につき",
    ),
    Variant(
        "sample_lambda_first",
        "sample_config",
        ((_LR + "\n    " + _LAMBDA, _LAMBDA + "\n    " + _LR),),
        "λ の指数を先に、学習率の指数を後に引く (乱数の引き方が違うので、表の値は模範解答と変わる)",
        "lambda drawn before the learning rate (other draws, so another table than the model answer's)",
        correct=True,
    ),
    Variant(
        "sample_exponents_at_once",
        "sample_config",
        (
            (
                _LR + "\n    " + _LAMBDA,
                "u, v = rng.uniform([-3.5, -6.0], [-2.5, -3.0])  # both exponents in one call\n"
                "    lr, weight_decay_lambda = float(10.0**u), float(10.0**v)",
            ),
        ),
        "2 つの指数を rng.uniform の 1 回の呼び出しで引く",
        "both exponents drawn in one call of rng.uniform with arrays of bounds",
        correct=True,
    ),
    Variant(
        "sample_scaled_random",
        "sample_config",
        (
            (_LR, "lr = float(np.power(10.0, -3.5 + rng.random()))"),
            (_LAMBDA, "weight_decay_lambda = float(np.power(10.0, -6.0 + 3.0 * rng.random()))"),
        ),
        "rng.random() を範囲の幅に伸ばして指数にし、np.power で累乗する",
        "exponents from rng.random() scaled to the range, powers with np.power",
        correct=True,
    ),
    Variant(
        "search_sorted_reverse_stable",
        "random_search",
        ((_SORT, 'results = sorted(results, key=lambda result: result["val_acc"], reverse=True)  # stable'),),
        "sorted(..., key=val_acc, reverse=True) で並べる (安定な並べ替えなので、同点は試行の順に残る)",
        "sorted(..., key=val_acc, reverse=True): a stable sort keeps ties in trial order",
        correct=True,
    ),
    Variant(
        "search_draws_first",
        "random_search",
        (
            (
                _TRIALS + "\n        config = sample_config(search_rng)\n",
                "configs = [sample_config(search_rng) for _ in range(n_trials)]  # every draw first\n"
                "    for trial, config in enumerate(configs, start=1):\n",
            ),
        ),
        "設定を先に全部引いてから、順に評価する",
        "every config drawn first, then evaluated in turn",
        correct=True,
    ),
    # ---------------------------------------------------------------- data augmentation (exercises 7 and 8)
    Variant(
        "augment_roll_wraps",
        "augment_digits",
        (
            (
                "        source = image[max(0, -dy) : 8 - max(0, dy), max(0, -dx) : 8 - max(0, dx)]"
                "  # the part that stays inside\n"
                "        out[max(0, dy) : max(0, dy) + source.shape[0], max(0, dx) : max(0, dx) + source.shape[1]]"
                " = source",
                "        out[...] = np.roll(image, (dy, dx), axis=(0, 1))",
            ),
        ),
        "np.roll で画像をずらす (はみ出した画素が反対側の端に回り込む)",
        "images shifted with np.roll (pixels pushed out come back on the opposite edge)",
        breaks=("test_augment_digits", "test_final_model"),
        hint="回り込ませ",
    ),
    Variant(
        "augment_one_shift_for_all",
        "augment_digits",
        (
            (
                "shifts = rng.integers(-max_shift, max_shift + 1, size=(len(images), 2))",
                "shifts = np.tile(rng.integers(-max_shift, max_shift + 1, size=(1, 2)), (len(images), 1))",
            ),
        ),
        "すべての画像を同じ (d_y, d_x) でずらす (画像ごとに選ばない)",
        "one shift (d_y, d_x) drawn for the whole batch instead of one per image",
        breaks=("test_augment_digits", "test_final_model"),
        hint="画像ごと",
    ),
    Variant(
        "augment_upper_bound_excluded",
        "augment_digits",
        (("rng.integers(-max_shift, max_shift + 1,", "rng.integers(-max_shift, max_shift,"),),
        "rng.integers の上限に max_shift を渡す (上限は含まれないので +max_shift のずれが選ばれない)",
        "rng.integers(-max_shift, max_shift): the upper end is excluded, so +max_shift never occurs",
        breaks=("test_augment_digits", "test_final_model"),
        hint="max_shift も含め",
    ),
    Variant(
        "augment_noise_std_squared",
        "augment_digits",
        (("shifted += noise_std * rng.standard_normal", "shifted += noise_std**2 * rng.standard_normal"),),
        "ノイズに noise_std² を掛ける (標準偏差と分散の取り違え)",
        "noise scaled by noise_std squared (standard deviation and variance confused)",
        breaks=("test_augment_digits",),
        hint="標準偏差です",
    ),
    Variant(
        "augment_pad_then_crop",
        "augment_digits",
        (
            (
                "        source = image[max(0, -dy) : 8 - max(0, dy), max(0, -dx) : 8 - max(0, dx)]"
                "  # the part that stays inside\n"
                "        out[max(0, dy) : max(0, dy) + source.shape[0], max(0, dx) : max(0, dx) + source.shape[1]]"
                " = source",
                "        padded = np.pad(image, max_shift)  # a frame of zeros, max_shift wide\n"
                "        out[...] = padded[max_shift - dy : max_shift - dy + 8, max_shift - dx : max_shift - dx + 8]",
            ),
        ),
        "0 の枠を付けて (np.pad) から 8 × 8 を切り出す",
        "pad with zeros (np.pad), then crop the 8 x 8 window",
        correct=True,
    ),
    Variant(
        "augment_draw_per_image_and_normal",
        "augment_digits",
        (
            (
                "shifts = rng.integers(-max_shift, max_shift + 1, size=(len(images), 2))",
                "shifts = [rng.integers(-max_shift, max_shift + 1, size=2) for _ in range(len(images))]",
            ),
            (
                "shifted += noise_std * rng.standard_normal(shifted.shape)",
                "shifted = shifted + rng.normal(0.0, noise_std, size=shifted.shape)",
            ),
        ),
        "ずれを画像ごとに引き、ノイズを rng.normal(0, noise_std) で作る (乱数の引き方が違う)",
        "a shift drawn per image in the loop and noise from rng.normal(0, noise_std) (other draws)",
        correct=True,
    ),
    Variant(
        "final_model_without_augmentation",
        "train_final_model",
        (
            (
                "copies = [augment_digits(x_train, augment_rng, max_shift=1, noise_std=0.05) for _ in range(4)]",
                "copies = [x_train.copy() for _ in range(4)]",
            ),
        ),
        "データ拡張をせず、訓練データをそのまま繰り返して学習する",
        "the training data repeated as they are, without augmentation",
        breaks=("test_final_model",),
        hint="データ拡張",
    ),
]

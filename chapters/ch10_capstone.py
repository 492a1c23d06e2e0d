# Chapter 10 of the course. Built into source_notebooks/ by `python -m autograder build`.
# Names defined by the [given] cells (Affine, BatchNormalization, ...) and imports used only by the
# reference bodies that the build inlines (OrderedDict, progress) are invisible to ruff in this file:
# ruff: noqa: F401, F821

# %% [markdown]
# # 第 10 章 総合演習: 多層ネットワークの完成と、モデルの選び方
#
# これまでの章で、レイヤ (Affine、ReLU、Softmax-with-Loss)、重みの初期値、最適化手法 (optimizer)、
# バッチ正規化 (batch normalization)、ドロップアウト (dropout)、荷重減衰 (weight decay) を 1 つずつ作ってきました。
# 最後の章では、それらを 1 つのネットワークに組み上げ、手書き数字 (digits) のモデルを作ります。仕上げの目標は、テストデータで 97% 以上、
# しかも **少しずらしてノイズを加えたテスト画像 (どのモデルも学習に使っていない画像) で 90% 以上** の正解率です。
#
# 1. 多層ネットワーク `MultiLayerNetExtend`: 隠れ層の数と大きさ、活性化関数、初期値、荷重減衰、ドロップアウト、バッチ正規化を引数で選べる
# 2. 学習ループをまとめたクラス `Trainer`
# 3. 訓練データから検証データ (validation data) を分ける `train_validation_split`
# 4. ハイパーパラメータ (hyperparameter) のランダム探索: 候補を引く `sample_config` と、探索して良い順に並べる `random_search`、結果の表
# 5. 訓練データ全体で学習し直したモデルと、その書き出し
# 6. 同じコードで MNIST を学習する (MNIST のファイルが手元にある場合だけ)
# 7. モデル平均 (model averaging): 複数のネットワークの予測を平均する
# 8. データ拡張 (data augmentation) と、見たことのないずれでの評価 (採点対象: 最終モデル)
#
# **進め方**: `ここに実装してください (YOUR CODE HERE)` と書かれたセルを実装し、すぐ下のテストセルを実行してください。
# テストセルが何も例外を出さずに「公開テスト: OK」と表示すれば合格です。採点では、ここに見えているテスト (公開テスト) に加えて、
# 別の入力を使う隠しテストも実行されます。公開テストの値だけに合わせた実装では点になりません。
#
# **ヒント**: 行き詰まったら、実装するセルのコメントにある `hint("関数名")` を新しいセルで実行してください。ヒントは 2〜3 段階あり、
# `hint("関数名", 2)` のように番号を増やすと次の段階が表示されます (答えのコードそのものは出ません)。表示したヒントはノートブックの出力に残り、
# 講師のクラス報告で「どのヒントが必要とされたか」の集計に使われます (成績には影響しません)。

# %%
import math
import operator
import os
from collections import OrderedDict
from collections.abc import Callable  # 下に与えるコードの型ヒントで使う
from pathlib import Path
from typing import TypedDict

import matplotlib.pyplot as plt
import numpy as np

from course.checks import Properties, builds_on, check_array, check_between, check_raises, check_scalar, check_true
from course.data import load_digits, load_shifted_digits_test
from course.gradcheck import eval_numerical_gradient
from course.hints import hint
from course.mnist import load_mnist
from course.plotting import plot_learning_curves, use_japanese_font
from course.progress import progress

use_japanese_font()
np.set_printoptions(precision=4, suppress=True)

Params = dict[str, np.ndarray]  # {"W1": ..., "b1": ...} のようなパラメータや勾配の辞書


# テストと採点で使う補助関数。採点側は乱数生成器や文字列を渡せないので、整数のシードを渡し、
# 名前は NAMES の中の位置で渡す (例えば "sigmoid" なら 1)。
# 最後の 2 つはどの演習も知らない名前 (規則では ValueError)。
NAMES = ("relu", "sigmoid", "he", "xavier", "sgd", "momentum", "adam", "tanh", "lion")


def _name(value):
    """value が整数 (位置で渡した名前) なら NAMES[value]、そうでなければ value そのもの。"""
    return NAMES[value] if isinstance(value, int) and not isinstance(value, bool) else value


def make_network(seed, input_size, hidden_size_list, output_size, activation="relu", weight_init_std="relu", **options):
    """MultiLayerNetExtend(..., rng=np.random.default_rng(seed)) を作る (テストと採点で使う補助関数)。

    activation、weight_init_std は名前のほか、NAMES の中の位置 (整数) でもよい。
    作った後で rng の状態を np.random.default_rng([seed, 1]) と同じにするので、その後のドロップアウトの
    マスクは seed だけで決まり、重みを引くのに乱数を何個使ったかによりません。
    """
    rng = np.random.default_rng(seed)
    network = MultiLayerNetExtend(
        input_size, hidden_size_list, output_size, activation=_name(activation),
        weight_init_std=_name(weight_init_std), rng=rng, **options,
    )  # fmt: skip
    rng.bit_generator.state = np.random.default_rng([seed, 1]).bit_generator.state  # 同じ Generator オブジェクトのまま
    return network


def train_two_layer_net_with_trainer(
    network_seed, sizes, x_train, t_train, x_test, t_test, optimizer="sgd", **trainer_options
):
    """TwoLayerNet(*sizes, weight_init_std=0.1, rng=np.random.default_rng(network_seed)) を Trainer で学習する (採点用)。

    optimizer は名前のほか、NAMES の中の位置 (整数) でもよい。戻り値: (history, 学習後の params)。
    """
    network = TwoLayerNet(*sizes, weight_init_std=0.1, rng=np.random.default_rng(network_seed))
    trainer = Trainer(
        network, x_train, t_train, x_test, t_test, optimizer=_name(optimizer), show_progress=False, **trainer_options
    )
    return trainer.train(), network.params


def sample_configs_with_seed(seed, n):
    """np.random.default_rng(seed) で作った 1 つの乱数生成器を渡して sample_config (演習 4) を n 回呼び、
    n 個の設定のリストを返す (テストと採点で使う補助関数)。"""
    rng = np.random.default_rng(seed)
    return [sample_config(rng) for _ in range(n)]


def random_search_with_scores(accuracies, configs, seed):
    """random_search (演習 5) を、学習をしない代わりの evaluate と sample_config で呼ぶ (テストと採点で使う補助関数)。

    accuracies: 試行ごとの (学習用の正解率, 検証正解率) の組のリスト。n_trials は len(accuracies)。
    代わりの evaluate は、k 回目に呼ばれると {"fit_acc": accuracies[k − 1][0], "val_acc": accuracies[k − 1][1]} を返す。
    代わりの sample_config は、呼ばれるたびに受け取った乱数生成器から random() で乱数を 1 つ引いて記録し
    (np.random.Generator でなければ None を記録する)、configs の次の設定を返す。
    random_search の呼び出しの間だけ、この名前空間の sample_config を代わりの関数に差し替える
    (あなたの sample_config が正しくなくても、random_search だけを確かめられる)。
    戻り値: (random_search の戻り値, evaluate が受け取った設定のリスト, 代わりの sample_config が引いた乱数のリスト)
    """
    evaluated, drawn = [], []

    def listed_config(rng):
        drawn.append(float(rng.random()) if isinstance(rng, np.random.Generator) else None)
        return configs[(len(drawn) - 1) % len(configs)]

    def fixed_accuracies(config):
        evaluated.append(config)
        fit_acc, val_acc = accuracies[(len(evaluated) - 1) % len(accuracies)]
        return {"fit_acc": fit_acc, "val_acc": val_acc}

    namespace = globals()
    own = namespace.get("sample_config")
    namespace["sample_config"] = listed_config
    try:
        results = random_search(fixed_accuracies, len(accuracies), seed)
    finally:
        if own is None:
            namespace.pop("sample_config", None)
        else:
            namespace["sample_config"] = own
    return results, evaluated, drawn


def augment_digits_with_seed(x, seed, max_shift=1, noise_std=0.0):
    """augment_digits (演習 7) を np.random.default_rng(seed) で呼ぶ (採点で使う補助関数)。"""
    return augment_digits(x, np.random.default_rng(seed), max_shift, noise_std)


def export_model(network):
    """学習済みの MultiLayerNetExtend を、数値と配列だけの辞書に書き出す (PyTorch の state_dict に当たる)。

    戻り値: {"params": params のコピー, "relu": 活性化関数が ReLU なら True (シグモイドなら False),
             "running_mean": {"BatchNorm1": 配列, ...}, "running_var": {"BatchNorm1": 配列, ...}}
    バッチ正規化の移動平均は params ではなく各 BatchNormalization レイヤが持っているので、別に書き出す。
    """
    model = {"params": {key: np.array(value) for key, value in network.params.items()}}
    model["relu"] = True
    model["running_mean"], model["running_var"] = {}, {}
    for name, layer in network.layers.items():
        if name.startswith("Activation"):
            model["relu"] = type(layer).__name__ == "Relu"
        if name.startswith("BatchNorm") and layer.running_mean is not None:
            model["running_mean"][name] = np.array(layer.running_mean)
            model["running_var"][name] = np.array(layer.running_var)
    return model


# %% [markdown]
# 次の 4 つのセルは、これまでの章 (第 4〜9 章) の模範解答です。この章ではこれらを部品として使います。実行して定義しておいてください。
#
# - 活性化関数・損失関数・数値微分 (第 1〜3 章)、Affine・ReLU・シグモイドのレイヤ (第 4 章)、Softmax-with-Loss のレイヤと
#   2 層ネットワーク `TwoLayerNet`、正解率の補助関数 `_accuracy` (第 5 章)
# - 重みの初期値の標準偏差 (`he_std`、`xavier_std`) と、荷重減衰 (L2 正則化) の項とその勾配 (`l2_penalty`、`l2_penalty_grad`) (第 9 章)
# - バッチ正規化のレイヤ `BatchNormalization` (第 7 章) と、ドロップアウトのレイヤ `Dropout` (第 8 章)
# - 最適化手法 SGD、Momentum、Nesterov、AdaGrad、RMSprop、Adadelta、Adam、AMSGrad、AdamW (第 6 章)

# %% [given] names=sigmoid,softmax,cross_entropy_error,numerical_gradient,Relu,Sigmoid,Affine,SoftmaxWithLoss,networks._accuracy,TwoLayerNet

# %% [given] names=initialization._check_positive_int,xavier_std,he_std,regularization._is_weight,l2_penalty,l2_penalty_grad

# %% [given] names=BatchNormCache,batchnorm_forward,batchnorm_backward_compact,BatchNormalization,Dropout

# %% [given] names=optimizers._check_non_negative,optimizers._check_unit_interval,SGD,Momentum,Nesterov,AdaGrad,RMSprop,Adadelta,Adam,AMSGrad,AdamW

# %% [markdown]
# 最適化手法は、名前 (小文字) からクラスを引く辞書にまとめておきます。`OPTIMIZERS["adam"](lr=1e-3)` のように使います。

# %%
OPTIMIZERS = {
    "sgd": SGD,
    "momentum": Momentum,
    "nesterov": Nesterov,
    "adagrad": AdaGrad,
    "rmsprop": RMSprop,
    "adadelta": Adadelta,
    "adam": Adam,
    "amsgrad": AMSGrad,
    "adamw": AdamW,
}

# %% [markdown]
# ## 10.1 多層ネットワーク `MultiLayerNetExtend`
#
# 第 5 章の `TwoLayerNet` は隠れ層が 1 つに決まっていました。ここでは隠れ層の大きさのリスト `hidden_size_list` を受け取り、
# 何層でも組めるネットワークを作ります。隠れ層が $L$ 個 (`hidden_size_list = [H1, ..., HL]`) のとき、レイヤの並びは次のとおりです
# (角かっこ [ ] の層は、引数で有効にしたときだけ入ります)。
#
# $$
# \underbrace{\text{Affine}_i \to [\text{BatchNorm}_i] \to \text{Activation}_i \to [\text{Dropout}_i]}_{i = 1, \dots, L}
# \;\to\; \text{Affine}_{L+1} \;\to\; \text{SoftmaxWithLoss}
# $$
#
# 大きさは入力 $D$ → $H_1$ → … → $H_L$ → 出力 $C$ と変わり、`'W{i}'` の形状は (前の層の大きさ, 次の層の大きさ) です。
# `hidden_size_list = []` なら Affine が 1 つだけの多クラスロジスティック回帰 (ソフトマックス回帰) になります。
# それぞれの部品で気をつけることを確認しておきましょう。
#
# ### 重みの初期値
#
# 入力が $n_\text{in}$ 個の層の重みは、平均 0、標準偏差 $\sigma$ の正規分布から引きます。各層の出力の分散を層が進んでも保つように選ぶのが
# 考え方でした。
#
# | `weight_init_std` | 標準偏差 $\sigma$ | 向いている活性化関数 |
# |---|---|---|
# | `'relu'` または `'he'` | $\sqrt{2 / n_\text{in}}$ (He の初期値) | ReLU |
# | `'sigmoid'` または `'xavier'` | $1 / \sqrt{n_\text{in}}$ (Xavier の初期値、教科書の簡略形) | シグモイド、tanh |
# | 数値 (例 `0.01`) | その値 | — |
#
# **注意**: Glorot と Bengio (2010) の元の Xavier の初期値は $\sqrt{2 / (n_\text{in} + n_\text{out})}$ で、PyTorch の
# `torch.nn.init.xavier_normal_` もこちらです。教科書 (『ゼロから作るDeep Learning』6.2.2 節) の $1/\sqrt{n_\text{in}}$ は、順伝播の分散だけを考えた簡略形です。
# 引数の $n$ は **その層への入力の数** $n_\text{in}$ (`W` の行数) で、出力の数ではありません。
#
# 再現性のために、乱数は引数 `rng` (`np.random.Generator`) からだけ引きます。重みは `W1`、`W2`、… の順に
# `std * rng.standard_normal((n_in, n_out))` で 1 回ずつ作り、バイアスは 0 にします (乱数を引かない)。
#
# ### 荷重減衰 (L2 正則化)
#
# 損失に、すべての Affine 層の **重み** の二乗和を足します ($\lambda$ は `weight_decay_lambda`、$\lVert W \rVert^2$ は全成分の二乗和)。
#
# $$
# E = E_\text{data} + \frac{\lambda}{2} \sum_{l} \lVert W_l \rVert^2, \qquad
# \frac{\partial E}{\partial W_l} = \frac{\partial E_\text{data}}{\partial W_l} + \lambda W_l
# $$
#
# ここで $E_\text{data}$ は交差エントロピー誤差です (層の数の $L$ と区別するため、この節では損失を $E$ と書きます)。
#
# $\lambda/2$ の $1/2$ は、微分したときに 2 を打ち消して勾配を $\lambda W$ にするためのものです。バイアス $b$ とバッチ正規化の
# $\gamma$、$\beta$ には掛けません。バイアスは数が少なく過学習の原因になりにくいうえ、大きな値が必要になることもあるからです。
#
# ### ドロップアウト
#
# 学習時には、各ユニットを確率 $p$ (`dropout_ratio`) で 0 にし、残ったユニットを $1/(1-p)$ 倍します (inverted dropout)。
# 推論時は何もしません (恒等写像)。学習時の出力の期待値が、すでに推論時と同じになっているからです。
# 元の論文 (Srivastava et al. 2014) と『ゼロから作るDeep Learning』(6.4.3 節) は「学習時はそのまま、推論時に残す確率を掛ける」流儀です。
# 期待値の上では同じですが、PyTorch の `torch.nn.Dropout` とこの講座は inverted dropout です。2 つの流儀を混ぜると、推論時の出力の大きさがずれます。
#
# ドロップアウトのマスクも同じ `rng` から引きます (`Dropout(dropout_ratio, rng=rng)`)。こうしておくと、シード 1 つで重みもマスクも決まり、
# 学習を完全に再現できます。
#
# ### バッチ正規化
#
# 各 Affine の出力を、**活性化関数の前で** 正規化します (Ioffe と Szegedy (2015) の論文と同じ位置)。学習時はミニバッチの平均と分散を使い、
# 同時に移動平均 (running average) を更新します。推論時は移動平均を使うので、1 サンプルだけでも同じ答えが出ます。
# $\gamma$ (`'gamma{i}'`) は 1、$\beta$ (`'beta{i}'`) は 0 から始めます。
#
# なお、バッチ正規化の直前の Affine のバイアス $b$ は、平均を引くところで消えてしまうので本当は不要です ($\beta$ が代わりをします)。
# PyTorch では `nn.Linear(..., bias=False)` と書くことがよくあります。ここでは教科書に合わせてバイアスを残します (勾配が 0 になるだけです)。
#
# ### 学習モードと推論モード
#
# バッチ正規化とドロップアウトは、学習時と推論時で振る舞いが違います。そこで `predict(x, train_flg=False)` は、この 2 種類のレイヤにだけ
# `train_flg` を渡します (`layer.forward(x, train_flg)`)。ほかのレイヤは `layer.forward(x)` です。
#
# - `predict(x, train_flg=False)`: スコア (ソフトマックス前)。形状 (N, C)
# - `loss(x, t, train_flg=False)`: 交差エントロピー誤差 (`last_layer`) + 荷重減衰の項 `l2_penalty(self.params, λ)`
# - `accuracy(x, t)`: 推論モードの正解率 (補助関数 `_accuracy` を使う)
# - `gradient(x, t)`: **学習モード** で順伝播 (`loss(x, t, train_flg=True)`) し、逆順に逆伝播して、`params` と同じキーの勾配を返す。
#   重みの勾配には $\lambda W$ (`l2_penalty_grad`) を足し、バッチ正規化の勾配はレイヤの `dgamma`、`dbeta` から取る
# - `numerical_gradient(x, t)`: 学習モードの損失の数値微分 (ドロップアウトなしで使う。マスクが呼ぶたびに変わるため)
#
# ### 演習 1: `MultiLayerNetExtend`


# %% [solution] id=multilayer_net_extend
class MultiLayerNetExtend:
    """全結合の多層ネットワーク (荷重減衰、ドロップアウト、バッチ正規化つき)。

    input_size D、hidden_size_list [H1, ..., HL] (空でもよい)、output_size C。x: (N, D)、t: ラベル (N,) または one-hot (N, C)。
    layers (OrderedDict): i = 1..L について 'Affine{i}'、['BatchNorm{i}']、'Activation{i}'、['Dropout{i}']、最後に 'Affine{L+1}'。
    last_layer: SoftmaxWithLoss。
    params: 'W{i}' (n_in, n_out) は平均 0、標準偏差 std (weight_init_std と n_in から _init_std で決まる) の正規分布から rng で引く、
        'b{i}' = 0。同じシードの rng なら同じ重みになる。
        use_batchnorm なら 'gamma{i}' = 1、'beta{i}' = 0 (i = 1..L)。
    activation: 'relu' または 'sigmoid'。weight_init_std: 'relu'/'he'、'sigmoid'/'xavier' または数値。
    weight_decay_lambda: λ。損失に (λ/2) Σ ‖W‖² を足す (重みだけ)。
    use_dropout、dropout_ratio: 各活性化の後に、消す確率 dropout_ratio でマスクを同じ rng から引く Dropout レイヤを置く。
    use_batchnorm: 各活性化の前に BatchNormalization。
    rng: np.random.Generator (None なら np.random.default_rng())。重みとドロップアウトのマスクを引く。
    """

    def __init__(
        self,
        input_size,
        hidden_size_list,
        output_size,
        activation="relu",
        weight_init_std="relu",
        weight_decay_lambda=0.0,
        use_dropout=False,
        dropout_ratio=0.5,
        use_batchnorm=False,
        rng=None,
    ):
        """self.hidden_layer_num、self.weight_decay_lambda、self.use_batchnorm、self.params、self.layers、self.last_layer を作る。

        activation が 'relu'、'sigmoid' 以外なら ValueError。
        """
        # ヒント: hint("MultiLayerNetExtend.__init__")
        # @reference MultiLayerNetExtend.__init__

    @staticmethod
    def _init_std(weight_init_std, n_in):
        """入力の数が n_in の層の重みの標準偏差 (float)。'relu'/'he' なら He の初期値 (he_std)、'sigmoid'/'xavier' なら
        Xavier の初期値 (xavier_std の n_out を与えない形) で、名前の大文字小文字は問わない。数値ならその値 (float)。
        それ以外の文字列は ValueError。"""
        # ヒント: hint("MultiLayerNetExtend._init_std")
        # @reference MultiLayerNetExtend._init_std

    def predict(self, x, train_flg=False):
        """スコア (ソフトマックス前)。x: (N, D) → (N, C)。BatchNormalization と Dropout にだけ train_flg を渡す。

        学習モード (train_flg=True) ではバッチの統計量で正規化し、バッチ正規化の移動平均を更新する (推論モードでは使うだけ)。
        """
        # ヒント: hint("MultiLayerNetExtend.predict")
        # @reference MultiLayerNetExtend.predict

    def loss(self, x, t, train_flg=False):
        """交差エントロピー誤差 (バッチ平均) + (λ/2) Σ ‖W‖² (float)。"""
        # ヒント: hint("MultiLayerNetExtend.loss")
        # @reference MultiLayerNetExtend.loss

    def accuracy(self, x, t):
        """推論モード (train_flg=False) の正解率 (0 以上 1 以下の float)。"""
        # ヒント: hint("MultiLayerNetExtend.accuracy")
        # @reference MultiLayerNetExtend.accuracy

    def numerical_gradient(self, x, t):
        """学習モードの損失 loss(x, t, train_flg=True) の数値微分。戻り値: params と同じキー・形状の辞書。"""
        # ヒント: hint("MultiLayerNetExtend.numerical_gradient")
        # @reference MultiLayerNetExtend.numerical_gradient

    def gradient(self, x, t):
        """誤差逆伝播法による勾配 (学習モード)。戻り値: params と同じキーの辞書。W には λW を足す。

        学習モードの順伝播を 1 回行い (バッチ正規化の移動平均も更新され、ドロップアウトは新しいマスクを引く)、そのまま逆伝播する。
        """
        # ヒント: hint("MultiLayerNetExtend.gradient")
        # @reference MultiLayerNetExtend.gradient


# %% [tests] id=test_multilayer_net_init points=1.5 hidden=multilayer_net_init
# 性質 (property) ごとに確かめ、合わない性質があってもその後の性質まで確かめてから、性質ごとの結果 (✓/✗) を示す
shapes = {"W1": (400, 300), "b1": (300,), "W2": (300, 200), "b2": (200,), "W3": (200, 10), "b3": (10,)}
keys_and_shapes = "params のキーと重み W の形状 (隠れ層 2 層、1 層 (バッチ正規化あり)、0 層)"
with Properties() as test:
    with test.property(keys_and_shapes):
        net = MultiLayerNetExtend(400, [300, 200], 10, rng=np.random.default_rng(0))
        check_true(
            sorted(net.params) == sorted(shapes),
            f"params のキーは {sorted(shapes)} のはずですが {sorted(net.params)} です。",
        )
        for key, shape in shapes.items():
            check_true(
                net.params[key].shape == shape,
                f"params['{key}'] の形状は {shape} のはずですが {net.params[key].shape} です。",
            )
        net_xavier = MultiLayerNetExtend(
            400, [300], 10, activation="sigmoid", weight_init_std="sigmoid", use_batchnorm=True,
            rng=np.random.default_rng(0),
        )  # fmt: skip
        check_true(
            "gamma2" not in net_xavier.params,
            "出力層の前 (Affine の後) にはバッチ正規化を入れません ('gamma2' は不要)。",
        )
        # 隠れ層なし (hidden_size_list = []): Affine が 1 つだけなので、params は W1 (形状 (3, 2)) と b1 だけ
        net_no_hidden = MultiLayerNetExtend(3, [], 2, rng=np.random.default_rng(0))
        no_hidden = {key: np.shape(value) for key, value in net_no_hidden.params.items()}
        check_true(
            sorted(no_hidden) == ["W1", "b1"] and no_hidden["W1"] == (3, 2),
            f"hidden_size_list = [] なら、params は 'W1' (形状 (3, 2)) と 'b1' だけのはずですが {no_hidden} です。",
        )
    with test.property("重み W の分布 (He、Xavier、0.01 の 3 つの構成)", needs=[keys_and_shapes]):
        # 重みの平均は 0: W1 の 12 万個の平均の標準誤差は √(2/400) / √120000 ≈ 0.0002 (許容はその 6 倍)
        w1_mean = float(np.mean(net.params["W1"]))
        check_true(
            abs(w1_mean) <= 6 * np.sqrt(2 / 400) / np.sqrt(120_000),
            f"W1 の平均が {w1_mean:.4g} で、0 から離れすぎています。平均 0 の正規分布 (rng.standard_normal) に標準偏差を掛けていますか。",
        )
        # He の初期値: W1 は √(2/400) ≈ 0.0707、W2 は √(2/300) ≈ 0.0816 (12 万個、6 万個の標本なので、標本の標準偏差のずれは 1% 未満)
        check_scalar(np.std(net.params["W1"]), np.sqrt(2 / 400), "He の初期値の W1 の標準偏差", rtol=0.03)
        check_scalar(np.std(net.params["W2"]), np.sqrt(2 / 300), "He の初期値の W2 の標準偏差 (n_in = 300)", rtol=0.03)
        check_scalar(np.std(net_xavier.params["W1"]), 1 / np.sqrt(400), "Xavier の初期値の W1 の標準偏差", rtol=0.03)
        net_fixed = MultiLayerNetExtend(400, [300], 10, weight_init_std=0.01, rng=np.random.default_rng(0))
        check_scalar(np.std(net_fixed.params["W1"]), 0.01, "weight_init_std=0.01 の W1 の標準偏差", rtol=0.03)
    with test.property("b と beta の初期値は 0、gamma の初期値は 1 (b2、gamma1、beta1)", needs=[keys_and_shapes]):
        check_array(net.params["b2"], np.zeros(200), "params['b2'] の初期値")
        check_array(net_xavier.params["gamma1"], np.ones(300), "params['gamma1'] の初期値")
        check_array(net_xavier.params["beta1"], np.zeros(300), "params['beta1'] の初期値")
    with test.property("同じシードの rng なら同じ params (隠れ層 [4])"):
        twins = [make_network(3, 5, [4], 2).params for _ in range(2)]
        for key in twins[0]:
            check_array(twins[1][key], twins[0][key], f"同じシードで作った {key}")
    with test.property("layers の並び (バッチ正規化とドロップアウトあり)"):
        net = MultiLayerNetExtend(5, [4, 3], 2, use_batchnorm=True, use_dropout=True, rng=np.random.default_rng(0))
        expected_layers = ["Affine1", "BatchNorm1", "Activation1", "Dropout1", "Affine2", "BatchNorm2", "Activation2"]
        expected_layers += ["Dropout2", "Affine3"]
        check_true(
            list(net.layers) == expected_layers,
            f"layers の並びは {expected_layers} のはずですが {list(net.layers)} です。",
        )
print("公開テスト: OK")

# %% [markdown]
# 次のテストでは、小さなネットワークのパラメータを (その場で) 書き換えて、手計算と比べます。
#
# 入力 2、隠れ層 [2]、出力 2 で、$W_1 = \begin{pmatrix} 1 & -1 \\ 2 & 0 \end{pmatrix}$、$b_1 = (0, 1)$、$W_2 = I$ (単位行列)、$b_2 = 0$ とします。
# 入力 $x^{(1)} = (1, 1)$、$x^{(2)} = (-1, 0)$ の Affine の出力は $a^{(1)} = (1 + 2,\ -1 + 0) + (0, 1) = (3, 0)$、
# $a^{(2)} = (-1, 1) + (0, 1) = (-1, 2)$ です。
#
# - **ReLU** なら隠れ層は $(3, 0)$ と $(0, 2)$、$W_2 = I$ なのでスコアも同じです。正解を $t = (0, 1)$ とすると、2 クラスのソフトマックスは
#   $y_0 = \sigma(s_0 - s_1)$ なので、損失は $\frac{1}{2}\left(\log(1 + e^{-3}) + \log(1 + e^{-2})\right)$ です。
#   $\lambda = 0.5$ なら、重みの二乗和 $(1 + 1 + 4 + 0) + (1 + 1) = 8$ から $\frac{\lambda}{2} \cdot 8 = 2$ が加わります。
# - **バッチ正規化あり・学習モード**: 特徴ごとにバッチの平均と分散を取ります。1 つ目の特徴 $(3, -1)$ は平均 1、分散 4 なので
#   $\pm 2 / \sqrt{4 + \varepsilon}$、2 つ目の特徴 $(0, 2)$ は平均 1、分散 1 なので $\mp 1 / \sqrt{1 + \varepsilon}$ ($\varepsilon = 10^{-5}$)。
#   移動平均 (最初は平均 0、分散 1、momentum 0.9) は平均 $0.1 \cdot (1, 1)$、分散 $0.9 + 0.1 \cdot (4, 1) = (1.3, 1)$ に更新されます。
# - **バッチ正規化あり・推論モード**: 移動平均で正規化します。最初は平均 0、分散 1 なので $a / \sqrt{1 + \varepsilon}$ です。


# %% [tests] id=test_multilayer_net_forward points=3 hidden=multilayer_net_forward
def small_network(**options):
    """上の本文の 2 → [2] → 2 のネットワーク。パラメータはその場で上書きする。"""
    net = MultiLayerNetExtend(2, [2], 2, rng=np.random.default_rng(0), **options)
    net.params["W1"][...] = [[1.0, -1.0], [2.0, 0.0]]
    net.params["b1"][...] = [0.0, 1.0]
    net.params["W2"][...] = np.eye(2)
    net.params["b2"][...] = 0.0
    return net


x_small = np.array([[1.0, 1.0], [-1.0, 0.0]])
a_small = np.array([[3.0, 0.0], [-1.0, 2.0]])  # Affine1 の出力 (上の手計算)
eps = 1e-5
inference = "推論モード (train_flg=False) の predict (ReLU、シグモイド、バッチ正規化、ドロップアウト)"
training = "学習モード (train_flg=True) の predict と loss (バッチ正規化、ドロップアウト)"
with Properties() as test:
    with test.property(inference):
        net = small_network(weight_decay_lambda=0.5)
        check_array(net.predict(x_small), [[3.0, 0.0], [0.0, 2.0]], "predict (ReLU)")
        check_array(net.predict(x_small[:1]), [[3.0, 0.0]], "predict (ReLU、N = 1)")
        check_array(
            small_network(activation="sigmoid").predict(x_small), 1 / (1 + np.exp(-a_small)), "predict (シグモイド)"
        )
        bn_net = small_network(use_batchnorm=True)
        check_array(
            bn_net.predict(x_small),
            np.maximum(a_small, 0) / np.sqrt(1 + eps),
            "predict (バッチ正規化、推論モード、学習前)",
        )
        # ドロップアウト: 推論モードでは何もしない
        dropout_net = small_network(use_dropout=True, dropout_ratio=0.3)
        check_array(dropout_net.predict(x_small), [[3.0, 0.0], [0.0, 2.0]], "predict (ドロップアウトあり、推論モード)")
    with test.property("loss (λ = 0.5 の荷重減衰つき、t はラベルと one-hot)", needs=[inference]):
        data_loss = (np.log(1 + np.exp(-3.0)) + np.log(1 + np.exp(-2.0))) / 2
        check_scalar(net.loss(x_small, np.array([0, 1])), data_loss + 2.0, "loss (λ = 0.5 の荷重減衰つき)", rtol=1e-6)
        check_scalar(
            net.loss(x_small, np.array([[1.0, 0.0], [0.0, 1.0]])),
            data_loss + 2.0,
            "loss (t が one-hot [[1, 0], [0, 1]]、λ = 0.5)",
            rtol=1e-6,
        )
    with test.property("accuracy (t はラベルと one-hot)", needs=[inference]):
        check_scalar(net.accuracy(x_small, np.array([0, 1])), 1.0, "accuracy (ラベル [0, 1])")
        check_scalar(net.accuracy(x_small, np.array([[0.0, 1.0], [0.0, 1.0]])), 0.5, "accuracy (one-hot、正解 [1, 1])")
    with test.property(training, needs=[inference]):
        bn_train = [[2 / np.sqrt(4 + eps), 0.0], [0.0, 1 / np.sqrt(1 + eps)]]  # ReLU 後 (負の成分は 0)
        check_array(
            bn_net.predict(x_small, train_flg=True), bn_train, "predict(x, train_flg=True) (バッチ正規化、学習モード)"
        )
        # 学習モードの loss もバッチの統計量で正規化したスコア bn_train から計算する (W2 = I なのでスコアは bn_train)。
        # 2 クラスなので、正解 t = (0, 1) の損失は ½ (log(1 + e^(−2/√(4+ε))) + log(1 + e^(−1/√(1+ε))))
        bn_loss = (np.log(1 + np.exp(-2 / np.sqrt(4 + eps))) + np.log(1 + np.exp(-1 / np.sqrt(1 + eps)))) / 2
        check_scalar(
            small_network(use_batchnorm=True).loss(x_small, np.array([0, 1]), train_flg=True),
            bn_loss,
            "loss(x, t, train_flg=True) (バッチ正規化、学習モード)",
            rtol=1e-6,
        )
        # ドロップアウト: 学習モードでは残ったユニットが 1/(1 − p) 倍になる (W2 = I なのでスコアに見える)
        scores = dropout_net.predict(np.tile(x_small[:1], (2000, 1)), train_flg=True)[:, 0]  # 値は 0 か 3 / 0.7
        check_true(
            np.all(np.isclose(scores, 0.0) | np.isclose(scores, 3 / 0.7)),
            "ドロップアウトの出力は 0 か x / (1 − p) のはずです。",
        )
        check_true(
            abs(np.mean(scores == 0) - 0.3) < 0.04,
            f"0 になった割合 {np.mean(scores == 0):.3f} が p = 0.3 から離れています。",
        )
        # 同じシードの rng なら、学習モードのマスクも同じ (rng はドロップアウトのマスクも引く)
        x_twin = np.ones((5, 2))
        twin_scores = [make_network(5, 2, [20], 2, use_dropout=True).predict(x_twin, train_flg=True) for _ in range(2)]
        check_true(
            np.array_equal(twin_scores[0], twin_scores[1]),
            "同じシードで作った 2 つのネットワークで、学習モードの predict が違います。"
            "重みを引いたのと同じ rng を Dropout にも渡していますか。",
        )
    with test.property("学習モードの順伝播の後の推論 (バッチ正規化の移動平均)", needs=[training]):
        bn_after = np.maximum((a_small - 0.1) / np.sqrt(np.array([1.3, 1.0]) + eps), 0)
        check_array(
            bn_net.predict(x_small),
            bn_after,
            "学習モードで 1 回呼んだ後の predict (推論モード。移動平均が更新されているはず)",
        )
print("公開テスト: OK")

# %% [markdown]
# ### 勾配確認
#
# 手計算できる例: 隠れ層なし (`hidden_size_list = []`)、入力 $x = 0$ とします。スコアはバイアス $b$ だけになり、$b = 0$ なら確率はどのクラスも $1/C$ です。
#
# - スコアの勾配は $(Y - T)/N$ です。$C = 2$、$N = 2$、$t = (0, 1)$ なら、1 行目 $(\frac{1}{2} - 1, \frac{1}{2}) / 2 = (-\frac{1}{4}, \frac{1}{4})$、
#   2 行目 $(\frac{1}{4}, -\frac{1}{4})$ で、$\partial L/\partial b$ はその列の和 $(0, 0)$ です。
# - $\partial L/\partial W = X^\top (Y - T)/N + \lambda W$ で、$X = 0$ なので $\lambda W$ だけが残ります。
#
# これに加えて、隠れ層・バッチ正規化・荷重減衰のあるネットワークで、誤差逆伝播法と数値微分を比べます。


# %% [tests] id=test_multilayer_net_gradient points=4 hidden=multilayer_net_gradient
# 数値微分との比較 (ドロップアウトなし)。比べる点 (x とパラメータ) は乱数で作り、次の 2 つを満たすまで引き直す。
# - ReLU の折れ目 (入力 0) から離れている: 活性化関数の入力 (バッチ正規化の後) の成分がどれも |a| ≥ 0.1。
#   パラメータを h = 1e-4 動かしても数値微分が折れ目をまたがない
# - 正解クラスの確率がどれも 0.05 以上: 損失 −log(y + ε) の ε が勾配を変える割合 (ε/y 程度) が小さい
def activation_inputs_and_probabilities(params, x, relu, use_batchnorm):
    """2 つの隠れ層の活性化関数への入力 (学習モード、1 次元に並べたもの) と、ソフトマックスの出力を NumPy で計算する。"""
    h, inputs = x, []
    for i in (1, 2):
        a = h @ params[f"W{i}"] + params[f"b{i}"]
        if use_batchnorm:
            a = params[f"gamma{i}"] * (a - a.mean(axis=0)) / np.sqrt(a.var(axis=0) + 1e-5) + params[f"beta{i}"]
        inputs.append(a.ravel())
        h = np.maximum(a, 0) if relu else sigmoid(a)
    return np.concatenate(inputs), softmax(h @ params["W3"] + params["b3"])


t_check = np.array([0, 1, 2, 0, 1, 2])
with Properties() as test:
    with test.property("誤差逆伝播法による勾配 (x = 0 の手計算と、数値微分との比較 2 通り)"):
        net = MultiLayerNetExtend(2, [], 2, weight_decay_lambda=0.1, rng=np.random.default_rng(0))
        net.params["W1"][...] = [[1.0, 2.0], [3.0, 4.0]]
        grads = net.gradient(np.zeros((2, 2)), np.array([0, 1]))
        check_true(
            sorted(grads) == ["W1", "b1"],
            f"gradient のキーは params と同じ ['W1', 'b1'] のはずですが {sorted(grads)} です。",
        )
        check_array(grads["W1"], [[0.1, 0.2], [0.3, 0.4]], "gradient(...)['W1'] (x = 0 なので λW だけ)")
        check_array(grads["b1"], [0.0, 0.0], "gradient(...)['b1'] (スコアの勾配の列の和)")
        check_scalar(
            net.loss(np.zeros((2, 2)), np.array([0, 1])), np.log(2) + 0.05 * 30, "loss (log 2 + (λ/2)·30)", rtol=1e-6
        )

        rng = np.random.default_rng(1)
        for options in [
            dict(use_batchnorm=True, weight_decay_lambda=0.1),
            dict(activation="sigmoid", weight_init_std="sigmoid", weight_decay_lambda=0.05),
        ]:
            net = make_network(0, 5, [4, 3], 3, **options)
            relu, use_batchnorm = "activation" not in options, "use_batchnorm" in options
            for _ in range(1000):  # 条件を満たすまで引き直す (満たさないまま 1000 回に達することはまずない)
                x_check = rng.standard_normal((6, 5))
                for key in sorted(net.params):  # その場で書き換える (レイヤも同じ配列を持っている)。γ は 1 の近く
                    shift = 1.0 if key.startswith("gamma") else 0.0
                    net.params[key][...] = 0.5 * rng.standard_normal(net.params[key].shape) + shift
                a_check, y_check = activation_inputs_and_probabilities(net.params, x_check, relu, use_batchnorm)
                if (not relu or np.abs(a_check).min() >= 0.1) and y_check[np.arange(6), t_check].min() >= 0.05:
                    break
            grads = net.gradient(x_check, t_check)

            # 数値微分は、演習の numerical_gradient ではなく course.gradcheck の中心差分 (h = 1e-4) で、学習モードの損失 loss
            # から求める (numerical_gradient の誤りは 4 つ目の性質が示し、この性質には響かない)。パラメータはその場で動かす
            def training_loss(_, net=net, x=x_check):
                return net.loss(x, t_check, train_flg=True)

            numerical_grads = {
                key: eval_numerical_gradient(training_loss, value, h=1e-4) for key, value in net.params.items()
            }
            check_true(
                sorted(grads) == sorted(net.params),
                f"gradient のキー {sorted(grads)} が params のキーと違います ({options})。",
            )
            # 許容誤差: 要素ごとに 1e-3 × (|数値微分| + 全パラメータの数値微分の最大の大きさ)。絶対誤差の下限があるので、
            # バッチ正規化の直前のバイアスのように勾配が 0 (数値微分は丸め誤差だけ) でもよい。正しい実装は、この選び方なら
            # どの乱数でもこの範囲に収まる (200 通りの乱数で確かめてある)
            grad_scale = max(np.abs(value).max() for value in numerical_grads.values())
            for key in net.params:
                check_array(
                    grads[key],
                    numerical_grads[key],
                    f"gradient と数値微分 (loss の中心差分) の '{key}' ({options})",
                    rtol=1e-3,
                    atol=1e-3 * grad_scale,
                )
    with test.property("gradient の順伝播でバッチ正規化の移動平均を更新する (2 → [2] → 2 の手計算)"):
        # 上の順伝播のテストの small_network (Affine1 の出力は [[3, 0], [−1, 2]])。gradient の学習モードの順伝播で、
        # 移動平均は平均 0.1 · (1, 1)、分散 0.9 + 0.1 · (4, 1) = (1.3, 1) に更新される
        bn_net = small_network(use_batchnorm=True)
        x_bn = np.array([[1.0, 1.0], [-1.0, 0.0]])
        bn_net.gradient(x_bn, np.array([0, 1]))
        bn_after = np.maximum((np.array([[3.0, 0.0], [-1.0, 2.0]]) - 0.1) / np.sqrt(np.array([1.3, 1.0]) + 1e-5), 0)
        check_array(
            bn_net.predict(x_bn),
            bn_after,
            "gradient を 1 回呼んだ後の predict (推論モード。gradient の学習モードの順伝播で移動平均が更新されているはず)",
        )
    with test.property("ドロップアウトのある勾配 (続けて 2 回呼ぶ、出力層のバイアスの勾配)"):
        # 同じシードの 3 つのネットワークは、同じ順にマスクを引く。1 つ目の gradient を続けて 2 回呼ぶと、2 つ目で学習モードの
        # predict を 2 回呼んだのと同じマスクで順伝播するので、出力層のバイアスの勾配は Σ_n (softmax(スコア)_n − t_n) / N
        # (N = 4)。マスクがシードで決まらないとき (順伝播のテストで不合格になる) は比べられないので、ここでは比べない
        drop_nets = [make_network(7, 3, [6, 5], 3, use_dropout=True, weight_decay_lambda=0.1) for _ in range(3)]
        x_drop = np.random.default_rng(2).standard_normal((2, 4, 3))
        t_drop = np.array([[0, 1, 2, 1], [2, 2, 0, 1]])
        for call in range(2):
            scores_drop = drop_nets[1].predict(x_drop[call], train_flg=True)
            if call == 0 and not np.array_equal(scores_drop, drop_nets[2].predict(x_drop[call], train_flg=True)):
                break  # マスクがシードで決まらない
            grads_drop = drop_nets[0].gradient(x_drop[call], t_drop[call])
            check_true(
                sorted(grads_drop) == sorted(drop_nets[0].params),
                f"gradient のキー {sorted(grads_drop)} が params のキーと違います (ドロップアウトあり)。",
            )
            check_array(
                grads_drop["b3"],
                (softmax(scores_drop) - np.eye(3)[t_drop[call]]).sum(axis=0) / 4,
                f"ドロップアウトのある gradient(...)['b3'] ({call + 1} 回目の呼び出し。学習モードの順伝播のマスクを使うはず)",
            )
    with test.property("numerical_gradient (x = 0 の手計算と、バッチ正規化の直前のバイアス)"):
        # 上の x = 0 の例: 数値微分でも W1 の勾配は λW、b1 の勾配は 0
        net = MultiLayerNetExtend(2, [], 2, weight_decay_lambda=0.1, rng=np.random.default_rng(0))
        net.params["W1"][...] = [[1.0, 2.0], [3.0, 4.0]]
        numerical_grads = net.numerical_gradient(np.zeros((2, 2)), np.array([0, 1]))
        check_true(
            sorted(numerical_grads) == ["W1", "b1"],
            f"numerical_gradient のキーは params と同じ ['W1', 'b1'] のはずですが {sorted(numerical_grads)} です。",
        )
        check_array(
            numerical_grads["W1"],
            [[0.1, 0.2], [0.3, 0.4]],
            "numerical_gradient(...)['W1'] (x = 0 なので λW だけ)",
            rtol=1e-6,
            atol=1e-8,
        )
        check_array(numerical_grads["b1"], [0.0, 0.0], "numerical_gradient(...)['b1']", atol=1e-8)
        # 学習モードの損失では、バッチ正規化がバッチの平均を引くので、その直前のバイアス b1、b2 を動かしても損失は変わらない
        # (勾配は 0。推論モードの損失を微分すると 0 にならない)
        net = make_network(0, 5, [4, 3], 3, use_batchnorm=True, weight_decay_lambda=0.1)
        numerical_grads = net.numerical_gradient(np.random.default_rng(3).standard_normal((6, 5)), t_check)
        for key in ("b1", "b2"):
            check_array(
                numerical_grads[key],
                np.zeros(net.params[key].shape),
                f"numerical_gradient(...)['{key}'] (バッチ正規化の直前のバイアス。学習モードの損失を微分しているか)",
                atol=1e-8,
            )
print("公開テスト: OK")

# %% [markdown]
# 次のセルは、同じ演習の **規則** (rule) として、docstring にある入力の検査を確かめます (0.5 点。本体とは別に採点され、
# 規則を満たしていなくても本体の点は失いません)。
# 正しい入力では例外を出さず、activation、weight_init_std が知らない名前のときは `ValueError` を出します。

# %% [tests] id=test_multilayer_net_rules points=0.5 hidden=multilayer_net_rules
with Properties() as test:
    with test.property("正しい activation と weight_init_std では例外を出さない (sigmoid、0.1)"):
        make_network(0, 4, [3], 2, activation="sigmoid", weight_init_std=0.1)
    with test.property('知らない activation で ValueError ("tanh")'):
        check_raises(
            ValueError, lambda: make_network(0, 4, [3], 2, activation="tanh"), 'activation="tanh" の MultiLayerNetExtend',
            "activation は 'relu' か 'sigmoid' です。",
        )  # fmt: skip
    with test.property('知らない weight_init_std の名前で ValueError ("lion")'):
        check_raises(
            ValueError, lambda: make_network(0, 4, [3], 2, weight_init_std="lion"),
            'weight_init_std="lion" の MultiLayerNetExtend', "weight_init_std は 'relu'、'he'、'sigmoid'、'xavier' か数値です。",
        )  # fmt: skip
print("公開テスト: OK")

# %% [markdown]
# digits のデータでも勾配確認をしておきます。数サンプルで十分です。比べる尺度は第 5 章と同じく、配列全体の相対誤差
# $\lVert \boldsymbol{g}_\text{逆伝播} - \boldsymbol{g}_\text{数値} \rVert / (\lVert \boldsymbol{g}_\text{逆伝播} \rVert + \lVert \boldsymbol{g}_\text{数値} \rVert)$ です。
# バイアス `b1`、`b2` の勾配の大きさも表示します。

# %%
(x_train, t_train), (x_test, t_test) = load_digits()
print("訓練データ:", x_train.shape, " テストデータ:", x_test.shape)


def relative_error_of_arrays(a, b):
    """配列全体でとった ‖a − b‖ / (‖a‖ + ‖b‖) (両方 0 なら 0)。"""
    denominator = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denominator == 0 else np.linalg.norm(a - b) / denominator


network = make_network(0, 64, [5, 5], 10, use_batchnorm=True, weight_decay_lambda=0.01)
grads_backprop = network.gradient(x_train[:5], t_train[:5])
grads_numerical = network.numerical_gradient(x_train[:5], t_train[:5])
for key in network.params:
    size = np.abs(grads_backprop[key]).max()
    if size < 1e-10:  # 丸め誤差を除けば 0 の勾配: ここでは相対誤差に意味がない
        print(f"{key:7s} 勾配の最大の大きさ {size:.0e} … 丸め誤差の大きさ (実質 0)")
        continue
    error = relative_error_of_arrays(grads_backprop[key], grads_numerical[key])
    print(f"{key:7s} 勾配の最大の大きさ {size:.1e}、相対誤差 {error:.0e} … {'OK' if error < 1e-5 else '大きすぎます'}")

# %% [markdown]
# 重みとバッチ正規化のパラメータは、どれも数値微分と一致しています。一方、`b1` と `b2` の勾配は $10^{-15}$ 以下、つまり丸め誤差の大きさで、
# 実質 0 です (0 どうしの相対誤差には意味がないので、比べていません)。
# バッチ正規化は、入力の各特徴からバッチの平均を引きます。直前のバイアス $b$ は、すべてのサンプルの同じ特徴に同じ値を足すだけなので、
# 平均を引いたところで完全に消え、損失に影響しません。上で述べた「バッチ正規化の直前のバイアスは不要」を数値で確かめたことになります。
# 最後の層のバイアス `b3` は、バッチ正規化の後ろではないので、ふつうに勾配を持ちます。
#
# ## 10.2 学習を受け持つ `Trainer`
#
# 第 5 章では、学習のループ (並べ替え → ミニバッチ → 勾配 → 更新 → 評価) を関数の中に直接書きました。ここではそれをクラス `Trainer` にまとめ、
# どのネットワークにも、どの最適化手法にも使えるようにします。ネットワークに求めるのは、`params`、`gradient(x, t)`、`accuracy(x, t)` と、
# 直前の順伝播の損失を持つ `last_layer.loss` だけです (`MultiLayerNetExtend` も第 5 章の `TwoLayerNet` も満たします)。
#
# - `__init__`: 引数を保存し、最適化手法を `OPTIMIZERS[optimizer.lower()](**(optimizer_param or {}))` で作る
#   (知らない名前なら ValueError)。乱数生成器 `self.rng` は `seed` から `np.random.default_rng` で作る。`self.history` は
#   `'train_loss'`、`'train_acc'`、`'test_acc'` の空のリストを持つ辞書
# - `train_step(x_batch, t_batch)`: 勾配を求めて 1 回更新し、**更新前** のミニバッチの損失 (`gradient` の中の順伝播で
#   `network.last_layer.loss` に入った値。荷重減衰の項は含まない) を返す
# - `train()`: エポックごとに `self.rng.permutation(N)` で並べ替え、前から `mini_batch_size` 個ずつ (最後は端数のまま)
#   `train_step` を呼び、その損失を `history['train_loss']` に **ミニバッチごとに** 追加する。エポックの終わりに
#   訓練データとテストデータの正解率を 1 つずつ追加する。`evaluate_sample_num_per_epoch` が数値なら、正解率は先頭のその個数だけで測る
#   (大きなデータで評価の時間を節約するため)。`history` を返す
#
# 第 5 章の関数は損失をエポックごとに平均しましたが、`Trainer` はミニバッチごとに記録します (教科書の `Trainer` と同じ)。
#
# **注意**: 教科書の `Trainer` は、ミニバッチを毎回 `np.random.choice` で選び直します (同じサンプルが 1 エポックに 2 回選ばれたり、
# 1 回も選ばれなかったりします)。ここでは第 5 章と同じく、エポックごとの並べ替えで全サンプルを 1 回ずつ使います。
#
# ### 演習 2: `Trainer`


# %% [solution] id=trainer
class Trainer:
    """ネットワークをミニバッチで学習し、学習曲線を記録する。

    network: params、gradient(x, t)、accuracy(x, t)、last_layer.loss を持つネットワーク。
    x_train (N, D)、t_train (N,) または (N, C)。x_test、t_test も同様 (評価に使うだけ)。
    optimizer: OPTIMIZERS のキー ('sgd'、'momentum'、'adam' など。大文字小文字は問わない。ない名前なら ValueError)。
    optimizer_param: その引数の辞書。
    各エポックで、self.rng の permutation で N 個の添字を新しく並べ替え、その順に前から mini_batch_size 個ずつ使う
    (最後は端数のまま。1 エポック ⌈N / mini_batch_size⌉ 回の更新)。
    evaluate_sample_num_per_epoch: None でなければ、正解率を先頭のその個数のサンプルだけで測る。
    show_progress: エポックの進捗バーを表示するか。
    """

    def __init__(
        self,
        network,
        x_train,
        t_train,
        x_test,
        t_test,
        epochs=20,
        mini_batch_size=100,
        optimizer="sgd",
        optimizer_param=None,
        evaluate_sample_num_per_epoch=None,
        seed=0,
        show_progress=True,
    ):
        """引数を保存し (mini_batch_size は self.batch_size、evaluate_sample_num_per_epoch は self.evaluate_sample_num に)、
        self.optimizer、self.rng (seed から np.random.default_rng で作った乱数生成器)、self.history を作る。"""
        # ヒント: hint("Trainer.__init__")
        # @reference Trainer.__init__

    def train_step(self, x_batch, t_batch):
        """1 つのミニバッチで 1 回更新し、更新前のミニバッチの損失 (float) を返す。"""
        # ヒント: hint("Trainer.train_step")
        # @reference Trainer.train_step

    def _evaluate(self):
        """(訓練データの正解率, テストデータの正解率)。evaluate_sample_num が None でなければ先頭のその個数だけで測る。"""
        # ヒント: hint("Trainer._evaluate")
        # @reference Trainer._evaluate

    def train(self):
        """全エポックを学習し、self.history ('train_loss' はミニバッチごと、'train_acc'、'test_acc' はエポックごと) を返す。"""
        # ヒント: hint("Trainer.train")
        # @reference Trainer.train


# %% [markdown]
# 次のテストでは、`Trainer` の動きを見るための小さな「ネットワーク」を使います。パラメータは 1 つの数 `w` で、勾配はいつも 1、
# 損失 (`last_layer.loss`) にはそのときの `w` の値を入れ、見たサンプルの番号を記録します。学習率 0.5 の SGD なら、
# $k$ 回目の更新の前の `w` は $-0.5\,(k - 1)$ なので、`train_loss` は $0, -0.5, -1, \dots$ になるはずです。
# 正解率 (`accuracy`) には、渡されたサンプルの個数 / 100 を返させます。


# %% [tests] id=test_trainer points=2.5 hidden=trainer
class LastLayer:
    loss = None


class CountingNetwork:
    """テスト用の代役のネットワーク: 勾配は常に 1 で、見たサンプルとその t を記録する。"""

    def __init__(self):
        self.params = {"w": np.zeros(1)}
        self.last_layer = LastLayer()
        self.batches = []
        self.targets = []

    def gradient(self, x, t):
        self.batches.append(x[:, 0].astype(int).tolist())
        self.targets.append(np.asarray(t).tolist())
        self.last_layer.loss = float(self.params["w"][0])  # 「損失」は更新前の w
        return {"w": np.ones(1)}

    def accuracy(self, x, t):
        return len(x) / 100


x_ids = np.arange(10.0).reshape(10, 1)  # サンプル i の値は i
with Properties() as test:
    with test.property("学習曲線 history と学習後の params (SGD、N=10 を 4 個ずつ: 端数のミニバッチあり)"):
        counting = CountingNetwork()
        trainer = Trainer(
            counting, x_ids, np.zeros(10), x_ids[:4], np.zeros(4), epochs=3, mini_batch_size=4,
            optimizer_param={"lr": 0.5}, show_progress=False,
        )  # fmt: skip
        history = trainer.train()
        check_true(
            [len(batch) for batch in counting.batches] == [4, 4, 2] * 3,
            f"10 サンプル、バッチサイズ 4 なら、各エポックは 4, 4, 2 個のミニバッチ (⌈10/4⌉ = 3 回) のはずです: {counting.batches}",
        )
        for epoch in range(3):
            seen = sorted(sum(counting.batches[3 * epoch : 3 * epoch + 3], []))
            check_true(seen == list(range(10)), f"エポック {epoch + 1} で全サンプルを 1 回ずつ使っていません: {seen}")
        check_true(
            counting.batches[:3] != counting.batches[3:6],
            "エポックごとに並べ替え直してください (同じ順番になっています)。",
        )
        check_true(
            sorted(history) == ["test_acc", "train_acc", "train_loss"],
            f"history のキーは 'train_loss'、'train_acc'、'test_acc' です: {sorted(history)}",
        )
        check_array(history["train_loss"], -0.5 * np.arange(9), "history['train_loss'] (更新前の損失、ミニバッチごと)")
        check_array(counting.params["w"], [-4.5], "9 回更新した後の w (SGD、学習率 0.5)")
        check_array(history["train_acc"], [0.1] * 3, "history['train_acc'] (エポックごと。10 サンプル / 100)")
        check_array(history["test_acc"], [0.04] * 3, "history['test_acc'] (エポックごと。4 サンプル / 100)")
        # 同じシード (既定値の seed=0) なら同じ順番
        again = CountingNetwork()
        Trainer(
            again, x_ids, np.zeros(10), x_ids[:4], np.zeros(4), epochs=1, mini_batch_size=4, show_progress=False
        ).train()
        check_true(again.batches == counting.batches[:3], "同じ seed なら、同じ順番でミニバッチを作るはずです。")
    with test.property("one-hot のラベルと、optimizer_param を渡した Momentum (N=3、mini_batch_size=1)"):
        # サンプル i の t は one-hot の i (np.eye(3) の行 i)。ミニバッチの t は、同じサンプルの行のはず
        momentum_net = CountingNetwork()
        history = Trainer(
            momentum_net, x_ids[:3], np.eye(3), x_ids[:3], np.eye(3), epochs=1, mini_batch_size=1, optimizer="momentum",
            optimizer_param={"lr": 0.5, "momentum": 0.5}, show_progress=False,
        ).train()  # fmt: skip
        for batch, target in zip(momentum_net.batches, momentum_net.targets, strict=True):
            check_array(target, np.eye(3)[batch], f"サンプル {batch} のミニバッチの t (one-hot のラベル)")
        # Momentum (勾配は常に 1): v ← 0.5 v − 0.5、w ← w + v。v = −0.5、−0.75、−0.875 なので、w = −0.5、−1.25、−2.125
        check_array(history["train_loss"], [0.0, -0.5, -1.25], "history['train_loss'] (Momentum、lr=0.5、momentum=0.5)")
        check_array(momentum_net.params["w"], [-2.125], "3 回更新した後の w (Momentum、lr=0.5、momentum=0.5)")
    with test.property("evaluate_sample_num_per_epoch が数値なら、正解率を先頭のその個数で測る (3 個)"):
        history = Trainer(
            CountingNetwork(), x_ids, np.zeros(10), x_ids[:4], np.zeros(4), epochs=1, mini_batch_size=4,
            evaluate_sample_num_per_epoch=3, show_progress=False,
        ).train()  # fmt: skip
        check_array(
            history["train_acc"] + history["test_acc"], [0.03, 0.03], "evaluate_sample_num_per_epoch=3 の正解率"
        )
    with test.property("引数の既定値 (N=10、mini_batch_size=100 で 1 エポック 1 回の更新、lr=0.01)"):
        defaults = CountingNetwork()
        history = Trainer(defaults, x_ids, np.zeros(10), x_ids[:4], np.zeros(4), epochs=2, show_progress=False).train()
        check_true(
            [len(batch) for batch in defaults.batches] == [10, 10],
            "mini_batch_size の既定値は 100 です。10 サンプルなら、各エポックは 10 個のミニバッチ 1 つのはずです: "
            f"{defaults.batches}",
        )
        # 既定の optimizer は SGD、学習率の既定値は 0.01: 更新前の w は 0、−0.01、2 回の更新の後は −0.02
        check_array(history["train_loss"], [0.0, -0.01], "history['train_loss'] (既定値の SGD、lr=0.01)")
        check_array(defaults.params["w"], [-0.02], "2 回更新した後の w (既定値の SGD、lr=0.01)")
print("公開テスト: OK")

# %% [markdown]
# 次のセルは、同じ演習の **規則** (rule) として、docstring にある入力の検査を確かめます (0.5 点。本体とは別に採点され、
# 規則を満たしていなくても本体の点は失いません)。
# 正しい入力では例外を出さず、optimizer が OPTIMIZERS にない名前のときは `ValueError` を出します。

# %% [tests] id=test_trainer_rules points=0.5 hidden=trainer_rules
x_rule, t_rule = np.arange(4.0).reshape(4, 1), np.zeros(4, dtype=int)
with Properties() as test:
    with test.property('OPTIMIZERS にある名前では例外を出さない ("sgd")'):
        Trainer(CountingNetwork(), x_rule, t_rule, x_rule, t_rule, optimizer="sgd", show_progress=False)
    with test.property('OPTIMIZERS にない名前で ValueError ("lion")'):
        check_raises(
            ValueError, lambda: Trainer(CountingNetwork(), x_rule, t_rule, x_rule, t_rule, optimizer="lion"),
            'optimizer="lion" の Trainer', "optimizer は OPTIMIZERS のキー (大文字小文字は問わない) です。",
        )  # fmt: skip
print("公開テスト: OK")

# %% [markdown]
# `Trainer` は `params`、`gradient`、`accuracy`、`last_layer` さえあれば、どんなネットワークでも学習できます。
# 第 5 章の `TwoLayerNet` を、今度は Adam で学習してみましょう。

# %%
two_layer = TwoLayerNet(64, 50, 10, weight_init_std=0.1, rng=np.random.default_rng(0))
history = Trainer(
    two_layer, x_train, t_train, x_test, t_test, epochs=5, mini_batch_size=32, optimizer="adam",
    optimizer_param={"lr": 0.01}, show_progress=False,
).train()  # fmt: skip
print(f"ミニバッチの数: {len(history['train_loss'])} (= 5 エポック × ⌈1437 / 32⌉ = 5 × 45)")
print(f"TwoLayerNet + Adam、5 エポック後のテスト正解率 {history['test_acc'][-1]:.3f}")

# %% [markdown]
# ## 10.3 検証データ
#
# ハイパーパラメータ (学習率、荷重減衰の $\lambda$、層の大きさ、バッチ正規化を使うかどうか、…) は、学習では決まらず、人が選ぶ値です。
# いくつかの候補で学習し、**一番よかったもの** を選びます。では「よかった」は何で測ればよいでしょうか。
#
# - 訓練データの正解率: 訓練データに合わせすぎたモデル (過学習 (overfitting)) ほど高くなるので、選ぶ基準になりません
# - テストデータの正解率: これで選ぶと、テストデータに合うハイパーパラメータを選んだことになり、テスト正解率はもう
#   「まだ見ていないデータでの性能 (汎化性能)」の公平な見積もりではなくなります (楽観的に偏ります)
#
# そこで、訓練データの一部を **検証データ** として取り分け、学習には使わずに、ハイパーパラメータの選択だけに使います。
#
# | データ | 使いみち |
# |---|---|
# | 訓練データ (training data) | パラメータ ($W$、$b$ など) の学習 |
# | 検証データ (validation data) | ハイパーパラメータの選択、早期終了 (early stopping) の判定 |
# | テストデータ (test data) | 最後に 1 回だけ、汎化性能を見積もる |
#
# **注意**: 早期終了の判定に「テスト用データの誤差」を使う手順を見かけることがありますが、これも、学習をどこで止めるかという
# ハイパーパラメータをテストデータで選んでいることになります。判定には検証データを使ってください (『ゼロから作るDeep Learning』6.5.1 節も、
# ハイパーパラメータの評価にテストデータを使ってはいけない理由を説明しています)。
#
# 分け方は、ランダムに並べ替えてから先頭の一部を検証データにします。元のデータがクラスの順などで並んでいると、
# 先頭をそのまま切り出すだけでは偏るからです。**x と t は同じ並べ替えで** 並べ替えます。別々に並べ替えると、画像とラベルの対応が壊れます。
#
# ### 演習 3: 訓練データと検証データに分ける


# %% [solution] id=train_validation_split
def train_validation_split(x, t, validation_ratio=0.2, seed=0):
    """(x, t) をランダムに訓練用と検証用に分ける。

    x: (N, ...)、t: ラベル (N,) または one-hot (N, C) (x の行 i と t の行 i が対応)。
    seed から np.random.default_rng で作った乱数生成器でサンプルを並べ替えてから分ける (同じ seed なら同じ分け方)。
    検証データは N × validation_ratio を切り捨てた整数 n_val 個、訓練データは残りの N − n_val 個で、どのサンプルもちょうど
    一方に入る (並べ替えた先頭を検証データにしても末尾にしても、各部分の中の順番が違っても正解)。
    戻り値: ((x_train, t_train), (x_val, t_val))。validation_ratio が 0 < r < 1 でないとき、x と t の個数が違うときは ValueError。
    """
    # ヒント: hint("train_validation_split")
    # @reference train_validation_split


# %% [tests] id=test_train_validation_split points=2 hidden=train_validation_split
x_demo = np.arange(20.0).reshape(10, 2)  # 行 i は [2i, 2i + 1]
t_demo = np.arange(10)  # ラベル i は行 i のもの
shapes = "訓練データと検証データの形状 (N = 10 の 30% と 25%)"
pairs = "x と t の組を崩さずに分ける (N = 10、30%)"
with Properties() as test:
    with test.property(shapes):
        (x_fit_demo, t_fit_demo), (x_val_demo, t_val_demo) = train_validation_split(x_demo, t_demo, 0.3, seed=0)
        check_true(
            x_val_demo.shape == (3, 2) and t_val_demo.shape == (3,), "10 個の 30% (3 個) が検証データのはずです。"
        )
        check_true(x_fit_demo.shape == (7, 2) and t_fit_demo.shape == (7,), "残りの 7 個が訓練データのはずです。")
        (_, _), (x_val_quarter, _) = train_validation_split(x_demo, t_demo, 0.25, seed=1)
        check_true(len(x_val_quarter) == 2, "10 × 0.25 = 2.5 は切り捨てて 2 個です。")
    with test.property(pairs, needs=[shapes]):
        check_array(
            x_val_demo[:, 0], 2 * t_val_demo, "検証データの x と t の対応 (x と t を同じ順番で並べ替えていますか)"
        )
        check_array(x_fit_demo[:, 0], 2 * t_fit_demo, "訓練データの x と t の対応")
    with test.property("どのサンプルもちょうど一方に入る (N = 10、30%)", needs=[pairs]):
        check_array(
            np.sort(np.concatenate([t_fit_demo, t_val_demo])),
            np.arange(10),
            "訓練と検証を合わせたラベル (重複も漏れもない)",
        )
    with test.property("同じ seed なら同じ分け方 (seed=0 で 2 回)", needs=[shapes]):
        again = train_validation_split(x_demo, t_demo, 0.3, seed=0)
        check_array(again[1][1], t_val_demo, "同じ seed で分けた検証データ")
    with test.property("並べ替えてから分ける (N = 10、30%)", needs=[pairs]):
        check_true(
            not np.array_equal(t_val_demo, [0, 1, 2]), "先頭をそのまま切り出さず、並べ替えてから分けてください。"
        )
    with test.property("validation_ratio = 1.0 で ValueError"):
        try:
            train_validation_split(x_demo, t_demo, 1.0)
            raised = False
        except ValueError:
            raised = True
        check_true(raised, "validation_ratio = 1.0 では ValueError を出してください。")
print("公開テスト: OK")

# %% [markdown]
# **記述問題**: ある人が、ハイパーパラメータの組を 200 通り試し、それぞれの **テスト** 正解率 (テストデータ 360 個) を測って、
# いちばん高かった 0.98 を「このモデルの正解率」として報告しました。実は 200 通りの本当の正解率 (無限にデータがあったときの値) は
# どれも同じ 0.95 だったとします。
# (1) 本当の正解率 $p = 0.95$ のモデルを $n = 360$ 個で測ったときの標準誤差 $\sqrt{p(1 - p)/n}$ はいくらですか。
# (2) 本当はどれも 0.95 なのに、報告された値が 0.98 になったのはなぜですか。
# (3) 本当の正解率を偏りなく見積もるには、データをどう分けて、どの順番で何に使えばよかったですか。そのとき、選ばれた組の **検証** 正解率は
# 偏りのない見積もりになりますか。次のセルに答えてください。

# %% [answer] id=why_validation_data points=2
# **模範解答**: (1) $\sqrt{0.95 \times 0.05 / 360} \approx 0.0115$、つまり約 1.1% (正解率 1 個分は $1/360 \approx 0.28\%$)。
# (2) 1 回の測定値は、本当の値 0.95 の周りに標準誤差 1.1% 程度ばらつく。200 回測ってその **最大値** を選ぶと、たまたまテストデータに
# よく当たった (上振れした) 組が選ばれるので、最大値は 0.95 より標準誤差の数倍上になる (正規分布なら 200 個の最大値は平均より
# 約 2.7 標準偏差上で、$0.95 + 2.7 \times 0.0115 \approx 0.98$)。どの組も本当は同じなので、この 3% は選び方が作った見かけの差で、
# 新しいデータでは再現しない。テストデータで選んだ時点で、テストデータはもう「まだ見ていないデータ」ではなくなっている。
# (3) 訓練データの一部を検証データとして取り分け、組の選択 (と早期終了の判定) は検証正解率で行う。選んだ組を訓練データ全体で
# 学習し直し、最後にテストデータで 1 回だけ測る。その値は選択に使っていないので偏りのない見積もりになる。選ばれた組の検証正解率は、
# (2) と同じ理由で上に偏っている (検証データで選んだから) ので、性能の見積もりには使わない。
#
# (採点の目安: (1) 約 0.011 (1.1%) が求められていれば 0.5 点。(2) 多数の候補から最大値を選ぶと、測定のばらつきの上振れが選ばれて
# 楽観的に偏ることが書けていれば 1 点 (大きさの見積もりは不要)。(3) 検証データで選び、テストデータは最後に 1 回だけ使うこと、
# 選ばれた組の検証正解率も楽観的に偏ることが書けていれば 0.5 点。)

# %% [markdown]
# ## 10.4 ハイパーパラメータのランダム探索
#
# 訓練データ 1437 個を、学習用 1150 個と検証用 287 個に分けます。

# %%
(x_fit, t_fit), (x_val, t_val) = train_validation_split(x_train, t_train, validation_ratio=0.2, seed=0)
print("学習用:", x_fit.shape, " 検証用:", x_val.shape, " テスト:", x_test.shape)

# %% [markdown]
# 候補のハイパーパラメータを格子状 (grid) に全部試す代わりに、範囲の中からランダムに選んで試します (ランダム探索 (random search))。
# Bergstra と Bengio (2012) は、結果を大きく左右するハイパーパラメータは少数のことが多く、格子探索では
# 同じ値を何度も試すことになる一方、ランダム探索なら同じ回数でそれぞれの値をより多く試せることを示しました。
#
# 学習率や $\lambda$ のように桁が大事な値は、指数を一様に選びます (対数スケール (log scale))。$10^{u}$、$u$ は一様乱数です。
# 学習率を $3 \times 10^{-4}$ 〜 $3 \times 10^{-3}$ の範囲で、値そのものを一様に選ぶと (線形スケール)、$10^{-3}$ より小さい値が選ばれる
# 確率は約 24% しかなく、試行の 4 分の 3 が上の桁に集まります。範囲の幅のほとんどを上の桁が占めているからです。
# 指数を一様に選べば、どちらの桁も同じ 50% の確率で試せます。
# ここでは隠れ層 [100, 100]、バッチ正規化あり、最適化手法 Adam、バッチサイズ 32 に固定し (これまでの章で効果を確かめた組み合わせです)、
# 次の 2 つを 8 通り探します。
#
# - 学習率: $10^{-3.5} \approx 3 \times 10^{-4}$ 〜 $10^{-2.5} \approx 3 \times 10^{-3}$
# - 荷重減衰の $\lambda$: $10^{-6}$ 〜 $10^{-3}$
#
# 探索は 2 つの関数に分けて書きます。候補を 1 つ引く `sample_config` (演習 4) と、候補を引いては評価し、結果を良い順に並べる
# `random_search` (演習 5) です。
#
# ### 演習 4: 探索の候補を 1 つ引く `sample_config`
#
# 引数の乱数生成器 `rng` (`np.random.Generator`) から、学習率の指数 $u$ ($-3.5$ 以上 $-2.5$ 未満) と $\lambda$ の指数 $v$
# ($-6$ 以上 $-3$ 未満) を一様乱数で引き、$10^{u}$、$10^{v}$ を設定の辞書に入れて返します。隠れ層とバッチ正規化は上の固定の値です。
# 乱数を引く順番や、どの関数で引くかは自由です。テストは、値が範囲に入ること、多数の設定を引いたときに指数が一様に散らばること、
# 同じ状態の `rng` からは同じ設定が出ることを確かめます。


# %% [solution] id=sample_config
def sample_config(rng):
    """ランダム探索の候補 (ハイパーパラメータの設定) を 1 つ引き、新しい辞書で返す。

    rng: np.random.Generator。乱数はこの rng からだけ引く (同じ状態の rng からは同じ設定が出る)。
    学習率 lr = 10**u (u は −3.5 以上 −2.5 未満の一様乱数)、荷重減衰の λ = 10**v (v は −6 以上 −3 未満の一様乱数)。
    u と v を引く順番や関数は問わない。
    戻り値: キーが次の 4 つだけの辞書。"hidden_size_list": [100, 100]、"use_batchnorm": True、"lr": 学習率 (float)、
    "weight_decay_lambda": λ (float)。
    """
    # ヒント: hint("sample_config")
    # @reference sample_config


# %% [tests] id=test_sample_config points=1.5 hidden=sample_config
def uniform_distance(exponents, low, high):
    """指数の標本の経験分布関数と、low 以上 high 未満の一様分布の分布関数の最大のずれ (コルモゴロフ–スミルノフ統計量)。"""
    u = np.sort((np.asarray(exponents, dtype=float) - low) / (high - low))
    n = len(u)
    return float(max(np.max(np.arange(1, n + 1) / n - u), np.max(u - np.arange(n) / n)))


def public_test_sample_config():
    """演習 4 の公開テスト (演習 8 の最終モデルのテストの前提としても使います)。"""
    keys = ["hidden_size_list", "lr", "use_batchnorm", "weight_decay_lambda"]
    in_range = "lr と λ は範囲の中の float (3000 個の設定)"
    with Properties() as test:
        with test.property("返す辞書のキーと、固定の値 (hidden_size_list = [100, 100]、use_batchnorm = True)"):
            config = sample_config(np.random.default_rng(0))
            check_true(isinstance(config, dict), f"設定は辞書で返してください ({type(config).__name__})。")
            check_true(sorted(config) == keys, f"設定のキーは {keys} の 4 つです: {sorted(config)}")
            fixed_batchnorm = isinstance(config["use_batchnorm"], (bool, np.bool_)) and bool(config["use_batchnorm"])
            check_true(
                list(config["hidden_size_list"]) == [100, 100] and fixed_batchnorm,
                "hidden_size_list は [100, 100]、use_batchnorm は True に固定します: "
                f"{config['hidden_size_list']}、{config['use_batchnorm']}",
            )
        with test.property(in_range):
            configs = sample_configs_with_seed(1, 3000)
            lrs = np.array([c["lr"] for c in configs], dtype=float)
            lambdas = np.array([c["weight_decay_lambda"] for c in configs], dtype=float)
            check_true(
                all(isinstance(c[key], (float, np.floating)) for c in configs for key in ("lr", "weight_decay_lambda")),
                "lr と weight_decay_lambda は 1 つの数 (float) にしてください (配列ではなく)。",
            )
            # 範囲の端は、浮動小数点の丸めの分 (相対 1e-12) だけ広げて確かめる
            check_true(
                lrs.min() >= 10**-3.5 * (1 - 1e-12) and lrs.max() <= 10**-2.5 * (1 + 1e-12),
                f"学習率は 10^−3.5 ≈ 3.16e-04 以上 10^−2.5 ≈ 3.16e-03 未満のはずですが、{lrs.min():.3g} 〜 {lrs.max():.3g} です。"
                "lr = 10**u で、u が −3.5 以上 −2.5 未満の一様乱数です。",
            )
            check_true(
                lambdas.min() >= 1e-6 * (1 - 1e-12) and lambdas.max() <= 1e-3 * (1 + 1e-12),
                f"λ は 1e-06 以上 1e-03 未満のはずですが、{lambdas.min():.3g} 〜 {lambdas.max():.3g} です。",
            )
        with test.property("指数 log10(lr)、log10(λ) は一様に散らばる (対数スケール、3000 個の設定)", needs=[in_range]):
            # 正しい実装でも標本のずれは残る。DKW 不等式により、3000 個でずれが 0.065 を超える確率は
            # 2 exp(−2 × 3000 × 0.065²) < 2e-11 (正しい実装が落ちることはまずない)
            for name, values, low, high in [("学習率", lrs, -3.5, -2.5), ("λ", lambdas, -6.0, -3.0)]:
                distance = uniform_distance(np.log10(values), low, high)
                below = np.mean(np.log10(values) < (low + high) / 2)
                check_true(
                    distance <= 0.065,
                    f"{name}の指数が {low} 〜 {high} に一様に散らばっていません (分布のずれ {distance:.3f}、許容 0.065)。"
                    f"指数が範囲の下半分に入った割合は {below:.0%} です (一様なら 50%)。"
                    f"{name}そのものを一様に選んでいませんか (線形スケール)。指数を一様に選び、10 をその指数で累乗します。",
                )
        with test.property("同じ状態の rng なら同じ設定 (seed 5 の 2 つの rng から 3 個ずつ)"):
            first, second = sample_configs_with_seed(5, 3), sample_configs_with_seed(5, 3)
            check_true(
                first == second,
                "同じ seed で作った rng から、違う設定が出ました。乱数は引数の rng からだけ引いてください "
                "(np.random.uniform などは rng とは別の乱数です)。",
            )
            check_true(
                first[0] != first[1],
                "1 つの rng から続けて引いた設定が同じです。呼ぶたびに rng から新しく引き、新しい辞書で返します "
                "(同じ辞書を使い回すと、前に返した設定まで書き換わります)。",
            )


public_test_sample_config()
print("公開テスト: OK")

# %% [markdown]
# ### 演習 5: ランダム探索 `random_search`
#
# `random_search(evaluate, n_trials, seed)` は、`np.random.default_rng(seed)` で乱数生成器を 1 つだけ作り、試行ごとに
# `sample_config` にその生成器を渡して設定を引き、その設定を `evaluate(config)` で 1 回だけ評価します。`evaluate` は、設定から
# ネットワークを作って学習し、少なくとも検証正解率 `"val_acc"` を持つ辞書を返す関数です。評価の方法を引数で受け取るので、
# `random_search` 自身は学習のことを知りません (テストでは、学習をせずに決まった正解率を返す代わりの `evaluate` を渡します)。
#
# 試行ごとに、試行番号 (1 から)、評価した設定、`evaluate` の返した辞書の中身を 1 つの辞書にまとめ、最後に `"val_acc"` の
# 高い順に並べて返します。検証正解率が同じ試行は、試行番号の小さい順にします (先に試したものを上に置く、という約束です)。


# %% [solution] id=random_search
def random_search(evaluate, n_trials, seed=0):
    """ハイパーパラメータのランダム探索。n_trials 個の設定を引いて 1 つずつ評価し、結果を良い順に並べて返す。

    乱数生成器は np.random.default_rng(seed) で 1 つだけ作り、試行ごとに sample_config にその生成器を渡して設定を 1 つ引く
    (全部で n_trials 回。同じ seed なら同じ設定の列になる)。
    evaluate: 設定の辞書を受け取り、少なくとも "val_acc" (検証正解率) を持つ辞書を返す関数。1 つの設定につき 1 回だけ呼ぶ。
    戻り値: 試行ごとの辞書 {"trial": 試行番号 (1 から n_trials), "config": 評価した設定, evaluate が返した辞書の中身} のリスト。
    "val_acc" の高い順に並べ、val_acc が同じなら試行番号の小さい順にする。
    """
    # ヒント: hint("random_search")
    # @reference random_search


# %% [markdown]
# 次のテストでは、`random_search_with_scores` (最初のセルで定義) を使います。学習の代わりに、$k$ 回目の評価で下の表の $k$ 行目の
# 正解率を返す `evaluate` を渡し、`sample_config` も、乱数を 1 つ引いてから決まった設定を返す関数に (呼び出しの間だけ) 差し替えます。
# ですから、演習 4 の `sample_config` がまだ正しくなくても、このテストは `random_search` だけを確かめます。
#
# | 試行 | 学習用の正解率 | 検証正解率 |
# |---|---|---|
# | 1 | 0.95 | 0.90 |
# | 2 | 0.99 | 0.93 |
# | 3 | 0.97 | 0.95 |
# | 4 | 1.00 | 0.93 |
# | 5 | 0.96 | 0.88 |
#
# 検証正解率の高い順は 3 (0.95)、2 と 4 (同点の 0.93、試行番号の小さい 2 が先)、1 (0.90)、5 (0.88) です。


# %% [tests] id=test_random_search points=2 hidden=random_search
def public_test_random_search():
    """演習 5 の公開テスト (演習 8 の最終モデルのテストの前提としても使います)。"""
    accuracies = [(0.95, 0.90), (0.99, 0.93), (0.97, 0.95), (1.00, 0.93), (0.96, 0.88)]
    configs = [
        {"hidden_size_list": [100, 100], "use_batchnorm": True, "lr": lr, "weight_decay_lambda": 1e-5}
        for lr in [1e-3, 2e-3, 3e-3, 4e-3, 5e-3]
    ]
    calls = "sample_config で設定を引き、それぞれを evaluate で 1 回ずつ評価する (5 試行)"
    with Properties() as test:
        with test.property(calls):
            results, evaluated, drawn = random_search_with_scores(accuracies, configs, 3)
            check_true(
                len(drawn) == 5,
                f"n_trials = 5 なのに、sample_config を {len(drawn)} 回呼んでいます (試行ごとに 1 回です)。",
            )
            check_true(
                len(evaluated) == 5,
                f"n_trials = 5 なのに、evaluate を {len(evaluated)} 回呼んでいます (1 つの設定につき 1 回です)。",
            )
            check_true(
                evaluated == configs,
                "evaluate には、sample_config が返した設定をそのまま、引いた順に渡してください。",
            )
        with test.property("乱数は np.random.default_rng(seed) で作った 1 つの生成器から引く (seed = 3)"):
            expected_draws = np.random.default_rng(3).random(5).tolist()
            check_true(
                None not in drawn,
                "sample_config には np.random.default_rng(seed) で作った乱数生成器 (np.random.Generator) を渡してください。",
            )
            check_true(
                drawn != [expected_draws[0]] * 5,
                "どの試行でも同じ乱数が引かれています。乱数生成器を試行ごとに作り直さず、最初に 1 つだけ作ります。",
            )
            check_true(
                drawn == expected_draws,
                "sample_config に渡す乱数生成器は、引数の seed から np.random.default_rng(seed) で作ってください "
                "(seed を使わないと、同じ seed でも探索の結果が変わります)。",
            )
        records = "結果の各要素: trial (1 から)、config、evaluate の値 (5 試行)"
        with test.property(records):
            check_true(
                isinstance(results, list) and len(results) == 5 and all(isinstance(r, dict) for r in results),
                "戻り値は、試行ごとの辞書 5 つのリストにしてください。",
            )
            check_true(
                all(sorted(r) == ["config", "fit_acc", "trial", "val_acc"] for r in results),
                "各要素の辞書のキーは 'trial'、'config' と、evaluate が返した辞書のキー ('fit_acc'、'val_acc') です: "
                f"{[sorted(r) for r in results]}",
            )
            trials = sorted(r["trial"] for r in results)
            check_true(trials == [1, 2, 3, 4, 5], f"試行番号 trial は 1 から数えます: {trials}")
            for r in results:
                k = r["trial"]
                check_true(
                    r["config"] == configs[k - 1],
                    f"試行 {k} の 'config' が、{k} 番目に引いた設定ではありません。",
                )
                check_true(
                    (r["fit_acc"], r["val_acc"]) == accuracies[k - 1],
                    f"試行 {k} の正解率は {accuracies[k - 1]} のはずですが ({r['fit_acc']}, {r['val_acc']}) です。",
                )
        with test.property("val_acc の高い順、同点なら試行番号の小さい順 (5 試行、同点あり)", needs=[records]):
            order = [r["trial"] for r in results]
            check_true(order != [5, 1, 2, 4, 3], "val_acc の低い順になっています。高い順 (良い順) に並べてください。")
            check_true(
                order != [4, 2, 3, 5, 1], "学習用の正解率 fit_acc で並べています。検証正解率 val_acc で並べてください。"
            )
            check_true(
                order != [3, 4, 2, 1, 5],
                f"同点 (試行 2 と 4) の順番が逆です。同点なら試行番号の小さい順にします: {order}",
            )
            check_true(order == [3, 2, 4, 1, 5], f"試行の順番は [3, 2, 4, 1, 5] のはずですが {order} です。")


public_test_random_search()
print("公開テスト: OK")

# %% [markdown]
# いよいよ digits で探索します。時間を節約するため、探索中の学習は 8 エポックで打ち切ります (本格的な探索では、見込みのない候補を
# 早めに打ち切って、よい候補に時間をかけます)。`Trainer` の「テストデータ」の引数には、ここでは **検証データ** を渡します
# (`history['test_acc']` は検証正解率になります)。
#
# 次のセルの `new_network` と `train_network` は、この後の 10.5 節のモデル、MNIST、モデル平均でも使います。`evaluate_on_validation` が、
# `random_search` に渡す評価の関数です。学習したネットワークも結果に入れておきます (後で荷重減衰の効き方を調べるのに使います)。


# %%
def new_network(config, input_size, seed=0):
    """config のハイパーパラメータを持つ MultiLayerNetExtend。重みは default_rng(seed) で引く。"""
    return MultiLayerNetExtend(
        input_size, config["hidden_size_list"], 10, weight_decay_lambda=config["weight_decay_lambda"],
        use_batchnorm=config["use_batchnorm"], rng=np.random.default_rng(seed),
    )  # fmt: skip


def train_network(network, lr, x_tr, t_tr, x_eval, t_eval, epochs, seed=0, show_progress=False):
    """network を Adam (学習率 lr、32 個ずつのミニバッチ) で訓練し、Trainer の history を返す。"""
    trainer = Trainer(
        network, x_tr, t_tr, x_eval, t_eval, epochs=epochs, mini_batch_size=32, optimizer="adam",
        optimizer_param={"lr": lr}, seed=seed, show_progress=show_progress,
    )  # fmt: skip
    return trainer.train()


def evaluate_on_validation(config):
    """config で 8 エポック学習し、学習したネットワークと、学習用データ・検証データの最後の正解率を返す。"""
    search_network = new_network(config, 64)
    search_history = train_network(search_network, config["lr"], x_fit, t_fit, x_val, t_val, epochs=8)
    return {
        "network": search_network,
        "fit_acc": search_history["train_acc"][-1],
        "val_acc": search_history["test_acc"][-1],
    }


results = random_search(evaluate_on_validation, n_trials=8, seed=0)

print("順位  試行  学習率    λ         学習用の正解率  検証正解率")
for rank, result in enumerate(results, start=1):
    config = result["config"]
    print(
        f"{rank:4d}  {result['trial']:4d}  {config['lr']:.2e}  {config['weight_decay_lambda']:.2e}"
        f"  {result['fit_acc']:14.3f}  {result['val_acc']:10.3f}"
    )

# %% [markdown]
# 結果を図にします。横軸が学習率、縦軸が検証正解率、点の色が $\lambda$ です (どちらの軸も対数目盛の指数で色分け)。

# %%
fig, ax = plt.subplots(figsize=(6.5, 4), layout="constrained")
points = ax.scatter(
    [r["config"]["lr"] for r in results],
    [r["val_acc"] for r in results],
    c=[np.log10(r["config"]["weight_decay_lambda"]) for r in results],
    cmap="viridis",
    s=60,
)
fig.colorbar(points, ax=ax, label="$\\log_{10} \\lambda$")
ax.set_xscale("log")
ax.set_xticks([3e-4, 1e-3, 3e-3], labels=["$3 \\times 10^{-4}$", "$10^{-3}$", "$3 \\times 10^{-3}$"])
ax.set_xticks([], minor=True)
ax.set_xlabel("学習率 (対数目盛)")
ax.set_ylabel("検証正解率 (8 エポック後)")
ax.set_title("ランダム探索の結果 (隠れ層 [100, 100]、バッチ正規化、Adam)")
ax.grid(True, alpha=0.3)
plt.show()

# %% [markdown]
# 表と図から読み取れることをまとめます (ここに書いた数値は、模範解答の `sample_config` で引いた設定のものです。乱数の引き方が違えば
# 表の値も変わりますが、読み取れることは同じはずです)。
#
# - 学習率がいちばん小さい試行 ($3.5 \times 10^{-4}$) は、8 エポックでは学習が進みきらず、検証正解率が低くなっています。
#   探索を短い学習で打ち切ると、大きめの学習率が有利に見えるという偏りがあることに注意しましょう (最終モデルはもっと長く学習します)。
# - ほかの 7 通りの検証正解率は 0.990 と 0.993 の 2 つの値に集まっています。検証データは 287 個なので、1 個の差が約 0.35% です。
#   正解率 $p \approx 0.99$ を $n = 287$ 個で測ったときの標準誤差は $\sqrt{p(1-p)/n} \approx 0.6\%$ で、上位の差 (1 個) はその範囲に収まります。
#   この探索だけでは、上位のどれが本当によいのかは決められません。
# - $\lambda$ (点の色) は、この範囲ではほとんど効いていません。
#
# 最後の点を確かめます。$\lambda$ がいちばん大きい試行の、学習を終えた重みで、損失の勾配 $\partial E_\text{data}/\partial W$ と
# 荷重減衰の勾配 $\lambda W$ の大きさ (全成分の二乗和の平方根) を比べます (訓練用の先頭 256 個のミニバッチで測ります)。

# %%
largest = max(results, key=lambda result: result["config"]["weight_decay_lambda"])
decay_network = largest["network"]
decay_grads = decay_network.gradient(x_fit[:256], t_fit[:256])  # データの勾配に lambda * W を足したもの
print(f"試行 {largest['trial']} (λ = {decay_network.weight_decay_lambda:.2e})")
for key in [key for key in decay_network.params if key.startswith("W")]:
    decay_part = decay_network.weight_decay_lambda * decay_network.params[key]
    data_norm, decay_norm = np.linalg.norm(decay_grads[key] - decay_part), np.linalg.norm(decay_part)
    print(f"{key}: ‖∂E_data/∂W‖ = {data_norm:.2e}  ‖λW‖ = {decay_norm:.2e}  比 {decay_norm / data_norm:.3f}")

# %% [markdown]
# λ がいちばん大きい試行でも、$\lambda W$ は損失の勾配の 2 割にも届きません (上の「比」)。Adam + L2 では、縮める力 $\lambda W$ は
# 損失の勾配と足し合わされてから、同じ $\sqrt{\hat{v}}$ で割られます (第 9 章 9.5 節)。更新の中で減衰が占める割合もこの比の程度に
# とどまるので、この範囲の λ を変えても結果がほとんど変わらないのです。重みを縮める効果をはっきり効かせたいときは、第 9 章の結論どおり、
# 損失には λ を入れず (`weight_decay_lambda=0.0`)、減衰を勾配から切り離した AdamW (`optimizer="adamw"`、
# `optimizer_param={"lr": ..., "weight_decay": ...}`) を使います。ここでは探索の結果に従い、最終モデルも同じ Adam + L2 で学習します。
#
# 検証正解率が同じときは、先に試した試行を上にしました。差が誤差の範囲なら、どれを選んでも最終的な性能はほとんど変わらないはずです。
# より確かに選びたいときは、検証データを増やすか、データの分け方を変えて何度か測って平均します (交差検証 (cross-validation))。
#
# ## 10.5 訓練データ全体で学習し直す
#
# 選んだハイパーパラメータで、最後のモデルを学習します。検証データの役目 (選択) は終わったので、学習用と検証用を合わせた
# 訓練データ全体 (1437 個) で、30 エポック学習し直します。データが多いほど、よいモデルになるからです。
#
# 仕上げに、学習率を 1/10 にしてさらに 5 エポック学習します (学習率の減衰 (learning rate decay))。大きな学習率のままだと、
# パラメータは損失の谷の底の周りを揺れ続け、どのエポックで止めるかで正解率が 1% 近く変わります (下の学習曲線)。
# 学習率を下げると 1 回の更新が小さくなって揺れが収まり、止める場所による違いが小さくなります。
# 2 回目の `Trainer` は新しい Adam を作るので、Adam の内部状態 ($m$、$v$) は 0 から始まります。
#
# テストデータはここで初めて使います。`Trainer` はエポックごとにテスト正解率を記録しますが、それを見てエポック数などを
# 選び直してはいけません (それはテストデータでハイパーパラメータを選ぶことです)。
#
# 学習したネットワークは `first_network`、それを書き出した辞書は `first_model` です。`export_model` (最初のセルで定義) は、
# PyTorch の `model.state_dict()` に当たるものです。推論に必要なのは `params` だけではありません。
# バッチ正規化の移動平均は学習で決まる値ですが、勾配で更新するパラメータではないので `params` には入っておらず、各 `BatchNormalization`
# レイヤが持っています (PyTorch でも、`running_mean`、`running_var` は `parameters()` ではなく「バッファ」として `state_dict()` に入ります)。
# 採点するのはこのモデルではなく、10.8 節で仕上げる最終モデルです。

# %%
best_config = results[0]["config"]
print(f"選んだハイパーパラメータ: 学習率 {best_config['lr']:.2e}、λ {best_config['weight_decay_lambda']:.2e}")
first_network = new_network(best_config, 64)
main_history = train_network(
    first_network, best_config["lr"], x_train, t_train, x_test, t_test, epochs=30, show_progress=True
)
finish_history = train_network(
    first_network, best_config["lr"] / 10, x_train, t_train, x_test, t_test, epochs=5, seed=1
)
first_history = {key: main_history[key] + finish_history[key] for key in main_history}
first_model = export_model(first_network)
print(f"30 エポック後のテスト正解率 {main_history['test_acc'][-1]:.4f}")
print(f"学習率を 1/10 にして 5 エポック後のテスト正解率 {first_network.accuracy(x_test, t_test):.4f}")

# %% [markdown]
# このモデルの学習曲線です。`train_loss` はミニバッチごとに記録されているので、エポックごとの平均にしてから描きます。
# 破線より右が、学習率を 1/10 にした 5 エポックです。

# %%
batches_per_epoch = int(np.ceil(len(x_train) / 32))
epoch_loss = np.mean(np.reshape(first_history["train_loss"], (-1, batches_per_epoch)), axis=1)
fig = plot_learning_curves(
    {"train_loss": epoch_loss, "train_acc": first_history["train_acc"], "test_acc": first_history["test_acc"]},
    title="10.5 節のモデルの学習曲線 (digits、訓練データ全体で学習。破線より右は学習率 1/10)",
)
for axis in fig.axes:
    axis.axvline(30.5, color="gray", linestyle="--")
plt.show()

# %% [markdown]
# 訓練正解率は数エポックで 100% に達しますが、テスト正解率はその後も 97〜98.5% の間で上下し続けます
# (テストデータ 360 個なので、1 個 = 約 0.28%)。訓練データはすでにすべて正しく分類できていて、学習は見分けにくい数個の画像の周りで
# 境界を少しずつ動かしているだけだからです。学習率を下げた後の揺れは小さめですが、それでも数個の差は残ります。
# 最終的なテスト正解率は、このくらいの揺れを含んだ値だと考えてください。この例では、学習率を下げる前 (30 エポック後) のほうが
# テスト正解率が 2 個分高くなっていますが、これも揺れの範囲です。テスト正解率を見て「30 エポックで止めたほうがよかった」と選び直すのは、
# まさにテストデータでハイパーパラメータを選ぶことになります。
#
# バッチ正規化の移動平均が推論にどれだけ効いているかも見ておきましょう。`export_model` の辞書から、移動平均を
# 「平均 0、分散 1」(学習前の値) に戻したネットワークを組み立て直して、正解率を比べます。
# (10.5 節のモデルがバッチ正規化を使っていない場合は、比べるものがないのでそう表示します。)


# %%
def network_from_model(model, running_stats=True):
    """export_model の辞書から推論用の MultiLayerNetExtend を作り直す (移動平均の統計量を使わないこともできる)。"""
    params = model["params"]
    num_layers = sum(key.startswith("W") for key in params)
    hidden = [params[f"W{i}"].shape[1] for i in range(1, num_layers)]
    use_bn = "gamma1" in params
    activation = "relu" if model["relu"] else "sigmoid"
    network = MultiLayerNetExtend(params["W1"].shape[0], hidden, params[f"W{num_layers}"].shape[1],
                                  activation=activation, use_batchnorm=use_bn)  # fmt: skip
    for key, value in params.items():
        network.params[key][...] = value  # その場で書き込む: レイヤがこれらの配列を持っている
    for name in model["running_mean"] if running_stats else []:
        network.layers[name].running_mean = model["running_mean"][name].copy()
        network.layers[name].running_var = model["running_var"][name].copy()
    return network


rebuilt = network_from_model(first_model)
print(f"書き出した辞書から組み立て直したネットワークのテスト正解率: {rebuilt.accuracy(x_test, t_test):.4f}")
if first_model["running_mean"]:
    without_stats = network_from_model(first_model, running_stats=False)
    print(f"移動平均を学習前の値 (平均 0、分散 1) のままにした場合: {without_stats.accuracy(x_test, t_test):.4f}")
else:
    print("10.5 節のモデルはバッチ正規化を使っていないので、移動平均はありません。")

# %% [markdown]
# 移動平均を学習前の値のままにすると、正解率は大きく下がります。学習中に各層の入力の分布は大きく変わっていて、
# 平均 0、分散 1 という仮定で正規化すると、その後の層が学習したときとまったく違う値を受け取るからです。
#
# **記述問題**: 特徴が 1 つだけのバッチ正規化レイヤ ($\gamma = 1$、$\beta = 0$、$\varepsilon$ は無視) が、学習で移動平均
# `running_mean = 5`、`running_var = 4` を得たとします。このレイヤで推論します。
# (1) 移動平均で正規化する (推論モード) とき、入力 $x = 7$ を 1 個だけ入れた場合と、$x = 7$、$x = 9$ の 2 個を 1 つのバッチで入れた場合の、
# $x = 7$ に対する出力はそれぞれいくつですか。
# (2) 推論でも「入力されたバッチ自身の平均と分散」で正規化したとすると、同じ 2 つの場合の $x = 7$ に対する出力はそれぞれどうなりますか
# (1 個のときの分散に注意)。
# (3) (1) と (2) の結果から、学習したモデルを保存して配るときに `params` ($W$、$b$、$\gamma$、$\beta$) だけでなく移動平均も保存する
# 必要がある理由を説明してください。次のセルに答えてください。

# %% [answer] id=why_running_statistics points=2
# **模範解答**: (1) 推論モードの出力は $(x - 5)/\sqrt{4} = (x - 5)/2$ なので、$x = 7$ の出力は 1 個でも 2 個のバッチでも $1$。
# ほかに何が一緒に入力されても変わらない。
# (2) 1 個だけのときは平均 7、分散 0 なので $(7 - 7)/\sqrt{0 + \varepsilon} = 0$ で、出力は $\beta = 0$。入力がいくつでも 0 になり、
# どの入力にも同じ予測しか出せない。2 個のときは平均 8、分散 1 なので $(7 - 8)/1 = -1$。同じ $x = 7$ なのに、一緒に入力した
# データによって出力 (予測) が 0 にも $-1$ にもなる。
# (3) 推論の結果が入力そのものだけで決まり、学習時の分布に合った正規化になるのは、学習中に集めた移動平均を使うときだけである。
# 移動平均は学習で決まる値だが、勾配で更新するパラメータではないので `params` には入っていない。保存しないと、受け取った側は
# 学習前の値 (平均 0、分散 1) で正規化するか、バッチの統計量を使うことになり、(2) のように予測がおかしくなる
# (この章のモデルでも、移動平均を学習前の値にすると正解率が大きく下がった)。
#
# (採点の目安: (1) どちらも 1 が求められていれば 0.5 点。(2) 1 個では 0 ($\beta$)、2 個では $-1$ で、出力がバッチの中身に依存することが
# 書けていれば 0.5 点。(3) 移動平均は params に含まれないが推論に必要な学習済みの値で、保存しないと推論の正規化が学習時と別物に
# なることが書けていれば 1 点。)

# %% [markdown]
# ## 10.6 同じコードで MNIST を学習する
#
# ここまでのコードは入力の大きさに依存しないので、`new_network` に 28 × 28 = 784 を渡すだけで、MNIST にもそのまま使えます。
# MNIST は自動ではダウンロードしません。使う場合は、次の 4 つのファイルを 1 つのディレクトリに置いてください (`.gz` のままでかまいません)。
#
# - `train-images-idx3-ubyte.gz`、`train-labels-idx1-ubyte.gz`、`t10k-images-idx3-ubyte.gz`、`t10k-labels-idx1-ubyte.gz`
# - 入手先の例: `https://ossci-datasets.s3.amazonaws.com/mnist/` (PyTorch の torchvision が使うミラー)
#
# 置き場所は、環境変数 `MNIST_DIR` で指定するか、ホームディレクトリの `mnist` (`~/mnist`) にします。ファイルがなければ、この節は
# 何もせずに飛ばします (採点にも影響しません)。ある場合は、選んだハイパーパラメータで 5 エポック学習します。
# 訓練データが digits の 40 倍以上、入力が 12 倍以上あるので、2 コアの計算機で数十秒かかります。

# %%
MNIST_DIR = Path(os.environ.get("MNIST_DIR", Path.home() / "mnist"))
try:
    (xm_train, tm_train), (xm_test, tm_test) = load_mnist(MNIST_DIR)
except FileNotFoundError:
    print("MNIST のファイルが見つからないので、この節の学習は飛ばします (MNIST_DIR か ~/mnist に置くと実行されます)。")
else:
    print("MNIST:", xm_train.shape, xm_test.shape)
    mnist_network = new_network(best_config, xm_train.shape[1])
    mnist_history = train_network(
        mnist_network, best_config["lr"], xm_train, tm_train, xm_test, tm_test, epochs=5, show_progress=True
    )
    print(f"MNIST のテスト正解率 {mnist_history['test_acc'][-1]:.4f}")

# %% [markdown]
# ## 10.7 モデル平均
#
# 別々に学習した複数のネットワークの予測を平均すると、一般に 1 つのネットワークより精度が上がります。これをモデル平均
# (model averaging)、またはアンサンブル (ensemble) と呼びます。組み合わせるネットワークは、構造の違うもの、同じ構造で初期値 (シード) を
# 変えたもの、訓練データの選び方を変えたものなどで、どれも互いに独立に学習します。
#
# $K$ 個のネットワークのスコアを $\boldsymbol{s}^{(1)}, \dots, \boldsymbol{s}^{(K)}$ とすると、平均するのは **確率** です。
#
# $$
# \bar{\boldsymbol{p}} = \frac{1}{K} \sum_{k=1}^{K} \operatorname{softmax}\bigl(\boldsymbol{s}^{(k)}\bigr), \qquad
# \text{予測} = \arg\max_c\, \bar{p}_c
# $$
#
# スコア (ソフトマックス前) を平均してからソフトマックスをかける方法もあります。こちらは確率の幾何平均を正規化したものに当たり、
# 別の平均の取り方です (結果は多くの場合よく似ています)。この演習では、各ネットワークの出力 (ソフトマックスの確率) をそのまま平均します。
#
# 確率の平均には、もう 1 つよい性質があります。$-\log$ は凸関数なので、イェンセンの不等式 (Jensen's inequality) から、正解クラスの確率について
# $-\log \bigl(\frac{1}{K}\sum_k p^{(k)}\bigr) \le \frac{1}{K}\sum_k \bigl(-\log p^{(k)}\bigr)$ が成り立ちます。
# つまり、平均した確率の交差エントロピー誤差は、各ネットワークの交差エントロピー誤差の **平均** を必ず下回るか等しくなります
# (一番よいネットワーク単独より小さくなるとは限りません)。
#
# 欠点は、学習も推論も $K$ 倍の計算がかかることです。ドロップアウトは、1 つのネットワークの中で、ユニットを間引いた多数のネットワークを
# 学習して平均するのに近い効果を、少ない計算で得る方法だと解釈されています。
#
# ### 演習 6: 確率の平均


# %% [solution] id=average_probabilities
def average_probabilities(scores_list):
    """モデル平均: K 個のモデルのソフトマックス確率の平均。

    scores_list: K 個のスコアの配列 (それぞれ形状 (N, C)、同じ N 個のサンプルに対する predict の出力) のリスト、
    または形状 (K, N, C) の配列。
    戻り値: 形状 (N, C) の (1/K) Σ_k softmax(scores_k)。各行は確率 (和が 1)。
    スコアが数百の大きさでもオーバーフローせずに正しい値を返す。
    """
    # ヒント: hint("average_probabilities")
    # @reference average_probabilities


# %% [tests] id=test_average_probabilities points=2 hidden=average_probabilities
# 1 つ目のモデルのスコア [0, 0] → 確率 [1/2, 1/2]、2 つ目の [log 3, 0] → [3/4, 1/4]。平均は [5/8, 3/8]
scores_a, scores_b = np.array([[0.0, 0.0]]), np.array([[np.log(3.0), 0.0]])
two_rows = np.array([[1000.0, 1000.0], [0.0, np.log(3.0)]])
with Properties() as test:
    with test.property("確率の平均 (K = 2 と K = 1 のスコアのリスト)"):
        check_array(average_probabilities([scores_a, scores_b]), [[0.625, 0.375]], "2 つのモデルの確率の平均")
        # スコアを先に平均すると [log 3 / 2, 0] → [√3 / (1 + √3), 1 / (1 + √3)] ≈ [0.634, 0.366] で、確率の平均とは違う
        check_true(
            not np.allclose(
                average_probabilities([scores_a, scores_b]), [[np.sqrt(3) / (1 + np.sqrt(3)), 1 / (1 + np.sqrt(3))]]
            ),
            "スコアを平均してからソフトマックスをかけています。ソフトマックスを先にかけてください。",
        )
        # 1 つだけならそのモデルのソフトマックス。N = 2 行でも各行の和は 1
        check_array(average_probabilities([two_rows]), [[0.5, 0.5], [0.25, 0.75]], "1 つのモデル (N = 2)")
    with test.property("形状 (K, N, C) の配列で渡しても同じ (K = 3、N = 2)"):
        check_array(
            average_probabilities(np.stack([two_rows, two_rows, two_rows])),
            [[0.5, 0.5], [0.25, 0.75]],
            "(K, N, C) の配列",
        )
    with test.property("スコアが数百の大きさでも値が正しい (1000 と −700 のスコア)"):
        # [1000, 1000 + log 3] → [1/4, 3/4] (差だけで決まる)、[−700, −700] → [1/2, 1/2]。平均は [3/8, 5/8]
        large = [np.array([[1000.0, 1000.0 + np.log(3.0)]]), np.array([[-700.0, -700.0]])]
        check_array(average_probabilities(large), [[0.375, 0.625]], "スコアが 1000 と −700 の 2 つのモデルの確率の平均")
print("公開テスト: OK")

# %% [markdown]
# 同じ構造のネットワークを、シードだけ変えて 5 つ学習し、平均してみます。ここでは、1 つ 1 つはあまり強くない (学習の短い) ネットワーク
# (隠れ層 [100, 100]、バッチ正規化なし、Adam の学習率 0.01、5 エポック) を使います。テストデータは効果を測るためだけに使い、
# 何かを選ぶのには使いません。

# %%
ensemble_config = {"hidden_size_list": [100, 100], "lr": 0.01, "weight_decay_lambda": 0.0, "use_batchnorm": False}
member_scores = []
for seed in range(5):
    member = new_network(ensemble_config, 64, seed=seed)
    train_network(member, ensemble_config["lr"], x_train, t_train, x_test, t_test, epochs=5, seed=seed)
    member_scores.append(member.predict(x_test))


def accuracy_of(probabilities, t):
    return float(np.mean(probabilities.argmax(axis=1) == t))


def cross_entropy_of(probabilities, t):
    return cross_entropy_error(probabilities, t)


member_probabilities = [softmax(scores) for scores in member_scores]
print("モデル  テスト正解率  交差エントロピー誤差")
for k, probabilities in enumerate(member_probabilities, start=1):
    print(f"{k:6d}  {accuracy_of(probabilities, t_test):12.3f}  {cross_entropy_of(probabilities, t_test):20.3f}")
mean_accuracy = np.mean([accuracy_of(p, t_test) for p in member_probabilities])
mean_loss = np.mean([cross_entropy_of(p, t_test) for p in member_probabilities])
ensemble = average_probabilities(member_scores)
print(f"  平均  {mean_accuracy:12.3f}  {mean_loss:20.3f}")
print(f"5 個の確率の平均  {accuracy_of(ensemble, t_test):.3f}  {cross_entropy_of(ensemble, t_test):.3f}")
logit_average = softmax(np.mean(member_scores, axis=0))
print(f"(参考) スコアの平均  {accuracy_of(logit_average, t_test):.3f}  {cross_entropy_of(logit_average, t_test):.3f}")

# %% [markdown]
# 平均するネットワークの数 $K$ を 1 から 5 まで増やしたときの正解率と交差エントロピー誤差です。

# %%
ks = np.arange(1, 6)
ensemble_accuracy = [accuracy_of(average_probabilities(member_scores[:k]), t_test) for k in ks]
ensemble_loss = [cross_entropy_of(average_probabilities(member_scores[:k]), t_test) for k in ks]
fig, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
axes[0].plot(ks, ensemble_accuracy, "o-", label="先頭の K 個の平均")
axes[0].scatter(
    ks, [accuracy_of(p, t_test) for p in member_probabilities], color="gray", marker="x", label="K 番目のモデル単独"
)
axes[0].set_ylabel("テスト正解率")
axes[1].plot(ks, ensemble_loss, "o-", label="先頭の K 個の平均")
axes[1].scatter(
    ks,
    [cross_entropy_of(p, t_test) for p in member_probabilities],
    color="gray",
    marker="x",
    label="K 番目のモデル単独",
)
axes[1].set_ylabel("交差エントロピー誤差")
for axis in axes:
    axis.set_xlabel("平均するモデルの数 K")
    axis.set_xticks(ks)
    axis.grid(True, alpha=0.3)
    axis.legend()
fig.suptitle("モデル平均の効果 (digits のテストデータ)")
plt.show()

# %% [markdown]
# 1 つ 1 つのネットワークのテスト正解率は 94.7〜97.2% (平均 96.2%) ですが、5 つの確率を平均すると 97.8% になり、
# どのネットワーク単独よりも高くなりました。交差エントロピー誤差も、5 つの平均 0.119 から 0.089 に下がっています (イェンセンの不等式のとおり)。
# ただし、交差エントロピー誤差がいちばん小さいネットワーク単独 (3 番目) よりはわずかに大きく、保証されているのは「平均より小さい」ことだけです。
# スコアの平均 (参考) も、ほぼ同じ結果になりました。図のように、平均するネットワークを増やすほど効果は頭打ちになっていきます。
#
# 平均の効果が大きいのは、ネットワークどうしの誤りが重ならないときです。構造もデータも同じで、シードだけが違うネットワークでも、
# 初期値とミニバッチの順番が違うので、誤る画像が少しずつ違い、平均すると誤りが打ち消し合います。

# %% [markdown]
# ## 10.8 データ拡張: 見たことのない「ずれ」に強くする
#
# 10.5 節のモデルは、テストデータで 97% 以上の正解率でした。ただし digits のテスト画像は、訓練画像と同じように、数字が枠の
# ほぼ中央に書かれています。実際に入ってくる画像は、書く位置が少しずれていたり、読み取りのノイズが乗っていたりします。
# `load_shifted_digits_test()` は、テスト画像の 1 枚 1 枚を上下左右に最大 1 画素ずらし (外から入ってくる画素は 0)、
# 標準偏差 0.05 のノイズを加えた 360 枚です (ラベルはテストデータと同じ)。人が見れば、ほとんど同じ数字に見えます。

# %%
x_shifted, t_shifted = load_shifted_digits_test()
print(f"10.5 節のモデル: テスト正解率 {first_network.accuracy(x_test, t_test):.3f}、"
      f"ずらしたテスト画像での正解率 {first_network.accuracy(x_shifted, t_shifted):.3f}")  # fmt: skip
fig, axes = plt.subplots(2, 6, figsize=(9, 3.4), layout="constrained")
for column in range(6):
    for row, images in enumerate([x_test, x_shifted]):
        axes[row, column].imshow(images[column].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        axes[row, column].set_xticks([])
        axes[row, column].set_yticks([])
    axes[0, column].set_title(f"正解 {t_test[column]}")
axes[0, 0].set_ylabel("元の画像")
axes[1, 0].set_ylabel("ずらした画像")
plt.show()

# %% [markdown]
# 正解率が大きく下がりました。8 × 8 の画像では、1 画素のずれは幅の 1/8 にあたります。全結合のネットワークは、1 つ 1 つの重みが
# 「どの位置の画素か」に結び付いていて、隣り合う画素が似た意味を持つことを知りません。学習に使った画像に 1 画素ずれた数字がなければ、
# ずれた数字は、ネットワークにとって見たことのない模様です (畳み込みニューラルネットワーク (CNN) は、同じ重みを画像のあらゆる位置で
# 使うので、ずれにずっと強くなります)。
#
# **データ拡張 (data augmentation)** は、ラベルを変えない変換を訓練画像にかけて、訓練データを水増しする方法です。
# 「ずれても、ノイズが乗っても同じ数字」という知識を、データの形でネットワークに教えます。変換は、データの意味を変えないものを選びます。
#
# - digits に向く変換: 1 画素程度の平行移動、小さな回転、弱いノイズ。
# - 向かない変換: 左右反転 (「2」や「7」を反転させると数字ではなくなる)、大きな平行移動 (8 × 8 の枠から線がはみ出す)、
#   強いノイズ (人にも読めなくなる)。
# - 拡張するのは訓練データだけです。検証データとテストデータは、実際に入ってくるデータの代わりなので、そのまま使います。
#
# データ拡張が効くのは、テスト時に起きる変化が、訓練データに足りていないときです。訓練データにすでに十分な変化があるとき、
# 意味を変えてしまう変換を使ったとき、モデルが小さすぎて変化を覚えきれないときは、効かないか、かえって悪くなります。
#
# ### 演習 7: 画像をずらしてノイズを加える `augment_digits`
#
# 画像 1 枚ごとに、縦のずれ $d_y$ と横のずれ $d_x$ を $-$`max_shift` 以上 `max_shift` 以下の整数から一様に選び、画像全体をその分だけ
# 動かします ($d_y = 1$ なら 1 行下へ、$d_x = 1$ なら 1 列右へ)。枠の外から入ってくる画素は 0 にします。反対側からはみ出した画素を
# 戻してはいけません (`np.roll` はそうするので、このままでは使えません)。最後に、画素ごとに独立な正規分布 $N(0, \sigma^2)$
# ($\sigma$ は `noise_std`) のノイズを足します。


# %% [solution] id=augment_digits
def augment_digits(x, rng, max_shift=1, noise_std=0.0):
    """8 × 8 の画像を 1 枚ずつランダムにずらし、ノイズを加えた新しい配列を返す。

    x: 形状 (N, 64) の画像 (8 × 8 を行ごとに並べたもの)。書き換えない。rng: すべての乱数を引く np.random.Generator。
    画像ごとに (d_y, d_x) を −max_shift 〜 max_shift (両端を含む) の整数から一様に選び、その分だけ下・右へ動かす (負なら上・左へ)。
    外から入ってくる画素は 0 (反対側からは戻さない)。そのあと画素ごとに独立な N(0, noise_std²) のノイズを足す (noise_std = 0 なら足さない)。
    戻り値: 形状 (N, 64) の float64 の新しい配列。
    """
    # ヒント: hint("augment_digits")
    # @reference augment_digits


# %% [tests] id=test_augment_digits points=2 hidden=augment_digits
def public_test_augment_digits():
    """演習 7 の公開テスト (演習 8 の最終モデルのテストの前提としても使います)。"""
    # 1 画素だけ明るい画像 (位置 (3, 4)) を 900 枚並べる。ずらした画像は、明るい画素が (3 + d_y, 4 + d_x) に動いた画像になる
    one_pixel = np.zeros((8, 8))
    one_pixel[3, 4] = 1.0
    copies = np.tile(one_pixel.reshape(1, 64), (900, 1))
    with Properties() as test:
        with test.property("画像ごとのずれ (1 画素だけ明るい画像 900 枚、max_shift = 1)"):
            moved = augment_digits(copies, np.random.default_rng(0))
            check_true(
                isinstance(moved, np.ndarray) and moved.shape == (900, 64),
                "戻り値は形状 (N, 64) の配列にしてください。",
            )
            check_true(moved.dtype == np.float64, f"戻り値の dtype は float64 にしてください ({moved.dtype})。")
            check_true(
                np.all(np.sum(moved == 1.0, axis=1) == 1) and np.all(np.sum(moved != 0.0, axis=1) == 1),
                "どの画像も、明るい画素 1 つだけが動いた画像になるはずです (noise_std = 0 ではノイズを足しません)。",
            )
            rows, columns = np.divmod(moved.argmax(axis=1), 8)
            check_true(
                np.all(np.abs(rows - 3) <= 1) and np.all(np.abs(columns - 4) <= 1),
                "max_shift = 1 なのに、1 画素より大きく動いた画像があります。",
            )
            counts = np.zeros((3, 3), dtype=int)
            np.add.at(counts, (rows - 3 + 1, columns - 4 + 1), 1)
            shown = f"(d_y, d_x) ごとの枚数 (行が d_y = −1, 0, 1、列が d_x = −1, 0, 1): {counts.tolist()}"
            check_true(
                np.all(counts > 0),
                "選ばれない (d_y, d_x) があります。ずれは −max_shift 以上 max_shift 以下の整数から選びます (max_shift も含めます)。"
                "すべての画像を同じだけずらしていませんか (画像ごとに選びます)。" + shown,
            )
            # 一様なら各 100 枚前後 (標準偏差は約 9.4 枚)。50〜150 枚の外に出る確率は、正しい実装で 1e-6 未満
            check_true(np.all((counts >= 50) & (counts <= 150)), "9 通りのずれが一様に選ばれていないようです。" + shown)
        with test.property("枠の外から入る画素は 0 (隅 (0, 0) の画素だけ明るい画像 200 枚)"):
            # 左上の隅 (0, 0) の画素を上か左へずらすと、枠の外へ出て消える (反対側の端に戻ってはいけない)
            corner = np.zeros((8, 8))
            corner[0, 0] = 1.0
            moved_corner = augment_digits(np.tile(corner.reshape(1, 64), (200, 1)), np.random.default_rng(1))
            moved_corner = moved_corner.reshape(200, 8, 8)
            check_true(
                moved_corner[:, 7, :].sum() == 0 and moved_corner[:, :, 7].sum() == 0,
                "枠の外へ出た画素が反対側の端 (8 行目か 8 列目) に現れています。"
                "np.roll のように回り込ませず、外から入る画素を 0 にしてください。",
            )
            check_true(
                np.any(np.all(moved_corner == 0.0, axis=(1, 2))),
                "隅の画素を上か左へずらした画像は、すべて 0 になるはずです (はみ出した画素は消えます)。",
            )
        with test.property("max_shift = 0、noise_std = 0 ならもとの画像のまま (5 枚)"):
            # max_shift = 0、noise_std = 0 なら元と同じ画像 (ただし新しい配列)
            same = augment_digits(copies[:5], np.random.default_rng(2), max_shift=0)
            check_array(same, copies[:5], "augment_digits(x, rng, max_shift=0) (ずらさず、ノイズもなし)")
            check_true(not np.shares_memory(same, copies), "x とは別の新しい配列を返してください。")
        with test.property("足すノイズは平均 0、標準偏差 noise_std (0 の画像 1000 枚、noise_std = 0.1)"):
            # ノイズだけ: 0 の画像 1000 枚に σ = 0.1。64000 個の値の標準偏差は 0.1 ± 0.003 に入る (外れる確率は 1e-20 未満)
            noise_only = augment_digits(np.zeros((1000, 64)), np.random.default_rng(3), max_shift=0, noise_std=0.1)
            check_between(
                float(np.std(noise_only)), 0.097, 0.103, "ノイズの標準偏差 (noise_std = 0.1)",
                hint="noise_std は標準偏差です (分散ではありません)。標準正規分布の乱数に noise_std を掛けます。",
            )  # fmt: skip
            check_true(
                abs(float(np.mean(noise_only))) < 0.003, "ノイズの平均が 0 から離れています (平均 0 の正規分布です)。"
            )
        with test.property("引数の x を書き換えない (1 画素だけ明るい画像 900 枚、max_shift = 1、noise_std = 0.1)"):
            copies_before = copies.copy()
            augment_digits(copies, np.random.default_rng(4), max_shift=1, noise_std=0.1)
            check_array(copies, copies_before, "呼び出し後の x (x を書き換えていませんか。新しい配列を作ってください)")


public_test_augment_digits()
print("公開テスト: OK")

# %% [markdown]
# ### 演習 8: データ拡張で最終モデルを学習する (採点対象: 学習済みネットワーク)
#
# 10.5 節の学習 (Adam で 30 エポック、学習率を 1/10 にしてさらに 5 エポック) を出発点に、`augment_digits` でずらした画像を
# 訓練データに加えて学習する関数 `train_final_model` を書いてください。何枚の拡張画像を加えるか、`noise_std` をいくつにするか、
# 何エポック学習するかは自由です (拡張画像を何組か作って元の訓練データと合わせ、エポック数はその分減らす、が 1 つのやり方です)。
# その下のセルが、学習したネットワークを `final_network` に、書き出した辞書を `final_model` に入れます。
#
# **採点では、`final_model` に書き出されたパラメータとバッチ正規化の移動平均から、こちらでネットワークを組み立て直し、推論モードで
# (1) digits のテスト正解率と、(2) 採点のたびに新しく作る「ずらしてノイズを加えたテスト画像」(上の `x_shifted` と同じ作り方で、
# 乱数だけが違う 360 枚を 5 組、1800 枚) での正解率を計算します。(1) が 97% 以上、(2) が 90% 以上なら満点です。** 10.5 節のモデルのままでは (2) に
# 届きません。`x_shifted` は評価のためだけに使い、学習には使わないでください (採点に使う画像は、それとは別に作られます)。
# 層の並びと名前は演習 1 のとおりにしてください。学習は 10 秒程度に収めてください。


# %% [solution] id=train_final_model
def train_final_model(x_train, t_train, config, seed=0):
    """データ拡張を使って最終モデルを学習し、学習した MultiLayerNetExtend を返す。

    x_train: 形状 (N_train, 64) の訓練画像 (値は 0〜1)、t_train: 形状 (N_train,) のラベル。
    config: 10.4 節の探索で選んだ設定 ('hidden_size_list'、'use_batchnorm'、'weight_decay_lambda'、'lr')。
    seed: 重みの初期値、拡張に使う乱数、Trainer の並べ替えを決める整数。
    訓練データに augment_digits で作った画像を加えて (ラベルはもとの画像と同じ)、MultiLayerNetExtend を Trainer で学習する。
    """
    # ヒント: hint("train_final_model")
    # @reference train_final_model


# %%
final_network = train_final_model(x_train, t_train, best_config)
final_model = export_model(final_network)
print(f"最終モデル: テスト正解率 {final_network.accuracy(x_test, t_test):.3f}、"
      f"ずらしたテスト画像での正解率 {final_network.accuracy(x_shifted, t_shifted):.3f}")  # fmt: skip

# %% [tests] id=test_final_model points=4 hidden=final_model
with Properties() as test:
    with test.property("final_model から推論用のネットワークを組み立てられる (辞書の形と、有限のパラメータ)"):
        check_true(
            isinstance(final_model, dict) and "params" in final_model,
            "final_model = export_model(final_network) としてください。",
        )
        check_true(
            all(np.all(np.isfinite(value)) for value in final_model["params"].values()),
            "パラメータに nan または inf があります。学習率が大きすぎて発散していませんか。",
        )
    earlier = {
        "演習 4 (sample_config)": public_test_sample_config,
        "演習 5 (random_search)": public_test_random_search,
        "演習 7 (augment_digits)": public_test_augment_digits,
    }
    if builds_on(earlier):
        with test.property("digits のテスト正解率が 97% 以上 (x_test)"):
            test_accuracy = final_network.accuracy(x_test, t_test)
            check_true(test_accuracy >= 0.97, f"テスト正解率 {test_accuracy:.3f} が 0.97 に届いていません。")
        with test.property("ずらしてノイズを加えたテスト画像での正解率が 90% 以上 (x_shifted)"):
            shifted_accuracy = final_network.accuracy(x_shifted, t_shifted)
            check_true(
                shifted_accuracy >= 0.90,
                f"ずらしたテスト画像での正解率 {shifted_accuracy:.3f} が 0.90 に届いていません。"
                "訓練データに、augment_digits でずらした画像 (データ拡張) を加えて学習していますか。",
            )
print("公開テスト: OK")

# %% [markdown]
# データ拡張で学習した最終モデルは、ずらしたテスト画像での正解率が 10.5 節のモデルより大きく上がり、元のテスト画像での正解率も
# 下がっていません (上の 2 つの表示)。採点の基準 (ずらした画像で 90%) は、データ拡張をした学習なら乱数 (重みの初期値、拡張、評価用の
# 画像) によらず届き、10.5 節の学習のままではどの乱数でも届かないように選んであります。
#
# ここで使った「ずれ」は、評価に使う変化とまったく同じ種類でした。実際には、どんな変化が起きるかを前もって正確には知りません。
# データ拡張の変換は、データについての知識 (数字はずれても回転しても同じ数字) から選び、効いたかどうかは、実際に入ってくるデータに近い検証データで確かめます (検証データには拡張をかけません)。

# %% [markdown]
# ## まとめ
#
# - `MultiLayerNetExtend` は、隠れ層ごとに Affine → [バッチ正規化] → 活性化関数 → [ドロップアウト] を重ね、最後に Affine と Softmax-with-Loss を置く。
#   重みの初期値は ReLU なら He ($\sqrt{2/n_\text{in}}$)、シグモイドなら Xavier ($1/\sqrt{n_\text{in}}$、教科書の簡略形)。
# - 荷重減衰は損失に $\frac{\lambda}{2}\sum \lVert W \rVert^2$ を足し、重みの勾配に $\lambda W$ を足す。バイアスとバッチ正規化の $\gamma$、$\beta$ には掛けない。
# - バッチ正規化とドロップアウトだけが学習モードと推論モードで振る舞いを変えるので、`train_flg` はこの 2 つに渡す。勾配は学習モードで計算する。
#   バッチ正規化の直前のバイアスの勾配は 0 になる (不要なパラメータ)。
# - `Trainer` は、エポックごとの並べ替え、ミニバッチの更新、損失と正解率の記録をまとめ、どのネットワーク・最適化手法にも使える。
# - ハイパーパラメータは検証データで選び、テストデータは最後に 1 回だけ使う。学習率や $\lambda$ は対数スケール (指数を一様に選ぶ) で
#   ランダムに探す。探索は「候補を引く」「評価する」「良い順に並べる」に分け、評価の方法は関数として渡すと、学習をせずにテストできる。
#   検証データが少ないと検証正解率の差は誤差に埋もれやすい。
# - 選んだ設定で訓練データ全体を使って学習し直し、仕上げに学習率を下げる (学習率の減衰) と、止める場所による揺れが小さくなる。
# - 推論に必要なのは `params` だけではない。バッチ正規化の移動平均も保存する (PyTorch の `state_dict` のバッファ)。
# - モデル平均では確率を平均する。交差エントロピー誤差は各モデルの平均より必ず小さくなり (イェンセンの不等式)、正解率も多くの場合上がるが、
#   計算は $K$ 倍かかる。ドロップアウトは、1 つのネットワークで似た効果を得る方法と解釈できる。
# - テストデータでの正解率が高くても、少しずれた入力で同じとは限らない。データ拡張は、ラベルを変えない変換 (digits なら小さな
#   平行移動とノイズ) を訓練データにかけて、その変化への強さを教える。拡張するのは訓練データだけで、評価には拡張していないデータを使う。

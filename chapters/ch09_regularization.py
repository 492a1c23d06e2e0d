# Chapter 9 of the course. Built into source_notebooks/ by `python -m autograder build`.
# Names defined by the [given] cells (TwoLayerNet, Adam, _is_weight, ...) and imports used only by the
# reference bodies that the build inlines (math, operator) are invisible to ruff in this file:
# ruff: noqa: F401, F821

# %% [markdown]
# # 第 9 章 正則化・早期終了・重みの初期値・入力の標準化
#
# ネットワークは、訓練データに合わせすぎると、見たことのないデータでかえって性能が落ちます。この章では、それを防ぐ道具
# (正則化 (regularization) と早期終了 (early stopping)) と、学習をうまく始めるための準備 (重みの初期値と入力の標準化) を
# NumPy で実装し、実験で確かめます。
#
# 1. L2 正則化 (荷重減衰、weight decay): 損失に足す項と勾配に足す項。重みだけにかけてバイアスにはかけない理由
# 2. L1 正則化とスパース性 (sparsity)、両者を合わせた Elastic Net。重みのヒストグラムで違いを見る
# 3. max-norm 制約: 各ユニットに入る重みベクトルの長さに上限を設ける
# 4. AdamW: Adam に L2 の項を足すのとは何が違うのか、それを示す実験
# 5. 早期終了: patience (我慢する回数) つきの `EarlyStopping`
# 6. 重みの初期値: 分散の議論から $\sigma = \sigma_u / \sqrt{M}$、Xavier と He の初期値、活性化のヒストグラム
# 7. 入力の標準化 (standardization): 平均と標準偏差は訓練データだけから求める
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
from collections import OrderedDict
from collections.abc import Callable  # 下に与えるコードの型ヒントで使う

import matplotlib.pyplot as plt
import numpy as np

from course.checks import Properties, builds_on, check_array, check_raises, check_scalar, check_true
from course.data import load_digits, standardize
from course.hints import hint
from course.plotting import use_japanese_font

use_japanese_font()
np.set_printoptions(precision=4, suppress=True)

Params = dict[str, np.ndarray]  # パラメータの配列の辞書。例えば {"W1": ..., "b1": ...}


def run_adamw(kwargs, params, grads_sequence):
    """AdamW(**kwargs) (演習 5 のクラス) を作り、params のコピーに grads_sequence の要素ごとに update を
    1 回ずつ適用して、各ステップ後の params (配列の辞書のリスト) を返す。
    AdamW の演習のテストで使う。"""
    optimizer = AdamW(**kwargs)
    params = {key: np.array(value, dtype=np.float64) for key, value in params.items()}
    arrays = dict(params)  # update がその場で書き換えるべき配列オブジェクト
    history = []
    for grads in grads_sequence:
        optimizer.update(params, {key: np.array(value, dtype=np.float64) for key, value in grads.items()})
        replaced = [key for key in params if params[key] is not arrays[key]]
        if replaced:
            raise ValueError(
                f"update が params の {replaced} を新しい配列に差し替えました。その場で (in place) 更新してください。"
            )
        history.append({key: value.copy() for key, value in params.items()})
    return history


# %% [markdown]
# 次のセルは、これまでの章の模範解答です (ソフトマックス関数、交差エントロピー誤差、数値微分、Affine・ReLU・Softmax-with-Loss の
# 各レイヤ、2 層ネットワーク `TwoLayerNet`)。この章の実験で使います。実行して定義しておいてください。

# %% [given] names=softmax,cross_entropy_error,numerical_gradient,Affine,Relu,SoftmaxWithLoss,networks._accuracy,TwoLayerNet

# %% [markdown]
# ## 9.1 過学習と正則化
#
# 訓練データに対する誤差 (訓練誤差) は学習を進めるほど下がりますが、本当に小さくしたいのは、まだ見ていないデータに対する誤差
# (汎化誤差 (generalization error)) です。訓練誤差は下がり続けるのに、訓練に使っていないデータでの誤差が下がらなくなり、
# やがて上がり始める状態を過学習 (overfitting) と呼びます。ネットワークが、データの本質的な規則ではなく、訓練データの偶然の
# 特徴 (ノイズや、誤ったラベル) まで覚え込んでしまった状態です。
#
# **注意**: 「過学習とは、誤差関数の浅い局所解に捕まった状態である」という説明を見かけることがありますが、これは正確ではありません。
# 訓練データを (誤ったラベルも含めて) 完全に覚え込んだネットワークは、訓練誤差がほぼ 0、つまり訓練誤差の **最小値** に
# 達していますが、それでも過学習しています。過学習は「どの解に着いたか」ではなく、訓練誤差とテスト誤差が離れていくという現象です。
#
# 過学習を抑えるために、学習のときに重みの自由度を制限する方法をまとめて正則化と呼びます。ネットワークを小さくする
# (重みの数を減らす) のも 1 つの方法ですが、表現力も落ちてしまいます。そこで、ネットワークは大きいまま、重みが大きな値を取ることに
# ペナルティを課したり (9.2〜9.3 節)、重みの大きさに上限を設けたり (9.4 節)、学習を途中で止めたり (9.6 節) します。
#
# この章の実験では、過学習がはっきり見えるように、digits の訓練データから 300 枚だけを使い、その **ラベルの約 3 割をわざと
# ランダムなラベルに置き換えます** (ラベルノイズ (label noise))。正しいラベルのままの別の 200 枚は検証データ (validation data) にします。
# 検証データは訓練データから切り出したもので、学習の様子を見たり、ハイパーパラメータや学習を止める時点を選んだりするのに使います。
# テストデータは最後の評価にだけ使います。

# %%
(x_train, t_train), (x_test, t_test) = load_digits()
rng = np.random.default_rng(0)
order = rng.permutation(len(x_train))
fit_index, val_index = order[:300], order[300:500]
x_fit, x_val, t_val = x_train[fit_index], x_train[val_index], t_train[val_index]
t_fit = t_train[fit_index].copy()
replaced = rng.random(len(t_fit)) < 0.3
t_fit[replaced] = rng.integers(0, 10, size=int(replaced.sum()))  # 新しいラベルが偶然元のラベルと同じになることもある
print("学習に使う訓練データ:", x_fit.shape, " 検証データ:", x_val.shape, " テストデータ:", x_test.shape)
print(f"ラベルが誤っている割合: {np.mean(t_fit != t_train[fit_index]):.1%}")

# %% [markdown]
# ## 9.2 L2 正則化 (荷重減衰)
#
# L2 正則化では、元の損失 $L$ (ミニバッチの平均の交差エントロピー誤差) に、すべての層の重みの二乗和を足したものを最小化します。
#
# $$
# \tilde{L} = L + \frac{\lambda}{2} \sum_{l} \sum_{i,j} \left(W^{(l)}_{ij}\right)^2
# $$
#
# $\lambda \ge 0$ は正則化の強さを決めるハイパーパラメータ (hyperparameter) で、$10^{-5}$〜$10^{-2}$ 程度から選ぶのが目安です。
# $\frac{1}{2}$ は、微分したときに係数 2 を打ち消すためのものです。実際、$W_{ij}$ を含む項は $\frac{\lambda}{2} W_{ij}^2$ の 1 つだけなので
#
# $$
# \frac{\partial \tilde{L}}{\partial W_{ij}} = \frac{\partial L}{\partial W_{ij}} + \frac{\lambda}{2} \cdot 2 W_{ij}
# = \frac{\partial L}{\partial W_{ij}} + \lambda W_{ij}
# $$
#
# となります。つまり、誤差逆伝播法で求めた勾配 `dW` に $\lambda W$ を足すだけです。SGD (学習率 $\eta$) の更新式に入れると
#
# $$
# W \leftarrow W - \eta \left( \frac{\partial L}{\partial W} + \lambda W \right) = (1 - \eta \lambda)\, W - \eta \frac{\partial L}{\partial W}
# $$
#
# で、重みは毎回、勾配による更新とは別に $(1 - \eta\lambda)$ 倍に縮みます。荷重減衰 (weight decay) という名前はここから来ています。
# 損失の勾配が 0 の方向では、重みは指数関数的に 0 へ近づきます。一方、損失を下げるのに役立つ重みは、$\partial L / \partial W$ が
# 縮みに逆らうので、両者のつり合うところに落ち着きます。
#
# ### 重みにだけかけて、バイアスにはかけない
#
# ペナルティは重み $W$ だけにかけ、バイアス $b$ にはかけません (バッチ正規化 (batch normalization) の $\gamma$、$\beta$ にもかけません)。
# 理由は次のとおりです。
#
# - 重みは入力に掛かるので、重みが大きいほど、入力のわずかな違いで出力が大きく変わる、複雑で「尖った」関数になります。過学習を
#   抑えるにはここを縛れば十分です。バイアスは入力に掛からず、出力を平行移動するだけなので、関数の複雑さにはほとんど関係しません。
# - バイアスはユニットごとに 1 つしかなく、数が少ないので、それ自体が過学習を起こすことはまずありません。
# - バイアスは大きな値を取る必要があることがあります (例えば、ほとんど常にオフにしておきたいユニットのしきい値や、クラスの出現頻度の
#   偏り)。ペナルティをかけると、出力が 0 の周りに引き寄せられ、かえって学習不足 (underfitting) を招きます。
#
# この講座では、パラメータの辞書 `params` のキーが `'W'` で始まるもの (`'W1'`、`'W2'`、…) を重みとみなします。次の補助関数
# `_is_weight(key)` を使ってください (参照解答の一部です)。

# %% [given] names=regularization._is_weight

# %% [markdown]
# ### 演習 1: L2 正則化の項とその勾配
#
# - `l2_penalty(params, weight_decay_lambda)`: $\frac{\lambda}{2} \sum_W \sum W^2$ (重みの配列すべてについての和) を float で返します。
# - `l2_penalty_grad(params, weight_decay_lambda)`: `params` と **同じキー** の辞書を返します。重みのキーには $\lambda W$、それ以外の
#   キーには同じ形状の 0 の配列を入れます。こうしておくと、`for key, g in l2_penalty_grad(params, lam).items(): grads[key] += g` のように、
#   キーごとに足すだけで勾配に組み込めます。どちらも `params` の配列を書き換えてはいけません。


# %% [solution] id=l2_penalty
def l2_penalty(params, weight_decay_lambda):
    """L2 正則化の項 (λ/2) Σ W² を返す (float)。

    params: パラメータの辞書 (例: 'W1' (D, H)、'b1' (H,)、'W2' (H, C)、'b2' (C,))。キーが 'W' で始まる配列だけが対象。
    weight_decay_lambda: λ (0 以上)。
    """
    # ヒント: hint("l2_penalty")
    # @reference l2_penalty


def l2_penalty_grad(params, weight_decay_lambda):
    """l2_penalty の勾配。params と同じキーの辞書: 重みは λW、それ以外は同じ形状・dtype の 0 の配列。"""
    # ヒント: hint("l2_penalty_grad")
    # @reference l2_penalty_grad


# %% [tests] id=test_l2_penalty points=3 hidden=l2_penalty
example_params = {
    "W1": np.array([[1.0, -2.0], [0.0, 3.0]]),
    "b1": np.array([10.0, -10.0]),
    "gamma1": np.array([2.0, 2.0]),
    "beta1": np.array([1.0, 1.0]),
    "W2": np.array([[0.5], [-0.5]]),
    "b2": np.array([7.0]),
}
saved = {key: value.copy() for key, value in example_params.items()}


# 重みの二乗和 = (1 + 4 + 0 + 9) + (0.25 + 0.25) = 14.5 なので、λ = 0.1 では 0.1 / 2 × 14.5 = 0.725 (バイアスと γ、β は含めない)
def public_test_l2_penalty():
    """演習 1 の公開テスト (演習 3 の前提としても使います)。"""
    # 性質 (property) ごとに確かめ、合わない性質があってもその後の性質まで確かめてから、性質ごとの結果 (✓/✗) を示す
    with Properties() as test:
        values = "L2 の項の値 (example_params、λ = 0.1 と 0)"
        with test.property(values):
            check_scalar(l2_penalty(example_params, 0.1), 0.725, "l2_penalty(example_params, 0.1)")
            check_scalar(l2_penalty(example_params, 0.0), 0.0, "l2_penalty(example_params, 0.0)")
        gradient = "勾配 (重みは λW、それ以外のキーは 0 の配列)"
        with test.property(gradient):
            grads = l2_penalty_grad(example_params, 0.1)
            check_true(
                isinstance(grads, dict) and sorted(grads) == sorted(example_params),
                "l2_penalty_grad は params と同じキーをすべて持つ辞書を返してください。",
            )
            check_array(grads["W1"], [[0.1, -0.2], [0.0, 0.3]], "l2_penalty_grad(...)['W1'] (λW)")
            check_array(grads["W2"], [[0.05], [-0.05]], "l2_penalty_grad(...)['W2'] (λW)")
            for key in ("b1", "gamma1", "beta1", "b2"):
                check_array(
                    grads[key], np.zeros_like(example_params[key]), f"l2_penalty_grad(...)['{key}'] (重み以外は 0)"
                )
        # 上の 2 つの性質で呼んだ後の params を確かめる
        with test.property("params の配列を書き換えない", needs=[values, gradient]):
            for key, value in saved.items():
                check_array(example_params[key], value, f"呼び出し後の params['{key}'] (params を書き換えていませんか)")


public_test_l2_penalty()
print("公開テスト: OK")

# %% [markdown]
# 求めた勾配が、正則化の項そのものの勾配になっていることを数値微分でも確かめておきます。`numerical_gradient(f, x)` は配列 `x` の
# 要素を 1 つずつその場で動かすので、`f` は引数を使わずに `params` 全体から値を計算してかまいません。

# %%
rng = np.random.default_rng(1)
random_params = {"W1": rng.standard_normal((4, 3)), "b1": rng.standard_normal(3), "W2": rng.standard_normal((3, 2))}
analytic = l2_penalty_grad(random_params, 0.3)
for key in random_params:
    numerical = numerical_gradient(lambda _: l2_penalty(random_params, 0.3), random_params[key])
    print(f"{key}: 逆伝播の式と数値微分の差の最大値 {np.abs(analytic[key] - numerical).max():.1e}")

# %% [markdown]
# **問** (記述): 正例が 1% しかない 2 クラスのデータで、入力を使わず、バイアス $b$ だけで確率 $p = \sigma(b)$ ($\sigma$ はシグモイド関数)
# を出す一番簡単なモデルを学習します。損失は交差エントロピー誤差のサンプル平均 $-\bigl[0.01 \log p + 0.99 \log (1 - p)\bigr]$ です。
# (1) 正則化なしで損失を最小にする $p$ と $b$ を求めてください。
# (2) バイアスにも L2 の項 $\frac{\lambda}{2} b^2$ を足すと、最適な $b$ はどんな式を満たしますか ($\sigma'(b) = \sigma(b)(1 - \sigma(b))$ を使います)。
# $\lambda = 0.1$ のとき、$p$ は 1% より大きくなりますか、小さくなりますか。(数値で解いてもかまいません。新しいセルを使ってください。)
# (3) この結果から、実際のネットワークでバイアスに荷重減衰をかけると何が起きそうか、重みにかけるのとは何が違うのかを説明してください。

# %% [answer] id=why_weights_only points=2
# **模範解答**: (1) 損失を $b$ で微分すると $-0.01(1 - p) + 0.99 p = p - 0.01$ なので、最小になるのは $p = 0.01$、
# $b = \log \frac{0.01}{0.99} \approx -4.60$。モデルは正例の割合 (事前の頻度) をそのまま出す。
# (2) 勾配に $\lambda b$ が加わり、最適な $b$ は $\sigma(b) - 0.01 + \lambda b = 0$、つまり $\sigma(b) = 0.01 - \lambda b$ を満たす。
# $b < 0$ なので右辺は 0.01 より大きく、$p$ は 1% より大きくなる。$\lambda = 0.1$ では $b \approx -1.59$、$p \approx 0.17$ で、
# 何も情報がないときに「17% の確率で正例」と答える、偏ったモデルになる ($\lambda = 0.01$ でも $p \approx 0.04$)。
# (3) バイアスは、このように入力によらない基準の値 (クラスの頻度、ユニットのしきい値) を表すので、大きな値が必要になることがある。
# ペナルティはそれを 0 に、つまり確率を 0.5 の側に引き寄せ、データが十分にあっても直らない偏り (学習不足) を生む。一方、重みは
# 入力に掛かる量で、その大きさを縛ると出力が入力のわずかな違いに敏感に反応しなくなり、関数の複雑さ (過学習) を抑えられる。
# バイアスは入力に掛からず出力を平行移動するだけなので、縛っても過学習はほとんど減らない。だから荷重減衰は重みだけにかける。
#
# (採点の目安: (1) と (2) で $p = 0.01$ ($b \approx -4.6$) と、$\lambda > 0$ で $p$ が 1% より大きくなること (0.17 前後、または
# 方向と理由) が正しく導けていれば 1 点。(3) で、バイアスへのペナルティは基準の値を 0 に引き寄せて偏りを生むだけで、入力への
# 敏感さ (過学習) は抑えないことを、重みとの違いとして書けていれば 1 点。)

# %% [markdown]
# ## 9.3 L1 正則化、スパース性、Elastic Net
#
# L1 正則化では、二乗の代わりに絶対値の和を足します。
#
# $$
# \tilde{L} = L + \lambda \sum_{l} \sum_{i,j} \left| W^{(l)}_{ij} \right|
# $$
#
# $|w|$ は $w = 0$ で微分できませんが、$w \ne 0$ では $\frac{d|w|}{dw} = \operatorname{sign}(w)$ ($w > 0$ なら 1、$w < 0$ なら −1) です。
# $w = 0$ では、その点での傾きとして −1 から 1 の間のどの値も取れる (劣勾配 (subgradient) と呼びます) ので、その中から 0 を使います。
# `np.sign(0)` は 0 を返すので、勾配は $\lambda \operatorname{sign}(W)$ と書けます (PyTorch の `torch.abs` の逆伝播も $w = 0$ で 0 です)。
# SGD の更新式は
#
# $$
# W \leftarrow W - \eta \frac{\partial L}{\partial W} - \eta \lambda \operatorname{sign}(W)
# $$
#
# です。L2 の縮み $\eta\lambda W$ は重みが小さくなるほど弱まりますが、L1 の縮み $\eta\lambda\,\operatorname{sign}(W)$ は重みの大きさに
# よらず一定です。そのため L1 は、損失にあまり役立たない重みを 0 まで押し続け、正則化した損失の最小点では多くの重みが **ちょうど 0** に
# なります。一部の重みだけが 0 でない、スパース (疎、sparse) な解です。線形回帰では、L1 正則化を Lasso、L2 正則化を Ridge (リッジ回帰) と呼びます。
#
# ### なぜ L1 だと重みがちょうど 0 になるのか (1 変数での導出)
#
# 1 つの重み $w$ に注目し、正則化なしの損失を、その最小点 $w_0$ の周りで $\frac{a}{2}(w - w_0)^2$ ($a > 0$ は曲率) と近似します。
#
# **L1 の場合**: $f(w) = \frac{a}{2}(w - w_0)^2 + \lambda |w|$ の最小点を場合分けで求めます。
#
# - $w > 0$ のとき $f'(w) = a(w - w_0) + \lambda = 0$ より $w = w_0 - \lambda / a$。これが正になるのは $w_0 > \lambda / a$ のときだけです。
# - $w < 0$ のとき同様に $w = w_0 + \lambda / a$。これが負になるのは $w_0 < -\lambda / a$ のときだけです。
# - どちらでもない $|w_0| \le \lambda / a$ のとき、$f$ は $w < 0$ で減少、$w > 0$ で増加するので、最小点は折れ目の $w = 0$ です。
#
# まとめると $w^* = \operatorname{sign}(w_0) \max\left(|w_0| - \lambda / a,\ 0\right)$ です (ソフト閾値処理 (soft thresholding))。
# 元の最小点が $0$ に近い ($|w_0| \le \lambda / a$) 重みは、**ちょうど 0** になります。
#
# **L2 の場合**: $f(w) = \frac{a}{2}(w - w_0)^2 + \frac{\lambda}{2} w^2$ で $f'(w) = a(w - w_0) + \lambda w = 0$ より
# $w^* = \dfrac{a}{a + \lambda}\, w_0$ です。$w_0$ を一定の割合で縮めるだけで、$w_0 \ne 0$ なら決して 0 にはなりません。

# %%
w0 = np.linspace(-3, 3, 601)
a, lam = 1.0, 1.0
fig, ax = plt.subplots(figsize=(5.5, 4))
ax.plot(w0, w0, color="gray", linestyle=":", label="正則化なし $w^* = w_0$")
ax.plot(w0, np.sign(w0) * np.maximum(np.abs(w0) - lam / a, 0), label="L1: ソフト閾値処理")
ax.plot(w0, a / (a + lam) * w0, label="L2: $a w_0 / (a + \\lambda)$")
ax.set_xlabel("正則化なしの最小点 $w_0$")
ax.set_ylabel("正則化ありの最小点 $w^*$")
ax.set_title("1 変数の例 ($a = 1$, $\\lambda = 1$)")
ax.grid(True, alpha=0.3)
ax.legend()
plt.show()

# %% [markdown]
# L1 の線は $|w_0| \le 1$ の区間でぴったり 0 に張り付いています。L2 の線は原点を通る直線で、0 になるのは $w_0 = 0$ のときだけです。
#
# ### 演習 2: L1 正則化の項とその勾配
#
# L2 と同じ約束で、`l1_penalty` は $\lambda \sum_W \sum |W|$ を、`l1_penalty_grad` は重みのキーに $\lambda \operatorname{sign}(W)$
# ($W = 0$ の要素では 0)、それ以外のキーに 0 の配列を入れた辞書を返します。


# %% [solution] id=l1_penalty
def l1_penalty(params, l1_lambda):
    """L1 正則化の項 λ Σ |W| を返す (float)。キーが 'W' で始まる配列だけが対象。"""
    # ヒント: hint("l1_penalty")
    # @reference l1_penalty


def l1_penalty_grad(params, l1_lambda):
    """l1_penalty の (劣) 勾配。params と同じキーの辞書: 重みは λ sign(W) (W = 0 では 0)、それ以外は 0 の配列。"""
    # ヒント: hint("l1_penalty_grad")
    # @reference l1_penalty_grad


# %% [tests] id=test_l1_penalty points=2 hidden=l1_penalty
def public_test_l1_penalty():
    """演習 2 の公開テスト (演習 3 の前提としても使います)。"""
    with Properties() as test:
        # 重みの絶対値の和 = (1 + 2 + 0 + 3) + (0.5 + 0.5) = 7 なので、λ = 0.1 では 0.7
        values = "L1 の項の値 (example_params、λ = 0.1)"
        with test.property(values):
            check_scalar(l1_penalty(example_params, 0.1), 0.7, "l1_penalty(example_params, 0.1)")
        gradient = "(劣) 勾配 (重みは λ sign(W) で W = 0 では 0、それ以外のキーは 0 の配列)"
        with test.property(gradient):
            grads = l1_penalty_grad(example_params, 0.1)
            check_true(
                isinstance(grads, dict) and sorted(grads) == sorted(example_params),
                "l1_penalty_grad は params と同じキーをすべて持つ辞書を返してください。",
            )
            # sign([[1, −2], [0, 3]]) = [[1, −1], [0, 1]] (0 の要素は 0)
            check_array(grads["W1"], [[0.1, -0.1], [0.0, 0.1]], "l1_penalty_grad(...)['W1'] (λ sign(W))")
            check_array(grads["W2"], [[0.1], [-0.1]], "l1_penalty_grad(...)['W2'] (λ sign(W))")
            for key in ("b1", "gamma1", "beta1", "b2"):
                check_array(
                    grads[key], np.zeros_like(example_params[key]), f"l1_penalty_grad(...)['{key}'] (重み以外は 0)"
                )
        # 上の 2 つの性質で呼んだ後の params を確かめる
        with test.property("params の配列を書き換えない", needs=[values, gradient]):
            for key, value in saved.items():
                check_array(example_params[key], value, f"呼び出し後の params['{key}'] (params を書き換えていませんか)")


public_test_l1_penalty()
print("公開テスト: OK")

# %% [markdown]
# ### 演習 3: Elastic Net
#
# L1 と L2 を足し合わせたものを Elastic Net と呼びます (Zou & Hastie, 2005)。
#
# $$
# \tilde{L} = L + \lambda_1 \sum |W| + \frac{\lambda_2}{2} \sum W^2, \qquad
# \frac{\partial \tilde{L}}{\partial W} = \frac{\partial L}{\partial W} + \lambda_1 \operatorname{sign}(W) + \lambda_2 W
# $$
#
# L1 のスパース性を保ちつつ、互いによく似た (相関の強い) 入力があるときに L1 が片方だけを選んで他を 0 にしてしまう不安定さを、
# L2 の項が和らげます。なお scikit-learn の `ElasticNet` は、強さ `alpha` と比率 `l1_ratio` を使って
# $\alpha \cdot \text{l1\_ratio} \sum|w| + \frac{\alpha (1 - \text{l1\_ratio})}{2} \sum w^2$ と書く流儀なので、$\lambda_1$、$\lambda_2$
# との対応に注意してください。演習 1、2 の関数を組み合わせて実装できます。


# %% [solution] id=elastic_net
def elastic_net_penalty(params, l1_lambda, l2_lambda):
    """Elastic Net の項 λ1 Σ|W| + (λ2/2) Σ W² を返す (float)。重みだけが対象。"""
    # ヒント: hint("elastic_net_penalty")
    # @reference elastic_net_penalty


def elastic_net_penalty_grad(params, l1_lambda, l2_lambda):
    """elastic_net_penalty の勾配。params と同じキーの辞書: 重みは λ1 sign(W) + λ2 W、それ以外は 0 の配列。"""
    # ヒント: hint("elastic_net_penalty_grad")
    # @reference elastic_net_penalty_grad


# %% [tests] id=test_elastic_net points=1 hidden=elastic_net
# λ1 = 0.1、λ2 = 0.2: 0.1 × 7 + 0.2 / 2 × 14.5 = 0.7 + 1.45 = 2.15
if builds_on({"演習 1 (l2_penalty)": public_test_l2_penalty, "演習 2 (l1_penalty)": public_test_l1_penalty}):
    with Properties() as test:
        with test.property("Elastic Net の項の値 (example_params、λ1 = 0.1、λ2 = 0.2)"):
            check_scalar(
                elastic_net_penalty(example_params, 0.1, 0.2), 2.15, "elastic_net_penalty(example_params, 0.1, 0.2)"
            )
        with test.property("勾配 (重みは λ1 sign(W) + λ2 W、それ以外のキーは 0 の配列)"):
            grads = elastic_net_penalty_grad(example_params, 0.1, 0.2)
            check_true(
                isinstance(grads, dict) and sorted(grads) == sorted(example_params),
                "elastic_net_penalty_grad は params と同じキーをすべて持つ辞書を返してください。",
            )
            # 0.1 sign(W1) + 0.2 W1 = [[0.1 + 0.2, −0.1 − 0.4], [0 + 0, 0.1 + 0.6]]
            check_array(grads["W1"], [[0.3, -0.5], [0.0, 0.7]], "elastic_net_penalty_grad(...)['W1']")
            # 0.1 sign(W2) + 0.2 W2 = [[0.1 + 0.1], [−0.1 − 0.1]]
            check_array(grads["W2"], [[0.2], [-0.2]], "elastic_net_penalty_grad(...)['W2']")
            for key in ("b1", "gamma1", "beta1", "b2"):
                check_array(
                    grads[key],
                    np.zeros_like(example_params[key]),
                    f"elastic_net_penalty_grad(...)['{key}'] (重み以外は 0)",
                )
    print("公開テスト: OK")

# %% [markdown]
# ### 実験: 正則化なし・L2・L1 で学習した重みを比べる
#
# ラベルノイズ入りの 300 枚で、`TwoLayerNet` (隠れ層 50) をミニバッチ SGD で 60 エポック学習します。正則化ありのときは、
# 逆伝播で求めた勾配に演習の関数で求めた正則化の勾配をキーごとに足してから更新します。検証データの損失は、正則化の項を含まない
# 交差エントロピー誤差で測ります (正則化の項は学習のためのもので、予測の良し悪しを測るものではないからです)。
#
# 次の関数 `train_network` は 9.6 節でも使います (引数 `early_stopping` はそのときに説明します)。


# %%
def train_network(penalty_grad=None, early_stopping=None, epochs=60, learning_rate=0.2, batch_size=20, seed=0):
    """TwoLayerNet(64, 50, 10) を (x_fit, t_fit) でミニバッチ SGD により訓練する。

    penalty_grad: None、または params を受け取ってペナルティの勾配の辞書を返す関数 (損失の勾配に足す)。
    early_stopping: None、または訓練を止めるべきときに step(val_loss) が True を返すオブジェクト。
    そのときは最後に、最良のエポックのパラメータを戻す。
    (network, history) を返す。history はエポックごとの訓練データでの平均損失、検証データでの損失、
    検証データでの正解率を持つ。
    """
    rng = np.random.default_rng(seed)
    network = TwoLayerNet(64, 50, 10, weight_init_std=0.1, rng=rng)
    history = {"train_loss": [], "val_loss": [], "val_acc": []}
    best_params = None
    for epoch in range(epochs):
        batch_losses = []
        order = rng.permutation(len(x_fit))
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            grads = network.gradient(x_fit[batch], t_fit[batch])
            batch_losses.append(network.last_layer.loss)
            if penalty_grad is not None:
                for key, g in penalty_grad(network.params).items():
                    grads[key] = grads[key] + g
            for key in network.params:
                network.params[key] -= learning_rate * grads[key]  # その場で更新 (レイヤが同じ配列を共有)
        history["train_loss"].append(float(np.mean(batch_losses)))
        val_scores = network.predict(x_val)
        val_loss = network.last_layer.forward(val_scores, t_val)  # 交差エントロピー誤差だけ (ペナルティは含めない)
        history["val_loss"].append(val_loss)
        history["val_acc"].append(float(np.mean(val_scores.argmax(axis=1) == t_val)))
        if early_stopping is not None:
            stop = early_stopping.step(val_loss)
            if early_stopping.best_epoch == epoch:  # 最良を更新: パラメータのコピーを覚えておく
                best_params = {key: value.copy() for key, value in network.params.items()}
            if stop:
                break
    if best_params is not None:
        for key in network.params:
            network.params[key][...] = best_params[key]  # その場で戻す
    return network, history


runs = {
    "正則化なし": train_network(),
    "L2 (λ = 0.01)": train_network(penalty_grad=lambda params: l2_penalty_grad(params, 0.01)),
    "L1 (λ = 0.001)": train_network(penalty_grad=lambda params: l1_penalty_grad(params, 0.001)),
}
for name, (network, _) in runs.items():
    W1 = network.params["W1"]
    print(
        f"{name:14s} 訓練 (誤ったラベルのまま) の正解率 {network.accuracy(x_fit, t_fit):.3f}、"
        f"検証の正解率 {network.accuracy(x_val, t_val):.3f}、テストの正解率 {network.accuracy(x_test, t_test):.3f}、"
        f"|W1| < 0.001 の割合 {np.mean(np.abs(W1) < 1e-3):.0%}"
    )

# %%
fig, axes = plt.subplots(1, 3, figsize=(15, 4), layout="constrained")
bins = np.linspace(-0.6, 0.6, 121)
for name, (network, history) in runs.items():
    epochs_axis = np.arange(1, len(history["val_loss"]) + 1)
    axes[0].plot(epochs_axis, history["train_loss"], label=name)
    axes[1].plot(epochs_axis, history["val_acc"], label=name)
    axes[2].hist(network.params["W1"].ravel(), bins=bins, histtype="step", linewidth=1.5, label=name)
axes[0].set_xlabel("エポック")
axes[0].set_ylabel("交差エントロピー誤差 (正則化の項を除く)")
axes[0].set_title("訓練データ (誤ったラベルを含む) の損失")
axes[1].set_xlabel("エポック")
axes[1].set_ylabel("正解率")
axes[1].set_title("検証データの正解率")
axes[1].set_ylim(0.6, 0.95)
axes[2].set_yscale("log")
axes[2].set_xlabel("第 1 層の重み $W_1$ の値")
axes[2].set_ylabel("個数 (対数目盛)")
axes[2].set_title("学習後の重み $W_1$ のヒストグラム (3200 個)")
for ax in axes:
    ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# **読み取り**:
#
# - 左: 正則化なしでは、訓練データの損失が下がり続けます。誤ったラベルまで覚え込もうとしているからです。L2 と L1 では、重みを
#   大きくできないので誤ったラベルを覚え込みにくく、損失の下がり方が緩やかです。
# - 中: 正則化なしの検証の正解率は、10〜20 エポックで最高になった後、誤ったラベルを覚え込むにつれて下がっていきます。
#   これが過学習です。L2 と L1 では下がり方が小さく、最後の正解率は正則化なしより 5 ポイント以上高くなっています。
# - 右: 正則化なしの重みは広く散らばっています。L2 では全体が 0 の方へ縮み、0 の近くにも山ができますが、$|W_1| < 0.001$ に入るのは
#   わずか 2% です。L1 では半分近くの重みがその範囲に入る鋭い山ができ、ごく一部の重みだけが大きな値を保っています。
#   これがスパース性です。
# - digits の画像の端には、訓練データのどの画像でも 0 の画素があります。そこにつながる重みには損失の勾配が届かないので、
#   正則化なしでは初期値のまま残りますが、L2・L1 では 0 へ引き寄せられます。
#
# なお、勾配法で L1 を扱うと、0 をはさんで $\pm\eta\lambda$ 程度の幅で行き来するので、重みは「0 の近く」にはなっても
# 正確に 0 にはなりません。正確に 0 にしたいときは、更新のたびに 9.3 節のソフト閾値処理を当てはめる方法
# (近接勾配法 (proximal gradient method)) を使います。

# %% [markdown]
# ## 9.4 max-norm 制約
#
# ペナルティを損失に足す代わりに、重みの大きさに直接上限を設ける方法もあります。max-norm 制約では、各ユニット $j$ に **入ってくる**
# 重みのベクトル $\boldsymbol{w}_j$ の長さ (L2 ノルム) が $c$ を超えないようにします。
#
# $$
# \lVert \boldsymbol{w}_j \rVert_2 = \sqrt{\textstyle\sum_i W_{ij}^2} \le c
# $$
#
# 更新のたびに、これを破った列だけを長さ $c$ に縮めます (向きは変えません)。
#
# $$
# \boldsymbol{w}_j \leftarrow \boldsymbol{w}_j \cdot \frac{c}{\max\left(\lVert \boldsymbol{w}_j \rVert_2,\ c\right)}
# $$
#
# 長さが $c$ 以下の列は係数 1 で、そのままです。$c$ は 3〜4 程度がよく使われ、ドロップアウト (dropout) と組み合わせると特に
# 効果が高いことが報告されています (Srivastava et al., 2014)。大きな学習率を使っても重みが発散しないのが利点です。
#
# **どの軸か**: この講座の重み $W$ は形状 (n_in, n_out) で、`x @ W` と使います。ユニット $j$ に入る重みは **列** `W[:, j]` です。
# PyTorch の `nn.Linear.weight` は形状 (n_out, n_in) なので、同じものが **行** になります (`torch.renorm(weight, 2, 0, c)`)。
# 軸を取り違えると、別のものを制約してしまいます。
#
# **注意**: 条件を $\sum_i W_{ij}^2 < c$ (二乗和) と書いた式を見かけることがありますが、その場合の $c$ は、ここでの $c^2$ に
# あたります。原論文 (Srivastava et al., 2014) や PyTorch・Keras の `max_norm` はノルム (二乗和の平方根) で上限を決めるので、$c = 3$ の意味が大きく変わります。
#
# ### 演習 4: `max_norm`


# %% [solution] id=max_norm
def max_norm(W, c):
    """max-norm 制約。W: 形状 (n_in, n_out) の重み。列 W[:, j] (ユニット j に入る重み) の L2 ノルムが c を超えていたら
    ノルム c に縮め、c 以下の列はそのままにした **新しい配列** を返す (W は書き換えない)。

    W が 2 次元でないとき、c が正でないときは ValueError を出す。
    """
    # ヒント: hint("max_norm")
    # @reference max_norm


# %% [tests] id=test_max_norm points=1.5 hidden=max_norm
# 列のノルムは 5 (= √(3² + 4²)) と 1 (= √(0.6² + 0.8²))。c = 2 では 1 列目だけが 2/5 倍になる
W_example = np.array([[3.0, 0.6], [4.0, 0.8]])
W_saved = W_example.copy()
with Properties() as test:
    values = "値 (ノルムが c を超える列だけをノルム c に縮める。2 列、1 行、1 列の W)"
    with test.property(values):
        check_array(max_norm(W_example, 10.0), W_saved, "max_norm(W_example, 10.0) (どの列も c 以下なら変わらない)")
        constrained = max_norm(W_example, 2.0)
        check_array(constrained, [[1.2, 0.6], [1.6, 0.8]], "max_norm(W_example, 2.0)")
        # 1 入力 (n_in = 1) なら、各列のノルムは |W[0, j]|
        check_array(max_norm(np.array([[-3.0, 0.5]]), 1.0), [[-1.0, 0.5]], "max_norm([[-3, 0.5]], 1.0)")
        # 1 出力 (n_out = 1) なら列は 1 つ。ノルムは √(1² + 2² + 2²) = 3 なので、c = 1.5 では 1/2 倍
        check_array(
            max_norm(np.array([[1.0], [2.0], [2.0]]), 1.5), [[0.5], [1.0], [1.0]], "max_norm([[1], [2], [2]], 1.5)"
        )
    # W_example の右に 0 の列を加える (列のノルムは 5、1、0)。0 の列は 0 のまま
    with test.property("ノルムが 0 の列があっても値が正しい (0 の列は 0 のまま)"):
        W_zero_column = np.array([[3.0, 0.6, 0.0], [4.0, 0.8, 0.0]])
        check_array(max_norm(W_zero_column, 2.0), [[1.2, 0.6, 0.0], [1.6, 0.8, 0.0]], "max_norm(W_zero_column, 2.0)")
    # 上の「値」で max_norm(W_example, 2.0) などを呼んだ後の W_example を確かめる
    with test.property("引数の W を書き換えない", needs=[values]):
        check_array(W_example, W_saved, "呼び出し後の W_example (新しい配列を返し、W は書き換えないこと)")
print("公開テスト: OK")

# %% [markdown]
# 次のセルは、同じ演習の **規則** (rule) として、docstring にある入力の検査を確かめます (0.5 点。本体とは別に採点され、
# 規則を満たしていなくても本体の点は失いません)。
# 正しい入力では例外を出さず、W が 2 次元でない、c が正でないときは `ValueError` を出します。

# %% [tests] id=test_max_norm_rules points=0.5 hidden=max_norm_rules
with Properties() as test:
    with test.property("正しい入力 (2 次元の W、正の c) では例外を出さない"):
        max_norm(np.ones((3, 2)), 1.0)
    with test.property("W が 2 次元でなければ ValueError"):
        check_raises(
            ValueError,
            lambda: max_norm(np.ones(3), 1.0),
            "1 次元の W での max_norm(W, 1.0)",
            "W は形状 (n_in, n_out) です。",
        )
        check_raises(
            ValueError,
            lambda: max_norm(np.ones((2, 2, 2)), 1.0),
            "3 次元の W での max_norm(W, 1.0)",
            "W は形状 (n_in, n_out) です。",
        )
    with test.property("c が正でなければ (0 や負の数で) ValueError"):
        check_raises(
            ValueError, lambda: max_norm(np.ones((2, 2)), 0.0), "c = 0 での max_norm(W, c)", "c は正の数です。"
        )
        check_raises(
            ValueError, lambda: max_norm(np.ones((2, 2)), -1.0), "c = -1 での max_norm(W, c)", "c は正の数です。"
        )
print("公開テスト: OK")

# %% [markdown]
# 乱数の重みで、制約をかける前と後の列のノルムを比べてみましょう。

# %%
rng = np.random.default_rng(2)
W_random = rng.standard_normal((50, 8)) * 0.6
print("前の列ノルム:", np.linalg.norm(W_random, axis=0))
print("後の列ノルム:", np.linalg.norm(max_norm(W_random, 4.0), axis=0))

# %% [markdown]
# ## 9.5 AdamW: Adam に L2 の項を足すのとは何が違うか
#
# **SGD では同じもの**: 9.2 節で見たとおり、SGD で勾配に $\lambda W$ を足すこと (L2 正則化) と、毎回重みを $(1 - \eta\lambda)$ 倍に
# 縮めること (荷重減衰) は、式として同じです。
#
# **Adam では違うもの**: Adam の更新は (添字 $t$ は更新の回数)
#
# $$
# m \leftarrow \beta_1 m + (1 - \beta_1) g, \quad v \leftarrow \beta_2 v + (1 - \beta_2) g^2, \quad
# \hat{m} = \frac{m}{1 - \beta_1^t}, \quad \hat{v} = \frac{v}{1 - \beta_2^t}, \quad
# w \leftarrow w - \eta \frac{\hat{m}}{\sqrt{\hat{v}} + \varepsilon}
# $$
#
# で、勾配をその大きさの目安 $\sqrt{\hat{v}}$ で割って、どの重みもおおよそ $\eta$ 程度ずつ動くようにしています。
#
# - **Adam + L2** (L2 正則化の項を損失に足して Adam を使う): 勾配が $g + \lambda w$ に置き換わり、縮める力 $\lambda w$ も $m$ と $v$ に入って
#   $\sqrt{\hat{v}}$ で割られます。損失の勾配が大きい重みは $\sqrt{\hat{v}}$ が大きいので、ほとんど縮みません。逆に損失の勾配がほぼ 0 の重みは、
#   $m$ も $\sqrt{v}$ も $\lambda w$ から作られるので、割り算で $\lambda$ が約分されて消え、$\lambda$ の大きさに関係なく 1 回に最大 $\eta$ 程度ずつ
#   0 へ動きます。縮み方が重みごとにばらばらで、$\lambda$ の意味がぼやけてしまいます。
# - **AdamW** (Loshchilov & Hutter, 2019): 縮める操作を勾配から切り離し (decoupled weight decay)、$m$ と $v$ は損失の勾配 $g$ だけから作ります。
#
# $$
# w \leftarrow w - \eta \lambda w - \eta \frac{\hat{m}}{\sqrt{\hat{v}} + \varepsilon}
# $$
#
# こうすると、どの重みも毎回同じ割合 $(1 - \eta\lambda)$ で縮みます。SGD での荷重減衰と同じ振る舞いです。
#
# **PyTorch との対応と注意**:
#
# - `torch.optim.Adam(..., weight_decay=λ)` は勾配に $\lambda w$ を足す **Adam + L2** です。分離した減衰が欲しいときは
#   `torch.optim.AdamW(..., weight_decay=λ)` を使います (既定値は 0.01)。PyTorch の AdamW は、この講座と同じく減衰に学習率 $\eta$ を掛けます
#   (原論文は学習率のスケジュールの倍率だけを掛ける書き方なので、$\lambda$ の値の意味が少し違います)。
# - 「AdamW は、Adam に L2 正則化を加えたものである」という説明を見かけることがありますが、これは逆です。Adam に L2 正則化を加えたものは
#   上の「Adam + L2」で、AdamW はそれとは **違う** ことをするために提案されました (原論文の題も「Decoupled Weight Decay Regularization」です)。
# - PyTorch の AdamW は渡された配列を **すべて** 減衰させます (バイアスも)。バイアスやバッチ正規化のパラメータを除きたいときは、それらを
#   `weight_decay=0` の別のオプティマイザ (PyTorch ではパラメータグループ (parameter groups)) に渡します。
#   一方、この章の L2・L1 正則化と同じく重み $W$ だけを減衰させる実装も広く使われています。この演習では、重みは必ず縮め、
#   重み以外の配列 (バイアスなど) は **縮めても縮めなくても** 正解とします。
#
# 次のセルは、オプティマイザの章の模範解答 `Adam` です (入力の確認をする補助関数つき)。AdamW はこれを継承して作ります。

# %% [given] names=optimizers._check_non_negative,optimizers._check_unit_interval,Adam

# %% [markdown]
# ### 演習 5: `AdamW`
#
# `Adam` を継承し、`update` では **先に** すべての配列を $(1 - \eta\lambda)$ 倍に縮めてから、元の勾配 (λw を足さない) で Adam の更新を
# します (`super().update(params, grads)`)。Adam の更新量は $w$ によらないので、縮めるのが先でも後でも同じに見えますが、
# 後にすると縮める対象が「更新後の $w$」になり、式 $w - \eta\lambda w - \eta\,\hat{m}/(\sqrt{\hat{v}}+\varepsilon)$ からずれます。
# 配列はその場で (in place) 書き換えてください (`params[key] *= ...`)。
#
# 採点では、セットアップのセルで定義した `run_adamw(kwargs, params, grads_sequence)` で、あなたの `AdamW` を動かします
# (与えた勾配の列で何回か更新し、各回の後の `params` を返す関数です)。


# %% [solution] id=adamw
class AdamW(Adam):
    """AdamW (減衰を勾配から切り離した Adam)。

    update(params, grads): 配列を w ← w − lr·weight_decay·w と縮めてから、元の勾配で Adam の更新をする。
    縮めるのは重み (キーが 'W' で始まる配列) と、それ以外の配列もすべて (PyTorch の AdamW) か、重みだけか、のどちらでもよい。
    params、grads は同じキーの配列の辞書。params の配列はその場で書き換える。
    """

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01):
        """Adam と同じ引数に、減衰の係数 weight_decay (λ、0 以上) を加える。self.weight_decay に保存する。"""
        # ヒント: hint("AdamW.__init__")
        # @reference AdamW.__init__

    def update(self, params, grads):
        """配列を減衰させてから Adam の更新をする (その場で)。"""
        # ヒント: hint("AdamW.update")
        # @reference AdamW.update


# %% [tests] id=test_adamw points=2 hidden=adamw
with Properties() as test:
    with test.property("更新した後の値 (lr、weight_decay、β1、β2、eps を指定して 1〜2 回)"):
        # 勾配が 0 なら m = v = 0 で Adam の更新量は 0。AdamW の更新は w ← (1 − 0.1 × 0.5) w = 0.95 w だけ
        params = {"W1": np.array([[1.0, -4.0]]), "b1": np.array([2.0])}
        AdamW(lr=0.1, weight_decay=0.5).update(params, {"W1": np.zeros((1, 2)), "b1": np.zeros(1)})
        check_array(params["W1"], [[0.95, -3.8]], "勾配 0 での 1 回の更新後の W1")
        # b1 は 0.95 × 2 = 1.9 (すべての配列を縮める、PyTorch の AdamW) か 2.0 (重みだけを縮める) のどちらでもよい
        b1_after = np.asarray(params["b1"], dtype=np.float64)
        check_true(
            b1_after.shape == (1,) and (np.isclose(b1_after[0], 1.9) or np.isclose(b1_after[0], 2.0)),
            f"勾配 0 での 1 回の更新後の b1 は 1.9 (縮める) か 2.0 (縮めない) のはずですが {b1_after} でした。",
        )
        print(
            "バイアスの扱い:",
            "縮める (PyTorch の AdamW と同じ)" if np.isclose(b1_after[0], 1.9) else "縮めない (重みだけを減衰)",
        )

        # 一定の勾配 g = 0.2 を 2 回。m̂ = g、v̂ = g² なので、Adam の項は毎回 lr · g / |g| = 0.1 (ε の影響は相対 1e-7 未満)
        # 1 回目: 0.95 × 1 − 0.1 = 0.85、0.95 × (−2) − 0.1 = −2.0。2 回目: 0.95 × 0.85 − 0.1 = 0.7075、0.95 × (−2) − 0.1 = −2.0
        history = run_adamw(
            {"lr": 0.1, "weight_decay": 0.5}, {"W": np.array([1.0, -2.0])}, [{"W": np.array([0.2, 0.2])}] * 2
        )
        check_array(history[0]["W"], [0.85, -2.0], "一定の勾配での 1 回目の更新後の W", rtol=1e-6)
        check_array(history[1]["W"], [0.7075, -2.0], "一定の勾配での 2 回目の更新後の W", rtol=1e-6)

        # β1 = 0.25、β2 = 0.44、eps = 0.1 で、勾配 0、0.6 の順に 2 回。1 回目は縮めるだけ: 0.95 × 1 = 0.95、0.95 × (−2) = −1.9
        # 2 回目: m = 0.75 × 0.6 = 0.45 → m̂ = 0.45 / (1 − 0.25²) = 0.48。v = 0.56 × 0.36 → v̂ = 0.2016 / (1 − 0.44²) = 0.25
        # Adam の項は 0.1 × 0.48 / (√0.25 + 0.1) = 0.08 なので、0.95 × 0.95 − 0.08 = 0.8225、0.95 × (−1.9) − 0.08 = −1.885
        history = run_adamw(
            {"lr": 0.1, "weight_decay": 0.5, "beta1": 0.25, "beta2": 0.44, "eps": 0.1},
            {"W": np.array([1.0, -2.0])},
            [{"W": np.array([0.0, 0.0])}, {"W": np.array([0.6, 0.6])}],
        )
        check_array(history[1]["W"], [0.8225, -1.885], "β1 = 0.25、β2 = 0.44、eps = 0.1 での 2 回目の更新後の W")

    with test.property("引数を省略したときの値 (既定値 lr = 0.001、weight_decay = 0.01)"):
        optimizer = AdamW()
        check_scalar(optimizer.lr, 0.001, "AdamW().lr (既定値)")
        check_scalar(optimizer.weight_decay, 0.01, "AdamW().weight_decay (既定値)")
        # 勾配 0 で 1 回: w ← (1 − 0.001 × 0.01) w = 0.99999 w
        history = run_adamw({}, {"W": np.array([1.0, -2.0])}, [{"W": np.array([0.0, 0.0])}])
        check_array(history[0]["W"], [0.99999, -1.99998], "AdamW() で勾配 0 での 1 回の更新後の W")

    # 減衰がなければ Adam の項だけ: 一定の勾配 g = 0.2 では毎回 0.1 ずつ動く (ε の影響は相対 1e-7 未満)
    with test.property("weight_decay = 0 では減衰のない Adam と同じ値 (一定の勾配で 2 回)"):
        history = run_adamw(
            {"lr": 0.1, "weight_decay": 0.0}, {"W": np.array([1.0, -2.0])}, [{"W": np.array([0.2, 0.2])}] * 2
        )
        check_array(history[0]["W"], [0.9, -2.1], "weight_decay = 0 での 1 回目の更新後の W", rtol=1e-6)
        check_array(history[1]["W"], [0.8, -2.2], "weight_decay = 0 での 2 回目の更新後の W", rtol=1e-6)

    with test.property("params の配列をその場で書き換える"):
        params = {"W1": np.array([[1.0, -4.0]]), "b1": np.array([2.0])}
        W1_array = params["W1"]
        AdamW(lr=0.1, weight_decay=0.5).update(params, {"W1": np.zeros((1, 2)), "b1": np.zeros(1)})
        check_true(
            params["W1"] is W1_array, "params['W1'] が別の配列に差し替わっています。その場で (*=) 書き換えてください。"
        )
print("公開テスト: OK")

# %% [markdown]
# 公開テストの「勾配が 0」の例を、Adam + L2 でも計算してみます。勾配は $0 + \lambda w$ で、Adam はそれを自分の大きさで割るので、
# 最初の一歩は $\lambda$ によらず $\eta \cdot \operatorname{sign}(w)$ です。

# %%
for name, lam_value in [("λ = 0.5", 0.5), ("λ = 0.005", 0.005)]:
    w_l2 = {"W1": np.array([[1.0, -4.0]])}
    Adam(lr=0.1).update(w_l2, {"W1": lam_value * w_l2["W1"]})  # Adam + L2: 勾配は 0 + λw
    w_decoupled = {"W1": np.array([[1.0, -4.0]])}
    AdamW(lr=0.1, weight_decay=lam_value).update(w_decoupled, {"W1": np.zeros((1, 2))})
    print(f"{name}: Adam + L2 → {w_l2['W1'].ravel()}、AdamW → {w_decoupled['W1'].ravel()}")

# %% [markdown]
# Adam + L2 では、$\lambda$ を 100 分の 1 にしても一歩の大きさが変わりません。AdamW では縮む割合がちょうど $\eta\lambda$ です。
#
# ### 実験: 勾配の大きさが違う重みは、どれだけ縮むか
#
# 損失の勾配の大きさ (スケール) が $10^{-4}$ から $10^{4}$ まで違う 9 グループの重み (各 200 個、初期値はすべて 1) を用意します。
# 勾配は、平均 0 でグループごとのスケールを持つ乱数とします (ミニバッチの勾配のゆらぎだけがあり、損失としては重みをどこにも
# 引っ張らない状況です)。同じ乱数列で、Adam (減衰なし)、Adam + L2、AdamW を 2000 回ずつ更新します ($\eta = 10^{-3}$、$\lambda = 1$)。
# 理想的な荷重減衰なら、どのグループも $(1 - \eta\lambda)^{2000} \approx e^{-2} \approx 0.135$ 倍に縮むはずです。

# %%
scales = 10.0 ** np.arange(-4, 5)  # グループごとの勾配のスケール
steps, per_group, lr, lam = 2000, 200, 1e-3, 1.0
noise = np.random.default_rng(3).standard_normal((steps, len(scales), per_group))


def run_decay_experiment(kind):
    """最後の重み (groups, per_group) と、100 ステップごとの各グループの重みの平均。"""
    params = {"W": np.ones((len(scales), per_group))}
    optimizer = AdamW(lr=lr, weight_decay=lam) if kind == "AdamW" else Adam(lr=lr)
    trace = []
    for step in range(steps):
        g = scales[:, None] * noise[step]
        if kind == "Adam + L2":
            g = g + lam * params["W"]  # L2 の項が勾配に入り、したがって m と v にも入る
        optimizer.update(params, {"W": g})
        if step % 100 == 99:
            trace.append(params["W"].mean(axis=1))
    return params["W"], np.array(trace)


decay_runs = {kind: run_decay_experiment(kind) for kind in ["Adam (減衰なし)", "Adam + L2", "AdamW"]}
fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
for kind, (final, _) in decay_runs.items():
    axes[0].errorbar(scales, final.mean(axis=1), yerr=final.std(axis=1), marker="o", capsize=3, label=kind)
axes[0].axhline((1 - lr * lam) ** steps, color="gray", linestyle="--", label="$(1 - \\eta\\lambda)^{2000}$")
axes[0].set_xscale("log")
axes[0].set_xlabel("損失の勾配のスケール")
axes[0].set_ylabel("2000 回後の重み (平均 ± 標準偏差)")
axes[0].set_title("重みの縮み方と勾配の大きさ")
axes[0].legend(fontsize=8)
steps_axis = np.arange(100, steps + 1, 100)
for kind, color in [("Adam + L2", "C1"), ("AdamW", "C2")]:
    trace = decay_runs[kind][1]
    for group, style in [(1, "-"), (7, "--")]:
        label = f"{kind}、スケール $10^{{{group - 4}}}$"
        axes[1].plot(steps_axis, trace[:, group], style, color=color, label=label)
axes[1].set_xlabel("更新の回数")
axes[1].set_ylabel("重みの平均")
axes[1].set_title("重みの平均の推移")
axes[1].legend(fontsize=8)
plt.show()

# %% [markdown]
# **読み取り**: AdamW (緑) は、勾配のスケールによらず、どのグループもほぼ $e^{-2}$ (灰色の破線) まで縮んでいます。右の図でも、
# スケール $10^{-3}$ と $10^{3}$ のグループの推移がぴったり重なっています。Adam + L2 (橙) は、勾配の小さいグループ (左側) では
# ほぼ 0 まで縮む一方、勾配の大きいグループ (右側) ではほとんど縮んでいません。Adam + L2 では「縮める強さ」が $\lambda$ ではなく
# 損失の勾配の大きさで決まってしまう、というのが AdamW が提案された理由です。
#
# **問** (記述): 入力の特徴の 1 つが訓練データではいつも 0 で、それにつながる重み $w$ の損失の勾配はつねに 0 だとします。
# $w = 1$ から、$\eta = 0.001$、$\beta_1 = 0.9$、$\beta_2 = 0.999$、$\varepsilon = 10^{-8}$ で更新します。
# (1) Adam + L2 ($\lambda = 0.01$) の 1 回目の更新の後の $w$ を、バイアス補正を使って計算してください。$\lambda = 0.001$ ならどう変わりますか。
# (2) AdamW ($\lambda = 0.01$) の 1 回目の更新の後と、100 回の更新の後の $w$ を求めてください。
# (3) Adam + L2 では、100 回の更新の後の $w$ は約 0.90 です (確かめたければ、新しいセルで計算してください)。(1)、(2) と比べて、
# Adam + L2 では $\lambda$ が「縮める強さ」を決めていないことを説明してください。SGD + L2 ($w \leftarrow w - \eta(g + \lambda w)$) と同じ
# 縮み方をするのはどちらですか。

# %% [answer] id=adamw_vs_l2 points=2
# **模範解答**: (1) 勾配は $g = 0 + \lambda w = 0.01$。$m = 0.1 \times 0.01 = 0.001$、$v = 0.001 \times 0.01^2 = 10^{-7}$、補正すると
# $\hat{m} = 0.01$、$\hat{v} = 10^{-4}$ ($\sqrt{\hat{v}} = 0.01$)。更新量は $\eta \cdot 0.01 / (0.01 + 10^{-8}) \approx 0.001$ で、$w \approx 0.999$。
# $\lambda = 0.001$ でも $\hat{m}$ と $\sqrt{\hat{v}}$ がともに $\lambda w$ になって $\lambda$ が約分されるので、同じく $w \approx 0.999$ ($\varepsilon$ の分だけの違い)。
# (2) AdamW は損失の勾配 0 から $m = v = 0$ で Adam の項は 0、減衰だけが働いて毎回 $(1 - \eta\lambda) = 1 - 10^{-5}$ 倍になる。
# 1 回後は 0.99999、100 回後は $(1 - 10^{-5})^{100} \approx 0.9990$。
# (3) Adam + L2 は、勾配が $\lambda w$ だけの重みを、$\lambda$ の値にかかわらず 1 回に最大 $\eta$ 程度ずつ縮める (100 回で約 0.1)。
# $\lambda$ を 10 分の 1 にしても縮み方は変わらず、逆に損失の勾配が大きい重みでは $\sqrt{\hat{v}}$ が大きいので $\lambda w$ の効果はほとんど消える。
# 縮める強さを決めているのは $\lambda$ ではなく、損失の勾配との大きさの比である。SGD + L2 は勾配 0 のとき
# $w \leftarrow (1 - \eta\lambda) w$ で、AdamW の減衰と同じ縮み方になる (だから AdamW の減衰は「荷重減衰」と呼べる)。
#
# (採点の目安: (1) で $w \approx 0.999$ と、$\lambda$ が約分されて $\lambda = 0.001$ でも同じになることが導けていれば 0.5 点。
# (2) で $0.99999$ と約 $0.9990$ が求められていれば 0.5 点。(3) で、Adam + L2 の縮み方が $\lambda$ ではなく損失の勾配の大きさとの比で
# 決まることと、SGD + L2 と同じ縮み方をするのが AdamW であることが書けていれば 1 点。)

# %% [markdown]
# ## 9.6 早期終了 (early stopping)
#
# 9.3 節の実験で、正則化なしでは検証の正解率がある時点から下がり始めました。それ以降の学習はむしろ有害なので、検証の損失が
# いちばん小さかった時点で学習を止め、そのときのパラメータを使えばよい、というのが早期終了です。ただし検証の損失はミニバッチの
# 選び方などで上下に揺れるので、1 回悪くなっただけで止めると早すぎます。そこで、次の規則を使います。
#
# 1. 毎エポックの終わりに、検証の損失 `val_loss` を `step(val_loss)` に渡す
# 2. `val_loss < best - min_delta` なら **改善** とみなし、`best = val_loss`、`best_epoch` = そのエポックの番号 (0 から)、`counter = 0` とする
#    (等しいときは改善ではありません。`min_delta` は「このくらい下がらないと改善とみなさない」という幅で、既定値 0)
# 3. 改善でなければ `counter += 1`
# 4. `counter >= patience` なら学習を止める (`step` が True を返す)。つまり、最後の改善の後に `patience` 回続けて改善しなかったら止める
# 5. 止めた後は、`best_epoch` のときに保存しておいたパラメータに戻す
#
# **注意**:
#
# - 「テスト用データで検証誤差を計算する」という手順を見かけることがありますが、止める時点をテストデータで選ぶと、テストデータが
#   学習の一部 (ハイパーパラメータの選択) に使われたことになり、テストの成績が実力より楽観的になります。検証データを使ってください。
# - 「前のステップの検証誤差より大きければカウントする」という規則もよく見かけますが、不十分です。比べる相手は **それまでの最良の値** です
#   (Goodfellow, Bengio & Courville『Deep Learning』(2016) 7.8 節のアルゴリズム 7.1 も、それまでの最良の値と比べます)。
#   例えば 0.50 → 0.60 → 0.55 → 0.65 → 0.60 → 0.70 → … と、最良の値 0.50 を一度も更新しないまま上下しながら悪化していく場合、
#   前のエポックより下がった回にカウンタを戻すと、いつまでも止まりません。逆にカウンタを一度も戻さないと、途中で何度も最良の値を
#   更新していても、悪化した回数の合計だけで止まってしまいます。
# - Keras の `EarlyStopping` は既定では最良のパラメータに戻しません (`restore_best_weights=False`)。戻すかどうかを意識してください。
#
# ### 演習 6: `EarlyStopping`


# %% [solution] id=early_stopping
class EarlyStopping:
    """検証の損失が patience 回続けて改善しなかったら学習を止める。

    step(val_loss): 1 エポックに 1 回呼ぶ。val_loss が best − min_delta より真に小さければ改善とみなし、best をこの回の
    val_loss に、best_epoch をこの回の番号に更新して counter を 0 に戻す。そうでなければ counter を 1 増やす。
    counter が patience 以上かどうかを should_stop に保存して返す。
    属性: patience、min_delta (float)、best (初期値 math.inf)、best_epoch (初期値 −1、最初の呼び出しが 0)、counter (初期値 0)、
    should_stop (初期値 False)、epoch (これまでの step の呼び出し回数)。
    patience は 1 以上の整数、min_delta は 0 以上 (そうでなければ ValueError)。
    """

    def __init__(self, patience, min_delta=0.0):
        """属性を初期化する。"""
        # ヒント: hint("EarlyStopping.__init__")
        # @reference EarlyStopping.__init__

    def step(self, val_loss):
        """検証の損失を 1 つ記録し、学習を止めるべきなら True を返す。"""
        # ヒント: hint("EarlyStopping.step")
        # @reference EarlyStopping.step


# %% [tests] id=test_early_stopping points=2.5 hidden=early_stopping
with Properties() as test:
    with test.property("改善のたびに counter が 0 に戻り、patience 回続けて改善しなければ止まる (patience = 2、3)"):
        # patience = 2: 1.0 (改善)、0.9 (改善)、0.95 (counter 1)、0.91 (counter 2 → 止める)
        stopper = EarlyStopping(patience=2)
        check_true(
            stopper.best == math.inf and stopper.counter == 0,
            "生成直後は best = math.inf、counter = 0 にしてください。",
        )
        returned = [bool(stopper.step(loss)) for loss in [1.0, 0.9, 0.95, 0.91]]
        check_true(
            returned == [False, False, False, True],
            f"patience=2 での step の戻り値が {returned} です (期待 [F, F, F, T])。",
        )
        check_scalar(stopper.best, 0.9, "best")
        check_scalar(stopper.best_epoch, 1, "best_epoch (0 から数える)")
        check_scalar(stopper.counter, 2, "counter")
        check_true(bool(stopper.should_stop), "止めると判断した後は should_stop = True にしてください。")

        # 改善のたびに counter は 0 に戻る: patience = 3 では最後まで止まらない
        stopper = EarlyStopping(patience=3)
        counters = []
        for loss in [1.0, 1.25, 1.5, 0.75, 0.875, 0.8125, 0.5]:
            check_true(
                not stopper.step(loss), "改善のたびに counter を 0 に戻していれば、この列では止まらないはずです。"
            )
            counters.append(stopper.counter)
        check_true(
            counters == [0, 1, 2, 0, 1, 2, 0], f"counter の推移が {counters} です (期待 [0, 1, 2, 0, 1, 2, 0])。"
        )
        check_scalar(stopper.best_epoch, 6, "best_epoch")

    # 同じ値は改善ではない (厳密な <)
    with test.property("best と等しい損失は改善とみなさない (0.5 を 3 回)"):
        stopper = EarlyStopping(patience=2)
        returned = [bool(stopper.step(0.5)) for _ in range(3)]
        check_true(
            returned == [False, False, True],
            "best と等しい損失は改善とみなさないでください (val_loss < best − min_delta)。",
        )

    # patience = 3: 0.55 は前の 0.6 より下がっているが、best の 0.5 を下回らないので改善ではない。counter は 0, 1, 2, 3
    with test.property("前のエポックより下がっても、best を下回らなければ改善ではない (0.5、0.6、0.55、0.65)"):
        stopper = EarlyStopping(patience=3)
        returned, counters = [], []
        for loss in [0.5, 0.6, 0.55, 0.65]:
            returned.append(bool(stopper.step(loss)))
            counters.append(stopper.counter)
        check_true(
            counters == [0, 1, 2, 3],
            f"counter の推移が {counters} です (期待 [0, 1, 2, 3])。"
            "前のエポックの損失ではなく、それまでの最良の値 best と比べてください。",
        )
        check_true(
            returned == [False, False, False, True],
            f"patience=3 での step の戻り値が {returned} です (期待 [F, F, F, T])。",
        )

    # min_delta = 0.25: 1.0 の次の 0.875 は 0.75 より小さくないので改善ではない。0.5 は改善
    with test.property("min_delta 以上下がらなければ改善とみなさない (min_delta = 0.25)"):
        stopper = EarlyStopping(patience=2, min_delta=0.25)
        returned = [bool(stopper.step(loss)) for loss in [1.0, 0.875, 0.5]]
        check_true(returned == [False, False, False] and stopper.counter == 0, "min_delta の扱いが違います。")
        check_scalar(stopper.best, 0.5, "min_delta = 0.25 での best")

    # patience = 1 の例: 1.0 (改善)、0.5 (改善)、0.75 (counter 1 → 止める)
    with test.property("patience = 1 (改善しなかった最初のエポックで止まる)"):
        stopper = EarlyStopping(patience=1)
        returned = [bool(stopper.step(loss)) for loss in [1.0, 0.5, 0.75]]
        check_true(
            returned == [False, False, True], f"patience=1 での step の戻り値が {returned} です (期待 [F, F, T])。"
        )

    # patience = 3: 2.0、1.5、1.0、0.75 と下がり続けた後、1.0 (counter 1)、0.5 (改善、5 回目の step)、
    # 0.75 (counter 1)、0.625 (counter 2)、0.5625 (counter 3 → 止める)
    with test.property("損失が下がり続けた後に上下する長い列 (9 エポック)"):
        stopper = EarlyStopping(patience=3)
        returned, counters = [], []
        for loss in [2.0, 1.5, 1.0, 0.75, 1.0, 0.5, 0.75, 0.625, 0.5625]:
            returned.append(bool(stopper.step(loss)))
            counters.append(stopper.counter)
        check_true(
            counters == [0, 0, 0, 0, 1, 0, 1, 2, 3],
            f"counter の推移が {counters} です (期待 [0, 0, 0, 0, 1, 0, 1, 2, 3])。",
        )
        check_true(
            returned == [False] * 8 + [True],
            f"patience=3 での step の戻り値が {returned} です (最後の 1 回だけ True のはずです)。",
        )
        check_scalar(stopper.best, 0.5, "長い列の後の best")
        check_scalar(stopper.best_epoch, 5, "長い列の後の best_epoch (0 から数える)")
        check_true(bool(stopper.should_stop), "止めると判断した後は should_stop = True にしてください。")
print("公開テスト: OK")

# %% [markdown]
# 次のセルは、同じ演習の **規則** (rule) として、docstring にある入力の検査を確かめます (0.5 点。本体とは別に採点され、
# 規則を満たしていなくても本体の点は失いません)。
# 正しい入力では例外を出さず、patience が 1 以上の整数でない、min_delta が負のときは `ValueError` を出します。

# %% [tests] id=test_early_stopping_rules points=0.5 hidden=early_stopping_rules
with Properties() as test:
    with test.property("正しい入力 (1 以上の整数の patience、0 以上の min_delta) では例外を出さない"):
        EarlyStopping(patience=1, min_delta=0.0)
        EarlyStopping(patience=3, min_delta=0.25)
    with test.property("patience が 1 未満なら ValueError"):
        check_raises(
            ValueError, lambda: EarlyStopping(patience=0), "EarlyStopping(patience=0)", "patience は 1 以上です。"
        )
    with test.property("patience が整数でなければ (小数なら) ValueError"):
        check_raises(
            ValueError, lambda: EarlyStopping(patience=1.5), "EarlyStopping(patience=1.5)", "patience は整数です。"
        )
    with test.property("min_delta が負なら ValueError"):
        check_raises(
            ValueError, lambda: EarlyStopping(patience=2, min_delta=-0.1), "EarlyStopping(patience=2, min_delta=-0.1)",
            "min_delta は 0 以上です。",
        )  # fmt: skip
print("公開テスト: OK")

# %% [markdown]
# ### 実験: 早期終了で学習を止め、最良のパラメータに戻す
#
# 9.3 節と同じ正則化なしの学習を、`EarlyStopping(patience=10)` を付けて最大 100 エポック行います。`train_network` は、
# `best_epoch` が更新されたエポックごとにパラメータのコピーを取っておき、止まったらそれに戻します。

# %%
stopper = EarlyStopping(patience=10)
stopped_network, stopped_history = train_network(early_stopping=stopper, epochs=100)
full_network = runs["正則化なし"][0]
print(f"止まったエポック: {len(stopped_history['val_loss'])}、検証の損失が最小だったエポック: {stopper.best_epoch + 1}")
print(f"テストの正解率: 早期終了 (最良のエポックに戻す) {stopped_network.accuracy(x_test, t_test):.3f}、")
print(f"                正則化なしで 60 エポック学習 {full_network.accuracy(x_test, t_test):.3f}")

epochs_axis = np.arange(1, len(stopped_history["val_loss"]) + 1)
fig, ax = plt.subplots(figsize=(6.5, 4))
ax.plot(epochs_axis, stopped_history["val_loss"], marker=".", label="検証の損失")
ax.plot(epochs_axis, stopped_history["train_loss"], linestyle=":", label="訓練の損失 (誤ったラベルを含む)")
ax.axvline(stopper.best_epoch + 1, color="green", linestyle="--", label="最良のエポック (ここに戻す)")
ax.axvline(len(epochs_axis), color="red", linestyle="--", label="止めたエポック (最良 + patience)")
ax.set_xlabel("エポック")
ax.set_ylabel("交差エントロピー誤差")
ax.set_title("早期終了 (patience = 10)")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# 検証の損失が最小になってから 10 エポック改善がなかった時点で学習が止まり、最良のエポックのパラメータに戻したので、
# 60 エポックまで学習を続けたネットワークよりテストの正解率が高くなっています。早期終了は、学習の時間も節約できる、
# 手軽で効果の大きい正則化です。patience を小さくしすぎると揺れで早く止まりすぎ、大きくしすぎると無駄な学習が増えます。

# %% [markdown]
# ## 9.7 重みの初期値
#
# 重みは平均 0 の正規分布 $N(0, \sigma^2)$ からの乱数で初期化するのが一般的です (バイアスは 0)。標準偏差 $\sigma$ の選び方は学習の成否を
# 左右します。すべての重みを同じ値 (例えば 0) にすると、同じ層のユニットがすべて同じ計算をし、同じ勾配を受け取るので、
# いつまでも区別がつきません。乱数で対称性を崩す必要があります。では、どのくらいの大きさの乱数がよいでしょうか。
#
# ### 分散の議論
#
# ユニットへの入力の総和 $u = \sum_{i=1}^{M} w_i x_i$ ($M$ は入ってくる結合の数、fan-in) を考えます。$w_i$ は互いに独立で平均 0、
# 分散 $\sigma^2$、また $x_i$ とも独立とします ($x_i$ どうしは相関していてもかまいません)。平均は $E[u] = \sum_i E[w_i] E[x_i] = 0$ です。
# 異なる $i \ne k$ の項の共分散は $E[w_i w_k x_i x_k] - E[w_i x_i] E[w_k x_k] = E[w_i] E[w_k] E[x_i x_k] - 0 = 0$ なので、和の分散は
# 各項の分散の和になり、$E[w_i] = 0$ も使って
#
# $$
# \operatorname{Var}(u) = \sum_{i=1}^{M} \operatorname{Var}(w_i x_i) = \sum_{i=1}^{M} E[w_i^2]\, E[x_i^2] = M \sigma^2 E[x^2]
# $$
#
# となります ($\operatorname{Var}(w_i x_i) = E[w_i^2 x_i^2] - (E[w_i x_i])^2 = E[w_i^2] E[x_i^2] - 0$)。入力が標準化されていて $E[x^2] = 1$ なら
# $\operatorname{Var}(u) = M\sigma^2$ です。$u$ の分散を望みの値 $\sigma_u^2$ にしたければ
#
# $$
# \sigma = \frac{\sigma_u}{\sqrt{M}}
# $$
#
# とします。$\sigma$ が大きすぎると $u$ が大きくばらつき、シグモイド関数などの出力が 0 か 1 に張り付いて (飽和して) 微分がほぼ 0 になり、
# 勾配消失 (vanishing gradient) が起きます。小さすぎると、どのユニットの出力もほぼ同じ値になって表現力が失われます。
#
# - **Xavier の初期値** (Glorot & Bengio, 2010): $\sigma_u = 1$ として $\sigma = 1/\sqrt{M}$。層を重ねても $u$ の分散が保たれます。
#   原論文は、逆伝播で勾配の分散も保つ条件 ($n_\text{out}\,\sigma^2 = 1$) との折り合いとして $\sigma^2 = \dfrac{2}{n_\text{in} + n_\text{out}}$ を
#   提案しました (PyTorch の `xavier_normal_`)。$1/\sqrt{n_\text{in}}$ は順伝播だけを考えた簡略版です。
#   この議論は活性化関数が原点の周りで $\tanh$ のように対称 (出力の平均が 0) であることを前提にしています。シグモイド関数の出力は
#   平均 0.5 なので $E[x^2] \ne \operatorname{Var}(x)$ となり、おおよその目安になります。
# - **He の初期値** (He et al., 2015): ReLU は入力の負の半分を 0 にします。$u$ が 0 について対称なら、ReLU の出力 $x = \max(0, u)$ は
#   $E[x^2] = \frac{1}{2} E[u^2] = \frac{1}{2}\operatorname{Var}(u)$ です (2 乗の期待値のうち正の側の半分だけが残る)。次の層で
#   $\operatorname{Var}(u') = M \sigma^2 \cdot \frac{1}{2} \operatorname{Var}(u)$ を $\operatorname{Var}(u)$ と等しくするには
#   $\sigma^2 = 2 / M$、つまり $\sigma = \sqrt{2 / M}$ です (PyTorch の `kaiming_normal_(w, nonlinearity='relu')`)。
#
# 上の計算で $E[x^2]$ を使ったのは、ReLU の出力のように平均が 0 でない入力では $\operatorname{Var}(x)$ ではなく $E[x^2]$ が効くからです。
# これがちょうど He の初期値の係数 2 の出どころです。
#
# 次のセルは、引数を確かめる補助関数です (参照解答の一部)。

# %% [given] names=initialization._check_positive_int

# %% [markdown]
# ### 演習 7: Xavier と He の初期値の標準偏差


# %% [solution] id=init_std
def xavier_std(n_in, n_out=None):
    """Xavier の初期値の標準偏差 (float)。n_out が None なら 1/√n_in、与えられたら √(2 / (n_in + n_out))。

    n_in、n_out は正の整数 (そうでなければ ValueError)。
    """
    # ヒント: hint("xavier_std")
    # @reference xavier_std


def he_std(n_in):
    """He の初期値の標準偏差 √(2 / n_in) (float)。n_in は正の整数。"""
    # ヒント: hint("he_std")
    # @reference he_std


# %% [tests] id=test_init_std points=1.5 hidden=init_std
with Properties() as test:
    with test.property("n_out を省略した Xavier の初期値 1/√n_in (n_in = 100)"):
        check_scalar(xavier_std(100), 0.1, "xavier_std(100) (= 1/√100)")
    with test.property("He の初期値 √(2/n_in) (n_in = 50、8)"):
        check_scalar(he_std(50), 0.2, "he_std(50) (= √(2/50))")
        check_scalar(he_std(8), 0.5, "he_std(8) (= √(2/8))")
    with test.property("n_out を位置引数で与えた Xavier の初期値 √(2 / (n_in + n_out)) (30, 20)"):
        check_scalar(xavier_std(30, 20), 0.2, "xavier_std(30, 20) (= √(2/50))")
    with test.property("n_out をキーワード引数 n_out= で与えた Xavier の初期値 (30, n_out=20)"):
        check_scalar(xavier_std(30, n_out=20), 0.2, "xavier_std(30, n_out=20)")
print("公開テスト: OK")

# %% [markdown]
# 次のセルは、同じ演習の **規則** (rule) として、docstring にある入力の検査を確かめます (0.5 点。本体とは別に採点され、
# 規則を満たしていなくても本体の点は失いません)。
# 正しい入力では例外を出さず、xavier_std の n_in、n_out が正の整数でないときは `ValueError` を出します。

# %% [tests] id=test_init_std_rules points=0.5 hidden=init_std_rules
with Properties() as test:
    with test.property("正しい入力 (正の整数の n_in、n_out) では例外を出さない"):
        xavier_std(1), xavier_std(3, 1)
    with test.property("n_in が正でなければ ValueError"):
        check_raises(ValueError, lambda: xavier_std(0), "xavier_std(0)", "n_in は正の整数です。")
    with test.property("n_in が整数でなければ (小数なら) ValueError"):
        check_raises(ValueError, lambda: xavier_std(2.5), "xavier_std(2.5)", "n_in は整数です。")
    with test.property("n_out が正でなければ ValueError"):
        check_raises(ValueError, lambda: xavier_std(10, 0), "xavier_std(10, 0)", "n_out も正の整数です。")
print("公開テスト: OK")

# %% [markdown]
# ### 実験: 活性化のヒストグラム
#
# 100 ユニットの層を 5 つ重ね、標準正規分布の入力 500 個を通したときの、各層の出力 (活性化 (activation)) の分布を描きます。
# 上の段はシグモイド関数で $\sigma = 1$、$\sigma = 0.01$、Xavier、下の段は ReLU で $\sigma = 0.01$、Xavier、He です。
# ReLU の出力の約半分はちょうど 0 なので、下の段は正の値だけを対数目盛の横軸で描いています。


# %%
def sigmoid_function(a):
    return 1.0 / (1.0 + np.exp(-a))


def relu_function(a):
    return np.maximum(0.0, a)


def layer_activations(activation, std, num_layers=5, width=100, seed=0):
    """標準正規分布からの 500 個の入力に対する、num_layers 層の全結合層 (バイアスなし) の出力。"""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((500, width))
    outputs = []
    for _ in range(num_layers):
        W = std * rng.standard_normal((width, width))
        x = activation(x @ W)
        outputs.append(x)
    return outputs


settings = [
    ("シグモイド、σ = 1", sigmoid_function, 1.0),
    ("シグモイド、σ = 0.01", sigmoid_function, 0.01),
    ("シグモイド、Xavier (σ = 0.1)", sigmoid_function, xavier_std(100)),
    ("ReLU、σ = 0.01", relu_function, 0.01),
    ("ReLU、Xavier (σ = 0.1)", relu_function, xavier_std(100)),
    ("ReLU、He (σ ≈ 0.141)", relu_function, he_std(100)),
]
all_outputs = [layer_activations(activation, std) for _, activation, std in settings]
fig, axes = plt.subplots(2, 3, figsize=(13, 7), layout="constrained")
for ax, (title, activation, _), outputs in zip(axes.ravel(), settings, all_outputs):
    for layer, values in enumerate(outputs, start=1):
        if activation is sigmoid_function:
            counts, edges = np.histogram(values, bins=np.linspace(0, 1, 41))
        else:
            counts, edges = np.histogram(values[values > 0], bins=np.logspace(-9, 1, 61))
            ax.set_xscale("log")
        ax.stairs(counts, edges, label=f"第 {layer} 層")
    ax.set_title(title)
    ax.set_xlabel("活性化の値" + ("" if activation is sigmoid_function else " (正の値のみ、対数目盛)"))
    ax.set_ylabel("個数")
    ax.legend(fontsize=7)
fig.suptitle("重みの初期値と各層の活性化の分布 (100 ユニット × 5 層、入力 500 個)")
plt.show()

for (title, _, _), outputs in zip(settings, all_outputs):
    print(f"{title:24s} 各層の活性化の標準偏差:", " ".join(f"{values.std():.2g}" for values in outputs))

# %% [markdown]
# **読み取り**:
#
# - シグモイド、$\sigma = 1$: $u$ の分散が $100 \times 1 = 100$ と大きすぎ、出力が 0 と 1 に張り付いています。シグモイド関数の微分
#   $y(1 - y)$ はそこでほぼ 0 なので、逆伝播の勾配が消えてしまいます。
# - シグモイド、$\sigma = 0.01$: 出力が 0.5 の周りに集中し、どのユニットもほぼ同じ値です。多数のユニットがある意味がありません。
# - シグモイド、Xavier: 層を重ねても、ほどよい広がりが保たれています。第 2 層以降のヒストグラムがぎざぎざなのは、シグモイド関数の
#   出力の平均が 0 ではなく 0.5 だからです。ユニット $j$ の総入力には $0.5 \sum_i W_{ij}$ というユニットごとに違うずれが加わるので、
#   ユニットごとの分布が少しずつずれて重なって見えます (上の分散の議論が $\tanh$ のような原点対称の活性化関数を前提にしているのは、このためです)。
# - ReLU、$\sigma = 0.01$: 層ごとに値が 1 桁以上小さくなり、第 5 層では $10^{-6}$ 程度まで縮んでいます (分布が左へずれていく)。
#   Xavier でも 1 層ごとに約 $1/\sqrt{2}$ 倍ずつ縮みます (ReLU が 2 乗の期待値を半分にするため)。He では層が深くなっても
#   分布の位置が変わらず、これが「ReLU には He」の理由です。

# %% [markdown]
# ## 9.8 入力の標準化
#
# 入力の各特徴量 (digits では各画素) $i$ を、平均 0、標準偏差 1 にそろえる変換を標準化と呼びます。
#
# $$
# s_{ni} = \frac{x_{ni} - \bar{x}_i}{\sigma_i}, \qquad \bar{x}_i = \frac{1}{N}\sum_{n=1}^{N} x_{ni}, \qquad
# \sigma_i = \sqrt{\frac{1}{N}\sum_{n=1}^{N} (x_{ni} - \bar{x}_i)^2}
# $$
#
# 特徴量ごとにスケールがばらばらだと、損失の谷が細長くなって勾配法が進みにくくなり、9.7 節の「$E[x^2] = 1$」という前提も崩れます。
#
# **いちばん大事な約束**: $\bar{x}_i$ と $\sigma_i$ は **訓練データだけ** から求め、同じ値を検証データ・テストデータ・実際の推論時の入力に
# 使います。平均と標準偏差は、重みと同じく学習で決まるモデルの一部です。講座のツール `course.data.standardize(x_train, x_test)` は
# この約束どおりに、訓練データの統計量で両方を変換し、`(x_train_std, x_test_std, mean, std)` を返します (訓練データで常に一定の特徴量は
# $\sigma_i = 1$ として割ります。digits の端の画素のように、訓練データでは常に 0 なのにテストデータでは 0 でない画素があるからです)。
#
# 訓練データで標準化した digits で `TwoLayerNet` を学習し、テストデータの標準化のしかたを変えて比べてみます。

# %%
x_train_std, x_test_std, train_mean, train_std = standardize(x_train, x_test)
print("訓練データで常に一定の画素の数:", int(np.sum(x_train.std(axis=0) < 1e-8)))
rng = np.random.default_rng(4)
network = TwoLayerNet(64, 50, 10, weight_init_std=he_std(64), rng=rng)
for _ in range(10):
    order = rng.permutation(len(x_train_std))
    for start in range(0, len(order), 50):
        batch = order[start : start + 50]
        grads = network.gradient(x_train_std[batch], t_train[batch])
        for key in network.params:
            network.params[key] -= 0.05 * grads[key]

# 誤り: テストデータをそれ自身の統計量で標準化する
_, x_test_own, _, _ = standardize(x_test, x_test)
print(
    f"テスト全体 (360 枚): 訓練データの統計量 {network.accuracy(x_test_std, t_test):.3f}、"
    f"テストデータ自身の統計量 {network.accuracy(x_test_own, t_test):.3f}"
)
zeros_only = t_test == 0
_, x_zeros_own, _, _ = standardize(x_test[zeros_only], x_test[zeros_only])
print(
    f"「0」の画像だけの {int(zeros_only.sum())} 枚: 訓練データの統計量 {network.accuracy(x_test_std[zeros_only], t_test[zeros_only]):.3f}、"
    f"その 36 枚自身の統計量 {network.accuracy(x_zeros_own, t_test[zeros_only]):.3f}"
)
_, x_single_own, _, _ = standardize(x_test[:1], x_test[:1])
print("1 枚だけを自身の統計量で標準化した入力の最小値と最大値:", x_single_own.min(), x_single_own.max())

# %% [markdown]
# - テスト全体を自身の統計量で標準化しても、正解率はほとんど変わらず、一見問題がないように見えます。訓練データとテストデータが
#   同じ分布から取られているので、統計量がたまたま近いからです。
# - しかし、実際に届く入力がいつもそうとは限りません。「0」の画像だけが集まったバッチを自身の統計量で標準化すると、すべての画像に
#   共通する「0 らしさ」が平均として引き去られ、正解率が大きく落ちます。同じ画像に対する予測が、一緒に並んだ他の画像によって
#   変わってしまうのです。1 枚だけのときは、標準偏差が 0 なのでどの画像も全画素 0 になり、何が写っていても同じ予測しか出せません。
# - テストデータの統計量を使うと、テストデータの情報が前処理を通じてモデルに漏れ込む (データリーク (data leakage)) ことにもなります。
#   訓練データから統計量を求め、それを保存しておいて、推論時にも同じ値で変換するのが正しい使い方です。
#
# ## まとめ
#
# - L2 正則化 (荷重減衰): 損失に $\frac{\lambda}{2}\sum W^2$、勾配に $\lambda W$ を足す。SGD では毎回重みを $(1 - \eta\lambda)$ 倍に縮めるのと同じ。
#   重みだけにかけ、バイアスやバッチ正規化の $\gamma$、$\beta$ にはかけない。
# - L1 正則化: 損失に $\lambda\sum|W|$、勾配に $\lambda \operatorname{sign}(W)$ ($W = 0$ では 0)。一定の力で 0 へ押すので、多くの重みが 0 付近に集まる
#   スパースな解になる (ソフト閾値処理)。Elastic Net は L1 と L2 の和。
# - max-norm 制約: 各ユニットに入る重み (形状 (n_in, n_out) の $W$ では列) のノルムが $c$ を超えたら $c$ に縮める。上限を二乗和で書くと $c$ の意味が $c^2$ に変わるので注意。
# - AdamW: 減衰を勾配から切り離し、$w \leftarrow w - \eta\lambda w$ を別に行う。Adam + L2 では減衰が $\sqrt{\hat{v}}$ で割られ、勾配の大きい重みほど
#   縮まない。PyTorch の `Adam(weight_decay=...)` は Adam + L2、`AdamW` が分離した減衰。
# - 早期終了: 検証データ (テストデータではない) の損失が、それまでの最良の値から `patience` 回続けて改善しなければ止め、最良のパラメータに戻す。
#   改善は厳密な不等号 `val_loss < best - min_delta` で判定し、改善したらカウンタを 0 に戻す。
# - 重みの初期値: $\operatorname{Var}(u) = M\sigma^2 E[x^2]$ から $\sigma = \sigma_u/\sqrt{M}$。Xavier は $1/\sqrt{M}$ (原論文は $\sqrt{2/(n_\text{in} + n_\text{out})}$)、
#   ReLU には $E[x^2]$ が半分になる分を補った He の $\sqrt{2/M}$。
# - 入力の標準化: 平均と標準偏差は訓練データだけから求め、同じ値を検証・テスト・推論時の入力に使う。

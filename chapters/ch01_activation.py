# Chapter 1 of the course. Built into source_notebooks/ by `python -m autograder build`.
# `hint` is imported for the learner, who calls it as the stubs' comments say; ruff does not see that use:
# ruff: noqa: F401

# %% [markdown]
# # 第 1 章 パーセプトロンから活性化関数へ
#
# この章では、ニューラルネットワークのいちばん小さな部品を NumPy で実装します。
#
# 1. パーセプトロン (perceptron) で論理ゲート AND・NAND・OR を作る
# 2. 1 つのパーセプトロンでは XOR が作れない理由を図で確かめ、層 (layer) を重ねて XOR を作る
# 3. 活性化関数 (activation function): ステップ関数 (step function)、シグモイド関数 (sigmoid)、ReLU
# 4. ソフトマックス関数 (softmax) と、そのオーバーフロー (overflow) 対策
# 5. バッチ (batch) でまとめて計算する 3 層ネットワークの順伝播 (forward propagation)
#
# **進め方**: `ここに実装してください (YOUR CODE HERE)` と書かれたセルを実装し、すぐ下のテストセルを実行してください。
# テストセルが何も例外を出さずに「公開テスト: OK」と表示すれば合格です。採点では、ここに見えているテスト (公開テスト) に加えて、
# 別の入力を使う隠しテストも実行されます。公開テストの値だけに合わせた実装では点になりません。
#
# **ヒント**: 行き詰まったら、実装するセルのコメントにある `hint("関数名")` を新しいセルで実行してください。ヒントは 2〜3 段階あり、
# `hint("関数名", 2)` のように番号を増やすと次の段階が表示されます (答えのコードそのものは出ません)。表示したヒントはノートブックの出力に残り、
# 講師のクラス報告で「どのヒントが必要とされたか」の集計に使われます (成績には影響しません)。

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np

from course.checks import check_array, check_scalar
from course.hints import hint
from course.plotting import use_japanese_font

use_japanese_font()
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1.1 パーセプトロン
#
# パーセプトロンは、入力 $x_1, x_2$ にそれぞれ重み (weight) $w_1, w_2$ を掛けて足し、バイアス (bias) $b$ を加えた値が
# 正なら 1、そうでなければ 0 を出力します。
#
# $$
# y = \begin{cases} 1 & (w_1 x_1 + w_2 x_2 + b > 0) \\ 0 & (w_1 x_1 + w_2 x_2 + b \le 0) \end{cases}
# $$
#
# 重みは入力の重要度、バイアスは「どれだけ 1 を出しやすいか」を決めます。例えば $w_1 = w_2 = 0.5,\ b = -0.7$ とすると、
# $x_1 = x_2 = 1$ のときだけ $0.5 + 0.5 - 0.7 = 0.3 > 0$ となり、AND ゲートになります。
#
# ### 演習 1: AND・NAND・OR
#
# 次の真理値表を満たすように、3 つのゲートをそれぞれ **1 つの** パーセプトロンとして実装してください。
# 入力は 0 か 1、出力は Python の `int` (0 か 1) です。
#
# | $x_1$ | $x_2$ | AND | NAND | OR |
# |---|---|---|---|---|
# | 0 | 0 | 0 | 1 | 0 |
# | 1 | 0 | 0 | 1 | 1 |
# | 0 | 1 | 0 | 1 | 1 |
# | 1 | 1 | 1 | 0 | 1 |


# %% [solution] id=gates
def AND(x1, x2):
    """AND ゲート。x1, x2: 0 または 1。戻り値: int (0 または 1)。"""
    # ヒント: hint("AND")
    # @reference AND


def NAND(x1, x2):
    """NAND ゲート (AND の否定)。x1, x2: 0 または 1。戻り値: int。"""
    # ヒント: hint("NAND")
    # @reference NAND


def OR(x1, x2):
    """OR ゲート。x1, x2: 0 または 1。戻り値: int。"""
    # ヒント: hint("OR")
    # @reference OR


# %% [tests] id=test_gates points=3 hidden=gates
truth_table = {"AND": [0, 0, 0, 1], "NAND": [1, 1, 1, 0], "OR": [0, 1, 1, 1]}
inputs = [(0, 0), (1, 0), (0, 1), (1, 1)]
for gate_name, gate in [("AND", AND), ("NAND", NAND), ("OR", OR)]:
    for (x1, x2), expected in zip(inputs, truth_table[gate_name]):
        check_scalar(gate(x1, x2), expected, f"{gate_name}({x1}, {x2})")
print("公開テスト: OK")

# %% [markdown]
# ## 1.2 XOR は 1 つのパーセプトロンでは作れない
#
# パーセプトロンの出力が 0 と 1 に切り替わる境界は、直線 $w_1 x_1 + w_2 x_2 + b = 0$ です。
# つまり 1 つのパーセプトロンは、平面を **1 本の直線** で 2 つに分けることしかできません (線形分離可能 (linearly separable) な問題しか解けません)。
#
# 下の図は、4 つの入力点を XOR の出力で色分けし、OR ゲートの境界線 $0.5 x_1 + 0.5 x_2 - 0.2 = 0$ を重ねたものです。
# OR なら 1 本の直線で ○ と × を分けられますが、XOR の ○ (出力 1) は対角の位置にあり、どんな直線を引いても分けられません。

# %%
points = np.array([[0, 0], [1, 0], [0, 1], [1, 1]])
xor_output = np.array([0, 1, 1, 0])
fig, ax = plt.subplots(figsize=(4.5, 4.5))
ax.scatter(*points[xor_output == 1].T, marker="o", s=150, label="XOR の出力 1")
ax.scatter(*points[xor_output == 0].T, marker="x", s=150, label="XOR の出力 0")
line_x = np.linspace(-0.5, 1.5, 2)
ax.plot(line_x, (0.2 - 0.5 * line_x) / 0.5, "k--", label="OR の境界 0.5x₁+0.5x₂−0.2=0")
ax.set_xlim(-0.5, 1.5)
ax.set_ylim(-0.5, 1.5)
ax.set_xlabel("入力 $x_1$")
ax.set_ylabel("入力 $x_2$")
ax.set_title("XOR の 4 点は 1 本の直線では分けられない")
ax.legend(loc="upper right", fontsize=8)
plt.show()

# %% [answer] id=why_not_xor points=2
# **記述問題**: 1 つのパーセプトロンでは XOR を表せないのはなぜですか。パーセプトロンの出力が切り替わる境界の形と、
# XOR の 4 点の配置を使って説明してください。次のセルに答えてください。
#
# **模範解答**: 1 つのパーセプトロンの出力は $w_1 x_1 + w_2 x_2 + b$ の符号だけで決まるので、出力 1 と 0 の境界は
# 直線になる。XOR では出力 1 の点 (1, 0) と (0, 1) が、出力 0 の点 (0, 0) と (1, 1) と対角に並んでいる。
# 仮に分けられるとすると、(1, 0) と (0, 1) から $w_1 + b > 0,\ w_2 + b > 0$、(0, 0) から $b \le 0$ が必要で、
# 最初の 2 つを足すと $w_1 + w_2 + 2b > 0$、さらに $b \le 0$ より $w_1 + w_2 + b > -b \ge 0$ となって
# (1, 1) の出力も 1 になってしまう。よって XOR は線形分離不可能で、1 つのパーセプトロンでは表せない。
#
# (採点の目安: 境界が直線であること、XOR の点の配置では直線で分けられないことの 2 点が書けていれば満点。)

# %% [markdown]
# ### 演習 2: 層を重ねて XOR を作る
#
# 直線 1 本では無理でも、ゲートを組み合わせれば XOR を作れます。NAND と OR の出力を AND に入れると
#
# | $x_1$ | $x_2$ | $s_1$ = NAND | $s_2$ = OR | AND($s_1$, $s_2$) |
# |---|---|---|---|---|
# | 0 | 0 | 1 | 0 | 0 |
# | 1 | 0 | 1 | 1 | 1 |
# | 0 | 1 | 1 | 1 | 1 |
# | 1 | 1 | 0 | 1 | 0 |
#
# となり、XOR になります。これは 2 層のパーセプトロン (多層パーセプトロン (multi-layer perceptron)) です。
# 層を重ねることで、1 層では表せない関数が表せるようになる、というのがニューラルネットワークの出発点です。


# %% [solution] id=xor
def XOR(x1, x2):
    """XOR ゲート。演習 1 の NAND・OR・AND を組み合わせる。x1, x2: 0 または 1。戻り値: int。"""
    # ヒント: hint("XOR")
    # @reference XOR


# %% [tests] id=test_xor points=2 hidden=xor
for (x1, x2), expected in zip([(0, 0), (1, 0), (0, 1), (1, 1)], [0, 1, 1, 0]):
    check_scalar(XOR(x1, x2), expected, f"XOR({x1}, {x2})")
print("公開テスト: OK")

# %% [markdown]
# ## 1.3 活性化関数
#
# パーセプトロンの式を 2 段階に分けて書くと、重み付き和 $a = w_1 x_1 + w_2 x_2 + b$ を計算し、それを関数 $h$ に通して
# $y = h(a)$ とする、という形になります。この $h$ を活性化関数と呼びます。パーセプトロンの $h$ は階段状のステップ関数
# (step function) ですが、ニューラルネットワークでは滑らかな関数や、折れ線の関数を使います。
#
# $$
# \text{ステップ関数}\ h(a) = \begin{cases} 1 & (a > 0) \\ 0 & (a \le 0) \end{cases}, \qquad
# \text{シグモイド関数 (sigmoid)}\ \sigma(a) = \frac{1}{1 + e^{-a}}, \qquad
# \text{ReLU}\ h(a) = \max(0, a)
# $$
#
# 3 つとも **要素ごと** (elementwise) の関数です。NumPy 配列を受け取り、同じ形状の配列を返すように実装します。
#
# ### 演習 3: ステップ関数


# %% [solution] id=step_function
def step_function(x):
    """ステップ関数。x: 任意の形状の配列。戻り値: x > 0 の要素が 1、それ以外が 0 の int64 配列 (形状は x と同じ)。"""
    # ヒント: hint("step_function")
    # @reference step_function


# %% [tests] id=test_step_function points=1 hidden=step_function
check_array(step_function(np.array([-1.0, 0.0, 2.0])), [0, 0, 1], "step_function([-1, 0, 2])")
check_array(step_function(np.array([[0.5, -0.5], [3.0, 0.0]])), [[1, 0], [1, 0]], "step_function (2 次元)")
print("公開テスト: OK")

# %% [markdown]
# ### 演習 4: シグモイド関数と、オーバーフロー
#
# 式どおり `1 / (1 + np.exp(-x))` と書くと、$x = -1000$ のとき $e^{1000}$ を計算しようとして float64 の最大値
# (約 $1.8 \times 10^{308}$) を超え、オーバーフローの警告が出ます。結果は正しく 0 になりますが、警告は
# 「どこかで inf が生まれた」という合図で、放っておくと別の場所で nan の原因になります。

# %%
with np.errstate(over="ignore"):  # 警告を出さずに、何が起きるかだけを見る
    print("np.exp([700, 710, 1000]) =", np.exp(np.array([700.0, 710.0, 1000.0])))

# %% [markdown]
# オーバーフローを避けるには、$x < 0$ のときに分母・分子に $e^{x}$ を掛けた同じ値の式
# $\sigma(x) = \dfrac{e^{x}}{1 + e^{x}}$ を使います。$z = e^{-|x|}$ とおけば、$z$ は常に $(0, 1]$ に収まり、
#
# $$
# \sigma(x) = \begin{cases} \dfrac{1}{1 + z} & (x \ge 0) \\[2mm] \dfrac{z}{1 + z} & (x < 0) \end{cases}
# $$
#
# と、どちらの場合もオーバーフローせずに計算できます (`np.where` で場合分けできます)。


# %% [solution] id=sigmoid
def sigmoid(x):
    """シグモイド関数 1 / (1 + exp(-x))。x: 任意の形状の配列。戻り値: 同じ形状の配列 (値は 0 以上 1 以下)。

    |x| が大きくてもオーバーフローの警告を出さないこと。
    """
    # ヒント: hint("sigmoid")
    # @reference sigmoid


# %% [tests] id=test_sigmoid points=2 hidden=sigmoid
check_scalar(sigmoid(np.array(0.0)), 0.5, "sigmoid(0)")
check_scalar(sigmoid(np.array(np.log(3.0))), 0.75, "sigmoid(log 3)")  # 1 / (1 + 1/3) = 3/4
with warnings.catch_warnings():
    warnings.simplefilter("error")  # 警告が出たら失敗にする
    check_array(sigmoid(np.array([-1000.0, 1000.0])), [0.0, 1.0], "sigmoid([-1000, 1000])")
print("公開テスト: OK")

# %% [markdown]
# ### 演習 5: ReLU


# %% [solution] id=relu
def relu(x):
    """ReLU (rectified linear unit) max(0, x)。x: 任意の形状の配列。戻り値: 同じ形状の配列。"""
    # ヒント: hint("relu")
    # @reference relu


# %% [tests] id=test_relu points=1 hidden=relu
check_array(relu(np.array([[-2.0, 0.0], [0.5, 3.0]])), [[0.0, 0.0], [0.5, 3.0]], "relu")
print("公開テスト: OK")

# %% [markdown]
# 3 つの活性化関数を並べて描いてみましょう。ステップ関数は $a = 0$ で不連続で、それ以外では傾きが 0 です。
# 第 3 章以降で学ぶ勾配法は傾き (微分) を手がかりに学習するので、傾きが至るところ 0 のステップ関数では学習が進みません。
# シグモイド関数は滑らかで、ReLU は $a > 0$ で傾き 1 を保ちます。

# %%
a = np.linspace(-5, 5, 201)
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(a, step_function(a), label="ステップ関数")
ax.plot(a, sigmoid(a), label="シグモイド関数")
ax.plot(a, relu(a), label="ReLU")
ax.set_ylim(-0.2, 2.2)
ax.set_xlabel("入力 $a$")
ax.set_ylabel("出力 $h(a)$")
ax.set_title("活性化関数の比較")
ax.legend()
plt.show()

# %% [markdown]
# ## 1.4 ソフトマックス関数
#
# 多クラス分類 (multi-class classification) の出力層では、$C$ 個のスコア $a_1, \dots, a_C$ を、合計が 1 の確率に
# 変換するソフトマックス関数を使います。
#
# $$
# y_k = \frac{e^{a_k}}{\sum_{i=1}^{C} e^{a_i}}
# $$
#
# どの $y_k$ も正で、合計は 1 になります。また $e^x$ は単調増加なので、スコアの大小関係はそのまま保たれます。
#
# **オーバーフローの問題**: スコアが 1000 程度になると $e^{1000}$ は inf になり、inf / inf = nan が出ます。


# %%
def softmax_naive(a):
    exp_a = np.exp(a)
    return exp_a / np.sum(exp_a)


with np.errstate(over="ignore", invalid="ignore"):
    print("softmax_naive([1010, 1000, 990]) =", softmax_naive(np.array([1010.0, 1000.0, 990.0])))

# %% [markdown]
# **対策**: 分子と分母に同じ定数 $K$ を掛けても値は変わりません (この講座では $C$ をクラス数に使うので、定数は $K$ と書きます)。
# $K = e^{-m}$ ($m = \max_i a_i$) とすると
#
# $$
# y_k = \frac{e^{a_k}}{\sum_i e^{a_i}} = \frac{e^{-m} e^{a_k}}{\sum_i e^{-m} e^{a_i}} = \frac{e^{a_k - m}}{\sum_i e^{a_i - m}}
# $$
#
# となり、指数に入る値は 0 以下になるので、$e^{a_k - m}$ は $(0, 1]$ に収まります (最大の要素では $e^0 = 1$ なので、分母は 1 以上)。
#
# **バッチ (batch) 入力**: 形状 (N, C) の配列では、**各行** (各サンプル) ごとにソフトマックスを計算します。
# `np.max(a, axis=-1, keepdims=True)` のように `axis=-1` と `keepdims=True` を使うと、1 次元 (C,) と 2 次元 (N, C) の
# どちらにも同じコードで対応でき、形状 (N, 1) の最大値が各行にブロードキャスト (broadcast) されます。
# `axis` を付け忘れると配列全体の合計で割ってしまい、行ごとの確率になりません。
#
# ### 演習 6: ソフトマックス関数


# %% [solution] id=softmax
def softmax(x):
    """ソフトマックス関数。x: 形状 (C,) のベクトル、または形状 (N, C) のバッチ (各行が 1 サンプル)。

    戻り値: x と同じ形状。各行の合計が 1。大きな入力 (例えば 1000 前後) でも nan にならないこと。
    """
    # ヒント: hint("softmax")
    # @reference softmax


# %% [tests] id=test_softmax points=3 hidden=softmax
expected = np.array([1.0, 2.0, 3.0]) / 6.0  # exp(0), exp(log 2), exp(log 3) = 1, 2, 3
check_array(softmax(np.log(np.array([1.0, 2.0, 3.0]))), expected, "softmax(log [1, 2, 3])")
check_array(softmax(1000.0 + np.log(np.array([1.0, 2.0, 3.0]))), expected, "softmax(1000 + log [1, 2, 3])")
batch = np.array([np.log([1.0, 2.0, 3.0]), [5.0, 5.0, 5.0]])
check_array(softmax(batch), [expected, [1 / 3, 1 / 3, 1 / 3]], "softmax (形状 (2, 3) のバッチ)")
print("公開テスト: OK")

# %% [markdown]
# ## 1.5 バッチで計算する 3 層ネットワークの順伝播
#
# 層の計算は行列の積 (matrix product) でまとめて書けます。入力 $X$ を形状 (N, D) の行列 (1 行が 1 サンプル)、
# 重み $W$ を形状 (D, H)、バイアス $b$ を形状 (H,) とすると
#
# $$
# A = X W + b \quad (\text{形状 } (N, D) \cdot (D, H) \to (N, H))
# $$
#
# です。$b$ は形状 (H,) ですが、NumPy のブロードキャストにより $N$ 行すべてに同じ $b$ が足されます。
# 行列の積では、左の列数と右の行数 (ここでは D) が一致していなければなりません。
#
# 次の 3 層ネットワークを実装します。隠れ層 (hidden layer) の活性化関数はシグモイド関数、出力層は恒等関数
# (identity function、回帰で使う) です。
#
# $$
# Z_1 = \sigma(X W_1 + b_1), \quad Z_2 = \sigma(Z_1 W_2 + b_2), \quad Y = Z_2 W_3 + b_3
# $$
#
# ### 演習 7: 3 層ネットワークの順伝播


# %% [solution] id=three_layer_forward
def three_layer_forward(params, x):
    """3 層ネットワークの順伝播 (隠れ層はシグモイド、出力は恒等関数)。

    params: 辞書。'W1' (D, H1), 'b1' (H1,), 'W2' (H1, H2), 'b2' (H2,), 'W3' (H2, C), 'b3' (C,)
    x: 形状 (N, D) のバッチ (1 サンプルなら形状 (D,))
    戻り値: 形状 (N, C) (1 サンプルなら (C,)) の出力
    """
    # ヒント: hint("three_layer_forward")
    # @reference three_layer_forward


# %% [tests] id=test_three_layer_forward points=3 hidden=three_layer_forward
# W1 = 0 なので z1 はどの入力でも 0.5。a2 = 0.5 * 3 - 1.5 = 0 なので z2 = 0.5。
# 出力 y = [0.5 * 1 + 0.5 * 3 + 0.1, 0.5 * 2 + 0.5 * 4 + 0.2] = [2.1, 3.2]
tiny = {
    "W1": np.zeros((2, 3)),
    "b1": np.zeros(3),
    "W2": np.ones((3, 2)),
    "b2": np.array([-1.5, -1.5]),
    "W3": np.array([[1.0, 2.0], [3.0, 4.0]]),
    "b3": np.array([0.1, 0.2]),
}
x_batch = np.arange(8.0).reshape(4, 2)
check_array(three_layer_forward(tiny, x_batch), np.tile([2.1, 3.2], (4, 1)), "three_layer_forward (N=4)")
check_array(three_layer_forward(tiny, np.array([1.0, -1.0])), [2.1, 3.2], "three_layer_forward (1 サンプル)")
print("公開テスト: OK")

# %% [markdown]
# 形状の流れを確かめてみましょう。5 サンプル、入力 4 次元、隠れ層 3 と 2 ユニット、出力 2 次元のネットワークです。

# %%
rng = np.random.default_rng(0)
shapes = {"W1": (4, 3), "b1": (3,), "W2": (3, 2), "b2": (2,), "W3": (2, 2), "b3": (2,)}
params = {name: rng.standard_normal(shape) for name, shape in shapes.items()}
x_demo = rng.standard_normal((5, 4))
print("x の形状:", x_demo.shape)
print("出力の形状:", three_layer_forward(params, x_demo).shape)

# %% [markdown]
# ## まとめ
#
# - パーセプトロンは重み付き和の符号で 0/1 を出力し、境界は直線になる。AND・NAND・OR は作れるが XOR は作れない。
# - 層を重ねる (NAND と OR の出力を AND に入れる) と XOR が作れる。これが多層ネットワークの出発点。
# - 活性化関数: ステップ関数、シグモイド関数 (オーバーフローしない書き方に注意)、ReLU。学習には傾きが 0 でない関数が必要。
# - ソフトマックス関数は最大値を引いてから計算する。バッチでは `axis=-1, keepdims=True` で行ごとに計算する。
# - バッチの順伝播は行列の積 (N, D)·(D, H) とバイアスのブロードキャストで書ける。

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
# 6. 活性化関数はなぜ非線形でなければならないか: 活性化関数のない層を何層重ねても 1 層と同じ
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

from course.checks import Properties, check_array, check_scalar, check_true
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
# 性質 (property) ごとに確かめ、合わない性質があってもその後の性質まで確かめてから、性質ごとの結果 (✓/✗) を示す
truth_table = {"AND": [0, 0, 0, 1], "NAND": [1, 1, 1, 0], "OR": [0, 1, 1, 1]}
inputs = [(0, 0), (1, 0), (0, 1), (1, 1)]
with Properties() as test:
    for gate_name, gate in [("AND", AND), ("NAND", NAND), ("OR", OR)]:
        with test.property(f"{gate_name} の真理値表"):
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
# **記述問題**: 2 入力の論理関数 (4 つの入力 (0, 0)、(1, 0)、(0, 1)、(1, 1) のそれぞれに出力 0 か 1 を決めたもの) は、
# 全部で $2^4 = 16$ 個あります。AND・NAND・OR・XOR はその一部です。16 個のうち、1 つのパーセプトロンでは表せないものを
# **すべて** 挙げてください。また、挙げたものが表せない理由と、残りはどれも表せる理由を説明してください
# (出力が 1 になる点の個数で場合分けすると整理できます)。次のセルに答えてください。
#
# **模範解答**: 表せないのは XOR (出力 1 が (1, 0) と (0, 1)) と、その否定の XNOR (出力 1 が (0, 0) と (1, 1)) の 2 つだけで、
# 残りの 14 個は表せる。1 つのパーセプトロンの境界は直線 $w_1 x_1 + w_2 x_2 + b = 0$ なので、表せるのは出力 1 の点と
# 出力 0 の点を 1 本の直線で分けられる関数に限られる。出力 1 の点の個数で分けると、
# 0 個と 4 個 (つねに 0、つねに 1) は $w_1 = w_2 = 0$ として $b$ の符号で決まる (例えば $b = -1$ と $b = 1$)。
# 1 個と 3 個 (AND、NOR、OR、NAND など 8 個) は、正方形の 1 つの角だけを残りの 3 つから切り離す斜めの直線で分けられる。
# 出力 1 が 2 個の 6 つのうち、隣り合う 2 点が 1 になる 4 個 ($x_1$、$x_2$、NOT $x_1$、NOT $x_2$) は縦か横の直線で分けられる。
# 残る 2 個は、対角の 2 点が 1 になる XOR と XNOR で、1.2 節の図と同じく直線では分けられない。例えば XNOR は
# 不等式でも確かめられる: (0, 0) と (1, 1) から $b > 0$、$w_1 + w_2 + b > 0$、(1, 0) と (0, 1) から
# $w_1 + b \le 0$、$w_2 + b \le 0$。後の 2 つを足すと $w_1 + w_2 + 2b \le 0$ だが、前の 2 つを足すと
# $w_1 + w_2 + 2b > 0$ で矛盾する。
#
# (採点の目安: 表せないものとして XOR と XNOR の 2 つを挙げ、ほかを挙げていない 1 点。理由として、境界が直線で
# あることと、XOR・XNOR は出力 1 の点が対角にあって直線で分けられないこと、ほかは 1 本の直線 (または定数) で分けられる
# ことを述べている 1 点。14 個を 1 つずつ挙げる必要はなく、場合分けや代表例で示せていれば満点。)

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
with Properties() as test:
    with test.property("値 (0 と log 3)"):
        check_scalar(sigmoid(np.array(0.0)), 0.5, "sigmoid(0)")
        check_scalar(sigmoid(np.array(np.log(3.0))), 0.75, "sigmoid(log 3)")  # 1 / (1 + 1/3) = 3/4
    with test.property("値 (|x| が 1000 の入力)"):
        check_array(sigmoid(np.array([-1000.0, 1000.0])), [0.0, 1.0], "sigmoid([-1000, 1000])")
    with test.property("|x| が大きくてもオーバーフローの警告が出ない"), warnings.catch_warnings():
        warnings.simplefilter("error")  # 警告が出たら失敗にする
        sigmoid(np.array([-1000.0, 1000.0]))
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
with Properties() as test:
    with test.property("値 (1 次元、1 行、2 行の入力)"):
        check_array(softmax(np.log(np.array([1.0, 2.0, 3.0]))), expected, "softmax(log [1, 2, 3])")
        check_array(softmax(np.log(np.array([[1.0, 2.0, 3.0]]))), [expected], "softmax (形状 (1, 3) のバッチ)")
        batch = np.array([np.log([1.0, 2.0, 3.0]), [5.0, 5.0, 5.0]])
        check_array(softmax(batch), [expected, [1 / 3, 1 / 3, 1 / 3]], "softmax (形状 (2, 3) のバッチ)")
    with test.property("1000 前後の大きなスコアでも値が正しい (オーバーフロー対策)"):
        check_array(softmax(1000.0 + np.log(np.array([1.0, 2.0, 3.0]))), expected, "softmax(1000 + log [1, 2, 3])")
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
with Properties() as test:
    with test.property("バッチの出力 (N=4)"):
        check_array(three_layer_forward(tiny, x_batch), np.tile([2.1, 3.2], (4, 1)), "three_layer_forward (N=4)")
    with test.property("バッチサイズ 1 の出力"):
        check_array(three_layer_forward(tiny, x_batch[:1]), [[2.1, 3.2]], "three_layer_forward (N=1)")
    with test.property("1 サンプル (形状 (D,) の x) の出力"):
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
# ## 1.6 活性化関数はなぜ非線形でなければならないか
#
# 1.5 節の層から活性化関数を外すと、その層は入力 $x$ を $xW + b$ に移すだけの関数になります。このように
# 「行列を掛けてベクトルを足す」関数をアフィン写像 (affine map) と呼びます ($b = 0$ なら線形写像 (linear map))。
# ニューラルネットワークでは、活性化関数のない層をよく「線形な層」と呼びます。
#
# 活性化関数を挟まずに、線形な層を 2 つ続けてみます。形状は 1.5 節と同じく、$X$ が (N, D)、1 つ目の層が
# $W_1$ (D, H) と $b_1$ (H,)、2 つ目の層が $W_2$ (H, M) と $b_2$ (M,) です。行列の積の分配法則と結合法則から
#
# $$
# (X W_1 + b_1) W_2 + b_2 = X (W_1 W_2) + (b_1 W_2 + b_2)
# $$
#
# となります ($X W_1 + b_1$ の各行は $x_n W_1 + b_1$ なので、$W_2$ を掛けると各行に同じ $b_1 W_2$ が現れます)。つまり
#
# $$
# W = W_1 W_2 \quad (\text{形状 } (D, H) \cdot (H, M) \to (D, M)), \qquad
# b = b_1 W_2 + b_2 \quad (\text{形状 } (H,) \cdot (H, M) + (M,) \to (M,))
# $$
#
# という **1 つの** 線形な層と、どの入力に対しても同じ出力を出します。3 つ目の層を足しても、まとめた $(W, b)$ と
# 3 つ目の層をまた 1 つにまとめられるので、何層重ねても 1 層と同じです。層を重ねても表せる関数は増えません。
# 例えば、線形な層をいくつ重ねて最後にだけステップ関数を通しても、それは 1 つのパーセプトロンと同じなので、
# 1.2 節のとおり XOR は作れません。
#
# 層の間に非線形な活性化関数 $h$ (ステップ関数、シグモイド関数、ReLU) を挟むと、この書き換えはできなくなります。
# $h(X W_1 + b_1) W_2 + b_2$ の $h$ は、和を外に出せない ($h(a + a') = h(a) + h(a')$ が成り立たない) からです。例えば ReLU では
# $\mathrm{ReLU}(1) + \mathrm{ReLU}(-1) = 1$ ですが $\mathrm{ReLU}(1 + (-1)) = 0$ です。演習 2 の XOR が作れたのも、
# 1 段目と 2 段目の間にステップ関数があったからです。
#
# 逆に、$h(x) = c x$ ($c$ は定数) のような線形な関数を活性化関数にしても、$h(X W_1 + b_1) = X (c W_1) + c b_1$ はまたアフィン写像なので、
# 活性化関数がないのと同じです。『ゼロから作るDeep Learning』3.2.6 節も、この $h(x) = cx$ を 3 回重ねると $c^3$ を掛ける
# 1 回の計算と変わらない、という例で、活性化関数には非線形な関数を使う必要があると説明しています。
#
# ### 演習 8: 線形な層を 1 つにまとめる
#
# 活性化関数のない 2 つの層 $(W_1, b_1)$、$(W_2, b_2)$ を、同じ出力を出す 1 つの層 $(W, b)$ にまとめる関数を実装してください。


# %% [solution] id=compose_affine
def compose_affine(W1, b1, W2, b2):
    """活性化関数のない層 (W1, b1) と (W2, b2) をこの順に通すのと同じ、1 つの層の (W, b) を返す。

    W1: 形状 (D, H)、b1: 形状 (H,)、W2: 形状 (H, M)、b2: 形状 (M,)
    戻り値: タプル (W, b)。W は形状 (D, M)、b は形状 (M,) の新しい配列で、形状 (N, D) のどの x に対しても
    x @ W + b が (x @ W1 + b1) @ W2 + b2 と (丸め誤差の範囲で) 等しい。
    引数の配列は書き換えない。
    """
    # ヒント: hint("compose_affine")
    # @reference compose_affine


# %% [tests] id=test_compose_affine points=2 hidden=compose_affine
# 2×2 の例を手で計算する: W1 W2 = [[1·0 + 2·2, 1·1 + 2·0], [3·0 + 4·2, 3·1 + 4·0]] = [[4, 1], [8, 3]]、
# b1 W2 = [1·0 + (−1)·2, 1·1 + (−1)·0] = [−2, 1] なので b = [−2 + 10, 1 + 20] = [8, 21]
W1 = np.array([[1.0, 2.0], [3.0, 4.0]])
b1 = np.array([1.0, -1.0])
W2 = np.array([[0.0, 1.0], [2.0, 0.0]])
b2 = np.array([10.0, 20.0])
saved = {"W1": W1.copy(), "b1": b1.copy(), "W2": W2.copy(), "b2": b2.copy()}
with Properties() as test:
    with test.property("まとめた層の出力 (2×2 の正方行列)"):
        result = compose_affine(W1, b1, W2, b2)
        check_true(
            isinstance(result, tuple) and len(result) == 2,
            "compose_affine は (W, b) の 2 つの組 (タプル) を返してください。",
        )
        W, b = result
        check_array(
            W,
            [[4.0, 1.0], [8.0, 3.0]],
            "compose_affine の W (2×2 の例)",
            mistakes=[
                (
                    [[3.0, 4.0], [2.0, 4.0]],
                    "W2 @ W1 の順になっています。x に先に掛かる W1 が、まとめた重みでも左に来ます。",
                )
            ],
        )
        check_array(
            b,
            [8.0, 21.0],
            "compose_affine の b (2×2 の例)",
            mistakes=[
                ([10.0, 20.0], "b1 @ W2 を足し忘れています。1 つ目の層のバイアス b1 も、2 つ目の層の W2 を通ります。"),
                ([11.0, 19.0], "b1 + b2 になっています。b1 も 2 つ目の層の W2 を通ってから b2 に足されます。"),
                ([9.0, 22.0], "W2 @ b1 になっています。b1 は x の行と同じく行ベクトルで、W2 の左に置きます。"),
            ],
        )
    with test.property("引数の配列を書き換えない", needs=["まとめた層の出力 (2×2 の正方行列)"]):
        for name, array in [("W1", W1), ("b1", b1), ("W2", W2), ("b2", b2)]:
            check_array(array, saved[name], f"呼び出し後の {name} (引数は書き換えないこと)")
    # 形状の違う例 (D = 3, H = 2, M = 1)。W1 W2 = [[2], [−1], [1]]、b1 W2 + b2 = 0.5·2 + (−0.5)·(−1) + 3 = 4.5
    with test.property("まとめた層の出力 (D = 3, H = 2, M = 1)"):
        W1 = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
        b1 = np.array([0.5, -0.5])
        W2 = np.array([[2.0], [-1.0]])
        b2 = np.array([3.0])
        W, b = compose_affine(W1, b1, W2, b2)
        check_array(W, [[2.0], [-1.0], [1.0]], "compose_affine の W (形状 (3, 1))")
        check_array(b, [4.5], "compose_affine の b (形状 (1,))")
        # 2 つの層を実際に順に通した出力と、まとめた 1 つの層の出力を比べる
        x_check = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [-1.0, 0.5, 2.0]])
        check_array(
            x_check @ W + b, (x_check @ W1 + b1) @ W2 + b2, "まとめた層の出力 (2 つの層を順に通した出力と比べる)"
        )
print("公開テスト: OK")

# %% [markdown]
# 実装した `compose_affine` で、ランダムな重みの線形な層 5 つを 1 つにまとめ、出力が同じになることを確かめます。
# 続いて、層の間に ReLU を挟んだ場合と、演習 2 の XOR のネットワーク (NAND と OR の層、AND の層) のステップ関数を
# 外してまとめた場合を見ます。

# %%
rng = np.random.default_rng(1)
sizes = [4, 8, 8, 8, 8, 3]  # 入力 4 次元、線形な層 5 つ、出力 3 次元
layers = [(rng.standard_normal((n_in, n_out)), rng.standard_normal(n_out)) for n_in, n_out in zip(sizes, sizes[1:])]
x_demo = rng.standard_normal((6, 4))

out_stack = x_demo
for W_layer, b_layer in layers:
    out_stack = out_stack @ W_layer + b_layer
W_all, b_all = layers[0]
for W_layer, b_layer in layers[1:]:
    W_all, b_all = compose_affine(W_all, b_all, W_layer, b_layer)
print("まとめた層の W の形状:", W_all.shape, " b の形状:", b_all.shape)
print("5 層を順に通した出力と、まとめた 1 層の出力は一致するか:", np.allclose(out_stack, x_demo @ W_all + b_all))

(W_a, b_a), (W_b, b_b) = layers[0], layers[1]
W_ab, b_ab = compose_affine(W_a, b_a, W_b, b_b)
with_relu = relu(x_demo @ W_a + b_a) @ W_b + b_b
print("間に ReLU を挟んだ 2 層の出力と、まとめた 1 層の出力は一致するか:", np.allclose(with_relu, x_demo @ W_ab + b_ab))

# 演習 2 の形の XOR: 1 段目の 2 列が NAND と OR、2 段目が AND のパーセプトロン (重みは 1、バイアスは ±0.5 か −1.5)
x_gates = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
W_gates, b_gates = np.array([[-1.0, 1.0], [-1.0, 1.0]]), np.array([1.5, -0.5])
W_and, b_and = np.array([[1.0], [1.0]]), np.array([-1.5])
with_step = step_function(step_function(x_gates @ W_gates + b_gates) @ W_and + b_and)
W_xor, b_xor = compose_affine(W_gates, b_gates, W_and, b_and)
print("ステップ関数を挟んだ 2 層 (XOR) の出力:", with_step.ravel())
print("間のステップ関数を外してまとめた層: W =", W_xor.ravel(), " b =", b_xor)
print("その 1 層にステップ関数を通した出力:", step_function(x_gates @ W_xor + b_xor).ravel())

# %% [markdown]
# 線形な層 5 つは 1 つの層とまったく同じ働きしかしていません。ReLU を挟むとまとめられなくなります。XOR のネットワークから
# 間のステップ関数を外すと、NAND と OR の重みが打ち消し合って $W = 0$ になり、どの入力にも 0 を出す 1 つのパーセプトロンに
# なってしまいます。重みをどう選び直しても、まとめた結果は 1 つのパーセプトロンなので、XOR にはなりません。

# %% [markdown]
# ## まとめ
#
# - パーセプトロンは重み付き和の符号で 0/1 を出力し、境界は直線になる。AND・NAND・OR は作れるが XOR は作れない。
# - 層を重ねる (NAND と OR の出力を AND に入れる) と XOR が作れる。これが多層ネットワークの出発点。
# - 活性化関数: ステップ関数、シグモイド関数 (オーバーフローしない書き方に注意)、ReLU。学習には傾きが 0 でない関数が必要。
# - ソフトマックス関数は最大値を引いてから計算する。バッチでは `axis=-1, keepdims=True` で行ごとに計算する。
# - バッチの順伝播は行列の積 (N, D)·(D, H) とバイアスのブロードキャストで書ける。
# - 活性化関数のない層は x ↦ xW + b (アフィン写像) で、2 層続けても W = W₁W₂、b = b₁W₂ + b₂ の 1 層と同じ。
#   何層重ねても表せる関数は増えないので、層の間には非線形な活性化関数が必要。

# Chapter 5 of the course. Built into source_notebooks/ by `python -m autograder build`.
# Names defined by the [given] cells (softmax, numerical_gradient, ...) and imports used only by the
# reference bodies that the build inlines (OrderedDict, progress) are invisible to ruff in this file:
# ruff: noqa: F401, F821

# %% [markdown]
# # 第 5 章 ソフトマックスの逆伝播と、ニューラルネットワークの学習
#
# 前の章では Affine レイヤと ReLU レイヤの順伝播・逆伝播を作りました。この章では出力側の最後の部品、
# ソフトマックス関数 (softmax) と交差エントロピー誤差 (cross-entropy error) の逆伝播を導き、
# それを使って 2 層ニューラルネットワークを組み立て、手書き数字 (digits) を実際に学習させます。
#
# 1. ソフトマックス関数のヤコビ行列 (Jacobian matrix) $\operatorname{diag}(\boldsymbol{y}) - \boldsymbol{y}^\top \boldsymbol{y}$ と、その逆伝播
# 2. 交差エントロピー誤差の逆伝播と、ソフトマックスと組み合わせたときの簡単な勾配 $(\boldsymbol{y} - \boldsymbol{t}) / N$。$N$ で割る理由
# 3. Softmax-with-Loss レイヤ `SoftmaxWithLoss`
# 4. 2 層ネットワーク `TwoLayerNet`。誤差逆伝播法 (backpropagation) の勾配を数値微分で確かめ、速さを比べる
# 5. ミニバッチ SGD (確率的勾配降下法 (stochastic gradient descent)) による digits の学習と学習曲線
# 6. バッチサイズ (batch size) のトレードオフ
# 7. 学習の前の健全性チェック (sanity check): 最初の損失が $\ln C$ に近いか、ごく少ないデータなら損失をほぼ 0 にできるか
#
# **進め方**: `ここに実装してください (YOUR CODE HERE)` と書かれたセルを実装し、すぐ下のテストセルを実行してください。
# テストセルが何も例外を出さずに「公開テスト: OK」と表示すれば合格です。採点では、ここに見えているテスト (公開テスト) に加えて、
# 別の入力を使う隠しテストも実行されます。公開テストの値だけに合わせた実装では点になりません。
#
# **ヒント**: 行き詰まったら、実装するセルのコメントにある `hint("関数名")` を新しいセルで実行してください。ヒントは 2〜3 段階あり、
# `hint("関数名", 2)` のように番号を増やすと次の段階が表示されます (答えのコードそのものは出ません)。表示したヒントは
# ノートブックの出力に残り、講師のクラス報告で「どのヒントが必要とされたか」の集計に使われます (成績には影響しません)。

# %%
import time
from collections import OrderedDict

import matplotlib.pyplot as plt
import numpy as np

from course.checks import Properties, builds_on, check_array, check_scalar, check_true
from course.data import load_digits
from course.gradcheck import rel_error
from course.hints import hint
from course.plotting import plot_learning_curves, use_japanese_font
from course.progress import progress

use_japanese_font()
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# 次のセルは、これまでの章の模範解答です (ソフトマックス関数、交差エントロピー誤差、数値微分による勾配、
# Affine レイヤと ReLU レイヤ)。この章ではこれらを部品として使います。実行して定義しておいてください。

# %% [given] names=softmax,cross_entropy_error,numerical_gradient,Affine,Relu
from collections.abc import Callable  # 下のコードの型ヒントで使う

# %% [markdown]
# ## 5.1 ソフトマックス関数のヤコビ行列
#
# ソフトマックス関数は、1 サンプル分のスコア $\boldsymbol{x} = (x_1, \dots, x_C)$ から確率 $\boldsymbol{y} = (y_1, \dots, y_C)$ を作ります。
#
# $$
# y_i = \frac{e^{x_i}}{S}, \qquad S = \sum_{k=1}^{C} e^{x_k}
# $$
#
# ReLU やシグモイドと違い、出力 $y_i$ は **すべての** 入力 $x_j$ に依存します (分母 $S$ にすべての $x_j$ が入っているため)。
# そのため微分は 1 つの数ではなく、$C \times C$ の行列 $J_{ij} = \partial y_i / \partial x_j$ になります。これをヤコビ行列と呼びます。
#
# **導出**: 商の微分 $\left(\dfrac{f}{g}\right)' = \dfrac{f' g - f g'}{g^2}$ を使います。$f = e^{x_i}$、$g = S$ とすると
#
# - $\dfrac{\partial e^{x_i}}{\partial x_j} = \delta_{ij}\, e^{x_i}$ ($\delta_{ij}$ はクロネッカーのデルタ (Kronecker delta): $i = j$ なら 1、それ以外は 0)
# - $\dfrac{\partial S}{\partial x_j} = e^{x_j}$ (和の中で $x_j$ を含むのは $e^{x_j}$ の項だけ)
#
# なので
#
# $$
# \frac{\partial y_i}{\partial x_j}
# = \frac{\delta_{ij}\, e^{x_i}\, S - e^{x_i}\, e^{x_j}}{S^2}
# = \delta_{ij}\, \frac{e^{x_i}}{S} - \frac{e^{x_i}}{S} \cdot \frac{e^{x_j}}{S}
# = \delta_{ij}\, y_i - y_i\, y_j
# = y_i\,(\delta_{ij} - y_j)
# $$
#
# です。対角成分は $y_i - y_i^2$、非対角成分は $-y_i y_j$ です。行列にまとめると、$\boldsymbol{y}$ を **行ベクトル** (1 × C) として
#
# $$
# J = \operatorname{diag}(\boldsymbol{y}) - \boldsymbol{y}^\top \boldsymbol{y}
# $$
#
# となります ($\boldsymbol{y}$ を列ベクトルとして書く本では $\operatorname{diag}(\boldsymbol{y}) - \boldsymbol{y}\boldsymbol{y}^\top$。
# どちらも $(i, j)$ 成分が $y_i y_j$ の外積 (outer product) です)。
#
# **NumPy での落とし穴**: 1 次元配列 `y` に対して `y.T @ y` と書くと、`.T` は 1 次元配列を変えないので **内積** (スカラー) になってしまいます。
# 外積は `np.outer(y, y)` か、ブロードキャストで `y[:, None] * y[None, :]` と書きます。
#
# **性質**: $J$ は対称行列です。また各行 (各列) の和は $\sum_i y_i(\delta_{ij} - y_j) = y_j - y_j \sum_i y_i = 0$ です。
# これは「$\sum_i y_i = 1$ はどんな $\boldsymbol{x}$ でも変わらない」ことの言い換えです。
#
# **バッチ**: 形状 (N, C) の入力では行ごとにソフトマックスを計算したので、ヤコビ行列も行ごとに 1 枚ずつ、全体で形状 (N, C, C) になります。
# 行 $n$ の出力は行 $n$ の入力にしか依存しないので、異なる行どうしの微分は 0 です (それらは並べる必要がありません)。
#
# ### 演習 1: ソフトマックス関数のヤコビ行列


# %% [solution] id=softmax_jacobian
def softmax_jacobian(y):
    """ソフトマックス関数の出力 y からヤコビ行列 J[i, j] = ∂y_i/∂x_j = y_i (δ_ij − y_j) を作る。

    y: ソフトマックスの出力。形状 (C,)、またはバッチなら形状 (N, C)。
    戻り値: 形状 (C, C)、バッチなら各行の行列を並べた形状 (N, C, C)。
    """
    # ヒント: hint("softmax_jacobian")
    # @reference softmax_jacobian


# %% [tests] id=test_softmax_jacobian points=2 hidden=softmax_jacobian
# y = [1/2, 1/4, 1/4]: 対角は y_i − y_i² = 1/4, 3/16, 3/16、非対角は −y_i y_j = −1/8, −1/8, −1/16
y = np.array([0.5, 0.25, 0.25])
expected = np.array([[0.25, -0.125, -0.125], [-0.125, 0.1875, -0.0625], [-0.125, -0.0625, 0.1875]])
with Properties() as test:
    with test.property("1 次元の y での値 (y = [1/2, 1/4, 1/4])"):
        check_array(softmax_jacobian(y), expected, "softmax_jacobian([1/2, 1/4, 1/4])")
    with test.property("バッチ (N, C) の y での値 (形状 (2, 2) と (1, 3))"):
        # 1 行目 y = [1/2, 1/2]: [[1/4, −1/4], [−1/4, 1/4]]。2 行目 y = [1, 0]: 1 − 1² = 0 でほかも 0 なので零行列
        batch = np.array([[0.5, 0.5], [1.0, 0.0]])
        check_array(
            softmax_jacobian(batch),
            [[[0.25, -0.25], [-0.25, 0.25]], np.zeros((2, 2))],
            "softmax_jacobian (形状 (2, 2))",
        )
        # バッチサイズ 1: 上の y を 1 行だけのバッチにすると、同じ行列が 1 枚 (形状 (1, 3, 3))
        check_array(softmax_jacobian(y[np.newaxis]), [expected], "softmax_jacobian (形状 (1, 3))")
print("公開テスト: OK")

# %% [markdown]
# 導いた式を、中心差分 (central difference) で作った数値的なヤコビ行列と比べてみましょう。列 $j$ は
# $\bigl(\mathrm{softmax}(\boldsymbol{x} + h\boldsymbol{e}_j) - \mathrm{softmax}(\boldsymbol{x} - h\boldsymbol{e}_j)\bigr) / 2h$ です
# ($\boldsymbol{e}_j$ は $j$ 番目だけ 1 のベクトル)。


# %%
def numerical_jacobian(f, x, h=1e-5):
    """ベクトル値関数 f の 1 次元の点 x での中心差分によるヤコビ行列。j 列目が ∂f/∂x_j。"""
    columns = []
    for j in range(x.size):
        step = np.zeros_like(x)
        step[j] = h
        columns.append((f(x + step) - f(x - step)) / (2 * h))
    return np.stack(columns, axis=1)


x_demo = np.array([1.0, 2.0, 0.5, -1.0])
jacobian = softmax_jacobian(softmax(x_demo))
print("J =\n", jacobian)
print("数値微分との差は 1e-8 未満:", np.abs(jacobian - numerical_jacobian(softmax, x_demo)).max() < 1e-8)
print("対称行列:", np.allclose(jacobian, jacobian.T), " 各行の和が 0:", np.allclose(jacobian.sum(axis=1), 0.0))

# %% [markdown]
# ## 5.2 ソフトマックス関数の逆伝播
#
# 逆伝播では、上流から損失 $L$ の出力についての勾配 $\dfrac{\partial L}{\partial y_i}$ (以下 $dy_i$) が届き、
# 入力についての勾配 $dx_j = \dfrac{\partial L}{\partial x_j}$ を返します。$x_j$ は $y_1, \dots, y_C$ のすべてを通じて $L$ に影響するので、
# 連鎖律 (chain rule) ではそれらの経路をすべて足します。
#
# $$
# dx_j = \sum_{i=1}^{C} dy_i\, \frac{\partial y_i}{\partial x_j}
# = \sum_{i=1}^{C} dy_i\, y_i\,(\delta_{ij} - y_j)
# = dy_j\, y_j - y_j \sum_{i=1}^{C} dy_i\, y_i
# = y_j \left( dy_j - \langle d\boldsymbol{y}, \boldsymbol{y} \rangle \right)
# $$
#
# ここで $\langle d\boldsymbol{y}, \boldsymbol{y} \rangle = \sum_i dy_i\, y_i$ は内積です。行ベクトルで書けば $d\boldsymbol{x} = d\boldsymbol{y}\, J$ ですが、
# 最後の形を使えば $C \times C$ の行列を作らずに済みます。バッチでは内積を **行ごとに** 取ります
# (`np.sum(dy * y, axis=-1, keepdims=True)`)。行列を作る方法はメモリを $N C^2$ 使い、計算量も $C$ 倍になるので、
# 実際のライブラリは後者の書き方をします。
#
# ### 演習 2: ソフトマックス関数の逆伝播


# %% [solution] id=softmax_backward
def softmax_backward(y, dy):
    """ソフトマックス関数の逆伝播: 出力の勾配 dy から入力 (スコア) の勾配 ∂L/∂x を求める (5.2 節の式。バッチでは行ごと)。

    y: ソフトマックスの出力、形状 (C,) または (N, C)。dy: ∂L/∂y、y と同じ形状。
    戻り値: ∂L/∂x、y と同じ形状。ヤコビ行列は作らないこと。
    """
    # ヒント: hint("softmax_backward")
    # @reference softmax_backward


# %% [tests] id=test_softmax_backward points=2 hidden=softmax_backward
# y = [1/2, 1/4, 1/4]、dy = [1, 0, 0]: <dy, y> = 1/2 なので dx = y ⊙ (dy − 1/2) = [1/4, −1/8, −1/8]
# 2 行目 y = [1/2, 1/2, 0]、dy = [0, 2, 0]: <dy, y> = 1 なので dx = [1/2·(0 − 1), 1/2·(2 − 1), 0] = [−1/2, 1/2, 0]
y_batch = np.array([[0.5, 0.25, 0.25], [0.5, 0.5, 0.0]])
dy_batch = np.array([[1.0, 0.0, 0.0], [0.0, 2.0, 0.0]])
with Properties() as test:
    with test.property("1 次元の入力での値 (y = [1/2, 1/4, 1/4])"):
        check_array(
            softmax_backward(y, np.array([1.0, 0.0, 0.0])), [0.25, -0.125, -0.125], "softmax_backward (1 サンプル)"
        )
    with test.property("バッチ (N, C) の入力での値 (形状 (2, 3) と (1, 3)、dy が定数の行を含む)"):
        check_array(
            softmax_backward(y_batch, dy_batch),
            [[0.25, -0.125, -0.125], [-0.5, 0.5, 0.0]],
            "softmax_backward (形状 (2, 3))",
        )
        # バッチサイズ 1: 1 行目だけのバッチでも、その行の結果は同じ
        check_array(
            softmax_backward(y_batch[:1], dy_batch[:1]), [[0.25, -0.125, -0.125]], "softmax_backward (形状 (1, 3))"
        )
        # dy の成分がすべて同じ c なら <dy, y> = c なので dx = 0 (全スコアに同じ数を足しても softmax は変わらない)
        check_array(softmax_backward(y_batch, np.full((2, 3), 7.0)), np.zeros((2, 3)), "softmax_backward (dy が定数)")
print("公開テスト: OK")

# %% [markdown]
# ヤコビ行列を作って掛けた結果と一致することも確かめておきます (`np.einsum("ni,nij->nj", dy, J)` は行ごとの $d\boldsymbol{y}\,J$ です)。

# %%
rng = np.random.default_rng(0)
y_random = softmax(rng.standard_normal((5, 4)))
dy_random = rng.standard_normal((5, 4))
via_jacobian = np.einsum("ni,nij->nj", dy_random, softmax_jacobian(y_random))
print("ヤコビ行列を使った結果と一致:", np.allclose(softmax_backward(y_random, dy_random), via_jacobian))

# %% [markdown]
# ## 5.3 交差エントロピー誤差の逆伝播と、ソフトマックスとの組み合わせ
#
# バッチの交差エントロピー誤差は、サンプルごとの誤差のバッチ平均です ($t_{nk}$ は one-hot の教師データ)。
#
# $$
# L = -\frac{1}{N} \sum_{n=1}^{N} \sum_{k=1}^{C} t_{nk} \log y_{nk}
# $$
#
# これをソフトマックスの入力 (スコア) $x_{nj}$ で微分します。
#
# **ステップ 1** (交差エントロピーの逆伝播): $y_{nk}$ を含むのは和の中の 1 項だけなので
#
# $$
# \frac{\partial L}{\partial y_{nk}} = -\frac{1}{N} \frac{t_{nk}}{y_{nk}}
# $$
#
# **ステップ 2** (ソフトマックスの逆伝播): 5.2 節の式に $dy_{nk} = -\dfrac{t_{nk}}{N y_{nk}}$ を入れます。まず行 $n$ の内積は
#
# $$
# \sum_{k=1}^{C} dy_{nk}\, y_{nk} = \sum_{k=1}^{C} \left(-\frac{t_{nk}}{N y_{nk}}\right) y_{nk} = -\frac{1}{N} \sum_{k=1}^{C} t_{nk} = -\frac{1}{N}
# $$
#
# です (one-hot なので $\sum_k t_{nk} = 1$)。
#
# **ステップ 3**: これを $dx_{nj} = y_{nj}\,(dy_{nj} - \langle d\boldsymbol{y}_n, \boldsymbol{y}_n \rangle)$ に入れると
#
# $$
# \frac{\partial L}{\partial x_{nj}}
# = y_{nj} \left( -\frac{t_{nj}}{N y_{nj}} + \frac{1}{N} \right)
# = \frac{-t_{nj} + y_{nj}}{N}
# = \frac{y_{nj} - t_{nj}}{N}
# $$
#
# つまり行列でまとめて $\dfrac{\partial L}{\partial X} = \dfrac{Y - T}{N}$ です。$y$ で割る項が打ち消し合って消えたことに注目してください。
# 「予測の確率 − 正解」という、とても単純な形になります。
#
# **$N$ で割る理由**: 損失がバッチの **平均** なので、各サンプルの項には $1/N$ が掛かっていて、その微分にも $1/N$ が残ります。
# 平均にしておくと、勾配の大きさ (期待値) がバッチサイズに依存しないので、バッチサイズを変えたときに勾配の大きさを補うために
# 学習率 (learning rate) を変える必要はありません。それでも最もよく学習できる学習率はバッチサイズで変わります (5.6 節)。
# PyTorch の `torch.nn.CrossEntropyLoss()` も既定 (`reduction='mean'`) でバッチ平均を取り、勾配は $(Y - T)/N$ になります。
#
# **よくある誤り**: 損失をクラス数 $C$ で割り、勾配を $(Y - T)/C$ とする説明を見かけることがありますが、これは誤りです。
# 平均を取るのはサンプルについてであって、クラスについてではありません ($\sum_k$ はクラスについての **和** です)。
# $C$ で割ると、勾配が $N/C$ 倍になり、知らないうちに学習率を変えたのと同じことになります。

# %% [markdown]
# 「まとめた式」には、数値的な安定性の利点もあります。スコアの差が大きくて正解クラスの確率がアンダーフロー (underflow) で 0 になると、
# 分けて計算する方法ではステップ 1 の $t/y$ が無限大になり、nan が出ます。まとめた式 $(Y - T)/N$ なら何も問題ありません。

# %%
scores_extreme = np.array([[0.0, 800.0]])  # 正解はクラス 0 だが、スコアは圧倒的にクラス 1
t_extreme = np.array([[1.0, 0.0]])
y_extreme = softmax(scores_extreme)
print("y =", y_extreme, "(正解クラスの確率が 0 にアンダーフロー)")
with np.errstate(divide="ignore", invalid="ignore"):  # 警告を出さずに、何が起きるかだけを見る
    dy_separate = -t_extreme / y_extreme / 1
    print("分けて計算した勾配:", softmax_backward(y_extreme, dy_separate))
print("まとめた式 (y − t)/N:", (y_extreme - t_extreme) / 1)

# %% [markdown]
# なお、順伝播の損失のほうも、$\log 0$ を避けるために $\log(y + \varepsilon)$ ($\varepsilon = 10^{-7}$) としているので、この例の真の損失 800 は
# $-\log 10^{-7} \approx 16.1$ で頭打ちになります。PyTorch の `CrossEntropyLoss` が確率ではなくスコア (logits) を受け取り、
# 内部で $\log \mathrm{softmax}$ を直接計算するのは、このような問題を避けるためです。

# %% [markdown]
# **記述問題**: ある人が、損失をバッチの平均ではなく **和** $L_\text{sum} = \sum_{n=1}^{N} L_n$ として (逆伝播では $N$ で割らずに
# $Y - T$ として) 勾配降下法を書き、バッチサイズ $N = 10$、学習率 $\eta = 0.01$ で digits をうまく学習させていました。
#
# 1. この人がバッチサイズを $N = 100$ に変えると、1 回の更新でパラメータが動く量 (の期待値) は何倍になりますか。理由も書いてください。
# 2. $N = 100$ で、$N = 10$ のときと同じ期待値の歩幅にするには、学習率をいくつにすればよいですか。
#    同じ 2 つの設定をこの章の損失 (バッチ平均) で書き直すと、学習率はそれぞれいくつになりますか。
# 3. この章の損失 (バッチ平均) のまま学習率を変えずにバッチサイズを 10 から 100 にすると、ミニバッチの勾配の期待値とばらつき (分散) は
#    どう変わりますか (訓練データは $N_\text{train} = 1437$ 枚)。
#
# 次のセルに答えてください。

# %% [answer] id=why_divide_by_n points=2
# **模範解答**:
# 1. 10 倍。和の損失の勾配は、平均の損失の勾配 (サンプルごとの勾配の平均) の $N$ 倍。平均の勾配の期待値は全データの勾配 $\boldsymbol{g}$ で、
#    $N$ によらない。したがって和の勾配の期待値は $N = 10$ で $10\boldsymbol{g}$、$N = 100$ で $100\boldsymbol{g}$ になり、
#    学習率が同じなら歩幅も 10 倍になる (発散しやすくなる)。
# 2. $\eta = 0.01 / 10 = 0.001$。和の損失で学習率 $\eta$ を使うのは、平均の損失で学習率 $N\eta$ を使うのと同じなので、
#    平均で書き直すとどちらも $0.01 \times 10 = 0.001 \times 100 = 0.1$ で、バッチサイズを変えても学習率を直す必要がない。
# 3. 期待値は $\boldsymbol{g}$ のまま変わらない (1 回の更新で進む向きと大きさの平均は同じ)。ばらつき (分散) は $1/N$ に比例するので約 1/10 になる
#    (重複なしで選ぶ補正 $\frac{N_\text{train} - N}{N_\text{train} - 1}$ まで入れると $\frac{1337/100}{1427/10} \approx 0.094$ 倍)。
#    ただし 1 エポックの更新回数は 144 回から 15 回に減る。
#
# (採点の目安: (1) 10 倍と、和の勾配が $N$ に比例する理由で 0.5 点。(2) 0.001 と、平均で書くとどちらも 0.1 であることで 1 点
# (片方だけなら 0.5 点)。(3) 期待値は変わらず分散が約 1/10 になることで 0.5 点 (補正の有無は問わない)。)

# %% [markdown]
# ### 演習 3: Softmax-with-Loss レイヤ
#
# ソフトマックスと交差エントロピー誤差を 1 つのレイヤにまとめます。ネットワークの最後の層なので、`backward` に届く上流の勾配は
# $\partial L / \partial L = 1$ で、`dout=1` を既定値にします。
#
# 教師データ `t` は one-hot (形状 (N, C)) でも、ラベル (形状 (N,)、値は 0〜C−1) でも受け付けます。ラベルのとき $Y - T$ は
# 「$Y$ の各行の正解クラスの成分から 1 を引く」ことです。このとき **保存してある `self.y` をそのまま書き換えない** でください
# (`self.y.copy()` を書き換える)。書き換えると、`backward` を 2 回呼んだときに結果が変わってしまいます。


# %% [solution] id=softmax_with_loss
class SoftmaxWithLoss:
    """ソフトマックス関数 + 交差エントロピー誤差のレイヤ。

    forward(x, t): x はスコア、形状 (N, C)。t は one-hot (N, C) またはラベル (N,)。
        ソフトマックスの出力 (確率) を self.y に、t を self.t に、バッチ平均の交差エントロピー誤差 (float) を self.loss に
        保存し、self.loss を返す。
    backward(dout=1): スコア x についての勾配 ∂L/∂x (5.3 節で導いた式) を dout 倍したものを返す (形状 (N, C))。
    """

    def __init__(self):
        """self.loss、self.y、self.t を None で用意する。"""
        # ヒント: hint("SoftmaxWithLoss.__init__")
        # @reference SoftmaxWithLoss.__init__

    def forward(self, x, t):
        """損失 (float) を返し、self.y、self.t、self.loss を保存する。"""
        # ヒント: hint("SoftmaxWithLoss.forward")
        # @reference SoftmaxWithLoss.forward

    def backward(self, dout=1.0):
        """∂L/∂x の dout 倍を返す。形状 (N, C)。保存した self.y は書き換えない (何度呼んでも同じ結果)。"""
        # ヒント: hint("SoftmaxWithLoss.backward")
        # @reference SoftmaxWithLoss.backward


# %% [tests] id=test_softmax_with_loss points=3 hidden=softmax_with_loss
def public_test_softmax_with_loss():
    """演習 3 の公開テスト (演習 4 の勾配のテストの前提としても使います)。"""
    # x = 0 なら y = [1/3, 1/3, 1/3]。正解の確率は 1/3 なので損失は log 3 (ε = 1e-7 の影響は相対 1e-6 未満)
    # (y − t) / N、N = 2
    expected_dx = np.array([[1 / 3 - 1, 1 / 3, 1 / 3], [1 / 3, 1 / 3, 1 / 3 - 1]]) / 2
    values = "順伝播の損失と逆伝播の値 (N=1 と N=2、t はラベルと one-hot)"
    with Properties() as test:
        with test.property(values):
            # 1 つのレイヤで forward を 3 回呼ぶ (forward のたびに、保存した値が置き換わる)
            layer = SoftmaxWithLoss()
            # N = 1、正解 1: (y − t) / 1 = [1/3, 1/3 − 1, 1/3]
            loss = layer.forward(np.zeros((1, 3)), np.array([1]))
            check_scalar(loss, np.log(3.0), "forward の損失 (N=1)", rtol=1e-6)
            check_array(layer.backward(), [[1 / 3, 1 / 3 - 1, 1 / 3]], "backward() (N=1)")
            loss = layer.forward(np.zeros((2, 3)), np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]))
            check_scalar(loss, np.log(3.0), "forward の損失 (one-hot)", rtol=1e-6)
            check_array(layer.backward(), expected_dx, "backward() (one-hot)")
            loss = layer.forward(np.zeros((2, 3)), np.array([0, 2]))
            check_scalar(loss, np.log(3.0), "forward の損失 (ラベル)", rtol=1e-6)
            check_array(layer.backward(), expected_dx, "backward() (ラベル)")
        # ここからは、上の最後の forward (t がラベル) と backward() の後のレイヤで確かめる
        with test.property("損失を self.loss にも保存する", needs=[values]):
            check_scalar(layer.loss, np.log(3.0), "forward 後の self.loss", rtol=1e-6)
        with test.property("同じ forward のあと backward を 2 回呼んでも同じ値", needs=[values]):
            check_array(layer.backward(), expected_dx, "2 回目の backward() (self.y を書き換えていませんか)")
        with test.property("上流の勾配 dout を掛ける (backward(2.0))", needs=[values]):
            check_array(layer.backward(2.0), 2 * expected_dx, "backward(2.0)")


public_test_softmax_with_loss()
print("公開テスト: OK")

# %% [markdown]
# 数値微分でも確かめておきましょう。`numerical_gradient` はスコア `x` の各成分を少しずつ動かして損失の変化を測ります。
# 順伝播の $\varepsilon = 10^{-7}$ の分だけ、逆伝播とはわずかに (相対 $10^{-6}$ 程度) ずれます。

# %%
rng = np.random.default_rng(1)
scores_random = rng.standard_normal((4, 5))
labels_random = rng.integers(0, 5, size=4)
layer = SoftmaxWithLoss()
layer.forward(scores_random, labels_random)
analytic = layer.backward()
numerical = numerical_gradient(lambda _: layer.forward(scores_random, labels_random), scores_random)
print("逆伝播と数値微分の相対誤差は 1e-5 未満:", rel_error(analytic, numerical) < 1e-5)

# %% [markdown]
# ## 5.4 2 層ニューラルネットワーク `TwoLayerNet`
#
# これまでのレイヤを組み合わせて、次のネットワークを作ります。
#
# $$
# \boldsymbol{x} \xrightarrow{\text{Affine1}} \xrightarrow{\text{Relu1}} \xrightarrow{\text{Affine2}} \text{スコア} \xrightarrow{\text{SoftmaxWithLoss}} L
# $$
#
# - `params`: パラメータの辞書。`'W1'` (D, H)、`'b1'` (H,)、`'W2'` (H, C)、`'b2'` (C,)。重みは `weight_init_std` × 標準正規分布の乱数、
#   バイアスは 0 で初期化します。乱数は引数 `rng` (`np.random.Generator`、None なら `np.random.default_rng()`) から取ります。
# - `layers`: 順番を保つ辞書 `OrderedDict` に `'Affine1'`、`'Relu1'`、`'Affine2'` の順でレイヤを入れます。
#   **Affine には `self.params['W1']` などの配列そのもの (コピーではなく) を渡します**。学習で `params` の配列をその場で (in place)
#   更新すると、同じ配列を持つレイヤにもその値が見えるからです。
# - `last_layer`: `SoftmaxWithLoss`。
# - `predict(x)`: レイヤを順に通したスコア (ソフトマックス前) を返します。分類の答えはスコア最大のクラスで、ソフトマックスは単調なので
#   確率に変換しなくても答えは同じです。ソフトマックスは `last_layer` に入っているので、`predict` でもかけると二重になります。
# - `loss(x, t)`: `last_layer.forward(predict(x), t)`。
# - `gradient(x, t)`: まず順伝播 (`loss`) で各レイヤに逆伝播に必要な値を保存させ、`last_layer.backward(1.0)` から始めて
#   **逆順に** (`reversed(...)`) 各レイヤの `backward` を呼び、Affine レイヤの `dW`、`db` を `params` と同じキーで返します。
# - `numerical_gradient(x, t)`: 同じ勾配を数値微分で求めます (遅いですが、逆伝播の確認に使います)。
#
# 正解率の計算には、次の補助関数を使ってください。スコアの各行で最大のクラスと、正解ラベル (one-hot なら各行で 1 のクラス) が一致する割合です。

# %% [given] names=networks._accuracy

# %% [markdown]
# ### 演習 4: `TwoLayerNet`


# %% [solution] id=two_layer_net
class TwoLayerNet:
    """2 層ニューラルネットワーク Affine → ReLU → Affine → SoftmaxWithLoss。

    input_size D、hidden_size H、output_size C。x は形状 (N, D)、t はラベル (N,) または one-hot (N, C)。
    params: 'W1' (D, H)、'b1' (H,)、'W2' (H, C)、'b2' (C,)。重みは標準正規分布の乱数の weight_init_std 倍 (rng から
    W1、W2 の順に引く)、バイアスは 0。
    layers: OrderedDict で 'Affine1'、'Relu1'、'Affine2'。last_layer: SoftmaxWithLoss。
    """

    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01, rng=None):
        """self.params、self.layers、self.last_layer を作る。rng が None なら np.random.default_rng で新しく作る。"""
        # ヒント: hint("TwoLayerNet.__init__")
        # @reference TwoLayerNet.__init__

    def predict(self, x):
        """スコア (ソフトマックス前)。x: (N, D) → (N, C)。"""
        # ヒント: hint("TwoLayerNet.predict")
        # @reference TwoLayerNet.predict

    def loss(self, x, t):
        """バッチ平均の交差エントロピー誤差 (float)。"""
        # ヒント: hint("TwoLayerNet.loss")
        # @reference TwoLayerNet.loss

    def accuracy(self, x, t):
        """正解率 (0 以上 1 以下の float)。t はラベルでも one-hot でもよい。"""
        # ヒント: hint("TwoLayerNet.accuracy")
        # @reference TwoLayerNet.accuracy

    def numerical_gradient(self, x, t):
        """数値微分による勾配。戻り値: params と同じキー・形状の配列の辞書。"""
        # ヒント: hint("TwoLayerNet.numerical_gradient")
        # @reference TwoLayerNet.numerical_gradient

    def gradient(self, x, t):
        """誤差逆伝播法による勾配。戻り値: 'W1'、'b1'、'W2'、'b2' をキーとする辞書。"""
        # ヒント: hint("TwoLayerNet.gradient")
        # @reference TwoLayerNet.gradient


# %% [tests] id=test_two_layer_net_forward points=2 hidden=two_layer_net_forward
predict = "predict の値 (ソフトマックスの前のスコア、N=2 と N=1)"
with Properties() as test:
    with test.property("params の形状と初期値 (バイアスは 0、重みの標準偏差は weight_init_std)"):
        net = TwoLayerNet(64, 50, 10)
        for key, shape in {"W1": (64, 50), "b1": (50,), "W2": (50, 10), "b2": (10,)}.items():
            check_true(
                net.params[key].shape == shape,
                f"params['{key}'] の形状は {shape} のはずですが {net.params[key].shape} です。",
            )
        check_array(net.params["b1"], np.zeros(50), "params['b1'] の初期値")
        check_array(net.params["b2"], np.zeros(10), "params['b2'] の初期値")
        # 重みは weight_init_std × 標準正規分布の乱数なので、その標準偏差はほぼ weight_init_std。
        # 要素が 30·40 = 1200 個、40·20 = 800 個あれば、標準偏差の測定値は weight_init_std の ±20% に収まる
        net = TwoLayerNet(30, 40, 20, weight_init_std=0.05)
        for key in ("W1", "W2"):
            measured = float(np.std(net.params[key]))
            check_true(
                0.04 < measured < 0.06,
                f"weight_init_std=0.05 で作った params['{key}'] の標準偏差が {measured:.3g} です。"
                "重みは weight_init_std × 標準正規分布の乱数 (rng.standard_normal) にしてください。",
            )

    x_small = np.array([[1.0, 2.0], [-1.0, 0.0]])
    with test.property(predict):
        # 小さなネットワークで、パラメータを (その場で) 書き換えて手計算と比べる
        net = TwoLayerNet(2, 3, 2)
        net.params["W1"][...] = [[1.0, -1.0, 0.0], [0.0, 1.0, 1.0]]
        net.params["b1"][...] = [0.0, 0.0, -1.0]
        net.params["W2"][...] = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
        net.params["b2"][...] = [0.5, -0.25]
        # 1 行目: a1 = [1, 1, 1] → ReLU 後 [1, 1, 1] → スコア [1 + 1 + 0.5, 1 + 1 − 0.25] = [2.5, 1.75]
        # 2 行目: a1 = [−1, 1, −1] → ReLU 後 [0, 1, 0] → スコア [0.5, 1 − 0.25] = [0.5, 0.75]
        check_array(net.predict(x_small), [[2.5, 1.75], [0.5, 0.75]], "predict (params を書き換えた後)")
        check_array(net.predict(x_small[:1]), [[2.5, 1.75]], "predict (N=1)")
    with test.property("loss の値 (t はラベルと one-hot)", needs=[predict]):
        # t = [0, 1]: 1 行目の正解確率は 1/(1 + e^(−0.75))、2 行目は 1/(1 + e^(−0.25))。損失はその −log の平均
        expected_loss = (np.log(1 + np.exp(-0.75)) + np.log(1 + np.exp(-0.25))) / 2
        check_scalar(net.loss(x_small, np.array([0, 1])), expected_loss, "loss (ラベル)", rtol=1e-6)
        check_scalar(net.loss(x_small, np.array([[1.0, 0.0], [0.0, 1.0]])), expected_loss, "loss (one-hot)", rtol=1e-6)
    with test.property("accuracy の値 (正解の割合、t はラベルと one-hot)", needs=[predict]):
        # 予測は [0, 1]
        check_scalar(net.accuracy(x_small, np.array([0, 1])), 1.0, "accuracy (ラベル [0, 1])")
        check_scalar(net.accuracy(x_small, np.array([[0.0, 1.0], [0.0, 1.0]])), 0.5, "accuracy (one-hot、正解 [1, 1])")
print("公開テスト: OK")

# %% [markdown]
# ### 勾配確認 (gradient check)
#
# 逆伝播の実装は間違えやすいので、実装が簡単で間違えにくい数値微分と比べて確かめます。これを勾配確認と呼びます。
# 次のテストでは、手で計算できる小さな例と、数値微分との比較の両方を使います。
#
# 手計算の例: $D = H = 1$、$C = 2$、$x = 1$、$W_1 = 1$、$b_1 = 0$、$W_2 = (1, -1)$、$b_2 = (0, 0)$、正解はクラス 0。
#
# - 順伝播: 隠れ層 $h = \mathrm{ReLU}(1) = 1$、スコア $(1, -1)$、確率 $\boldsymbol{y} = (\sigma(2), \sigma(-2))$ ($\sigma$ はシグモイド関数。2 クラスのソフトマックスは $y_0 = e^{x_0} / (e^{x_0} + e^{x_1}) = \sigma(x_0 - x_1)$ と書ける)。
#   $s = \sigma(-2) = 1/(1 + e^2)$ とおくと $\boldsymbol{y} = (1 - s, s)$
# - スコアの勾配 ($N = 1$): $\boldsymbol{y} - \boldsymbol{t} = (-s, s)$
# - $\partial L/\partial W_2 = h \cdot (-s, s) = (-s, s)$、$\partial L/\partial b_2 = (-s, s)$
# - 隠れ層の勾配: $(-s, s) \cdot W_2^\top = -s - s = -2s$。ReLU は入力 1 > 0 なのでそのまま通す
# - $\partial L/\partial W_1 = x \cdot (-2s) = -2s$、$\partial L/\partial b_1 = -2s$
#
# 同じサンプルを 2 つ並べたバッチ ($N = 2$) でも、平均なので勾配は同じです。$N$ で割り忘れると 2 倍になります。


# %% [tests] id=test_two_layer_net_gradient points=3 hidden=two_layer_net_gradient
def hand_example_net():
    """上の手計算の例のネットワーク (W1 = 1、b1 = 0、W2 = (1, −1)、b2 = (0, 0))。"""
    net = TwoLayerNet(1, 1, 2)
    net.params["W1"][...] = [[1.0]]
    net.params["W2"][...] = [[1.0, -1.0]]
    return net


s = 1 / (1 + np.exp(2.0))
expected_grads = {"W1": [[-2 * s]], "b1": [-2 * s], "W2": [[-s, s]], "b2": [-s, s]}
backprop = "誤差逆伝播法による勾配 (gradient、手計算の例の N = 1 と N = 2)"
numerical = "数値微分による勾配 (numerical_gradient、手計算の例)"
if builds_on({"演習 3 (SoftmaxWithLoss)": public_test_softmax_with_loss}):
    with Properties() as test:
        with test.property(backprop):
            net = hand_example_net()
            for batch_size in (1, 2):
                grads = net.gradient(np.ones((batch_size, 1)), np.zeros(batch_size, dtype=int))
                check_true(sorted(grads) == ["W1", "W2", "b1", "b2"], f"gradient のキーが違います: {sorted(grads)}")
                for key, value in expected_grads.items():
                    check_array(grads[key], value, f"gradient(...)['{key}'] (N = {batch_size})")

        # 同じ例を数値微分で。中心差分の誤差と、損失の log の中の ε の分だけ手計算とずれる (相対 1e-6 程度) ので、相対 1e-5 まで許す
        with test.property(numerical):
            net = hand_example_net()
            numerical_grads = net.numerical_gradient(np.ones((1, 1)), np.zeros(1, dtype=int))
            check_true(
                sorted(numerical_grads) == ["W1", "W2", "b1", "b2"],
                f"numerical_gradient のキーが違います: {sorted(numerical_grads)}",
            )
            for key, value in expected_grads.items():
                check_array(numerical_grads[key], value, f"numerical_gradient(...)['{key}'] (N = 1)", rtol=1e-5)

        # 数値微分との比較。比べる点 (x とパラメータ) は乱数で作り、次の 2 つを満たすまで引き直す (1 回で満たす確率は約 12%)。
        # - ReLU の折れ目 (入力 0) から離れている: 隠れ層の入力 a = x W1 + b1 の成分がどれも |a| ≥ 0.1。
        #   パラメータを h = 1e-4 動かしても a は 1e-3 も動かないので、数値微分が折れ目をまたがない
        # - 正解クラスの確率がどれも 0.05 以上: 損失 −log(y + ε) の ε が勾配を変える割合 (ε/y 程度) が小さい
        with test.property(
            "誤差逆伝播法による勾配 (乱数の点で numerical_gradient と比べる)", needs=[backprop, numerical]
        ):
            net = TwoLayerNet(5, 4, 3, rng=np.random.default_rng(0))
            rng = np.random.default_rng(1)
            t_check = np.array([0, 1, 2, 0, 1, 2])
            for _ in range(1000):
                x_check = rng.standard_normal((6, 5))
                for key in ("W1", "b1", "W2", "b2"):  # その場で書き換える (レイヤも同じ配列を持っている)
                    net.params[key][...] = 0.5 * rng.standard_normal(net.params[key].shape)
                a_check = x_check @ net.params["W1"] + net.params["b1"]
                y_check = softmax(np.maximum(a_check, 0) @ net.params["W2"] + net.params["b2"])
                if np.abs(a_check).min() >= 0.1 and y_check[np.arange(6), t_check].min() >= 0.05:
                    break
            grads, numerical_grads = net.gradient(x_check, t_check), net.numerical_gradient(x_check, t_check)
            # 許容誤差: 要素ごとに 1e-3 × (|数値微分| + 全パラメータの数値微分の最大の大きさ)。正しい実装のずれはその 1.1e-5 倍以下
            # (log の中の ε が 0、1e-7、1e-6 のどれでも、この選び方で 1000 通り試した最大) で、90 倍の余裕がある
            grad_scale = max(np.abs(value).max() for value in numerical_grads.values())
            for key in ("W1", "b1", "W2", "b2"):
                check_array(
                    grads[key],
                    numerical_grads[key],
                    f"gradient と numerical_gradient の '{key}'",
                    rtol=1e-3,
                    atol=1e-3 * grad_scale,
                )
    print("公開テスト: OK")

# %% [markdown]
# 実際の digits のデータでも勾配確認をしてみます。digits は 8 × 8 ピクセルの手書き数字 (0〜9) の画像で、
# `load_digits()` は画素値を 0〜1 にした形状 (画像の枚数, 64) の配列と、ラベル (画像の枚数,) を返します (訓練 1437 枚、テスト 360 枚)。
# 勾配確認には数サンプルあれば十分です。
#
# 比べる尺度には、配列全体の相対誤差 $\dfrac{\lVert \boldsymbol{g}_\text{逆伝播} - \boldsymbol{g}_\text{数値} \rVert}{\lVert \boldsymbol{g}_\text{逆伝播} \rVert + \lVert \boldsymbol{g}_\text{数値} \rVert}$ を使います。
# 要素ごとの相対誤差の最大値 (`course.gradcheck.rel_error`) は 1 つの層の確認には便利ですが、ネットワーク全体では、勾配がとても小さい要素や、
# パラメータを $\pm h$ 動かすと ReLU の折れ目 (入力 0) をまたいでしまう要素で大きく出ることがあります。
# ここでは順伝播の損失に入っている $\varepsilon = 10^{-7}$ の分だけ、逆伝播と数値微分が相対 $10^{-6}$ 程度ずれます。
# 実装の誤りがあると、ずれは $10^{-2}$ 以上になるのがふつうです。

# %%
(x_train, t_train), (x_test, t_test) = load_digits()
print("訓練データ:", x_train.shape, t_train.shape, " テストデータ:", x_test.shape, t_test.shape)


def relative_error_of_arrays(a, b):
    """配列全体でとった ‖a − b‖ / (‖a‖ + ‖b‖)。"""
    return np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b))


network = TwoLayerNet(64, 50, 10, weight_init_std=0.1, rng=np.random.default_rng(0))
grads_backprop = network.gradient(x_train[:3], t_train[:3])
grads_numerical = network.numerical_gradient(x_train[:3], t_train[:3])
for key in ("W1", "b1", "W2", "b2"):
    error = relative_error_of_arrays(grads_backprop[key], grads_numerical[key])
    print(f"{key}: 相対誤差 {error:.0e} … {'OK' if error < 1e-5 else '大きすぎます'}")

# %% [markdown]
# ### 速さの比較
#
# 数値微分は、パラメータを 1 つ動かすたびに損失を 2 回 (中心差分の $+h$ と $-h$) 計算します。パラメータ数を $P$ とすると、
# 順伝播が $2P$ 回必要です。誤差逆伝播法は、順伝播 1 回と逆伝播 1 回 (順伝播と同程度の計算量) ですべての勾配が求まります。
# 64 → 50 → 10 のネットワークでは $P = 64 \cdot 50 + 50 + 50 \cdot 10 + 10 = 3760$ なので、数千倍の差が予想されます。
# 100 サンプルのミニバッチで測ってみましょう。

# %%
x_batch, t_batch = x_train[:100], t_train[:100]
num_params = sum(value.size for value in network.params.values())
print("パラメータ数 P =", num_params, " 数値微分で損失を計算する回数 2P =", 2 * num_params)

start = time.perf_counter()
network.numerical_gradient(x_batch, t_batch)
seconds_numerical = time.perf_counter() - start

repeats = 100
start = time.perf_counter()
for _ in range(repeats):
    network.gradient(x_batch, t_batch)
seconds_backprop = (time.perf_counter() - start) / repeats  # 1 回あたり (短すぎるので 100 回の平均)

ratio = seconds_numerical / seconds_backprop
print(f"数値微分: {seconds_numerical:.3f} s、誤差逆伝播法: {seconds_backprop * 1000:.3f} ms")
print(f"速さの比 (数値微分 / 誤差逆伝播法) はおよそ 10 の {int(np.floor(np.log10(ratio)))} 乗のオーダー")

# %% [markdown]
# 学習では勾配を何千回も計算するので、この差は決定的です。数値微分は、誤差逆伝播法の確認 (勾配確認) にだけ使います。
#
# ## 5.5 ミニバッチ SGD による学習
#
# 学習は次の手順の繰り返しです。
#
# 1. **ミニバッチ** (mini-batch): 訓練データから一部 (バッチサイズ $N$ 個) を取り出す
# 2. **勾配**: ミニバッチの損失の勾配を誤差逆伝播法で求める
# 3. **更新**: 各パラメータを勾配の逆向きに少し動かす: $\boldsymbol{W} \leftarrow \boldsymbol{W} - \eta\, \dfrac{\partial L}{\partial \boldsymbol{W}}$ ($\eta$ は学習率)
#
# この章では $N$ はいつもバッチサイズ (1 回の更新に使うサンプルの数) を表し、訓練データ全体の数は $N_\text{train}$ と書きます
# (digits では $N_\text{train} = 1437$)。
#
# ミニバッチは、各エポック (epoch) の初めに訓練データの順番をランダムに並べ替え (`rng.permutation(len(x_train))`)、前から $N$ 個ずつ切り出して作ります。
# 1 エポックは「訓練データ全体を 1 回ずつ使い切る」ことで、その間の更新回数 (イテレーション (iteration) 数) は $\lceil N_\text{train} / N \rceil$ 回です。
# (教科書のように毎回ランダムに $N$ 個を選ぶ方法もありますが、その場合は 1 エポックの間に一度も使われないサンプルが出ます。)
#
# **更新はその場で**: 更新 $\boldsymbol{W} \leftarrow \boldsymbol{W} - \eta\, \partial L/\partial \boldsymbol{W}$ は、`params` の配列そのものを書き換える
# 累算代入 (`-=`) で行います。右辺で新しい配列を作って辞書に代入し直すと、辞書の中身が差し替わるだけで、Affine レイヤが持っている
# 元の配列は変わりません (学習が進まなくなります)。
#
# **進捗バー** (progress bar): エポックのループを `progress(range(epochs), desc="学習", unit="epoch", disable=not show_progress)` で包むと、
# 学習の進み具合が表示されます (採点や自動テストの環境では表示されません)。
#
# 各エポックの終わりに、訓練データとテストデータの正解率を記録して学習曲線 (learning curve) を描きます。テストデータは
# **記録するだけ** で、学習にもハイパーパラメータ (hyperparameter) の調整にも使いません (調整に使うなら、訓練データから検証データを分けます)。
#
# ### 演習 5: digits を学習する (採点対象: 学習済みネットワーク)
#
# 関数 `train_two_layer_net` を実装し、その下のセルで学習したネットワークを変数 `trained_network` に入れてください。
# **採点では、`trained_network.params` の値から、こちらでテストデータの正解率を計算します。95% 以上なら満点です。**
# 表示された数値や `history` は採点に使いません。既定のハイパーパラメータ (隠れ層 50、30 エポック、バッチサイズ 20、学習率 0.1、
# 重みの初期値の標準偏差 0.1) で 95% を十分に超えるはずです。


# %% [solution] id=train_two_layer_net
def train_two_layer_net(
    x_train,
    t_train,
    x_test,
    t_test,
    hidden_size=50,
    epochs=30,
    batch_size=20,
    learning_rate=0.1,
    weight_init_std=0.1,
    seed=0,
    show_progress=True,
):
    """TwoLayerNet をミニバッチ SGD で学習する。

    x_train: (N_train, D)、t_train: ラベル (N_train,) または one-hot (N_train, C) (N_train は訓練データの数)。
    x_test、t_test も同様 (各エポック後の評価にだけ使う)。
    rng は seed から np.random.default_rng で作った乱数生成器。ネットワークは TwoLayerNet で、引数は順に D、hidden_size、C、
    weight_init_std、そして rng。C はクラス数 (one-hot なら t_train の列数、ラベルなら最大のラベル + 1)。
    各エポックで同じ rng の permutation で訓練データの順番を並べ替え、前から batch_size 個ずつのミニバッチごとに、
    各パラメータを学習率 × 勾配だけ減らす (params の配列をその場で更新する)。
    戻り値: (network, history)。history は 'train_loss' (そのエポックのミニバッチの損失の平均)、'train_acc'、'test_acc'
    (エポック終了後の正解率) のリストを持つ辞書で、どれも長さ epochs。
    """
    # ヒント: hint("train_two_layer_net")
    # @reference train_two_layer_net


# %%
trained_network, history = train_two_layer_net(x_train, t_train, x_test, t_test)
print(f"最後のエポックの損失 {history['train_loss'][-1]:.3f}、テスト正解率 {history['test_acc'][-1]:.3f}")

# %% [tests] id=test_trained_network points=4 hidden=trained_network
check_true(
    isinstance(history, dict) and {"train_loss", "train_acc", "test_acc"} <= set(history),
    "history は 'train_loss'、'train_acc'、'test_acc' をキーに持つ辞書にしてください。",
)
check_true(
    len(history["train_loss"]) == len(history["train_acc"]) == len(history["test_acc"]) > 0,
    "history の 3 つのリストは、どれもエポック数と同じ長さにしてください。",
)
check_true(
    history["train_loss"][-1] < history["train_loss"][0],
    "損失が減っていません。更新の向き (勾配の逆向き) を確かめてください。",
)
test_accuracy = trained_network.accuracy(x_test, t_test)
check_true(test_accuracy >= 0.95, f"テスト正解率 {test_accuracy:.3f} が 0.95 に届いていません。")
print("公開テスト: OK")

# %% [markdown]
# 学習曲線を描きます。左が損失 (エポック内のミニバッチの損失の平均)、右が訓練データとテストデータの正解率です。

# %%
plot_learning_curves(history, title="TwoLayerNet を SGD で学習したときの学習曲線 (digits)")
plt.show()

# %% [markdown]
# 損失は最初の数エポックで急に下がり、その後ゆっくり下がり続けます。テスト正解率は数エポックで 90% を超え、その後は 96〜97% 前後で落ち着きます。
# 訓練正解率はテスト正解率より少し高く、100% に近づいていきます。この差が汎化ギャップ (generalization gap) で、
# 訓練データだけに合わせすぎる過学習 (overfitting) の兆しです。ここでは差が小さく、テスト正解率も下がっていないので、大きな過学習は起きていません。
#
# ## 5.6 バッチサイズのトレードオフ
#
# バッチサイズ $N$ の選び方には、2 つの極端があります。
#
# - $N = 1$: オンライン学習 (online learning)。1 サンプルごとに更新する
# - $N = N_\text{train}$ (訓練データ全体): バッチ学習 (batch learning)。1 エポックに 1 回だけ更新する (第 3 章の勾配降下法そのもの)
#
# その間がミニバッチ学習です。ミニバッチの勾配は、全データの勾配の **推定値** です。ランダムに選んだ $N$ 個の平均なので、
# 推定のばらつき (分散) は $1/N$ に比例して小さくなります (有限個のデータから重複なしで選ぶので、正確には $\frac{N_\text{train} - N}{N_\text{train} - 1} \cdot \frac{1}{N}$ 倍)。
# 学習前のネットワークで、ミニバッチの勾配が全データの勾配からどれだけずれるかを測ってみましょう。

# %%
network = TwoLayerNet(64, 50, 10, weight_init_std=0.1, rng=np.random.default_rng(0))
keys = ("W1", "b1", "W2", "b2")
full_grads = network.gradient(x_train, t_train)
full_vector = np.concatenate([full_grads[key].ravel() for key in keys])

rng = np.random.default_rng(0)
batch_sizes = [1, 4, 16, 64, 256]
relative_errors = []
for size in batch_sizes:
    errors = []
    for _ in range(50):
        index = rng.choice(len(x_train), size=size, replace=False)
        grads = network.gradient(x_train[index], t_train[index])
        vector = np.concatenate([grads[key].ravel() for key in keys])
        errors.append(np.sum((vector - full_vector) ** 2) / np.sum(full_vector**2))
    relative_errors.append(np.mean(errors))

sizes = np.array(batch_sizes)
n_train = len(x_train)
prediction = relative_errors[0] / sizes * (n_train - sizes) / (n_train - 1)
fig, ax = plt.subplots(figsize=(5.5, 4))
ax.loglog(sizes, relative_errors, "o-", label="測定値 (50 回の平均)")
ax.loglog(sizes, prediction, "k--", label="予想 ∝ (N_train − N) / ((N_train − 1) N)")
ax.set_xlabel("バッチサイズ $N$")
ax.set_ylabel("相対二乗誤差 $\\|g_B - g\\|^2 / \\|g\\|^2$")
ax.set_title("ミニバッチの勾配のばらつき (学習前のネットワーク)")
ax.legend()
plt.show()

# %% [markdown]
# 両対数グラフで傾き −1 の直線、つまりばらつきは $1/N$ に比例して減っています。$N = 1$ の勾配は、全データの勾配よりも
# 大きなずれ (ノイズ) を含んでいます。
#
# では、実際の学習ではどうなるでしょうか。学習率 0.1 のまま、バッチサイズだけを変えて 5 エポックずつ学習します
# (1 エポックで見るデータの量はどれも同じです)。右の図は、横軸を更新回数にして同じ結果を描いたものです。

# %%
train_sizes = [1, 10, 100, len(x_train)]
runs = {}
for size in train_sizes:
    start = time.perf_counter()
    _, run_history = train_two_layer_net(
        x_train, t_train, x_test, t_test, epochs=5, batch_size=size, show_progress=False
    )
    seconds = time.perf_counter() - start
    runs[size] = run_history
    updates = int(np.ceil(len(x_train) / size))
    print(
        f"N = {size:4d}: 1 エポックの更新 {updates:4d} 回、5 エポック後のテスト正解率 {run_history['test_acc'][-1]:.3f}、"
        f"学習時間 {seconds:.2f} s"
    )

fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
for size, run_history in runs.items():
    epochs_axis = np.arange(1, len(run_history["test_acc"]) + 1)
    label = f"N = {size}" + (" (全データ)" if size == len(x_train) else "")
    axes[0].plot(epochs_axis, run_history["test_acc"], marker="o", label=label)
    axes[1].plot(epochs_axis * int(np.ceil(len(x_train) / size)), run_history["test_acc"], marker="o", label=label)
axes[0].set_xlabel("エポック")
axes[0].set_xticks(np.arange(1, 6))
axes[0].set_title("エポックごとのテスト正解率")
axes[1].set_xscale("log")
axes[1].set_xlabel("更新回数 (対数目盛)")
axes[1].set_title("更新回数ごとのテスト正解率")
for axis in axes:
    axis.set_ylabel("テスト正解率")
    axis.set_ylim(0, 1)
    axis.grid(True, alpha=0.3)
    axis.legend()
plt.show()

# %% [markdown]
# 読み取れることをまとめます。
#
# - **同じデータ量 (エポック) で比べると**: $N = 1$ と $N = 10$ の正解率はほぼ同じです。$N = 10$ は 1/10 の更新回数で同じところまで
#   進んでいます。損失がバッチ平均なので、1 回の更新で進む向きと大きさの期待値は $N$ によらず同じです。$N = 1$ は 10 倍の回数
#   更新していますが、1 回ごとの勾配のノイズが大きく、その分の多くは揺れとして打ち消し合うので、進みは $N = 10$ と変わりません。
#   ところが $N = 100$ では 1 エポックの更新が 15 回しかなく、
#   学習率 0.1 のままでは進みが遅れます。全データ ($N = 1437$) では 5 エポックで 5 回しか更新されず、ほとんど学習が進みません。
#   $N$ を大きくするとノイズが減って 1 回の更新あたりの進みは良くなりますが、それが効くのはノイズが進みを妨げている間だけで、
#   その先は更新回数が減る分だけ遅れます。
# - **同じ更新回数で比べると** (右の図): $N$ が大きいほど少ない更新回数で正解率が上がります。$N = 100$ は 75 回の更新で 0.8 に届きますが、
#   $N = 1$ は 1437 回更新してやっと 0.9 前後です。
# - **ノイズ**: $N = 1$ の正解率はエポックごとに上下します。勾配のノイズが大きく、学習率 0.1 では最後まで揺れ続けるためです。
# - **計算時間**: 1 エポックで扱うデータ量は同じなのに、$N = 1$ は $N = 10$ の 10 倍以上の時間がかかります。1 回の更新ごとに Python の処理や
#   小さな行列計算の手間がかかるためで、まとめて計算できる大きなバッチほど、計算機 (特に GPU) を効率よく使えます。
#
# 実際には、両者の兼ね合いで 32〜256 程度がよく使われます。バッチサイズを大きくするときは学習率も大きくするのが一般的です
# (バッチサイズを $k$ 倍にしたら学習率も $k$ 倍にする「線形スケーリング則」(Goyal ら, 2017) が目安ですが、大きくしすぎると発散するので限度があります)。

# %% [markdown]
# **記述問題**: もっと大きなデータセット (訓練データ $N_\text{train} = 50000$ 枚) で、バッチサイズ $N = 50$ と $N = 500$ を比べます。
#
# 1. 1 エポックの更新回数は、それぞれ何回ですか。
# 2. ミニバッチの勾配のばらつきは、$N = 500$ では $N = 50$ の何倍ですか。分散と標準偏差のそれぞれで答えてください。
# 3. 1 回の更新 (順伝播・逆伝播・更新) にかかる時間が、GPU でまとめて計算できるため $N = 50$ で 2 ms、$N = 500$ で 5 ms だったとします。
#    1 エポックにかかる時間はそれぞれ何秒ですか。
# 4. $N = 50$ では学習率 0.05 がよかったとします。5.6 節の線形スケーリング則に従うと、$N = 500$ の学習率はいくつですか。
#    学習率をそのまま 0.05 にした場合と比べて、同じエポック数でどちらがよく学習すると考えられますか。1〜3 の結果を使って説明してください。
#
# 次のセルに答えてください。

# %% [answer] id=batch_size_tradeoff points=2
# **模範解答**:
# 1. $50000 / 50 = 1000$ 回と、$50000 / 500 = 100$ 回。
# 2. 分散は $1/N$ に比例するので約 1/10 倍 (重複なしで選ぶ補正を入れても $0.099$ 倍)。標準偏差はその平方根で $1/\sqrt{10} \approx 0.32$ 倍。
#    バッチを 10 倍にしてもノイズの大きさ (標準偏差) は約 1/3 にしかならない。
# 3. $N = 50$: $1000 \times 2\ \text{ms} = 2$ 秒。$N = 500$: $100 \times 5\ \text{ms} = 0.5$ 秒。扱うデータの量は同じでも、大きなバッチのほうが 4 倍速い。
# 4. $0.05 \times 10 = 0.5$。学習率 0.05 のままだと、1 回の更新の歩幅 (期待値) は $N = 50$ と同じなのに更新回数が 1/10 になるので、
#    同じエポック数では進みが大きく遅れる。学習率を 0.5 にすると、1 回の更新で $N = 50$ の 10 回分に近い距離を進み、
#    勾配のノイズも小さいので、同じエポック数で $N = 50$ に近いところまで学習でき、時間は 1/4 で済む。ただし学習率を大きくしすぎると
#    発散するので、線形スケーリングには限度がある (特に学習の初め)。
#
# (採点の目安: (1) 1000 回と 100 回で 0.5 点。(2) 分散 1/10、標準偏差 約 0.32 倍の両方で 0.5 点。(3) 2 秒と 0.5 秒で 0.5 点。
# (4) 学習率 0.5 と、0.05 のままでは更新回数が減る分だけ遅れること (または大きくしすぎると発散すること) で 0.5 点。)

# %% [markdown]
# ## 5.7 学習の前の健全性チェック (sanity check)
#
# 5.5 節の学習は 1 秒ほどで終わりましたが、実際の学習は何時間もかかることがあります。長い学習を始める前に、数秒で済む 2 つの確認をしておくと、
# 損失や学習のループの誤りの多くをすぐに見つけられます (スタンフォード大学の講義 CS231n が勧めている手順です)。
#
# **確認 1: 最初の損失は $\ln C$ に近いか**。重みが小さな乱数なら、スコアはどのクラスもほぼ 0 で、ソフトマックスの出力はほぼ一様
# ($y_k \approx 1/C$) になります。正解クラスの確率も約 $1/C$ なので、各サンプルの損失は $-\log(1/C) = \ln C$ で、そのバッチ平均も $\ln C$ です。
# digits ($C = 10$) なら $\ln 10 \approx 2.30$ です。これと大きく違う値が出たら、学習を始める前に原因を探します。
#
# - **約 $1/C$ 倍 (digits なら 0.23)**: 平均をとる相手の誤り。one-hot の教師データ $T$ (形状 (N, C)) との積 $T \odot \log Y$ の
#   **全要素** の平均をとると、$N$ ではなく $N C$ で割ることになり、損失が $1/C$ 倍になります。クラス数 $C$ で割るのは誤りでした (5.3 節)。
# - **約 $N$ 倍**: バッチで平均せずに合計している。
# - **ずっと大きい**: 重みの初期値が大きすぎる。スコアの差が大きくなり、ネットワークが自信をもって間違えるためです。
#
# **確認 2: ごく少ないデータなら、損失をほぼ 0 にできるか**。20 枚の画像なら、隠れ層 50 の `TwoLayerNet` (パラメータ 3760 個) は
# 全部を覚えてしまえるはずです。その 20 枚だけを使い (バッチサイズ $N = 20$ の全データ)、正則化なしの勾配降下法を繰り返すと、
# 損失は 0 に近づき、その 20 枚の正解率は 100% になります。そうならなければ、勾配、更新、データとラベルの対応のどこかに誤りがあります。
# 逆に、この確認に通っても汎化するとは限りません。確かめているのはコードの正しさだけです。
#
# ### 演習 6: 最初の損失の目安
#
# 一様な予測 (どのクラスも確率 $1/C$) の交差エントロピー誤差を返す関数 `expected_initial_loss` を実装してください。


# %% [solution] id=expected_initial_loss
def expected_initial_loss(num_classes):
    """どのクラスにも確率 1/C を出す予測の、交差エントロピー誤差 (バッチ平均) を返す。

    num_classes: クラス数 C (2 以上の整数)。
    戻り値: float。各サンプルの損失 −log(1/C) = ln C (自然対数) で、バッチ平均も同じ値。
    """
    # ヒント: hint("expected_initial_loss")
    # @reference expected_initial_loss


# %% [tests] id=test_expected_initial_loss points=1 hidden=expected_initial_loss
# ln 2 = 0.693147…、ln 10 = 2.302585…、ln 1000 = 3 ln 10 = 6.907755…
check_scalar(expected_initial_loss(2), 0.6931471805599453, "expected_initial_loss(2)", rtol=1e-12)
check_scalar(expected_initial_loss(10), 2.302585092994046, "expected_initial_loss(10)", rtol=1e-12)
check_scalar(expected_initial_loss(1000), 6.907755278982137, "expected_initial_loss(1000)", rtol=1e-12)
# スコアがすべて 0 (一様な予測) の交差エントロピー誤差とも一致する (log の中の ε = 1e-7 の分だけ、相対 1e-6 未満ずれる)
check_scalar(
    expected_initial_loss(4),
    cross_entropy_error(softmax(np.zeros((3, 4))), np.array([0, 3, 1])),
    "expected_initial_loss(4) と、一様な予測の損失",
    rtol=1e-6,
)
print("公開テスト: OK")

# %% [markdown]
# ### 演習 7: ごく少ないデータに過学習させる
#
# 確認 2 のための、正則化なしの勾配降下法のループ `overfit_tiny_subset` を実装してください。ネットワークそのものではなく、
# パラメータの辞書 `params` と、**引数なしで呼ぶと今のパラメータでの損失・勾配を返す関数** `loss`、`gradient` を受け取ります。
# `TwoLayerNet` なら次のように呼びます。
#
# ```python
# losses = overfit_tiny_subset(
#     network.params,
#     lambda: network.loss(x_tiny, t_tiny),
#     lambda: network.gradient(x_tiny, t_tiny),
#     learning_rate=0.5,
#     steps=200,
# )
# ```
#
# こうしておくと、同じループがネットワーク以外 (たとえば手で書いた 2 次関数) にも使えます。`params` の配列は **その場で** 更新してください。
# `lambda` の中の `network` は `params` と同じ配列を持っているので、その場で更新すれば、次に呼ぶ `loss` や `gradient` に新しい値が使われます
# (5.5 節「更新はその場で」)。戻り値は、更新の前の損失と、各更新の後の損失を並べた、長さ `steps + 1` のリストです。


# %% [solution] id=overfit_tiny_subset
def overfit_tiny_subset(params, loss, gradient, learning_rate, steps):
    """勾配降下法で params を steps 回更新し、更新の前と各更新の後の損失のリストを返す。

    params: パラメータの配列の辞書 (network.params など)。配列をその場で (in place) 更新する。
    loss: 引数なしで呼ぶと、今のパラメータでの損失 (float) を返す関数。
    gradient: 引数なしで呼ぶと、今のパラメータでの勾配の辞書 (params と同じキー・形状) を返す関数。
    1 回の更新では、params のすべてのキーの配列から learning_rate × 勾配を引く。
    戻り値: 長さ steps + 1 の float のリスト。k 番目は k 回更新した後の loss() の値 (0 番目は更新の前)。
    steps = 0 なら [loss()] を返し、params は変えない。
    """
    # ヒント: hint("overfit_tiny_subset")
    # @reference overfit_tiny_subset


# %% [tests] id=test_overfit_tiny_subset points=3 hidden=overfit_tiny_subset
# 損失 ‖w‖² + ‖b‖²、勾配 2w、2b。学習率 0.25 なら 1 回の更新で w ← w − 0.25 · 2w = w/2 (b も同じ) なので、損失は毎回 1/4 倍:
# w = [4, −2]、b = [1] → 損失 16 + 4 + 1 = 21 → 5.25 → 1.3125 → 0.328125
def tiny_problem(w, b):
    """params = {"w": w, "b": b} と、引数なしで呼ぶ損失・勾配の関数。

    ネットワークの層と同じく、2 つの関数は辞書ではなく配列 w、b そのものを読む。
    なので、配列をその場で更新したときだけ、新しいパラメータでの値を返す。
    """
    return {"w": w, "b": b}, lambda: float(np.sum(w**2) + np.sum(b**2)), lambda: {"w": 2 * w, "b": 2 * b}


not_in_place = (
    [21.0] * 4,
    "損失が更新の前のまま変わりません。params[key] = … で新しい配列を辞書に入れていませんか。"
    "loss と gradient が使うのは、最初に params にあった配列そのものです。その配列をその場で更新してください。",
)
with Properties() as test:
    with test.property("勾配降下法で更新したときの損失のリスト (3 回の更新)"):
        params, tiny_loss, tiny_gradient = tiny_problem(np.array([4.0, -2.0]), np.array([1.0]))
        losses = overfit_tiny_subset(params, tiny_loss, tiny_gradient, learning_rate=0.25, steps=3)
        check_true(isinstance(losses, list), f"戻り値はリストにしてください (実際: {type(losses).__name__})。")
        check_array(
            losses,
            [21.0, 5.25, 1.3125, 0.328125],
            "overfit_tiny_subset の損失のリスト (3 回更新)",
            mistakes=[not_in_place],
        )
        check_array(params["w"], [0.5, -0.25], "3 回更新した後の params['w']")
        check_array(params["b"], [0.125], "3 回更新した後の params['b']")
    # steps = 1: 同じ w = [4, −2]、b = [1] から 1 回だけ更新する。損失は 21 → 5.25、params は半分の w = [2, −1]、b = [0.5]
    with test.property("1 回だけの更新 (steps=1)"):
        params, tiny_loss, tiny_gradient = tiny_problem(np.array([4.0, -2.0]), np.array([1.0]))
        check_array(
            overfit_tiny_subset(params, tiny_loss, tiny_gradient, 0.25, 1),
            [21.0, 5.25],
            "steps=1 の損失のリスト",
            mistakes=[([21.0] * 2, not_in_place[1])],
        )
        check_array(params["w"], [2.0, -1.0], "1 回更新した後の params['w']")
        check_array(params["b"], [0.5], "1 回更新した後の params['b']")
    # steps = 0: 更新しないで、最初の損失だけ。w = [0.5, −0.25]、b = [0.125] なら 0.25 + 0.0625 + 0.015625 = 0.328125
    with test.property("steps=0 では params を変えず、更新の前の損失だけを返す"):
        params, tiny_loss, tiny_gradient = tiny_problem(np.array([0.5, -0.25]), np.array([0.125]))
        check_array(
            overfit_tiny_subset(params, tiny_loss, tiny_gradient, 0.25, 0), [0.328125], "steps=0 の損失のリスト"
        )
        check_array(params["w"], [0.5, -0.25], "steps=0 の後の params['w'] (変わらない)")
        check_array(params["b"], [0.125], "steps=0 の後の params['b'] (変わらない)")
print("公開テスト: OK")

# %% [markdown]
# 2 つの確認を、digits と `TwoLayerNet` で実際にやってみましょう。まず確認 1 です。正しい損失と、よくある 2 つの誤り
# ((N, C) の全要素での平均、大きすぎる重み) で、最初の損失を比べます。

# %%
network = TwoLayerNet(64, 50, 10, weight_init_std=0.1, rng=np.random.default_rng(0))
x_tiny, t_tiny = x_train[:20], t_train[:20]
print(f"ln 10 = {expected_initial_loss(10):.3f}")
print(f"正しい損失 (バッチ平均): {network.loss(x_tiny, t_tiny):.3f}")
y_tiny = softmax(network.predict(x_tiny))
t_tiny_one_hot = np.eye(10)[t_tiny]
loss_mean_of_all = -np.mean(t_tiny_one_hot * np.log(y_tiny + 1e-7))  # 誤り: N·C 個の全要素で平均している
print(f"誤り: (N, C) の全要素で平均した損失: {loss_mean_of_all:.3f} (ln 10 / 10 = {np.log(10) / 10:.3f})")
network_large = TwoLayerNet(64, 50, 10, weight_init_std=10.0, rng=np.random.default_rng(0))
print(f"誤り: 重みの標準偏差 10 で初期化したときの損失: {network_large.loss(x_tiny, t_tiny):.1f}")

# %% [markdown]
# 正しい損失は $\ln 10$ に近く、誤りのある 2 つは大きく外れています。次に確認 2 です。同じネットワークを、訓練データの最初の 20 枚だけで
# 200 回更新します。

# %%
tiny_losses = overfit_tiny_subset(
    network.params,
    lambda: network.loss(x_tiny, t_tiny),
    lambda: network.gradient(x_tiny, t_tiny),
    learning_rate=0.5,
    steps=200,
)
print(f"損失: 最初 {tiny_losses[0]:.3f} → 200 回の更新の後 {tiny_losses[-1]:.4f}")
print(
    f"20 枚の正解率 {network.accuracy(x_tiny, t_tiny):.2f}、テストデータの正解率 {network.accuracy(x_test, t_test):.2f}"
)
fig, ax = plt.subplots(figsize=(5.5, 4))
ax.semilogy(np.arange(len(tiny_losses)), tiny_losses)
ax.axhline(expected_initial_loss(10), color="gray", linestyle="--", label="ln 10")
ax.set_xlabel("更新回数")
ax.set_ylabel("損失 (対数目盛)")
ax.set_title("20 枚だけの勾配降下法 (確認 2)")
ax.legend()
plt.show()

# %% [markdown]
# 損失は $\ln 10$ 付近から始まって 0 に近づき、20 枚はすべて正しく分類されるようになりました。一方、テストデータの正解率は低いままです。
# 20 枚を覚えただけで、数字の見分け方を学んだわけではありません。この確認で分かるのは「損失・勾配・更新が正しくつながっている」ことだけで、
# 汎化の良し悪しは、5.5 節のように十分なデータで学習して確かめます。

# %% [markdown]
# ## まとめ
#
# - ソフトマックス関数のヤコビ行列は $J_{ij} = y_i(\delta_{ij} - y_j)$、行列で $\operatorname{diag}(\boldsymbol{y}) - \boldsymbol{y}^\top \boldsymbol{y}$ (行ベクトル)。
#   逆伝播は行列を作らずに $d\boldsymbol{x} = \boldsymbol{y} \odot (d\boldsymbol{y} - \langle d\boldsymbol{y}, \boldsymbol{y}\rangle)$ (内積は行ごと) で計算できる。
# - ソフトマックスと交差エントロピー誤差をまとめると、スコアの勾配は $(Y - T)/N$。$y$ で割る項が消えるので数値的にも安定。
#   $N$ で割るのは損失がバッチ **平均** だからで、クラス数 $C$ で割るのは誤り。
# - `SoftmaxWithLoss` の `backward` では、保存した `y` を書き換えない (コピーしてから正解クラスの成分を引く)。
# - `TwoLayerNet` は Affine → ReLU → Affine → SoftmaxWithLoss。勾配は順伝播のあとに逆順で `backward` し、Affine の `dW`、`db` を集める。
#   数値微分との比較 (勾配確認) で正しさを確かめ、速さは数千倍違う。
# - ミニバッチ SGD: エポックごとにデータを並べ替え、$\lceil N_\text{train}/N \rceil$ 回、パラメータをその場で $\boldsymbol{W} \leftarrow \boldsymbol{W} - \eta\, \partial L/\partial \boldsymbol{W}$ と更新する。
#   digits のテストデータで 95% 以上に届く。
# - バッチサイズ: 小さいと更新回数が多いがノイズが大きく計算効率が悪い。大きいと勾配が正確で効率的だが、エポックあたりの更新が減る。
# - 学習の前の健全性チェック: 小さな重みでの最初の損失は $\ln C$ (digits で 2.30) に近いはず。0.23 ($1/C$ 倍) や $N$ 倍なら損失の平均の
#   とり方の誤り。ごく少ないデータ (20 枚) なら勾配降下法で損失をほぼ 0 にできるはずで、できなければ勾配か更新に誤りがある。

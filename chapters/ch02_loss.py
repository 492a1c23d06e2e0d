# Chapter 2 of the course. Built into source_notebooks/ by `python -m autograder build`.
# softmax and sigmoid are defined by the [given] cell, and `hint` is imported for the learner (who calls it
# as the stubs' comments say): ruff does not see either, in this file:
# ruff: noqa: F401, F821

# %% [markdown]
# # 第 2 章 損失関数
#
# ニューラルネットワークの学習 (learning) とは、訓練データ (training data) に対する出力の「悪さ」を 1 つの数で測り、その数が小さくなるように
# 重みやバイアスを調整することです。この数を返す関数を損失関数 (loss function) と呼びます。この章では次の内容を実装し、確かめます。
#
# 1. 二乗和誤差 (sum of squared errors) と平均二乗誤差 (mean squared error)
# 2. 交差エントロピー誤差 (cross-entropy error): one-hot 表現 (one-hot encoding) とラベルの 2 つの教師データ形式、1 サンプルとバッチ、log(0) 対策
# 3. 二値交差エントロピー (binary cross-entropy)
# 4. digits データからのミニバッチ (mini-batch) の抽出と、ミニバッチで測った損失のばらつき
# 5. タスク → 出力層 → 損失関数の対応表と、それが最尤推定 (maximum likelihood estimation) から導かれること
# 6. なぜ正解率 (accuracy) を直接最適化しないのか
#
# **記号**: ネットワークの出力を $y$、教師データ (target、正解) を $t$、バッチサイズ (batch size) を $N$、
# 出力の次元 (分類ではクラス数) を $C$ と書きます。バッチの出力は形状 (N, C) の配列で、1 行が 1 サンプルです。
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

from course.checks import Properties, check_between, check_scalar, check_true, core_passes
from course.data import load_digits, sample_minibatch
from course.gradcheck import eval_numerical_gradient
from course.hints import hint
from course.plotting import use_japanese_font

use_japanese_font()
np.set_printoptions(precision=4, suppress=True)


def raises_value_error(function, *args):
    """function(*args) が ValueError を出せば True (公開テストで使います)。"""
    try:
        function(*args)
    except ValueError:
        return True
    return False


# %% [markdown]
# 次のセルは第 1 章の演習の模範解答 (ソフトマックス関数とシグモイド関数) です。この章の実験で使います。

# %% [given] names=softmax,sigmoid

# %% [markdown]
# ## 2.1 損失関数とは
#
# パラメータ (重みとバイアス) をまとめて $\theta$ と書くと、ネットワークの出力は $y = f(x; \theta)$ です。損失関数 $L(y, t)$ は、
# 出力 $y$ が教師データ $t$ に近いほど小さくなる数 (ふつうは 0 以上) です。データ $x, t$ は固定されているので、損失は $\theta$ の関数
# $L(\theta)$ とみなせます。学習はこの $L(\theta)$ を最小にする $\theta$ を探す問題で、第 3 章以降では $L$ の傾き (勾配) を
# 手がかりに $\theta$ を少しずつ動かします。そのため損失関数には「$\theta$ を少し動かすと値が滑らかに変わる」ことが求められます
# (2.7 節でもう一度考えます)。
#
# ## 2.2 二乗和誤差と平均二乗誤差
#
# 1 サンプルの二乗和誤差は
#
# $$
# E = \frac{1}{2} \sum_{k=1}^{C} (y_k - t_k)^2
# $$
#
# です。係数 $\frac12$ は、微分したときに 2 が消えて $\dfrac{\partial E}{\partial y_k} = y_k - t_k$ となるように付けています。
# $N$ サンプルのバッチでは、各サンプルの誤差を **$N$ で平均** します。
#
# $$
# E = \frac{1}{N} \sum_{n=1}^{N} \frac{1}{2} \sum_{k=1}^{C} (y_{nk} - t_{nk})^2
# $$
#
# $N$ で割っておくと、損失とその勾配の大きさがバッチサイズに依存しない「1 サンプルあたり」の量になります。バッチサイズを
# 変えたときに、和が大きくなった分を打ち消すために学習率 (learning rate) を $1/N$ 倍する、といった調整は要りません。
# ただし、どの学習率で最もよく学習できるかはバッチサイズによって変わります (勾配のノイズと更新回数が変わるため。第 5 章 5.6 節)。
#
# **名前の注意**: 『ゼロから作るDeep Learning』(4.2.1 節) では、この $\frac12 \sum$ を `mean_squared_error`
# (平均二乗誤差) という名前で実装していますが、計算しているのは和です (本書の公式リポジトリのコードは、のちに
# `sum_squared_error` に改名されました)。この講座では次のように区別します。
#
# | 関数 | 式 (形状 (N, C) のとき) | 備考 |
# |---|---|---|
# | `sum_squared_error` | $\dfrac{1}{N} \sum_{n,k} \dfrac12 (y_{nk} - t_{nk})^2$ | 1 サンプルでは $N = 1$ |
# | `mean_squared_error` | $\dfrac{1}{NC} \sum_{n,k} (y_{nk} - t_{nk})^2$ | 全要素の平均。$\frac12$ なし。PyTorch の `nn.MSELoss()` と同じ |
#
# 2 つの間には `sum_squared_error` $= \dfrac{C}{2} \times$ `mean_squared_error` の関係があります。試験問題や論文で
# 「二乗誤差」と書かれていたら、$\frac12$ の有無と何で割るかを必ず確かめてください。
#
# **例** (教科書と同じ数字): 正解が「2」の one-hot 表現 $t = (0, 0, 1, 0, \dots, 0)$ に対して、「2」の確率を 0.6 と出力した
# $y^{(1)}$ と、「7」の確率を 0.6 と出力した $y^{(2)}$ を比べます。
#
# - $y^{(1)} = (0.1, 0.05, 0.6, 0, 0.05, 0.1, 0, 0.1, 0, 0)$: 差の二乗の和は
#   $0.01 + 0.0025 + 0.16 + 0.0025 + 0.01 + 0.01 = 0.195$ なので $E = 0.0975$
# - $y^{(2)} = (0.1, 0.05, 0.1, 0, 0.05, 0.1, 0, 0.6, 0, 0)$: $0.01 + 0.0025 + 0.81 + 0.0025 + 0.01 + 0.36 = 1.195$ なので
#   $E = 0.5975$
#
# 正解に近い $y^{(1)}$ のほうが損失が小さくなっています。
#
# ### ブロードキャストの落とし穴
#
# 回帰では出力が形状 (N, 1)、教師データが形状 (N,) になりがちです。この 2 つの差を取ると、NumPy のブロードキャスト
# (broadcast) によって形状 (N, N) の配列ができてしまい、エラーにならないまま間違った損失が計算されます。
# 次のセルでは予測が完全に正しいのに、損失が 0 になりません。

# %%
y_column = np.array([[1.0], [2.0], [3.0]])  # ネットワークの出力、形状 (3, 1)
t_flat = np.array([1.0, 2.0, 3.0])  # 正解、形状 (3,)
print("y - t の形状:", (y_column - t_flat).shape)
print("0.5 * np.sum((y - t) ** 2) / N =", 0.5 * np.sum((y_column - t_flat) ** 2) / 3)

# %% [markdown]
# 形状 (3, 3) の差は $y_i - t_j$ をすべての組み合わせについて並べたもので、$i \ne j$ の項が余分に足されています
# ($\frac12 \cdot (1 + 4 + 1 + 1 + 1 + 4) / 3 = 2$)。このような取り違えに気づかないまま計算を続けないように、以下の演習では
# **$y$ と $t$ の形状が違えば `ValueError` を出す** ことにします。
#
# ### 演習 1: 二乗和誤差


# %% [solution] id=sum_squared_error
def sum_squared_error(y, t):
    """二乗和誤差 ½ Σ (y − t)²。

    y, t: 同じ形状の配列。形状 (C,) なら 1 サンプル、形状 (N, C) なら N サンプルのバッチ。
    戻り値: float。バッチでは各サンプルの ½ Σ_k (y_nk − t_nk)² を N で平均した値。
    y と t の形状が違うときは ValueError を出す (ブロードキャストでエラーも出ずに間違った値を計算しないため)。
    """
    # ヒント: hint("sum_squared_error")
    # @reference sum_squared_error


# %% [tests] id=test_sum_squared_error points=2 hidden=sum_squared_error
# 性質 (property) ごとに確かめ、合わない性質があってもその後の性質まで確かめてから、性質ごとの結果 (✓/✗) を示す
t_two = np.array([0, 0, 1, 0, 0, 0, 0, 0, 0, 0], dtype=float)  # one-hot 表現、正解は "2"
y_good = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0])  # P("2") = 0.6
y_bad = np.array([0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.6, 0.0, 0.0])  # P("7") = 0.6
with Properties() as test:
    with test.property("1 サンプルの値 (形状 (10,) の y_good と y_bad)"):
        check_scalar(sum_squared_error(y_good, t_two), 0.0975, "sum_squared_error(y_good, t)")  # ½ · 0.195
        check_scalar(sum_squared_error(y_bad, t_two), 0.5975, "sum_squared_error(y_bad, t)")  # ½ · 1.195
    with test.property("バッチの値 (形状 (2, 10) と (1, 10))"):
        # 2 サンプルのバッチ: (0.0975 + 0.5975) / 2 = 0.3475
        check_scalar(
            sum_squared_error(np.stack([y_good, y_bad]), np.stack([t_two, t_two])),
            0.3475,
            "sum_squared_error (形状 (2, 10) のバッチ)",
            mistakes=[
                (0.695, "バッチサイズ N = 2 で割っていません。"),
                (0.03475, "全要素数 N×C で割っています。N で割ってください。"),
                (0.0695, "½ を付けずに全要素の平均を取っています (それは平均二乗誤差)。"),
            ],
        )
        # バッチサイズ 1: N = 1 で割るので、1 サンプルの y_good と同じ 0.0975
        check_scalar(
            sum_squared_error(y_good[np.newaxis], t_two[np.newaxis]),
            0.0975,
            "sum_squared_error (形状 (1, 10) のバッチ)",
            mistakes=[(0.00975, "全要素数 N×C で割っています。N で割ってください。")],
        )
    with test.property("入力の検査 (形状 (4, 1) と形状 (4,) の y と t で ValueError)"):
        check_true(
            raises_value_error(sum_squared_error, np.zeros((4, 1)), np.zeros(4)),
            "形状 (4, 1) の y と形状 (4,) の t を渡しても ValueError が出ませんでした。形状を比べてください。",
        )
        check_true(
            raises_value_error(sum_squared_error, np.zeros(4), np.zeros((4, 1))),
            "形状 (4,) の y と形状 (4, 1) の t を渡しても ValueError が出ませんでした。形状を比べてください。",
        )
print("公開テスト: OK")

# %% [markdown]
# ### 演習 2: 平均二乗誤差


# %% [solution] id=mean_squared_error
def mean_squared_error(y, t):
    """平均二乗誤差 Σ (y − t)² / (要素数)。

    y, t: 同じ形状の配列 (形状は任意)。
    戻り値: float。全要素についての (y − t)² の平均 (½ は付けない。PyTorch の nn.MSELoss() と同じ)。
    y と t の形状が違うときは ValueError を出す。
    """
    # ヒント: hint("mean_squared_error")
    # @reference mean_squared_error


# %% [tests] id=test_mean_squared_error points=1 hidden=mean_squared_error
with Properties() as test:
    with test.property("値 (形状 (10,)、(2, 10)、(2, 2, 2) の入力)"):
        check_scalar(
            mean_squared_error(y_good, t_two),
            0.0195,  # 0.195 / 10
            "mean_squared_error(y_good, t)",
            mistakes=[
                (
                    0.0975,
                    "½ × 二乗和 (この章の sum_squared_error。『ゼロから作るDeep Learning』4.2.1 節ではこれを"
                    " mean_squared_error と呼んでいます) になっています。ここでの mean_squared_error は全要素の平均で、"
                    "½ は付けません。",
                ),
                (0.195, "和になっています。全要素の個数で割って平均にしてください。"),
                (0.00975, "½ を掛けています。平均二乗誤差には ½ を付けません。"),
            ],
        )
        # バッチ: (0.195 + 1.195) / 20 要素 = 0.0695
        check_scalar(
            mean_squared_error(np.stack([y_good, y_bad]), np.stack([t_two, t_two])),
            0.0695,
            "mean_squared_error (形状 (2, 10) のバッチ)",
            mistakes=[
                (0.03475, "½ を掛けています。平均二乗誤差には ½ を付けません。"),
                (0.695, "N で割っています。全要素数で割ってください。"),
            ],
        )
        # 3 次元: y = 0, 1, …, 7、t = 0 なら (0 + 1 + 4 + 9 + 16 + 25 + 36 + 49) / 8 要素 = 140 / 8 = 17.5
        check_scalar(
            mean_squared_error(np.arange(8.0).reshape(2, 2, 2), np.zeros((2, 2, 2))),
            17.5,
            "mean_squared_error (形状 (2, 2, 2) の入力)",
            mistakes=[
                (8.75, "½ を掛けています。平均二乗誤差には ½ を付けません。"),
                (140.0, "和になっています。全要素の個数で割って平均にしてください。"),
                (70.0, "N で割っています。全要素数で割ってください。"),
            ],
        )
    with test.property("入力の検査 (形状 (4, 1) と形状 (4,) の y と t で ValueError)"):
        check_true(
            raises_value_error(mean_squared_error, np.zeros((4, 1)), np.zeros(4)),
            "形状 (4, 1) の y と形状 (4,) の t を渡しても ValueError が出ませんでした。",
        )
        check_true(
            raises_value_error(mean_squared_error, np.zeros(4), np.zeros((4, 1))),
            "形状 (4,) の y と形状 (4, 1) の t を渡しても ValueError が出ませんでした。",
        )
print("公開テスト: OK")

# %% [markdown]
# ## 2.3 交差エントロピー誤差
#
# 分類の出力層ではソフトマックス関数の出力 $y_k$ を「クラス $k$ である確率」とみなします。交差エントロピー誤差は
#
# $$
# E = -\sum_{k=1}^{C} t_k \log y_k
# $$
#
# です ($\log$ は自然対数)。$t$ が one-hot 表現なら $t_k = 0$ の項はすべて消え、正解クラスを $c$ として
# $E = -\log y_c$ だけが残ります。つまり交差エントロピー誤差は **正解クラスに割り当てた確率** だけで決まり、
# その確率が 1 なら 0、0 に近づくほど際限なく大きくなります。先ほどの例では
# $y^{(1)}$ で $-\log 0.6 \approx 0.51$、$y^{(2)}$ で $-\log 0.1 \approx 2.30$ です。
#
# ### log(0) の問題
#
# ソフトマックスの出力は数学的には常に正ですが、float64 では $e^{-800}$ のような値が 0 に丸められる (アンダーフロー
# (underflow)) ので、ちょうど 0 の確率が現れます。そこに $\log$ を取ると $-\infty$ になり、さらに one-hot の式では
# $0 \times (-\infty)$ が nan (not a number) になります。

# %%
with np.errstate(divide="ignore", invalid="ignore"):  # 警告を出さずに何が起きるかを見せる
    y_underflow = softmax(np.array([-800.0, 0.0, 1.0]))
    print("softmax([-800, 0, 1]) =", y_underflow, "← 最初の確率はちょうど 0")
    print("log(y) =", np.log(y_underflow))
    t_first = np.array([1.0, 0.0, 0.0])  # 正解はクラス 0 で、その確率は 0
    t_last = np.array([0.0, 0.0, 1.0])  # 正解はクラス 2 (確率 0.73)
    print("正解がクラス 0 のとき -Σ t log y =", -np.sum(t_first * np.log(y_underflow)))
    print("正解がクラス 2 のとき -Σ t log y =", -np.sum(t_last * np.log(y_underflow)))

# %% [markdown]
# 正解クラスの確率が 0 なら損失は inf、正解クラスの確率が 0.73 でも **別のクラス** の確率が 0 だと
# $0 \times (-\infty) = \text{nan}$ が和に混ざって損失全体が nan になります。nan は一度混ざると勾配を通じてすべての
# パラメータに広がり、学習が壊れます。
#
# **対策**: $\log$ の **中** に小さな数 $\varepsilon = 10^{-7}$ を足して $-\log(y_c + \varepsilon)$ とします。
# $y_c = 0$ でも損失は $-\log 10^{-7} \approx 16.1$ で頭打ちになり、$y_c \gg \varepsilon$ のときの変化は
# $\log(y_c + \varepsilon) - \log y_c \approx \varepsilon / y_c$ とごくわずかです。下の図で確かめましょう
# (横軸は対数目盛です)。

# %%
p = np.logspace(-12, 0, 400)
guard = 1e-7
fig, ax = plt.subplots(figsize=(6, 3.5))
with np.errstate(divide="ignore"):
    ax.plot(p, -np.log(p), label=r"$-\log y_c$")
ax.plot(p, -np.log(p + guard), "--", label=r"$-\log(y_c + \varepsilon)$, $\varepsilon = 10^{-7}$")
ax.axhline(-np.log(guard), color="gray", linewidth=0.8)
ax.text(1e-12, -np.log(guard) + 0.6, r"上限 $-\log 10^{-7} \approx 16.1$", fontsize=9)
ax.set_xscale("log")
ax.set_xlabel("正解クラスの確率 $y_c$ (対数目盛)")
ax.set_ylabel("損失 $E$")
ax.set_title("交差エントロピー誤差と log(0) 対策")
ax.legend()
plt.show()

# %% [markdown]
# **PyTorch との違い**: PyTorch の `nn.CrossEntropyLoss` は確率ではなくソフトマックスを通す前のスコア (ロジット (logit))
# $a$ を受け取り、$\log y_c = a_c - \max_k a_k - \log \sum_k e^{a_k - \max_k a_k}$ を直接計算します。確率を経由しないので
# log(0) が起きず、$\varepsilon$ も不要です。ソフトマックスを通した確率を `nn.CrossEntropyLoss` に渡すと
# ソフトマックスが 2 回かかってしまう、というのはよくある間違いです。この講座では教科書に合わせて確率と $\varepsilon$ を使い、
# 第 5 章でソフトマックスと損失を 1 つの層にまとめます。
#
# ### バッチと、2 つの教師データ形式
#
# バッチでは 1 サンプルあたりの平均を取ります。
#
# $$
# E = -\frac{1}{N} \sum_{n=1}^{N} \sum_{k=1}^{C} t_{nk} \log(y_{nk} + \varepsilon)
#   = -\frac{1}{N} \sum_{n=1}^{N} \log(y_{n, t_n} + \varepsilon)
# $$
#
# 右側の式は教師データを正解ラベル (label) $t_n \in \{0, \dots, C-1\}$ で与えたときの形です (one-hot の $t_{nk}$ は
# $k = t_n$ のときだけ 1 なので、同じ値になります)。NumPy では `y[np.arange(N), t]` で各行 $n$ から列 $t_n$ の要素を
# 取り出せます。`y[:, t]` と書くと形状 (N, N) の配列になってしまうので注意してください。

# %%
y_example = np.array([[0.1, 0.2, 0.7], [0.8, 0.1, 0.1], [0.3, 0.4, 0.3]])
labels_example = np.array([2, 0, 1])
print("y[np.arange(3), t] =", y_example[np.arange(3), labels_example], "← 各行の正解クラスの確率")
print("y[:, t] の形状:", y_example[:, labels_example].shape, "← 間違い")
print("one-hot → ラベル:", np.eye(3)[labels_example].argmax(axis=1))

# %% [markdown]
# ### 割るのはバッチサイズ $N$ であって、クラス数 $C$ ではない
#
# 交差エントロピー誤差を $-\frac{1}{C} \sum_k t_k \log y_k$ と **クラス数 $C$ で割って** 定義し、ソフトマックスと組み合わせた
# 勾配を $(Y - T)/C$ とする説明を見かけることがありますが、これはよくある誤りです。クラスについての $\sum_k$ は和のままで、
# 平均を取るのはバッチの $N$ 個のサンプルについてです。正しくは $N$ で割った平均で、
# ソフトマックスへの入力 $A$ (形状 (N, C)) についての勾配は (第 5 章で導きます)
#
# $$
# \frac{\partial E}{\partial A} = \frac{Y - T}{N}
# $$
#
# です。$C$ で割ると勾配は $(Y - T)/C = \dfrac{N}{C} \times$ (正しい勾配) になり、更新式 $\theta \leftarrow \theta - \eta\,
# \partial E / \partial \theta$ では **学習率 $\eta$ を知らないうちに $N/C$ 倍したのと同じ** になります ($N = 100, C = 10$ なら 10 倍)。
# しかもこの倍率はバッチサイズとともに変わるので、バッチサイズを変えるたびに学習率を選び直す羽目になり、
# 損失の値も 1 サンプルあたりの誤差として比べられなくなります。PyTorch の `nn.CrossEntropyLoss()` も既定ではバッチ平均です。
#
# ### 演習 3: 交差エントロピー誤差


# %% [solution] id=cross_entropy_error
def cross_entropy_error(y, t, eps=1e-7):
    """交差エントロピー誤差 −Σ_k t_k log(y_k + eps) の、バッチについての平均。

    y: 確率 (ソフトマックスの出力など)。形状 (C,) なら 1 サンプル、形状 (N, C) なら N サンプルのバッチ。
    t: 教師データ。y と同じ形状の one-hot 表現、または整数の正解ラベル (1 サンプルならスカラー、バッチなら形状 (N,))。
    eps: log(0) を避けるために log の中で足す小さな数。
    戻り値: float。各サンプルの正解クラスの確率に eps を足した値の −log を、バッチサイズ N で平均した値
    (N で割る。クラス数 C では割らない)。
    """
    # ヒント: hint("cross_entropy_error")
    # @reference cross_entropy_error


# %% [tests] id=test_cross_entropy_error points=3 hidden=cross_entropy_error
# eps は 1e-7 程度の小さな数であればよく、既定値が 1e-8 から 1e-6 の間でも合格する。そのため
# 値は rtol 1e-6 で比べ (eps は log(p + eps) を約 eps / p だけ動かす)、確率 0 のときの損失
# -log(eps) は -log(1e-6) ≈ 13.8 から -log(1e-8) ≈ 18.4 の間にあればよい
EPS_RTOL = 1e-6
# 効くのは正解クラスの確率だけ: -log(0.6 + 1e-7) ≈ 0.5108
expected_good = -np.log(0.6 + 1e-7)


def public_test_cross_entropy_error():
    """演習 3 の本体の公開テスト (規則のセルの前提としても使います)。"""
    with Properties() as test:
        with test.property("1 サンプルの値 (1 次元の y_good と one-hot の t)"):
            check_scalar(
                cross_entropy_error(y_good, t_two),
                expected_good,
                "cross_entropy_error(y_good, one-hot)",
                rtol=EPS_RTOL,
                mistakes=[(expected_good / 10, "クラス数 C = 10 で割っています。1 サンプルなら N = 1 で割ります。")],
            )
        with test.property("バッチでの値 (ラベルと one-hot の t、バッチサイズ 2 と 1)"):
            # バッチ N = 2、C = 4: 正解クラスの確率は 0.5 と 0.25、N = 2 で平均 (≈ 1.5 log 2)
            y_batch = np.array([[0.5, 0.25, 0.125, 0.125], [0.25, 0.25, 0.25, 0.25]])
            labels_batch = np.array([0, 3])
            expected_batch = -(np.log(0.5 + 1e-7) + np.log(0.25 + 1e-7)) / 2
            batch_mistakes = [
                (expected_batch * 2 / 4, "クラス数 C = 4 で割っています。バッチサイズ N = 2 で割ってください。"),
                (expected_batch * 2, "バッチサイズ N で割っていません。"),
                (expected_batch * 2 / 8, "全要素数 N×C で割っています (np.mean)。N で割ってください。"),
            ]
            check_scalar(
                cross_entropy_error(y_batch, labels_batch),
                expected_batch,
                "バッチ (ラベル)",
                rtol=EPS_RTOL,
                mistakes=batch_mistakes,
            )
            check_scalar(
                cross_entropy_error(y_batch, np.eye(4)[labels_batch]), expected_batch, "バッチ (one-hot)", rtol=EPS_RTOL
            )
            # バッチサイズ 1: y_good を 1 行のバッチ (形状 (1, 10)) にして、正解ラベル [2] を渡す。−log(0.6 + 1e-7) ≈ 0.5108
            check_scalar(
                cross_entropy_error(y_good[np.newaxis], np.array([2])),
                expected_good,
                "バッチサイズ 1 (形状 (1, 10) の y とラベル [2])",
                rtol=EPS_RTOL,
                mistakes=[
                    (expected_good / 10, "クラス数 C = 10 で割っています。バッチサイズ N = 1 で割ってください。")
                ],
            )
        with test.property("確率がちょうど 0 の要素を含む y での値 (正解の確率が 0、他の確率が 0)"):
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # log(0) の警告が出たらテストは不合格
                # 正解クラスの確率が 0: -log(0 + 1e-7) ≈ 16.118
                loss_zero = cross_entropy_error(np.array([[0.0, 1.0]]), np.array([0]))
                hint_zero = (
                    "log(y + eps) と、eps を log の中で足していますか (既定の eps = 1e-7 なら −log(1e-7) ≈ 16.1)。"
                )
                check_between(loss_zero, -np.log(1e-6), -np.log(1e-8), "正解の確率が 0 のときの損失", hint=hint_zero)
                # 正解以外のクラスの確率が 0: -log(1 + 1e-7) ≈ -1e-7 (ほぼ 0) で、nan ではない
                loss_other = cross_entropy_error(np.array([[0.0, 1.0]]), np.array([[0.0, 1.0]]))
                check_scalar(loss_other, -np.log(1 + 1e-7), "他の確率が 0", atol=1e-6)
        with test.property("引数 eps を使う (eps=1e-3)"):
            # 引数 eps が使われていること: eps = 1e-3 なら確率 0 の損失は -log(1e-3) ≈ 6.908
            eps_ignored = "引数 eps を使わずに、決まった小さな数 (1e-7 など) を直接書いていませんか。"
            check_scalar(
                cross_entropy_error(np.array([[0.0, 1.0]]), np.array([0]), eps=1e-3),
                -np.log(1e-3),
                "cross_entropy_error(正解の確率 0, eps=1e-3)",
                rtol=EPS_RTOL,
                mistakes=[(-np.log(e), eps_ignored) for e in (1e-6, 1e-7, 1e-8)],
            )


public_test_cross_entropy_error()
print("公開テスト: OK")

# %% [markdown]
# 次のセルは、同じ演習の **規則** (rule) として、1 サンプルの y (形状 (C,)) と **スカラーの** 正解ラベルの組を確かめます
# (1 点。本体とは別に採点され、本体の公開テストが通ってから確かめます)。`t.reshape(1, t.size)` は、`t` が Python の
# 整数だと `AttributeError` になります。先に `t` を `np.asarray` で配列にしてから形を直すと、スカラーは 0 次元の配列として扱えます。

# %% [tests] id=test_cross_entropy_error_rules points=1 hidden=cross_entropy_error_rules
if core_passes(public_test_cross_entropy_error):
    # 正解クラス 2 の確率は 0.6: −log(0.6 + 1e-7) ≈ 0.5108
    check_scalar(
        cross_entropy_error(y_good, 2), expected_good, "cross_entropy_error(y_good, 2) (1 サンプルとスカラーのラベル)",
        rtol=EPS_RTOL,
    )  # fmt: skip
    print("公開テスト: OK")

# %% [markdown]
# 「$C$ で割る」版と比べてみましょう。第 3 章で実装する中心差分の数値微分 (`eval_numerical_gradient`) を道具として使い、
# ソフトマックスへの入力 $A$ についての勾配を求めます。ここでは比較をきれいにするため $\varepsilon = 0$ とします。

# %%
rng = np.random.default_rng(0)
n_samples, n_classes = 20, 10
scores = rng.standard_normal((n_samples, n_classes))
labels = rng.integers(0, n_classes, size=n_samples)
t_onehot = np.eye(n_classes)[labels]


def loss_mean_over_batch(a):
    return cross_entropy_error(softmax(a), labels, eps=0.0)


def loss_divided_by_classes(a):  # よくある間違い: N ではなく C で割る
    y = softmax(a)
    return -np.sum(np.log(y[np.arange(n_samples), labels])) / n_classes


grad_batch = eval_numerical_gradient(loss_mean_over_batch, scores)
grad_classes = eval_numerical_gradient(loss_divided_by_classes, scores)
expected_grad = (softmax(scores) - t_onehot) / n_samples
print("N で割る版の勾配は (Y - T) / N と一致するか:", np.allclose(grad_batch, expected_grad, rtol=1e-6, atol=1e-9))
print(
    f"勾配の比 (C で割る版 / N で割る版): {np.median(grad_classes / grad_batch):.4f}  N / C = {n_samples / n_classes}"
)

# 同じバッチを 2 回並べる: サンプルあたりの平均は変わらないが、C で割ると損失が 2 倍になる
scores_twice, labels_twice = np.vstack([scores, scores]), np.concatenate([labels, labels])
probs_twice = softmax(scores_twice)
mean_twice = cross_entropy_error(probs_twice, labels_twice, eps=0.0)
classes_twice = -np.sum(np.log(probs_twice[np.arange(2 * n_samples), labels_twice])) / n_classes
print("同じバッチを 2 回並べると:")
print(f"  N で割る版 {loss_mean_over_batch(scores):.4f} → {mean_twice:.4f}")
print(f"  C で割る版 {loss_divided_by_classes(scores):.4f} → {classes_twice:.4f}")

# %% [markdown]
# $N$ で割る版の勾配は $(Y - T)/N$ と一致し、$C$ で割る版はそのちょうど $N/C$ 倍 (ここでは $N = 20, C = 10$ なので 2 倍) です。
# また同じデータを 2 回並べてバッチを倍にすると、$N$ で割る版の損失は変わらないのに、$C$ で割る版は 2 倍になります。
# 勾配も 2 倍になるので、バッチサイズを変えただけで実質の学習率が変わってしまいます。
#
# ## 2.4 二値交差エントロピー
#
# 「スパムか否か」のような二値分類 (binary classification) では、出力ユニットを 1 つにしてシグモイド関数を通し、
# $y = \sigma(a)$ を「正例 ($t = 1$) である確率」とみなします。損失は
#
# $$
# E = -\frac{1}{N} \sum_{n=1}^{N} \Bigl[ t_n \log(y_n + \varepsilon) + (1 - t_n) \log(1 - y_n + \varepsilon) \Bigr]
# $$
#
# です。$t_n = 1$ なら第 1 項だけ、$t_n = 0$ なら第 2 項だけが残り、どちらも「正解に割り当てた確率の $-\log$」なので、
# 交差エントロピー誤差と同じ考え方です。形状 (N, K) の入力 (K 個の「はい/いいえ」を同時に予測するマルチラベル分類
# (multi-label classification)) では全要素の平均を取ります。これは PyTorch の `nn.BCELoss()` と同じです
# (実務ではロジットを受け取る、数値的に安定な `nn.BCEWithLogitsLoss()` がよく使われます)。
#
# ### 演習 4: 二値交差エントロピー


# %% [solution] id=binary_cross_entropy
def binary_cross_entropy(y, t, eps=1e-7):
    """二値交差エントロピー −[t log(y + eps) + (1 − t) log(1 − y + eps)] の、全要素についての平均。

    y: 正例 (t = 1) である確率の予測。形状は任意 ((N,) や (N, 1) など)、値は 0 以上 1 以下。
    t: 教師データ (0 か 1)。y と同じ形状。形状が違うときは ValueError を出す。
    eps: log(0) を避けるために log の中で足す小さな数。
    戻り値: float (全要素の平均。PyTorch の nn.BCELoss() と同じ)。
    """
    # ヒント: hint("binary_cross_entropy")
    # @reference binary_cross_entropy


# %% [tests] id=test_binary_cross_entropy points=2 hidden=binary_cross_entropy
# cross_entropy_error と同じく、既定の eps は 1e-8 から 1e-6 の間なら合格 (rtol 1e-6、-log(eps) は範囲で確認)
# 正例で P(t=1) = 0.8、負例で 0.25: -(log 0.8 + log 0.75) / 2 ≈ 0.2554
expected_bce = -(np.log(0.8 + 1e-7) + np.log(1 - 0.25 + 1e-7)) / 2
with Properties() as test:
    with test.property("値 (形状 (2,) と (2, 2) の入力)"):
        check_scalar(
            binary_cross_entropy(np.array([0.8, 0.25]), np.array([1.0, 0.0])),
            expected_bce,
            "binary_cross_entropy([0.8, 0.25], [1, 0])",
            rtol=1e-6,
            mistakes=[(2 * expected_bce, "和になっています。平均を取ってください。")],
        )
        # 形状 (2, 2) (マルチラベル): 2 行とも上と同じ 2 つの項なので、全 4 要素の平均も expected_bce
        # (N = 2 で割ると 2 倍、和なら 4 倍になる)
        check_scalar(
            binary_cross_entropy(np.array([[0.8, 0.25], [0.8, 0.25]]), np.array([[1.0, 0.0], [1.0, 0.0]])),
            expected_bce,
            "binary_cross_entropy (形状 (2, 2) の入力)",
            rtol=1e-6,
            mistakes=[
                (2 * expected_bce, "N で割っています。全要素 (N×K 個) の平均を取ってください。"),
                (4 * expected_bce, "和になっています。平均を取ってください。"),
            ],
        )
    with test.property("確率がちょうど 0 や 1 の要素を含む入力での値 (形状 (2, 1) の確率 1 と 0)"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            # 自信満々で完全に間違い: どちらの項も -log(0 + 1e-7) ≈ 16.118
            check_between(
                binary_cross_entropy(np.array([[1.0], [0.0]]), np.array([[0.0], [1.0]])),
                -np.log(1e-6),
                -np.log(1e-8),
                "binary_cross_entropy (確率 0 と 1)",
                hint="log(y + eps) と log(1 − y + eps) と、eps を log の中で足していますか (eps = 1e-7 なら ≈ 16.1)。",
            )
    with test.property("引数 eps を使う (eps=1e-3)"):
        # 引数 eps が使われていること: eps = 1e-3 ならどちらの項も -log(1e-3) ≈ 6.908
        eps_ignored = "引数 eps を使わずに、決まった小さな数 (1e-7 など) を直接書いていませんか。"
        check_scalar(
            binary_cross_entropy(np.array([1.0, 0.0]), np.array([0.0, 1.0]), eps=1e-3),
            -np.log(1e-3),
            "binary_cross_entropy([1, 0], [0, 1], eps=1e-3)",
            rtol=1e-6,
            mistakes=[(-np.log(e), eps_ignored) for e in (1e-6, 1e-7, 1e-8)],
        )
    with test.property("入力の検査 (形状 (4, 1) の y と形状 (4,) の t で ValueError)"):
        check_true(
            raises_value_error(binary_cross_entropy, np.full((4, 1), 0.5), np.ones(4)),
            "形状 (4, 1) の y と形状 (4,) の t を渡しても ValueError が出ませんでした。",
        )
print("公開テスト: OK")

# %% [markdown]
# 二値交差エントロピーは、2 クラスの交差エントロピー誤差の特別な場合です。スコアを $(a, 0)$ とした 2 クラスのソフトマックスは
# $\left(\frac{e^a}{e^a + 1}, \frac{1}{e^a + 1}\right) = (\sigma(a), 1 - \sigma(a))$ なので、「クラス 0 = 正例」とすれば
# 両者は同じ値になります。

# %%
rng = np.random.default_rng(1)
a_binary = rng.standard_normal(5) * 2
t_binary = np.array([1.0, 0.0, 0.0, 1.0, 1.0])
two_class_probs = softmax(np.stack([a_binary, np.zeros(5)], axis=1))  # 列: 正例、負例
print(f"シグモイド + 二値交差エントロピー          : {binary_cross_entropy(sigmoid(a_binary), t_binary):.6f}")
print(
    f"2 クラスのソフトマックス + 交差エントロピー: {cross_entropy_error(two_class_probs, (1 - t_binary).astype(int)):.6f}"
)

# %% [markdown]
# ## 2.5 ミニバッチ学習
#
# 訓練データ全体の損失は、全サンプルの損失の平均 $L = \frac{1}{N_{\text{train}}} \sum_n E_n$ です。MNIST のように 6 万枚も
# あると、パラメータを 1 回更新するたびに全データで損失と勾配を計算するのは重すぎます。そこで訓練データから無作為に
# $B$ 個を選び (ミニバッチ)、その平均損失で全体の損失を **推定** します。無作為に選んだサンプルの平均なので、
# ミニバッチ損失の期待値は全体の損失に等しく (不偏推定 (unbiased estimate))、ばらつき (標準偏差) はおよそ $1/\sqrt{B}$ に
# 比例して小さくなります。
#
# この講座では scikit-learn に同梱の手書き数字データ digits (8×8 画素、0〜9 の 10 クラス) を使います。
# `load_digits` は教科書の `load_mnist` と同じ形式でデータを返し、`sample_minibatch` はミニバッチを取り出す道具です。

# %%
(x_train, t_train), (x_test, t_test) = load_digits()
print("x_train:", x_train.shape, x_train.dtype, " t_train:", t_train.shape, t_train.dtype)
print("x_test :", x_test.shape, " t_test:", t_test.shape)
rng = np.random.default_rng(0)
x_batch, t_batch = sample_minibatch(x_train, t_train, 10, rng)
print("ミニバッチ:", x_batch.shape, t_batch.shape, " ラベル:", t_batch)

# %% [markdown]
# **復元抽出の落とし穴**: 教科書は `np.random.choice(train_size, batch_size)` でミニバッチの番号を選んでいますが、
# `choice` の既定は `replace=True` (復元抽出 (sampling with replacement)) なので、1 つのミニバッチに同じサンプルが
# 2 回入ることがあります。`sample_minibatch` は `replace=False` で重複なしに選びます。1437 個から 100 個を選ぶとき、
# 復元抽出で重複が起きる確率はおよそ $1 - e^{-100 \cdot 99 / (2 \cdot 1437)} \approx 0.97$ です (誕生日のパラドックス)。

# %%
rng = np.random.default_rng(0)
with_duplicates = [
    len(np.unique(rng.choice(len(x_train), size=100))) < 100
    for _ in range(1000)  # 既定は replace=True (復元抽出)
]
print("復元抽出で重複を含んだミニバッチの割合:", np.mean(with_duplicates))

# %% [markdown]
# 実際の学習では、エポック (epoch) ごとに訓練データをシャッフルして順に $B$ 個ずつ切り出し、どのサンプルも 1 エポックに
# ちょうど 1 回使う方法もよく使われます (第 5 章)。
#
# ### 実験: ミニバッチ損失のばらつき
#
# 学習なしで作れる簡単な分類器で確かめます。各クラスの訓練画像の平均 $\mu_k$ を求め、画像 $x$ のクラス $k$ のスコアを
# $a_k = -\frac12 \lVert x - \mu_k \rVert^2$ (平均画像に近いほど大きい) とし、ソフトマックスで確率にします。
# 全訓練データの交差エントロピー誤差と、$B = 10, 100$ のミニバッチ 500 個で測った値の分布を比べます。

# %%
class_means = np.stack([x_train[t_train == k].mean(axis=0) for k in range(10)])  # (10, 64)


def template_scores(x):
    """形状 (N, 64) の画像 x に対する形状 (N, 10) のスコア -½‖x − μ_k‖²。"""
    return -0.5 * np.sum((x[:, None, :] - class_means[None, :, :]) ** 2, axis=-1)


train_probs = softmax(template_scores(x_train))
full_loss = cross_entropy_error(train_probs, t_train)
print(f"全訓練データの損失: {full_loss:.4f}  正解率: {np.mean(train_probs.argmax(axis=1) == t_train):.3f}")

rng = np.random.default_rng(0)
fig, ax = plt.subplots(figsize=(6, 3.5))
spread = {}
for batch_size in [10, 100]:
    estimates = []
    for _ in range(500):
        idx = rng.choice(len(x_train), size=batch_size, replace=False)
        estimates.append(cross_entropy_error(train_probs[idx], t_train[idx]))
    spread[batch_size] = np.std(estimates)
    print(f"B = {batch_size:3d}: 平均 {np.mean(estimates):.4f}  標準偏差 {spread[batch_size]:.4f}")
    ax.hist(estimates, bins=40, range=(0.4, 1.5), alpha=0.6, label=f"ミニバッチ B = {batch_size}")
print(f"標準偏差の比: {spread[10] / spread[100]:.2f}  (√10 ≈ {np.sqrt(10):.2f})")
ax.axvline(full_loss, color="black", linestyle="--", label="全訓練データの損失")
ax.set_xlabel("交差エントロピー誤差")
ax.set_ylabel("ミニバッチの数")
ax.set_title("ミニバッチで測った損失の分布 (各 500 個)")
ax.legend()
plt.show()

# %% [markdown]
# どちらの分布も全体の損失のまわりに集まり (不偏)、$B = 100$ のほうが幅が約 $\sqrt{10}$ 分の 1 に狭くなっています。
# ミニバッチを大きくすると推定は正確になりますが、1 回の計算は重くなります。この兼ね合いがバッチサイズの選び方です。
#
# ## 2.6 タスク・出力層・損失関数の対応と最尤推定
#
# 出力層の活性化関数と損失関数は、タスクに合わせて **組で** 選びます。
#
# | タスク | 出力ユニット (活性化関数) | 出力 $y$ の意味 | $t$ の確率モデル | 損失関数 |
# |---|---|---|---|---|
# | 回帰 (regression) | 線形ユニット (恒等関数) | 平均 | ガウス分布 (Gaussian) $\mathcal{N}(t; y, \sigma^2 I)$ | 二乗和誤差 |
# | 二値分類 | シグモイドユニット (シグモイド関数) | $P(t = 1 \mid x)$ | ベルヌーイ分布 (Bernoulli) | 二値交差エントロピー |
# | 多クラス分類 | ソフトマックスユニット (ソフトマックス関数) | $P(t = k \mid x)$ | カテゴリカル分布 (categorical、マルチヌーイ (multinoulli) 分布とも) | 交差エントロピー誤差 |
#
# この組は偶然ではなく、どれも **最尤推定** から導かれます。ネットワークの出力 $y = f(x; \theta)$ を、教師データ $t$ が従う
# 確率分布 $p(t \mid x; \theta)$ のパラメータとみなします。サンプルが独立なら、訓練データ全体の尤度 (likelihood) は積
# $\prod_n p(t_n \mid x_n; \theta)$ です。$\log$ は単調増加で、正の定数 $\frac1N$ を掛けても最大・最小の位置は変わらないので、
#
# $$
# \text{尤度の最大化} \iff \text{負の対数尤度 (negative log-likelihood) の平均 } -\frac{1}{N} \sum_{n=1}^{N} \log p(t_n \mid x_n; \theta) \text{ の最小化}
# $$
#
# となります (積が和に、バッチの和が $N$ での平均になります)。あとは 1 サンプルの $-\log p(t \mid x)$ を計算するだけです。
#
# **回帰 (ガウス分布、分散 $\sigma^2$ は固定)**:
#
# $$
# p(t \mid x) = \prod_{k=1}^{C} \frac{1}{\sqrt{2\pi\sigma^2}} \exp\!\left(-\frac{(t_k - y_k)^2}{2\sigma^2}\right)
# \quad\Longrightarrow\quad
# -\log p(t \mid x) = \frac{1}{2\sigma^2} \sum_{k=1}^{C} (t_k - y_k)^2 + \frac{C}{2} \log(2\pi\sigma^2)
# $$
#
# 第 2 項は $\theta$ によらない定数なので、$\sigma = 1$ とすればちょうど二乗和誤差 $\frac12 \sum_k (t_k - y_k)^2$ +
# 定数です。$\frac12$ は $\sigma = 1$ のガウス分布の指数から来ています。($\frac{1}{2\sigma^2}$ を落として
# $\sum_k (t_k - y_k)^2$ + 定数 と書いた説明を見かけることがありますが、それは $\sigma^2 = \frac12$ のときの式で、$\sigma = 1$ なら
# 上の式が正しい形です。最小値の位置は同じでも、係数は勾配の大きさを変えます。)
#
# **二値分類 (ベルヌーイ分布)**: $t \in \{0, 1\}$ に対して $p(t \mid x) = y^{t} (1 - y)^{1 - t}$ ($t = 1$ なら $y$、$t = 0$ なら $1 - y$)。
#
# $$
# -\log p(t \mid x) = -\bigl[ t \log y + (1 - t) \log(1 - y) \bigr]
# $$
#
# **多クラス分類 (カテゴリカル分布)**: one-hot の $t$ に対して $p(t \mid x) = \prod_{k=1}^{C} y_k^{t_k}$ (正解クラス $c$ の $y_c$ だけが残る)。
#
# $$
# -\log p(t \mid x) = -\sum_{k=1}^{C} t_k \log y_k = -\log y_c
# $$
#
# 次のセルで、確率密度・確率を直接計算した $-\log p$ と、演習で実装した損失 ($\varepsilon = 0$) を比べます。

# %%
rng = np.random.default_rng(2)
n_outputs = 4
y_reg, t_reg = rng.standard_normal(n_outputs), rng.standard_normal(n_outputs)
gaussian_density = np.prod(np.exp(-0.5 * (t_reg - y_reg) ** 2) / np.sqrt(2 * np.pi))  # N(t; y, I)
print(f"回帰    : -log N(t; y, I)            = {-np.log(gaussian_density):.6f}")
print(
    f"          二乗和誤差 + (C/2) log 2π = {sum_squared_error(y_reg, t_reg) + n_outputs / 2 * np.log(2 * np.pi):.6f}"
)

y_pos, t_pos = np.array([0.3, 0.9]), np.array([1.0, 0.0])
bernoulli = y_pos**t_pos * (1 - y_pos) ** (1 - t_pos)
print(f"二値分類: -log Bern(t; y) の平均     = {-np.mean(np.log(bernoulli)):.6f}")
print(f"          二値交差エントロピー       = {binary_cross_entropy(y_pos, t_pos, eps=0.0):.6f}")

y_cat, label_cat = softmax(rng.standard_normal(5)), 3
categorical = np.prod(y_cat ** np.eye(5)[label_cat])  # Π_k y_k^{t_k}
print(f"多クラス: -log Cat(t; y)             = {-np.log(categorical):.6f}")
print(f"          交差エントロピー誤差       = {cross_entropy_error(y_cat, label_cat, eps=0.0):.6f}")

# %% [markdown]
# **組を崩すとどうなるか**: 二値分類でシグモイドの出力に二乗和誤差を使うと、学習が止まりやすくなります。
# 正解 $t = 1$ に対してスコア $a$ が大きな負の値 (自信満々に間違えている) のとき、
#
# - 二乗和誤差 $\frac12 (\sigma(a) - 1)^2$ の傾きは $(\sigma(a) - 1)\,\sigma(a)\,(1 - \sigma(a))$ で、$\sigma(a) \to 0$ とともに 0 に近づく
# - 二値交差エントロピー $-\log \sigma(a)$ の傾きは $\sigma(a) - 1$ で、$-1$ に近づく (間違いが大きいほど強く押し戻す)
#
# 最尤推定から来る $\log$ が、シグモイドの中の指数関数を打ち消しているわけです。ソフトマックスと交差エントロピー誤差、
# 恒等関数と二乗和誤差の組でも、スコアについての勾配は同じく $y - t$ (バッチでは $N$ で割る) という簡単な形になります (第 5 章)。

# %%
a_grid = np.linspace(-8, 4, 241)
s = sigmoid(a_grid)
fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
axes[0].plot(a_grid, 0.5 * (s - 1) ** 2, label=r"二乗和誤差 $\frac{1}{2}(\sigma(a) - 1)^2$")
axes[0].plot(a_grid, -np.log(s), label=r"二値交差エントロピー $-\log \sigma(a)$")
axes[0].set_title("損失 (正解 $t = 1$)")
axes[0].set_ylabel("損失")
axes[1].plot(a_grid, (s - 1) * s * (1 - s), label="二乗和誤差")
axes[1].plot(a_grid, s - 1, label="二値交差エントロピー")
axes[1].set_title("スコア $a$ についての傾き")
axes[1].set_ylabel(r"$\partial E / \partial a$")
for ax in axes:
    ax.set_xlabel("スコア $a$ (シグモイドへの入力)")
    ax.legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# ## 2.7 なぜ正解率を直接最適化しないのか
#
# 最終的に知りたいのは正解率 (正しく分類できたサンプルの割合) なのに、なぜ損失関数という別の指標を小さくするのでしょうか。
# 2.5 節の分類器で、クラス 0 のスコアだけにバイアス $b$ を足し、$b$ を動かしたときの正解率と交差エントロピー誤差を
# 50 サンプルのミニバッチで比べます。

# %%
rng = np.random.default_rng(3)
x_small, t_small = sample_minibatch(x_train, t_train, 50, rng)
scores_small = template_scores(x_small)
bias_grid = np.linspace(-6, 6, 601)
accuracy_curve, loss_curve = [], []
for bias in bias_grid:
    shifted = scores_small.copy()
    shifted[:, 0] += bias  # クラス 0 のスコアだけにバイアスを足す
    probs = softmax(shifted)
    accuracy_curve.append(np.mean(probs.argmax(axis=1) == t_small))
    loss_curve.append(cross_entropy_error(probs, t_small))
print("正解率がとる値の種類:", len(np.unique(accuracy_curve)), "(601 点のうち)")

fig, axes = plt.subplots(2, 1, figsize=(6, 5), sharex=True)
axes[0].plot(bias_grid, accuracy_curve)
axes[0].set_ylabel("正解率")
axes[0].set_title("クラス 0 のバイアス $b$ を動かしたときの変化 (50 サンプル)")
axes[1].plot(bias_grid, loss_curve, color="tab:orange")
axes[1].set_ylabel("交差エントロピー誤差")
axes[1].set_xlabel("クラス 0 のスコアに足すバイアス $b$")
plt.tight_layout()
plt.show()

# %% [markdown]
# 正解率は階段状で、601 点を調べても数十種類の値しかとりません。一方、交差エントロピー誤差は滑らかに変わり、
# どちらに動かせば良くなるかを常に教えてくれます。
#
# **記述問題**: 正解率の代わりに、二値分類 (正解 $t = 1$、スコア $a$、出力 $y = \sigma(a)$) で損失 $E = 1 - \sigma(a)$ を
# 最小化する案を考えます。これは、出力の確率どおりにくじを引いて予測したときに外れる確率で、「滑らかな正解率」とも言えます。
#
# 1. この損失を勾配法で最小化するとき、正解率を直接最適化する場合の問題 (上の図) は残っているでしょうか。理由とともに答えてください。
# 2. 自信を持って間違えている $a = -6$ ($\sigma(-6) \approx 0.0025$) で、$E = 1 - \sigma(a)$ と二値交差エントロピー
#    $-\log \sigma(a)$ のそれぞれの $a$ についての傾きを求めて比べ (シグモイドの微分は $\sigma'(a) = \sigma(a)(1 - \sigma(a))$)、
#    この案を採らずに交差エントロピーを使う理由を説明してください。

# %% [answer] id=why_not_accuracy points=2
# **模範解答**: (1) 残っていない。正解率は予測クラスが入れ替わらない限り変わらない階段状の関数で、勾配がほぼ至るところ 0 だった。
# $E = 1 - \sigma(a)$ はスコア $a$ の (したがってパラメータの) 滑らかな関数で、$a$ を少し動かせば少し変わり、傾き
# $dE/da = -\sigma(a)(1 - \sigma(a))$ はどこでも 0 ではない (負)。だから勾配は「$a$ を大きくすれば良くなる」向きを常に教えてくれる。
# (2) $a = -6$ では $dE/da = -\sigma(1 - \sigma) \approx -0.0025 \times 0.9975 \approx -0.0025$ である。二値交差エントロピーの傾きは
# $\dfrac{d}{da}(-\log \sigma(a)) = -\dfrac{\sigma(a)(1 - \sigma(a))}{\sigma(a)} = \sigma(a) - 1 \approx -0.9975$ で、約 400 倍
# ($1/\sigma(-6) \approx 404$ 倍) 大きい。$1 - \sigma(a)$ では、自信を持って間違えているサンプルほど ($a \to -\infty$) 傾きが 0 に
# 近づくので、いちばん直したい間違いがほとんど直らず、学習が止まりやすい (2.6 節のシグモイドと二乗和誤差の組と同じ現象)。
# 損失の値も 1 で頭打ちなので、大きな間違いを重く罰しない。交差エントロピーの傾きは $-1$ に近づき、間違いが大きいほど
# 強く押し戻す ($\log$ がシグモイドの指数関数を打ち消す)。しかも交差エントロピーは最尤推定から導かれる損失なので、そちらを使う。
#
# (採点の目安: (1) $1 - \sigma(a)$ は滑らかで傾きが 0 でないので、正解率の「勾配がほぼ至るところ 0」の問題はないと理由つきで
# 書けていれば 1 点。(2) 2 つの傾き (約 $-0.0025$ と約 $-1$、約 400 倍の差) と、「自信を持った間違いほど勾配が消えて直らない」
# という結論の両方で 1 点、傾きだけ、または結論だけなら 0.5 点。)

# %% [markdown]
# ## まとめ
#
# - 損失関数は出力の悪さを測る数で、学習はその最小化。勾配法で使うため、パラメータについて滑らかに変わる必要がある。
# - 二乗和誤差 $\frac12 \sum (y - t)^2$ はバッチでは $N$ で平均する。平均二乗誤差 (PyTorch の `MSELoss`) は全要素の平均で $\frac12$ なし。
#   $y$ と $t$ の形状の取り違え ((N, 1) と (N,)) はブロードキャストでエラーも出ずに間違った結果になるので、形状を確かめる。
# - 交差エントロピー誤差は正解クラスの確率の $-\log$。バッチでは **$N$ で割る** ($C$ で割ると学習率が知らないうちに $N/C$ 倍になる)。
#   教師データは one-hot でもラベルでもよく、ラベルなら各行から正解クラスの列を整数配列のインデックスで取り出す。
#   log(0) は $\log(y + \varepsilon)$ で防ぐ。
# - 二値交差エントロピーはシグモイド出力用で、2 クラスの交差エントロピー誤差と同じもの。
# - ミニバッチ損失は全体の損失の不偏推定で、ばらつきは $1/\sqrt{B}$ 程度。ミニバッチは重複なし (`replace=False`) で選ぶ。
# - 回帰 → 恒等関数 → 二乗和誤差 (ガウス分布)、二値分類 → シグモイド → 二値交差エントロピー (ベルヌーイ分布)、
#   多クラス分類 → ソフトマックス → 交差エントロピー誤差 (カテゴリカル分布)。どれも負の対数尤度の最小化 (最尤推定)。
# - 正解率は階段状で勾配がほぼ至るところ 0 なので、学習の指標には損失関数を使う。

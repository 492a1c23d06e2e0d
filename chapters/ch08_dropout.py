# Chapter 8 of the course. Built into source_notebooks/ by `python -m autograder build`.
# Names defined by the [given] cell (Affine, Relu, SoftmaxWithLoss, softmax) and by the solution
# cells (Dropout, DropoutScaleAtInference), and `hint` (imported for the learner, who calls it as the stubs' comments say),
# are invisible to ruff in this file:
# ruff: noqa: F401, F821

# %% [markdown]
# # 第 8 章 ドロップアウト
#
# 訓練データが少ないのに層が深く幅の広いネットワークを学習させると、訓練データには完全に合うのに、
# 見たことのないデータ (テストデータ) では成績が伸びない、という状態になりがちです。これを過学習 (overfitting) と呼びます。
# この章では、過学習を抑える代表的な方法であるドロップアウト (dropout) を NumPy で実装し、その働きを実験で確かめます。
#
# 1. ドロップアウトの考え方: 学習のたびにユニットをランダムに消す
# 2. スケールの 2 つの流儀 (推論時に $1 - p$ 倍する従来の方式と、学習時に $1/(1 - p)$ 倍する inverted dropout) と、
#    両者が期待値の意味で一致する理由
# 3. `Dropout` レイヤの実装: 順伝播と逆伝播で同じマスクを使う。推論時 (`train_flg=False`) は何もしない
# 4. ドロップアウトを含むネットワーク: `train_flg` の受け渡しと、1 回の `gradient` で同じマスクを使うこと。
#    少ない訓練データでの過学習の実験: ドロップアウトあり・なしの比較と、その差がシードによるばらつきより大きいか
# 5. アンサンブル学習 (ensemble learning) としての解釈: 多数のマスクの平均と推論時の 1 回の計算を比べる
# 6. もう 1 つの流儀 (推論時に $1 - p$ 倍する方式) のレイヤの実装
# 7. モンテカルロ・ドロップアウト: 推論時にもドロップアウトを効かせて何回も予測し、そのばらつきを不確かさの目安にする
#
# **進め方**: `ここに実装してください (YOUR CODE HERE)` と書かれたセルを実装し、すぐ下のテストセルを実行してください。
# テストセルが何も例外を出さずに「公開テスト: OK」と表示すれば合格です。採点では、ここに見えているテスト (公開テスト) に加えて、
# 別の入力を使う隠しテストも実行されます。公開テストの値だけに合わせた実装では点になりません。
#
# **ヒント**: 行き詰まったら、実装するセルのコメントにある `hint("関数名")` を新しいセルで実行してください。ヒントは 2〜3 段階あり、
# `hint("関数名", 2)` のように番号を増やすと次の段階が表示されます (答えのコードそのものは出ません)。表示したヒントはノートブックの出力に残り、
# 講師のクラス報告で「どのヒントが必要とされたか」の集計に使われます (成績には影響しません)。

# %%
import matplotlib.pyplot as plt
import numpy as np

from course.checks import Properties, builds_on, check_array, check_raises, check_scalar, check_true
from course.data import load_digits
from course.gradcheck import eval_numerical_gradient, eval_numerical_gradient_array, rel_error
from course.hints import hint
from course.plotting import use_japanese_font
from course.properties import dropout as dropout_checks

use_japanese_font()
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 8.1 ドロップアウトの考え方
#
# ドロップアウト (Hinton et al. 2012、Srivastava et al. 2014) は、**学習時に**、隠れ層のユニット (ニューロン) の出力を
# ランダムに選んで 0 にする (消す) 方法です。消されたユニットは、その回の順伝播ではまるで存在しないかのように扱われ、
# 逆伝播でも勾配が流れません。
#
# - **消す確率**: 各ユニットを確率 $p$ で消し、確率 $1 - p$ で残します。この講座と PyTorch の `torch.nn.Dropout(p)` では、
#   $p$ (コードでは `dropout_ratio`) は **消す** 確率です。
# - **マスク** (mask): 「残すなら 1、消すなら 0」を並べた配列 $\boldsymbol{r}$ を作り、出力に要素ごとに掛けます。
#   各成分は独立に、確率 $1 - p$ で 1 になるベルヌーイ分布 (Bernoulli distribution) に従います: $r_{nj} \sim \mathrm{Bernoulli}(1 - p)$。
# - **マスクの形状は入力と同じ**: 形状 (N, D) のミニバッチなら、マスクも (N, D) です。同じミニバッチの中でも、サンプルごとに
#   消えるユニットが違います。
# - **毎回引き直す**: 順伝播のたび (ミニバッチのたび) に新しいマスクを引きます。
# - **推論時は消さない**: 学習が終わって予測するときは、すべてのユニットを使います。
#
# 置く場所は、ふつう隠れ層の活性化関数の後 (Affine → ReLU → Dropout) です。出力層には置きません。元の論文では、
# 消す確率にして隠れ層で 0.5、入力層で 0.2 程度が目安として挙げられています。
#
# **記号の落とし穴**: 元の論文 (Srivastava et al. 2014) では、$p$ を **残す** 確率 (retention probability) の意味で
# 使っています。PyTorch や Keras、この講座では $p$ は **消す** 確率です。式を読むときは、$p$ がどちらの意味かを必ず確かめてください。
# また「ミニバッチごとにユニットを選び直す」(ミニバッチ全体で同じユニットを消す) という説明を見かけることがありますが、元の論文も
# ふつうの実装 (PyTorch を含む) も、ミニバッチの中のサンプルごとに別のマスクを使います。

# %% [markdown]
# ## 8.2 スケールの 2 つの流儀と、期待値での一致
#
# 学習時に割合 $p$ のユニットを消すと、次の層に届く信号は平均して $1 - p$ 倍に弱くなります。推論時にすべてのユニットを使うと、
# 学習時より信号が強くなってしまうので、どこかで大きさをそろえる必要があります。そろえ方には 2 つの流儀があります。
# ユニットの出力 (ドロップアウト前) を $y$、ドロップアウト後を $\tilde{y}$ とします。
#
# | | 学習時 | 推論時 | 使われている所 |
# |---|---|---|---|
# | **方式 A** (従来の方式) | $\tilde{y} = r\, y$ | $\tilde{y} = (1 - p)\, y$ | 元の論文、『ゼロから作るDeep Learning』 |
# | **方式 B** (inverted dropout) | $\tilde{y} = \dfrac{r\, y}{1 - p}$ | $\tilde{y} = y$ | PyTorch、Keras、この講座 |
#
# **期待値で一致すること**: マスクの成分 $r$ は確率 $1 - p$ で 1、確率 $p$ で 0 なので、その期待値は
#
# $$
# \mathbb{E}[r] = 1 \cdot (1 - p) + 0 \cdot p = 1 - p
# $$
#
# です。$y$ はこの回の入力で決まっている値なので、期待値の外に出せます。
#
# - 方式 A の学習時: $\mathbb{E}[\tilde{y}] = \mathbb{E}[r]\, y = (1 - p)\, y$。これは方式 A の推論時の出力 $(1 - p)\, y$ に等しい。
# - 方式 B の学習時: $\mathbb{E}[\tilde{y}] = \dfrac{\mathbb{E}[r]}{1 - p}\, y = y$ (つまり $\mathbb{E}[r / (1 - p)] = 1$)。これは方式 B の推論時の出力 $y$ に等しい。
#
# どちらの方式でも「学習時の出力の期待値 = 推論時の出力」が成り立っています。次の層の Affine は線形なので、その入力
# $a_k = \sum_j \tilde{y}_j W_{jk} + b_k$ の期待値 $\sum_j \mathbb{E}[\tilde{y}_j] W_{jk} + b_k$ も、学習時と推論時でそろいます。
#
# **2 つの方式は同じモデル**: 方式 B の学習時の出力は方式 A の $1/(1 - p)$ 倍なので、方式 A の重み $W_A$ と方式 B の重み
# $W_B = (1 - p)\, W_A$ は、学習時も推論時も次の層にまったく同じ値を届けます。違いは「$1 - p$ をどこに掛けるか」だけです。
#
# **方式 B (inverted dropout) が好まれる理由**: 推論時の計算がドロップアウトのないネットワークと同じになるので、
# 推論のコードは $p$ を知る必要がありません。ドロップアウトを外したり $p$ を変えたりしても推論のコードは変わらず、
# 余分な掛け算は学習時にだけ行われます。
#
# **流儀の違いに注意**: 元の論文と『ゼロから作るDeep Learning』(6.4.3 節) は「推論時に出力を (残す確率) 倍する」方式 A、
# PyTorch の `torch.nn.Dropout` は「学習時に $1/(1 - p)$ 倍する」方式 B です。どちらも単独では正しいのですが、**混ぜてはいけません**。
# 方式 A で学習した重みを方式 B の推論 (何も掛けない) で使うと、次の層への入力が学習時の平均の $1/(1 - p)$ 倍 ($p = 0.5$ なら 2 倍) になります。
#
# 1 つのユニット ($y = 2$、$p = 0.5$) について、学習時の出力を何回も引いて平均をとり、推論時の出力と比べてみましょう。

# %%
p_demo = 0.5
y_demo = 2.0  # 1 つのユニットのドロップアウト前の出力
num_draws = 2000
r = np.random.default_rng(0).random(num_draws) > p_demo  # 1 回に 1 つのマスクの値: True なら残す
draw_count = np.arange(1, num_draws + 1)
running_mean_a = np.cumsum(r * y_demo) / draw_count  # 方式 A の学習時: r·y
running_mean_b = np.cumsum(r * y_demo / (1 - p_demo)) / draw_count  # 方式 B (inverted) の学習時: r·y/(1 − p)

fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(draw_count, running_mean_b, color="C0", label="方式 B の学習時の出力 $ry/(1-p)$ の平均")
ax.axhline(y_demo, color="C0", ls="--", label="方式 B の推論時の出力 $y = 2$")
ax.plot(draw_count, running_mean_a, color="C1", label="方式 A の学習時の出力 $ry$ の平均")
ax.axhline((1 - p_demo) * y_demo, color="C1", ls=":", label="方式 A の推論時の出力 $(1-p)y = 1$")
ax.set_xscale("log")
ax.set_ylim(0, 4.2)
ax.set_xlabel("マスクを引いた回数 (対数目盛)")
ax.set_ylabel("ドロップアウト後の出力の平均")
ax.set_title("学習時の出力の平均は、推論時の出力に近づく ($p = 0.5$、$y = 2$)")
ax.legend(fontsize=8, loc="upper right")
plt.show()

# %% [markdown]
# 1 回ごとの出力は 0 か 4 (方式 B)、0 か 2 (方式 A) とばらつきますが、平均は推論時の値に近づいていきます。
# ばらつきの大きさも計算できます。方式 B では $\tilde{y}^2$ の期待値が $\mathbb{E}[r^2]\, y^2 / (1 - p)^2 = y^2 / (1 - p)$
# ($r^2 = r$ なので) なので、分散は
#
# $$
# \mathrm{Var}[\tilde{y}] = \frac{y^2}{1 - p} - y^2 = \frac{p}{1 - p}\, y^2
# $$
#
# です。$p$ を大きくするほど、学習時に加わる雑音 (noise) が大きくなります。
#
# 2 つの方式が重みの付け替え $W_B = (1 - p)\, W_A$ で移り合うことも、数値で確かめておきます。

# %%
rng = np.random.default_rng(1)
W_a = rng.standard_normal((4, 3))  # 方式 A で学習した、次の層の重み
W_b = (1 - p_demo) * W_a  # 方式 B で表した同じモデル
y_hidden = rng.standard_normal((2, 4))  # 隠れ層の出力 (2 サンプル)
mask = rng.random(y_hidden.shape) > p_demo
print(
    "学習時 (同じマスク) に次の層へ届く値が一致:",
    np.allclose((y_hidden * mask) @ W_a, (y_hidden * mask / (1 - p_demo)) @ W_b),
)
print("推論時に次の層へ届く値が一致:          ", np.allclose((y_hidden * (1 - p_demo)) @ W_a, y_hidden @ W_b))
print("方式 A の重みを方式 B の推論で使うと何倍になるか:", (y_hidden @ W_a / ((y_hidden * (1 - p_demo)) @ W_a))[0, 0])

# %% [answer] id=dropout_conventions points=3
# **問**: 隠れ層の出力 $y$ → Dropout ($p = 0.3$、消す確率) → Affine (重み $W$、バイアス $b$) という部分を持つネットワークを、
# 方式 A (学習時は消すだけで、推論時に Dropout の出力を $1 - p$ 倍する) で学習しました。この重みを、推論時に Dropout が
# 何もしない方式 B のコード (PyTorch の `model.eval()` など) で使います。
# (1) 方式 B のコードで同じ予測を出すには、$W$ と $b$ をそれぞれ何倍にすればよいですか。理由も述べてください。
# (2) ある出力ユニット $k$ について、推論時の $y = (2, 0, 1)$、$W_{:,k} = (0.5, 1, 1)^\top$、$b_k = 0.2$ とします。
# 方式 A の正しい推論時の値 $a_k$ と、(1) の変換を忘れて方式 B で推論したときの値を計算してください。$y$ の項は何倍にずれますか。
# (3) Dropout を活性化関数の **前** に置き、Affine → Dropout → シグモイド関数 $\sigma$ としたとします (方式 B、$p = 0.5$)。
# Dropout に入る値が $a = 2$ のとき、学習時のシグモイドの出力の期待値と、推論時の出力 $\sigma(2)$ を比べてください。
# 一致しないなら、その理由と、ReLU ならどうなるかを述べてください。
#
# **模範解答**: (1) $W$ を $1 - p = 0.7$ 倍し、$b$ はそのまま (1 倍)。方式 A の推論時に Affine が受け取るのは $(1 - p)\, y$ なので
# $a = (1 - p)\, y W + b = y\, \bigl((1 - p) W\bigr) + b$。方式 B の推論では $y$ がそのまま届くので、$(1 - p) W$ を重みにすれば同じ値になる。
# バイアスは Dropout を通らない (マスクもスケールも掛からない) ので変えない。
# (2) $\sum_j y_j W_{jk} = 2 \cdot 0.5 + 0 \cdot 1 + 1 \cdot 1 = 2$。正しい値は $0.7 \cdot 2 + 0.2 = 1.6$、変換を忘れると $2 + 0.2 = 2.2$。
# $y$ の項が $1/(1 - p) = 1/0.7 \approx 1.43$ 倍になる (バイアスはずれない)。
# (3) 学習時の Dropout の出力は確率 1/2 で 0、確率 1/2 で $2/(1 - 0.5) = 4$ なので、シグモイドの出力の期待値は
# $(\sigma(0) + \sigma(4))/2 = (0.5 + 0.982)/2 \approx 0.741$。推論時は $\sigma(2) \approx 0.881$ で、一致しない。
# 期待値がそろうのは Dropout の出力 (シグモイドの入力) までで、非線形な $\sigma$ では $\mathbb{E}[\sigma(z)] \ne \sigma(\mathbb{E}[z])$ だから。
# ReLU は $c \ge 0$ について $\mathrm{ReLU}(c z) = c\, \mathrm{ReLU}(z)$ なので、マスクとスケールを外に出せて、
# 期待値は $\mathbb{E}[r/(1 - p)]\, \mathrm{ReLU}(a) = \mathrm{ReLU}(a) = 2$ で推論時と一致する。
#
# (採点の目安: (1) $W$ を $0.7$ 倍・$b$ はそのまま、を理由 (推論時に届く値が $(1 - p) y$ か $y$ か) とともに述べている (1 点)、
# (2) 1.6 と 2.2、$y$ の項が $1/0.7 \approx 1.43$ 倍になることを計算している (1 点)、
# (3) 期待値 0.741 と 0.881 が一致しないこと、その理由 (非線形な関数の期待値は期待値の関数にならない) と、ReLU では一致することを
# 述べている (1 点。数値がなくても理由が正しければ 0.5 点)。)

# %% [markdown]
# ## 8.3 `Dropout` レイヤ
#
# この講座では方式 B (inverted dropout) を実装します。入力 $X$ (任意の形状) とマスク $R$ (同じ形状、成分は 0 か 1) に対して
#
# $$
# \text{学習時: } Y = \frac{X \odot R}{1 - p}, \qquad \text{推論時: } Y = X
# $$
#
# です ($\odot$ は要素ごとの積)。
#
# **逆伝播**: 学習時の式は要素ごとなので、$\dfrac{\partial y_{ij}}{\partial x_{ij}} = \dfrac{r_{ij}}{1 - p}$ です
# (ほかの要素の微分は 0)。連鎖律より
#
# $$
# \frac{\partial L}{\partial x_{ij}} = \frac{\partial L}{\partial y_{ij}} \cdot \frac{r_{ij}}{1 - p}
# \qquad\text{つまり}\qquad
# \frac{\partial L}{\partial X} = \frac{1}{1 - p}\, \frac{\partial L}{\partial Y} \odot R
# $$
#
# となります。逆伝播では **順伝播で使ったのと同じマスク** $R$ を、同じスケール $1/(1 - p)$ で掛けます。順伝播で消したユニットには
# 勾配が流れないので、そのサンプルについては、消えたユニットにつながる重みは更新されません。
# 逆伝播のときに新しいマスクを引いてしまうと、順伝播とは別のネットワークの勾配になり、正しい勾配ではありません。
# このため、順伝播でマスクを `self.mask` に保存しておきます (ReLU レイヤのマスクと同じ考え方です)。パラメータはないので、
# `dW` のような勾配はありません。
#
# ### 乱数の扱い: `np.random.Generator`
#
# マスクの乱数は、コンストラクタで受け取る乱数生成器 `rng` (`np.random.default_rng(seed)` で作る `np.random.Generator`) から引きます。
# `rng.random(shape)` は区間 $[0, 1)$ の一様乱数 $u$ を並べた、形状 `shape` の配列を返します。入力と同じ形状で $u$ を引き、
# 成分ごとに「$u > p$ なら残す (True)」と決めれば、各成分が確率 $1 - p$ で True (残す) になります
# ($u \le p$ となる確率が $p$ だからです)。
#
# **採点のための約束**: 各成分を確率 $1 - p$ で残すマスクの作り方は 1 つではありません (`self.rng.random(x.shape) < 1 - p` も
# `self.rng.binomial(1, 1 - p, size=x.shape)` も正しいマスクです)。そのためテストは、決まった乱数列との一致ではなく、どんな正しい
# マスクでも成り立つ次の性質を確かめます。
#
# - 学習時の出力の各成分は 0 か $x/(1 - p)$。大きな入力では、消える割合が $p$ に近い。サンプルごと・ユニットごとに別々に消す。
# - 乱数は `self.rng` からだけ引く: 同じシードの `Generator` を渡した 2 つのレイヤは同じマスクを、違うシードなら違うマスクを作る
#   (`np.random.rand` のようなグローバルな乱数や、`forward` の中で作り直した `Generator` では、この性質が成り立ちません)。
# - 学習時の `forward` は呼ぶたびに新しいマスクを引く。推論時の `forward` と `backward` では乱数を引かない
#   (推論をはさんでも、その後のマスクは推論をはさまないときと同じになる)。
# - `backward` は、最後の学習時の `forward` のマスクとスケールを使う。
# - `rng` が None のときは `np.random.default_rng()` (シードなし) を使う。
#
# テストが使う性質の確かめ方は `course.properties.dropout` にあります (公開テストも隠しテストも同じ関数を使います)。
#
# ### 演習 1: `Dropout` レイヤ
#
# `dropout_ratio` ($p$) が $0 \le p < 1$ でなければ、コンストラクタで `ValueError` を出してください ($p = 1$ ではすべてが消え、
# $1 - p = 0$ で割ることになります)。


# %% [solution] id=dropout
class Dropout:
    """ドロップアウトレイヤ (inverted dropout)。dropout_ratio はユニットを消す確率 p (0 <= p < 1)。

    forward(x, train_flg=True): x は任意の形状の配列。戻り値は x と同じ形状。
        学習時 (train_flg=True): 各ユニットを確率 1 − p で残すマスク (x と同じ形状、True が残すユニット) を
            self.rng から呼び出しごとに新しく引いて self.mask に保存し、残したユニットでは x を 1 − p で割った値、
            消したユニットでは 0 を返す。乱数は self.rng からだけ引く (同じシードの rng なら同じマスクになる)。
        推論時 (train_flg=False): x をそのまま返す (乱数は引かない)。
    backward(dout): 残したユニットでは dout を 1 − p で割った値、消したユニットでは 0 を返す
        (最後の学習時の forward のマスクとスケール)。
    """

    def __init__(self, dropout_ratio=0.5, rng=None):
        """0 <= dropout_ratio < 1 でなければ ValueError を出す。self.dropout_ratio、self.rng、self.mask (None) を用意する。

        rng: マスクを引く np.random.Generator。None なら np.random.default_rng() (シードなし) で作ったものを使う。
        """
        # ヒント: hint("Dropout.__init__")
        # @reference Dropout.__init__

    def forward(self, x, train_flg=True):
        """学習時はマスクを引いて self.mask に保存し、残したユニットだけを 1/(1 − p) 倍した新しい配列を返す。
        推論時は x をそのまま返す。引数の x は書き換えない。"""
        # ヒント: hint("Dropout.forward")
        # @reference Dropout.forward

    def backward(self, dout):
        """dout: ∂L/∂y (最後の forward の出力と同じ形状)。戻り値: ∂L/∂x (dout と同じ形状)。
        最後の学習時の forward で保存した self.mask と同じスケール 1/(1 − p) を使い、乱数は引かない。"""
        # ヒント: hint("Dropout.backward")
        # @reference Dropout.backward


# %% [markdown]
# 次のセルは、隠しテストがあなたの `Dropout` を動かすための補助関数です (演習ではありません)。**変更せずに実行してください**。
# シードから `Generator` を作って `Dropout` に渡し、指定された順に `forward` と `backward` を呼んで結果を集めます。


# %%
def run_dropout(dropout_ratio, seed, steps, layer_class="Dropout"):
    """Dropout(dropout_ratio, rng=np.random.default_rng(seed)) を作り、steps の順に呼び出す。

    steps: (x, train_flg, dout) のリスト。各手順で、x が None でなければ out = forward(x, train_flg=train_flg)、
    続いて dout が None でなければ dx = backward(dout) を呼ぶ。
    戻り値: (out, dx) のリスト。呼ばなかったところは None。
    layer_class: "DropoutScaleAtInference" なら、Dropout の代わりに演習 3 のレイヤを作る。
    """
    layer_type = DropoutScaleAtInference if layer_class == "DropoutScaleAtInference" else Dropout
    layer = layer_type(dropout_ratio, rng=np.random.default_rng(seed))
    results = []
    for x, train_flg, dout in steps:
        out = None if x is None else layer.forward(x, train_flg=train_flg)
        dx = None if dout is None else layer.backward(dout)
        results.append((out, dx))
    return results


# %% [tests] id=test_dropout_forward points=2.5 hidden=dropout_forward
def public_test_dropout_forward():
    """演習 1 の forward の公開テスト (backward のテストの前提としても使います)。"""
    # マスクの引き方は決めず、どんな正しいマスクでも成り立つ性質を確かめる (x は 0 を含まないので、出力からマスクが読める)
    x = np.arange(1.0, 13.0).reshape(3, 4)
    x_before = x.copy()
    big = np.ones((1000, 100))

    def masks(seed, flags):
        """Dropout(0.5, rng=default_rng(seed)) で big を forward したときの、各回の残したユニット (flags は学習時か)。"""
        drop = Dropout(0.5, rng=np.random.default_rng(seed))
        return [drop.forward(big.copy(), train_flg=flag) != 0 for flag in flags]

    # 性質 (property) ごとに確かめ、合わない性質があってもその後の性質まで確かめてから、性質ごとの結果 (✓/✗) を示す。
    # forward には x や big のコピーを渡す (引数を書き換えないことは、2 つ目の性質で x そのものを渡して確かめる)
    with Properties() as test:
        with test.property("学習時と推論時の forward の値 (p = 0.25、形状 (3, 4) と (1, 4))"):
            layer = Dropout(0.25, rng=np.random.default_rng(0))
            # 学習時: 各成分は 0 (消したユニット) か x / (1 − 0.25) = x · 4/3 (残したユニット)
            dropout_checks.check_training_output(
                layer.forward(x.copy()), x, 0.25, "1 回目の forward (学習時、p = 0.25)"
            )
            # 推論時: x をそのまま返す
            dropout_checks.check_inference(
                layer.forward(x.copy(), train_flg=False), x, 0.25, "推論時の forward (train_flg=False)"
            )
            # バッチサイズ 1 (x の 1 行目だけ) でも同じ
            dropout_checks.check_training_output(
                layer.forward(x[:1].copy()), x[:1], 0.25, "形状 (1, 4) の入力の forward (学習時、p = 0.25)"
            )
        with test.property("引数の x を書き換えない"):
            layer = Dropout(0.25, rng=np.random.default_rng(0))
            layer.forward(x)
            layer.forward(x, train_flg=False)
            check_true(
                np.array_equal(x, x_before), "forward が引数の x を書き換えています。新しい配列を返してください。"
            )
        # 10 万ユニットの入力: 消える割合は p = 0.3 に近い (標準誤差 √(0.3 · 0.7 / 10⁵) ≈ 0.0014、許容はその 5 倍)。
        # サンプルごとに別のマスクで消す
        fraction = "消えるユニットの割合が p に近い (p = 0.3、形状 (1000, 100) の入力、サンプルごとに別のマスク)"
        with test.property(fraction):
            where = "p = 0.3、形状 (1000, 100) の forward"
            big_kept = dropout_checks.check_training_output(
                Dropout(0.3, rng=np.random.default_rng(1)).forward(big.copy()), big, 0.3, where
            )
            dropout_checks.check_dropped_fraction(big_kept, 0.3, where)
        # 乱数は self.rng からだけ引く: 同じシードなら同じマスク、違うシードなら違うマスク
        seeds = "乱数は self.rng からだけ引く (シード 2 のレイヤ 2 つと、シード 2 と 3 のレイヤ)"
        with test.property(seeds, needs=[fraction]):
            first = masks(2, [True])[0]
            seed_hint = dropout_checks.SAME_SEED_HINT
            where = "シード 2 のレイヤ 2 つの 1 回目の forward"
            dropout_checks.check_equal_masks(first, masks(2, [True])[0], where, seed_hint)
            dropout_checks.check_different_masks(
                first, masks(3, [True])[0], "シード 2 と 3 のレイヤの forward", seed_hint
            )
        # 学習時の forward は呼ぶたびに新しいマスクを引く。推論時は引かない (推論をはさんでも 2 回目のマスクは同じ)
        with test.property("学習時の forward は呼ぶたびに新しいマスクを引く", needs=[fraction]):
            first, second = masks(2, [True, True])
            dropout_checks.check_different_masks(
                first, second, "1 回目と 2 回目の forward", dropout_checks.NEW_DRAW_HINT
            )
        with test.property("推論時 (train_flg=False) の forward は乱数を引かない", needs=[fraction, seeds]):
            second = masks(2, [True, True])[1]
            after_inference = masks(2, [True, False, True])[2]
            where = "推論をはさんだ 2 回目の学習時の forward と、はさまない 2 回目"
            dropout_checks.check_equal_masks(after_inference, second, where, dropout_checks.INFERENCE_DRAW_HINT)
        # p = 0 は何も消さない。rng を省略してもよい
        with test.property("dropout_ratio=0 ではすべてのユニットを残す"):
            check_array(Dropout(0.0).forward(x.copy()), x, "dropout_ratio = 0 の forward")
        # rng を省略すると np.random.default_rng() (シードなし) の乱数で消す。消える割合は上と同じく p = 0.3 に近い
        with test.property("rng を省略したとき (シードなしの乱数) も正しく消す"):
            where = "rng を省略した Dropout(0.3) の、形状 (1000, 100) の forward"
            default_kept = dropout_checks.check_training_output(Dropout(0.3).forward(big.copy()), big, 0.3, where)
            dropout_checks.check_dropped_fraction(default_kept, 0.3, where)


public_test_dropout_forward()
print("公開テスト: OK")

# %% [markdown]
# 逆伝播のテストです。`dout` をすべて 3 にすると、残したユニットの勾配は $3/(1 - 0.25) = 4$、消したユニットの勾配は 0 になるはずです。


# %% [tests] id=test_dropout_backward points=2 hidden=dropout_backward
def public_test_dropout_backward():
    """演習 1 の backward の公開テスト (演習 2 のテストの前提としても使います)。"""
    x = np.arange(1.0, 13.0).reshape(3, 4)
    dout = np.full((3, 4), 3.0)
    with Properties() as test:
        values = "backward の値 (dout · マスク / (1 − p)、p = 0.25、形状 (3, 4))"
        with test.property(values):
            layer = Dropout(0.25, rng=np.random.default_rng(0))
            kept = layer.forward(x) != 0  # この forward で残したユニット (x は 0 を含まない)
            # 残したユニットの勾配は 3 / (1 − 0.25) = 4、消したユニットは 0 (forward で消したのと同じ位置)
            dropout_checks.check_backward(layer.backward(dout), dout, 0.25, kept, None, "Dropout.backward")
        with test.property("バッチサイズ 1 の backward (形状 (1, 4))", needs=[values]):
            layer_one = Dropout(0.25, rng=np.random.default_rng(1))
            kept_one = layer_one.forward(x[:1]) != 0
            where = "形状 (1, 4) の入力の forward の後の backward"
            dropout_checks.check_backward(layer_one.backward(dout[:1]), dout[:1], 0.25, kept_one, None, where)
        with test.property("forward をはさまずにもう一度 backward しても、同じマスクを使う", needs=[values]):
            where = "2 回目の backward (マスクは同じまま)"
            dropout_checks.check_backward(layer.backward(dout), dout, 0.25, kept, None, where)
        # forward をもう一度呼ぶとマスクが替わり、backward は新しいマスクを使う (200 ユニットなら 2 つのマスクはまず違う)
        with test.property("forward を 2 回続けた後の backward は、新しい方のマスクを使う", needs=[values]):
            x_large, dout_large = np.arange(1.0, 201.0).reshape(20, 10), np.full((20, 10), 3.0)
            kept_first = layer.forward(x_large) != 0
            kept_second = layer.forward(x_large) != 0
            where = "2 回目の forward の後の backward"
            dropout_checks.check_backward(layer.backward(dout_large), dout_large, 0.25, kept_second, kept_first, where)


if builds_on({"演習 1 の forward": public_test_dropout_forward}):
    public_test_dropout_backward()
    print("公開テスト: OK")

# %% [markdown]
# 次のセルは、同じ演習の **規則** (rule) として、docstring にある入力の検査を確かめます (0.5 点。本体とは別に採点され、
# 規則を満たしていなくても本体の点は失いません)。
# 0 <= dropout_ratio < 1 なら例外を出さず、それ以外 (1 や負の数) なら `ValueError` を出します。

# %% [tests] id=test_dropout_rules points=0.5 hidden=dropout_rules
hint_ratio = (
    "0 <= dropout_ratio < 1 でなければ ValueError を出してください (1 ならすべて消えて 1/(1 − p) が割り算できません)。"
)
with Properties() as test:
    with test.property("0 以上 1 未満の dropout_ratio (0 を含む) では例外を出さない"):
        Dropout(0.0), Dropout(0.5)  # 正しい入力では例外を出さない
    with test.property("入力の検査 (dropout_ratio = 1 で ValueError)"):
        check_raises(ValueError, lambda: Dropout(1.0), "Dropout(1.0)", hint_ratio)
    with test.property("入力の検査 (1 より大きい dropout_ratio で ValueError)"):
        check_raises(ValueError, lambda: Dropout(1.5), "Dropout(1.5)", hint_ratio)
    with test.property("入力の検査 (負の dropout_ratio で ValueError)"):
        check_raises(ValueError, lambda: Dropout(-0.1), "Dropout(-0.1)", hint_ratio)
print("公開テスト: OK")

# %% [markdown]
# ### 勾配確認にはマスクを固定する
#
# 第 4 章と同じように、数値微分で逆伝播を確かめてみましょう。ただし、ドロップアウトには注意が要ります。数値微分は
# 入力を少しずつ動かして `forward` を何度も呼ぶので、そのたびに新しいマスクが引かれると、「同じ関数」を微分したことになりません。
# 毎回 **同じシードで作り直した** レイヤを使えば、マスクが固定されて、決まった関数として微分できます。

# %%
rng = np.random.default_rng(2)
x_check = rng.standard_normal((4, 5))
dout_check = rng.standard_normal((4, 5))

layer = Dropout(0.4, rng=np.random.default_rng(7))
layer.forward(x_check)
dx_backprop = layer.backward(dout_check)


def dropout_with_fixed_mask(z):
    """呼ぶたびに同じマスク: 同じシードで作り直したレイヤを使う。"""
    return Dropout(0.4, rng=np.random.default_rng(7)).forward(z)


changing_layer = Dropout(0.4, rng=np.random.default_rng(7))  # 呼ぶたびに新しいマスク
dx_fixed = eval_numerical_gradient_array(dropout_with_fixed_mask, x_check, dout_check)
dx_changing = eval_numerical_gradient_array(changing_layer.forward, x_check, dout_check)
print(f"マスクを固定した数値微分との相対誤差:       {rel_error(dx_backprop, dx_fixed):.1e}")
print(f"呼ぶたびにマスクが変わる数値微分との相対誤差: {rel_error(dx_backprop, dx_changing):.1e}")

# %% [markdown]
# マスクを固定すれば逆伝播と数値微分がよく一致し、固定しないとまったく一致しません (勾配確認として意味がありません)。
# ドロップアウトを含むネットワーク全体の勾配確認をするときも、ドロップアウトを切るか、マスクを固定してから行います。

# %% [markdown]
# ## 8.4 過学習の実験
#
# 訓練データを digits の先頭 200 枚だけに減らし、隠れ層が 4 つ (各 100 ユニット) のネットワークを、ドロップアウトなしと
# ドロップアウトあり ($p = 0.3$) で学習させて比べます。パラメータは約 3.8 万個あり、200 枚の訓練データを丸暗記するには十分な大きさです。
#
# 実験の前に、演習 2 で `Dropout` レイヤをネットワークに組み込みます。部品として、これまでの章の模範解答 (ソフトマックス関数、
# 交差エントロピー誤差、Affine レイヤ、ReLU レイヤ、Softmax-with-Loss レイヤ) を使います。次のセルを実行して定義しておいてください。

# %% [given] names=softmax,cross_entropy_error,Affine,Relu,SoftmaxWithLoss

# %% [markdown]
# ### 演習 2: ドロップアウトを含むネットワーク
#
# `Dropout` レイヤをネットワークに組み込みます。構成は Affine → ReLU → Dropout → Affine → Softmax-with-Loss の 2 層ネットワークです。
# レイヤ単体と違って、ネットワークでは次の 2 点に気をつけます。
#
# - **`train_flg` の受け渡し**: 学習時か推論時かを知る必要があるのは Dropout レイヤだけです。`predict(x, train_flg)` と
#   `loss(x, t, train_flg)` は、受け取った `train_flg` を Dropout レイヤの `forward` まで届けます (Affine や ReLU には渡しません)。
#   正解率や損失を **測る** ときは推論 (`train_flg=False`) なので、省略したときの値は `False` にします。
# - **1 回の `gradient` の中で、マスクは 1 つ**: `gradient(x, t)` は、学習時の順伝播を **1 回だけ** 行い、その順伝播で使ったのと
#   同じマスクで逆伝播します。逆伝播の前にもう一度順伝播すると、Dropout レイヤのマスクが引き直され、損失を計算したのとは別の
#   部分ネットワークの勾配になってしまいます。
#
# 重み (`params`) は引数で受け取り、その配列をそのまま `self.params` として Affine レイヤに使わせます。マスクの乱数は
# `np.random.default_rng(seed)` から引くので、同じ `seed` で作ったネットワークは、呼び出しごとに同じマスクを引きます。
# これを使うと、8.3 節と同じように、マスクを固定した数値微分で `gradient` を確かめられます。


# %% [solution] id=dropout_net
class DropoutTwoLayerNet:
    """Affine → ReLU → Dropout → Affine → Softmax-with-Loss の 2 層ネットワーク。

    params: 'W1' (形状 (D, H))、'b1' (H,)、'W2' (H, C)、'b2' (C,) の辞書。配列をコピーせずに self.params とし、
        Affine レイヤもその配列を使う。
    dropout_ratio: Dropout レイヤの p (消す確率)。
    seed: Dropout レイヤに渡す rng を np.random.default_rng(seed) で作る (ほかの用途には使わない)。
        同じ seed のネットワークは、呼び出しごとに同じマスクを引く。
    """

    def __init__(self, params, dropout_ratio=0.5, seed=None):
        """上記のレイヤと、最後の SoftmaxWithLoss を用意する。"""
        # ヒント: hint("DropoutTwoLayerNet.__init__")
        # @reference DropoutTwoLayerNet.__init__

    def predict(self, x, train_flg=False):
        """x: 形状 (N, D)。戻り値: スコア (N, C)。train_flg は Dropout レイヤの forward にだけ渡す
        (True なら新しいマスクを引いてユニットを消し、False ならドロップアウトのないネットワークと同じ出力)。"""
        # ヒント: hint("DropoutTwoLayerNet.predict")
        # @reference DropoutTwoLayerNet.predict

    def loss(self, x, t, train_flg=False):
        """t: ラベル (N,)。戻り値: predict(x, train_flg) のスコアの交差エントロピー誤差 (バッチの平均、float)。"""
        # ヒント: hint("DropoutTwoLayerNet.loss")
        # @reference DropoutTwoLayerNet.loss

    def gradient(self, x, t):
        """学習時 (train_flg=True) の順伝播を 1 回だけ行い、そのマスクのまま逆伝播する。
        戻り値: params と同じキーの辞書で、それぞれ同じ形状の、その順伝播の損失の勾配。"""
        # ヒント: hint("DropoutTwoLayerNet.gradient")
        # @reference DropoutTwoLayerNet.gradient


# %% [markdown]
# テストでは、手で計算できる小さなネットワーク ($D = 2$、$H = 3$、$C = 2$) で推論時の出力を確かめます。
# 推論時はドロップアウトのないネットワークと同じなので、
# $x = (1, 2)$ なら隠れ層の入力は $(1, 1.5, 0)$、ReLU の後も $(1, 1.5, 0)$、スコアは $(1, 2)$ です。
# $x = (-1, 1)$ なら隠れ層の入力は $(-1, 2.5, -3)$、ReLU の後は $(0, 2.5, 0)$、スコアは $(0, 3)$ です。
# 勾配は、同じ `seed` で作り直したネットワークの学習時の損失 (マスクが固定される) を数値微分したものと比べます。

# %% [tests] id=test_dropout_net points=2 hidden=dropout_net
if builds_on({"演習 1 の forward": public_test_dropout_forward, "演習 1 の backward": public_test_dropout_backward}):
    small = {
        "W1": np.array([[1.0, -1.0, 2.0], [0.0, 1.0, -1.0]]),
        "b1": np.array([0.0, 0.5, 0.0]),
        "W2": np.array([[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]]),
        "b2": np.array([0.0, 0.5]),
    }
    x = np.array([[1.0, 2.0], [-1.0, 1.0]])

    rng = np.random.default_rng(5)
    params = {
        "W1": rng.standard_normal((5, 20)) * 0.3,
        "b1": rng.uniform(0.2, 0.8, size=20),
        "W2": rng.standard_normal((20, 4)) * 0.3,
        "b2": rng.standard_normal(4) * 0.1,
    }
    x_batch, t_batch = rng.standard_normal((8, 5)), rng.integers(0, 4, size=8)

    def training_loss_with_fixed_mask(_):
        """同じ seed で作り直したネットワーク (呼ぶたびに同じマスク) の学習時のスコアの交差エントロピー
        (log の中に eps を足さない)。SoftmaxWithLoss.backward はこの損失の勾配。"""
        scores = DropoutTwoLayerNet(params, dropout_ratio=0.5, seed=1).predict(x_batch, train_flg=True)
        shifted = scores - scores.max(axis=1, keepdims=True)
        return np.mean(np.log(np.exp(shifted).sum(axis=1)) - shifted[np.arange(len(t_batch)), t_batch])

    with Properties() as test:
        training = "学習時の predict (train_flg=True) は Dropout でユニットを消す (N = 8、N = 1、p = 0)"
        with test.property(training):
            net = DropoutTwoLayerNet(params, dropout_ratio=0.5, seed=1)
            first, second = net.predict(x_batch, train_flg=True), net.predict(x_batch, train_flg=True)
            check_true(
                not np.allclose(first, second),
                "学習時の predict を 2 回呼んでも出力が同じです。train_flg を Dropout の forward に渡していますか。",
            )
            check_true(
                not np.allclose(first, net.predict(x_batch, train_flg=False)),
                "学習時の predict が推論時と同じ出力です。train_flg=True のときは Dropout でユニットを消します。",
            )
            # N = 1: x = (1, 2) の隠れ層の出力 (1, 1.5, 0) のうち、最初の 2 つのユニットがそれぞれ消えるか 2 倍になる (p = 0.5)。
            # スコアは (0, 0.5) (両方消える)、(2, 0.5)、(0, 3.5)、(2, 3.5) (両方残る) のどれか
            one = DropoutTwoLayerNet(small, dropout_ratio=0.5, seed=0).predict(x[:1], train_flg=True)
            candidates = [[[0.0, 0.5]], [[2.0, 0.5]], [[0.0, 3.5]], [[2.0, 3.5]]]
            check_true(
                np.shape(one) == (1, 2) and any(np.allclose(one, c, rtol=1e-7, atol=1e-9) for c in candidates),
                f"N = 1 の学習時の predict の出力 {one} が、ユニットの消し方 4 通りのどのスコアとも違います"
                " (p = 0.5 では、残したユニットの値は 2 倍になります)。",
            )
            # dropout_ratio = 0 なら学習時も何も消えない
            check_array(
                DropoutTwoLayerNet(small, 0.0, seed=0).predict(x, train_flg=True),
                [[1.0, 2.0], [0.0, 3.0]],
                "p = 0 の学習時の predict",
            )
        with test.property("推論時の predict (train_flg=False) はドロップアウトのないネットワークと同じ"):
            net = DropoutTwoLayerNet(small, dropout_ratio=0.5, seed=0)
            # 推論時: ドロップアウトのないネットワークと同じ出力 (何度呼んでも同じ)。train_flg を省略すると推論
            check_array(net.predict(x, train_flg=False), [[1.0, 2.0], [0.0, 3.0]], "predict(x, train_flg=False)")
            check_array(net.predict(x), [[1.0, 2.0], [0.0, 3.0]], "2 回目の predict(x) (train_flg を省略)")
            # 推論時の損失: t = [1, 1] なら各行の −log softmax は log(1 + e^(−1)) と log(1 + e^(−3))
            expected_loss = np.mean([np.log(1 + np.exp(-1.0)), np.log(1 + np.exp(-3.0))])
            check_scalar(net.loss(x, np.array([1, 1])), expected_loss, "loss(x, t) (推論時)", rtol=1e-6)
        with test.property("gradient は学習時の順伝播 1 回と、同じマスクのままの逆伝播で求める"):
            # gradient は、その呼び出しの順伝播と同じマスクで逆伝播する (新しいネットワークの 1 回目のマスク)
            grads = DropoutTwoLayerNet(params, dropout_ratio=0.5, seed=1).gradient(x_batch, t_batch)
            # 中心差分 (h = 1e-5) の誤差は 1e-9 程度なので、許容は相対 1e-5・絶対 1e-7
            for key in ("W1", "b1", "W2", "b2"):
                check_array(
                    grads[key],
                    eval_numerical_gradient(training_loss_with_fixed_mask, params[key]),
                    f"gradient の '{key}' (マスクを固定した数値微分と比べています。gradient の順伝播は "
                    "train_flg=True で 1 回だけ行い、そのマスクのまま逆伝播していますか)",
                    rtol=1e-5,
                    atol=1e-7,
                )
        # loss(x, t, train_flg=True) は、同じマスクの学習時のスコアの交差エントロピー
        # (第 2 章の交差エントロピー誤差と同じく、log の中に eps = 1e-7 を足したバッチの平均)
        with test.property("学習時の loss (train_flg=True) は、そのマスクのスコアの交差エントロピー誤差"):
            scores = DropoutTwoLayerNet(params, dropout_ratio=0.5, seed=1).predict(x_batch, train_flg=True)
            probabilities = np.exp(scores - scores.max(axis=1, keepdims=True))
            probabilities /= probabilities.sum(axis=1, keepdims=True)
            check_scalar(
                DropoutTwoLayerNet(params, dropout_ratio=0.5, seed=1).loss(x_batch, t_batch, train_flg=True),
                -np.mean(np.log(probabilities[np.arange(len(t_batch)), t_batch] + 1e-7)),
                "loss(x, t, train_flg=True) (同じ seed のネットワークの 1 回目のマスク)",
                rtol=1e-7,
            )
    print("公開テスト: OK")

# %% [markdown]
# 実験のネットワーク `DropoutNet` は、演習 2 の考え方を隠れ層がいくつあっても使えるようにしたものです。隠れ層ごとに
# Affine → ReLU → Dropout を並べ、最後に Affine と Softmax-with-Loss を置きます。`train_flg` の受け渡しは演習 2 と同じです。
#
# - `predict(x, train_flg)`: Dropout レイヤにだけ `train_flg` を渡します。正解率や損失を **測る** ときは `train_flg=False` (推論)。
# - `gradient(x, t)`: 学習のための順伝播なので学習時のモードで計算し、そのマスクのまま逆順に `backward` します。
# - `evaluate(network, x, t)`: 各エポックの後に、推論モードで正解率と損失を測ります。学習と同じく 50 枚ずつに分けて計算します
#   (`predict_in_batches`)。
#
# 重みの初期値には He の初期値 (標準偏差 $\sqrt{2 / n_\text{in}}$、$n_\text{in}$ は前の層のユニット数。第 9 章で詳しく扱います) を使います。
# 重みもマスクも同じシードの `Generator` から引くので、ドロップアウトのあり・なしで重みの初期値は同じです。
# 更新には第 6 章の Momentum ($\boldsymbol{v} \leftarrow 0.9\, \boldsymbol{v} - \eta\, \partial L / \partial \boldsymbol{W}$、
# $\boldsymbol{W} \leftarrow \boldsymbol{W} + \boldsymbol{v}$、学習率 $\eta = 0.01$) を使います。


# %%
class DropoutNet:
    """隠れ層ごとに Affine → ReLU → [Dropout]、最後に Affine → SoftmaxWithLoss。

    sizes: [D, H1, ..., HL, C]。dropout_ratio が 0 なら Dropout レイヤを置かない。重み (He の初期値) と
    ドロップアウトのマスクは np.random.default_rng(seed) から引く。
    """

    def __init__(self, sizes, dropout_ratio=0.0, seed=0):
        rng = np.random.default_rng(seed)
        self.params = {}
        self.layers = []
        for i in range(1, len(sizes)):
            self.params[f"W{i}"] = rng.standard_normal((sizes[i - 1], sizes[i])) * np.sqrt(2.0 / sizes[i - 1])
            self.params[f"b{i}"] = np.zeros(sizes[i])
            self.layers.append(Affine(self.params[f"W{i}"], self.params[f"b{i}"]))
            if i < len(sizes) - 1:  # 隠れ層
                self.layers.append(Relu())
                if dropout_ratio > 0:
                    self.layers.append(Dropout(dropout_ratio, rng=rng))
        self.affine_layers = [layer for layer in self.layers if isinstance(layer, Affine)]
        self.output_layer = SoftmaxWithLoss()

    def predict(self, x, train_flg=False):
        for layer in self.layers:
            x = layer.forward(x, train_flg) if isinstance(layer, Dropout) else layer.forward(x)
        return x

    def loss(self, x, t, train_flg=False):
        scores = self.predict(x, train_flg)
        return self.output_layer.forward(scores, t)

    def gradient(self, x, t):
        self.loss(x, t, True)  # 学習時のモード: 新しいマスクを引き、backward のために保存される
        dout = self.output_layer.backward()
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        grads = {}
        for i, affine in enumerate(self.affine_layers, start=1):
            grads[f"W{i}"], grads[f"b{i}"] = affine.dW, affine.db
        return grads


def predict_in_batches(network, x, train_flg=False, batch_size=50):
    """x のすべての行のスコア。学習のミニバッチと同じく batch_size 行ずつ計算する。"""
    return np.concatenate([network.predict(x[i : i + batch_size], train_flg) for i in range(0, len(x), batch_size)])


def evaluate(network, x, t):
    """推論時のモードでの正解率と交差エントロピーの平均。"""
    scores = predict_in_batches(network, x)
    return float(np.mean(scores.argmax(axis=1) == t)), network.output_layer.forward(scores, t)


def train(
    network, x_train, t_train, x_test, t_test, epochs=100, batch_size=50, lr=0.01, momentum=0.9, seed=0, record=True
):
    """Momentum SGD で学習し、各エポックの後の正解率と損失 (推論時のモード) を返す (record が False なら記録しない)。"""
    rng = np.random.default_rng(seed)
    velocity = {key: np.zeros_like(value) for key, value in network.params.items()}
    history = {"train_acc": [], "test_acc": [], "train_loss": [], "test_loss": []}
    for _ in range(epochs):
        order = rng.permutation(len(x_train))
        for start in range(0, len(x_train), batch_size):
            index = order[start : start + batch_size]
            grads = network.gradient(x_train[index], t_train[index])
            for key in network.params:
                velocity[key] *= momentum
                velocity[key] -= lr * grads[key]
                network.params[key] += velocity[key]  # その場で更新: レイヤが同じ配列を持っている
        for part in ("train", "test") if record else ():
            x, t = (x_train, t_train) if part == "train" else (x_test, t_test)
            accuracy, loss = evaluate(network, x, t)
            history[f"{part}_acc"].append(accuracy)
            history[f"{part}_loss"].append(loss)
    return history


# %%
(x_train_all, t_train_all), (x_test, t_test) = load_digits()
x_small, t_small = x_train_all[:200], t_train_all[:200]
layer_sizes = [64, 100, 100, 100, 100, 10]

dropout_ratio = 0.3  # 0.5 や 0.7 も試してみてください
plain_net = DropoutNet(layer_sizes, dropout_ratio=0.0, seed=0)
dropout_net = DropoutNet(layer_sizes, dropout_ratio=dropout_ratio, seed=0)
histories = {
    "ドロップアウトなし": train(plain_net, x_small, t_small, x_test, t_test),
    f"ドロップアウトあり (p = {dropout_ratio})": train(dropout_net, x_small, t_small, x_test, t_test),
}
for name, history in histories.items():
    gap = history["train_acc"][-1] - history["test_acc"][-1]
    print(
        f"{name}: 訓練正解率 {history['train_acc'][-1]:.3f}、テスト正解率 {history['test_acc'][-1]:.3f} (差 {gap:.3f})、"
        f"テスト損失 {history['test_loss'][-1]:.3f} (最小 {min(history['test_loss']):.3f})"
    )

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained")
epochs_axis = np.arange(1, len(histories["ドロップアウトなし"]["test_acc"]) + 1)
for color, (name, history) in zip(["C3", "C0"], histories.items()):
    axes[0].plot(epochs_axis, history["train_acc"], color=color, ls="--", label=f"{name}: 訓練")
    axes[0].plot(epochs_axis, history["test_acc"], color=color, label=f"{name}: テスト")
    axes[1].plot(epochs_axis, history["train_loss"], color=color, ls="--", label=f"{name}: 訓練")
    axes[1].plot(epochs_axis, history["test_loss"], color=color, label=f"{name}: テスト")
axes[0].set_ylim(0.8, 1.005)
axes[0].set_ylabel("正解率")
axes[0].set_title("正解率 (訓練データ 200 枚、隠れ層 4 つ)")
axes[1].set_ylim(0, 1.2)
axes[1].set_ylabel("交差エントロピー誤差")
axes[1].set_title("損失 (推論モードで測定)")
for axis in axes:
    axis.set_xlabel("エポック")
    axis.grid(True, alpha=0.3)
    axis.legend(fontsize=8)
plt.show()

# %% [markdown]
# 図から読み取れることをまとめます。
#
# - **ドロップアウトなし** (赤): 訓練正解率は 20 エポックほどで 1.0 になり、訓練損失は 0 に向かって下がり続けます。一方でテスト損失は途中から
#   **上がり** 始めます。訓練データの細部 (雑音) まで覚え込み、テストデータの一部に自信満々で間違えるようになった、過学習の典型的な姿です。
#   訓練データを覚え終えると勾配がほとんど 0 になるので、テスト正解率もそこで止まってしまいます。
# - **ドロップアウトあり** (青): 訓練損失の下がり方は緩やかで (学習時にユニットが消されるので、丸暗記しにくい)、
#   テスト損失は上がらずに下がり続け、最後はドロップアウトなしより低くなります。訓練とテストの正解率の差
#   (汎化ギャップ (generalization gap)) も縮んでいます。その代わり学習はゆっくり進むので、より多くのエポックが必要です。
#
# テスト正解率も、上の出力ではドロップアウトありのほうが高くなっています。ただしこれは **1 つのシード** (重みの初期値、マスク、
# ミニバッチの順番を決める乱数) での結果です。差が 1 ポイントに満たないときは、シードを変えると順位が入れ替わるかもしれません。
# シードを 5 つに増やして、差がシードによるばらつきより大きいかを確かめます (学習の途中の評価は省くので、1 回あたり 0.5 秒ほどです)。

# %%
seeds = [0, 1, 2, 3, 4]  # シード 0 は上の実行
final_accuracy = {0.0: [histories["ドロップアウトなし"]["test_acc"][-1]]}
final_accuracy[dropout_ratio] = [histories[f"ドロップアウトあり (p = {dropout_ratio})"]["test_acc"][-1]]
for seed in seeds[1:]:
    for ratio, accuracies in final_accuracy.items():
        network = DropoutNet(layer_sizes, dropout_ratio=ratio, seed=seed)
        train(network, x_small, t_small, x_test, t_test, seed=seed, record=False)
        accuracies.append(evaluate(network, x_test, t_test)[0])
for ratio, accuracies in final_accuracy.items():
    name = "ドロップアウトなし" if ratio == 0 else f"ドロップアウトあり (p = {ratio})"
    print(
        f"{name}: テスト正解率 {np.round(accuracies, 3)}、"
        f"平均 {np.mean(accuracies):.3f} ± {np.std(accuracies, ddof=1):.3f} (標本標準偏差)"
    )
gain = np.array(final_accuracy[dropout_ratio]) - np.array(final_accuracy[0.0])
print(f"シードごとの差 (あり − なし): {np.round(gain, 3)}、平均 {gain.mean():+.3f}")
print(f"ドロップアウトありのほうが高かったシード: {np.sum(gain > 0)} / {len(seeds)}")

# %% [markdown]
# 5 つのシードの平均では、ドロップアウトありのほうが 0.007 ほど高くなりました。しかし、同じ設定でもシードだけで正解率は
# 標準偏差 0.008〜0.009 ほどばらつき、差の大きさはこのばらつきと同じ程度です。ドロップアウトのほうが低いシードもあります。
# この実験から言えるのは「テスト正解率は少し上がる傾向があるが、その大きさはシードに左右され、5 回の試行では
# はっきりした改善とは言えない」までです。1 回の実験の差を、そのまま手法の効果と読まないようにしましょう。
# 効果がもっとはっきり見えるのは、図のテスト損失 (過学習で上がるかどうか) と汎化ギャップのほうです。
#
# digits は比較的やさしいデータなので、正解率の差は小さくなります。データが少なく、ネットワークが大きいほど、
# ドロップアウトの効果ははっきり出ます。逆に $p$ を大きくしすぎると、学習時のネットワークが小さくなりすぎて訓練データにも
# 合わなくなります (未学習 (underfitting))。たとえば上のセルの `dropout_ratio` を 0.5 や 0.7 にして試してみてください。
# $p$ はハイパーパラメータ (hyperparameter) なので、テストデータではなく検証データ (validation data) で選びます。
#
# **PyTorch では**: `model.train()` と `model.eval()` が `train_flg` の切り替えに当たります。推論の前に `model.eval()` を呼び忘れると、
# ドロップアウトが効いたまま予測することになり、同じ入力でも毎回結果が変わってしまいます。よくある誤りです。

# %% [markdown]
# ## 8.5 アンサンブル学習としての解釈
#
# **アンサンブル学習** (モデル平均 (model averaging)): 別々に学習した複数のネットワークに同じ入力を与え、その出力を平均すると、
# 1 つのネットワークよりも精度が上がることが知られています。ネットワークごとの誤りの一部が平均で打ち消し合うからです。
# ただし、$K$ 個のネットワークを使うと、学習も推論も $K$ 倍の計算が必要です。
#
# **ドロップアウトは巨大なアンサンブル**: マスクを 1 つ決めると、消されずに残ったユニットだけからなる「部分ネットワーク」が 1 つ決まります。
# 消せるユニットが $n$ 個あれば、部分ネットワークは $2^n$ 通りあります。上の実験のネットワークでは $n = 400$ なので、
# $2^{400} \approx 10^{120}$ 通りです。学習の 1 回ごと (サンプルごと) に、その中から 1 つがランダムに選ばれて 1 歩だけ学習されます。
# 部分ネットワークどうしは重みを共有している (同じ $W$ の一部を使う) ので、ほとんどの部分ネットワークは一度も直接学習されませんが、
# どれもそれなりの予測ができるようになります。また、あるユニットは「ほかの特定のユニットがいるはず」と当てにできないので、
# それぞれのユニットが単独でも役に立つ特徴を学ぶようになります (共適応 (co-adaptation) を防ぐ、と表現されます)。
#
# **推論時の 1 回の計算は、アンサンブルの平均の近似**: 本来のアンサンブルの予測は、部分ネットワークの予測の平均です。
# $2^{400}$ 個の平均は計算できませんが、8.2 節で見たように、推論時の計算 (方式 B ならマスクなし) は、各層の入力を
# マスクについての期待値に置き換えたものです。Affine のような線形の部分では期待値は正確に一致し、ReLU やソフトマックスのような
# 非線形の部分では近似になります。どんな「平均」に近いのかについては、次のことが知られています (Srivastava et al. 2014)。
# ソフトマックス回帰 (softmax regression) のような 1 層のモデルでは、推論時の出力は、部分モデルの予測確率の
# **正規化した幾何平均** (normalized geometric mean) に正確に一致します。幾何平均とは、確率の対数を平均してから戻したものです。
#
# $$
# \bar{y}_k = \frac{\exp\bigl(\frac{1}{K} \sum_{m=1}^{K} \log y^{(m)}_k\bigr)}{\sum_{c} \exp\bigl(\frac{1}{K} \sum_{m=1}^{K} \log y^{(m)}_c\bigr)}
# \qquad (y^{(m)} \text{ は } m \text{ 番目の部分ネットワークの予測確率})
# $$
#
# 深いネットワークでは厳密には成り立ちませんが、よい近似になることが経験的に知られています。つまりドロップアウトは、
# **1 つのネットワークの学習と 1 回の推論で、アンサンブルに近い効果を得る** 方法だと解釈できます。
#
# 実際に確かめてみましょう。学習済みのドロップアウトありのネットワークで、マスクを $K$ 回引いて (`train_flg=True`) $K$ 個の部分ネットワークの
# 予測確率を集め、ふつうの平均 (算術平均 (arithmetic mean)) と幾何平均の 2 通りでアンサンブルを作って、推論時の 1 回の計算
# (`train_flg=False`) と比べます。確率の対数は、ソフトマックスを通してから `np.log` をとるとアンダーフローで $\log 0$ になりうるので、
# スコアから直接 $\log y_k = s_k - \log \sum_c e^{s_c}$ で計算します。


# %%
def log_softmax(scores):
    """行ごとの log(softmax(scores))。アンダーフローした 0 の log をとらずに計算する。"""
    shifted = scores - scores.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def mean_total_variation(p, q):
    """行どうしの全変動距離 ½ Σ_k |p_k − q_k| の、行についての平均。"""
    return float(0.5 * np.abs(p - q).sum(axis=1).mean())


probabilities_inference = softmax(predict_in_batches(dropout_net, x_test, train_flg=False))
accuracy_inference = np.mean(probabilities_inference.argmax(axis=1) == t_test)

ensemble_sizes = [1, 2, 4, 8, 16, 32, 64, 128]
probability_sum = np.zeros_like(probabilities_inference)
log_probability_sum = np.zeros_like(probabilities_inference)
results = {"算術平均": ([], []), "幾何平均": ([], [])}  # 名前 -> (テスト正解率、推論時との距離)
drawn = 0
for K in ensemble_sizes:
    while drawn < K:  # 部分ネットワークを 1 つ追加: すべての Dropout レイヤで新しいマスク
        log_probabilities = log_softmax(predict_in_batches(dropout_net, x_test, train_flg=True))
        probability_sum += np.exp(log_probabilities)
        log_probability_sum += log_probabilities
        drawn += 1
    ensembles = {"算術平均": probability_sum / K, "幾何平均": softmax(log_probability_sum / K)}
    for name, probabilities in ensembles.items():
        results[name][0].append(np.mean(probabilities.argmax(axis=1) == t_test))
        results[name][1].append(mean_total_variation(probabilities, probabilities_inference))

fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), layout="constrained")
for name, (accuracies, distances) in results.items():
    axes[0].plot(ensemble_sizes, accuracies, "o-", label=f"$K$ 個の部分ネットワークの{name}")
    axes[1].plot(ensemble_sizes, distances, "o-", label=f"{name}と推論時の確率の距離")
axes[0].axhline(accuracy_inference, color="k", ls="--", label="推論時の 1 回の計算 (train_flg=False)")
axes[0].axhline(
    histories["ドロップアウトなし"]["test_acc"][-1], color="C3", ls=":", label="ドロップアウトなしのネットワーク"
)
axes[0].set_ylabel("テスト正解率")
axes[0].set_title("平均する部分ネットワークの数と正解率")
axes[1].set_ylim(0, None)
axes[1].set_ylabel("全変動距離 (テストデータの平均)")
axes[1].set_title("推論時の予測確率との距離")
for axis in axes:
    axis.set_xscale("log", base=2)
    axis.set_xlabel("平均した部分ネットワークの数 $K$ (対数目盛)")
    axis.grid(True, alpha=0.3)
    axis.legend(fontsize=8)
plt.show()
print(f"推論時の 1 回の計算: テスト正解率 {accuracy_inference:.3f}")
for name, (accuracies, distances) in results.items():
    print(
        f"{name}: K = 1 の正解率 {accuracies[0]:.3f}、K = {ensemble_sizes[-1]} の正解率 {accuracies[-1]:.3f}、距離 {distances[-1]:.3f}"
    )

# %% [markdown]
# 読み取れることをまとめます (距離は全変動距離 (total variation distance) $\frac{1}{2}\sum_k |p_k - q_k|$ で、0 なら同じ分布、1 が最大です)。
#
# - **部分ネットワーク 1 個** (マスクを 1 回引いただけ) の予測は、推論時の計算より正解率が低くなります。推論時にドロップアウトを切らずに
#   予測すると、このランダムな 1 個で予測することになります。
# - $K$ を増やすと、どちらの平均も正解率が上がり、推論時の 1 回の計算と同じくらいになります。推論時の計算は、何十個もの部分ネットワークの
#   平均とほぼ同じ予測を、1 回分の計算で出しています。
# - 予測確率そのものを比べると、**幾何平均** は $K$ とともに推論時の確率にどんどん近づくのに対し、算術平均はある距離で止まります。
#   推論時の計算が近似しているのは幾何平均のほうだ、という上の説明のとおりです。
#
# なお、推論時にもあえてドロップアウトを効かせたまま何度も予測し、そのばらつきを予測の不確かさの目安に使う方法もあります。
# 8.7 節で扱います。

# %% [answer] id=dropout_ensemble points=2
# **問**: 入力が 2 つ、クラスが 2 つのソフトマックス回帰 (1 層、スコア $s = \tilde{x} W$、$W$ は単位行列、バイアスなし) の
# **入力** に Dropout (方式 B、$p = 0.5$) を掛けたモデルを考えます。入力は $x = (1, 2)$ です。
# (1) 部分ネットワーク (マスク) は何通りありますか。それぞれのスコア $s$ を書き、その平均が推論時のスコアに等しいことを確かめてください。
# (2) 各部分ネットワークがクラス 2 に付ける確率の算術平均と、推論時の確率 $\mathrm{softmax}(s)_2$ を計算して比べてください。
# 推論時の確率は、部分ネットワークの確率のどんな平均になっていますか。
#
# **模範解答**: (1) マスクは $(0, 0), (1, 0), (0, 1), (1, 1)$ の 4 通り。残した入力は $1/(1 - p) = 2$ 倍されるので、$\tilde{x}$ とスコアは
# $(0, 0), (2, 0), (0, 4), (2, 4)$。平均は $(1, 2)$ で、推論時 (マスクなし) のスコア $x W = (1, 2)$ に等しい (スコアは入力について線形なので、
# 平均と推論時が正確に一致する)。
# (2) クラス 2 の確率は $\sigma(s_2 - s_1)$ なので、4 つの部分ネットワークで $0.5,\ \sigma(-2) \approx 0.119,\ \sigma(4) \approx 0.982,\ \sigma(2) \approx 0.881$。
# 算術平均は $\approx 0.621$。推論時は $\sigma(2 - 1) = \sigma(1) \approx 0.731$ で、算術平均とは違う。推論時の確率は、部分ネットワークの確率の
# **正規化した幾何平均** になっている: $\log y_k = s_k - \log \sum_c e^{s_c}$ の平均をとると、第 2 項はクラスによらないので正規化で消え、
# $\mathrm{softmax}(\text{スコアの平均}) = \mathrm{softmax}(1, 2)$ が残る (1 層のモデルでは正確に一致する)。
#
# (採点の目安: (1) 4 通りのスコアと、その平均 $(1, 2)$ が推論時のスコアに等しいことを示している (1 点)、
# (2) 算術平均 ≈ 0.62 と推論時 ≈ 0.73 が違うこと、推論時の確率が (正規化した) 幾何平均であることを述べている (1 点。
# 幾何平均だと述べて、理由 (対数の平均で正規化の項が消える) がなければ 0.5 点)。)

# %% [markdown]
# ## 8.6 もう 1 つの流儀: 推論時にスケールするドロップアウト
#
# 8.2 節の **方式 A** (元の論文と『ゼロから作るDeep Learning』の流儀) も実装しておきましょう。論文や古いコードを読むとき、
# 学習済みの重みを別の流儀のコードに移すときに、どちらの流儀なのかを見分けられるようにするためです。
# 入力 $X$ とマスク $R$ (同じ形状、成分は 0 か 1、各成分は確率 $1 - p$ で 1) に対して
#
# $$
# \text{学習時: } Y = X \odot R, \qquad \text{推論時: } Y = (1 - p)\, X
# $$
#
# です。学習時は消すだけで大きさを変えず、推論時に残す確率 $1 - p$ を掛けて、学習時の出力の期待値 $\mathbb{E}[R]\, X = (1 - p)\, X$ にそろえます。
#
# **逆伝播**: 学習時の式の微分は $\partial y_{ij} / \partial x_{ij} = r_{ij}$ なので
#
# $$
# \frac{\partial L}{\partial X} = \frac{\partial L}{\partial Y} \odot R
# $$
#
# です。演習 1 と違って $1/(1 - p)$ は掛かりません。推論時の $1 - p$ も、逆伝播には出てきません (逆伝播するのは学習時の計算だけです)。
# マスクは演習 1 と同じく、学習時の `forward` で引いて `self.mask` に保存し、`backward` でそれを使います。
# 推論時の `forward` はマスクに触れません (乱数も引かず、`self.mask` も変えません)。
#
# **採点のための約束**: 演習 1 と同じく、決まった乱数列との一致ではなく、どんな正しいマスクでも成り立つ次の性質を確かめます。
#
# - 学習時の出力の各成分は 0 か $x$ そのもの (スケールしない)。大きな入力では、消える割合が $p$ に近い。サンプルごと・ユニットごとに別々に消す。
# - 推論時の出力は $(1 - p)\, x$。
# - `backward` は、最後の学習時の `forward` のマスクを使う (残したユニットでは `dout` そのもの、消したユニットでは 0)。
#   間に推論時の `forward` をはさんでも、マスクは変わらない。
# - 引数の `x` は書き換えない。
#
# `dropout_ratio` の範囲の検査はしなくてかまいません (演習 1 で扱いました)。
#
# ### 演習 3: 推論時にスケールする `DropoutScaleAtInference` レイヤ


# %% [solution] id=dropout_scale_at_inference
class DropoutScaleAtInference:
    """方式 A (元の論文と教科書の流儀) のドロップアウトレイヤ。dropout_ratio はユニットを消す確率 p (0 <= p < 1)。

    forward(x, train_flg=True): x は任意の形状の配列。戻り値は x と同じ形状。
        学習時 (train_flg=True): 各ユニットを確率 1 − p で残すマスク (x と同じ形状、True が残すユニット) を
            self.rng から呼び出しごとに新しく引いて self.mask に保存し、残したユニットでは x そのもの (スケールしない)、
            消したユニットでは 0 を返す。
        推論時 (train_flg=False): すべてのユニットを (1 − p) 倍した値を返す (乱数は引かず、self.mask も変えない)。
    backward(dout): 残したユニットでは dout そのもの、消したユニットでは 0 を返す (最後の学習時の forward のマスク)。
    """

    def __init__(self, dropout_ratio=0.5, rng=None):
        """self.dropout_ratio、self.rng、self.mask (None) を用意する (dropout_ratio の範囲は検査しなくてよい)。

        rng: マスクを引く np.random.Generator。None なら np.random.default_rng() (シードなし) で作ったものを使う。
        """
        # ヒント: hint("DropoutScaleAtInference.__init__")
        # @reference DropoutScaleAtInference.__init__

    def forward(self, x, train_flg=True):
        """学習時はマスクを引いて self.mask に保存し、消したユニットだけを 0 にした新しい配列を返す。
        推論時は (1 − p) 倍した新しい配列を返す。引数の x は書き換えない。"""
        # ヒント: hint("DropoutScaleAtInference.forward")
        # @reference DropoutScaleAtInference.forward

    def backward(self, dout):
        """dout: ∂L/∂y (最後の学習時の forward の出力と同じ形状)。戻り値: ∂L/∂x (dout と同じ形状)。
        最後の学習時の forward で保存した self.mask を使い、乱数は引かない。"""
        # ヒント: hint("DropoutScaleAtInference.backward")
        # @reference DropoutScaleAtInference.backward


# %% [markdown]
# テストでは、`x` を 1 から 12 の値、`dout` をすべて 3 にします。$p = 0.25$ なら、学習時の出力は 0 か $x$、推論時の出力は $0.75\, x$、
# 残したユニットの勾配は 3、消したユニットの勾配は 0 になるはずです。消える割合は 10 万ユニットの入力で確かめます。
# 消えるユニットの数は二項分布 (binomial distribution) に従うので、割合の標準誤差は $\sqrt{p(1 - p)/n}$ です。


# %% [tests] id=test_dropout_scale_at_inference points=2 hidden=dropout_scale_at_inference
def public_test_dropout_scale_at_inference():
    """演習 3 の公開テスト。"""
    # x は 0 を含まないので、出力からマスクが読める
    x = np.arange(1.0, 13.0).reshape(3, 4)
    x_before = x.copy()
    dout = np.full((3, 4), 3.0)
    with Properties() as test:
        training = "学習時の forward の値 (p = 0.25、形状 (3, 4) と (1, 4))"
        with test.property(training):
            layer = DropoutScaleAtInference(0.25, rng=np.random.default_rng(0))
            # 学習時: 各成分は 0 (消したユニット) か x そのもの (残したユニット)
            where = "1 回目の forward (学習時、p = 0.25)"
            kept = dropout_checks.check_unscaled_training_output(layer.forward(x), x, 0.25, where)
            # バッチサイズ 1 (x の 1 行目だけ、別のレイヤ) でも同じ
            dropout_checks.check_unscaled_training_output(
                DropoutScaleAtInference(0.25, rng=np.random.default_rng(2)).forward(x[:1]),
                x[:1],
                0.25,
                "形状 (1, 4) の入力の forward (学習時、p = 0.25)",
            )
        # 推論時: (1 − 0.25) x = 0.75 x
        with test.property("推論時 (train_flg=False) の forward は (1 − p) 倍した値", needs=[training]):
            dropout_checks.check_scaled_inference(
                layer.forward(x, train_flg=False), x, 0.25, "推論時の forward (train_flg=False)"
            )
        with test.property("backward は最後の学習時の forward のマスクを使う (推論をはさんでも)", needs=[training]):
            # 推論をはさんでも、backward は学習時の forward のマスクを使う: 残したユニットは 3、消したユニットは 0
            where = "学習時の forward と推論時の forward の後の backward"
            dropout_checks.check_unscaled_backward(layer.backward(dout), dout, 0.25, kept, None, where)
            # forward をもう一度呼ぶとマスクが替わり、backward は新しいマスクを使う (200 ユニットなら 2 つのマスクはまず違う)
            x_large, dout_large = np.arange(1.0, 201.0).reshape(20, 10), np.full((20, 10), 3.0)
            kept_first = dropout_checks.check_unscaled_training_output(
                layer.forward(x_large), x_large, 0.25, "2 回目の forward"
            )
            kept_second = dropout_checks.check_unscaled_training_output(
                layer.forward(x_large), x_large, 0.25, "3 回目の forward"
            )
            dropout_checks.check_different_masks(
                kept_first, kept_second, "2 回目と 3 回目の forward", dropout_checks.NEW_DRAW_HINT
            )
            where = "3 回目の forward の後の backward"
            dropout_checks.check_unscaled_backward(
                layer.backward(dout_large), dout_large, 0.25, kept_second, kept_first, where
            )
        with test.property("引数の x を書き換えない"):
            layer_unchanged = DropoutScaleAtInference(0.25, rng=np.random.default_rng(0))
            layer_unchanged.forward(x)
            check_true(
                np.array_equal(x, x_before),
                "学習時の forward が引数の x を書き換えています。新しい配列を返してください。",
            )
            layer_unchanged.forward(x, train_flg=False)
            check_true(
                np.array_equal(x, x_before),
                "推論時の forward が引数の x を書き換えています。新しい配列を返してください。",
            )
        # 10 万ユニットの入力: 消える割合は p = 0.3 に近い (標準誤差 √(0.3 · 0.7 / 10⁵) ≈ 0.0014、許容はその 5 倍)。
        # サンプルごとに別のマスクで消す
        with test.property("消えるユニットの割合が p に近い (p = 0.3、形状 (1000, 100) の入力)"):
            big = np.ones((1000, 100))
            where = "p = 0.3、形状 (1000, 100) の forward"
            big_kept = dropout_checks.check_unscaled_training_output(
                DropoutScaleAtInference(0.3, rng=np.random.default_rng(1)).forward(big), big, 0.3, where
            )
            dropout_checks.check_dropped_fraction(big_kept, 0.3, where)
        # 乱数は self.rng からだけ引く: 同じシードなら同じマスク、違うシードなら違うマスク (演習 1 と同じ)
        with test.property("乱数は self.rng からだけ引く (同じシードなら同じマスク、違うシードなら違うマスク)"):
            masks = [
                DropoutScaleAtInference(0.5, rng=np.random.default_rng(seed)).forward(big) != 0 for seed in (2, 2, 3)
            ]
            seed_hint = dropout_checks.SAME_SEED_HINT
            dropout_checks.check_equal_masks(masks[0], masks[1], "シード 2 のレイヤ 2 つの 1 回目の forward", seed_hint)
            dropout_checks.check_different_masks(masks[0], masks[2], "シード 2 と 3 のレイヤの forward", seed_hint)


public_test_dropout_scale_at_inference()
print("公開テスト: OK")

# %% [markdown]
# 最後に、方式 A の学習時の出力を何回も引いて平均すると推論時の出力に近づくことを、あなたの実装で確かめておきましょう
# (8.2 節の図の方式 A と同じことを、レイヤとして確かめます)。

# %%
p_a = 0.3
layer_a = DropoutScaleAtInference(p_a, rng=np.random.default_rng(3))
x_units = np.array([[1.0, -2.0, 0.5]])
num_masks = 10_000
training_mean = np.mean([layer_a.forward(x_units) for _ in range(num_masks)], axis=0)
inference_output = layer_a.forward(x_units, train_flg=False)
print(f"学習時の出力の平均 ({num_masks} 回): {training_mean[0]}")
print(f"推論時の出力:                 {inference_output[0]}")
# 各成分の平均の標準誤差は |x|·√(p(1 − p)/num_masks) (ベルヌーイ分布の平均の x 倍)
standard_error = np.abs(x_units) * np.sqrt(p_a * (1 - p_a) / num_masks)
print("差は標準誤差の 5 倍以内か:", np.all(np.abs(training_mean - inference_output) <= 5 * standard_error))

# %% [markdown]
# ## 8.7 モンテカルロ・ドロップアウト (Monte Carlo dropout)
#
# ここまでは「推論時はドロップアウトを切る」のが決まりでした。Gal & Ghahramani (2016) は、あえて **推論時にもドロップアウトを効かせたまま**
# 同じ入力を $T$ 回予測し、その結果を使う方法を提案しました。これをモンテカルロ・ドロップアウト (Monte Carlo dropout、MC ドロップアウト) と呼びます。
#
# - **予測**: $T$ 回の予測確率の平均 $\bar{y} = \frac{1}{T} \sum_{t=1}^{T} y^{(t)}$ を使います。8.5 節の「部分ネットワークの算術平均」と同じものです。
# - **不確かさの目安**: $T$ 回の予測がどれだけばらつくかを見ます。ここでは、平均で選んだクラスの確率の $T$ 回の標準偏差を「ばらつき」とします。
#   マスクが変わるたびに答えが揺れる入力は、ネットワークが自信を持てていない入力だと考えます。
#
# Gal & Ghahramani は、ドロップアウトで学習したネットワークをベイズ推論 (Bayesian inference) の近似と見なせることを示し、このばらつきを
# モデルの不確かさ (重みについての不確かさ) の近似と解釈しました。ただし近似の質は $p$ やネットワークの構造に左右されるので、
# ばらつきは **おおまかな** 目安と考えてください。
#
# 8.4 節で学習したドロップアウトありのネットワーク ($p = 0.3$) で、テストデータ全体を $T = 50$ 回予測してみます (ネットワークの
# `predict` に `train_flg=True` を渡すだけです)。推論時の 1 回の計算と比べ、さらに、間違えた画像のほうがばらつきが大きいかを調べます。

# %%
num_passes = 50  # T
probabilities_mc = np.stack(
    [softmax(predict_in_batches(dropout_net, x_test, train_flg=True)) for _ in range(num_passes)]
)  # 形状 (T, テスト画像の枚数, 10)
mc_mean = probabilities_mc.mean(axis=0)
mc_prediction = mc_mean.argmax(axis=1)
deterministic_prediction = probabilities_inference.argmax(axis=1)
image_index = np.arange(len(t_test))
spread = probabilities_mc[:, image_index, mc_prediction].std(axis=0)  # 画像ごとの、T 回の標準偏差
wrong = mc_prediction != t_test

print(f"推論時の 1 回の計算 (train_flg=False): テスト正解率 {np.mean(deterministic_prediction == t_test):.3f}")
print(f"MC ドロップアウト ({num_passes} 回の平均):      テスト正解率 {np.mean(mc_prediction == t_test):.3f}")
print(f"2 つの予測クラスが一致した画像の割合: {np.mean(mc_prediction == deterministic_prediction):.3f}")
print(
    f"ばらつき (予測クラスの確率の標準偏差) の平均: 正解した画像 ({np.sum(~wrong)} 枚) {spread[~wrong].mean():.3f}、"
    f"間違えた画像 ({np.sum(wrong)} 枚) {spread[wrong].mean():.3f}"
)
# ばらつきの大きい 1 割の画像と、比較のために、推論時の 1 回の計算で予測クラスの確率が低い 1 割の画像
# (乱数を使わない自信の目安) を選び、それぞれの予測の誤りの割合を求める
top = len(t_test) // 10
by_spread = np.argsort(-spread)[:top]
by_low_confidence = np.argsort(probabilities_inference.max(axis=1))[:top]
wrong_deterministic = deterministic_prediction != t_test
print(f"誤りの割合: MC ドロップアウト {wrong.mean():.3f}、推論時の 1 回の計算 {wrong_deterministic.mean():.3f}")
print(f"ばらつきの大きい {top} 枚の中の、MC ドロップアウトの誤りの割合: {wrong[by_spread].mean():.3f}")
print(
    f"推論時の 1 回の確率が低い {top} 枚の中の、推論時の 1 回の計算の誤りの割合 (比較): "
    f"{wrong_deterministic[by_low_confidence].mean():.3f}"
)

fig, ax = plt.subplots(figsize=(7, 4))
bins = np.linspace(0, spread.max(), 21)
ax.hist(spread[~wrong], bins=bins, density=True, alpha=0.6, color="C0", label="正解した画像")
ax.hist(spread[wrong], bins=bins, density=True, alpha=0.6, color="C3", label="間違えた画像")
ax.set_xlabel(f"{num_passes} 回の予測のばらつき (予測クラスの確率の標準偏差)")
ax.set_ylabel("密度")
ax.set_title("MC ドロップアウトのばらつき: 正解した画像と間違えた画像")
ax.legend()
plt.show()

# %% [markdown]
# 上の出力から読み取れることをまとめます。
#
# - **予測**: MC ドロップアウトの平均の予測は、推論時の 1 回の計算とほとんどの画像で同じクラスになり、正解率もほぼ同じです。
#   8.5 節で見たとおり、推論時の 1 回の計算は部分ネットワークの平均のよい近似なので、予測そのものは大きくは変わりません。
#   代わりに計算は $T$ 倍かかります。
# - **ばらつき**: 間違えた画像のほうが、ばらつきの平均が大きくなっています。ばらつきの大きい画像を 1 割選ぶと、その中の誤りの割合は
#   全体の誤りの割合よりずっと高くなります。「ばらつきが大きい予測は疑ってかかる」という使い方ができます。
# - **ただし**: 比較のために、推論時の 1 回の計算で予測クラスの確率が低い画像を 1 割選ぶと、その中の誤りの割合は、ばらつきで選んだときより
#   むしろ高くなっています。このデータ (訓練データと同じ種類のテスト画像) では、MC ドロップアウトのばらつきは、1 回の計算の確率の値より
#   優れた目安にはなっていません。MC ドロップアウトのばらつきが役に立つとよく言われるのは、訓練データと種類の違う入力
#   (分布外 (out-of-distribution) の入力) などですが、この章の実験では確かめていません。


# %% [answer] id=dropout_mc_conventions points=2
# **問**: 8.6 節の方式 A のレイヤ ($p = 0.5$) を隠れ層に使って学習したネットワークで、MC ドロップアウト ($T$ 回の予測の平均とばらつき) をします。
# (1) $T$ 回の予測で、Dropout レイヤの `forward` にはどちらの `train_flg` を渡しますか。もう一方を渡して $T$ 回予測すると、
# 平均とばらつきはどうなりますか。
# (2) 同じネットワークを 8.2 節の付け替え ($W_B = (1 - p)\, W_A$、バイアスはそのまま) で方式 B に移し、方式 A のときと同じマスクの列で
# MC ドロップアウトをしました。$T$ 回の予測の平均とばらつきは、方式 A のときと比べてどうなりますか。理由も述べてください。
# (3) ある人が、MC ドロップアウトのために「マスクで消し、さらに推論時と同じく $1 - p$ 倍する」`forward` を方式 A のネットワークに書きました。
# 次の層の Affine に届く値の期待値は、学習時の期待値の何倍になりますか。
#
# **模範解答**: (1) `train_flg=True` (学習時のモード: 毎回新しいマスクを引いてユニットを消し、スケールはしない)。`train_flg=False` を渡すと、
# 乱数を引かずに毎回同じ $(1 - p)\, y$ を計算するので、$T$ 回の予測はすべて同じになる。平均は推論時の 1 回の予測そのもので、
# ばらつきは 0 (不確かさについて何もわからない)。
# (2) まったく同じになる。同じマスク $r$ なら、方式 A で次の層に届く値は $(r \odot y)\, W_A + b$、方式 B では
# $\bigl(r \odot y / (1 - p)\bigr)\, W_B + b = \bigl(r \odot y / (1 - p)\bigr) (1 - p)\, W_A + b = (r \odot y)\, W_A + b$ で、1 回ごとのスコアが一致する。
# そこから先の計算は同じなので、各回の予測確率も、その平均もばらつきも一致する (2 つの方式は同じモデルで、違いは $1 - p$ を掛ける場所だけ)。
# (3) 学習時の期待値は $\mathbb{E}[r]\, y = (1 - p)\, y$。この `forward` の出力は $(1 - p)\, r\, y$ なので、期待値は $(1 - p)^2\, y$。
# 学習時の期待値の $1 - p = 0.5$ 倍になり、学習したときより小さすぎる入力で予測することになる。MC ドロップアウトでは、学習時の `forward` をそのまま使う。
#
# (採点の目安: (1) `train_flg=True` を渡すこと、False では $T$ 回がすべて同じでばらつきが 0 になることを述べている (0.5 点)、
# (2) 平均もばらつきも一致すること、その理由 (同じマスクなら次の層に届く値が $W_B = (1 - p) W_A$ で一致する) を式か言葉で示している
# (1 点。一致すると述べて理由がなければ 0.5 点)、(3) $(1 - p)^2 y$、学習時の $1 - p = 0.5$ 倍であることを述べている (0.5 点)。)

# %% [markdown]
# ## まとめ
#
# - ドロップアウトは、学習時にユニットを確率 $p$ (消す確率) でランダムに消す方法。マスクは入力と同じ形状で、サンプルごと・ユニットごとに、
#   順伝播のたびに引き直す。推論時は消さない。
# - スケールには 2 つの流儀がある。方式 A (従来) は学習時は消すだけで推論時に $1 - p$ 倍、方式 B (inverted dropout、PyTorch) は
#   学習時に $1/(1 - p)$ 倍して推論時は何もしない。$\mathbb{E}[r] = 1 - p$ より、どちらも学習時の出力の期待値が推論時の出力に等しく、
#   次の層の重みを $1 - p$ 倍する付け替えで移り合う同じモデル。混ぜると入力が $1/(1 - p)$ 倍ずれる。$p$ が消す確率か残す確率かにも注意。
# - `Dropout` の逆伝播は、順伝播で保存したマスクに同じスケール $1/(1 - p)$ を掛ける: $\partial L/\partial X = \frac{1}{1 - p}\, \partial L/\partial Y \odot R$。
#   逆伝播で新しいマスクを引いてはいけない。勾配確認はマスクを固定して行う。
# - ネットワークでは `train_flg` を Dropout レイヤまで届け (測るときは推論)、`gradient` は 1 回の学習時の順伝播のマスクのまま逆伝播する。
# - 少ない訓練データでは、ドロップアウトは訓練データへの丸暗記を抑え、テスト損失の上昇と汎化ギャップを小さくする。
#   テスト正解率の改善はこの実験では小さく、シードによるばらつきと同じ程度だった: 差が小さいときは複数のシードで確かめる。
#   $p$ が大きすぎると未学習になる。
# - ドロップアウトは、重みを共有した $2^n$ 個の部分ネットワークのアンサンブルを 1 つのネットワークで学習するものと解釈でき、
#   推論時の 1 回の計算は、その平均の近似になっている。
# - 方式 A のレイヤは、学習時は消すだけ (逆伝播もマスクを掛けるだけ) で、推論時に $1 - p$ 倍する。
# - MC ドロップアウトは、推論時にもドロップアウトを効かせて $T$ 回予測し、平均を予測に、ばらつきを不確かさのおおまかな目安に使う。
#   この章のデータでは、平均の予測は推論時の 1 回の計算とほぼ同じで、間違えた画像ほどばらつきが大きかったが、
#   1 回の計算の確率の値より優れた目安にはならなかった。

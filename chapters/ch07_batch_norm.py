# Chapter 7 of the course. Built into source_notebooks/ by `python -m autograder build`.
# `hint` (imported for the learner, who calls it as the stubs' comments say) is invisible to ruff in this file:
# ruff: noqa: F401

# %% [markdown]
# # 第 7 章 バッチ正規化 (Batch Normalization)
#
# 層を深く重ねたネットワークは、重みの初期値の大きさ (スケール) に敏感で、少しずれるだけで学習がまったく進まなくなります。
# バッチ正規化 (batch normalization、以下 BN) は、各層への入力をミニバッチの統計量で **正規化** (normalization) してから
# 次の層へ渡すことで、この問題を大きく和らげる手法です (Ioffe & Szegedy, 2015)。この章では BN を NumPy で一から作ります。
#
# 1. 動機: 深いネットワークの活性化の分布と重みのスケール、内部共変量シフト (internal covariate shift)
# 2. 学習時の順伝播 `batchnorm_forward`
# 3. 逆伝播の導出: 計算グラフ (computational graph) の **ノードごと** に逆伝播を作り (演習 2〜6)、つなぎ合わせる (演習 7)
# 4. 式を整理した簡潔な逆伝播 `batchnorm_backward_compact` (演習 8)。数値微分、および演習 7 の結果と照合する
# 5. 推論用の移動平均 (running average) を持つ `BatchNormalization` レイヤ (演習 9)
# 6. 実験: 重みのスケールを変えて、BN がある場合とない場合の学習を比べる
# 7. レイヤ正規化・インスタンス正規化・グループ正規化: どの軸で平均をとるか (演習 10)
#
# **記号**: バッチサイズを $N$、特徴量 (ユニット) の数を $D$ とし、入力を $X$ (形状 (N, D)、1 行が 1 サンプル) と書きます。
# 損失 $L$ の、ある量 $v$ についての勾配 $\partial L / \partial v$ を、第 5 章と同じくコードに合わせて $dv$ と書きます。
#
# **進め方**: `ここに実装してください (YOUR CODE HERE)` と書かれたセルを実装し、すぐ下のテストセルを実行してください。
# テストセルが例外を出さずに「公開テスト: OK」と表示すれば合格です。採点では、ここに見えているテスト (公開テスト) に加えて、
# 別の入力を使う隠しテストも実行されます。公開テストの値だけに合わせた実装では点になりません。
#
# **ヒント**: 行き詰まったら、実装するセルのコメントにある `hint("関数名")` を新しいセルで実行してください。ヒントは 2〜3 段階あり、
# `hint("関数名", 2)` のように番号を増やすと次の段階が表示されます (答えのコードそのものは出ません)。表示したヒントはノートブックの出力に残り、
# 講師のクラス報告で「どのヒントが必要とされたか」の集計に使われます (成績には影響しません)。

# %%
import matplotlib.pyplot as plt
import numpy as np

from course.checks import Properties, builds_on, check_array, check_scalar, check_true
from course.data import load_digits
from course.gradcheck import check_layer_gradients, eval_numerical_gradient_array, format_gradient_report, rel_error
from course.hints import hint
from course.plotting import use_japanese_font

use_japanese_font()
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# 次のセルは、これまでの章の模範解答です (シグモイド関数、ソフトマックス関数、交差エントロピー誤差、
# Affine レイヤ、ReLU レイヤ、Softmax-with-Loss レイヤ)。この章の実験で部品として使います。実行して定義しておいてください。

# %% [given] names=sigmoid,softmax,cross_entropy_error,Affine,Relu,SoftmaxWithLoss

# %% [markdown]
# ## 7.1 動機: 層を重ねると活性化の分布はどうなるか
#
# 『ゼロから作るDeep Learning』 6.2 節と同じ実験をします。各層 100 ユニット、活性化関数はシグモイド、バイアスなしの 5 層のネットワークに、
# 標準正規分布に従う 1000 個の入力を流し、各層の活性化 (activation、活性化関数の出力) の分布をヒストグラムで見ます。
# 重みは「標準偏差 × 標準正規乱数」で作り、標準偏差を 3 通りに変えます。
#
# - 標準偏差 1
# - 標準偏差 0.01
# - Xavier の初期値 (Glorot & Bengio, 2010): 前の層のユニット数を $n$ として標準偏差 $1/\sqrt{n} = 0.1$
#   (教科書の簡略版。元の論文の式は $\sqrt{2/(n_\text{in} + n_\text{out})}$ で、ここでは同じ 0.1 になります)
#
# 3 つの場合で同じ乱数の重みを使い、スケールだけを変えます。

# %%
layer_width, num_layers = 100, 5
x_probe = np.random.default_rng(0).standard_normal((1000, layer_width))  # 入力 1000 個、特徴 100 個
weight_rng = np.random.default_rng(1)
base_weights = [weight_rng.standard_normal((layer_width, layer_width)) for _ in range(num_layers)]


def sigmoid_activations(weight_std, normalize=None, bias_shift=0.0):
    """x_probe をシグモイド関数の 5 層に通し、各層の活性化前の値と活性化を返す。

    normalize: None、またはシグモイド関数の前に各層の活性化前の値 a = x @ W に適用する関数。
    bias_shift: 最初の層の活性化前の値だけに足す定数。
    """
    x, pre_activations, activations = x_probe, [], []
    for index, weights in enumerate(base_weights):
        a = x @ (weight_std * weights) + (bias_shift if index == 0 else 0.0)
        if normalize is not None:
            a = normalize(a)
        x = sigmoid(a)
        pre_activations.append(a)
        activations.append(x)
    return pre_activations, activations


def plot_activation_histograms(rows):
    """rows: {行のラベル: 各層の活性化のリスト}。層と行ごとにヒストグラムを 1 つ描く。"""
    height = 2.2 * len(rows) + 0.9
    fig, axes = plt.subplots(len(rows), num_layers, figsize=(12, height), sharex=True, squeeze=False)
    # 余白をインチで固定する (15 枚のパネルではレイアウトマネージャよりずっと速い)
    fig.subplots_adjust(left=0.05, right=0.99, bottom=0.55 / height, top=1 - 0.6 / height, wspace=0.08, hspace=0.3)
    for row_index, (row, (label, activations)) in enumerate(zip(axes, rows.items())):
        for k, (ax, values) in enumerate(zip(row, activations), start=1):
            counts, edges = np.histogram(values, bins=30, range=(0, 1))
            ax.stairs(counts, edges, fill=True, color="tab:blue")
            ax.set_yticks([])
            if row_index == 0:
                ax.set_title(f"第 {k} 層")
        row[0].set_ylabel(label, fontsize=9)
    for ax in axes[-1]:
        ax.set_xlabel("活性化の値")
    return fig


scales = {"標準偏差 1": 1.0, "標準偏差 0.01": 0.01, "Xavier (標準偏差 0.1)": 1 / np.sqrt(layer_width)}
fig = plot_activation_histograms({label: sigmoid_activations(std)[1] for label, std in scales.items()})
fig.suptitle("5 層のシグモイドネットワークの各層の活性化の分布 (重みの標準偏差ごと)")
plt.show()

# %% [markdown]
# - **標準偏差 1**: 活性化が 0 と 1 の近くに偏っています。シグモイド関数の微分は $\sigma'(a) = \sigma(a)(1 - \sigma(a))$ なので、
#   出力が 0 や 1 に近いと微分はほぼ 0 になり、逆伝播で勾配が層ごとに小さくなって消えていきます。これを勾配消失 (vanishing gradient) と呼びます。
# - **標準偏差 0.01**: 活性化が 0.5 付近に集中しています。勾配は消えませんが、どのユニットもほぼ同じ値を出すので、
#   たくさんのユニットがあっても 1 つのユニットと大差がありません (表現力の制限)。
# - **Xavier の初期値**: どの層でも、活性化がある程度の広がりを持って分布しています。
#
# つまり、深いネットワークをうまく学習させるには、各層の活性化が「適度な広がり」を持つように重みのスケールを慎重に選ぶ必要があります
# (ReLU には He の初期値 $\sqrt{2/n}$ が対応します)。しかも学習が進んで重みが変わると、分布も変わっていきます。
# それなら、**各層で分布を強制的に整えてしまえばよい**、というのがバッチ正規化の考え方です。
#
# ### 内部共変量シフト
#
# 共変量シフト (covariate shift) とは、入力から出力を決める規則は同じなのに、入力 (共変量、説明変数) の分布が訓練時とテスト時で
# 変わってしまう状況のことです。ネットワークの内部では、同じことが **層と層の間で** 常に起きています。第 $\ell$ 層の出力は
# 第 $\ell + 1$ 層の入力ですが、第 $\ell$ 層までの重みが更新されるたびに、その分布は動きます。後ろの層は、動き続ける入力の分布に
# 合わせて学習し直さなければなりません。Ioffe と Szegedy はこれを **内部共変量シフト** と呼び、その抑制を BN の目的に掲げました。
#
# 上のネットワーク (Xavier の初期値) で確かめてみます。学習によって第 1 層のバイアスがすべて 1 だけ増えたとすると、
# 第 2 層の入力 (あるユニットの $a = \boldsymbol{x} W$) の分布は次の図の左のようにずれます。右は、同じ値をユニットごとに
# 平均 0・分散 1 に正規化したもの (次の節で作る BN の $\hat{x}$) です。

# %%
unit = 1
xavier = 1 / np.sqrt(layer_width)
before, _ = sigmoid_activations(xavier)
after, _ = sigmoid_activations(xavier, bias_shift=1.0)


def standardize_columns(a):
    """(a − 列の平均) / 列の標準偏差: バッチ正規化が各ユニットにすること (γ = 1, β = 0)。"""
    return (a - a.mean(axis=0)) / a.std(axis=0)


fig, axes = plt.subplots(1, 2, figsize=(10, 3.4), layout="constrained")
for ax, transform, title in [
    (axes[0], lambda a: a, "正規化なし: 第 2 層のユニットへの入力"),
    (axes[1], standardize_columns, "ユニットごとに正規化した入力"),
]:
    values = {"更新前": transform(before[1])[:, unit], "第 1 層のバイアスが +1 された後": transform(after[1])[:, unit]}
    edges = np.histogram_bin_edges(np.concatenate(list(values.values())), bins=40)
    for label, column in values.items():
        ax.stairs(np.histogram(column, bins=edges)[0], edges, fill=True, alpha=0.6, label=label)
    ax.set_title(title)
    ax.set_xlabel("入力の値")
    ax.set_ylabel("サンプル数")
    ax.legend(fontsize=8)
fig.suptitle("前の層のパラメータが変わると、次の層の入力の分布がずれる (内部共変量シフト)")
plt.show()
print(
    f"正規化なし: 平均 {before[1][:, unit].mean():.3f} → {after[1][:, unit].mean():.3f}、"
    f"標準偏差 {before[1][:, unit].std():.3f} → {after[1][:, unit].std():.3f}"
)

# %% [markdown]
# 正規化しなければ、前の層が変わるだけで後ろの層の入力の平均が標準偏差に近いほど動きます。正規化すると、平均と分散は常に 0 と 1 に
# 固定されます (分布の形は少し変わりえますが、位置と広がりは動きません)。
#
# **注意 (その後の研究)**: BN の効果が本当に内部共変量シフトの抑制によるものかについては、異論があります。
# Santurkar ら (2018, "How Does Batch Normalization Help Optimization?") は、BN の直後にわざとノイズを加えて分布を揺らしても
# 学習の速さがほとんど損なわれないことを示し、主な効果は損失関数の地形をなめらかにして (勾配の変化を緩やかにして)
# 大きな学習率を使えるようにすることだ、と論じました。E資格では「内部共変量シフトを抑える」という元論文の説明が問われますが、
# 実際の効果として次の 3 点を覚えておきましょう。
#
# - 学習が速く進む (大きな学習率が使える)
# - 重みの初期値にあまり敏感でなくなる
# - 過学習をある程度抑える (ミニバッチごとに統計量が揺らぐことが、一種のノイズとして正則化のように働く)
#
# ## 7.2 学習時の順伝播
#
# BN は、ミニバッチ $X$ (形状 (N, D)) の **特徴量ごと (列ごと)** に、バッチ内の $N$ 個の値を平均 0・分散 1 にそろえ、
# そのあと学習可能なパラメータ $\gamma$ (スケール) と $\beta$ (シフト) で変換します。列 $j$ について
#
# $$
# \begin{aligned}
# \mu_j &= \frac{1}{N} \sum_{n=1}^{N} x_{nj} && \text{(バッチ平均)} \\
# \sigma_j^2 &= \frac{1}{N} \sum_{n=1}^{N} (x_{nj} - \mu_j)^2 && \text{(バッチ分散)} \\
# \hat{x}_{nj} &= \frac{x_{nj} - \mu_j}{\sqrt{\sigma_j^2 + \varepsilon}} && \text{(正規化)} \\
# y_{nj} &= \gamma_j \hat{x}_{nj} + \beta_j && \text{(スケールとシフト)}
# \end{aligned}
# $$
#
# です。$\mu, \sigma^2, \gamma, \beta$ はどれも長さ $D$ のベクトルで、$N$ 行すべてにブロードキャストされます。
#
# - **分散は $N$ で割ります** (偏りのある推定量、`np.var` の既定 `ddof=0` と同じ)。PyTorch もバッチの正規化にはこの分散を使います。
# - **$\varepsilon$ は平方根の中** に入れます。この講座では PyTorch の既定と同じ $\varepsilon = 10^{-5}$ を使います
#   (『ゼロから作るDeep Learning』のコードは `10e-7`、すなわち $10^{-6}$。値は実装ごとに違いますが、位置は平方根の中です)。
#   $\sqrt{\sigma^2 + \varepsilon} \ge \sqrt{\varepsilon}$ なので、列の値がすべて等しくて $\sigma^2 = 0$ のときも 0 で割らずに済みます。
#   $\sqrt{\sigma^2} + \varepsilon$ と平方根の外に置くのは別の式で、$\sigma^2$ が $\varepsilon$ と同程度に小さい列で結果が変わります。
# - **分散と標準偏差を混同しない**: 分散を $\sigma_j$ と書いて、そのまま $\sigma_j$ で割る式はよくある誤記です。Ioffe & Szegedy (2015) の
#   アルゴリズム 1 のとおり、分散は $\sigma_j^2$ (論文では $\sigma_\mathcal{B}^2$)、割るのは標準偏差 $\sqrt{\sigma_j^2 + \varepsilon}$ です
#   (分散で割ると、出力の分散は 1 になりません)。$\varepsilon$ を省いた式で説明されることもありますが、実装では上のとおり平方根の中に入れます。
# - **$\gamma, \beta$ の役割**: 正規化しただけでは、例えばシグモイド関数のほぼ線形な部分しか使えなくなるなど、表現力が落ちることがあります。
#   $\gamma_j = \sqrt{\sigma_j^2 + \varepsilon}$、$\beta_j = \mu_j$ とすれば正規化を完全に打ち消せるので、BN を入れても
#   ネットワークが表せる関数は減りません。どの程度正規化するかを学習で決めるわけです。初期値は $\gamma = 1$、$\beta = 0$ です。
#
# 逆伝播では途中の値が必要になるので、順伝播はそれらを辞書 `cache` にまとめて返します。キーと形状は次のとおりです。
#
# | キー | 中身 | 形状 |
# |---|---|---|
# | `"x"` | 入力 $X$ | (N, D) |
# | `"xc"` | 中心化した入力 $x_{nj} - \mu_j$ | (N, D) |
# | `"var"` | バッチ分散 $\sigma^2$ ($N$ で割る) | (D,) |
# | `"std"` | $\sqrt{\sigma^2 + \varepsilon}$ | (D,) |
# | `"xn"` | 正規化した入力 $\hat{X}$ | (N, D) |
# | `"gamma"` | $\gamma$ | (D,) |
# | `"eps"` | $\varepsilon$ | float |
#
# ### 演習 1: 学習時の順伝播 `batchnorm_forward`


# %% [solution] id=batchnorm_forward
def batchnorm_forward(x, gamma, beta, eps=1e-5):
    """バッチ正規化の学習時の順伝播 (バッチ自身の平均と分散を使う)。

    x: 形状 (N, D)。gamma, beta: 形状 (D,)。eps: 平方根の中に足す小さな数。
    戻り値: (out, cache)。out は x̂ を列ごとに gamma 倍して beta を足したもの (γ x̂ + β、形状 (N, D))。
    cache: キー "x", "xc", "var", "std", "xn", "gamma", "eps" の辞書 (中身は上の表のとおり。分散は N で割る)。
    """
    # ヒント: hint("batchnorm_forward")
    # @reference batchnorm_forward


# %% [tests] id=test_batchnorm_forward points=2 hidden=batchnorm_forward
def public_test_batchnorm_forward():
    """演習 1 の公開テスト (演習 8、9 の前提としても使います)。"""
    # 列 0: [1, 3] → μ = 2、分散 1、x̂ = [−1, 1]/√(1 + 1e-5)。γ = 2、β = 0.5
    # 列 1: [0, 0.002] → μ = 0.001、分散 1e-6、x̂ = [−0.001, 0.001]/√(1e-6 + 1e-5) ≈ [−0.3015, 0.3015]
    # 列 2: [5, 5] → 分散 0。x̂ = 0/√1e-5 = 0 なので出力は β = −1
    x = np.array([[1.0, 0.0, 5.0], [3.0, 0.002, 5.0]])
    gamma, beta = np.array([2.0, 1.0, 1.0]), np.array([0.5, 0.0, -1.0])
    s0, s1 = np.sqrt(1 + 1e-5), np.sqrt(1e-6 + 1e-5)
    expected_out = np.array([[-2 / s0 + 0.5, -0.001 / s1, -1.0], [2 / s0 + 0.5, 0.001 / s1, -1.0]])
    # 性質 (property) ごとに確かめ、合わない性質があってもその後の性質まで確かめてから、性質ごとの結果 (✓/✗) を示す
    with Properties() as test:
        values = "出力 out の値 (形状 (2, 3) の手計算の例と、形状 (50, 3) のランダムな入力)"
        with test.property(values):
            out, cache = batchnorm_forward(x, gamma, beta)
            check_array(
                out,
                expected_out,
                "batchnorm_forward の out",
                mistakes=[
                    (
                        [[-2 / s0 + 0.5, -0.001 / 0.00101, -1.0], [2 / s0 + 0.5, 0.001 / 0.00101, -1.0]],
                        "ε が平方根の外にあります。√(分散 + ε) で割ります。",
                    ),
                    (
                        [
                            [-2 / np.sqrt(2 + 1e-5) + 0.5, -0.001 / np.sqrt(2e-6 + 1e-5), -1.0],
                            [2 / np.sqrt(2 + 1e-5) + 0.5, 0.001 / np.sqrt(2e-6 + 1e-5), -1.0],
                        ],
                        "分散を N − 1 で割っています。バッチ分散は N で割ります (np.var の既定、ddof=0)。",
                    ),
                    (
                        [
                            [-2 / np.sqrt(1 + 1e-6) + 0.5, -0.001 / np.sqrt(2e-6), -1.0],
                            [2 / np.sqrt(1 + 1e-6) + 0.5, 0.001 / np.sqrt(2e-6), -1.0],
                        ],
                        "ε が 1e-6 (『ゼロから作るDeep Learning』のコードの 10e-7) になっています。引数の eps (既定は PyTorch と同じ 1e-5) を使ってください。",
                    ),
                ],
            )
            # 大きなバッチでは、出力の列ごとの平均は β、分散は γ² · σ²/(σ² + ε) (ほぼ γ²) になる
            x_big = np.random.default_rng(0).standard_normal((50, 3)) * [1.0, 10.0, 0.1] + [5.0, -3.0, 0.0]
            out_big, _ = batchnorm_forward(x_big, gamma, beta)
            check_array(out_big.mean(axis=0), beta, "ランダムな入力での out の列ごとの平均", atol=1e-9)
            var_big = x_big.var(axis=0)
            check_array(
                out_big.var(axis=0), gamma**2 * var_big / (var_big + 1e-5), "ランダムな入力での out の列ごとの分散"
            )
        # N = 1: 分散は 0、x̂ = 0 で、出力は β (nan にならない)
        with test.property("バッチサイズ 1 (分散が 0) の out (x の 1 行目だけの入力)"):
            check_array(batchnorm_forward(x[:1], gamma, beta)[0], [beta], "N = 1 の out")
        # eps を変えると結果も変わる (引数の eps を使っているか)
        with test.property("引数の eps を使う (eps=1e-2 の out の列 0)"):
            check_array(
                batchnorm_forward(x, gamma, beta, eps=1e-2)[0][:, 0],
                [-2 / np.sqrt(1.01) + 0.5, 2 / np.sqrt(1.01) + 0.5],
                "eps=1e-2 での out の列 0",
            )
        # cache は上の手計算の例 (eps は既定の 1e-5) のもの
        with test.property("cache の中身 (形状 (2, 3) の手計算の例の 7 つのキーとその値)", needs=[values]):
            check_true(isinstance(cache, dict), "cache は辞書 (dict) にしてください。")
            missing = {"x", "xc", "var", "std", "xn", "gamma", "eps"} - set(cache)
            check_true(not missing, f"cache にキー {sorted(missing)} がありません。")
            check_array(cache["x"], x, 'cache["x"]')
            check_array(cache["xc"], [[-1.0, -0.001, 0.0], [1.0, 0.001, 0.0]], 'cache["xc"]')
            check_array(cache["var"], [1.0, 1e-6, 0.0], 'cache["var"]', rtol=1e-9, atol=1e-15)
            check_array(
                cache["std"],
                [s0, s1, np.sqrt(1e-5)],
                'cache["std"]',
                mistakes=[([1.0, 1e-6, 0.0], "std には分散ではなく √(var + eps) を入れます。")],
            )
            check_array(cache["xn"], (expected_out - beta) / gamma, 'cache["xn"]')
            check_array(cache["gamma"], gamma, 'cache["gamma"]')
            check_scalar(cache["eps"], 1e-5, 'cache["eps"]')


public_test_batchnorm_forward()
print("公開テスト: OK")

# %% [markdown]
# **バッチサイズ 1 の学習は意味がない**: 最後のテストのとおり、$N = 1$ では $x - \mu = 0$ なので、入力が何であっても出力は $\beta$ になります
# (入力の情報が消え、$x$ への勾配も 0 になります)。$\varepsilon$ のおかげで nan にはなりませんが、学習時の BN には $N \ge 2$
# (実際にはもっと大きなバッチ) が必要です。PyTorch の `BatchNorm1d` は、学習モードで 1 サンプルのバッチを渡すとエラーにします。
#
# 7.1 節のネットワークで、各層の入力 $a$ をシグモイドの前に BN で正規化してみましょう ($\gamma = 1, \beta = 0$)。
# BN は各列を自分の標準偏差で割るので、重みを何倍しても結果は (ほぼ) 変わりません。

# %%
unit_gamma, zero_beta = np.ones(layer_width), np.zeros(layer_width)


def bn_only(a):
    return batchnorm_forward(a, unit_gamma, zero_beta)[0]


_, with_bn_large = sigmoid_activations(1.0, normalize=bn_only)
_, with_bn_small = sigmoid_activations(0.01, normalize=bn_only)
difference = max(np.abs(p - q).max() for p, q in zip(with_bn_large, with_bn_small))
print(f"BN ありで、重みの標準偏差 1 と 0.01 の活性化の差の最大値: {difference:.3f}")
fig = plot_activation_histograms({"BN あり\n(標準偏差 1)": with_bn_large})
fig.suptitle("各層の入力を BN で正規化したときの活性化の分布")
plt.show()

# %% [markdown]
# 重みの標準偏差が 1 でも、活性化は 0 と 1 に張り付かず、どの層でも同じ広がりの分布になりました。標準偏差 0.01 でもほぼ同じ分布です
# (差は $\varepsilon$ の影響だけ)。
#
# ## 7.3 逆伝播: 計算グラフをノードごとに
#
# BN の逆伝播は、1 つの式でいきなり書こうとすると間違えやすいので、順伝播を小さなノードに分けた計算グラフを作り、
# 第 4 章と同じく **各ノードの逆伝播を 1 つずつ** 求めます。順伝播の各行が 1 つのノードです。
#
# | ノード | 順伝播 | 入力 → 出力 | 逆伝播の関数 (演習) |
# |---|---|---|---|
# | 中心化 (centering) | $\mu = \frac{1}{N}\sum_n x_n$、$x_c = x - \mu$ | $x$ → $x_c$ | `bn_centering_backward` (演習 6) |
# | 分散 (variance) | $\sigma^2 = \frac{1}{N}\sum_n x_{c,n}^2$ | $x_c$ → $\sigma^2$ | `bn_variance_backward` (演習 5) |
# | 標準偏差 (standard deviation) | $s = \sqrt{\sigma^2 + \varepsilon}$ | $\sigma^2$ → $s$ | `bn_std_backward` (演習 4) |
# | 正規化 (normalization) | $\hat{x} = x_c / s$ | $x_c, s$ → $\hat{x}$ | `bn_normalize_backward` (演習 3) |
# | スケールとシフト (scale and shift) | $y = \gamma \hat{x} + \beta$ | $\hat{x}, \gamma, \beta$ → $y$ | `bn_scale_shift_backward` (演習 2) |
#
# 以下では標準偏差 $\sqrt{\sigma^2 + \varepsilon}$ を $s$ と書きます (コードの `std`)。どのノードも列 $j$ ごとに独立なので、
# 式では添字 $j$ を省くことがあります。逆伝播は出力側から、表の下の行から順に進みます。
# 注目してほしいのは、$x_c$ が **2 つのノード** (分散と正規化) で使われていることです (図の分岐)。

# %%
fig, ax = plt.subplots(figsize=(12, 3.8))
nodes = {  # キー: (x, y, ラベル, その backward を書く演習の説明)
    "x": (0.0, 1.0, "$x$", ""),
    "mean": (1.6, 2.7, "平均\n(axis=0)", ""),
    "sub": (3.2, 1.0, "−", "演習 6\n中心化 (平均も含む)"),
    "var": (5.2, 2.7, "2 乗の平均", "演習 5\n分散"),
    "std": (7.4, 2.7, "$\\sqrt{\\,\\cdot + \\varepsilon\\,}$", "演習 4\n標準偏差"),
    "div": (9.0, 1.0, "÷", "演習 3\n正規化"),
    "mul": (10.4, 1.0, "$\\times\\,\\gamma$", "演習 2\nスケールとシフト"),
    "add": (11.8, 1.0, "$+\\,\\beta$", ""),
    "y": (13.2, 1.0, "$y$", ""),
}
boxes = {}
for key, (cx, cy, label, caption) in nodes.items():
    frame = "none" if key in ("x", "y") else "black"
    style = {"boxstyle": "round,pad=0.4", "facecolor": "white", "edgecolor": frame}
    boxes[key] = ax.text(cx, cy, label, ha="center", va="center", fontsize=12, bbox=style, zorder=3)
    if caption:
        below = cx + (0.7 if key == "mul" else 0.0), cy - 0.55
        ax.text(*below, caption, ha="center", va="top", fontsize=9, color="tab:red")


def edge(start, end, label="", offset=(0.0, 0.2)):
    """2 つのノードの箱を結ぶ矢印 (箱の枠で切る)。運ぶ値の名前を添える。"""
    ax.annotate(
        "",
        xy=nodes[end][:2],
        xytext=nodes[start][:2],
        arrowprops={
            "arrowstyle": "->",
            "lw": 1.3,
            "patchA": boxes[start].get_bbox_patch(),
            "patchB": boxes[end].get_bbox_patch(),
        },
    )
    if label:
        mid_x = (nodes[start][0] + nodes[end][0]) / 2 + offset[0]
        mid_y = (nodes[start][1] + nodes[end][1]) / 2 + offset[1]
        ax.text(mid_x, mid_y, label, ha="center", va="bottom", fontsize=12)


edge("x", "sub")
edge("x", "mean")
edge("mean", "sub", "$\\mu$", offset=(0.35, 0.0))
edge("sub", "var", "$x_c$", offset=(-0.35, 0.0))
edge("sub", "div", "$x_c$ (分岐)", offset=(0.0, 0.05))
edge("var", "std", "$\\sigma^2$", offset=(0.0, 0.1))
edge("std", "div", "$s$", offset=(0.35, 0.0))
edge("div", "mul", "$\\hat{x}$", offset=(0.0, 0.05))
edge("mul", "add")
edge("add", "y")
ax.set_xlim(-0.5, 13.7)
ax.set_ylim(-0.3, 3.3)
ax.axis("off")
ax.set_title("バッチ正規化の計算グラフ (列ごと。赤字は、そのノードの逆伝播を作る演習)")
plt.show()

# %% [markdown]
# ### ノード 1: スケールとシフト $y = \gamma \hat{x} + \beta$
#
# 乗算ノードと加算ノードの組み合わせです。$y_{nj}$ を $\hat{x}_{nj}$ で微分すると $\gamma_j$ なので
#
# $$
# d\hat{x}_{nj} = dy_{nj}\, \gamma_j
# $$
#
# です。$\gamma_j$ と $\beta_j$ は $N$ 行すべてにブロードキャストされている (同じ値が $N$ か所で使われている) ので、
# Affine 層のバイアスと同じく、勾配は **バッチ方向の和** になります。
#
# $$
# d\gamma_j = \sum_{n=1}^{N} dy_{nj}\, \hat{x}_{nj}, \qquad d\beta_j = \sum_{n=1}^{N} dy_{nj}
# $$
#
# ### 演習 2: `bn_scale_shift_backward`


# %% [solution] id=bn_scale_shift_backward
def bn_scale_shift_backward(dout, xn, gamma):
    """ノード out = γ x̂ + β (gamma と beta は N 行すべてにブロードキャストされる) の逆伝播。

    dout: 形状 (N, D) の ∂L/∂out。xn: 形状 (N, D) の x̂。gamma: 形状 (D,)。
    戻り値: (dxn, dgamma, dbeta)。dxn は形状 (N, D)、dgamma と dbeta はバッチ方向に和をとった形状 (D,)。
    """
    # ヒント: hint("bn_scale_shift_backward")
    # @reference bn_scale_shift_backward


# %% [tests] id=test_bn_scale_shift_backward points=2 hidden=bn_scale_shift_backward
def public_test_bn_scale_shift_backward():
    """演習 2 の公開テスト (演習 7 の前提としても使います)。"""
    # dout = [[1, 2], [3, 4]]、x̂ = [[−1, 1], [1, −1]]、γ = [2, −1]
    # dx̂ = dout · γ = [[2, −2], [6, −4]]
    # dγ = [1·(−1) + 3·1, 2·1 + 4·(−1)] = [2, −2]、dβ = [1 + 3, 2 + 4] = [4, 6]
    # N = 1 (1 行目だけ): dx̂ = [[2, −2]]、dγ = [1·(−1), 2·1] = [−1, 2]、dβ = [1, 2] (形状はどちらも (D,))
    dout = np.array([[1.0, 2.0], [3.0, 4.0]])
    xn = np.array([[-1.0, 1.0], [1.0, -1.0]])
    gamma = np.array([2.0, -1.0])
    with Properties() as test:
        with test.property("dxn の値 (N = 2 の例と N = 1)"):
            dxn, _, _ = bn_scale_shift_backward(dout, xn, gamma)
            check_array(
                dxn, [[2.0, -2.0], [6.0, -4.0]], "dxn", mistakes=[(dout, "γ を掛け忘れています (∂out/∂x̂ = γ)。")]
            )
            dxn_one, _, _ = bn_scale_shift_backward(dout[:1], xn[:1], gamma)
            check_array(dxn_one, [[2.0, -2.0]], "N = 1 での dxn")
        with test.property("dgamma の値 (バッチ方向の和。N = 2 の例と N = 1)"):
            _, dgamma, _ = bn_scale_shift_backward(dout, xn, gamma)
            check_array(
                dgamma,
                [2.0, -2.0],
                "dgamma",
                mistakes=[
                    (dout * xn, "dgamma をバッチ方向 (axis=0) に合計していません。γ は N 行すべてで使われています。")
                ],
            )
            # N = 1 でも dgamma の形状は (D,)
            _, dgamma_one, _ = bn_scale_shift_backward(dout[:1], xn[:1], gamma)
            check_array(dgamma_one, [-1.0, 2.0], "N = 1 での dgamma")
        with test.property("dbeta の値 (バッチ方向の和。N = 2 の例と N = 1)"):
            _, _, dbeta = bn_scale_shift_backward(dout, xn, gamma)
            check_array(
                dbeta,
                [4.0, 6.0],
                "dbeta",
                mistakes=[
                    (dout, "dbeta をバッチ方向 (axis=0) に合計していません。"),
                    ([2.0, 3.0], "平均ではなく和をとります。"),
                ],
            )
            # N = 1 でも dbeta の形状は (D,)
            _, _, dbeta_one = bn_scale_shift_backward(dout[:1], xn[:1], gamma)
            check_array(dbeta_one, [1.0, 2.0], "N = 1 での dbeta")


public_test_bn_scale_shift_backward()
print("公開テスト: OK")

# %% [markdown]
# ### ノード 2: 正規化 $\hat{x} = x_c / s$
#
# 2 入力のノードです。$\hat{x}_{nj} = x_{c,nj} \cdot s_j^{-1}$ なので、局所的な微分は
#
# $$
# \frac{\partial \hat{x}_{nj}}{\partial x_{c,nj}} = \frac{1}{s_j}, \qquad \frac{\partial \hat{x}_{nj}}{\partial s_j} = -\frac{x_{c,nj}}{s_j^2}
# $$
#
# です。$s_j$ は $N$ 行すべてで使われているので和をとり、
#
# $$
# dx_{c,nj}^{(\text{直接})} = \frac{d\hat{x}_{nj}}{s_j}, \qquad ds_j = -\sum_{n=1}^{N} d\hat{x}_{nj}\, \frac{x_{c,nj}}{s_j^2}
# $$
#
# となります。ここで求まる $dx_c$ は **このノードを通る経路の分だけ** です。$x_c$ は分散のノードでも使われているので、
# そちらの経路の勾配はあとで (演習 5) 求めて足します。各ノードは自分の局所的な微分だけを知っていればよい、というのが計算グラフの考え方です。
#
# ### 演習 3: `bn_normalize_backward`


# %% [solution] id=bn_normalize_backward
def bn_normalize_backward(dxn, xc, std):
    """ノード x̂ = xc / std の逆伝播 (std は N 行すべてにブロードキャストされる)。

    dxn: 形状 (N, D) の ∂L/∂x̂。xc: 形状 (N, D)。std: 形状 (D,)。
    戻り値: (dxc, dstd)。dxc は形状 (N, D) で、このノードを通る経路の分だけ。dstd はバッチ方向に和をとった形状 (D,)。
    """
    # ヒント: hint("bn_normalize_backward")
    # @reference bn_normalize_backward


# %% [tests] id=test_bn_normalize_backward points=2 hidden=bn_normalize_backward
def public_test_bn_normalize_backward():
    """演習 3 の公開テスト (演習 7 の前提としても使います)。"""
    # x_c = [[−1, 4], [1, −4]]、s = [1, 2]、dx̂ = [[1, 1], [3, −1]]
    # dx_c = dx̂ / s = [[1, 0.5], [3, −0.5]]
    # ds = −Σ_n dx̂ · x_c / s² = [−(−1 + 3)/1, −(4 + 4)/4] = [−2, −2]
    # N = 1 (1 行目だけ): dx_c = [[1, 0.5]]、ds = [−(1·(−1))/1, −(1·4)/4] = [1, −1]
    dxn = np.array([[1.0, 1.0], [3.0, -1.0]])
    xc = np.array([[-1.0, 4.0], [1.0, -4.0]])
    std = np.array([1.0, 2.0])
    with Properties() as test:
        with test.property("dxc の値 (N = 2 の例と N = 1)"):
            dxc, _ = bn_normalize_backward(dxn, xc, std)
            check_array(
                dxc,
                [[1.0, 0.5], [3.0, -0.5]],
                "dxc",
                mistakes=[(dxn * std, "割る代わりに掛けています (∂x̂/∂xc = 1/std)。")],
            )
            dxc_one, _ = bn_normalize_backward(dxn[:1], xc[:1], std)
            check_array(dxc_one, [[1.0, 0.5]], "N = 1 での dxc")
        with test.property("dstd の値 (バッチ方向の和。N = 2 の例と N = 1)"):
            _, dstd = bn_normalize_backward(dxn, xc, std)
            check_array(
                dstd,
                [-2.0, -2.0],
                "dstd",
                mistakes=[
                    ([2.0, 2.0], "符号が逆です。∂(xc/std)/∂std = −xc/std² です。"),
                    ([-2.0, -4.0], "std² ではなく std で割っています。∂(1/s)/∂s = −1/s² です。"),
                    (
                        -dxn * xc / std**2,
                        "dstd をバッチ方向 (axis=0) に合計していません。std は N 行すべてで使われています。",
                    ),
                ],
            )
            # N = 1 でも dstd の形状は (D,)
            _, dstd_one = bn_normalize_backward(dxn[:1], xc[:1], std)
            check_array(dstd_one, [1.0, -1.0], "N = 1 での dstd")


public_test_bn_normalize_backward()
print("公開テスト: OK")

# %% [markdown]
# ### ノード 3: 標準偏差 $s = \sqrt{\sigma^2 + \varepsilon}$
#
# $\dfrac{d}{dv}\sqrt{v + \varepsilon} = \dfrac{1}{2\sqrt{v + \varepsilon}}$ なので、順伝播の出力 $s$ を使って
#
# $$
# d\sigma^2_j = \frac{ds_j}{2 s_j}
# $$
#
# と書けます (第 4 章のシグモイドと同じく、微分を **出力** で表すと計算し直さずに済みます)。
#
# ### 演習 4: `bn_std_backward`


# %% [solution] id=bn_std_backward
def bn_std_backward(dstd, std):
    """ノード std = √(var + eps) の逆伝播。dstd, std: 形状 (D,)。戻り値: dvar、形状 (D,)。"""
    # ヒント: hint("bn_std_backward")
    # @reference bn_std_backward


# %% [tests] id=test_bn_std_backward points=1 hidden=bn_std_backward
def public_test_bn_std_backward():
    """演習 4 の公開テスト (演習 7 の前提としても使います)。"""
    # s = [1, 2, 0.5]、ds = [2, 2, 1] → dσ² = ds / (2s) = [1, 0.5, 1]
    dvar = bn_std_backward(np.array([2.0, 2.0, 1.0]), np.array([1.0, 2.0, 0.5]))
    check_array(
        dvar,
        [1.0, 0.5, 1.0],
        "bn_std_backward",
        mistakes=[
            ([2.0, 1.0, 2.0], "1/2 が抜けています。d√v/dv = 1/(2√v) です。"),
            ([4.0, 8.0, 1.0], "std で割る代わりに掛けています。"),
        ],
    )


public_test_bn_std_backward()
print("公開テスト: OK")

# %% [markdown]
# ### ノード 4: 分散 $\sigma^2 = \frac{1}{N} \sum_n x_{c,n}^2$
#
# (分散は本来 $\frac{1}{N}\sum_n (x_n - \mu)^2$ ですが、中心化した $x_c$ を入力にすると、単なる 2 乗の平均です。)
# $\sigma_j^2$ の中で $x_{c,nj}$ を含むのは 1 項だけなので、$\partial \sigma_j^2 / \partial x_{c,nj} = 2 x_{c,nj} / N$ で、
#
# $$
# dx_{c,nj}^{(\text{分散経由})} = d\sigma_j^2 \cdot \frac{2\, x_{c,nj}}{N}
# $$
#
# です。$\sigma_j^2$ はスカラー (列ごとに 1 つ) なので、和はとりません。逆に $N$ 個の $x_c$ すべてに勾配が **配られ** ます。
#
# ### 演習 5: `bn_variance_backward`


# %% [solution] id=bn_variance_backward
def bn_variance_backward(dvar, xc):
    """ノード var = (1/N) Σ_n xc² (N で割る分散) の逆伝播。

    dvar: 形状 (D,)。xc: 形状 (N, D)。戻り値: dxc、形状 (N, D) (分散のノードを通る経路の分だけ)。
    """
    # ヒント: hint("bn_variance_backward")
    # @reference bn_variance_backward


# %% [tests] id=test_bn_variance_backward points=1 hidden=bn_variance_backward
def public_test_bn_variance_backward():
    """演習 5 の公開テスト (演習 7 の前提としても使います)。"""
    # N = 4、x_c の列 = [−3, −1, 1, 3]、dσ² = 2 → dx_c = 2 · 2 x_c / 4 = x_c
    xc = np.array([[-3.0], [-1.0], [1.0], [3.0]])
    with Properties() as test:
        with test.property("dxc の値 (N = 4、D = 1 の例)"):
            check_array(
                bn_variance_backward(np.array([2.0]), xc),
                xc,
                "bn_variance_backward",
                mistakes=[
                    (4 * xc, "1/N が抜けています。分散は 2 乗の平均です。"),
                    (xc / 2, "2 が抜けています。d(xc²)/dxc = 2 xc です。"),
                    (xc * 4 / 3, "N − 1 で割っています。順伝播の分散は N で割っています。"),
                ],
            )
        # N = 1、x_c = [[0.5, −2]]、dσ² = [2, 3] → dx_c = dσ² · 2 x_c / 1 = [[2, −12]]
        with test.property("バッチサイズ 1 の dxc"):
            check_array(
                bn_variance_backward(np.array([2.0, 3.0]), np.array([[0.5, -2.0]])),
                [[2.0, -12.0]],
                "N = 1 での bn_variance_backward",
            )


public_test_bn_variance_backward()
print("公開テスト: OK")

# %% [markdown]
# ### ノード 5: 中心化 $x_c = x - \mu$、$\mu = \frac{1}{N}\sum_m x_m$
#
# $x_{nj}$ は 2 つの経路で $x_c$ に影響します。自分の行の $x_{c,nj}$ へ **直接**、そして平均 $\mu_j$ を通して
# 列 $j$ の **すべての** $x_{c,mj}$ へ、です。$x_{c,mj} = x_{mj} - \frac{1}{N}\sum_k x_{kj}$ を $x_{nj}$ で微分すると
#
# $$
# \frac{\partial x_{c,mj}}{\partial x_{nj}} = \delta_{mn} - \frac{1}{N}
# \qquad (\delta_{mn} \text{ はクロネッカーのデルタ})
# $$
#
# なので、
#
# $$
# dx_{nj} = \sum_{m=1}^{N} dx_{c,mj} \left(\delta_{mn} - \frac{1}{N}\right) = dx_{c,nj} - \frac{1}{N} \sum_{m=1}^{N} dx_{c,mj}
# $$
#
# です。計算グラフで言えば、第 1 項が直接の経路、第 2 項が $d\mu_j = -\sum_m dx_{c,mj}$ を平均のノード ($\partial \mu_j / \partial x_{nj} = 1/N$) で
# 配り直したものです。
#
# **大事な注意**: ここに渡す $dx_c$ は、$x_c$ の **勾配の合計** (正規化のノードからの直接の分 + 分散のノード経由の分) です。
# 分岐した値の勾配は、各経路から戻る勾配の和になるのでした (第 4 章)。
#
# ### 演習 6: `bn_centering_backward`


# %% [solution] id=bn_centering_backward
def bn_centering_backward(dxc):
    """ノード xc = x − μ (μ = x の列ごとの平均) の逆伝播。

    dxc: 形状 (N, D) の ∂L/∂xc (すべての経路の合計)。戻り値: dx、形状 (N, D)。
    直接の経路と、平均 μ を通る経路の両方を含める。
    """
    # ヒント: hint("bn_centering_backward")
    # @reference bn_centering_backward


# %% [tests] id=test_bn_centering_backward points=2 hidden=bn_centering_backward
def public_test_bn_centering_backward():
    """演習 6 の公開テスト (演習 7 の前提としても使います)。"""
    # 列 0: dx_c = [3, 0, 0] → 平均 1 → dx = [2, −1, −1]。列 1: dx_c = [1, 1, 1] → 平均 1 → dx = [0, 0, 0]
    dxc = np.array([[3.0, 1.0], [0.0, 1.0], [0.0, 1.0]])
    with Properties() as test:
        with test.property("dx の値 (N = 3、D = 2 の例)"):
            check_array(
                bn_centering_backward(dxc),
                [[2.0, 0.0], [-1.0, 0.0], [-1.0, 0.0]],
                "bn_centering_backward",
                mistakes=[
                    (dxc, "平均 μ を通る経路が抜けています。dx = dxc − (dxc の列ごとの平均) です。"),
                    (dxc - dxc.sum(axis=0), "和ではなく平均を引きます (∂μ/∂x = 1/N)。"),
                    (dxc - dxc.mean(axis=1, keepdims=True), "平均をとる向きが違います。列ごと (axis=0) です。"),
                ],
            )
        # N = 1: 列ごとの平均はその行自身なので dx = dx_c − dx_c = 0
        with test.property("バッチサイズ 1 の dx"):
            check_array(
                bn_centering_backward(np.array([[3.0, -1.0]])), [[0.0, 0.0]], "N = 1 での bn_centering_backward"
            )


public_test_bn_centering_backward()
print("公開テスト: OK")

# %% [markdown]
# 列 1 の結果に注目してください。$dx_c$ がすべて同じなら $dx = 0$ です。全サンプルの $x$ に同じ数を足しても $x_c$ は変わらない
# (平均も同じだけ動く) ので、そちらの方向の勾配は 0 になります。
#
# ### 演習 7: ノードをつなぐ `batchnorm_backward_graph`
#
# 演習 2〜6 の関数を、順伝播と **逆の順番** に呼びます。`cache` から必要な値を取り出し、次の順に計算してください。
#
# 1. スケールとシフト → $d\hat{x}, d\gamma, d\beta$
# 2. 正規化 → $dx_c^{(\text{直接})}, ds$
# 3. 標準偏差 → $d\sigma^2$
# 4. 分散 → $dx_c^{(\text{分散経由})}$
# 5. 中心化 → $dx$。渡すのは $dx_c^{(\text{直接})} + dx_c^{(\text{分散経由})}$ (分岐の合流)


# %% [solution] id=batchnorm_backward_graph
def batchnorm_backward_graph(dout, cache):
    """計算グラフのノードを 1 つずつたどるバッチ正規化の逆伝播。

    dout: 形状 (N, D) の ∂L/∂out。cache: batchnorm_forward が返した辞書。
    戻り値: (dx, dgamma, dbeta)。形状は (N, D)、(D,)、(D,)。演習 2〜6 の関数を使うこと。
    """
    # ヒント: hint("batchnorm_backward_graph")
    # @reference batchnorm_backward_graph


# %% [tests] id=test_batchnorm_backward_graph points=2 hidden=batchnorm_backward_graph
# 手で作った cache (ε = 0)。列 0: x = [−1, −1, 1, 1] は平均 0・分散 1 なので x_c = x̂ = x、s = 1、γ = 2。
# 列 1: x = [√2, −√2, 0, 0] も平均 0・分散 1。γ = 1。
# dout の列 0 = [1, 0, 0, 0]、列 1 = [1, 1, 1, 1] (定数)。
# 導出 (次の節の式): dx = (γ/s)(dout − mean(dout) − x̂ · mean(dout · x̂))
#   列 0: mean(dout) = 1/4、mean(dout · x̂) = −1/4 → dx = 2 · ([1, 0, 0, 0] − 1/4 + x̂/4) = [1, −1, 0, 0]
#   列 1: dout が定数なら dout − mean(dout) = 0、mean(dout · x̂) = 0 → dx = 0
# dγ = Σ dout · x̂ = [−1, 0]、dβ = Σ dout = [1, 4]
r2 = np.sqrt(2.0)
x_hand = np.array([[-1.0, r2], [-1.0, -r2], [1.0, 0.0], [1.0, 0.0]])
cache_hand = {
    "x": x_hand,
    "xc": x_hand.copy(),
    "var": np.array([1.0, 1.0]),
    "std": np.array([1.0, 1.0]),
    "xn": x_hand.copy(),
    "gamma": np.array([2.0, 1.0]),
    "eps": 0.0,
}
dout_hand = np.array([[1.0, 1.0], [0.0, 1.0], [0.0, 1.0], [0.0, 1.0]])
expected_dx = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
# N = 1 の cache (ε = 1e-5): x = [[2, −1]] は平均そのものなので x_c = x̂ = 0、分散 0、s = √1e-5。
# dx = (γ/s)(dout − mean(dout) − x̂ · mean(dout · x̂)) = 0、dγ = Σ dout · x̂ = [0, 0]、dβ = Σ dout = dout の 1 行 = [1, 3]
cache_one = {
    "x": np.array([[2.0, -1.0]]),
    "xc": np.zeros((1, 2)),
    "var": np.zeros(2),
    "std": np.full(2, np.sqrt(1e-5)),
    "xn": np.zeros((1, 2)),
    "gamma": np.array([2.0, 1.0]),
    "eps": 1e-5,
}
dout_one = np.array([[1.0, 3.0]])
if builds_on(
    {
        "演習 2 (bn_scale_shift_backward)": public_test_bn_scale_shift_backward,
        "演習 3 (bn_normalize_backward)": public_test_bn_normalize_backward,
        "演習 4 (bn_std_backward)": public_test_bn_std_backward,
        "演習 5 (bn_variance_backward)": public_test_bn_variance_backward,
        "演習 6 (bn_centering_backward)": public_test_bn_centering_backward,
    }
):
    with Properties() as test:
        with test.property("dx の値 (手計算の N = 4 の例と N = 1)"):
            dx, _, _ = batchnorm_backward_graph(dout_hand, cache_hand)
            check_array(
                dx,
                expected_dx,
                "batchnorm_backward_graph の dx",
                atol=1e-12,
                mistakes=[
                    (
                        [[1.5, 0.0], [-0.5, 0.0], [-0.5, 0.0], [-0.5, 0.0]],
                        "分散のノードを経由する経路が抜けています。2 つの dxc を足してから bn_centering_backward に渡します。",
                    ),
                    (
                        [[1.5, 1.0], [-0.5, 1.0], [0.5, 1.0], [0.5, 1.0]],
                        "bn_centering_backward を通していません (平均 μ を通る経路が抜けています)。",
                    ),
                ],
            )
            dx_one, _, _ = batchnorm_backward_graph(dout_one, cache_one)
            check_array(dx_one, [[0.0, 0.0]], "N = 1 での batchnorm_backward_graph の dx", atol=1e-12)
        with test.property("dgamma の値 (バッチ方向の和。N = 4 の例と N = 1)"):
            _, dgamma, _ = batchnorm_backward_graph(dout_hand, cache_hand)
            check_array(dgamma, [-1.0, 0.0], "batchnorm_backward_graph の dgamma", atol=1e-12)
            _, dgamma_one, _ = batchnorm_backward_graph(dout_one, cache_one)
            check_array(dgamma_one, [0.0, 0.0], "N = 1 での batchnorm_backward_graph の dgamma", atol=1e-12)
        with test.property("dbeta の値 (バッチ方向の和。N = 4 の例と N = 1)"):
            _, _, dbeta = batchnorm_backward_graph(dout_hand, cache_hand)
            check_array(dbeta, [1.0, 4.0], "batchnorm_backward_graph の dbeta")
            _, _, dbeta_one = batchnorm_backward_graph(dout_one, cache_one)
            check_array(dbeta_one, [1.0, 3.0], "N = 1 での batchnorm_backward_graph の dbeta")
    print("公開テスト: OK")

# %% [markdown]
# 数値微分 (中心差分) と比べて確かめましょう。`eval_numerical_gradient_array(f, x, dout)` は、スカラー $\sum f(x) \odot \texttt{dout}$ の
# $x$ についての数値勾配、つまり逆伝播が返すべき値を計算します (第 4 章)。比べる尺度は要素ごとの相対誤差の最大値 `rel_error` です。

# %%
rng = np.random.default_rng(0)
x_check = rng.standard_normal((6, 4)) * [1.0, 3.0, 0.5, 2.0] + [0.0, 5.0, -2.0, 1.0]
gamma_check, beta_check = rng.standard_normal(4) + 1.0, rng.standard_normal(4)
dout_check = rng.standard_normal((6, 4))
_, cache_check = batchnorm_forward(x_check, gamma_check, beta_check)
numerical = {
    "dx": eval_numerical_gradient_array(
        lambda v: batchnorm_forward(v, gamma_check, beta_check)[0], x_check, dout_check
    ),
    "dgamma": eval_numerical_gradient_array(
        lambda g: batchnorm_forward(x_check, g, beta_check)[0], gamma_check, dout_check
    ),
    "dbeta": eval_numerical_gradient_array(
        lambda b: batchnorm_forward(x_check, gamma_check, b)[0], beta_check, dout_check
    ),
}
graph_grads = dict(zip(["dx", "dgamma", "dbeta"], batchnorm_backward_graph(dout_check, cache_check)))
for key, value in graph_grads.items():
    error = rel_error(value, numerical[key])
    print(f"{key:6s}: 数値微分との相対誤差 {error:.0e} … {'OK' if error < 1e-7 else '大きすぎます'}")

# %% [markdown]
# 分岐の合流を忘れた場合 (正規化のノードからの直接の分だけを中心化のノードに渡した場合) はどうなるでしょうか。

# %%
dxn_check, _, _ = bn_scale_shift_backward(dout_check, cache_check["xn"], cache_check["gamma"])
dxc_direct_only, _ = bn_normalize_backward(dxn_check, cache_check["xc"], cache_check["std"])
dx_forgot_branch = bn_centering_backward(dxc_direct_only)
print(f"分散の経路を忘れた dx の相対誤差: {rel_error(dx_forgot_branch, numerical['dx']):.2f}")

# %% [markdown]
# 相対誤差は 1 のオーダーで、勾配確認ですぐに見つかります。
#
# ## 7.4 式を整理する: 簡潔な逆伝播
#
# 演習 7 の計算を 1 つの式にまとめます。列 $j$ を固定して添字 $j$ を省き、$\langle v \rangle = \frac{1}{N}\sum_{m=1}^{N} v_m$ を
# バッチ平均の記号とします。
#
# **ステップ 1** ($x_c$ の勾配の合計): 演習 3〜5 の式をつなぐと
#
# $$
# d\sigma^2 = \frac{ds}{2s} = -\frac{1}{2 s^3} \sum_{m} d\hat{x}_m\, x_{c,m}
# $$
#
# $$
# dx_{c,n} = \frac{d\hat{x}_n}{s} + \frac{2 x_{c,n}}{N}\, d\sigma^2
# = \frac{d\hat{x}_n}{s} - \frac{x_{c,n}}{s} \cdot \frac{1}{N} \sum_m d\hat{x}_m \frac{x_{c,m}}{s^2}
# = \frac{1}{s}\left( d\hat{x}_n - \hat{x}_n \langle d\hat{x}\, \hat{x} \rangle \right)
# $$
#
# ($x_c / s = \hat{x}$ を 2 回使いました)。
#
# **ステップ 2** (中心化): $dx_n = dx_{c,n} - \langle dx_c \rangle$ に入れます。
#
# $$
# \langle dx_c \rangle = \frac{1}{s}\left( \langle d\hat{x} \rangle - \langle \hat{x} \rangle \langle d\hat{x}\, \hat{x} \rangle \right) = \frac{1}{s} \langle d\hat{x} \rangle
# $$
#
# ここで $\langle \hat{x} \rangle = 0$ (正規化した値のバッチ平均は 0) を使いました。これは $\sum_m x_{c,m} = 0$ と同じことで、
# **分散の経路からの勾配は、平均のノードを通ると打ち消し合って消えます**。したがって
#
# $$
# dx_n = \frac{1}{s}\left( d\hat{x}_n - \langle d\hat{x} \rangle - \hat{x}_n \langle d\hat{x}\, \hat{x} \rangle \right)
# $$
#
# **ステップ 3** ($d\hat{x} = \gamma\, dy$ を代入):
#
# $$
# \boxed{\ dx_n = \frac{\gamma}{s}\left( dy_n - \langle dy \rangle - \hat{x}_n \langle dy\, \hat{x} \rangle \right)
# = \frac{\gamma}{N s}\left( N\, dy_n - d\beta - \hat{x}_n\, d\gamma \right)\ }
# $$
#
# ($\sum_m dy_m = d\beta$、$\sum_m dy_m \hat{x}_m = d\gamma$ を使うと右の形になります。$d\beta$ と $d\gamma$ は逆伝播でどのみち計算するので、実装ではこちらの形がよく使われます。)
#
# **意味**: $dx$ は、上流の勾配 $dy$ から「バッチ平均の成分」と「$\hat{x}$ の方向の成分」を取り除いたもの (に $\gamma/s$ を掛けたもの) です。
# そのため列ごとに $\sum_n dx_n = 0$ が成り立ち、$\varepsilon$ を無視すれば $\sum_n dx_n \hat{x}_n = 0$ も成り立ちます
# ($\sum_n \hat{x}_n^2 = N \sigma^2 / (\sigma^2 + \varepsilon)$ がほぼ $N$ だから)。バッチ全体の $x$ に同じ数を足しても、
# ($\varepsilon$ を無視すれば) 全体を同じ倍率で拡大しても BN の出力は変わらないので、その 2 つの方向には勾配がないわけです。
#
# **よくある誤り**: 「平均の項」$\langle dy \rangle$ を落とす (平均 $\mu$ が $x$ に依存することを忘れる)、
# 「分散の項」$\hat{x}_n \langle dy\, \hat{x} \rangle$ を落とす (標準偏差 $s$ が $x$ に依存することを忘れる)、
# $s$ の代わりに $\sqrt{\sigma^2}$ を使う ($\varepsilon$ を忘れる) などです。
#
# ### 演習 8: `batchnorm_backward_compact`


# %% [solution] id=batchnorm_backward_compact
def batchnorm_backward_compact(dout, cache):
    """整理した式 (7.4 節の枠の式) によるバッチ正規化の逆伝播: dx = (γ/s)(dout − ⟨dout⟩ − x̂ ⟨dout x̂⟩)。

    ⟨ ⟩ はバッチ方向 (axis=0) の平均、dout x̂ は要素ごとの積、s は cache["std"] (√(var + eps))。
    dout: 形状 (N, D) の ∂L/∂out。cache: batchnorm_forward が返した辞書。
    戻り値: (dx, dgamma, dbeta)。形状は (N, D)、(D,)、(D,)。演習 2〜7 の関数は使わずに計算すること。
    """
    # ヒント: hint("batchnorm_backward_compact")
    # @reference batchnorm_backward_compact


# %% [tests] id=test_batchnorm_backward_compact points=3 hidden=batchnorm_backward_compact
# 演習 7 のテストと同じ手計算の例 (ε = 0 の cache)
def public_test_batchnorm_backward_compact():
    """演習 8 の手計算の例の公開テスト (演習 9 の前提としても使います)。"""
    with Properties() as test:
        with test.property("dx の値 (手計算の N = 4 の例と N = 1)"):
            dx, _, _ = batchnorm_backward_compact(dout_hand, cache_hand)
            check_array(
                dx,
                expected_dx,
                "batchnorm_backward_compact の dx",
                atol=1e-12,
                mistakes=[
                    (
                        [[1.5, 0.0], [-0.5, 0.0], [-0.5, 0.0], [-0.5, 0.0]],
                        "分散の項 x̂ · mean(dout · x̂) が抜けています (標準偏差も x に依存します)。",
                    ),
                    (
                        [[1.5, 1.0], [-0.5, 1.0], [0.5, 1.0], [0.5, 1.0]],
                        "平均の項 mean(dout) が抜けています (平均 μ も x に依存します)。",
                    ),
                    ([[0.5, 0.0], [-0.5, 0.0], [0.0, 0.0], [0.0, 0.0]], "γ を掛け忘れています。"),
                ],
            )
            # N = 1 (演習 7 のテストの cache_one): dx = 0
            dx_one, _, _ = batchnorm_backward_compact(dout_one, cache_one)
            check_array(dx_one, [[0.0, 0.0]], "N = 1 での batchnorm_backward_compact の dx", atol=1e-12)
        with test.property("dgamma の値 (バッチ方向の和。N = 4 の例と N = 1)"):
            _, dgamma, _ = batchnorm_backward_compact(dout_hand, cache_hand)
            check_array(dgamma, [-1.0, 0.0], "batchnorm_backward_compact の dgamma", atol=1e-12)
            _, dgamma_one, _ = batchnorm_backward_compact(dout_one, cache_one)
            check_array(dgamma_one, [0.0, 0.0], "N = 1 での batchnorm_backward_compact の dgamma", atol=1e-12)
        with test.property("dbeta の値 (バッチ方向の和。N = 4 の例と N = 1)"):
            _, _, dbeta = batchnorm_backward_compact(dout_hand, cache_hand)
            check_array(dbeta, [1.0, 4.0], "batchnorm_backward_compact の dbeta")
            _, _, dbeta_one = batchnorm_backward_compact(dout_one, cache_one)
            check_array(dbeta_one, [1.0, 3.0], "N = 1 での batchnorm_backward_compact の dbeta")


public_test_batchnorm_backward_compact()

if builds_on({"演習 1 (batchnorm_forward)": public_test_batchnorm_forward}):
    # 性質: 列ごとに Σ_n dx = 0、Σ_n dx · x̂ = 0 (ランダムな例、演習 7 の数値微分と同じ入力)
    dx_random, _, _ = batchnorm_backward_compact(dout_check, cache_check)
    check_array(dx_random.sum(axis=0), np.zeros(4), "dx の列ごとの和", atol=1e-10)
    # (後者は ε = 0 のときだけ厳密に 0。ここでは ε/(σ² + ε) 程度だけずれるので、許容誤差を 1e-3 にする)
    check_array(np.sum(dx_random * cache_check["xn"], axis=0), np.zeros(4), "dx と x̂ の列ごとの内積", atol=1e-3)
    # 数値微分と一致する
    check_array(dx_random, numerical["dx"], "数値微分と比べた dx", rtol=1e-6, atol=1e-8)
    print("公開テスト: OK")

# %% [markdown]
# 2 つの実装は、丸め誤差の範囲で一致するはずです。

# %%
compact_grads = batchnorm_backward_compact(dout_check, cache_check)
for key, graph_value, compact_value in zip(["dx", "dgamma", "dbeta"], graph_grads.values(), compact_grads):
    print(f"{key:6s}: 計算グラフ版と整理した式の相対誤差 {rel_error(graph_value, compact_value):.0e}")

# %% [markdown]
# 整理した式は一時的な配列が少なく、速くて省メモリです。一方、計算グラフ版は 1 ノードずつ確かめられるので、導出の検証に向いています。
# 実際のライブラリ (PyTorch など) も、整理した式に相当する計算をしています。
#
# ## 7.5 `BatchNormalization` レイヤ: 学習時と推論時
#
# **推論時の問題**: 学習時はミニバッチの統計量で正規化しますが、推論 (テスト) 時には 1 サンプルずつ予測することもあり、
# そもそも「ある入力への予測がたまたま一緒に入力された他のデータに左右される」のは困ります。そこで学習中に、
# 各バッチの平均と分散の **移動平均** (指数移動平均 (exponential moving average)) を記録しておき、推論時はそれを使います。
#
# $$
# \begin{aligned}
# \mu_\text{run} &\leftarrow m\, \mu_\text{run} + (1 - m)\, \mu_B \\
# \sigma^2_\text{run} &\leftarrow m\, \sigma^2_\text{run} + (1 - m)\, \sigma^2_B
# \end{aligned}
# \qquad\qquad
# \text{推論時:}\quad y = \gamma \frac{x - \mu_\text{run}}{\sqrt{\sigma^2_\text{run} + \varepsilon}} + \beta
# $$
#
# ($\mu_B, \sigma^2_B$ はそのミニバッチの平均と分散)。推論時は統計量を **更新せず**、バッチサイズ 1 でも同じ結果になります。
#
# **`momentum` の向きに注意**: この講座 (『ゼロから作るDeep Learning』と同じ) の `momentum` $m$ は **古い値の重み** で、既定は 0.9 です。
# PyTorch の `BatchNorm1d(momentum=0.1)` は逆に **新しい値の重み** で、$\text{running} \leftarrow (1 - 0.1)\, \text{running} + 0.1\, \text{batch}$ です。
# つまりこの講座の 0.9 と PyTorch の 0.1 は同じ更新です (Keras の `momentum=0.99` は、この講座と同じく古い値の重み)。
#
# **初期値**: $\mu_\text{run} = 0$、$\sigma^2_\text{run} = 1$ から始めます (PyTorch と同じ)。『ゼロから作るDeep Learning』のコードは
# $\sigma^2_\text{run}$ を **0** から始めます。すると $k$ 回更新した後の $\sigma^2_\text{run}$ は $(1 - 0.9^k)\sigma^2$ 程度で、
# 学習の初めのうちは分散を小さく見積もり、推論時の出力が大きくなりすぎます (例えば 1 回目の更新後は $0.1\,\sigma^2$ で、出力は約 3.2 倍)。
#
# **移動平均に使う分散**: この講座では、$\sigma^2_\text{run}$ の更新にも $N$ で割るバッチ分散 $\sigma^2_B$ をそのまま使います
# (『ゼロから作るDeep Learning』と同じ)。ところが PyTorch は、バッチの正規化には $N$ で割る分散を使う一方で、移動平均の更新には
# **不偏分散** (unbiased variance) $\frac{N}{N - 1}\sigma^2_B$ を使います。元論文も推論用の分散を $\frac{m}{m - 1} E[\sigma^2_B]$ ($m$ はバッチサイズ) としています。
# $N$ で割る分散は、母集団の分散を平均して $\frac{N-1}{N}$ 倍に小さく見積もるからです。$N = 100$ なら差は 1% ですが、
# バッチが小さいと無視できません。下の実験で確かめます。どちらを使うかは実装ごとの約束事なので、ライブラリの実装と比べるときは注意しましょう。
# 第 6 章の最後では「論文と PyTorch の式に従いましょう」と書きましたが、この違いは式の書き誤りではなく約束事の違いなので、この講座は
# あえて教科書に合わせています ($N$ で割る版なら、順伝播で求めた 1 つの分散を正規化にも移動平均にもそのまま使え、教科書のコードとも同じ値になるため)。
# PyTorch で確かめると、`torch.nn.BatchNorm1d(D, momentum=1.0)` (新しい値の重みが 1 なので、移動平均がそのバッチの値そのものになる) に
# 学習モードでバッチ `x` を 1 回通すと、`running_var` は `x.var(dim=0, unbiased=True)` ($N - 1$ で割る不偏分散) と一致し、
# そのときの出力は $N$ で割る分散で正規化した値と一致します。2 つの約束事の違いは、移動平均の更新に使う分散が $\frac{N}{N-1}$ 倍違うことだけで
# ($N = 4$ なら $4/3$ 倍、$N = 100$ なら約 $1.01$ 倍)、効くのは小さなバッチのときだけです。
#
# **多次元の入力**: 入力が (N, C, H, W) のような多次元配列なら、『ゼロから作るDeep Learning』と同じく (N, C·H·W) に平坦化して
# 各要素を 1 つの特徴量として正規化し、出力は元の形状に戻します。(画像用の PyTorch の `BatchNorm2d` はチャンネルごとに
# (N, H, W) の全体で平均をとります。7.7 節で扱います。)
#
# ### 演習 9: `BatchNormalization` レイヤ
#
# `forward(x, train_flg=True)` は、学習時 (`train_flg=True`) は演習 1 の `batchnorm_forward` で正規化し、`cache` を保存して移動平均を更新します。
# 推論時 (`train_flg=False`) は移動平均で正規化し、状態を何も変えません。`backward(dout)` は演習 8 の `batchnorm_backward_compact` を使い、
# `dgamma`, `dbeta` を属性に保存して `dx` を返します。`running_mean`, `running_var` が `None` なら、最初の `forward` で
# 0 と 1 (形状 (D,)) に初期化します。


# %% [solution] id=batchnorm_layer
class BatchNormalization:
    """バッチ正規化レイヤ。gamma, beta: 形状 (D,)。

    momentum: 移動平均の **古い値の重み** (0.9 は PyTorch の momentum=0.1 と同じ)。
    running_mean, running_var: 形状 (D,) の配列、または None (最初の forward で 0 と 1 に初期化する)。
    移動平均の分散には、バッチ分散 (N で割る cache["var"]) をそのまま使う。eps は平方根の中。
    """

    def __init__(self, gamma, beta, momentum=0.9, running_mean=None, running_var=None, eps=1e-5):
        """引数をそれぞれ同じ名前の属性に保存し、input_shape, cache, dgamma, dbeta を None にする。"""
        # ヒント: hint("BatchNormalization.__init__")
        # @reference BatchNormalization.__init__

    def forward(self, x, train_flg=True):
        """x: 形状 (N, D) または (N, d1, d2, ...) (後者は先頭の軸 (バッチ) を残して (N, D) に平坦化する)。戻り値: x と同じ形状。

        学習時も推論時も、入力の形状を self.input_shape に保存する (backward で dx の形状を戻すのに使う)。

        学習時: batchnorm_forward で正規化し、self.cache を保存し、running_mean と running_var を
        running ← momentum · running + (1 − momentum) · (バッチの平均 / バッチの分散) と更新する。
        推論時: (x − running_mean) / √(running_var + eps) · gamma + beta。状態は変えない。
        """
        # ヒント: hint("BatchNormalization.forward")
        # @reference BatchNormalization.forward

    def backward(self, dout):
        """dout: 出力と同じ形状の ∂L/∂out。self.dgamma, self.dbeta (形状 (D,)) を保存し、x と同じ形状の dx を返す。"""
        # ヒント: hint("BatchNormalization.backward")
        # @reference BatchNormalization.backward


# %% [tests] id=test_batchnorm_layer points=4 hidden=batchnorm_layer
if builds_on(
    {
        "演習 1 (batchnorm_forward)": public_test_batchnorm_forward,
        "演習 8 (batchnorm_backward_compact)": public_test_batchnorm_backward_compact,
    }
):
    # 学習時: 列 0 = [1, 3] (μ = 2、分散 1)、列 1 = [10, 20] (μ = 15、分散 25)
    x_train_step = np.array([[1.0, 10.0], [3.0, 20.0]])
    expected_train = np.array(
        [[-1 / np.sqrt(1 + 1e-5), -5 / np.sqrt(25 + 1e-5)], [1 / np.sqrt(1 + 1e-5), 5 / np.sqrt(25 + 1e-5)]]
    )
    with Properties() as test:
        training = "学習時の forward と backward (出力、dx、dgamma、dbeta。既定の引数)"
        with test.property(training):
            layer = BatchNormalization(np.ones(2), np.zeros(2))
            out = layer.forward(x_train_step, train_flg=True)
            check_array(out, expected_train, "学習時の forward")
            # 逆伝播: 列 = 7 + 3 · [−1, −1, 1, 1] (平均 7、分散 9)、γ = 2、dout = [1, 0, 0, 0]
            # s = √(9 + ε)、x̂ = (3/s) · v (v = [−1, −1, 1, 1])。7.4 節の式で mean(dout) = 1/4、mean(dout · x̂) = −(3/s)/4 なので
            # dx = (2/s) · ([3/4, −1/4, −1/4, −1/4] + (3/s)² / 4 · v) ≈ (2/3) · [1/2, −1/2, 0, 0]
            layer_backward = BatchNormalization(np.array([2.0]), np.array([0.0]))
            v = np.array([[-1.0], [-1.0], [1.0], [1.0]])
            layer_backward.forward(7 + 3 * v)
            dx = layer_backward.backward(np.array([[1.0], [0.0], [0.0], [0.0]]))
            s = np.sqrt(9 + 1e-5)
            check_array(
                dx, (2 / s) * (np.array([[0.75], [-0.25], [-0.25], [-0.25]]) + (3 / s) ** 2 / 4 * v), "backward の dx"
            )
            check_array(layer_backward.dgamma, [-3 / s], "backward の後の dgamma")
            check_array(layer_backward.dbeta, [1.0], "backward の後の dbeta")
        # 移動平均 (初期値 0 と 1、momentum = 0.9): 0.9 · 0 + 0.1 · [2, 15] = [0.2, 1.5]、0.9 · 1 + 0.1 · [1, 25] = [1.0, 3.4]
        running = "学習時の移動平均 (running_mean、running_var) の更新"
        with test.property(running, needs=[training]):
            check_array(
                layer.running_mean,
                [0.2, 1.5],
                "1 回の学習後の running_mean",
                mistakes=[
                    (
                        [1.8, 13.5],
                        "momentum の向きが逆です。momentum は古い値の重みです: m · running + (1 − m) · batch。",
                    )
                ],
            )
            check_array(
                layer.running_var,
                [1.0, 3.4],
                "1 回の学習後の running_var",
                mistakes=[
                    (
                        [1.1, 5.9],
                        "不偏分散 (N − 1 で割る) を使っています。この講座ではバッチ分散 cache['var'] (N で割る) をそのまま使います。",
                    ),
                    ([0.1, 2.5], "running_var を 0 から始めています。初期値は 1 です (PyTorch と同じ)。"),
                    ([1.8, 22.6], "momentum の向きが逆です。momentum は古い値の重みです。"),
                ],
            )
        # 推論時: (x − running_mean) / √(running_var + ε)。状態は変わらない
        with test.property("推論時 (train_flg=False) は移動平均で正規化し、状態を変えない", needs=[training, running]):
            out = layer.forward(np.array([[1.2, 1.5]]), train_flg=False)
            check_array(
                out,
                [[1 / np.sqrt(1 + 1e-5), 0.0]],
                "推論時の forward (N = 1)",
                mistakes=[
                    ([[0.0, 0.0]], "推論時にバッチの統計量を使っています。移動平均を使います。"),
                    (
                        [[1 / np.sqrt(1 + 1e-6), 0.0]],
                        "ε が 1e-6 (『ゼロから作るDeep Learning』のコードの 10e-7) になっています。"
                        "self.eps (既定は PyTorch と同じ 1e-5) を使ってください。",
                    ),
                ],
            )
            check_array(layer.running_mean, [0.2, 1.5], "推論の後の running_mean (変わらないはず)")
            check_array(layer.running_var, [1.0, 3.4], "推論の後の running_var (変わらないはず)")
        # 引数を渡したレイヤ: γ = [2, 1]、β = [0.5, −1]、momentum = 0.7、running_mean = [0, −2]、running_var = [4, 2]
        with test.property("momentum、running_mean、running_var を渡したレイヤ (momentum=0.7 で推論、学習、推論)"):
            layer_given = BatchNormalization(
                np.array([2.0, 1.0]),
                np.array([0.5, -1.0]),
                momentum=0.7,
                running_mean=np.array([0.0, -2.0]),
                running_var=np.array([4.0, 2.0]),
            )
            # 推論 (学習の前): [3, −2] → γ (x − running_mean) / √(running_var + ε) + β = [2 · 3/√(4 + ε) + 0.5, 1 · 0 − 1]
            check_array(
                layer_given.forward(np.array([[3.0, -2.0]]), train_flg=False),
                [[6 / np.sqrt(4 + 1e-5) + 0.5, -1.0]],
                "引数を渡したレイヤの、学習前の推論時の forward",
                mistakes=[
                    (
                        [[6 / np.sqrt(1 + 1e-5) + 0.5, -2 / np.sqrt(1 + 1e-5) - 1.0]],
                        "引数の running_mean、running_var を使わずに 0 と 1 から始めています。None のときだけ初期化します。",
                    )
                ],
            )
            # 学習: 列 0 = [0, 2]、列 1 = [1, 3] (μ = [1, 2]、分散 [1, 1]) → 出力は γ · [[−1, −1], [1, 1]] / √(1 + ε) + β
            # 移動平均: 0.7 · [0, −2] + 0.3 · [1, 2] = [0.3, −0.8]、0.7 · [4, 2] + 0.3 · [1, 1] = [3.1, 1.7]
            s1 = np.sqrt(1 + 1e-5)
            check_array(
                layer_given.forward(np.array([[0.0, 1.0], [2.0, 3.0]]), train_flg=True),
                [[-2 / s1 + 0.5, -1 / s1 - 1.0], [2 / s1 + 0.5, 1 / s1 - 1.0]],
                "引数を渡したレイヤの学習時の forward",
            )
            check_array(
                layer_given.running_mean,
                [0.3, -0.8],
                "引数を渡したレイヤの、1 回の学習後の running_mean",
                mistakes=[
                    ([0.1, -1.6], "引数の momentum を使っていません (0.9 を直接書いていませんか)。"),
                    (
                        [0.7, 0.8],
                        "momentum の向きが逆です。momentum は古い値の重みです: running ← m · running + (1 − m) · batch。",
                    ),
                    (
                        [0.3, 0.6],
                        "引数の running_mean、running_var を使わずに 0 と 1 から始めています。None のときだけ初期化します。",
                    ),
                ],
            )
            check_array(layer_given.running_var, [3.1, 1.7], "引数を渡したレイヤの、1 回の学習後の running_var")
            # 推論 (学習の後): [2, 1.5] → [2 · (2 − 0.3)/√(3.1 + ε) + 0.5, 1 · (1.5 + 0.8)/√(1.7 + ε) − 1]
            check_array(
                layer_given.forward(np.array([[2.0, 1.5]]), train_flg=False),
                [[3.4 / np.sqrt(3.1 + 1e-5) + 0.5, 2.3 / np.sqrt(1.7 + 1e-5) - 1.0]],
                "引数を渡したレイヤの、学習後の推論時の forward",
            )
        # 多次元の入力: (N, D) に平坦化して正規化し、出力と dx は入力の形状に戻す
        with test.property("多次元の入力の学習と推論 (形状 (2, 1, 2) と (3, 2, 2))"):
            # 形状 (2, 1, 2) の入力を平坦化すると上の x_train_step になる: 出力は上の学習時の出力を (2, 1, 2) にしたもの
            layer_flat = BatchNormalization(np.ones(2), np.zeros(2))
            out = layer_flat.forward(x_train_step.reshape(2, 1, 2))
            check_array(out, expected_train.reshape(2, 1, 2), "形状 (2, 1, 2) の入力に対する学習時の forward")
            # 推論: 移動平均は上と同じ [0.2, 1.5] と [1.0, 3.4] なので、[[[1.2, 1.5]]] → [[[1/√(1 + ε), 0]]]
            out = layer_flat.forward(np.array([[[1.2, 1.5]]]), train_flg=False)
            check_array(out, [[[1 / np.sqrt(1 + 1e-5), 0.0]]], "形状 (1, 1, 2) の入力に対する推論時の forward")
            # 形状 (3, 2, 2) は (3, 4) として正規化し、出力と dx は (3, 2, 2) に戻す
            layer_3d = BatchNormalization(np.ones(4), np.zeros(4))
            x_3d = np.random.default_rng(0).standard_normal((3, 2, 2))
            out_3d = layer_3d.forward(x_3d)
            check_true(out_3d.shape == (3, 2, 2), f"形状 (3, 2, 2) の入力に対する出力の形状が {out_3d.shape} です。")
            check_true(
                layer_3d.backward(np.ones((3, 2, 2))).shape == (3, 2, 2), "dx を入力と同じ形状に戻してください。"
            )
    print("公開テスト: OK")

# %% [markdown]
# レイヤ全体の勾配も数値微分で確かめておきます (学習モードの `forward` と `backward`。`check_layer_gradients` は `gamma` と `beta` も調べます)。

# %%
layer_check = BatchNormalization(rng.standard_normal(5) + 1.0, rng.standard_normal(5))
print(format_gradient_report(check_layer_gradients(layer_check, rng.standard_normal((8, 5)) * 2 + 1)))

# %% [markdown]
# ### 実験: 移動平均はどこへ向かうか
#
# 平均 3、分散 4 の正規分布から、バッチサイズ $N = 4$ のミニバッチを 1000 回作って学習モードの `forward` を呼び、
# `running_mean` と `running_var` の変化を見ます。比較のため、PyTorch と同じく不偏分散 $\frac{N}{N-1}\sigma_B^2$ で更新した
# 移動平均も横で計算しておきます。

# %%
population_mean, population_var, small_batch = 3.0, 4.0, 4
demo_layer = BatchNormalization(np.ones(1), np.zeros(1))
demo_rng = np.random.default_rng(0)
running_means, running_vars, unbiased_vars = [], [], []
unbiased_running_var = np.ones(1)
for _ in range(1000):
    batch = demo_rng.normal(population_mean, np.sqrt(population_var), size=(small_batch, 1))
    demo_layer.forward(batch, train_flg=True)
    unbiased_running_var = 0.9 * unbiased_running_var + 0.1 * batch.var(axis=0, ddof=1)
    running_means.append(demo_layer.running_mean[0])
    running_vars.append(demo_layer.running_var[0])
    unbiased_vars.append(unbiased_running_var[0])

fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), layout="constrained")
axes[0].plot(running_means, label="running_mean")
axes[0].axhline(population_mean, color="gray", ls=":", label="母集団の平均 3")
axes[0].set_title("移動平均 (平均)")
axes[1].plot(running_vars, label="running_var (N で割る分散、この講座)")
axes[1].plot(unbiased_vars, label="不偏分散で更新 (PyTorch)", alpha=0.8)
axes[1].axhline(population_var, color="gray", ls=":", label="母集団の分散 4")
axes[1].axhline(
    population_var * (small_batch - 1) / small_batch, color="tab:red", ls="--", lw=1, label="4 · (N − 1)/N = 3"
)
axes[1].set_title("移動平均 (分散)")
for ax in axes:
    ax.set_xlabel("学習のステップ (ミニバッチの数)")
    ax.set_ylabel("値")
    ax.legend(fontsize=8)
fig.suptitle("バッチサイズ N = 4 のときの移動平均 (momentum = 0.9)")
plt.show()
print(
    f"最初の 100 ステップを除いた平均: running_var {np.mean(running_vars[100:]):.2f}、"
    f"不偏分散で更新 {np.mean(unbiased_vars[100:]):.2f}"
)

# %% [markdown]
# - 移動平均は数十ステップで母集団の値の近くに落ち着きますが、最近 10 回分程度 ($1/(1 - m) = 10$) の平均なので、ずっと揺れ続けます。
#   `momentum` を 0.99 にすると揺れは小さくなりますが、落ち着くまでに 10 倍のステップがかかります。
# - $N$ で割るバッチ分散で更新した `running_var` は、母集団の分散 4 ではなく $4 \cdot \frac{N-1}{N} = 3$ の付近に落ち着きます。
#   不偏分散で更新すると 4 の付近です。バッチサイズが小さいときは、推論時の分散の見積もりがこれだけ違います。
#
# ## 7.6 実験: BN のある学習とない学習を、重みのスケールごとに比べる
#
# 『ゼロから作るDeep Learning』 6.3.2 節と同じ実験を、digits で小さく行います。隠れ層 5 層 (各 50 ユニット、ReLU) のネットワークを、
# 重みの初期値の標準偏差を 3 通りに変えて、BN あり (Affine → BN → ReLU) となしで学習させます。訓練データの先頭 500 枚を使い、
# バッチサイズ 50、学習率 0.1 の SGD で 10 エポック学習し、各エポックの終わりに訓練データの正解率を (推論モードで) 記録します。
# 隠れ層 50 ユニットの ReLU ネットワークでは、He の初期値は $\sqrt{2/50} = 0.2$ です。
#
# 次のセルのネットワークは、演習 9 の `BatchNormalization` と、これまでの章のレイヤを組み合わせたものです (演習ではありません)。


# %%
class DeepNet:
    """隠れ層ごとに Affine → [BatchNormalization] → ReLU、最後に Affine → SoftmaxWithLoss。"""

    def __init__(self, sizes, weight_std, use_batchnorm, rng):
        self.layers = []
        for index, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            self.layers.append(Affine(weight_std * rng.standard_normal((n_in, n_out)), np.zeros(n_out)))
            if index < len(sizes) - 2:  # 隠れ層
                if use_batchnorm:
                    self.layers.append(BatchNormalization(np.ones(n_out), np.zeros(n_out)))
                self.layers.append(Relu())
        self.last_layer = SoftmaxWithLoss()

    def predict(self, x, train_flg):
        for layer in self.layers:
            x = layer.forward(x, train_flg) if isinstance(layer, BatchNormalization) else layer.forward(x)
        return x

    def accuracy(self, x, t, chunk=100):
        # 100 行ずつ計算する: 小さな行列積なら混んだマシンでも速い
        scores = np.concatenate([self.predict(x[i : i + chunk], train_flg=False) for i in range(0, len(x), chunk)])
        return float(np.mean(np.argmax(scores, axis=1) == t))

    def sgd_step(self, x, t, learning_rate):
        """ミニバッチ (x, t) で SGD を 1 ステップ進め、ステップ前の損失を返す。"""
        loss = self.last_layer.forward(self.predict(x, train_flg=True), t)
        dout = self.last_layer.backward(1.0)
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        for layer in self.layers:  # パラメータをその場で更新する
            if isinstance(layer, Affine):
                layer.W -= learning_rate * layer.dW
                layer.b -= learning_rate * layer.db
            elif isinstance(layer, BatchNormalization):
                layer.gamma -= learning_rate * layer.dgamma
                layer.beta -= learning_rate * layer.dbeta
        return loss


(x_train, t_train), _ = load_digits()
x_small, t_small = x_train[:500], t_train[:500]


def train_deep_net(weight_std, use_batchnorm, epochs=10, batch_size=50, learning_rate=0.1, seed=0):
    """50 ユニットの隠れ層 5 つの DeepNet を x_small で訓練する。

    (各エポック後の訓練データでの正解率, 最後の |重み| の最大値) を返す。
    """
    rng = np.random.default_rng(seed)
    net = DeepNet([64, 50, 50, 50, 50, 50, 10], weight_std, use_batchnorm, rng)
    accuracies = []
    # 重みが発散するとオーバーフローしうる: 警告は出さず、|重み| の最大値で知らせる
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(epochs):
            order = rng.permutation(len(x_small))
            for start in range(0, len(x_small), batch_size):
                batch = order[start : start + batch_size]
                net.sgd_step(x_small[batch], t_small[batch], learning_rate)
            accuracies.append(net.accuracy(x_small, t_small))
    largest_weight = max(float(np.abs(layer.W).max()) for layer in net.layers if isinstance(layer, Affine))
    return accuracies, largest_weight


weight_stds = [1.0, 0.2, 0.02]
results = {(std, use_bn): train_deep_net(std, use_bn) for std in weight_stds for use_bn in (True, False)}

fig, axes = plt.subplots(1, len(weight_stds), figsize=(12, 3.6), sharey=True, layout="constrained")
for ax, std in zip(axes, weight_stds):
    for use_bn, style, label in [(True, "-", "BN あり"), (False, "--", "BN なし")]:
        accuracies, _ = results[(std, use_bn)]
        ax.plot(np.arange(1, len(accuracies) + 1), accuracies, style, marker="o", markersize=3, label=label)
    ax.set_title(f"重みの標準偏差 {std}" + (" (≈ He)" if std == 0.2 else ""))
    ax.set_xlabel("エポック")
    ax.set_ylim(0, 1.02)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="center right", fontsize=8)
axes[0].set_ylabel("訓練データの正解率")
fig.suptitle("BN のある学習とない学習 (digits 500 枚、隠れ層 5 層 × 50、SGD 学習率 0.1)")
plt.show()
for std in weight_stds:
    for use_bn, label in [(True, "BN あり"), (False, "BN なし")]:
        accuracies, largest = results[(std, use_bn)]
        print(
            f"標準偏差 {std:4}、{label}: 10 エポック後の訓練正解率 {accuracies[-1]:.2f}、重みの絶対値の最大 {largest:.1e}"
        )


# %% [markdown]
# 読み取れることをまとめます (図と表の数値で確かめてください)。
#
# - **標準偏差 1** (大きすぎる): BN なしでは、層を通るたびに信号が約 $1 \cdot \sqrt{50/2} = 5$ 倍に増幅され、出力のスコアも勾配も巨大になります。
#   最初の数ステップで重みの更新が爆発し (重みの絶対値の最大は、表のとおり天文学的な値になります)、その後は ReLU への入力がほぼすべて負になって
#   どのユニットも 0 しか出さなくなり (死んだ ReLU (dying ReLU))、正解率は当てずっぽう (約 0.1) のまま止まります。
#   BN ありでは各層の入力が正規化されるので、学習が進みます。
# - **標準偏差 0.2** (He の初期値): BN なしでも学習できますが、BN ありのほうが速く正解率が上がります。
# - **標準偏差 0.02** (小さすぎる): BN なしでは信号が層ごとに約 $0.02 \cdot \sqrt{50/2} = 0.1$ 倍に縮み、出力がほぼ 0 になって勾配も消えるため、
#   正解率は当てずっぽう (約 0.1) のまま動きません。BN ありでは、重みを何倍しても BN の出力は変わらないので、ほかの場合と同じように学習できます
#   (ただし BN の前の重みの勾配は重みのスケールに反比例するので、実質的な学習率はスケールによって変わります)。
#
# BN は「重みの初期値をほとんど気にしなくてよくなる」と言われるのは、このためです。
#
# ## 7.7 レイヤ正規化・インスタンス正規化・グループ正規化
#
# BN には、バッチに依存することによる弱点があります。
#
# - バッチが小さいと平均と分散の推定がばらつき、学習が不安定になる ($N = 1$ では学習できない)。物体検出などでは、
#   画像が大きく 1 GPU あたり 1〜2 枚しか載らないことがある
# - 学習時 (バッチの統計量) と推論時 (移動平均) で計算が違う
# - 系列の長さが毎回違う RNN では、時刻ごとの統計量を用意しにくい
#
# そこで、**1 つのサンプルの中だけ** で平均と分散をとる方法がいくつも提案されました。入力が (N, C, H, W)
# (サンプル, チャンネル, 高さ, 幅) の画像のとき、平均と分散をとる軸は次のとおりです (Wu & He, 2018 の整理)。
#
# | 手法 | 平均と分散をとる軸 | 統計量の組の数 | 主な用途 |
# |---|---|---|---|
# | バッチ正規化 (画像では `BatchNorm2d`) | (N, H, W) | C (チャンネルごと) | CNN 全般 |
# | レイヤ正規化 (layer normalization; Ba ら, 2016) | (C, H, W) | N (サンプルごと) | RNN、Transformer |
# | インスタンス正規化 (instance normalization; Ulyanov ら, 2016) | (H, W) | N·C (サンプルとチャンネルごと) | 画風変換 (style transfer) |
# | グループ正規化 (group normalization; Wu & He, 2018) | (C/G, H, W) | N·G (サンプルと、チャンネルのグループごと) | 小さなバッチの物体検出など |
#
# グループ正規化は、C 個のチャンネルを **連続する** C/G 個ずつの G グループに分けます (チャンネル 0〜C/G−1 がグループ 0。PyTorch と同じ)。
# $G = 1$ ならレイヤ正規化、$G = C$ ならインスタンス正規化と同じです。インスタンス正規化は 1 枚の画像の 1 チャンネルごとに正規化するので、
# 画像ごとのコントラストや明るさの違いを取り除きます。どの手法でも、正規化の後にチャンネルごとの $\gamma, \beta$ を掛けて足すのは BN と同じです。
# 他のサンプルを使わないので移動平均が不要で、学習時と推論時の計算が同じになり、バッチサイズ 1 でも使えます。
#
# (この章の `BatchNormalization` は (N, C, H, W) を (N, C·H·W) に平坦化するので、各画素の位置ごとに N 個の値だけで正規化します。
# 画像用の `BatchNorm2d` はチャンネルごとに N·H·W 個の値で正規化する点が違います。)
#
# 次の図は、それぞれの手法で 1 組の平均・分散を共有する要素を青で示したものです。各マスは、あるサンプルのあるチャンネルの
# H × W 画素全体を表します。

# %%
n_show, c_show = 4, 6
shared = {
    "バッチ正規化 (BatchNorm2d)": lambda n, c: c == 1,
    "レイヤ正規化": lambda n, c: n == 1,
    "インスタンス正規化": lambda n, c: n == 1 and c == 1,
    "グループ正規化 (G = 3)": lambda n, c: n == 1 and c // 2 == 0,
}
fig, axes = plt.subplots(1, len(shared), figsize=(13, 3.2), layout="constrained")
for ax, (title, is_shared) in zip(axes, shared.items()):
    for n in range(n_show):
        for c in range(c_show):
            color = "tab:blue" if is_shared(n, c) else "white"
            ax.add_patch(plt.Rectangle((c, n_show - 1 - n), 1, 1, facecolor=color, edgecolor="gray"))
    if title.startswith("グループ"):
        for boundary in (2, 4):  # 連続する 2 チャネルずつの 3 グループ
            ax.axvline(boundary, color="black", lw=2.5)
    ax.set_xlim(0, c_show)
    ax.set_ylim(0, n_show)
    ax.set_aspect("equal")
    ax.set_xticks(np.arange(c_show) + 0.5, [str(c) for c in range(c_show)])
    ax.set_yticks(np.arange(n_show) + 0.5, [str(n) for n in reversed(range(n_show))])
    ax.set_xlabel("チャンネル c")
    ax.set_title(title, fontsize=10)
axes[0].set_ylabel("サンプル n")
fig.suptitle(
    "1 組の平均と分散を共有する要素 (青。各マスは 1 サンプル・1 チャンネルの H × W 画素全体、太線はグループの境界)"
)
plt.show()

# %% [markdown]
# ### 演習 10: レイヤ正規化・インスタンス正規化・グループ正規化
#
# 3 つの関数を実装してください。どれも $(x - \mu)/\sqrt{\sigma^2 + \varepsilon}$ (分散は要素数で割る、$\varepsilon$ は平方根の中) を返し、
# 違うのは平均と分散をとる軸だけです。$\gamma, \beta$ は省きます。`np.mean(x, axis=(2, 3), keepdims=True)` のように
# `axis` にタプルを渡すと複数の軸でまとめて平均がとれ、`keepdims=True` にすると結果がそのまま `x` にブロードキャストされます。
# グループ正規化は、`x.reshape(N, G, -1)` とすると、1 行が 1 つのグループ (連続する C/G チャンネルの全画素) になります。


# %% [solution] id=normalization_variants
def layer_norm(x, eps=1e-5):
    """レイヤ正規化: サンプルごとに、バッチの軸 0 以外のすべての軸で平均と分散をとる。

    x: 形状 (N, C, H, W) などの (N, C, ...)、または (N, D)。戻り値: x と同じ形状。
    eps: 分散に足してから平方根をとる小さな数 (√(分散 + eps) で割る)。
    """
    # ヒント: hint("layer_norm")
    # @reference layer_norm


def instance_norm(x, eps=1e-5):
    """インスタンス正規化: サンプルとチャンネルごとに、空間の軸 (H, W) だけで平均と分散をとる。

    x: 形状 (N, C, H, W) などの (N, C, ...) (空間の軸が 1 つ以上)。戻り値: x と同じ形状。
    eps: 分散に足してから平方根をとる小さな数 (√(分散 + eps) で割る)。
    """
    # ヒント: hint("instance_norm")
    # @reference instance_norm


def group_norm(x, num_groups, eps=1e-5):
    """グループ正規化: チャンネルを連続する C/G 個ずつの G = num_groups グループに分け、サンプルとグループごとに正規化する。

    x: 形状 (N, C, ...)。num_groups は C の約数。戻り値: x と同じ形状。
    eps: 分散に足してから平方根をとる小さな数 (√(分散 + eps) で割る)。
    """
    # ヒント: hint("group_norm")
    # @reference group_norm


# %% [tests] id=test_normalization_variants points=3 hidden=normalization_variants
# x の形状 (2, 4, 1, 2): サンプル 0 のチャンネル c の 2 画素は [2c, 2c + 1] (値 0〜7)、サンプル 1 は 8〜15
x = np.arange(16.0).reshape(2, 4, 1, 2)
# レイヤ正規化: サンプルごとに 8 個の連続した整数 → 平均からのずれ −3.5〜3.5、分散 (8² − 1)/12 = 5.25
expected_ln = np.tile((np.arange(8.0) - 3.5) / np.sqrt(5.25 + 1e-5), 2).reshape(2, 4, 1, 2)
# インスタンス正規化: 各 (n, c) の 2 画素 [a, a + 1] → 平均 a + 0.5、分散 0.25
expected_in = np.tile([-0.5, 0.5], 8).reshape(2, 4, 1, 2) / np.sqrt(0.25 + 1e-5)
# グループ正規化 (G = 2): 連続する 2 チャンネル = 4 個の連続した整数 → ずれ −1.5〜1.5、分散 1.25
expected_gn = np.tile(np.arange(4.0) - 1.5, 4).reshape(2, 4, 1, 2) / np.sqrt(1.25 + 1e-5)
# 3 次元の入力 x3 (形状 (2, 2, 2)、値 0〜7): サンプルごとに 4 個の連続した整数 (ずれ −1.5〜1.5、分散 1.25)、
# 各 (n, c) の 2 個は [a, a + 1] (ずれ ±0.5、分散 0.25)
x3 = np.arange(8.0).reshape(2, 2, 2)
expected_ln3 = np.tile(np.arange(4.0) - 1.5, 2).reshape(2, 2, 2) / np.sqrt(1.25 + 1e-5)
expected_in3 = np.tile([-0.5, 0.5], 4).reshape(2, 2, 2) / np.sqrt(0.25 + 1e-5)
batch_axis = "バッチの軸 0 で平均をとっています (それはバッチ正規化)。"
# 性質の確かめに使うランダムな入力
x_random = np.random.default_rng(0).standard_normal((3, 6, 2, 3)) * 2 + 1
with Properties() as test:
    layer_values = "layer_norm の値 (4 次元と 3 次元の入力、1 サンプルだけの入力)"
    with test.property(layer_values):
        check_array(
            layer_norm(x),
            expected_ln,
            "layer_norm(x)",
            mistakes=[
                (np.where(x < 8, -1.0, 1.0) * 4 / np.sqrt(16 + 1e-5), batch_axis),
                (expected_in, "空間の軸だけで平均をとっています (それはインスタンス正規化)。"),
            ],
        )
        check_array(layer_norm(x3), expected_ln3, "layer_norm (形状 (2, 2, 2))")
        # 他のサンプルに依存しない
        check_array(layer_norm(x_random[1:2]), layer_norm(x_random)[1:2], "1 サンプルだけの layer_norm")
    instance_values = "instance_norm の値 (4 次元と 3 次元の入力)"
    with test.property(instance_values):
        check_array(
            instance_norm(x),
            expected_in,
            "instance_norm(x)",
            mistakes=[(expected_ln, "チャンネルの軸 1 も含めて平均をとっています (それはレイヤ正規化)。")],
        )
        check_array(instance_norm(x3), expected_in3, "instance_norm (形状 (2, 2, 2))")
    with test.property("group_norm の値 (num_groups が 1、2、C)"):
        # 誤ってチャンネル {0, 2} と {1, 3} を組にすると、値 [0, 1, 4, 5] と [2, 3, 6, 7] (平均からのずれ ±1.5, ±2.5、分散 4.25) で正規化される
        interleaved = np.tile([-2.5, -1.5, -2.5, -1.5, 1.5, 2.5, 1.5, 2.5], 2).reshape(2, 4, 1, 2) / np.sqrt(
            4.25 + 1e-5
        )
        check_array(
            group_norm(x, 2),
            expected_gn,
            "group_norm(x, 2)",
            mistakes=[
                (expected_ln, "グループに分けずに、サンプル全体で正規化しています。"),
                (
                    interleaved,
                    "グループのチャンネルが連続していません。チャンネル 0 から C/G − 1 が 1 組目、次の C/G 個が 2 組目、のように連続する C/G チャンネルを 1 組にします。",
                ),
            ],
        )
        # G = 1 はレイヤ正規化、G = C はインスタンス正規化と同じ
        check_array(group_norm(x, 1), expected_ln, "group_norm(x, 1)")
        check_array(group_norm(x, 4), expected_in, "group_norm(x, 4)")
    # ランダムな入力でも、G = 1 は layer_norm、G = C は instance_norm と同じ (2 つが正しいときに確かめる)
    with test.property(
        "group_norm(x, 1) は layer_norm(x)、group_norm(x, C) は instance_norm(x) と同じ (形状 (3, 6, 2, 3) のランダムな入力)",
        needs=[layer_values, instance_values],
    ):
        check_array(group_norm(x_random, 1), layer_norm(x_random), "group_norm(x, 1) と layer_norm(x)")
        check_array(group_norm(x_random, 6), instance_norm(x_random), "group_norm(x, 6) と instance_norm(x)")
    # 2 次元の入力 (N, D) のレイヤ正規化: 行ごと
    with test.property("2 次元の入力 (N, D) の layer_norm"):
        check_array(
            layer_norm(np.array([[1.0, 3.0], [2.0, 2.0]])),
            [[-1 / np.sqrt(1 + 1e-5), 1 / np.sqrt(1 + 1e-5)], [0.0, 0.0]],
            "layer_norm (形状 (2, 2))",
        )
    # eps = 3 なら、行 [1, 3] (分散 1) は ±1/√(1 + 3) = ±0.5
    with test.property("layer_norm が引数の eps を使う (eps=3、形状 (2, 2) の入力)"):
        check_array(
            layer_norm(np.array([[1.0, 3.0], [2.0, 2.0]]), eps=3.0),
            [[-0.5, 0.5], [0.0, 0.0]],
            "eps=3 での layer_norm (形状 (2, 2))",
        )
print("公開テスト: OK")

# %% [markdown]
# 最後に、BN とレイヤ正規化で「同じサンプルの出力が、一緒にいるサンプルによって変わるか」を比べます。
# サンプル 0 を、2 つの異なるバッチに入れて正規化してみます (BN は学習時の順伝播 $\gamma = 1, \beta = 0$)。

# %%
rng = np.random.default_rng(3)
sample = rng.standard_normal((1, 6))
batch_a = np.vstack([sample, rng.standard_normal((7, 6))])
batch_b = np.vstack([sample, rng.standard_normal((7, 6)) * 3 + 2])
bn_a = batchnorm_forward(batch_a, np.ones(6), np.zeros(6))[0][0]
bn_b = batchnorm_forward(batch_b, np.ones(6), np.zeros(6))[0][0]
print("BN           : サンプル 0 の出力の差の最大値", f"{np.abs(bn_a - bn_b).max():.3f}")
print(
    "レイヤ正規化: サンプル 0 の出力の差の最大値",
    f"{np.abs(layer_norm(batch_a)[0] - layer_norm(batch_b)[0]).max():.3f}",
)

# %% [markdown]
# BN の出力は、同じサンプルでも一緒に入力された他のサンプルで大きく変わります (推論時に移動平均を使う理由の 1 つです)。
# レイヤ正規化の出力はまったく変わりません。

# %% [answer] id=why_running_average points=3
# **問**: 学習を終えた BN を、推論時の計算に切り替え忘れた (`train_flg=True` のまま) ときに何が起きるかを考えます。
# 特徴量は 1 つ (D = 1)、$\gamma = 1$、$\beta = 0$ で、データはクラス 0 が $x = -3, -2, -1$、クラス 1 が $x = 1, 2, 3$ です。
# 学習中の移動平均は、データ全体の平均と分散 `running_mean` = 0、`running_var` = $14/3 \approx 4.67$ に落ち着いたとします。
# 後ろの層は、BN の出力が正ならクラス 1、負ならクラス 0 と予測します ($\varepsilon$ は無視してかまいません)。
#
# 1. 推論時の計算 (`train_flg=False`) での 6 個の出力と、正解率を求めてください。
# 2. `train_flg=True` のまま、データを **クラスごとに並べた** 3 個ずつのバッチ $[-3, -2, -1]$ と $[1, 2, 3]$ で入力すると、
#    出力と予測はどうなりますか。1 個ずつ (バッチサイズ 1 で) 入力するとどうなりますか。
# 3. 2 で予測が壊れる理由と、移動平均を使うと壊れない理由を説明してください。また、`train_flg=True` のままでも 1 とほぼ同じ
#    結果になるのは、どんなバッチを入力したときですか。
#
# **模範解答**: (1) 出力は $x / \sqrt{14/3} \approx x / 2.16$ で、順に $-1.39, -0.93, -0.46, 0.46, 0.93, 1.39$。符号がすべて正解と
# 合うので正解率は 1 (6 個中 6 個)。
# (2) バッチ $[-3, -2, -1]$ の平均は $-2$、分散は $2/3$ なので、出力は $(x + 2)/\sqrt{2/3} \approx (-1.22, 0, 1.22)$。バッチ $[1, 2, 3]$ も
# 平均 2、分散 $2/3$ で、出力はまったく同じ $(-1.22, 0, 1.22)$ になる。クラス 0 の $-1$ はクラス 1 と、クラス 1 の $1$ はクラス 0 と
# 予測され、$\pm 2$ は境目の 0 になるので、確実に当たるのは 6 個中 2 個だけ。1 個ずつ入力すると、バッチの平均はその値自身で
# $x - \mu = 0$ なので、どの入力でも出力は $\beta = 0$ になり、入力の情報がすべて消える。
# (3) 学習時の計算は、そのバッチ自身の平均と分散で正規化する。クラスごとに並べたバッチでは、バッチの平均がそのクラスの平均に
# なるので、2 つのクラスを分けていた「位置」(符号) がちょうど引き去られ、残るのはバッチの中での相対的な位置だけになる。
# つまり出力が、一緒に入力された他のサンプルで決まってしまう。移動平均はデータ全体の平均と分散の推定で、推論時には固定
# されているので、どのサンプルにも同じ変換 $x \mapsto (x - \mu_\text{run})/\sqrt{\sigma^2_\text{run} + \varepsilon}$ がかかり、
# 一緒に入力されたサンプルによらず、後ろの層が学習したときとほぼ同じ入力の分布になる。`train_flg=True` でも 1 とほぼ同じに
# なるのは、学習時と同じように両クラスがよく混ざった (シャッフルした) 大きなバッチで、バッチの平均と分散がデータ全体の値
# (0 と 14/3) に近いときだけである。
#
# (採点の目安: (1) と (2) の出力と予測 (推論時はすべて正解、クラスごとのバッチでは両方とも $(-1.22, 0, 1.22)$、
# 1 個ずつなら常に 0) で 1 点 (どれか 1 つが欠けていれば 0.5 点)。(3) バッチの平均がクラスの平均になってクラスの情報が
# 引き去られる・出力が他のサンプルで変わることで 1 点。移動平均は固定された全体の統計量なのでサンプルごとに同じ変換になること、
# および大きくよく混ざったバッチなら近い結果になることで 1 点 (一方だけなら 0.5 点)。)

# %% [markdown]
# ## まとめ
#
# - 深いネットワークでは、重みのスケールしだいで活性化が飽和したり (勾配消失)、1 か所に集まったり (表現力の低下) する。
#   前の層の更新で後ろの層の入力の分布が動くことを、内部共変量シフトと呼ぶ (BN の効果の説明としては異論もある)。
# - BN (学習時) は特徴量ごとに $\hat{x} = (x - \mu_B)/\sqrt{\sigma_B^2 + \varepsilon}$、$y = \gamma \hat{x} + \beta$。
#   分散は $N$ で割り、$\varepsilon$ ($10^{-5}$) は平方根の中。割るのは分散ではなく標準偏差。$N = 1$ では出力が $\beta$ に潰れる。
# - 逆伝播は計算グラフのノードごとに求められる。$x_c$ は正規化と分散の 2 か所で使われるので、勾配を **足して** から中心化のノードに通す。
#   $\gamma, \beta$ と $s$ の勾配はバッチ方向の和。
# - 整理すると $dx = \frac{\gamma}{s}\left(dy - \langle dy \rangle - \hat{x}\, \langle dy\, \hat{x} \rangle\right)$。
#   「平均の項」と「分散の項」のどちらが抜けても誤り。列ごとに $\sum_n dx_n = 0$、($\varepsilon$ を無視すれば) $\sum_n dx_n \hat{x}_n = 0$。
# - 推論時は移動平均 $\mu_\text{run}, \sigma^2_\text{run}$ を使い、状態は変えない。この講座の `momentum` = 0.9 は古い値の重みで、
#   PyTorch の `momentum=0.1` と同じ。初期値は 0 と 1 (教科書のコードは分散を 0 から始める)。
#   PyTorch と元論文は推論用の分散に不偏分散 $\frac{N}{N-1}\sigma_B^2$ を使う (この講座と教科書は $\sigma_B^2$ のまま)。
# - BN を入れると、重みの初期値のスケールが悪くても学習が進み、良い初期値でも速く学習できる。
# - レイヤ正規化は (C, H, W)、インスタンス正規化は (H, W)、グループ正規化は (C/G, H, W) で平均と分散をとる
#   (BN は (N, H, W))。どれもサンプルごとに閉じているので、バッチサイズ 1 でも使え、学習時と推論時で同じ計算になる。

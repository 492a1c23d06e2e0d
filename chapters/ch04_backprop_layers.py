# Chapter 4 of the course. Built into source_notebooks/ by `python -m autograder build`.
# `hint` is imported for the learner, who calls it as the stubs' comments say (unused in this file):
# ruff: noqa: F401

# %% [markdown]
# # 第 4 章 誤差逆伝播法: 計算グラフと層の実装
#
# 第 3 章では、損失関数の勾配を数値微分 (numerical differentiation) で求めました。数値微分は実装が簡単ですが、
# パラメータ 1 つにつき順伝播を 2 回行うので、パラメータが $P$ 個あれば 1 回の勾配計算に $2P$ 回の順伝播が必要です。
# 入力 784、隠れ層 100、出力 10 の小さな 2 層ネットワークでもパラメータは
# $784 \cdot 100 + 100 + 100 \cdot 10 + 10 = 79{,}510$ 個あり、勾配 1 回に約 16 万回の順伝播が要ります。
#
# 誤差逆伝播法 (backpropagation) は、連鎖律 (chain rule) を使って、**順伝播 1 回と逆伝播 1 回** で
# すべてのパラメータの勾配を (近似ではなく) 正確に求めます。この章では、その部品となる「層」を NumPy で実装します。
#
# 1. 計算グラフ (computational graph) と連鎖律。乗算ノード `MulLayer` と加算ノード `AddLayer`
# 2. 買い物の例で、逆伝播の値を 1 つずつ追う
# 3. 活性化関数の層 `Relu` と `Sigmoid`
# 4. バッチ入力の `Affine` 層と、その逆伝播 $\partial L / \partial W = X^\top \cdot \partial L / \partial Y$ などの導出
# 5. 勾配確認 (gradient check): 数値微分と比べて、実装した逆伝播を検証する
#
# **レイヤの約束ごと**: 層を 1 つのクラスとして実装したものをレイヤ (layer) と呼びます (Affine レイヤ、Relu レイヤなど)。
# どのレイヤも 『ゼロから作るDeep Learning』 と同じく、次の形にそろえます。
#
# - `forward(x)`: 出力を返す。逆伝播で必要になる値 (入力や出力) を属性に保存しておく。
# - `backward(dout)`: `dout` は損失 $L$ をこの層の **出力** で微分した $\partial L / \partial (\text{出力})$。
#   戻り値は $L$ をこの層の **入力** で微分した $\partial L / \partial (\text{入力})$。
#   重みなどのパラメータの勾配は、戻り値ではなく属性 `dW`, `db` に保存する。
#
# **進め方**: `ここに実装してください (YOUR CODE HERE)` と書かれたセルを実装し、すぐ下のテストセルを実行してください。
# テストセルが例外を出さずに「公開テスト: OK」と表示すれば合格です。採点では、ここに見えているテスト (公開テスト) に加えて、
# 別の入力を使う隠しテストも実行されます。公開テストの値だけに合わせた実装では点になりません。
#
# **ヒント**: 行き詰まったら、実装するセルのコメントにある `hint("関数名")` を新しいセルで実行してください。ヒントは 2〜3 段階あり、
# `hint("関数名", 2)` のように番号を増やすと次の段階が表示されます (答えのコードそのものは出ません)。表示したヒントは
# ノートブックの出力に残り、講師のクラス報告で「どのヒントが必要とされたか」の集計に使われます (成績には影響しません)。

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np

from course.checks import Properties, check_array, check_true
from course.gradcheck import check_layer_gradients, eval_numerical_gradient, eval_numerical_gradient_array, rel_error
from course.hints import hint
from course.plotting import use_japanese_font

use_japanese_font()
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 4.1 計算グラフと連鎖律
#
# 計算グラフは、計算の過程を **ノード** (node、演算を表す ○) と **辺** (edge、値が流れる矢印) で描いた図です。
# 順伝播 (forward propagation) では左から右へ値を計算し、逆伝播 (backward propagation) では右から左へ
# 「最終的な出力 $L$ を、その辺の値で微分したもの」を流します。逆伝播で出力側から流れてくる勾配を
# **上流の勾配** (upstream gradient) と呼び、コードでは `dout` と書きます。
#
# ### 連鎖律
#
# 合成関数の微分は、それぞれの関数の微分の積になります。例えば $z = t^2,\ t = x + y$ なら
#
# $$
# \frac{\partial z}{\partial x} = \frac{\partial z}{\partial t} \cdot \frac{\partial t}{\partial x} = 2t \cdot 1 = 2(x + y)
# $$
#
# です。$x = 1,\ y = 2$ では $t = 3,\ z = 9$ で、$\partial z / \partial x = 6$ です
# (確かめ: $x = 1.001$ にすると $z = 3.001^2 = 9.006001$ となり、$z$ の増え方は $x$ の増え方のほぼ 6 倍)。
#
# 計算グラフで見ると、連鎖律は「各ノードが **自分の局所的な微分** (local derivative) を上流の勾配に掛けて、
# 入力側へ渡す」という単純な規則になります。ノード $z = f(x)$ では
#
# $$
# \frac{\partial L}{\partial x} = \frac{\partial L}{\partial z} \cdot \frac{\partial z}{\partial x}
# \qquad (\text{入力側へ渡す勾配} = \text{上流の勾配} \times \text{局所的な微分})
# $$
#
# です。各ノードはグラフ全体を知らなくても、自分の入力と出力だけで逆伝播を計算できます。
#
# ### 加算ノードと乗算ノード
#
# **加算ノード** $z = x + y$ では $\dfrac{\partial z}{\partial x} = \dfrac{\partial z}{\partial y} = 1$ なので、
#
# $$
# \frac{\partial L}{\partial x} = \frac{\partial L}{\partial z} \cdot 1, \qquad \frac{\partial L}{\partial y} = \frac{\partial L}{\partial z} \cdot 1
# $$
#
# と、上流の勾配を **そのまま** 両方の入力に流します。
#
# **乗算ノード** $z = x y$ では $\dfrac{\partial z}{\partial x} = y,\ \dfrac{\partial z}{\partial y} = x$ なので、
#
# $$
# \frac{\partial L}{\partial x} = \frac{\partial L}{\partial z} \cdot y, \qquad \frac{\partial L}{\partial y} = \frac{\partial L}{\partial z} \cdot x
# $$
#
# と、**もう一方の入力** を掛けて流します (入力を「入れ替えて」掛ける)。そのため乗算ノードは、順伝播のときの入力
# $x, y$ を覚えておく必要があります。
#
# ### 分岐では勾配を足す
#
# 1 つの値が 2 か所以上で使われる (グラフが分岐する) ときは、それぞれの経路から戻ってきた勾配を **足し合わせます**
# (多変数の連鎖律)。例えば $z = x \cdot x$ を乗算ノードで計算すると、2 つの入力の勾配はどちらも
# $\frac{\partial L}{\partial z} \cdot x$ で、$x$ の勾配はその和 $2x \cdot \frac{\partial L}{\partial z}$ になり、
# 確かに $\frac{d}{dx} x^2 = 2x$ と一致します。この規則は 4.4 節の Affine 層のバイアスで再び使います。
#
# ### 演習 1: 乗算レイヤ `MulLayer`
#
# 乗算ノードを、`forward` と `backward` を持つクラスとして実装してください。入力はスカラー (Python の `float`) か、
# 同じ形状の NumPy 配列です。`*` は要素ごとの積なので、どちらも同じコードで扱えます。


# %% [solution] id=mul_layer
class MulLayer:
    """乗算ノード z = x * y (x, y はスカラー、または同じ形状の配列)。"""

    def __init__(self):
        """順伝播の入力を覚えておく属性 self.x, self.y を None で初期化する。"""
        # ヒント: hint("MulLayer.__init__")
        # @reference MulLayer.__init__

    def forward(self, x, y):
        """z = x * y を返す。逆伝播のために x と y を self.x, self.y に保存する (forward のたびに上書き)。"""
        # ヒント: hint("MulLayer.forward")
        # @reference MulLayer.forward

    def backward(self, dout):
        """dout: ∂L/∂z (z と同じ形状)。戻り値: タプル (dx, dy) = (∂L/∂x, ∂L/∂y)。"""
        # ヒント: hint("MulLayer.backward")
        # @reference MulLayer.backward


# %% [tests] id=test_mul_layer points=2 hidden=mul_layer
# 100 円のりんごを 2 個: 順伝播は 100 * 2 = 200。上流の勾配 1.1 なら dx = 1.1 * 2 = 2.2、dy = 1.1 * 100 = 110
# 性質 (property) ごとに確かめ、合わない性質があってもその後の性質まで確かめてから、性質ごとの結果 (✓/✗) を示す
swapped = "dx と dy が入れ替わっています。x の勾配には、もう一方の入力 y を掛けます。"
values = ["スカラーの入力での順伝播と逆伝播の値 (100 × 2)", "配列での順伝播と逆伝播の値 (形状 (2,))"]
with Properties() as test:
    with test.property(values[0]):
        mul = MulLayer()
        check_array(np.atleast_1d(mul.forward(100.0, 2.0)), [200.0], "MulLayer().forward(100, 2)")
        d_price, d_count = mul.backward(1.1)
        check_array(np.atleast_1d(d_price), [2.2], "MulLayer.backward(1.1) の dx", mistakes=[([110.0], swapped)])
        check_array(np.atleast_1d(d_count), [110.0], "MulLayer.backward(1.1) の dy", mistakes=[([2.2], swapped)])
    # 配列: x = [1, 2], y = [3, 4] → z = [3, 8]。dout = [1, -1] → dx = dout * y = [3, -4]、dy = dout * x = [1, -2]
    with test.property(values[1]):
        mul = MulLayer()
        check_array(mul.forward(np.array([1.0, 2.0]), np.array([3.0, 4.0])), [3.0, 8.0], "MulLayer.forward (配列)")
        dx, dy = mul.backward(np.array([1.0, -1.0]))
        check_array(dx, [3.0, -4.0], "MulLayer.backward の dx (配列)", mistakes=[([1.0, -2.0], swapped)])
        check_array(dy, [1.0, -2.0], "MulLayer.backward の dy (配列)", mistakes=[([3.0, -4.0], swapped)])
    # 2 回目の forward は保存した入力を置き換える: x = [2, 0], y = [5, -1] を後から渡し、dout = [1, -1] なら
    # dx = dout * y = [5, 1]、dy = dout * x = [2, 0] (最初の入力 [1, 2], [3, 4] のままなら [3, -4], [1, -2])
    with test.property("呼び出しをまたいだ状態 (2 回目の forward の後の backward)", needs=values):
        stale = "最初の forward の入力を使っています。forward のたびに self.x, self.y を上書きしてください。"
        mul = MulLayer()
        mul.forward(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
        mul.forward(np.array([2.0, 0.0]), np.array([5.0, -1.0]))
        dx, dy = mul.backward(np.array([1.0, -1.0]))
        check_array(dx, [5.0, 1.0], "2 回目の forward の後の MulLayer.backward の dx", mistakes=[([3.0, -4.0], stale)])
        check_array(dy, [2.0, 0.0], "2 回目の forward の後の MulLayer.backward の dy", mistakes=[([1.0, -2.0], stale)])
print("公開テスト: OK")

# %% [markdown]
# ### 演習 2: 加算レイヤ `AddLayer`
#
# 加算ノードの逆伝播は入力の値を使わないので、何も保存する必要がありません (`__init__` も不要です)。


# %% [solution] id=add_layer
class AddLayer:
    """加算ノード z = x + y (x, y はスカラー、または同じ形状の配列)。"""

    def forward(self, x, y):
        """z = x + y を返す。"""
        # ヒント: hint("AddLayer.forward")
        # @reference AddLayer.forward

    def backward(self, dout):
        """dout: ∂L/∂z。戻り値: タプル (dx, dy) = (∂L/∂x, ∂L/∂y)。"""
        # ヒント: hint("AddLayer.backward")
        # @reference AddLayer.backward


# %% [tests] id=test_add_layer points=1 hidden=add_layer
# 200 + 450 = 650。∂z/∂x = ∂z/∂y = 1 なので、上流の勾配 1.1 がそのまま 2 つ返る
not_one = "1 ではなく、上流の勾配 dout を返します。"
with Properties() as test:
    with test.property("スカラーの入力での順伝播と逆伝播の値 (200 + 450)"):
        add = AddLayer()
        check_array(np.atleast_1d(add.forward(200.0, 450.0)), [650.0], "AddLayer().forward(200, 450)")
        d_first, d_second = add.backward(1.1)
        check_array(np.atleast_1d(d_first), [1.1], "AddLayer.backward(1.1) の dx", mistakes=[([1.0], not_one)])
        check_array(np.atleast_1d(d_second), [1.1], "AddLayer.backward(1.1) の dy", mistakes=[([1.0], not_one)])
    # 配列: [[1, 2]] + [[3, -5]] = [[4, -3]]。dout = [[1, -2]] がそのまま 2 つ返る
    with test.property("配列での順伝播と逆伝播の値 (形状 (1, 2))"):
        add = AddLayer()
        check_array(
            add.forward(np.array([[1.0, 2.0]]), np.array([[3.0, -5.0]])), [[4.0, -3.0]], "AddLayer.forward (配列)"
        )
        d_first, d_second = add.backward(np.array([[1.0, -2.0]]))
        check_array(d_first, [[1.0, -2.0]], "AddLayer.backward の dx (配列)")
        check_array(d_second, [[1.0, -2.0]], "AddLayer.backward の dy (配列)")
print("公開テスト: OK")

# %% [markdown]
# ## 4.2 買い物の例で逆伝播を追う
#
# 1 個 100 円のりんごを 2 個と、1 個 150 円のみかんを 3 個買い、消費税 10% (税率 1.1 倍) を払う計算をグラフにします。
#
# **順伝播**
#
# | ノード | 計算 | 値 |
# |---|---|---|
# | りんごの乗算 | $a = 100 \times 2$ | 200 |
# | みかんの乗算 | $o = 150 \times 3$ | 450 |
# | 加算 | $s = a + o$ | 650 |
# | 消費税の乗算 | $L = s \times 1.1$ | 715 |
#
# **逆伝播** は出力側から $\partial L / \partial L = 1$ を流すところから始めます。
#
# | ノード | 上流の勾配 | 入力側へ渡す勾配 |
# |---|---|---|
# | 消費税の乗算 | 1 | $\partial L/\partial s = 1 \times 1.1 = 1.1$、$\partial L/\partial(\text{税率}) = 1 \times 650 = 650$ |
# | 加算 | 1.1 | $\partial L/\partial a = \partial L/\partial o = 1.1$ (そのまま) |
# | りんごの乗算 | 1.1 | $\partial L/\partial(\text{りんごの値段}) = 1.1 \times 2 = 2.2$、$\partial L/\partial(\text{りんごの個数}) = 1.1 \times 100 = 110$ |
# | みかんの乗算 | 1.1 | $\partial L/\partial(\text{みかんの値段}) = 1.1 \times 3 = 3.3$、$\partial L/\partial(\text{みかんの個数}) = 1.1 \times 150 = 165$ |
#
# 例えば「りんごの値段の勾配が 2.2」とは、りんごが 1 円値上がりすると支払金額が 2.2 円増える、という意味です。
# 同じ計算を、演習 1・2 のレイヤで行ってみましょう。逆伝播では、順伝播と **逆の順番** にレイヤの `backward` を呼びます。

# %%
apple_price, apple_count, orange_price, orange_count, tax = 100.0, 2.0, 150.0, 3.0, 1.1

mul_apple, mul_orange, add_fruits, mul_tax = MulLayer(), MulLayer(), AddLayer(), MulLayer()

# 順伝播: 左から右へ
apple_total = mul_apple.forward(apple_price, apple_count)
orange_total = mul_orange.forward(orange_price, orange_count)
subtotal = add_fruits.forward(apple_total, orange_total)
total = mul_tax.forward(subtotal, tax)

# 逆伝播: 右から左へ、dL/dL = 1 から始める
d_subtotal, d_tax = mul_tax.backward(1.0)
d_apple_total, d_orange_total = add_fruits.backward(d_subtotal)
d_apple_price, d_apple_count = mul_apple.backward(d_apple_total)
d_orange_price, d_orange_count = mul_orange.backward(d_orange_total)

print(f"支払金額: {total:.1f} 円")
print(
    f"勾配: りんごの値段 {d_apple_price:.1f}, りんごの個数 {d_apple_count:.1f}, "
    f"みかんの値段 {d_orange_price:.1f}, みかんの個数 {d_orange_count:.1f}, 税率 {d_tax:.1f}"
)

# %% [markdown]
# 計算グラフとして描くと次のようになります。矢印の上の黒い数字が順伝播の値、下の赤い数字が逆伝播の勾配です。

# %%
fig, ax = plt.subplots(figsize=(10, 4.6))
nodes = {"mul_apple": (3.5, 4.0), "mul_orange": (3.5, 1.0), "add": (6.0, 2.5), "mul_tax": (8.5, 2.5)}
for name, (cx, cy) in nodes.items():
    ax.add_patch(plt.Circle((cx, cy), 0.35, fill=False, lw=1.5))
    ax.text(cx, cy, "+" if name == "add" else "×", ha="center", va="center", fontsize=20)


def edge(start, end, forward_value, backward_value, label=None, where=0.5):
    """start から end への矢印。左側に順伝播の値、右側に勾配 (赤) を書く。"""
    ax.annotate("", xy=end, xytext=start, arrowprops={"arrowstyle": "->", "lw": 1.2, "shrinkA": 0, "shrinkB": 20})
    direction = np.subtract(end, start) / np.hypot(*np.subtract(end, start))
    normal = np.array([-direction[1], direction[0]])  # 矢印の左側を向く (右向きの矢印なら上)
    point = np.add(start, where * np.subtract(end, start))
    ax.text(*(point + 0.28 * normal), f"{forward_value:g}", ha="center", va="center", fontsize=10)
    ax.text(*(point - 0.28 * normal), f"{backward_value:g}", ha="center", va="center", fontsize=10, color="tab:red")
    if label:
        ax.text(start[0] - 0.1, start[1], label, ha="right", va="center", fontsize=10)


edge((0.5, 5.0), nodes["mul_apple"], apple_price, d_apple_price, "りんごの値段", where=0.4)
edge((0.5, 3.0), nodes["mul_apple"], apple_count, d_apple_count, "りんごの個数", where=0.4)
edge((0.5, 2.0), nodes["mul_orange"], orange_price, d_orange_price, "みかんの値段", where=0.4)
edge((0.5, 0.0), nodes["mul_orange"], orange_count, d_orange_count, "みかんの個数", where=0.4)
edge(nodes["mul_apple"], nodes["add"], apple_total, d_apple_total)
edge(nodes["mul_orange"], nodes["add"], orange_total, d_orange_total)
edge(nodes["add"], nodes["mul_tax"], subtotal, d_subtotal)
edge((6.9, 0.6), nodes["mul_tax"], tax, d_tax, "税率")
edge(nodes["mul_tax"], (10.8, 2.5), round(total, 6), 1.0)
ax.text(10.9, 2.5, "支払金額 $L$", ha="left", va="center", fontsize=10)
ax.set_xlim(-1.8, 12.6)
ax.set_ylim(-0.4, 5.4)
ax.set_aspect("equal")
ax.axis("off")
ax.set_title("買い物の計算グラフ (黒: 順伝播の値、赤: 逆伝播の勾配 ∂L/∂(その値))")
plt.show()

# %% [markdown]
# 勾配が本当に「1 円あたりの支払金額の変化」になっているか、りんごの値段を 1 円上げて確かめます。
# 支払金額はりんごの値段について 1 次式なので、差はちょうど勾配 2.2 になるはずです。

# %%
total_plus_one = ((apple_price + 1) * apple_count + orange_price * orange_count) * tax
print(f"りんごを 1 円値上げしたときの支払金額の増加: {total_plus_one - total:.4f} 円 (勾配 {d_apple_price:.4f})")

# %% [markdown]
# ## 4.3 活性化関数の層
#
# ### ReLU 層
#
# ReLU (rectified linear unit) $y = \max(0, x)$ の微分は
#
# $$
# \frac{\partial y}{\partial x} = \begin{cases} 1 & (x > 0) \\ 0 & (x \le 0) \end{cases}
# $$
#
# です ($x = 0$ では微分できません。$x = 0$ で 1 とする資料もありますが、この講座では PyTorch の `torch.relu` と同じく 0 とします)。
# ReLU は要素ごとの関数なので、逆伝播も要素ごとで、連鎖律より
#
# $$
# \frac{\partial L}{\partial x_{ij}} = \frac{\partial L}{\partial y_{ij}} \cdot \frac{\partial y_{ij}}{\partial x_{ij}}
# = \begin{cases} \dfrac{\partial L}{\partial y_{ij}} & (x_{ij} > 0) \\[2mm] 0 & (x_{ij} \le 0) \end{cases}
# $$
#
# となります。順伝播で $x > 0$ だった要素だけ上流の勾配を **そのまま通し**、それ以外は **止める** (0 にする) スイッチです。
#
# **よくある誤り**: ReLU の逆伝播の結果を「$x > 0$ なら 1、それ以外は 0」と書いた資料を見かけることがあります。
# これは局所的な微分 $\partial y / \partial x$ であって、求めたい $\partial L / \partial x$ ではありません
# (上流の勾配 $\partial L / \partial y$ を掛け忘れています)。`backward` が返すのは必ず「上流の勾配 × 局所的な微分」です。
#
# 実装では、順伝播のときに **入力** $x$ から「勾配を止める位置」を表す真偽値の配列 `mask = (x <= 0)` を作って保存し、
# 逆伝播では `dout` のコピーの `mask` の位置を 0 にします。入力の配列そのものを書き換えないように、
# 順伝播も `x.copy()` に対して 0 を書き込みます。
#
# ### 演習 3: ReLU レイヤ `Relu`


# %% [solution] id=relu_layer
class Relu:
    """ReLU レイヤ y = max(0, x)。入力は任意の形状の配列。"""

    def __init__(self):
        """逆伝播で使うマスク self.mask を None で初期化する。"""
        # ヒント: hint("Relu.__init__")
        # @reference Relu.__init__

    def forward(self, x):
        """x: 任意の形状の配列。戻り値: 同じ形状の max(0, x)。

        入力 x が 0 以下の位置で True になる真偽値の配列 (マスク、x と同じ形状) を self.mask に保存する。
        引数の x そのものは書き換えないこと。
        """
        # ヒント: hint("Relu.forward")
        # @reference Relu.forward

    def backward(self, dout):
        """dout: ∂L/∂y (x と同じ形状)。戻り値: ∂L/∂x。x <= 0 だった要素 (x = 0 も含む) の勾配は 0。

        マスクは最後に呼んだ forward のもの (forward のたびに上書きされる)。backward は続けて何回呼んでもよい。
        引数の dout そのものは書き換えないこと。
        """
        # ヒント: hint("Relu.backward")
        # @reference Relu.backward


# %% [tests] id=test_relu_layer points=2 hidden=relu_layer
x = np.array([[-1.0, 0.0, 2.0], [3.0, -0.5, 0.1]])
x_before = x.copy()
dout = np.array([[10.0, 20.0, 30.0], [40.0, 50.0, 60.0]])
dout_before = dout.copy()
values = "順伝播と逆伝播の値 (形状 (2, 3)、x = 0 の要素を含む)"
with Properties() as test:
    with test.property(values):
        relu_layer = Relu()
        # 順伝播: 負と 0 は 0 に、正はそのまま
        check_array(relu_layer.forward(x), [[0.0, 0.0, 2.0], [3.0, 0.0, 0.1]], "Relu.forward")
        # 逆伝播: x > 0 の位置 ([0, 2], [1, 0], [1, 2]) だけ dout を通す
        check_array(
            relu_layer.backward(dout),
            [[0.0, 0.0, 30.0], [40.0, 0.0, 60.0]],
            "Relu.backward",
            mistakes=[
                (
                    [[0.0, 0.0, 1.0], [1.0, 0.0, 1.0]],
                    "局所的な微分 (0 か 1) だけを返しています。上流の勾配 dout を掛けてください。",
                ),
                (
                    [[0.0, 20.0, 30.0], [40.0, 0.0, 60.0]],
                    "x = 0 の要素でも勾配を通しています。x = 0 でも勾配は 0 です。",
                ),
            ],
        )
    # 上の forward と backward の呼び出しの後で、引数の配列がそのままか
    with test.property("引数の x と dout を書き換えない", needs=[values]):
        check_true(
            np.array_equal(x, x_before),
            "Relu.forward が引数の x を書き換えています。0 を書き込むのは x のコピーにしてください。",
        )
        check_true(
            np.array_equal(dout, dout_before),
            "Relu.backward が引数の dout を書き換えています。dout のコピーを作り、そちらに 0 を書き込んでください。",
        )
    with test.property("呼び出しをまたいだ状態 (2 回目の forward、続けて 2 回の backward)", needs=[values]):
        relu_layer = Relu()
        relu_layer.forward(np.array([[-1.0, 0.0, 2.0], [3.0, -0.5, 0.1]]))
        # 2 回目の forward はマスクを置き換える: 今度は最初の列だけが正
        relu_layer.forward(np.array([[1.0, -1.0, -1.0], [1.0, -1.0, -1.0]]))
        check_array(
            relu_layer.backward(np.array([[10.0, 20.0, 30.0], [40.0, 50.0, 60.0]])),
            [[10.0, 0.0, 0.0], [40.0, 0.0, 0.0]],
            "2 回目の forward の後の Relu.backward",
        )
        # 続けてもう一度 backward を呼んでも、同じマスク (最初の列だけ通す) で別の dout を処理する
        check_array(
            relu_layer.backward(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])),
            [[1.0, 0.0, 0.0], [4.0, 0.0, 0.0]],
            "続けて 2 回目に呼んだ Relu.backward",
        )
print("公開テスト: OK")

# %% [markdown]
# ### Sigmoid 層
#
# シグモイド関数 $y = \sigma(x) = \dfrac{1}{1 + e^{-x}}$ の微分を、計算グラフと同じく段階に分けて求めます。
# $u = 1 + e^{-x}$ とおくと $y = 1/u$ なので
#
# $$
# \frac{\partial y}{\partial u} = -\frac{1}{u^2}, \qquad \frac{\partial u}{\partial x} = -e^{-x}, \qquad
# \frac{\partial y}{\partial x} = \frac{\partial y}{\partial u} \cdot \frac{\partial u}{\partial x} = \frac{e^{-x}}{(1 + e^{-x})^2}.
# $$
#
# ここで $\dfrac{e^{-x}}{1 + e^{-x}} = 1 - \dfrac{1}{1 + e^{-x}} = 1 - y$ なので
#
# $$
# \frac{\partial y}{\partial x} = \frac{1}{1 + e^{-x}} \cdot \frac{e^{-x}}{1 + e^{-x}} = y (1 - y),
# \qquad \frac{\partial L}{\partial x} = \frac{\partial L}{\partial y} \cdot y (1 - y)
# $$
#
# となります (確かめ: $x = 0$ では $y = 1/2$ で、$y(1 - y) = 1/4$。直接計算しても $e^0/(1 + e^0)^2 = 1/4$)。
# 微分が **出力 $y$ だけ** で書けるので、順伝播で出力を保存しておけば、逆伝播で指数関数を計算し直す必要はありません。
# よくある誤りは、入力 $x$ を保存して $x(1 - x)$ を計算してしまうことです。式の $y$ は出力です。


# %% [markdown]
# 次のセルは第 1 章の演習 `sigmoid` の模範解答です (大きな $|x|$ でもオーバーフローしない書き方)。Sigmoid 層の順伝播で使ってください。

# %% [given] names=sigmoid

# %% [markdown]
# 下の図の左は $\sigma(x)$ とその微分 $y(1 - y)$ です。微分の最大値は $x = 0$ での $1/4$ で、$|x|$ が大きいとほぼ 0 になります。
# シグモイド層を何層も重ねると、逆伝播のたびに勾配に $1/4$ 以下の数が掛かり、入力に近い層ほど勾配が小さくなります
# (勾配消失 (vanishing gradient))。右の ReLU の微分は $x > 0$ で 1 なので、通る勾配は小さくなりません。

# %%
xs = np.linspace(-6, 6, 241)
ys = 1 / (1 + np.exp(-xs))  # |x| <= 6 なのでここではオーバーフローしない
fig, (ax_sig, ax_relu) = plt.subplots(1, 2, figsize=(10, 3.6))
ax_sig.plot(xs, ys, label="シグモイド $y = \\sigma(x)$")
ax_sig.plot(xs, ys * (1 - ys), label="微分 $y(1 - y)$")
ax_sig.axhline(0.25, color="gray", ls=":", lw=1)
ax_sig.text(-6, 0.27, "最大値 1/4", color="gray", fontsize=9)
ax_sig.set_xlabel("入力 $x$")
ax_sig.set_ylabel("値")
ax_sig.set_title("シグモイド関数とその微分")
ax_sig.legend(loc="center right", fontsize=9)
xs_relu = np.linspace(-2, 2, 161)
ax_relu.plot(xs_relu, np.maximum(0, xs_relu), label="ReLU $\\max(0, x)$")
ax_relu.plot(xs_relu, (xs_relu > 0).astype(float), label="微分 ($x \\leq 0$ で 0、$x > 0$ で 1)")
ax_relu.set_xlabel("入力 $x$")
ax_relu.set_ylabel("値")
ax_relu.set_title("ReLU とその微分")
ax_relu.legend(loc="upper left", fontsize=9)
plt.show()

# %% [markdown]
# ### 演習 4: シグモイドレイヤ `Sigmoid`


# %% [solution] id=sigmoid_layer
class Sigmoid:
    """シグモイドレイヤ y = 1 / (1 + exp(-x))。入力は任意の形状の配列。"""

    def __init__(self):
        """順伝播の出力を覚えておく属性 self.out を None で初期化する。"""
        # ヒント: hint("Sigmoid.__init__")
        # @reference Sigmoid.__init__

    def forward(self, x):
        """x: 任意の形状の配列。戻り値: 同じ形状の σ(x)。出力を self.out に保存する。

        上のセルの sigmoid を使い、|x| が大きくてもオーバーフローの警告を出さないこと。
        """
        # ヒント: hint("Sigmoid.forward")
        # @reference Sigmoid.forward

    def backward(self, dout):
        """dout: ∂L/∂y (x と同じ形状)。戻り値: ∂L/∂x (x と同じ形状)。

        シグモイドの微分は、4.3 節で導いた、順伝播の出力 y (self.out) で表した式を使う。
        self.out は最後に呼んだ forward のもの (forward のたびに上書きされる)。
        """
        # ヒント: hint("Sigmoid.backward")
        # @reference Sigmoid.backward


# %% [tests] id=test_sigmoid_layer points=2 hidden=sigmoid_layer
# σ(0) = 1/2、σ(log 3) = 1 / (1 + 1/3) = 3/4、σ(-log 3) = 1 / (1 + 3) = 1/4
# y(1 - y) = [1/4, 3/16, 3/16]。dout = [2, 4, -4] → dx = [1/2, 3/4, -3/4]
x = np.array([0.0, np.log(3.0), -np.log(3.0)])
dout = np.array([2.0, 4.0, -4.0])
values, large = "順伝播と逆伝播の値 (0 と ±log 3)", "大きな |x| での順伝播の値 (x = ±1000)"
with Properties() as test:
    with test.property(values):
        sigmoid_layer = Sigmoid()
        check_array(sigmoid_layer.forward(x), [0.5, 0.75, 0.25], "Sigmoid.forward")
        check_array(
            sigmoid_layer.backward(dout),
            [0.5, 0.75, -0.75],
            "Sigmoid.backward",
            mistakes=[
                (
                    dout * x * (1 - x),
                    "入力 x で x(1 - x) を計算しています。順伝播の出力 y を使って y(1 - y) とします。",
                ),
                ([0.25, 0.1875, 0.1875], "上流の勾配 dout を掛け忘れています。"),
            ],
        )
    with test.property(large):
        large_layer = Sigmoid()
        check_array(large_layer.forward(np.array([-1000.0, 1000.0])), [0.0, 1.0], "Sigmoid.forward([-1000, 1000])")
    with test.property("|x| が大きくてもオーバーフローの警告が出ない", needs=[large]), warnings.catch_warnings():
        warnings.simplefilter("error")  # 警告が出たら失敗にする
        Sigmoid().forward(np.array([-1000.0, 1000.0]))
    # σ(±1000) は 0 と 1 なので y(1 - y) = 0: 勾配は 0 (nan ではない)
    with test.property("大きな |x| での逆伝播 (勾配が nan にならない)", needs=[large]):
        check_array(large_layer.backward(np.array([1.0, 1.0])), [0.0, 0.0], "大きな |x| での Sigmoid.backward")
    # 2 回目の forward は保存した出力を置き換える: σ(log 3) = 3/4、σ(-log 3) = 1/4 で y(1 - y) = 3/16。
    # dout = [16, -16] → dx = [3, -3] (最初の x = 0 の出力 1/2 のままなら 16 · 1/4 = 4 で [4, -4])
    with test.property("呼び出しをまたいだ状態 (2 回目の forward の後の backward)", needs=[values]):
        state_layer = Sigmoid()
        state_layer.forward(np.array([0.0, 0.0]))
        state_layer.forward(np.array([np.log(3.0), -np.log(3.0)]))
        check_array(
            state_layer.backward(np.array([16.0, -16.0])),
            [3.0, -3.0],
            "2 回目の forward の後の Sigmoid.backward",
            mistakes=[
                (
                    [4.0, -4.0],
                    "最初の forward の出力を使っています。forward のたびに self.out を上書きしてください。",
                )
            ],
        )
print("公開テスト: OK")

# %% [markdown]
# ## 4.4 Affine 層: バッチの逆伝播を要素ごとに導く
#
# Affine 層 (全結合層 (fully connected layer)) はバッチ $X$ (形状 (N, D)、1 行が 1 サンプル) に対して
#
# $$
# Y = X W + b \qquad (X: (N, D),\ W: (D, M),\ b: (M,),\ Y: (N, M))
# $$
#
# を計算します ($b$ は N 行すべてにブロードキャスト (broadcast) されます)。要素で書くと
#
# $$
# Y_{nj} = \sum_{i=1}^{D} X_{ni} W_{ij} + b_j \qquad (n = 1, \dots, N,\ j = 1, \dots, M)
# $$
#
# です。上流の勾配を $G = \partial L / \partial Y$ (形状 (N, M)、$G_{nj} = \partial L / \partial Y_{nj}$、コードの `dout`) とし、
# $W$, $X$, $b$ の各要素で $L$ を微分します。$L$ は $Y$ の **全要素** を通して各パラメータに依存するので、
# 連鎖律は $Y$ の全要素についての和になります。
#
# **(1) 重み $W$**: $W_{ij}$ を含むのは第 $j$ 列の $Y_{1j}, \dots, Y_{Nj}$ だけで、$\partial Y_{nk} / \partial W_{ij}$ は
# $k = j$ のとき $X_{ni}$、それ以外は 0 です。よって
#
# $$
# \frac{\partial L}{\partial W_{ij}} = \sum_{n=1}^{N} \sum_{k=1}^{M} G_{nk} \frac{\partial Y_{nk}}{\partial W_{ij}}
# = \sum_{n=1}^{N} X_{ni}\, G_{nj} = \sum_{n=1}^{N} (X^\top)_{in}\, G_{nj} = (X^\top G)_{ij}
# \quad\Longrightarrow\quad \frac{\partial L}{\partial W} = X^\top \cdot \frac{\partial L}{\partial Y}
# $$
#
# 形状は (D, N)·(N, M) = (D, M) で、$W$ と同じです。和 $\sum_n$ はバッチの各サンプルの寄与を足し合わせています。
#
# **(2) 入力 $X$**: $X_{ni}$ を含むのは第 $n$ 行の $Y_{n1}, \dots, Y_{nM}$ で、$\partial Y_{nk} / \partial X_{ni} = W_{ik}$ です。よって
#
# $$
# \frac{\partial L}{\partial X_{ni}} = \sum_{k=1}^{M} G_{nk} W_{ik} = \sum_{k=1}^{M} G_{nk}\, (W^\top)_{ki} = (G W^\top)_{ni}
# \quad\Longrightarrow\quad \frac{\partial L}{\partial X} = \frac{\partial L}{\partial Y} \cdot W^\top
# $$
#
# 形状は (N, M)·(M, D) = (N, D) で、$X$ と同じです。
#
# **(3) バイアス $b$**: $b_j$ は第 $j$ 列の **N 個すべての要素** $Y_{1j}, \dots, Y_{Nj}$ に足されていて、
# $\partial Y_{nk} / \partial b_j$ は $k = j$ のとき 1 です。よって
#
# $$
# \frac{\partial L}{\partial b_j} = \sum_{n=1}^{N} G_{nj}
# \quad\Longrightarrow\quad \frac{\partial L}{\partial b} = \sum_{n=1}^{N} \left(\frac{\partial L}{\partial Y}\right)_{n,:}
# $$
#
# です。コードでは `dout` をバッチの軸 (axis=0) に沿って合計することになり、形状は (M,) になります。
#
# ブロードキャストは、計算グラフでは「$b$ を N 本に **分岐** (コピー) して各行に足す」ことと同じです。
# 4.1 節で見たとおり、分岐した値の勾配は各経路の勾配の和なので、**順伝播のブロードキャストは逆伝播の和** になります。
# `dout` をそのまま `db` にすると形状が (N, M) になり、$b$ の形状 (M,) と合いません。
#
# **形状で確かめる**: 勾配は必ず元の変数と同じ形状になります。行列の積の順番や転置は形状の一致からほぼ決まりますが、
# $D = M$ のときは $W$ と $W^\top$ の形状が同じなので、形状だけでは転置の誤りに気付けません。導出 (または 4.5 節の勾配確認) で確かめましょう。
#
# 導いた式が要素ごとの定義と一致することを、小さな配列で確かめてみます。

# %%
rng = np.random.default_rng(0)
X_small = rng.standard_normal((4, 3))  # N = 4, D = 3
G_small = rng.standard_normal((4, 2))  # dL/dY, M = 2
W_small = rng.standard_normal((3, 2))
dW_loop = np.zeros((3, 2))
for i in range(3):
    for j in range(2):
        dW_loop[i, j] = sum(X_small[n, i] * G_small[n, j] for n in range(4))  # sum_n X_ni G_nj
dX_loop = np.array([[sum(G_small[n, k] * W_small[i, k] for k in range(2)) for i in range(3)] for n in range(4)])
print("dW: 要素ごとの和と X^T G が一致:", np.allclose(dW_loop, X_small.T @ G_small))
print("dX: 要素ごとの和と G W^T が一致:", np.allclose(dX_loop, G_small @ W_small.T))
print("db の形状 (axis=0 で和):", np.sum(G_small, axis=0).shape)

# %% [markdown]
# **多次元の入力**: 画像のように 1 サンプルが (チャンネル, 高さ, 幅) などの多次元配列のときは、入力の形状が
# (N, d1, d2, …) になります。Affine 層では各サンプルを長さ $D = d_1 d_2 \cdots$ のベクトルに平坦化 (flatten) して
# 先頭の軸 (バッチ) だけを残した (N, D) の形に `reshape` し、逆伝播で求めた (N, D) の $\partial L / \partial X$ は
# **元の形状に戻して** 返します (前の層は自分の出力と同じ形状の勾配を受け取る必要があるため)。
#
# ### 演習 5: Affine レイヤ `Affine`
#
# 順伝播で、元の入力の形状 `self.original_x_shape` と、(N, D) に平坦化した入力 `self.x` を保存してください。
# 逆伝播では `self.dW`, `self.db` に勾配を保存し、入力の勾配を元の形状で返します。


# %% [solution] id=affine_layer
class Affine:
    """全結合層 Y = X·W + b。W: 形状 (D, M)、b: 形状 (M,)。"""

    def __init__(self, W, b):
        """W, b を self.W, self.b に保存し、self.x, self.original_x_shape, self.dW, self.db を None で初期化する。"""
        # ヒント: hint("Affine.__init__")
        # @reference Affine.__init__

    def forward(self, x):
        """x: 形状 (N, D)、または (N, d1, d2, ...) (d1·d2·… = D)。後者は (N, D) に平坦化して使う。

        戻り値: 形状 (N, M) の x·W + b。元の形状を self.original_x_shape に、平坦化した x を self.x に保存する。
        """
        # ヒント: hint("Affine.forward")
        # @reference Affine.forward

    def backward(self, dout):
        """dout: 形状 (N, M) の ∂L/∂Y。

        self.dW (形状 (D, M)) に ∂L/∂W を、self.db (形状 (M,)) に ∂L/∂b (dout の行 (バッチ) 方向の和。平均ではない) を保存し、
        ∂L/∂X を元の入力と同じ形状 self.original_x_shape で返す。式は 4.4 節で導いたもの。
        使う x とその形状は最後に呼んだ forward のもの (forward のたびに上書きされる)。
        """
        # ヒント: hint("Affine.backward")
        # @reference Affine.backward


# %% [tests] id=test_affine_forward points=1 hidden=affine_forward
# X = [[1, 2], [3, 4]], W = [[1, 0, -1], [2, 1, 0]], b = [0.5, 0, -0.5]
# 1 行目: [1 + 4, 0 + 2, -1 + 0] + b = [5.5, 2, -1.5]、2 行目: [3 + 8, 0 + 4, -3 + 0] + b = [11.5, 4, -3.5]
W = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])
b = np.array([0.5, 0.0, -0.5])
X = np.array([[1.0, 2.0], [3.0, 4.0]])
expected_Y = [[5.5, 2.0, -1.5], [11.5, 4.0, -3.5]]
no_bias = "バイアス b を足し忘れています。"
with Properties() as test:
    with test.property("2 次元の入力 (N, D) での値 (N=2 と N=1)"):
        check_array(Affine(W, b).forward(X), expected_Y, "Affine.forward (N=2)", mistakes=[(X @ W, no_bias)])
        check_array(Affine(W, b).forward(X[:1]), expected_Y[:1], "Affine.forward (N=1)")
    # 同じ X を形状 (2, 1, 2) と (2, 1, 1, 2) にしたもの: (N, D) = (2, 2) に平坦化すれば出力は同じ
    with test.property("3 次元、4 次元の入力を (N, D) に平坦化した値"):
        check_array(Affine(W, b).forward(X.reshape(2, 1, 2)), expected_Y, "Affine.forward (形状 (2, 1, 2) の入力)")
        check_array(
            Affine(W, b).forward(X.reshape(2, 1, 1, 2)), expected_Y, "Affine.forward (形状 (2, 1, 1, 2) の入力)"
        )
print("公開テスト: OK")

# %% [tests] id=test_affine_backward points=3 hidden=affine_backward
# 上と同じ W, b, X で dout = [[1, 0, 0], [0, 1, 1]] とする。
W = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])
b = np.array([0.5, 0.0, -0.5])
X = np.array([[1.0, 2.0], [3.0, 4.0]])
# dW = X^T dout = [[1, 3], [2, 4]] · dout = [[1, 3, 3], [2, 4, 4]]
# db = dout の列ごとの和 = [1, 1, 1]
# dx = dout W^T: 1 行目 = W の 1 列目 = [1, 2]、2 行目 = W の 2 列目 + 3 列目 = [0 - 1, 1 + 0] = [-1, 1]
dout = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]])
not_reshaped = "dx を元の入力の形状 self.original_x_shape に戻していません。"
values = [
    "2 次元の入力での勾配 dx、self.dW、self.db (N=2 と N=1)",
    "3 次元、4 次元の入力での勾配 (dx は元の入力と同じ形状)",
]
with Properties() as test:
    with test.property(values[0]):
        affine = Affine(W, b)
        affine.forward(X)
        dx = affine.backward(dout)
        check_array(dx, [[1.0, 2.0], [-1.0, 1.0]], "Affine.backward の戻り値 dx")
        check_array(
            affine.dW,
            [[1.0, 3.0, 3.0], [2.0, 4.0, 4.0]],
            "Affine.dW",
            mistakes=[(dout.T @ X, "dW が転置になっています。")],
        )
        check_array(
            affine.db,
            [1.0, 1.0, 1.0],
            "Affine.db",
            mistakes=[
                (dout, "db をバッチ方向に合計していません (axis=0 の和、形状 (M,))。"),
                ([0.5, 0.5, 0.5], "平均ではなく和をとります (ブロードキャストの逆伝播は和)。"),
            ],
        )
        # N = 1 (X の 1 行目 [1, 2] と dout の 1 行目 [1, 0, 0]): dx = W の 1 列目 = [[1, 2]]、
        # dW = [[1], [2]] · [[1, 0, 0]] = [[1, 0, 0], [2, 0, 0]]、db = [1, 0, 0]
        affine = Affine(W, b)
        affine.forward(X[:1])
        check_array(affine.backward(dout[:1]), [[1.0, 2.0]], "Affine.backward の戻り値 dx (N=1)")
        check_array(affine.dW, [[1.0, 0.0, 0.0], [2.0, 0.0, 0.0]], "Affine.dW (N=1)")
        check_array(affine.db, [1.0, 0.0, 0.0], "Affine.db (N=1)")
    with test.property(values[1]):
        # 形状 (2, 1, 2) の入力では、dx も形状 (2, 1, 2) で返す (値は同じ)
        affine = Affine(W, b)
        affine.forward(X.reshape(2, 1, 2))
        check_array(
            affine.backward(dout),
            [[[1.0, 2.0]], [[-1.0, 1.0]]],
            "形状 (2, 1, 2) の入力に対する Affine.backward",
            mistakes=[([[1.0, 2.0], [-1.0, 1.0]], not_reshaped)],
        )
        check_array(affine.dW, [[1.0, 3.0, 3.0], [2.0, 4.0, 4.0]], "形状 (2, 1, 2) の入力での Affine.dW")
        # 4 次元の形状 (2, 1, 1, 2) でも同じ
        affine = Affine(W, b)
        affine.forward(X.reshape(2, 1, 1, 2))
        check_array(
            affine.backward(dout),
            [[[[1.0, 2.0]]], [[[-1.0, 1.0]]]],
            "形状 (2, 1, 1, 2) の入力に対する Affine.backward",
            mistakes=[([[1.0, 2.0], [-1.0, 1.0]], not_reshaped)],
        )
        check_array(affine.dW, [[1.0, 3.0, 3.0], [2.0, 4.0, 4.0]], "形状 (2, 1, 1, 2) の入力での Affine.dW")
    # 1 回目は X (形状 (2, 2))、2 回目は形状 (2, 1, 2) の X2 = [[[0, 1]], [[1, 0]]] で forward する。
    # dx = dout Wᵀ は上と同じ値を 2 回目の形状 (2, 1, 2) で返し、dW = (平坦化した X2)ᵀ dout = [[0, 1, 1], [1, 0, 0]]
    with test.property("呼び出しをまたいだ状態 (形状の違う 2 回目の forward の後の backward)", needs=values):
        stale = "最初の forward の入力を使っています。forward のたびに self.x と self.original_x_shape を上書きしてください。"
        affine = Affine(W, b)
        affine.forward(X)
        affine.forward(np.array([[[0.0, 1.0]], [[1.0, 0.0]]]))
        check_array(
            affine.backward(dout),
            [[[1.0, 2.0]], [[-1.0, 1.0]]],
            "形状の違う 2 回目の forward の後の Affine.backward の戻り値 dx",
            mistakes=[([[1.0, 2.0], [-1.0, 1.0]], stale)],
        )
        check_array(
            affine.dW,
            [[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]],
            "形状の違う 2 回目の forward の後の Affine.dW",
            mistakes=[([[1.0, 3.0, 3.0], [2.0, 4.0, 4.0]], stale)],
        )
print("公開テスト: OK")

# %% [answer] id=why_db_sum points=2
# **問**: Affine 層の逆伝播で、バイアスの勾配 `db` をバッチの **平均** ではなく **和** にしたのと同じ考え方で、次の 2 つの層の
# 逆伝播を求めてください。どちらも上流の勾配を $G = \partial L / \partial Y$ (`dout`) とします。
#
# 1. すべてのサンプルのすべての出力に、同じ 1 つの数 (スカラー) $c$ を足す層 $Y = XW + c$ ($Y$ の形状は (N, M))。
#    $\partial L / \partial c$ を `dout` で表し、その形状を答えてください。上の公開テストの `dout = [[1, 0, 0], [0, 1, 1]]` なら値はいくつですか。
# 2. 特徴量ごとの倍率 $s$ (形状 (D,)) を各行に掛ける層 $Y = X \odot s$、すなわち $Y_{ni} = X_{ni}\, s_i$ ($X, Y$ の形状は (N, D))。
#    $\partial L / \partial s$ と $\partial L / \partial X$ を `dout`, `x`, `s` で表し、形状を答えてください。
#    $X = \begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}$、$s = (2, -1)$、$G = \begin{pmatrix} 1 & 0 \\ 0 & 1 \end{pmatrix}$ での値も求めてください。
#
# **模範解答**: 順伝播で 1 つの値が何か所で使われるか (計算グラフで何本に分岐するか) を数え、分岐の逆伝播は各経路から戻る勾配の
# **和** であることを使う。
# (1) $c$ は $Y$ の N × M 個すべての要素に足されている (N·M 本に分岐している) ので、$\partial L / \partial c = \sum_{n,j} G_{nj}$、
# コードでは `np.sum(dout)` (軸を指定しない全要素の和) で、形状は $c$ と同じスカラー (形状 ()) である。上の `dout` なら
# $1 + 1 + 1 = 3$。(`db` と同じくバッチ方向 (axis=0) だけで足すと形状 (M,) になり、$c$ の形状と合わない。)
# (2) 1 つの要素 $Y_{ni} = X_{ni} s_i$ は 4.1 節の乗算ノードなので、$X_{ni}$ への勾配は $G_{ni} s_i$、$s_i$ への勾配は $G_{ni} X_{ni}$
# (もう一方の入力を掛ける)。$X_{ni}$ は 1 か所でしか使われないので $\partial L / \partial X = G \odot s$ (`dout * s`、形状 (N, D))。
# $s_i$ は第 $i$ 列の N 個の要素すべてで使われる (N 本に分岐する) ので、バッチ方向に足して
# $\partial L / \partial s_i = \sum_n G_{ni} X_{ni}$、すなわち `np.sum(dout * x, axis=0)` (形状 (D,))。数値の例では
# $\partial L / \partial s = (1 \cdot 1 + 0 \cdot 3,\ 0 \cdot 2 + 1 \cdot 4) = (1, 4)$、
# $\partial L / \partial X = \begin{pmatrix} 1 \cdot 2 & 0 \cdot (-1) \\ 0 \cdot 2 & 1 \cdot (-1) \end{pmatrix} = \begin{pmatrix} 2 & 0 \\ 0 & -1 \end{pmatrix}$。
# (どちらの勾配も、元の変数と同じ形状になることで確かめられる。)
#
# (採点の目安: (1) 全要素の和・スカラー・値 3 で 1 点 (`axis=0` の和 (形状 (M,)) なら 0 点、値だけ違えば 0.5 点)。
# (2) $\partial L / \partial s$ = `dout * x` のバッチ方向の和 (形状 (D,)、値 (1, 4)) で 0.5 点、
# $\partial L / \partial X$ = `dout * s` (形状 (N, D)、値 [[2, 0], [0, −1]]) で 0.5 点。)

# %% [markdown]
# ## 4.5 勾配確認: 数値微分で逆伝播を検証する
#
# 逆伝播は速くて正確ですが、実装の誤りに気付きにくいという弱点があります。そこで、遅いけれど実装の簡単な数値微分と
# 結果を比べて、逆伝播 (解析的な勾配 (analytic gradient)) が正しいことを確かめます。これを勾配確認と呼びます。
# 比べるときは、値の大きさに左右されない相対誤差 (relative error)
#
# $$
# \text{rel\_error}(a, b) = \max_i \frac{|a_i - b_i|}{\max(10^{-8},\ |a_i| + |b_i|)}
# $$
#
# を使います。float64 と中心差分 (central difference) では、正しい実装なら相対誤差はおよそ $10^{-7}$ 以下になります。
# $10^{-2}$ を超えるなら、ほぼ確実にどこかが間違っています。
#
# 勾配確認の道具は `course.gradcheck` に用意してあります (演習ではありません)。
#
# - `eval_numerical_gradient_array(f, x, dout)`: スカラー $\sum f(x) \odot \texttt{dout}$ の $x$ についての数値勾配。
#   この「損失」を出力 $f(x)$ で微分するとちょうど `dout` なので、結果は `backward(dout)` が返すべき $\partial L / \partial x$ と同じものです。
# - `check_layer_gradients(layer, x)`: 乱数の `dout` で `forward` と `backward` を実行し、`dx` と、
#   パラメータ (`layer.W` なら `layer.dW`、`layer.b` なら `layer.db`) の勾配を数値勾配と比べて、相対誤差の辞書を返します。
#
# 実装した 4 つの層すべてを確かめてみましょう。

# %%
rng = np.random.default_rng(0)


def verdict(errors, tol=1e-7):
    """勾配ごとに 1 行: 相対誤差が tol 以下なら OK。"""
    return ", ".join(f"d{k}: " + ("OK" if e <= tol else f"相対誤差 {e:.1e} (大きすぎる)") for k, e in errors.items())


x_batch = rng.standard_normal((4, 5))
x_image = rng.standard_normal((4, 2, 3))  # 形状 (2, 3) のサンプルが N = 4 個、D = 6
print("Relu   :", verdict(check_layer_gradients(Relu(), x_batch)))
print("Sigmoid:", verdict(check_layer_gradients(Sigmoid(), x_batch)))
affine_2d = Affine(rng.standard_normal((5, 3)), rng.standard_normal(3))
print("Affine (入力 (4, 5))   :", verdict(check_layer_gradients(affine_2d, x_batch)))
affine_3d = Affine(rng.standard_normal((6, 3)), rng.standard_normal(3))
print("Affine (入力 (4, 2, 3)):", verdict(check_layer_gradients(affine_3d, x_image)))

# MulLayer は入力が 2 つ: 片方を固定してもう片方を確かめる
y_fixed, dout_mul = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
mul_check = MulLayer()
mul_check.forward(x_batch, y_fixed)
dx_mul, dy_mul = mul_check.backward(dout_mul)
num_dx = eval_numerical_gradient_array(lambda v: MulLayer().forward(v, y_fixed), x_batch, dout_mul)
num_dy = eval_numerical_gradient_array(lambda v: MulLayer().forward(x_batch, v), y_fixed, dout_mul)
print("MulLayer:", verdict({"x": rel_error(dx_mul, num_dx), "y": rel_error(dy_mul, num_dy)}))

# %% [markdown]
# ### 実験: 勾配確認は誤りを見つけられるか
#
# わざと `db` をバッチの平均にした (N で割った) Affine 層を作り、勾配確認にかけてみます。
# 各要素の相対誤差は $|s - s/N| / (|s| + |s/N|) = (N - 1)/(N + 1)$ で、N = 4 なら 0.6 になるはずです。


# %%
class AffineWithMeanBias(Affine):
    """わざと間違えた Affine レイヤ: db をバッチで和ではなく平均にしている。"""

    def backward(self, dout):
        dx = super().backward(dout)
        self.db = self.db / dout.shape[0]  # 誤り: バッチの平均は損失の中ですでにとっている
        return dx


buggy = AffineWithMeanBias(rng.standard_normal((5, 3)), rng.standard_normal(3))
print("誤った Affine:", verdict(check_layer_gradients(buggy, x_batch)))

# %% [markdown]
# `dx` と `dW` は正しく、`db` だけが大きな相対誤差を示しました。このように勾配確認は、どのパラメータの勾配が
# 誤っているかまで教えてくれます。
#
# ### 実験: 差分の幅 $h$ と誤差
#
# 数値微分の誤差には 2 種類あります。$h$ が大きいと、中心差分の打ち切り誤差 (truncation error、$h^2$ に比例) が大きくなり、
# $h$ が小さすぎると、$f(x + h) - f(x - h)$ の引き算で桁が落ちる丸め誤差 (rounding error、およそ $10^{-16}/h$ に比例) が大きくなります。
# Sigmoid 層で $h$ を変えて相対誤差を調べてみましょう。

# %%
x_sweep = rng.standard_normal((3, 4))
dout_sweep = rng.standard_normal((3, 4))
sweep_layer = Sigmoid()
sweep_layer.forward(x_sweep)
analytic = sweep_layer.backward(dout_sweep)
steps = np.logspace(-12, -1, 23)
errors_by_h = [
    rel_error(analytic, eval_numerical_gradient_array(lambda v: Sigmoid().forward(v), x_sweep, dout_sweep, h=h))
    for h in steps
]
fig, ax = plt.subplots(figsize=(6, 4))
ax.loglog(steps, errors_by_h, "o-")
ax.axhline(1e-7, color="gray", ls=":", lw=1, label="目安 $10^{-7}$")
ax.set_xlabel("差分の幅 $h$")
ax.set_ylabel("相対誤差 (最大値)")
ax.set_title("Sigmoid 層の勾配確認: 差分の幅と相対誤差")
ax.text(0.03, 0.06, "← 丸め誤差が支配的", transform=ax.transAxes, fontsize=9)
ax.text(0.97, 0.9, "打ち切り誤差が支配的 →", transform=ax.transAxes, fontsize=9, ha="right")
ax.legend(loc="lower right")
plt.show()

# %% [markdown]
# 相対誤差は $h$ が $10^{-5}$ から $10^{-4}$ のあたりで最も小さくなり、それより大きくても小さくても増えます (V 字形)。
# 右側では傾きがおよそ 2 (誤差 ∝ $h^2$)、左側ではおよそ $-1$ (誤差 ∝ $1/h$) です。
# `course.gradcheck` が既定で使う $h = 10^{-5}$ はこの谷の中にあり、正しい実装の相対誤差は目安の $10^{-7}$ を十分下回ります。
# 「$h$ は小さいほど正確」ではない点に注意しましょう ($h = 10^{-12}$ では、正しい逆伝播でも誤差が $10^{-2}$ 程度に見えてしまいます)。
#
# ### 注意: ReLU の折れ目
#
# ReLU は $x = 0$ で折れ曲がっているので、$|x| < h$ の要素では数値微分が正しい傾きになりません。
# 例えば $x = 3 \times 10^{-6}$、$h = 10^{-5}$ では $(\text{relu}(x + h) - \text{relu}(x - h)) / 2h = 1.3 \times 10^{-5} / (2 \times 10^{-5}) = 0.65$ で、
# 本当の傾き 1 とずれます。勾配確認で ReLU の要素だけ誤差が大きいときは、入力が 0 のごく近くにないかを疑いましょう。

# %%
x_kink = np.array([[-2.0, 3e-6, 1.0]])
ones = np.ones_like(x_kink)
kink_layer = Relu()
kink_layer.forward(x_kink)
print("逆伝播の勾配:", kink_layer.backward(ones))
print("数値勾配     :", eval_numerical_gradient_array(lambda v: Relu().forward(v), x_kink, ones, h=1e-5))

# %% [markdown]
# ## 4.6 層をつなぐ
#
# 層は `forward` と `backward` の約束がそろっているので、順に並べるだけでつなげられます。
# Affine → ReLU → Affine の小さなネットワークで、損失を $L = \frac{1}{2} \sum_{n,j} Y_{nj}^2$ とすると
# $\partial L / \partial Y = Y$ です。逆伝播は順伝播と **逆の順番** に `backward` を呼び、最後に得た `dW` を数値勾配と比べます。

# %%
rng = np.random.default_rng(1)
x_net = rng.standard_normal((5, 4))
first, activation, second = (
    Affine(rng.standard_normal((4, 6)), rng.standard_normal(6)),
    Relu(),
    Affine(rng.standard_normal((6, 2)), rng.standard_normal(2)),
)


def net_loss():
    y = second.forward(activation.forward(first.forward(x_net)))
    return 0.5 * np.sum(y**2), y


loss, y_net = net_loss()
d_hidden = second.backward(y_net)  # dL/dY = Y
first.backward(activation.backward(d_hidden))
backprop_dW1 = first.dW.copy()
numerical_dW1 = eval_numerical_gradient(lambda _: net_loss()[0], first.W)  # first.W をその場で動かす
print(f"損失 L = {loss:.4f}")
print("1 層目の dW: 逆伝播と数値微分の相対誤差が 1e-7 以下:", rel_error(backprop_dW1, numerical_dW1) <= 1e-7)

# %% [markdown]
# 逆伝播では、1 回の順伝播と 1 回の逆伝播で `first.dW` のすべての要素 (4 × 6 = 24 個) が求まりました。
# 数値微分では同じ 24 個を求めるのに順伝播を 48 回行っています。次の章では、ソフトマックスと交差エントロピー誤差の層を加えて、
# この仕組みでネットワーク全体を学習させます。
#
# ## まとめ
#
# - 計算グラフの逆伝播は連鎖律そのもの: 各ノードは「上流の勾配 × 局所的な微分」を入力側へ渡す。
# - 加算ノードは勾配をそのまま流し、乗算ノードはもう一方の入力を掛ける (だから順伝播の入力を覚えておく)。分岐では勾配を足す。
# - ReLU は順伝播の **入力** が正の位置だけ勾配を通す ($x = 0$ は 0)。逆伝播の結果は上流の勾配を掛けたもので、0/1 ではない。
# - Sigmoid の微分は **出力** で書ける: $\partial L / \partial x = \partial L / \partial y \cdot y(1 - y)$。最大でも 1/4 なので、重ねると勾配が消えやすい。
# - Affine 層: $\partial L / \partial W = X^\top G$、$\partial L / \partial X = G W^\top$、$\partial L / \partial b = \sum_n G_{n,:}$
#   ($G = \partial L / \partial Y$)。ブロードキャストの逆伝播は和。多次元の入力は平坦化し、勾配は元の形状に戻す。
# - 勾配確認: 数値勾配との相対誤差が $10^{-7}$ 程度以下なら正しい。$h$ は小さすぎても大きすぎてもだめで、ReLU の折れ目の近くでは数値微分が当てにならない。

# Chapter 3 of the course. Built into source_notebooks/ by `python -m autograder build`.
# `hint` is imported for the learner, who calls it as the stubs' comments say; ruff does not see that use:
# ruff: noqa: F401

# %% [markdown]
# # 第 3 章 数値微分と勾配降下法
#
# 第 2 章で、学習とは損失関数の値を小さくするパラメータを探すことだと学びました。この章では、その探し方の基本である
# 「傾き (微分) を求めて、下る向きに少しずつ動く」方法を NumPy で実装します。
#
# 1. 数値微分 (numerical differentiation): 前方差分 (forward difference) と中心差分 (central difference)
# 2. 打ち切り誤差 (truncation error) と丸め誤差 (rounding error): テイラー展開による導出と、誤差を刻み幅 $h$ に対して描いた両対数グラフ
# 3. 偏微分 (partial derivative) と勾配 (gradient): 任意の形状の配列に対する数値勾配
# 4. 勾配ベクトルの図
# 5. 勾配降下法 (gradient descent) と学習率 (learning rate) の選び方
# 6. 小さなニューラルネットワークの損失の、重み行列に関する勾配
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

from course.checks import Properties, builds_on, check_array, check_scalar, check_true, core_passes
from course.hints import hint
from course.plotting import use_japanese_font

use_japanese_font()
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 3.1 微分と数値微分
#
# 関数 $f$ の点 $x$ における微分 (derivative) は、$x$ をほんの少し動かしたときの $f$ の変化の割合の極限です。
#
# $$
# f'(x) = \frac{df}{dx}(x) = \lim_{h \to 0} \frac{f(x + h) - f(x)}{h}
# $$
#
# コンピュータは極限を計算できないので、小さな正の数 $h$ (刻み幅 (step size)) を 1 つ決めて、極限の手前の差分商で近似します。
# これを数値微分と呼び、上の式をそのまま使ったものを前方差分と呼びます。
#
# $$
# \text{前方差分:}\quad \frac{f(x + h) - f(x)}{h}
# $$
#
# 素朴に「$h$ は小さいほど正確だろう」と考えて $h = 10^{-50}$ にすると、まったく違う値が返ります。
# float64 は 1 の近くでは約 16 桁しか表せないため、$1 + 10^{-50}$ は 1 に丸められ、分子が 0 になってしまうのです。


# %%
def numerical_diff_bad(f, x):
    h = 1e-50
    return (f(x + h) - f(x)) / h


print("1.0 + 1e-50 == 1.0 :", 1.0 + 1e-50 == 1.0)
print("h = 1e-50 の前方差分による x² の x = 1 での微分:", numerical_diff_bad(lambda x: x**2, 1.0), "(正しくは 2)")

# %% [markdown]
# もう 1 つの問題は、前方差分は $h$ を十分小さくしても系統的にずれることです。テイラー展開 (Taylor expansion) で確かめます。
# $f$ が十分滑らかなら
#
# $$
# \begin{aligned}
# f(x + h) &= f(x) + h f'(x) + \frac{h^2}{2} f''(x) + \frac{h^3}{6} f'''(x) + O(h^4) \\
# f(x - h) &= f(x) - h f'(x) + \frac{h^2}{2} f''(x) - \frac{h^3}{6} f'''(x) + O(h^4)
# \end{aligned}
# $$
#
# です ($O(h^4)$ は「$h^4$ に比例する程度以下の項」を表します)。1 行目から $f(x)$ を引いて $h$ で割ると
#
# $$
# \frac{f(x + h) - f(x)}{h} = f'(x) + \underbrace{\frac{h}{2} f''(x) + O(h^2)}_{\text{誤差}}
# $$
#
# となり、前方差分の誤差は $h$ に比例します ($O(h)$、1 次の精度)。一方、1 行目から 2 行目を引くと、偶数次の項
# ($f(x)$ と $h^2 f''(x)/2$) が打ち消し合って
#
# $$
# f(x + h) - f(x - h) = 2h f'(x) + \frac{h^3}{3} f'''(x) + O(h^5)
# \quad\Longrightarrow\quad
# \frac{f(x + h) - f(x - h)}{2h} = f'(x) + \underbrace{\frac{h^2}{6} f'''(x) + O(h^4)}_{\text{誤差}}
# $$
#
# となります。これが中心差分で、誤差は $h^2$ に比例します ($O(h^2)$、2 次の精度)。$h = 10^{-4}$ なら、前方差分の誤差が
# $10^{-4}$ 程度なのに対し、中心差分の誤差は $10^{-8}$ 程度です。このように、テイラー展開を途中で打ち切ったことによる誤差を
# **打ち切り誤差** と呼びます。
#
# 手で確かめられる例を 2 つ挙げます。
#
# - $f(x) = x^2$: 前方差分は $\dfrac{(x+h)^2 - x^2}{h} = 2x + h$ (誤差 $h$)、中心差分は $\dfrac{(x+h)^2 - (x-h)^2}{2h} = 2x$ (誤差 0。$f''' = 0$ だから)。
# - $f(x) = x^3$: 前方差分は $3x^2 + 3xh + h^2$、中心差分は $\dfrac{(x+h)^3 - (x-h)^3}{2h} = \dfrac{6x^2 h + 2h^3}{2h} = 3x^2 + h^2$。
#
# ### 演習 1: 中心差分による数値微分


# %% [solution] id=numerical_diff
def numerical_diff(f, x, h=1e-4):
    """中心差分で f の x における微分を近似する。

    f: 1 変数の関数 (数を受け取り数を返す)。x: 微分する点 (float)。h: 刻み幅 (既定値 1e-4)。
    戻り値: f(x + h) と f(x − h) の差を、2 点の間隔 2h で割った値 (float)。
    """
    # ヒント: hint("numerical_diff")
    # @reference numerical_diff


# %% [tests] id=test_numerical_diff points=2 hidden=numerical_diff
# 性質 (property) ごとに確かめ、合わない性質があってもその後の性質まで確かめてから、性質ごとの結果 (✓/✗) を示す
with Properties() as test:
    with test.property("既定の刻み幅での微分の値 (h=1e-4 で x² と x³)"):
        # x² の中心差分は打ち切り誤差なしで 2x (上の導出)。x = 3 なら 6 (前方差分なら 6 + h = 6.0001)
        check_scalar(numerical_diff(lambda x: x**2, 3.0), 6.0, "numerical_diff(x², 3)", atol=1e-9)
        # x³ の中心差分は 3x² + h²。既定値 h = 1e-4、x = 2 なら 12 + 1e-8
        check_scalar(numerical_diff(lambda x: x**3, 2.0), 12.0 + 1e-8, "numerical_diff(x³, 2)", atol=1e-9)
    with test.property("引数 h を使う (h=0.1)"):
        # x = 2、h = 0.1 なら 12 + 0.01 = 12.01 (h を引数どおりに使うこと)
        check_scalar(numerical_diff(lambda x: x**3, 2.0, h=0.1), 12.01, "numerical_diff(x³, 2, h=0.1)", atol=1e-9)
print("公開テスト: OK")

# %% [markdown]
# 数値微分を使ってみましょう。$f(x) = 0.01 x^2 + 0.1 x$ の導関数は $f'(x) = 0.02 x + 0.1$ なので、$x = 5$ では 0.2、
# $x = 10$ では 0.3 が正解です。求めた傾きで接線 $y = f(a) + f'(a)(x - a)$ を引くと、グラフにぴったり接します。


# %%
def function_1(x):
    return 0.01 * x**2 + 0.1 * x


x_plot = np.linspace(0.0, 20.0, 201)
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(x_plot, function_1(x_plot), label="$f(x) = 0.01x^2 + 0.1x$")
for a in [5.0, 10.0]:
    slope = numerical_diff(function_1, a)
    print(f"x = {a:4.1f}: 数値微分 {slope:.12f}  (解析解 {0.02 * a + 0.1:.1f})")
    ax.plot(x_plot, function_1(a) + slope * (x_plot - a), "--", label=f"x = {a:.0f} での接線 (傾き {slope:.3f})")
ax.set_xlabel("$x$")
ax.set_ylabel("$f(x)$")
ax.set_title("数値微分で求めた傾きによる接線")
ax.legend()
plt.show()

# %% [markdown]
# ## 3.2 打ち切り誤差と丸め誤差
#
# 打ち切り誤差だけなら $h$ を小さくするほど誤差は減るはずですが、$h = 10^{-50}$ の例で見たとおり、小さすぎる $h$ では
# 答えが壊れます。原因は **丸め誤差** です。
#
# float64 の数は、相対的に約 $\varepsilon = 2^{-52} \approx 2.2 \times 10^{-16}$ (マシンイプシロン (machine epsilon)) の
# 精度でしか表せません。そのため $f(x + h)$ や $f(x)$ の計算結果には、それぞれ $\varepsilon |f(x)|$ 程度の誤差が含まれます。
# 2 つの値の差 $f(x + h) - f(x) \approx h f'(x)$ は小さな数ですが、誤差の大きさ $\varepsilon |f(x)|$ は小さくなりません
# (近い数どうしの引き算で有効数字が失われる、桁落ち (cancellation))。これを $h$ で割るので、微分の近似値には
#
# $$
# \text{丸め誤差} \approx \frac{\varepsilon |f(x)|}{h}
# $$
#
# 程度の誤差が加わり、$h$ が小さいほど大きくなります ($x + h$ 自体の丸めも同じ程度の誤差を生みます)。2 つの誤差を合わせると
#
# $$
# \begin{aligned}
# \text{前方差分:}\quad E(h) &\approx \frac{h}{2} |f''(x)| + \frac{\varepsilon |f(x)|}{h},
# &\quad \text{最小になる } h &= \sqrt{\frac{2 \varepsilon |f(x)|}{|f''(x)|}} \\
# \text{中心差分:}\quad E(h) &\approx \frac{h^2}{6} |f'''(x)| + \frac{\varepsilon |f(x)|}{h},
# &\quad \text{最小になる } h &= \left(\frac{3 \varepsilon |f(x)|}{|f'''(x)|}\right)^{1/3}
# \end{aligned}
# $$
#
# です (右の式は $E(h)$ を $h$ で微分して 0 とおくと得られます)。$f(x) = e^x$、$x = 1$ なら $f = f'' = f''' = e$ なので、
# 最適な $h$ は前方差分で $\sqrt{2\varepsilon} \approx 2 \times 10^{-8}$、中心差分で $(3\varepsilon)^{1/3} \approx 9 \times 10^{-6}$ です。
#
# 実際に $h$ を $10^{-18}$ から $1$ まで変えて、$f(x) = e^x$ の $x = 1$ での微分 (正解は $e$) の誤差を測ってみましょう。
# 両対数グラフ (log-log plot) では、$h^p$ に比例する誤差は傾き $p$ の直線になります。

# %%
eps = np.finfo(np.float64).eps
steps = np.logspace(-18, 0, 91)
x0, exact = 1.0, np.e
forward_error = np.array([abs((np.exp(x0 + h) - np.exp(x0)) / h - exact) for h in steps])
central_error = np.array([abs(numerical_diff(np.exp, x0, h) - exact) for h in steps])
floor = 1e-17  # 誤差がちょうど 0 だと対数目盛に描けない

fig, ax = plt.subplots(figsize=(7, 4.5))
ax.loglog(steps, np.maximum(forward_error, floor), "o-", ms=3, label="前方差分の誤差")
ax.loglog(steps, np.maximum(central_error, floor), "s-", ms=3, label="中心差分の誤差")
ax.loglog(steps, steps / 2 * np.e, "k--", lw=1, label="打ち切り誤差 $(h/2)\\,|f''|$")
ax.loglog(steps, steps**2 / 6 * np.e, "k-.", lw=1, label="打ち切り誤差 $(h^2/6)\\,|f'''|$")
ax.loglog(steps, eps * np.e / steps, "k:", lw=1.5, label="丸め誤差 $\\varepsilon\\,|f|/h$")
ax.axvline(1e-4, color="gray", lw=0.8)
ax.text(1.5e-4, 3e0, "$h = 10^{-4}$", color="gray")
ax.set_ylim(1e-13, 1e2)
ax.set_xlabel("刻み幅 $h$")
ax.set_ylabel("絶対誤差 |近似値 − e|")
ax.set_title("$e^x$ の $x = 1$ での数値微分の誤差")
ax.legend(fontsize=8, loc="upper center")
plt.show()

# 誤差の見積もり (打ち切り誤差 + 丸め誤差) を最小にする h。f = f'' = f''' = e
#   前方差分: (h/2) e + eps e / h     の最小は h = sqrt(2 eps)、  そのとき e sqrt(2 eps)
#   中心差分: (h^2/6) e + eps e / h   の最小は h = (3 eps)^(1/3)、そのとき e (3 eps)^(2/3) / 2
estimates = [
    ("前方差分", forward_error, np.sqrt(2 * eps), np.e * np.sqrt(2 * eps)),
    ("中心差分", central_error, (3 * eps) ** (1 / 3), np.e * (3 * eps) ** (2 / 3) / 2),
]
for name, error, h_best, error_best in estimates:
    at_default = error[np.argmin(abs(steps - 1e-4))]
    print(
        f"{name}: 見積もりが最小になる h ≈ {h_best:.1e} (誤差の見積もり {error_best:.1e})、"
        f"h = 1e-4 での実際の誤差 {at_default:.1e}"
    )

# %% [markdown]
# グラフは V 字になります。
#
# - **右側 (大きな $h$)**: 打ち切り誤差が支配的で、前方差分は傾き 1 ($O(h)$)、中心差分は傾き 2 ($O(h^2)$) の直線に沿って減ります。
# - **左側 (小さな $h$)**: 丸め誤差が支配的で、どちらも傾き $-1$ ($\propto 1/h$) で増えます。ぎざぎざなのは、丸めの向きが $h$ ごとに不規則に変わるためです。
# - **左端**: $h$ がおよそ $\varepsilon |x|$ より小さくなると $x + h$ が $x$ に丸められて分子が 0 になり、誤差は $|f'(x)| = e$ に張り付きます ($h = 10^{-50}$ の例と同じです)。
#
# 中心差分の V 字の底は前方差分より低く、右にあります。底の正確な位置と高さは丸めの向きしだいで (NumPy の版や CPU でも
# 変わります)、上の見積もりはその目安です。教科書の $h = 10^{-4}$ は、中心差分なら誤差が $5 \times 10^{-9}$ 程度で、
# 丸め誤差の壁から十分離れた安全な値です (最適な $h$ は $|f|$ や $|f'''|$ によって変わるので、ぎりぎりを狙わないのが定石です)。
# なお、さらに多くの点を使って誤差を $O(h^4)$ にする 5 点公式 (five-point stencil) などもあります。
#
# **問**: 損失に大きな定数が足された関数 $g(x) = x^3 + 10^8$ の $x = 1$ での微分を、中心差分で求めるときの誤差を考えます。
# 正解は $g'(1) = 3$ で、定数は微分を変えません。
#
# 1. $h = 10^{-4}$ のとき、3.2 節の見積もりで打ち切り誤差と丸め誤差はそれぞれどの程度で、どちらが支配的ですか
#    ($x^3$ の中心差分は 3.1 節で計算したとおり $3x^2 + h^2$、$\varepsilon \approx 2.2 \times 10^{-16}$)。
#    定数のない $x^3$ のときと比べて、V 字のグラフがどう動いたと考えられますか。
# 2. 誤差の見積もりを最小にする $h$ と、そのときの誤差の見積もりを求めてください。
#    この結果から、勾配確認 (数値微分で微分を検算すること) で損失の値そのものが大きいときに気を付けることを述べてください。

# %% [answer] id=why_central points=2
# **模範解答**: (1) 打ち切り誤差は $\frac{h^2}{6}|g'''| = h^2 = 10^{-8}$ ($g''' = 6$)。丸め誤差は
# $\varepsilon |g(1)| / h \approx 2.2 \times 10^{-16} \times 10^8 / 10^{-4} \approx 2.2 \times 10^{-4}$ で、打ち切り誤差より 4 桁ほど大きく、
# 丸め誤差が支配的 (V 字の左側) である。誤差は $10^{-4}$ 程度になり、相対誤差でも $10^{-5}$〜$10^{-4}$ 程度と、定数のない $x^3$
# (誤差 $10^{-8}$ 程度) よりはるかに悪い。定数は微分も打ち切り誤差も変えないが、$|g|$ を約 $10^8$ 倍にするので丸め誤差の直線
# $\varepsilon|g|/h$ が 8 桁上がり、V 字の底が右上 (大きな $h$、大きな誤差) へ動いた。
# (2) $E(h) \approx h^2 + \varepsilon \cdot 10^8 / h$ を最小にするのは $h = (3\varepsilon |g| / |g'''|)^{1/3} = (\varepsilon \cdot 10^8 / 2)^{1/3}
# \approx 2.2 \times 10^{-3}$ で、そのときの見積もりは $h^2 + \varepsilon \cdot 10^8/h \approx 5 \times 10^{-6} + 1 \times 10^{-5} \approx 1.5 \times 10^{-5}$
# である (実際に計算すると誤差は $h = 10^{-4}$ で約 $5 \times 10^{-5}$、$h = 2.2 \times 10^{-3}$ で約 $6 \times 10^{-6}$)。最適な $h$ でも
# $10^{-8}$ には届かない。数値微分の丸め誤差を決めるのは微分の大きさではなく関数の値の大きさ $|f|$ なので、損失の値が
# 大きいと、$h = 10^{-4}$ では正しい実装でも勾配確認の誤差が大きく出てしまう。損失は和ではなく平均にする、定数を引くなどして
# 値を小さくしてから確かめる (あるいは $h$ を見直す) のがよい。
#
# (採点の目安: (1) 2 つの誤差の大きさ ($10^{-8}$ と $2 \times 10^{-4}$ 程度) と、丸め誤差が支配的になることで 1 点
# (桁が合っていればよい。V 字が動く説明が欠けていれば 0.5 点)。(2) $h \approx 2 \times 10^{-3}$ と誤差 $10^{-5}$ 程度、
# および「丸め誤差は $|f|$ に比例するので、損失の値を大きくしない (平均をとる・定数を引く) か $h$ を見直す」
# という結論で 1 点 (どちらか一方なら 0.5 点)。)

# %% [markdown]
# ## 3.3 偏微分
#
# 変数が 2 つ以上ある関数、例えば
#
# $$
# f(x_0, x_1) = x_0^2 + x_1^2
# $$
#
# では、1 つの変数だけを動かし、残りを定数とみなして微分します。これを偏微分と呼び、$\dfrac{\partial f}{\partial x_0}$ のように書きます。
# この $f$ では $\dfrac{\partial f}{\partial x_0} = 2x_0$、$\dfrac{\partial f}{\partial x_1} = 2x_1$ です。
#
# 数値的に求めるには、ほかの変数を固定した 1 変数関数を作って `numerical_diff` に渡すだけです。$(x_0, x_1) = (3, 4)$ で確かめます
# (正解は 6 と 8)。

# %%
partial_x0 = numerical_diff(lambda x0: x0**2 + 4.0**2, 3.0)  # x1 = 4 に固定して x0 で微分
partial_x1 = numerical_diff(lambda x1: 3.0**2 + x1**2, 4.0)  # x0 = 3 に固定して x1 で微分
print(f"∂f/∂x0 (3, 4) ≈ {partial_x0:.10f}")
print(f"∂f/∂x1 (3, 4) ≈ {partial_x1:.10f}")

# %% [markdown]
# ## 3.4 勾配
#
# すべての変数の偏微分を、変数と同じ並びにまとめたものを勾配と呼び、$\nabla f$ と書きます。
#
# $$
# \nabla f(x_0, x_1) = \left( \frac{\partial f}{\partial x_0}, \frac{\partial f}{\partial x_1} \right)
# $$
#
# ニューラルネットワークのパラメータはベクトルだけでなく行列 (重み、形状 (D, H)) や、畳み込みニューラルネットワーク (convolutional neural network)
# のフィルターのような 4 次元の配列です。そこで `numerical_gradient(f, x)` は、**任意の形状** の配列 `x` の各要素 $x_i$ について
# $\dfrac{f(\dots, x_i + h, \dots) - f(\dots, x_i - h, \dots)}{2h}$ を計算し、`x` と同じ形状の配列として返すことにします。
# 実装には次の落とし穴があります。
#
# 1. **全要素の添字を回す**: `for i in range(x.size): x[i]` は 1 次元配列でしか働きません (2 次元配列では `x[i]` が行全体を指します)。
#    `np.ndindex(x.shape)` は、どんな形状でも全要素の添字のタプル (例えば `(0, 2, 1)`) を順に返します。
#    また、`x.reshape(-1)` で 1 次元にしてから書き換える方法は、`W[:, ::2]` のような連続でない (non-contiguous) 配列では
#    `reshape` がコピーを返すため、`x` 自体が変わらず勾配が 0 になります。
# 2. **`x` そのものを書き換えて (その場で、in place) 元に戻す**: 要素 $x_i$ を $x_i + h$ に書き換えて `f(x)` を呼び、次に
#    $x_i - h$ に書き換えて `f(x)` を呼び、最後に保存しておいた元の値を代入して戻します。そのためにコピーを作らず `x` 自体を
#    書き換えるので、`f` が引数を使わずに同じ配列を読む関数 (3.6 節の `lambda W: net.loss(x, t)`) でも正しく動きます。
#    元に戻すのを忘れると、次の要素の計算が狂ううえ、呼び出し元の配列が壊れます。`f` が例外を出しても戻るように
#    `try` / `finally` で書くと安全です。なお `x[i] += h` のあと `x[i] -= h` で戻す書き方では、丸めのせいで元の値に正確に戻らないことがあります。
# 3. **実際に取った刻み幅で割る**: float32 の配列では $x_i + h$ が float32 に丸められて保存されるので、実際の刻み
#    $(x_i + h) - (x_i - h)$ は $2h$ とかなりずれます。分母には、書き換えた後の値から求めた実際の刻みを使います。
# 4. **整数の配列は受け付けない**: 整数の配列に $3 + 10^{-4}$ を代入すると 3 に切り捨てられ、刻みが 0 になります。
#
# 3 と 4 を確かめてみましょう。

# %%
x32 = np.array([3.0], dtype=np.float32)
x32[0] = 3.0 + 1e-4
upper = float(x32[0])
x32[0] = 3.0 - 1e-4
lower = float(x32[0])
print(f"float32 での実際の刻み (x + h) − (x − h) = {upper - lower:.10f}  (2h = 0.0002)")
print(
    f"2h で割った x² の微分: {(upper**2 - lower**2) / 2e-4:.6f}、実際の刻みで割った値: {(upper**2 - lower**2) / (upper - lower):.6f}"
)

x_int = np.array([3, 4])
x_int[0] = 3 + 1e-4
print("整数の配列に 3 + 1e-4 を代入すると:", x_int)

# %% [markdown]
# ### 演習 2: 任意の形状の配列に対する数値勾配
#
# テストと図では、3.3 節の関数を任意の形状の配列に広げた次の `function_2` (全要素の二乗和) を使います。


# %%
def function_2(x):
    return np.sum(x**2)  # 2 要素なら f(x0, x1) = x0² + x1²


# %% [solution] id=numerical_gradient
def numerical_gradient(f, x, h=1e-4):
    """中心差分で、スカラー関数 f の x における勾配を 1 要素ずつ求める。

    f: 配列を受け取り数 (スカラー) を返す関数。
    x: 浮動小数点数の配列。形状は任意 (0 次元・3 次元以上も可)、連続でないビューや float32 も可。
       整数の配列なら TypeError を出す。
    h: 刻み幅 (既定値 1e-4)。
    各要素を x そのものの上で x_i + h, x_i − h に書き換えて f(x) を呼び (コピーは作らない)、
    最後に元の値を代入して正確に元に戻す (f が例外を出したときも)。
    分母は 2h ではなく、書き換えた後の値から求めた実際の刻み (x_i + h) − (x_i − h) を使う。
    |x_i| が大きすぎて x_i ± h が x_i に丸められるときは FloatingPointError を出す。
    戻り値: x と同じ形状の float64 の配列。
    """
    # ヒント: hint("numerical_gradient")
    # @reference numerical_gradient


# %% [tests] id=test_numerical_gradient points=3 hidden=numerical_gradient
def public_test_numerical_gradient():
    """演習 2 の値の公開テスト (演習 3、4 の前提としても使います)。"""
    x3 = np.linspace(-1.0, 1.0, 24).reshape(2, 3, 4)  # 形状 (2, 3, 4) の x (最後の性質でも使う)
    with Properties() as test:
        with test.property("勾配の値 (形状 (2,) と (2, 3, 4) の x)"):
            # 2 次式の中心差分は打ち切り誤差が 0 なので、勾配 (2 x0, 2 x1) と丸め誤差の範囲で一致する
            check_array(
                numerical_gradient(function_2, np.array([3.0, 4.0])),
                [6.0, 8.0],
                "numerical_gradient(function_2, [3, 4])",
                atol=1e-7,
            )
            check_array(
                numerical_gradient(function_2, np.array([0.0, 2.0])),
                [0.0, 4.0],
                "numerical_gradient(function_2, [0, 2])",
                atol=1e-7,
            )
            # 3 次元の配列。Σ x³ の中心差分は要素ごとに 3x² + h² (3.1 節の計算)
            check_array(
                numerical_gradient(lambda v: np.sum(v**3), x3.copy()),
                3 * x3**2 + 1e-8,
                "形状 (2, 3, 4) の x の勾配",
                atol=1e-9,
            )

        # 連続でないビュー (1 列おきの列)。Σ v² の勾配は 2v。元の配列 base も変わってはいけない (最後の性質で確かめる)
        base = np.arange(12.0).reshape(3, 4)
        with test.property("連続でない x での勾配 (1 列おきのビューと転置された配列)"):
            check_array(
                numerical_gradient(function_2, base[:, ::2]),
                [[0.0, 4.0], [8.0, 12.0], [16.0, 20.0]],
                "連続でないビューの勾配",
                atol=1e-7,
            )
            # 転置された配列 (形状 (3, 2)、これも連続でない)。勾配は 2 × (転置された配列)
            transposed = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]).T
            check_array(
                numerical_gradient(function_2, transposed),
                [[2.0, 8.0], [4.0, 10.0], [6.0, 12.0]],
                "転置された配列の勾配",
                atol=1e-7,
            )

        with test.property("0 次元の x での勾配"):
            # 0 次元の配列 x = 3 (形状 ())。x² の勾配は 2x = 6 で、戻り値も形状 ()
            check_array(numerical_gradient(function_2, np.array(3.0)), 6.0, "0 次元の x = 3 での勾配", atol=1e-7)

        with test.property("引数 h を使う (h=0.1)"):
            # Σ x³ の中心差分は 3x² + h²。x = [1, 2]、h = 0.1 なら [3 + 0.01, 12 + 0.01]
            check_array(
                numerical_gradient(lambda v: np.sum(v**3), np.array([1.0, 2.0]), h=0.1),
                [3.01, 12.01],
                "numerical_gradient(Σ x³, [1, 2], h=0.1)",
                atol=1e-9,
                mistakes=[([3.0 + 1e-8, 12.0 + 1e-8], "引数の h を使っていますか。")],
            )

        with test.property("引数を使わず x を直接読む f での勾配 (W を読む lambda)"):
            # 引数を使わず W を直接読む f (3.6 節の形)。W がその場で書き換えられるので勾配 2W が求まる
            W = np.array([[1.0, -2.0], [0.5, 3.0]])
            check_array(
                numerical_gradient(lambda _: np.sum(W**2), W),
                2 * W,
                "引数を使わない f に対する勾配",
                atol=1e-7,
                mistakes=[(np.zeros((2, 2)), "x のコピーを書き換えていませんか。x そのものを書き換えてください。")],
            )

        with test.property("x を元の値に正確に戻す (次の要素に進む前と呼び出しの後)"):
            # f は呼ばれるたびに、x の要素のうち元の値と違うものの数を記録する。
            # 書き換え中の 1 要素だけが違うはずで、2 つ以上なら前の要素が元の値に戻っていない
            x3_before = x3.copy()
            changed = []

            def cube_sum(v):
                changed.append(int(np.count_nonzero(v != x3_before)))
                return np.sum(v**3)

            numerical_gradient(cube_sum, x3)
            check_true(
                max(changed, default=0) <= 1,
                "f(x) が呼ばれたとき、前に書き換えた要素が元の値に正確に戻っていませんでした。"
                "元の値を変数に保存しておき、次の要素に進む前にその値を代入して戻してください"
                " (x[idx] -= h のような計算で戻すと丸めで元の値に戻りません)。",
            )
            check_true(np.array_equal(x3, x3_before), "numerical_gradient の呼び出しの後、x が元の値に戻っていません。")
            check_true(np.array_equal(base, np.arange(12.0).reshape(3, 4)), "ビューの元の配列が元に戻っていません。")


public_test_numerical_gradient()
print("公開テスト: OK")

# %% [markdown]
# 次のセルは、同じ演習の **規則** (rule) を確かめます: float32 の x、戻り値の型、整数の配列、
# 刻みが丸めで 0 になる場合。配点は演習の 1/4 で、本体 (上のセル) とは別に採点されます。規則を満たしていなくても
# 本体の 3 点は失いません。規則は本体が正しく動くときに確かめます (本体の公開テストが通るまでは保留)。

# %% [tests] id=test_numerical_gradient_rules points=1 hidden=numerical_gradient_rules
if core_passes(public_test_numerical_gradient):
    with Properties() as test:
        x32 = np.array([3.0], dtype=np.float32)
        float32_step = "float32 の x での勾配 (x = [3] での x²、実際の刻みで割る)"
        grad32 = None
        with test.property(float32_step):
            # 放物線では (u² − l²) / (u − l) = u + l が x = 3 の丸めた上下の点の和 6 にほぼ等しい (2h で割ると約 5.9938)
            grad32 = numerical_gradient(lambda v: float(v.astype(np.float64)[0] ** 2), x32)
            check_array(grad32, [6.0], "float32 の x = [3] での x² の勾配", rtol=1e-6)
        # 次の 2 つはこの呼び出しの結果を確かめる (呼び出しが例外で終わったときだけ、未確認とする)
        call_needed = [] if grad32 is not None else [float32_step]
        with test.property("float32 の x でも float64 の配列を返す", needs=call_needed):
            check_true(grad32.dtype == np.float64, f"戻り値は float64 の配列にしてください (実際は {grad32.dtype})。")
        with test.property("float32 の x を元の値に正確に戻す", needs=call_needed):
            # float32 の 3 は、x += h、x -= 2h、x += h のように計算で戻すと丸めで 3 に戻らない
            check_true(
                np.array_equal(x32, [3.0]),
                "float32 の x = [3] が呼び出しの後、元の値に正確に戻っていません。"
                "元の値を変数に保存しておき、最後にその値を代入して戻してください。",
            )

        with test.property("入力の検査 (整数の配列 x = [3, 4] で TypeError)"):
            try:
                numerical_gradient(function_2, np.array([3, 4]))
                raised = False
            except TypeError:
                raised = True
            check_true(raised, "整数の配列 x には TypeError を出してください。")

        with test.property("x_i ± h が x_i に丸められるときは FloatingPointError"):
            # x_0 = 1e20 では x_0 ± 1e-4 がどちらも 1e20 に丸められ、実際の刻みが 0 になる
            try:
                numerical_gradient(function_2, np.array([1e20, 1.0]))
                raised = False
            except FloatingPointError:
                raised = True
            check_true(
                raised,
                "x = [1e20, 1] では x_0 ± h が x_0 に丸められ、実際の刻み (x_0 + h) − (x_0 − h) が 0 になります。"
                "その場合は raise FloatingPointError(...) としてください。",
            )
            # float32 では x_0 = 1e6 でもう丸められる (1e6 の近くの float32 の間隔は 0.0625)
            try:
                numerical_gradient(function_2, np.array([1e6, 1.0], dtype=np.float32))
                raised = False
            except FloatingPointError:
                raised = True
            check_true(
                raised,
                "float32 の x = [1e6, 1] では x_0 ± h が x_0 に丸められ、実際の刻み (x_0 + h) − (x_0 − h) が 0 に"
                "なります。その場合は raise FloatingPointError(...) としてください。",
            )
    print("公開テスト: OK")

# %% [markdown]
# ### 勾配の図
#
# $f(x_0, x_1) = x_0^2 + x_1^2$ の勾配を、平面上の格子点ごとに矢印で描きます。勾配 $\nabla f$ そのものは関数の値が
# **最も急に増える** 向きを指すので、ここでは符号を反転した $-\nabla f$ (最も急に減る向き) を描きます
# (「勾配の向きは関数の値を最も減らす方向」と書かれた資料がありますが、それはマイナスを付けた $-\nabla f$ のことです)。
# 破線は $f$ の等高線 (contour line) です。

# %%
grid = np.arange(-2.0, 2.25, 0.25)
x0_grid, x1_grid = np.meshgrid(grid, grid)
points = np.stack([x0_grid.ravel(), x1_grid.ravel()], axis=1)  # (格子点の数, 2)
gradients = np.array([numerical_gradient(function_2, point) for point in points])

fig, ax = plt.subplots(figsize=(5.5, 5.5))
contours = ax.contour(
    x0_grid, x1_grid, x0_grid**2 + x1_grid**2, levels=[0.5, 1, 2, 4, 6], colors="gray", linestyles="--"
)
ax.clabel(contours, fontsize=8)
ax.quiver(points[:, 0], points[:, 1], -gradients[:, 0], -gradients[:, 1], angles="xy", color="tab:blue")
ax.plot(0, 0, "r*", ms=12, label="最小点 (0, 0)")
ax.set_aspect("equal")
ax.set_xlabel("$x_0$")
ax.set_ylabel("$x_1$")
ax.set_title("$f(x_0, x_1) = x_0^2 + x_1^2$ の $-\\nabla f$")
ax.legend(loc="upper right")
plt.show()

# %% [markdown]
# 図から次のことが読み取れます。
#
# - 矢印はどれも最小点 (0, 0) の方を向き、等高線と直交しています。
# - 最小点から遠いほど矢印が長くなります ($\|\nabla f\| = 2\sqrt{x_0^2 + x_1^2}$)。最小点に近づくと勾配は 0 に近づきます。
#
# ただし、$-\nabla f$ が最小点をまっすぐ指すのは、この関数の等高線がきれいな円だからです。一般の関数では $-\nabla f$ は
# 「その場所で最も急に下る向き」にすぎず、最小点を指すとは限りません。勾配が 0 になる点にも、極小点のほかに鞍点
# (saddle point、ある方向には極小で別の方向には極大) などがあります。
#
# ## 3.5 勾配降下法
#
# 勾配の逆向きに少し進み、進んだ先で勾配を求め直す、を繰り返せば関数の値を減らしていけます。これが勾配降下法です。
#
# $$
# x \leftarrow x - \eta \nabla f(x)
# $$
#
# $\eta$ (イータ) は 1 回の更新でどれだけ進むかを決める学習率です。学習率のように、学習で自動的に決まるのではなく人が事前に
# 決める値をハイパーパラメータ (hyperparameter) と呼びます。最大値を探すときは符号を逆にした勾配上昇法 (gradient ascent) を使います。
# なお、ここで扱うのは全データで決まる 1 つの関数を下る勾配降下法です。毎回ランダムに選んだミニバッチの損失で更新するものを
# 確率的勾配降下法 (stochastic gradient descent, SGD) と呼んで区別します。
#
# 実装の注意が 2 つあります。
#
# - 教科書の実装 `x = init_x` の後に `x -= lr * grad` とすると、`x` と `init_x` は同じ配列なので、**呼び出し元の初期値が書き換わります**。
#   同じ初期値で学習率を変えて比べる実験が、知らないうちに別の初期値から始まってしまいます。最初にコピーを作りましょう。
# - 経路を描くために、通った点をすべて記録した `history` も返します。初期値と $k$ 回更新後の点 ($k = 1, \dots$, `step_num`) を
#   並べるので、形状は `(step_num + 1, *init_x.shape)` です。
#
# ### 演習 3: 勾配降下法


# %% [solution] id=gradient_descent
def gradient_descent(f, init_x, lr=0.01, step_num=100):
    """勾配降下法 x ← x − lr · ∇f(x) を step_num 回繰り返す。勾配は演習 2 の numerical_gradient で求める。

    f: 配列を受け取りスカラーを返す関数。init_x: 初期値 (任意の形状の配列)。書き換えないこと。
    lr: 学習率。step_num: 更新の回数。
    戻り値: (x, history) のタプル。
      x: 最後の点 (float64、init_x と同じ形状)。
      history: 形状 (step_num + 1, *init_x.shape) の配列。history[0] は init_x、history[k] は k 回更新した後の点
      (history[-1] は x に等しい)。
    """
    # ヒント: hint("gradient_descent")
    # @reference gradient_descent


# %% [tests] id=test_gradient_descent points=3 hidden=gradient_descent
if builds_on({"演習 2 (numerical_gradient)": public_test_numerical_gradient}):
    with Properties() as test:
        init = np.array([-3.0, 4.0])
        descent_values = "履歴 history と最後の点 x (lr=0.1, step_num=20 と lr=0.25, step_num=3)"
        with test.property(descent_values):
            x_final, history = gradient_descent(function_2, init, lr=0.1, step_num=20)
            # ∇f = 2x なので 1 回の更新は x ← x − 0.1 · 2x = 0.8x。k 回の更新後は 0.8^k · init
            expected_history = 0.8 ** np.arange(21)[:, None] * np.array([-3.0, 4.0])
            check_true(
                np.shape(history) == (21, 2),
                f"history の形状は (step_num + 1, 2) = (21, 2) のはずですが {np.shape(history)} でした。",
            )
            check_array(history, expected_history, "history (lr=0.1, step_num=20)", atol=1e-9)
            check_array(x_final, expected_history[-1], "最後の点 x", atol=1e-9)

            # 形状 (2, 2) の初期値。lr = 0.25 なら 1 回の更新で x ← 0.5x
            x_final, history = gradient_descent(function_2, np.ones((2, 2)), lr=0.25, step_num=3)
            check_true(
                np.shape(history) == (4, 2, 2), f"history の形状は (4, 2, 2) のはずですが {np.shape(history)} でした。"
            )
            check_array(x_final, np.full((2, 2), 0.125), "形状 (2, 2) の初期値からの最後の点", atol=1e-9)

        with test.property("step_num=0 (更新しない) のときの結果"):
            # 1 回も更新しないので、x は初期値のまま、history は初期値の 1 点だけ (形状 (1, 2))
            x_final, history = gradient_descent(function_2, np.array([1.0, -2.0]), lr=0.1, step_num=0)
            check_array(history, [[1.0, -2.0]], "step_num=0 のときの history")
            check_array(x_final, [1.0, -2.0], "step_num=0 のときの最後の点 x")

        with test.property("既定の lr と step_num での結果 (lr=0.01, step_num=100)"):
            # 1 回の更新は x ← x − 0.01 · 2x = 0.98x。k 回の更新後は 0.98^k · init (k = 0, 1, …, 100)
            x_final, history = gradient_descent(function_2, np.array([1.0, -2.0]))
            expected_history = 0.98 ** np.arange(101)[:, None] * np.array([1.0, -2.0])
            check_true(
                np.shape(history) == (101, 2),
                f"既定の step_num = 100 なら history の形状は (101, 2) のはずですが {np.shape(history)} でした。",
            )
            check_array(history, expected_history, "history (既定の lr と step_num)", atol=1e-9)
            check_array(x_final, expected_history[-1], "最後の点 x (既定の lr と step_num)", atol=1e-9)

        with test.property("init_x を書き換えない", needs=[descent_values]):
            check_array(init, [-3.0, 4.0], "呼び出しの後の init_x (書き換えてはいけない)")
    print("公開テスト: OK")

# %% [markdown]
# ### 学習率の大きさと収束
#
# $f(x_0, x_1) = x_0^2 + x_1^2$ なら $\nabla f(x) = 2x$ なので、更新式は
#
# $$
# x_{k+1} = x_k - \eta \cdot 2 x_k = (1 - 2\eta)\, x_k \quad\Longrightarrow\quad x_k = (1 - 2\eta)^k x_0
# $$
#
# と解けます。1 回ごとに $x$ が $(1 - 2\eta)$ 倍されるので、振る舞いは $1 - 2\eta$ の値で決まります。
# 同じ初期値 $(-3, 4)$ から、大きすぎる学習率 ($\eta = 1.05$)、小さすぎる学習率 ($\eta = 0.01$)、適切な学習率 ($\eta = 0.1$) で
# 20 回更新し、経路と $f$ の値の変化を描きます。

# %%
settings = [(1.05, "大きすぎる"), (0.01, "小さすぎる"), (0.1, "適切")]
start = np.array([-3.0, 4.0])
runs = {lr: gradient_descent(function_2, start, lr=lr, step_num=20)[1] for lr, _ in settings}

fig, axes = plt.subplots(1, 3, figsize=(13, 4.3))
for ax, (lr, label) in zip(axes, settings):
    path = runs[lr]
    extent = 1.15 * np.abs(path).max()
    grid = np.linspace(-extent, extent, 101)
    g0, g1 = np.meshgrid(grid, grid)
    ax.contour(g0, g1, g0**2 + g1**2, levels=8, colors="lightgray")
    ax.plot(path[:, 0], path[:, 1], "o-", ms=3, lw=1)
    ax.plot(*path[0], "gs", ms=8, label="初期値 (−3, 4)")
    ax.plot(0, 0, "r*", ms=12, label="最小点")
    ax.set_aspect("equal")
    ax.set_xlabel("$x_0$")
    ax.set_ylabel("$x_1$")
    ax.set_title(f"η = {lr} ({label})")
    ax.legend(fontsize=8, loc="lower right")
fig.suptitle("学習率による勾配降下法の経路の違い (20 回の更新)")
plt.show()

fig, ax = plt.subplots(figsize=(6, 3.8))
for lr, label in settings:
    ax.semilogy([function_2(point) for point in runs[lr]], "o-", ms=3, label=f"η = {lr} ({label})")
ax.set_xlabel("更新の回数 $k$")
ax.set_ylabel("$f(x_k)$ (対数目盛)")
ax.set_title("更新ごとの関数の値")
ax.legend()
plt.show()

for lr, label in settings:
    print(f"η = {lr:<5} ({label}): 20 回後の x = {runs[lr][-1]}, 1 回あたりの倍率 1 − 2η = {1 - 2 * lr:+.2f}")

# %% [markdown]
# - $\eta = 1.05$ では倍率が $-1.1$ です。毎回符号が反転して最小点を飛び越え、しかも $|x|$ が 1.1 倍ずつ大きくなって発散します。
# - $\eta = 0.01$ では倍率が $0.98$ で、20 回更新しても $x$ は初期値の $0.98^{20} \approx 0.67$ 倍にしかなりません。
# - $\eta = 0.1$ では倍率が $0.8$ で、20 回で $0.8^{20} \approx 0.012$ 倍まで順調に近づきます。
#
# **教科書の例の落とし穴**: 教科書では $\eta = 10$ で 100 回更新した結果として $(-2.58 \times 10^{13}, -1.29 \times 10^{12})$
# が示されていますが、これは発散の行き着いた先ではありません。正しい更新なら $|x|$ は毎回 19 倍になり、100 回後には
# $10^{128}$ 程度になるはずです。実際には 10 回ほどで $|x|$ が $10^{12}$ を超えると、$x \pm h$ が $x$ に丸められて数値勾配が
# 0 になり、そこで止まっていたのです。この章の `numerical_gradient` は、その状況で何も知らせずに 0 を返す代わりに FloatingPointError で知らせます。

# %%
try:
    x_diverged, _ = gradient_descent(function_2, np.array([-3.0, 4.0]), lr=10.0, step_num=100)
except FloatingPointError as error:
    print("FloatingPointError:", error)
else:
    print("100 回後の x =", x_diverged)

# %% [markdown]
# 3.5 節の $x_0^2 + x_1^2$ は、どの向きにも同じ曲がり方をする (等高線が円の) 関数でした。実際の損失では、向きによって
# 曲がり方が大きく違うのがふつうです。次のセルは、$x_1$ の向きだけが 10 倍急な $f(x_0, x_1) = x_0^2 + 10 x_1^2$
# (等高線は横長の楕円) に、3 つの学習率で勾配降下法を 20 回行った経路を描きます (勾配 $(2x_0, 20x_1)$ は式のまま使います)。


# %%
def narrow_valley(x):
    return x[0] ** 2 + 10 * x[1] ** 2  # f(x0, x1) = x0² + 10 x1²


valley_rates = [0.02, 0.09, 0.11]
valley_start = np.array([-3.0, 1.0])
v0, v1 = np.meshgrid(np.linspace(-3.5, 3.5, 141), np.linspace(-2.0, 2.0, 81))
fig, axes = plt.subplots(1, 3, figsize=(13, 3.3))
for ax, lr in zip(axes, valley_rates):
    valley_path = [valley_start]
    for _ in range(20):
        point = valley_path[-1]
        valley_path.append(point - lr * np.array([2 * point[0], 20 * point[1]]))  # x ← x − η ∇f(x)
    valley_path = np.array(valley_path)
    ax.contour(v0, v1, narrow_valley([v0, v1]), levels=[0.5, 2, 5, 10, 20], colors="lightgray")
    ax.plot(valley_path[:, 0], valley_path[:, 1], "o-", ms=3, lw=1)
    ax.plot(*valley_start, "gs", ms=8, label="初期値 (−3, 1)")
    ax.plot(0, 0, "r*", ms=12, label="最小点")
    ax.set_xlim(-3.5, 3.5)
    ax.set_ylim(-2.0, 2.0)
    ax.set_aspect("equal")
    ax.set_xlabel("$x_0$")
    ax.set_ylabel("$x_1$")
    ax.set_title(f"η = {lr}")
    ax.legend(fontsize=8, loc="lower right")
    print(f"η = {lr}: 20 回後の x = {valley_path[-1]}, f = {narrow_valley(valley_path[-1]):.3g}")
fig.suptitle("$f(x_0, x_1) = x_0^2 + 10 x_1^2$ での勾配降下法の経路 (20 回の更新)")
plt.show()

# %% [markdown]
# **問**: 向きによって曲がり方が違う $f(x_0, x_1) = x_0^2 + 10 x_1^2$ で、勾配降下法が収束する学習率の範囲と、経路の形を考えます。
#
# 1. 勾配は $(2x_0, 20x_1)$ です。成分ごとの更新式を 3.5 節と同じ「$x_{k+1} = (\text{倍率}) \times x_k$」の形で書き、どんな初期値からでも
#    (0, 0) に収束する $\eta$ の範囲を求めてください。その範囲を決めているのはどちらの向きですか。
# 2. 上の図の $\eta = 0.09$ で経路がジグザグになるのはなぜですか。成分ごとの倍率を使って説明してください。また、範囲の中で $\eta$ を
#    どう選んでも $x_0$ の向きにはゆっくりしか進めないことを示し、すべてのパラメータに 1 つの学習率を使うことについて何が言えるかを述べてください。

# %% [answer] id=learning_rate_range points=2
# **模範解答**: (1) 成分ごとに $x_0 \leftarrow (1 - 2\eta)\, x_0$、$x_1 \leftarrow (1 - 20\eta)\, x_1$ となる。どんな初期値からでも収束するには
# 両方の倍率の絶対値が 1 未満であればよく、$|1 - 2\eta| < 1 \iff 0 < \eta < 1$ と $|1 - 20\eta| < 1 \iff 0 < \eta < 0.1$ から
# $0 < \eta < 0.1$ である。範囲を決めているのは曲がり方が 10 倍急な $x_1$ の向きで、例えば $\eta = 0.11$ では $x_0$ の倍率 0.78 は
# 問題ないのに、$x_1$ の倍率が $-1.2$ になって振動しながら発散する (図の右)。
# (2) $\eta = 0.09$ では $x_1$ の倍率が $1 - 1.8 = -0.8$ で、$x_1$ は毎回符号を変えて谷の中心線 ($x_1 = 0$) を飛び越えながら縮む。
# 一方 $x_0$ の倍率は $1 - 0.18 = 0.82$ で、符号を変えずにゆっくり縮む。この 2 つが重なって、谷を左右に往復しながら少しずつ
# 谷底に沿って進むジグザグになる。$\eta < 0.1$ が必要なので $x_0$ の倍率 $1 - 2\eta$ は必ず 0.8 より大きく、$x_0$ は 1 回に最大でも
# 2 割ほどしか縮まない ($\eta = 0.02$ なら倍率 0.96 で、20 回後も $x_0 \approx -1.33$)。2 つの倍率の絶対値の大きいほうを最小にする
# $\eta = 1/11 \approx 0.091$ でも倍率は $9/11 \approx 0.82$ である。つまり 1 つの学習率では、最も急な向きが上限を決め、最もなだらかな
# 向きがその上限のもとで進む速さを決めるので、曲がり方の差が大きいほど遅くなる。向きごとに学習率を変えられれば
# ($x_0$ に 0.5、$x_1$ に 0.05 なら両方の倍率が 0 で 1 回で最小点に着く) この問題はなくなる (パラメータごとに学習率を調整する
# 手法は第 6 章で扱う)。
#
# (採点の目安: (1) 2 つの倍率と範囲 $0 < \eta < 0.1$、急な $x_1$ の向きが範囲を決めることで 1 点 (範囲だけなら 0.5 点)。
# (2) ジグザグを $x_1$ の負の倍率 ($-0.8$) と $x_0$ の正の倍率 (0.82) で説明できていれば 0.5 点、1 つの学習率は急な向きで
# 上限が決まりなだらかな向きが遅くなること (向きごとの学習率なら解消すること) が書けていれば 0.5 点。)

# %% [markdown]
# ## 3.6 ニューラルネットワークの勾配
#
# ニューラルネットワークの学習でも、損失関数 $L$ の重みに関する勾配を求めて勾配降下法で更新します。形状 (2, 3) の重み行列
# $W$ に対する勾配は、各要素の偏微分を $W$ と同じ形に並べた行列です。
#
# $$
# W = \begin{pmatrix} w_{11} & w_{12} & w_{13} \\ w_{21} & w_{22} & w_{23} \end{pmatrix}, \qquad
# \frac{\partial L}{\partial W} = \begin{pmatrix}
# \dfrac{\partial L}{\partial w_{11}} & \dfrac{\partial L}{\partial w_{12}} & \dfrac{\partial L}{\partial w_{13}} \\[2mm]
# \dfrac{\partial L}{\partial w_{21}} & \dfrac{\partial L}{\partial w_{22}} & \dfrac{\partial L}{\partial w_{23}}
# \end{pmatrix}
# $$
#
# 例えば $\dfrac{\partial L}{\partial w_{11}}$ は「$w_{11}$ を少し増やしたとき損失がどれだけ増えるか」です。
#
# 次のセルは第 1 章と第 2 章の演習の模範解答 (ソフトマックス関数と交差エントロピー誤差) です。この節で使います。

# %% [given] names=softmax,cross_entropy_error

# %% [markdown]
# 隠れ層もバイアスもない、いちばん小さなネットワーク `SimpleNet` を作ります。入力 $x$ (形状 (N, D)) に対してスコア
# $s = xW$ (形状 (N, C)) を計算し、ソフトマックス関数で確率 $y$ に変え、正解 $t$ との交差エントロピー誤差 (バッチ平均) を損失とします。
#
# $$
# s = x W, \qquad y = \mathrm{softmax}(s), \qquad L = -\frac{1}{N} \sum_{n} \log y_{n, t_n}
# $$
#
# 損失の勾配を `numerical_gradient` で求めるには、「$W$ を受け取って損失を返す関数」が必要です。教科書と同じく
# `lambda _: self.loss(x, t)` と書くと、この関数は引数を使わず `self.W` を読みますが、`numerical_gradient` が `self.W` そのものを
# その場で書き換えるので、書き換えられた $W$ での損失が計算されます (演習 2 で「コピーを作らない」とした理由です)。
#
# ### 演習 4: SimpleNet


# %% [solution] id=simple_net
class SimpleNet:
    """バイアスも隠れ層もないネットワーク: スコア (x と W の行列の積) → ソフトマックス → 交差エントロピー誤差。

    W: 形状 (D, C) の重み行列。コピーせず、そのまま self.W として持つ。
    """

    def __init__(self, W):
        """W を保存する。"""
        # ヒント: hint("SimpleNet.__init__")
        # @reference SimpleNet.__init__

    def predict(self, x):
        """スコアを返す。x: 形状 (N, D) (1 サンプルなら (D,))。

        戻り値: x と self.W の行列の積 (ソフトマックスは通さない)、形状 (N, C) (1 サンプルなら (C,))。
        """
        # ヒント: hint("SimpleNet.predict")
        # @reference SimpleNet.predict

    def loss(self, x, t):
        """損失を返す。t: 正解ラベル (N,) または one-hot (N, C)。

        戻り値: スコアをソフトマックス関数で確率にしたものと t の、交差エントロピー誤差 (バッチ平均、float)。
        上のセルの関数を使う。
        """
        # ヒント: hint("SimpleNet.loss")
        # @reference SimpleNet.loss

    def numerical_gradient(self, x, t):
        """損失の W に関する勾配 (形状 (D, C)) を、演習 2 の numerical_gradient で求める。

        呼び出しの後、self.W は元の値に戻っていること。
        """
        # ヒント: hint("SimpleNet.numerical_gradient")
        # @reference SimpleNet.numerical_gradient


# %% [tests] id=test_simple_net points=3 hidden=simple_net
W_zero = np.zeros((2, 3))
net = SimpleNet(W_zero)
x_one = np.array([0.6, 0.9])
t_one = np.array([0.0, 0.0, 1.0])  # 正解はクラス 2 (one-hot)
with Properties() as test:
    predict_values = "predict(x) の値 (1 サンプルと形状 (4, 2) のバッチ)"
    with test.property(predict_values):
        check_array(net.predict(x_one), [0.0, 0.0, 0.0], "W = 0 のときの predict(x)")
        check_true(
            np.shape(net.predict(np.ones((4, 2)))) == (4, 3),
            "形状 (4, 2) の x に対する predict(x) の形状は (4, 3) のはずです。",
        )
    loss_values = "loss(x, t) の値 (one-hot の t と正解ラベル)"
    with test.property(loss_values, needs=[predict_values]):
        # スコアがすべて 0 → 確率は 1/3 ずつ → 損失は −log(1/3 + 1e-7) ≈ log 3
        check_scalar(net.loss(x_one, t_one), np.log(3.0), "W = 0 のときの loss(x, t)", atol=1e-6)
        # バッチ (N = 4) と正解ラベル: どのサンプルも確率 1/3 ずつなので、N で割った平均も log 3 (合計なら 4 log 3)
        check_scalar(
            net.loss(np.ones((4, 2)), np.array([0, 1, 2, 0])),
            np.log(3.0),
            "W = 0 のときの loss (形状 (4, 2) の x と正解ラベル)",
            atol=1e-6,
            mistakes=[(4 * np.log(3.0), "バッチの合計になっています。N で割った平均にしてください。")],
        )
    # ソフトマックスと交差エントロピー誤差を組み合わせた勾配は ∂L/∂W = x^T (y − t) (誤差逆伝播法の章で導出する)。
    # いまは y = (1/3, 1/3, 1/3) なので y − t = (1/3, 1/3, −2/3) で、勾配はその x 倍を並べた行列になる
    ready = builds_on({"演習 2 (numerical_gradient)": public_test_numerical_gradient})
    if ready:
        gradient_values = "numerical_gradient(x, t) の値 (W = 0、1 サンプル)"
        with test.property(gradient_values, needs=[loss_values]):
            expected_grad = np.outer(x_one, [1 / 3, 1 / 3, -2 / 3])
            check_array(
                net.numerical_gradient(x_one, t_one),
                expected_grad,
                "W = 0 のときの numerical_gradient(x, t)",
                rtol=1e-5,
                atol=1e-6,
                mistakes=[
                    (
                        np.zeros((2, 3)),
                        "W のコピーの勾配を求めていませんか。self.W そのものを numerical_gradient に渡してください。",
                    )
                ],
            )
        with test.property("numerical_gradient の後も self.W が元の値のまま", needs=[gradient_values]):
            check_array(net.W, np.zeros((2, 3)), "numerical_gradient の後の net.W (元に戻っていること)")
if ready:
    print("公開テスト: OK")

# %% [markdown]
# 教科書と同じ入力 $x = (0.6, 0.9)$、正解クラス 2 で、ランダムな重みの勾配を求めてみます。

# %%
rng = np.random.default_rng(0)
net = SimpleNet(rng.standard_normal((2, 3)))
x_one, t_one = np.array([0.6, 0.9]), np.array([0, 0, 1])
print("W =\n", net.W)
print("スコア predict(x) =", net.predict(x_one))
print("損失 loss(x, t) =", round(net.loss(x_one, t_one), 6))
dW = net.numerical_gradient(x_one, t_one)
print("∂L/∂W =\n", dW)

# %% [markdown]
# 正解クラス 2 の列 ($w_{13}, w_{23}$) の勾配は負、ほかの列は正です。$-\partial L/\partial W$ の向きに動かすと、正解クラスの
# スコアが上がり、ほかのクラスのスコアが下がって損失が減ります。また各行の和は 0 になります。これは、すべてのスコアに
# 同じ数を足してもソフトマックスの値が変わらないことの表れです。
#
# ### 勾配降下法で学習させる
#
# 演習 3 の `gradient_descent` で `SimpleNet` の重みを学習させます。ただし `gradient_descent` は初期値のコピーを書き換えるので、
# 渡す関数は **引数から** 損失を計算しなければなりません (`lambda W: SimpleNet(W).loss(x, t)`)。`lambda _: net.loss(x, t)` の
# ように引数を無視する関数を渡すと、コピーが書き換えられても `net.W` は変わらないので勾配が 0 になり、何も学習しません。
#
# 3 つの方向に分かれた 2 次元の点 (3 クラス、各 10 点) で試します。

# %%
rng = np.random.default_rng(0)
angles = np.deg2rad([90.0, 210.0, 330.0])
centres = 2.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
t_train = np.repeat(np.arange(3), 10)
x_train = centres[t_train] + 0.6 * rng.standard_normal((30, 2))
W_init = 0.1 * rng.standard_normal((2, 3))

net = SimpleNet(W_init.copy())
frozen, _ = gradient_descent(lambda _: net.loss(x_train, t_train), net.W, lr=1.0, step_num=5)
print("引数を無視する関数では W が変わらない:", np.array_equal(frozen, W_init))

W_final, W_history = gradient_descent(lambda W: SimpleNet(W).loss(x_train, t_train), W_init, lr=1.0, step_num=50)
losses = [SimpleNet(W).loss(x_train, t_train) for W in W_history]
accuracy = np.mean(SimpleNet(W_final).predict(x_train).argmax(axis=1) == t_train)
print(f"損失: {losses[0]:.4f} → {losses[-1]:.4f}、訓練データの正解率: {accuracy:.2f}")

fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
axes[0].plot(losses, "o-", ms=3)
axes[0].set_xlabel("更新の回数")
axes[0].set_ylabel("損失 (交差エントロピー誤差)")
axes[0].set_title("数値勾配による勾配降下法の損失")
grid = np.linspace(-4, 4, 161)
g0, g1 = np.meshgrid(grid, grid)
regions = SimpleNet(W_final).predict(np.stack([g0.ravel(), g1.ravel()], axis=1)).argmax(axis=1).reshape(g0.shape)
axes[1].contourf(
    g0, g1, regions, levels=[-0.5, 0.5, 1.5, 2.5], colors=["tab:blue", "tab:orange", "tab:green"], alpha=0.2
)
for c, marker in enumerate("o^s"):
    axes[1].scatter(*x_train[t_train == c].T, marker=marker, label=f"クラス {c}")
axes[1].set_aspect("equal")
axes[1].set_xlabel("入力 $x_1$")
axes[1].set_ylabel("入力 $x_2$")
axes[1].set_title("学習後の予測クラスの領域")
axes[1].legend(fontsize=8)
plt.show()

# %% [markdown]
# 損失が下がり、訓練データの点が 3 つの領域に分けられました (バイアスがないので、境界はすべて原点を通ります)。
#
# **数値勾配の計算量**: 数値勾配は、パラメータ 1 個あたり損失を 2 回計算します。ここでは $W$ が 6 要素なので 1 回の更新で
# 12 回ですが、MNIST 用の 2 層ネットワーク (784 → 100 → 10) ではパラメータが何個になり、1 回の更新で損失を何回計算するでしょうか。

# %%
sizes = {"W1": (784, 100), "b1": (100,), "W2": (100, 10), "b2": (10,)}
n_params = sum(int(np.prod(shape)) for shape in sizes.values())
print(f"パラメータ数: {n_params:,} 個 → 1 回の更新で損失を {2 * n_params:,} 回計算する")

# %% [markdown]
# 1 回の更新に約 16 万回の順伝播が必要で、実用的な速さでは学習できません。第 4 章の誤差逆伝播法 (backpropagation) は、
# 順伝播 1 回と逆伝播 1 回で、すべてのパラメータの勾配を (丸め誤差の範囲で) 正確に求めます。数値勾配は遅い代わりに実装が
# 簡単で間違えにくいので、誤差逆伝播法の実装が正しいかを確かめる勾配確認 (gradient check) に使われます。
#
# ## まとめ
#
# - 数値微分は差分商で微分を近似する。前方差分 $\frac{f(x+h) - f(x)}{h}$ の打ち切り誤差は $O(h)$、中心差分
#   $\frac{f(x+h) - f(x-h)}{2h}$ は偶数次の項が打ち消し合って $O(h^2)$ (テイラー展開で導出)。
# - $h$ を小さくしすぎると、桁落ちによる丸め誤差 $\approx \varepsilon|f|/h$ が増える。誤差と $h$ の両対数グラフは V 字になり、
#   中心差分では $h = 10^{-4}$ が安全な選択。
# - 偏微分は 1 つの変数以外を固定した微分で、全変数の偏微分を並べたものが勾配。`numerical_gradient` は任意の形状の配列について、
#   各要素を **その場で** 書き換えて正確に元に戻し、実際に取った刻みで割る。
# - $-\nabla f$ はその場所で関数の値が最も急に減る向き。勾配降下法 $x \leftarrow x - \eta \nabla f(x)$ は学習率 $\eta$ が大きすぎると
#   振動・発散し、小さすぎるとほとんど進まない。$x_0^2 + x_1^2$ では $0 < \eta < 1$ で収束する。初期値の配列は書き換えないこと。
# - ネットワークの損失の重みに関する勾配も同じ方法で求まるが、パラメータ 1 個につき損失を 2 回計算するので遅い。
#   実際の学習には第 4 章の誤差逆伝播法を使い、数値勾配はその検算に使う。

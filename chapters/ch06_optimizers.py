# Chapter 6 of the course. Built into source_notebooks/ by `python -m autograder build`.
# Names defined by the [given] cells (TwoLayerNet, _check_int, ...), imports used only by the
# reference bodies that the build inlines, and `hint` (imported for the learner, who calls it as the
# stubs' comments say) are invisible to ruff in this file:
# ruff: noqa: F401, F821

# %% [markdown]
# # 第 6 章 最適化手法 (optimizer): SGD から Adam まで
#
# 前の章では、勾配 (gradient) の逆向きにパラメータを少し動かす $\boldsymbol{W} \leftarrow \boldsymbol{W} - \eta\, \partial L / \partial \boldsymbol{W}$
# (確率的勾配降下法 (stochastic gradient descent, SGD)) でネットワークを学習させました。この章では、この「更新の仕方」を工夫した
# 代表的な最適化手法を実装し、同じ問題の上で比べます。
#
# 1. 共通の形 `update(params, grads)` と SGD。SGD が細長い谷で遅くなる理由
# 2. 慣性を使う Momentum と Nesterov の加速勾配法 (Nesterov accelerated gradient)
# 3. パラメータごとに学習率を調整する AdaGrad・RMSprop・Adadelta。AdaGrad の更新幅が 0 に近づく理由
# 4. Adam と、そのバイアス補正 (bias correction) の意味。AMSGrad
# 5. 2 つの 2 次関数の上での軌跡 (trajectory) の比較と、手書き数字 (digits) の学習曲線の比較
# 6. 学習率のスケジュール (learning-rate schedule): `step_decay` と `inverse_time_decay`
# 7. 1 回の更新が大きくなりすぎるのを防ぐ、勾配クリッピング (`clip_grads_by_norm`) と学習率のウォームアップ (`warmup_lr`)
# 8. 層ごとに違う学習率を使う SGD (読んで実行する例)
#
# **進め方**: `ここに実装してください (YOUR CODE HERE)` と書かれたセルを実装し、すぐ下のテストセルを実行してください。
# テストセルが何も例外を出さずに「公開テスト: OK」と表示すれば合格です。採点では、ここに見えているテスト (公開テスト) に加えて、
# 別の入力を使う隠しテストも実行されます。公開テストの値だけに合わせた実装では点になりません。
#
# **ヒント**: 行き詰まったら、実装するセルのコメントにある `hint("関数名")` を新しいセルで実行してください。ヒントは 2〜3 段階あり、
# `hint("関数名", 2)` のように番号を増やすと次の段階が表示されます (答えのコードそのものは出ません)。表示したヒントはノートブックの出力に残り、
# 講師のクラス報告で「どのヒントが必要とされたか」の集計に使われます (成績には影響しません)。

# %%
import operator  # 下の配布コードの _check_int が使う
from collections import OrderedDict
from collections.abc import Callable  # 配布コードの型ヒントが使う

import matplotlib.pyplot as plt
import numpy as np

from course.checks import Properties, builds_on, check_array, check_raises, check_scalar, check_true, core_passes
from course.data import load_digits
from course.hints import hint
from course.plotting import use_japanese_font

use_japanese_font()
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# 次のセルの `run_optimizer` は、この章で作る最適化手法のクラスを名前で呼び出し、パラメータのコピーに対して `update` を何回か実行して、
# 各回の後のパラメータを記録する道具です。あわせて「配列をその場で更新したか」「勾配を書き換えていないか」も調べます。
# 公開テストと採点 (隠しテスト) の両方がこの関数を使うので、**このセルは書き換えずに実行してください**。
# `check_optimizer_steps` は、その結果を手で計算した値と比べ、呼び出しの記録を残す公開テスト用の関数です。
# `check_in_place` と `check_grads_untouched` は、その記録から「その場で更新したか」「勾配を書き換えていないか」を確かめます。


# %%
def run_optimizer(params, grads_sequence, **optimizer):
    """このノートブックのオプティマイザのクラスを 1 つ、``params`` のコピーに対して動かす。
    例: ``run_optimizer(params, [grads1, grads2], Adam={"lr": 0.1})``。

    params: 配列の dict。grads_sequence: 勾配の dict のリスト (update 1 回につき 1 つ)。
    optimizer: キーワード引数をちょうど 1 つ (クラス名 = コンストラクタの引数の dict)。
    戻り値 (history, in_place, grads_untouched): history[i] は i + 1 回目の update の後のパラメータのコピーの dict。
    in_place はどの update でも dict の配列オブジェクトが同じまま (その場で更新された) なら True。
    grads_untouched はどの update も勾配の配列を書き換えなかったなら True。
    """
    ((name, kwargs),) = optimizer.items()
    if name not in globals():
        raise NameError(f"{name} が定義されていません。解答セルを実行しましたか。")
    instance = globals()[name](**kwargs)
    params = {key: np.array(value, dtype=np.float64) for key, value in params.items()}
    originals = dict(params)  # ネットワークの各レイヤが持っているはずの配列オブジェクト
    history, in_place, grads_untouched = [], True, True
    for grads in grads_sequence:
        grads = {key: np.array(value, dtype=np.float64) for key, value in grads.items()}
        saved = {key: value.copy() for key, value in grads.items()}
        instance.update(params, grads)
        in_place = in_place and all(params[key] is originals[key] for key in originals)
        grads_untouched = grads_untouched and all(np.array_equal(grads[key], saved[key]) for key in saved)
        history.append({key: np.array(value, dtype=np.float64) for key, value in params.items()})
    return history, in_place, grads_untouched


def check_optimizer_steps(
    name, kwargs, params, grads_sequence, expected_sequence, *, runs, rtol=1e-7, mistakes=(), nan_hint=""
):
    """公開テスト: ``name`` を run_optimizer で動かし、update ごとに期待値と比べる (相対許容誤差 ``rtol``)。
    runs: 呼び出しの記録 (呼び出し, その場で更新したか, grads を書き換えなかったか) を足すリスト。値を比べる前に足すので、
    値が違っても記録は残る。後で check_in_place と check_grads_untouched がこの記録を確かめる。
    mistakes: (よくある間違いが出す値 (expected_sequence と同じ形), そのヒント) の並び。
    nan_hint: update の結果に nan か inf があったときのヒント。"""
    call = f"{name}({', '.join(f'{key}={value}' for key, value in kwargs.items())})"
    history, in_place, grads_untouched = run_optimizer(params, grads_sequence, **{name: kwargs})
    runs.append((call, in_place, grads_untouched))
    for step, expected in enumerate(expected_sequence, start=1):
        for key, value in expected.items():
            where = f"{call} の {step} 回目の update 後の params['{key}']"
            known = [
                (wrong[step - 1][key], message)
                for wrong, message in mistakes
                if step <= len(wrong) and key in wrong[step - 1]
            ]
            check_array(history[step - 1][key], value, where, rtol=rtol, mistakes=known, nan_hint=nan_hint)


def check_in_place(runs):
    """公開テスト: 記録 ``runs`` のどの呼び出しでも、update が params の配列をその場で (in place) 更新したか。"""
    for call, in_place, _ in runs:
        check_true(
            in_place,
            f"{call}.update が params の配列をその場で (in place) 更新していません。"
            "params[key] = params[key] - ... ではなく params[key] -= ... と書いてください。",
        )


def check_grads_untouched(runs):
    """公開テスト: 記録 ``runs`` のどの呼び出しでも、update が grads の配列を書き換えなかったか。"""
    for call, _, grads_untouched in runs:
        check_true(
            grads_untouched, f"{call}.update が grads の配列を書き換えています。grads は読むだけにしてください。"
        )


# %% [markdown]
# 次のセルは、第 5 章までの模範解答です (ソフトマックス関数、交差エントロピー誤差、数値微分による勾配、Affine・ReLU・Softmax-with-Loss レイヤ、
# 2 層ネットワーク `TwoLayerNet`)。6.10 節で、この章の最適化手法を使って digits を学習させるときに使います。実行して定義しておいてください。

# %% [given] names=softmax,cross_entropy_error,numerical_gradient,Affine,Relu,SoftmaxWithLoss,networks._accuracy,TwoLayerNet

# %% [markdown]
# ## 6.1 パラメータ更新の共通の形と SGD
#
# この章の最適化手法は、どれも同じ形のクラスにします (『ゼロから作るDeep Learning』と同じ形です)。
#
# - `__init__`: 学習率 (learning rate) $\eta$ などのハイパーパラメータ (hyperparameter) を受け取り、保存する
# - `update(params, grads)`: `params` はネットワークの `params` と同じ「キー → 配列」の辞書、`grads` は `network.gradient(x, t)` が返す、
#   同じキー・同じ形状の勾配の辞書。`params` の各配列を **その場で (in place)** 更新し、何も返さない。`grads` は読むだけで書き換えない
#
# その場で更新する理由は第 5 章と同じです。Affine レイヤは `params['W1']` などの配列そのものを持っているので、`params[key] -= ...` と
# 配列の中身を書き換えればレイヤにも新しい値が見えますが、`params[key] = params[key] - ...` と書くと辞書が新しい配列に差し替わるだけで、
# レイヤの配列は古いままです。
#
# Momentum や Adam のように過去の情報 (状態 (state)) を使う手法では、状態をパラメータの **キーごとに** 別の配列として辞書に持ちます。
# 最初の `update` で初めて見たキーについて `np.zeros_like(params[key])` で 0 の配列を作り、以後はそれを使い続けます。
# 状態の配列をすべてのキーで共有すると、異なるパラメータの勾配が混ざってしまいます。
#
# 以下、勾配 $\partial L / \partial \boldsymbol{W}$ を $\boldsymbol{g}$ と書きます。この章の式の積・割り算・平方根・2 乗は、すべて **要素ごと** の計算です
# ($\boldsymbol{g} \odot \boldsymbol{g}$ を $\boldsymbol{g}^2$ とも書きます)。SGD の更新は
#
# $$
# \boldsymbol{W} \leftarrow \boldsymbol{W} - \eta\, \boldsymbol{g}
# $$
#
# です。状態はありません。PyTorch では `torch.optim.SGD(params, lr=η)` にあたります。
#
# ### 演習 1: SGD


# %% [solution] id=sgd
class SGD:
    """確率的勾配降下法 (SGD): W ← W − lr · g。

    update(params, grads): params と grads は同じキーを持つ配列の辞書 (配列の形状は任意。同じキーどうしは同じ形状)。
    params の各配列をその場で (in place) 更新し、何も返さない。grads は読むだけで書き換えない。
    """

    def __init__(self, lr=0.01):
        self.lr = lr  # 学習率 η

    def update(self, params, grads):
        """params の各配列 W を、同じキーの勾配 g で W ← W − lr · g とその場で更新する。grads は書き換えない。"""
        # ヒント: hint("SGD.update")
        # @reference SGD.update


# %% [tests] id=test_sgd points=1 hidden=sgd
# 性質 (property) ごとに確かめ、合わない性質があってもその後の性質まで確かめてから、性質ごとの結果 (✓/✗) を示す。
# runs は update を呼んだ記録で、最後の 2 つの性質 (その場で更新する、grads を書き換えない) はこの記録で確かめる
runs = []
# 既定の引数の性質で使う入力 (この後の演習のテストでも使う): 同じ形状の 2 つのキー W、V に、2 回分の勾配
params_same = {"W": np.array([1.0, 1.0]), "V": np.array([0.0, 0.0])}
grads_same = [
    {"W": np.array([1.0, -1.0]), "V": np.array([2.0, 0.0])},
    {"W": np.array([1.0, -1.0]), "V": np.array([0.0, 2.0])},
]
with Properties() as test:
    with test.property("指定した引数での update ごとの params の値 (lr = 0.1、形状 (2, 2) と (1, 2) のキーで 2 回)"):
        # W ← W − 0.1 g。2 回とも同じ勾配なので、W は毎回 −0.1 g ずつ動く
        W0, b0 = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.5, -1.0]])
        gW, gb = np.array([[1.0, -1.0], [0.5, 2.0]]), np.array([[-2.0, 0.0]])
        check_optimizer_steps(
            "SGD",
            {"lr": 0.1},
            {"W": W0, "b": b0},
            [{"W": gW, "b": gb}, {"W": gW, "b": gb}],
            [
                {"W": [[0.9, 2.1], [2.95, 3.8]], "b": [[0.7, -1.0]]},
                {"W": [[0.8, 2.2], [2.9, 3.6]], "b": [[0.9, -1.0]]},
            ],
            runs=runs,
        )
    with test.property("既定の引数での update ごとの params の値 (lr = 0.01、形状 (2,) の 2 つのキーで 2 回)"):
        # SGD() の lr は 0.01。W は毎回 −0.01·[1, −1] 動く。V は −0.01·[2, 0]、次に −0.01·[0, 2] 動く
        check_optimizer_steps(
            "SGD",
            {},
            params_same,
            grads_same,
            [{"W": [0.99, 1.01], "V": [-0.02, 0.0]}, {"W": [0.98, 1.02], "V": [-0.02, -0.02]}],
            runs=runs,
        )
    with test.property("形状 (1, k) の 1 つのキーでの update ごとの params の値 (形状 (1, 6) で 2 回)"):
        # 1 つ目の性質の W と b を 1 行に並べた配列。要素ごとの計算なので、各要素の値も 1 つ目の性質と同じ
        check_optimizer_steps(
            "SGD",
            {"lr": 0.1},
            {"row": np.array([[1.0, 2.0, 3.0, 4.0, 0.5, -1.0]])},
            [{"row": np.array([[1.0, -1.0, 0.5, 2.0, -2.0, 0.0]])}] * 2,
            [{"row": [[0.9, 2.1, 2.95, 3.8, 0.7, -1.0]]}, {"row": [[0.8, 2.2, 2.9, 3.6, 0.9, -1.0]]}],
            runs=runs,
        )
    values = list(test.verdicts)  # ここまでの 3 つの性質 (値)。下の 2 つは、値が合格したときだけ数える
    with test.property("params の配列をその場で (in place) 更新する", needs=values):
        check_in_place(runs)
    with test.property("grads の配列を書き換えない", needs=values):
        check_grads_untouched(runs)
print("公開テスト: OK")

# %% [markdown]
# ### SGD が遅くなる場合: 細長い谷
#
# この章では、次の 2 つの 2 次関数を使って手法を比べます。どちらも最小点は原点です。
#
# - 『ゼロから作るDeep Learning』の例: $f(x, y) = \dfrac{x^2}{20} + y^2$、勾配は $\left(\dfrac{x}{10},\ 2y\right)$
# - もう 1 つの細長い谷: $L(w_1, w_2) = w_1^2 + 5 w_2^2$、勾配は $(2 w_1,\ 10 w_2)$
#
# どちらも等高線が横に長い楕円で、$y$ (または $w_2$) の方向は急で、$x$ (または $w_1$) の方向はなだらかです。
# 例えば $f$ の点 $(-7, 2)$ での勾配は $(-0.7, 4)$ で、ほぼ $y$ 軸の向きです。SGD が進む向き (勾配の逆向き) $(0.7, -4)$ は、
# 最小点の方向 $(7, -2)$ と大きくずれています。
#
# SGD の 1 回の更新を座標ごとに書くと、$f$ では
#
# $$
# x \leftarrow x - \eta \frac{x}{10} = \left(1 - \frac{\eta}{10}\right) x, \qquad y \leftarrow y - \eta \cdot 2y = (1 - 2\eta)\, y
# $$
#
# です。$y$ が発散しないためには $|1 - 2\eta| < 1$、つまり $0 < \eta < 1$ が必要です。上限に近い $\eta = 0.95$ (教科書の値) でも、$y$ は毎回 $-0.9$ 倍
# (符号が反転してジグザグ) になり、$x$ は毎回 $0.905$ 倍にしかなりません。30 回の更新で $x$ は $0.905^{30} \approx 0.05$ 倍です。
# 学習率の上限は **いちばん急な方向** で決まり、進む速さは **いちばんなだらかな方向** で決まる。これが SGD の弱点です。
# $L$ では係数が $(1 - 2\eta)$ と $(1 - 10\eta)$ になり、$\eta < 0.2$ が必要です。
#
# 次のセルで 2 つの関数と勾配を定義し、最適化手法を何回か動かして軌跡を記録する関数 `optimize_path` を用意します。
# 6.9 節で、すべての手法の軌跡をまとめて比べます。


# %%
def f_textbook(x, y):
    """f(x, y) = x²/20 + y² (『ゼロから作るDeep Learning』の例)。"""
    return x**2 / 20 + y**2


def grad_f_textbook(p):
    """点 p = (x, y) での f_textbook の勾配 (x/10, 2y)。"""
    return np.array([p[0] / 10, 2 * p[1]])


def loss_valley(w1, w2):
    """L(w1, w2) = w1² + 5·w2² (もう 1 つの細長い谷)。"""
    return w1**2 + 5 * w2**2


def grad_loss_valley(p):
    """点 p = (w1, w2) での loss_valley の勾配 (2·w1, 10·w2)。"""
    return np.array([2 * p[0], 10 * p[1]])


def optimize_path(optimizer, grad, start, steps=30):
    """``start`` から ``optimizer`` がたどる点の列: 形状 (steps + 1, 2) の配列。"""
    params = {"p": np.array(start, dtype=np.float64)}
    path = [params["p"].copy()]
    for _ in range(steps):
        optimizer.update(params, {"p": grad(params["p"])})
        path.append(params["p"].copy())
    return np.array(path)


path = optimize_path(SGD(lr=0.95), grad_f_textbook, (-7.0, 2.0))
print("SGD (lr=0.95) で f を最小化した最初の 5 点:\n", path[:5])
print("30 回後:", path[-1], " x の比:", path[-1, 0] / path[0, 0])

# %% [markdown]
# $y$ の符号が毎回反転し、$x$ は少しずつしか 0 に近づかないことが数値でも確かめられます。
#
# ## 6.2 Momentum
#
# Momentum (モーメンタム、運動量) は、坂を転がるボールのように「速度」$\boldsymbol{v}$ を持たせる方法です。
#
# $$
# \boldsymbol{v} \leftarrow \mu\, \boldsymbol{v} - \eta\, \boldsymbol{g}, \qquad \boldsymbol{W} \leftarrow \boldsymbol{W} + \boldsymbol{v}
# $$
#
# $\mu$ (`momentum`、ふつう 0.9 程度) は前回の速度をどれだけ残すかを決める係数で、摩擦のような役割をします。$\boldsymbol{v}$ の初期値は 0 です。
#
# **展開してみる**: $\boldsymbol{v}_0 = \boldsymbol{0}$ から $t$ 回更新すると
#
# $$
# \boldsymbol{v}_t = \mu \boldsymbol{v}_{t-1} - \eta \boldsymbol{g}_t = \mu^2 \boldsymbol{v}_{t-2} - \eta (\mu \boldsymbol{g}_{t-1} + \boldsymbol{g}_t) = \cdots
# = -\eta \sum_{k=1}^{t} \mu^{t-k}\, \boldsymbol{g}_k
# $$
#
# です。速度は過去の勾配を $\mu$ の累乗で重み付けした和です。毎回同じ向きの成分 (谷底に沿ったなだらかな方向) は足し合わされて大きくなり、
# 符号が交互に変わる成分 (谷を横切るジグザグ) は打ち消し合って小さくなります。
# 勾配が一定 $\boldsymbol{g}$ なら、等比級数の和から
#
# $$
# \boldsymbol{v}_t = -\eta\, \boldsymbol{g}\, \frac{1 - \mu^t}{1 - \mu} \;\longrightarrow\; -\frac{\eta}{1 - \mu}\, \boldsymbol{g} \quad (t \to \infty)
# $$
#
# となり、最終的には学習率 $\eta / (1 - \mu)$ の SGD と同じ速さで進みます ($\mu = 0.9$ なら 10 倍)。
#
# **書き方の違い**: PyTorch の `torch.optim.SGD(lr=η, momentum=μ)` は、学習率を含まない $\boldsymbol{b} \leftarrow \mu \boldsymbol{b} + \boldsymbol{g}$、
# $\boldsymbol{W} \leftarrow \boldsymbol{W} - \eta \boldsymbol{b}$ と書きます。$\boldsymbol{v} = -\eta \boldsymbol{b}$ と置けば同じ式で、学習率が一定なら軌跡も同じです
# (学習率を途中で変えたときだけ違いが出ます)。前回の更新量 $\Delta \boldsymbol{w}^{(t-1)}$ を使って
# $\boldsymbol{w}^{(t+1)} = \boldsymbol{w}^{(t)} - \eta\, \boldsymbol{g}_t + \mu\, \Delta \boldsymbol{w}^{(t-1)}$ と書く形
# (誤差逆伝播法の論文 Rumelhart, Hinton & Williams (1986) の書き方。記号はこの章に合わせています) も、$\boldsymbol{v}$ を「前回の更新量」と読めば同じ式です。
#
# ### 演習 2: Momentum


# %% [solution] id=momentum
class Momentum:
    """Momentum SGD: v ← momentum · v − lr · g、W ← W + v。

    self.v: キーごとの速度 v の辞書。初めて見たキーでは params[key] と同じ形状の 0 の配列 (np.zeros_like) を入れてから更新する。
    update(params, grads): params の各配列をその場で更新し、何も返さない。grads は書き換えない。
    """

    def __init__(self, lr=0.01, momentum=0.9):
        self.lr = lr  # 学習率 η
        self.momentum = momentum  # μ
        self.v = {}  # キー → 速度 v (params[key] と同じ形状)

    def update(self, params, grads):
        """v と params[key] をその場で更新する。grads は書き換えない。"""
        # ヒント: hint("Momentum.update")
        # @reference Momentum.update


# %% [tests] id=test_momentum points=2 hidden=momentum
runs = []  # update を呼んだ記録 (最後の 2 つの性質で使う)
g1 = {"w": np.array([1.0]), "b": np.array([2.0, -2.0])}
g0 = {"w": np.array([0.0]), "b": np.array([0.0, 0.0])}
g1_row, g0_row = (
    {"row": np.array([[1.0, 2.0, -2.0]])},
    {"row": np.array([[0.0, 0.0, 0.0]])},
)  # w と b を 1 行に並べた勾配
with Properties() as test:
    with test.property(
        "指定した引数での update ごとの params の値 (lr = 0.1、momentum = 0.9、形状 (1,) と (2,) のキーで 3 回)"
    ):
        # lr = 0.1、μ = 0.9。w の勾配は 1, 1, 0:
        #   v = −0.1 → w = 0.9。v = 0.9·(−0.1) − 0.1 = −0.19 → w = 0.71。勾配 0 でも v = −0.171 が残り w = 0.539
        # b の勾配は ±2, ±2, 0 (w の 2 倍、符号は要素ごと): v = ∓0.2, ∓0.38, ∓0.342 → b = ∓0.2, ∓0.58, ∓0.922
        check_optimizer_steps(
            "Momentum",
            {"lr": 0.1, "momentum": 0.9},
            {"w": np.array([1.0]), "b": np.array([0.0, 0.0])},
            [g1, g1, g0],
            [
                {"w": [0.9], "b": [-0.2, 0.2]},
                {"w": [0.71], "b": [-0.58, 0.58]},
                {"w": [0.539], "b": [-0.922, 0.922]},
            ],
            runs=runs,
        )
    with test.property(
        "既定の引数での update ごとの params の値 (lr = 0.01、momentum = 0.9、形状 (2,) の 2 つのキーで 2 回)"
    ):
        # 演習 1 のテストの params_same と grads_same。W の勾配は [1, −1] が 2 回:
        #   v = [−0.01, 0.01] → W = [0.99, 1.01]。v = 0.9·[−0.01, 0.01] − 0.01·[1, −1] = [−0.019, 0.019] → W = [0.971, 1.029]
        # V の勾配は [2, 0]、[0, 2]: v = [−0.02, 0] → V = [−0.02, 0]。v = [−0.018, −0.02] → V = [−0.038, −0.02]
        # (速度 v をキーの間で共有すると、V の 1 回目が W の v を引き継いで値が変わる)
        check_optimizer_steps(
            "Momentum",
            {},
            params_same,
            grads_same,
            [{"W": [0.99, 1.01], "V": [-0.02, 0.0]}, {"W": [0.971, 1.029], "V": [-0.038, -0.02]}],
            runs=runs,
        )
    with test.property("形状 (1, k) の 1 つのキーでの update ごとの params の値 (形状 (1, 3) で 3 回)"):
        # 1 つ目の性質の w と b を 1 行に並べた配列 (要素ごとの計算なので、各要素の値も同じ)
        check_optimizer_steps(
            "Momentum",
            {"lr": 0.1, "momentum": 0.9},
            {"row": np.array([[1.0, 0.0, 0.0]])},
            [g1_row, g1_row, g0_row],
            [{"row": [[0.9, -0.2, 0.2]]}, {"row": [[0.71, -0.58, 0.58]]}, {"row": [[0.539, -0.922, 0.922]]}],
            runs=runs,
        )
    values = list(test.verdicts)  # ここまでの 3 つの性質 (値)
    with test.property("params の配列をその場で (in place) 更新する", needs=values):
        check_in_place(runs)
    with test.property("grads の配列を書き換えない", needs=values):
        check_grads_untouched(runs)
print("公開テスト: OK")

# %% [markdown]
# 勾配が一定のとき、1 回の移動量が $\eta / (1 - \mu)$ 倍の勾配に近づくことを確かめます ($\eta = 0.01$、$\mu = 0.9$ なら $0.1\, g$)。

# %%
momentum_demo = Momentum(lr=0.01, momentum=0.9)
w_demo = {"w": np.array([0.0])}
moves = []
for _ in range(60):
    before = w_demo["w"].copy()
    momentum_demo.update(w_demo, {"w": np.array([1.0])})
    moves.append(float(before[0] - w_demo["w"][0]))
print("1, 2, 3, 10, 60 回目の移動量:", [round(moves[i - 1], 4) for i in (1, 2, 3, 10, 60)])
print("予想 η(1 − μ^t)/(1 − μ):", [round(0.01 * (1 - 0.9**t) / 0.1, 4) for t in (1, 2, 3, 10, 60)])

# %% [markdown]
# ## 6.3 Nesterov の加速勾配法
#
# Momentum では、次の位置はおおよそ $\boldsymbol{W} + \mu \boldsymbol{v}$ (慣性で進む先) になることが、勾配を計算する前からわかっています。
# Nesterov の方法は、勾配を **その先の点** で計算します (Sutskever ら 2013 の書き方)。
#
# $$
# \boldsymbol{v} \leftarrow \mu \boldsymbol{v} - \eta\, \nabla L(\boldsymbol{W} + \mu \boldsymbol{v}), \qquad \boldsymbol{W} \leftarrow \boldsymbol{W} + \boldsymbol{v}
# $$
#
# 行き過ぎそうなら、先の点の勾配が早めにブレーキをかけます。ただしこのままでは、ネットワークが勾配を計算する点 (今のパラメータ) と
# 勾配が欲しい点がずれていて不便です。そこで変数を置き換えます。
#
# **導出**: 先の点 $\boldsymbol{\Phi} = \boldsymbol{W} + \mu \boldsymbol{v}$ のほうをパラメータとして持つことにします。$\boldsymbol{g} = \nabla L(\boldsymbol{\Phi})$ とすると
#
# 1. 速度の更新は $\boldsymbol{v}_{\text{新}} = \mu \boldsymbol{v}_{\text{旧}} - \eta \boldsymbol{g}$ (今のパラメータ $\boldsymbol{\Phi}$ での勾配を使うだけ)
# 2. $\boldsymbol{\Phi}_{\text{新}} = \boldsymbol{W}_{\text{新}} + \mu \boldsymbol{v}_{\text{新}} = (\boldsymbol{W}_{\text{旧}} + \boldsymbol{v}_{\text{新}}) + \mu \boldsymbol{v}_{\text{新}}$
# 3. $\boldsymbol{W}_{\text{旧}} = \boldsymbol{\Phi}_{\text{旧}} - \mu \boldsymbol{v}_{\text{旧}}$ を入れると
#    $\boldsymbol{\Phi}_{\text{新}} = \boldsymbol{\Phi}_{\text{旧}} + \mu \boldsymbol{v}_{\text{新}} + (\boldsymbol{v}_{\text{新}} - \mu \boldsymbol{v}_{\text{旧}})
#    = \boldsymbol{\Phi}_{\text{旧}} + \mu \boldsymbol{v}_{\text{新}} - \eta \boldsymbol{g}$
#
# $\boldsymbol{\Phi}$ をあらためて $\boldsymbol{W}$ と書けば、今のパラメータでの勾配 $\boldsymbol{g}$ だけを使う次の更新になります。
#
# $$
# \boldsymbol{v} \leftarrow \mu \boldsymbol{v} - \eta \boldsymbol{g}, \qquad \boldsymbol{W} \leftarrow \boldsymbol{W} + \mu \boldsymbol{v} - \eta \boldsymbol{g} \quad (\text{更新した後の } \boldsymbol{v} \text{ を使う})
# $$
#
# これは PyTorch の `torch.optim.SGD(lr=η, momentum=μ, nesterov=True)` と同じです。
#
# **順番の落とし穴**: 上の式に $\boldsymbol{v}_{\text{新}} = \mu \boldsymbol{v}_{\text{旧}} - \eta \boldsymbol{g}$ を入れると
# $\boldsymbol{W} \leftarrow \boldsymbol{W} + \mu^2 \boldsymbol{v}_{\text{旧}} - (1 + \mu) \eta \boldsymbol{g}$ とも書けます。
# この形で使う $\boldsymbol{v}$ は **更新する前** のものです (つまり $\boldsymbol{W}$ を先に、$\boldsymbol{v}$ を後に更新する)。
# 『ゼロから作るDeep Learning』のサンプルコードにはこの形が使われていますが、$\boldsymbol{v}$ を先に更新してからこの式で $\boldsymbol{W}$ を
# 動かす順番になっている版があり、そのまま広く写されています。それは別の (正しくない) アルゴリズムです。
# この演習では、上の「$\boldsymbol{v}$ を先に更新し、更新後の $\boldsymbol{v}$ で $\mu \boldsymbol{v} - \eta \boldsymbol{g}$ を足す」形で書いてください。
#
# ### 演習 3: Nesterov


# %% [solution] id=nesterov
class Nesterov:
    """Nesterov の加速勾配法: v ← momentum · v − lr · g、W ← W + momentum · v − lr · g (v は更新後の値)。

    g は今のパラメータでの勾配 grads[key]。self.v はキーごとの速度 (初めて見たキーで params[key] と同じ形状の 0 の配列)。
    update(params, grads): params の各配列をその場で更新し、何も返さない。grads は書き換えない。
    """

    def __init__(self, lr=0.01, momentum=0.9):
        self.lr = lr  # 学習率 η
        self.momentum = momentum  # μ
        self.v = {}  # キー → 速度 v

    def update(self, params, grads):
        """v を更新してから、params[key] をその場で更新する。grads は書き換えない。"""
        # ヒント: hint("Nesterov.update")
        # @reference Nesterov.update


# %% [tests] id=test_nesterov points=2 hidden=nesterov
runs = []  # update を呼んだ記録 (最後の 2 つの性質で使う)
with Properties() as test:
    with test.property(
        "指定した引数での update ごとの params の値 (lr = 0.1、momentum = 0.9、形状 (1,) と (2,) のキーで 3 回)"
    ):
        # lr = 0.1、μ = 0.9。w の勾配は 1, 1, 0:
        #   1 回目: v = −0.1、w = 1 + 0.9·(−0.1) − 0.1 = 0.81
        #   2 回目: v = −0.19、w = 0.81 + 0.9·(−0.19) − 0.1 = 0.539
        #   3 回目: v = −0.171、w = 0.539 + 0.9·(−0.171) − 0 = 0.3851
        # b の勾配は ±2, ±2, 0: v = ∓0.2, ∓0.38, ∓0.342、b = ∓0.38, ∓0.922, ∓1.2298
        check_optimizer_steps(
            "Nesterov",
            {"lr": 0.1, "momentum": 0.9},
            {"w": np.array([1.0]), "b": np.array([0.0, 0.0])},
            [g1, g1, g0],
            [
                {"w": [0.81], "b": [-0.38, 0.38]},
                {"w": [0.539], "b": [-0.922, 0.922]},
                {"w": [0.3851], "b": [-1.2298, 1.2298]},
            ],
            runs=runs,
        )
    with test.property(
        "既定の引数での update ごとの params の値 (lr = 0.01、momentum = 0.9、形状 (2,) の 2 つのキーで 2 回)"
    ):
        # params_same と grads_same。W の勾配は [1, −1] が 2 回 (W[1] は W[0] と逆向きに同じだけ動く):
        #   1 回目: v = −0.01、W[0] = 1 + 0.9·(−0.01) − 0.01 = 0.981
        #   2 回目: v = −0.019、W[0] = 0.981 + 0.9·(−0.019) − 0.01 = 0.9539
        # V の勾配は [2, 0]、[0, 2]: v = [−0.02, 0] → V = 0.9·[−0.02, 0] − [0.02, 0] = [−0.038, 0]
        #   v = [−0.018, −0.02] → V = [−0.038, 0] + 0.9·[−0.018, −0.02] − [0, 0.02] = [−0.0542, −0.038]
        check_optimizer_steps(
            "Nesterov",
            {},
            params_same,
            grads_same,
            [{"W": [0.981, 1.019], "V": [-0.038, 0.0]}, {"W": [0.9539, 1.0461], "V": [-0.0542, -0.038]}],
            runs=runs,
        )
    with test.property("形状 (1, k) の 1 つのキーでの update ごとの params の値 (形状 (1, 3) で 3 回)"):
        # 1 つ目の性質の w と b を 1 行に並べた配列 (勾配は演習 2 のテストの g1_row、g0_row)
        check_optimizer_steps(
            "Nesterov",
            {"lr": 0.1, "momentum": 0.9},
            {"row": np.array([[1.0, 0.0, 0.0]])},
            [g1_row, g1_row, g0_row],
            [{"row": [[0.81, -0.38, 0.38]]}, {"row": [[0.539, -0.922, 0.922]]}, {"row": [[0.3851, -1.2298, 1.2298]]}],
            runs=runs,
        )
    values = list(test.verdicts)  # ここまでの 3 つの性質 (値)
    with test.property("params の配列をその場で (in place) 更新する", needs=values):
        check_in_place(runs)
    with test.property("grads の配列を書き換えない", needs=values):
        check_grads_untouched(runs)
print("公開テスト: OK")

# %% [markdown]
# 教科書の形 $\mu^2 \boldsymbol{v}_{\text{旧}} - (1 + \mu)\eta \boldsymbol{g}$ を「$\boldsymbol{W}$ を先に、$\boldsymbol{v}$ を後に」更新すれば、あなたの `Nesterov` と
# 同じ軌跡になり、順番を逆にすると違う軌跡になることを、$f$ の上で確かめます。


# %%
def textbook_nesterov_path(grad, start, lr, momentum, steps, v_first):
    """教科書の形 w += μ²v − (1 + μ)·lr·g の Nesterov。v の更新は w の後 (v_first=True なら誤って前)。"""
    w, v = np.array(start, dtype=np.float64), np.zeros(2)
    path = [w.copy()]
    for _ in range(steps):
        g = grad(w)
        if v_first:
            v = momentum * v - lr * g
        w = w + momentum**2 * v - (1 + momentum) * lr * g
        if not v_first:
            v = momentum * v - lr * g
        path.append(w.copy())
    return np.array(path)


ours = optimize_path(Nesterov(lr=0.1, momentum=0.9), grad_f_textbook, (-7.0, 2.0))
right_order = textbook_nesterov_path(grad_f_textbook, (-7.0, 2.0), 0.1, 0.9, 30, v_first=False)
wrong_order = textbook_nesterov_path(grad_f_textbook, (-7.0, 2.0), 0.1, 0.9, 30, v_first=True)
print("W を先に更新する教科書の形と一致:", np.allclose(ours, right_order))
print("v を先に更新すると、30 回後の点が違う:", wrong_order[-1], "(正しくは", ours[-1], ")")

# %% [markdown]
# ## 6.4 AdaGrad
#
# SGD と Momentum は、すべてのパラメータに同じ学習率を使います。AdaGrad (Duchi ら 2011) は、**パラメータ (要素) ごとに** 学習率を調整します。
# これまでの勾配の 2 乗の和 $\boldsymbol{h}$ を覚えておき、それが大きい要素ほど更新を小さくします。
#
# $$
# \boldsymbol{h} \leftarrow \boldsymbol{h} + \boldsymbol{g} \odot \boldsymbol{g}, \qquad
# \boldsymbol{W} \leftarrow \boldsymbol{W} - \eta\, \frac{\boldsymbol{g}}{\sqrt{\boldsymbol{h}} + \varepsilon}
# $$
#
# $\boldsymbol{h}$ の初期値は 0 です。$\varepsilon$ (`eps`) は 0 で割らないための小さな数で、**平方根の外** で足します
# (教科書の実装は $10^{-7}$、PyTorch の `torch.optim.Adagrad` も平方根の外で、既定値は $10^{-10}$)。
#
# 要素ごとの「実質的な学習率」は $\eta / (\sqrt{h_i} + \varepsilon)$ です。$f$ の例では、勾配の大きい $y$ 方向は更新が抑えられ、
# なだらかな $x$ 方向は相対的に大きく動くので、ジグザグせずにまっすぐ最小点に向かいます。また、勾配がめったに 0 以外にならない要素
# (出現の少ない特徴に対応する重みなど) は $h_i$ が小さいまま保たれ、来たときには大きく動けます。
#
# 最初の 1 回は $\boldsymbol{h} = \boldsymbol{g}^2$ なので、更新量は $\eta\, g_i / |g_i| = \pm \eta$ (符号だけ) になることにも注目してください。
#
# ### 演習 4: AdaGrad


# %% [solution] id=adagrad
class AdaGrad:
    """AdaGrad: h ← h + g²、W ← W − lr · g / (√h + eps) (eps は平方根の外)。

    self.h: キーごとの勾配の 2 乗の和 (初めて見たキーで params[key] と同じ形状の 0 の配列)。
    update(params, grads): params の各配列をその場で更新し、何も返さない。grads は書き換えない。
    """

    def __init__(self, lr=0.01, eps=1e-7):
        self.lr = lr  # 学習率 η
        self.eps = eps  # 平方根の外で足す小さな数
        self.h = {}  # キー → 勾配の 2 乗の和 h

    def update(self, params, grads):
        """h を更新してから、params[key] をその場で更新する。grads は書き換えない。"""
        # ヒント: hint("AdaGrad.update")
        # @reference AdaGrad.update


# %% [tests] id=test_adagrad points=2 hidden=adagrad
runs = []  # update を呼んだ記録 (最後の 2 つの性質で使う)
with Properties() as test:
    with test.property(
        "指定した引数での update ごとの params の値 (lr = 1、eps = 1、形状 (2,) と (1, 1) のキーで 2 回)"
    ):
        # lr = 1、eps = 1 (手で計算しやすく、平方根の外で足していることも確かめられる)
        #   w の勾配 [3, −4] → h = [9, 16]、√h + 1 = [4, 5]、w = [0, 0] − [3/4, −4/5] = [−0.75, 0.8]
        #   w の勾配 [4, 3] → h = [25, 25]、√h + 1 = [6, 6]、w = [−0.75 − 4/6, 0.8 − 3/6]
        #   c の勾配 0 → 動かない (h = 0 でも 0 / (0 + 1) = 0)。次に勾配 1 → h = 1、c = 2 − 1/(1 + 1) = 1.5
        check_optimizer_steps(
            "AdaGrad",
            {"lr": 1.0, "eps": 1.0},
            {"w": np.array([0.0, 0.0]), "c": np.array([[2.0]])},
            [
                {"w": np.array([3.0, -4.0]), "c": np.array([[0.0]])},
                {"w": np.array([4.0, 3.0]), "c": np.array([[1.0]])},
            ],
            [
                {"w": [-0.75, 0.8], "c": [[2.0]]},
                {"w": [-0.75 - 4 / 6, 0.8 - 3 / 6], "c": [[1.5]]},
            ],
            runs=runs,
        )
    with test.property(
        "既定の引数での update ごとの params の値 (lr = 0.01、eps = 1e-7、形状 (2,) の 2 つのキーで 2 回)"
    ):
        # params_same と grads_same。期待値は eps を無視した値 (許容誤差は相対 1e-5。eps が 1e-6 以下ならずれは相対 1e-6 以下)
        #   W の勾配 [1, −1] → h = [1, 1]、W = [1 − 0.01, 1 + 0.01]。もう 1 回 → h = [2, 2]、W はさらに 0.01/√2 ずつ動く
        #   V の勾配 [2, 0] → h = [4, 0]、V = [−0.01·2/2, 0] = [−0.01, 0]。次に [0, 2] → h = [4, 4]、V = [−0.01, −0.01]
        # (h をキーの間で共有すると、V の 1 回目の h が [5, 1] になって値が変わる)
        check_optimizer_steps(
            "AdaGrad",
            {},
            params_same,
            grads_same,
            [
                {"W": [0.99, 1.01], "V": [-0.01, 0.0]},
                {"W": [0.99 - 0.01 / np.sqrt(2), 1.01 + 0.01 / np.sqrt(2)], "V": [-0.01, -0.01]},
            ],
            runs=runs,
            rtol=1e-5,
        )
    with test.property("形状 (1, k) の 1 つのキーでの update ごとの params の値 (形状 (1, 3) で 2 回)"):
        # 1 つ目の性質の w と c を 1 行に並べた配列 (要素ごとの計算なので、各要素の値も同じ)
        check_optimizer_steps(
            "AdaGrad",
            {"lr": 1.0, "eps": 1.0},
            {"row": np.array([[0.0, 0.0, 2.0]])},
            [{"row": np.array([[3.0, -4.0, 0.0]])}, {"row": np.array([[4.0, 3.0, 1.0]])}],
            [{"row": [[-0.75, 0.8, 2.0]]}, {"row": [[-0.75 - 4 / 6, 0.8 - 3 / 6, 1.5]]}],
            runs=runs,
        )
    values = list(test.verdicts)  # ここまでの 3 つの性質 (値)
    with test.property("params の配列をその場で (in place) 更新する", needs=values):
        check_in_place(runs)
    with test.property("grads の配列を書き換えない", needs=values):
        check_grads_untouched(runs)
print("公開テスト: OK")

# %% [markdown]
# ## 6.5 RMSprop
#
# AdaGrad の $\boldsymbol{h}$ は勾配の 2 乗を足し続けるだけなので、単調に増えます。学習が長く続くと、更新量はどんどん小さくなって、
# やがてほとんど動かなくなります。特に学習の初めに大きな勾配が来ると、その分がいつまでも $\boldsymbol{h}$ に残ります。
#
# RMSprop (Tieleman と Hinton の講義 2012) は、和の代わりに **指数移動平均** (exponential moving average) を使います。
#
# $$
# \boldsymbol{h} \leftarrow \rho\, \boldsymbol{h} + (1 - \rho)\, \boldsymbol{g} \odot \boldsymbol{g}, \qquad
# \boldsymbol{W} \leftarrow \boldsymbol{W} - \eta\, \frac{\boldsymbol{g}}{\sqrt{\boldsymbol{h}} + \varepsilon}
# $$
#
# $\rho$ (`decay_rate`、0.9〜0.99 程度) は古い情報を残す割合です。$\boldsymbol{h}_0 = \boldsymbol{0}$ から展開すると
#
# $$
# \boldsymbol{h}_t = (1 - \rho) \sum_{k=1}^{t} \rho^{\,t-k}\, \boldsymbol{g}_k^2, \qquad (1 - \rho) \sum_{k=1}^{t} \rho^{\,t-k} = 1 - \rho^t
# $$
#
# なので、$\boldsymbol{h}_t$ は最近の $\boldsymbol{g}^2$ の重み付き平均 (重みの合計は $1 - \rho^t \to 1$) です。$k$ 回前の勾配の重みは $\rho^k$ 倍に減るので、
# 古い勾配はおよそ $1 / (1 - \rho)$ 回 ($\rho = 0.99$ なら 100 回) ほどで忘れられます。勾配の大きさが一定 $|g|$ なら
# $\sqrt{h} \to |g|$ となり、更新量は $\eta$ 程度に保たれて 0 には近づきません。
#
# **よくある書き誤り**: 分母を $\sqrt{\rho \cdot E\left[\sum g^2\right] + (1 - \rho)\, g_t}$ と書いた式を見かけることがありますが、誤りです
# (最後の $g_t$ が 2 乗になっていません。移動平均を取るのは勾配の 2 乗で、$g_t$ のままでは平方根の中が負になることもあります)。
# 正しくは上の式のとおり、勾配の 2 乗の移動平均 $\boldsymbol{h}$ を
# 状態として持ち、$\varepsilon$ は平方根の外で足します。PyTorch の `torch.optim.RMSprop(lr=η, alpha=ρ, eps=ε)` と同じです
# (PyTorch の既定値は $\rho = 0.99$、$\varepsilon = 10^{-8}$。この章の既定値は教科書に合わせて $\varepsilon = 10^{-7}$)。
#
# なお、$\boldsymbol{h}$ は 0 から始まるので、最初のうちは $\sqrt{h}$ が $|g|$ より小さく、更新が大きめになります
# (1 回目は $h = (1 - \rho) g^2$ なので、更新量は $\eta / \sqrt{1 - \rho}$、$\rho = 0.99$ なら $10\eta$)。RMSprop はこれを補正しません。
# この問題を補正するのが、6.7 節の Adam のバイアス補正です。
#
# ### 演習 5: RMSprop


# %% [solution] id=rmsprop
class RMSprop:
    """RMSprop: h ← decay_rate · h + (1 − decay_rate) · g²、W ← W − lr · g / (√h + eps) (eps は平方根の外)。

    self.h: キーごとの勾配の 2 乗の移動平均 (初めて見たキーで params[key] と同じ形状の 0 の配列)。バイアス補正はしない。
    update(params, grads): params の各配列をその場で更新し、何も返さない。grads は書き換えない。
    """

    def __init__(self, lr=0.01, decay_rate=0.99, eps=1e-7):
        self.lr = lr  # 学習率 η
        self.decay_rate = decay_rate  # ρ
        self.eps = eps  # 平方根の外で足す小さな数
        self.h = {}  # キー → 勾配の 2 乗の移動平均 h

    def update(self, params, grads):
        """h を更新してから、params[key] をその場で更新する。grads は書き換えない。"""
        # ヒント: hint("RMSprop.update")
        # @reference RMSprop.update


# %% [tests] id=test_rmsprop points=2 hidden=rmsprop
runs = []  # update を呼んだ記録 (最後の 2 つの性質で使う)
with Properties() as test:
    with test.property(
        "指定した引数での update ごとの params の値 (lr = 1、decay_rate = 0.75、eps = 1、形状 (2,) と (1, 1) のキーで 2 回)"
    ):
        # lr = 1、ρ = 0.75、eps = 1
        #   w の勾配 [4, −2] → h = 0.25·[16, 4] = [4, 1]、√h + 1 = [3, 2]、w = [−4/3, 1]
        #   w の勾配 [−2, 1] → h = 0.75·[4, 1] + 0.25·[4, 1] = [4, 1]、w = [−4/3 + 2/3, 1 − 1/2]
        #   c の勾配 0 → 動かない。次に勾配 2 → h = 0.25·4 = 1、c = 2 − 2/(1 + 1) = 1
        check_optimizer_steps(
            "RMSprop",
            {"lr": 1.0, "decay_rate": 0.75, "eps": 1.0},
            {"w": np.array([0.0, 0.0]), "c": np.array([[2.0]])},
            [
                {"w": np.array([4.0, -2.0]), "c": np.array([[0.0]])},
                {"w": np.array([-2.0, 1.0]), "c": np.array([[2.0]])},
            ],
            [
                {"w": [-4 / 3, 1.0], "c": [[2.0]]},
                {"w": [-2 / 3, 0.5], "c": [[1.0]]},
            ],
            runs=runs,
            mistakes=[
                # 1 回目の w: eps = 1 の代わりに 1e-7 を使うと 4/(2 + 1e-7) と 2/(1 + 1e-7)、平方根を取らないと h + 1 = [5, 2] で割る
                (
                    [{"w": [-4 / (2 + 1e-7), 2 / (1 + 1e-7)]}],
                    "引数の eps を使わずに、決まった小さな数 (1e-7 など) を書いていませんか。",
                ),
                ([{"w": [-0.8, 1.0]}], "h の平方根を取っていません。分母は √h + eps です。"),
                # 2 回目の w: h を持ち越さないと h = 0.25·[4, 1] = [1, 0.25]、√h + 1 = [2, 1.5] で w = [−4/3 + 1, 1 − 2/3]
                (
                    [{}, {"w": [-1 / 3, 1 / 3]}],
                    "h を self.h[key] に保存していません。h は update をまたいで持ち越す状態です。",
                ),
            ],
            nan_hint="負の数の平方根になっていませんか。移動平均を取るのは勾配の 2 乗 g * g です。",
        )
    with test.property(
        "既定の引数での update ごとの params の値 (lr = 0.01、decay_rate = 0.99、eps = 1e-7、形状 (2,) の 2 つのキーで 2 回)"
    ):
        # params_same と grads_same。期待値は eps を無視した値 (許容誤差は相対 1e-5。eps が 1e-6 以下ならずれは相対 1e-5 未満)
        #   W の勾配 [1, −1] → h = 0.01·1 = 0.01、√h = 0.1、W = [1 − 0.01/0.1, 1 + 0.01/0.1] = [0.9, 1.1]
        #   もう 1 回 → h = 0.99·0.01 + 0.01 = 0.0199、W はさらに 0.01/√0.0199 ずつ動く
        #   V の勾配 [2, 0] → h = [0.04, 0]、V = [−0.01·2/0.2, 0] = [−0.1, 0]。次に [0, 2] → h = [0.0396, 0.04]、V = [−0.1, −0.1]
        check_optimizer_steps(
            "RMSprop",
            {},
            params_same,
            grads_same,
            [
                {"W": [0.9, 1.1], "V": [-0.1, 0.0]},
                {"W": [0.9 - 0.01 / np.sqrt(0.0199), 1.1 + 0.01 / np.sqrt(0.0199)], "V": [-0.1, -0.1]},
            ],
            runs=runs,
            rtol=1e-5,
        )
    with test.property("形状 (1, k) の 1 つのキーでの update ごとの params の値 (形状 (1, 3) で 2 回)"):
        # 1 つ目の性質の w と c を 1 行に並べた配列 (要素ごとの計算なので、各要素の値も同じ)
        check_optimizer_steps(
            "RMSprop",
            {"lr": 1.0, "decay_rate": 0.75, "eps": 1.0},
            {"row": np.array([[0.0, 0.0, 2.0]])},
            [{"row": np.array([[4.0, -2.0, 0.0]])}, {"row": np.array([[-2.0, 1.0, 2.0]])}],
            [{"row": [[-4 / 3, 1.0, 2.0]]}, {"row": [[-2 / 3, 0.5, 1.0]]}],
            runs=runs,
        )
    values = list(test.verdicts)  # ここまでの 3 つの性質 (値)
    with test.property("params の配列をその場で (in place) 更新する", needs=values):
        check_in_place(runs)
    with test.property("grads の配列を書き換えない", needs=values):
        check_grads_untouched(runs)
print("公開テスト: OK")

# %% [markdown]
# ### AdaGrad と RMSprop の実質的な学習率
#
# 1 要素のパラメータに、最初の 50 回は大きさ 10、その後は大きさ 0.1 の勾配 (符号はランダム) を与え続け、
# 各回の「移動量 / 勾配の大きさ」、つまり実質的な学習率 $\eta / (\sqrt{h} + \varepsilon)$ を記録します (どちらも $\eta = 0.01$)。

# %%
rng = np.random.default_rng(0)
scales = np.where(np.arange(1000) < 50, 10.0, 0.1)
gradient_stream = scales * rng.choice([-1.0, 1.0], size=1000)

effective_lr = {}
for name, optimizer in [("AdaGrad", AdaGrad(lr=0.01)), ("RMSprop (ρ = 0.99)", RMSprop(lr=0.01, decay_rate=0.99))]:
    w_demo = {"w": np.array([0.0])}
    ratios = []
    for g in gradient_stream:
        before = w_demo["w"][0]
        optimizer.update(w_demo, {"w": np.array([g])})
        ratios.append(abs(w_demo["w"][0] - before) / abs(g))
    effective_lr[name] = np.array(ratios)

fig, ax = plt.subplots(figsize=(7, 4))
for name, ratios in effective_lr.items():
    ax.semilogy(np.arange(1, 1001), ratios, label=name)
ax.axvline(50, color="0.6", linestyle=":", label="勾配の大きさが 10 → 0.1")
ax.set_xlabel("更新の回数 $t$")
ax.set_ylabel("実質的な学習率 |移動量| / |勾配|")
ax.set_title("大きな勾配の後の実質的な学習率 (η = 0.01)")
ax.legend()
plt.show()
for name, ratios in effective_lr.items():
    print(f"{name}: 50 回目 {ratios[49]:.2e}、1000 回目 {ratios[-1]:.2e}")

# %% [markdown]
# AdaGrad の実質的な学習率は、最初の大きな勾配で $\eta / \sqrt{50 \cdot 10^2} \approx \eta / 71$ まで下がり、その後は勾配が小さくなっても
# 戻りません ($h$ に足されるのは 1 回 0.01 だけで、$h$ はむしろ増え続けます)。RMSprop は、大きな勾配の記憶が $\rho^k$ で薄れていくので、
# 実質的な学習率が回復し、1000 回目には約 0.09 と、今の勾配の大きさに合った値 $\eta / 0.1 = 0.1$ の近くまで戻っています。

# %% [answer] id=why_adagrad_vanishes points=3
# **問**: 最小点がずっと遠くにあって、勾配がいつも同じ値 $g = 1$ の坂 (1 要素のパラメータ) を、学習率 $\eta = 0.1$ で下るとします
# ($\varepsilon$ は無視してください)。
# (1) AdaGrad の $t$ 回目の移動量を $t$ の式で表し、合計で距離 10 進むのにおよそ何回の更新が必要か見積もってください
# ($\sum_{t=1}^{T} 1/\sqrt{t} \approx 2\sqrt{T}$ を使ってかまいません)。
# (2) 勾配がいつも $g = 100$ (100 倍急な坂) だったら、(1) の答えはどう変わりますか。理由もつけてください。
# (3) RMSprop ($\rho = 0.99$) では、十分に時間がたった後の 1 回の移動量はいくらですか。距離 10 に必要な回数は AdaGrad と比べて
# どうなりますか。この比較から、AdaGrad を長い学習に使うときの問題を、$h$ の性質と結びつけてまとめてください。
#
# **模範解答**: (1) $h_t = \sum_{k=1}^{t} g^2 = t g^2$ なので、$t$ 回目の移動量は $\eta |g| / \sqrt{t g^2} = \eta / \sqrt{t} = 0.1 / \sqrt{t}$
# (1 回目 0.1、100 回目 0.01)。$T$ 回の合計は $0.1 \sum 1/\sqrt{t} \approx 0.2 \sqrt{T}$ なので、10 進むには $\sqrt{T} \approx 50$、
# つまり約 2500 回かかる (実際に足し合わせると 2574 回。1000 回では約 6.2 しか進まない)。
# (2) 変わらない。移動量 $\eta |g| / \sqrt{t g^2}$ では $|g|$ が分子と分母で打ち消し合い、$\eta / \sqrt{t}$ になるので、坂が急でも
# 速くはならない (AdaGrad の移動量は勾配の大きさによらない)。
# (3) RMSprop の $h$ は $g^2$ の指数移動平均で、$h_t = (1 - \rho^t) g^2 \to g^2$ なので、移動量は $\eta |g| / \sqrt{h} \to \eta = 0.1$ で
# 一定になる (始めは $h$ が小さいのでもっと大きく、1 回目は $\eta / \sqrt{1 - \rho} = 1.0$)。10 進むのは 100 回以内
# (実際には 31 回) で、AdaGrad の約 2500 回よりずっと少ない。
# まとめ: AdaGrad の $h$ は 2 乗の累積和で、勾配が小さくならなくても単調に増え続けるので、移動量は $1/\sqrt{t}$ で減り、
# 進める距離は $\sqrt{T}$ にしか比例しない。学習が長くなるほど、まだ遠くにいても進めなくなる。RMSprop は古い勾配を
# およそ $1/(1 - \rho)$ 回で忘れるので、移動量が今の勾配の大きさに合った値に保たれる。
#
# (採点の目安: (1) 移動量 $\eta/\sqrt{t}$ (または $0.1/\sqrt{t}$) とその理由 $h_t = t g^2$ で 0.5 点、回数が 2000〜3000 回程度で 0.5 点。
# (2) 変わらないことと、$|g|$ が打ち消し合う理由で 0.5 点。(3) 移動量が $\eta = 0.1$ に近づくことと、必要な回数が 100 回程度以下で
# AdaGrad よりずっと少ないことで 0.5 点。まとめで、$h$ が単調に増える累積和なので勾配が一定でも移動量が減ること (0.5 点) と、
# RMSprop は指数移動平均で古い勾配を忘れること (0.5 点)。RMSprop の始めの大きな移動量に触れていなくても減点しない。)

# %% [markdown]
# ## 6.6 Adadelta
#
# Adadelta (Zeiler 2012) は RMSprop をさらに変えて、全体の学習率を不要にすることを狙った方法です。Zeiler は「単位」に注目しました。
# RMSprop の更新量 $\eta\, g / \sqrt{E[g^2]}$ では $g$ の単位が打ち消し合い、パラメータ $\boldsymbol{W}$ と同じ単位になっていません
# (単位を合わせる役を $\eta$ が担っています)。Adadelta は $\eta$ の代わりに、**過去の更新量の 2 乗の移動平均** の平方根を掛けます。
# PyTorch の `torch.optim.Adadelta(lr=η, rho=ρ, eps=ε)` と同じ式で書くと、状態 $\boldsymbol{s}$ (勾配の 2 乗の移動平均) と
# $\boldsymbol{u}$ (更新量の 2 乗の移動平均) を 0 から始めて
#
# $$
# \begin{aligned}
# \boldsymbol{s} &\leftarrow \rho\, \boldsymbol{s} + (1 - \rho)\, \boldsymbol{g}^2 \\
# \boldsymbol{\Delta} &= \frac{\sqrt{\boldsymbol{u} + \varepsilon}}{\sqrt{\boldsymbol{s} + \varepsilon}} \odot \boldsymbol{g} \qquad (\text{更新した } \boldsymbol{s} \text{ と、まだ更新していない } \boldsymbol{u} \text{ を使う}) \\
# \boldsymbol{u} &\leftarrow \rho\, \boldsymbol{u} + (1 - \rho)\, \boldsymbol{\Delta}^2 \\
# \boldsymbol{W} &\leftarrow \boldsymbol{W} - \eta\, \boldsymbol{\Delta}
# \end{aligned}
# $$
#
# です。注意点が 3 つあります。
#
# - $\varepsilon$ は 2 つの平方根の **中** に入ります (AdaGrad・RMSprop・Adam とは違います)。特に分子の $\sqrt{\boldsymbol{u} + \varepsilon}$ は、
#   $\boldsymbol{u} = \boldsymbol{0}$ から始めたときに更新が 0 のまま止まらないために必要です。
# - 論文には学習率がありません ($\eta = 1$、この章の既定値)。PyTorch の `lr` は最後の更新だけに掛かり、$\boldsymbol{u}$ に貯めるのは $\eta$ を掛ける前の $\boldsymbol{\Delta}$ です。
# - 最初の更新量はおよそ $\sqrt{\varepsilon / (1 - \rho)}$ ($\varepsilon = 10^{-6}$、$\rho = 0.95$ なら約 0.0045) で、勾配の大きさによりません
#   ($(1 - \rho) g^2 \gg \varepsilon$ のとき)。$\varepsilon$ が「最初の歩幅」を決めていることになり、勾配が変わらなければ、そこから
#   $\boldsymbol{u}$ が育つにつれて歩幅が大きくなります。
#
# ### 演習 6: Adadelta


# %% [solution] id=adadelta
class Adadelta:
    """Adadelta (PyTorch と同じ式)。s、u はキーごとの状態で、初めて見たキーで両方とも params[key] と同じ形状の 0 の配列。

    s ← rho · s + (1 − rho) · g²
    delta = √(u + eps) / √(s + eps) · g      (更新後の s と、更新前の u を使う。eps は平方根の中)
    u ← rho · u + (1 − rho) · delta²         (lr を掛ける前の delta)
    W ← W − lr · delta
    update(params, grads): params の各配列をその場で更新し、何も返さない。grads は書き換えない。
    """

    def __init__(self, lr=1.0, rho=0.95, eps=1e-6):
        self.lr = lr  # 最後の更新に掛ける係数 (論文では 1)
        self.rho = rho  # ρ
        self.eps = eps  # 2 つの平方根の中で足す小さな数
        self.s = {}  # キー → 勾配の 2 乗の移動平均 s
        self.u = {}  # キー → 更新量の 2 乗の移動平均 u

    def update(self, params, grads):
        """s、delta、u の順に計算してから、params[key] をその場で更新する。grads は書き換えない。"""
        # ヒント: hint("Adadelta.update")
        # @reference Adadelta.update


# %% [tests] id=test_adadelta points=3 hidden=adadelta
runs = []  # update を呼んだ記録 (最後の 2 つの性質で使う)
with Properties() as test:
    with test.property(
        "指定した引数での update ごとの params の値 (lr = 0.5、rho = 0.25、eps = 1、形状 (1,) と (1, 2) のキーで 2 回)"
    ):
        # lr = 0.5、ρ = 0.25、eps = 1。w の勾配は 2, 2
        #   1 回目: s = 0.75·4 = 3、delta = √(0 + 1)/√(3 + 1)·2 = 1、u = 0.75·1² = 0.75、w = 1 − 0.5·1 = 0.5
        #   2 回目: s = 0.25·3 + 0.75·4 = 3.75、delta = √(0.75 + 1)/√(3.75 + 1)·2、w = 0.5 − 0.5·delta
        #   (u に lr·delta を貯めたり、s を更新する前に delta を計算したりすると 2 回目が変わる)
        # c の勾配は [2, −2] が 2 回: w と同じ大きさで、0 から反対向きに動く
        delta2 = np.sqrt(1.75) / np.sqrt(4.75) * 2
        check_optimizer_steps(
            "Adadelta",
            {"lr": 0.5, "rho": 0.25, "eps": 1.0},
            {"w": np.array([1.0]), "c": np.array([[0.0, 0.0]])},
            [{"w": np.array([2.0]), "c": np.array([[2.0, -2.0]])}] * 2,
            [
                {"w": [0.5], "c": [[-0.5, 0.5]]},
                {"w": [0.5 - 0.5 * delta2], "c": [[-0.5 - 0.5 * delta2, 0.5 + 0.5 * delta2]]},
            ],
            runs=runs,
        )
    with test.property(
        "既定の引数での update ごとの params の値 (lr = 1、rho = 0.95、eps = 1e-6、形状 (2,) の 2 つのキーで 2 回)"
    ):
        # params_same と grads_same。u = 0 から始まるので、1 回目の歩幅は eps = 1e-6 で決まる
        #   W の勾配 [1, −1]: s = 0.05·1 = 0.05、delta = √(0 + 1e-6)/√(0.05 + 1e-6)·g = d1·g、u = 0.05·d1²
        #   もう 1 回: s = 0.95·0.05 + 0.05 = 0.0975、delta = √(u + 1e-6)/√(0.0975 + 1e-6)·g = d2·g
        #   V の勾配 [2, 0]: s = [0.2, 0]、delta = [√1e-6/√(0.2 + 1e-6)·2, 0] = [a, 0]
        #   次に [0, 2]: V[0] は勾配 0 で動かない。V[1] は s = 0.05·4 = 0.2、u = 0 なので、V[0] の 1 回目と同じく a だけ動く
        d1 = 1e-3 / np.sqrt(0.050001)
        d2 = np.sqrt(0.05 * d1**2 + 1e-6) / np.sqrt(0.097501)
        a = 2e-3 / np.sqrt(0.200001)
        check_optimizer_steps(
            "Adadelta",
            {},
            params_same,
            grads_same,
            [
                {"W": [1 - d1, 1 + d1], "V": [-a, 0.0]},
                {"W": [1 - d1 - d2, 1 + d1 + d2], "V": [-a, -a]},
            ],
            runs=runs,
        )
    with test.property("形状 (1, k) の 1 つのキーでの update ごとの params の値 (形状 (1, 3) で 2 回)"):
        # 1 つ目の性質の w と c を 1 行に並べた配列 (要素ごとの計算なので、各要素の値も同じ)
        check_optimizer_steps(
            "Adadelta",
            {"lr": 0.5, "rho": 0.25, "eps": 1.0},
            {"row": np.array([[1.0, 0.0, 0.0]])},
            [{"row": np.array([[2.0, 2.0, -2.0]])}] * 2,
            [{"row": [[0.5, -0.5, 0.5]]}, {"row": [[0.5 - 0.5 * delta2, -0.5 - 0.5 * delta2, 0.5 + 0.5 * delta2]]}],
            runs=runs,
        )
    values = list(test.verdicts)  # ここまでの 3 つの性質 (値)
    with test.property("params の配列をその場で (in place) 更新する", needs=values):
        check_in_place(runs)
    with test.property("grads の配列を書き換えない", needs=values):
        check_grads_untouched(runs)
print("公開テスト: OK")

# %% [markdown]
# ## 6.7 Adam とバイアス補正
#
# Adam (Kingma と Ba 2015) は、Momentum の「勾配の移動平均」と RMSprop の「勾配の 2 乗の移動平均」を組み合わせた方法です。
# 更新の回数 $t$ を数え (1 回目の更新で $t = 1$)、次のように更新します。
#
# $$
# \begin{aligned}
# \boldsymbol{m} &\leftarrow \beta_1 \boldsymbol{m} + (1 - \beta_1)\, \boldsymbol{g} & &(\text{1 次モーメント (moment): 勾配の移動平均}) \\
# \boldsymbol{v} &\leftarrow \beta_2 \boldsymbol{v} + (1 - \beta_2)\, \boldsymbol{g}^2 & &(\text{2 次モーメント: 勾配の 2 乗の移動平均}) \\
# \hat{\boldsymbol{m}} &= \frac{\boldsymbol{m}}{1 - \beta_1^{\,t}}, \quad \hat{\boldsymbol{v}} = \frac{\boldsymbol{v}}{1 - \beta_2^{\,t}} & &(\text{バイアス補正}) \\
# \boldsymbol{W} &\leftarrow \boldsymbol{W} - \eta\, \frac{\hat{\boldsymbol{m}}}{\sqrt{\hat{\boldsymbol{v}}} + \varepsilon}
# \end{aligned}
# $$
#
# 既定値は論文と PyTorch (`torch.optim.Adam`) と同じ $\eta = 0.001$、$\beta_1 = 0.9$、$\beta_2 = 0.999$、$\varepsilon = 10^{-8}$ です。
#
# **なぜバイアス補正が必要か**: $\boldsymbol{m}$ は 0 から始まるので、RMSprop の $\boldsymbol{h}$ と同じく展開すると
#
# $$
# \boldsymbol{m}_t = (1 - \beta_1) \sum_{k=1}^{t} \beta_1^{\,t-k}\, \boldsymbol{g}_k
# $$
#
# です。勾配の期待値がどの回も同じ $E[\boldsymbol{g}]$ だとすると、等比級数の和 $(1 - \beta_1) \sum_{k=1}^{t} \beta_1^{\,t-k} = 1 - \beta_1^{\,t}$ から
#
# $$
# E[\boldsymbol{m}_t] = (1 - \beta_1^{\,t})\, E[\boldsymbol{g}], \qquad \text{同様に} \quad E[\boldsymbol{v}_t] = (1 - \beta_2^{\,t})\, E[\boldsymbol{g}^2]
# $$
#
# となり、初めのうちは 0 の側に偏って (bias) います。$1 - \beta^t$ で割ればこの偏りが消えます。$t$ が大きくなると $1 - \beta^t \to 1$ なので、
# 補正は自然に効かなくなります。
#
# **最初の数回で確かめる**: $t = 1$ では $\boldsymbol{m}_1 = (1 - \beta_1) \boldsymbol{g}_1$、$\boldsymbol{v}_1 = (1 - \beta_2) \boldsymbol{g}_1^2$ なので、補正後は
# $\hat{\boldsymbol{m}}_1 = \boldsymbol{g}_1$、$\hat{\boldsymbol{v}}_1 = \boldsymbol{g}_1^2$ で、更新量は $\eta\, g / (|g| + \varepsilon) \approx \pm \eta$ です。
# 勾配の大きさ (0.001 でも 1000 でも) によらず、1 回目は学習率 $\eta$ だけ動きます。補正しないと
# $\eta \cdot 0.1\, g / \sqrt{0.001\, g^2} \approx 3.16\, \eta$ となり、$\beta_1$ と $\beta_2$ の偏り方の違いのせいで、初めの数百〜数千回は更新が大きすぎます。
#
# **実装上の注意**
#
# - $t$ はオプティマイザに 1 つだけ持ち (キーごとではない)、`update` を呼ぶたびに **最初に** 1 増やします。`__init__` で $t = 0$ なので、
#   1 回目の更新では $t = 1$ です ($t = 0$ のまま補正すると $1 - \beta^0 = 0$ で割ることになります)。
# - $\varepsilon$ は補正後の $\sqrt{\hat{\boldsymbol{v}}}$ に、平方根の外で足します (論文・PyTorch と同じ)。『ゼロから作るDeep Learning』の実装は、補正を
#   学習率にまとめて $\eta_t = \eta \sqrt{1 - \beta_2^t} / (1 - \beta_1^t)$ とし、補正前の $\sqrt{\boldsymbol{v}}$ に $\varepsilon$ を足しています。
#   これは $\varepsilon$ を $\varepsilon / \sqrt{1 - \beta_2^t}$ に置き換えたのと同じで、アルゴリズムとしては同じものなので、採点ではどちらの書き方も正解に
#   なります。ただし $\varepsilon$ が大きいと値は変わるので、ここでは上の式 (論文・PyTorch と同じ) で書くことを勧めます。
# - $\boldsymbol{m}$ と $\boldsymbol{v}$ の更新は、次の AMSGrad でも使うので、補助メソッド `_moments` に分けます。
#
# 荷重減衰 (weight decay) と組み合わせた AdamW は、正則化を扱う後の章で実装します。
#
# ### 演習 7: Adam


# %% [solution] id=adam
class Adam:
    """Adam (バイアス補正つき、PyTorch と同じ式)。

    self.t: 更新の回数 (オプティマイザに 1 つ)。update の最初に 1 増やすので、1 回目の更新で t = 1。
    self.m、self.v: キーごとの 1 次・2 次モーメント (初めて見たキーで params[key] と同じ形状の 0 の配列)。
    W ← W − lr · m̂ / (√v̂ + eps)、m̂ = m / (1 − beta1^t)、v̂ = v / (1 − beta2^t) (eps は √v̂ の外)。
    """

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr = lr  # 学習率 η
        self.beta1 = beta1  # β1
        self.beta2 = beta2  # β2
        self.eps = eps  # √v̂ に足す小さな数
        self.t = 0  # 更新の回数
        self.m = {}  # キー → 1 次モーメント m
        self.v = {}  # キー → 2 次モーメント v

    def _moments(self, key, param, g):
        """キー key の m、v を g で更新し、(m, v) (補正前の配列) を返す。

        param: そのキーのパラメータ (初めて見たキーで、これと同じ形状の 0 の配列を m、v に作るのに使う)。g: そのキーの勾配。
        """
        # ヒント: hint("Adam._moments")
        # @reference Adam._moments

    def update(self, params, grads):
        """t を 1 増やしてから、キーごとに _moments で m、v を更新し、params[key] をその場で更新する。grads は書き換えない。"""
        # ヒント: hint("Adam.update")
        # @reference Adam.update


# %% [tests] id=test_adam points=2.5 hidden=adam
runs = []  # update を呼んだ記録 (最後の 2 つの性質で使う)
with Properties() as test:
    with test.property(
        "指定した引数での update ごとの params の値 (lr = 0.1、eps = 1e-8、形状 (2,) と (1, 1) のキーで 3 回)"
    ):
        # lr = 0.1、β1 = 0.9、β2 = 0.999。1、2 回目は同じ勾配 g:
        #   1 回目: m = 0.1 g、v = 0.001 g² → m̂ = g、v̂ = g² → 移動量は 0.1 · g/|g| (勾配の大きさによらない)
        #   2 回目: m = 0.19 g、v = 0.001999 g²、1 − β1² = 0.19、1 − β2² = 0.001999 → やはり m̂ = g、v̂ = g²
        #   3 回目 (勾配 0): m = 0.171 g、v = 0.001997001 g²、1 − β1³ = 0.271、1 − β2³ = 0.002997001
        # c の勾配は 1000 (大きさが違っても同じだけ動く)。2 つのキーがあっても t は 1 回の update で 1 しか増えない
        step3 = 0.1 * (0.171 / 0.271) / np.sqrt(0.001997001 / 0.002997001)
        g_adam = {"w": np.array([2.0, -0.5]), "c": np.array([[1000.0]])}
        g_zero = {"w": np.array([0.0, 0.0]), "c": np.array([[0.0]])}
        check_optimizer_steps(
            "Adam",
            {"lr": 0.1, "eps": 1e-8},
            {"w": np.array([1.0, -1.0]), "c": np.array([[0.0]])},
            [g_adam, g_adam, g_zero],
            [
                {"w": [0.9, -0.9], "c": [[-0.1]]},
                {"w": [0.8, -0.8], "c": [[-0.2]]},
                {"w": [0.8 - step3, -0.8 + step3], "c": [[-0.2 - step3]]},
            ],
            runs=runs,
            # 期待値は eps を無視した値。教科書の形 (補正前の √v に eps) でも、ずれは 1e-6 以下
            rtol=1e-5,
        )
    with test.property(
        "既定の引数での update ごとの params の値 (lr = 0.001、beta1 = 0.9、beta2 = 0.999、形状 (2,) の 2 つのキーで 2 回)"
    ):
        # params_same と grads_same。期待値は eps を無視した値 (許容誤差は相対 1e-5)
        #   W の勾配は [1, −1] が 2 回: 上と同じく m̂ = g、v̂ = g² なので、毎回 0.001 ずつ動く
        #   V の勾配 [2, 0] → V = [−0.001, 0]。次に [0, 2] (t = 2、1 − β1² = 0.19、1 − β2² = 0.001999):
        #     V[0]: m = 0.9·0.2 = 0.18、v = 0.999·0.004 = 0.003996 → 移動量 0.001·(0.18/0.19)/√(0.003996/0.001999)
        #     V[1]: m = 0.1·2 = 0.2、v = 0.001·4 = 0.004 → 移動量 0.001·(0.2/0.19)/√(0.004/0.001999)
        # (t をキーごとに増やすと、V の 1 回目が t = 2 で補正されて値が変わる)
        move0 = 0.001 * (0.18 / 0.19) / np.sqrt(0.003996 / 0.001999)
        move1 = 0.001 * (0.2 / 0.19) / np.sqrt(0.004 / 0.001999)
        check_optimizer_steps(
            "Adam",
            {},
            params_same,
            grads_same,
            [{"W": [0.999, 1.001], "V": [-0.001, 0.0]}, {"W": [0.998, 1.002], "V": [-0.001 - move0, -move1]}],
            runs=runs,
            rtol=1e-5,
        )
    with test.property("形状 (1, k) の 1 つのキーでの update ごとの params の値 (形状 (1, 3) で 3 回)"):
        # 1 つ目の性質の w と c を 1 行に並べた配列 (要素ごとの計算なので、各要素の値も同じ)
        g_row, g_row_zero = {"row": np.array([[2.0, -0.5, 1000.0]])}, {"row": np.array([[0.0, 0.0, 0.0]])}
        check_optimizer_steps(
            "Adam",
            {"lr": 0.1, "eps": 1e-8},
            {"row": np.array([[1.0, -1.0, 0.0]])},
            [g_row, g_row, g_row_zero],
            [
                {"row": [[0.9, -0.9, -0.1]]},
                {"row": [[0.8, -0.8, -0.2]]},
                {"row": [[0.8 - step3, -0.8 + step3, -0.2 - step3]]},
            ],
            runs=runs,
            rtol=1e-5,
        )
    values = list(test.verdicts)  # ここまでの 3 つの性質 (値)
    with test.property("params の配列をその場で (in place) 更新する", needs=values):
        check_in_place(runs)
    with test.property("grads の配列を書き換えない", needs=values):
        check_grads_untouched(runs)
print("公開テスト: OK")

# %% [markdown]
# 次のセルは、同じ演習の **規則** として、次の演習 8 の `AMSGrad` が `Adam` から受け継ぐもの (コンストラクタと `_moments`) が
# docstring のとおりかを確かめます (0.5 点。本体とは別に採点されます)。m、v を `update` の中だけで計算して `_moments` を
# 書かなかった場合などは、`Adam` の本体が正しくても、ここで点を失います。`AMSGrad` はその場合も、講座の `Adam`
# (docstring どおりのコンストラクタと `_moments`) を土台にして、`AMSGrad` 自身のコードで採点されます。


# %% [tests] id=test_adam_rules points=0.5 hidden=adam_rules
def public_test_adam_rules():
    """演習 7 の規則: Adam(lr, beta1, beta2, eps) は t = 0 で始まり、_moments は補正前の m、v を返して self.m、self.v に残す。"""
    built = "コンストラクタが 4 つの引数 (lr, beta1, beta2, eps) を順に受け取る"
    first = "1 回目の _moments (新しいキーを 0 から始め、補正前の m、v を返す)"
    param = np.zeros(2)
    # β1 = 0.5、β2 = 0.75
    #   1 回目 g = [2, −4]: m = 0.5·g = [1, −2]、v = 0.25·g² = [1, 4]
    #   2 回目 g = [1, 1]: m = 0.5·[1, −2] + 0.5·[1, 1] = [1, −0.5]、v = 0.75·[1, 4] + 0.25·[1, 1] = [1, 3.25]
    m_is_g = (
        "m が g そのものです。新しい g に (1 − beta1) を掛け忘れたか、補正後の m̂ を返しています (返すのは補正前の m)。"
    )
    v_is_g2 = "v が g² そのものです。新しい g² に (1 − beta2) を掛け忘れたか、補正後の v̂ を返しています (返すのは補正前の v)。"
    not_kept = "前回までの m、v を使っていません。self.m[key]、self.v[key] に残した値に、新しい g を加えてください。"
    corrected = "補正後の値を返しています。_moments は補正前の m、v を返し、補正は update で行います。"
    steps = [
        ([2.0, -4.0], [1.0, -2.0], [1.0, 4.0], [([2.0, -4.0], m_is_g)], [([4.0, 16.0], v_is_g2)]),
        (
            [1.0, 1.0],
            [1.0, -0.5],
            [1.0, 3.25],
            [
                ([2.0, -1.0], "新しい g に (1 − beta1) を掛け忘れています。"),
                ([0.5, 0.5], not_kept),
                ([4 / 3, -2 / 3], corrected),
            ],
            [
                ([4.0, 13.0], "新しい g² に (1 − beta2) を掛け忘れています。"),
                ([0.25, 0.25], not_kept),
                ([1 / 0.4375, 3.25 / 0.4375], corrected),
            ],
        ),
    ]

    def check_moments_call(step):
        """step 回目 (1 か 2) の _moments を、上の表の値と比べる。"""
        g, m_expected, v_expected, m_mistakes, v_mistakes = steps[step - 1]
        moments = adam._moments("w", param, np.array(g))
        check_true(isinstance(moments, tuple) and len(moments) == 2, "_moments は (m, v) の 2 つを返してください。")
        where = f"Adam(0.1, 0.5, 0.75, 1e-8) の {step} 回目の _moments('w', param, g = {g})"
        check_array(moments[0], m_expected, f"{where} の m", mistakes=m_mistakes)
        check_array(moments[1], v_expected, f"{where} の v", mistakes=v_mistakes)

    with Properties() as test:
        with test.property(built):
            adam = Adam(0.1, 0.5, 0.75, 1e-8)  # lr, beta1, beta2, eps の順
        with test.property("作った直後の更新の回数 t が 0", needs=[built]):
            check_true(adam.t == 0, "Adam(...) を作った直後の self.t が 0 ではありません。")
        with test.property(first, needs=[built]):
            check_moments_call(1)
        with test.property(
            "2 回目の _moments (self.m[key]、self.v[key] に残した前回の値に新しい g を加える)", needs=[first]
        ):
            check_moments_call(2)


public_test_adam_rules()
print("公開テスト: OK")

# %% [markdown]
# あなたの `Adam` で、勾配の大きさを $10^{-3}$、1、$10^{3}$ と変えて最初の 3 回の移動量を測ります。どれも $\eta = 0.01$ になるはずです。
# 図は、勾配が一定のとき、バイアス補正をしなかった場合の移動量が $\eta$ の何倍になるか、$(1 - \beta_1^t) / \sqrt{1 - \beta_2^t}$ を描いたものです。

# %%
for scale in (1e-3, 1.0, 1e3):
    adam_demo = Adam(lr=0.01)
    w_demo = {"w": np.array([0.0])}
    moves = []
    for _ in range(3):
        before = w_demo["w"][0]
        adam_demo.update(w_demo, {"w": np.array([scale])})
        moves.append(before - w_demo["w"][0])
    print(f"勾配 {scale:g}: 最初の 3 回の移動量 {np.round(moves, 6)}")

t_axis = np.arange(1, 5001)
ratio_without = (1 - 0.9**t_axis) / np.sqrt(1 - 0.999**t_axis)
fig, ax = plt.subplots(figsize=(7, 4))
ax.semilogx(t_axis, ratio_without, label="補正なし $(1-\\beta_1^t)/\\sqrt{1-\\beta_2^t}$")
ax.semilogx(t_axis, np.ones_like(ratio_without), "k--", label="補正あり (常に 1)")
ax.set_xlabel("更新の回数 $t$")
ax.set_ylabel("移動量 / 学習率 η")
ax.set_title("一定の勾配に対する Adam の移動量 ($\\beta_1 = 0.9$, $\\beta_2 = 0.999$)")
ax.legend()
plt.show()
print(f"補正なしの最大: t = {t_axis[ratio_without.argmax()]} で {ratio_without.max():.2f} 倍")

# %% [markdown]
# 補正がないと、1 回目ですでに約 3.2 倍、十数回目には約 6.6 倍もの大きさで動き、1000 回を過ぎてもまだ 1 倍に戻りません。
# 学習の最初はパラメータが最適値から遠く、勾配も大きく変わりやすい時期なので、ここで更新が大きすぎると不安定になります。
# バイアス補正は「最初から、想定した大きさ $\eta$ で動く」ようにするための仕組みです。
#
# ## 6.8 AMSGrad
#
# Adam の実質的な学習率 $\eta / \sqrt{\hat{\boldsymbol{v}}}$ は、$\boldsymbol{v}$ が小さくなると **大きくなる** ことがあります。
# まれにしか来ない大きな勾配が $\boldsymbol{v}$ から忘れられると、その後は大きな歩幅で動いてしまいます。Reddi ら (2018) は、Adam が
# 最適解に収束しない簡単な例を示し、その対策として AMSGrad を提案しました。これまでの $\boldsymbol{v}$ の最大値を覚えておき、分母に使います。
#
# $$
# \boldsymbol{v}_{\max} \leftarrow \max(\boldsymbol{v}_{\max}, \boldsymbol{v}) \ (\text{要素ごと}), \qquad
# \boldsymbol{W} \leftarrow \boldsymbol{W} - \eta\, \frac{\hat{\boldsymbol{m}}}{\sqrt{\boldsymbol{v}_{\max} / (1 - \beta_2^{\,t})} + \varepsilon}
# $$
#
# $\boldsymbol{m}$、$\boldsymbol{v}$、$t$、$\hat{\boldsymbol{m}}$ は Adam と同じです。分母の $\boldsymbol{v}_{\max}$ は減らないので、大きな勾配の記憶が残ります。
#
# **どの式に従うか**: Reddi ら (2018) の論文の AMSGrad の式は、バイアス補正をしていません。ここでは PyTorch の `torch.optim.Adam(amsgrad=True)` に
# 合わせて、**補正前の $\boldsymbol{v}$** の最大値を取り、それを $1 - \beta_2^t$ で割ります。補正後の $\hat{\boldsymbol{v}}$ の最大値を取るのとは違う結果になります
# ($1 - \beta_2^t$ が回ごとに変わるため)。
#
# ### 演習 8: AMSGrad
#
# Adam を継承するので、`__init__`、`t`、`m`、`v`、`_moments` は Adam のものを使えます。


# %% [solution] id=amsgrad
class AMSGrad(Adam):
    """AMSGrad (PyTorch の Adam(amsgrad=True) と同じ式)。

    t、m、v の更新は Adam と同じ (_moments を使う)。self.v_max: キーごとの補正前の v の最大値 (初めて見たキーで 0 の配列)。
    v_max ← max(v_max, v) (要素ごと、その場で更新)、W ← W − lr · m̂ / (√(v_max / (1 − beta2^t)) + eps)。
    """

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(lr, beta1, beta2, eps)
        self.v_max = {}  # キー → これまでの v の最大値

    def update(self, params, grads):
        """t を 1 増やし、m、v、v_max を更新してから、params[key] をその場で更新する。grads は書き換えない。"""
        # ヒント: hint("AMSGrad.update")
        # @reference AMSGrad.update


# %% [tests] id=test_amsgrad points=2 hidden=amsgrad
# AMSGrad は Adam のコンストラクタと _moments を使うので、演習 7 の規則が通るまでは保留
if builds_on({"演習 7 の規則 (Adam のコンストラクタと _moments)": public_test_adam_rules}):
    runs = []  # update を呼んだ記録 (最後の 2 つの性質で使う)
    with Properties() as test:
        with test.property(
            "指定した引数での update ごとの params の値 (lr = 0.1、beta1 = beta2 = 0.5、形状 (1,) と (1, 2) のキーで 2 回)"
        ):
            # lr = 0.1、β1 = β2 = 0.5。w の勾配は 4, 0
            #   1 回目: m = 2、v = 8、v_max = 8、m̂ = 2/0.5 = 4、v_max/(1 − 0.5) = 16 → w = 0 − 0.1·4/4 = −0.1
            #   2 回目: m = 1、v = 4 (減った)、v_max = 8 のまま、m̂ = 1/0.75、v_max/0.75 = 32/3 → w = −0.1 − 0.1·(4/3)/√(32/3)
            #   (Adam なら v/0.75 = 16/3 を使う。補正後の v̂ の最大値なら max(16, 16/3) = 16 を使う)
            # c の勾配は [0, 2] の次に [2, 0]
            #   c[0]: 1 回目は動かない。2 回目 m = 1、v = v_max = 2 → c = 1 − 0.1·(4/3)/√(8/3)
            #   c[1]: 1 回目 m = 1、v = 2 → m̂ = 2、v_max/0.5 = 4 → c = 0.9。2 回目 m = 0.5、v = 1、v_max = 2 → c = 0.9 − 0.1·(2/3)/√(8/3)
            check_optimizer_steps(
                "AMSGrad",
                {"lr": 0.1, "beta1": 0.5, "beta2": 0.5},
                {"w": np.array([0.0]), "c": np.array([[1.0, 1.0]])},
                [
                    {"w": np.array([4.0]), "c": np.array([[0.0, 2.0]])},
                    {"w": np.array([0.0]), "c": np.array([[2.0, 0.0]])},
                ],
                [
                    {"w": [-0.1], "c": [[1.0, 0.9]]},
                    {
                        "w": [-0.1 - 0.1 * (4 / 3) / np.sqrt(32 / 3)],
                        "c": [[1.0 - 0.1 * (4 / 3) / np.sqrt(8 / 3), 0.9 - 0.1 * (2 / 3) / np.sqrt(8 / 3)]],
                    },
                ],
                runs=runs,
            )
        with test.property(
            "既定の引数での update ごとの params の値 (lr = 0.001、beta1 = 0.9、beta2 = 0.999、形状 (2,) の 2 つのキーで 2 回)"
        ):
            # params_same と grads_same。期待値は eps を無視した値 (許容誤差は相対 1e-5)。v が減らないところは Adam と同じ:
            #   W は毎回 0.001 ずつ動き、V は 1 回目に [−0.001, 0]、2 回目の V[1] は Adam と同じ move1 だけ動く
            #   2 回目の V[0]: v = 0.003996 は v_max = 0.004 より小さいので、0.004 を使う → 移動量 0.001·(0.18/0.19)/√(0.004/0.001999)
            move0_max = 0.001 * (0.18 / 0.19) / np.sqrt(0.004 / 0.001999)
            move1 = 0.001 * (0.2 / 0.19) / np.sqrt(0.004 / 0.001999)  # Adam のテストと同じ
            check_optimizer_steps(
                "AMSGrad",
                {},
                params_same,
                grads_same,
                [
                    {"W": [0.999, 1.001], "V": [-0.001, 0.0]},
                    {"W": [0.998, 1.002], "V": [-0.001 - move0_max, -move1]},
                ],
                runs=runs,
                rtol=1e-5,
            )
        with test.property("形状 (1, k) の 1 つのキーでの update ごとの params の値 (形状 (1, 3) で 2 回)"):
            # 1 つ目の性質の w と c を 1 行に並べた配列 (要素ごとの計算なので、各要素の値も同じ)
            check_optimizer_steps(
                "AMSGrad",
                {"lr": 0.1, "beta1": 0.5, "beta2": 0.5},
                {"row": np.array([[0.0, 1.0, 1.0]])},
                [{"row": np.array([[4.0, 0.0, 2.0]])}, {"row": np.array([[0.0, 2.0, 0.0]])}],
                [
                    {"row": [[-0.1, 1.0, 0.9]]},
                    {
                        "row": [
                            [
                                -0.1 - 0.1 * (4 / 3) / np.sqrt(32 / 3),
                                1.0 - 0.1 * (4 / 3) / np.sqrt(8 / 3),
                                0.9 - 0.1 * (2 / 3) / np.sqrt(8 / 3),
                            ]
                        ]
                    },
                ],
                runs=runs,
            )
        values = list(test.verdicts)  # ここまでの 3 つの性質 (値)
        with test.property("params の配列をその場で (in place) 更新する", needs=values):
            check_in_place(runs)
        with test.property("grads の配列を書き換えない", needs=values):
            check_grads_untouched(runs)
    print("公開テスト: OK")

# %% [markdown]
# 最初の 5 回だけ大きさ 10、その後は大きさ 0.1 の勾配 (いつも同じ向き) を 100 回目まで与えて、Adam と AMSGrad の移動量を比べます。
# 違いがはっきり見えるように $\beta_2 = 0.9$ (記憶が約 10 回) にしています。

# %%
stream = np.where(np.arange(100) < 5, 10.0, 0.1)
fig, ax = plt.subplots(figsize=(7, 4))
for name, cls in [("Adam", Adam), ("AMSGrad", AMSGrad)]:
    optimizer = cls(lr=0.01, beta2=0.9)
    w_demo = {"w": np.array([0.0])}
    moves = []
    for g in stream:
        before = w_demo["w"][0]
        optimizer.update(w_demo, {"w": np.array([g])})
        moves.append(before - w_demo["w"][0])
    ax.plot(np.arange(1, 101), moves, marker=".", label=name)
    print(f"{name}: 100 回目の移動量 {moves[-1]:.5f}")
ax.axvline(5.5, color="0.6", linestyle=":", label="勾配の大きさが 10 → 0.1")
ax.set_xlabel("更新の回数 $t$")
ax.set_ylabel("移動量")
ax.set_title("大きな勾配の後の移動量 (η = 0.01, $\\beta_2 = 0.9$)")
ax.legend()
plt.show()

# %% [markdown]
# 大きな勾配の直後は、どちらも $\boldsymbol{v}$ が大きいので移動量が小さくなります。Adam は大きな勾配を $\boldsymbol{v}$ から忘れるにつれて
# 移動量が再び増え、100 回目には $\eta = 0.01$ 近くに戻ります (勾配の大きさで割って正規化するため、小さな勾配でも $\eta$ 程度動く)。
# AMSGrad は $\boldsymbol{v}_{\max}$ が大きな勾配の記憶を持ち続けるので、移動量は小さいままです。
# どちらがよいかは問題によります。AMSGrad は Adam が発散・振動する例への対策ですが、実際の深層学習でいつも Adam より良いわけではありません。
#
# ## 6.9 2 次関数の上での軌跡の比較
#
# 8 つの手法を $f(x, y) = x^2/20 + y^2$ (始点 $(-7, 2)$) と $L = w_1^2 + 5 w_2^2$ (始点 $(-4, 2)$) の上で 30 回ずつ動かします。
# ハイパーパラメータは手法ごと・関数ごとに、それぞれがそれなりに進むように選びました (各図の題に書いてあります)。
# $f$ の値は教科書の例と同じです。Adadelta は既定の $\varepsilon = 10^{-6}$ では最初の歩幅が約 0.0045 で 30 回ではほとんど動かないので、
# $\varepsilon = 10^{-2}$ にしています。題の最後の数は 30 回後の関数の値 (小さいほど最小値 0 に近い) です。

# %%
problems = [
    {
        "title": "$f(x, y) = x^2/20 + y^2$ (教科書の例、始点 (−7, 2))",
        "function": f_textbook,
        "grad": grad_f_textbook,
        "start": (-7.0, 2.0),
        "limits": ((-10, 10), (-5, 5)),
        "labels": ("$x$", "$y$"),
        "settings": {
            "SGD": {"lr": 0.95},
            "Momentum": {"lr": 0.1},
            "Nesterov": {"lr": 0.1},
            "AdaGrad": {"lr": 1.5},
            "RMSprop": {"lr": 0.3, "decay_rate": 0.9},
            "Adadelta": {"eps": 1e-2},
            "Adam": {"lr": 0.3},
            "AMSGrad": {"lr": 0.3},
        },
    },
    {
        "title": "$L = w_1^2 + 5 w_2^2$ (細長い谷、始点 (−4, 2))",
        "function": loss_valley,
        "grad": grad_loss_valley,
        "start": (-4.0, 2.0),
        "limits": ((-5, 5), (-3, 3)),
        "labels": ("$w_1$", "$w_2$"),
        "settings": {
            "SGD": {"lr": 0.19},
            "Momentum": {"lr": 0.02},
            "Nesterov": {"lr": 0.02},
            "AdaGrad": {"lr": 1.0},
            "RMSprop": {"lr": 0.2, "decay_rate": 0.9},
            "Adadelta": {"eps": 1e-2},
            "Adam": {"lr": 0.2},
            "AMSGrad": {"lr": 0.2},
        },
    },
]
OPTIMIZER_CLASSES = {
    "SGD": SGD,
    "Momentum": Momentum,
    "Nesterov": Nesterov,
    "AdaGrad": AdaGrad,
    "RMSprop": RMSprop,
    "Adadelta": Adadelta,
    "Adam": Adam,
    "AMSGrad": AMSGrad,
}

fig = plt.figure(figsize=(14, 11), layout="constrained")
for subfig, problem in zip(fig.subfigures(2, 1, hspace=0.05), problems):
    axes = subfig.subplots(2, 4, sharex=True, sharey=True)
    (x_min, x_max), (y_min, y_max) = problem["limits"]
    grid_x, grid_y = np.meshgrid(np.linspace(x_min, x_max, 100), np.linspace(y_min, y_max, 100))
    grid_z = problem["function"](grid_x, grid_y)
    levels = grid_z.max() * np.linspace(0.03, 1.0, 12) ** 2  # 「半径」が等間隔の楕円
    for ax, (name, settings) in zip(axes.flat, problem["settings"].items()):
        path = optimize_path(OPTIMIZER_CLASSES[name](**settings), problem["grad"], problem["start"])
        value = float(problem["function"](*path[-1]))
        ax.contour(grid_x, grid_y, grid_z, levels=levels, colors="0.8", linewidths=0.7)
        ax.plot(path[:, 0], path[:, 1], "o-", color="tab:red", markersize=3, linewidth=1, label="軌跡 (30 回)")
        ax.plot(0, 0, "k+", markersize=12, markeredgewidth=2, label="最小点")
        hyper = ", ".join(f"{key}={value:g}" for key, value in settings.items())
        ax.set_title(f"{name} ({hyper})\n30 回後の値 {value:.3g}", fontsize=9)
    for ax in axes[1]:
        ax.set_xlabel(problem["labels"][0])
    for ax in axes[:, 0]:
        ax.set_ylabel(problem["labels"][1])
    axes[0, 0].legend(loc="upper right", fontsize=8)
    subfig.suptitle(problem["title"])
fig.suptitle("最適化手法の軌跡の比較 (赤: 30 回の更新、+: 最小点)", fontsize=14)
plt.show()

# %% [markdown]
# 図から読み取れることをまとめます。
#
# - **SGD**: 急な方向 ($y$、$w_2$) で符号が反転してジグザグし、なだらかな方向 ($x$、$w_1$) には少しずつしか進みません。
# - **Momentum**: なだらかな方向に速度がたまって速く進みますが、勢いで最小点を行き過ぎ、大きく回り込みます。
# - **Nesterov**: 同じ学習率の Momentum より行き過ぎが小さく、早く落ち着きます (先の点の勾配でブレーキがかかる)。
# - **AdaGrad・RMSprop**: 座標ごとに勾配の大きさで割るので、最初の一歩はどの座標にも同じ大きさの斜め方向です
#   (AdaGrad は $\eta$、RMSprop は $\eta / \sqrt{1 - \rho}$)。急な方向はすぐに 0 に近づき、その後はなだらかな方向にまっすぐ進みます。
# - **Adadelta**: 学習率を指定していないのに進んでいますが、最初の歩幅は $\varepsilon$ で決まります (ここでは座標ごとに約
#   $\sqrt{0.01 / 0.05} \approx 0.45$)。$f$ ではなだらかな方向の勾配が小さくなるにつれて歩幅も小さくなり、30 回では最小点まで届いていません。
# - **Adam・AMSGrad**: 最初はほぼ斜め 45° (符号だけで決まる歩幅 $\eta$) に進み、$\boldsymbol{m}$ の慣性で最小点を少し行き過ぎます。
#   この例では勾配の大きさが単調に小さくなるので、$\boldsymbol{v}$ の最大値を使う AMSGrad と Adam の差はわずかです。
#
# どの手法がいちばん良いかは、関数とハイパーパラメータ次第です。例えば $L$ では、Momentum は大きく回り込んでしまい、30 回後の値は SGD より大きくなっています。
# 2 次関数のような単純な問題では、座標ごとに正規化する手法がとても有利に見えますが、それがそのままニューラルネットワークに当てはまるとは限りません。
# 次の節で、実際のネットワークで比べてみます。
#
# ## 6.10 digits の学習での比較
#
# 第 5 章の `TwoLayerNet` (64 → 50 → 10) を、あなたの 8 つの最適化手法で学習させます。重みの初期値とミニバッチの順番は、
# すべての手法で同じ (`seed=0`) にして、違いが最適化手法だけから来るようにします。学習の手順は第 5 章と同じで、
# 更新だけを `optimizer.update(network.params, grads)` に置き換えます。

# %%
(x_train, t_train), (x_test, t_test) = load_digits()


def train_with_optimizer(optimizer, epochs=10, batch_size=32, seed=0, schedule=None):
    """``optimizer`` で TwoLayerNet(64, 50, 10) を digits で学習し、エポックごとの記録を返す。

    schedule: None か、エポック → 学習率 の関数 (各エポックの最初に optimizer.lr に入れる)。
    記録: 'train_loss' (そのエポックのミニバッチの損失の平均)、'test_acc' (エポックの後の正解率)、'lr'。
    """
    rng = np.random.default_rng(seed)
    network = TwoLayerNet(64, 50, 10, weight_init_std=0.1, rng=rng)
    history = {"train_loss": [], "test_acc": [], "lr": []}
    for epoch in range(epochs):
        if schedule is not None:
            optimizer.lr = schedule(epoch)
        order = rng.permutation(len(x_train))
        losses = []
        for start in range(0, len(x_train), batch_size):
            batch = order[start : start + batch_size]
            grads = network.gradient(x_train[batch], t_train[batch])
            optimizer.update(network.params, grads)
            losses.append(network.last_layer.loss)
        history["train_loss"].append(float(np.mean(losses)))
        history["test_acc"].append(network.accuracy(x_test, t_test))
        history["lr"].append(optimizer.lr)
    return history


digits_settings = {
    "SGD": {"lr": 0.1},
    "Momentum": {"lr": 0.03},
    "Nesterov": {"lr": 0.03},
    "AdaGrad": {"lr": 0.03},
    "RMSprop": {"lr": 0.003},
    "Adadelta": {},
    "Adam": {"lr": 0.003},
    "AMSGrad": {"lr": 0.003},
}
digits_histories = {name: train_with_optimizer(OPTIMIZER_CLASSES[name](**kw)) for name, kw in digits_settings.items()}

fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained")
epochs_axis = np.arange(1, 11)
for name, history in digits_histories.items():
    style = "--" if name in ("Nesterov", "AMSGrad") else "-"
    hyper = ", ".join(f"{key}={value:g}" for key, value in digits_settings[name].items()) or "既定値"
    axes[0].semilogy(epochs_axis, history["train_loss"], style, marker="o", markersize=3, label=f"{name} ({hyper})")
    axes[1].plot(epochs_axis, history["test_acc"], style, marker="o", markersize=3, label=name)
axes[0].set_xlabel("エポック")
axes[0].set_ylabel("訓練損失 (エポック内のミニバッチの平均、対数目盛)")
axes[0].set_title("訓練損失")
axes[0].legend(fontsize=8)
axes[1].set_xlabel("エポック")
axes[1].set_ylabel("テスト正解率")
axes[1].set_ylim(0.5, 1.0)
axes[1].set_title("テスト正解率")
axes[1].legend(fontsize=8, loc="lower right")
fig.suptitle("digits での最適化手法の比較 (TwoLayerNet 64-50-10、バッチサイズ 32)")
plt.show()
for name, history in digits_histories.items():
    print(
        f"{name:9s} 10 エポック後: 訓練損失 {history['train_loss'][-1]:.3f}、テスト正解率 {history['test_acc'][-1]:.3f}"
    )

# %% [markdown]
# この設定では、Momentum・Nesterov・AdaGrad・RMSprop・Adam などは、SGD より少ないエポックで損失が下がっています。
# Nesterov は Momentum とほぼ重なり、AMSGrad は Adam とほぼ重なっています。ただし、この比較は **学習率の選び方に強く依存します**。
# 同じ手法でも学習率を変えると結果が大きく変わることを、SGD・Momentum・Adam の 3 つで確かめます (それぞれ 5 エポック)。
# Momentum は、6.2 節で導いた「実質的な学習率」$\eta / (1 - \mu)$ を横軸にして描きます。

# %%
sweep = {
    "SGD": (SGD, [0.03, 0.1, 0.3, 1.0, 2.0], 1.0),
    "Momentum (μ = 0.9)": (Momentum, [0.003, 0.03, 0.1, 0.2, 0.4], 1 / (1 - 0.9)),
    "Adam": (Adam, [0.001, 0.01, 0.03, 0.1, 0.3], 1.0),
}
fig, ax = plt.subplots(figsize=(7, 4.5))
for name, (cls, rates, factor) in sweep.items():
    final_losses = [train_with_optimizer(cls(lr=lr), epochs=5)["train_loss"][-1] for lr in rates]
    ax.loglog(np.array(rates) * factor, final_losses, marker="o", label=name)
ax.set_xlabel("学習率 η (Momentum は η / (1 − μ))")
ax.set_ylabel("5 エポック目の訓練損失")
ax.set_title("学習率による違い (digits、TwoLayerNet)")
ax.legend()
plt.show()

# %% [markdown]
# - どの手法にも、損失がいちばん下がる学習率があり、それより小さすぎても大きすぎても悪くなります。大きすぎると、
#   損失が初期値 $\log 10 \approx 2.3$ 付近から下がらなくなります (ReLU の出力がすべて 0 になるなどして、学習が壊れる)。
# - Momentum の曲線は、横軸を $\eta / (1 - \mu)$ にすると、学習率の小さい側では SGD の曲線とほぼ重なります。勾配がゆっくり変わる状況では、
#   Momentum は「学習率 $\eta / (1 - \mu)$ の SGD」とよく似た働きをします。大きい側では重ならず、Momentum のほうが大きな
#   $\eta / (1 - \mu)$ まで学習が壊れません。
# - Adam の良い学習率は、SGD よりずっと小さいところにあります。Adam の 1 回の移動量は勾配の大きさによらず $\eta$ 程度だからです。
#
# 手法を公平に比べるには、手法ごとに学習率 (などのハイパーパラメータ) を調整してから比べる必要があります。「とりあえず Adam」は、
# 学習率を細かく調整しなくてもそこそこ動くことが多いという意味では便利ですが、いつも最良というわけではありません。
#
# ## 6.11 学習率のスケジュール
#
# 確率的な勾配 (ミニバッチの勾配) で学習すると、学習率が一定のままでは、パラメータは最小点の近くで勾配のノイズに揺さぶられ続けます。
# 最初は大きな学習率で速く進み、後で小さくして細かく合わせるのが、学習率のスケジュールです。ここでは 2 つの形を実装します。
#
# - **ステップ減衰** (step decay): `epochs_drop` エポックごとに学習率を `drop` 倍する。エポックは 0 から数えます。
#
# $$
# \eta_{\text{epoch}} = \eta_0 \cdot \text{drop}^{\,\lfloor \text{epoch} / \text{epochs\_drop} \rfloor}
# $$
#
#   例えば $\eta_0 = 0.1$、drop = 0.5、epochs_drop = 10 なら、エポック 0〜9 は 0.1、10〜19 は 0.05、20〜29 は 0.025 です。
#   PyTorch の `torch.optim.lr_scheduler.StepLR(step_size=epochs_drop, gamma=drop)` と同じです。
# - **逆時間減衰** (inverse time decay): 更新の回数 (またはエポック) $t$ に反比例するように小さくする。
#
# $$
# \eta_t = \frac{\eta_0}{1 + k\, t}
# $$
#
#   $k$ (`decay_rate`) が減衰の速さで、$t = 1/k$ で半分になります。
#
# 「学習率を更新の回数とともに小さくする」つもりで $\eta_t = \eta_0\, \alpha\, t$ と書いた式を見かけることがありますが、これはよくある
# 書き誤りで、$t$ とともに大きくなってしまいます。小さくするなら上の逆時間減衰 (や、$\eta_0 - \alpha t$ のような線形の減衰) の形です。
#
# 次のセルは入力を確かめる補助関数です (模範解答で使います。あなたの実装で使ってもかまいません)。

# %% [given] names=schedules._check_int

# %% [markdown]
# ### 演習 9: 学習率のスケジュール


# %% [solution] id=lr_schedules
def step_decay(lr0, epoch, drop=0.5, epochs_drop=10):
    """ステップ減衰: lr0 · drop^floor(epoch / epochs_drop) を float で返す。

    lr0: 最初の学習率。epoch: 0 から数えたエポック (0 以上の整数)。
    drop: epochs_drop エポックごとに掛ける係数。epochs_drop: 1 以上の整数。
    """
    # ヒント: hint("step_decay")
    # @reference step_decay


def inverse_time_decay(lr0, step, decay_rate=0.01):
    """逆時間減衰: lr0 / (1 + decay_rate · step) を float で返す。

    lr0: step = 0 での学習率。step: 更新の回数 (またはエポック、0 以上の整数)。decay_rate: 0 以上。
    """
    # ヒント: hint("inverse_time_decay")
    # @reference inverse_time_decay


# %% [tests] id=test_lr_schedules points=2 hidden=lr_schedules
with Properties() as test:
    with test.property("step_decay の値 (drop = 0.1、epochs_drop = 3 でエポック 2、3、7)"):
        # drop = 0.1、epochs_drop = 3: エポック 2 は floor(2/3) = 0 なので 1.0 のまま、3 (下がる境目) で 0.1、
        # エポック 7 は floor(7/3) = 2 なので 1.0 · 0.1² = 0.01
        for epoch, expected in [(2, 1.0), (3, 0.1), (7, 0.01)]:
            check_scalar(
                step_decay(1.0, epoch, drop=0.1, epochs_drop=3),
                expected,
                f"step_decay(1.0, {epoch}, drop=0.1, epochs_drop=3)",
            )
    with test.property("step_decay の既定値 (drop=0.5、epochs_drop=10 で、lr0 = 0.1 のエポック 0、9、10、25)"):
        # 0.1 · 0.5^floor(epoch/10): エポック 0〜9 は 0.1、10 で 0.05、25 は floor(2.5) = 2 なので 0.025
        for epoch, expected in [(0, 0.1), (9, 0.1), (10, 0.05), (25, 0.025)]:
            check_scalar(step_decay(0.1, epoch), expected, f"step_decay(0.1, {epoch})")
    with test.property("inverse_time_decay の値 (decay_rate = 0.5 で step 3)"):
        # 1 / (1 + 0.5 · 3) = 1 / 2.5 = 0.4
        check_scalar(inverse_time_decay(1.0, 3, decay_rate=0.5), 0.4, "inverse_time_decay(1.0, 3, decay_rate=0.5)")
    with test.property("inverse_time_decay の既定値 (decay_rate=0.01 で、lr0 = 0.1 の step 0 と 100)"):
        # 0.1 / (1 + 0.01 t): t = 0 で 0.1、t = 100 で半分の 0.05
        check_scalar(inverse_time_decay(0.1, 0), 0.1, "inverse_time_decay(0.1, 0)")
        check_scalar(inverse_time_decay(0.1, 100), 0.05, "inverse_time_decay(0.1, 100)")
print("公開テスト: OK")

# %% [markdown]
# スケジュールの効果を、ノイズのある勾配で確かめます。$\frac{1}{2} w^2$ を最小化するのに、正しい勾配 $w$ に標準正規分布のノイズ $\xi$ を
# 足したもの $g = w + \xi$ を使います (ミニバッチの勾配のモデル)。学習率が一定 $\eta$ なら $w \leftarrow (1 - \eta) w - \eta \xi$ なので、
# 十分に時間がたつと $w$ の分散は $V = (1 - \eta)^2 V + \eta^2$ を満たし、$V = \eta / (2 - \eta)$ で止まります。損失の平均 $V / 2$ は
# 学習率に比例した高さより下がりません。500 本の独立な試行 (1 つの配列の各要素) を、あなたの `SGD` でまとめて動かします。

# %%
rng = np.random.default_rng(0)
runs, steps, lr0 = 500, 400, 0.2
noise = rng.standard_normal((steps, runs))
schedules = {
    "一定 (η = 0.2)": lambda step: lr0,
    "step_decay (50 回ごとに 0.5 倍)": lambda step: step_decay(lr0, step, drop=0.5, epochs_drop=50),
    "inverse_time_decay (k = 0.05)": lambda step: inverse_time_decay(lr0, step, decay_rate=0.05),
}
fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained")
for name, schedule in schedules.items():
    optimizer = SGD(lr=lr0)
    w_noisy = {"w": np.full(runs, 5.0)}
    rates, mean_losses = [], []
    for step in range(steps):
        optimizer.lr = schedule(step)
        optimizer.update(w_noisy, {"w": w_noisy["w"] + noise[step]})
        rates.append(optimizer.lr)
        mean_losses.append(float(np.mean(0.5 * w_noisy["w"] ** 2)))
    axes[0].plot(np.arange(steps), rates, label=name)
    axes[1].semilogy(np.arange(1, steps + 1), mean_losses, label=name)
    print(f"{name}: 400 回後の平均損失 {mean_losses[-1]:.4f}")
axes[1].axhline(lr0 / (2 - lr0) / 2, color="0.5", linestyle=":", label="一定の学習率での理論値 η / (2(2 − η))")
axes[0].set_xlabel("更新の回数")
axes[0].set_ylabel("学習率")
axes[0].set_title("学習率のスケジュール")
axes[0].legend()
axes[1].set_xlabel("更新の回数")
axes[1].set_ylabel("損失 $w^2/2$ の平均 (500 試行、対数目盛)")
axes[1].set_title("ノイズのある勾配での SGD")
axes[1].legend()
plt.show()

# %% [markdown]
# 学習率が一定だと、平均損失は最初にすばやく下がった後、理論値 $\eta / (2(2 - \eta)) \approx 0.056$ の高さで止まります。
# 学習率を下げると、その高さも下がるので、損失はさらに小さくなります。ステップ減衰では学習率を下げるたびに階段状に、
# 逆時間減衰ではなめらかに下がります。ただし、学習率を早く下げすぎると、最小点から遠いうちに歩幅が小さくなって進みが遅くなります。
# 実際の学習でも、損失がまだ順調に下がっている段階で学習率を下げると遠回りになるので、いつ・どれだけ下げるかも調整が必要な
# ハイパーパラメータです。

# %% [markdown]
# ## 6.12 勾配クリッピングとウォームアップ
#
# ここまでの手法は、1 回の更新の大きさを「学習率 × 勾配 (を何かで割ったもの)」で決めていました。ところが学習の途中で、
# 勾配が急にとても大きくなったり、学習の始めに歩幅が大きすぎたりすると、たった 1 回の更新でパラメータが遠くへ飛ばされ、
# それまでの学習が台無しになることがあります。この節では、1 回の更新が大きくなりすぎるのを防ぐ 2 つの方法を実装します。
#
# ### 勾配クリッピング
#
# **勾配爆発** (exploding gradients): 回帰型ニューラルネットワーク (recurrent neural network, RNN) は、時刻ごとに同じ重み行列を
# 何度も掛けるので、逆伝播で勾配にもその行列 (と活性化関数の微分) が時刻の数だけ掛かります。その積がベクトルを引き伸ばす
# 向きを持つと (行列の最大の特異値が 1 より大きいことが、その必要条件です)、勾配は時刻の数について指数的に大きくなりえます。Pascanu, Mikolov & Bengio (2013) は、このとき損失の地形に「崖」(cliff) のような
# 急な壁ができ、壁に当たった 1 回の更新で、パラメータがそれまでの位置から大きく投げ出されることを示しました。勾配の **向き** は
# 役に立つ (崖を下る向き) けれども、**大きさ** が信用できない、という状況です。
#
# そこで、勾配の向きはそのままにして、大きさだけに上限を設けます。これが **勾配クリッピング (gradient clipping)** です。
# ネットワークのすべての勾配の配列 (`grads` の `'W1'`、`'b1'`、… の全要素) を 1 本の長いベクトルとみなし、その L2 ノルム
#
# $$
# \|\boldsymbol{g}\| = \sqrt{\sum_{\text{キー}} \sum_{i} g_i^2}
# $$
#
# (大域ノルム (global norm)) が上限 `max_norm` を超えていたら、**すべての配列を同じ倍率** $\text{max\_norm} / \|\boldsymbol{g}\|$ で縮めます。
# 上限以下なら何もしません。同じ倍率で縮めるので、長いベクトルの向きは変わらず、長さだけが `max_norm` になります。
#
# - 配列ごとに自分のノルムで縮める (キーごとのクリッピング) と、配列どうしの大きさの比が変わり、勾配全体の向きが変わってしまいます。
#   例えば `W` の勾配のノルムが 3、`b` の勾配のノルムが 4 なら、全体のノルムは $\sqrt{3^2 + 4^2} = 5$ です。上限が 4.5 なら、
#   1 つずつ見るとどちらも上限以下ですが、全体は上限を超えているので、両方を $4.5 / 5 = 0.9$ 倍します。
# - 要素ごとに $[-c, c]$ の範囲に切り詰める方法 (`np.clip`、PyTorch の `clip_grad_value_`) もありますが、これも向きを変えます。
#
# **この講座の決まり**: PyTorch の `torch.nn.utils.clip_grad_norm_(parameters, max_norm)` と同じく、倍率を
# $\text{clip\_coef} = \text{max\_norm} / (\|\boldsymbol{g}\| + 10^{-6})$ とし、これが 1 より小さいときだけ掛けます
# ($10^{-6}$ は 0 で割らないための小さな数です)。$10^{-6}$ を足さずに「$\|\boldsymbol{g}\| > \text{max\_norm}$ なら $\text{max\_norm} / \|\boldsymbol{g}\|$ 倍」
# と書いても正解です。2 つの書き方の差は相対 $10^{-6} / \|\boldsymbol{g}\|$ 以下で、テストは相対誤差 $10^{-5}$ まで許します
# (テストに使う勾配のノルムはどれも 1 以上です)。
# 戻り値は **クリッピングする前** のノルムです (PyTorch も同じです)。学習中にこの値を記録しておくと、勾配がいつ爆発したかがわかり、
# `max_norm` を選ぶ目安にもなります。勾配の配列は、6.1 節のパラメータと同じ理由で **その場で** 書き換えます
# (PyTorch の関数名の最後の `_` は「その場で書き換える」という意味です)。使う場所は、勾配を計算した後、`optimizer.update` の前です。
#
# ```python
# grads = network.gradient(x_batch, t_batch)
# clip_grads_by_norm(grads, max_norm=5.0)
# optimizer.update(network.params, grads)
# ```
#
# 次のセルの `run_clipping` は、あなたの `clip_grads_by_norm` を `grads` のコピーに対して呼び、戻り値、呼んだ後の配列、
# 配列をその場で書き換えたかを返します。公開テストと採点の両方がこの関数を使うので、**このセルは書き換えずに実行してください**。


# %%
def run_clipping(grads, max_norm):
    """``grads`` (配列の dict) の配列のコピーに対して clip_grads_by_norm を呼ぶ。

    戻り値 (returned, after, in_place): 呼び出しの戻り値、呼び出し後の dict の配列のコピー、
    dict が同じ配列オブジェクトを持ったままか (その場で縮めたか)。
    """
    grads = {key: np.array(value, dtype=np.float64) for key, value in grads.items()}
    originals = dict(grads)
    returned = clip_grads_by_norm(grads, max_norm)
    in_place = set(grads) == set(originals) and all(grads[key] is originals[key] for key in originals)
    after = {key: np.array(value, dtype=np.float64) for key, value in grads.items()}
    return returned, after, in_place


# %% [markdown]
# ### 演習 10: 大域ノルムによる勾配クリッピング


# %% [solution] id=clip_grads_by_norm
def clip_grads_by_norm(grads, max_norm):
    """勾配クリッピング: grads (キー → float の配列の辞書、形状は任意) の全要素を 1 本のベクトルとみなした
    L2 ノルム (全配列の全要素の 2 乗の和の平方根) を求め、倍率 max_norm / (ノルム + 1e-6) が 1 より小さければ、
    すべての配列をその場で (in place) その倍率倍する (辞書には同じ配列オブジェクトが残る)。1 以上なら何も変えない。
    1e-6 を足さずに、ノルムが max_norm を超えたら max_norm / ノルム 倍、と書いてもよい (差は相対 1e-6 / ノルム 以下)。

    戻り値: クリッピングする **前** のノルム (float)。
    max_norm が正の数でないときは ValueError を出す。
    """
    # ヒント: hint("clip_grads_by_norm")
    # @reference clip_grads_by_norm


# %% [tests] id=test_clip_grads_by_norm points=2 hidden=clip_grads_by_norm
def public_test_clip_grads_by_norm():
    """演習 10 の本体の公開テスト (規則のセルの前提としても使います)。"""
    # W の勾配のノルムは 3、b の勾配のノルムは 4、全体のノルムは √(3² + 4²) = 5。
    # 許容誤差は相対 1e-5 (1e-6 を足す書き方と足さない書き方の差は、ここでは相対 2e-7 程度)
    grads_example = {"W": np.array([[3.0, 0.0], [0.0, 0.0]]), "b": np.array([4.0])}
    per_key = "配列ごとに自分のノルムで縮めていませんか。ノルムは全部の配列をまとめた 1 つの値で、すべての配列を同じ倍率で縮めます。"
    in_place_runs = []  # 呼び出しごとに、grads の配列をその場で書き換えたか (最後の性質で使う)
    with Properties() as test:
        with test.property(
            "ノルムが max_norm を超えるとき、縮める前のノルムを返し、全部の配列を同じ倍率で縮める (max_norm = 1)"
        ):
            # max_norm = 1: 全体を 1/5 倍。W → [[0.6, 0], [0, 0]]、b → [0.8]。戻り値は前のノルム 5
            total, clipped, in_place = run_clipping(grads_example, 1.0)
            in_place_runs.append(in_place)
            check_scalar(
                total,
                5.0,
                "clip_grads_by_norm(grads_example, 1.0) の戻り値 (クリッピングする前のノルム)",
                rtol=1e-5,
                mistakes=[
                    (1.0, "クリッピングした後のノルムを返しています。戻り値は縮める前のノルムです。"),
                    (25.0, "2 乗の和の平方根を取っていません。ノルムは √(全要素の 2 乗の和) です。"),
                ],
            )
            check_array(
                clipped["W"],
                [[0.6, 0.0], [0.0, 0.0]],
                "max_norm = 1 で呼んだ後の grads['W']",
                rtol=1e-5,
                mistakes=[
                    ([[1.0, 0.0], [0.0, 0.0]], per_key),
                    (
                        [[3.0, 0.0], [0.0, 0.0]],
                        "grads の配列が変わっていません。g = g * 倍率 はローカル変数に新しい配列を入れるだけです。"
                        "grads[key] *= 倍率 のように、辞書の中の配列をその場で書き換えてください。",
                    ),
                ],
            )
            check_array(
                clipped["b"], [0.8], "max_norm = 1 で呼んだ後の grads['b']", rtol=1e-5, mistakes=[([1.0], per_key)]
            )
        with test.property(
            "どの配列も単独では max_norm 以下で全体のノルムが超えるとき、全体のノルムで縮める (max_norm = 4.5)"
        ):
            # max_norm = 4.5: W (3) も b (4) も 1 つずつなら 4.5 以下だが、全体の 5 が 4.5 を超えるので両方を 0.9 倍
            total, clipped, in_place = run_clipping(grads_example, 4.5)
            in_place_runs.append(in_place)
            check_scalar(total, 5.0, "clip_grads_by_norm(grads_example, 4.5) の戻り値", rtol=1e-5)
            check_array(
                clipped["W"],
                [[2.7, 0.0], [0.0, 0.0]],
                "max_norm = 4.5 で呼んだ後の grads['W']",
                rtol=1e-5,
                mistakes=[([[3.0, 0.0], [0.0, 0.0]], per_key)],
            )
            check_array(
                clipped["b"], [3.6], "max_norm = 4.5 で呼んだ後の grads['b']", rtol=1e-5, mistakes=[([4.0], per_key)]
            )
        with test.property("ノルムが max_norm 以下のとき、ノルムを返し、grads を変えない (max_norm = 10)"):
            # max_norm = 10: 全体のノルム 5 は上限以下なので何も変えない (戻り値は 5)
            total, clipped, in_place = run_clipping(grads_example, 10.0)
            in_place_runs.append(in_place)
            check_scalar(total, 5.0, "clip_grads_by_norm(grads_example, 10.0) の戻り値", rtol=1e-5)
            check_array(
                clipped["W"],
                [[3.0, 0.0], [0.0, 0.0]],
                "max_norm = 10 で呼んだ後の grads['W'] (上限以下なので変わらない)",
                rtol=1e-5,
                mistakes=[
                    (
                        [[6.0, 0.0], [0.0, 0.0]],
                        "ノルムが max_norm 以下のときまで max_norm / ノルム 倍しています。縮めるのは、ノルムが max_norm を超えたときだけです。",
                    )
                ],
            )
            check_array(clipped["b"], [4.0], "max_norm = 10 で呼んだ後の grads['b']", rtol=1e-5)
        values = list(test.verdicts)  # ここまでの 3 つの性質 (値)。最後の性質は、値が合格したときだけ数える
        with test.property("grads の配列をその場で (in place) 書き換える (上の 3 回の呼び出し)", needs=values):
            check_true(
                all(in_place_runs),
                "grads の配列をその場で (in place) 書き換えていません。grads[key] = grads[key] * 倍率 ではなく grads[key] *= 倍率 と書いてください。",
            )


public_test_clip_grads_by_norm()
print("公開テスト: OK")

# %% [markdown]
# 次のセルは、同じ演習の **規則** (rule) として、docstring にある入力の検査を確かめます (0.5 点。本体とは別に採点され、
# 規則を満たしていなくても本体の点は失いません)。正しい入力では例外を出さず、`max_norm` が正の数でないときは `ValueError` を出します。
# 規則は本体が正しく動くときに確かめます (本体の公開テストが通るまでは保留)。

# %% [tests] id=test_clip_grads_by_norm_rules points=0.5 hidden=clip_grads_by_norm_rules
if core_passes(public_test_clip_grads_by_norm):
    with Properties() as test:
        with test.property("正の max_norm では例外を出さない (max_norm = 1)"):
            clip_grads_by_norm({"W": np.ones((2, 2))}, 1.0)  # 正しい入力では例外を出さない
        for bad in (0.0, -1.0):
            with test.property(f"入力の検査 (max_norm = {bad:g} で ValueError)"):
                check_raises(
                    ValueError,
                    lambda bad=bad: clip_grads_by_norm({"W": np.ones((2, 2))}, bad),
                    f"max_norm = {bad:g} での clip_grads_by_norm",
                    "max_norm は正の数です。",
                )
    print("公開テスト: OK")

# %% [markdown]
# ### 学習率のウォームアップ
#
# 学習の始めは、重みが初期値のままで損失が大きく、勾配も学習の後半とは性質が違います。特に Adam では、6.7 節で見たとおり
# 1 回目の移動量は勾配の大きさによらずどの要素もほぼ $\eta$ で、$\boldsymbol{v}$ もまだ数回分の勾配からしか見積もられていません。
# 大きな学習率でいきなり動かすと、最初の数回で重みが初期値の大きさより大きく動き、ReLU の出力がほとんど 0 になるなどして、
# その後の学習が戻らなくなることがあります。
#
# **ウォームアップ (warm-up)** は、学習率を小さな値から始めて、最初の `warmup_steps` 回の更新で目標の $\eta_0$ まで直線的に上げる方法です。
# Goyal ら (2017) は、ImageNet の学習でミニバッチを 8192 枚まで大きくし、学習率もバッチサイズに比例して大きくしたとき、
# 学習の始め (ネットワークが急速に変わる時期) に最適化がうまくいかなくなることを報告し、最初の 5 エポックで学習率を徐々に上げる
# ウォームアップでこれを解決しました。
# 更新の回数 step を 0 から数えて
#
# $$
# \eta_{\text{step}} =
# \begin{cases}
# \eta_0 \cdot \dfrac{\text{step} + 1}{\text{warmup\_steps}} & (\text{step} < \text{warmup\_steps}) \\[1ex]
# \eta_0 & (\text{step} \geq \text{warmup\_steps})
# \end{cases}
# $$
#
# とします。最初の更新 (step = 0) の学習率は 0 ではなく $\eta_0 / \text{warmup\_steps}$ で、step = warmup_steps − 1 で $\eta_0$ に届きます。
# PyTorch では `torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / warmup_steps))` と同じで、
# `LinearLR(optimizer, start_factor=1 / warmup_steps, end_factor=1.0, total_iters=warmup_steps - 1)` とも同じ値になります
# (`scheduler.step()` を step 回呼んだ後の学習率)。$\text{step} / \text{warmup\_steps}$ と書く流儀もありますが、それだと最初の更新の
# 学習率が 0 になり、その 1 回がむだになります。この演習では上の式を使います。
#
# `warmup_lr` は渡された $\eta_0$ に係数を掛けるだけなので、6.11 節のスケジュールと組み合わせられます。例えば
# `warmup_lr(inverse_time_decay(lr0, step, k), step, warmup_steps)` は、最初に上げてから逆時間減衰で下げるスケジュールです。
#
# ### 演習 11: 線形のウォームアップ


# %% [solution] id=warmup_lr
def warmup_lr(lr0, step, warmup_steps):
    """線形のウォームアップ: step < warmup_steps なら lr0 · (step + 1) / warmup_steps、それ以降は lr0 を float で返す。

    lr0: ウォームアップの後の学習率。step: 0 から数えた更新の回数 (0 以上の整数)。warmup_steps: 1 以上の整数。
    """
    # ヒント: hint("warmup_lr")
    # @reference warmup_lr


# %% [tests] id=test_warmup_lr points=1.5 hidden=warmup_lr
def check_warmup_step(step, expected):
    """lr0 = 0.2、warmup_steps = 4 での warmup_lr(0.2, step, 4) を expected と比べる。"""
    check_scalar(
        warmup_lr(0.2, step, 4),
        expected,
        f"warmup_lr(0.2, {step}, 4)",
        mistakes=[
            (
                0.2 * step / 4,
                "step = 0 の学習率は 0 ではなく lr0 / warmup_steps です。係数は (step + 1) / warmup_steps です。",
            ),
            (0.2 * (step + 1) / 4, "warmup_steps 回を過ぎても学習率を上げ続けています。それ以降は lr0 のままです。"),
        ],
    )


with Properties() as test:
    with test.property("ウォームアップ中 (step < warmup_steps) の学習率 (warmup_steps = 4 と 1)"):
        # lr0 = 0.2、warmup_steps = 4: step 0, 1, 2, 3 で 0.2 の 1/4, 2/4, 3/4, 4/4
        for step, expected in [(0, 0.05), (1, 0.1), (2, 0.15), (3, 0.2)]:
            check_warmup_step(step, expected)
        # warmup_steps = 1 はウォームアップなし (step 0 から lr0)
        check_scalar(warmup_lr(0.3, 0, 1), 0.3, "warmup_lr(0.3, 0, 1)")
        # 逆時間減衰との組み合わせ: step 1 では 1 / (1 + 0.5) = 2/3 の 2/4 で 1/3
        check_scalar(
            warmup_lr(inverse_time_decay(1.0, 1, 0.5), 1, 4), 1 / 3, "warmup_lr(inverse_time_decay(1.0, 1, 0.5), 1, 4)"
        )
    with test.property("ウォームアップの後 (step >= warmup_steps) の学習率 (warmup_steps = 4 で step 4 と 100)"):
        # step 4 以降は 0.2 のまま
        for step in (4, 100):
            check_warmup_step(step, 0.2)
print("公開テスト: OK")

# %% [markdown]
# ### 実験: 大きすぎる学習率とクリッピング・ウォームアップ
#
# 6.10 節の digits の学習で、2 つの「うまくいかない設定」を作り、それぞれにこの節の方法を使います。どちらも 3 つのシードで
# 学習し、最後の 30 回のミニバッチの損失の平均と、テスト正解率の平均 ± 標準偏差を表示します。
#
# - **A**: Adam で学習率を大きすぎる $\eta = 0.3$ にする (6.10 節の設定は 0.003)。ウォームアップなしと、最初の 45 回 (1 エポック分の更新) の
#   ウォームアップありを比べます。比べるために、ちょうどよい学習率 $\eta = 0.01$ でも同じことをします。3 エポック学習します。
# - **B**: 入力の正規化を忘れて、画素の値を 0〜1 ではなく 0〜16 のまま使う。入力が 16 倍なので、第 1 層の重みの勾配も大きくなります。
#   SGD ($\eta = 0.1$、6.10 節で 0〜1 の入力ならうまくいった値) で、クリッピングなしと `max_norm` = 5 を比べます。2 エポック学習します。


# %%
def train_steps(optimizer, lr, inputs, epochs, seed, warmup_steps=1, max_norm=None):
    """TwoLayerNet(64, 50, 10) を ``inputs`` (digits の訓練画像。スケールを変えたものもある) で学習する。
    update の前に毎回 optimizer.lr = warmup_lr(lr, step, warmup_steps) とし、勾配を ``max_norm`` でクリッピングする
    (None ならしない)。戻り値: (最後の 30 ミニバッチの損失の平均, テストデータの正解率)。"""
    rng = np.random.default_rng(seed)
    network = TwoLayerNet(64, 50, 10, weight_init_std=0.1, rng=rng)
    losses, step = [], 0
    with np.errstate(all="ignore"):  # 発散するとオーバーフローすることがある (損失の値に表れる)
        for _ in range(epochs):
            order = rng.permutation(len(x_train))
            for start in range(0, len(x_train), 32):
                batch = order[start : start + 32]
                grads = network.gradient(inputs[batch], t_train[batch])
                if max_norm is not None:
                    clip_grads_by_norm(grads, max_norm)
                optimizer.lr = warmup_lr(lr, step, warmup_steps)
                optimizer.update(network.params, grads)
                losses.append(network.last_layer.loss)
                step += 1
        scale = inputs.max() / x_train.max()  # テスト画像も訓練画像と同じスケールにする
        accuracy = network.accuracy(x_test * scale, t_test)
    return float(np.mean(losses[-30:])), accuracy


experiments = [
    ("A: Adam η = 0.01、ウォームアップなし", Adam, 0.01, 1.0, 3, {}),
    ("A: Adam η = 0.01、ウォームアップ 45 回", Adam, 0.01, 1.0, 3, {"warmup_steps": 45}),
    ("A: Adam η = 0.3、ウォームアップなし", Adam, 0.3, 1.0, 3, {}),
    ("A: Adam η = 0.3、ウォームアップ 45 回", Adam, 0.3, 1.0, 3, {"warmup_steps": 45}),
    ("B: 入力 0〜16、SGD η = 0.1、クリッピングなし", SGD, 0.1, 16.0, 2, {}),
    ("B: 入力 0〜16、SGD η = 0.1、max_norm = 5", SGD, 0.1, 16.0, 2, {"max_norm": 5.0}),
]
for label, optimizer_class, lr, input_scale, epochs, options in experiments:
    results = np.array(
        [train_steps(optimizer_class(lr=lr), lr, x_train * input_scale, epochs, seed, **options) for seed in range(3)]
    )
    (loss_mean, acc_mean), (loss_std, acc_std) = results.mean(axis=0), results.std(axis=0)
    print(f"{label}: 損失 {loss_mean:.3f} ± {loss_std:.3f}、テスト正解率 {acc_mean:.3f} ± {acc_std:.3f}")

# %% [markdown]
# 表示された値 (3 つのシードの平均 ± 標準偏差) から読み取れることをまとめます。
#
# - **A**: $\eta = 0.3$ でウォームアップなしの Adam は、損失が約 2.0 (初期値 $\log 10 \approx 2.3$ に近い) で、正解率はシードによって
#   大きくばらつきます。45 回のウォームアップを入れると、損失は約 0.8、正解率は約 0.72 まで
#   よくなります。ただし、ちょうどよい学習率 $\eta = 0.01$ の結果 (損失約 0.19、正解率約 0.95) にはまったく届きません。ウォームアップは
#   学習の始めを守るだけで、大きすぎる学習率そのものを直すわけではありません。$\eta = 0.01$ では、ウォームアップの有無による差は
#   標準偏差と同じくらいの小さなものです。
#   2 つの設定の違いは最初の 45 回の学習率だけなので、$\eta = 0.3$ の失敗の大きな部分は、学習の始めの大きすぎる更新から来ていることがわかります。
# - **B**: 入力を正規化し忘れた SGD は、クリッピングなしでは損失約 1.7、正解率約 0.40 ですが、`max_norm` = 5 のクリッピングで
#   損失約 0.28、正解率約 0.86 まで学習できます。ただし根本的な対策は入力を正規化することで、クリッピングは、それでも時々起きる
#   大きな勾配に対する保険と考えるのがよいでしょう。
#
# どちらの方法も、ここでは 3 つのシードだけ、1 つの問題だけでの比較です。`max_norm` やウォームアップの長さも、学習率と同じく
# 問題ごとに調整するハイパーパラメータです。

# %% [markdown]
# ## 6.13 層ごとの学習率
#
# ここまでは、すべてのパラメータに同じ学習率を使ってきました。しかし、層によって学習率を変えたいこともあります。
#
# - **ファインチューニング** (fine-tuning): 別の大きなデータで学習済みのネットワークの、入力に近い層はすでに役に立つ特徴を作れるので
#   小さな学習率で少しだけ動かし、新しく付け替えた出力層は大きな学習率で学習させます。Howard と Ruder (2018) は、出力に近い層ほど
#   大きな学習率を使う方法 (discriminative fine-tuning) を提案しました。
# - 学習率を 0 にした層は動かないので、その層を **固定する** (freeze) ことになります。
#
# PyTorch では、パラメータを「パラメータグループ」(parameter group) に分けて、グループごとに学習率を渡します。
#
# ```python
# torch.optim.SGD([{"params": body.parameters(), "lr": 0.01}, {"params": head.parameters()}], lr=0.1)
# ```
#
# この章の `update(params, grads)` の形では、キーの名前 (`'W1'`、`'b1'`、…) で学習率を選べば同じことができます。次のセルの
# `LayerwiseSGD` は、`lr_by_prefix` に「キーの先頭の文字列 → 学習率」を渡し、どれにも当てはまらないキーには `lr` を使う SGD です
# (演習ではありません。読んで実行してください)。digits の `TwoLayerNet` で、1 層目 (`W1`、`b1`) の学習率だけを変えて 5 エポック
# 学習し、3 つのシードのテスト正解率と、1 層目の重みが初期値から動いた量 $\|\boldsymbol{W}_1 - \boldsymbol{W}_1^{\text{初期}}\|$ を比べます。
# 2 層目の学習率はどれも 0.1 です。


# %%
class LayerwiseSGD:
    """キーによって学習率が変わる SGD。lr_by_prefix はキーの先頭 ('W1'、'b' など) → 学習率。
    最初に一致した先頭の学習率を使い、どれにも一致しないキーは lr を使う。"""

    def __init__(self, lr=0.01, lr_by_prefix=None):
        self.lr = lr
        self.lr_by_prefix = dict(lr_by_prefix or {})

    def rate(self, key):
        for prefix, rate in self.lr_by_prefix.items():
            if key.startswith(prefix):
                return rate
        return self.lr

    def update(self, params, grads):
        for key in params:
            params[key] -= self.rate(key) * grads[key]


def train_layerwise(optimizer, epochs=5, seed=0):
    """TwoLayerNet(64, 50, 10) を digits で学習する。戻り値: (テストデータの正解率, W1 が初期値から動いた距離)。"""
    rng = np.random.default_rng(seed)
    network = TwoLayerNet(64, 50, 10, weight_init_std=0.1, rng=rng)
    W1_initial = network.params["W1"].copy()
    for _ in range(epochs):
        order = rng.permutation(len(x_train))
        for start in range(0, len(x_train), 32):
            batch = order[start : start + 32]
            optimizer.update(network.params, network.gradient(x_train[batch], t_train[batch]))
    return network.accuracy(x_test, t_test), float(np.linalg.norm(network.params["W1"] - W1_initial))


for label, first_layer_lr in [("1 層目も 0.1 (すべて同じ)", 0.1), ("1 層目は 0.01", 0.01), ("1 層目は 0 (固定)", 0.0)]:
    rates = {"W1": first_layer_lr, "b1": first_layer_lr}
    results = np.array([train_layerwise(LayerwiseSGD(lr=0.1, lr_by_prefix=rates), seed=seed) for seed in range(3)])
    print(
        f"{label}: テスト正解率 {results[:, 0].mean():.3f} ± {results[:, 0].std():.3f}、"
        f"W1 が動いた量 {results[:, 1].mean():.2f}"
    )

# %% [markdown]
# 1 層目を固定すると、1 層目は乱数で初期化したままの「ランダムな特徴」で、2 層目だけが学習します。それでも正解率は 0.5 を大きく超えますが、
# すべての層を学習させた場合には届きません。1 層目の学習率を 0.01 にすると、その中間です。ここでは 1 層目も最初から学習するのが
# いちばん良い設定です。1 層目を小さな学習率にするのが役に立つのは、1 層目がすでに良い特徴を作れる (学習済みの) ときです。

# %% [markdown]
# ## まとめ
#
# | 手法 | 状態 (キーごと) | 更新 | PyTorch |
# |---|---|---|---|
# | SGD | なし | $W \leftarrow W - \eta g$ | `SGD(lr)` |
# | Momentum | $v$ | $v \leftarrow \mu v - \eta g$、$W \leftarrow W + v$ | `SGD(lr, momentum)` |
# | Nesterov | $v$ | $v \leftarrow \mu v - \eta g$、$W \leftarrow W + \mu v - \eta g$ | `SGD(lr, momentum, nesterov=True)` |
# | AdaGrad | $h$ | $h \leftarrow h + g^2$、$W \leftarrow W - \eta g / (\sqrt{h} + \varepsilon)$ | `Adagrad(lr, eps)` |
# | RMSprop | $h$ | $h \leftarrow \rho h + (1 - \rho) g^2$、$W \leftarrow W - \eta g / (\sqrt{h} + \varepsilon)$ | `RMSprop(lr, alpha=ρ, eps)` |
# | Adadelta | $s, u$ | $\Delta = \sqrt{u + \varepsilon} / \sqrt{s + \varepsilon} \cdot g$、$W \leftarrow W - \eta \Delta$ | `Adadelta(lr, rho, eps)` |
# | Adam | $m, v$ と $t$ | $W \leftarrow W - \eta \hat{m} / (\sqrt{\hat{v}} + \varepsilon)$ | `Adam(lr, betas, eps)` |
# | AMSGrad | $m, v, v_{\max}$ と $t$ | $W \leftarrow W - \eta \hat{m} / (\sqrt{v_{\max} / (1 - \beta_2^t)} + \varepsilon)$ | `Adam(..., amsgrad=True)` |
#
# - どの手法も `update(params, grads)` で、`params` の配列を **その場で** 更新し、状態はパラメータのキーごとに持ちます。
# - SGD は、急な方向で学習率の上限が決まり、なだらかな方向で進む速さが決まるので、細長い谷で遅くなります。
# - Momentum は過去の勾配を指数的に重み付けして足し、一定の勾配に対しては実質的な学習率が $\eta / (1 - \mu)$ になります。
#   Nesterov は先の点の勾配を使う形を、変数の置き換えで「今の点の勾配」で書き直したものです (更新の順番に注意)。
# - AdaGrad は勾配の 2 乗の累積和で割るので、更新量が単調に小さくなります。RMSprop は指数移動平均で古い勾配を忘れ、これを防ぎます。
#   Adadelta は学習率の代わりに過去の更新量の大きさを使います ($\varepsilon$ は平方根の中)。
# - Adam は Momentum と RMSprop の組み合わせです。0 から始めた移動平均は初めに 0 の側に偏るので、$1 - \beta^t$ で割って補正します
#   ($t$ は 1 から)。補正すると 1 回目の移動量は勾配の大きさによらず $\eta$ です。AMSGrad は $v$ の最大値を使い、実質的な学習率が増えないようにします。
# - よくある書き誤り (RMSprop の分母で $g$ を 2 乗し忘れる、学習率の「減衰」を $t$ とともに大きくなる $\eta_0\, \alpha\, t$ と書く) に注意し、
#   論文と PyTorch の式に従いましょう。
# - 手法の比較は学習率に強く依存します。学習率のスケジュール (ステップ減衰、逆時間減衰) は、ノイズのある勾配で最後に損失を下げるのに役立ちます。
# - 勾配クリッピングは、すべての勾配をまとめた大域ノルムが `max_norm` を超えたときだけ、すべての配列を同じ倍率で縮めます (向きは変えない)。
#   ウォームアップは、最初の `warmup_steps` 回で学習率を $\eta_0 / \text{warmup\_steps}$ から $\eta_0$ まで直線的に上げます。
#   どちらも学習の壊れ方を防ぐ道具で、学習率や入力の正規化の代わりにはなりません。
# - 層ごとの学習率は、パラメータのキーごとに学習率を選ぶだけで実装できます (PyTorch のパラメータグループ)。学習率 0 の層は固定されます。

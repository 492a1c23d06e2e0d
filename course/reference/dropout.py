"""ドロップアウト (Srivastava et al. 2014) の 2 つの流儀 (第 8 章)。

PyTorch と同じ inverted dropout (方式 B: 学習時に 1/(1 − p) 倍し、推論時は何もしない) の ``Dropout`` と、
元の論文と教科書の方式 A (学習時は消すだけで、推論時に 1 − p 倍する) の ``DropoutScaleAtInference``。
"""

from __future__ import annotations

import numpy as np

from .layers import Affine, Relu
from .softmax_layers import SoftmaxWithLoss

__all__ = ["Dropout", "DropoutScaleAtInference", "DropoutTwoLayerNet"]


class Dropout:
    """Inverted dropout (方式 B): 学習時にユニットを消し、残したユニットを 1/(1 − p) 倍する。

    dropout_ratio: p。ユニットを **消す** 確率で、0 <= p < 1。
    rng: マスクを引く ``numpy.random.Generator``。None なら ``np.random.default_rng()`` (シードなし)。
    乱数はこれからだけ引く: forward 1 回のマスクは ``rng.random(x.shape) > dropout_ratio`` で、
    呼び出し 1 回につき 1 回だけ引くので、同じ s の ``np.random.default_rng(s)`` を渡した 2 つの
    レイヤは、呼び出しごとに同じマスクを作る。
    forward(x, train_flg=True): x は任意の形状。学習時は x ⊙ mask / (1 − p) を返し、マスクを保存する。
    推論時 (train_flg=False) は x をそのまま返す。E[mask/(1 − p)] = 1 なので期待値はすでにそろっている。
    (もう 1 つの流儀 (方式 A、``DropoutScaleAtInference``) は、学習時にスケールせず推論時に 1 − p 倍する。)
    backward(dout): 最後の forward のマスクで dout ⊙ mask / (1 − p) を返す。
    """

    def __init__(self, dropout_ratio: float = 0.5, rng: np.random.Generator | None = None) -> None:
        if not 0 <= dropout_ratio < 1:
            raise ValueError(f"dropout_ratio は 0 以上 1 未満にしてください ({dropout_ratio} が渡されました)")
        self.dropout_ratio = dropout_ratio
        self.rng = rng if rng is not None else np.random.default_rng()
        self.mask: np.ndarray | None = None

    def forward(self, x: np.ndarray, train_flg: bool = True) -> np.ndarray:
        if not train_flg:
            return x
        self.mask = self.rng.random(x.shape) > self.dropout_ratio
        return x * self.mask / (1.0 - self.dropout_ratio)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * self.mask / (1.0 - self.dropout_ratio)  # 順伝播と同じマスク・同じスケール


class DropoutScaleAtInference:
    """方式 A (元の論文と『ゼロから作るDeep Learning』の流儀) のドロップアウト。

    dropout_ratio: p。ユニットを **消す** 確率で、0 <= p < 1 (範囲は検査しない)。
    rng: マスクを引く ``numpy.random.Generator``。None なら ``np.random.default_rng()`` (シードなし)。
    forward(x, train_flg=True): x は任意の形状。学習時は確率 1 − p で残すマスクを引いて保存し、
    x ⊙ mask を返す (スケールしない)。推論時 (train_flg=False) は (1 − p)·x を返す (乱数は引かない)。
    E[mask] = 1 − p なので、学習時の出力の期待値は推論時の出力に等しい。
    backward(dout): 最後の学習時の forward のマスクで dout ⊙ mask を返す。
    """

    def __init__(self, dropout_ratio: float = 0.5, rng: np.random.Generator | None = None) -> None:
        self.dropout_ratio = dropout_ratio
        self.rng = rng if rng is not None else np.random.default_rng()
        self.mask: np.ndarray | None = None

    def forward(self, x: np.ndarray, train_flg: bool = True) -> np.ndarray:
        if not train_flg:
            return x * (1.0 - self.dropout_ratio)
        self.mask = self.rng.random(x.shape) > self.dropout_ratio
        return x * self.mask

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * self.mask  # 順伝播と同じマスク (スケールはない)


class DropoutTwoLayerNet:
    """Affine → ReLU → Dropout → Affine → Softmax-with-Loss の 2 層ネットワーク。パラメータは引数で受け取る (第 8 章)。

    params: 'W1' (D, H)、'b1' (H,)、'W2' (H, C)、'b2' (C,) の辞書。``self.params`` として保持する
    (同じ配列を Affine レイヤが使う)。dropout_ratio: Dropout レイヤの p。
    seed: Dropout レイヤは ``np.random.default_rng(seed)`` からマスクを引く。ほかには誰もそこから引かないので、
    同じ seed で作った 2 つのネットワークは、呼び出しごとに同じマスクを引く。
    predict(x, train_flg=False): x (N, D) → スコア (N, C)。train_flg は Dropout レイヤに渡す
    (学習時: 呼び出しごとに新しいマスク。推論時: マスクなし)。
    loss(x, t, train_flg=False): predict(x, train_flg) の交差エントロピーの平均。t はラベル (N,)。
    gradient(x, t): 学習時の順伝播を 1 回 (新しいマスク) 行い、同じレイヤを逆にたどる。
    Dropout レイヤの backward はその順伝播のマスクを使う。params と同じキーで、同じ形状の配列の辞書を返す。
    """

    def __init__(self, params: dict[str, np.ndarray], dropout_ratio: float = 0.5, seed: int | None = None) -> None:
        self.params = params
        self.affine1 = Affine(params["W1"], params["b1"])
        self.relu = Relu()
        mask_rng = np.random.default_rng(seed)  # 引くのは Dropout レイヤだけ
        self.dropout = Dropout(dropout_ratio, rng=mask_rng)
        self.affine2 = Affine(params["W2"], params["b2"])
        self.last_layer = SoftmaxWithLoss()

    def predict(self, x: np.ndarray, train_flg: bool = False) -> np.ndarray:
        hidden = self.relu.forward(self.affine1.forward(x))
        return self.affine2.forward(self.dropout.forward(hidden, train_flg))  # フラグを受け取るのは Dropout だけ

    def loss(self, x: np.ndarray, t: np.ndarray, train_flg: bool = False) -> float:
        return self.last_layer.forward(self.predict(x, train_flg), t)

    def gradient(self, x: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
        self.loss(x, t, train_flg=True)  # 学習時の順伝播がマスクを引き、backward がそれを使う
        dhidden = self.dropout.backward(self.affine2.backward(self.last_layer.backward(1.0)))
        self.affine1.backward(self.relu.backward(dhidden))
        return {"W1": self.affine1.dW, "b1": self.affine1.db, "W2": self.affine2.dW, "b2": self.affine2.db}

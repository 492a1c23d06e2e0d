"""Networks assembled from the layers (chapters 5 and 10).

Parameters live in ``net.params``, a dict of arrays with the textbook's keys:
'W1', 'b1', …, 'W{L}', 'b{L}' and, with batch norm, 'gamma1', 'beta1', ….
``net.gradient(x, t)`` returns a dict with the same keys. Weight decay (L2) is
applied to the weights 'W…' only, never to biases or batch-norm parameters.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from .batchnorm import BatchNormalization
from .dropout import Dropout
from .initialization import he_std, xavier_std
from .layers import Affine, Relu, Sigmoid
from .numerical import numerical_gradient
from .regularization import l2_penalty, l2_penalty_grad
from .softmax_layers import SoftmaxWithLoss

__all__ = ["TwoLayerNet", "MultiLayerNet", "MultiLayerNetExtend"]


def _accuracy(scores: np.ndarray, t: np.ndarray) -> float:
    """argmax がラベルと一致する行の割合 (t: ラベル (N,) または one-hot 表現 (N, C))。"""
    labels = t.argmax(axis=1) if t.ndim != 1 else t
    return float(np.mean(scores.argmax(axis=1) == labels))


class TwoLayerNet:
    """Affine → ReLU → Affine → Softmax-with-Loss の 2 層ネットワーク。

    input_size D、hidden_size H、output_size C。W1 (D, H) と W2 (H, C) は ``rng``
    (None なら ``np.random.default_rng()``) で N(0, weight_init_std²) から引き、
    b1 (H,) と b2 (C,) は 0 から始める。
    predict(x): x (N, D) → スコア (N, C)。loss(x, t): 交差エントロピー誤差の平均。
    gradient(x, t): 誤差逆伝播法による勾配。numerical_gradient(x, t): 中心差分による勾配
    (遅いので確認用)。t: ラベル (N,) または one-hot 表現 (N, C)。
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        output_size: int,
        weight_init_std: float = 0.01,
        rng: np.random.Generator | None = None,
    ) -> None:
        rng = rng if rng is not None else np.random.default_rng()
        self.params = {
            "W1": weight_init_std * rng.standard_normal((input_size, hidden_size)),
            "b1": np.zeros(hidden_size),
            "W2": weight_init_std * rng.standard_normal((hidden_size, output_size)),
            "b2": np.zeros(output_size),
        }
        self.layers = OrderedDict(
            Affine1=Affine(self.params["W1"], self.params["b1"]),
            Relu1=Relu(),
            Affine2=Affine(self.params["W2"], self.params["b2"]),
        )
        self.last_layer = SoftmaxWithLoss()

    def predict(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x: np.ndarray, t: np.ndarray) -> float:
        return self.last_layer.forward(self.predict(x), t)

    def accuracy(self, x: np.ndarray, t: np.ndarray) -> float:
        return _accuracy(self.predict(x), t)

    def numerical_gradient(self, x: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
        def loss_w(_: np.ndarray) -> float:
            return self.loss(x, t)

        return {key: numerical_gradient(loss_w, self.params[key]) for key in ("W1", "b1", "W2", "b2")}

    def gradient(self, x: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
        self.loss(x, t)
        dout = self.last_layer.backward(1.0)
        for layer in reversed(self.layers.values()):
            dout = layer.backward(dout)
        a1, a2 = self.layers["Affine1"], self.layers["Affine2"]
        return {"W1": a1.dW, "b1": a1.db, "W2": a2.dW, "b2": a2.db}


class MultiLayerNetExtend:
    """Fully connected network with optional batch norm and dropout.

    Layers, for each hidden size h in ``hidden_size_list``:
    Affine → [BatchNorm] → activation → [Dropout]; then a final Affine and
    Softmax-with-loss.
    activation: 'relu' or 'sigmoid'. weight_init_std: 'relu'/'he' (√(2/n_in)),
    'sigmoid'/'xavier' (1/√n_in) or a float σ. weight_decay_lambda: λ of the L2
    term (λ/2)ΣW² added to the loss (weights only). use_dropout, dropout_ratio:
    inverted dropout after each hidden activation. use_batchnorm: BatchNorm before
    each hidden activation, with gamma = 1, beta = 0 initially (keys 'gamma{i}',
    'beta{i}'). rng: draws the weights and the dropout masks (None: unseeded).
    predict(x, train_flg=False) → scores (N, C); loss(x, t, train_flg=False);
    gradient(x, t) runs in training mode (batch statistics, dropout on).
    """

    def __init__(
        self,
        input_size: int,
        hidden_size_list: list[int],
        output_size: int,
        activation: str = "relu",
        weight_init_std: str | float = "relu",
        weight_decay_lambda: float = 0.0,
        use_dropout: bool = False,
        dropout_ratio: float = 0.5,
        use_batchnorm: bool = False,
        rng: np.random.Generator | None = None,
    ) -> None:
        if activation not in ("relu", "sigmoid"):
            raise ValueError(f"activation は 'relu' か 'sigmoid' にしてください ({activation!r} が渡されました)")
        rng = rng if rng is not None else np.random.default_rng()
        self.hidden_layer_num = len(hidden_size_list)
        self.weight_decay_lambda = weight_decay_lambda
        self.use_batchnorm = use_batchnorm
        sizes = [input_size, *hidden_size_list, output_size]
        self.params: dict[str, np.ndarray] = {}
        for i in range(1, len(sizes)):
            std = self._init_std(weight_init_std, sizes[i - 1])
            self.params[f"W{i}"] = std * rng.standard_normal((sizes[i - 1], sizes[i]))
            self.params[f"b{i}"] = np.zeros(sizes[i])

        self.layers: OrderedDict[str, object] = OrderedDict()
        for i in range(1, self.hidden_layer_num + 1):
            self.layers[f"Affine{i}"] = Affine(self.params[f"W{i}"], self.params[f"b{i}"])
            if use_batchnorm:
                self.params[f"gamma{i}"] = np.ones(sizes[i])
                self.params[f"beta{i}"] = np.zeros(sizes[i])
                self.layers[f"BatchNorm{i}"] = BatchNormalization(self.params[f"gamma{i}"], self.params[f"beta{i}"])
            self.layers[f"Activation{i}"] = Relu() if activation == "relu" else Sigmoid()
            if use_dropout:
                self.layers[f"Dropout{i}"] = Dropout(dropout_ratio, rng=rng)
        last = self.hidden_layer_num + 1
        self.layers[f"Affine{last}"] = Affine(self.params[f"W{last}"], self.params[f"b{last}"])
        self.last_layer = SoftmaxWithLoss()

    @staticmethod
    def _init_std(weight_init_std: str | float, n_in: int) -> float:
        if isinstance(weight_init_std, str):
            name = weight_init_std.lower()
            if name in ("relu", "he"):
                return he_std(n_in)
            if name in ("sigmoid", "xavier"):
                return xavier_std(n_in)
            raise ValueError(
                f"weight_init_std に {weight_init_std!r} は使えません。'relu'、'sigmoid' か数値にしてください"
            )
        return float(weight_init_std)

    def predict(self, x: np.ndarray, train_flg: bool = False) -> np.ndarray:
        for layer in self.layers.values():
            if isinstance(layer, (BatchNormalization, Dropout)):
                x = layer.forward(x, train_flg)
            else:
                x = layer.forward(x)
        return x

    def loss(self, x: np.ndarray, t: np.ndarray, train_flg: bool = False) -> float:
        scores = self.predict(x, train_flg)
        return self.last_layer.forward(scores, t) + l2_penalty(self.params, self.weight_decay_lambda)

    def accuracy(self, x: np.ndarray, t: np.ndarray) -> float:
        return _accuracy(self.predict(x, train_flg=False), t)

    def numerical_gradient(self, x: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
        """Central differences of the training-mode loss (use without dropout: masks would change)."""

        def loss_w(_: np.ndarray) -> float:
            return self.loss(x, t, train_flg=True)

        return {key: numerical_gradient(loss_w, value) for key, value in self.params.items()}

    def gradient(self, x: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
        self.loss(x, t, train_flg=True)
        dout = self.last_layer.backward(1.0)
        for layer in reversed(self.layers.values()):
            dout = layer.backward(dout)
        decay = l2_penalty_grad(self.params, self.weight_decay_lambda)
        grads: dict[str, np.ndarray] = {}
        for i in range(1, self.hidden_layer_num + 2):
            affine = self.layers[f"Affine{i}"]
            grads[f"W{i}"] = affine.dW + decay[f"W{i}"]
            grads[f"b{i}"] = affine.db
            if self.use_batchnorm and i <= self.hidden_layer_num:
                grads[f"gamma{i}"] = self.layers[f"BatchNorm{i}"].dgamma
                grads[f"beta{i}"] = self.layers[f"BatchNorm{i}"].dbeta
        return grads


class MultiLayerNet(MultiLayerNetExtend):
    """:class:`MultiLayerNetExtend` without dropout and batch norm (the textbook's MultiLayerNet)."""

    def __init__(
        self,
        input_size: int,
        hidden_size_list: list[int],
        output_size: int,
        activation: str = "relu",
        weight_init_std: str | float = "relu",
        weight_decay_lambda: float = 0.0,
        rng: np.random.Generator | None = None,
    ) -> None:
        super().__init__(
            input_size, hidden_size_list, output_size, activation, weight_init_std, weight_decay_lambda, rng=rng
        )

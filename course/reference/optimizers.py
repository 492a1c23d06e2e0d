"""Gradient-based optimizers (reference solutions).

Every optimizer follows the interface of 『ゼロから作るDeep Learning』 §6.1::

    optimizer.update(params, grads)

* ``params`` and ``grads`` are ``dict[str, np.ndarray]`` with the same keys;
  ``grads[key]`` has the same shape as ``params[key]`` (any shape, e.g. a
  weight matrix of shape (n_in, n_out) or a bias of shape (n_out,)).
* ``update`` modifies every array of ``params`` IN PLACE (``params[key] -= ...``):
  the same array objects are changed, the dict is never rebound to new arrays,
  so a network holding references to its parameter arrays sees the update.
  ``grads`` is only read.
* Per-parameter state (velocity, accumulated squares, moments, ...) is kept in
  dicts keyed like ``params``. The state of a key is created lazily, on the
  first call that sees the key, as zeros with the shape and dtype of the
  parameter (``np.zeros_like``), and is kept across calls.
* The dtype of the parameters is preserved (float32 stays float32).
* Hyper-parameters are plain floats and stay constant: there is no built-in
  learning-rate schedule (change ``optimizer.lr`` between calls to schedule).

Each class states the PyTorch call it reproduces; the test-suite checks the
parameter trajectories against ``torch.optim`` in float64.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "SGD",
    "Momentum",
    "Nesterov",
    "AdaGrad",
    "RMSprop",
    "Adadelta",
    "Adam",
    "AMSGrad",
    "AdamW",
    "OPTIMIZERS",
]

Params = dict[str, np.ndarray]


def _check_non_negative(name: str, value: float) -> float:
    value = float(value)
    if not value >= 0.0:  # NaN もここで弾く
        raise ValueError(f"{name} は 0 以上にしてください ({value} が渡されました)")
    return value


def _check_unit_interval(name: str, value: float) -> float:
    value = float(value)
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name} は 0 以上 1 未満にしてください ({value} が渡されました)")
    return value


class SGD:
    """確率的勾配降下法 (SGD): ``w <- w - lr * g``。

    状態は持たない。``torch.optim.SGD(params, lr=lr)`` と等しい。

    引数:
        lr: 学習率 (既定値 0.01)。
    """

    def __init__(self, lr: float = 0.01) -> None:
        self.lr = _check_non_negative("lr", lr)

    def update(self, params: Params, grads: Params) -> None:
        """``params`` の各配列をその場で (in place) 更新する。"""
        for key in params:
            params[key] -= self.lr * grads[key]  # w <- w - lr*g


class Momentum:
    """(heavy-ball 型の) モーメンタム付き SGD。教科書の流儀。

    ``v <- momentum * v - lr * g``;  ``w <- w + v``。

    ``v`` (「速度」、``self.v[key]``、最初の呼び出しで 0) はすでに学習率を含む。
    ``lr`` が一定なら ``torch.optim.SGD(lr=lr, momentum=momentum, dampening=0)`` と等しい。
    torch のバッファは ``b <- momentum*b + g``, ``w <- w - lr*b`` で、``v = -lr*b`` の関係に
    ある (2 つの流儀が違うのは、ステップの間で ``lr`` が変わるときだけ)。

    引数:
        lr: 学習率 (既定値 0.01)。
        momentum: モーメンタムの係数 mu、[0, 1) の値 (既定値 0.9)。
    """

    def __init__(self, lr: float = 0.01, momentum: float = 0.9) -> None:
        self.lr = _check_non_negative("lr", lr)
        self.momentum = _check_unit_interval("momentum", momentum)
        self.v: Params = {}

    def update(self, params: Params, grads: Params) -> None:
        """``params`` の各配列をその場で (in place) 更新する。"""
        for key in params:
            if key not in self.v:
                self.v[key] = np.zeros_like(params[key])
            v = self.v[key]
            v *= self.momentum
            v -= self.lr * grads[key]  # v <- mu*v - lr*g
            params[key] += v  # w <- w + v


class Nesterov:
    """Nesterov の加速勾配法 (Sutskever et al. 2013 の形)。

    ``v <- momentum * v - lr * g``;  ``w <- w + momentum * v - lr * g``
    (「新しい」 ``v`` を使う)。``g`` は現在の ``w`` での勾配。

    ``lr`` が一定なら ``torch.optim.SGD(lr=lr, momentum=momentum, dampening=0, nesterov=True)``
    と等しい: torch のバッファは ``b = -v/lr``、ステップは ``w <- w - lr*(g + momentum*b)``。
    教科書の刷によっては ``w`` と ``v`` を別の順序で更新しており、それは同じアルゴリズムでは
    「ない」。このクラスは PyTorch に合わせている。

    引数:
        lr: 学習率 (既定値 0.01)。
        momentum: モーメンタムの係数 mu、[0, 1) の値 (既定値 0.9)。
    """

    def __init__(self, lr: float = 0.01, momentum: float = 0.9) -> None:
        self.lr = _check_non_negative("lr", lr)
        self.momentum = _check_unit_interval("momentum", momentum)
        self.v: Params = {}

    def update(self, params: Params, grads: Params) -> None:
        """``params`` の各配列をその場で (in place) 更新する。"""
        for key in params:
            if key not in self.v:
                self.v[key] = np.zeros_like(params[key])
            g = grads[key]
            v = self.v[key]
            v *= self.momentum
            v -= self.lr * g  # v <- mu*v - lr*g
            params[key] += self.momentum * v - self.lr * g  # w <- w + mu*v - lr*g


class AdaGrad:
    """AdaGrad (Duchi et al. 2011)。

    ``h <- h + g**2``;  ``w <- w - lr * g / (sqrt(h) + eps)``。

    ``eps`` は平方根の「外」に足す (1e-7 を使う教科書と同じ、PyTorch とも同じ)。
    ``h`` (``self.h[key]``) は 0 から始める。
    ``torch.optim.Adagrad(lr=lr, eps=eps, lr_decay=0, initial_accumulator_value=0)`` と
    等しい。ただし torch の eps の既定値は 1e-10。

    引数:
        lr: 学習率 (既定値 0.01)。
        eps: sqrt(h) に足す値 (既定値 1e-7)。
    """

    def __init__(self, lr: float = 0.01, eps: float = 1e-7) -> None:
        self.lr = _check_non_negative("lr", lr)
        self.eps = _check_non_negative("eps", eps)
        self.h: Params = {}

    def update(self, params: Params, grads: Params) -> None:
        """``params`` の各配列をその場で (in place) 更新する。"""
        for key in params:
            if key not in self.h:
                self.h[key] = np.zeros_like(params[key])
            g = grads[key]
            h = self.h[key]
            h += g * g  # h <- h + g^2
            params[key] -= self.lr * g / (np.sqrt(h) + self.eps)  # w <- w - lr*g/(sqrt(h)+eps)


class RMSprop:
    """RMSprop (Tieleman & Hinton 2012)。

    ``h <- decay_rate * h + (1 - decay_rate) * g**2``;
    ``w <- w - lr * g / (sqrt(h) + eps)``。

    ``h`` は 0 から始める (バイアス補正はしない)。``eps`` は平方根の外。
    ``torch.optim.RMSprop(lr=lr, alpha=decay_rate, eps=eps, centered=False, momentum=0)``
    と等しい。torch の eps の既定値は 1e-8。

    引数:
        lr: 学習率 (既定値 0.01)。
        decay_rate: g**2 の移動平均の減衰率 rho、[0, 1) の値 (既定値 0.99)。
        eps: sqrt(h) に足す値 (既定値 1e-7)。
    """

    def __init__(self, lr: float = 0.01, decay_rate: float = 0.99, eps: float = 1e-7) -> None:
        self.lr = _check_non_negative("lr", lr)
        self.decay_rate = _check_unit_interval("decay_rate", decay_rate)
        self.eps = _check_non_negative("eps", eps)
        self.h: Params = {}

    def update(self, params: Params, grads: Params) -> None:
        """``params`` の各配列をその場で (in place) 更新する。"""
        rho = self.decay_rate
        for key in params:
            if key not in self.h:
                self.h[key] = np.zeros_like(params[key])
            g = grads[key]
            h = self.h[key]
            h *= rho
            h += (1.0 - rho) * g * g  # h <- rho*h + (1-rho)*g^2
            params[key] -= self.lr * g / (np.sqrt(h) + self.eps)  # w <- w - lr*g/(sqrt(h)+eps)


class Adadelta:
    """Adadelta (Zeiler 2012)。``torch.optim.Adadelta`` とまったく同じ。

    ``s <- rho*s + (1-rho)*g**2``;
    ``delta = sqrt(u + eps) / sqrt(s + eps) * g``;
    ``u <- rho*u + (1-rho)*delta**2``;
    ``w <- w - lr * delta``。

    ``s`` (``self.s[key]``、g**2 の移動平均) と ``u`` (``self.u[key]``、更新量の 2 乗の
    移動平均) は 0 から始める。``eps`` は 2 つの平方根の「中」に足す。Zeiler の論文に
    学習率はない (lr = 1.0、既定値)。torch の ``lr`` は更新量を拡大縮小するが、``u`` に
    ためる ``delta`` には掛からない。``torch.optim.Adadelta(lr=lr, rho=rho, eps=eps)`` と等しい。

    引数:
        lr: 更新量に掛ける係数 (既定値 1.0)。
        rho: 2 つの移動平均の減衰率、[0, 1) の値 (既定値 0.95)。
        eps: 2 つの平方根の中に足す値 (既定値 1e-6)。
    """

    def __init__(self, lr: float = 1.0, rho: float = 0.95, eps: float = 1e-6) -> None:
        self.lr = _check_non_negative("lr", lr)
        self.rho = _check_unit_interval("rho", rho)
        self.eps = _check_non_negative("eps", eps)
        self.s: Params = {}
        self.u: Params = {}

    def update(self, params: Params, grads: Params) -> None:
        """``params`` の各配列をその場で (in place) 更新する。"""
        rho, eps = self.rho, self.eps
        for key in params:
            if key not in self.s:
                self.s[key] = np.zeros_like(params[key])
                self.u[key] = np.zeros_like(params[key])
            g = grads[key]
            s, u = self.s[key], self.u[key]
            s *= rho
            s += (1.0 - rho) * g * g  # s <- rho*s + (1-rho)*g^2
            delta = np.sqrt(u + eps) / np.sqrt(s + eps) * g  # delta = sqrt(u+eps)/sqrt(s+eps)*g
            u *= rho
            u += (1.0 - rho) * delta * delta  # u <- rho*u + (1-rho)*delta^2
            params[key] -= self.lr * delta  # w <- w - lr*delta


class Adam:
    """バイアス補正付きの Adam (Kingma & Ba 2015)。``torch.optim.Adam`` と同じ。

    ステップ数 ``t`` (最初の更新で 1) を使って::

        m <- beta1*m + (1-beta1)*g
        v <- beta2*v + (1-beta2)*g**2
        m_hat = m / (1 - beta1**t),  v_hat = v / (1 - beta2**t)
        w <- w - lr * m_hat / (sqrt(v_hat) + eps)

    ``eps`` は平方根の「外」で、論文や PyTorch と同じく (バイアス補正後の値の)
    sqrt(v_hat) に足す。教科書は補正を ``lr_t = lr*sqrt(1-beta2**t)/(1-beta1**t)`` に
    まとめ、eps を補正前の sqrt(v) に足す。eps が無視できれば両者は一致する。

    状態: ``self.m[key]`` と ``self.v[key]`` (キーを初めて見たときに 0)、そして
    オプティマイザごとに「1 つ」のカウンタ ``self.t`` (別名 ``self.iter``)。t は 0 から
    始まり、``update`` を呼ぶたびに、更新の前に 1 回だけ増える。

    バイアス補正の理由: m と v は 0 から始まるので、初めのうちは (1-beta1**t) と
    (1-beta2**t) の因子だけ 0 の側に偏る。補正すると最初のステップは
    ``lr * g/(|g| + eps)``、つまり g の大きさによらず lr 程度の大きさになる。

    引数:
        lr: 学習率 (既定値 0.001)。
        beta1: 1 次モーメントの減衰率、[0, 1) の値 (既定値 0.9)。
        beta2: 2 次モーメントの減衰率、[0, 1) の値 (既定値 0.999)。
        eps: sqrt(v_hat) に足す値 (既定値 1e-8)。
    """

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        self.lr = _check_non_negative("lr", lr)
        self.beta1 = _check_unit_interval("beta1", beta1)
        self.beta2 = _check_unit_interval("beta2", beta2)
        self.eps = _check_non_negative("eps", eps)
        self.t = 0
        self.m: Params = {}
        self.v: Params = {}

    @property
    def iter(self) -> int:
        """これまでに ``update`` を呼んだ回数 (教科書での ``t`` の名前)。"""
        return self.t

    def _moments(self, key: str, param: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``key`` の補正前のモーメント m, v を更新して返す。"""
        if key not in self.m:
            self.m[key] = np.zeros_like(param)
            self.v[key] = np.zeros_like(param)
        m, v = self.m[key], self.v[key]
        m *= self.beta1
        m += (1.0 - self.beta1) * g  # m <- b1*m + (1-b1)*g
        v *= self.beta2
        v += (1.0 - self.beta2) * g * g  # v <- b2*v + (1-b2)*g^2
        return m, v

    def update(self, params: Params, grads: Params) -> None:
        """``params`` の各配列をその場で更新する (``t`` を 1 回だけ増やす)。"""
        self.t += 1
        bc1 = 1.0 - self.beta1**self.t
        bc2 = 1.0 - self.beta2**self.t
        for key in params:
            m, v = self._moments(key, params[key], grads[key])
            m_hat = m / bc1
            v_hat = v / bc2
            # w <- w - lr * m_hat / (sqrt(v_hat) + eps)
            params[key] -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class AMSGrad(Adam):
    """AMSGrad。``torch.optim.Adam(amsgrad=True)`` と同じ。

    Adam の m と v (更新式もカウンタ ``t`` も :class:`Adam` と同じ) に加えて、
    ``v_max <- max(v_max, v)`` (要素ごと、``self.v_max[key]``、最初は 0) を保ち::

        w <- w - lr * m_hat / (sqrt(v_max / (1 - beta2**t)) + eps)

    と更新する。ここで ``m_hat = m/(1 - beta1**t)``。Reddi et al. (2018) の AMSGrad は
    バイアス補正を「しない」(v_max も補正前の v からとる)。ここでは PyTorch に合わせ、
    補正前の v の最大値を保ってから Adam のバイアス補正をかける。

    引数: :class:`Adam` と同じ。
    """

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        super().__init__(lr=lr, beta1=beta1, beta2=beta2, eps=eps)
        self.v_max: Params = {}

    def update(self, params: Params, grads: Params) -> None:
        """``params`` の各配列をその場で更新する (``t`` を 1 回だけ増やす)。"""
        self.t += 1
        bc1 = 1.0 - self.beta1**self.t
        bc2 = 1.0 - self.beta2**self.t
        for key in params:
            m, v = self._moments(key, params[key], grads[key])
            if key not in self.v_max:
                self.v_max[key] = np.zeros_like(params[key])
            v_max = self.v_max[key]
            np.maximum(v_max, v, out=v_max)  # v_max <- max(v_max, v)
            m_hat = m / bc1
            # w <- w - lr * m_hat / (sqrt(v_max / (1 - b2^t)) + eps)
            params[key] -= self.lr * m_hat / (np.sqrt(v_max / bc2) + self.eps)


class AdamW(Adam):
    """AdamW (Loshchilov & Hutter 2019): 荷重減衰 (weight decay) を「切り離した」Adam。

    更新のたびに、まず重みを縮め、それから元の勾配で普通の Adam のステップを進める
    (状態もカウンタ ``t`` も :class:`Adam` と同じ)::

        w <- w - lr * weight_decay * w
        w <- w - lr * m_hat / (sqrt(v_hat) + eps)     # m, v は g だけから作る

    減衰は m にも v にも入らない。
    ``torch.optim.AdamW(lr=lr, betas=(beta1, beta2), eps=eps, weight_decay=weight_decay)``
    と等しい。torch と同じく減衰に ``lr`` を掛ける (論文はスケジュールの係数 eta_t だけを掛ける)。

    渡された配列は「すべて」減衰させる。バイアスやバッチ正規化のパラメータも含む。
    除きたいときは ``weight_decay=0`` の 2 つ目のオプティマイザに渡す
    (torch のパラメータグループがしているのはこれ)。

    Adam + L2 と違う理由: g に ``weight_decay * w`` を足す (L2 正則化付きの Adam) と、
    減衰が m と v を通るので、各重みの実際の減衰が 1/sqrt(v_hat) 倍に変わる。勾配の
    大きい重みはほとんど正則化されない。AdamW はどの重みにも同じ割合 ``lr*weight_decay``
    の縮小をかける。

    引数:
        lr, beta1, beta2, eps: :class:`Adam` と同じ。
        weight_decay: 切り離した減衰の係数 lambda >= 0 (既定値 0.01)。
    """

    def __init__(
        self,
        lr: float = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        weight_decay: float = 0.01,
    ) -> None:
        super().__init__(lr=lr, beta1=beta1, beta2=beta2, eps=eps)
        self.weight_decay = _check_non_negative("weight_decay", weight_decay)

    def update(self, params: Params, grads: Params) -> None:
        """``params`` の各配列をその場で更新する (``t`` を 1 回だけ増やす)。"""
        if self.weight_decay != 0.0:
            for key in params:
                params[key] *= 1.0 - self.lr * self.weight_decay  # w <- w - lr*lambda*w
        super().update(params, grads)  # 元の勾配で Adam のステップ


OPTIMIZERS: dict[str, type] = {
    "sgd": SGD,
    "momentum": Momentum,
    "nesterov": Nesterov,
    "adagrad": AdaGrad,
    "rmsprop": RMSprop,
    "adadelta": Adadelta,
    "adam": Adam,
    "amsgrad": AMSGrad,
    "adamw": AdamW,
}
"""Lowercase name -> optimizer class, e.g. ``OPTIMIZERS["adam"](lr=1e-3)``."""

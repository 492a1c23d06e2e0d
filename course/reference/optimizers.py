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
    if not value >= 0.0:  # also rejects NaN
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value


def _check_unit_interval(name: str, value: float) -> float:
    value = float(value)
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {value}")
    return value


class SGD:
    """Stochastic gradient descent: ``w <- w - lr * g``.

    No state. Equals ``torch.optim.SGD(params, lr=lr)``.

    Args:
        lr: learning rate (default 0.01).
    """

    def __init__(self, lr: float = 0.01) -> None:
        self.lr = _check_non_negative("lr", lr)

    def update(self, params: Params, grads: Params) -> None:
        """Update every array of ``params`` in place."""
        for key in params:
            params[key] -= self.lr * grads[key]  # w <- w - lr*g


class Momentum:
    """SGD with (heavy-ball) momentum, textbook convention.

    ``v <- momentum * v - lr * g``;  ``w <- w + v``.

    ``v`` ("velocity", ``self.v[key]``, zeros on the first call) already
    contains the learning rate. With a constant ``lr`` this equals
    ``torch.optim.SGD(lr=lr, momentum=momentum, dampening=0)``, whose buffer
    is ``b <- momentum*b + g``, ``w <- w - lr*b``, i.e. ``v = -lr*b``. (The two
    conventions differ only when ``lr`` changes between steps.)

    Args:
        lr: learning rate (default 0.01).
        momentum: momentum coefficient mu in [0, 1) (default 0.9).
    """

    def __init__(self, lr: float = 0.01, momentum: float = 0.9) -> None:
        self.lr = _check_non_negative("lr", lr)
        self.momentum = _check_unit_interval("momentum", momentum)
        self.v: Params = {}

    def update(self, params: Params, grads: Params) -> None:
        """Update every array of ``params`` in place."""
        for key in params:
            if key not in self.v:
                self.v[key] = np.zeros_like(params[key])
            v = self.v[key]
            v *= self.momentum
            v -= self.lr * grads[key]  # v <- mu*v - lr*g
            params[key] += v  # w <- w + v


class Nesterov:
    """Nesterov accelerated gradient (Sutskever et al. 2013 form).

    ``v <- momentum * v - lr * g``;  ``w <- w + momentum * v - lr * g``
    (using the NEW ``v``). ``g`` is the gradient at the current ``w``.

    Equals ``torch.optim.SGD(lr=lr, momentum=momentum, dampening=0,
    nesterov=True)`` with a constant ``lr``: torch's buffer ``b = -v/lr`` and
    step ``w <- w - lr*(g + momentum*b)``. Some printings of the textbook
    update ``w`` and ``v`` in a different order, which is NOT the same
    algorithm; this class matches PyTorch.

    Args:
        lr: learning rate (default 0.01).
        momentum: momentum coefficient mu in [0, 1) (default 0.9).
    """

    def __init__(self, lr: float = 0.01, momentum: float = 0.9) -> None:
        self.lr = _check_non_negative("lr", lr)
        self.momentum = _check_unit_interval("momentum", momentum)
        self.v: Params = {}

    def update(self, params: Params, grads: Params) -> None:
        """Update every array of ``params`` in place."""
        for key in params:
            if key not in self.v:
                self.v[key] = np.zeros_like(params[key])
            g = grads[key]
            v = self.v[key]
            v *= self.momentum
            v -= self.lr * g  # v <- mu*v - lr*g
            params[key] += self.momentum * v - self.lr * g  # w <- w + mu*v - lr*g


class AdaGrad:
    """AdaGrad (Duchi et al. 2011).

    ``h <- h + g**2``;  ``w <- w - lr * g / (sqrt(h) + eps)``.

    ``eps`` is added OUTSIDE the square root (as in the textbook, which uses
    1e-7, and in PyTorch). ``h`` (``self.h[key]``) starts at zeros. Equals
    ``torch.optim.Adagrad(lr=lr, eps=eps, lr_decay=0,
    initial_accumulator_value=0)``; note torch's default eps is 1e-10.

    Args:
        lr: learning rate (default 0.01).
        eps: added to sqrt(h) (default 1e-7).
    """

    def __init__(self, lr: float = 0.01, eps: float = 1e-7) -> None:
        self.lr = _check_non_negative("lr", lr)
        self.eps = _check_non_negative("eps", eps)
        self.h: Params = {}

    def update(self, params: Params, grads: Params) -> None:
        """Update every array of ``params`` in place."""
        for key in params:
            if key not in self.h:
                self.h[key] = np.zeros_like(params[key])
            g = grads[key]
            h = self.h[key]
            h += g * g  # h <- h + g^2
            params[key] -= self.lr * g / (np.sqrt(h) + self.eps)  # w <- w - lr*g/(sqrt(h)+eps)


class RMSprop:
    """RMSprop (Tieleman & Hinton 2012).

    ``h <- decay_rate * h + (1 - decay_rate) * g**2``;
    ``w <- w - lr * g / (sqrt(h) + eps)``.

    ``h`` starts at zeros (no bias correction); ``eps`` sits outside the root.
    Equals ``torch.optim.RMSprop(lr=lr, alpha=decay_rate, eps=eps,
    centered=False, momentum=0)``; torch's default eps is 1e-8.

    Args:
        lr: learning rate (default 0.01).
        decay_rate: rho in [0, 1), decay of the running mean of g**2 (default 0.99).
        eps: added to sqrt(h) (default 1e-7).
    """

    def __init__(self, lr: float = 0.01, decay_rate: float = 0.99, eps: float = 1e-7) -> None:
        self.lr = _check_non_negative("lr", lr)
        self.decay_rate = _check_unit_interval("decay_rate", decay_rate)
        self.eps = _check_non_negative("eps", eps)
        self.h: Params = {}

    def update(self, params: Params, grads: Params) -> None:
        """Update every array of ``params`` in place."""
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
    """Adadelta (Zeiler 2012), exactly as ``torch.optim.Adadelta``.

    ``s <- rho*s + (1-rho)*g**2``;
    ``delta = sqrt(u + eps) / sqrt(s + eps) * g``;
    ``u <- rho*u + (1-rho)*delta**2``;
    ``w <- w - lr * delta``.

    ``s`` (``self.s[key]``, running mean of g**2) and ``u`` (``self.u[key]``,
    running mean of squared updates) start at zeros. ``eps`` sits INSIDE both
    square roots. Zeiler's paper has no learning rate (lr = 1.0, the default);
    torch's ``lr`` scales the update but not the ``delta`` stored in ``u``.
    Equals ``torch.optim.Adadelta(lr=lr, rho=rho, eps=eps)``.

    Args:
        lr: multiplier of the update (default 1.0).
        rho: decay of both running means, in [0, 1) (default 0.95).
        eps: added inside both square roots (default 1e-6).
    """

    def __init__(self, lr: float = 1.0, rho: float = 0.95, eps: float = 1e-6) -> None:
        self.lr = _check_non_negative("lr", lr)
        self.rho = _check_unit_interval("rho", rho)
        self.eps = _check_non_negative("eps", eps)
        self.s: Params = {}
        self.u: Params = {}

    def update(self, params: Params, grads: Params) -> None:
        """Update every array of ``params`` in place."""
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
    """Adam (Kingma & Ba 2015) with bias correction, as ``torch.optim.Adam``.

    With the step counter ``t`` (1 on the first update)::

        m <- beta1*m + (1-beta1)*g
        v <- beta2*v + (1-beta2)*g**2
        m_hat = m / (1 - beta1**t),  v_hat = v / (1 - beta2**t)
        w <- w - lr * m_hat / (sqrt(v_hat) + eps)

    ``eps`` sits OUTSIDE the root and is added to sqrt(v_hat) (the bias-
    corrected value), as in the paper and PyTorch. The textbook instead folds
    the correction into ``lr_t = lr*sqrt(1-beta2**t)/(1-beta1**t)`` and adds
    eps to the uncorrected sqrt(v); both agree when eps is negligible.

    State: ``self.m[key]``, ``self.v[key]`` (zeros on first sight of a key) and
    ONE counter ``self.t`` per optimizer (alias ``self.iter``), starting at 0
    and incremented once per ``update`` call, before the update.

    Why bias correction: m and v start at 0, so early on they are biased
    towards 0 by the factors (1-beta1**t) and (1-beta2**t); after correcting,
    the first step is ``lr * g/(|g| + eps)``, i.e. of magnitude ~lr whatever
    the scale of g.

    Args:
        lr: learning rate (default 0.001).
        beta1: decay of the first moment, in [0, 1) (default 0.9).
        beta2: decay of the second moment, in [0, 1) (default 0.999).
        eps: added to sqrt(v_hat) (default 1e-8).
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
        """Number of ``update`` calls so far (textbook name of ``t``)."""
        return self.t

    def _moments(self, key: str, param: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Update and return the raw (uncorrected) moments m, v of ``key``."""
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
        """Update every array of ``params`` in place (increments ``t`` once)."""
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
    """AMSGrad, as ``torch.optim.Adam(amsgrad=True)``.

    Adam's m and v (same updates and counter ``t`` as :class:`Adam`), plus
    ``v_max <- max(v_max, v)`` (elementwise, ``self.v_max[key]``, zeros at
    start) and::

        w <- w - lr * m_hat / (sqrt(v_max / (1 - beta2**t)) + eps)

    with ``m_hat = m/(1 - beta1**t)``. Reddi et al. (2018) wrote AMSGrad
    WITHOUT bias correction (and with v_max of the raw v); we follow PyTorch,
    which keeps the maximum of the raw v and then applies Adam's bias
    correction to it.

    Args: as :class:`Adam`.
    """

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        super().__init__(lr=lr, beta1=beta1, beta2=beta2, eps=eps)
        self.v_max: Params = {}

    def update(self, params: Params, grads: Params) -> None:
        """Update every array of ``params`` in place (increments ``t`` once)."""
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
    """AdamW (Loshchilov & Hutter 2019): Adam with DECOUPLED weight decay.

    Each update first shrinks the weights, then takes the plain Adam step on
    the raw gradient (same state and counter ``t`` as :class:`Adam`)::

        w <- w - lr * weight_decay * w
        w <- w - lr * m_hat / (sqrt(v_hat) + eps)     # m, v built from g only

    The decay never enters m or v. Equals ``torch.optim.AdamW(lr=lr,
    betas=(beta1, beta2), eps=eps, weight_decay=weight_decay)``; like torch,
    the decay is multiplied by ``lr`` (the paper multiplies it by the schedule
    factor eta_t only).

    It decays EVERY array it is given, biases and batch-norm parameters
    included. To exclude them, give them to a second optimizer with
    ``weight_decay=0`` (this is what torch parameter groups do).

    Why this is not Adam + L2: adding ``weight_decay * w`` to g (Adam with L2
    regularisation) sends the decay through m and v, so the effective decay
    of each weight is rescaled by 1/sqrt(v_hat): weights with large gradients
    are hardly regularised. AdamW applies the same relative shrinkage
    ``lr*weight_decay`` to every weight.

    Args:
        lr, beta1, beta2, eps: as :class:`Adam`.
        weight_decay: decoupled decay coefficient lambda >= 0 (default 0.01).
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
        """Update every array of ``params`` in place (increments ``t`` once)."""
        if self.weight_decay != 0.0:
            for key in params:
                params[key] *= 1.0 - self.lr * self.weight_decay  # w <- w - lr*lambda*w
        super().update(params, grads)  # Adam step on the raw gradient


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

"""Numerical gradient checking (centred differences), in the manner of CS231n.

Learners use these tools to compare the analytic gradient their ``backward``
computes with a numerical estimate::

    from course.gradcheck import check_layer_gradients, format_gradient_report
    errors = check_layer_gradients(layer, x)
    print(format_gradient_report(errors))

All numerical work is done in float64: with float32 the rounding error of
``f(x + h) - f(x - h)`` swamps the difference for ``h = 1e-5``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

__all__ = [
    "rel_error",
    "eval_numerical_gradient",
    "eval_numerical_gradient_array",
    "check_layer_gradients",
    "format_gradient_report",
]

_DEFAULT_PARAM_NAMES = ("W", "b", "gamma", "beta")


def rel_error(x: Any, y: Any) -> float:
    """Maximum elementwise relative error between two arrays.

    rel_error(x, y) = max_i |x_i - y_i| / max(1e-8, |x_i| + |y_i|)

    The floor 1e-8 in the denominator keeps entries where both values are
    (close to) zero from dividing by zero.

    Inputs:
    - x: array (or scalar) of any shape
    - y: array of the same shape as x

    Returns:
    - the maximum over all entries, as a Python float (0.0 for empty arrays;
      nan if either input contains nan)
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"rel_error: shape が一致しません: {x.shape} と {y.shape} (shape mismatch)")
    if x.size == 0:
        return 0.0
    err = np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))
    return float(np.max(err))


def _as_scalar(value: Any) -> float:
    """Convert the return value of f to a Python float (it must have size 1)."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.size != 1:
        raise ValueError(
            "f はスカラー (要素が 1 つ) を返す必要がありますが、"
            f"shape {arr.shape} の配列が返されました。"
            " 配列を返す関数には eval_numerical_gradient_array を使ってください。"
        )
    return float(arr.reshape(()))


def eval_numerical_gradient(f: Callable[[np.ndarray], Any], x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Numerical gradient of a scalar function by centred differences.

    grad[i] = (f(x + h e_i) - f(x - h e_i)) / (2 h)   for every index i of x.

    Inputs:
    - f: function taking an array of the shape of x and returning a scalar
    - x: array of any shape (the point at which to evaluate the gradient)
    - h: step size

    Returns:
    - grad: float64 array of the same shape as x

    In-place perturbation: when x is a writeable float64 ndarray (contiguous
    or not, e.g. a slice ``W[:, ::2]``), each entry of x itself is set to
    x_i + h and x_i - h, and then restored to its exact original value
    (bit for bit), also if f raises. Because x is changed in place, f may
    ignore its argument and read the array through another reference; this
    is the usual pattern for parameters, e.g.
    ``eval_numerical_gradient(lambda _: net.loss(x, t), net.params['W1'])``.

    Copy: otherwise (float32 or integer arrays, read-only arrays, lists,
    scalars) f is called with a float64 C-contiguous copy of x, and the
    caller's x is never touched. In that case f MUST compute its value from
    its argument: a function that reads the original array through a
    closure would see no change and the gradient would be all zero (a
    UserWarning is issued when that happens).
    """
    in_place = isinstance(x, np.ndarray) and x.dtype == np.float64 and x.flags.writeable
    work = x if in_place else np.array(x, dtype=np.float64, order="C")
    grad = np.zeros(work.shape, dtype=np.float64)

    for idx in np.ndindex(work.shape):
        old = work[idx]  # a float64 scalar copy of the original value
        try:
            work[idx] = old + h
            fxph = _as_scalar(f(work))
            work[idx] = old - h
            fxmh = _as_scalar(f(work))
        finally:
            work[idx] = old
        grad[idx] = (fxph - fxmh) / (2.0 * h)

    if not in_place and grad.size > 0 and not np.any(grad):
        warnings.warn(
            "数値勾配がすべて 0 になりました。x が float64 の書き込み可能な配列でないため、"
            "f には float64 のコピーが渡されています。f が引数を使わず元の配列を参照して"
            "いないか確認してください (f must compute from its argument).",
            UserWarning,
            stacklevel=2,
        )
    return grad


def eval_numerical_gradient_array(
    f: Callable[[np.ndarray], Any],
    x: np.ndarray,
    dout: np.ndarray,
    h: float = 1e-5,
) -> np.ndarray:
    """Numerical vector-Jacobian product of an array-valued function.

    Returns the gradient of the scalar sum(f(x) * dout) with respect to x,
    i.e. what a layer's backward(dout) computes as dx.

    Inputs:
    - f: function taking an array of the shape of x and returning an array
      of the shape of dout
    - x: array of any shape; perturbed as described in eval_numerical_gradient
    - dout: upstream gradient, array of the shape of f(x)
    - h: step size

    Returns:
    - grad: float64 array of the same shape as x
    """
    dout = np.asarray(dout, dtype=np.float64)

    def weighted_sum(z: np.ndarray) -> float:
        out = np.asarray(f(z), dtype=np.float64)
        if out.shape != dout.shape:
            raise ValueError(f"f(x) の shape {out.shape} と dout の shape {dout.shape} が一致しません (shape mismatch)")
        return float(np.sum(out * dout))

    return eval_numerical_gradient(weighted_sum, x, h)


def check_layer_gradients(
    layer: Any,
    x: np.ndarray,
    dout: np.ndarray | None = None,
    param_names: Iterable[str] | None = None,
    h: float = 1e-5,
    seed: int = 0,
) -> dict[str, float]:
    """Compare a layer's analytic backward with numerical gradients.

    The layer follows the textbook convention: ``out = layer.forward(x)``;
    ``dx = layer.backward(dout)`` returns the gradient w.r.t. x and stores the
    gradient of each parameter ``layer.<name>`` in ``layer.d<name>``
    (layer.W -> layer.dW, layer.b -> layer.db, layer.gamma -> layer.dgamma).

    Inputs:
    - layer: object with forward(x) and backward(dout)
    - x: input array of any shape, e.g. of shape (N, D); converted to float64
    - dout: upstream gradient of the shape of forward(x); by default a
      standard-normal array drawn from np.random.default_rng(seed)
    - param_names: names of the parameters to check; by default those of
      ('W', 'b', 'gamma', 'beta') that the layer has (and are not None).
      Each parameter must be a writeable float64 ndarray: it is perturbed in
      place and restored exactly.
    - h: step size of the centred differences
    - seed: seed of the default dout

    Returns:
    - errors: dict {'x': rel_error(dx), 'W': rel_error(dW), ...}; with float64
      and a correct backward the values are typically below 1e-7.

    Layers whose forward depends on a mode or on randomness (``train_flg``,
    Dropout masks, ...) must give the same output for the same input during
    the check. Pass a small wrapper object instead of the layer, e.g.::

        class TrainMode:
            def __init__(self, layer, seed=0):
                self.layer, self.seed = layer, seed
            def forward(self, x):
                np.random.seed(self.seed)  # the same mask on every call
                return self.layer.forward(x, train_flg=True)
            def backward(self, dout):
                return self.layer.backward(dout)
            def __getattr__(self, name):  # exposes W, dW, gamma, ...
                return getattr(self.layer, name)

    The layer is left in the state of the last numerical evaluation; call
    forward/backward again before using its cached values.
    """
    x = np.array(x, dtype=np.float64)
    out = np.asarray(layer.forward(x))
    if dout is None:
        dout = np.random.default_rng(seed).standard_normal(out.shape)
    else:
        dout = np.asarray(dout, dtype=np.float64)
        if dout.shape != out.shape:
            raise ValueError(
                f"dout の shape {dout.shape} が forward の出力の shape {out.shape} と一致しません (shape mismatch)"
            )

    if param_names is None:
        names = [n for n in _DEFAULT_PARAM_NAMES if getattr(layer, n, None) is not None]
    else:
        names = list(param_names)

    # Analytic gradients first, copied so that later forward calls cannot
    # overwrite them.
    analytic: dict[str, np.ndarray] = {"x": np.array(layer.backward(dout), dtype=np.float64)}
    for name in names:
        grad = getattr(layer, "d" + name, None)
        if grad is None:
            raise AttributeError(
                f"backward の後に layer.d{name} がありません: backward でパラメータ"
                f" {name} の勾配を self.d{name} に保存してください。"
            )
        analytic[name] = np.array(grad, dtype=np.float64)

    numerical: dict[str, np.ndarray] = {"x": eval_numerical_gradient_array(layer.forward, x, dout, h)}
    for name in names:
        param = getattr(layer, name)
        if not (isinstance(param, np.ndarray) and param.dtype == np.float64 and param.flags.writeable):
            raise TypeError(
                f"パラメータ {name} は書き込み可能な float64 の ndarray である必要があります"
                f" (got {type(param).__name__}"
                f"{' ' + str(param.dtype) if isinstance(param, np.ndarray) else ''})。"
                " 勾配確認は float64 で行ってください。"
            )
        numerical[name] = eval_numerical_gradient_array(lambda _p: layer.forward(x), param, dout, h)

    errors: dict[str, float] = {}
    for key, num in numerical.items():
        ana = analytic[key]
        if ana.shape != num.shape:
            label = "dx" if key == "x" else f"d{key}"
            raise ValueError(
                f"{label} の shape {ana.shape} が {key} の shape {num.shape} と 一致しません (shape mismatch)"
            )
        errors[key] = rel_error(ana, num)
    return errors


def format_gradient_report(errors: Mapping[str, float], tol: float = 1e-7) -> str:
    """One Japanese report line per entry of check_layer_gradients' result.

    Inputs:
    - errors: dict {name: relative error}, e.g. {'x': 3.2e-10, 'W': 1.5e-2}
    - tol: largest acceptable relative error

    Returns:
    - text such as "dx: 相対誤差 3.2e-10 … OK" and
      "dW: 相対誤差 1.5e-02 … 大きすぎます (許容 1e-07)", one line per entry.
      nan counts as too large.
    """
    lines = []
    for name, err in errors.items():
        err = float(err)
        verdict = "OK" if err <= tol else f"大きすぎます (許容 {tol:.0e})"
        lines.append(f"d{name}: 相対誤差 {err:.1e} … {verdict}")
    return "\n".join(lines)

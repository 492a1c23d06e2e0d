"""Hidden checks of ch06_optimizers (INSTRUCTOR ONLY).

The optimizers' ``update`` changes the learner's OWN copy of ``params`` inside the learner
process, so the checks never call ``update`` directly: they call the notebook's setup helper
``run_optimizer(params, grads_sequence, **{name: kwargs})``, which builds the learner's class
by name, runs ``update`` on copies and returns ``(history, in_place, grads_untouched)``:
the parameters after every update, whether the arrays were updated in place, and whether the
gradients were left alone. Every step is compared with the same run of ``course.reference``
on fresh random inputs (several keys and shapes, including (1, k) and (1,) arrays, random
hyper-parameters, large ``eps`` so that its placement matters). The classic mistakes of each
optimizer are simulated on the same inputs and recognised by their values. Adam also accepts
the textbook's equivalent form (bias correction folded into the learning rate, see check_adam).

Tolerance: relative 1e-7, absolute 1e-10. The updates are a few elementwise operations per
step, so two correct implementations differ only by rounding (~1e-15).

clip_grads_by_norm scales the learner's OWN dict in place, so it is driven, like the optimizers,
by the notebook's helper ``run_clipping(grads, max_norm)`` -> ``(returned, after, in_place)``. The
returned norm is compared at relative 1e-9 (a sum of squares and a square root); the clipped
arrays at relative 1e-5, because max_norm / (total + 1e-6) (PyTorch, the reference) and
max_norm / total are both accepted: every case has a total norm >= 1, where the two differ by at
most a relative 1e-6, while every simulated mistake differs by more than 10 %.
warmup_lr: relative 1e-9 (one product and one quotient).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from course import reference as ref
from course.checks import CheckFailure, check_array, check_scalar, check_true

from ..runner import Runner
from . import check_learner_accepts, check_learner_raises, core_first, learner_copy, properties

RTOL, ATOL = 1e-7, 1e-10
# The default eps is "a small number": 1e-8 (the paper, PyTorch), 1e-7 (the textbook, Keras) and 1e-6
# are all correct defaults, and they move a trajectory by far more than RTOL when a gradient is small.
# So the case that uses the defaults accepts the reference (and an accepted alternative form) with any
# of them; the cases that pass eps explicitly compare at that eps, which also catches an eps that is
# written into the formula instead of taken from the argument.
DEFAULT_EPS_ACCEPTED = (1e-8, 1e-7, 1e-6)

Params = dict[str, np.ndarray]
History = list[Params]

# several keys and shapes, including a (1, k) array and a (1,) array
_MIXED_SHAPES = {"W1": (3, 4), "b1": (4,), "W2": (1, 5), "b2": (1,)}
# keys of the same shape, so that state shared between keys changes the values (instead of failing)
_SAME_SHAPES = {"W": (2, 3), "V": (2, 3), "u": (2, 3)}
_ROW_SHAPES = {"gamma": (1, 6)}

_IN_PLACE_HINT = (
    "update が params の配列をその場で (in place) 更新していません (値は合っていても、params[key] に新しい配列を"
    "代入すると、ネットワークのレイヤが持っている元の配列は変わりません)。params[key] -= ... のように書いてください。"
)
_GRADS_HINT = (
    "update が grads の配列を書き換えています。grads は読むだけにしてください "
    "(例えば grads[key] を別の変数名で受けてから、その変数に *= などを使うと、grads[key] そのものが変わります。"
    "状態に grads[key] をそのまま入れて後で書き換えるのも同じです)。"
)
_UNCHANGED_HINT = (
    "params が変わっていません。ローカル変数に新しい値を代入しただけでは params は変わりません。"
    "params[key] をその場で更新してください。"
)
_SHARED_HINT = (
    "状態 (速度や 2 乗和など) をすべてのキーで共有しています。"
    "状態はキーごとに self.v[key] のような別々の配列にしてください。"
)


# ---------------------------------------------------------------------------- running


def _copy(params: Params) -> Params:
    return {key: np.array(value, dtype=np.float64, copy=True) for key, value in params.items()}


def _trajectory(optimizer: Any, params: Params, grads_sequence: list[Params]) -> History | None:
    """Parameters after every update of ``optimizer`` (a reference or a simulated wrong one);
    None if the simulated mistake cannot run on these inputs (e.g. shared state with mixed shapes)."""
    params = _copy(params)
    history = []
    with np.errstate(all="ignore"):
        try:
            for grads in grads_sequence:
                optimizer.update(params, _copy(grads))
                history.append(_copy(params))
        except ValueError:
            return None
    return history


def _draw_case(
    rng: np.random.Generator, shapes: dict[str, tuple[int, ...]], steps: int, shrink: float = 1.0
) -> tuple[Params, list[Params]]:
    """Random params and a sequence of gradients; each key has its own gradient scale, and the
    gradients of step i are multiplied by shrink**i."""
    params = {key: rng.standard_normal(shape) for key, shape in shapes.items()}
    scales = {key: 10 ** rng.uniform(-0.7, 0.7) for key in shapes}
    grads_sequence = [
        {key: shrink**i * scales[key] * rng.standard_normal(shape) for key, shape in shapes.items()}
        for i in range(steps)
    ]
    return params, grads_sequence


def _describe_call(name: str, kwargs: dict[str, float]) -> str:
    arguments = ", ".join(f"{key}={value:.3g}" for key, value in kwargs.items())
    return f"{name}({arguments})"


def _learner_run(
    run: Runner, name: str, kwargs: dict, params: Params, grads_sequence: list[Params], options: dict | None = None
) -> tuple:
    """(history, in_place, grads_untouched) from the notebook's run_optimizer, checked for structure.
    options: more keyword arguments of ``run.call`` (``substitute``, ``stand_in_bases``)."""
    call = _describe_call(name, kwargs)
    try:
        # the class name travels as a keyword (strings are not plain data across the sandbox boundary)
        copies = [_copy(grads) for grads in grads_sequence]  # learner code never sees the check's own arrays
        result = run.call("run_optimizer", _copy(params), copies, **(options or {}), **{name: kwargs})
    except CheckFailure as failure:
        message = str(failure)
        if "NotImplementedError" in message:
            message = f"{call} のメソッド (update など) はまだ実装されていません (NotImplementedError)。"
        elif "run_optimizer" in message and ("定義されていません" in message or "NameError" in message):
            message += "\nヒント: 最初のほうにある run_optimizer のセル (書き換えずに) と、解答セルを実行してください。"
        elif "broadcast" in message:
            message += (
                f"\nヒント: {call}.update で形状の合わない配列を計算しています。状態はキーごとに、"
                "np.zeros_like(params[key]) で params[key] と同じ形状の配列として作ってください。"
            )
        raise CheckFailure(message) from None
    check_true(
        isinstance(result, tuple) and len(result) == 3,
        "run_optimizer の戻り値がおかしくなっています。"
        "run_optimizer のセルを書き換えていませんか (元に戻して実行してください)。",
    )
    history, in_place, grads_untouched = result
    check_true(
        isinstance(history, tuple)
        and len(history) == len(grads_sequence)
        and all(isinstance(step, dict) and set(step) == set(params) for step in history),
        f"{call}.update の後の params のキーが変わっています。params のキーを増やしたり減らしたりしないでください。",
    )
    return history, bool(in_place), bool(grads_untouched)


def _compare(
    history: tuple,
    expected: History,
    mistakes: list[tuple[History | None, str]],
    call: str,
    nan_hint: str,
) -> None:
    """Compare every step and key with the expected history; name the first mistake that matches."""
    for step, (got_step, expected_step) in enumerate(zip(history, expected), start=1):
        for key, want in expected_step.items():
            where = f"{call} の {step} 回目の update 後の params['{key}'] (形状 {want.shape})"
            got = np.asarray(got_step[key], dtype=np.float64)
            if got.shape == want.shape and not np.all(np.isfinite(got)):
                raise CheckFailure(f"{where} に nan または inf があります。\nヒント: {nan_hint}")
            known = [(value[step - 1][key], hint) for value, hint in mistakes if value is not None]
            check_array(got, want, where, rtol=RTOL, atol=ATOL, mistakes=known, show_values=False)


def _matches(history: tuple, expected: History | None) -> bool:
    if expected is None:
        return False
    for got_step, expected_step in zip(history, expected):
        for key, want in expected_step.items():
            got = np.asarray(got_step[key], dtype=np.float64)
            if got.shape != want.shape or not np.allclose(got, want, rtol=RTOL, atol=ATOL):
                return False
    return True


MistakeFactory = Callable[[dict], Any]


_EPS_IGNORED = "引数の eps を使わずに、決まった小さな数 (1e-7 など) を式に書いていませんか。self.eps を使ってください。"
_FIXED_EPS = (1e-7, 1e-8, 1e-6)


# the properties of every optimizer: the values of the three cases of _cases (in its order), then two rules
_CASE_NAMES = (
    "指定した引数での update ごとの params の値 (形状の違う 4 つのキー、乱数で選んだ引数で 5 回)",
    "既定の引数での update ごとの params の値 (同じ形状の 3 つのキーで 4 回)",
    "形状 (1, k) の 1 つのキーでの update ごとの params の値 (形状 (1, 6) で 6 回)",
)
_IN_PLACE_NAME = "params の配列をその場で (in place) 更新する"
_GRADS_NAME = "grads の配列を書き換えない"


def _check_optimizer(
    run: Runner,
    name: str,
    cases: list[tuple[dict, Params, list[Params]]],
    mistakes: list[tuple[MistakeFactory, str]],
    nan_hint: str,
    alternative: Callable[[dict, Params, list[Params]], History | None] | None = None,
    options: dict | None = None,
    note: str | None = None,
) -> None:
    """Run the learner's optimizer ``name`` on every case and compare it with the reference.

    mistakes: (factory kwargs -> wrong optimizer object, hint). alternative: another accepted
    history, computed by the reference from the same inputs (an equivalent form), or None.
    options: more keyword arguments of the learner's run (see :func:`_learner_run`). note: a
    paragraph added to the diagnostic of every failing property (see check_amsgrad).

    Properties: the values of each case (one run of the learner each), then whether every run
    updated params in place and left grads alone (the flags of those runs).
    """
    runs: list[tuple[str, bool, bool]] = []  # (call, in_place, grads_untouched) of every run, in case order

    def noted(check: Callable[..., None]) -> Callable[..., None]:
        if note is None:
            return check

        def check_with_note(*args: Any) -> None:
            try:
                check(*args)
            except CheckFailure as failure:
                raise CheckFailure(f"{failure}\n{note}") from None

        return check_with_note

    with properties(run) as optimizer:
        for case_name, case in zip(_CASE_NAMES, cases, strict=True):
            optimizer.check(
                case_name, noted(_check_optimizer_case), run, name, case, mistakes, nan_hint, alternative, options, runs
            )
        optimizer.check(_IN_PLACE_NAME, noted(_check_runs_in_place), runs, needs=_CASE_NAMES)
        optimizer.check(_GRADS_NAME, noted(_check_runs_grads_untouched), runs, needs=_CASE_NAMES)


def _check_optimizer_case(
    run: Runner,
    name: str,
    case: tuple[dict, Params, list[Params]],
    mistakes: list[tuple[MistakeFactory, str]],
    nan_hint: str,
    alternative: Callable[[dict, Params, list[Params]], History | None] | None,
    options: dict | None,
    runs: list[tuple[str, bool, bool]],
) -> None:
    """One run of the learner's optimizer, compared step by step with the reference; records the run's
    flags (in place, grads untouched) in ``runs``."""
    reference_class = getattr(ref, name)
    kwargs, params, grads_sequence = case
    call = _describe_call(name, kwargs)
    history, in_place, grads_untouched = _learner_run(run, name, kwargs, params, grads_sequence, options)
    runs.append((call, in_place, grads_untouched))
    expected = _trajectory(reference_class(**kwargs), params, grads_sequence)
    if not _matches(history, expected):
        accepted = _accepted(reference_class, alternative, kwargs, params, grads_sequence)
        if not any(_matches(history, other) for other in accepted):
            simulated = [(_trajectory(factory(kwargs), params, grads_sequence), hint) for factory, hint in mistakes]
            if "eps" in kwargs:  # the textbook writes eps as a number in the formula (1e-7)
                simulated += [
                    (_trajectory(reference_class(**{**kwargs, "eps": eps}), params, grads_sequence), _EPS_IGNORED)
                    for eps in _FIXED_EPS
                    if eps != kwargs["eps"]
                ]
            simulated.append(([_copy(params)] * len(grads_sequence), _UNCHANGED_HINT))
            simulated.append(
                (_trajectory(_SharedState(reference_class(**kwargs)), params, grads_sequence), _SHARED_HINT)
            )
            _compare(history, expected, simulated, call, nan_hint)


def _check_runs_in_place(runs: list[tuple[str, bool, bool]]) -> None:
    for call, in_place, _ in runs:
        check_true(in_place, f"{call}: {_IN_PLACE_HINT}")


def _check_runs_grads_untouched(runs: list[tuple[str, bool, bool]]) -> None:
    for call, _, grads_untouched in runs:
        check_true(grads_untouched, f"{call}: {_GRADS_HINT}")


def _accepted(
    reference_class: type,
    alternative: Callable[[dict, Params, list[Params]], History | None] | None,
    kwargs: dict,
    params: Params,
    grads_sequence: list[Params],
) -> list[History | None]:
    """The other accepted histories of a case: the alternative form at the case's arguments and, for
    the case of the defaults, the reference and the alternative at every eps of DEFAULT_EPS_ACCEPTED."""
    settings = [kwargs]
    if not kwargs and "eps" in inspect.signature(reference_class).parameters:
        settings += [{"eps": eps} for eps in DEFAULT_EPS_ACCEPTED]
    accepted: list[History | None] = []
    for setting in settings:
        if setting is not kwargs:
            accepted.append(_trajectory(reference_class(**setting), params, grads_sequence))
        if alternative is not None:
            accepted.append(alternative(setting, params, grads_sequence))
    return accepted


def _cases(
    rng: np.random.Generator, random_kwargs: Callable[[], dict], shrink: float = 1.0
) -> list[tuple[dict, Params, list[Params]]]:
    """Three runs: random hyper-parameters on mixed shapes, the defaults on same-shaped keys,
    random hyper-parameters on one (1, k) array."""
    cases = []
    for kwargs, shapes, steps in [
        (random_kwargs(), _MIXED_SHAPES, 5),
        ({}, _SAME_SHAPES, 4),
        (random_kwargs(), _ROW_SHAPES, 6),
    ]:
        params, grads_sequence = _draw_case(rng, shapes, steps, shrink)
        cases.append((kwargs, params, grads_sequence))
    return cases


# ---------------------------------------------------------------------------- simulated mistakes


class _SharedState:
    """One state for every key: the wrapped optimizer sees each key under the same name."""

    def __init__(self, optimizer: Any) -> None:
        self.optimizer = optimizer

    def update(self, params: Params, grads: Params) -> None:
        counter = getattr(self.optimizer, "t", None)
        for key in params:
            if counter is not None:
                self.optimizer.t = counter  # one step of the counter per update call
            self.optimizer.update({"shared": params[key]}, {"shared": grads[key]})


class _CounterPerKey:
    """Adam's counter t incremented once per KEY instead of once per update call."""

    def __init__(self, optimizer: Any) -> None:
        self.optimizer = optimizer

    def update(self, params: Params, grads: Params) -> None:
        for key in params:
            self.optimizer.update({key: params[key]}, {key: grads[key]})


class _SGDUphill(ref.SGD):
    def update(self, params, grads):
        for key in params:
            params[key] += self.lr * grads[key]


class _SGDNoRate(ref.SGD):
    def update(self, params, grads):
        for key in params:
            params[key] -= grads[key]


class _MomentumUphill(ref.Momentum):
    def update(self, params, grads):
        for key in params:
            self.v.setdefault(key, np.zeros_like(params[key]))
            self.v[key] = self.momentum * self.v[key] - self.lr * grads[key]
            params[key] -= self.v[key]


class _MomentumOldVelocity(ref.Momentum):
    """w moved with the velocity of the previous step, v updated afterwards."""

    def update(self, params, grads):
        for key in params:
            self.v.setdefault(key, np.zeros_like(params[key]))
            params[key] += self.v[key]
            self.v[key] = self.momentum * self.v[key] - self.lr * grads[key]


class _NesterovOldVelocity(ref.Nesterov):
    """w <- w + mu*v_old - lr*g (the formula with the velocity before its update)."""

    def update(self, params, grads):
        for key in params:
            self.v.setdefault(key, np.zeros_like(params[key]))
            params[key] += self.momentum * self.v[key] - self.lr * grads[key]
            self.v[key] = self.momentum * self.v[key] - self.lr * grads[key]


class _NesterovTextbookWrongOrder(ref.Nesterov):
    """The textbook's w += mu^2*v - (1+mu)*lr*g, but with v updated FIRST."""

    def update(self, params, grads):
        mu = self.momentum
        for key in params:
            self.v.setdefault(key, np.zeros_like(params[key]))
            self.v[key] = mu * self.v[key] - self.lr * grads[key]
            params[key] += mu * mu * self.v[key] - (1 + mu) * self.lr * grads[key]


class _NesterovUphill(ref.Nesterov):
    """w <- w - (mu*v - lr*g): the step subtracted instead of added (SGD's -= by habit)."""

    def update(self, params, grads):
        for key in params:
            self.v.setdefault(key, np.zeros_like(params[key]))
            self.v[key] = self.momentum * self.v[key] - self.lr * grads[key]
            params[key] -= self.momentum * self.v[key] - self.lr * grads[key]


class _NesterovGradientSign(ref.Nesterov):
    """w <- w + mu*v + lr*g: the sign of the gradient term of the parameter update flipped."""

    def update(self, params, grads):
        for key in params:
            self.v.setdefault(key, np.zeros_like(params[key]))
            self.v[key] = self.momentum * self.v[key] - self.lr * grads[key]
            params[key] += self.momentum * self.v[key] + self.lr * grads[key]


class _NesterovPlainMomentum(ref.Nesterov):
    def update(self, params, grads):
        for key in params:
            self.v.setdefault(key, np.zeros_like(params[key]))
            self.v[key] = self.momentum * self.v[key] - self.lr * grads[key]
            params[key] += self.v[key]


class _AdaGradLike(ref.AdaGrad):
    """AdaGrad with a configurable accumulation and placement of eps (for the mistakes)."""

    def __init__(self, kwargs: dict, accumulate: str = "square", eps_inside: bool = False) -> None:
        super().__init__(**kwargs)
        self.accumulate, self.eps_inside = accumulate, eps_inside

    def update(self, params, grads):
        for key in params:
            g = grads[key]
            h = self.h.get(key, np.zeros_like(params[key]))
            if self.accumulate == "square":
                h = h + g * g
            elif self.accumulate == "linear":
                h = h + g
            else:  # "overwrite": h = g^2 (no memory)
                h = g * g
            self.h[key] = h
            denominator = np.sqrt(h + self.eps) if self.eps_inside else np.sqrt(h) + self.eps
            params[key] -= self.lr * g / denominator


class _RMSpropLike(ref.RMSprop):
    """RMSprop with a configurable running mean, eps placement and (wrong) bias correction."""

    def __init__(
        self,
        kwargs: dict,
        mean: str = "ema",
        eps_inside: bool = False,
        bias_correction: bool = False,
        root: bool = True,
        keep: bool = True,
    ):
        super().__init__(**kwargs)
        self.mean, self.eps_inside, self.bias_correction, self.t = mean, eps_inside, bias_correction, 0
        self.root, self.keep = root, keep  # False: no square root of h; h not kept between updates

    def update(self, params, grads):
        rho = self.decay_rate
        self.t += 1
        for key in params:
            g = grads[key]
            h = self.h.get(key, np.zeros_like(params[key]))
            if self.mean == "ema":
                h = rho * h + (1 - rho) * g * g
            elif self.mean == "no_one_minus_rho":
                h = rho * h + g * g
            elif self.mean == "swapped":
                h = (1 - rho) * h + rho * g * g
            elif self.mean == "sum":
                h = h + g * g
            else:  # "linear": the garbled formula of the lecture notes (g instead of g^2)
                h = rho * h + (1 - rho) * g
            if self.keep:
                self.h[key] = h
            if self.bias_correction:
                h = h / (1 - rho**self.t)
            if not self.root:
                denominator = h + self.eps
            elif self.eps_inside:
                denominator = np.sqrt(h + self.eps)
            else:
                denominator = np.sqrt(h) + self.eps
            params[key] -= self.lr * g / denominator


class _AdadeltaLike(ref.Adadelta):
    """Adadelta with one of its classic mistakes."""

    def __init__(self, kwargs: dict, mistake: str) -> None:
        super().__init__(**kwargs)
        self.mistake = mistake

    def update(self, params, grads):
        rho, eps, lr = self.rho, self.eps, self.lr
        for key in params:
            g = grads[key]
            s = self.s.get(key, np.zeros_like(params[key]))
            u = self.u.get(key, np.zeros_like(params[key]))
            s_new = rho * s + (1 - rho) * g * g
            s_used = s if self.mistake == "old_s" else s_new
            if self.mistake == "eps_outside":
                delta = np.sqrt(u) / (np.sqrt(s_used) + eps) * g
            elif self.mistake == "inverted":
                delta = np.sqrt(s_used + eps) / np.sqrt(u + eps) * g
            else:
                delta = np.sqrt(u + eps) / np.sqrt(s_used + eps) * g
            stored = lr * delta if self.mistake == "lr_in_u" else delta
            self.s[key], self.u[key] = s_new, rho * u + (1 - rho) * stored * stored
            params[key] -= (1.0 if self.mistake == "no_lr" else lr) * delta


class _AdamLike(ref.Adam):
    """Adam / AMSGrad with one of their classic mistakes."""

    def __init__(self, kwargs: dict, mistake: str, amsgrad: bool = False) -> None:
        super().__init__(**kwargs)
        self.mistake, self.amsgrad, self.v_max = mistake, amsgrad, {}

    def _moments(self, key, param, g):
        if self.mistake not in ("m_without_one_minus", "v_without_one_minus"):
            return super()._moments(key, param, g)
        m = self.m.get(key, np.zeros_like(param))
        v = self.v.get(key, np.zeros_like(param))
        if self.mistake == "m_without_one_minus":
            m, v = self.beta1 * m + g, self.beta2 * v + (1 - self.beta2) * g * g
        else:
            m, v = self.beta1 * m + (1 - self.beta1) * g, self.beta2 * v + g * g
        self.m[key], self.v[key] = m, v
        return m, v

    def update(self, params, grads):
        self.t += 1
        b1, b2, eps, t = self.beta1, self.beta2, self.eps, self.t
        bc1, bc2 = 1 - b1**t, 1 - b2**t
        for key in params:
            m, v = self._moments(key, params[key], grads[key])
            m_hat = m if self.mistake in ("no_correction", "paper") else m / bc1
            if self.amsgrad:
                v_max = self.v_max.get(key, np.zeros_like(params[key]))
                if self.mistake == "max_of_v_hat":
                    v_max = np.maximum(v_max, v / bc2)
                    self.v_max[key] = v_max
                    denominator = np.sqrt(v_max) + eps
                elif self.mistake in ("max_of_g2", "max_of_g"):  # the gradients instead of the moment v
                    g = grads[key]
                    v_max = np.maximum(v_max, g * g if self.mistake == "max_of_g2" else g)
                    self.v_max[key] = v_max
                    denominator = np.sqrt(v_max / bc2) + eps
                elif self.mistake in ("paper", "paper_m_hat"):
                    v_max = np.maximum(v_max, v)
                    self.v_max[key] = v_max
                    denominator = np.sqrt(v_max) + eps
                elif self.mistake == "max_not_kept":  # the maximum is computed but never stored
                    denominator = np.sqrt(np.maximum(v_max, v) / bc2) + eps
                else:  # AMSGrad itself right (the mistake, if any, is in _moments)
                    v_max = np.maximum(v_max, v)
                    self.v_max[key] = v_max
                    denominator = np.sqrt(v_max / bc2) + eps
                params[key] -= self.lr * m_hat / denominator
                continue
            if self.mistake == "no_correction":
                denominator = np.sqrt(v) + eps
            elif self.mistake == "only_m":
                denominator = np.sqrt(v) + eps
            elif self.mistake == "only_v":
                m_hat = m
                denominator = np.sqrt(v / bc2) + eps
            elif self.mistake == "eps_inside":
                denominator = np.sqrt(v / bc2 + eps)
            elif self.mistake == "textbook":  # lr_t = lr*sqrt(bc2)/bc1, eps added to the uncorrected sqrt(v)
                m_hat = m * math.sqrt(bc2) / bc1
                denominator = np.sqrt(v) + eps
            else:
                denominator = np.sqrt(v / bc2) + eps
            params[key] -= self.lr * m_hat / denominator


# ---------------------------------------------------------------------------- SGD, Momentum, Nesterov


def check_sgd(run: Runner, rng: np.random.Generator) -> None:
    mistakes = [
        (
            lambda kw: _SGDUphill(**kw),
            "勾配の向きに動いています (損失が増えます)。W ← W − lr · g と、勾配を引いてください。",
        ),
        (lambda kw: _SGDNoRate(**kw), "学習率 self.lr を掛け忘れています。"),
    ]
    cases = _cases(rng, lambda: {"lr": float(rng.uniform(0.01, 0.5))})
    _check_optimizer(run, "SGD", cases, mistakes, "学習率と勾配を掛けて引くだけなので、nan は出ないはずです。")


def _momentum_kwargs(rng: np.random.Generator) -> Callable[[], dict]:
    return lambda: {"lr": float(rng.uniform(0.01, 0.3)), "momentum": float(rng.uniform(0.5, 0.95))}


def check_momentum(run: Runner, rng: np.random.Generator) -> None:
    mistakes = [
        (
            lambda kw: _MomentumUphill(**kw),
            "符号が逆です。v ← momentum · v − lr · g としたなら、W ← W + v です (v はすでに勾配の逆向き)。",
        ),
        (
            lambda kw: ref.SGD(lr=kw.get("lr", 0.01)),
            "速度 v が前回の値を引き継いでいません (SGD と同じ結果です)。"
            "self.v[key] を辞書に保存して、次の update で使ってください。",
        ),
        (
            lambda kw: _MomentumOldVelocity(**kw),
            "W を更新してから v を更新しています。"
            "先に v ← momentum · v − lr · g を計算し、その新しい v で W ← W + v としてください。",
        ),
    ]
    cases = _cases(rng, _momentum_kwargs(rng))
    _check_optimizer(run, "Momentum", cases, mistakes, "nan は出ないはずです。状態 v の初期値を 0 にしていますか。")


def check_nesterov(run: Runner, rng: np.random.Generator) -> None:
    mistakes = [
        (
            lambda kw: _NesterovOldVelocity(**kw),
            "W の更新に、更新する前の v を使っています。先に v ← momentum · v − lr · g とし、その新しい v で "
            "W ← W + momentum · v − lr · g としてください。",
        ),
        (
            lambda kw: _NesterovTextbookWrongOrder(**kw),
            "教科書の形 W ← W + momentum² · v − (1 + momentum) · lr · g を、v を先に更新してから使っています。"
            "この形で使ってよいのは更新する前の v です (この演習では、更新後の v で W ← W + momentum · v − lr · g)。",
        ),
        (
            lambda kw: _NesterovUphill(**kw),
            "符号が逆です。W ← W + (momentum · v − lr · g) と足してください "
            "(更新後の v も −lr · g も、すでに勾配の逆向きです)。",
        ),
        (
            lambda kw: _NesterovGradientSign(**kw),
            "W の更新の勾配の項 lr · g の符号が逆です。W ← W + momentum · v − lr · g と、lr · g は引きます。",
        ),
        (
            lambda kw: _NesterovPlainMomentum(**kw),
            "Momentum と同じ更新 (W ← W + v) になっています。Nesterov では W ← W + momentum · v − lr · g です。",
        ),
        (
            lambda kw: ref.Momentum(**kw),
            "Momentum と同じ更新 (W ← W + v) になっています。Nesterov では W ← W + momentum · v − lr · g です。",
        ),
    ]
    cases = _cases(rng, _momentum_kwargs(rng))
    _check_optimizer(run, "Nesterov", cases, mistakes, "nan は出ないはずです。状態 v の初期値を 0 にしていますか。")


# ---------------------------------------------------------------------------- AdaGrad, RMSprop, Adadelta

_EPS_INSIDE_HINT = "eps を平方根の中に入れています。eps は平方根の外で、√h + eps としてください。"


def check_adagrad(run: Runner, rng: np.random.Generator) -> None:
    mistakes = [
        (lambda kw: _AdaGradLike(kw, eps_inside=True), _EPS_INSIDE_HINT),
        (
            lambda kw: _AdaGradLike(kw, accumulate="overwrite"),
            "h に足し込んでいません。h ← h + g² と、これまでの和に足してください。",
        ),
        (lambda kw: _AdaGradLike(kw, accumulate="linear"), "h に g を足しています。足すのは勾配の 2 乗 g * g です。"),
        (lambda kw: ref.SGD(lr=kw.get("lr", 0.01)), "h で割っていません (SGD と同じ結果です)。"),
    ]
    nan_hint = (
        "負の数の平方根になっていませんか。h に足すのは勾配の 2 乗 g * g です (g を足すと h が負になることがあります)。"
    )

    def random_kwargs() -> dict:
        # a large eps, so that putting it inside the root changes the result visibly
        return {"lr": float(rng.uniform(0.05, 0.5)), "eps": float(rng.uniform(0.01, 0.3))}

    _check_optimizer(run, "AdaGrad", _cases(rng, random_kwargs), mistakes, nan_hint)


def check_rmsprop(run: Runner, rng: np.random.Generator) -> None:
    mistakes = [
        (
            lambda kw: _RMSpropLike(kw, mean="no_one_minus_rho"),
            "新しい g² に (1 − decay_rate) を掛け忘れています。h ← decay_rate · h + (1 − decay_rate) · g² です。",
        ),
        (
            lambda kw: _RMSpropLike(kw, mean="swapped"),
            "decay_rate と (1 − decay_rate) が逆です。古い h に decay_rate、新しい g² に (1 − decay_rate) を掛けます。",
        ),
        (lambda kw: _RMSpropLike(kw, eps_inside=True), _EPS_INSIDE_HINT),
        (
            lambda kw: _RMSpropLike(kw, mean="sum"),
            "AdaGrad と同じ累積和 h ← h + g² になっています。移動平均にしてください。",
        ),
        (
            lambda kw: _RMSpropLike(kw, bias_correction=True),
            "h を 1 − decay_rate^t で割っています。RMSprop (PyTorch と同じ式) にはバイアス補正はありません。",
        ),
        (lambda kw: _RMSpropLike(kw, root=False), "h の平方根を取っていません。分母は √h + eps です。"),
        (
            lambda kw: _RMSpropLike(kw, keep=False),
            "h を self.h[key] に保存していません (毎回 0 から計算しています)。h は update をまたいで持ち越す状態です。",
        ),
    ]
    nan_hint = (
        "負の数の平方根になっていませんか。移動平均を取るのは勾配の 2 乗 g * g です "
        "(g を 2 乗せずに移動平均を取ると h が負になることがあります)。"
    )

    def random_kwargs() -> dict:
        return {
            "lr": float(rng.uniform(0.01, 0.2)),
            "decay_rate": float(rng.uniform(0.5, 0.95)),
            "eps": float(rng.uniform(0.01, 0.3)),
        }

    _check_optimizer(run, "RMSprop", _cases(rng, random_kwargs), mistakes, nan_hint)


def check_adadelta(run: Runner, rng: np.random.Generator) -> None:
    mistakes = [
        (
            lambda kw: _AdadeltaLike(kw, "eps_outside"),
            "eps を平方根の外に出しています。Adadelta では √(u + eps) / √(s + eps) と、両方の平方根の中に入れます "
            "(u = 0 から始まるので、外に出すと最初の更新が 0 になります)。",
        ),
        (
            lambda kw: _AdadeltaLike(kw, "lr_in_u"),
            "u に lr · delta の 2 乗を貯めています。u に貯めるのは lr を掛ける前の delta の 2 乗です。",
        ),
        (
            lambda kw: _AdadeltaLike(kw, "old_s"),
            "s を更新する前に delta を計算しています。先に s を更新し、新しい s で delta を計算してください。",
        ),
        (lambda kw: _AdadeltaLike(kw, "inverted"), "分数が逆さまです。delta = √(u + eps) / √(s + eps) · g です。"),
        (lambda kw: _AdadeltaLike(kw, "no_lr"), "最後の更新で lr を掛け忘れています (W ← W − lr · delta)。"),
    ]
    nan_hint = "負の数の平方根になっていませんか。s と u に足すのはどちらも 2 乗 (g * g、delta * delta) です。"

    def random_kwargs() -> dict:
        return {
            "lr": float(rng.uniform(0.3, 2.0)),
            "rho": float(rng.uniform(0.5, 0.95)),
            "eps": float(rng.uniform(1e-3, 0.1)),
        }

    _check_optimizer(run, "Adadelta", _cases(rng, random_kwargs), mistakes, nan_hint)


# ---------------------------------------------------------------------------- Adam, AMSGrad

_COUNTER_HINT = (
    "t をキーごとに増やしています。"
    "t はオプティマイザに 1 つで、update 1 回につき (キーのループの外で) 1 回だけ増やします。"
)
_T_NAN_HINT = (
    "1 − beta^t が 0 になっていませんか。"
    "t は update の最初に 1 増やし、1 回目の更新で t = 1 にしてから補正してください "
    "(t = 0 のまま補正すると 0 で割ります)。"
)


def _adam_kwargs(rng: np.random.Generator, beta2: tuple[float, float]) -> Callable[[], dict]:
    return lambda: {
        "lr": float(rng.uniform(0.01, 0.2)),
        "beta1": float(rng.uniform(0.5, 0.95)),
        "beta2": float(rng.uniform(*beta2)),
        "eps": float(rng.uniform(1e-3, 0.1)),  # large, so that its placement changes the result
    }


def check_adam(run: Runner, rng: np.random.Generator) -> None:
    mistakes = [
        (
            lambda kw: _AdamLike(kw, "no_correction"),
            "バイアス補正をしていません。m̂ = m / (1 − beta1^t)、v̂ = v / (1 − beta2^t) を使ってください。",
        ),
        (lambda kw: _AdamLike(kw, "only_m"), "v のバイアス補正 v̂ = v / (1 − beta2^t) を忘れています。"),
        (lambda kw: _AdamLike(kw, "only_v"), "m のバイアス補正 m̂ = m / (1 − beta1^t) を忘れています。"),
        (lambda kw: _CounterPerKey(ref.Adam(**kw)), _COUNTER_HINT),
        (
            lambda kw: _AdamLike(kw, "m_without_one_minus"),
            "_moments で新しい g に (1 − beta1) を掛け忘れています。m ← beta1 · m + (1 − beta1) · g です。",
        ),
        (
            lambda kw: _AdamLike(kw, "v_without_one_minus"),
            "_moments で新しい g² に (1 − beta2) を掛け忘れています。v ← beta2 · v + (1 − beta2) · g² です。",
        ),
        (lambda kw: _AdamLike(kw, "eps_inside"), "eps を平方根の中に入れています。√v̂ + eps としてください。"),
    ]
    cases = _cases(rng, _adam_kwargs(rng, (0.6, 0.99)))
    # Accepted as well: the textbook's form (『ゼロから作るDeep Learning』), lr_t = lr·√(1 − β2^t)/(1 − β1^t)
    # and eps added to the UNcorrected √v. It is exactly the PyTorch form with eps replaced by
    # eps/√(1 − β2^t): the same algorithm, which differs from the reference only by where the
    # tiny eps sits (a relative change of the step of about eps/(√(1 − β2^t)·|g|): with the
    # defaults eps = 1e-8, β2 = 0.999 and |g| ≈ 1, 3e-7 at t = 1 and less afterwards, invisible in
    # training; the public test of the notebook uses the defaults). The cases use a large eps
    # (1e-3 to 0.1) so that eps inside the root is caught; that magnifies this harmless difference
    # far beyond any tolerance, and a tolerance loose enough for it would let eps inside the root
    # pass. So instead of widening RTOL, this one form is accepted as such (compared with the same
    # RTOL, ATOL); every mistake above differs from both forms.
    _check_optimizer(
        run,
        "Adam",
        cases,
        mistakes,
        _T_NAN_HINT,
        alternative=lambda kw, params, grads_sequence: _trajectory(_AdamLike(kw, "textbook"), params, grads_sequence),
    )


def _adam_moments(m: np.ndarray, v: np.ndarray, g: np.ndarray, beta1: float, beta2: float) -> tuple:
    """The new (m, v) of one key after the gradient g (the reference Adam._moments on copies): what the
    stand-in base of Adam (course.stand_ins.AdamBase) asks of the trusted side."""
    adam = ref.Adam(beta1=float(beta1), beta2=float(beta2))
    adam.m[0], adam.v[0] = np.array(m, dtype=np.float64), np.array(v, dtype=np.float64)
    return adam._moments(0, adam.m[0], np.asarray(g, dtype=np.float64))


# the diagnostics of Adam's _moments, the same words as the public test of the notebook's rules cell
_M_IS_G = (
    "m が g そのものです。新しい g に (1 − beta1) を掛け忘れたか、補正後の m̂ を返しています (返すのは補正前の m)。"
)
_V_IS_G2 = (
    "v が g² そのものです。新しい g² に (1 − beta2) を掛け忘れたか、補正後の v̂ を返しています (返すのは補正前の v)。"
)
_WITHOUT_ONE_MINUS = ("新しい g に (1 − beta1) を掛け忘れています。", "新しい g² に (1 − beta2) を掛け忘れています。")
_NOT_KEPT = "前回までの m、v を使っていません。self.m[key]、self.v[key] に残した値に、新しい g を加えてください。"
_CORRECTED = "補正後の値を返しています。_moments は補正前の m、v を返し、補正は update で行います。"


class _Interface:
    """The inputs of :func:`_check_adam_interface` (drawn from ``rng``), the trusted side's moments that
    follow the learner's calls, and the learner's object once built."""

    def __init__(self, rng: np.random.Generator, name: str) -> None:
        self.name = name
        self.beta1, self.beta2 = float(rng.uniform(0.5, 0.9)), float(rng.uniform(0.6, 0.95))
        self.shape = tuple(int(n) for n in rng.integers(1, 4, size=2))
        self.param = rng.standard_normal(self.shape)
        self.gradients = [rng.standard_normal(self.shape) for _ in (1, 2)]
        betas = {"beta1": self.beta1, "beta2": self.beta2}
        self.reference = ref.Adam(**betas)
        self.wrong = {
            "m_without_one_minus": _AdamLike(betas, "m_without_one_minus"),
            "v_without_one_minus": _AdamLike(betas, "v_without_one_minus"),
        }
        self.handle: Any = None


def _check_adam_interface(run: Runner, rng: np.random.Generator, name: str) -> None:
    """What AMSGrad inherits from Adam, as Adam's docstring states it: ``name(lr, beta1, beta2, eps)`` starts
    with ``t = 0``; ``_moments(key, param, g)`` starts a new key from zeros, returns the raw moments (m, v)
    after g and keeps them in ``self.m[key]``, ``self.v[key]`` for the next call. Stops at the first failure
    (see :func:`_moments_follow_docstring`; the rules cell of Adam checks the same as properties)."""
    interface = _Interface(rng, name)
    _build_adam(run, interface)
    _check_t_starts_at_zero(run, interface)
    for call in (1, 2):
        _check_moments_call(run, interface, call)


def _build_adam(run: Runner, interface: _Interface) -> None:
    name = interface.name
    try:
        interface.handle = run.new(name, 0.01, interface.beta1, interface.beta2, 1e-8)
    except CheckFailure as failure:
        raise CheckFailure(
            f"{failure}\nヒント: コンストラクタは {name}(lr, beta1, beta2, eps) のように 4 つの引数を順に受け取ります "
            "(AMSGrad の __init__ はこの形で Adam の __init__ を呼びます)。"
        ) from None


def _check_t_starts_at_zero(run: Runner, interface: _Interface) -> None:
    check_true(
        run.attr(interface.handle, "t") == 0, f"{interface.name}(...) を作った直後の self.t が 0 ではありません。"
    )


def _check_moments_call(run: Runner, interface: _Interface, call: int) -> None:
    """The ``call``-th call (1 or 2) of the learner's ``_moments`` on one key, compared with the trusted side's."""
    name, shape, param, beta1, beta2 = (
        interface.name,
        interface.shape,
        interface.param,
        interface.beta1,
        interface.beta2,
    )
    g = interface.gradients[call - 1]
    where = f"{name}(beta1={beta1:.3g}, beta2={beta2:.3g}) の {call} 回目の _moments(key, param, g) (形状 {shape})"
    got = run.method(interface.handle, "_moments", 0, param, g)  # an int key: strings cannot cross the boundary
    check_true(isinstance(got, tuple) and len(got) == 2, f"{where} は (m, v) の 2 つを返してください。")
    expected = [a.copy() for a in interface.reference._moments(0, param, g)]
    wrong = interface.wrong
    without = [wrong[f"{k}_without_one_minus"]._moments(0, param, g)[i].copy() for i, k in enumerate("mv")]
    if call == 1:  # from zero both mistakes give g (and g²): one message names both
        mistakes = [[(g, _M_IS_G)], [(g * g, _V_IS_G2)]]
    else:
        fresh = ref.Adam(beta1=beta1, beta2=beta2)._moments(0, param, g)  # what a _moments that keeps nothing gives
        mistakes = [
            [(without[i], _WITHOUT_ONE_MINUS[i]), (fresh[i], _NOT_KEPT), (expected[i] / (1 - beta**2), _CORRECTED)]
            for i, beta in enumerate((beta1, beta2))
        ]
    for i, moment in enumerate("mv"):
        check_array(got[i], expected[i], f"{where} の {moment}", rtol=RTOL, atol=ATOL, mistakes=mistakes[i])


def check_adam_rules(run: Runner, rng: np.random.Generator) -> None:
    interface = _Interface(rng, "Adam")
    built = "コンストラクタが 4 つの引数 (lr, beta1, beta2, eps) を順に受け取る"
    first = "1 回目の _moments (新しいキーを 0 から始め、補正前の m、v を返す)"
    with properties(run) as rules:
        rules.check(built, _build_adam, run, interface)
        rules.check("作った直後の更新の回数 t が 0", _check_t_starts_at_zero, run, interface, needs=[built])
        rules.check(first, _check_moments_call, run, interface, 1, needs=[built])
        rules.check(
            "2 回目の _moments (self.m[key]、self.v[key] に残した前回の値に新しい g を加える)",
            _check_moments_call,
            run,
            interface,
            2,
            needs=[first],
        )


def _moments_follow_docstring(run: Runner, rng: np.random.Generator) -> bool:
    """Whether the learner's AMSGrad is built and keeps its moments as Adam's docstring says
    (:func:`_check_adam_interface` on AMSGrad)."""
    try:
        _check_adam_interface(run, rng, "AMSGrad")
    except CheckFailure:
        return False
    return True


def _same(got: Any, expected: np.ndarray) -> bool:
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=RTOL, atol=ATOL))


def check_amsgrad(run: Runner, rng: np.random.Generator) -> None:
    mistakes = [
        (
            lambda kw: _AdamLike(kw, "max_of_v_hat", amsgrad=True),
            "補正後の v̂ の最大値を取っています。PyTorch と同じく、補正前の v の最大値 v_max を保存し、"
            "使うときに v_max / (1 − beta2^t) と補正してください。",
        ),
        (
            lambda kw: _AdamLike(kw, "max_of_g2", amsgrad=True),
            "勾配の 2 乗 g² の最大値を取っています。最大値を取るのは 2 次モーメント (移動平均) v で、"
            "v_max ← max(v_max, v) です (v の最大値)。",
        ),
        (
            lambda kw: _AdamLike(kw, "max_of_g", amsgrad=True),
            "勾配 g の最大値を取っています。最大値を取るのは 2 次モーメント (移動平均) v で、"
            "v_max ← max(v_max, v) です (v の最大値)。",
        ),
        (
            lambda kw: _AdamLike(kw, "max_not_kept", amsgrad=True),
            "最大値を self.v_max[key] に保存していません (Adam と同じ結果です)。"
            "求めた最大値を self.v_max[key] に書き込み、次の update ではそれと新しい v を比べてください。",
        ),
        (
            lambda kw: ref.Adam(**kw),
            "Adam と同じ結果です。v の代わりに、これまでの v の最大値 v_max を使ってください。",
        ),
        (
            lambda kw: _AdamLike(kw, "paper", amsgrad=True),
            "バイアス補正をしていません (論文の式)。この演習では PyTorch と同じく m̂ = m / (1 − beta1^t) と "
            "v_max / (1 − beta2^t) を使ってください。",
        ),
        (
            lambda kw: _AdamLike(kw, "paper_m_hat", amsgrad=True),
            "v_max のバイアス補正 v_max / (1 − beta2^t) を忘れています。",
        ),
        (lambda kw: _CounterPerKey(ref.AMSGrad(**kw)), _COUNTER_HINT),
    ]
    # gradients shrinking over the steps (so that v decreases and the maximum matters), and a small beta2
    cases = _cases(rng, _adam_kwargs(rng, (0.3, 0.8)), shrink=0.6)
    # AMSGrad inherits Adam's constructor and _moments (exercise 7). When they are not as Adam's docstring
    # says, a mistake there must not cost points again here: the learner's AMSGrad is run on the course's
    # stand-in for Adam (its __init__ and _moments, the moments computed here), so only its own code is graded.
    if _moments_follow_docstring(run, rng):
        _check_optimizer(run, "AMSGrad", cases, mistakes, _T_NAN_HINT)
        return
    options = {"substitute": {"adam_moments": _adam_moments}, "stand_in_bases": ("Adam",)}
    note = (
        "(あなたの Adam のコンストラクタか _moments が docstring のとおりでないため、この確認では"
        "講座の Adam (docstring どおりの __init__ と _moments) を AMSGrad の土台にしました。"
        "上の結果は AMSGrad 自身のコードによるものです。)"
    )
    _check_optimizer(run, "AMSGrad", cases, mistakes, _T_NAN_HINT, options=options, note=note)


# ---------------------------------------------------------------------------- schedules


def check_lr_schedules(run: Runner, rng: np.random.Generator) -> None:
    step_cases, step_defaults, inverse_cases, inverse_defaults = [], [], [], []
    for _ in range(10):
        lr0 = float(10 ** rng.uniform(-3, 0))
        drop = float(rng.uniform(0.1, 0.9))
        epochs_drop = int(rng.integers(2, 8))
        boundary = epochs_drop * int(rng.integers(1, 4))
        for epoch in sorted({0, boundary - 1, boundary, int(rng.integers(0, 40))}):
            step_cases.append((lr0, epoch, drop, epochs_drop))
        step_defaults.append((lr0, int(rng.integers(0, 50))))  # the defaults drop=0.5, epochs_drop=10
        decay_rate = float(10 ** rng.uniform(-3, 0))
        for step in sorted({0, 1, int(rng.integers(2, 20)), int(rng.integers(20, 2000))}):
            inverse_cases.append((lr0, step, decay_rate))
        inverse_defaults.append((lr0, int(rng.integers(0, 500))))
    with properties(run) as schedules:
        schedules.check(
            "step_decay の値 (drop と epochs_drop を指定、下がる境目のエポックの前後を含む)",
            _check_step_decay,
            run,
            step_cases,
        )
        schedules.check(
            "step_decay の既定値 (drop=0.5、epochs_drop=10)", _check_step_decay_defaults, run, step_defaults
        )
        schedules.check("inverse_time_decay の値 (decay_rate を指定)", _check_inverse_time_decay, run, inverse_cases)
        schedules.check(
            "inverse_time_decay の既定値 (decay_rate=0.01)", _check_inverse_time_decay_defaults, run, inverse_defaults
        )


def _check_step_decay(run: Runner, cases: list[tuple[float, int, float, int]]) -> None:
    for lr0, epoch, drop, epochs_drop in cases:
        expected = ref.step_decay(lr0, epoch, drop=drop, epochs_drop=epochs_drop)
        where = f"step_decay(lr0={lr0:.3g}, epoch={epoch}, drop={drop:.3g}, epochs_drop={epochs_drop})"
        check_scalar(
            run.call("step_decay", lr0, epoch, drop=drop, epochs_drop=epochs_drop),
            expected,
            where,
            rtol=1e-9,
            atol=0.0,
            show_values=False,
            mistakes=[
                (
                    lr0 * drop ** (epoch / epochs_drop),
                    "指数を切り捨てていません。drop ** (epoch // epochs_drop) です。",
                ),
                (
                    lr0 * drop ** math.ceil(epoch / epochs_drop),
                    "drop を掛けるのが早すぎます。epoch は 0 から数え、指数は切り捨て (epoch // epochs_drop) です "
                    "(エポック 0 から epochs_drop − 1 までは lr0 のまま)。",
                ),
                (
                    lr0 * drop ** ((epoch + 1) // epochs_drop),
                    "drop を掛けるのが早すぎます。epoch は 0 から数え、指数は切り捨て (epoch // epochs_drop) です "
                    "(エポック 0 から epochs_drop − 1 までは lr0 のまま)。",
                ),
                (lr0 * drop**epoch, "毎エポック drop を掛けています。epochs_drop エポックごとに 1 回です。"),
            ],
        )


def _check_step_decay_defaults(run: Runner, cases: list[tuple[float, int]]) -> None:
    for lr0, epoch in cases:
        check_scalar(
            run.call("step_decay", lr0, epoch),
            ref.step_decay(lr0, epoch),
            f"step_decay(lr0={lr0:.3g}, epoch={epoch}) (既定値 drop=0.5、epochs_drop=10)",
            rtol=1e-9,
            atol=0.0,
            show_values=False,
        )


def _check_inverse_time_decay(run: Runner, cases: list[tuple[float, int, float]]) -> None:
    for lr0, step, decay_rate in cases:
        expected = ref.inverse_time_decay(lr0, step, decay_rate=decay_rate)
        check_scalar(
            run.call("inverse_time_decay", lr0, step, decay_rate=decay_rate),
            expected,
            f"inverse_time_decay(lr0={lr0:.3g}, step={step}, decay_rate={decay_rate:.3g})",
            rtol=1e-9,
            atol=0.0,
            show_values=False,
            mistakes=[
                (
                    lr0 * math.exp(-decay_rate * step),
                    "指数減衰 lr0 · exp(−k · step) になっています。lr0 / (1 + k · step) です。",
                ),
                (
                    lr0 * math.exp(-step * math.log1p(decay_rate)),
                    "(1 + k) の step 乗で割っています。lr0 / (1 + k · step) です。",
                ),
                (
                    lr0 * (1 - decay_rate * step),
                    "線形の減衰 lr0 · (1 − k · step) になっています。lr0 / (1 + k · step) です。",
                ),
            ],
        )


def _check_inverse_time_decay_defaults(run: Runner, cases: list[tuple[float, int]]) -> None:
    for lr0, step in cases:
        check_scalar(
            run.call("inverse_time_decay", lr0, step),
            ref.inverse_time_decay(lr0, step),
            f"inverse_time_decay(lr0={lr0:.3g}, step={step}) (既定値 decay_rate=0.01)",
            rtol=1e-9,
            atol=0.0,
            show_values=False,
        )


# ---------------------------------------------------------------------------- clipping and warm-up

_CLIP_RTOL = 1e-5  # accepts max_norm / (total + 1e-6) and max_norm / total for total >= 1
_PER_KEY_HINT = (
    "配列ごとに自分のノルムで縮めていませんか。ノルムは grads の全部の配列をまとめた 1 つの値 "
    "(全要素の 2 乗の和の平方根) で、すべての配列を同じ倍率で縮めます。"
)


def _global_norm(grads: Params) -> float:
    return float(np.sqrt(sum(float(np.sum(g * g)) for g in grads.values())))


def _clip_cases(rng: np.random.Generator) -> list[tuple[str, Params, float]]:
    """(kind, grads, max_norm) of each kind: "between" (every array's own norm is below max_norm but the
    total is above it), "above" (the total is 2 to 10 times max_norm), "below" (the total is below
    it). Every total norm is at least 1 (see _CLIP_RTOL)."""
    cases = []
    for kind, shapes in [
        # one key first: there clipping per key is right, so arrays left unchanged name their own mistake
        ("above", {"W": (int(rng.integers(1, 5)), int(rng.integers(1, 5)))}),
        ("between", _MIXED_SHAPES),
        ("above", _MIXED_SHAPES),
        ("below", _MIXED_SHAPES),
        ("below", _SAME_SHAPES),
        ("between", _SAME_SHAPES),
    ]:
        grads = {key: rng.standard_normal(shape) * 10 ** rng.uniform(-0.3, 0.3) for key, shape in shapes.items()}
        grads = {key: value * (rng.uniform(2.0, 20.0) / _global_norm(grads)) for key, value in grads.items()}
        total = _global_norm(grads)
        own = max(_global_norm({key: value}) for key, value in grads.items())
        if kind == "between":
            max_norm = float(rng.uniform(own + 0.2 * (total - own), total - 0.2 * (total - own)))
        elif kind == "above":
            max_norm = float(total / rng.uniform(2.0, 10.0))
        else:
            max_norm = float(total * rng.uniform(1.2, 3.0))
        cases.append((kind, grads, max_norm))
    return cases


def _clip_mistakes(grads: Params, max_norm: float) -> tuple[list[tuple[Any, str]], list[tuple[Params, str]]]:
    """(wrong returned norms, wrong clipped dicts), each with its hint, simulated on ``grads``."""
    total = _global_norm(grads)
    per_key = {key: value * min(1.0, max_norm / _global_norm({key: value})) for key, value in grads.items()}
    always = {key: value * (max_norm / total) for key, value in grads.items()}
    squared = total * total
    no_sqrt = {key: value * min(1.0, max_norm / squared) for key, value in grads.items()}
    after_hint = (
        "クリッピングした後のノルムを返しています。戻り値は、縮める前のノルムです (PyTorch の clip_grad_norm_ と同じ)。"
    )
    clipped = {key: value.copy() for key, value in grads.items()}
    ref.clip_grads_by_norm(clipped, max_norm)
    norms = [
        # the norm after clipping, with and without the 1e-6 (they differ by more than the rtol 1e-9)
        (_global_norm(clipped), after_hint),
        (min(total, max_norm), after_hint),
        (squared, "2 乗の和の平方根を取っていません。ノルムは √(全要素の 2 乗の和) です。"),
    ]
    arrays = [
        (per_key, _PER_KEY_HINT),
        (
            always,
            "ノルムが max_norm 以下のときまで max_norm / ノルム 倍しています (小さな勾配を引き伸ばしています)。"
            "縮めるのは、ノルムが max_norm を超えたときだけです。",
        ),
        (no_sqrt, "2 乗の和の平方根を取っていません。ノルムは √(全要素の 2 乗の和) です。"),
        (
            grads,
            "grads の配列が変わっていません。g = g * 倍率 はローカル変数に新しい配列を入れるだけです。"
            "grads[key] *= 倍率 のように、辞書の中の配列をその場で書き換えてください。",
        ),
    ]
    return norms, arrays


# the kinds of _clip_cases, each with its property (in the order of the properties)
_CLIP_KINDS = {
    "above": "ノルムが max_norm を超えるとき、縮める前のノルムを返し、全部の配列を同じ倍率で縮める",
    "between": "どの配列も単独では max_norm 以下で全体のノルムが超えるとき、全体のノルムで縮める",
    "below": "ノルムが max_norm 以下のとき、ノルムを返し、grads を変えない",
}
_CLIP_IN_PLACE_NAME = "grads の配列をその場で (in place) 書き換える"


def check_clip_grads_by_norm(run: Runner, rng: np.random.Generator) -> None:
    cases = _clip_cases(rng)
    runs: list[tuple[str, bool]] = []  # (the call's name, in_place) of every call, in the order of the properties
    with properties(run) as clipping:
        for kind, name in _CLIP_KINDS.items():
            of_kind = [(grads, max_norm) for case_kind, grads, max_norm in cases if case_kind == kind]
            clipping.check(name, _check_clip_cases, run, of_kind, runs)
        clipping.check(_CLIP_IN_PLACE_NAME, _check_clip_in_place, runs, needs=list(_CLIP_KINDS.values()))


def _check_clip_cases(run: Runner, cases: list[tuple[Params, float]], runs: list[tuple[str, bool]]) -> None:
    """One call of the learner's clip_grads_by_norm (through run_clipping) per case: the returned norm, then
    the clipped arrays; records whether the arrays were changed in place in ``runs``."""
    for grads, max_norm in cases:
        shapes = ", ".join(f"'{key}': {value.shape}" for key, value in grads.items())
        name = f"grads (形状 {{{shapes}}})、max_norm = {max_norm:.3g} での clip_grads_by_norm"
        try:
            result = run.call("run_clipping", learner_copy(grads), max_norm)
        except CheckFailure as failure:
            message = str(failure)
            if "run_clipping" in message and ("定義されていません" in message or "NameError" in message):
                message += "\nヒント: 6.12 節の run_clipping のセル (書き換えずに) と、解答セルを実行してください。"
            raise CheckFailure(message) from None
        check_true(
            isinstance(result, tuple) and len(result) == 3 and isinstance(result[1], dict),
            "run_clipping の戻り値がおかしくなっています。"
            "run_clipping のセルを書き換えていませんか (元に戻して実行してください)。",
        )
        returned, after, in_place = result
        runs.append((name, bool(in_place)))
        check_true(
            set(after) == set(grads),
            f"{name} の後で grads のキーが変わっています。キーを増やしたり減らしたりしないでください。",
        )
        check_true(
            returned is not None,
            f"{name} が何も返していません。クリッピングする前のノルムを return してください。",
        )
        expected = {key: value.copy() for key, value in grads.items()}
        expected_norm = ref.clip_grads_by_norm(expected, max_norm)
        norm_mistakes, array_mistakes = _clip_mistakes(grads, max_norm)
        check_scalar(
            returned,
            expected_norm,
            f"{name} の戻り値 (クリッピングする前のノルム)",
            rtol=1e-9,
            atol=0.0,
            show_values=False,
            mistakes=norm_mistakes,
        )
        for key, want in expected.items():
            check_array(
                after[key],
                want,
                f"{name} の後の grads['{key}']",
                rtol=_CLIP_RTOL,
                atol=1e-12,
                show_values=False,
                mistakes=[(wrong[key], hint) for wrong, hint in array_mistakes],
            )


def _check_clip_in_place(runs: list[tuple[str, bool]]) -> None:
    for name, in_place in runs:
        check_true(
            in_place,
            f"{name}: grads の配列をその場で (in place) 書き換えていません (辞書に新しい配列を入れています)。"
            "grads[key] = grads[key] * 倍率 ではなく grads[key] *= 倍率 と書いてください。",
        )


def check_clip_grads_by_norm_rules(run: Runner, rng: np.random.Generator) -> None:
    """The input rule of the docstring: a positive max_norm is accepted; otherwise ValueError.
    Graded for a working core (the public cell waits for the core's public test likewise)."""
    core_first(lambda: check_clip_grads_by_norm(run, rng))
    grads = {"W": rng.standard_normal((int(rng.integers(2, 5)), 3)), "b": rng.standard_normal(3)}
    max_norm = float(rng.uniform(0.5, 3.0))
    hint = "max_norm は正の数です。max_norm <= 0 なら raise ValueError(...) としてください。"

    def raises(bad: float) -> None:
        check_learner_raises(
            lambda: run.call("clip_grads_by_norm", learner_copy(grads), bad),
            "ValueError",
            f"max_norm = {bad:g} での clip_grads_by_norm",
            hint,
        )

    with properties(run) as rules:
        rules.check(
            "正の max_norm では例外を出さない",
            check_learner_accepts,
            lambda: run.call("clip_grads_by_norm", learner_copy(grads), max_norm),
            f"max_norm = {max_norm:.3g} での clip_grads_by_norm",
        )
        rules.check("入力の検査 (max_norm = 0 で ValueError)", raises, 0.0)
        rules.check("入力の検査 (負の max_norm で ValueError)", raises, -float(np.round(max_norm, 3)))


def check_warmup_lr(run: Runner, rng: np.random.Generator) -> None:
    during, after = [], []  # (lr0, step, warmup_steps) with step < warmup_steps, and with step >= warmup_steps
    for warmup_steps in (1, int(rng.integers(2, 6)), int(rng.integers(6, 40)), int(rng.integers(40, 400))):
        lr0 = float(10 ** rng.uniform(-4, 0))
        steps = {0, 1, warmup_steps - 1, warmup_steps, warmup_steps + int(rng.integers(1, 1000))}
        steps.add(int(rng.integers(0, warmup_steps)))
        steps.discard(-1)
        for step in sorted(steps):
            (during if step < warmup_steps else after).append((lr0, step, warmup_steps))
    with properties(run) as warmup:
        warmup.check("ウォームアップ中 (step < warmup_steps) の学習率", _check_warmup_lr, run, during)
        warmup.check("ウォームアップの後 (step >= warmup_steps) の学習率", _check_warmup_lr, run, after)


def _check_warmup_lr(run: Runner, cases: list[tuple[float, int, int]]) -> None:
    for lr0, step, warmup_steps in cases:
        check_scalar(
            run.call("warmup_lr", lr0, step, warmup_steps),
            ref.warmup_lr(lr0, step, warmup_steps),
            f"warmup_lr(lr0={lr0:.3g}, step={step}, warmup_steps={warmup_steps})",
            rtol=1e-9,
            atol=0.0,
            show_values=False,
            mistakes=[
                (
                    lr0 * step / warmup_steps,
                    "step = 0 の学習率が 0 になっています。係数は (step + 1) / warmup_steps で、"
                    "最初の更新は lr0 / warmup_steps です。",
                ),
                (
                    lr0 * (step + 1) / warmup_steps,
                    "warmup_steps 回を過ぎても学習率を上げ続けています。step >= warmup_steps では lr0 のままです。",
                ),
                (
                    lr0 * ((step + 1) // warmup_steps),
                    "整数の割り算 // で係数を切り捨てています。(step + 1) / warmup_steps は / で割ります。",
                ),
                (
                    lr0 * min(1.0, step / max(warmup_steps - 1, 1)),
                    "step = 0 の学習率が 0 になっています。係数は (step + 1) / warmup_steps で、"
                    "最初の更新は lr0 / warmup_steps です。",
                ),
            ],
        )


CHECKS = {
    "sgd": check_sgd,
    "momentum": check_momentum,
    "nesterov": check_nesterov,
    "adagrad": check_adagrad,
    "rmsprop": check_rmsprop,
    "adadelta": check_adadelta,
    "adam": check_adam,
    "adam_rules": check_adam_rules,
    "amsgrad": check_amsgrad,
    "lr_schedules": check_lr_schedules,
    "clip_grads_by_norm": check_clip_grads_by_norm,
    "clip_grads_by_norm_rules": check_clip_grads_by_norm_rules,
    "warmup_lr": check_warmup_lr,
}

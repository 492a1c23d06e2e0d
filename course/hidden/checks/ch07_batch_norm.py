"""Hidden checks of ch07_batch_norm (INSTRUCTOR ONLY).

Every check draws fresh inputs and compares the learner's results with course.reference.

Batch size 1: training-mode batch normalisation with N = 1 is degenerate (the variance is
0, x̂ = 0, the output is β and dx = 0), but well defined thanks to eps inside the square
root. The checks of the functions include N = 1: it catches a missing eps (0/0 = nan) and
parameter gradients that are not summed over the batch (shape (1, D) instead of (D,)).
The layer is checked in training mode with N ≥ 2 only, and in inference mode with N = 1,
where a batch of one is the normal case.

The inputs have one feature with a tiny spread (variance ≈ 1e-6 < eps), so that eps inside
and outside the square root give clearly different results.

Tolerances: forward values rtol 1e-7, atol 1e-9; gradients rtol 1e-6, atol 1e-8 (an
equivalent formula may cancel terms in another order).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from course import reference as ref
from course.checks import CheckFailure, check_array, check_true

from ..runner import Runner
from . import each_case, learner_copy, needs_unless_all, properties

FORWARD_TOL = (1e-7, 1e-9)
GRAD_TOL = (1e-6, 1e-8)
EPS = 1e-5
TEXTBOOK_EPS = 1e-6  # 『ゼロから作るDeep Learning』's code writes 10e-7
_TEXTBOOK_EPS_HINT = (
    "ε が 1e-6 (『ゼロから作るDeep Learning』のコードの 10e-7) になっています。"
    "引数の eps (既定は PyTorch と同じ 1e-5) を使ってください。"
)

# Batch sizes and feature counts of the function checks (N = 1 included, see the docstring).
_SHAPES = [(2, 4), (1, 3), (5, 3), (16, 6)]

# The node functions of exercises 2-6 and the functions the layer may call, replaced by the
# reference so that a mistake in an earlier exercise does not cost points in a later one.
_NODES = {
    "bn_scale_shift_backward": ref.bn_scale_shift_backward,
    "bn_normalize_backward": ref.bn_normalize_backward,
    "bn_std_backward": ref.bn_std_backward,
    "bn_variance_backward": ref.bn_variance_backward,
    "bn_centering_backward": ref.bn_centering_backward,
}
_LAYER_SUBSTITUTES = {
    **_NODES,
    "batchnorm_forward": ref.batchnorm_forward,
    "batchnorm_backward_graph": ref.batchnorm_backward_graph,
    "batchnorm_backward_compact": ref.batchnorm_backward_compact,
}

_NAN_HINT = (
    "分散が 0 の列 (N = 1 のときなど) で 0 で割っていませんか。ε を平方根の中に足して √(var + ε) で割ります。"
    "また、分散は N − 1 ではなく N で割ります (N = 1 で 0 除算になります)。"
)


def _check(actual: Any, expected: Any, name: str, mistakes=(), tol=FORWARD_TOL) -> None:
    if isinstance(actual, (np.ndarray, np.number, float)):
        got = np.asarray(actual, dtype=np.float64)
        finite_expected = np.all(np.isfinite(expected))
        if got.shape == np.shape(expected) and finite_expected and not np.all(np.isfinite(got)):
            raise CheckFailure(f"{name} に nan または inf が含まれています。\nヒント: {_NAN_HINT}")
    rtol, atol = tol
    check_array(actual, expected, name, rtol=rtol, atol=atol, mistakes=mistakes, show_values=False)


def _unpack(value: Any, count: int, where: str, names: str) -> tuple:
    check_true(
        isinstance(value, tuple) and len(value) == count,
        f"{where} は {names} の {count} つの値をタプルで返してください (実際の戻り値: {type(value).__name__}"
        + (f"、長さ {len(value)}" if isinstance(value, tuple) else "")
        + ")。",
    )
    return value


def _bn_input(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    """x of shape (n, d) with per-feature offsets and scales; feature 0 has a variance of about 1e-6."""
    scale = rng.uniform(0.5, 3.0, size=d)
    offset = rng.uniform(-5.0, 5.0, size=d)
    x = rng.standard_normal((n, d)) * scale + offset
    x[:, 0] = rng.standard_normal(n) * 1e-3 + offset[0]
    return x


def _params(rng: np.random.Generator, d: int) -> tuple[np.ndarray, np.ndarray]:
    return rng.standard_normal(d) + 1.0, rng.standard_normal(d)


def _where(n: int, d: int) -> str:
    return f"形状 ({n}, {d}) の入力 (N = {n})"


_BATCHES = [shape for shape in _SHAPES if shape[0] > 1]  # the shapes of _SHAPES with N >= 2, in order
_ONE = [shape for shape in _SHAPES if shape[0] == 1]  # batch size 1


# ---------------------------------------------------------------------------- forward
def _forward_variant(x, gamma, beta, eps=EPS, ddof=0, outside=False, divide_by_var=False, axis=0):
    mu = x.mean(axis=axis, keepdims=True)
    n = x.shape[axis]
    with np.errstate(divide="ignore", invalid="ignore"):
        var = np.sum((x - mu) ** 2, axis=axis, keepdims=True) / (n - ddof)
        if divide_by_var:
            denominator = var + eps
        elif outside:
            denominator = np.sqrt(var) + eps
        else:
            denominator = np.sqrt(var + eps)
        return gamma * (x - mu) / denominator + beta


def _forward_mistakes(x, gamma, beta, eps=EPS):
    n = x.shape[0]
    xn = ref.batchnorm_forward(x, gamma, beta, eps)[1]["xn"]
    found = [
        (
            _forward_variant(x, gamma, beta, eps, outside=True),
            "ε が平方根の外にあります。√(var + ε) で割ります。",
        ),
        (_forward_variant(x, gamma, beta, 0.0), "ε を足し忘れています。√(var + ε) で割ります。"),
        (_forward_variant(x, gamma, beta, TEXTBOOK_EPS), _TEXTBOOK_EPS_HINT),
        (
            _forward_variant(x, gamma, beta, eps, divide_by_var=True),
            "分散で割っています。割るのは標準偏差 √(σ² + ε) です (分散 σ² と標準偏差 σ の混同)。",
        ),
        (
            _forward_variant(x, gamma, beta, eps, axis=1),
            "サンプルごと (axis=1) に正規化しています。BN は特徴量ごと、バッチ方向 (axis=0) に平均と分散をとります。",
        ),
        (xn, "γ と β を使っていません。出力は x̂ を γ 倍して β を足したもの (γ x̂ + β) です。"),
        (gamma * xn, "β を足し忘れています。"),
        (xn + beta, "γ を掛け忘れています。"),
    ]
    if n > 1:
        found.insert(
            0,
            (
                _forward_variant(x, gamma, beta, eps, ddof=1),
                "分散を N − 1 で割っています。バッチ分散は N で割ります (np.var の既定、ddof=0)。",
            ),
        )
    return found


def _check_forward_cases(run: Runner, rng: np.random.Generator, cases: list, records: list) -> None:
    """One call of batchnorm_forward per case (n, d, eps or None for the default); checks out and
    records (n, where, eps, cache, expected cache) for the cache property."""
    for n, d, eps in cases:
        x = _bn_input(rng, n, d)
        gamma, beta = _params(rng, d)
        where = _where(n, d) + (f"、eps={eps}" if eps is not None else "")
        if eps is None:
            result = run.call("batchnorm_forward", x, gamma, beta)
            eps = EPS
        else:
            result = run.call("batchnorm_forward", x, gamma, beta, eps=eps)
        out, cache = _unpack(result, 2, f"batchnorm_forward ({where})", "(out, cache)")
        expected_out, expected = ref.batchnorm_forward(x, gamma, beta, eps)
        records.append((n, where, eps, cache, expected))
        mistakes = _forward_mistakes(x, gamma, beta, eps)
        if eps != EPS:
            mistakes.append(
                (
                    ref.batchnorm_forward(x, gamma, beta)[0],
                    "引数の eps を使っていません (1e-5 を直接書いていませんか)。",
                )
            )
        _check(out, expected_out, f"{where}に対する batchnorm_forward の out", mistakes)


def _check_forward_cache(records: list) -> None:
    for n, where, eps, cache, expected in records:
        check_true(isinstance(cache, dict), f"batchnorm_forward の cache は辞書 (dict) にしてください ({where})。")
        missing = sorted({"x", "xc", "var", "std", "xn", "gamma", "eps"} - set(cache))
        check_true(not missing, f"batchnorm_forward の cache にキー {missing} がありません。")
        var = expected["var"]
        cache_mistakes = {
            "var": [(var * n / (n - 1), "cache['var'] が N − 1 で割った分散です。N で割ります。")] if n > 1 else [],
            "std": [
                (var, "cache['std'] に分散が入っています。√(var + eps) を入れます。"),
                (var + eps, "cache['std'] に var + eps が入っています。割るのは標準偏差 √(var + eps) です。"),
                (np.sqrt(var), "cache['std'] に ε が入っていません。√(var + eps) です。"),
                (np.sqrt(var) + eps, "cache['std'] の ε が平方根の外にあります。√(var + eps) です。"),
            ],
            "xc": [],
            "xn": [],
            "x": [],
            "gamma": [],
        }
        for key, key_mistakes in cache_mistakes.items():
            _check(cache[key], expected[key], f"{where}での cache['{key}']", key_mistakes)
        _check(cache["eps"], eps, f"{where}での cache['eps']")


def check_batchnorm_forward(run: Runner, rng: np.random.Generator) -> None:
    values = "出力 out の値 (N が 2 以上の 3 つの形状)"
    records: list = []  # (n, where, eps, cache, expected cache) of every call that returned (out, cache)
    with properties(run) as forward:
        forward.check(values, _check_forward_cases, run, rng.spawn(1)[0], [(n, d, None) for n, d in _BATCHES], records)
        one = [(n, d, None) for n, d in _ONE]
        forward.check(
            "バッチサイズ 1 (分散が 0) の out (nan にならない)",
            _check_forward_cases,
            run,
            rng.spawn(1)[0],
            one,
            records,
        )
        forward.check(
            "引数の eps を使う (eps=1e-3 の out)", _check_forward_cases, run, rng.spawn(1)[0], [(6, 3, 1e-3)], records
        )
        forward.check("cache の中身 (7 つのキーとその値)", _check_forward_cache, records, needs=[values])


# ---------------------------------------------------------------------------- node 1: scale and shift
_NOT_SUMMED = "バッチ方向 (axis=0) に合計していません。γ と β は N 行すべてで使われているので、勾配は和です。"


def check_bn_scale_shift_backward(run: Runner, rng: np.random.Generator) -> None:
    records: list = []  # (where, dout, xn, dgamma, dbeta, expected) of every call that returned 3 values

    def call(shape: tuple[int, int]) -> None:
        n, d = shape
        dout, xn = rng.standard_normal((n, d)), rng.standard_normal((n, d))
        gamma = rng.standard_normal(d) + 1.0
        where = _where(n, d)
        result = run.call("bn_scale_shift_backward", dout, xn, gamma)
        dxn, dgamma, dbeta = _unpack(result, 3, "bn_scale_shift_backward", "(dxn, dgamma, dbeta)")
        expected = ref.bn_scale_shift_backward(dout, xn, gamma)
        records.append((where, dout, xn, dgamma, dbeta, expected))
        _check(
            dxn,
            expected[0],
            f"{where}での dxn",
            [(dout, "γ を掛け忘れています (∂out/∂x̂ = γ)。"), (dout / gamma, "γ で割っています。掛けます。")],
            GRAD_TOL,
        )

    def dgammas() -> None:
        for where, dout, xn, dgamma, _, expected in records:
            _check(
                dgamma,
                expected[1],
                f"{where}での dgamma",
                [
                    (dout * xn, "dgamma を" + _NOT_SUMMED),
                    (np.mean(dout * xn, axis=0), "dgamma をバッチの平均にしています。和をとります。"),
                    (dout.sum(axis=0), "dgamma に x̂ を掛け忘れています (∂out/∂γ = x̂)。"),
                ],
                GRAD_TOL,
            )

    def dbetas() -> None:
        for where, dout, _, _, dbeta, expected in records:
            _check(
                dbeta,
                expected[2],
                f"{where}での dbeta",
                [
                    (dout, "dbeta を" + _NOT_SUMMED),
                    (dout.mean(axis=0), "dbeta をバッチの平均にしています。和をとります。"),
                ],
                GRAD_TOL,
            )

    values = "dxn の値 (N = 1 を含む 4 つの形状)"
    with properties(run) as backward:
        backward.check(values, each_case, run, _SHAPES, call)
        needs = needs_unless_all(records, len(_SHAPES), values)
        backward.check("dgamma の値 (バッチ方向の和、形状 (D,))", dgammas, needs=needs)
        backward.check("dbeta の値 (バッチ方向の和、形状 (D,))", dbetas, needs=needs)


# ---------------------------------------------------------------------------- node 2: normalise
def check_bn_normalize_backward(run: Runner, rng: np.random.Generator) -> None:
    records: list = []  # (where, n, dxn, xc, std, dstd, expected dstd) of every call that returned 2 values

    def call(shape: tuple[int, int]) -> None:
        n, d = shape
        dxn, xc = rng.standard_normal((n, d)), rng.standard_normal((n, d)) * 2
        std = rng.uniform(0.3, 3.0, size=d)
        where = _where(n, d)
        dxc, dstd = _unpack(run.call("bn_normalize_backward", dxn, xc, std), 2, "bn_normalize_backward", "(dxc, dstd)")
        expected_dxc, expected_dstd = ref.bn_normalize_backward(dxn, xc, std)
        records.append((where, n, dxn, xc, std, dstd, expected_dstd))
        _check(
            dxc,
            expected_dxc,
            f"{where}での dxc",
            [
                (dxn * std, "std で割る代わりに掛けています (∂x̂/∂xc = 1/std)。"),
                (dxn, "std で割り忘れています (∂x̂/∂xc = 1/std)。"),
            ],
            GRAD_TOL,
        )

    def dstds() -> None:
        for where, n, dxn, xc, std, dstd, expected_dstd in records:
            _check(
                dstd,
                expected_dstd,
                f"{where}での dstd",
                [
                    (-expected_dstd, "符号が逆です。∂(xc/std)/∂std = −xc/std² です。"),
                    (expected_dstd * std, "std² ではなく std で割っています。∂(1/s)/∂s = −1/s² です。"),
                    (
                        -dxn * xc / std**2,
                        "dstd をバッチ方向 (axis=0) に合計していません。std は N 行すべてで使われています。",
                    ),
                    (expected_dstd / n, "dstd をバッチの平均にしています。和をとります。"),
                ],
                GRAD_TOL,
            )

    values = "dxc の値 (N = 1 を含む 4 つの形状)"
    with properties(run) as backward:
        backward.check(values, each_case, run, _SHAPES, call)
        needs = needs_unless_all(records, len(_SHAPES), values)
        backward.check("dstd の値 (バッチ方向の和、形状 (D,))", dstds, needs=needs)


# ---------------------------------------------------------------------------- node 3: standard deviation
def check_bn_std_backward(run: Runner, rng: np.random.Generator) -> None:
    for d in (1, 4, 7):
        dstd = rng.standard_normal(d)
        std = np.sqrt(rng.uniform(0.0, 4.0, size=d) + EPS)
        std[0] = np.sqrt(EPS)  # a column with variance 0 (e.g. N = 1)
        got = run.call("bn_std_backward", dstd, std)
        _check(
            got,
            ref.bn_std_backward(dstd, std),
            f"形状 ({d},) の dstd, std に対する bn_std_backward",
            [
                (dstd / std, "1/2 が抜けています。d√v/dv = 1/(2√v) です。"),
                (dstd * std / 2, "std で割る代わりに掛けています。"),
                (2 * dstd * std, "√ の微分ではなく 2 乗の微分になっています。d√v/dv = 1/(2√v) です。"),
                (dstd / (2 * std**2), "std² ではなく std で割ります。"),
            ],
            GRAD_TOL,
        )


# ---------------------------------------------------------------------------- node 4: variance
def _check_variance_cases(run: Runner, rng: np.random.Generator, shapes: list[tuple[int, int]]) -> None:
    for n, d in shapes:
        dvar, xc = rng.standard_normal(d), rng.standard_normal((n, d)) * 2
        where = _where(n, d)
        mistakes = [
            (2 * xc * dvar, "1/N が抜けています。分散は 2 乗の平均です。"),
            (xc * dvar / n, "2 が抜けています。d(xc²)/dxc = 2 xc です。"),
            (np.broadcast_to(2 * dvar / n, xc.shape), "xc を掛け忘れています。d(xc²)/dxc = 2 xc です。"),
        ]
        if n > 1:
            mistakes.append((2 * xc * dvar / (n - 1), "N − 1 で割っています。順伝播の分散は N で割っています。"))
        _check(
            run.call("bn_variance_backward", dvar, xc),
            ref.bn_variance_backward(dvar, xc),
            f"{where}に対する bn_variance_backward",
            mistakes,
            GRAD_TOL,
        )


def check_bn_variance_backward(run: Runner, rng: np.random.Generator) -> None:
    with properties(run) as backward:
        backward.check("dxc の値 (N が 2 以上の 3 つの形状)", _check_variance_cases, run, rng.spawn(1)[0], _BATCHES)
        backward.check("バッチサイズ 1 の dxc", _check_variance_cases, run, rng.spawn(1)[0], _ONE)


# ---------------------------------------------------------------------------- node 5: centring
def _check_centering_cases(run: Runner, rng: np.random.Generator, shapes: list[tuple[int, int]]) -> None:
    for n, d in shapes:
        dxc = rng.standard_normal((n, d)) * 2 + rng.standard_normal(d)
        where = _where(n, d)
        mistakes = [
            (dxc, "平均 μ を通る経路が抜けています。dx = dxc − (dxc の列ごとの平均) です。"),
            (dxc - dxc.sum(axis=0), "和ではなく平均を引きます (∂μ/∂x = 1/N)。"),
            (dxc + dxc.mean(axis=0), "符号が逆です。xc = x − μ なので、平均の経路の勾配は −(列ごとの平均) です。"),
        ]
        if d > 1:
            mistakes.append((dxc - dxc.mean(axis=1, keepdims=True), "平均をとる向きが違います。列ごと (axis=0) です。"))
        _check(
            run.call("bn_centering_backward", dxc),
            ref.bn_centering_backward(dxc),
            f"{where}に対する bn_centering_backward",
            mistakes,
            GRAD_TOL,
        )


def check_bn_centering_backward(run: Runner, rng: np.random.Generator) -> None:
    with properties(run) as backward:
        values = "dx の値 (N が 2 以上の 4 つの形状、D = 1 を含む)"
        backward.check(values, _check_centering_cases, run, rng.spawn(1)[0], [*_BATCHES, (4, 1)])
        backward.check("バッチサイズ 1 の dx", _check_centering_cases, run, rng.spawn(1)[0], _ONE)


# ---------------------------------------------------------------------------- graph and compact backward
def _backward_case(rng: np.random.Generator, n: int, d: int):
    x = _bn_input(rng, n, d)
    gamma, beta = _params(rng, d)
    _, cache = ref.batchnorm_forward(x, gamma, beta)
    return cache, rng.standard_normal((n, d))


def _dx_mistakes(dout: np.ndarray, cache: dict, compact: bool = False) -> list[tuple[np.ndarray, str]]:
    """Known wrong dx. A missing path of the graph and a missing term of the compact formula give the
    same value; compact=True puts the hints worded for the compact formula first (the first match is shown)."""
    xn, std, gamma, var = cache["xn"], cache["std"], cache["gamma"], cache["var"]
    n = dout.shape[0]
    mean_dout, mean_dout_xn = dout.mean(axis=0), np.mean(dout * xn, axis=0)
    dxn = dout * gamma
    dxc_direct, dstd = ref.bn_normalize_backward(dxn, cache["xc"], std)
    dxc_via_var = ref.bn_variance_backward(ref.bn_std_backward(dstd, std), cache["xc"])
    with np.errstate(divide="ignore", invalid="ignore"):
        no_eps = (gamma / np.sqrt(var)) * (dout - mean_dout - xn * mean_dout_xn)
    graph_worded = [
        (
            ref.bn_centering_backward(dxc_direct),
            "分散 (標準偏差) を通る経路が抜けています: 正規化のノードからの dxc と、分散のノードからの dxc を"
            "足してから中心化のノードに渡します。整理した式では x̂ · mean(dout · x̂) の項です。",
        ),
        (
            dxc_direct + dxc_via_var,
            "平均 μ を通る経路 (中心化のノード) が抜けています。整理した式では −mean(dout) の項です。",
        ),
    ]
    compact_worded = [
        (
            (gamma / std) * (dout - xn * mean_dout_xn),
            "平均の項 −mean(dout) が抜けています (平均 μ も x に依存します)。",
        ),
        (
            (gamma / std) * (dout - mean_dout),
            "分散の項 −x̂ · mean(dout · x̂) が抜けています (標準偏差も x に依存します)。",
        ),
    ]
    return [
        *(compact_worded + graph_worded if compact else graph_worded + compact_worded),
        (dxc_direct, "dx = dout · γ / std だけになっています。平均と分散を通る経路が抜けています。"),
        ((1 / std) * (dout - mean_dout - xn * mean_dout_xn), "γ を掛け忘れています。"),
        (no_eps, "√var で割っています。ε を含む cache['std'] = √(var + eps) で割ります。"),
        (
            (gamma / std) * (dout - mean_dout - xn * np.sum(dout * xn, axis=0) / max(n - 1, 1)),
            "mean(dout · x̂) を N − 1 で割っています。N で割ります。",
        ),
    ]


def _check_backward(run: Runner, rng: np.random.Generator, name: str, substitute=None) -> None:
    records: list = []  # (where, dout, xn, dgamma, dbeta, expected) of every call that returned 3 values

    def call(shape: tuple[int, int]) -> None:
        n, d = shape
        cache, dout = _backward_case(rng, n, d)
        where = f"{_where(n, d)}での {name}"
        result = run.call(name, dout, learner_copy(cache), substitute=substitute)
        dx, dgamma, dbeta = _unpack(result, 3, name, "(dx, dgamma, dbeta)")
        expected = ref.batchnorm_backward_compact(dout, cache)
        records.append((where, dout, cache["xn"], dgamma, dbeta, expected))
        dx_mistakes = _dx_mistakes(dout, cache, compact=name == "batchnorm_backward_compact")
        _check(dx, expected[0], f"{where} の dx", dx_mistakes, GRAD_TOL)

    def dgammas() -> None:
        for where, dout, xn, dgamma, _, expected in records:
            _check(
                dgamma,
                expected[1],
                f"{where} の dgamma",
                [
                    (dout * xn, "dgamma をバッチ方向 (axis=0) に合計していません。"),
                    (dout.sum(axis=0), "x̂ を掛け忘れています。"),
                ],
                GRAD_TOL,
            )

    def dbetas() -> None:
        for where, dout, _, _, dbeta, expected in records:
            mistakes = [(dout, "dbeta をバッチ方向に合計していません。")]
            _check(dbeta, expected[2], f"{where} の dbeta", mistakes, GRAD_TOL)

    values = "dx の値 (N = 1 を含む 4 つの形状)"
    with properties(run) as backward:
        backward.check(values, each_case, run, _SHAPES, call)
        needs = needs_unless_all(records, len(_SHAPES), values)
        backward.check("dgamma の値 (バッチ方向の和)", dgammas, needs=needs)
        backward.check("dbeta の値 (バッチ方向の和)", dbetas, needs=needs)


def check_batchnorm_backward_graph(run: Runner, rng: np.random.Generator) -> None:
    # the node functions of exercises 2-6 are the reference ones here: only their composition is graded
    _check_backward(run, rng, "batchnorm_backward_graph", substitute=_NODES)


def check_batchnorm_backward_compact(run: Runner, rng: np.random.Generator) -> None:
    _check_backward(run, rng, "batchnorm_backward_compact")


# ---------------------------------------------------------------------------- the layer
class _RunningVariants:
    """The running statistics that the correct layer and the classic mistakes would hold."""

    HINTS = {
        "unbiased": "移動平均の分散に不偏分散 (N − 1 で割る) を使っています。"
        "この講座ではバッチ分散 cache['var'] (N で割る) をそのまま使います"
        " (PyTorch は不偏分散を使いますが、ここでは教科書と同じ約束です)。",
        "reversed": "momentum の向きが逆です。momentum は古い値の重みです: running ← m · running + (1 − m) · batch。",
        "ignored": "引数の momentum を使っていません (0.9 を直接書いていませんか)。",
        "zero_var": "running_var を 0 から始めています (教科書のコード)。"
        "この講座では 1 から始めます (PyTorch と同じ)。",
        "fresh": "引数の running_mean、running_var を使わずに 0 と 1 から始めています。None のときだけ初期化します。",
        "std": "running_var に標準偏差を入れています。分散の移動平均です。",
    }

    def __init__(self, d: int, momentum: float, mean: np.ndarray | None, var: np.ndarray | None) -> None:
        self.momentum = momentum
        start = [np.zeros(d), np.ones(d)] if mean is None else [mean.copy(), var.copy()]
        self.values = {key: [v.copy() for v in start] for key in ("correct", *self.HINTS)}
        if mean is None:
            self.values["zero_var"][1] = np.zeros(d)
            del self.values["fresh"]
        else:
            self.values["fresh"] = [np.zeros(d), np.ones(d)]
            del self.values["zero_var"]
        if momentum == 0.9:
            del self.values["ignored"]

    def update(self, x: np.ndarray) -> None:
        n = x.shape[0]
        mu, var = x.mean(axis=0), x.var(axis=0)
        for key, (mean_run, var_run) in self.values.items():
            m = {"reversed": 1 - self.momentum, "ignored": 0.9}.get(key, self.momentum)
            batch_var = {"unbiased": var * n / (n - 1), "std": np.sqrt(var)}.get(key, var)
            self.values[key] = [m * mean_run + (1 - m) * mu, m * var_run + (1 - m) * batch_var]

    def mistakes(self, index: int) -> list[tuple[np.ndarray, str]]:
        return [(v[index], self.HINTS[k]) for k, v in self.values.items() if k != "correct"]


class _LayerPair:
    """The learner's layer (through the runner) next to the reference layer built with the same arguments."""

    def __init__(self, run: Runner, rng: np.random.Generator, d: int, kwargs: dict, label: str) -> None:
        gamma, beta = _params(rng, d)
        self.run, self.rng, self.d, self.label = run, rng, d, label
        # the reference side is built first, from its own copies: the learner's layer may keep the
        # arrays it is given and change them in place (a local runner passes keyword arrays as they are)
        copies = {k: np.copy(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
        self.expected = ref.BatchNormalization(gamma.copy(), beta.copy(), **copies)
        self.variants = _RunningVariants(
            d, copies.get("momentum", 0.9), copies.get("running_mean"), copies.get("running_var")
        )
        self.handle = run.new("BatchNormalization", gamma, beta, **kwargs)
        self.steps = 0

    def _forward(self, x: np.ndarray, train_flg: bool) -> Any:
        return self.run.method(self.handle, "forward", x, train_flg=train_flg, substitute=_LAYER_SUBSTITUTES)

    def train(self, shape: tuple[int, ...], running_failures: list[CheckFailure] | None = None) -> None:
        """One training-mode forward and backward; checks output, running statistics and gradients.
        With ``running_failures``, a failure of the running statistics is appended there (the training
        goes on, its output and gradients do not depend on them) instead of raised."""
        run, expected = self.run, self.expected
        self.steps += 1
        x = _bn_input(self.rng, shape[0], self.d).reshape(shape)
        where = f"{self.label}、{self.steps} 回目の学習 (入力の形状 {shape})"
        out = self._forward(x, True)
        expected_out = expected.forward(x, train_flg=True)
        out_mistakes = [
            (expected.forward(x, train_flg=False), "学習時 (train_flg=True) に移動平均で正規化しています。")
        ]
        if len(shape) > 2:
            out_mistakes.append((expected_out.reshape(shape[0], -1), "出力を入力と同じ形状に戻していません。"))
        _check(out, expected_out, f"{where}の forward", out_mistakes)
        self.variants.update(x.reshape(shape[0], -1))
        try:
            self._check_running(where)
        except CheckFailure as failure:
            if running_failures is None:
                raise
            running_failures.append(failure)

        dout = self.rng.standard_normal(shape)
        dx = run.method(self.handle, "backward", dout, substitute=_LAYER_SUBSTITUTES)
        expected_dx = expected.backward(dout)
        dx_mistakes = (
            [(expected_dx.reshape(shape[0], -1), "dx を入力と同じ形状に戻していません。")] if len(shape) > 2 else []
        )
        _check(dx, expected_dx, f"{where}の backward の dx", dx_mistakes, GRAD_TOL)
        for name in ("dgamma", "dbeta"):
            got = run.attr(self.handle, name)
            check_true(got is not None, f"{where}: backward の後も self.{name} が None です。勾配を保存してください。")
            _check(got, getattr(expected, name), f"{where}の後の {name}", [], GRAD_TOL)

    def _check_running(self, where: str) -> None:
        for index, name in enumerate(("running_mean", "running_var")):
            got = self.run.attr(self.handle, name)
            check_true(got is not None, f"{where}: {name} が None のままです。最初の forward で初期化してください。")
            _check(got, getattr(self.expected, name), f"{where}の後の {name}", self.variants.mistakes(index))

    def infer(self, n: int) -> None:
        """An inference-mode forward; checks the output and that no state changed."""
        expected = self.expected
        x = _bn_input(self.rng, n, self.d)
        where = f"{self.label}、{self.steps} 回学習した後の推論 (train_flg=False、N = {n})"
        out = self._forward(x, False)
        gamma, beta = expected.gamma, expected.beta
        mean_run, var_run = expected.running_mean, expected.running_var
        _check(
            out,
            expected.forward(x, train_flg=False),
            f"{where}の forward",
            [
                (
                    ref.batchnorm_forward(x, gamma, beta)[0],
                    "推論時にバッチの統計量を使っています。移動平均で正規化します。",
                ),
                (gamma * (x - mean_run) / (np.sqrt(var_run) + EPS) + beta, "ε が平方根の外にあります。"),
                (gamma * (x - mean_run) / np.sqrt(var_run + TEXTBOOK_EPS) + beta, _TEXTBOOK_EPS_HINT),
                (
                    gamma * (x - mean_run) / (var_run + EPS) + beta,
                    "分散で割っています。√(running_var + eps) で割ります。",
                ),
                ((x - mean_run) / np.sqrt(var_run + EPS), "推論時にも γ と β を使います。"),
            ],
        )
        for name in ("running_mean", "running_var"):
            got = self.run.attr(self.handle, name)
            check_true(
                got is not None
                and np.shape(got) == (self.d,)
                and np.allclose(got, getattr(expected, name), rtol=1e-12),
                f"{where}: forward の後に {name} が変わりました。推論時は移動平均を更新せず、状態を何も変えません。",
            )


def _train_default(run: Runner, rng: np.random.Generator, pairs: list, running_failures: list) -> None:
    # default arguments: running statistics created at the first forward (0 and 1), momentum 0.9
    pair = _LayerPair(run, rng, 4, {}, "BatchNormalization(gamma, beta)")
    pairs.append(pair)
    for n in (2, 5, 3, 8):
        pair.train((n, 4), running_failures)


def _raise_first(failures: list[CheckFailure]) -> None:
    if failures:
        raise failures[0]


def _infer_default(pair: _LayerPair) -> None:
    pair.infer(1)
    pair.infer(3)


def _check_given_statistics(run: Runner, rng: np.random.Generator) -> None:
    # explicit momentum and running statistics; one running variance is tiny (eps inside the root matters)
    d = 3
    kwargs = {
        "momentum": 0.7,
        "running_mean": rng.standard_normal(d) * 2,
        "running_var": np.array([1e-6, *rng.uniform(0.5, 2.0, size=d - 1)]),
    }
    pair = _LayerPair(
        run, rng, d, kwargs, "BatchNormalization(gamma, beta, momentum=0.7, running_mean=..., running_var=...)"
    )
    pair.infer(1)
    for n in (4, 6):
        pair.train((n, d))
    pair.infer(1)


def _check_multidimensional(run: Runner, rng: np.random.Generator) -> None:
    # multi-dimensional input: flattened to (N, 6), output and dx in the input's shape
    pair = _LayerPair(run, rng, 6, {}, "形状 (N, 2, 3) の入力の BatchNormalization")
    for n in (3, 5):
        pair.train((n, 2, 3))
    pair.infer(2)


def check_batchnorm_layer(run: Runner, rng: np.random.Generator) -> None:
    training = "学習時の forward と backward (出力、dx、dgamma、dbeta。既定の引数で 4 回)"
    running = "学習時の移動平均 (running_mean、running_var) の更新"
    pairs: list[_LayerPair] = []  # the layer of the first property, trained there
    running_failures: list[CheckFailure] = []
    with properties(run) as layer:
        layer.check(training, _train_default, run, rng.spawn(1)[0], pairs, running_failures)
        layer.check(running, _raise_first, running_failures, needs=[training])
        inference = "推論時 (train_flg=False) は移動平均で正規化し、状態を変えない"
        layer.check(inference, lambda: _infer_default(pairs[0]), needs=[training, running])
        given = "momentum、running_mean、running_var を渡したレイヤ (推論、2 回の学習、推論)"
        layer.check(given, _check_given_statistics, run, rng.spawn(1)[0])
        layer.check("多次元の入力の学習と推論 (形状 (N, 2, 3))", _check_multidimensional, run, rng.spawn(1)[0])


# ---------------------------------------------------------------------------- layer, instance, group norm
def _norm_over(x: np.ndarray, axes: tuple[int, ...], ddof: int = 0, outside: bool = False) -> np.ndarray:
    mu = x.mean(axis=axes, keepdims=True)
    count = int(np.prod([x.shape[a] for a in axes]))
    with np.errstate(divide="ignore", invalid="ignore"):
        var = np.sum((x - mu) ** 2, axis=axes, keepdims=True) / max(count - ddof, 1)
        return (x - mu) / ((np.sqrt(var) + EPS) if outside else np.sqrt(var + EPS))


def _norm_input(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    per_channel = (1, shape[1]) + (1,) * (len(shape) - 2)
    return rng.standard_normal(shape) * rng.uniform(0.2, 4.0, size=per_channel) + rng.uniform(-3, 3, size=per_channel)


def _common_mistakes(x: np.ndarray, axes: tuple[int, ...]) -> list[tuple[np.ndarray, str]]:
    return [
        (_norm_over(x, axes, ddof=1), "分散を (要素数 − 1) で割っています。要素数で割ります。"),
        (_norm_over(x, axes, outside=True), "ε が平方根の外にあります。"),
    ]


def _named_mistakes(x: np.ndarray) -> dict[str, tuple[np.ndarray, str]]:
    """The other normalisations of x, with the hint that names each."""
    spatial = tuple(range(2, x.ndim))
    per_sample = tuple(range(1, x.ndim))
    batch_channel = (0, *spatial)
    return {
        "batch": (_norm_over(x, (0,)), "バッチの軸 0 で平均をとっています (それはバッチ正規化)。"),
        "bn2d": (
            _norm_over(x, batch_channel),
            "軸 (0, 2, 3) で平均をとっています (それは画像のバッチ正規化 BatchNorm2d)。",
        ),
        "layer": (_norm_over(x, per_sample), "チャンネルの軸 1 も含めて平均をとっています (それはレイヤ正規化)。"),
        "instance": (_norm_over(x, spatial), "空間の軸だけで平均をとっています (それはインスタンス正規化)。"),
        "channel": (_norm_over(x, (1,)), "チャンネルの軸 1 だけで平均をとっています。"),
    }


def _check_layer(run: Runner, x: np.ndarray) -> None:
    named = _named_mistakes(x)
    _check(
        run.call("layer_norm", x),
        ref.layer_norm(x),
        f"形状 {x.shape} の入力に対する layer_norm",
        # instance before bn2d: with N = 1 the two are the same value, and "instance" names the cause
        [named[k] for k in ("batch", "instance", "bn2d", "channel")] + _common_mistakes(x, tuple(range(1, x.ndim))),
    )


def _check_instance(run: Runner, x: np.ndarray) -> None:
    named = _named_mistakes(x)
    _check(
        run.call("instance_norm", x),
        ref.instance_norm(x),
        f"形状 {x.shape} の入力に対する instance_norm",
        [named[k] for k in ("batch", "bn2d", "layer", "channel")] + _common_mistakes(x, tuple(range(2, x.ndim))),
    )


def _check_group(run: Runner, x: np.ndarray, groups: int) -> None:
    n, c = x.shape[:2]
    spatial = x.shape[2:]
    interleaved = x.reshape(n, c // groups, groups, *spatial)
    interleaved_axes = (1, *range(3, interleaved.ndim))
    grouped = x.reshape(n, groups, -1)
    mistakes = [
        (
            _norm_over(interleaved, interleaved_axes).reshape(x.shape),
            "グループのチャンネルが連続していません。チャンネル 0 から C/G − 1 が 1 組目、次の C/G 個が 2 組目、"
            "のように、連続する C/G チャンネルを 1 組にします。",
        ),
        (
            _norm_over(x, tuple(range(1, x.ndim))),
            "グループに分けずに、サンプル全体で正規化しています (それはレイヤ正規化)。",
        ),
        (_norm_over(x, tuple(range(2, x.ndim))), "チャンネルごとに正規化しています (それはインスタンス正規化)。"),
        (
            _norm_over(grouped, (0, 2)).reshape(x.shape),
            "バッチの軸 0 も含めて平均をとっています。サンプルごとに正規化します。",
        ),
        (_norm_over(grouped, (2,), ddof=1).reshape(x.shape), "分散を (要素数 − 1) で割っています。要素数で割ります。"),
        (_norm_over(grouped, (2,), outside=True).reshape(x.shape), "ε が平方根の外にあります。"),
    ]
    unique = []
    expected = ref.group_norm(x, groups)
    for value, hint in mistakes:  # G = 1 or G = C make some variants equal to the right answer
        if not np.allclose(value, expected, rtol=1e-7, atol=1e-9):
            unique.append((value, hint))
    _check(
        run.call("group_norm", x, groups), expected, f"形状 {x.shape} の入力、num_groups={groups} の group_norm", unique
    )


def _check_layer_norm(run: Runner, inputs: list[np.ndarray]) -> None:
    for x in inputs:
        _check_layer(run, x)


def _check_instance_norm(run: Runner, inputs: list[np.ndarray]) -> None:
    for x in inputs:
        _check_instance(run, x)


def _check_group_norm(run: Runner, inputs: list[np.ndarray]) -> None:
    for x in inputs:
        for groups in (1, 2, x.shape[1]):
            _check_group(run, x, groups)


def _check_layer_norm_2d(run: Runner, x2: np.ndarray) -> None:
    _check(
        run.call("layer_norm", x2),
        ref.layer_norm(x2),
        "形状 (4, 5) の入力に対する layer_norm",
        [(_norm_over(x2, (0,)), "バッチの軸 0 で平均をとっています (それはバッチ正規化)。")],
    )


def _check_layer_norm_eps(run: Runner, x_eps: np.ndarray) -> None:
    _check(
        run.call("layer_norm", x_eps, eps=1e-3),
        ref.layer_norm(x_eps, eps=1e-3),
        "eps=1e-3 での layer_norm",
        [(ref.layer_norm(x_eps), "引数の eps を使っていません。")],
    )


def check_normalization_variants(run: Runner, rng: np.random.Generator) -> None:
    inputs = [_norm_input(rng, shape) for shape in [(1, 4, 3, 3), (3, 6, 2, 2), (2, 4, 5)]]
    x2 = rng.standard_normal((4, 5)) * rng.uniform(0.5, 3.0, size=5)
    x_eps = _norm_input(rng, (2, 4, 2, 2)) * 1e-3  # variances below eps
    with properties(run) as variants:
        variants.check("layer_norm の値 (4 次元と 3 次元の入力、N = 1 を含む)", _check_layer_norm, run, inputs)
        variants.check("instance_norm の値 (4 次元と 3 次元の入力)", _check_instance_norm, run, inputs)
        variants.check("group_norm の値 (num_groups が 1、2、C)", _check_group_norm, run, inputs)
        variants.check("2 次元の入力 (N, D) の layer_norm", _check_layer_norm_2d, run, x2)
        variants.check("layer_norm が引数の eps を使う (eps=1e-3)", _check_layer_norm_eps, run, x_eps)


CHECKS = {
    "batchnorm_forward": check_batchnorm_forward,
    "bn_scale_shift_backward": check_bn_scale_shift_backward,
    "bn_normalize_backward": check_bn_normalize_backward,
    "bn_std_backward": check_bn_std_backward,
    "bn_variance_backward": check_bn_variance_backward,
    "bn_centering_backward": check_bn_centering_backward,
    "batchnorm_backward_graph": check_batchnorm_backward_graph,
    "batchnorm_backward_compact": check_batchnorm_backward_compact,
    "batchnorm_layer": check_batchnorm_layer,
    "normalization_variants": check_normalization_variants,
}

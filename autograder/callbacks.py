"""What the trusted side does when the sandbox calls back: a closed, bounded vocabulary.

While a learner's function runs in the sandbox it may ask the trusted side for exactly two
things, both declared by the hidden check of the moment:

- ``{"call": name, "args", "kwargs"}``: compute a reference function that the check
  substituted for an earlier exercise (``substitute={"sigmoid": ref.sigmoid}``), on plain
  data (numbers, strings, numeric arrays, lists, tuples, dicts, and functions of the sandbox);
- ``{"call_fn": n, "args", "kwargs"}``: call the n-th function that the check itself passed
  as an argument of this request (the ``f`` of ``numerical_gradient(f, x)``).

Nothing else is answered: no objects are built or kept for the sandbox, no attribute is read
by a name the sandbox chose, and no callable ever leaves the trusted side except those the
check passed. Every request is checked against :class:`CallLimits` before anything is
computed (array sizes and dimensions, the size of their broadcast, integers, the number of
callbacks and their nesting), so the work and memory of one callback are bounded. A refused
or failing callback is reported back to the sandbox as data (``{"ok": False, "error": …}``)
and costs the learner only that call.
"""

from __future__ import annotations

import contextlib
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .sandbox_agent import encode

__all__ = ["CallLimits", "SandboxFunction", "Vocabulary", "answer_callback", "check_arguments", "valid_callback_id"]

_CALLBACK_ID = re.compile(r"cb[0-9]{1,12}")


@dataclass(frozen=True)
class CallLimits:
    """Bounds on what one callback may ask of the trusted side."""

    max_elements: int = 1 << 20  # elements of one array argument (8 MB of float64)
    max_total_elements: int = 1 << 21  # elements of all array arguments of one call
    max_broadcast_elements: int = 1 << 21  # elements of a broadcast of array arguments (bounded per axis)
    max_arrays: int = 256  # array arguments of one call
    max_ndim: int = 4
    max_int: int = 1 << 24  # magnitude of an integer argument (sizes, counts, labels)
    max_calls: int = 20_000  # callbacks answered per request
    max_depth: int = 4  # callbacks nested inside calls of sandbox functions


DEFAULT_CALL_LIMITS = CallLimits()


class SandboxFunction:
    """A function of the sandbox, received as an argument; calling it sends a request there."""

    def __init__(self, call: Callable[..., Any]) -> None:
        self._call = call

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._call(*args, **kwargs)


@dataclass
class Vocabulary:
    """What the sandbox may ask during one request: the substituted reference functions by
    name, and the functions the check passed (by position). Counts what it answered."""

    functions: Mapping[str, Callable[..., Any]]
    exports: Sequence[Callable[..., Any]] = ()
    limits: CallLimits = DEFAULT_CALL_LIMITS
    deadline: float | None = None  # time.monotonic() value: computing on the trusted side stops there
    calls: int = 0
    depth: int = 0
    called: list[str] = field(default_factory=list)  # what was computed, for tests and logs


class Refused(Exception):
    """A callback outside the vocabulary or over a limit (its message goes back to the sandbox)."""


def valid_callback_id(ident: Any) -> bool:
    """Callback ids are short and of one form, so that echoing one back costs nothing."""
    return isinstance(ident, str) and _CALLBACK_ID.fullmatch(ident) is not None


def check_arguments(args: Sequence[Any], kwargs: Mapping[str, Any], limits: CallLimits) -> None:
    """Refuse arguments that could make a reference function costly (see :class:`CallLimits`)."""
    arrays: list[np.ndarray] = []

    def visit(value: Any, depth: int) -> None:
        if depth > 8:
            raise Refused("入れ子が深すぎます (nesting too deep)")
        if isinstance(value, np.ndarray):
            if value.ndim > limits.max_ndim or value.size > limits.max_elements:
                raise Refused(
                    f"形状 {value.shape} の配列は大きすぎます (上限: {limits.max_ndim} 次元、"
                    f"{limits.max_elements} 要素) (array too large)"
                )
            arrays.append(value)
        elif isinstance(value, bool) or value is None or isinstance(value, (float, str, SandboxFunction)):
            return
        elif isinstance(value, int):
            if abs(value) > limits.max_int:
                raise Refused(f"整数 {value} は大きすぎます (integer too large)")
        elif isinstance(value, (list, tuple)):
            for item in value:
                visit(item, depth + 1)
        elif isinstance(value, dict):
            for item in value.values():
                visit(item, depth + 1)
        else:
            raise Refused(f"{type(value).__name__} 型の引数は渡せません (unsupported argument)")

    visit(list(args), 0)
    visit(dict(kwargs), 0)
    if len(arrays) > limits.max_arrays:
        raise Refused(f"配列の引数が多すぎます (上限 {limits.max_arrays} 個) (too many arrays)")
    if sum(a.size for a in arrays) > limits.max_total_elements:
        raise Refused("引数の配列の要素数の合計が大きすぎます (arguments too large)")
    # an upper bound of the broadcast of any of them: the largest size on each axis (right-aligned)
    ndim = max((a.ndim for a in arrays), default=0)
    largest = [1] * ndim
    for array in arrays:
        for axis, size in enumerate(array.shape, start=ndim - array.ndim):
            largest[axis] = max(largest[axis], size)
    if int(np.prod(largest, dtype=np.float64)) > limits.max_broadcast_elements:
        shapes = ", ".join(str(a.shape) for a in arrays[:4])
        raise Refused(f"配列 {shapes} をブロードキャストすると大きすぎます (broadcast too large)")


@contextlib.contextmanager
def _interrupt_at(deadline: float | None) -> Iterator[None]:
    """Raise TimeoutError in this (main) thread at ``deadline``, so that no computation on the
    trusted side outlives the request that asked for it (a no-op in other threads)."""
    if deadline is None or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise TimeoutError

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, max(deadline - time.monotonic(), 0.001))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def answer_callback(message: Mapping[str, Any], vocabulary: Vocabulary, decode: Callable[[Any], Any]) -> dict[str, Any]:
    """The reply to one callback of the sandbox; never raises for anything the sandbox sent.

    ``decode`` turns the wire form of the arguments into values (functions of the sandbox
    become :class:`SandboxFunction`). Exceptions that mean the sandbox itself failed
    (timeouts, a closed pipe) are the caller's and pass through.
    """
    try:
        function, label = _resolve(message, vocabulary)
        vocabulary.calls += 1
        if vocabulary.calls > vocabulary.limits.max_calls:
            raise Refused(f"呼び出しが多すぎます (上限 {vocabulary.limits.max_calls} 回) (too many callbacks)")
        if vocabulary.depth >= vocabulary.limits.max_depth:
            raise Refused("呼び出しの入れ子が深すぎます (callbacks nested too deeply)")
        args = decode(message.get("args", {"t": "list", "items": []}))
        kwargs = decode(message.get("kwargs", {"t": "map", "items": {}}))
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise Refused("引数の形式が違います (malformed arguments)")
        if not all(key.isidentifier() and not key.startswith("_") for key in kwargs):
            raise Refused("キーワード引数の名前が不正です (bad keyword argument)")
        with _interrupt_at(vocabulary.deadline if vocabulary.depth == 0 else None):
            check_arguments(args, kwargs, vocabulary.limits)
            vocabulary.called.append(label)
            vocabulary.depth += 1
            try:
                value = function(*args, **kwargs)
            finally:
                vocabulary.depth -= 1
        return {"ok": True, "value": encode(value)}  # no export: no callable leaves this side
    except (TimeoutError, EOFError, BrokenPipeError):
        raise
    except Refused as refusal:
        return {"ok": False, "error": f"Refused: {refusal}"[:300]}
    except Exception as error:  # the reference function refused the arguments: the learner's call fails
        return {"ok": False, "error": f"{type(error).__name__}: {error}"[:300]}


def _resolve(message: Mapping[str, Any], vocabulary: Vocabulary) -> tuple[Callable[..., Any], str]:
    keys = set(message) - {"op", "id", "args", "kwargs"}
    if keys == {"call"}:
        name = message["call"]
        if isinstance(name, str) and name in vocabulary.functions:
            return vocabulary.functions[name], name
        raise Refused(f"{str(name)[:40]!r} はこの採点で呼べる関数ではありません (not in the vocabulary)")
    if keys == {"call_fn"}:
        index = message["call_fn"]
        if type(index) is int and 0 <= index < len(vocabulary.exports):
            return vocabulary.exports[index], f"#{index}"
        raise Refused("この採点で渡された関数ではありません (unknown function)")
    raise Refused("不明な要求です (unknown callback)")

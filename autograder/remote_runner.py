"""The hidden checks' Runner over a sandboxed learner process (see course.hidden.runner)."""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import Any

from course.checks import CheckFailure
from course.hidden.runner import Handle, ReadsArgument, Runner, snapshot
from course.stand_ins import STAND_IN_BASES, STAND_INS

from .worker_session import Reply, SandboxSession, SessionError


def _split(substitute: Mapping[str, Any] | None) -> tuple[dict[str, Any], list[str]]:
    """(the reference functions the sandbox rebinds to proxies, the names it rebinds to stand-ins).

    Proxies call back the closed vocabulary of ``autograder.callbacks``, which computes reference
    FUNCTIONS on plain data and keeps no objects for the sandbox. Stand-ins (``course.stand_ins``)
    run in the sandbox itself; only their names cross."""
    references, stand_ins = {}, []
    for name, obj in (substitute or {}).items():
        if STAND_INS.get(name) is obj:
            stand_ins.append(name)
        elif inspect.isclass(obj) or not callable(obj):
            raise TypeError(f"substitute {name!r}: only reference functions can stand in for learner code")
        else:
            references[name] = obj
    return references, sorted(stand_ins)


class RemoteRunner(Runner):
    """Same interface as LocalRunner; every learner call crosses the sandbox boundary."""

    def __init__(self, session: SandboxSession) -> None:
        self.session = session
        self.last_warnings: list[str] = []
        self.last_changed: tuple[int | str, ...] = ()

    @property
    def restarts(self) -> int:  # type: ignore[override]
        return self.session.restarts

    # Handles name objects of one process generation; after a restart they are gone.
    _GENERATION = 1_000_000

    def _agent_handle(self, handle: Handle) -> int:
        generation, ident = divmod(handle.ident, self._GENERATION)
        if generation != self.session.restarts:
            raise CheckFailure(f"{handle.label}: 途中でプロセスが再起動したため、オブジェクトが失われました。")
        return ident

    def _send(
        self, message: dict, where: str, substitute: Mapping[str, Any] | None = None, values: dict | None = None
    ) -> Reply:
        try:
            reply = self.session.request(message, values, substitute)
        except SessionError as error:
            raise CheckFailure(f"{where}: {error}") from None
        self.last_warnings = reply.warnings
        self.last_changed = reply.changed
        if not reply.ok:
            if reply.error.startswith("NotImplementedError"):
                raise CheckFailure(f"{where} はまだ実装されていません (NotImplementedError)。")
            if reply.error.startswith("NameError"):
                raise CheckFailure(f"{where}: 名前が定義されていません ({reply.error})。解答セルを確認してください。")
            raise CheckFailure(f"{where} の実行中に例外が発生しました: {reply.error}")
        return reply

    def _call(self, where: str, target: dict, args: tuple, kwargs: dict, substitute, **extra: Any) -> Reply:
        references, stand_ins = _split(substitute)
        # a ReadsArgument crosses as its objective (a callable, called back) and the name it reads
        reads = {key: value.target for key, value in kwargs.items() if isinstance(value, ReadsArgument)}
        kwargs = {key: value.objective if key in reads else value for key, value in kwargs.items()}
        message = {"op": "call", **target, "substitute": sorted(references), "stand_ins": stand_ins, **extra}
        if reads:
            message["reads"] = reads
        return self._send(message, where, references, {"args": list(args), "kwargs": dict(kwargs)})

    def defined(self, name: str) -> bool:
        return bool(self._send({"op": "defined", "name": name}, name).value)

    def call(
        self,
        name: str,
        *args: Any,
        substitute: Mapping[str, Any] | None = None,
        stand_in_bases: Sequence[str] = (),
        **kwargs: Any,
    ) -> Any:
        where = f"{name}(...)"
        extra = {}
        if stand_in_bases:
            for base in stand_in_bases:  # a closed set, and each need answered by a substituted reference
                if base not in STAND_IN_BASES or not set(STAND_IN_BASES[base].needs) <= set(substitute or {}):
                    raise TypeError(f"stand-in base {base!r}: unknown, or its needs are not substituted")
            extra["stand_in_bases"] = sorted(stand_in_bases)
        return snapshot(self._call(where, {"name": name}, args, kwargs, substitute, **extra).value, where)

    def new(self, name: str, *args: Any, substitute: Mapping[str, Any] | None = None, **kwargs: Any) -> Handle:
        reply = self._call(f"{name}(...) の生成", {"name": name}, args, kwargs, substitute, new=True)
        return Handle(ident=self.session.restarts * self._GENERATION + int(reply.handle), label=name)

    def method(
        self, handle: Handle, method: str, *args: Any, substitute: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> Any:
        where = f"{handle.label}.{method}(...)"
        target = {"handle": self._agent_handle(handle)}
        return snapshot(self._call(where, target, args, kwargs, substitute, method=method).value, where)

    def attr(self, handle: Handle, name: str) -> Any:
        where = f"{handle.label}.{name}"
        reply = self._send({"op": "attr", "handle": self._agent_handle(handle), "name": name}, where)
        return snapshot(reply.value, where)

    def set_attr(self, handle: Handle, name: str, value: Any) -> None:
        message = {"op": "set_attr", "handle": self._agent_handle(handle), "name": name}
        self._send(message, f"{handle.label}.{name}", values={"value": value})

    def value(self, path: str) -> Any:
        return snapshot(self._send({"op": "value", "path": path}, path).value, path)
